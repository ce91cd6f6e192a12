/* Containers from images (`create --image`, `run --image`) and the image commands' side in urun:
 * urun reads the store (image/common/store.h) and makes bundles; everything that needs libarchive or
 * libcrypto, or must run as the user's subordinate IDs, is the urun-image helper's, which this module
 * starts (inside the user's namespace when it must).
 *
 * A container's bundle lives at state_image_bundle_path() and holds config.json, rootfs/ and, for an
 * overlay rootfs, upper/, work/ and MOUNTS_OVERLAY_FILE (container/mounts.h), which tells the container's init what to mount on
 * rootfs/ (mounts_rootfs_overlay, in its own mount namespace). */
#pragma once

#include <stdbool.h>

#include "base/error.h"
#include "runtime/image_spec.h"
#include "runtime/state.h"

/* Run the helper with args (NULL-terminated): inside the user's namespace with userns.  A failure it
 * reports becomes err. */
int image_helper_run(const char *const *args, bool userns, struct urun_error *err);

/* Make the bundle of container id from image ref, with the overrides.  *ret_bundle: its path;
 * *ret_lock: an fd that keeps other creates of id away until the caller closes it (after create). */
int image_bundle_prepare(const struct state_root *root, const char *id, const char *ref,
                         const struct image_overrides *ov, char **ret_bundle, int *ret_lock, struct urun_error *err);
/* Remove the bundle of id, if it has one (delete, a failed create); files of subordinate IDs through
 * the helper. */
int image_bundle_remove(const struct state_root *root, const char *id, struct urun_error *err);

/* image_bundle_remove, but only while id has no container directory: a create that failed. */
int image_bundle_discard(const struct state_root *root, const char *id, struct urun_error *err);

/* `urun image bundle REF DIR`: DIR/config.json and DIR/rootfs as a plain tree, for other runtimes. */
int image_bundle_write(const char *ref, const char *dir, struct urun_error *err);

/* The containers in root whose overlay rootfs is image ref's layers, as "ID, ID" (NULL: none):
 * `urun image rm` refuses such an image without --force, as podman's rmi does. */
int image_users(const struct state_root *root, const char *ref, char **ret_ids, struct urun_error *err);
