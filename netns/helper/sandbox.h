/* The urun-slirp helper's confinement: no_new_privs and its own seccomp allow-list. */
#pragma once

#include "base/error.h"

/* Irreversible: call once, after every port is bound and before any guest traffic is handled. */
int sandbox_apply(struct urun_error *err);
