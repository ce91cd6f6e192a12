/* `urun start`: release a created container's process. */
#include "cli/commands.h"
#include "runtime/lifecycle.h"

int cmd_start(struct urun_context *ctx, struct urun_error *err)
{
    return container_start(&ctx->root, ctx->id, err);
}
