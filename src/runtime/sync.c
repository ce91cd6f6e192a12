/* Implementation of sync.h.  The wire format is one struct per datagram: never parsed from text. */
#include "runtime/sync.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

struct sync_msg {
    uint32_t type;
    int32_t errnum;
    char msg[URUN_ERROR_MSG_MAX];
};

static int send_with_fd(int sock, const void *data, size_t len, int pass_fd)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

    if (pass_fd >= 0) {
        memset(&u, 0, sizeof(u));
        mh.msg_control = u.buf;
        mh.msg_controllen = sizeof(u.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
    }
    for (;;) {
        if (sendmsg(sock, &mh, MSG_NOSIGNAL) >= 0)
            return 0;
        if (errno != EINTR)
            return -errno;
    }
}

int send_fd_named(int sock, int pass_fd, const char *name)
{
    return send_with_fd(sock, name, strlen(name), pass_fd);
}

int sync_send_fd(int fd, enum sync_type type, int pass_fd)
{
    struct sync_msg m = {.type = type};
    return send_with_fd(fd, &m, offsetof(struct sync_msg, msg), pass_fd);
}

int sync_send(int fd, enum sync_type type, const struct urun_error *payload)
{
    struct sync_msg m = {.type = type};
    size_t len = offsetof(struct sync_msg, msg);

    if (payload) {
        m.errnum = payload->errnum;
        size_t l = strnlen(payload->msg, sizeof(m.msg) - 1);
        memcpy(m.msg, payload->msg, l);
        len += l + 1;
    }
    for (;;) {
        ssize_t n = send(fd, &m, len, MSG_NOSIGNAL);
        if (n >= 0)
            return 0;
        if (errno != EINTR)
            return -errno;
    }
}

int sync_send_pid(int fd, pid_t pid)
{
    struct sync_msg m = {.type = SYNC_PID, .errnum = (int32_t)pid};
    return send_with_fd(fd, &m, offsetof(struct sync_msg, msg), -1);
}

int sync_respawn(int fd, const char *what, struct urun_error *err)
{
    int go[2];
    char c;
    ssize_t n;

    if (pipe2(go, O_CLOEXEC) < 0)
        return urun_error_errno(err, "%s: pipe", what);
    pid_t child = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, NULL);
    if (child < 0) {
        int r = urun_error_errno(err, "%s", what);
        close(go[0]);
        close(go[1]);
        return r;
    }
    if (child > 0) {
        /* Both processes write to the same socket: the child may speak only once SYNC_PID is out. */
        bool ok = sync_send_pid(fd, child) == 0;
        ok = write(go[1], "g", 1) == 1 && ok;
        _exit(ok ? 0 : 1);
    }
    close(go[1]);
    do
        n = read(go[0], &c, 1);
    while (n < 0 && errno == EINTR);
    close(go[0]);
    if (n != 1)
        _exit(1); /* the reporter died first: urun sees the sync socket close */
    return 0;
}

int sync_expect_pid(int fd, pid_t *ret_pid, struct urun_error *err)
{
    struct sync_msg m;
    ssize_t n;
    do
        n = recv(fd, &m, sizeof(m), 0);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return urun_error_errno(err, "read from container init");
    if (n == 0)
        return urun_error_set(err, 0, "container init exited during setup");
    if (m.type == SYNC_ERROR) {
        m.msg[sizeof(m.msg) - 1] = '\0';
        return urun_error_set(err, m.errnum, "%s", (size_t)n > offsetof(struct sync_msg, msg) ? m.msg : "");
    }
    if (m.type != SYNC_PID || m.errnum <= 0)
        return urun_error_set(err, EPROTO, "unexpected message %u from container init", m.type);
    *ret_pid = (pid_t)m.errnum;
    return 0;
}

int sync_expect(int fd, enum sync_type expected, struct urun_error *err)
{
    return sync_expect_fd(fd, expected, NULL, err);
}

int sync_expect_fd(int fd, enum sync_type expected, int *ret_fd, struct urun_error *err)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } u;
    struct sync_msg m;
    struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    int got_fd = -1;
    ssize_t n;

    if (ret_fd)
        *ret_fd = -1;
    do
        n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
                memcpy(&got_fd, CMSG_DATA(c), sizeof(int));
    /* An fd nobody asked for is closed, never kept. */
    if (got_fd >= 0 && (!ret_fd || m.type != (uint32_t)expected)) {
        close(got_fd);
        got_fd = -1;
    }
    if (n < 0)
        return urun_error_errno(err, "read from container init");
    if (n == 0)
        return urun_error_set(err, 0, "container init exited during setup");
    if ((size_t)n < offsetof(struct sync_msg, msg))
        return urun_error_set(err, EPROTO, "short message from container init");
    if (m.type == SYNC_ERROR) {
        m.msg[sizeof(m.msg) - 1] = '\0';
        if ((size_t)n == offsetof(struct sync_msg, msg))
            m.msg[0] = '\0';
        return urun_error_set(err, m.errnum, "%s", m.msg);
    }
    if (m.type != (uint32_t)expected)
        return urun_error_set(err, EPROTO, "unexpected message %u from container init", m.type);
    if (ret_fd)
        *ret_fd = got_fd;
    return 0;
}

int sync_fifo_report(int fd, const struct urun_error *err)
{
    char buf[URUN_ERROR_MSG_MAX + 16];
    int n = snprintf(buf, sizeof(buf), "%d %s", err->errnum, err->msg);
    if (n < 0)
        return -EINVAL;
    if ((size_t)n >= sizeof(buf))
        n = (int)sizeof(buf) - 1;
    /* one write, below PIPE_BUF: atomic */
    return write(fd, buf, (size_t)n) == n ? 0 : -errno;
}

int sync_fifo_parse_report(const char *buf, size_t len, struct urun_error *err)
{
    int errnum = 0;
    size_t i = 0;

    while (i < len && i < 4 && buf[i] >= '0' && buf[i] <= '9')
        errnum = errnum * 10 + (buf[i++] - '0');
    if (i == 0 || i >= len || buf[i] != ' ' || errnum > 4095)
        return urun_error_set(err, EPROTO, "container init: malformed report on the exec fifo");
    i++;
    return urun_error_set(err, errnum, "%.*s", (int)(len - i), buf + i);
}

/* The table of sync.h, in its order. */
static const struct {
    enum sync_phase phase;
    enum sync_side from;
    enum sync_type type;
    const char *name;
} phases[] = {
    {SYNC_PHASE_UNSHARED, SYNC_SIDE_INIT, SYNC_UNSHARED, "unshared"},
    {SYNC_PHASE_MAPS, SYNC_SIDE_PARENT, SYNC_MAPS_DONE, "maps"},
    {SYNC_PHASE_PID, SYNC_SIDE_INIT, SYNC_PID, "pid"},
    {SYNC_PHASE_HOOKS, SYNC_SIDE_INIT, SYNC_HOOKS, "hooks"},
    {SYNC_PHASE_HOOKS_DONE, SYNC_SIDE_PARENT, SYNC_HOOKS_DONE, "hooks done"},
    {SYNC_PHASE_READY, SYNC_SIDE_INIT, SYNC_READY, "ready"},
    {SYNC_PHASE_GO, SYNC_SIDE_PARENT, SYNC_GO, "go"},
};

const char *sync_phase_name(enum sync_phase p)
{
    for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++)
        if (phases[i].phase == p)
            return phases[i].name;
    return "?";
}

/* The table's entry for p, once every enabled phase before it is done and p itself is not. */
static int phase_enter(const struct sync_chan *c, enum sync_phase p, struct urun_error *err)
{
    for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
        if (phases[i].phase == p)
            return (c->done & p) ? urun_error_set(err, EPROTO, "sync: phase %s taken twice", phases[i].name) : (int)i;
        if ((c->phases & phases[i].phase) && !(c->done & phases[i].phase))
            return urun_error_set(err, EPROTO, "sync: phase %s before phase %s", sync_phase_name(p), phases[i].name);
    }
    return urun_error_set(err, EPROTO, "sync: no phase %#x", (unsigned)p);
}

int sync_step(struct sync_chan *c, enum sync_side side, enum sync_phase p, int *arg, struct urun_error *err)
{
    int i, r;

    if (!(c->phases & p))
        return 0;
    i = phase_enter(c, p, err);
    if (i < 0)
        return i;
    if (phases[i].from == side) {
        if (p == SYNC_PHASE_PID)
            r = sync_send_pid(c->fd, arg ? *arg : -1);
        else
            r = sync_send_fd(c->fd, phases[i].type, p == SYNC_PHASE_READY && arg ? *arg : -1);
        if (r < 0)
            return urun_error_set(err, -r, "sync: send %s", phases[i].name);
    } else if (p == SYNC_PHASE_PID) {
        pid_t pid = -1;
        r = sync_expect_pid(c->fd, &pid, err);
        if (arg)
            *arg = pid;
    } else {
        int fd = -1;
        r = sync_expect_fd(c->fd, phases[i].type, &fd, err);
        if (arg)
            *arg = fd;
        else if (fd >= 0)
            close(fd);
    }
    if (r >= 0)
        c->done |= p;
    return r < 0 ? r : 0;
}

int sync_step_respawn(struct sync_chan *c, const char *what, struct urun_error *err)
{
    int i = phase_enter(c, SYNC_PHASE_PID, err);
    if (i < 0)
        return i;
    int r = sync_respawn(c->fd, what, err);
    if (r >= 0)
        c->done |= SYNC_PHASE_PID;
    return r;
}
