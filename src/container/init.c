/* Implementation of init.h.  Every step either succeeds or sends SYNC_ERROR and exits: the parent
 * turns that into the one error line the user sees and removes everything it made. */
#include "container/init.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/keyctl.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "container/mounts.h"
#include "container/process.h"
#include "container/seccomp_filter.h"
#include "container/spawn.h"
#include "netns/core/loopback.h"
#include "runtime/hooks.h"
#include "runtime/nsjoin.h"
#include "runtime/nsshare.h"
#include "runtime/state.h"
#include "runtime/sync.h"

/* A fresh session keyring, so the container cannot read the caller's keys (keyrings(7)), as runc
 * does.  Kernels without keyrings, or with the key quota exhausted, simply leave the caller's. */
static void join_new_keyring(void)
{
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0) < 0)
        log_debug("no new session keyring: %m");
}

/* The OCI state document hooks and seccomp listeners get, as the host sees the container. */
static char *state_json(const struct init_args *a, pid_t host_pid, enum urun_status status)
{
    struct urun_state st = {
        .id = (char *)a->id,
        .bundle = (char *)a->bundle,
        .rootfs = (char *)a->rootfs,
        .pid = host_pid,
        .owner_name = (char *)a->owner_name,
        .annotations = a->spec->annotations,
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
        return urun_error_set(err, EINVAL, "hooks.%s: build the state document", spec_hook_name(k));
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
        return urun_error_set(err, 0,
                              "/proc in the container is not a procfs: urun needs one to wait for `start` "
                              "(mounts: add {\"destination\": \"/proc\", \"type\": \"proc\"})");
    snprintf(path, sizeof(path), "self/fd/%d", fifo_fd);
    _cleanup_close_ int probe = openat(fd, path, O_PATH | O_CLOEXEC);
    if (probe < 0 || fstat(probe, &got) < 0 || fstat(fifo_fd, &want) < 0 || got.st_dev != want.st_dev ||
        got.st_ino != want.st_ino)
        return urun_error_set(err, 0,
                              "/proc in the container does not show the container's init (a procfs of "
                              "another pid namespace?)");
    *ret_fd = TAKE_FD(fd);
    return 0;
}

/* The init's state between its steps. */
struct init_run {
    const struct init_args *a;
    struct spawn_child c;
    pid_t host_pid;     /* ours, as the host sees it */
    char exe[PATH_MAX]; /* args[0], found */
    int master, slave;  /* the pty, with process.terminal */
    int listener;       /* the seccomp listener socket, or -1 */
    int procfd;         /* the container's /proc, until the fifo is open */
    int fifo;           /* the exec fifo's write end once `start` opened it */
};

/* Up to the mounts: the last steps that need the host's /proc. */
static int setup_mounts(struct init_run *in, const struct mounts_config *mc, struct urun_error *err)
{
    const struct init_args *a = in->a;
    int r = apply_sysctl(a, err);
    if (r >= 0)
        r = nsshare_serve(a->ns_listen_fd, a->proc_fd, err);
    if (r < 0)
        return r;
    /* The last use of the host's /proc: from here on the init resolves paths the container controls
     * (mount targets, /dev entries, the cwd, args[0]), and holds no fd of the host's but the exec
     * fifo (not a directory: nothing resolves through it) and the sync socket. */
    close(a->proc_fd);
    urun_log_close();
    r = mounts_setup(mc, err);
    if (r < 0)
        return r;
    /* prestart/createRuntime run in urun, in the runtime's namespaces; then createContainer here, in
     * the container's, before pivot_root (runtime-spec config.md, "POSIX-platform Hooks"). */
    if (sync_step(&in->c.sync, SYNC_SIDE_INIT, SYNC_PHASE_HOOKS, NULL, err) < 0 ||
        sync_step(&in->c.sync, SYNC_SIDE_INIT, SYNC_PHASE_HOOKS_DONE, NULL, err) < 0)
        _exit(1); /* the parent reports the failed hook and cleans up */
    if (in->c.sync.phases & SYNC_PHASE_HOOKS)
        r = run_hooks(a, SPEC_HOOK_CREATE_CONTAINER, in->host_pid, URUN_STATUS_CREATING, err);
    return r;
}

/* Names and the network, in the container's namespaces, before pivot_root. */
static int setup_identity(struct init_run *in, struct urun_error *err)
{
    const struct init_args *a = in->a;
    const struct urun_spec *s = a->spec;
    bool uts = a->plan->made_flags & CLONE_NEWUTS;
    int r;

    if (a->plan->seccomp && urun_seccomp_needs_listener(a->plan->seccomp) &&
        (r = urun_seccomp_listener_connect(s->linux_->seccomp->listener_path, &in->listener, err)) < 0)
        return urun_error_wrap(err, r, "linux.seccomp.listenerPath");
    if (s->hostname && uts && sethostname(s->hostname, strlen(s->hostname)) < 0)
        return urun_error_errno(err, "hostname: set \"%s\"", s->hostname);
    if (s->domainname && uts && setdomainname(s->domainname, strlen(s->domainname)) < 0)
        return urun_error_errno(err, "domainname: set \"%s\"", s->domainname);
    if ((a->plan->made_flags & CLONE_NEWNET) && (r = loopback_up(err)) < 0)
        return r;
    if (!a->plan->no_new_keyring)
        join_new_keyring();
    return 0;
}

static int setup(struct init_run *in, struct urun_error *err)
{
    const struct init_args *a = in->a;
    const struct spec_process *p = a->spec->process;
    struct mounts_config mc = {
        .spec = a->spec,
        .rootfs = a->rootfs,
        .bundle = a->bundle,
        .no_pivot = a->plan->no_pivot,
        .new_netns = a->plan->made_flags & CLONE_NEWNET,
    };
    int r = setup_mounts(in, &mc, err);
    if (r >= 0)
        r = setup_identity(in, err);
    if (r >= 0)
        r = mounts_switch_root(&mc, err);
    if (r >= 0)
        r = open_container_proc(a->fifo_fd, &in->procfd, err);
    if (r >= 0 && a->plan->terminal)
        r = spawn_terminal_open(p, /* bind_console= */ true, &in->master, &in->slave, err);
    if (r >= 0)
        r = spawn_prepare(p, "process.cwd", in->exe, sizeof(in->exe), err);
    return r;
}

/* Block until `start` opens the fifo for reading, then tell it we are going ahead.  From then on
 * failures are reported on the fifo. */
static int wait_for_start(struct init_run *in, struct urun_error *err)
{
    struct stat want, got;
    char path[64];
    int fd;

    snprintf(path, sizeof(path), "self/fd/%d", in->a->fifo_fd);
    nsshare_answer(); /* exec, ps and kill --all may reach our namespaces while we wait */
    do
        fd = openat(in->procfd, path, O_WRONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return urun_error_errno(err, "open exec fifo");
    if (fstat(fd, &got) < 0 || fstat(in->a->fifo_fd, &want) < 0 || got.st_dev != want.st_dev ||
        got.st_ino != want.st_ino) {
        close(fd);
        return urun_error_set(err, 0, "open exec fifo: /proc/self/fd showed another file");
    }
    /* The fd stays open, close-on-exec: `start` sees EOF exactly when the exec has happened. */
    in->c.report_fd = fd;
    if (write(fd, (char[]){SYNC_FIFO_GO}, 1) != 1)
        return urun_error_errno(err, "write exec fifo");
    close(in->a->fifo_fd);
    closep(&in->procfd);
    return 0;
}

/* linux.timeOffsets can only be written while no process is in the new time namespace: unshare it
 * (it applies to our children), write /proc/self/timens_offsets, and let respawn() enter it
 * (time_namespaces(7)). */
static int set_time_offsets(const struct init_args *a, struct urun_error *err)
{
    const struct spec_linux *lx = a->spec->linux_;
    char buf[128];
    int n = 0;

    if (!(a->plan->unshare_flags & CLONE_NEWTIME) && unshare(CLONE_NEWTIME) < 0)
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

/* From its first instruction the init holds only what it passes on (stdio, preserved fds) and what
 * it needs itself: every other fd the caller or urun left open goes. */
static void seal_fds(const struct init_run *in)
{
    const struct init_args *a = in->a;
    int keep[5 + SPEC_NS__MAX];
    size_t n = 0;

    keep[n++] = a->sync.fd;
    keep[n++] = a->fifo_fd;
    keep[n++] = a->proc_fd;
    keep[n++] = a->ns_listen_fd;
    keep[n++] = urun_log_fd();
    for (int t = 0; t < SPEC_NS__MAX; t++)
        keep[n++] = a->plan->join.fd[t];
    spawn_seal_fds(&in->c, keep, n);
}

/* Into the namespaces, with the maps written; ending non-dumpable, and forked again if planned. */
static void enter(struct init_run *in)
{
    const struct init_args *a = in->a;
    const struct create_plan *p = a->plan;
    struct urun_error err = {0};

    /* The costly namespaces (network above all) are made here, in the new user namespace that owns
     * them, while urun is still running newuidmap/newgidmap for us. */
    if (p->early_unshare && unshare((int)p->early_unshare) < 0) {
        urun_error_errno(&err, "create the container's namespaces");
        spawn_fail(&in->c, &err);
    }
    if (sync_step(&in->c.sync, SYNC_SIDE_INIT, SYNC_PHASE_UNSHARED, NULL, &err) < 0 ||
        sync_step(&in->c.sync, SYNC_SIDE_INIT, SYNC_PHASE_MAPS, NULL, &err) < 0)
        _exit(1); /* the parent is gone or failed: it cleans up and reports */
    /* the respawn comes later, once the init is non-dumpable */
    const struct spawn_entry e = {.join = &p->join, .unshare_flags = p->unshare_flags, .become_root = p->become_root};
    if (spawn_enter(&in->c, &e, &err) < 0 || (p->time_offsets && set_time_offsets(a, &err) < 0) ||
        process_apply_oom_score_adj(a->spec->process, &err) < 0)
        spawn_fail(&in->c, &err);
    /* CVE-2019-5736: until it execs, this process is urun, and /proc/PID/exe would hand the urun
     * binary to any process that can see it (one joining our pid namespace).  Non-dumpable makes the
     * kernel refuse that (proc(5), ptrace access mode); execve of the user's binary restores it.
     * Only now: it also hands our /proc/PID files (uid_map, timens_offsets) to host root, and they
     * have been written.  Until here no container process can see this one; the respawned child
     * inherits the setting.  A joined (or post-setns) pid namespace only takes our children: fork the
     * real init, as a child of urun itself (CLONE_PARENT) so that `run` can wait for it. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (p->respawn && sync_step_respawn(&in->c.sync, "fork into the joined pid namespace", &err) < 0)
        spawn_fail(&in->c, &err);
}

_Noreturn void init_main(const struct init_args *a)
{
    struct init_run in = {
        .a = a,
        .master = -1,
        .slave = -1,
        .listener = -1,
        .procfd = -1,
        .c = {.sync = a->sync,
              .report_fd = -1,
              .who = "container init",
              .preserve_fds = a->plan->preserve_fds,
              .listen_fds = a->plan->listen_fds},
    };
    struct urun_error err = {0};
    char self[32] = "";

    seal_fds(&in);
    enter(&in);
    /* Our pid as the host sees it, through the host's /proc (ours is pid 1 of a new namespace). */
    if (readlinkat(a->proc_fd, "self", self, sizeof(self) - 1) < 0)
        self[0] = '\0';
    in.host_pid = (pid_t)atoi(self);
    if (setup(&in, &err) < 0)
        spawn_fail(&in.c, &err);
    if (spawn_ready(&in.c, in.master, &err) < 0 || sync_step(&in.c.sync, SYNC_SIDE_INIT, SYNC_PHASE_GO, NULL, &err) < 0)
        _exit(1); /* EOF: urun died or gave up before recording state */
    closep(&in.c.sync.fd);
    /* The pty becomes our stdio before we wait: create's own stdout and stderr (a pipe that
     * containerd's shim reads to its end) must not stay open for as long as nobody starts us. */
    if (in.slave >= 0 && spawn_terminal_attach(in.slave, &err) < 0)
        spawn_fail(&in.c, &err);
    if (wait_for_start(&in, &err) < 0)
        spawn_fail(&in.c, &err);
    nsshare_stop();
    if (run_hooks(a, SPEC_HOOK_START_CONTAINER, in.host_pid, URUN_STATUS_RUNNING, &err) < 0)
        spawn_fail(&in.c, &err);
    _cleanup_free_ char *listener_state = in.listener >= 0 ? state_json(a, in.host_pid, URUN_STATUS_RUNNING) : NULL;
    struct process_seccomp sc = {
        .filter = a->plan->seccomp,
        .listener_fd = in.listener,
        .host_pid = in.host_pid,
        .state_json = listener_state,
        .metadata = a->plan->seccomp ? a->spec->linux_->seccomp->listener_metadata : NULL,
    };
    spawn_exec(&in.c, a->spec->process, in.exe, &sc);
}
