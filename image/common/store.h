/* The image store under the user's data directory ($XDG_DATA_HOME/urun, else ~/.local/share/urun):
 * the one module that knows its layout.  Shared by urun (which only reads it) and the urun-image
 * helper (which writes it, inside the user's namespace).  Uses base/ and spec/yamltree only; no
 * crypto and no archive library, so urun can link it.
 *
 *   images/NAME@TAG.json   one record per image (NAME with '/' as '+')
 *   configs/HEX.json       image configs, by digest (the image ID)
 *   layers/HEX/            unpacked layers, by the digest of their uncompressed tar (diff ID), in
 *                          overlayfs' format: whiteouts are 0/0 character devices, opaque directories
 *                          carry user.overlay.opaque=y
 *   tmp/                   work in progress; renamed into place on success
 *   lock                   flock: LOCK_EX to change the store, LOCK_SH to read layers in use */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define STORE_DOC_MAX (1u << 20) /* index.json, manifests, configs, records */
#define STORE_MAX_LAYERS 128     /* layers of one image (overlayfs takes 500 lower dirs at most) */
#define STORE_NAME_MAX 120       /* an image name */
#define STORE_TAG_MAX 128        /* a tag (the OCI distribution spec's limit) */
#define STORE_DIGEST_LEN 71      /* "sha256:" + 64 hex digits */

struct image_record {
    char *name;
    char *tag;
    char *config;  /* "sha256:HEX" of the config: the image ID */
    char **layers; /* diff IDs, bottom first, NULL-terminated */
    size_t n_layers;
    uint64_t size; /* bytes of the layers' tars */
    char *created; /* when it was imported, RFC 3339 */
};
void image_record_free(struct image_record *r);
static inline void image_record_freep(struct image_record **r)
{
    image_record_free(*r);
}

/* The store's absolute path (not created).  Errors when neither $XDG_DATA_HOME (absolute) nor $HOME
 * is usable. */
int store_path(char **ret, struct urun_error *err);
/* Open the store (O_DIRECTORY); with create, make it and its subdirectories (0700) first.  A store
 * that is not a directory owned by the caller is refused.  -ENOENT when absent and !create. */
int store_open(bool create, int *ret_fd, char **ret_path, struct urun_error *err);
/* flock the store's lock file: LOCK_EX or LOCK_SH.  The fd is the lock. */
int store_lock(int storefd, int op, int *ret_fd, struct urun_error *err);

/* "NAME[:TAG]" into name and tag (default "latest").  Names: [a-z0-9A-Z._/:-], no "..", no leading
 * '.', '/' or '-', at most STORE_NAME_MAX bytes; tags: [A-Za-z0-9_.-], not starting with '.' or '-'.
 * A ':' after the last '/' starts the tag (so "host:5000/x" is a name).  Pure. */
int image_ref_parse(const char *ref, char **ret_name, char **ret_tag, struct urun_error *err);
/* "sha256:" and 64 lowercase hex digits.  Pure. */
bool image_digest_valid(const char *d);
/* The record's file name under images/: "NAME@TAG.json" with '/' as '+'.  Pure. */
void image_record_file(const char *name, const char *tag, char out[256]);

/* Record as JSON (pretty), malloc'd; NULL on OOM.  Parse checks every field. */
char *image_record_to_json(const struct image_record *r);
int image_record_parse(const char *buf, size_t len, struct image_record **ret, struct urun_error *err);
/* Load images/FILE of the open store.  -ENOENT (err set: "image NAME:TAG not found") when absent. */
int image_record_load(int storefd, const char *name, const char *tag, struct image_record **ret,
                      struct urun_error *err);
/* Every record of the store, sorted by name then tag; unreadable records are skipped. */
int image_record_list(int storefd, struct image_record ***ret, size_t *ret_n, struct urun_error *err);
void image_record_list_free(struct image_record **v, size_t n);
