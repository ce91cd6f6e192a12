/* Published TCP ports, spliced (tcpfwd.h).  libslirp's hostfwd runs every byte through its own
 * user-space TCP and the tap; here the host's kernel and the container's talk TCP to the helper, and
 * the helper only moves bytes between two sockets, never through user space: splice(2) from one
 * socket into a pipe and from the pipe into the other, a pipe per direction, as large as the kernel
 * allows.  The container's end is a socket made in the container's network namespace by the socket
 * factory (sockfactory.h) and connected to the container's own address, so its kernel answers it
 * without the tap, and a server bound only to its loopback stays out of reach, as with hostfwd.  What
 * the container sees differs in one way: the connection comes from its own address, not 10.0.2.2.
 *
 * A connection is WAIT_SOCKET until the factory's socket arrives (a spare one is kept ready per
 * family, so usually it is there at once), CONNECTING until the container's kernel answers, then OPEN.
 * An end of file from one side is passed on as shutdown(SHUT_WR) to the other once its pipe is empty;
 * the connection is closed when both directions are done.  An error on either side (a refused
 * connect, a reset) resets the other.  Everything runs in the helper's one poll(2) loop. */
#include "netns/helper/tcpfwd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/cleanup.h"
#include "base/log.h"
#include "netns/common/proto.h"

#define ACCEPT_BATCH 32 /* connections accepted per wake-up of a listener */
#define REPLY_BATCH 64  /* factory answers read per wake-up */
#define PUMP_ROUNDS 8   /* splice in + splice out rounds per direction and wake-up */
/* Pipe sizes asked for: /proc/sys/fs/pipe-max-size (at most PIPE_SIZE_MAX), then PIPE_SIZE_FALLBACK
 * (past pipe-user-pages-soft the kernel refuses large ones), else the kernel's default. */
#define PIPE_SIZE_MAX (4u << 20)
#define PIPE_SIZE_FALLBACK (256u << 10)

enum { FAM4, FAM6, N_FAM };
/* conn.fd[] and the directions: the direction HOST moves bytes from fd[HOST] to fd[CTR]. */
enum { HOST, CTR };

enum conn_state { WAIT_SOCKET, CONNECTING, OPEN };

struct listener {
    int fd;
    int fam; /* where its clients go; -1: by the client's family ("::") */
    uint16_t ctr_port;
    int idx;
};

struct conn {
    struct conn *prev, *next; /* oldest first */
    enum conn_state state;
    int fam;
    uint16_t ctr_port;
    int fd[2];
    int pipe[2][2]; /* per direction: read end, write end */
    size_t fill[2], cap[2];
    bool eof[2];     /* the direction's source has ended */
    bool blocked[2]; /* splicing in found the pipe full (data waiting in the source, none taken) */
    bool shut[2];    /* the direction's destination is shut down for writing */
    int idx[2];      /* poll indices of fd[], -1: not polled this round */
};

struct tcpfwd {
    struct listener listeners[NETNS_MAX_PUBLISH];
    size_t n_listeners;
    struct conn *head, *tail;
    size_t n_conns, max_conns;
    struct sockaddr_storage guest[N_FAM]; /* the container's addresses, port 0 */
    socklen_t guest_len[N_FAM];
    bool used[N_FAM];     /* a listener sends clients to this family: keep a spare socket */
    bool prefetch[N_FAM]; /* false after the factory failed to make one, until it makes one again */
    size_t waiting[N_FAM];
    size_t inflight[N_FAM]; /* requests not answered yet */
    int spare[N_FAM];
    int factory; /* -1: gone */
    int factory_idx;
    bool factory_full; /* a request found the socketpair full: wait for POLLOUT */
    unsigned pipe_size;
    bool accept_paused; /* out of fds: listeners rest until a connection ends */
    bool warned_limit, warned_pipe, warned_accept, warned_socket;
};

static void conn_pump(struct tcpfwd *t, struct conn *c);

/* --- connections: making and ending -------------------------------------------------------------- */

/* Closes fd so that its peer gets a reset, not an end of file: for refusals and errors. */
static void close_reset(int fd)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
}

/* Both ends: no Nagle delay (the bytes were already sent once, by a sender that chose when), and urgent
 * data inline (pump() says why). */
static void set_sockopts(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one));
}

/* reset: the peers get resets (an error on one side); else a plain close (both directions done). */
static void conn_free(struct tcpfwd *t, struct conn *c, bool reset)
{
    for (int s = 0; s < 2; s++) {
        if (c->fd[s] >= 0 && reset)
            close_reset(c->fd[s]);
        else if (c->fd[s] >= 0)
            close(c->fd[s]);
        for (int e = 0; e < 2; e++)
            if (c->pipe[s][e] >= 0)
                close(c->pipe[s][e]);
    }
    if (c->state == WAIT_SOCKET)
        t->waiting[c->fam]--;
    *(c->prev ? &c->prev->next : &t->head) = c->next;
    *(c->next ? &c->next->prev : &t->tail) = c->prev;
    t->n_conns--;
    t->accept_paused = false;
    free(c);
}

static unsigned pipe_resize(const struct tcpfwd *t, int fd)
{
    int got = fcntl(fd, F_SETPIPE_SZ, t->pipe_size);
    if (got < 0 && t->pipe_size > PIPE_SIZE_FALLBACK)
        got = fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE_FALLBACK);
    if (got < 0)
        got = fcntl(fd, F_GETPIPE_SZ);
    return got > 0 ? (unsigned)got : 4096u;
}

static int make_pipes(const struct tcpfwd *t, struct conn *c)
{
    for (int d = 0; d < 2; d++) {
        if (pipe2(c->pipe[d], O_NONBLOCK | O_CLOEXEC) < 0)
            return -errno;
        c->cap[d] = pipe_resize(t, c->pipe[d][1]);
    }
    return 0;
}

/* Connects the factory's socket to the container; c may be gone afterwards (refused at once). */
static void conn_connect(struct tcpfwd *t, struct conn *c, int sock)
{
    struct sockaddr_storage a = t->guest[c->fam];

    if (c->fam == FAM4)
        ((struct sockaddr_in *)&a)->sin_port = htons(c->ctr_port);
    else
        ((struct sockaddr_in6 *)&a)->sin6_port = htons(c->ctr_port);
    t->waiting[c->fam]--;
    c->state = CONNECTING;
    c->fd[CTR] = sock;
    set_sockopts(sock);
    if (connect(sock, (struct sockaddr *)&a, t->guest_len[c->fam]) == 0) {
        c->state = OPEN;
        conn_pump(t, c);
    } else if (errno != EINPROGRESS && errno != EINTR) {
        conn_free(t, c, /* reset= */ true);
    }
}

static struct conn *oldest_waiting(const struct tcpfwd *t, int fam)
{
    for (struct conn *c = t->head; c; c = c->next)
        if (c->state == WAIT_SOCKET && c->fam == fam)
            return c;
    return NULL;
}

/* --- the socket factory -------------------------------------------------------------------------- */

static void factory_gone(struct tcpfwd *t, int r)
{
    log_warning("the socket factory %s: connections to published TCP ports are refused from now on",
                r == -EPIPE ? "exited" : "failed");
    close(t->factory);
    t->factory = t->factory_idx = -1;
    for (int f = 0; f < N_FAM; f++) {
        closep(&t->spare[f]);
        t->inflight[f] = 0;
    }
    for (struct conn *c = t->head, *next; c; c = next) {
        next = c->next;
        if (c->state == WAIT_SOCKET)
            conn_free(t, c, /* reset= */ true);
    }
}

/* Requests until every waiting connection and a spare per family in use have a socket coming. */
static void top_up(struct tcpfwd *t)
{
    for (int f = 0; f < N_FAM && t->factory >= 0 && !t->factory_full; f++) {
        size_t want = t->waiting[f] + (t->used[f] && t->prefetch[f] ? 1 : 0);
        while (t->inflight[f] + (t->spare[f] >= 0 ? 1 : 0) < want) {
            int r = netns_sock_request(t->factory, f == FAM4 ? AF_INET : AF_INET6);
            if (r == -EAGAIN) {
                t->factory_full = true;
                return;
            }
            if (r < 0) {
                factory_gone(t, r);
                return;
            }
            t->inflight[f]++;
        }
    }
}

static void give_socket(struct tcpfwd *t, int fam, int fd)
{
    struct conn *c = oldest_waiting(t, fam);

    t->prefetch[fam] = true;
    if (c)
        conn_connect(t, c, fd);
    else if (t->spare[fam] < 0)
        t->spare[fam] = fd;
    else
        close(fd);
}

/* The factory could not make a socket: the connection it was for is refused. */
static void no_socket(struct tcpfwd *t, int fam, int errnum)
{
    struct conn *c = oldest_waiting(t, fam);

    if (!t->warned_socket) {
        log_warning("the socket factory could not make a socket: %s", strerror(errnum));
        t->warned_socket = true;
    }
    t->prefetch[fam] = false;
    if (c)
        conn_free(t, c, /* reset= */ true);
}

static void receive_replies(struct tcpfwd *t)
{
    for (int i = 0; i < REPLY_BATCH && t->factory >= 0; i++) {
        int family = 0, fd = -1, errnum = 0, fam;
        int r = netns_sock_reply_recv(t->factory, &family, &fd, &errnum);

        if (r == -EAGAIN || r == -EINTR)
            return;
        fam = family == AF_INET ? FAM4 : family == AF_INET6 ? FAM6 : -1;
        if (r == 0 && (fam < 0 || t->inflight[fam] == 0)) {
            if (fd >= 0)
                close(fd);
            r = -EBADMSG;
        }
        if (r < 0) {
            factory_gone(t, r);
            return;
        }
        t->inflight[fam]--;
        if (fd >= 0)
            give_socket(t, fam, fd);
        else
            no_socket(t, fam, errnum);
    }
}

/* --- accepting ----------------------------------------------------------------------------------- */

static void conn_new(struct tcpfwd *t, int fd, int fam, uint16_t ctr_port)
{
    struct conn *c = xcalloc(1, sizeof(*c));
    int r;

    c->fd[HOST] = fd;
    c->fd[CTR] = -1;
    memset(c->pipe, -1, sizeof(c->pipe));
    c->idx[0] = c->idx[1] = -1;
    c->fam = fam;
    c->ctr_port = ctr_port;
    c->state = WAIT_SOCKET;
    c->prev = t->tail;
    *(t->tail ? &t->tail->next : &t->head) = c;
    t->tail = c;
    t->n_conns++;
    t->waiting[fam]++;
    r = make_pipes(t, c);
    if (r < 0) {
        if (!t->warned_pipe) {
            log_warning("published TCP port: cannot make a pipe: %s; refusing the connection", strerror(-r));
            t->warned_pipe = true;
        }
        conn_free(t, c, /* reset= */ true);
        return;
    }
    set_sockopts(fd);
    if (t->spare[fam] >= 0)
        conn_connect(t, c, TAKE_FD(t->spare[fam]));
    top_up(t);
}

/* Whether the new connection fd must be refused (and so it was): the factory is gone, or the limit. */
static bool refused(struct tcpfwd *t, int fd)
{
    if (t->factory >= 0 && t->n_conns < t->max_conns)
        return false;
    if (t->factory >= 0 && !t->warned_limit) {
        log_warning("published TCP ports: %zu connections at once, refusing more (logged once)", t->max_conns);
        t->warned_limit = true;
    }
    close_reset(fd);
    return true;
}

static void accept_failed(struct tcpfwd *t, int e)
{
    bool out_of_fds = e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;

    if (!t->warned_accept) {
        log_warning("published TCP port: accept: %s%s", strerror(e),
                    out_of_fds ? "; new connections wait until one ends" : "");
        t->warned_accept = true;
    }
    /* With none open, nothing would end the pause: the listeners are then polled again at once. */
    if (out_of_fds && t->n_conns > 0)
        t->accept_paused = true;
}

static void accept_batch(struct tcpfwd *t, const struct listener *l)
{
    for (int i = 0; i < ACCEPT_BATCH && !t->accept_paused; i++) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof(peer);
        int fd = accept4(l->fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC), fam = l->fam;

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN)
                accept_failed(t, errno);
            return;
        }
        /* "::" takes IPv4 clients as v4-mapped IPv6 addresses: they go to the container's IPv4 address. */
        if (fam < 0)
            fam = peer.ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&((struct sockaddr_in6 *)&peer)->sin6_addr) ? FAM4
                                                                                                                 : FAM6;
        if (!refused(t, fd))
            conn_new(t, fd, fam, l->ctr_port);
    }
}

/* --- moving bytes -------------------------------------------------------------------------------- */

/* splice(2) from a TCP socket stops in front of urgent data (tcp_read_sock), inline or not, and
 * says EAGAIN while poll(2) says readable: a sender's MSG_OOB would stall the direction and spin the
 * loop.  At the urgent mark (SIOCATMARK, tcp(7)), the byte is read with recv(2) instead, inline
 * (SO_OOBINLINE), and written into the pipe, empty then, as ordinary data.  Returns the bytes moved. */
static ssize_t read_urgent(struct conn *c, int d)
{
    int at_mark = 0;
    char byte;
    ssize_t n;

    if (c->fill[d] != 0 || ioctl(c->fd[d], SIOCATMARK, &at_mark) < 0 || !at_mark)
        return 0;
    n = recv(c->fd[d], &byte, 1, MSG_DONTWAIT);
    if (n == 1 && write(c->pipe[d][1], &byte, 1) == 1)
        return 1;
    return 0;
}

/* After splicing in said EAGAIN with data in the pipe: whether that was the pipe, full (it may be
 * with fewer bytes than its size: a slot holds a piece of a page), rather than an empty socket. */
static bool has_data(int fd)
{
    int n = 0;
    return ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

/* Direction d as far as it goes now.  < 0: a socket failed (-errno). */
static int pump(struct conn *c, int d)
{
    int src = c->fd[d], dst = c->fd[!d];
    ssize_t n;

    for (int round = 0; round < PUMP_ROUNDS; round++) {
        bool moved = false;
        if (!c->eof[d] && c->fill[d] < c->cap[d]) {
            n = splice(src, NULL, c->pipe[d][1], NULL, c->cap[d] - c->fill[d], SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n < 0 && errno == EAGAIN && (n = read_urgent(c, d)) == 0) {
                n = -1;
                errno = EAGAIN;
            }
            if (n > 0) {
                c->fill[d] += (size_t)n;
                moved = true;
            } else if (n == 0) {
                c->eof[d] = true;
            } else if (errno == EAGAIN) {
                c->blocked[d] = c->fill[d] > 0 && has_data(src);
            } else if (errno != EINTR) {
                return -errno;
            }
        }
        if (c->fill[d] > 0) {
            n = splice(c->pipe[d][0], NULL, dst, NULL, c->fill[d], SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n > 0) {
                c->fill[d] -= (size_t)n;
                c->blocked[d] = false;
                moved = true;
            } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                return -errno;
            }
        }
        if (!moved)
            break;
    }
    if (c->eof[d] && c->fill[d] == 0 && !c->shut[d]) {
        if (shutdown(dst, SHUT_WR) < 0 && errno != ENOTCONN)
            return -errno;
        c->shut[d] = true;
    }
    return 0;
}

static void conn_pump(struct tcpfwd *t, struct conn *c)
{
    if (pump(c, HOST) < 0 || pump(c, CTR) < 0)
        conn_free(t, c, /* reset= */ true);
    else if (c->shut[HOST] && c->shut[CTR])
        conn_free(t, c, /* reset= */ false);
}

static void finish_connect(struct tcpfwd *t, struct conn *c)
{
    int e = 0;
    socklen_t len = sizeof(e);

    if (getsockopt(c->fd[CTR], SOL_SOCKET, SO_ERROR, &e, &len) < 0)
        e = errno;
    if (e) {
        conn_free(t, c, /* reset= */ true);
        return;
    }
    c->state = OPEN;
    conn_pump(t, c);
}

static void conn_event(struct tcpfwd *t, struct conn *c, const short re[2])
{
    if ((re[HOST] | re[CTR]) & (POLLERR | POLLNVAL)) {
        conn_free(t, c, /* reset= */ true);
        return;
    }
    switch (c->state) {
    case WAIT_SOCKET:
        /* only errors were asked for; a hang-up without one is a reset too */
        if (re[HOST] & POLLHUP)
            conn_free(t, c, /* reset= */ true);
        break;
    case CONNECTING:
        if (re[CTR])
            finish_connect(t, c);
        break;
    case OPEN:
        conn_pump(t, c);
        break;
    }
}

/* --- the poll set -------------------------------------------------------------------------------- */

static void conn_fill(struct conn *c, tcpfwd_poll_add_fn add, void *opaque)
{
    short ev[2] = {0, 0};

    if (c->state == CONNECTING)
        ev[CTR] = POLLOUT;
    for (int d = 0; c->state == OPEN && d < 2; d++) {
        if (!c->eof[d] && c->fill[d] < c->cap[d] && (c->fill[d] == 0 || !c->blocked[d]))
            ev[d] |= POLLIN;
        if (c->fill[d] > 0)
            ev[!d] |= POLLOUT;
    }
    for (int s = 0; s < 2; s++) {
        /* A socket we shut down for writing reports POLLHUP, asked or not, once its peer's end of
         * file arrives: with nothing to ask of it, it stays out, or poll would return at once until
         * the other side moves.  An error on it shows when it is next read. */
        bool idle = c->fd[s] < 0 || (ev[s] == 0 && c->shut[!s]);
        c->idx[s] = idle ? -1 : add(opaque, c->fd[s], ev[s]);
    }
}

void tcpfwd_fill(struct tcpfwd *t, tcpfwd_poll_add_fn add, void *opaque)
{
    top_up(t);
    t->factory_idx = t->factory >= 0 ? add(opaque, t->factory, POLLIN | (t->factory_full ? POLLOUT : 0)) : -1;
    for (size_t i = 0; i < t->n_listeners; i++)
        t->listeners[i].idx = t->accept_paused ? -1 : add(opaque, t->listeners[i].fd, POLLIN);
    for (struct conn *c = t->head; c; c = c->next)
        conn_fill(c, add, opaque);
}

void tcpfwd_dispatch(struct tcpfwd *t, const struct pollfd *pfd)
{
    if (t->factory_idx >= 0) {
        short re = pfd[t->factory_idx].revents;
        if (re & POLLOUT)
            t->factory_full = false;
        if (re & (POLLIN | POLLHUP | POLLERR))
            receive_replies(t);
    }
    for (size_t i = 0; i < t->n_listeners; i++) {
        struct listener *l = &t->listeners[i];
        if (l->idx >= 0 && (pfd[l->idx].revents & POLLIN))
            accept_batch(t, l);
        l->idx = -1;
    }
    /* Connections accepted just now have no poll entries (idx -1) and are left alone. */
    for (struct conn *c = t->head, *next; c; c = next) {
        short re[2] = {c->idx[0] >= 0 ? pfd[c->idx[0]].revents : 0, c->idx[1] >= 0 ? pfd[c->idx[1]].revents : 0};
        next = c->next;
        c->idx[0] = c->idx[1] = -1;
        if (re[0] | re[1])
            conn_event(t, c, re);
    }
    t->factory_idx = -1;
}

/* --- set-up -------------------------------------------------------------------------------------- */

/* /proc/sys/fs/pipe-max-size, at most PIPE_SIZE_MAX: what an unprivileged F_SETPIPE_SZ may ask. */
static unsigned pipe_max_size(void)
{
    char buf[32] = "";
    int fd = open("/proc/sys/fs/pipe-max-size", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
    unsigned long v;

    if (fd >= 0)
        close(fd);
    v = n > 0 ? strtoul(buf, NULL, 10) : 0;
    if (v == 0)
        return 1u << 20; /* the kernel's default pipe-max-size */
    return v > PIPE_SIZE_MAX ? PIPE_SIZE_MAX : (unsigned)v;
}

static void guest_addr(struct tcpfwd *t, int fam, const char *ip)
{
    struct sockaddr_in *a4 = (struct sockaddr_in *)&t->guest[fam];
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&t->guest[fam];

    if (fam == FAM4 && inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        t->guest_len[fam] = sizeof(*a4);
    } else if (fam == FAM6 && inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        t->guest_len[fam] = sizeof(*a6);
    }
}

struct tcpfwd *tcpfwd_new(const struct netns_config *c, int factory, size_t max_conns)
{
    struct tcpfwd *t = xcalloc(1, sizeof(*t));

    guest_addr(t, FAM4, c->guest_ip4);
    guest_addr(t, FAM6, c->guest_ip6);
    for (int f = 0; f < N_FAM; f++) {
        t->spare[f] = -1;
        t->prefetch[f] = true;
    }
    t->factory = factory;
    t->factory_idx = -1;
    t->max_conns = max_conns;
    t->pipe_size = pipe_max_size();
    return t;
}

int tcpfwd_add(struct tcpfwd *t, const struct netns_publish *p, struct urun_error *err)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int one = 1, zero = 0;
    char what[96];
    bool any6;

    netns_publish_host_str(p, what, sizeof(what));
    if (t->n_listeners >= NETNS_MAX_PUBLISH || netns_publish_sockaddr(p, &ss, &len) < 0)
        return urun_error_set(err, EINVAL, "publish %s: bad host address", what);
    _cleanup_close_ int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return urun_error_errno(err, "publish %s: socket", what);
    /* As libslirp's listeners: TIME_WAIT addresses reused; "::" dual-stack, other IPv6 addresses not. */
    any6 = ss.ss_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&ss)->sin6_addr);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, any6 ? &zero : &one, sizeof(int));
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, SOMAXCONN) < 0)
        return urun_error_errno(err, "publish %s -> container port %u", what, p->ctr_port);
    t->listeners[t->n_listeners++] = (struct listener){
        .fd = TAKE_FD(fd),
        .fam = any6                      ? -1
               : ss.ss_family == AF_INET ? FAM4
                                         : FAM6,
        .ctr_port = p->ctr_port,
        .idx = -1,
    };
    t->used[FAM4] |= ss.ss_family == AF_INET || any6;
    t->used[FAM6] |= ss.ss_family == AF_INET6;
    return 0;
}

size_t tcpfwd_conns(const struct tcpfwd *t)
{
    return t->n_conns;
}

void tcpfwd_free(struct tcpfwd *t)
{
    if (!t)
        return;
    while (t->head)
        conn_free(t, t->head, /* reset= */ false);
    for (size_t i = 0; i < t->n_listeners; i++)
        close(t->listeners[i].fd);
    for (int f = 0; f < N_FAM; f++)
        closep(&t->spare[f]);
    if (t->factory >= 0)
        close(t->factory);
    free(t);
}
