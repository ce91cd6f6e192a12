/* Flattening an image: its layers applied in order into one plain directory tree (whiteouts delete,
 * opaque directories replace), with owners, modes (setuid too), times, hard links and file
 * capabilities kept.  For `urun image bundle` and for the copy fallback of `run --image` where no
 * overlay filesystem can be mounted.  Runs inside the user's namespace. */
#pragma once

#include "base/error.h"

/* The image ref's layers into dest, an existing empty directory. */
int image_flatten(const char *ref, const char *dest, struct urun_error *err);
