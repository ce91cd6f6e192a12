/* container_create: the parent's side of making a container.  The create plan (plan.h) decides and
 * checks everything before anything exists; then, acting on it: the state directory, cgroup and fifo
 * (make_state), the init (start_init, through the spawn path), and the sync phases the plan enabled
 * (finish_create: maps, network, state, hooks, READY, pid file, GO).  The init's side is
 * container/init.c; the two talk only through sync.h.  On any failure it removes everything it made
 * (unmake): the processes, the state directory, the cgroup and the pid file. */
#include "runtime/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/timefmt.h"
#include "base/util.h"
#include "container/init.h"
#include "container/mounts.h"
#include "idmap/idmap.h"
#include "netns/netns.h"
#include "runtime/cgroup.h"
#include "runtime/hooks.h"
#include "runtime/notify.h"
#include "runtime/nsjoin.h"
#include "runtime/nsshare.h"
#include "runtime/plan.h"
#include "runtime/spawn.h"
#include "runtime/sync.h"
#include "spec/bundle.h"

/* The state document hooks get on stdin. */
static char *hook_state(const char *id, const struct urun_bundle *b, const char *owner_name, pid_t pid,
                        enum urun_status status)
{
    struct urun_state st = {
        .id = (char *)id,
        .bundle = b->path,
        .rootfs = b->rootfs,
        .pid = pid,
        .owner = geteuid(),
        .owner_name = (char *)owner_name,
        .annotations = b->spec->annotations,
        .n_annotations = b->spec->n_annotations,
    };
    return state_to_json(&st, status, /* pretty= */ false);
}

/* prestart (deprecated, same point) and createRuntime, in urun's own namespaces. */
static int run_create_hooks(const char *id, const struct urun_bundle *b, const char *owner_name, pid_t pid,
                            struct urun_error *err)
{
    static const enum spec_hook_kind kinds[] = {SPEC_HOOK_PRESTART, SPEC_HOOK_CREATE_RUNTIME};
    _cleanup_free_ char *json = hook_state(id, b, owner_name, pid, URUN_STATUS_CREATING);
    if (!json)
        return urun_error_set(err, EINVAL, "hooks: build the state document");
    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
        int r = hooks_run(&b->spec->hooks[kinds[i]], spec_hook_name(kinds[i]), json, err);
        if (r < 0)
            return r;
    }
    return 0;
}

/* poststart, poststop and exec need the spec after create: keep a copy of the config in the state
 * dir, as runc keeps it in its state.  Not fsync'd: it is useless once the container is gone, and a
 * crash takes the container with it. */
static int store_config(int dirfd, const struct urun_bundle *b, struct urun_error *err)
{
    int r = write_file_atomic_at(dirfd, STATE_CONFIG_COPY, b->config, b->config_len, 0600, /* durable= */ false, err);
    if (r < 0 || (!b->spec->hooks[SPEC_HOOK_POSTSTART].n && !b->spec->hooks[SPEC_HOOK_POSTSTOP].n))
        return r;
    int fd = openat(dirfd, STATE_POSTHOOKS_MARK, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return urun_error_errno(err, "record post hooks");
    close(fd);
    return 0;
}

/* The container being made: what create has made so far, for its steps and for the cleanup. */
struct making {
    const struct state_root *root;
    const struct container_create_opts *o;
    struct urun_bundle b;
    struct create_plan plan;
    bool planned, made_dir, wrote_pid_file;
    int dirfd, fifo, procfd, console_fd, ns_listen, pty_master;
    struct cgroup cg;
    struct spawn sp;
    pid_t helper_pid; /* the slirp helper, 0 when none */
};

/* The slirp network's resolv.conf (DNS at 10.0.2.3), in the state directory, bound onto the
 * container's /etc/resolv.conf; the rootfs is never written. */
static int write_resolv_conf(struct making *m, struct urun_error *err)
{
    _cleanup_free_ char *host = NULL;
    char text[4096];
    size_t len;

    if (read_file_at(AT_FDCWD, "/etc/resolv.conf", 65536, &host, &len, NULL) < 0)
        host = NULL;
    int n = netns_resolv_conf(host, text, sizeof(text));
    if (n < 0)
        return urun_error_set(err, -n, "write resolv.conf for the container");
    int r = write_file_atomic_at(m->dirfd, STATE_RESOLV_CONF, text, (size_t)n, 0644, /* durable= */ false, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *source = state_container_path(m->root, m->o->id, STATE_RESOLV_CONF);
    spec_append_bind(m->b.spec, "/etc/resolv.conf", source, /* ro= */ true);
    return 0;
}

/* The exec fifo, 0622 as runc's (set past the umask): container root may be a subordinate ID; the
 * 0700 directory keeps everyone else out.  The init opens it as container root: when that is not the
 * caller (real root running a user-namespace spec), it must belong to it. */
static int make_fifo(struct making *m, struct urun_error *err)
{
    if (mkfifoat(m->dirfd, STATE_EXEC_FIFO, 0622) < 0 || fchmodat(m->dirfd, STATE_EXEC_FIFO, 0622, 0) < 0 ||
        (m->fifo = openat(m->dirfd, STATE_EXEC_FIFO, O_PATH | O_CLOEXEC)) < 0)
        return urun_error_errno(err, "create exec fifo");
    if (m->plan.chown_fifo &&
        fchownat(m->dirfd, STATE_EXEC_FIFO, m->plan.fifo_uid, m->plan.fifo_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return urun_error_errno(err, "chown exec fifo to the container's root");
    return 0;
}

/* Everything the container has on the host before its init exists. */
static int make_state(struct making *m, struct urun_error *err)
{
    const struct container_create_opts *o = m->o;
    int r = 0;

    if (o->console_socket)
        r = spawn_connect_console(o->console_socket, &m->console_fd, err);
    if (r >= 0) {
        r = state_container_create(m->root, o->id, &m->dirfd, err);
        m->made_dir = r >= 0;
    }
    if (r >= 0)
        r = cgroup_setup(m->b.spec, &m->plan.limits, o->id, o->no_cgroup, &m->cg, err);
    if (r >= 0)
        r = notify_prepare(m->root, o->id, m->dirfd, m->b.spec, err);
    if (r >= 0 && m->plan.resolv_conf)
        r = write_resolv_conf(m, err);
    if (r >= 0)
        r = make_fifo(m, err);
    if (r >= 0)
        r = nsshare_listen(m->dirfd, &m->ns_listen, err);
    if (r >= 0 && (m->procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        r = urun_error_errno(err, "open /proc");
    return r;
}

/* Clone the init; in the child, hand over to init_main. */
static int start_init(struct making *m, struct urun_error *err)
{
    const struct spawn_req rq = {
        .clone_flags = m->plan.clone_flags,
        .cgroup_fd = m->cg.fd,
        .want_pidfd = true,
        .phases = m->plan.phases,
    };
    int r = spawn_start(&rq, &m->sp, err);
    if (r != 0)
        return r;
    struct init_args a = {
        .id = m->o->id,
        .spec = m->b.spec,
        .plan = &m->plan,
        .rootfs = m->b.rootfs,
        .bundle = m->b.path,
        .owner_name = m->plan.owner_name,
        .sync = m->sp.sync,
        .fifo_fd = m->fifo,
        .proc_fd = m->procfd,
        .ns_listen_fd = m->ns_listen,
    };
    /* The container directory's flock belongs to this create, not to the init: holding it until
     * exec would deadlock `start`.  (The init closes everything else it does not need itself.) */
    close(m->dirfd);
    close(m->root->fd);
    init_main(&a);
}

/* Between the maps and the init's go-ahead: its namespaces are opened while it still waits (not yet
 * non-dumpable, so they can be joined), and the network is then set up while the init does its
 * mounts.  tap0 exists before create returns, so before anything of the container's process runs. */
static int open_network_target(struct spawn *sp, void *data, struct urun_error *err)
{
    struct netns_target *t = data;
    return netns_target_open(sp->pid, t, err);
}

static int maps_and_network(struct making *m, struct urun_error *err)
{
    const struct netns_config *net = m->plan.net.slirp ? &m->plan.net : NULL;
    struct netns_target t = NETNS_TARGET_NONE;
    int r;

    if (!(m->plan.phases & SYNC_PHASE_MAPS)) /* no user namespace (real root): nothing to join first */
        return net ? netns_start(m->sp.pid, net, urun_log_fd(), urun_log_is_json(), &m->helper_pid, err) : 0;
    r = spawn_write_maps(&m->sp, &m->plan.maps, &m->plan.user, net ? open_network_target : NULL, &t, err);
    if (r >= 0 && net)
        r = netns_start_target(&t, net, urun_log_fd(), urun_log_is_json(), &m->helper_pid, err);
    netns_target_close(&t);
    return r;
}

static int record_state(struct making *m, struct urun_error *err)
{
    const struct urun_bundle *b = &m->b;
    char created[64], letter;
    struct urun_state st = {
        .id = (char *)m->o->id,
        .bundle = b->path,
        .rootfs = b->rootfs,
        .pid = m->sp.pid,
        .created = created,
        .owner = geteuid(),
        .owner_name = m->plan.owner_name,
        .annotations = b->spec->annotations,
        .n_annotations = b->spec->n_annotations,
        .cgroup = m->cg.path,
    };
    int r;

    timefmt_rfc3339_now(created, sizeof(created));
    r = proc_stat_read(m->sp.pid, &letter, &st.start_time);
    if (r < 0)
        return urun_error_set(err, -r, "read start time of container init %d", (int)m->sp.pid);
    if (m->helper_pid > 0) {
        st.helper_pid = m->helper_pid;
        if (proc_stat_read(m->helper_pid, &letter, &st.helper_start_time) < 0)
            return urun_error_set(err, 0, "the network helper (pid %d) exited during create", (int)m->helper_pid);
    }
    r = store_config(m->dirfd, b, err);
    return r < 0 ? r : state_write(m->dirfd, &st, err);
}

/* The parent's half of the sync phases, once the init exists. */
static int finish_create(struct making *m, struct urun_error *err)
{
    int r = maps_and_network(m, err);
    if (r >= 0)
        r = spawn_await_pid(&m->sp, err);
    /* Record the state now, while the init does its mounts: writing it overlaps the init's work
     * instead of following it.  create holds the container's lock until the end, so start and delete
     * cannot act on it before READY. */
    if (r >= 0)
        r = record_state(m, err);
    if (r >= 0 && (m->plan.phases & SYNC_PHASE_HOOKS)) {
        r = sync_step(&m->sp.sync, SYNC_SIDE_PARENT, SYNC_PHASE_HOOKS, NULL, err);
        if (r >= 0)
            r = run_create_hooks(m->o->id, &m->b, m->plan.owner_name, m->sp.pid, err);
        if (r >= 0)
            r = sync_step(&m->sp.sync, SYNC_SIDE_PARENT, SYNC_PHASE_HOOKS_DONE, NULL, err);
    }
    if (r >= 0)
        r = spawn_await_ready(&m->sp, m->console_fd, &m->pty_master, err);
    if (r >= 0 && m->o->pid_file) {
        r = spawn_pid_file(m->o->pid_file, m->sp.pid, err);
        m->wrote_pid_file = r >= 0;
    }
    if (r >= 0)
        r = sync_step(&m->sp.sync, SYNC_SIDE_PARENT, SYNC_PHASE_GO, NULL, err);
    return r;
}

/* On failure everything made goes: the slirp helper first (it would otherwise see the init go and
 * start exiting on its own), the processes, the pid file, the cgroup and the state directory. */
static void unmake(struct making *m, bool failed)
{
    if (failed) {
        if (m->helper_pid > 0)
            spawn_abort(&(struct spawn){.pid = m->helper_pid, .pidfd = -1, .sync = {.fd = -1}});
        spawn_abort(&m->sp);
        if (m->wrote_pid_file)
            unlink(m->o->pid_file);
        closep(&m->pty_master);
        if (m->cg.path && !m->cg.made) {
            /* a cgroup that was there before stays, emptied; one made here goes with what is in it */
            struct urun_error ignored;
            cgroup_signal_all(m->cg.path, SIGKILL, &ignored);
        }
    }
    spawn_release(&m->sp);
    cgroup_release(&m->cg, failed && m->cg.made);
    if (failed && m->made_dir)
        state_container_remove(m->root, m->o->id, m->dirfd, NULL);
    closep(&m->dirfd);
    closep(&m->fifo);
    closep(&m->procfd);
    closep(&m->console_fd);
    closep(&m->ns_listen);
    if (m->planned)
        plan_clear(&m->plan);
    bundle_clear(&m->b);
}

int container_create(const struct state_root *root, const struct container_create_opts *o,
                     struct container_created *ret, struct urun_error *err)
{
    struct making m = {
        .root = root,
        .o = o,
        .dirfd = -1,
        .fifo = -1,
        .procfd = -1,
        .console_fd = -1,
        .ns_listen = -1,
        .pty_master = -1,
        .cg = CGROUP_NONE,
        .sp = SPAWN_NONE,
    };
    const struct create_plan_opts po = {
        .rootless = o->rootless,
        .foreground = o->foreground,
        .console_socket = o->console_socket != NULL,
        .stdin_tty = isatty(STDIN_FILENO),
        .no_pivot = o->no_pivot,
        .no_new_keyring = o->no_new_keyring,
        .preserve_fds = o->preserve_fds,
        .listen_fds = o->listen_fds,
        .network = o->network,
        .publish = o->publish,
        .allow_host_loopback = o->allow_host_loopback,
    };
    struct plan_host host;

    int r = bundle_load(o->bundle, &m.b, err);
    if (r >= 0) {
        plan_host_probe(&host);
        r = plan_create(&m.b, &po, &host, &m.plan, err);
        m.planned = r >= 0;
    }
    if (r >= 0)
        r = make_state(&m, err);
    if (r >= 0)
        r = start_init(&m, err);
    if (r >= 0) {
        /* urun's copies of what only the init needs */
        closep(&m.ns_listen);
        nsjoin_close(&m.plan.join);
        r = finish_create(&m, err);
    }
    if (r >= 0) {
        ret->pid = m.sp.pid;
        ret->pidfd = TAKE_FD(m.sp.pidfd);
        ret->pty_master = TAKE_FD(m.pty_master);
    }
    unmake(&m, r < 0);
    return r;
}
