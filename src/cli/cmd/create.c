/* `urun create`: options to struct, then container_create. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "runtime/lifecycle.h"
#include "runtime/run.h"

static int rootless_mode(const struct urun_cmdline *cl)
{
    if (!cl->set[OPT_ROOTLESS] || strcmp(cl->values[OPT_ROOTLESS], "auto") == 0)
        return -1;
    return strcmp(cl->values[OPT_ROOTLESS], "true") == 0;
}

int cmd_fill_create_opts(const struct urun_context *ctx, struct container_create_opts *o, struct urun_error *err)
{
    const struct urun_cmdline *cl = ctx->cl;

    *o = (struct container_create_opts){
        .id = ctx->id,
        .bundle = cl->set[OPT_BUNDLE] ? cl->values[OPT_BUNDLE] : ".",
        .pid_file = cl->set[OPT_PID_FILE] ? cl->values[OPT_PID_FILE] : NULL,
        .console_socket = cl->set[OPT_CONSOLE_SOCKET] ? cl->values[OPT_CONSOLE_SOCKET] : NULL,
        .no_pivot = cl->set[OPT_NO_PIVOT],
        .no_new_keyring = cl->set[OPT_NO_NEW_KEYRING],
        .rootless = rootless_mode(cl),
        .no_cgroup = cl->set[OPT_CGROUP_MANAGER] && strcmp(cl->values[OPT_CGROUP_MANAGER], "disabled") == 0,
    };
    /* Socket activation, as runc: fds meant for urun itself (LISTEN_PID is us) go on to the container. */
    struct urun_passed_fds fds;
    int r = urun_cmdline_passed_fds(cl, &fds, err);
    if (r < 0)
        return r;
    o->listen_fds = fds.listen;
    o->preserve_fds = fds.preserve;
    static const char *publish[URUN_CMDLINE_MAX_REPEAT];
    if (urun_cmdline_all(cl, OPT_PUBLISH, publish, URUN_CMDLINE_MAX_REPEAT) > 0)
        o->publish = (char *const *)publish;
    o->network = cl->set[OPT_NETWORK] ? cl->values[OPT_NETWORK] : NULL;
    o->allow_host_loopback = cl->set[OPT_ALLOW_HOST_LOOPBACK];
    return 0;
}

int cmd_create(struct urun_context *ctx, struct urun_error *err)
{
    struct container_create_opts o;
    struct container_created c;
    int r = cmd_fill_create_opts(ctx, &o, err);
    if (r < 0)
        return r;
    r = container_create(&ctx->root, &o, &c, err);
    if (r >= 0 && c.pidfd >= 0)
        close(c.pidfd);
    return r;
}
