/* The parent half of the one spawn path (the child half is container/spawn.h): how create, exec and
 * unshare start a process and see it through its setup.  spawn_start makes the sync socket and the
 * process (in its namespaces and its cgroup); then, in the phases the caller planned (runtime/sync.h),
 * spawn_write_maps writes a new user namespace's maps, spawn_await_pid follows a process that forked
 * into its pid namespace, spawn_await_ready takes its READY and hands a terminal on, and
 * spawn_pid_file records it.  spawn_abort kills what was started when anything fails. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"
#include "runtime/sync.h"

struct idmap;
struct idmap_user;

struct spawn_req {
    unsigned long clone_flags; /* CLONE_NEW* */
    int cgroup_fd;             /* born in this cgroup (CLONE_INTO_CGROUP), or -1 */
    bool want_pidfd;
    unsigned phases; /* enum sync_phase bits */
};

struct spawn {
    pid_t pid;             /* the process; after SYNC_PHASE_PID, its child */
    int pidfd;             /* -1 when none */
    struct sync_chan sync; /* urun's end (the child's end, in the child) */
};
#define SPAWN_NONE ((struct spawn){.pid = -1, .pidfd = -1, .sync = {.fd = -1}})

/* Make the sync socket and clone.  Returns 1 in urun, 0 in the child (sp->sync is then the child's
 * end; urun's is closed), negative with err set when nothing was started.  A user namespace the
 * kernel refuses gets the reason and what to do (sysctls, AppArmor, user.max_user_namespaces). */
int spawn_start(const struct spawn_req *rq, struct spawn *sp, struct urun_error *err);

/* SYNC_PHASE_MAPS: write the child's uid_map/gid_map, take SYNC_PHASE_UNSHARED when planned (the
 * child made its namespaces meanwhile), run `between` (may be NULL; the child still waits, so its
 * namespaces can be opened), then let the child go on. */
int spawn_write_maps(struct spawn *sp, const struct idmap *m, const struct idmap_user *u,
                     int (*between)(struct spawn *sp, void *data, struct urun_error *err), void *data,
                     struct urun_error *err);

/* SYNC_PHASE_PID: the child forked into its pid namespace (CLONE_PARENT: ours); it exits and its child
 * is the process from now on (sp->pid and sp->pidfd follow). */
int spawn_await_pid(struct spawn *sp, struct urun_error *err);

/* SYNC_PHASE_READY: with a terminal, the pty master goes to console_fd (--console-socket) when that is
 * >= 0, else comes back in *ret_master (-1 without a terminal). */
int spawn_await_ready(struct spawn *sp, int console_fd, int *ret_master, struct urun_error *err);

/* --console-socket: connected before anything is created, with a timeout. */
int spawn_connect_console(const char *path, int *ret_fd, struct urun_error *err);

/* --pid-file: pid written atomically (a relative path is taken from the cwd at the time of the call). */
int spawn_pid_file(const char *path, pid_t pid, struct urun_error *err);

/* SIGKILL the process and reap it; closes the pidfd and urun's end of the socket. */
void spawn_abort(struct spawn *sp);
/* Close urun's end of the socket and the pidfd (the process lives on). */
void spawn_release(struct spawn *sp);
