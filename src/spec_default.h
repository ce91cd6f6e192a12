/* The config.json that `urun spec` writes: runc's default, adjusted so that it runs as-is for the
 * calling user (rootless: a user namespace mapping root to the caller, no gid=5 on devpts). */
#pragma once

#include <stdbool.h>

#include "idmap.h"

/* A malloc'd, pretty-printed JSON document, or NULL on OOM.  maps: the user namespace's maps for a
 * rootless spec, NULL for none. */
char *spec_default_json(const struct idmap *maps);
