/* `urun completion SHELL`: completion scripts generated from the command table. */
#include "cli/commands.h"

int cmd_completion(struct urun_context *ctx, struct urun_error *err)
{
    return urun_print_completion(ctx->cl->args[0], err);
}
