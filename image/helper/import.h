/* `urun image import`: source -> verified blobs -> layers unpacked into the store -> record.  All
 * of it happens in a temporary directory of the store, renamed into place at the end, so a failed or
 * interrupted import leaves nothing behind.  Runs inside the user's namespace. */
#pragma once

#include "base/error.h"

/* ref: "NAME[:TAG]", or NULL to take the one the source names. */
int image_import(const char *source, const char *ref, struct urun_error *err);
