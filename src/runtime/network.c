/* Implementation of network.h: the spec's side of the network settings.  It only reads the spec;
 * parsing and validating the values is netns/'s (netns_config_parse), building the network is
 * netns_start's. */
#include "runtime/network.h"

/* slirp needs a network namespace of the container's own: it makes and configures tap0 there. */
static int check_netns(const struct urun_spec *s, const char *from, struct urun_error *err)
{
    const struct spec_namespace *ns = spec_find_namespace(s, SPEC_NS_NETWORK);
    if (!ns)
        return urun_error_set(err, 0,
                              "%s slirp: the spec has no network namespace (linux.namespaces), so the "
                              "container shares the host's network; add {\"type\": \"network\"} or use none",
                              from);
    if (ns->path)
        return urun_error_set(err, 0,
                              "%s slirp: the spec joins the network namespace %s, which urun does not "
                              "configure; slirp applies only to a new network namespace",
                              from, ns->path);
    return 0;
}

int network_config_from_spec(const struct urun_spec *s, const char *opt_network, char *const *opt_publish,
                             bool opt_allow_host_loopback, struct netns_config *ret, struct urun_error *err)
{
    const struct netns_settings in = {
        .ann_network = spec_annotation(s, NETNS_ANN_NETWORK),
        .ann_publish = spec_annotation(s, NETNS_ANN_PUBLISH),
        .ann_host_loopback = spec_annotation(s, NETNS_ANN_HOST_LOOPBACK),
        .ann_mtu = spec_annotation(s, NETNS_ANN_MTU),
        .ann_dns_upstream = spec_annotation(s, NETNS_ANN_DNS_UPSTREAM),
        .opt_network = opt_network,
        .opt_publish = opt_publish,
        .opt_allow_host_loopback = opt_allow_host_loopback,
    };
    struct netns_config c;
    int r;

    r = netns_config_parse(&in, &c, err);
    if (r < 0)
        return r;
    if (c.slirp && (r = check_netns(s, netns_mode_source(&in), err)) < 0)
        return r;
    *ret = c;
    return 0;
}
