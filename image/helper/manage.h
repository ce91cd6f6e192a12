/* Removing images and what no image uses any more. */
#pragma once

#include "base/error.h"

/* Remove the record of ref, and its config when no other image has it.  Layers stay until prune. */
int image_rm(const char *ref, struct urun_error *err);
/* Remove every layer and config no record names, and what interrupted imports left in tmp/.
 * Prints what it removed. */
int image_prune(struct urun_error *err);
