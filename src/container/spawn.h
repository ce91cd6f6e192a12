/* The child half of the one spawn path (the parent half is runtime/spawn.h): what every process urun
 * starts inside a container goes through, the init of `create` and the process of `exec` alike.  In
 * order:
 *   spawn_seal_fds     keep only stdio, the fds it is given and the fds it still needs itself;
 *   spawn_enter        join namespaces, become root of the user namespace, fork into a pid namespace;
 *   spawn_prepare      chdir inside the root (checked), process checks and rlimits, find args[0];
 *   spawn_exec         user, capabilities, no_new_privs, seccomp, execve;
 *   spawn_fail         report an error to urun, wherever it still listens.
 * CVE-2024-21626 came from a directory fd still open when process.cwd was resolved: no fd of the
 * host survives to spawn_prepare except those the process is meant to inherit. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"
#include "runtime/nsjoin.h"
#include "runtime/sync.h"
#include "spec/spec.h"

struct process_seccomp;

/* One process being spawned: how it talks to urun. */
struct spawn_child {
    struct sync_chan sync; /* fd -1 once closed (after READY for exec, after GO for the init) */
    int report_fd;         /* then: where failures go (the init's exec fifo once `start` opened it), or -1 */
    const char *who;       /* "container init", "exec": the prefix of a last-resort line on stderr */
    int preserve_fds;      /* fds from 3 on that the process gets (listen fds included) */
    int listen_fds;        /* of those, socket-activation fds (LISTEN_FDS) */
};

/* Close every fd but stdio, the preserved fds and `keep` (negative entries ignored). */
void spawn_seal_fds(const struct spawn_child *c, const int *keep, size_t n_keep);

/* How a process enters its container. */
struct spawn_entry {
    const struct nsjoin *join;   /* namespaces to join, the user namespace first (NULL: none) */
    unsigned long unshare_flags; /* then made */
    bool become_root;            /* setresuid/gid 0 there, supplementary groups dropped */
    bool respawn;                /* fork once more (SYNC_PHASE_PID) and go on in the child */
    const char *respawn_what;    /* names the respawn in an error */
};
int spawn_enter(struct spawn_child *c, const struct spawn_entry *e, struct urun_error *err);

/* chdir(p->cwd) inside the container and check the result is under the process's root (getcwd
 * reports a directory outside it, reached through a magic link or an fd, as unreachable); then the
 * process checks and rlimits (process_prepare) and args[0] found as execvp would, with the
 * container's PATH: exe gets its path.  cwd_field names the cwd in errors ("process.cwd", "cwd"). */
int spawn_prepare(const struct spec_process *p, const char *cwd_field, char *exe, size_t exe_size,
                  struct urun_error *err);
/* The same two, apart: launch_chdir for tests and for exec's --cwd. */
int spawn_chdir(const char *cwd, const char *field, struct urun_error *err);
int spawn_find_executable(const struct spec_process *p, char *out, size_t size, struct urun_error *err);

/* The process's terminal: a pty from the container's devpts; with bind_console, also bound onto
 * /dev/console as runc does.  Runs after pivot_root. */
int spawn_terminal_open(const struct spec_process *p, bool bind_console, int *ret_master, int *ret_slave,
                        struct urun_error *err);
/* Make the pty slave the controlling terminal and stdio. */
int spawn_terminal_attach(int slave, struct urun_error *err);

/* Report READY, with the pty master (closed here) or -1. */
int spawn_ready(struct spawn_child *c, int master, struct urun_error *err);

/* Right before execve: credentials, capabilities, no_new_privs, seccomp (process_finalize), an empty
 * signal mask; then execve with process.env (plus LISTEN_FDS/LISTEN_PID=1 with listen fds).  Never
 * returns: a failure goes to spawn_fail. */
_Noreturn void spawn_exec(struct spawn_child *c, const struct spec_process *p, const char *exe,
                          const struct process_seccomp *sc);

/* Report err to urun and exit: over the sync socket while it is open (exit 1), else on report_fd
 * (exit 127), else as one line on stderr (exit 127). */
_Noreturn void spawn_fail(struct spawn_child *c, struct urun_error *err);
