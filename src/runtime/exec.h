/* `urun exec`: a new process in a running container's namespaces, under its confinement (or the
 * settings of a --process file).  Like the init, it reports errors back to urun before it execs. */
#pragma once

#include <stdbool.h>

#include "base/error.h"
#include "runtime/state.h"

struct exec_opts {
    const char *id;
    const char *process_file; /* --process: an OCI process object */
    char **argv;              /* the command, when no --process */
    bool tty, tty_set;
    const char *console_socket;
    bool detach;
    const char *pid_file;
    const char *const *env; /* extra K=V */
    const char *cwd;
    const char *user;        /* UID[:GID] */
    const char *const *caps; /* added to every set */
    bool no_new_privs;
    int preserve_fds;
    bool ignore_paused; /* exec into a paused container (the process starts frozen) */
};

int container_exec(const struct state_root *root, const struct exec_opts *o, int *ret_exit, struct urun_error *err);
