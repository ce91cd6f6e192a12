/* `urun spec [--rootless] [--bundle DIR]`: write a starter config.json, never over an existing one. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "cli/commands.h"
#include "spec/spec_default.h"

int cmd_spec(struct urun_context *ctx, struct urun_error *err)
{
    const char *dir = ctx->cl->set[OPT_BUNDLE] ? ctx->cl->values[OPT_BUNDLE] : ".";
    _cleanup_free_ char *path = xasprintf("%s/config.json", dir);
    _cleanup_free_ char *json = NULL;
    _cleanup_close_ int fd = -1;
    int r;

    json = spec_default_json(ctx->cl->set[OPT_SPEC_ROOTLESS]);
    if (!json)
        return urun_error_set(err, EINVAL, "spec: build the default config");
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 && errno == EEXIST)
        return urun_error_set(err, EEXIST, "spec: %s exists; remove it first", path);
    if (fd < 0)
        return urun_error_errno(err, "spec: create %s", path);
    size_t len = strlen(json);
    json[len] = '\n';
    r = write_all(fd, json, len + 1);
    if (r < 0)
        return urun_error_set(err, -r, "spec: write %s", path);
    return 0;
}
