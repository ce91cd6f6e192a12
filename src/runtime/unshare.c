/* Implementation of unshare.h.  The child waits until the parent has written its maps (sync.h),
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

#include "runtime/lifecycle.h"
#include "idmap/idmap.h"
#include "runtime/run.h"
#include "runtime/sync.h"

_Noreturn static void child(int sync_fd, char **argv, const sigset_t *old)
{
    struct urun_error err;
    if (sync_expect(sync_fd, SYNC_MAPS_DONE, &err) < 0)
        _exit(1);
    close(sync_fd);
    sigprocmask(SIG_SETMASK, old, NULL);
    execvp(argv[0], argv);
    fprintf(stderr, "urun: unshare: exec %s: %s\n", argv[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
}

int urun_unshare(char **argv, int *ret_exit, struct urun_error *err)
{
    struct idmap_user user;
    struct idmap maps;
    sigset_t set, old;
    int sv[2], r;
    pid_t pid;

    r = container_plan_maps(NULL, &user, &maps, err);
    if (r < 0)
        return urun_error_wrap(err, r, "unshare");
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return urun_error_errno(err, "unshare: socketpair");

    run_block_signals(&set, &old);
    pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid < 0) {
        r = urun_error_errno(err, "unshare: create user namespace");
        goto out;
    }
    if (pid == 0) {
        close(sv[0]);
        child(sv[1], argv, &old);
    }
    close(sv[1]);
    sv[1] = -1;
    r = idmap_write(pid, &maps, &user, err);
    if (r >= 0 && sync_send(sv[0], SYNC_MAPS_DONE, NULL) < 0)
        r = urun_error_errno(err, "unshare: signal child");
    if (r < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        urun_error_wrap(err, r, "unshare");
        goto out;
    }
    r = run_wait_forwarding(pid, -1, &set, -1, ret_exit);
    if (r < 0)
        r = urun_error_set(err, -r, "unshare: wait for %s", argv[0]);
out:
    close(sv[0]);
    if (sv[1] >= 0)
        close(sv[1]);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return r;
}
