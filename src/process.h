/* The user's process attributes from spec.process: rlimits, oomScoreAdj, user and groups, umask,
 * capabilities (libcap), noNewPrivileges, and the fds the process receives.  Runs only in the
 * container init.  Seccomp is loaded elsewhere, last. */
#pragma once

#include "error.h"
#include "spec.h"

/* Before READY, so mistakes are create-time errors: validate names, apply rlimits and oomScoreAdj. */
int process_prepare(const struct spec_process *p, struct urun_error *err);
/* Right before execve: groups, gid, uid, umask, capabilities, no_new_privs, and every fd above
 * 2 + preserve_fds made close-on-exec. */
int process_finalize(const struct spec_process *p, int preserve_fds, struct urun_error *err);

/* Pure table lookups, for tests and the features document. */
int process_rlimit_from_name(const char *name); /* -1 when unknown */
