/* `urun exec [options] ID [--] CMD...`: see src/runtime/exec.c. */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "cli/commands.h"
#include "runtime/exec.h"

int cmd_exec(struct urun_context *ctx, struct urun_error *err)
{
    const struct urun_cmdline *cl = ctx->cl;
    const char *env[URUN_CMDLINE_MAX_REPEAT], *caps[URUN_CMDLINE_MAX_REPEAT];
    struct exec_opts o = {
        .id = ctx->id,
        .process_file = cl->set[OPT_PROCESS] ? cl->values[OPT_PROCESS] : NULL,
        /* "ID -- CMD": the "--" is the command line's, not the command's */
        .argv = cl->n_args > 1 ? cl->args + 1 + (cl->n_args > 2 && strcmp(cl->args[1], "--") == 0) : NULL,
        .tty = cl->set[OPT_TTY],
        .tty_set = cl->set[OPT_TTY],
        .console_socket = cl->set[OPT_CONSOLE_SOCKET] ? cl->values[OPT_CONSOLE_SOCKET] : NULL,
        .detach = cl->set[OPT_DETACH],
        .pid_file = cl->set[OPT_PID_FILE] ? cl->values[OPT_PID_FILE] : NULL,
        .env = env,
        .cwd = cl->set[OPT_CWD] ? cl->values[OPT_CWD] : NULL,
        .user = cl->set[OPT_USER] ? cl->values[OPT_USER] : NULL,
        .caps = caps,
        .no_new_privs = cl->set[OPT_NO_NEW_PRIVS],
        .ignore_paused = cl->set[OPT_IGNORE_PAUSED],
    };

    urun_cmdline_all(cl, OPT_ENV, env, URUN_CMDLINE_MAX_REPEAT);
    urun_cmdline_all(cl, OPT_CAP, caps, URUN_CMDLINE_MAX_REPEAT);
    struct urun_passed_fds fds;
    int r = urun_cmdline_passed_fds(cl, &fds, err);
    if (r < 0)
        return r;
    o.preserve_fds = fds.preserve;
    if (cl->set[OPT_APPARMOR] || cl->set[OPT_PROCESS_LABEL])
        log_info("exec: --apparmor and --process-label are ignored: urun sets no LSM labels");
    if (o.process_file && o.argv)
        return urun_error_set(err, 0, "exec: give either --process FILE or a command, not both");
    return container_exec(&ctx->root, &o, &urun_exit_status, err);
}
