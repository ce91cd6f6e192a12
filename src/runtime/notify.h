/* NOTIFY_SOCKET (sd_notify(3)) for containers, as runc does it: when urun runs with NOTIFY_SOCKET set,
 * create binds the container's state subdirectory STATE_NOTIFY_DIR read-only at /run/notify in the
 * container (it can reach the socket there, and write nothing) and sets
 * NOTIFY_SOCKET=/run/notify/notify.sock there; start binds that socket, releases the process, waits
 * for READY=1 and passes it on to the caller's NOTIFY_SOCKET with MAINPID. */
#pragma once

#include <sys/types.h>

#include "base/error.h"
#include "runtime/state.h"
#include "spec/spec.h"

#define NOTIFY_CONTAINER_DIR "/run/notify"

/* At create, when $NOTIFY_SOCKET is set: make the notify directory and add the mount and the
 * environment variable to the spec.  Does nothing otherwise. */
int notify_prepare(const struct state_root *root, const char *id, int dirfd, struct urun_spec *s,
                   struct urun_error *err);

/* At start: when the container was prepared and $NOTIFY_SOCKET is set, bind the socket before the
 * process is released (*ret_sock, else -1). */
int notify_bind(int dirfd, int *ret_sock, struct urun_error *err);
/* Then wait for READY=1 (or the init's exit: pidfd) and tell the caller's socket. */
int notify_wait_ready(int sock, int pidfd, pid_t pid, struct urun_error *err);
