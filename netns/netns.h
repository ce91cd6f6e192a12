/* Built-in slirp networking: the part urun itself links (no libslirp, no GLib).
 * It reads the network settings (pure), checks published host ports, and starts a container's network:
 * a short-lived tap child inside the container's namespaces, and the long-lived `urun-slirp` helper in
 * the host's namespaces.  It never runs libslirp itself and never prints: errors go into `err`. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "base/error.h"

/* Annotations (options on create/run override the first three). */
#define NETNS_ANN_NETWORK "run.urun.network"                   /* slirp | none */
#define NETNS_ANN_PUBLISH "run.urun.publish"                   /* [HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp],... */
#define NETNS_ANN_HOST_LOOPBACK "run.urun.allow-host-loopback" /* true | false */
#define NETNS_ANN_MTU "run.urun.mtu"                           /* 1280..65520 */
#define NETNS_ANN_DNS_UPSTREAM "run.urun.dns-upstream"         /* IPV4[:PORT]: where 10.0.2.3 forwards (UDP) */

#define NETNS_MTU_DEFAULT 65520u
#define NETNS_MTU_MIN 1280u /* IPv6's minimum */
#define NETNS_MTU_MAX 65520u
#define NETNS_MAX_PUBLISH 64

/* The container's side of the virtual network (what slirp and the tap device are configured with). */
#define NETNS_TAP_NAME "tap0"
#define NETNS_GUEST_IP4 "10.0.2.100"
#define NETNS_GATEWAY_IP4 "10.0.2.2"
#define NETNS_DNS_IP4 "10.0.2.3"
#define NETNS_GUEST_IP6 "fd00::100"
/* tap0's MAC, set when it is configured, so the helper can address frames to the container without
 * ARP: locally administered, 10.0.2.100 in its last four bytes as libslirp does for its own. */
#define NETNS_GUEST_MAC                    \
    {                                      \
        0x02, 0x55, 0x0a, 0x00, 0x02, 0x64 \
    }
#define NETNS_GATEWAY_IP6 "fd00::2"
#define NETNS_DNS_IP6 "fd00::3"

struct netns_publish {
    char host_ip[64]; /* numeric IPv4 or IPv6 address; "127.0.0.1" when not given */
    uint16_t host_port;
    uint16_t ctr_port;
    bool udp;
};

struct netns_config {
    bool slirp;
    bool host; /* --network host: no network namespace of its own (MPI, InfiniBand) */
    bool allow_host_loopback;
    unsigned mtu;
    struct netns_publish publish[NETNS_MAX_PUBLISH];
    size_t n_publish;
    /* run.urun.dns-upstream: empty = libslirp's own forwarding to the host's resolv.conf servers. */
    char dns_upstream_ip[64];
    uint16_t dns_upstream_port;
    /* The container's own addresses on tap0 (NETNS_GUEST_IP4, NETNS_GUEST_IP6): what the tap child
     * configures, and where the helper connects a published TCP port's connections to. */
    char guest_ip4[16];
    char guest_ip6[46];
};

/* The network settings as given, in plain strings: the run.urun.* annotations (NULL = absent) and
 * create's options (network NULL or "" = not given; publish NULL or empty = not given, else it replaces
 * run.urun.publish; allow_host_loopback true = given).  Reading them out of a spec is the runtime's job
 * (src/runtime/network.c). */
struct netns_settings {
    const char *ann_network;
    const char *ann_publish;
    const char *ann_host_loopback;
    const char *ann_mtu;
    const char *ann_dns_upstream;
    const char *opt_network;
    char *const *opt_publish;
    bool opt_allow_host_loopback;
};

/* Pure: the network settings, validated, so that create fails before anything exists: an unknown
 * mode, a malformed or duplicate port, --publish without slirp, an MTU out of range.  Whether the spec
 * gives slirp a network namespace of its own is checked by the caller.  ret is untouched on failure. */
int netns_config_parse(const struct netns_settings *in, struct netns_config *ret, struct urun_error *err);

/* Where the mode in came from, for messages: "--network", "annotation run.urun.network:" or "network". */
const char *netns_mode_source(const struct netns_settings *in);

/* Parses one "[HOSTIP:]HOSTPORT:CTRPORT[/tcp|udp]" item (IPv6 host IPs in brackets). Pure. */
int netns_parse_publish(const char *s, size_t len, struct netns_publish *ret, struct urun_error *err);

/* "127.0.0.1:8080/tcp" or "[::1]:8080/udp", for messages. */
const char *netns_publish_host_str(const struct netns_publish *p, char *buf, size_t size);

/* The host address of p as a sockaddr (what the helper binds). Pure. */
int netns_publish_sockaddr(const struct netns_publish *p, struct sockaddr_storage *ss, socklen_t *len);

/* Binds every published host address once and lets it go again, so that a port someone else holds is
 * an error before anything is created. */
int netns_check_ports(const struct netns_config *c, struct urun_error *err);

/* The container init's namespaces that the tap child joins.  They must be opened while the kernel lets
 * urun open them: once the init makes itself non-dumpable (CVE-2019-5736, before SYNC_READY), the
 * ptrace access check behind /proc/PID/ns/{user,net} and setns(pidfd) refuses an unprivileged caller.  So
 * either netns_target_open() at a point where the init is in its final user and network namespaces
 * but still dumpable, or fill the fds from elsewhere (e.g. the init opening its own /proc/self/ns/{user,net}
 * and sending them over the sync socket, which the kernel always allows). */
struct netns_target {
    pid_t pid;     /* the container's init */
    int userns_fd; /* -1: the init is in our own user namespace, join none */
    int netns_fd;
};
#define NETNS_TARGET_NONE ((struct netns_target){.pid = -1, .userns_fd = -1, .netns_fd = -1})

/* Opens /proc/PID/ns/user (unless it is ours) and /proc/PID/ns/net, close-on-exec. */
int netns_target_open(pid_t init_pid, struct netns_target *ret, struct urun_error *err);
void netns_target_close(struct netns_target *t); /* accepts NETNS_TARGET_NONE and closed targets */

/* Called by the parent (urun create) once the container's init is in its new user and network
 * namespaces and its ID maps are written.  Configures tap0 inside the container (through a short-lived
 * child that joins t's user+net namespaces) and starts the `urun-slirp` helper for it, which exits by
 * itself when the init exits.  Returns once the network is configured, the helper runs and the
 * published ports are bound; *ret_helper_pid is the helper (a child of the caller).  When c publishes
 * a TCP port, the helper also gets t's user and network namespaces, for its socket factory (published
 * TCP connections are spliced to the container's own address, made from inside its namespace).  On
 * failure nothing is left running.  log_fd -1: the helper logs to urun's stderr.  t is not consumed.
 * c->slirp false: nothing to do, *ret_helper_pid = 0. */
int netns_start_target(const struct netns_target *t, const struct netns_config *c, int log_fd, int log_json,
                       pid_t *ret_helper_pid, struct urun_error *err);

/* netns_target_open + netns_start_target + netns_target_close, for an init that is still dumpable. */
int netns_start(pid_t init_pid, const struct netns_config *c, int log_fd, int log_json, pid_t *ret_helper_pid,
                struct urun_error *err);

/* Where netns_start finds the helper: next to the running urun (dirname of /proc/self/exe), then
 * URUN_LIBEXECDIR.  Into buf; -ENOENT when neither exists. */
int netns_helper_path(char *buf, size_t size);

/* Pure: the container's resolv.conf: "nameserver 10.0.2.3" (fd00::3 instead when the host has only
 * IPv6 nameservers), then the host's search/domain/options lines (host_resolv may be NULL).  Returns
 * the length written (NUL-terminated), -ENOSPC when buf is too small. */
int netns_resolv_conf(const char *host_resolv, char *buf, size_t size);
