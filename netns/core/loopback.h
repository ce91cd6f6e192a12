/* Bringing up "lo" in a new network namespace: the one piece of networking the urun binary itself
 * does.  Everything else (slirp) lives in a separate helper so urun never loads libslirp/GLib. */
#pragma once

#include "base/error.h"

int loopback_up(struct urun_error *err);
