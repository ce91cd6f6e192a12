/* linux.seccomp: validating the spec's filter, building it with libseccomp, loading it into the
 * container init, and handing a SCMP_ACT_NOTIFY listener fd to linux.seccomp.listenerPath.
 * Building changes nothing in the process; only urun_seccomp_load changes the kernel's view, in the
 * container init, as late as the ordering below allows.
 *
 * Ordering (seccomp(2)): installing a filter needs either no_new_privs or CAP_SYS_ADMIN in the
 * caller's user namespace.  urun asks libseccomp not to set no_new_privs itself (SCMP_FLTATR_CTL_NNP
 * = 0): the runtime sets it only when process.noNewPrivileges says so.  Hence, as runc does:
 *   - noNewPrivileges true:  load after set_user, capabilities and prctl(PR_SET_NO_NEW_PRIVS), right
 *     before execve, so the filter sees as few of urun's own syscalls as possible;
 *   - noNewPrivileges false: load while the init is still root with every capability of its user
 *     namespace, i.e. before setgroups/setresuid/capset.  The filter then also applies to those
 *     calls, so a profile that forbids them (setuid, capset, prctl, ...) makes the init fail there.
 * Every syscall made between load and execve is filtered: keep that path short. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"
#include "spec/spec.h"

struct urun_seccomp; /* opaque: a filter built but not loaded */

/* Validate linux.seccomp and build the filter.  Errors name the field, e.g.
 * "linux.seccomp.syscalls[2].action: unknown action \"SCMP_ACT_FOO\"".  Syscall names libseccomp
 * does not know on this architecture are skipped (as runc does) with a warning kept in the object.
 * Errors: unknown action/architecture/flag/operator, args[].index > 5, an errnoRet out of range or
 * given with an action that takes none, SCMP_ACT_NOTIFY without listenerPath or as defaultAction or
 * on sendmsg (urun sends the listener fd with it).  Rules whose action equals the default action are
 * dropped: they change nothing.  Several args on one rule are ANDed; when two of them test the same
 * index (libseccomp cannot chain those), every arg becomes a rule of its own, ORed, as runc does.
 * On failure *ret is untouched. */
int urun_seccomp_build(const struct spec_seccomp *s, struct urun_seccomp **ret, struct urun_error *err);

/* Messages for the log (one per skipped syscall name).  Valid as long as f. */
size_t urun_seccomp_warnings(const struct urun_seccomp *f, const char *const **ret);

/* True when the filter has at least one SCMP_ACT_NOTIFY rule: loading it yields a notify fd that must
 * go to listenerPath (urun_seccomp_listener_*). */
bool urun_seccomp_needs_listener(const struct urun_seccomp *f);

/* Load the filter into the calling thread (every thread with SECCOMP_FILTER_FLAG_TSYNC).  See the
 * ordering note above.  *ret_notify_fd gets the notify fd (O_CLOEXEC, the caller owns it) when the
 * filter has NOTIFY rules, else -1.  Errors keep the kernel's errno (EACCES: neither no_new_privs nor
 * CAP_SYS_ADMIN). */
int urun_seccomp_load(struct urun_seccomp *f, int *ret_notify_fd, struct urun_error *err);

/* Connect to the listener's unix stream socket (O_CLOEXEC).  Call it while listenerPath is still
 * reachable, i.e. before pivot_root, and keep the fd until urun_seccomp_listener_send. */
int urun_seccomp_listener_connect(const char *path, int *ret_fd, struct urun_error *err);

/* Send notify_fd over sock with SCM_RIGHTS, together with the OCI containerProcessState document:
 * {"ociVersion", "fds": ["seccompFd"], "pid", "metadata" (listenerMetadata, left out when NULL),
 * "state": <state_json, the OCI state document, inserted verbatim>}.  pid is the container process as
 * the host sees it (the state's pid).  Does not close sock or notify_fd. */
int urun_seccomp_listener_send(int sock, int notify_fd, pid_t pid, const char *metadata, const char *state_json,
                               struct urun_error *err);

void urun_seccomp_free(struct urun_seccomp *f); /* accepts NULL */
static inline void urun_seccomp_freep(struct urun_seccomp **f)
{
    urun_seccomp_free(*f);
}

/* For `features`: what this build accepts (NULL-terminated). */
extern const char *const urun_seccomp_actions[], *const urun_seccomp_ops[], *const urun_seccomp_archs[],
                                                                                *const urun_seccomp_flags[];
