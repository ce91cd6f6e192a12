/* `urun delete [--force] ID`. */
#include "cli/commands.h"
#include "runtime/lifecycle.h"

int cmd_delete(struct urun_context *ctx, struct urun_error *err)
{
    return container_delete(&ctx->root, ctx->id, ctx->cl->set[OPT_FORCE], err);
}
