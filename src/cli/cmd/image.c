/* `urun image import|list|rm|prune|bundle`: options to calls.  Import, rm, prune and bundle run the
 * urun-image helper (runtime/image.h); list reads the store here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "base/util.h"
#include "cli/commands.h"
#include "cli/usage.h"
#include "container/mounts.h"
#include "image/common/store.h"
#include "runtime/image.h"

int cmd_image(struct urun_context *ctx, struct urun_error *err)
{
    if (ctx->cl->n_args > 0)
        return urun_error_set(err, 0, "image: unknown command \"%s\" (see urun image --help)", ctx->cl->args[0]);
    urun_print_usage(urun_command_find("image"));
    return urun_error_set(err, 0, "image: no command given");
}

int cmd_image_import(struct urun_context *ctx, struct urun_error *err)
{
    const char *args[] = {"import", ctx->cl->args[0], ctx->cl->n_args > 1 ? ctx->cl->args[1] : NULL, NULL};
    /* inside the user's namespace: the layers' owners are the subordinate IDs they map to */
    return image_helper_run(args, /* userns= */ true, err);
}

int cmd_image_rm(struct urun_context *ctx, struct urun_error *err)
{
    const char *args[] = {"rm", ctx->cl->args[0], NULL};
    _cleanup_free_ char *users = NULL;
    int r = image_users(&ctx->root, ctx->cl->args[0], &users, err);
    if (r < 0)
        return r;
    if (users && !ctx->cl->set[OPT_FORCE])
        return urun_error_set(err, EBUSY, "image %s: in use by container %s (delete it first, or --force)",
                              ctx->cl->args[0], users);
    return image_helper_run(args, /* userns= */ false, err);
}

/* The layers of the overlay rootfs of any container in the state root stay (its image may have
 * been removed with rm --force): the helper reads their bundles. */
int cmd_image_prune(struct urun_context *ctx, struct urun_error *err)
{
    _cleanup_free_ char *bundles = xasprintf("%s/%s", ctx->root.path, STATE_IMAGE_DIR);
    const char *args[] = {"prune", bundles, MOUNTS_OVERLAY_FILE, NULL};
    return image_helper_run(args, /* userns= */ true, err);
}

int cmd_image_bundle(struct urun_context *ctx, struct urun_error *err)
{
    return image_bundle_write(ctx->cl->args[0], ctx->cl->args[1], err);
}

static void print_json(struct image_record **v, size_t n)
{
    struct json_writer w;
    json_init(&w, /* pretty= */ true);
    json_begin_array(&w);
    for (size_t i = 0; i < n; i++) {
        json_begin_object(&w);
        json_kv_string(&w, "name", v[i]->name);
        json_kv_string(&w, "tag", v[i]->tag);
        json_kv_string(&w, "id", v[i]->config);
        json_kv_string_array(&w, "layers", (const char *const *)v[i]->layers);
        json_kv_uint(&w, "size", v[i]->size);
        json_kv_string(&w, "created", v[i]->created);
        json_end_object(&w);
    }
    json_end_array(&w);
    char *s = json_steal(&w, NULL);
    json_free(&w);
    if (s)
        printf("%s\n", s);
    free(s);
}

int cmd_image_list(struct urun_context *ctx, struct urun_error *err)
{
    const struct urun_cmdline *cl = ctx->cl;
    struct image_record **v = NULL;
    size_t n = 0;
    int storefd = -1;
    int r = store_open(/* create= */ false, &storefd, NULL, err);

    if (r >= 0) {
        r = image_record_list(storefd, &v, &n, err);
        close(storefd);
    }
    if (r < 0 && r != -ENOENT)
        return r;
    if (cl->set[OPT_FORMAT] && strcmp(cl->values[OPT_FORMAT], "json") == 0)
        print_json(v, n);
    else if (cl->set[OPT_QUIET])
        for (size_t i = 0; i < n; i++)
            printf("%s:%s\n", v[i]->name, v[i]->tag);
    else {
        printf("%-40s %-16s %-14s %6s %10s  %s\n", "NAME", "TAG", "ID", "LAYERS", "SIZE", "IMPORTED");
        for (size_t i = 0; i < n; i++)
            printf("%-40s %-16s %-14.12s %6zu %8.1fMB  %s\n", v[i]->name, v[i]->tag, v[i]->config + 7, v[i]->n_layers,
                   (double)v[i]->size / 1e6, v[i]->created);
    }
    image_record_list_free(v, n);
    return 0;
}
