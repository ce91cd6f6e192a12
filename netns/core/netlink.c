/* Configures the container's tap device over rtnetlink (rtnetlink(7)), in the calling process's network
 * namespace: MAC, MTU and up, 10.0.2.100/24, fd00::100/64, default routes via 10.0.2.2 and fd00::2.
 * All of it goes out in one sendmsg and comes back as one ack per request: one round trip, no `ip`. */
#include "netns/core/netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "netns/netns.h"

#define NL_BUF 4096

struct nl_batch {
    _Alignas(struct nlmsghdr) char buf[NL_BUF];
    size_t len;
    uint32_t seq;
    const char *what[8]; /* by seq - 1: what each request does, for messages */
    bool optional[8];    /* a failure here is tolerated (IPv6 disabled on the host) */
};

/* Appends a request with its fixed header; returns it so attributes can follow. */
static struct nlmsghdr *nl_add(struct nl_batch *b, uint16_t type, uint16_t flags, const void *hdr, size_t hdr_len,
                               const char *what, bool optional)
{
    struct nlmsghdr *h = (struct nlmsghdr *)(b->buf + b->len);
    size_t need = NLMSG_SPACE(hdr_len);

    if (b->len + need > sizeof(b->buf) || b->seq >= ARRAY_SIZE(b->what))
        return NULL;
    memset(h, 0, need);
    h->nlmsg_len = (uint32_t)NLMSG_LENGTH(hdr_len);
    h->nlmsg_type = type;
    h->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
    h->nlmsg_seq = ++b->seq;
    memcpy(NLMSG_DATA(h), hdr, hdr_len);
    b->what[b->seq - 1] = what;
    b->optional[b->seq - 1] = optional;
    b->len += need;
    return h;
}

static int nl_attr(struct nl_batch *b, struct nlmsghdr *h, uint16_t type, const void *data, size_t len)
{
    struct rtattr *a;
    size_t need = RTA_SPACE(len);

    if (!h)
        return -ENOBUFS;
    a = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));
    if ((size_t)((char *)a - b->buf) + need > sizeof(b->buf))
        return -ENOBUFS;
    a->rta_type = type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    memcpy(RTA_DATA(a), data, len);
    h->nlmsg_len = (uint32_t)(NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len));
    b->len = (size_t)((char *)h - b->buf) + NLMSG_ALIGN(h->nlmsg_len);
    return 0;
}

static int add_link_up(struct nl_batch *b, int ifindex, unsigned mtu)
{
    struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex, .ifi_flags = IFF_UP, .ifi_change = IFF_UP};
    static const uint8_t mac[6] = NETNS_GUEST_MAC;
    uint32_t m = mtu;
    struct nlmsghdr *h = nl_add(b, RTM_NEWLINK, 0, &ifi, sizeof(ifi), "set mac, mtu and up", false);
    if (!h || nl_attr(b, h, IFLA_ADDRESS, mac, sizeof(mac)) < 0)
        return -ENOBUFS;
    return nl_attr(b, h, IFLA_MTU, &m, sizeof(m));
}

static int add_address(struct nl_batch *b, int ifindex, int family, const char *addr, unsigned prefix)
{
    /* IPv6: no duplicate address detection, or the address stays "tentative" (unusable) for a second
     * after create returns; nobody else is on this link. */
    struct ifaddrmsg ifa = {.ifa_family = (unsigned char)family,
                            .ifa_prefixlen = (unsigned char)prefix,
                            .ifa_flags = family == AF_INET6 ? IFA_F_NODAD : 0,
                            .ifa_scope = RT_SCOPE_UNIVERSE,
                            .ifa_index = (unsigned)ifindex};
    unsigned char bin[16];
    size_t len = family == AF_INET ? 4 : 16;
    struct nlmsghdr *h =
        nl_add(b, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof(ifa),
               family == AF_INET ? "add its IPv4 address" : "add its IPv6 address", family == AF_INET6);

    if (!h || inet_pton(family, addr, bin) != 1)
        return -EINVAL;
    if (family == AF_INET && nl_attr(b, h, IFA_LOCAL, bin, len) < 0)
        return -ENOBUFS;
    return nl_attr(b, h, IFA_ADDRESS, bin, len);
}

static int add_default_route(struct nl_batch *b, int ifindex, int family, const char *gateway)
{
    struct rtmsg rt = {.rtm_family = (unsigned char)family,
                       .rtm_table = RT_TABLE_MAIN,
                       .rtm_protocol = RTPROT_BOOT,
                       .rtm_scope = RT_SCOPE_UNIVERSE,
                       .rtm_type = RTN_UNICAST};
    unsigned char bin[16];
    uint32_t oif = (uint32_t)ifindex;
    struct nlmsghdr *h = nl_add(b, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof(rt),
                                family == AF_INET ? "add default route via " NETNS_GATEWAY_IP4
                                                  : "add default route via " NETNS_GATEWAY_IP6,
                                family == AF_INET6);

    if (!h || inet_pton(family, gateway, bin) != 1)
        return -EINVAL;
    if (nl_attr(b, h, RTA_GATEWAY, bin, family == AF_INET ? 4 : 16) < 0)
        return -ENOBUFS;
    return nl_attr(b, h, RTA_OIF, &oif, sizeof(oif));
}

/* Reads acks until every request has one; the first mandatory failure is the error. */
static int read_acks(int fd, const struct nl_batch *b, struct urun_error *err)
{
    _Alignas(struct nlmsghdr) char buf[NL_BUF];
    uint32_t acked = 0;
    int r = 0;

    while (acked < b->seq) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return urun_error_errno(err, "configure %s: read netlink reply", NETNS_TAP_NAME);
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq == 0 || h->nlmsg_seq > b->seq)
                continue;
            const struct nlmsgerr *e = NLMSG_DATA(h);
            acked++;
            if (e->error && !b->optional[h->nlmsg_seq - 1] && r == 0)
                r = urun_error_set(err, -e->error, "configure %s: %s", NETNS_TAP_NAME, b->what[h->nlmsg_seq - 1]);
        }
    }
    return r;
}

int netlink_configure_tap(int ifindex, const struct netns_config *c, struct urun_error *err)
{
    _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    struct nl_batch b;
    ssize_t n;

    if (fd < 0)
        return urun_error_errno(err, "configure %s: netlink socket", NETNS_TAP_NAME);
    b.len = 0;
    b.seq = 0;
    /* Order matters: the routes need the link up and the addresses that make their gateways on-link. */
    if (add_link_up(&b, ifindex, c->mtu) < 0 || add_address(&b, ifindex, AF_INET, c->guest_ip4, 24) < 0 ||
        add_default_route(&b, ifindex, AF_INET, NETNS_GATEWAY_IP4) < 0 ||
        add_address(&b, ifindex, AF_INET6, c->guest_ip6, 64) < 0 ||
        add_default_route(&b, ifindex, AF_INET6, NETNS_GATEWAY_IP6) < 0)
        return urun_error_set(err, ENOBUFS, "configure %s: build netlink request", NETNS_TAP_NAME);
    do
        n = sendto(fd, b.buf, b.len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
    while (n < 0 && errno == EINTR);
    if (n != (ssize_t)b.len)
        return urun_error_errno(err, "configure %s: send netlink request", NETNS_TAP_NAME);
    return read_acks(fd, &b, err);
}
