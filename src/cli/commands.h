/* Entry points of the CLI verbs (src/cmd/), referenced only by the command table. */
#pragma once

#include "base/error.h"
#include "cli/cmdline.h"
#include "runtime/state.h"

/* What every command gets: the parsed command line and, for CMD_NEEDS_ROOT commands, the open root. */
struct urun_context {
    const struct urun_cmdline *cl;
    struct state_root root;
    const char *id; /* first positional, validated, for CMD_TAKES_ID commands */
};

int cmd_create(struct urun_context *ctx, struct urun_error *err);
int cmd_start(struct urun_context *ctx, struct urun_error *err);
int cmd_run(struct urun_context *ctx, struct urun_error *err);
int cmd_state(struct urun_context *ctx, struct urun_error *err);
int cmd_kill(struct urun_context *ctx, struct urun_error *err);
int cmd_delete(struct urun_context *ctx, struct urun_error *err);
int cmd_list(struct urun_context *ctx, struct urun_error *err);
int cmd_spec(struct urun_context *ctx, struct urun_error *err);
int cmd_features(struct urun_context *ctx, struct urun_error *err);
int cmd_ps(struct urun_context *ctx, struct urun_error *err);
int cmd_exec(struct urun_context *ctx, struct urun_error *err);
int cmd_pause(struct urun_context *ctx, struct urun_error *err);
int cmd_resume(struct urun_context *ctx, struct urun_error *err);
int cmd_update(struct urun_context *ctx, struct urun_error *err);
int cmd_unshare(struct urun_context *ctx, struct urun_error *err);
int cmd_image(struct urun_context *ctx, struct urun_error *err);
int cmd_image_import(struct urun_context *ctx, struct urun_error *err);
int cmd_image_list(struct urun_context *ctx, struct urun_error *err);
int cmd_image_rm(struct urun_context *ctx, struct urun_error *err);
int cmd_image_prune(struct urun_context *ctx, struct urun_error *err);
int cmd_image_bundle(struct urun_context *ctx, struct urun_error *err);
int cmd_completion(struct urun_context *ctx, struct urun_error *err);
int cmd_help(struct urun_context *ctx, struct urun_error *err);

struct container_create_opts;
/* create and run share their options (cmd/create.c). */
int cmd_fill_create_opts(const struct urun_context *ctx, struct container_create_opts *o, struct urun_error *err);

/* create --image and run --image (cmd/create.c): the bundle urun made, and the lock that keeps
 * other creates of the ID away until create is done.  Without --image, nothing (and the image-only
 * options are refused); finish removes the bundle when create failed before the container existed. */
struct cmd_image_bundle {
    char *bundle;
    int lock;
};
int cmd_image_prepare(const struct urun_context *ctx, struct container_create_opts *o, struct cmd_image_bundle *ret,
                      struct urun_error *err);
void cmd_image_finish(const struct urun_context *ctx, struct cmd_image_bundle *b, int r);

/* Exit status a command wants main to return when it succeeded (run passes the container's on). */
extern int urun_exit_status;
