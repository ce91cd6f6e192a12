/* `urun list [--format table|json] [--quiet]`.  A container whose state cannot be read is listed
 * too, as `unknown`: the table row says so and a warning gives the reason, as runc's list does; the
 * JSON object carries it in "error". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"

#include "base/alloc.h"
#include "base/error.h"
#include "base/escape.h"
#include "base/json.h"
#include "base/log.h"
#include "cli/commands.h"
#include "runtime/lifecycle.h"
#include "runtime/status.h"

struct row {
    const char *id;
    struct urun_state *st; /* NULL while creating, and when unknown */
    enum urun_status status;
    pid_t pid;   /* 0 once stopped; when unknown, the recorded init while it still runs */
    char *error; /* why the state is unknown */
};

static void print_table(const struct row *rows, size_t n)
{
    int w[4] = {2, 3, 6, 6}; /* ID, PID, STATUS, BUNDLE */
    char pid[16];
    for (size_t i = 0; i < n; i++) {
        int l = (int)strlen(rows[i].id);
        w[0] = l > w[0] ? l : w[0];
        l = rows[i].st ? (int)strlen(rows[i].st->bundle) : 0;
        w[3] = l > w[3] ? l : w[3];
        w[2] =
            (int)strlen(urun_status_name(rows[i].status)) > w[2] ? (int)strlen(urun_status_name(rows[i].status)) : w[2];
        l = snprintf(pid, sizeof(pid), "%d", (int)rows[i].pid);
        w[1] = l > w[1] ? l : w[1];
    }
    printf("%-*s   %-*s   %-*s   %-*s   %-30s   %s\n", w[0], "ID", w[1], "PID", w[2], "STATUS", w[3], "BUNDLE",
           "CREATED", "OWNER");
    for (size_t i = 0; i < n; i++) {
        const struct urun_state *st = rows[i].st;
        int p = (int)rows[i].pid;
        printf("%-*s   %-*d   %-*s   %-*s   %-30s   %s\n", w[0], rows[i].id, w[1], p, w[2],
               urun_status_name(rows[i].status), w[3], st ? st->bundle : "", st ? st->created : "",
               st && st->owner_name ? st->owner_name : "");
    }
}

static int print_json(const struct row *rows, size_t n, struct urun_error *err)
{
    fputs("[", stdout);
    for (size_t i = 0, printed = 0; i < n; i++) {
        if (!rows[i].st && !rows[i].error)
            continue;
        _cleanup_free_ char *s = rows[i].st ? state_to_json(rows[i].st, rows[i].status, /* pretty= */ false)
                                            : state_unknown_to_json(rows[i].id, rows[i].pid, rows[i].error, false);
        if (!s)
            return urun_error_set(err, EINVAL, "format the state of %s", rows[i].id);
        printf("%s%s", printed++ ? "," : "", s);
    }
    puts("]");
    return 0;
}

/* One row; -ENOENT when the container went away while we list (it simply drops out). */
static int load_row(const struct state_root *root, struct row *row)
{
    _cleanup_close_ int dirfd = -1;
    struct urun_error e = {0};
    struct state_procs p;
    char msg[URUN_ERROR_MSG_MAX + 64];
    int r;

    r = state_container_open(root, row->id, 0, &dirfd, &e);
    if (r == -ENOENT)
        return r;
    if (r >= 0)
        r = state_read(dirfd, &row->st, &e);
    if (r == -ENOENT) {
        row->status = URUN_STATUS_CREATING;
    } else if (r >= 0) {
        row->status = status_of(dirfd, row->st);
        row->pid = row->status == URUN_STATUS_STOPPED ? 0 : row->st->pid;
    } else {
        row->status = URUN_STATUS_UNKNOWN;
        row->error = xstrdup(urun_error_format(&e, msg, sizeof(msg)));
        if (dirfd >= 0 && state_procs_read(dirfd, &p, &e) >= 0 && status_proc_alive(p.pid, p.start_time))
            row->pid = p.pid;
    }
    return 0;
}

int cmd_list(struct urun_context *ctx, struct urun_error *err)
{
    _cleanup_strv_ char **ids = NULL;
    _cleanup_free_ struct row *rows = NULL;
    size_t n = 0;
    int r;

    r = state_list_ids(&ctx->root, &ids, err);
    if (r < 0)
        return r;
    for (char **p = ids; *p; p++)
        n++;
    rows = xcalloc(n ? n : 1, sizeof(*rows));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        rows[k].id = ids[i];
        r = load_row(&ctx->root, &rows[k]);
        if (r >= 0)
            k++;
    }
    r = 0;
    if (ctx->cl->set[OPT_QUIET]) {
        for (size_t i = 0; i < k; i++)
            puts(rows[i].id);
    } else if (ctx->cl->set[OPT_FORMAT] && strcmp(ctx->cl->values[OPT_FORMAT], "json") == 0) {
        r = print_json(rows, k, err);
    } else {
        print_table(rows, k);
        fflush(stdout);
        for (size_t i = 0; i < k; i++) {
            /* the reason may quote a tampered file (an annotation key): no raw control bytes to the terminal */
            _cleanup_free_ char *why = rows[i].error ? escape_text_dup(rows[i].error, strlen(rows[i].error)) : NULL;
            if (why)
                log_warning("container %s: status unknown: %s", rows[i].id, why);
        }
    }
    for (size_t i = 0; i < k; i++) {
        state_free(rows[i].st);
        free(rows[i].error);
    }
    return r;
}
