/* netns_start (netns.h): the parent's side of a container's slirp network.  It runs two processes at
 * once, to keep create fast: the tap child (tapdev.c, in the container's namespaces, gone once tap0 is
 * configured) and the urun-slirp helper (helper.c, exec'd while the tap child works).  On every
 * failure both are killed and reaped before returning: nothing outlives an error. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "config.h"
#include "netns/common/proto.h"
#include "netns/core/tapdev.h"
#include "netns/netns.h"

#define HELPER_NAME "urun-slirp"
#define START_TIMEOUT_MS 10000
#define HELPER_MAX_ARGS 64

int netns_helper_path(char *buf, size_t size)
{
    return util_helper_path(HELPER_NAME, buf, size);
}

/* /proc/PID/stat field 22: with the pid, what identifies the init for a helper without pidfds. */
static int proc_start_time(pid_t pid, uint64_t *ret)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
    if (n <= 0)
        return -ESRCH;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    for (int field = 2; p && field < 22; field++)
        p = strchr(p + 1, ' ');
    if (!p)
        return -EINVAL;
    *ret = strtoull(p + 1, NULL, 10);
    return 0;
}

static void kill_and_reap(pid_t *pid)
{
    if (*pid <= 0)
        return;
    kill(*pid, SIGKILL);
    while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
        ;
    *pid = -1;
}

/* Whether pid is in our own user namespace (then there is none to join: setns(2) into the user
 * namespace one is already in fails with EINVAL). */
static bool same_userns(pid_t pid)
{
    char path[64];
    struct stat a, b;

    snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
    return stat(path, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int netns_target_open(pid_t init_pid, struct netns_target *ret, struct urun_error *err)
{
    struct netns_target t = {.pid = init_pid, .userns_fd = -1, .netns_fd = -1};
    char path[64];

    if (!same_userns(init_pid)) {
        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)init_pid);
        t.userns_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (t.userns_fd < 0)
            return urun_error_errno(err, "open the user namespace of container init %d", (int)init_pid);
    }
    snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)init_pid);
    t.netns_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (t.netns_fd < 0) {
        int e = errno;
        netns_target_close(&t);
        return urun_error_set(err, e, "open the network namespace of container init %d", (int)init_pid);
    }
    *ret = t;
    return 0;
}

void netns_target_close(struct netns_target *t)
{
    closep(&t->userns_fd);
    closep(&t->netns_fd);
    t->userns_fd = t->netns_fd = -1;
}

static _Noreturn void tap_child_main(int sock, const struct netns_target *t, const struct netns_config *c, pid_t parent)
{
    struct urun_error e = {0};
    struct netns_reply rep;
    int fd = -1, r;

    /* Dies with urun: a create killed with SIGKILL leaves no half-configured child behind. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(1);
    r = tap_setup(t, c, &fd, &e);
    netns_reply_from(&rep, r < 0 ? &e : NULL);
    netns_proto_send(sock, &rep, sizeof(rep), &fd, r < 0 ? 0 : 1);
    _exit(r < 0 ? 1 : 0);
}

static pid_t spawn_tap_child(const struct netns_target *t, const struct netns_config *c, int *ret_sock,
                             struct urun_error *err)
{
    pid_t parent = getpid();
    pid_t pid = netns_fork_paired(ret_sock);

    if (pid < 0)
        return urun_error_set(err, (int)-pid, "fork tap child");
    if (pid == 0)
        tap_child_main(*ret_sock, t, c, parent);
    return pid;
}

/* The helper's argv: its name, the init's pid, and urun's own command line, so that `ps` shows which
 * container a helper belongs to (and a test suite that looks for leftovers by state root finds it). */
static void helper_argv(pid_t init_pid, char *pidbuf, size_t pidsize, char *cmdline, size_t size, char **argv)
{
    size_t n = 0, k = 0;
    ssize_t len = -1;
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);

    if (fd >= 0) {
        len = read(fd, cmdline, size - 1);
        close(fd);
    }
    snprintf(pidbuf, pidsize, "%d", (int)init_pid);
    argv[n++] = (char *)HELPER_NAME;
    argv[n++] = (char *)"--init-pid";
    argv[n++] = pidbuf;
    argv[n++] = (char *)"--";
    if (len > 0) {
        cmdline[len] = '\0';
        while (k < (size_t)len && n < HELPER_MAX_ARGS - 1) {
            argv[n++] = cmdline + k;
            k += strlen(cmdline + k) + 1;
        }
    }
    argv[n] = NULL;
}

static void close_from(int first)
{
    if (syscall(SYS_close_range, (unsigned)first, ~0u, 0) == 0)
        return;
    for (int fd = first; fd < 65536; fd++)
        close(fd);
}

/* In the forked child: own session (so a ^C at the terminal of `urun run` reaches the container, not
 * the helper, which ends with the container instead), stdio on /dev/null, the control socket as fd 3
 * and nothing else open. */
static _Noreturn void exec_helper(const char *path, int ctl, char **argv)
{
    int high = fcntl(ctl, F_DUPFD, 10), null;
    sigset_t none;

    /* Blocked and ignored signals survive execve(2): `urun run` blocks the ones it forwards, and the
     * helper must still die of `delete`'s SIGTERM. */
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++)
        signal(sig, SIG_DFL);
    setsid();
    null = open("/dev/null", O_RDWR);
    if (high < 0 || null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0 ||
        dup2(high, NETNS_HELPER_CTL_FD) < 0)
        _exit(127);
    close_from(NETNS_HELPER_CTL_FD + 1);
    execv(path, argv);
    _exit(127);
}

static pid_t spawn_helper(const char *path, pid_t init_pid, int *ret_sock, struct urun_error *err)
{
    char pidbuf[16], cmdline[4096];
    char *argv[HELPER_MAX_ARGS];
    int sv[2];
    pid_t pid;

    helper_argv(init_pid, pidbuf, sizeof(pidbuf), cmdline, sizeof(cmdline), argv);
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return urun_error_errno(err, "socketpair");
    pid = fork();
    if (pid < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        return urun_error_set(err, e, "fork %s", HELPER_NAME);
    }
    if (pid == 0) {
        close(sv[0]);
        exec_helper(path, sv[1], argv);
    }
    close(sv[1]);
    *ret_sock = sv[0];
    return pid;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* How a child that closed its socket without a reply ended, for the message.  It is exiting: wait. */
static void describe_exit(pid_t *pid, char *buf, size_t size)
{
    int status;
    pid_t r;

    do
        r = waitpid(*pid, &status, 0);
    while (r < 0 && errno == EINTR);
    if (r != *pid) {
        snprintf(buf, size, "exited");
        return;
    }
    *pid = -1;
    if (WIFSIGNALED(status))
        snprintf(buf, size, "was killed by signal %d", WTERMSIG(status));
    else
        snprintf(buf, size, "exited with status %d%s", WEXITSTATUS(status),
                 WEXITSTATUS(status) == 127 ? " (could not be executed)" : "");
}

/* One reply from a child (and its fd, when fd_out), within the deadline. */
static int wait_reply(int sock, pid_t *pid, const char *who, int64_t deadline, int *fd_out, struct urun_error *err)
{
    struct netns_reply rep;
    struct pollfd p = {.fd = sock, .events = POLLIN};
    int fds[NETNS_PROTO_MAX_FDS];
    size_t n_fds = fd_out ? 1 : 0;
    char how[64];
    int r;

    for (;;) {
        int64_t left = deadline - now_ms();
        if (left <= 0)
            return urun_error_set(err, ETIMEDOUT, "%s did not answer within %d s", who, START_TIMEOUT_MS / 1000);
        r = poll(&p, 1, (int)left);
        if (r > 0)
            break;
        if (r < 0 && errno != EINTR)
            return urun_error_errno(err, "wait for %s", who);
    }
    r = netns_proto_recv(sock, &rep, sizeof(rep), fds, &n_fds);
    if (r == -EPIPE) {
        describe_exit(pid, how, sizeof(how));
        return urun_error_set(err, 0, "%s %s before it was ready", who, how);
    }
    if (r < 0)
        return urun_error_set(err, -r, "read the reply of %s", who);
    if (rep.failed) {
        for (size_t i = 0; i < n_fds; i++)
            close(fds[i]);
        rep.msg[sizeof(rep.msg) - 1] = '\0';
        return urun_error_set(err, rep.errnum, "%s", rep.msg);
    }
    if (fd_out && n_fds != 1)
        return urun_error_set(err, EBADMSG, "%s sent no fd", who);
    if (fd_out)
        *fd_out = fds[0];
    return 0;
}

static int reap_tap_child(pid_t *pid, struct urun_error *err)
{
    int status;
    pid_t r;

    do
        r = waitpid(*pid, &status, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return urun_error_errno(err, "wait for the tap child");
    *pid = -1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return urun_error_set(err, 0, "the tap child failed after configuring " NETNS_TAP_NAME);
    return 0;
}

/* Whether the helper needs the container's namespaces: for its socket factory, which makes the
 * sockets through which published TCP ports reach the container. */
static bool publishes_tcp(const struct netns_config *c)
{
    for (size_t i = 0; i < c->n_publish; i++)
        if (!c->publish[i].udp)
            return true;
    return false;
}

/* The hello (but for its log fields) and its fds, in the order proto.h gives; base_fds: the tap, the
 * log and the pidfd (-1: none). */
static size_t fill_hello(struct netns_hello *h, const struct netns_target *t, const struct netns_config *c,
                         const int base_fds[3], int *fds)
{
    size_t n = 0;

    memset(h, 0, sizeof(*h));
    h->magic = NETNS_PROTO_MAGIC;
    h->size = sizeof(*h);
    h->init_pid = t->pid;
    h->has_pidfd = base_fds[2] >= 0;
    if (!h->has_pidfd)
        proc_start_time(t->pid, &h->init_start_time);
    h->has_netns = publishes_tcp(c) && t->netns_fd >= 0;
    h->has_userns = h->has_netns && t->userns_fd >= 0;
    h->config = *c;
    fds[n++] = base_fds[0];
    fds[n++] = base_fds[1];
    if (h->has_pidfd)
        fds[n++] = base_fds[2];
    if (h->has_netns)
        fds[n++] = t->netns_fd;
    if (h->has_userns)
        fds[n++] = t->userns_fd;
    return n;
}

int netns_start_target(const struct netns_target *t, const struct netns_config *c, int log_fd, int log_json,
                       pid_t *ret_helper_pid, struct urun_error *err)
{
    char helper[PATH_MAX];
    _cleanup_close_ int pidfd = -1, tap_sock = -1, ctl = -1, tap = -1, log = -1;
    pid_t tap_pid = -1, helper_pid = -1;
    struct netns_hello hello;
    int64_t deadline = now_ms() + START_TIMEOUT_MS;
    pid_t init_pid = t->pid;
    int r;

    if (!c->slirp) {
        *ret_helper_pid = 0;
        return 0;
    }
    if (netns_helper_path(helper, sizeof(helper)) < 0)
        return urun_error_set(err, ENOENT, "slirp network: %s is neither next to urun nor in %s", HELPER_NAME,
                              URUN_LIBEXECDIR);
    /* The pidfd pins the init for the helper's whole life; a recycled pid can never be mistaken for it. */
    pidfd = (int)syscall(SYS_pidfd_open, init_pid, 0);
    if (pidfd < 0 && errno != ENOSYS)
        return urun_error_errno(err, "slirp network: pidfd of container init %d", (int)init_pid);
    /* The runtime log (--log), or nowhere: never the caller's stderr, which would stay open for the
     * container's whole life (`out=$(urun run -d ...)` would not return until it exits). */
    log = log_fd >= 0 ? fcntl(log_fd, F_DUPFD_CLOEXEC, 3) : -1;
    if (log < 0)
        log = open("/dev/null", O_WRONLY | O_CLOEXEC);

    r = tap_pid = spawn_tap_child(t, c, &tap_sock, err);
    if (r >= 0)
        r = helper_pid = spawn_helper(helper, init_pid, &ctl, err);
    if (r >= 0)
        r = wait_reply(tap_sock, &tap_pid, "the tap child", deadline, &tap, err);
    if (r >= 0)
        r = reap_tap_child(&tap_pid, err);
    if (r >= 0) {
        int fds[NETNS_PROTO_MAX_FDS];
        size_t n_fds = fill_hello(&hello, t, c, (const int[3]){tap, log, pidfd}, fds);
        hello.log_json = log_json != 0;
        hello.log_is_file = log_fd >= 0;
        r = netns_proto_send(ctl, &hello, sizeof(hello), fds, n_fds);
        if (r < 0)
            r = urun_error_set(err, -r, "send the configuration to %s", HELPER_NAME);
    }
    if (r >= 0)
        r = wait_reply(ctl, &helper_pid, HELPER_NAME, deadline, NULL, err);
    if (r < 0) {
        kill_and_reap(&tap_pid);
        kill_and_reap(&helper_pid);
        return urun_error_wrap(err, r, "slirp network");
    }
    *ret_helper_pid = helper_pid;
    return 0;
}

int netns_start(pid_t init_pid, const struct netns_config *c, int log_fd, int log_json, pid_t *ret_helper_pid,
                struct urun_error *err)
{
    struct netns_target t = NETNS_TARGET_NONE;
    int r;

    if (!c->slirp) {
        *ret_helper_pid = 0;
        return 0;
    }
    r = netns_target_open(init_pid, &t, err);
    if (r < 0)
        return urun_error_wrap(err, r, "slirp network");
    r = netns_start_target(&t, c, log_fd, log_json, ret_helper_pid, err);
    netns_target_close(&t);
    return r;
}
