/* Unit tests for src/runtime/network.c: a container's network settings from its spec's annotations
 * and create's options, with every refusal (netns_config_parse's through the spec, and the spec's own
 * network namespace checks). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "netns/netns.h"
#include "runtime/network.h"
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
                     "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"process\":{\"user\":{\"uid\":0,\"gid\":0},"
                     "\"args\":[\"sh\"],\"cwd\":\"/\"},"
                     "\"annotations\":{%s},\"linux\":{\"namespaces\":[%s]}}",
                     annotations, namespaces);
    if (spec_parse(buf, (size_t)n, &s, &err) < 0) {
        printf("# spec_parse: %s\n", err.msg);
        return NULL;
    }
    return s;
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
    TAP_OK(network_config_from_spec(s, NULL, NULL, false, &c, &err) == 0, "annotations accepted: %s", err.msg);
    TAP_OK(c.slirp && c.allow_host_loopback && c.mtu == 1500, "network slirp, host loopback, mtu 1500");
    TAP_OK(c.n_publish == 3, "three published ports");
    TAP_STREQ(netns_publish_host_str(&c.publish[0], a, sizeof(a)), "127.0.0.1:8080/tcp",
              "host IP defaults to 127.0.0.1");
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

    TAP_OK(network_config_from_spec(s, NULL, NULL, false, &c, &err) == 0 && !c.slirp && c.n_publish == 0,
           "no annotation, no option: none");
    TAP_OK(c.mtu == NETNS_MTU_DEFAULT, "default mtu 65520");
    TAP_OK(network_config_from_spec(s, "", empty, false, &c, &err) == 0 && !c.slirp, "empty options are not given");
    TAP_OK(network_config_from_spec(s, "slirp", publish, true, &c, &err) == 0, "options alone: %s", err.msg);
    TAP_OK(c.slirp && c.allow_host_loopback && c.n_publish == 3, "--network slirp, three ports, host loopback");
    TAP_OK(c.publish[0].udp && c.publish[0].host_port == 9000 && strcmp(c.publish[0].host_ip, "0.0.0.0") == 0,
           "binding all addresses is explicit");
    TAP_OK(c.publish[2].host_port == 9002 && c.publish[2].ctr_port == 92, "a comma list in one --publish");
    spec_free(s);

    s = spec_with("\"run.urun.network\":\"slirp\",\"run.urun.publish\":\"8080:80\","
                  "\"run.urun.allow-host-loopback\":\"false\"",
                  NS_NET);
    TAP_OK(network_config_from_spec(s, "none", NULL, false, &c, &err) == -EINVAL,
           "--network none with an annotation list");
    TAP_STREQ(err.msg,
              "annotation run.urun.publish needs the slirp network (--network slirp or annotation "
              "run.urun.network: slirp)",
              "the annotation's ports need slirp");
    TAP_OK(network_config_from_spec(s, NULL, publish, true, &c, &err) == 0 && c.n_publish == 3 &&
               c.publish[0].host_port == 9000 && c.allow_host_loopback,
           "--publish replaces run.urun.publish, --allow-host-loopback overrides false");
    TAP_OK(network_config_from_spec(s, NULL, NULL, false, &c, &err) == 0 && c.slirp && !c.allow_host_loopback &&
               c.n_publish == 1,
           "annotations alone");
    spec_free(s);

    s = spec_with("\"run.urun.network\":\"none\",\"run.urun.mtu\":\"9000\"", NS_NO_NET);
    TAP_OK(network_config_from_spec(s, NULL, NULL, false, &c, &err) == 0 && !c.slirp,
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
    {"", NS_NET, NULL, "8080:80",
     "--publish needs the slirp network (--network slirp or annotation "
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
    {"", NS_NET, "slirp", "8080:80,,8081:81",
     "--publish \"\": empty entry: expected [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]"},
    {"\"run.urun.network\":\"slirp\",\"run.urun.publish\":\"8080:80 ,nope\"", NS_NET, NULL, NULL,
     "annotation run.urun.publish: \"nope\": expected [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]"},
    {"\"run.urun.allow-host-loopback\":\"yes\"", NS_NET, "slirp", NULL,
     "annotation run.urun.allow-host-loopback: \"yes\": expected \"true\" or \"false\""},
    {"\"run.urun.mtu\":\"1279\"", NS_NET, "slirp", NULL,
     "annotation run.urun.mtu: \"1279\": expected a number from 1280 to 65520"},
    {"\"run.urun.mtu\":\"65521\"", NS_NET, "slirp", NULL,
     "annotation run.urun.mtu: \"65521\": expected a number from 1280 to 65520"},
    {"\"run.urun.mtu\":\"1500 \"", NS_NET, "slirp", NULL,
     "annotation run.urun.mtu: \"1500 \": expected a number from 1280 to 65520"},
    {"\"run.urun.mtu\":\"\"", NS_NET, "slirp", NULL,
     "annotation run.urun.mtu: \"\": expected a number from 1280 to 65520"},
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

        int r = network_config_from_spec(s, b->opt_network, b->opt_publish ? publish : NULL, false, &c, &err);
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
    TAP_OK(network_config_from_spec(s, "slirp", publish, false, &c, &err) == -EINVAL, "65 ports refused");
    TAP_STREQ(err.msg, "--publish \"10064:80\": too many published ports (at most 64)", "at most 64");
    list[strlen(list) - strlen(",10064:80")] = '\0';
    TAP_OK(network_config_from_spec(s, "slirp", publish, false, &c, &err) == 0 && c.n_publish == 64, "64 ports fine");
    spec_free(s);
}

int main(void)
{
    test_fixture_config();
    test_defaults_and_overrides();
    test_bad_settings();
    test_too_many_ports();
    return tap_done();
}
