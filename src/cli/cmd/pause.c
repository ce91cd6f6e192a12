/* `urun pause ID` and `urun resume ID`: the container's cgroup.freeze. */
#include "cli/commands.h"
#include "runtime/lifecycle.h"

int cmd_pause(struct urun_context *ctx, struct urun_error *err)
{
    return container_pause(&ctx->root, ctx->id, /* freeze= */ true, err);
}

int cmd_resume(struct urun_context *ctx, struct urun_error *err)
{
    return container_pause(&ctx->root, ctx->id, /* freeze= */ false, err);
}
