/* `urun ps [--format table|json] ID`: the container's processes, found through its pid namespace. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "commands.h"
#include "container.h"
#include "util.h"

static void show(pid_t pid)
{
    char path[64], status[4096] = "", cmd[4096] = "";
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    unsigned uid = 0;
    int ppid = 0;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if (read_file_at(AT_FDCWD, path, sizeof(status), &buf, &len, NULL) == 0) {
        const char *u = strstr(buf, "\nUid:"), *p = strstr(buf, "\nPPid:");
        if (u)
            sscanf(u + 5, "%u", &uid);
        if (p)
            sscanf(p + 6, "%d", &ppid);
    }
    free(TAKE_PTR(buf));
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    if (read_file_at(AT_FDCWD, path, sizeof(cmd), &buf, &len, NULL) == 0) {
        for (size_t i = 0; i + 1 < len; i++)
            if (buf[i] == '\0')
                buf[i] = ' ';
        snprintf(cmd, sizeof(cmd), "%s", buf);
    }
    printf("%-8u %-8d %-8d %s\n", uid, (int)pid, ppid, cmd);
}

int cmd_ps(struct urun_context *ctx, struct urun_error *err)
{
    _cleanup_(state_freep) struct urun_state *st = NULL;
    _cleanup_free_ pid_t *pids = NULL;
    enum urun_status status;
    size_t n;
    int r;

    r = container_load(&ctx->root, ctx->id, 0, NULL, &st, &status, err);
    if (r < 0)
        return r;
    if (!st || (status != URUN_STATUS_RUNNING && status != URUN_STATUS_CREATED && status != URUN_STATUS_PAUSED))
        return urun_error_set(err, 0, "container %s is not running (%s)", ctx->id, urun_status_name(status));
    r = container_pids(st, &pids, &n, err);
    if (r < 0)
        return urun_error_wrap(err, r, "ps");
    if (ctx->cl->set[OPT_FORMAT] && strcmp(ctx->cl->values[OPT_FORMAT], "json") == 0) {
        printf("[");
        for (size_t i = 0; i < n; i++)
            printf("%s%d", i ? "," : "", (int)pids[i]);
        printf("]\n");
        return 0;
    }
    printf("%-8s %-8s %-8s %s\n", "UID", "PID", "PPID", "CMD");
    for (size_t i = 0; i < n; i++)
        show(pids[i]);
    return 0;
}
