/* The config.json that `urun spec` writes: runc's default, adjusted so that it runs as-is.  With
 * --rootless it has a user namespace without explicit mappings, so it is portable: whoever runs it
 * gets root mapped to themselves and then their subordinate ranges, and root can prepare bundles
 * for every user (HPC sites, Slurm).  No network of its own but loopback, as with runc and crun. */
#pragma once

#include <stdbool.h>

#include <stddef.h>
#include <stdint.h>

/* What a config made from an image (`run --image`, `image bundle`) sets over the defaults. */
struct spec_default_bind {
    const char *source, *destination;
    bool ro;
};
struct spec_default_kv {
    const char *key, *value;
};
struct spec_default_opts {
    bool rootless;
    const char *const *args; /* NULL-terminated; NULL: {"sh"} */
    const char *const *env;  /* NULL-terminated; NULL: PATH and TERM */
    const char *cwd;         /* NULL: "/" */
    uint32_t uid, gid;
    bool root_writable; /* root.readonly false */
    const struct spec_default_bind *binds;
    size_t n_binds;
    const struct spec_default_kv *annotations;
    size_t n_annotations;
};

/* A malloc'd, pretty-printed JSON document (NULL only if the writer was misused: a bug). */
char *spec_default_json(bool rootless);
/* The same with the process, binds and annotations of o. */
char *spec_default_json_opts(const struct spec_default_opts *o);
