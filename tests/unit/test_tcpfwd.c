/* Unit tests for netns/helper/tcpfwd.c, the spliced published TCP ports, on this process's loopback:
 * the "container" is a server on 127.0.0.1 (the guest address the forwarder is given), and the test
 * answers the socket factory's requests itself, from its own network namespace.  Bytes both ways,
 * end of file each way, refused and reset connections, urgent data, the connection limit, the
 * factory's failures, and that a finished connection leaves no fd behind. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns/common/proto.h"
#include "netns/helper/tcpfwd.h"
#include "tap.h"

#define MAX_POLL 256
#define STEPS 1500 /* poll rounds of 10 ms at most: 15 s before a test gives up */

struct rig {
    struct tcpfwd *t;
    int factory;     /* the test's end of the socketpair; -1: closed */
    int refuse_with; /* nonzero: the factory answers every request with this errno */
    bool small_bufs; /* the factory's sockets get a small send buffer */
    uint16_t host_port, ctr_port;
    int server; /* listening at 127.0.0.1:ctr_port, or -1 */
    struct pollfd pfd[MAX_POLL];
    size_t n;
};

static int rig_add(void *opaque, int fd, short events)
{
    struct rig *r = opaque;
    if (r->n == MAX_POLL)
        abort();
    r->pfd[r->n] = (struct pollfd){.fd = fd, .events = events};
    return (int)r->n++;
}

/* A TCP listener on 127.0.0.1 (port 0: any), non-blocking; its port into *port. */
static int listen_loopback(uint16_t *port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(*port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 16) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0)
        abort();
    *port = ntohs(a.sin_port);
    return fd;
}

static uint16_t free_port(void)
{
    uint16_t p = 0;
    close(listen_loopback(&p));
    return p;
}

static void rig_init(struct rig *r, size_t max_conns, bool with_server)
{
    struct netns_config c = {.slirp = true, .mtu = 1500, .n_publish = 1};
    struct urun_error err = {0};
    int sv[2];

    memset(r, 0, sizeof(*r));
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
        abort();
    r->factory = sv[1];
    r->server = with_server ? listen_loopback(&r->ctr_port) : -1;
    if (!with_server)
        r->ctr_port = free_port();
    strcpy(c.guest_ip4, "127.0.0.1");
    strcpy(c.guest_ip6, "::1");
    strcpy(c.publish[0].host_ip, "127.0.0.1");
    c.publish[0].ctr_port = r->ctr_port;
    r->t = tcpfwd_new(&c, sv[0], max_conns);
    /* A port free a moment ago can be taken before tcpfwd binds it (an outgoing connection of
     * anything running beside, in the same ephemeral range): another one then. */
    for (int attempt = 0;; attempt++) {
        c.publish[0].host_port = r->host_port = free_port();
        if (tcpfwd_add(r->t, &c.publish[0], &err) == 0)
            break;
        if (err.errnum != EADDRINUSE || attempt == 20) {
            printf("# tcpfwd_add: %s\n", err.msg);
            abort();
        }
    }
}

static void rig_free(struct rig *r)
{
    tcpfwd_free(r->t);
    if (r->factory >= 0)
        close(r->factory);
    if (r->server >= 0)
        close(r->server);
}

/* The factory's part: every request answered at once. */
static void serve_factory(struct rig *r)
{
    struct netns_sock_request req;
    int none[NETNS_PROTO_MAX_FDS];
    size_t n_none = 0;

    while (r->factory >= 0 && netns_proto_recv(r->factory, &req, sizeof(req), none, &n_none) == 0) {
        struct netns_sock_reply rep = {.magic = NETNS_PROTO_MAGIC, .size = sizeof(rep), .family = req.family};
        int fd = r->refuse_with ? -1 : socket(req.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int small = 4096;
        rep.errnum = fd < 0 ? (r->refuse_with ? r->refuse_with : errno) : 0;
        if (fd >= 0 && r->small_bufs)
            setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
        netns_proto_send(r->factory, &rep, sizeof(rep), &fd, fd >= 0 ? 1 : 0);
        if (fd >= 0)
            close(fd);
        n_none = 0;
    }
}

/* One round of the helper's loop (and of the factory's): whether poll(2) saw anything. */
static bool rig_step(struct rig *r)
{
    serve_factory(r);
    r->n = 0;
    tcpfwd_fill(r->t, rig_add, r);
    if (poll(r->pfd, r->n, 10) <= 0)
        return false;
    tcpfwd_dispatch(r->t, r->pfd);
    return true;
}

/* Of n rounds, how many woke up (poll(2) did not wait its 10 ms out). */
static int busy_rounds(struct rig *r, int n)
{
    int busy = 0;
    for (int i = 0; i < n; i++)
        busy += rig_step(r);
    return busy;
}

static int client_connect(const struct rig *r)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(r->host_port)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS))
        abort();
    return fd;
}

/* Steps until accept(2) on the server gives a connection (non-blocking), or -1. */
static int server_accept(struct rig *r)
{
    for (int i = 0; i < STEPS; i++) {
        int fd = accept4(r->server, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0)
            return fd;
        rig_step(r);
    }
    return -1;
}

/* Steps until fd reads end of file (0), an error (-errno) or data (> 0, consumed). */
static int read_outcome(struct rig *r, int fd)
{
    char b[256];
    for (int i = 0; i < STEPS; i++) {
        ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT);
        if (n >= 0)
            return (int)n;
        if (errno != EAGAIN)
            return -errno;
        rig_step(r);
    }
    return -ETIMEDOUT;
}

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static uint8_t pattern(size_t i, unsigned seed)
{
    return (uint8_t)((i * 2654435761u) >> 13 ^ seed);
}

/* --- moving bytes -------------------------------------------------------------------------------- */

/* One direction's bytes, as far as the sockets take them now: sent from *sent, checked as received. */
struct flow {
    size_t total, sent, got;
    unsigned seed;
    bool bad, eof;
};

static void flow_send(struct flow *f, int fd, bool shut_when_done)
{
    uint8_t buf[65536];
    while (f->sent < f->total) {
        size_t n = f->total - f->sent < sizeof(buf) ? f->total - f->sent : sizeof(buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = pattern(f->sent + i, f->seed);
        ssize_t k = send(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (k <= 0)
            return;
        f->sent += (size_t)k;
    }
    if (shut_when_done && f->sent == f->total && f->total) {
        shutdown(fd, SHUT_WR);
        f->total = 0; /* shut once */
        f->sent = 0;
    }
}

static void flow_recv(struct flow *f, int fd)
{
    uint8_t buf[65536];
    ssize_t k;
    while (!f->eof && (k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) != -1) {
        if (k == 0)
            f->eof = true;
        for (ssize_t i = 0; i < k; i++)
            f->bad |= buf[i] != pattern(f->got + (size_t)i, f->seed);
        f->got += (size_t)k;
    }
}

static void test_both_ways_and_half_close(void)
{
    struct rig r;
    struct flow up = {.total = 6u << 20, .seed = 1}, down = {.total = 5u << 20, .seed = 2};
    size_t up_total = up.total, down_total = down.total;
    int cli, srv, steps = 0;

    rig_init(&r, TCPFWD_MAX_CONNS, true);
    cli = client_connect(&r);
    srv = server_accept(&r);
    TAP_OK(srv >= 0, "a host client's connection reaches the container's server");
    /* The client sends everything and shuts its write side; the server answers only after that end of
     * file, then closes: each end of file must travel for the test to finish. */
    while (srv >= 0 && (!up.eof || !down.eof) && steps++ < STEPS) {
        flow_send(&up, cli, true);
        flow_recv(&up, srv);
        if (up.eof)
            flow_send(&down, srv, true);
        flow_recv(&down, cli);
        rig_step(&r);
    }
    TAP_OK(up.eof && up.got == up_total && !up.bad,
           "6 MiB host -> container, intact, then end of file (%zu bytes, %d rounds)", up.got, steps);
    TAP_OK(down.eof && down.got == down_total && !down.bad,
           "the server answers after the client's end of file: 5 MiB container -> host, intact, then end of file");
    for (int i = 0; i < 20 && tcpfwd_conns(r.t); i++)
        rig_step(&r);
    TAP_OK(tcpfwd_conns(r.t) == 0, "the connection is closed once both directions are done");
    close(cli);
    if (srv >= 0)
        close(srv);
    rig_free(&r);
}

static void test_urgent_data(void)
{
    struct rig r;
    char got[16] = "";
    size_t n = 0;
    int cli, srv, one = 1;

    rig_init(&r, TCPFWD_MAX_CONNS, true);
    cli = client_connect(&r);
    srv = server_accept(&r);
    setsockopt(srv, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one));
    send(cli, "ab", 2, 0);
    send(cli, "!", 1, MSG_OOB);
    send(cli, "cd", 2, 0);
    for (int i = 0; i < 200 && n < 5; i++) {
        ssize_t k = recv(srv, got + n, sizeof(got) - 1 - n, MSG_DONTWAIT);
        if (k > 0)
            n += (size_t)k;
        rig_step(&r);
    }
    TAP_STREQ(got, "ab!cd", "urgent data does not stall the connection: it arrives inline, in order");
    close(cli);
    close(srv);
    rig_free(&r);
}

/* A full pipe, and a socket shut down for writing whose peer's end of file arrived, must not make poll
 * return at once again and again: the loop would spin while the other side does not move. */
static void test_stalled_is_quiet(void)
{
    struct rig r;
    static char junk[1 << 20];
    int cli, srv, busy, small = 4096;
    size_t sent = 0;

    rig_init(&r, TCPFWD_MAX_CONNS, true);
    r.small_bufs = true; /* for the second part, and before the first socket is made (the spare) */
    cli = client_connect(&r);
    srv = server_accept(&r);
    /* the container's server reads nothing: everything fills up, the pipe included */
    for (int i = 0; i < 200; i++) {
        ssize_t k = send(cli, junk, sizeof(junk), MSG_DONTWAIT);
        sent += k > 0 ? (size_t)k : 0;
        rig_step(&r);
    }
    busy = busy_rounds(&r, 30);
    TAP_OK(sent > 0 && busy < 5,
           "a stalled direction (%zu bytes sent, nothing read) leaves the loop idle: %d of 30 rounds woke", sent, busy);
    close(cli);
    close(srv);

    /* Small buffers inside, so that the client's bytes and its end of file all leave the host socket's
     * queue but for what waits in the pipe; the server has shut its write side (so the helper has shut
     * the host socket's) and reads nothing. */
    setsockopt(r.server, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    cli = client_connect(&r);
    srv = server_accept(&r);
    shutdown(srv, SHUT_WR);
    sent = 0;
    for (int i = 0; i < 200 && sent < sizeof(junk) / 4; i++) {
        ssize_t k = send(cli, junk, sizeof(junk) / 4 - sent, MSG_DONTWAIT);
        sent += k > 0 ? (size_t)k : 0;
        rig_step(&r);
    }
    shutdown(cli, SHUT_WR);
    for (int i = 0; i < 10; i++)
        rig_step(&r);
    busy = busy_rounds(&r, 30);
    TAP_OK(sent == sizeof(junk) / 4 && busy < 5,
           "so does a host socket shut both ways while the container lags: %d of 30 rounds woke", busy);
    TAP_OK(tcpfwd_conns(r.t) >= 1, "and the connection waits for the container");
    close(cli);
    close(srv);
    rig_free(&r);
}

/* --- refusals and resets ------------------------------------------------------------------------- */

static void test_refused_inside(void)
{
    struct rig r;
    int cli, res;

    rig_init(&r, TCPFWD_MAX_CONNS, false);
    cli = client_connect(&r);
    res = read_outcome(&r, cli);
    TAP_OK(res == -ECONNRESET, "nothing listens inside: the host client is reset at once (%s)", strerror(-res));
    TAP_OK(tcpfwd_conns(r.t) == 0, "and nothing is left of the connection");
    close(cli);
    rig_free(&r);
}

static void test_reset_inside(void)
{
    struct rig r;
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    int cli, srv, res;

    rig_init(&r, TCPFWD_MAX_CONNS, true);
    cli = client_connect(&r);
    srv = server_accept(&r);
    for (int i = 0; i < 5; i++)
        rig_step(&r);
    setsockopt(srv, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(srv);
    res = read_outcome(&r, cli);
    TAP_OK(res == -ECONNRESET, "the container's server resets: so is the host client (%s)", strerror(-res));
    TAP_OK(tcpfwd_conns(r.t) == 0, "and nothing is left of the connection");
    close(cli);
    rig_free(&r);
}

static void test_limit(void)
{
    struct rig r;
    int cli[4], srv[3], res;

    rig_init(&r, 2, true);
    cli[0] = client_connect(&r);
    srv[0] = server_accept(&r);
    cli[1] = client_connect(&r);
    srv[1] = server_accept(&r);
    cli[2] = client_connect(&r);
    res = read_outcome(&r, cli[2]);
    TAP_OK(srv[0] >= 0 && srv[1] >= 0 && res == -ECONNRESET,
           "limit 2: two connections are forwarded, a third is refused (%s)", strerror(-res));
    TAP_OK(tcpfwd_conns(r.t) == 2, "two stay open");
    close(srv[0]);
    close(cli[0]);
    for (int i = 0; i < 20 && tcpfwd_conns(r.t) > 1; i++)
        rig_step(&r);
    cli[3] = client_connect(&r);
    srv[2] = server_accept(&r);
    TAP_OK(srv[2] >= 0, "once one ends, a new one is forwarded again");
    for (int i = 1; i < 4; i++)
        close(cli[i]);
    close(srv[1]);
    close(srv[2]);
    rig_free(&r);
}

static void test_factory_failures(void)
{
    struct rig r;
    int cli, srv, res;

    rig_init(&r, TCPFWD_MAX_CONNS, true);
    r.refuse_with = EMFILE;
    cli = client_connect(&r);
    res = read_outcome(&r, cli);
    TAP_OK(res == -ECONNRESET, "the factory cannot make a socket: that connection is refused (%s)", strerror(-res));
    close(cli);
    r.refuse_with = 0;
    cli = client_connect(&r);
    srv = server_accept(&r);
    TAP_OK(srv >= 0, "the next one, once it can again, is forwarded");
    close(srv);
    close(cli);

    close(r.factory);
    r.factory = -1;
    for (int i = 0; i < 5; i++)
        rig_step(&r);
    cli = client_connect(&r);
    res = read_outcome(&r, cli);
    TAP_OK(res == -ECONNRESET && tcpfwd_conns(r.t) == 0, "the factory is gone: connections are refused, not kept (%s)",
           strerror(-res));
    close(cli);
    rig_free(&r);
}

static void test_no_fd_left(void)
{
    struct rig r;
    int before = -1, after, failed = 0;

    rig_init(&r, TCPFWD_MAX_CONNS, true);
    /* a first connection, so that the spare socket (kept from then on) is counted in both */
    for (int round = 0; round < 21; round++) {
        if (round == 1)
            before = count_fds();
        int cli = client_connect(&r), srv = server_accept(&r);
        send(cli, "x", 1, 0);
        failed += srv < 0 || read_outcome(&r, srv) != 1;
        shutdown(cli, SHUT_WR);
        failed += read_outcome(&r, srv) != 0;
        close(srv);
        failed += read_outcome(&r, cli) != 0;
        close(cli);
        for (int i = 0; i < 20 && tcpfwd_conns(r.t); i++)
            rig_step(&r);
    }
    for (int i = 0; i < 5; i++)
        rig_step(&r);
    after = count_fds();
    TAP_OK(failed == 0 && tcpfwd_conns(r.t) == 0, "20 connections, each ended by its client");
    TAP_OK(before == after, "no fd is left of them (%d before, %d after)", before, after);
    rig_free(&r);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_both_ways_and_half_close();
    test_urgent_data();
    test_stalled_is_quiet();
    test_refused_inside();
    test_reset_inside();
    test_limit();
    test_factory_failures();
    test_no_fd_left();
    return tap_done();
}
