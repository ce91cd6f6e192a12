/* Unit tests for the exec fifo's failure report (src/runtime/sync.c): what the init writes after the
 * go-ahead when something fails after `start`, and how `start` turns it back into an error. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "runtime/sync.h"
#include "tap.h"

static void test_round_trip(void)
{
    struct urun_error in = {.errnum = ENOENT}, out = {0};
    int p[2];
    char buf[URUN_ERROR_MSG_MAX + 32];

    snprintf(in.msg, sizeof(in.msg), "exec /bin/script");
    TAP_OK(pipe(p) == 0, "pipe");
    TAP_OK(sync_fifo_report(p[1], &in) == 0, "report written");
    close(p[1]);
    ssize_t n = read(p[0], buf, sizeof(buf));
    close(p[0]);
    TAP_OK(n > 0, "report read");
    TAP_OK(sync_fifo_parse_report(buf, (size_t)n, &out) == -ENOENT, "parse returns -errno");
    TAP_OK(out.errnum == ENOENT, "errno kept");
    TAP_STREQ(out.msg, "exec /bin/script", "message kept");
}

static void test_long_message(void)
{
    struct urun_error in = {.errnum = EACCES}, out = {0};
    int p[2];
    char buf[URUN_ERROR_MSG_MAX + 32];

    memset(in.msg, 'x', sizeof(in.msg) - 1);
    in.msg[sizeof(in.msg) - 1] = '\0';
    TAP_OK(pipe(p) == 0 && sync_fifo_report(p[1], &in) == 0, "a full-length message is written in one piece");
    close(p[1]);
    ssize_t n = read(p[0], buf, sizeof(buf));
    close(p[0]);
    TAP_OK(n > 0 && sync_fifo_parse_report(buf, (size_t)n, &out) == -EACCES, "and parses");
    TAP_OK(strlen(out.msg) > 900 && out.msg[0] == 'x', "message survives (%zu bytes)", strlen(out.msg));
}

static void test_malformed(void)
{
    static const char *const bad[] = {"", "x", "12", "12x msg", "99999 msg", " 2 msg", "-1 msg"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct urun_error out = {0};
        int r = sync_fifo_parse_report(bad[i], strlen(bad[i]), &out);
        TAP_OK(r == -EPROTO && strstr(out.msg, "malformed report"), "malformed report \"%s\" refused", bad[i]);
    }
    struct urun_error out = {0};
    TAP_OK(sync_fifo_parse_report("0 startContainer hook failed", 28, &out) == -EINVAL && out.errnum == 0,
           "errno 0: an error without errno");
}

int main(void)
{
    test_round_trip();
    test_long_message();
    test_malformed();
    return tap_done();
}
