/* Where an image comes from: an OCI layout directory, or a tar archive (oci-archive,
 * docker-archive) read in place through an index of its members, so no blob is copied before it is
 * used.  A compressed archive is decompressed once into the import's temporary directory. */
#pragma once

#include <stdint.h>

#include "base/error.h"

enum source_kind {
    SOURCE_OCI_DIR,
    SOURCE_OCI_ARCHIVE,
    SOURCE_DOCKER_ARCHIVE,
};

struct source_entry {
    char *name;   /* normalised: no "./", no leading '/' */
    char *link;   /* a symlink's target (docker save links repeated layers), else NULL */
    uint64_t off; /* of the data in the archive */
    uint64_t size;
};

struct source {
    enum source_kind kind;
    int fd;        /* the layout directory, or the archive */
    char *tag;     /* ":TAG" of the source spec, or NULL */
    char *display; /* for messages */
    struct source_entry *entries;
    size_t n_entries;
};

/* A blob: size bytes of fd from off. */
struct blob {
    int fd;
    uint64_t off, size;
    int own_fd; /* an fd opened for this blob (directory sources), closed by blob_clear */
};
void blob_clear(struct blob *b);

/* SPEC is "oci:DIR[:TAG]", "oci-archive:FILE[:TAG]", "docker-archive:FILE", or a plain path whose
 * content says which.  tmpfd: a directory for a decompressed copy of a compressed archive. */
int source_open(const char *spec, int tmpfd, struct source *ret, struct urun_error *err);
void source_close(struct source *s);
/* The member (archives) or file below the directory called name. */
int source_blob(const struct source *s, const char *name, struct blob *ret, struct urun_error *err);
/* A whole member of at most max bytes, NUL-terminated. */
int source_read(const struct source *s, const char *name, size_t max, char **ret, size_t *ret_len,
                struct urun_error *err);
/* Exported for tests: index the tar archive in fd (uncompressed). */
int source_tar_index(int fd, struct source *s, struct urun_error *err);
