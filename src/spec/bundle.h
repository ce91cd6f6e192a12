/* An OCI bundle on disk: its directory, its config (config.json, else config.yaml) parsed into a
 * spec, and its rootfs, all checked before anything is created. */
#pragma once

#include "base/error.h"
#include "spec/spec.h"

struct urun_bundle {
    char *path;   /* absolute, canonical */
    char *rootfs; /* absolute, canonical */
    struct urun_spec *spec;
    char *config; /* the config's bytes, kept for hooks that run after create */
    size_t config_len;
};

int bundle_load(const char *dir, struct urun_bundle *ret, struct urun_error *err);
void bundle_clear(struct urun_bundle *b);
