/* The config.json that `urun spec` writes: runc's default, adjusted so that it runs as-is for the
 * calling user (rootless: a user namespace mapping root to the caller, no gid=5 on devpts). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* A malloc'd, pretty-printed JSON document, or NULL on OOM. */
char *spec_default_json(bool rootless, uid_t uid, gid_t gid);
