/* UDP port forwarding (udpfwd.h), done by the helper itself rather than by libslirp.  libslirp sends a
 * container's UDP answers to a client on the host's loopback only when the container may reach the
 * host's loopback at all (sotranslate_out), so with host loopback refused, urun's default, the answers
 * were lost.  Here each client gets a flow: its datagrams enter the container from 10.0.2.2:VPORT, and
 * the container's datagrams from the published port to 10.0.2.2:VPORT go back to that client, and to
 * nobody else: the container still reaches nothing else on the host's loopback. */
#include "netns/helper/udpfwd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns/helper/frame.h"
#include "netns/helper/tapio.h"

#define FLOWS 64                  /* clients per published port */
#define FLOW_IDLE_MS (180 * 1000) /* as conntrack's UDP stream timeout */
#define VPORT_FIRST 49152         /* when a client's own port is taken */

struct flow {
    bool used;
    struct sockaddr_storage client;
    socklen_t client_len;
    uint16_t vport; /* the client's port as the container sees it, from 10.0.2.2 */
    int64_t last_ms;
};

struct udp_port {
    int fd;
    uint16_t ctr_port;
    struct flow flows[FLOWS];
};

struct udpfwd {
    struct udp_port ports[NETNS_MAX_PUBLISH];
    size_t n;
    unsigned mtu;
    uint16_t ip_id;
    uint8_t guest_ip[4], gateway_ip[4];
    uint8_t buf[FRAME_UDP4_HLEN + 65536]; /* a datagram is received straight into its frame */
};

struct udpfwd *udpfwd_new(unsigned mtu)
{
    struct udpfwd *u = calloc(1, sizeof(*u));
    if (!u)
        return NULL;
    u->mtu = mtu;
    inet_pton(AF_INET, NETNS_GUEST_IP4, u->guest_ip);
    inet_pton(AF_INET, NETNS_GATEWAY_IP4, u->gateway_ip);
    return u;
}

void udpfwd_free(struct udpfwd *u)
{
    if (!u)
        return;
    for (size_t i = 0; i < u->n; i++)
        close(u->ports[i].fd);
    free(u);
}

int udpfwd_add(struct udpfwd *u, const struct netns_publish *p, struct urun_error *err)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int zero = 0, fd;
    char what[96];

    netns_publish_host_str(p, what, sizeof(what));
    if (u->n >= NETNS_MAX_PUBLISH || netns_publish_sockaddr(p, &ss, &len) < 0)
        return urun_error_set(err, EINVAL, "publish %s: bad host address", what);
    fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return urun_error_errno(err, "publish %s: socket", what);
    /* "::" is dual-stack, as netns_check_ports checked it. */
    if (ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
        int e = errno;
        close(fd);
        return urun_error_set(err, e, "publish %s -> container port %u", what, p->ctr_port);
    }
    u->ports[u->n++] = (struct udp_port){.fd = fd, .ctr_port = p->ctr_port};
    return 0;
}

size_t udpfwd_count(const struct udpfwd *u)
{
    return u ? u->n : 0;
}

int udpfwd_fd(const struct udpfwd *u, size_t i)
{
    return u->ports[i].fd;
}

static bool live(const struct flow *f, int64_t now)
{
    return f->used && now - f->last_ms < FLOW_IDLE_MS;
}

/* Whether a live flow to container port ctr_port already shows itself as vport: vports must be unique
 * per container port, or the container's answers could not be told apart. */
static bool vport_taken(const struct udpfwd *u, uint16_t ctr_port, uint16_t vport, int64_t now)
{
    for (size_t i = 0; i < u->n; i++) {
        if (u->ports[i].ctr_port != ctr_port)
            continue;
        for (size_t k = 0; k < FLOWS; k++)
            if (live(&u->ports[i].flows[k], now) && u->ports[i].flows[k].vport == vport)
                return true;
    }
    return false;
}

static uint16_t sockaddr_port(const struct sockaddr_storage *ss)
{
    return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
                                          : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* The flow of a client: its own, or a new one (in a free or the least recently used slot). */
static struct flow *flow_for(struct udpfwd *u, struct udp_port *p, const struct sockaddr_storage *from,
                             socklen_t from_len, int64_t now)
{
    struct flow *oldest = &p->flows[0];

    for (size_t k = 0; k < FLOWS; k++) {
        struct flow *f = &p->flows[k];
        if (f->used && f->client_len == from_len && memcmp(&f->client, from, from_len) == 0)
            return f;
        if (!live(f, now) || (live(oldest, now) && f->last_ms < oldest->last_ms))
            oldest = f;
    }
    oldest->used = false; /* not a candidate for its own vport any more */
    uint16_t vport = sockaddr_port(from);
    for (unsigned t = 0; vport == 0 || vport_taken(u, p->ctr_port, vport, now); t++) {
        if (t >= 65536 - VPORT_FIRST)
            return NULL;
        vport = (uint16_t)(VPORT_FIRST + t);
    }
    *oldest = (struct flow){.used = true, .client_len = from_len, .vport = vport};
    memcpy(&oldest->client, from, from_len);
    return oldest;
}

void udpfwd_receive(struct udpfwd *u, size_t i, int tap, int64_t now)
{
    struct udp_port *p = &u->ports[i];
    uint8_t *payload = u->buf + FRAME_UDP4_HLEN;

    for (int k = 0; k < 64; k++) {
        struct sockaddr_storage from;
        socklen_t from_len = sizeof(from);
        ssize_t n = recvfrom(p->fd, payload, sizeof(u->buf) - FRAME_UDP4_HLEN, 0, (struct sockaddr *)&from, &from_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return;
        /* Bigger than one frame: dropped, as a link with this MTU and DF set would. */
        if ((size_t)n + FRAME_UDP4_HLEN - FRAME_ETH_HLEN > u->mtu)
            continue;
        struct flow *f = flow_for(u, p, &from, from_len, now);
        if (!f)
            continue;
        f->last_ms = now;
        struct frame_udp4 d = {.dst_mac = frame_guest_mac,
                               .src_mac = frame_gateway_mac,
                               .src_port = f->vport,
                               .dst_port = p->ctr_port,
                               .payload = payload,
                               .len = (size_t)n};
        memcpy(d.src_ip, u->gateway_ip, 4);
        memcpy(d.dst_ip, u->guest_ip, 4);
        size_t len = frame_build_udp4(u->buf, &d, u->ip_id++);
        ssize_t unused = tapio_write(tap, u->buf, len);
        (void)unused;
    }
}

bool udpfwd_from_guest(struct udpfwd *u, const uint8_t *frame, size_t len, int64_t now)
{
    struct frame_udp4 d;

    if (!u || !u->n || !frame_parse_udp4(frame, len, &d) || memcmp(d.dst_ip, u->gateway_ip, 4) != 0 ||
        memcmp(d.src_ip, u->guest_ip, 4) != 0 || d.fragment)
        return false;
    for (size_t i = 0; i < u->n; i++) {
        struct udp_port *p = &u->ports[i];
        if (p->ctr_port != d.src_port)
            continue;
        for (size_t k = 0; k < FLOWS; k++) {
            struct flow *f = &p->flows[k];
            if (!live(f, now) || f->vport != d.dst_port)
                continue;
            f->last_ms = now;
            sendto(p->fd, d.payload, d.len, 0, (struct sockaddr *)&f->client, f->client_len);
            return true;
        }
    }
    return false;
}
