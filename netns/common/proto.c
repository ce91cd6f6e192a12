/* Implementation of proto.h: sendmsg/recvmsg with SCM_RIGHTS, nothing else.  Linked into urun and into
 * urun-slirp alike, so neither side can disagree on the framing. */
#include "netns/common/proto.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int netns_proto_send(int sock, const void *msg, size_t len, const int *fds, size_t n_fds)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * NETNS_PROTO_MAX_FDS)];
        struct cmsghdr align;
    } u;
    struct iovec iov = {.iov_base = (void *)msg, .iov_len = len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    ssize_t n;

    if (n_fds > NETNS_PROTO_MAX_FDS)
        return -EINVAL;
    if (n_fds) {
        memset(&u, 0, sizeof(u));
        mh.msg_control = u.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
    }
    do
        n = sendmsg(sock, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    return (size_t)n == len ? 0 : -EMSGSIZE;
}

static void close_fds(int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

int netns_proto_recv(int sock, void *msg, size_t len, int *fds, size_t *n_fds)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * NETNS_PROTO_MAX_FDS)];
        struct cmsghdr align;
    } u;
    struct iovec iov = {.iov_base = msg, .iov_len = len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
    size_t room = n_fds ? *n_fds : 0, got = 0;
    int got_fds[NETNS_PROTO_MAX_FDS];
    ssize_t n;

    do
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k && got < NETNS_PROTO_MAX_FDS; i++)
            memcpy(&got_fds[got++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
    }
    if (n == 0) {
        close_fds(got_fds, got);
        return -EPIPE;
    }
    /* Every message type starts with magic and size. */
    uint32_t hdr[2];
    if ((size_t)n != len || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || got > room) {
        close_fds(got_fds, got);
        return -EBADMSG;
    }
    memcpy(hdr, msg, sizeof(hdr));
    if (hdr[0] != NETNS_PROTO_MAGIC || hdr[1] != len) {
        close_fds(got_fds, got);
        return -EBADMSG;
    }
    memcpy(fds, got_fds, got * sizeof(int));
    if (n_fds)
        *n_fds = got;
    return 0;
}

pid_t netns_fork_paired(int *ret_sock)
{
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        return -e;
    }
    close(sv[pid == 0 ? 0 : 1]);
    *ret_sock = sv[pid == 0 ? 1 : 0];
    return pid;
}

void netns_reply_from(struct netns_reply *r, const struct urun_error *err)
{
    memset(r, 0, sizeof(*r));
    r->magic = NETNS_PROTO_MAGIC;
    r->size = sizeof(*r);
    if (err) {
        r->failed = 1;
        r->errnum = err->errnum;
        snprintf(r->msg, sizeof(r->msg), "%s", err->msg);
    }
}

int netns_sock_request(int sock, int family)
{
    struct netns_sock_request req = {.magic = NETNS_PROTO_MAGIC, .size = sizeof(req), .family = family};
    return netns_proto_send(sock, &req, sizeof(req), NULL, 0);
}

int netns_sock_reply_recv(int sock, int *ret_family, int *ret_fd, int *ret_errnum)
{
    struct netns_sock_reply rep;
    int fds[NETNS_PROTO_MAX_FDS];
    size_t n = 1;
    int r = netns_proto_recv(sock, &rep, sizeof(rep), fds, &n);

    if (r < 0)
        return r;
    if ((rep.errnum == 0) != (n == 1)) {
        close_fds(fds, n);
        return -EBADMSG;
    }
    *ret_family = rep.family;
    *ret_fd = n ? fds[0] : -1;
    *ret_errnum = rep.errnum;
    return 0;
}
