/* The socket factory (sockfactory.h).  A socket's network namespace is fixed when the socket is made
 * (socket(2) takes current's), so a socket that reaches the container's own address, where its
 * kernel answers in its own namespace without the tap, must be made by a process in that namespace;
 * the helper itself never enters the container's namespaces.  So a child forked from the helper
 * before it is sandboxed joins them, keeps only its socketpair, takes a seccomp filter of its own and
 * then only answers "a TCP socket of family F, please" with one made by socket(2).  It never opens
 * a file, never connects, and never sees a byte of the container's traffic. */
#include "netns/helper/sockfactory.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "netns/common/proto.h"
#include "netns/helper/sandbox.h"

/* The name `ps` shows for the child (15 bytes at most). */
#define FACTORY_COMM "urun-slirp-sock"

static void close_range_or_loop(unsigned from, unsigned to)
{
    if (syscall(SYS_close_range, from, to, 0) == 0)
        return;
    for (unsigned fd = from; fd <= to && fd < 65536; fd++)
        close((int)fd);
}

/* Closes every fd from 3 on but the n in keep (-1 entries are none). */
static void close_all_but(const int *keep, size_t n)
{
    int k[3];
    size_t m = 0;
    unsigned from = 3;

    /* k: the fds to keep, ascending */
    for (size_t i = 0; i < n; i++) {
        if (keep[i] < 3 || m == ARRAY_SIZE(k))
            continue;
        size_t j = m++;
        for (; j > 0 && k[j - 1] > keep[i]; j--)
            k[j] = k[j - 1];
        k[j] = keep[i];
    }
    for (size_t i = 0; i <= m; i++) {
        unsigned to = i < m ? (unsigned)k[i] - 1 : ~0u;
        if (from <= to)
            close_range_or_loop(from, to);
        if (i < m)
            from = (unsigned)k[i] + 1;
    }
}

/* Dies with the helper (SIGKILL at its death, prctl(2)); false when the helper is already gone, which
 * the death signal would not catch. */
static bool bind_to_parent(pid_t parent)
{
    return prctl(PR_SET_PDEATHSIG, SIGKILL) == 0 && getppid() == parent;
}

/* In the child: nothing of the helper's but the socketpair and the namespaces stays open (no host fd
 * enters the container's namespaces); the user namespace first (it owns the network namespace, so
 * joining it gives CAP_SYS_ADMIN over that namespace, which setns(2) of a network namespace needs),
 * then the network namespace; the death signal again (a change of credentials may clear it,
 * prctl(2)); then the seccomp filter. */
static int enter(int sock, int userns_fd, int netns_fd, pid_t parent, struct urun_error *err)
{
    close_all_but((const int[]){sock, userns_fd, netns_fd}, 3);
    if (userns_fd >= 0 && setns(userns_fd, CLONE_NEWUSER) < 0)
        return urun_error_errno(err, "socket factory: join the container's user namespace");
    if (setns(netns_fd, CLONE_NEWNET) < 0)
        return urun_error_errno(err, "socket factory: join the container's network namespace");
    if (userns_fd >= 0)
        close(userns_fd);
    close(netns_fd);
    if (!bind_to_parent(parent))
        _exit(1);
    prctl(PR_SET_NAME, FACTORY_COMM);
    return sandbox_apply_factory(err);
}

/* One request after another, until the helper closes its end (or sends something malformed). */
static void serve(int sock)
{
    for (;;) {
        struct netns_sock_request req;
        struct netns_sock_reply rep = {.magic = NETNS_PROTO_MAGIC, .size = sizeof(rep)};
        int none[NETNS_PROTO_MAX_FDS], fd = -1, r;
        size_t n_none = 0;

        if (netns_proto_recv(sock, &req, sizeof(req), none, &n_none) < 0)
            return;
        rep.family = req.family;
        if (req.family != AF_INET && req.family != AF_INET6)
            rep.errnum = EAFNOSUPPORT;
        else if ((fd = socket(req.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
            rep.errnum = errno;
        r = netns_proto_send(sock, &rep, sizeof(rep), &fd, fd >= 0 ? 1 : 0);
        if (fd >= 0)
            close(fd);
        if (r < 0)
            return;
    }
}

static _Noreturn void factory_main(int sock, int userns_fd, int netns_fd, pid_t parent)
{
    struct urun_error e = {0};
    struct netns_reply rep;
    int r;

    /* From the start: the helper may be killed at any moment (delete). */
    if (!bind_to_parent(parent))
        _exit(1);
    r = enter(sock, userns_fd, netns_fd, parent, &e);
    netns_reply_from(&rep, r < 0 ? &e : NULL);
    if (netns_proto_send(sock, &rep, sizeof(rep), NULL, 0) == 0 && r >= 0)
        serve(sock);
    /* _exit: nothing of the helper's (its atexit handlers, a sanitizer's leak check) runs here. */
    _exit(r < 0 ? 1 : 0);
}

int sockfactory_start(int userns_fd, int netns_fd, struct sockfactory *ret, struct urun_error *err)
{
    pid_t parent = getpid();
    int sock;
    pid_t pid = netns_fork_paired(&sock);

    if (pid < 0)
        return urun_error_set(err, (int)-pid, "socket factory: fork");
    if (pid == 0)
        factory_main(sock, userns_fd, netns_fd, parent);
    ret->pid = pid;
    ret->sock = sock;
    return 0;
}

void sockfactory_stop(struct sockfactory *f)
{
    if (f->sock >= 0)
        close(f->sock);
    if (f->pid > 0) {
        kill(f->pid, SIGKILL);
        while (waitpid(f->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    *f = SOCKFACTORY_NONE;
}

static int read_ready(int sock, int timeout_ms, struct urun_error *err)
{
    struct pollfd p = {.fd = sock, .events = POLLIN};
    struct netns_reply rep;
    int none[NETNS_PROTO_MAX_FDS], r;
    size_t n_none = 0;

    do
        r = poll(&p, 1, timeout_ms);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return urun_error_set(err, ETIMEDOUT, "socket factory: no answer within %d ms", timeout_ms);
    if (r < 0)
        return urun_error_errno(err, "socket factory: wait for it");
    r = netns_proto_recv(sock, &rep, sizeof(rep), none, &n_none);
    if (r == -EPIPE)
        return urun_error_set(err, 0, "socket factory: exited before it was ready");
    if (r < 0)
        return urun_error_set(err, -r, "socket factory: read its answer");
    if (rep.failed) {
        rep.msg[sizeof(rep.msg) - 1] = '\0';
        return urun_error_set(err, rep.errnum, "%s", rep.msg);
    }
    return 0;
}

int sockfactory_wait_ready(struct sockfactory *f, int timeout_ms, struct urun_error *err)
{
    int r = read_ready(f->sock, timeout_ms, err);

    if (r >= 0 && fcntl(f->sock, F_SETFL, fcntl(f->sock, F_GETFL) | O_NONBLOCK) < 0)
        r = urun_error_errno(err, "socket factory: make its socket non-blocking");
    if (r < 0) {
        sockfactory_stop(f);
        return r;
    }
    return 0;
}
