/* Implementation of run.h.  Signals are blocked before the init is created (so none is lost between
 * create and the wait loop) and taken synchronously with sigwaitinfo; the init unblocks them itself
 * before exec. */
#include "run.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "pidfd.h"

/* Signals a foreground `run` passes on.  SIGCHLD tells us the init exited. */
static const int forwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH,
                                SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGALRM, SIGPIPE};

void run_block_signals(sigset_t *ret_set, sigset_t *ret_old)
{
    sigemptyset(ret_set);
    sigaddset(ret_set, SIGCHLD);
    for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
        sigaddset(ret_set, forwarded[i]);
    sigprocmask(SIG_BLOCK, ret_set, ret_old);
}

int run_wait_forwarding(pid_t pid, int pidfd, const sigset_t *set, int *ret_exit)
{
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(set, &si);
        if (sig < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (sig != SIGCHLD) {
            log_debug("forwarding signal %d to process %d", sig, (int)pid);
            pidfd_signal(pidfd, pid, sig);
            continue;
        }
        int status;
        pid_t p = waitpid(pid, &status, WNOHANG);
        if (p == pid) {
            *ret_exit = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
            return 0;
        }
    }
}

int container_run(const struct state_root *root, const struct run_opts *o, int *ret_exit, struct urun_error *err)
{
    struct container_created c = {.pid = -1, .pidfd = -1};
    sigset_t set, old;
    int r;

    run_block_signals(&set, &old);

    r = container_create(root, &o->create, &c, err);
    if (r < 0)
        goto out;
    r = container_start(root, o->create.id, err);
    if (r < 0) {
        struct urun_error ignored;
        container_delete(root, o->create.id, /* force= */ true, &ignored);
        goto out;
    }
    if (o->detach) {
        *ret_exit = 0;
        goto out;
    }
    r = run_wait_forwarding(c.pid, c.pidfd, &set, ret_exit);
    if (r < 0) {
        r = urun_error_set(err, -r, "wait for container %s", o->create.id);
        goto out;
    }
    if (!o->keep)
        r = container_delete(root, o->create.id, /* force= */ true, err);
out:
    if (c.pidfd >= 0)
        close(c.pidfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return r;
}
