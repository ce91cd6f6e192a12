/* `urun unshare [--] CMD...`: see src/unshare.c. */
#include "commands.h"
#include "unshare.h"

int cmd_unshare(struct urun_context *ctx, struct urun_error *err)
{
    return urun_unshare(ctx->cl->args, &urun_exit_status, err);
}
