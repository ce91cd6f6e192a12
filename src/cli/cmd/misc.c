/* `urun completion SHELL` and `urun help [--man] [COMMAND]`: text generated from the command table. */
#include "cli/commands.h"
#include "cli/usage.h"

int cmd_completion(struct urun_context *ctx, struct urun_error *err)
{
    return urun_print_completion(ctx->cl->args[0], err);
}

/* `urun help CMD` prints exactly what `urun CMD --help` does; --man is for the build (urun.1). */
int cmd_help(struct urun_context *ctx, struct urun_error *err)
{
    const struct urun_cmdline *cl = ctx->cl;
    const struct urun_command *cmd = NULL;

    if (cl->n_args == 1) {
        cmd = urun_command_find(cl->args[0]);
        if (!cmd)
            return urun_error_set(err, 0, "help: unknown command \"%s\" (urun help lists them)", cl->args[0]);
    }
    if (cl->set[OPT_MAN]) {
        if (cmd)
            return urun_error_set(err, 0, "help: --man prints every command and takes no command name");
        urun_print_man();
        return 0;
    }
    urun_print_usage(cmd);
    return 0;
}
