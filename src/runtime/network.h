/* A container's network settings, read out of its spec: the run.urun.* annotations and create's
 * options go to netns/ as plain strings (netns_config_parse), and the spec's network namespace is
 * checked here, where the spec model is known.  Pure: no syscalls. */
#pragma once

#include <stdbool.h>

#include "base/error.h"
#include "netns/netns.h"
#include "spec/spec.h"

/* The network settings of s, overridden by the options (opt_network NULL or "" = not given;
 * opt_publish NULL or empty = not given, else it replaces run.urun.publish; opt_allow_host_loopback
 * true = given).  Everything is validated here, so that create fails before anything exists: what
 * netns_config_parse refuses, and slirp for a spec without a network namespace of its own (none, or
 * one with a path).  ret is untouched on failure. */
int network_config_from_spec(const struct urun_spec *s, const char *opt_network, char *const *opt_publish,
                             bool opt_allow_host_loopback, struct netns_config *ret, struct urun_error *err);
