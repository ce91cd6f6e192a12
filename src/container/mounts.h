/* The container's filesystem view: rootfs, the spec's mounts, /dev, pivot_root, masked and
 * read-only paths.  Runs only inside the container init, in its own mount namespace; it must never
 * mount anything in the caller's namespace. */
#pragma once

#include <stdbool.h>

#include "base/error.h"
#include "spec/spec.h"

struct mounts_config {
    const struct urun_spec *spec;
    const char *rootfs; /* absolute host path */
    const char *bundle; /* for relative bind sources */
    bool no_pivot;
    bool new_netns; /* sysfs can only be mounted with a netns of our own */
};

/* A bundle made from an image (runtime/image.c) holds this file: what to mount on its rootfs/.
 *     overlay\nLAYERS_DIR\nLOWER:LOWER:...\n
 * or, for fuse-overlayfs, a fourth line with the absolute path of the program:
 *     fuse-overlayfs\nLAYERS_DIR\nLOWER:LOWER:...\nPROGRAM\n
 * LAYERS_DIR absolute; each LOWER a layer directory's name in
 * it (64 hex digits), top first; upper/ and work/ are the bundle's. */
#define MOUNTS_OVERLAY_FILE "urun-overlay"
#define MOUNTS_OVERLAY_MAX 65536

/* The container's init, first thing in its mount namespace: when the bundle has MOUNTS_OVERLAY_FILE,
 * mount that overlay on the rootfs (the kernel's overlayfs, which a user namespace may mount since
 * Linux 5.11, or fuse-overlayfs, after which the init continues in a new mount namespace of its own
 * so that pivot_root leaves the daemon's root alone).  Nothing to do (0) without the file. */
int mounts_rootfs_overlay(const struct mounts_config *c, struct urun_error *err);

/* Everything before the switch of root, in order: "/" made rslave, the rootfs bound onto itself,
 * the spec's mounts, /dev's standard nodes and links, linux.devices, maskedPaths, readonlyPaths and
 * root.readonly.  All of it is resolved through the rootfs fd (pathres.h). */
int mounts_setup(const struct mounts_config *c, struct urun_error *err);
/* pivot_root (or MS_MOVE + chroot with no_pivot) into the rootfs, chdir("/"), then apply
 * linux.rootfsPropagation to the new root. */
int mounts_switch_root(const struct mounts_config *c, struct urun_error *err);

/* urun, before anything is created: one warning per bind mount naming the options the kernel will
 * not apply inside a user namespace because the source's flags are locked there (an atime option
 * other than the source's, rw of a read-only source, suid, dev or exec where the source lacks them). */
void mounts_warn_locked(const struct urun_spec *s, const char *bundle);

/* Exported for unit tests: mount(2) flags and data from an OCI options list. */
struct mount_opts {
    unsigned long flags;       /* applied when mounting */
    unsigned long clear;       /* flags the options turn off (rw, suid, ...) */
    unsigned long propagation; /* MS_SHARED etc., applied separately */
    bool bind, rec, rro;
    bool tmpcopyup; /* tmpfs only: start with a copy of what the rootfs has at the target */
    char data[1024];
};
int mounts_parse_options(char *const *options, struct mount_opts *ret, struct urun_error *err);
/* Every mount option name mounts_parse_options knows, one at a time (NULL past the end): for `features`. */
const char *mounts_option_name(size_t i);
