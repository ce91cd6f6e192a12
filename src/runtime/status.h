/* A container's live status, from what the state module recorded: whether its init is still the
 * process that was recorded (pid and start time, in /proc), whether its cgroup is frozen, whether
 * start has consumed the exec fifo.  Above state.h and cgroup.h; reads, never changes anything. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/state.h"

/* pid runs, is no zombie and has the given start time: it is the process that was recorded. */
bool status_proc_alive(pid_t pid, uint64_t start_time);

/* Stopped unless the init is alive (status_proc_alive); paused while its cgroup is frozen; created
 * while the exec fifo exists; running otherwise. */
enum urun_status status_of(int dirfd, const struct urun_state *st);
