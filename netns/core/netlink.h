/* rtnetlink configuration of the container's tap device, in the caller's network namespace. */
#pragma once

#include "base/error.h"

/* tap up with its MAC (NETNS_GUEST_MAC) and the MTU, 10.0.2.100/24 + default route via 10.0.2.2, and (best effort: a host without
 * IPv6 still gets IPv4) fd00::100/64 + default route via fd00::2. */
int netlink_configure_tap(int ifindex, unsigned mtu, struct urun_error *err);
