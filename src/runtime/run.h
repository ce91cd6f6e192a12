/* `run`: create + start in one process, which stays the init's parent, forwards the signals it gets
 * to the container, returns the container's exit status (128+N for signal N) and deletes it. */
#pragma once

#include <signal.h>
#include <stdbool.h>

#include "runtime/lifecycle.h"

struct run_opts {
    struct container_create_opts create;
    bool detach;
    bool keep;
};

/* Block the signals a foreground urun forwards (plus SIGCHLD) and return the old mask. */
void run_block_signals(sigset_t *ret_set, sigset_t *ret_old);
/* Forward those signals to pid until it exits; its exit status, or 128+N for signal N.  With a pty
 * master (>= 0), also copy stdin to it and its output to stdout, with the caller's tty in raw mode
 * and window-size changes passed on; the tty is restored before returning. */
int run_wait_forwarding(pid_t pid, int pidfd, const sigset_t *set, int pty_master, int *ret_exit);

int container_run(const struct state_root *root, const struct run_opts *o, int *ret_exit, struct urun_error *err);
