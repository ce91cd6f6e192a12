/* Unit tests for the exec fifo's failure report (src/runtime/sync.c): what the init writes after the
 * go-ahead when something fails after `start`, and how `start` turns it back into an error. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
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

/* The phase table: both sides step through the planned phases in its order, skip the others, and a
 * phase out of order or taken twice is refused without a byte sent. */
static void test_phases(void)
{
    unsigned phases = SYNC_PHASE_MAPS | SYNC_PHASE_READY | SYNC_PHASE_GO;
    struct urun_error err = {0};
    int sv[2], fd = -1, got = -1, p[2];

    TAP_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0 && pipe(p) == 0, "socketpair");
    struct sync_chan parent = {.fd = sv[0], .phases = phases}, init = {.fd = sv[1], .phases = phases};

    TAP_OK(sync_step(&parent, SYNC_SIDE_PARENT, SYNC_PHASE_READY, &got, &err) == -EPROTO &&
               strstr(err.msg, "phase ready before phase maps"),
           "a phase before an earlier planned one is refused: %s", err.msg);
    TAP_OK(sync_step(&parent, SYNC_SIDE_PARENT, SYNC_PHASE_UNSHARED, NULL, &err) == 0 && parent.done == 0,
           "a phase that is not planned is skipped");
    TAP_OK(sync_step(&parent, SYNC_SIDE_PARENT, SYNC_PHASE_MAPS, NULL, &err) == 0, "parent sends maps");
    TAP_OK(sync_step(&init, SYNC_SIDE_INIT, SYNC_PHASE_MAPS, NULL, &err) == 0, "init receives maps");
    TAP_OK(sync_step(&parent, SYNC_SIDE_PARENT, SYNC_PHASE_MAPS, NULL, &err) == -EPROTO, "a phase twice is refused");
    fd = p[0];
    TAP_OK(sync_step(&init, SYNC_SIDE_INIT, SYNC_PHASE_READY, &fd, &err) == 0, "init sends ready with an fd");
    TAP_OK(sync_step(&parent, SYNC_SIDE_PARENT, SYNC_PHASE_READY, &got, &err) == 0 && got >= 0 && got != p[0],
           "parent receives ready and the fd");
    TAP_OK(sync_step(&parent, SYNC_SIDE_PARENT, SYNC_PHASE_GO, NULL, &err) == 0 &&
               sync_step(&init, SYNC_SIDE_INIT, SYNC_PHASE_GO, NULL, &err) == 0,
           "go");
    TAP_OK(parent.done == phases && init.done == phases, "both sides went through every planned phase");
    close(got);
    struct urun_error e = {.errnum = EACCES};
    snprintf(e.msg, sizeof(e.msg), "mount /proc");
    struct sync_chan c2p = {.fd = sv[0], .phases = SYNC_PHASE_READY};
    TAP_OK(sync_send(sv[1], SYNC_ERROR, &e) == 0 &&
               sync_step(&c2p, SYNC_SIDE_PARENT, SYNC_PHASE_READY, &got, &err) < 0 && err.errnum == EACCES &&
               strstr(err.msg, "mount /proc"),
           "an error in place of a phase's message is the init's error");
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    test_phases();
    test_round_trip();
    test_long_message();
    test_malformed();
    return tap_done();
}
