/* `urun ps [--format table|json] ID`: the container's processes, found through its pid namespace.
 * Their command lines are the container's text: escaped before they reach the caller's terminal. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/escape.h"
#include "base/util.h"
#include "cli/commands.h"
#include "runtime/lifecycle.h"

#define CMDLINE_MAX 4096

/* /proc/PID/cmdline, arguments joined by spaces: at most CMDLINE_MAX bytes of it (a longer one ends
 * in "..."), with every control character escaped, since the container writes it (escape.h). */
static char *command_line(pid_t pid)
{
    char path[64], buf[CMDLINE_MAX + 1];
    _cleanup_close_ int fd = -1;
    size_t len = 0;
    ssize_t n;

    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    while (fd >= 0 && len < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        len += (size_t)n;
    }
    bool cut = len > CMDLINE_MAX;
    len = cut ? CMDLINE_MAX : len;
    while (len > 0 && buf[len - 1] == '\0')
        len--;
    for (size_t i = 0; i < len; i++)
        if (buf[i] == '\0')
            buf[i] = ' ';
    char *cmd = escape_text_dup(buf, len);
    if (cut) {
        cmd = xreallocarray(cmd, strlen(cmd) + 4, 1);
        strcat(cmd, "...");
    }
    return cmd;
}

static void show(pid_t pid)
{
    char path[64], status[4096] = "";
    _cleanup_free_ char *buf = NULL, *cmd = NULL;
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
    cmd = command_line(pid);
    printf("%-8u %-8d %-8d %s\n", uid, (int)pid, ppid, cmd ? cmd : "");
}

int cmd_ps(struct urun_context *ctx, struct urun_error *err)
{
    _cleanup_(state_freep) struct urun_state *st = NULL;
    _cleanup_free_ pid_t *pids = NULL;
    _cleanup_close_ int dirfd = -1;
    enum urun_status status;
    size_t n;
    int r;

    r = container_load(&ctx->root, ctx->id, 0, &dirfd, &st, &status, err);
    if (r < 0)
        return r;
    if (!st || (status != URUN_STATUS_RUNNING && status != URUN_STATUS_CREATED && status != URUN_STATUS_PAUSED))
        return urun_error_set(err, 0, "container %s is not running (%s)", ctx->id, urun_status_name(status));
    r = container_pids(dirfd, st, &pids, &n, err);
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
