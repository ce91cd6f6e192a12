/* Container lifecycle operations behind the CLI verbs: create, start, kill, delete.  Each takes the
 * state root and an ID, serialises on the container directory's lock, and reports through err. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"
#include "runtime/state.h"

struct container_create_opts {
    const char *id;
    const char *bundle;
    const char *pid_file;
    const char *console_socket;
    bool no_pivot;
    bool no_new_keyring;
    int preserve_fds;
    int listen_fds;       /* socket activation: fds 3.. handed to urun (LISTEN_FDS), passed on before preserve_fds */
    int rootless;         /* -1 auto, 0 false, 1 true */
    bool foreground;      /* `run` without --detach: a terminal's pty master comes back to the caller */
    const char *network;  /* --network, NULL when not given */
    char *const *publish; /* --publish values, NULL-terminated, or NULL */
    bool allow_host_loopback; /* --allow-host-loopback */
    bool no_cgroup;           /* --cgroup-manager disabled */
};

struct container_created {
    pid_t pid;
    int pidfd;      /* -1 when the kernel has no pidfds */
    int pty_master; /* foreground terminal containers only, else -1 */
};

int container_create(const struct state_root *root, const struct container_create_opts *o,
                     struct container_created *ret, struct urun_error *err);
int container_start(const struct state_root *root, const char *id, struct urun_error *err);
int container_kill(const struct state_root *root, const char *id, int sig, bool all, struct urun_error *err);
int container_delete(const struct state_root *root, const char *id, bool force, struct urun_error *err);
/* pause (freeze true) or resume, through the container's cgroup.freeze. */
int container_pause(const struct state_root *root, const char *id, bool freeze, struct urun_error *err);
struct cg_writes;
/* Apply new limits to the container's cgroup; anything that cannot be applied is an error. */
int container_update(const struct state_root *root, const char *id, const struct cg_writes *w, struct urun_error *err);

/* The pids (as urun sees them) of every process of the container: its cgroup's when it has one, else
 * every process in its pid namespace. */
int container_pids(int dirfd, const struct urun_state *st, pid_t **ret, size_t *ret_n, struct urun_error *err);

/* Load a container's state and live status (CREATING when state.json is not written yet, with *ret NULL). */
int container_load(const struct state_root *root, const char *id, int lock, int *ret_dirfd, struct urun_state **ret,
                   enum urun_status *ret_status, struct urun_error *err);
