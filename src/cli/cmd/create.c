/* `urun create`: options to struct, then container_create. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "runtime/image.h"
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

static const enum urun_opt_key image_only[] = {OPT_ENV, OPT_VOLUME, OPT_WORKDIR, OPT_USER, OPT_READ_ONLY};
static const char *const image_only_names[] = {"env", "volume", "workdir", "user", "read-only"};

int cmd_image_prepare(const struct urun_context *ctx, struct container_create_opts *o, struct cmd_image_bundle *ret,
                      struct urun_error *err)
{
    const struct urun_cmdline *cl = ctx->cl;
    static const char *env[URUN_CMDLINE_MAX_REPEAT], *vol[URUN_CMDLINE_MAX_REPEAT];

    *ret = (struct cmd_image_bundle){.lock = -1};
    if (!cl->set[OPT_IMAGE]) {
        for (size_t i = 0; i < sizeof(image_only) / sizeof(image_only[0]); i++)
            if (cl->set[image_only[i]])
                return urun_error_set(err, 0, "--%s needs --image (a bundle's config says it)", image_only_names[i]);
        if (cl->n_args > 1)
            return urun_error_set(err, 0, "too many arguments: a command after the ID needs --image");
        return 0;
    }
    if (cl->set[OPT_BUNDLE])
        return urun_error_set(err, 0, "--image and --bundle: give one (--image makes the bundle)");
    urun_cmdline_all(cl, OPT_ENV, env, URUN_CMDLINE_MAX_REPEAT);
    urun_cmdline_all(cl, OPT_VOLUME, vol, URUN_CMDLINE_MAX_REPEAT);
    struct image_overrides ov = {.args = cl->n_args > 1 ? cl->args + 1 : NULL,
                                 .env = env,
                                 .volumes = vol,
                                 .workdir = cl->set[OPT_WORKDIR] ? cl->values[OPT_WORKDIR] : NULL,
                                 .user = cl->set[OPT_USER] ? cl->values[OPT_USER] : NULL,
                                 .read_only = cl->set[OPT_READ_ONLY]};
    int r = image_bundle_prepare(&ctx->root, ctx->id, cl->values[OPT_IMAGE], &ov, &ret->bundle, &ret->lock, err);
    if (r >= 0)
        o->bundle = ret->bundle;
    return r;
}

void cmd_image_finish(const struct urun_context *ctx, struct cmd_image_bundle *b, int r)
{
    struct urun_error ignored;
    if (b->bundle && r < 0)
        image_bundle_discard(&ctx->root, ctx->id, &ignored);
    free(b->bundle);
    if (b->lock >= 0)
        close(b->lock);
}

int cmd_create(struct urun_context *ctx, struct urun_error *err)
{
    struct container_create_opts o;
    struct container_created c;
    struct cmd_image_bundle ib = {.lock = -1};
    int r = cmd_fill_create_opts(ctx, &o, err);
    if (r >= 0)
        r = cmd_image_prepare(ctx, &o, &ib, err);
    if (r >= 0)
        r = container_create(&ctx->root, &o, &c, err);
    if (r >= 0 && c.pidfd >= 0)
        close(c.pidfd);
    cmd_image_finish(ctx, &ib, r);
    return r;
}
