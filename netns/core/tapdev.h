/* Creating the container's tap device: only ever called in a forked child that exits afterwards. */
#pragma once

#include "base/error.h"
#include "netns/netns.h"

/* Joins t's user and network namespaces, creates tap0 there, configures it as c says (netlink.h) and
 * returns its fd in *ret_fd. */
int tap_setup(const struct netns_target *t, const struct netns_config *c, int *ret_fd, struct urun_error *err);
