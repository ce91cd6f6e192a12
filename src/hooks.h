/* OCI hooks (prestart, createRuntime, createContainer, startContainer, poststart, poststop): running
 * one list of them in order.  Where and when a list runs (which process, which namespaces, cwd) is
 * the caller's business; this module only runs programs and never logs. */
#pragma once

#include "error.h"
#include "spec.h"

/* Run each hook of l in order: fork, then execve(path, args or [path], env or an empty environment)
 * with the state JSON on stdin (a pipe, written whole, then closed; a hook that does not read it is
 * fine).  The hook gets only fds 0, 1 and 2, an empty signal mask and default signal dispositions, and
 * inherits the caller's cwd, namespaces and credentials.  stdout and stderr are captured together; the
 * first 512 bytes go into the error message.  A hook with a timeout is SIGKILLed after that many
 * seconds.  The first hook that cannot be executed, exits non-zero or is killed stops the list:
 *   "hooks.prestart[1] /usr/bin/foo: exited with status 3: <output>"
 *   "hooks.poststart[0] /x: timed out after 2s"
 *   "hooks.createRuntime[0] /x: killed by signal 15 (SIGTERM)"
 *   "hooks.prestart[0] /nonexistent: exec: No such file or directory" (errno kept)
 * kind_name is spec_hook_name(kind).  The caller's SIGPIPE disposition is never disturbed. */
int hooks_run(const struct spec_hook_list *l, const char *kind_name, const char *state_json, struct urun_error *err);
