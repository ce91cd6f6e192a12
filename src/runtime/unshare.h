/* `urun unshare`: a host command in a new user (and mount) namespace with the caller's default ID
 * mapping, like `podman unshare`, so files owned by subordinate IDs can be removed or fixed. */
#pragma once

#include "base/error.h"

int urun_unshare(char **argv, int *ret_exit, struct urun_error *err);
