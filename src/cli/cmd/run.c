/* `urun run`: create + start + wait, see src/runtime/run.c. */
#include "runtime/run.h"
#include "cli/commands.h"

int cmd_run(struct urun_context *ctx, struct urun_error *err)
{
    struct run_opts o = {.detach = ctx->cl->set[OPT_DETACH], .keep = ctx->cl->set[OPT_KEEP]};
    struct cmd_image_bundle ib = {.lock = -1};
    int r = cmd_fill_create_opts(ctx, &o.create, err);
    if (r >= 0)
        r = cmd_image_prepare(ctx, &o.create, &ib, err);
    o.create.foreground = !o.detach;
    if (r >= 0)
        r = container_run(&ctx->root, &o, &urun_exit_status, err);
    cmd_image_finish(ctx, &ib, r);
    return r;
}
