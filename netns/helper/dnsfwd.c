/* The run.urun.dns-upstream forwarder (dnsfwd.h).  libslirp relays DNS at 10.0.2.3 to the nameservers
 * of the host's /etc/resolv.conf, on port 53, and nothing else; this sends the container's UDP queries
 * to 10.0.2.3:53 to one chosen resolver (any address and port) instead, and writes the answers back
 * to the tap as if 10.0.2.3 had sent them.  Queries get fresh IDs upstream, so two containers' clients
 * that pick the same ID can never receive each other's answers. */
#include "netns/helper/dnsfwd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns/helper/frame.h"
#include "netns/helper/tapio.h"
#include "netns/netns.h"

#define DNS_HLEN 12
#define PENDING 256
#define QUERY_MAX 4096

struct pending {
    bool used;
    uint16_t upstream_id; /* the ID the query went upstream with */
    uint16_t guest_id;
    uint16_t guest_port;
    uint8_t guest_ip[4];
    uint8_t guest_mac[6];
    uint8_t our_mac[6]; /* the MAC the guest sent the query to: libslirp's for 10.0.2.3 */
};

struct dnsfwd {
    int fd;
    unsigned mtu;
    uint16_t next_id;
    uint16_t ip_id;
    uint8_t dns_ip[4];
    struct pending pending[PENDING];
    uint8_t frame[FRAME_UDP4_HLEN + 65536]; /* the answer is received straight into its frame */
};

int dnsfwd_new(const char *ip, uint16_t port, unsigned mtu, struct dnsfwd **ret, struct urun_error *err)
{
    struct netns_publish addr = {.host_port = port};
    struct sockaddr_storage ss;
    socklen_t len;
    struct dnsfwd *d;

    snprintf(addr.host_ip, sizeof(addr.host_ip), "%s", ip);
    if (netns_publish_sockaddr(&addr, &ss, &len) < 0)
        return urun_error_set(err, EINVAL, "dns upstream %s: not a numeric address", ip);
    d = calloc(1, sizeof(*d));
    if (!d)
        return urun_error_set(err, ENOMEM, "dns upstream");
    d->mtu = mtu;
    d->next_id = (uint16_t)getpid();
    inet_pton(AF_INET, NETNS_DNS_IP4, d->dns_ip);
    d->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (d->fd < 0 || connect(d->fd, (struct sockaddr *)&ss, len) < 0) {
        int e = errno;
        if (d->fd >= 0)
            close(d->fd);
        free(d);
        return urun_error_set(err, e, "dns upstream %s port %u", ip, port);
    }
    *ret = d;
    return 0;
}

void dnsfwd_free(struct dnsfwd *d)
{
    if (!d)
        return;
    close(d->fd);
    free(d);
}

int dnsfwd_fd(const struct dnsfwd *d)
{
    return d->fd;
}

bool dnsfwd_query(struct dnsfwd *d, const uint8_t *f, size_t len)
{
    struct frame_udp4 u;
    struct pending *p;
    uint8_t query[QUERY_MAX];

    if (!frame_parse_udp4(f, len, &u) || memcmp(u.dst_ip, d->dns_ip, 4) != 0 || u.dst_port != 53)
        return false;
    /* From here on it is ours: a fragment or a malformed query is dropped, never handed to libslirp,
     * which would relay it to the host's resolvers instead of the chosen one. */
    if (u.fragment || u.len < DNS_HLEN || u.len > sizeof(query))
        return true;
    memcpy(query, u.payload, u.len);
    p = &d->pending[d->next_id % PENDING];
    p->used = true;
    p->upstream_id = d->next_id++;
    p->guest_id = (uint16_t)(query[0] << 8 | query[1]);
    p->guest_port = u.src_port;
    memcpy(p->guest_ip, u.src_ip, 4);
    memcpy(p->guest_mac, u.src_mac, 6);
    memcpy(p->our_mac, u.dst_mac, 6);
    query[0] = (uint8_t)(p->upstream_id >> 8);
    query[1] = (uint8_t)p->upstream_id;
    if (send(d->fd, query, u.len, 0) < 0)
        p->used = false; /* the guest's resolver retries */
    return true;
}

void dnsfwd_answer(struct dnsfwd *d, int tap)
{
    uint8_t *dns = d->frame + FRAME_UDP4_HLEN;

    for (int i = 0; i < 64; i++) {
        ssize_t n = recv(d->fd, dns, sizeof(d->frame) - FRAME_UDP4_HLEN, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < DNS_HLEN)
            return; /* EAGAIN, an ICMP error from a resolver not listening (ECONNREFUSED), or junk */
        uint16_t id = (uint16_t)(dns[0] << 8 | dns[1]);
        struct pending *p = &d->pending[id % PENDING];
        if (!p->used || p->upstream_id != id)
            continue;
        p->used = false;
        if ((size_t)n + FRAME_UDP4_HLEN - FRAME_ETH_HLEN > d->mtu)
            continue; /* too big for one frame; the client retries over TCP after a truncated answer */
        dns[0] = (uint8_t)(p->guest_id >> 8);
        dns[1] = (uint8_t)p->guest_id;
        struct frame_udp4 u = {.dst_mac = p->guest_mac,
                               .src_mac = p->our_mac,
                               .src_port = 53,
                               .dst_port = p->guest_port,
                               .payload = dns,
                               .len = (size_t)n};
        memcpy(u.src_ip, d->dns_ip, 4);
        memcpy(u.dst_ip, p->guest_ip, 4);
        size_t len = frame_build_udp4(d->frame, &u, d->ip_id++);
        ssize_t unused = tapio_write(tap, d->frame, len);
        (void)unused;
    }
}
