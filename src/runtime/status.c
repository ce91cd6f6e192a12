/* Implementation of status.h: a container's live status.  The one place where recorded state meets
 * the cgroup (a frozen one is paused), so that state.c never needs cgroup.c. */
#include "runtime/status.h"

#include <fcntl.h>
#include <unistd.h>

#include "runtime/cgroup.h"

bool status_proc_alive(pid_t pid, uint64_t start_time)
{
    uint64_t start;
    char state;

    /* A different start time means the pid was reused by an unrelated process. */
    return pid > 0 && proc_stat_read(pid, &state, &start) == 0 && start == start_time && state != 'Z' && state != 'X';
}

enum urun_status status_of(int dirfd, const struct urun_state *st)
{
    if (!status_proc_alive(st->pid, st->start_time))
        return URUN_STATUS_STOPPED;
    /* the freezer first: a created container can be paused too */
    if (st->cgroup && cgroup_frozen(st->cgroup))
        return URUN_STATUS_PAUSED;
    if (faccessat(dirfd, STATE_EXEC_FIFO, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        return URUN_STATUS_CREATED;
    return URUN_STATUS_RUNNING;
}
