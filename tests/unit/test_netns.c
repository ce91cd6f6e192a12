/* Unit tests for netns/: the network settings from plain strings (from a spec: test_network.c), the
 * published-port syntax, resolv.conf generation, the helper protocol's framing and the socket
 * factory's messages, ACK merging, the UDP frames the helper builds itself, the virtio-net header
 * before frames to the tap, and the host port check (against real loopback sockets). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fixture.h"
#include "netns/common/proto.h"
#include "netns/helper/ackmerge.h"
#include "netns/helper/frame.h"
#include "netns/helper/tapio.h"
#include "netns/netns.h"
#include "tap.h"

/* --- settings from plain strings ------------------------------------------------------------------ */

static void test_settings(void)
{
    struct urun_error err = {0};
    struct netns_config c = {.mtu = 7};
    char *publish[] = {(char *)"9000:90/udp", NULL};
    struct netns_settings in = {0};

    TAP_OK(netns_config_parse(&in, &c, &err) == 0 && !c.slirp && !c.host && c.mtu == NETNS_MTU_DEFAULT,
           "nothing given: none, default mtu");
    TAP_STREQ(netns_mode_source(&in), "network", "the default mode's source");

    in = (struct netns_settings){.ann_network = "slirp",
                                 .ann_publish = "8080:80",
                                 .ann_host_loopback = "true",
                                 .ann_mtu = "1500",
                                 .ann_dns_upstream = "[::1]:5353"};
    TAP_OK(netns_config_parse(&in, &c, &err) == 0, "annotation strings accepted: %s", err.msg);
    TAP_OK(c.slirp && c.allow_host_loopback && c.mtu == 1500 && c.n_publish == 1 && c.publish[0].host_port == 8080,
           "slirp, host loopback, mtu 1500, one port");
    TAP_OK(strcmp(c.dns_upstream_ip, "::1") == 0 && c.dns_upstream_port == 5353, "IPv6 dns upstream");
    TAP_OK(strcmp(c.guest_ip4, NETNS_GUEST_IP4) == 0 && strcmp(c.guest_ip6, NETNS_GUEST_IP6) == 0,
           "the container's own addresses: 10.0.2.100 and fd00::100");
    TAP_STREQ(netns_mode_source(&in), "annotation run.urun.network:", "the annotation's source");

    in.opt_network = "host";
    in.opt_publish = publish;
    TAP_OK(netns_config_parse(&in, &c, &err) == -EINVAL, "--network host overrides, and --publish needs slirp");
    TAP_STREQ(err.msg, "--publish needs the slirp network (--network slirp or annotation run.urun.network: slirp)",
              "named");
    TAP_STREQ(netns_mode_source(&in), "--network", "the option's source");
    in.opt_publish = NULL;
    in.ann_publish = NULL;
    TAP_OK(netns_config_parse(&in, &c, &err) == 0 && c.host && !c.slirp, "--network host");

    c.mtu = 7;
    in = (struct netns_settings){.opt_network = "slirp", .ann_mtu = "65520x"};
    TAP_OK(netns_config_parse(&in, &c, &err) == -EINVAL && c.mtu == 7, "bad mtu refused, ret untouched");
    TAP_STREQ(err.msg, "annotation run.urun.mtu: \"65520x\": expected a number from 1280 to 65520", "and named");
}

static void test_publish_syntax(void)
{
    struct netns_publish p;
    struct urun_error err = {0};
    struct sockaddr_storage ss;
    socklen_t len;
    char a[96];

    TAP_OK(netns_parse_publish("[::ffff:0:7f00:1]:1:2/udp", 25, &p, &err) == 0, "IPv6 literal");
    TAP_STREQ(netns_publish_host_str(&p, a, sizeof(a)), "[::ffff:0:7f00:1]:1/udp", "canonical IPv6 text");
    TAP_OK(netns_publish_sockaddr(&p, &ss, &len) == 0 && ss.ss_family == AF_INET6 &&
               len == sizeof(struct sockaddr_in6) && ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) == 1,
           "IPv6 sockaddr");
    TAP_OK(netns_parse_publish("010.0.0.1:65535:65535", 21, &p, &err) < 0, "leading zeros in an IPv4 address refused");
    TAP_OK(netns_parse_publish("10.0.0.1:65535:65535", 20, &p, &err) == 0 && p.host_port == 65535 &&
               p.ctr_port == 65535,
           "highest ports");
    TAP_OK(netns_publish_sockaddr(&p, &ss, &len) == 0 && ss.ss_family == AF_INET && len == sizeof(struct sockaddr_in),
           "IPv4 sockaddr");
    TAP_OK(netns_parse_publish("8080:80", 4, &p, &err) < 0, "the length bounds the input");
}

/* --- resolv.conf --------------------------------------------------------------------------------- */

static void test_resolv_conf(void)
{
    char buf[1024];
    char *host = read_fixture("netns-resolv.conf");

    TAP_OK(netns_resolv_conf(host, buf, sizeof(buf)) > 0, "resolv.conf from the fixture");
    TAP_STREQ(buf,
              "# urun: slirp's DNS at 10.0.2.3 forwards to the host's resolvers\n"
              "nameserver 10.0.2.3\n"
              "search corp.example lab.example\n"
              "options edns0 trust-ad\n"
              "domain corp.example\n",
              "nameserver replaced, search/options/domain copied, comments and sortlist left out");
    TAP_OK(netns_resolv_conf(NULL, buf, sizeof(buf)) > 0, "no host resolv.conf");
    TAP_STREQ(buf, "# urun: slirp's DNS at 10.0.2.3 forwards to the host's resolvers\nnameserver 10.0.2.3\n",
              "only the nameserver");
    TAP_OK(netns_resolv_conf("nameserver fe80::1%eth0\nnameserver ::1\n", buf, sizeof(buf)) > 0, "IPv6-only host");
    TAP_STREQ(buf, "# urun: slirp's DNS at fd00::3 forwards to the host's resolvers\nnameserver fd00::3\n",
              "fd00::3 when the host has no IPv4 nameserver");
    TAP_OK(netns_resolv_conf("nameservers 1.2.3.4\nsearchx a\nsearch\n", buf, sizeof(buf)) > 0, "near-keywords");
    TAP_STREQ(buf, "# urun: slirp's DNS at 10.0.2.3 forwards to the host's resolvers\nnameserver 10.0.2.3\n",
              "words that only start like keywords are not copied");
    TAP_OK(netns_resolv_conf(host, buf, 40) == -ENOSPC, "too small a buffer: -ENOSPC");
    TAP_OK(netns_resolv_conf(host, buf, 90) == -ENOSPC, "room for the nameserver only: -ENOSPC");
}

/* --- the helper protocol ------------------------------------------------------------------------- */

static void test_proto(void)
{
    int sv[2], fds[NETNS_PROTO_MAX_FDS], pass[2];
    size_t n = NETNS_PROTO_MAX_FDS;
    struct netns_reply rep, got;
    struct urun_error e = {.errnum = EADDRINUSE};

    snprintf(e.msg, sizeof(e.msg), "publish 127.0.0.1:80/tcp");
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 || pipe(pass) < 0) {
        TAP_OK(false, "socketpair");
        return;
    }
    netns_reply_from(&rep, &e);
    TAP_OK(netns_proto_send(sv[0], &rep, sizeof(rep), pass, 2) == 0, "send a reply with two fds");
    TAP_OK(netns_proto_recv(sv[1], &got, sizeof(got), fds, &n) == 0 && n == 2, "received with two fds");
    TAP_OK(got.failed && got.errnum == EADDRINUSE && strcmp(got.msg, e.msg) == 0, "the error travels intact");
    TAP_OK(fcntl(fds[0], F_GETFD) == FD_CLOEXEC, "received fds are close-on-exec");
    close(fds[0]);
    close(fds[1]);

    netns_reply_from(&rep, NULL);
    rep.magic ^= 1;
    netns_proto_send(sv[0], &rep, sizeof(rep), pass, 1);
    n = 1;
    TAP_OK(netns_proto_recv(sv[1], &got, sizeof(got), fds, &n) == -EBADMSG, "a wrong magic is -EBADMSG");
    netns_reply_from(&rep, NULL);
    netns_proto_send(sv[0], &rep, sizeof(rep) - 1, NULL, 0);
    n = 0;
    TAP_OK(netns_proto_recv(sv[1], &got, sizeof(got), NULL, &n) == -EBADMSG, "a short message is -EBADMSG");
    netns_proto_send(sv[0], &rep, sizeof(rep), pass, 2);
    n = 1;
    TAP_OK(netns_proto_recv(sv[1], &got, sizeof(got), fds, &n) == -EBADMSG, "more fds than room is -EBADMSG");
    close(sv[0]);
    TAP_OK(netns_proto_recv(sv[1], &got, sizeof(got), NULL, NULL) == -EPIPE, "end of file is -EPIPE");
    TAP_OK(netns_proto_send(sv[1], &rep, sizeof(rep), NULL, 0) == -EPIPE,
           "sending to a dead peer is -EPIPE, no SIGPIPE");
    close(sv[1]);
    close(pass[0]);
    close(pass[1]);
}

/* The socket factory's messages (proto.h): the helper's side against hand-made answers. */
static void test_sock_messages(void)
{
    struct netns_sock_request req;
    struct netns_sock_reply rep = {.magic = NETNS_PROTO_MAGIC, .size = sizeof(rep), .family = AF_INET6};
    int sv[2], fds[NETNS_PROTO_MAX_FDS], pass[2], family = 0, fd = -2, errnum = -1;
    size_t n = 0;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0 || pipe(pass) < 0) {
        TAP_OK(false, "socketpair");
        return;
    }
    TAP_OK(netns_sock_reply_recv(sv[0], &family, &fd, &errnum) == -EAGAIN, "no answer yet: -EAGAIN");
    TAP_OK(netns_sock_request(sv[0], AF_INET6) == 0 && netns_proto_recv(sv[1], &req, sizeof(req), fds, &n) == 0 &&
               req.family == AF_INET6 && n == 0,
           "a request carries its family and no fd");
    netns_proto_send(sv[1], &rep, sizeof(rep), pass, 1);
    TAP_OK(netns_sock_reply_recv(sv[0], &family, &fd, &errnum) == 0 && family == AF_INET6 && fd >= 0 && errnum == 0,
           "an answer with its fd");
    if (fd >= 0)
        close(fd);
    rep.errnum = EMFILE;
    netns_proto_send(sv[1], &rep, sizeof(rep), NULL, 0);
    TAP_OK(netns_sock_reply_recv(sv[0], &family, &fd, &errnum) == 0 && fd == -1 && errnum == EMFILE,
           "an answer without one, and why");
    netns_proto_send(sv[1], &rep, sizeof(rep), pass, 1);
    TAP_OK(netns_sock_reply_recv(sv[0], &family, &fd, &errnum) == -EBADMSG, "an error with an fd is -EBADMSG");
    rep.errnum = 0;
    netns_proto_send(sv[1], &rep, sizeof(rep), NULL, 0);
    TAP_OK(netns_sock_reply_recv(sv[0], &family, &fd, &errnum) == -EBADMSG, "success without an fd is -EBADMSG");
    close(sv[1]);
    TAP_OK(netns_sock_reply_recv(sv[0], &family, &fd, &errnum) == -EPIPE &&
               netns_sock_request(sv[0], AF_INET) == -EPIPE,
           "the factory gone: -EPIPE both ways");
    close(sv[0]);
    close(pass[0]);
    close(pass[1]);
}

/* --- ACK merging --------------------------------------------------------------------------------- */

struct written {
    size_t n;
    uint32_t acks[16];
};

static void record(const void *frame, size_t len, void *opaque)
{
    struct written *w = opaque;
    const uint8_t *f = frame;
    uint8_t key[ACKMERGE_KEY_MAX];
    size_t kl;
    uint32_t ack = 0;
    if (!ackmerge_pure_ack(f, len, key, &kl, &ack))
        ack = 0xdead;
    if (w->n < 16)
        w->acks[w->n] = ack;
    w->n++;
}

/* Ethernet + IPv4 + TCP, flags and payload length chosen; sport identifies the flow. */
static size_t tcp4(uint8_t *f, uint16_t sport, uint32_t ack, uint8_t flags, size_t payload)
{
    memset(f, 0, 14 + 40 + payload);
    f[12] = 0x08;
    uint8_t *ip = f + 14, *t = ip + 20;
    ip[0] = 0x45;
    ip[2] = (uint8_t)((40 + payload) >> 8);
    ip[3] = (uint8_t)(40 + payload);
    ip[9] = 6;
    t[0] = (uint8_t)(sport >> 8);
    t[1] = (uint8_t)sport;
    t[8] = (uint8_t)(ack >> 24);
    t[9] = (uint8_t)(ack >> 16);
    t[10] = (uint8_t)(ack >> 8);
    t[11] = (uint8_t)ack;
    t[12] = 5 << 4;
    t[13] = flags;
    return 14 + 40 + payload;
}

static void test_ackmerge(void)
{
    struct ackmerge m = {0};
    struct written w = {0};
    uint8_t f[256], key[ACKMERGE_KEY_MAX];
    size_t len, kl;
    uint32_t ack;

    len = tcp4(f, 1, 100, 0x10, 0);
    TAP_OK(ackmerge_pure_ack(f, len, key, &kl, &ack) && ack == 100 && kl == 12, "a pure IPv4 ACK");
    TAP_OK(!ackmerge_pure_ack(f, tcp4(f, 1, 100, 0x18, 0), key, &kl, &ack), "ACK+PSH is not pure");
    TAP_OK(!ackmerge_pure_ack(f, tcp4(f, 1, 100, 0x10, 10), key, &kl, &ack), "an ACK with data is not pure");
    TAP_OK(!ackmerge_pure_ack(f, tcp4(f, 1, 100, 0x11, 0), key, &kl, &ack), "FIN+ACK is not pure");
    len = tcp4(f, 1, 100, 0x10, 0);
    TAP_OK(!ackmerge_pure_ack(f, len - 1, key, &kl, &ack), "a truncated frame is not");

    TAP_OK(ackmerge_push(&m, f, len, record, &w), "held");
    TAP_OK(ackmerge_push(&m, f, tcp4(f, 1, 200, 0x10, 0), record, &w) && w.n == 0 && m.merged == 1,
           "a newer ACK of the same flow replaces it");
    TAP_OK(ackmerge_push(&m, f, tcp4(f, 2, 50, 0x10, 0), record, &w) && w.n == 0, "another flow is held too");
    TAP_OK(ackmerge_push(&m, f, tcp4(f, 1, 200, 0x10, 0), record, &w) && w.n == 1 && w.acks[0] == 200,
           "a duplicate ACK writes the held one first");
    TAP_OK(!ackmerge_push(&m, f, tcp4(f, 1, 300, 0x18, 100), record, &w), "a data frame is the caller's to write");
    ackmerge_flush(&m, record, &w);
    TAP_OK(w.n == 3 && m.n_used == 0, "flush writes the two held ACKs");
    TAP_OK(ackmerge_push(&m, f, tcp4(f, 1, 0xfffffff0u, 0x10, 0), record, &w) &&
               ackmerge_push(&m, f, tcp4(f, 1, 0x10, 0x10, 0), record, &w) && w.n == 3,
           "sequence wrap-around still counts as newer");
    ackmerge_flush(&m, record, &w);
    TAP_OK(w.n == 4 && w.acks[3] == 0x10, "the newest survives");
    for (uint16_t p = 0; p < ACKMERGE_SLOTS + 1; p++)
        ackmerge_push(&m, f, tcp4(f, (uint16_t)(100 + p), 1, 0x10, 0), record, &w);
    TAP_OK(w.n == 4 + ACKMERGE_SLOTS && m.n_used == 1, "a full table is written out to make room");
    ackmerge_flush(&m, record, &w);
}

/* --- UDP frames ---------------------------------------------------------------------------------- */

/* The ones' complement sum of a header or datagram that carries a valid checksum folds to 0xffff. */
static uint16_t fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

static uint32_t sum16(const uint8_t *p, size_t len)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        s += (uint32_t)p[len - 1] << 8;
    return s;
}

static void test_frames(void)
{
    uint8_t buf[FRAME_UDP4_HLEN + 64];
    const char *text = "hello, odd length";
    struct frame_udp4 u = {.dst_mac = frame_guest_mac,
                           .src_mac = frame_gateway_mac,
                           .src_port = 53000,
                           .dst_port = 7,
                           .payload = (const uint8_t *)text,
                           .len = strlen(text)};
    struct frame_udp4 p;

    inet_pton(AF_INET, "10.0.2.2", u.src_ip);
    inet_pton(AF_INET, "10.0.2.100", u.dst_ip);
    size_t len = frame_build_udp4(buf, &u, 7);
    TAP_OK(len == FRAME_UDP4_HLEN + strlen(text), "frame length");
    TAP_OK(frame_parse_udp4(buf, len, &p) && !p.fragment, "parses back");
    TAP_OK(p.src_port == 53000 && p.dst_port == 7 && p.len == strlen(text) && memcmp(p.payload, text, p.len) == 0 &&
               memcmp(p.src_ip, u.src_ip, 4) == 0 && memcmp(p.dst_ip, u.dst_ip, 4) == 0 &&
               memcmp(p.dst_mac, frame_guest_mac, 6) == 0,
           "every field survives");
    TAP_OK(fold(sum16(buf + 14, 20)) == 0xffff, "IPv4 header checksum");
    size_t udp_len = 8 + strlen(text);
    TAP_OK(fold(sum16(buf + 14 + 12, 8) + 17 + (uint32_t)udp_len + sum16(buf + 34, udp_len)) == 0xffff, "UDP checksum");
    TAP_OK(!frame_parse_udp4(buf, len - 1, &p), "a truncated frame is refused");
    buf[14 + 9] = 6;
    TAP_OK(!frame_parse_udp4(buf, len, &p), "TCP is not UDP");
    buf[14 + 9] = 17;
    buf[14 + 6] = 0x20; /* more fragments */
    TAP_OK(frame_parse_udp4(buf, len, &p) && p.fragment, "a fragment is reported as one");
}

/* The virtio-net header: where the checksum is, and a pseudo-header sum from which completing the
 * checksum (as a kernel forwarding the packet would: the sum from csum_start on, field included)
 * gives back libslirp's checksum. */
static void test_tapio(void)
{
    uint8_t buf[FRAME_UDP4_HLEN + 64], pseudo[2];
    const char *text = "checksummed elsewhere";
    struct frame_udp4 u = {.dst_mac = frame_guest_mac,
                           .src_mac = frame_gateway_mac,
                           .src_port = 4000,
                           .dst_port = 5000,
                           .payload = (const uint8_t *)text,
                           .len = strlen(text)};
    struct virtio_net_hdr h;

    inet_pton(AF_INET, "10.0.2.2", u.src_ip);
    inet_pton(AF_INET, "10.0.2.100", u.dst_ip);
    size_t len = frame_build_udp4(buf, &u, 1), l4_len = len - 34;
    uint16_t sum = (uint16_t)(buf[40] << 8 | buf[41]);
    TAP_OK(tapio_header(buf, len, &h, pseudo) == 40 && h.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && h.csum_start == 34 &&
               h.csum_offset == 6 && h.gso_type == VIRTIO_NET_HDR_GSO_NONE,
           "UDP over IPv4: the checksum's place");
    memcpy(buf + 40, pseudo, 2);
    uint32_t completed = 0xffffu - fold(sum16(buf + 34, l4_len));
    TAP_OK(completed == sum, "completing the pseudo-header sum gives the checksum");
    buf[40] = buf[41] = 0;
    TAP_OK(tapio_header(buf, len, &h, pseudo) == 0 && h.flags == 0, "UDP without a checksum: no flags");
    buf[14 + 9] = 6; /* the same bytes as a TCP segment: 29 bytes, header and data */
    TAP_OK(tapio_header(buf, len, &h, pseudo) == 50 && h.csum_offset == 16, "TCP: the checksum at offset 16");
    TAP_OK(tapio_header(buf, len - 1, &h, pseudo) == 0, "an IP length beyond the frame: no flags");
    buf[14 + 6] = 0x20; /* more fragments */
    TAP_OK(tapio_header(buf, len, &h, pseudo) == 0, "a fragment: no flags");
    buf[12] = 0x08, buf[13] = 0x06; /* ARP */
    TAP_OK(tapio_header(buf, len, &h, pseudo) == 0 && h.flags == 0, "not IP: no flags");

    uint8_t f6[14 + 40 + 20] = {[12] = 0x86, [13] = 0xdd, [14] = 0x60, [19] = 20, [20] = 6};
    f6[14 + 8 + 15] = 1, f6[14 + 24 + 15] = 2; /* ::1 -> ::2 */
    TAP_OK(tapio_header(f6, sizeof(f6), &h, pseudo) == 54 + 16 && h.csum_start == 54 &&
               (pseudo[0] << 8 | pseudo[1]) == 1 + 2 + 6 + 20,
           "TCP over IPv6: place and pseudo-header");
}

/* --- the host port check ------------------------------------------------------------------------- */

static void test_check_ports(void)
{
    struct netns_config c = {.slirp = true, .mtu = 1500, .n_publish = 1};
    struct urun_error err = {0};
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    char what[64];

    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        TAP_OK(false, "a listening socket on 127.0.0.1");
        return;
    }
    strcpy(c.publish[0].host_ip, "127.0.0.1");
    c.publish[0].host_port = ntohs(a.sin_port);
    c.publish[0].ctr_port = 80;
    TAP_OK(netns_check_ports(&c, &err) == -EADDRINUSE, "a port in use is refused");
    snprintf(what, sizeof(what), "publish 127.0.0.1:%u/tcp: the host port is already in use", ntohs(a.sin_port));
    TAP_STREQ(err.msg, what, "and named");
    c.publish[0].udp = true;
    TAP_OK(netns_check_ports(&c, &err) == 0, "the same number in UDP is free");
    close(fd);
    c.publish[0].udp = false;
    TAP_OK(netns_check_ports(&c, &err) == 0, "free once closed");
    strcpy(c.publish[0].host_ip, "192.0.2.1");
    TAP_OK(netns_check_ports(&c, &err) == -EADDRNOTAVAIL, "an address the host lacks");
}

static void test_helper_path(void)
{
    char buf[4096];
    int r = netns_helper_path(buf, sizeof(buf));
    /* The unit tests run from the build tree, next to urun-slirp. */
    TAP_OK(r == 0 || r == -ENOENT, "helper path lookup: %s", r == 0 ? buf : "not found");
}

int main(void)
{
    test_settings();
    test_publish_syntax();
    test_resolv_conf();
    test_proto();
    test_sock_messages();
    test_ackmerge();
    test_frames();
    test_tapio();
    test_check_ports();
    test_helper_path();
    return tap_done();
}
