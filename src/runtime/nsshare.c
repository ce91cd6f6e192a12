/* Implementation of nsshare.h.  The init's half runs in a signal handler: only async-signal-safe
 * calls (accept4, sendmsg, close) there, on data fixed before the handler is installed. */
#include "runtime/nsshare.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "runtime/state.h"

/* The init's side: written once before the handler is installed. */
static int serve_listen = -1;
static int serve_fds[SPEC_NS__MAX];
static unsigned char serve_types[SPEC_NS__MAX];
static size_t serve_n;

/* The socket's path through the state directory's fd: short whatever the state root's length. */
static int socket_addr(int dirfd, struct sockaddr_un *sa)
{
    *sa = (struct sockaddr_un){.sun_family = AF_UNIX};
    return state_fd_path(dirfd, STATE_NS_SOCKET, sa->sun_path, sizeof(sa->sun_path));
}

int nsshare_listen(int dirfd, int *ret_fd, struct urun_error *err)
{
    struct sockaddr_un sa;

    if (socket_addr(dirfd, &sa) < 0)
        return urun_error_set(err, ENAMETOOLONG, "namespace socket: path");
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0)
        return urun_error_errno(err, "namespace socket %s", STATE_NS_SOCKET);
    *ret_fd = TAKE_FD(fd);
    return 0;
}

static void answer(int sig)
{
    int saved = errno, conn;
    (void)sig;
    while ((conn = accept4(serve_listen, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
        char buf[CMSG_SPACE(sizeof(serve_fds))];
        struct iovec iov = {.iov_base = serve_types, .iov_len = serve_n};
        struct msghdr m = {
            .msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = CMSG_SPACE(serve_n * sizeof(int))};
        memset(buf, 0, sizeof(buf));
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(serve_n * sizeof(int));
        memcpy(CMSG_DATA(c), serve_fds, serve_n * sizeof(int));
        (void)!sendmsg(conn, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
        close(conn);
    }
    errno = saved;
}

int nsshare_serve(int listen_fd, int proc_fd, struct urun_error *err)
{
    serve_n = 0;
    for (int t = 0; t < SPEC_NS__MAX; t++) {
        char path[32];
        snprintf(path, sizeof(path), "self/ns/%s", nsjoin_proc_name((enum spec_ns_type)t));
        int fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT)
            continue; /* a kernel without this namespace type */
        if (fd < 0)
            return urun_error_errno(err, "open /proc/self/ns/%s", nsjoin_proc_name((enum spec_ns_type)t));
        serve_fds[serve_n] = fd;
        serve_types[serve_n++] = (unsigned char)t;
    }
    serve_listen = listen_fd;
    /* Held back until nsshare_answer: the rest of the setup (mounts, hooks) is never interrupted. */
    sigset_t io;
    sigemptyset(&io);
    sigaddset(&io, SIGIO);
    sigprocmask(SIG_BLOCK, &io, NULL);
    /* SA_RESTART: the blocking open of the exec fifo goes on after each answer. */
    struct sigaction sa = {.sa_handler = answer, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGIO, &sa, NULL) < 0 || fcntl(listen_fd, F_SETOWN, getpid()) < 0 ||
        fcntl(listen_fd, F_SETFL, O_ASYNC | O_NONBLOCK) < 0)
        return urun_error_errno(err, "namespace socket: ask for SIGIO");
    return 0;
}

void nsshare_answer(void)
{
    sigset_t io;
    if (serve_listen < 0)
        return;
    sigemptyset(&io);
    sigaddset(&io, SIGIO);
    sigprocmask(SIG_UNBLOCK, &io, NULL);
    answer(SIGIO); /* whoever connected while SIGIO was held back, or before it was asked for */
}

void nsshare_stop(void)
{
    sigset_t io;
    if (serve_listen < 0)
        return;
    sigemptyset(&io);
    sigaddset(&io, SIGIO);
    sigprocmask(SIG_BLOCK, &io, NULL);
    close(serve_listen);
    /* Setting SIG_IGN discards a SIGIO still pending; SIG_DFL then, since an ignored signal would
     * stay ignored in the user's process across execve. */
    signal(SIGIO, SIG_IGN);
    signal(SIGIO, SIG_DFL);
    for (size_t i = 0; i < serve_n; i++)
        close(serve_fds[i]);
    serve_listen = -1;
    serve_n = 0;
}

static int receive(int sock, struct nsjoin *ret, struct urun_error *err)
{
    unsigned char types[SPEC_NS__MAX];
    char buf[CMSG_SPACE(sizeof(int) * SPEC_NS__MAX)];
    struct iovec iov = {.iov_base = types, .iov_len = sizeof(types)};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf, .msg_controllen = sizeof(buf)};
    ssize_t n;
    int fds[SPEC_NS__MAX];
    size_t nfds = 0;

    do
        n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return urun_error_errno(err, "receive the created container's namespaces");
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            if (nfds > SPEC_NS__MAX)
                nfds = SPEC_NS__MAX;
            memcpy(fds, CMSG_DATA(c), nfds * sizeof(int));
        }
    for (int t = 0; t < SPEC_NS__MAX; t++)
        ret->fd[t] = -1;
    ret->any = false;
    bool ok = nfds > 0 && (size_t)n == nfds && !(m.msg_flags & MSG_CTRUNC);
    for (size_t i = 0; i < nfds; i++) {
        if (ok && types[i] < SPEC_NS__MAX && ret->fd[types[i]] < 0) {
            ret->fd[types[i]] = fds[i];
            continue;
        }
        ok = false;
        close(fds[i]);
    }
    if (!ok) {
        nsjoin_close(ret);
        return urun_error_set(err, EPROTO, "receive the created container's namespaces: malformed answer");
    }
    return 0;
}

int nsshare_fetch(int dirfd, struct nsjoin *ret, struct urun_error *err)
{
    struct sockaddr_un sa;

    if (socket_addr(dirfd, &sa) < 0)
        return urun_error_set(err, ENAMETOOLONG, "namespace socket: path");
    _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return urun_error_errno(err, "namespace socket");
    /* The init answers from a signal handler in microseconds; never wait for a stuck one forever. */
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        return urun_error_errno(err, "connect to the created container's init (%s)", STATE_NS_SOCKET);
    return receive(fd, ret, err);
}
