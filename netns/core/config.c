/* The network settings of a container (netns.h): the annotations' and options' strings, validated, and
 * the resolv.conf text.  Pure: strings in, structs out, no syscalls, so every bad input is unit-tested.
 * Nothing here decides *how* the network is built; that is start.c and the helper. */
#include "netns/netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Where a setting came from, for messages: `--publish "x"` or `run.urun.publish: "x"`. */
struct source {
    const char *name; /* "--publish" or NETNS_ANN_PUBLISH */
    bool option;
};

static int src_error(struct urun_error *err, const struct source *src, const char *value, size_t len, const char *why)
{
    if (src->option)
        return urun_error_set(err, 0, "%s \"%.*s\": %s", src->name, (int)len, value, why);
    return urun_error_set(err, 0, "annotation %s: \"%.*s\": %s", src->name, (int)len, value, why);
}

/* Decimal 1..max, digits only (no sign, no spaces). */
static bool parse_uint(const char *s, size_t len, unsigned long max, unsigned long *ret)
{
    unsigned long v = 0;

    if (len == 0 || len > 10)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > max)
        return false;
    *ret = v;
    return true;
}

static bool parse_port(const char *s, size_t len, uint16_t *ret)
{
    unsigned long v;
    if (!parse_uint(s, len, 65535, &v) || v == 0)
        return false;
    *ret = (uint16_t)v;
    return true;
}

/* A numeric address into its canonical text (so "::0001" and "::1" compare equal). */
static int canonical_ip(const char *s, size_t len, bool v6_only, char *buf, size_t size, int *ret_family)
{
    char tmp[64];
    unsigned char bin[16];
    int family;

    if (len == 0 || len >= sizeof(tmp))
        return -EINVAL;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (!v6_only && inet_pton(AF_INET, tmp, bin) == 1)
        family = AF_INET;
    else if (inet_pton(AF_INET6, tmp, bin) == 1)
        family = AF_INET6;
    else
        return -EINVAL;
    if (!inet_ntop(family, bin, buf, (socklen_t)size))
        return -EINVAL;
    *ret_family = family;
    return 0;
}

#define PUBLISH_FORMAT "expected [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]"

int netns_parse_publish(const char *s, size_t len, struct netns_publish *ret, struct urun_error *err)
{
    struct netns_publish p = {.udp = false};
    const char *slash = memchr(s, '/', len);
    const char *ip = NULL, *ports;
    size_t ip_len = 0, ports_len = len;
    int family;

    if (slash) {
        size_t plen = len - (size_t)(slash - s) - 1;
        if (plen == 3 && memcmp(slash + 1, "udp", 3) == 0)
            p.udp = true;
        else if (!(plen == 3 && memcmp(slash + 1, "tcp", 3) == 0))
            return urun_error_set(err, 0, "protocol \"%.*s\": expected tcp or udp", (int)plen, slash + 1);
        ports_len = (size_t)(slash - s);
    }
    ports = s;
    if (ports_len > 0 && s[0] == '[') {
        const char *close = memchr(s, ']', ports_len);
        if (!close || close + 1 >= s + ports_len || close[1] != ':')
            return urun_error_set(err, 0, "%s (an IPv6 host IP goes in brackets: [::1]:8080:80)", PUBLISH_FORMAT);
        ip = s + 1;
        ip_len = (size_t)(close - ip);
        ports = close + 2;
        ports_len -= (size_t)(ports - s);
        if (canonical_ip(ip, ip_len, true, p.host_ip, sizeof(p.host_ip), &family) < 0)
            return urun_error_set(err, 0, "host IP \"%.*s\": not a numeric IPv6 address", (int)ip_len, ip);
    } else {
        const char *c1 = memchr(s, ':', ports_len),
                   *c2 = c1 ? memchr(c1 + 1, ':', ports_len - (size_t)(c1 + 1 - s)) : NULL;
        if (c2 && memchr(c2 + 1, ':', ports_len - (size_t)(c2 + 1 - s)))
            return urun_error_set(err, 0, "%s (an IPv6 host IP goes in brackets: [::1]:8080:80)", PUBLISH_FORMAT);
        if (c2) {
            ip = s;
            ip_len = (size_t)(c1 - s);
            ports = c1 + 1;
            ports_len -= ip_len + 1;
            if (ip_len == 0)
                return urun_error_set(err, 0, "empty host IP (leave out the colon for 127.0.0.1)");
            if (canonical_ip(ip, ip_len, false, p.host_ip, sizeof(p.host_ip), &family) < 0)
                return urun_error_set(err, 0, "host IP \"%.*s\": not a numeric IP address", (int)ip_len, ip);
        } else {
            strcpy(p.host_ip, "127.0.0.1");
        }
    }
    const char *colon = memchr(ports, ':', ports_len);
    if (!colon)
        return urun_error_set(err, 0, "%s", PUBLISH_FORMAT);
    size_t hlen = (size_t)(colon - ports), clen = ports_len - hlen - 1;
    if (!parse_port(ports, hlen, &p.host_port))
        return urun_error_set(err, 0, "host port \"%.*s\": expected a number from 1 to 65535", (int)hlen, ports);
    if (!parse_port(colon + 1, clen, &p.ctr_port))
        return urun_error_set(err, 0, "container port \"%.*s\": expected a number from 1 to 65535", (int)clen,
                              colon + 1);
    *ret = p;
    return 0;
}

static bool is_any(const char *ip)
{
    return strcmp(ip, "0.0.0.0") == 0 || strcmp(ip, "::") == 0;
}

/* Two entries that could not both be bound: same protocol and port, and addresses that overlap (the
 * same one, or a wildcard of the other's family; "::" is dual-stack and covers IPv4 as well). */
static bool publish_conflict(const struct netns_publish *a, const struct netns_publish *b)
{
    bool a6 = strchr(a->host_ip, ':') != NULL, b6 = strchr(b->host_ip, ':') != NULL;

    if (a->udp != b->udp || a->host_port != b->host_port)
        return false;
    if (strcmp(a->host_ip, b->host_ip) == 0)
        return true;
    if (strcmp(a->host_ip, "::") == 0 || strcmp(b->host_ip, "::") == 0)
        return true;
    return a6 == b6 && (is_any(a->host_ip) || is_any(b->host_ip));
}

/* One list item ("a, b,c": items are separated by commas, spaces around them are ignored). */
static int add_publish(struct netns_config *c, const struct source *src, const char *item, size_t len,
                       struct urun_error *err)
{
    struct netns_publish p;
    char a[96], b[96], why[256];
    int r;

    while (len && (*item == ' ' || *item == '\t'))
        item++, len--;
    while (len && (item[len - 1] == ' ' || item[len - 1] == '\t'))
        len--;
    if (len == 0)
        return src_error(err, src, item, len, "empty entry: " PUBLISH_FORMAT);
    r = netns_parse_publish(item, len, &p, err);
    if (r < 0) {
        char inner[URUN_ERROR_MSG_MAX];
        snprintf(inner, sizeof(inner), "%s", err->msg);
        return src_error(err, src, item, len, inner);
    }
    for (size_t i = 0; i < c->n_publish; i++) {
        if (publish_conflict(&c->publish[i], &p)) {
            snprintf(why, sizeof(why), "duplicate host port: %s is already published as %s",
                     netns_publish_host_str(&p, a, sizeof(a)), netns_publish_host_str(&c->publish[i], b, sizeof(b)));
            return src_error(err, src, item, len, why);
        }
    }
    if (c->n_publish >= NETNS_MAX_PUBLISH)
        return src_error(err, src, item, len, "too many published ports (at most 64)");
    c->publish[c->n_publish++] = p;
    return 0;
}

static int add_publish_list(struct netns_config *c, const struct source *src, const char *list, struct urun_error *err)
{
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        int r = add_publish(c, src, p, len, err);
        if (r < 0)
            return r;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

static int parse_bool(const char *ann, const char *v, bool *ret, struct urun_error *err)
{
    if (strcmp(v, "true") == 0)
        *ret = true;
    else if (strcmp(v, "false") == 0)
        *ret = false;
    else
        return urun_error_set(err, 0, "annotation %s: \"%s\": expected \"true\" or \"false\"", ann, v);
    return 0;
}

/* "IP", "IP:PORT", "[IP6]" or "[IP6]:PORT"; the port defaults to 53. */
static int parse_dns_upstream(const char *v, struct netns_config *c, struct urun_error *err)
{
    const struct source src = {NETNS_ANN_DNS_UPSTREAM, false};
    const char *ip = v, *port = NULL;
    size_t ip_len = strlen(v);
    bool v6 = false;
    int family;

    if (v[0] == '[') {
        const char *close = strchr(v, ']');
        if (!close || (close[1] && close[1] != ':'))
            return src_error(err, &src, v, strlen(v), "expected IP[:PORT] or [IPV6][:PORT]");
        ip = v + 1;
        ip_len = (size_t)(close - ip);
        port = close[1] ? close + 2 : NULL;
        v6 = true;
    } else {
        const char *colon = strchr(v, ':');
        if (colon && strchr(colon + 1, ':'))
            return src_error(err, &src, v, strlen(v), "an IPv6 address goes in brackets: [::1]:53");
        if (colon) {
            ip_len = (size_t)(colon - v);
            port = colon + 1;
        }
    }
    if (canonical_ip(ip, ip_len, v6, c->dns_upstream_ip, sizeof(c->dns_upstream_ip), &family) < 0)
        return src_error(err, &src, v, strlen(v), "not a numeric IP address");
    c->dns_upstream_port = 53;
    if (port && !parse_port(port, strlen(port), &c->dns_upstream_port))
        return src_error(err, &src, v, strlen(v), "port: expected a number from 1 to 65535");
    return 0;
}

const char *netns_mode_source(const struct netns_settings *in)
{
    if (in->opt_network && *in->opt_network)
        return "--network";
    return in->ann_network ? "annotation " NETNS_ANN_NETWORK ":" : "network";
}

static int parse_settings(const struct netns_settings *in, struct netns_config *c, struct urun_error *err)
{
    const char *mode = in->opt_network && *in->opt_network ? in->opt_network : in->ann_network, *v;
    unsigned long mtu;
    int r;

    if (!mode)
        mode = "none";
    if (strcmp(mode, "slirp") == 0)
        c->slirp = true;
    else if (strcmp(mode, "host") == 0)
        c->host = true;
    else if (strcmp(mode, "none") != 0)
        return urun_error_set(err, 0, "%s \"%s\": unknown network mode; expected none, slirp or host",
                              netns_mode_source(in), mode);

    if ((v = in->ann_host_loopback) && (r = parse_bool(NETNS_ANN_HOST_LOOPBACK, v, &c->allow_host_loopback, err)) < 0)
        return r;
    if (in->opt_allow_host_loopback)
        c->allow_host_loopback = true;
    c->mtu = NETNS_MTU_DEFAULT;
    snprintf(c->guest_ip4, sizeof(c->guest_ip4), "%s", NETNS_GUEST_IP4);
    snprintf(c->guest_ip6, sizeof(c->guest_ip6), "%s", NETNS_GUEST_IP6);
    if ((v = in->ann_mtu)) {
        if (!parse_uint(v, strlen(v), 1u << 20, &mtu) || mtu < NETNS_MTU_MIN || mtu > NETNS_MTU_MAX)
            return urun_error_set(err, 0, "annotation %s: \"%s\": expected a number from %u to %u", NETNS_ANN_MTU, v,
                                  NETNS_MTU_MIN, NETNS_MTU_MAX);
        c->mtu = (unsigned)mtu;
    }
    if ((v = in->ann_dns_upstream) && (r = parse_dns_upstream(v, c, err)) < 0)
        return r;
    return 0;
}

int netns_config_parse(const struct netns_settings *in, struct netns_config *ret, struct urun_error *err)
{
    struct netns_config c = {0};
    int r;

    r = parse_settings(in, &c, err);
    if (r < 0)
        return r;
    if (in->opt_publish && in->opt_publish[0]) {
        const struct source src = {"--publish", true};
        for (size_t i = 0; in->opt_publish[i]; i++)
            if ((r = add_publish_list(&c, &src, in->opt_publish[i], err)) < 0)
                return r;
        if (!c.slirp)
            return urun_error_set(err, 0,
                                  "--publish needs the slirp network (--network slirp or annotation " NETNS_ANN_NETWORK
                                  ": slirp)");
    } else if (in->ann_publish && *in->ann_publish) {
        const struct source src = {NETNS_ANN_PUBLISH, false};
        if ((r = add_publish_list(&c, &src, in->ann_publish, err)) < 0)
            return r;
        if (!c.slirp)
            return urun_error_set(err, 0,
                                  "annotation " NETNS_ANN_PUBLISH " needs the slirp network (--network slirp "
                                  "or annotation " NETNS_ANN_NETWORK ": slirp)");
    }
    *ret = c;
    return 0;
}

/* The first word of a resolv.conf line and the rest. */
static bool keyword(const char *line, size_t len, const char *kw)
{
    size_t n = strlen(kw);
    return len > n && memcmp(line, kw, n) == 0 && (line[n] == ' ' || line[n] == '\t');
}

int netns_resolv_conf(const char *host_resolv, char *buf, size_t size)
{
    size_t off = 0;
    bool v4 = false, v6 = false;
    int n;
    /* Lines copied from the host, in order: at most this much of them. */
    char copied[4096];
    size_t copied_len = 0;

    for (const char *p = host_resolv; p && *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *l = p;
        size_t ll = len;

        p = end ? end + 1 : p + len;
        while (ll && (*l == ' ' || *l == '\t'))
            l++, ll--;
        while (ll && (l[ll - 1] == ' ' || l[ll - 1] == '\t' || l[ll - 1] == '\r'))
            ll--;
        if (keyword(l, ll, "nameserver")) {
            const char *a = l + 10;
            size_t al = ll - 10;
            while (al && (*a == ' ' || *a == '\t'))
                a++, al--;
            if (memchr(a, ':', al))
                v6 = true;
            else
                v4 = true;
        } else if (keyword(l, ll, "search") || keyword(l, ll, "domain") || keyword(l, ll, "options")) {
            if (copied_len + ll + 1 < sizeof(copied)) {
                memcpy(copied + copied_len, l, ll);
                copied_len += ll;
                copied[copied_len++] = '\n';
            }
        }
    }
    /* libslirp answers 10.0.2.3 from the host's IPv4 nameservers and fd00::3 from its IPv6 ones: offer
     * fd00::3 only to a container whose host has no IPv4 nameserver at all. */
    n = snprintf(buf, size, "# urun: slirp's DNS at %s forwards to the host's resolvers\nnameserver %s\n",
                 v6 && !v4 ? NETNS_DNS_IP6 : NETNS_DNS_IP4, v6 && !v4 ? NETNS_DNS_IP6 : NETNS_DNS_IP4);
    if (n < 0 || (size_t)n >= size)
        return -ENOSPC;
    off = (size_t)n;
    if (off + copied_len + 1 > size)
        return -ENOSPC;
    memcpy(buf + off, copied, copied_len);
    off += copied_len;
    buf[off] = '\0';
    return (int)off;
}
