/* Removing images and what no image uses any more. */
#pragma once

#include "base/error.h"

/* Remove the record of ref, and its config when no other image has it.  Layers stay until prune. */
int image_rm(const char *ref, struct urun_error *err);
/* Remove every layer and config no record names, except the layers of a container (line 3 of
 * BUNDLES/NAME/FILE, when bundles is given), and what interrupted imports left in tmp/.
 * Prints what it removed. */
int image_prune(const char *bundles, const char *file, struct urun_error *err);
