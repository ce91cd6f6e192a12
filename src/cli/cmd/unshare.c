/* `urun unshare [--] CMD...`: see src/runtime/unshare.c. */
#include "runtime/unshare.h"
#include "cli/commands.h"

int cmd_unshare(struct urun_context *ctx, struct urun_error *err)
{
    return urun_unshare(ctx->cl->args, &urun_exit_status, err);
}
