/* Implementation of container.h for existing containers: load, start, kill, delete, the post hooks.
 * Making one is create.c. */
#include "runtime/lifecycle.h"
#include "runtime/image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/pidfd.h"
#include "base/util.h"
#include "container/init.h"
#include "container/seccomp_filter.h"
#include "idmap/idmap.h"
#include "runtime/cgroup.h"
#include "runtime/hooks.h"
#include "runtime/notify.h"
#include "runtime/nsjoin.h"
#include "runtime/nsshare.h"
#include "runtime/status.h"
#include "runtime/sync.h"
#include "spec/bundle.h"

/* Run a hook kind from the stored config; failures are warnings (runtime-spec: poststart/poststop). */
static void run_late_hooks(int dirfd, const struct urun_state *st, enum urun_status status, enum spec_hook_kind k)
{
    _cleanup_free_ char *buf = NULL, *json = NULL;
    _cleanup_(spec_freep) struct urun_spec *s = NULL;
    struct urun_error err;
    size_t len;

    /* start and delete are hot paths: parse the config only when create saw post hooks */
    if (faccessat(dirfd, STATE_POSTHOOKS_MARK, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
        return;
    if (read_regular_file_at(dirfd, STATE_CONFIG_COPY, SPEC_MAX_BYTES, &buf, &len, &err) < 0 ||
        spec_parse(buf, len, &s, &err) < 0) {
        log_warning("hooks.%s of %s: %s", spec_hook_name(k), st->id, err.msg);
        return;
    }
    json = state_to_json(st, status, /* pretty= */ false);
    if (json)
        hooks_run_all(&s->hooks[k], spec_hook_name(k), json);
}

/* Whether pid runs as `owner`, or in a user namespace `owner` made (a container's init whose root is
 * a subordinate ID). */
static bool process_belongs_to(pid_t pid, uid_t owner)
{
    char path[64], buf[4096];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    if (n > 0) {
        buf[n] = '\0';
        const char *u = strstr(buf, "\nUid:");
        if (u && strtoul(u + 5, NULL, 10) == owner)
            return true;
    }
    snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
    _cleanup_close_ int ns = open(path, O_RDONLY | O_CLOEXEC);
    uid_t ns_owner;
    return ns >= 0 && ioctl(ns, NS_GET_OWNER_UID, &ns_owner) == 0 && ns_owner == owner;
}

/* uid 0 serving another user's state root (Slurm's RunTimeQuery, an admin): whatever that user wrote
 * there must not make root signal or remove a process or cgroup that is not theirs. */
static int check_served(const struct state_root *root, const struct urun_state *st, struct urun_error *err)
{
    struct stat cg;
    if (!root->foreign)
        return 0;
    if (st->pid > 0 && status_proc_alive(st->pid, st->start_time) && !process_belongs_to(st->pid, root->owner))
        return urun_error_set(err, EPERM,
                              "container %s: its recorded process %d is not uid %u's; refusing to act "
                              "on it",
                              st->id, (int)st->pid, (unsigned)root->owner);
    if (st->helper_pid > 0 && status_proc_alive(st->helper_pid, st->helper_start_time) &&
        !process_belongs_to(st->helper_pid, root->owner))
        return urun_error_set(err, EPERM,
                              "container %s: its recorded network helper %d is not uid %u's; refusing "
                              "to act on it",
                              st->id, (int)st->helper_pid, (unsigned)root->owner);
    if (st->cgroup && stat(st->cgroup, &cg) == 0 && cg.st_uid != root->owner)
        return urun_error_set(err, EPERM,
                              "container %s: its recorded cgroup %s is not uid %u's; refusing to act on "
                              "it",
                              st->id, st->cgroup, (unsigned)root->owner);
    return 0;
}

int container_load(const struct state_root *root, const char *id, int lock, int *ret_dirfd, struct urun_state **ret,
                   enum urun_status *ret_status, struct urun_error *err)
{
    _cleanup_close_ int dirfd = -1;
    struct urun_state *st = NULL;
    int r;

    r = state_container_open(root, id, lock, &dirfd, err);
    if (r < 0)
        return r;
    r = state_read(dirfd, &st, err);
    if (r == -ENOENT) {
        *ret_status = URUN_STATUS_CREATING;
    } else if (r < 0) {
        return r;
    } else {
        *ret_status = status_of(dirfd, st);
    }
    if (st && (r = check_served(root, st, err)) < 0) {
        state_free(st);
        return r;
    }
    *ret = st;
    if (ret_dirfd)
        *ret_dirfd = TAKE_FD(dirfd);
    return 0;
}

/* A pidfd for the recorded init, checked against its start time so a recycled pid is refused:
 * -ESRCH when the container's init is gone. */
static int open_init(const struct urun_state *st)
{
    uint64_t start;
    char letter;
    int fd = pidfd_open_fd(st->pid);

    if (fd < 0 && fd != -ENOSYS)
        return fd;
    if (proc_stat_read(st->pid, &letter, &start) < 0 || start != st->start_time || letter == 'Z') {
        if (fd >= 0)
            close(fd);
        return -ESRCH;
    }
    return fd >= 0 ? fd : -1; /* -1: no pidfds, fall back to kill(2) */
}

/* Wait for the init to exit (pidfd readable), at most timeout_ms. */
static int wait_exit(int pidfd, const struct urun_state *st, int timeout_ms)
{
    struct timespec ts = {0, 10 * 1000 * 1000};
    if (pidfd >= 0) {
        struct pollfd p = {.fd = pidfd, .events = POLLIN};
        int r;
        do
            r = poll(&p, 1, timeout_ms);
        while (r < 0 && errno == EINTR);
        return r > 0 ? 0 : -ETIMEDOUT;
    }
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        uint64_t start;
        char letter;
        if (proc_stat_read(st->pid, &letter, &start) < 0 || start != st->start_time || letter == 'Z')
            return 0;
        nanosleep(&ts, NULL);
    }
    return -ETIMEDOUT;
}

/* Read the init's go-ahead from the exec fifo, then wait for EOF: the init's write end is
 * close-on-exec, so EOF means the user's process has exec'd.  Anything after the go-ahead is the
 * init's report of what failed instead (sync.h), which becomes start's error. */
static int release_fifo(int dirfd, int pidfd, struct urun_error *err)
{
    _cleanup_close_ int fd = openat(dirfd, STATE_EXEC_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    char buf[URUN_ERROR_MSG_MAX + 32];
    size_t len = 0;
    bool exited = false;

    if (fd < 0)
        return urun_error_errno(err, "open exec fifo");
    for (;;) {
        struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = pidfd, .events = POLLIN}};
        /* once the init is gone, only what it left in the fifo is still to be read */
        int n = exited ? 1 : poll(p, pidfd >= 0 ? 2 : 1, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return urun_error_errno(err, "wait for container init");
        if (exited || (p[0].revents & (POLLIN | POLLHUP))) {
            ssize_t k = read(fd, buf + len, sizeof(buf) - 1 - len);
            if (k > 0) {
                len += (size_t)k;
                if (len < sizeof(buf) - 1)
                    continue;
            } else if (k < 0 && errno == EINTR) {
                continue;
            } else if (k < 0 && errno != EAGAIN) {
                return urun_error_errno(err, "read exec fifo");
            } else if (k < 0 && !exited) {
                continue;
            }
            /* EOF, or nothing more from an init that has exited */
            if (len == 0)
                return urun_error_set(err, 0,
                                      exited ? "container init exited before it could start"
                                             : "container init closed the exec fifo without starting");
            if (len > 1)
                return sync_fifo_parse_report(buf + 1, len - 1, err);
            return 0;
        }
        if (p[1].revents & POLLIN)
            exited = true;
    }
}

int container_start(const struct state_root *root, const char *id, struct urun_error *err)
{
    _cleanup_(state_freep) struct urun_state *st = NULL;
    _cleanup_close_ int dirfd = -1, pidfd = -1;
    enum urun_status status;
    int r;

    r = container_load(root, id, LOCK_EX, &dirfd, &st, &status, err);
    if (r < 0)
        return r;
    switch (status) {
    case URUN_STATUS_CREATED:
        break;
    case URUN_STATUS_STOPPED:
        return urun_error_set(err, 0, "cannot start a container that has stopped");
    case URUN_STATUS_RUNNING:
        return urun_error_set(err, 0, "cannot start an already running container");
    default:
        return urun_error_set(err, 0, "cannot start a container in the %s state", urun_status_name(status));
    }
    pidfd = open_init(st);
    if (pidfd == -ESRCH)
        return urun_error_set(err, 0, "cannot start a container that has stopped");
    _cleanup_close_ int notify_sock = -1;
    r = notify_bind(dirfd, &notify_sock, err);
    if (r < 0)
        return r;
    r = release_fifo(dirfd, pidfd, err);
    if (r < 0)
        return r;
    if (unlinkat(dirfd, STATE_EXEC_FIFO, 0) < 0)
        return urun_error_errno(err, "remove exec fifo");
    run_late_hooks(dirfd, st, URUN_STATUS_RUNNING, SPEC_HOOK_POSTSTART);
    if (notify_sock >= 0)
        return notify_wait_ready(notify_sock, pidfd, st->pid, err);
    return 0;
}

/* The init's pid namespace: /proc/PID/ns/pid, or, while a created container's non-dumpable init
 * closes that to us, the one it hands over itself (nsshare.h). */
static int init_pid_namespace(int dirfd, const struct urun_state *st, struct stat *ret, struct urun_error *err)
{
    char path[64];

    snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)st->pid);
    if (stat(path, ret) == 0)
        return 0;
    if (errno != EACCES || dirfd < 0)
        return urun_error_errno(err, "read the pid namespace of %d", (int)st->pid);
    struct nsjoin j;
    int r = nsshare_fetch(dirfd, &j, err);
    if (r < 0)
        return r;
    r = j.fd[SPEC_NS_PID] >= 0 && fstat(j.fd[SPEC_NS_PID], ret) == 0 ? 0 : -EPROTO;
    nsjoin_close(&j);
    return r < 0 ? urun_error_set(err, EPROTO, "the container's init sent no pid namespace") : 0;
}

int container_pids(int dirfd, const struct urun_state *st, pid_t **ret, size_t *ret_n, struct urun_error *err)
{
    char path[64];
    struct stat ns, other;

    if (st->cgroup)
        return cgroup_pids(st->cgroup, ret, ret_n, err);
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0, cap = 0;
    DIR *d;
    struct dirent *e;

    int r = init_pid_namespace(dirfd, st, &ns, err);
    if (r < 0)
        return r;
    if (stat("/proc/self/ns/pid", &other) == 0 && other.st_dev == ns.st_dev && other.st_ino == ns.st_ino)
        return urun_error_set(err, 0,
                              "the container shares urun's pid namespace and has no cgroup, so its "
                              "processes cannot be told apart from others");
    d = opendir("/proc");
    if (!d)
        return urun_error_errno(err, "open /proc");
    while ((e = readdir(d))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/ns/pid", e->d_name);
        /* the init itself, when non-dumpable, is known by its pid */
        bool is_init = atoi(e->d_name) == (int)st->pid;
        if (!is_init && (stat(path, &other) < 0 || other.st_dev != ns.st_dev || other.st_ino != ns.st_ino))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            pids = xreallocarray(pids, cap, sizeof(*pids));
        }
        pids[n++] = (pid_t)atoi(e->d_name);
    }
    closedir(d);
    *ret = TAKE_PTR(pids);
    *ret_n = n;
    return 0;
}

/* Every process of the container gets sig: through its cgroup (cgroup.kill for SIGKILL), else its pid
 * namespace (container_pids). */
static int signal_all(int dirfd, const struct urun_state *st, int sig, struct urun_error *err)
{
    _cleanup_free_ pid_t *pids = NULL;
    size_t n;
    int r;

    if (st->cgroup) {
        r = cgroup_signal_all(st->cgroup, sig, err);
        return r < 0 ? urun_error_wrap(err, r, "kill --all") : 0;
    }
    r = container_pids(dirfd, st, &pids, &n, err);
    if (r < 0)
        return urun_error_wrap(err, r, "kill --all");
    for (size_t i = 0; i < n; i++)
        kill(pids[i], sig);
    return 0;
}

int container_kill(const struct state_root *root, const char *id, int sig, bool all, struct urun_error *err)
{
    _cleanup_(state_freep) struct urun_state *st = NULL;
    _cleanup_close_ int pidfd = -1, dirfd = -1;
    enum urun_status status;
    int r;

    r = container_load(root, id, 0, &dirfd, &st, &status, err);
    if (r < 0)
        return r;
    if (status != URUN_STATUS_CREATED && status != URUN_STATUS_RUNNING && status != URUN_STATUS_PAUSED)
        return urun_error_set(err, 0, "container %s is not running (%s)", id, urun_status_name(status));
    pidfd = open_init(st);
    if (pidfd == -ESRCH)
        return urun_error_set(err, 0, "container %s is not running (stopped)", id);
    if (all && (r = signal_all(dirfd, st, sig, err)) < 0)
        return r;
    r = pidfd_signal(pidfd, st->pid, sig);
    if (r < 0 && !(all && r == -ESRCH))
        return urun_error_set(err, -r, "kill container %s", id);
    return 0;
}

/* `run`, or a create that fails, is the helper's parent and reaps it once it has exited (stop_helper,
 * through the pidfd it waited on).  Left to init, or to a caller's subreaper, it would stay a zombie
 * for good where that never reaps (a container's or a batch job's PID 1).  This is for a helper that
 * is a zombie already, which open_init no longer opens: exactly that process (pidfd, start time).
 * Not our child (delete from another process): nothing. */
static void reap_helper(const struct urun_state *h)
{
    uint64_t start;
    char letter;
    int fd = pidfd_open_fd(h->pid);

    if (fd < 0)
        return;
    if (proc_stat_read(h->pid, &letter, &start) == 0 && start == h->start_time)
        pidfd_reap_if_child(fd);
    close(fd);
}

/* The slirp helper exits by itself when the init does; make sure of it (pid + start time, so a
 * recycled pid is never signalled).  Once the init is gone (init_gone) the helper is given a moment
 * to finish exiting on its own: killing it halfway through its exit would cut short whatever it
 * does there (in sanitizer builds, the leak check).  With the init still alive it is killed first,
 * so it never sees the init go. */
static void stop_helper(const struct urun_state *st, bool init_gone)
{
    struct urun_state h = {.pid = st->helper_pid, .start_time = st->helper_start_time};
    if (st->helper_pid <= 0)
        return;
    int fd = open_init(&h);
    if (fd == -ESRCH) { /* exited already: a zombie, if it is ours */
        reap_helper(&h);
        return;
    }
    if (!init_gone || fd < 0 || wait_exit(fd, &h, 2000) < 0) {
        pidfd_signal(fd, h.pid, SIGKILL);
        wait_exit(fd, &h, 5000);
    }
    if (fd >= 0) {
        pidfd_reap_if_child(fd); /* the pidfd pins exactly this process */
        close(fd);
    }
}

/* SIGKILL to the recorded init, only while its pid has the recorded start time, and wait for it to
 * exit; all: every process of the container first (cgroup, else pid namespace). */
static int kill_init(const struct urun_state *st, bool all, struct urun_error *err)
{
    _cleanup_close_ int pidfd = -1;
    struct urun_error ignored;
    int r;

    if (st->pid <= 0)
        return 0;
    pidfd = open_init(st);
    if (pidfd == -ESRCH)
        return 0;
    if (pidfd < -1) /* neither pinned nor checked: never signal it blindly */
        return urun_error_set(err, -pidfd, "open the init of container %s", st->id);
    /* SIGKILL to the init of a pid namespace kills every process in it (pid_namespaces(7)). */
    if (all) /* no state dir fd: a created container's own pid namespace dies with its init anyway */
        signal_all(-1, st, SIGKILL, &ignored);
    r = pidfd_signal(pidfd, st->pid, SIGKILL);
    if (r < 0 && r != -ESRCH)
        return urun_error_set(err, -r, "kill container %s", st->id);
    if (wait_exit(pidfd, st, 10000) < 0)
        return urun_error_set(err, ETIMEDOUT, "container %s did not exit after SIGKILL", st->id);
    return 0;
}

/* A recorded cgroup directory, removed once empty.  Its processes are not signalled: without a
 * readable state.json only processes whose pid and start time match the record are.  Only a cgroup
 * v2 directory is touched. */
static void remove_empty_cgroup(const char *path)
{
    struct timespec ts = {0, 5 * 1000 * 1000};
    struct statfs sfs;

    if (statfs(path, &sfs) < 0 || sfs.f_type != CGROUP2_SUPER_MAGIC)
        return;
    /* the init's pid namespace is gone once it is reaped; its cgroup empties a moment later */
    for (int waited = 0; rmdir(path) < 0 && errno == EBUSY; waited += 5) {
        if (waited >= 2000) {
            log_warning("cgroup %s still has processes; left in place", path);
            return;
        }
        nanosleep(&ts, NULL);
    }
}

/* The processes the separate record (STATE_PROCS_FILE) names: for a container whose state.json is
 * unreadable or was never written.  Nothing recorded, or a pid whose start time differs: nothing
 * is signalled. */
static int stop_recorded(int dirfd, const char *id, struct urun_error *err)
{
    struct urun_error ignored;
    struct state_procs p;
    int r;

    if (state_procs_read(dirfd, &p, &ignored) < 0)
        return 0;
    struct urun_state st = {.id = (char *)id,
                            .pid = p.pid,
                            .start_time = p.start_time,
                            .helper_pid = p.helper_pid,
                            .helper_start_time = p.helper_start_time};
    r = kill_init(&st, /* all= */ false, err);
    if (r < 0)
        return r;
    stop_helper(&st, /* init_gone= */ true);
    if (p.cgroup[0])
        remove_empty_cgroup(p.cgroup);
    return 0;
}

/* The container directory, then the bundle `create --image` made for it, if it has one. */
static int remove_container(const struct state_root *root, const char *id, int dirfd, struct urun_error *err)
{
    int r = state_container_remove(root, id, dirfd, err);
    return r < 0 ? r : image_bundle_remove(root, id, err);
}

int container_delete(const struct state_root *root, const char *id, bool force, struct urun_error *err)
{
    _cleanup_(state_freep) struct urun_state *st = NULL;
    _cleanup_close_ int dirfd = -1;
    enum urun_status status;
    int r;

    r = state_container_open(root, id, LOCK_EX, &dirfd, err);
    if (r == -ENOENT && force)
        return 0; /* as runc and crun: engines clean up after a create that never happened */
    if (r < 0)
        return r;
    r = state_read(dirfd, &st, err);
    if (r < 0 && r != -ENOENT && !force)
        return urun_error_wrap(err, r, "cannot delete container %s without --force: its state cannot be read", id);
    if (r < 0) {
        /* Unreadable (--force), or missing: with the lock held, that is a create that died half-way.
         * Serving another user, root signals nothing on such a record: it only removes the directory. */
        r = root->foreign ? 0 : stop_recorded(dirfd, id, err);
        return r < 0 ? r : remove_container(root, id, dirfd, err);
    }
    if ((r = check_served(root, st, err)) < 0)
        return r;
    status = status_of(dirfd, st);
    if ((status == URUN_STATUS_RUNNING || status == URUN_STATUS_PAUSED) && !force)
        return urun_error_set(err, 0, "cannot delete container %s that is not stopped: %s", id,
                              urun_status_name(status));
    if (status != URUN_STATUS_STOPPED)
        stop_helper(st, /* init_gone= */ false);
    if (status != URUN_STATUS_STOPPED && (r = kill_init(st, force, err)) < 0)
        return r;
    /* what is left in the cgroup: processes outside its pid namespace, if it had none of its own */
    if (st->cgroup)
        cgroup_destroy(st->cgroup);
    stop_helper(st, /* init_gone= */ true);
    /* the user's hooks never run as root */
    if (root->foreign && faccessat(dirfd, STATE_POSTHOOKS_MARK, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        log_warning("container %s: its poststop hooks are not run: they are uid %u's, and this is uid 0", id,
                    (unsigned)root->owner);
    else
        run_late_hooks(dirfd, st, URUN_STATUS_STOPPED, SPEC_HOOK_POSTSTOP);
    return remove_container(root, id, dirfd, err);
}

int container_pause(const struct state_root *root, const char *id, bool freeze, struct urun_error *err)
{
    _cleanup_(state_freep) struct urun_state *st = NULL;
    _cleanup_close_ int dirfd = -1;
    enum urun_status status;
    int r;

    /* shared, as exec's: an `exec --ignore-paused` waiting on its frozen process holds the lock, and
     * resume is what it waits for */
    r = container_load(root, id, LOCK_SH, &dirfd, &st, &status, err);
    if (r < 0)
        return r;
    /* runc's messages */
    if (freeze && status != URUN_STATUS_RUNNING && status != URUN_STATUS_CREATED)
        return urun_error_set(err, 0, "container not running");
    if (!freeze && status != URUN_STATUS_PAUSED)
        return urun_error_set(err, 0, "container not paused");
    if (!st->cgroup)
        return urun_error_set(err, 0,
                              "cannot %s container %s: it has no cgroup, and freezing needs one on a "
                              "delegated cgroup v2 (this host has cgroup v1 only, or no cgroup v2 subtree writable by "
                              "you; see the README, Cgroups)",
                              freeze ? "pause" : "resume", id);
    return cgroup_freeze(st->cgroup, freeze, err);
}

int container_update(const struct state_root *root, const char *id, const struct cg_writes *w, struct urun_error *err)
{
    _cleanup_(state_freep) struct urun_state *st = NULL;
    _cleanup_close_ int dirfd = -1;
    enum urun_status status;
    int r;

    r = container_load(root, id, LOCK_SH, &dirfd, &st, &status, err);
    if (r < 0)
        return r;
    if (status != URUN_STATUS_RUNNING && status != URUN_STATUS_CREATED && status != URUN_STATUS_PAUSED)
        return urun_error_set(err, 0, "container %s is not running (%s)", id, urun_status_name(status));
    if (!st->cgroup)
        return urun_error_set(err, 0,
                              "cannot update container %s: it has no cgroup to set limits on (this host has "
                              "cgroup v1 only, or no cgroup v2 subtree writable by you; see the README, Cgroups)",
                              id);
    return cgroup_apply(st->cgroup, w, /* strict= */ true, err);
}
