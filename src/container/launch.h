/* The child half that every process urun starts inside a container goes through (the init of
 * create, the process of exec, and the command of unshare): which fds it may hold while it resolves
 * paths the container controls, and a working directory that provably lies inside the container.
 * CVE-2024-21626 came from a directory fd still open when process.cwd was resolved: here no fd of
 * the host survives to that point except those the process is meant to inherit. */
#pragma once

#include <stddef.h>

#include "base/error.h"

/* The fds a process keeps across launch_close_fds: its stdio, the n_pass fds from 3 on that it is
 * given (--preserve-fds, socket activation), and urun's own fds that it still needs (sync socket,
 * exec fifo, ...). */
struct launch_fds {
    int n_pass;
    const int *keep;
    size_t n_keep;
};

/* Close every other fd.  Negative entries in keep are ignored. */
void launch_close_fds(const struct launch_fds *f);

/* chdir(cwd) inside the container, then make sure the result is under the process's root: getcwd
 * reports a directory outside it (reached through a magic link or an fd) as unreachable.  `what`
 * names the field in the error ("process.cwd", "--cwd"). */
int launch_chdir(const char *cwd, const char *what, struct urun_error *err);
