/* `urun list [--format table|json] [--quiet]`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>

#include "cleanup.h"
#include "commands.h"
#include "container.h"
#include "json.h"

struct row {
    const char *id;
    struct urun_state *st;
    enum urun_status status;
};

static void owner_name(uid_t uid, char *buf, size_t size)
{
    struct passwd pw, *res = NULL;
    char tmp[1024];
    if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res)
        snprintf(buf, size, "%s", res->pw_name);
    else
        snprintf(buf, size, "%u", (unsigned)uid);
}

static void print_table(const struct row *rows, size_t n)
{
    int w[4] = {2, 3, 6, 6}; /* ID, PID, STATUS, BUNDLE */
    char pid[16];
    for (size_t i = 0; i < n; i++) {
        int l = (int)strlen(rows[i].id);
        w[0] = l > w[0] ? l : w[0];
        l = rows[i].st ? (int)strlen(rows[i].st->bundle) : 0;
        w[3] = l > w[3] ? l : w[3];
        w[2] = (int)strlen(urun_status_name(rows[i].status)) > w[2] ? (int)strlen(urun_status_name(rows[i].status)) : w[2];
        l = snprintf(pid, sizeof(pid), "%d", rows[i].st ? (int)rows[i].st->pid : 0);
        w[1] = l > w[1] ? l : w[1];
    }
    printf("%-*s   %-*s   %-*s   %-*s   %-30s   %s\n", w[0], "ID", w[1], "PID", w[2], "STATUS", w[3], "BUNDLE",
           "CREATED", "OWNER");
    for (size_t i = 0; i < n; i++) {
        const struct urun_state *st = rows[i].st;
        char owner[64] = "";
        int p = st && rows[i].status != URUN_STATUS_STOPPED ? (int)st->pid : 0;
        if (st)
            owner_name(st->owner, owner, sizeof(owner));
        printf("%-*s   %-*d   %-*s   %-*s   %-30s   %s\n", w[0], rows[i].id, w[1], p, w[2],
               urun_status_name(rows[i].status), w[3], st ? st->bundle : "", st ? st->created : "", owner);
    }
}

static int print_json(const struct row *rows, size_t n, struct urun_error *err)
{
    fputs("[", stdout);
    for (size_t i = 0, printed = 0; i < n; i++) {
        if (!rows[i].st)
            continue;
        _cleanup_free_ char *s = state_to_json(rows[i].st, rows[i].status, /* pretty= */ false);
        if (!s)
            return urun_error_set(err, 12, "format state");
        printf("%s%s", printed++ ? "," : "", s);
    }
    puts("]");
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
    rows = calloc(n ? n : 1, sizeof(*rows));
    if (!rows)
        return urun_error_set(err, 12, "list");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        struct urun_error ignored;
        rows[k].id = ids[i];
        /* A container deleted while we list it simply drops out. */
        if (container_load(&ctx->root, ids[i], 0, NULL, &rows[k].st, &rows[k].status, &ignored) == 0)
            k++;
    }
    if (ctx->cl->set[OPT_QUIET]) {
        for (size_t i = 0; i < k; i++)
            puts(rows[i].id);
    } else if (ctx->cl->set[OPT_FORMAT] && strcmp(ctx->cl->values[OPT_FORMAT], "json") == 0) {
        r = print_json(rows, k, err);
    } else {
        print_table(rows, k);
    }
    for (size_t i = 0; i < k; i++)
        state_free(rows[i].st);
    return r;
}
