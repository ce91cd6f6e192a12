/* The config.json of a container made from an image: the image's process (Entrypoint + Cmd, Env,
 * WorkingDir, User resolved in its /etc/passwd, StopSignal, labels as annotations) over the defaults
 * of `urun spec --rootless`, then what the user changed on the command line.  Reads the image's
 * /etc/passwd and /etc/group from its layers in the store; writes nothing. */
#pragma once

#include <stdbool.h>

#include "base/error.h"
#include "image/common/imgconfig.h"
#include "image/common/store.h"

struct image_overrides {
    char *const *args;          /* CMD ARGS after the ID, or NULL for the image's Cmd */
    const char *const *env;     /* -e KEY=VALUE, NULL-terminated or NULL */
    const char *const *volumes; /* -v SRC:DST[:ro] */
    const char *workdir;        /* --workdir */
    const char *user;           /* --user NAME|UID[:GROUP|GID] */
    bool read_only;             /* --read-only */
};

/* layersfd: the store's layers/ directory. */
int image_spec_json(int layersfd, const struct image_record *rec, const struct image_config *cfg,
                    const struct image_overrides *o, char **ret_json, struct urun_error *err);

/* Exported for tests: "NAME|UID[:GROUP|GID]" against passwd and group texts (either may be NULL). */
int image_user_resolve(const char *user, const char *passwd, const char *group, unsigned *ret_uid, unsigned *ret_gid,
                       struct urun_error *err);
