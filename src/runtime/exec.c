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

#include "base/cleanup.h"
#include "base/log.h"
#include "base/pidfd.h"
#include "base/util.h"
#include "container/process.h"
#include "container/seccomp_filter.h"
#include "container/spawn.h"
#include "idmap/idmap.h"
#include "runtime/cgroup.h"
#include "runtime/lifecycle.h"
#include "runtime/nsjoin.h"
#include "runtime/nsshare.h"
#include "runtime/plan.h"
#include "runtime/run.h"
#include "runtime/spawn.h"
#include "runtime/sync.h"

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
    char **nv = xreallocarray(v, n + 2, sizeof(char *));
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
    _cleanup_free_ struct idmap *m = xcalloc(1, sizeof(*m));
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
    return idmap_check_user(&(struct idmap_ids)PLAN_IDS(u), m, err);
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
        if (!p->capabilities)
            p->capabilities = xcalloc(1, sizeof(*p->capabilities));
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

/* What the process gets: settings, namespaces, filter. */
struct exec_child {
    const struct spec_process *p;
    const struct nsjoin *join;
    struct urun_seccomp *filter;
    int preserve_fds;
    bool respawn;
};

_Noreturn static void child_main(const struct exec_child *x, struct sync_chan sync)
{
    struct spawn_child c = {.sync = sync, .report_fd = -1, .who = "exec", .preserve_fds = x->preserve_fds};
    struct urun_error err = {0};
    char exe[PATH_MAX];
    int master = -1, slave = -1, keep[2 + SPEC_NS__MAX];
    size_t n_keep = 0;

    /* CVE-2019-5736: this is urun's code inside the container's pid namespace until execve. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    /* CVE-2024-21626: nothing of the host (the caller's fds, urun's state directory, pidfd, console
     * socket) may be open while the container's paths are resolved. */
    keep[n_keep++] = c.sync.fd;
    keep[n_keep++] = urun_log_fd();
    for (int t = 0; t < SPEC_NS__MAX; t++)
        keep[n_keep++] = x->join->fd[t];
    spawn_seal_fds(&c, keep, n_keep);
    const struct spawn_entry e = {
        .join = x->join,
        .become_root = x->join->fd[SPEC_NS_USER] >= 0,
        .respawn = x->respawn,
        .respawn_what = "fork into the container's pid namespace",
    };
    if (spawn_enter(&c, &e, &err) < 0)
        spawn_fail(&c, &err);
    urun_log_close();
    if (spawn_prepare(x->p, "cwd", exe, sizeof(exe), &err) < 0 ||
        (x->p->terminal && spawn_terminal_open(x->p, /* bind_console= */ false, &master, &slave, &err) < 0))
        spawn_fail(&c, &err);
    if (spawn_ready(&c, master, &err) < 0)
        _exit(1);
    closep(&c.sync.fd);
    if (slave >= 0 && spawn_terminal_attach(slave, &err) < 0)
        spawn_fail(&c, &err);
    spawn_exec(&c, x->p, exe, &(struct process_seccomp){.filter = x->filter, .listener_fd = -1});
}

/* The settings of the new process, from the container's config and the options, checked. */
static int plan_exec(pid_t init_pid, int dirfd, const struct exec_opts *o, struct urun_spec **s,
                     struct urun_seccomp **filter, struct urun_error *err)
{
    int r = load_process(dirfd, o, s, err);
    if (r >= 0)
        r = apply_overrides((*s)->process, o, err);
    if (r >= 0)
        r = check_user(init_pid, &(*s)->process->user, err);
    if (r < 0)
        return r;
    process_drop_unraisable_ambient((*s)->process->capabilities, "exec");
    if ((*s)->process->terminal && !o->console_socket && o->detach)
        return urun_error_set(err, 0, "exec: a detached terminal process needs --console-socket");
    if (!(*s)->process->terminal && o->console_socket)
        return urun_error_set(err, 0, "--console-socket is only used with --tty");
    const struct spec_linux *lx = (*s)->linux_;
    if (lx && lx->seccomp && (r = urun_seccomp_build(lx->seccomp, filter, err)) >= 0 &&
        urun_seccomp_needs_listener(*filter))
        r = urun_error_set(err, 0, "exec: seccomp SCMP_ACT_NOTIFY (listenerPath) is not supported for exec");
    return r;
}

/* The container exec may enter: state, cgroup and namespaces of its recorded init. */
struct exec_target {
    int dirfd, cgfd;
    struct urun_state *st;
    enum urun_status status;
    struct nsjoin join;
};

static int open_target(const struct state_root *root, const struct exec_opts *o, struct exec_target *t,
                       struct urun_error *err)
{
    int r = container_load(root, o->id, LOCK_SH, &t->dirfd, &t->st, &t->status, err);
    if (r < 0)
        return r;
    /* runc's messages */
    if (t->status == URUN_STATUS_PAUSED && !o->ignore_paused)
        return urun_error_set(err, 0, "cannot exec in a paused container (use --ignore-paused to override)");
    if (t->status != URUN_STATUS_RUNNING && t->status != URUN_STATUS_CREATED && t->status != URUN_STATUS_PAUSED)
        return urun_error_set(err, 0, "cannot exec in a %s container", urun_status_name(t->status));
    if (t->st->cgroup && (t->cgfd = open(t->st->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return urun_error_errno(err, "open the container's cgroup %s", t->st->cgroup);
    return 0;
}

/* The namespaces must be the recorded init's, not a recycled pid's: checked once they are open. */
static int open_target_namespaces(const struct exec_opts *o, struct exec_target *t, struct urun_error *err)
{
    uint64_t start;
    char letter;
    int r = open_namespaces(t->st->pid, t->dirfd, t->status, &t->join, err);
    if (r < 0)
        return r;
    if (proc_stat_read(t->st->pid, &letter, &start) < 0 || start != t->st->start_time)
        return urun_error_set(err, 0, "container %s is not running (stopped)", o->id);
    return 0;
}

static void close_target(struct exec_target *t)
{
    closep(&t->dirfd);
    closep(&t->cgfd);
    state_free(t->st);
    t->st = NULL;
    nsjoin_close(&t->join);
}

/* Start the process (born in the container's cgroup) and see it to READY. */
static int spawn_process(const struct state_root *root, const struct exec_opts *o, struct exec_target *t,
                         const struct exec_child *x, int console_fd, struct spawn *sp, int *ret_master,
                         struct urun_error *err)
{
    const struct spawn_req rq = {
        .cgroup_fd = t->cgfd,
        .phases = (x->respawn ? SYNC_PHASE_PID : 0) | SYNC_PHASE_READY,
    };
    int r = spawn_start(&rq, sp, err);
    if (r == 0) {
        close(t->dirfd);
        close(root->fd);
        child_main(x, sp->sync);
    }
    nsjoin_close(&t->join);
    if (r > 0)
        r = spawn_await_pid(sp, err);
    if (r >= 0)
        r = spawn_await_ready(sp, console_fd, ret_master, err);
    if (r >= 0 && o->pid_file)
        r = spawn_pid_file(o->pid_file, sp->pid, err);
    return r;
}

int container_exec(const struct state_root *root, const struct exec_opts *o, int *ret_exit, struct urun_error *err)
{
    _cleanup_(spec_freep) struct urun_spec *s = NULL;
    _cleanup_(urun_seccomp_freep) struct urun_seccomp *filter = NULL;
    _cleanup_close_ int console_fd = -1;
    struct exec_target t = {.dirfd = -1, .cgfd = -1, .join = NSJOIN_NONE};
    struct spawn sp = SPAWN_NONE;
    int master = -1, r;
    sigset_t set, old;

    r = open_target(root, o, &t, err);
    if (r >= 0)
        r = plan_exec(t.st->pid, t.dirfd, o, &s, &filter, err);
    if (r >= 0 && o->console_socket)
        r = spawn_connect_console(o->console_socket, &console_fd, err);
    if (r >= 0)
        r = open_target_namespaces(o, &t, err);
    if (r < 0) {
        close_target(&t);
        return r;
    }
    struct exec_child x = {
        .p = s->process,
        .join = &t.join,
        .filter = filter,
        .preserve_fds = o->preserve_fds,
        .respawn = t.join.fd[SPEC_NS_PID] >= 0 || t.join.fd[SPEC_NS_TIME] >= 0,
    };
    run_block_signals(&set, &old);
    r = spawn_process(root, o, &t, &x, console_fd, &sp, &master, err);
    close_target(&t);
    if (r < 0) {
        spawn_abort(&sp);
    } else if (o->detach) {
        *ret_exit = 0;
    } else {
        sp.pidfd = pidfd_open_fd(sp.pid);
        r = run_wait_forwarding(sp.pid, sp.pidfd, &set, master, ret_exit);
        if (r < 0)
            r = urun_error_set(err, -r, "wait for the exec'd process");
    }
    closep(&master);
    spawn_release(&sp);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return r;
}
