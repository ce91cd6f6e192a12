/* The confinement of the urun-slirp helper and of its socket factory: no_new_privs and a seccomp
 * allow-list of their own each. */
#pragma once

#include "base/error.h"

/* Irreversible: call once, after every port is bound and before any guest traffic is handled. */
int sandbox_apply(struct urun_error *err);

/* The socket factory's (sockfactory.c): irreversible, once it is in the container's namespaces. */
int sandbox_apply_factory(struct urun_error *err);
