/* `urun state ID`: the OCI state document on stdout. */
#include <stdio.h>
#include <stdlib.h>

#include "base/cleanup.h"
#include "cli/commands.h"
#include "runtime/lifecycle.h"

int cmd_state(struct urun_context *ctx, struct urun_error *err)
{
    _cleanup_(state_freep) struct urun_state *st = NULL;
    enum urun_status status;
    int r = container_load(&ctx->root, ctx->id, 0, NULL, &st, &status, err);
    if (r < 0)
        return r;
    if (!st)
        return urun_error_set(err, 0, "container %s is still being created", ctx->id);
    _cleanup_free_ char *json = state_to_json(st, status, /* pretty= */ true);
    if (!json)
        return urun_error_set(err, 12, "format state");
    printf("%s\n", json);
    return 0;
}
