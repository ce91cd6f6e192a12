/* netns_check_ports (netns.h): each published host address is bound once and let go, so that a port
 * already taken on the host fails create before anything exists.  The helper binds for real later;
 * a port taken in between is still reported, by the helper, through netns_start. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "netns/netns.h"

static const char *bind_hint(int e)
{
    switch (e) {
    case EADDRINUSE:
        return "the host port is already in use";
    case EACCES:
        return "ports below net.ipv4.ip_unprivileged_port_start need privileges";
    case EADDRNOTAVAIL:
        return "the host has no such address";
    default:
        return "cannot bind the host port";
    }
}

int netns_check_ports(const struct netns_config *c, struct urun_error *err)
{
    char what[128];

    for (size_t i = 0; i < c->n_publish; i++) {
        const struct netns_publish *p = &c->publish[i];
        struct sockaddr_storage ss;
        socklen_t len;
        int one = 1, zero = 0;

        netns_publish_host_str(p, what, sizeof(what));
        if (netns_publish_sockaddr(p, &ss, &len) < 0)
            return urun_error_set(err, EINVAL, "publish %s: bad host address", what);
        _cleanup_close_ int fd = socket(ss.ss_family, (p->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return urun_error_errno(err, "publish %s: socket", what);
        /* As the helper will: TCP listeners reuse TIME_WAIT addresses, "::" is dual-stack. */
        if (!p->udp)
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (ss.ss_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
        if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
            int e = errno;
            return urun_error_set(err, e, "publish %s: %s", what, bind_hint(e));
        }
    }
    return 0;
}
