/* Implementation of unshare.h, on the spawn path (spawn.h).  The child waits until the parent has
 * written its maps (SYNC_PHASE_MAPS),
 * then execs the command as root of the new namespace; the parent forwards signals and returns the
 * command's exit status. */
#include "runtime/unshare.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "idmap/idmap.h"
#include "runtime/plan.h"
#include "runtime/run.h"
#include "runtime/spawn.h"
#include "runtime/sync.h"

_Noreturn static void child(struct spawn *sp, char **argv, const sigset_t *old)
{
    struct urun_error err;
    if (sync_step(&sp->sync, SYNC_SIDE_INIT, SYNC_PHASE_MAPS, NULL, &err) < 0)
        _exit(1);
    close(sp->sync.fd);
    sigprocmask(SIG_SETMASK, old, NULL);
    execvp(argv[0], argv);
    fprintf(stderr, "urun: unshare: exec %s: %s\n", argv[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
}

int urun_unshare(char **argv, int *ret_exit, struct urun_error *err)
{
    const struct spawn_req rq = {
        .clone_flags = CLONE_NEWUSER | CLONE_NEWNS,
        .cgroup_fd = -1,
        .phases = SYNC_PHASE_MAPS,
    };
    struct idmap_user user;
    struct idmap maps;
    struct spawn sp;
    sigset_t set, old;
    int r;

    r = plan_maps(NULL, &user, &maps, err);
    if (r < 0)
        return urun_error_wrap(err, r, "unshare");
    run_block_signals(&set, &old);
    r = spawn_start(&rq, &sp, err);
    if (r == 0)
        child(&sp, argv, &old);
    if (r > 0)
        r = spawn_write_maps(&sp, &maps, &user, NULL, NULL, err);
    if (r < 0) {
        spawn_abort(&sp);
        urun_error_wrap(err, r, "unshare");
        goto out;
    }
    r = run_wait_forwarding(sp.pid, -1, &set, -1, ret_exit);
    if (r < 0)
        r = urun_error_set(err, -r, "unshare: wait for %s", argv[0]);
    spawn_release(&sp);
out:
    sigprocmask(SIG_SETMASK, &old, NULL);
    return r;
}
