/* Implementation of init.h.  Every step either succeeds or sends SYNC_ERROR and exits: the parent
 * turns that into the one error line the user sees and removes everything it made. */
#include "container/init.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <linux/keyctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <linux/magic.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "runtime/hooks.h"
#include "base/log.h"
#include "netns/core/loopback.h"
#include "container/mounts.h"
#include "runtime/nsjoin.h"
#include "runtime/nsshare.h"
#include "container/process.h"
#include "container/seccomp_filter.h"
#include "container/launch.h"
#include "runtime/state.h"
#include "runtime/sync.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Find args[0] the way execvp would, but with the container's PATH, inside the container.  Doing
 * it before READY makes "executable file not found" a create-time error, as runc reports it. */
int init_find_executable(const struct spec_process *p, char *out, size_t size, struct urun_error *err)
{
    const char *arg0 = p->args[0], *path = DEFAULT_PATH;
    struct stat st;

    /* runc's wording, lower case: engines map "no such file or directory" and "executable file not
     * found" to 127, "permission denied" to 126 (docker's CLI matches these strings). */
    if (strchr(arg0, '/')) {
        if (stat(arg0, &st) < 0 && (errno == ENOENT || errno == ENOTDIR))
            return urun_error_set(err, 0, "exec: \"%s\": no such file or directory", arg0);
        if (stat(arg0, &st) < 0)
            return urun_error_errno(err, "exec: \"%s\"", arg0);
        if (!S_ISREG(st.st_mode) || access(arg0, X_OK) < 0)
            return urun_error_set(err, 0, "exec: \"%s\": permission denied", arg0);
        snprintf(out, size, "%s", arg0);
        return 0;
    }
    for (char **e = p->env; e && *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0)
            path = *e + 5;
    for (const char *dir = path; dir;) {
        const char *colon = strchr(dir, ':');
        size_t len = colon ? (size_t)(colon - dir) : strlen(dir);
        snprintf(out, size, "%.*s%s%s", (int)len, dir, len ? "/" : "", arg0);
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
            return 0;
        dir = colon ? colon + 1 : NULL;
    }
    return urun_error_set(err, 0, "exec: \"%s\": executable file not found in $PATH", arg0);
}

/* A fresh session keyring, so the container cannot read the caller's keys (keyrings(7)), as runc
 * does.  Kernels without keyrings, or with the key quota exhausted, simply leave the caller's. */
static void join_new_keyring(void)
{
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0) < 0)
        log_debug("no new session keyring: %m");
}

/* The container's terminal: a pty from the container's own devpts (so the process sees a /dev/pts/N
 * of its own), bound onto /dev/console as runc does.  Runs after pivot_root. */
int init_setup_terminal(const struct spec_process *p, bool bind_console, int *ret_master, int *ret_slave,
                        struct urun_error *err)
{
    char name[64];
    int master, slave, fd;

    master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0)
        return urun_error_errno(err, "process.terminal: open /dev/ptmx (is devpts mounted at /dev/pts?)");
    if (unlockpt(master) < 0 || ptsname_r(master, name, sizeof(name)) != 0) {
        close(master);
        return urun_error_errno(err, "process.terminal: set up pty");
    }
    slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) {
        close(master);
        return urun_error_errno(err, "process.terminal: open %s", name);
    }
    if (p->has_console_size) {
        struct winsize ws = {.ws_row = (unsigned short)p->console_height, .ws_col = (unsigned short)p->console_width};
        ioctl(slave, TIOCSWINSZ, &ws);
    }
    if (!bind_console)
        goto done;
    fd = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    if (fd < 0 || mount(name, "/dev/console", NULL, MS_BIND, NULL) < 0) {
        close(master);
        close(slave);
        return urun_error_errno(err, "process.terminal: bind %s onto /dev/console", name);
    }
done:
    *ret_master = master;
    *ret_slave = slave;
    return 0;
}

/* Make the pty slave the process's controlling terminal and its stdio. */
int init_attach_terminal(int slave, struct urun_error *err)
{
    if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
        return urun_error_errno(err, "process.terminal: make the pty the controlling terminal");
    for (int fd = 0; fd <= 2; fd++)
        if (dup2(slave, fd) < 0)
            return urun_error_errno(err, "process.terminal: attach stdio");
    if (slave > 2)
        close(slave);
    return 0;
}

bool init_has_create_hooks(const struct urun_spec *s)
{
    return s->hooks[SPEC_HOOK_PRESTART].n || s->hooks[SPEC_HOOK_CREATE_RUNTIME].n ||
           s->hooks[SPEC_HOOK_CREATE_CONTAINER].n;
}

/* The OCI state document hooks and seccomp listeners get, as the host sees the container. */
static char *state_json(const struct init_args *a, pid_t host_pid, enum urun_status status)
{
    struct urun_state st = {
        .id = (char *)a->id, .bundle = (char *)a->bundle, .rootfs = (char *)a->rootfs, .pid = host_pid,
        .owner_name = (char *)a->owner_name, .annotations = a->spec->annotations,
        .n_annotations = a->spec->n_annotations,
    };
    return state_to_json(&st, status, /* pretty= */ false);
}

static int run_hooks(const struct init_args *a, enum spec_hook_kind k, pid_t host_pid, enum urun_status status,
                     struct urun_error *err)
{
    if (a->spec->hooks[k].n == 0)
        return 0;
    _cleanup_free_ char *json = state_json(a, host_pid, status);
    if (!json)
        return urun_error_set(err, ENOMEM, "hooks.%s", spec_hook_name(k));
    return hooks_run(&a->spec->hooks[k], spec_hook_name(k), json, err);
}

/* linux.sysctl, written through /proc/sys: every key urun accepts (container.c checks) is resolved by
 * the kernel in the writer's own namespaces, which are the container's. */
static int apply_sysctl(const struct init_args *a, struct urun_error *err)
{
    const struct spec_linux *lx = a->spec->linux_;
    for (size_t i = 0; lx && i < lx->n_sysctl; i++) {
        char path[512];
        int n = snprintf(path, sizeof(path), "sys/%s", lx->sysctl[i].key);
        if (n < 0 || (size_t)n >= sizeof(path)) /* the parser bounds keys; never trust that here */
            return urun_error_set(err, ENAMETOOLONG, "linux.sysctl: key of %zu bytes is too long",
                                  strlen(lx->sysctl[i].key));
        for (int j = 4; j < n; j++)
            if (path[j] == '.')
                path[j] = '/';
        _cleanup_close_ int fd = openat(a->proc_fd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 || write(fd, lx->sysctl[i].value, strlen(lx->sysctl[i].value)) < 0)
            return urun_error_errno(err, "linux.sysctl: set %s to \"%s\"", lx->sysctl[i].key, lx->sysctl[i].value);
    }
    return 0;
}

/* After pivot_root the only /proc is the container's.  wait_for_start reopens the exec fifo through
 * its self/fd (an O_PATH fd cannot be opened for writing any other way), so it must be a procfs that
 * shows this very process: checked here, before READY, so that create reports a bad one. */
static int open_container_proc(int fifo_fd, int *ret_fd, struct urun_error *err)
{
    struct statfs sfs;
    struct stat want, got;
    char path[32];

    _cleanup_close_ int fd = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstatfs(fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
        return urun_error_set(err, 0, "/proc in the container is not a procfs: urun needs one to wait for `start` "
                              "(mounts: add {\"destination\": \"/proc\", \"type\": \"proc\"})");
    snprintf(path, sizeof(path), "self/fd/%d", fifo_fd);
    _cleanup_close_ int probe = openat(fd, path, O_PATH | O_CLOEXEC);
    if (probe < 0 || fstat(probe, &got) < 0 || fstat(fifo_fd, &want) < 0 || got.st_dev != want.st_dev ||
        got.st_ino != want.st_ino)
        return urun_error_set(err, 0, "/proc in the container does not show the container's init (a procfs of "
                              "another pid namespace?)");
    *ret_fd = TAKE_FD(fd);
    return 0;
}

static int setup(const struct init_args *a, pid_t host_pid, char *exe, size_t exe_size, int *ret_master,
                 int *ret_slave, int *ret_listener, int *ret_procfd, struct urun_error *err)
{
    const struct urun_spec *s = a->spec;
    struct mounts_config mc = {
        .spec = s, .rootfs = a->rootfs, .bundle = a->bundle, .no_pivot = a->no_pivot, .new_netns = a->new_netns,
    };
    int r;

    r = apply_sysctl(a, err);
    if (r >= 0)
        r = nsshare_serve(a->ns_listen_fd, a->proc_fd, err);
    if (r < 0)
        return r;
    /* The last use of the host's /proc: from here on the init resolves paths the container controls
     * (mount targets, /dev entries, the cwd, args[0]), and holds no fd of the host's but the exec
     * fifo (not a directory: nothing resolves through it) and the sync socket. */
    close(a->proc_fd);
    urun_log_close();
    r = mounts_setup(&mc, err);
    if (r < 0)
        return r;
    if (init_has_create_hooks(s)) {
        /* prestart/createRuntime run in urun, in the runtime's namespaces; then createContainer
         * here, in the container's, before pivot_root (runtime-spec config.md, "POSIX-platform Hooks"). */
        if (sync_send(a->sync_fd, SYNC_HOOKS, NULL) < 0 || sync_expect(a->sync_fd, SYNC_HOOKS_DONE, err) < 0)
            _exit(1); /* the parent reports the failed hook and cleans up */
        r = run_hooks(a, SPEC_HOOK_CREATE_CONTAINER, host_pid, URUN_STATUS_CREATING, err);
        if (r < 0)
            return r;
    }
    if (a->seccomp && urun_seccomp_needs_listener(a->seccomp) &&
        (r = urun_seccomp_listener_connect(s->linux_->seccomp->listener_path, ret_listener, err)) < 0)
        return urun_error_wrap(err, r, "linux.seccomp.listenerPath");
    if (s->hostname && a->new_utsns && sethostname(s->hostname, strlen(s->hostname)) < 0)
        return urun_error_errno(err, "hostname: set \"%s\"", s->hostname);
    if (s->hostname && !a->new_utsns)
        return urun_error_set(err, 0, "hostname: needs a new uts namespace");
    if (s->domainname && a->new_utsns && setdomainname(s->domainname, strlen(s->domainname)) < 0)
        return urun_error_errno(err, "domainname: set \"%s\"", s->domainname);
    if (a->new_netns && (r = loopback_up(err)) < 0)
        return r;
    if (!a->no_new_keyring)
        join_new_keyring();
    r = mounts_switch_root(&mc, err);
    if (r >= 0)
        r = open_container_proc(a->fifo_fd, ret_procfd, err);
    if (r < 0)
        return r;
    if (a->terminal && (r = init_setup_terminal(s->process, /* bind_console= */ true, ret_master, ret_slave, err)) < 0)
        return r;
    r = launch_chdir(s->process->cwd, "process.cwd", err);
    if (r >= 0)
        r = process_prepare(s->process, err);
    if (r < 0)
        return r;
    return init_find_executable(s->process, exe, exe_size, err);
}

/* The exec fifo's write end once `start` has opened it (wait_for_start): failures after that are
 * reported there. */
static int exec_fifo_fd = -1;

/* Block until `start` opens the fifo for reading, then tell it we are going ahead.  procfd is the
 * container's /proc (open_container_proc). */
static int wait_for_start(const struct init_args *a, int procfd, struct urun_error *err)
{
    struct stat want, got;
    char path[64];
    int fd;

    snprintf(path, sizeof(path), "self/fd/%d", a->fifo_fd);
    nsshare_answer(); /* exec, ps and kill --all may reach our namespaces while we wait */
    do
        fd = openat(procfd, path, O_WRONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return urun_error_errno(err, "open exec fifo");
    if (fstat(fd, &got) < 0 || fstat(a->fifo_fd, &want) < 0 || got.st_dev != want.st_dev || got.st_ino != want.st_ino)
        return urun_error_set(err, 0, "open exec fifo: /proc/self/fd showed another file");
    /* The fd stays open, close-on-exec: `start` sees EOF exactly when the exec has happened. */
    if (write(fd, (char[]){SYNC_FIFO_GO}, 1) != 1)
        return urun_error_errno(err, "write exec fifo");
    exec_fifo_fd = fd;
    close(a->fifo_fd);
    close(procfd);
    return 0;
}

/* process.env, plus LISTEN_FDS/LISTEN_PID=1 when socket-activation fds are passed on (runc's way:
 * the process is pid 1 of its namespace, or at least the one the fds are for). */
char **init_process_env(const struct spec_process *p, int n_listen_fds)
{
    static char listen_fds[32], listen_pid[] = "LISTEN_PID=1", *empty[] = {NULL};
    char **env = p->env;
    size_t n = 0;

    while (env && env[n])
        n++;
    if (!n_listen_fds)
        return env ? env : empty;
    char **out = calloc(n + 3, sizeof(char *));
    if (!out)
        return env ? env : empty;
    for (size_t i = 0; i < n; i++)
        out[i] = env[i];
    snprintf(listen_fds, sizeof(listen_fds), "LISTEN_FDS=%d", n_listen_fds);
    out[n] = listen_fds;
    out[n + 1] = listen_pid;
    return out;
}

/* Become root of the (new or joined) user namespace and drop the caller's supplementary groups.  An
 * unprivileged caller already is root there when its own ID is mapped to 0, but a caller whose ID is
 * not in the map (real root running a userns spec, or a map whose root is a subordinate ID) would
 * otherwise create files with an unmapped fsuid (EOVERFLOW, user_namespaces(7)) and keep host groups
 * that decide access through group bits.  setgroups EPERM: denied in a single-ID map, where the
 * groups are the caller's own anyway. */
int init_become_root(struct urun_error *err)
{
    if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
        return urun_error_errno(err, "become root in the user namespace (is container ID 0 mapped?)");
    if (setgroups(0, NULL) < 0 && errno != EPERM)
        return urun_error_errno(err, "drop supplementary groups");
    return 0;
}

_Noreturn static void fail(const struct init_args *a, struct urun_error *err, bool can_report)
{
    char msg[URUN_ERROR_MSG_MAX + 128];
    if (can_report && sync_send(a->sync_fd, SYNC_ERROR, err) == 0)
        _exit(1);
    /* After the go-ahead nobody listens on the sync socket any more: `start` reads the report from
     * the exec fifo; only when that is gone too is stderr all there is. */
    if (exec_fifo_fd >= 0 && sync_fifo_report(exec_fifo_fd, err) == 0)
        _exit(127);
    fprintf(stderr, "urun: container init: %s\n", urun_error_format(err, msg, sizeof(msg)));
    _exit(127);
}

/* linux.timeOffsets can only be written while no process is in the new time namespace: unshare it
 * (it applies to our children), write /proc/self/timens_offsets, and let respawn() enter it
 * (time_namespaces(7)). */
static int set_time_offsets(const struct init_args *a, struct urun_error *err)
{
    const struct spec_linux *lx = a->spec->linux_;
    char buf[128];
    int n = 0;

    if (!(a->unshare_flags & CLONE_NEWTIME) && unshare(CLONE_NEWTIME) < 0)
        return urun_error_errno(err, "linux.timeOffsets: create the time namespace");
    if (lx->time_monotonic.present)
        n += snprintf(buf + n, sizeof(buf) - (size_t)n, "monotonic %lld %u\n", (long long)lx->time_monotonic.secs,
                      lx->time_monotonic.nanosecs);
    if (lx->time_boottime.present)
        n += snprintf(buf + n, sizeof(buf) - (size_t)n, "boottime %lld %u\n", (long long)lx->time_boottime.secs,
                      lx->time_boottime.nanosecs);
    _cleanup_close_ int fd = openat(a->proc_fd, "self/timens_offsets", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, buf, (size_t)n) != n)
        return urun_error_errno(err, "linux.timeOffsets: write %.*s", n > 0 ? n - 1 : 0, buf);
    return 0;
}

/* A joined (or post-setns) pid namespace only takes our children: fork the real init, as a child of
 * urun itself (CLONE_PARENT) so that `run` can wait for it; report its pid and go. */
static void respawn(const struct init_args *a)
{
    struct urun_error err;
    if (sync_respawn(a->sync_fd, "fork into the joined pid namespace", &err) < 0)
        fail(a, &err, true);
}

/* From its first instruction the init holds only what it passes on (stdio, preserved fds) and what
 * it needs itself: every other fd the caller or urun left open goes (launch.h). */
static void close_inherited_fds(const struct init_args *a)
{
    int keep[5 + SPEC_NS__MAX];
    size_t n = 0;

    keep[n++] = a->sync_fd;
    keep[n++] = a->fifo_fd;
    keep[n++] = a->proc_fd;
    keep[n++] = a->ns_listen_fd;
    keep[n++] = urun_log_fd();
    for (int t = 0; a->join && t < SPEC_NS__MAX; t++)
        keep[n++] = a->join->fd[t];
    launch_close_fds(&(struct launch_fds){.n_pass = a->preserve_fds, .keep = keep, .n_keep = n});
}

_Noreturn void init_main(const struct init_args *a)
{
    struct urun_error err = {0};
    char exe[PATH_MAX], self[32] = "";
    int master = -1, slave = -1, listener = -1, procfd = -1;
    pid_t host_pid;
    sigset_t none;

    close_inherited_fds(a);
    /* The costly namespaces (network above all) are made here, in the new user namespace that owns
     * them, while urun is still running newuidmap/newgidmap for us. */
    if (a->early_unshare) {
        if (unshare((int)a->early_unshare) < 0) {
            urun_error_errno(&err, "create the container's namespaces");
            fail(a, &err, true);
        }
        if (sync_send(a->sync_fd, SYNC_UNSHARED, NULL) < 0)
            _exit(1);
    }
    if (a->wait_maps && sync_expect(a->sync_fd, SYNC_MAPS_DONE, &err) < 0)
        _exit(1); /* the parent is gone or failed: it cleans up and reports */
    if (((a->join && a->join->any) || a->unshare_flags) && nsjoin_enter(a->join, a->unshare_flags, &err) < 0)
        fail(a, &err, true);
    nsjoin_release(a->join);
    if ((a->wait_maps || (a->join && a->join->fd[SPEC_NS_USER] >= 0)) && init_become_root(&err) < 0)
        fail(a, &err, true);
    if (a->time_offsets && set_time_offsets(a, &err) < 0)
        fail(a, &err, true);
    if (process_apply_oom_score_adj(a->spec->process, &err) < 0)
        fail(a, &err, true);
    /* CVE-2019-5736: until it execs, this process is urun, and /proc/PID/exe would hand the urun
     * binary to any process that can see it (one joining our pid namespace).  Non-dumpable makes the
     * kernel refuse that (proc(5), ptrace access mode); execve of the user's binary restores it.
     * Only now: it also hands our /proc/PID files (uid_map, timens_offsets) to host root, and they
     * have been written.  Until here no container process can see this one; the respawned child
     * inherits the setting. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (a->respawn)
        respawn(a);

    /* Our pid as the host sees it, through the host's /proc (ours is pid 1 of a new namespace). */
    if (readlinkat(a->proc_fd, "self", self, sizeof(self) - 1) < 0)
        self[0] = '\0';
    host_pid = (pid_t)atoi(self);

    if (setup(a, host_pid, exe, sizeof(exe), &master, &slave, &listener, &procfd, &err) < 0)
        fail(a, &err, true);
    if (sync_send_fd(a->sync_fd, SYNC_READY, master) < 0)
        _exit(1);
    if (master >= 0)
        close(master);
    if (sync_expect(a->sync_fd, SYNC_GO, &err) < 0)
        _exit(1); /* EOF: urun died or gave up before recording state */
    close(a->sync_fd);
    /* The pty becomes our stdio before we wait: create's own stdout and stderr (a pipe that
     * containerd's shim reads to its end) must not stay open for as long as nobody starts us. */
    if (slave >= 0 && init_attach_terminal(slave, &err) < 0)
        fail(a, &err, false);

    if (wait_for_start(a, procfd, &err) < 0)
        fail(a, &err, false);
    nsshare_stop();
    if (run_hooks(a, SPEC_HOOK_START_CONTAINER, host_pid, URUN_STATUS_RUNNING, &err) < 0)
        fail(a, &err, false);
    _cleanup_free_ char *listener_state = listener >= 0 ? state_json(a, host_pid, URUN_STATUS_RUNNING) : NULL;
    struct process_seccomp sc = {
        .filter = a->seccomp, .listener_fd = listener, .host_pid = host_pid, .state_json = listener_state,
        .metadata = a->seccomp ? a->spec->linux_->seccomp->listener_metadata : NULL,
    };
    if (process_finalize(a->spec->process, a->preserve_fds, &sc, &err) < 0)
        fail(a, &err, false);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(exe, a->spec->process->args, init_process_env(a->spec->process, a->listen_fds));
    urun_error_errno(&err, "exec %s", exe);
    fail(a, &err, false);
}
