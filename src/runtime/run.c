/* Implementation of run.h.  Signals are blocked before the init is created (so none is lost between
 * create and the wait loop) and taken synchronously with sigwaitinfo; the init unblocks them itself
 * before exec. */
#include "runtime/run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/pidfd.h"
#include "base/util.h"

/* Signals a foreground `run` passes on.  SIGCHLD tells us the init exited. */
static const int forwarded[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH,
                                SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU, SIGALRM, SIGPIPE};

void run_block_signals(sigset_t *ret_set, sigset_t *ret_old)
{
    sigemptyset(ret_set);
    sigaddset(ret_set, SIGCHLD);
    for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
        sigaddset(ret_set, forwarded[i]);
    sigprocmask(SIG_BLOCK, ret_set, ret_old);
}

static void copy_winsize(int from, int to)
{
    struct winsize ws;
    if (ioctl(from, TIOCGWINSZ, &ws) == 0)
        ioctl(to, TIOCSWINSZ, &ws);
}

/* Copy what is readable on `from` to `to`.  Returns false at EOF or error (EIO: the pty's last slave
 * closed). */
static bool pump(int from, int to)
{
    char buf[16384];
    ssize_t n = read(from, buf, sizeof(buf));
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return true;
    if (n <= 0)
        return false;
    return write_all(to, buf, (size_t)n) == 0;
}

struct proxy {
    int master;
    bool stdin_open, master_open, raw;
    struct termios saved;
};

static void proxy_begin(struct proxy *p, int master)
{
    *p = (struct proxy){.master = master, .stdin_open = master >= 0, .master_open = master >= 0};
    if (master < 0)
        return;
    fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
    if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &p->saved) == 0) {
        struct termios raw = p->saved;
        cfmakeraw(&raw);
        p->raw = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
        copy_winsize(STDIN_FILENO, master);
    }
}

static void proxy_end(struct proxy *p)
{
    while (p->master_open && pump(p->master, STDOUT_FILENO))
        ; /* what the container wrote before it exited */
    if (p->raw)
        tcsetattr(STDIN_FILENO, TCSANOW, &p->saved);
}

int run_wait_forwarding(pid_t pid, int pidfd, const sigset_t *set, int pty_master, int *ret_exit)
{
    struct proxy px;
    int sfd = signalfd(-1, set, SFD_CLOEXEC), r = 0;

    if (sfd < 0)
        return -errno;
    proxy_begin(&px, pty_master);
    for (;;) {
        struct pollfd p[3] = {{.fd = sfd, .events = POLLIN},
                              {.fd = px.stdin_open ? STDIN_FILENO : -1, .events = POLLIN},
                              {.fd = px.master_open ? px.master : -1, .events = POLLIN}};
        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            r = -errno;
            break;
        }
        if (p[1].revents && !pump(STDIN_FILENO, px.master))
            px.stdin_open = false;
        if (p[2].revents && !pump(px.master, STDOUT_FILENO))
            px.master_open = false;
        if (!(p[0].revents & POLLIN))
            continue;
        struct signalfd_siginfo si;
        if (read(sfd, &si, sizeof(si)) != sizeof(si))
            continue;
        if (si.ssi_signo == SIGWINCH && px.master >= 0) {
            copy_winsize(STDIN_FILENO, px.master);
            continue;
        }
        if (si.ssi_signo != SIGCHLD) {
            log_debug("forwarding signal %u to process %d", si.ssi_signo, (int)pid);
            pidfd_signal(pidfd, pid, (int)si.ssi_signo);
            continue;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            *ret_exit = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
            break;
        }
    }
    proxy_end(&px);
    close(sfd);
    return r;
}

/* runc's exit status for a process that could not be executed: 127 when it was not found, 126 when
 * it was not executable, as engines and shells read them; 0 for any other error (exit status 1). */
static int exec_failure_status(const struct urun_error *err)
{
    const char *m = err->msg;
    if (strncmp(m, "exec: \"", 7) != 0 && strncmp(m, "exec ", 5) != 0)
        return 0;
    if (err->errnum == ENOENT || err->errnum == ENOTDIR || strstr(m, ": no such file or directory") ||
        strstr(m, ": executable file not found in $PATH"))
        return 127;
    return 126;
}

int container_run(const struct state_root *root, const struct run_opts *o, int *ret_exit, struct urun_error *err)
{
    struct container_created c = {.pid = -1, .pidfd = -1, .pty_master = -1};
    sigset_t set, old;
    int r;

    run_block_signals(&set, &old);

    r = container_create(root, &o->create, &c, err);
    if (r < 0) {
        *ret_exit = exec_failure_status(err);
        goto out;
    }
    log_debug("container %s: pid %d, pty master fd %d", o->create.id, (int)c.pid, c.pty_master);
    r = container_start(root, o->create.id, err);
    if (r < 0) {
        struct urun_error ignored;
        *ret_exit = exec_failure_status(err);
        container_delete(root, o->create.id, /* force= */ true, &ignored);
        goto out;
    }
    if (o->detach) {
        *ret_exit = 0;
        goto out;
    }
    r = run_wait_forwarding(c.pid, c.pidfd, &set, c.pty_master, ret_exit);
    if (r < 0) {
        r = urun_error_set(err, -r, "wait for container %s", o->create.id);
        goto out;
    }
    if (!o->keep)
        r = container_delete(root, o->create.id, /* force= */ true, err);
out:
    if (c.pidfd >= 0)
        close(c.pidfd);
    if (c.pty_master >= 0)
        close(c.pty_master);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return r;
}
