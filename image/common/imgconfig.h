/* An OCI image config (image-spec config.md; Docker's is the same document): what urun uses of it.
 * Pure: bytes in, struct out.  Bounded by yamltree's limits and STORE_DOC_MAX. */
#pragma once

#include <stddef.h>

#include "base/error.h"

struct image_label {
    char *key, *value;
};

struct image_config {
    char **entrypoint; /* NULL-terminated, NULL when absent */
    char **cmd;
    char **env;
    char *workdir; /* NULL when absent or empty */
    char *user;
    char *stop_signal;
    struct image_label *labels;
    size_t n_labels;
    char **diff_ids; /* rootfs.diff_ids, NULL-terminated, each a valid sha256 digest */
    size_t n_diff_ids;
};

int image_config_parse(const char *buf, size_t len, struct image_config **ret, struct urun_error *err);
void image_config_free(struct image_config *c);
static inline void image_config_freep(struct image_config **c)
{
    image_config_free(*c);
}
