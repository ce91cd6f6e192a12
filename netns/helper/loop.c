/* The urun-slirp helper's event loop around libslirp (loop.h): one poll(2) over the tap, the init's
 * pidfd, libslirp's host sockets (through libslirp's pollfds callback API) and the spliced published
 * TCP ports' sockets (tcpfwd.h, the same way).  What makes it fast:
 *  - the tap is drained in bursts per wake-up (every frame the kernel has queued, up to a budget),
 *    into one buffer big enough for any frame of the MTU, without a poll(2) between frames;
 *  - the ACKs libslirp answers a burst with are merged (ackmerge.c): one write, and one ACK for the
 *    container's kernel to process, per connection and burst instead of one per segment;
 *  - frames to the container say in their virtio-net header that libslirp's checksums need no
 *    second check in the container's kernel, whose receive path runs in our write(2) (tapio.h);
 *  - no GLib main loop and no allocation per iteration. */
#include "netns/helper/loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "netns/helper/ackmerge.h"
#include "netns/helper/dnsfwd.h"
#include "netns/helper/tapio.h"
#include "netns/helper/tcpfwd.h"
#include "netns/helper/udpfwd.h"

/* Frames read from the tap per wake-up before libslirp's sockets get their turn again. */
#define TAP_BATCH 64
/* Without a pidfd, how often the init is looked for. */
#define WATCH_INTERVAL_MS 500
#define GUEST_ERRORS_LOGGED 16

struct loop_timer {
    struct loop_timer *next;
    int64_t expire_ms; /* -1: not armed */
    bool by_id;        /* made by timer_new_opaque: fire through slirp_handle_timer */
    SlirpTimerId id;
    SlirpTimerCb cb;
    void *cb_opaque;
};

struct slirp_loop {
    Slirp *slirp;
    int tap;
    int pidfd; /* -1: watch init_pid + init_start instead */
    pid_t init_pid;
    uint64_t init_start;
    int64_t next_watch_ms;
    struct dnsfwd *dns;
    struct udpfwd *udp; /* published UDP ports */
    struct tcpfwd *tcp; /* published TCP ports, spliced; NULL: through libslirp */
    struct pollfd *pfd;
    size_t n_pfd, cap_pfd;
    struct loop_timer *timers;
    uint8_t *rx;
    size_t rx_size;
    unsigned guest_errors;
    bool tap_gone;
    bool in_burst; /* reading the tap: pure ACKs are held in acks until the burst ends */
    uint64_t tap_writes;
    bool write_error_logged;
    struct ackmerge acks;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- libslirp callbacks (SlirpCb) ------------------------------------------------------------------ */

/* SlirpCb.send_packet: a frame for the container.  The tap never blocks a writer for long; a frame the
 * kernel refuses is dropped, and TCP retransmits it, as on a real link. */
static void tap_write(const void *buf, size_t len, void *opaque)
{
    struct slirp_loop *l = opaque;
    ssize_t n;

    l->tap_writes++;
    n = tapio_write(l->tap, buf, len);
    /* EIO: the container took tap0 down, and may bring it up again; only an unregistered device
     * (EBADFD, its network namespace is gone) ends the loop.  Anything else is a dropped frame. */
    if (n < 0 && (errno == EBADFD || errno == EBADF))
        l->tap_gone = true;
    else if (n < 0 && errno != EAGAIN && errno != ENOBUFS && errno != EIO && !l->write_error_logged) {
        log_warning("write to the container's tap: %s", strerror(errno));
        l->write_error_logged = true;
    }
}

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    struct slirp_loop *l = opaque;

    if (l->in_burst) {
        if (ackmerge_push(&l->acks, buf, len, tap_write, l))
            return (ssize_t)len;
        ackmerge_flush(&l->acks, tap_write, l);
    }
    tap_write(buf, len, l);
    return (ssize_t)len;
}

/* SlirpCb.guest_error: the container sent something libslirp rejects. */
static void cb_guest_error(const char *msg, void *opaque)
{
    struct slirp_loop *l = opaque;
    if (l->guest_errors++ < GUEST_ERRORS_LOGGED)
        log_warning("container sent a bad frame: %s", msg);
}

/* SlirpCb.clock_get_ns */
static int64_t cb_clock_get_ns(void *opaque)
{
    struct timespec ts;
    (void)opaque;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct loop_timer *timer_add(struct slirp_loop *l)
{
    struct loop_timer *t = g_new0(struct loop_timer, 1);
    t->expire_ms = -1;
    t->next = l->timers;
    l->timers = t;
    return t;
}

/* SlirpCb.timer_new */
static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    struct loop_timer *t = timer_add(opaque);
    t->cb = cb;
    t->cb_opaque = cb_opaque;
    return t;
}

/* SlirpCb.timer_new_opaque */
static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
    struct loop_timer *t = timer_add(opaque);
    t->by_id = true;
    t->id = id;
    t->cb_opaque = cb_opaque;
    return t;
}

/* SlirpCb.timer_free */
static void cb_timer_free(void *timer, void *opaque)
{
    struct slirp_loop *l = opaque;
    for (struct loop_timer **p = &l->timers; *p; p = &(*p)->next) {
        if (*p == timer) {
            *p = (*p)->next;
            g_free(timer);
            return;
        }
    }
}

/* SlirpCb.timer_mod: expire_time is in milliseconds of cb_clock_get_ns's clock. */
static void cb_timer_mod(void *timer, int64_t expire_time, void *opaque)
{
    (void)opaque;
    ((struct loop_timer *)timer)->expire_ms = expire_time;
}

/* SlirpCb.register_poll_fd, unregister_poll_fd, notify: nothing to do, every fd is polled afresh on
 * each iteration through slirp_pollfds_fill. */
static void cb_poll_fd(int fd, void *opaque)
{
    (void)fd, (void)opaque;
}

static void cb_notify(void *opaque)
{
    (void)opaque;
}

static const SlirpCb callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_poll_fd,
    .unregister_poll_fd = cb_poll_fd,
    .notify = cb_notify,
    .timer_new_opaque = cb_timer_new_opaque,
};

/* --- the poll set -------------------------------------------------------------------------------- */

static int poll_add(struct slirp_loop *l, int fd, short events)
{
    if (l->n_pfd == l->cap_pfd) {
        l->cap_pfd = l->cap_pfd ? l->cap_pfd * 2 : 64;
        l->pfd = g_renew(struct pollfd, l->pfd, l->cap_pfd);
    }
    l->pfd[l->n_pfd] = (struct pollfd){.fd = fd, .events = events};
    return (int)l->n_pfd++;
}

/* tcpfwd_poll_add_fn */
static int tcp_poll_add(void *opaque, int fd, short events)
{
    return poll_add(opaque, fd, events);
}

/* SlirpAddPollCb */
static int cb_add_poll(int fd, int events, void *opaque)
{
    short e = 0;
    if (events & SLIRP_POLL_IN)
        e |= POLLIN;
    if (events & SLIRP_POLL_OUT)
        e |= POLLOUT;
    if (events & SLIRP_POLL_PRI)
        e |= POLLPRI;
    return poll_add(opaque, fd, e);
}

/* SlirpGetREventsCb */
static int cb_get_revents(int idx, void *opaque)
{
    struct slirp_loop *l = opaque;
    short r = l->pfd[idx].revents;
    int e = 0;
    if (r & POLLIN)
        e |= SLIRP_POLL_IN;
    if (r & POLLOUT)
        e |= SLIRP_POLL_OUT;
    if (r & POLLPRI)
        e |= SLIRP_POLL_PRI;
    if (r & POLLERR)
        e |= SLIRP_POLL_ERR;
    if (r & POLLHUP)
        e |= SLIRP_POLL_HUP;
    return e;
}

/* --- setup --------------------------------------------------------------------------------------- */

static void addr4(struct in_addr *a, const char *s)
{
    inet_pton(AF_INET, s, a);
}

static void addr6(struct in6_addr *a, const char *s)
{
    inet_pton(AF_INET6, s, a);
}

int slirp_loop_new(const struct slirp_loop_args *a, struct slirp_loop **ret, struct urun_error *err)
{
    struct slirp_loop *l = g_new0(struct slirp_loop, 1);
    SlirpConfig cfg = {
        .version = 4,
        .in_enabled = true,
        .in6_enabled = true,
        .vprefix_len = 64,
        .if_mtu = a->config->mtu,
        .if_mru = a->config->mtu,
        .disable_host_loopback = !a->config->allow_host_loopback,
        /* tap0 is configured statically before the container runs: no DHCP server to attack. */
        .disable_dhcp = true,
    };
    int r;

    l->tap = a->tap;
    l->pidfd = a->pidfd;
    l->init_pid = a->init_pid;
    l->init_start = a->init_start;
    /* Room for any frame of the MTU plus its Ethernet and virtio-net headers. */
    l->rx_size = TAPIO_HLEN + a->config->mtu + 64;
    l->rx = g_malloc(l->rx_size);
    if (fcntl(l->tap, F_SETFL, fcntl(l->tap, F_GETFL) | O_NONBLOCK) < 0) {
        r = urun_error_errno(err, "tap: set non-blocking");
        goto fail;
    }
    l->udp = udpfwd_new(a->config->mtu);
    if (!l->udp) {
        r = urun_error_set(err, ENOMEM, "udp forwarding");
        goto fail;
    }
    if (a->config->dns_upstream_ip[0]) {
        r = dnsfwd_new(a->config->dns_upstream_ip, a->config->dns_upstream_port, a->config->mtu, &l->dns, err);
        if (r < 0)
            goto fail;
    }
    addr4(&cfg.vnetwork, "10.0.2.0");
    addr4(&cfg.vnetmask, "255.255.255.0");
    addr4(&cfg.vhost, NETNS_GATEWAY_IP4);
    addr4(&cfg.vnameserver, NETNS_DNS_IP4);
    addr4(&cfg.vdhcp_start, "10.0.2.15");
    addr6(&cfg.vprefix_addr6, "fd00::");
    addr6(&cfg.vhost6, NETNS_GATEWAY_IP6);
    addr6(&cfg.vnameserver6, NETNS_DNS_IP6);
    l->slirp = slirp_new(&cfg, &callbacks, l);
    if (!l->slirp) {
        r = urun_error_set(err, ENOMEM, "libslirp: slirp_new failed");
        goto fail;
    }
    *ret = l;
    return 0;
fail:
    slirp_loop_free(l);
    return r;
}

/* One TCP forward: libslirp connects to the container in the host address's family, so an IPv6 host
 * address forwards to fd00::100 and an IPv4 one to 10.0.2.100. */
static int forward_tcp(struct slirp_loop *l, const struct sockaddr_storage *host, socklen_t len, uint16_t ctr_port)
{
    struct sockaddr_in g4 = {.sin_family = AF_INET, .sin_port = htons(ctr_port)};
    struct sockaddr_in6 g6 = {.sin6_family = AF_INET6, .sin6_port = htons(ctr_port)};

    addr4(&g4.sin_addr, NETNS_GUEST_IP4);
    addr6(&g6.sin6_addr, NETNS_GUEST_IP6);
    errno = 0;
    if (host->ss_family == AF_INET6)
        return slirp_add_hostxfwd(l->slirp, (const struct sockaddr *)host, len, (struct sockaddr *)&g6, sizeof(g6),
                                  SLIRP_HOSTFWD_V6ONLY);
    return slirp_add_hostxfwd(l->slirp, (const struct sockaddr *)host, len, (struct sockaddr *)&g4, sizeof(g4), 0);
}

void slirp_loop_splice_tcp(struct slirp_loop *l, const struct netns_config *c, int factory, size_t max_conns)
{
    l->tcp = tcpfwd_new(c, factory, max_conns);
}

int slirp_loop_forward(struct slirp_loop *l, const struct netns_publish *p, struct urun_error *err)
{
    struct sockaddr_storage host;
    socklen_t len;
    char what[96];

    /* UDP: forwarded by the helper itself (udpfwd.c says why); TCP too, with a socket factory. */
    if (p->udp)
        return udpfwd_add(l->udp, p, err);
    if (l->tcp)
        return tcpfwd_add(l->tcp, p, err);
    netns_publish_host_str(p, what, sizeof(what));
    if (netns_publish_sockaddr(p, &host, &len) < 0)
        return urun_error_set(err, EINVAL, "publish %s: bad host address", what);
    if (forward_tcp(l, &host, len, p->ctr_port) < 0)
        return urun_error_set(err, errno, "publish %s -> container port %u", what, p->ctr_port);
    /* "::" means every address, IPv4 ones too: those get a forward of their own to 10.0.2.100. */
    if (strcmp(p->host_ip, "::") == 0) {
        struct netns_publish any4 = *p;
        strcpy(any4.host_ip, "0.0.0.0");
        if (netns_publish_sockaddr(&any4, &host, &len) < 0 || forward_tcp(l, &host, len, p->ctr_port) < 0)
            return urun_error_set(err, errno, "publish %s (IPv4) -> container port %u", what, p->ctr_port);
    }
    return 0;
}

void slirp_loop_free(struct slirp_loop *l)
{
    if (!l)
        return;
    if (l->slirp)
        slirp_cleanup(l->slirp);
    while (l->timers) {
        struct loop_timer *t = l->timers;
        l->timers = t->next;
        g_free(t);
    }
    dnsfwd_free(l->dns);
    udpfwd_free(l->udp);
    tcpfwd_free(l->tcp);
    g_free(l->pfd);
    g_free(l->rx);
    g_free(l);
}

/* --- the loop ------------------------------------------------------------------------------------ */

/* Frames from the container, as many as the kernel has queued (up to TAP_BATCH): one poll wake-up
 * per burst instead of one per frame. */
static void read_tap_burst(struct slirp_loop *l)
{
    int64_t now = udpfwd_count(l->udp) ? now_ms() : 0;

    for (int i = 0; i < TAP_BATCH; i++) {
        ssize_t n = read(l->tap, l->rx, l->rx_size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EBADFD || errno == EBADF)
                l->tap_gone = true; /* tap0 is gone with the container's network namespace */
            else if (errno != EAGAIN && errno != EIO)
                log_warning("read from the container's tap: %s", strerror(errno));
            return;
        }
        if (n == 0)
            return;
        /* the virtio-net header: without offloads (tapdev.c), nothing in it concerns the frame */
        if ((size_t)n <= TAPIO_HLEN)
            continue;
        uint8_t *frame = l->rx + TAPIO_HLEN;
        size_t len = (size_t)n - TAPIO_HLEN;
        if (l->dns && dnsfwd_query(l->dns, frame, len))
            continue;
        if (udpfwd_from_guest(l->udp, frame, len, now))
            continue;
        slirp_input(l->slirp, frame, (int)len);
    }
}

static void read_tap(struct slirp_loop *l)
{
    l->in_burst = true;
    read_tap_burst(l);
    l->in_burst = false;
    ackmerge_flush(&l->acks, tap_write, l);
}

/* The poll timeout: libslirp's, the earliest armed timer's, and the init watch's. */
static int next_timeout(struct slirp_loop *l, uint32_t slirp_timeout)
{
    int64_t now = now_ms(), t = slirp_timeout == UINT32_MAX ? -1 : (int64_t)slirp_timeout;

    for (struct loop_timer *tm = l->timers; tm; tm = tm->next) {
        if (tm->expire_ms < 0)
            continue;
        int64_t d = tm->expire_ms > now ? tm->expire_ms - now : 0;
        if (t < 0 || d < t)
            t = d;
    }
    if (l->pidfd < 0) {
        int64_t d = l->next_watch_ms > now ? l->next_watch_ms - now : 0;
        if (t < 0 || d < t)
            t = d;
    }
    return t > INT_MAX ? INT_MAX : (int)t;
}

static void run_timers(struct slirp_loop *l)
{
    int64_t now = now_ms();
    bool fired;

    /* A timer callback may re-arm or free timers: rescan after each one that fires. */
    do {
        fired = false;
        for (struct loop_timer *t = l->timers; t; t = t->next) {
            if (t->expire_ms < 0 || t->expire_ms > now)
                continue;
            t->expire_ms = -1;
            if (t->by_id)
                slirp_handle_timer(l->slirp, t->id, t->cb_opaque);
            else
                t->cb(t->cb_opaque);
            fired = true;
            break;
        }
    } while (fired);
}

/* Without a pidfd: the init is gone when its pid is, or now belongs to another process. */
static bool init_gone_by_pid(struct slirp_loop *l)
{
    char path[64], buf[1024];
    int64_t now = now_ms();

    if (now < l->next_watch_ms)
        return false;
    l->next_watch_ms = now + WATCH_INTERVAL_MS;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)l->init_pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return true;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ' || p[2] == 'Z')
        return true;
    for (int field = 2; p && field < 22; field++)
        p = strchr(p + 1, ' ');
    return !p || strtoull(p + 1, NULL, 10) != l->init_start;
}

int slirp_loop_run(struct slirp_loop *l)
{
    for (;;) {
        uint32_t timeout = UINT32_MAX;
        int tap_idx, pid_idx = -1, dns_idx = -1, udp_idx = -1, n;

        l->n_pfd = 0;
        tap_idx = poll_add(l, l->tap, POLLIN);
        if (l->pidfd >= 0)
            pid_idx = poll_add(l, l->pidfd, POLLIN);
        if (l->dns)
            dns_idx = poll_add(l, dnsfwd_fd(l->dns), POLLIN);
        for (size_t i = 0; i < udpfwd_count(l->udp); i++) {
            int idx = poll_add(l, udpfwd_fd(l->udp, i), POLLIN);
            if (i == 0)
                udp_idx = idx;
        }
        if (l->tcp)
            tcpfwd_fill(l->tcp, tcp_poll_add, l);
        slirp_pollfds_fill(l->slirp, &timeout, cb_add_poll, l);
        n = poll(l->pfd, l->n_pfd, next_timeout(l, timeout));
        if (n < 0 && errno != EINTR) {
            log_error("poll: %s", strerror(errno));
            return -1;
        }
        uint64_t writes = l->tap_writes;
        slirp_pollfds_poll(l->slirp, n < 0, cb_get_revents, l);
        /* Not only when poll said so: when libslirp has just written to the tap (data from a host
         * socket), the container's kernel has usually queued its ACKs by now, and reading them at
         * once saves a round through poll per window. */
        if ((n > 0 && (l->pfd[tap_idx].revents & POLLIN)) || l->tap_writes != writes)
            read_tap(l);
        if (n > 0 && dns_idx >= 0 && (l->pfd[dns_idx].revents & POLLIN))
            dnsfwd_answer(l->dns, l->tap);
        for (size_t i = 0; n > 0 && udp_idx >= 0 && i < udpfwd_count(l->udp); i++)
            if (l->pfd[(size_t)udp_idx + i].revents & POLLIN)
                udpfwd_receive(l->udp, i, l->tap, now_ms());
        if (n > 0 && l->tcp)
            tcpfwd_dispatch(l->tcp, l->pfd);
        run_timers(l);
        /* The container's network namespace is gone with its last process. */
        if (l->tap_gone || (n > 0 && (l->pfd[tap_idx].revents & (POLLERR | POLLHUP | POLLNVAL))))
            return 0;
        if (pid_idx >= 0 ? n > 0 && (l->pfd[pid_idx].revents & POLLIN) : init_gone_by_pid(l))
            return 0;
    }
}
