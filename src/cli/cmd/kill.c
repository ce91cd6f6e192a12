/* `urun kill [--all] ID [SIGNAL]`. */
#include "base/signals.h"
#include "cli/commands.h"
#include "runtime/lifecycle.h"

int cmd_kill(struct urun_context *ctx, struct urun_error *err)
{
    const char *name = ctx->cl->n_args > 1 ? ctx->cl->args[1] : "TERM";
    int sig = urun_signal_parse(name);
    if (sig < 0)
        return urun_error_set(err, 0, "kill: unknown signal \"%s\"", name);
    return container_kill(&ctx->root, ctx->id, sig, ctx->cl->set[OPT_ALL], err);
}
