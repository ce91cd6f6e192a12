/* OCI hooks (prestart, createRuntime, createContainer, startContainer, poststart, poststop): running
 * one list of them in order.  When a list runs and in which process and namespaces is the caller's
 * business; this module only runs programs and never logs. */
#pragma once

#include "base/error.h"
#include "spec/spec.h"

/* Whether create pauses after the mounts for prestart/createRuntime/createContainer hooks. */
bool hooks_has_create(const struct urun_spec *s);

/* Run each hook of l in order: fork, chdir, then execve(path, args or [path], env or an empty
 * environment) with the state JSON on stdin (a pipe, written whole, then closed; a hook that does not
 * read it is fine).  A hook starts in the bundle directory that state_json's "bundle" names, as with
 * runc and crun (in the caller's cwd when the state names none); startContainer hooks, which run in
 * the container after pivot_root, start at its /.  The hook gets only fds 0, 1 and 2, an empty signal
 * mask and default signal dispositions, and inherits the caller's namespaces and credentials.  stdout
 * and stderr are captured together; the first 512 bytes go into the error message as one line, with
 * control characters escaped (escape.h).  A hook with a timeout is SIGKILLed after that many seconds.
 * The first hook that cannot be started, exits non-zero or is killed stops the list:
 *   "hooks.prestart[1] /usr/bin/foo: exited with status 3: <output>"
 *   "hooks.poststart[0] /x: timed out after 2s"
 *   "hooks.createRuntime[0] /x: killed by signal 15 (SIGTERM)"
 *   "hooks.prestart[0] /nonexistent: exec: No such file or directory" (errno kept)
 *   "hooks.poststop[0] /x: start in /gone/bundle: No such file or directory"
 * kind_name is spec_hook_name(kind).  The caller's SIGPIPE disposition is never disturbed. */
int hooks_run(const struct spec_hook_list *l, const char *kind_name, const char *state_json, struct urun_error *err);
/* poststart and poststop (runtime-spec, "Lifecycle"): a failing hook is logged as a warning and the
 * remaining hooks and the lifecycle carry on. */
void hooks_run_all(const struct spec_hook_list *l, const char *kind_name, const char *state_json);
