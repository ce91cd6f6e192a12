/* rtnetlink configuration of the container's tap device, in the caller's network namespace. */
#pragma once

#include "base/error.h"
#include "netns/netns.h"

/* tap up with its MAC (NETNS_GUEST_MAC) and c's MTU, c's guest IPv4 address (10.0.2.100)/24 + default
 * route via 10.0.2.2, and (best effort: a host without IPv6 still gets IPv4) c's guest IPv6 address
 * (fd00::100)/64 + default route via fd00::2. */
int netlink_configure_tap(int ifindex, const struct netns_config *c, struct urun_error *err);
