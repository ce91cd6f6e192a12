/* Implementation of exec.h.  The process joins the init's namespaces through /proc/PID/ns (the init
 * pinned by its pidfd and start time), the user namespace first; since a pid namespace only takes
 * children, it then forks once more as a child of urun (CLONE_PARENT) and that child execs. */
#include "runtime/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/cgroup.h"
#include "base/cleanup.h"
#include "runtime/lifecycle.h"
#include "idmap/idmap.h"
#include "container/init.h"
#include "base/log.h"
#include "runtime/nsjoin.h"
#include "runtime/nsshare.h"
#include "base/pidfd.h"
#include "container/process.h"
#include "runtime/run.h"
#include "container/seccomp_filter.h"
#include "container/launch.h"
#include "runtime/sync.h"
#include "base/util.h"


/* The init's namespaces through /proc/PID/ns: readable once it runs the user's process. */
static int open_proc_namespaces(pid_t pid, struct nsjoin *j, struct urun_error *err)
{
    for (int t = 0; t < SPEC_NS__MAX; t++) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, nsjoin_proc_name((enum spec_ns_type)t));
        j->fd[t] = open(path, O_RDONLY | O_CLOEXEC);
        if (j->fd[t] < 0 && errno != ENOENT) { /* ENOENT: a kernel without this namespace type */
            int r = urun_error_errno(err, "open %s", path);
            nsjoin_close(j);
            return r;
        }
    }
    return 0;
}

/* The init's namespaces that differ from ours (joining our own would fail for user).  A created
 * container's init is urun's code and non-dumpable, so its /proc/PID/ns is closed to us: it hands
 * them over itself (nsshare.h). */
static int open_namespaces(pid_t pid, int dirfd, enum urun_status status, struct nsjoin *j, struct urun_error *err)
{
    int r = open_proc_namespaces(pid, j, err);
    if (r == -EACCES && status != URUN_STATUS_RUNNING)
        r = nsshare_fetch(dirfd, j, err);
    if (r < 0)
        return r;
    j->any = false;
    for (int t = 0; t < SPEC_NS__MAX; t++) {
        if (j->fd[t] < 0)
            continue;
        if (nsjoin_is_own(j->fd[t], (enum spec_ns_type)t)) {
            close(j->fd[t]);
            j->fd[t] = -1;
            continue;
        }
        j->any = true;
    }
    return 0;
}

/* process settings: --process FILE, or the container's own with the command-line overrides. */
static int load_process(int dirfd, const struct exec_opts *o, struct urun_spec **ret, struct urun_error *err)
{
    _cleanup_free_ char *buf = NULL, *doc = NULL;
    size_t len;
    int r;

    r = read_regular_file_at(dirfd, STATE_CONFIG_COPY, SPEC_MAX_BYTES, &buf, &len, err);
    if (r < 0)
        return urun_error_wrap(err, r, "read the container's config");
    r = spec_parse(buf, len, ret, err);
    if (r < 0)
        return urun_error_wrap(err, r, "the container's config");
    if (!o->process_file)
        return 0;
    /* A process object is parsed as the process of an otherwise minimal config, so its errors name
     * the same fields (process.args[0]: ...). */
    _cleanup_free_ char *pbuf = NULL;
    r = read_file_at(AT_FDCWD, o->process_file, SPEC_MAX_BYTES, &pbuf, &len, err);
    if (r < 0)
        return urun_error_wrap(err, r, "--process");
    doc = xasprintf("{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"/\"}, \"process\": %s}", pbuf);
    struct urun_spec *ps = NULL;
    r = spec_parse(doc, strlen(doc), &ps, err);
    if (r < 0)
        return urun_error_wrap(err, r, "--process %s", o->process_file);
    struct spec_process *tmp = (*ret)->process;
    (*ret)->process = ps->process;
    ps->process = tmp;
    spec_free(ps);
    return 0;
}

static char **strv_append(char **v, const char *s)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    char **nv = realloc(v, (n + 2) * sizeof(char *));
    if (!nv)
        abort();
    nv[n] = xstrdup(s);
    nv[n + 1] = NULL;
    return nv;
}

/* A user or group ID: decimal digits only, 0..2^32-2 (2^32-1 is (uid_t)-1, "unchanged" to
 * setresuid: it would leave the process root). */
static int parse_id(const char *s, size_t len, uint32_t *ret)
{
    uint64_t v = 0;
    if (len == 0 || len > 10)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > UINT32_MAX - 1)
        return -EINVAL;
    *ret = (uint32_t)v;
    return 0;
}

/* The same user checks as create's, against the maps the container has (its init's). */
static int check_user(pid_t pid, const struct spec_user *u, struct urun_error *err)
{
    static const char *const files[] = {"uid_map", "gid_map"};
    _cleanup_free_ struct idmap *m = calloc(1, sizeof(*m));
    if (!m)
        return urun_error_set(err, ENOMEM, "exec");
    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        _cleanup_free_ char *text = NULL;
        char path[64];
        size_t len;
        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, files[i]);
        int r = read_file_at(AT_FDCWD, path, 65536, &text, &len, err);
        if (r < 0)
            return r;
        r = idmap_parse_proc(text, i ? m->gid : m->uid, IDMAP_MAX_LINES, i ? &m->n_gid : &m->n_uid);
        if (r < 0)
            return urun_error_set(err, -r, "%s: malformed", path);
    }
    return idmap_check_user(u, m, err);
}

static int apply_overrides(struct spec_process *p, const struct exec_opts *o, struct urun_error *err)
{
    if (!o->process_file) {
        if (!o->argv || !o->argv[0])
            return urun_error_set(err, 0, "exec: give a command, or --process FILE");
        strv_free(p->args);
        p->args = NULL;
        for (char **a = o->argv; *a; a++)
            p->args = strv_append(p->args, *a);
    }
    for (const char *const *e = o->env; e && *e; e++) {
        size_t k = strcspn(*e, "=");
        if (!(*e)[k])
            return urun_error_set(err, 0, "--env %s: expected KEY=VALUE", *e);
        for (char **v = p->env; v && *v; v++)
            if (strncmp(*v, *e, k + 1) == 0)
                **v = '\0'; /* replaced: dropped below */
        p->env = strv_append(p->env, *e);
    }
    /* compact away replaced entries */
    size_t w = 0;
    for (size_t i = 0; p->env && p->env[i]; i++) {
        if (p->env[i][0])
            p->env[w++] = p->env[i];
        else
            free(p->env[i]);
    }
    if (p->env)
        p->env[w] = NULL;
    if (o->cwd) {
        if (o->cwd[0] != '/')
            return urun_error_set(err, 0, "--cwd %s: must be an absolute path", o->cwd);
        free(p->cwd);
        p->cwd = xstrdup(o->cwd);
    }
    if (o->user) {
        const char *colon = strchr(o->user, ':');
        uint32_t uid, gid = p->user.gid;
        if (parse_id(o->user, colon ? (size_t)(colon - o->user) : strlen(o->user), &uid) < 0 ||
            (colon && parse_id(colon + 1, strlen(colon + 1), &gid) < 0))
            return urun_error_set(err, 0, "--user %s: expected UID[:GID], each from 0 to 4294967294", o->user);
        p->user.uid = uid;
        p->user.gid = gid;
    }
    if (o->caps && *o->caps) {
        if (!p->capabilities && !(p->capabilities = calloc(1, sizeof(*p->capabilities))))
            return urun_error_set(err, ENOMEM, "exec");
        char ***sets[] = {&p->capabilities->bounding, &p->capabilities->effective, &p->capabilities->permitted,
                          &p->capabilities->inheritable, &p->capabilities->ambient};
        for (const char *const *c = o->caps; *c; c++)
            for (size_t i = 0; i < ARRAY_SIZE(sets); i++)
                *sets[i] = strv_append(*sets[i], *c);
    }
    if (o->no_new_privs)
        p->no_new_privileges = true;
    if (o->tty_set)
        p->terminal = o->tty;
    return 0;
}

struct exec_child {
    const struct spec_process *p;
    const struct nsjoin *join;
    struct urun_seccomp *filter;
    int sync_fd;
    int preserve_fds;
    bool respawn;
};

_Noreturn static void child_fail(const struct exec_child *c, struct urun_error *err, bool can_report)
{
    char msg[URUN_ERROR_MSG_MAX + 64];
    if (can_report && sync_send(c->sync_fd, SYNC_ERROR, err) == 0)
        _exit(1);
    fprintf(stderr, "urun: exec: %s\n", urun_error_format(err, msg, sizeof(msg)));
    _exit(127);
}

_Noreturn static void child_main(const struct exec_child *c)
{
    struct urun_error err = {0};
    char exe[PATH_MAX];
    int master = -1, slave = -1;
    sigset_t none;

    /* CVE-2019-5736: this is urun's code inside the container's pid namespace until execve. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    /* CVE-2024-21626: nothing of the host (the caller's fds, urun's state directory, pidfd, console
     * socket) may be open while the container's paths are resolved. */
    int keep[2 + SPEC_NS__MAX];
    size_t n_keep = 0;
    keep[n_keep++] = c->sync_fd;
    keep[n_keep++] = urun_log_fd();
    for (int t = 0; t < SPEC_NS__MAX; t++)
        keep[n_keep++] = c->join->fd[t];
    launch_close_fds(&(struct launch_fds){.n_pass = c->preserve_fds, .keep = keep, .n_keep = n_keep});
    if (nsjoin_enter(c->join, 0, &err) < 0)
        child_fail(c, &err, true);
    nsjoin_release(c->join);
    urun_log_close();
    if (c->join->fd[SPEC_NS_USER] >= 0 && init_become_root(&err) < 0)
        child_fail(c, &err, true);
    if (c->respawn) {
        if (sync_respawn(c->sync_fd, "fork into the container's pid namespace", &err) < 0)
            child_fail(c, &err, true);
    }
    if (launch_chdir(c->p->cwd, "cwd", &err) < 0)
        child_fail(c, &err, true);
    if (process_prepare(c->p, &err) < 0 || init_find_executable(c->p, exe, sizeof(exe), &err) < 0)
        child_fail(c, &err, true);
    if (c->p->terminal && init_setup_terminal(c->p, /* bind_console= */ false, &master, &slave, &err) < 0)
        child_fail(c, &err, true);
    if (sync_send_fd(c->sync_fd, SYNC_READY, master) < 0)
        _exit(1);
    if (master >= 0)
        close(master);
    close(c->sync_fd);
    if (slave >= 0 && init_attach_terminal(slave, &err) < 0)
        child_fail(c, &err, false);
    struct process_seccomp sc = {.filter = c->filter, .listener_fd = -1};
    if (process_finalize(c->p, c->preserve_fds, &sc, &err) < 0)
        child_fail(c, &err, false);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(exe, c->p->args, init_process_env(c->p, 0));
    urun_error_errno(&err, "exec %s", exe);
    child_fail(c, &err, false);
}

/* urun's side: wait for the (re)spawned process's READY, hand on its terminal, write the pid file. */
static int parent_side(const struct exec_opts *o, const struct exec_child *c, pid_t *pid, int sync_fd,
                       int console_fd, int *ret_master, struct urun_error *err)
{
    int master = -1, r;

    if (c->respawn) {
        pid_t child;
        r = sync_expect_pid(sync_fd, &child, err);
        while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
            ;
        if (r < 0)
            return r;
        *pid = child;
    }
    r = sync_expect_fd(sync_fd, SYNC_READY, &master, err);
    if (r < 0)
        return r;
    if (master >= 0 && console_fd >= 0) {
        r = send_fd_named(console_fd, master, "/dev/ptmx");
        close(master);
        if (r < 0)
            return urun_error_set(err, -r, "--console-socket: send the terminal");
        master = -1;
    }
    *ret_master = master;
    if (o->pid_file) {
        char data[32];
        int n = snprintf(data, sizeof(data), "%d", (int)*pid);
        r = write_file_atomic_at(AT_FDCWD, o->pid_file, data, (size_t)n, 0644, /* durable= */ true, err);
        if (r < 0)
            return urun_error_wrap(err, r, "--pid-file");
    }
    return 0;
}

int container_exec(const struct state_root *root, const struct exec_opts *o, int *ret_exit, struct urun_error *err)
{
    _cleanup_(state_freep) struct urun_state *st = NULL;
    _cleanup_(spec_freep) struct urun_spec *s = NULL;
    _cleanup_(urun_seccomp_freep) struct urun_seccomp *filter = NULL;
    _cleanup_close_ int dirfd = -1, initfd = -1, console_fd = -1, pidfd = -1, cgfd = -1;
    struct nsjoin join = {.fd = {-1, -1, -1, -1, -1, -1, -1, -1}};
    enum urun_status status;
    int sv[2] = {-1, -1}, master = -1, r;
    sigset_t set, old;
    pid_t pid = -1;

    r = container_load(root, o->id, LOCK_SH, &dirfd, &st, &status, err);
    if (r < 0)
        return r;
    /* runc's messages */
    if (status == URUN_STATUS_PAUSED && !o->ignore_paused)
        return urun_error_set(err, 0, "cannot exec in a paused container (use --ignore-paused to override)");
    if (status != URUN_STATUS_RUNNING && status != URUN_STATUS_CREATED && status != URUN_STATUS_PAUSED)
        return urun_error_set(err, 0, "cannot exec in a %s container", urun_status_name(status));
    if (st->cgroup && (cgfd = open(st->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return urun_error_errno(err, "open the container's cgroup %s", st->cgroup);
    initfd = pidfd_open_fd(st->pid);
    r = load_process(dirfd, o, &s, err);
    if (r >= 0)
        r = apply_overrides(s->process, o, err);
    if (r >= 0)
        r = check_user(st->pid, &s->process->user, err);
    if (r >= 0)
        process_drop_unraisable_ambient(s->process->capabilities, "exec");
    if (r >= 0 && s->process->terminal && !o->console_socket && o->detach)
        r = urun_error_set(err, 0, "exec: a detached terminal process needs --console-socket");
    if (r >= 0 && !s->process->terminal && o->console_socket)
        r = urun_error_set(err, 0, "--console-socket is only used with --tty");
    if (r >= 0 && s->linux_ && s->linux_->seccomp && (r = urun_seccomp_build(s->linux_->seccomp, &filter, err)) >= 0 &&
        urun_seccomp_needs_listener(filter))
        r = urun_error_set(err, 0, "exec: seccomp SCMP_ACT_NOTIFY (listenerPath) is not supported for exec");
    if (r >= 0 && o->console_socket && (r = util_connect_unix(o->console_socket, UTIL_SOCKET_TIMEOUT_MS, &console_fd,
                                                              err)) < 0)
        r = urun_error_wrap(err, r, "--console-socket");
    if (r >= 0)
        r = open_namespaces(st->pid, dirfd, status, &join, err);
    if (r < 0)
        return r;
    /* the namespaces must be the recorded init's, not a recycled pid's */
    uint64_t start;
    char letter;
    if (proc_stat_read(st->pid, &letter, &start) < 0 || start != st->start_time) {
        nsjoin_close(&join);
        return urun_error_set(err, 0, "container %s is not running (stopped)", o->id);
    }

    struct exec_child c = {
        .p = s->process, .join = &join, .filter = filter, .preserve_fds = o->preserve_fds,
        .respawn = join.fd[SPEC_NS_PID] >= 0 || join.fd[SPEC_NS_TIME] >= 0,
    };
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        nsjoin_close(&join);
        return urun_error_errno(err, "socketpair");
    }
    run_block_signals(&set, &old);
    /* born in the container's cgroup, so its limits, freezer and kill reach the new process too */
    pid = cgroup_clone(0, cgfd, NULL);
    if (pid == 0) {
        close(sv[0]);
        close(dirfd);
        if (cgfd >= 0)
            close(cgfd);
        close(root->fd);
        c.sync_fd = sv[1];
        child_main(&c);
    }
    close(sv[1]);
    nsjoin_close(&join);
    if (pid < 0) {
        r = urun_error_errno(err, "fork");
        goto out;
    }
    r = parent_side(o, &c, &pid, sv[0], console_fd, &master, err);
    if (r < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        goto out;
    }
    if (o->detach) {
        *ret_exit = 0;
        goto out;
    }
    pidfd = pidfd_open_fd(pid);
    r = run_wait_forwarding(pid, pidfd, &set, master, ret_exit);
    if (r < 0)
        r = urun_error_set(err, -r, "wait for the exec'd process");
out:
    if (master >= 0)
        close(master);
    close(sv[0]);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return r;
}
