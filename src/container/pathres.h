/* Resolving paths inside a container's rootfs so that no symlink, "..", or absolute link can point
 * outside it: openat2(RESOLVE_IN_ROOT) where the kernel has it, a careful component walk otherwise.
 * Every path urun mounts onto or writes inside the rootfs goes through here. */
#pragma once

#include "base/error.h"

enum pathres_create {
    PATHRES_NO_CREATE, /* the path must exist */
    PATHRES_MKDIR,     /* create missing components; the last one as a directory */
    PATHRES_MKFILE,    /* create missing components as directories; the last one as an empty file */
};

/* Open path (absolute or relative, always taken relative to rootfd as "/") as an O_PATH fd that is
 * guaranteed to lie inside rootfd. */
int pathres_open(int rootfd, const char *path, enum pathres_create create, int *ret_fd, struct urun_error *err);

/* "/proc/self/fd/N" for fd: the mount target for a resolved fd. */
void pathres_fd_path(int fd, char buf[static 32]);
