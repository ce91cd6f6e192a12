/* Unit tests for netns/: the network settings from annotations and options with every refusal, the
 * published-port syntax, resolv.conf generation, the helper protocol's framing, ACK merging, the UDP
 * frames the helper builds itself, and the host port check (against real loopback sockets). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns/helper/ackmerge.h"
#include "netns/helper/frame.h"
#include "netns/netns.h"
#include "netns/common/proto.h"
#include "spec/spec.h"
#include "tap.h"

#define NS_NET "{\"type\":\"user\"},{\"type\":\"mount\"},{\"type\":\"network\"}"
#define NS_NET_PATH "{\"type\":\"mount\"},{\"type\":\"network\",\"path\":\"/run/netns/x\"}"
#define NS_NO_NET "{\"type\":\"user\"},{\"type\":\"mount\"}"

static struct urun_spec *spec_with(const char *annotations, const char *namespaces)
{
    char buf[8192];
    struct urun_spec *s = NULL;
    struct urun_error err = {0};
    int n = snprintf(buf, sizeof(buf),
                     "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\"},"
                     "\"annotations\":{%s},\"linux\":{\"namespaces\":[%s]}}",
                     annotations, namespaces);
    if (spec_parse(buf, (size_t)n, &s, &err) < 0) {
        printf("# spec_parse: %s\n", err.msg);
        return NULL;
    }
    return s;
}

static char *read_fixture(const char *name)
{
    char path[512];
    static char buf[16384];
    snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
    if (fd >= 0)
        close(fd);
    if (n < 0)
        return NULL;
    buf[n] = '\0';
    return buf;
}

/* --- settings ------------------------------------------------------------------------------------ */

static void test_fixture_config(void)
{
    char *json = read_fixture("netns-config.json");
    struct urun_spec *s = NULL;
    struct urun_error err = {0};
    struct netns_config c;
    char a[96];

    TAP_OK(json && spec_parse(json, strlen(json), &s, &err) == 0, "fixture netns-config.json parses");
    if (!s)
        return;
    TAP_OK(netns_config_from_spec(s, NULL, NULL, false, &c, &err) == 0, "annotations accepted: %s", err.msg);
    TAP_OK(c.slirp && c.allow_host_loopback && c.mtu == 1500, "network slirp, host loopback, mtu 1500");
    TAP_OK(c.n_publish == 3, "three published ports");
    TAP_STREQ(netns_publish_host_str(&c.publish[0], a, sizeof(a)), "127.0.0.1:8080/tcp", "host IP defaults to 127.0.0.1");
    TAP_OK(c.publish[0].ctr_port == 80 && !c.publish[0].udp, "8080:80 is tcp to 80");
    TAP_STREQ(netns_publish_host_str(&c.publish[1], a, sizeof(a)), "127.0.0.2:5353/udp", "explicit IPv4 host, udp");
    TAP_STREQ(netns_publish_host_str(&c.publish[2], a, sizeof(a)), "[::1]:8443/tcp", "IPv6 host in brackets");
    TAP_STREQ(c.dns_upstream_ip, "127.0.0.1", "dns upstream address");
    TAP_OK(c.dns_upstream_port == 5353, "dns upstream port");
    spec_free(s);
}

static void test_defaults_and_overrides(void)
{
    struct urun_spec *s = spec_with("", NS_NET);
    struct urun_error err = {0};
    struct netns_config c;
    char *publish[] = {(char *)"0.0.0.0:9000:90/udp", (char *)"9001:91,9002:92", NULL};
    char *empty[] = {NULL};

    TAP_OK(netns_config_from_spec(s, NULL, NULL, false, &c, &err) == 0 && !c.slirp && c.n_publish == 0,
           "no annotation, no option: none");
    TAP_OK(c.mtu == NETNS_MTU_DEFAULT, "default mtu 65520");
    TAP_OK(netns_config_from_spec(s, "", empty, false, &c, &err) == 0 && !c.slirp, "empty options are not given");
    TAP_OK(netns_config_from_spec(s, "slirp", publish, true, &c, &err) == 0, "options alone: %s", err.msg);
    TAP_OK(c.slirp && c.allow_host_loopback && c.n_publish == 3, "--network slirp, three ports, host loopback");
    TAP_OK(c.publish[0].udp && c.publish[0].host_port == 9000 && strcmp(c.publish[0].host_ip, "0.0.0.0") == 0,
           "binding all addresses is explicit");
    TAP_OK(c.publish[2].host_port == 9002 && c.publish[2].ctr_port == 92, "a comma list in one --publish");
    spec_free(s);

    s = spec_with("\"run.urun.network\":\"slirp\",\"run.urun.publish\":\"8080:80\","
                  "\"run.urun.allow-host-loopback\":\"false\"", NS_NET);
    TAP_OK(netns_config_from_spec(s, "none", NULL, false, &c, &err) == -EINVAL, "--network none with an annotation list");
    TAP_STREQ(err.msg, "annotation run.urun.publish needs the slirp network (--network slirp or annotation "
              "run.urun.network: slirp)", "the annotation's ports need slirp");
    TAP_OK(netns_config_from_spec(s, NULL, publish, true, &c, &err) == 0 && c.n_publish == 3 &&
               c.publish[0].host_port == 9000 && c.allow_host_loopback,
           "--publish replaces run.urun.publish, --allow-host-loopback overrides false");
    TAP_OK(netns_config_from_spec(s, NULL, NULL, false, &c, &err) == 0 && c.slirp && !c.allow_host_loopback &&
               c.n_publish == 1,
           "annotations alone");
    spec_free(s);

    s = spec_with("\"run.urun.network\":\"none\",\"run.urun.mtu\":\"9000\"", NS_NO_NET);
    TAP_OK(netns_config_from_spec(s, NULL, NULL, false, &c, &err) == 0 && !c.slirp,
           "none needs no network namespace (mtu is checked, not used)");
    spec_free(s);
}

struct bad_case {
    const char *annotations;
    const char *namespaces;
    const char *opt_network;
    const char *opt_publish;
    const char *want; /* the whole message */
};

static const struct bad_case bad[] = {
    {"\"run.urun.network\":\"tap\"", NS_NET, NULL, NULL,
     "annotation run.urun.network: \"tap\": unknown network mode; expected none, slirp or host"},
    {"", NS_NET, "bridge", NULL, "--network \"bridge\": unknown network mode; expected none, slirp or host"},
    {"", NS_NET, "SLIRP", NULL, "--network \"SLIRP\": unknown network mode; expected none, slirp or host"},
    {"", NS_NET, NULL, "8080:80", "--publish needs the slirp network (--network slirp or annotation "
                                  "run.urun.network: slirp)"},
    {"", NS_NO_NET, "slirp", NULL,
     "--network slirp: the spec has no network namespace (linux.namespaces), so the container shares the "
     "host's network; add {\"type\": \"network\"} or use none"},
    {"\"run.urun.network\":\"slirp\"", NS_NET_PATH, NULL, NULL,
     "annotation run.urun.network: slirp: the spec joins the network namespace /run/netns/x, which urun does "
     "not configure; slirp applies only to a new network namespace"},
    {"", NS_NET, "slirp", "8080", "--publish \"8080\": expected [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]"},
    {"", NS_NET, "slirp", "", "--publish \"\": empty entry: expected [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]"},
    {"", NS_NET, "slirp", "8080:80/sctp", "--publish \"8080:80/sctp\": protocol \"sctp\": expected tcp or udp"},
    {"", NS_NET, "slirp", "8080:80/", "--publish \"8080:80/\": protocol \"\": expected tcp or udp"},
    {"", NS_NET, "slirp", "0:80", "--publish \"0:80\": host port \"0\": expected a number from 1 to 65535"},
    {"", NS_NET, "slirp", "65536:80", "--publish \"65536:80\": host port \"65536\": expected a number from 1 to 65535"},
    {"", NS_NET, "slirp", "-1:80", "--publish \"-1:80\": host port \"-1\": expected a number from 1 to 65535"},
    {"", NS_NET, "slirp", "+80:80", "--publish \"+80:80\": host port \"+80\": expected a number from 1 to 65535"},
    {"", NS_NET, "slirp", "80:x", "--publish \"80:x\": container port \"x\": expected a number from 1 to 65535"},
    {"", NS_NET, "slirp", "80:", "--publish \"80:\": container port \"\": expected a number from 1 to 65535"},
    {"", NS_NET, "slirp", ":8080:80", "--publish \":8080:80\": empty host IP (leave out the colon for 127.0.0.1)"},
    {"", NS_NET, "slirp", "localhost:8080:80",
     "--publish \"localhost:8080:80\": host IP \"localhost\": not a numeric IP address"},
    {"", NS_NET, "slirp", "1.2.3:8080:80", "--publish \"1.2.3:8080:80\": host IP \"1.2.3\": not a numeric IP address"},
    {"", NS_NET, "slirp", "::1:8080:80",
     "--publish \"::1:8080:80\": expected [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp] (an IPv6 host IP goes in brackets: "
     "[::1]:8080:80)"},
    {"", NS_NET, "slirp", "[127.0.0.1]:8080:80",
     "--publish \"[127.0.0.1]:8080:80\": host IP \"127.0.0.1\": not a numeric IPv6 address"},
    {"", NS_NET, "slirp", "[::1:8080:80",
     "--publish \"[::1:8080:80\": expected [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp] (an IPv6 host IP goes in brackets: "
     "[::1]:8080:80)"},
    {"", NS_NET, "slirp", "8080:80,8080:81",
     "--publish \"8080:81\": duplicate host port: 127.0.0.1:8080/tcp is already published as 127.0.0.1:8080/tcp"},
    {"", NS_NET, "slirp", "0.0.0.0:8080:80,127.0.0.1:8080:81",
     "--publish \"127.0.0.1:8080:81\": duplicate host port: 127.0.0.1:8080/tcp is already published as "
     "0.0.0.0:8080/tcp"},
    {"", NS_NET, "slirp", "[::]:53:53/udp,53:5353/udp",
     "--publish \"53:5353/udp\": duplicate host port: 127.0.0.1:53/udp is already published as [::]:53/udp"},
    {"", NS_NET, "slirp", "8080:80,,8081:81", "--publish \"\": empty entry: expected [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]"},
    {"\"run.urun.network\":\"slirp\",\"run.urun.publish\":\"8080:80 ,nope\"", NS_NET, NULL, NULL,
     "annotation run.urun.publish: \"nope\": expected [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]"},
    {"\"run.urun.allow-host-loopback\":\"yes\"", NS_NET, "slirp", NULL,
     "annotation run.urun.allow-host-loopback: \"yes\": expected \"true\" or \"false\""},
    {"\"run.urun.mtu\":\"1279\"", NS_NET, "slirp", NULL, "annotation run.urun.mtu: \"1279\": expected a number from 1280 to 65520"},
    {"\"run.urun.mtu\":\"65521\"", NS_NET, "slirp", NULL,
     "annotation run.urun.mtu: \"65521\": expected a number from 1280 to 65520"},
    {"\"run.urun.mtu\":\"1500 \"", NS_NET, "slirp", NULL,
     "annotation run.urun.mtu: \"1500 \": expected a number from 1280 to 65520"},
    {"\"run.urun.mtu\":\"\"", NS_NET, "slirp", NULL, "annotation run.urun.mtu: \"\": expected a number from 1280 to 65520"},
    {"\"run.urun.dns-upstream\":\"resolver\"", NS_NET, "slirp", NULL,
     "annotation run.urun.dns-upstream: \"resolver\": not a numeric IP address"},
    {"\"run.urun.dns-upstream\":\"127.0.0.1:0\"", NS_NET, "slirp", NULL,
     "annotation run.urun.dns-upstream: \"127.0.0.1:0\": port: expected a number from 1 to 65535"},
    {"\"run.urun.dns-upstream\":\"::1\"", NS_NET, "slirp", NULL,
     "annotation run.urun.dns-upstream: \"::1\": an IPv6 address goes in brackets: [::1]:53"},
};

static void test_bad_settings(void)
{
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const struct bad_case *b = &bad[i];
        struct urun_spec *s = spec_with(b->annotations, b->namespaces);
        struct urun_error err = {0};
        struct netns_config c = {.mtu = 7};
        char *publish[] = {(char *)b->opt_publish, NULL};
        const char *want = b->want;

        int r = netns_config_from_spec(s, b->opt_network, b->opt_publish ? publish : NULL, false, &c, &err);
        TAP_OK(r == -EINVAL && c.mtu == 7, "refused, ret untouched: %s", want);
        TAP_STREQ(err.msg, want, "message %zu", i);
        spec_free(s);
    }
}

static void test_too_many_ports(void)
{
    struct urun_spec *s = spec_with("", NS_NET);
    struct urun_error err = {0};
    struct netns_config c;
    char list[2048];
    size_t off = 0;
    char *publish[] = {list, NULL};

    for (int i = 0; i < 65; i++)
        off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%d:80", i ? "," : "", 10000 + i);
    TAP_OK(netns_config_from_spec(s, "slirp", publish, false, &c, &err) == -EINVAL, "65 ports refused");
    TAP_STREQ(err.msg, "--publish \"10064:80\": too many published ports (at most 64)", "at most 64");
    list[strlen(list) - strlen(",10064:80")] = '\0';
    TAP_OK(netns_config_from_spec(s, "slirp", publish, false, &c, &err) == 0 && c.n_publish == 64, "64 ports fine");
    spec_free(s);
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
    TAP_OK(netns_publish_sockaddr(&p, &ss, &len) == 0 && ss.ss_family == AF_INET6 && len == sizeof(struct sockaddr_in6) &&
               ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) == 1,
           "IPv6 sockaddr");
    TAP_OK(netns_parse_publish("010.0.0.1:65535:65535", 21, &p, &err) < 0, "leading zeros in an IPv4 address refused");
    TAP_OK(netns_parse_publish("10.0.0.1:65535:65535", 20, &p, &err) == 0 && p.host_port == 65535 && p.ctr_port == 65535,
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
    TAP_OK(netns_proto_send(sv[1], &rep, sizeof(rep), NULL, 0) == -EPIPE, "sending to a dead peer is -EPIPE, no SIGPIPE");
    close(sv[1]);
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
    struct frame_udp4 u = {.dst_mac = frame_guest_mac, .src_mac = frame_gateway_mac, .src_port = 53000,
                           .dst_port = 7, .payload = (const uint8_t *)text, .len = strlen(text)};
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
    test_fixture_config();
    test_defaults_and_overrides();
    test_bad_settings();
    test_too_many_ports();
    test_publish_syntax();
    test_resolv_conf();
    test_proto();
    test_ackmerge();
    test_frames();
    test_check_ports();
    test_helper_path();
    return tap_done();
}
