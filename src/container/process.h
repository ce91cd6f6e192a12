/* The user's process attributes from spec.process: rlimits, oomScoreAdj, user and groups, umask,
 * capabilities (libcap), noNewPrivileges, and the fds the process receives.  Runs only in the
 * container init.  Seccomp is loaded elsewhere, last. */
#pragma once

#include "base/error.h"
#include "spec/spec.h"

/* Before READY, so mistakes are create-time errors: validate names, apply rlimits. */
int process_prepare(const struct spec_process *p, struct urun_error *err);
/* oomScoreAdj, through /proc/self: early, while the init is still dumpable (a non-dumpable process's
 * /proc files belong to host root). */
int process_apply_oom_score_adj(const struct spec_process *p, struct urun_error *err);
struct urun_seccomp;

/* The seccomp filter to load, and where a NOTIFY listener fd goes (seccomp_filter.h). */
struct process_seccomp {
    struct urun_seccomp *filter; /* NULL: none */
    int listener_fd;             /* connected listenerPath socket, or -1 */
    pid_t host_pid;
    const char *metadata;
    const char *state_json;
};

/* Right before execve: groups, gid, uid, umask, capabilities, no_new_privs, every fd above
 * 2 + preserve_fds made close-on-exec, and the seccomp filter (first when noNewPrivileges is false,
 * last when it is true: see seccomp_filter.h). */
int process_finalize(const struct spec_process *p, int preserve_fds, const struct process_seccomp *sc,
                     struct urun_error *err);

/* Pure table lookups, for tests and the features document. */
int process_rlimit_from_name(const char *name); /* -1 when unknown */

/* The parent's half of process.capabilities.ambient, before anything is created: the kernel raises
 * an ambient capability only when it is in both the permitted and the inheritable set
 * (capabilities(7)); runc and crun skip the others, and so does urun.  Removes them from c->ambient
 * and logs one warning naming them, with `what` ("process" or "exec"). */
void process_drop_unraisable_ambient(struct spec_capabilities *c, const char *what);
