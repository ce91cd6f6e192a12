/* Network settings (src/runtime/network.c, netns/core/config.c): a config through spec_parse, then
 * network_config_from_spec from its run.urun.* annotations, once as they are and once with the options
 * create takes overriding them.  Input that is no config is read as the host's resolv.conf instead
 * (netns_resolv_conf).  Nothing is bound: netns_check_ports and netns_start are never called. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "netns/netns.h"
#include "runtime/network.h"

static void check_config(const struct netns_config *c)
{
    char buf[128];

    FUZZ_CHECK(c->mtu >= NETNS_MTU_MIN && c->mtu <= NETNS_MTU_MAX);
    FUZZ_CHECK(c->n_publish <= NETNS_MAX_PUBLISH);
    FUZZ_CHECK(c->n_publish == 0 || c->slirp);
    for (size_t i = 0; i < c->n_publish; i++) {
        struct sockaddr_storage ss;
        socklen_t len;

        FUZZ_CHECK(c->publish[i].host_port && c->publish[i].ctr_port);
        FUZZ_CHECK(memchr(c->publish[i].host_ip, '\0', sizeof(c->publish[i].host_ip)));
        FUZZ_CHECK(netns_publish_sockaddr(&c->publish[i], &ss, &len) == 0);
        FUZZ_CHECK(netns_publish_host_str(&c->publish[i], buf, sizeof(buf)));
    }
    FUZZ_CHECK(memchr(c->dns_upstream_ip, '\0', sizeof(c->dns_upstream_ip)));
}

static void from_spec(const struct urun_spec *s, const char *network, char *const *publish, bool loopback)
{
    struct netns_config c;
    struct urun_error err = {0};
    int r = network_config_from_spec(s, network, publish, loopback, &c, &err);

    fuzz_note("network_config_from_spec", r, &err);
    FUZZ_CHECK_ERROR(r, err);
    if (r >= 0)
        check_config(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    _cleanup_(spec_freep) struct urun_spec *s = fuzz_spec_parse(data, size);
    _cleanup_free_ char *text = NULL;
    char out[4096];

    if (s) {
        /* The options as `urun run --network slirp --publish ...` passes them: from the config's
         * own publish annotation, so the fuzzer reaches the option path with its own strings. */
        const char *ann = spec_annotation(s, NETNS_ANN_PUBLISH);
        char *const publish[] = {(char *)(ann ? ann : "8080:80"), NULL};

        from_spec(s, NULL, NULL, false);
        from_spec(s, "slirp", publish, true);
        return 0;
    }
    text = strndup((const char *)data, size);
    if (!text)
        return 0;
    int r = netns_resolv_conf(text, out, sizeof(out));
    FUZZ_CHECK(r == -ENOSPC || (r >= 0 && (size_t)r < sizeof(out) && out[r] == '\0'));
    return 0;
}
