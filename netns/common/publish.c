/* The published-port helpers that both urun and the urun-slirp helper use (netns.h).  Pure. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "netns/netns.h"

int netns_publish_sockaddr(const struct netns_publish *p, struct sockaddr_storage *ss, socklen_t *len)
{
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, p->host_ip, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(p->host_port);
        *len = sizeof(*s4);
        return 0;
    }
    if (inet_pton(AF_INET6, p->host_ip, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(p->host_port);
        *len = sizeof(*s6);
        return 0;
    }
    return -EINVAL;
}

const char *netns_publish_host_str(const struct netns_publish *p, char *buf, size_t size)
{
    bool v6 = strchr(p->host_ip, ':') != NULL;
    snprintf(buf, size, "%s%s%s:%u/%s", v6 ? "[" : "", p->host_ip, v6 ? "]" : "", p->host_port, p->udp ? "udp" : "tcp");
    return buf;
}
