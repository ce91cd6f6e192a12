/* container_create: the parent's side of making a container.  It checks everything it can before
 * anything exists, clones the init into its namespaces, writes the ID maps, runs the create-phase
 * hooks when the init pauses for them, records state and hands the init the go-ahead.  The init's
 * side is init.c; the two talk only through sync.h.  On any failure it removes everything it made:
 * the process, the state directory and the pid file. */
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
#include <time.h>
#include <unistd.h>

#include "spec/bundle.h"
#include "runtime/cgroup.h"
#include "base/cleanup.h"
#include "runtime/hooks.h"
#include "idmap/idmap.h"
#include "container/init.h"
#include "base/log.h"
#include "container/mounts.h"
#include "netns/netns.h"
#include "runtime/notify.h"
#include "runtime/nsjoin.h"
#include "runtime/nsshare.h"
#include "container/pathres.h"
#include "base/pidfd.h"
#include "container/process.h"
#include "container/seccomp_filter.h"
#include "runtime/sync.h"
#include "base/util.h"

/* --network host (MPI, InfiniBand): the container stays in urun's network namespace, as if the spec
 * listed no network namespace. */
static void drop_network_namespace(struct urun_spec *s)
{
    struct spec_linux *lx = s->linux_;
    size_t w = 0;
    for (size_t i = 0; lx && i < lx->n_namespaces; i++) {
        if (lx->namespaces[i].type == SPEC_NS_NETWORK) {
            free(lx->namespaces[i].path);
            continue;
        }
        lx->namespaces[w++] = lx->namespaces[i];
    }
    if (lx)
        lx->n_namespaces = w;
}

/* The namespaces to create, from the spec.  An unprivileged caller always gets a user namespace
 * (as crun does): without one it could create none of the others. */
static int plan_namespaces(const struct urun_spec *s, int rootless, unsigned long *ret_flags, struct urun_error *err)
{
    unsigned long flags = 0;
    const struct spec_linux *lx = s->linux_;

    for (size_t i = 0; lx && i < lx->n_namespaces; i++)
        if (!lx->namespaces[i].path) /* joined ones: nsjoin.c */
            flags |= nsjoin_clone_flag(lx->namespaces[i].type);
    if (!spec_find_namespace(s, SPEC_NS_USER) && (rootless == 1 || (rootless == -1 && geteuid() != 0)))
        flags |= CLONE_NEWUSER;
    const struct spec_namespace *mnt = spec_find_namespace(s, SPEC_NS_MOUNT);
    if (!mnt)
        return urun_error_set(err, 0, "linux.namespaces: a mount namespace is required");
    if ((flags & CLONE_NEWTIME) && access("/proc/self/ns/time", F_OK) < 0)
        return urun_error_set(err, 0, "linux.namespaces: this kernel has no time namespaces");
    *ret_flags = flags;
    return 0;
}

/* Whether urun runs in the initial user namespace (real root, not podman's or rootlesskit's). */
static bool in_initial_userns(void)
{
    _cleanup_free_ char *text = NULL;
    struct idmap_range r[4];
    size_t len, n;
    if (geteuid() != 0)
        return false;
    if (read_file_at(AT_FDCWD, "/proc/self/uid_map", 4096, &text, &len, NULL) < 0 ||
        idmap_parse_proc(text, r, ARRAY_SIZE(r), &n) < 0)
        return false;
    return idmap_is_initial(r, n);
}

/* Settings urun parses but does not apply yet: never ignored in silence. */
static void warn_unapplied(const struct urun_spec *s)
{
    const struct spec_linux *lx = s->linux_;
    if (s->process->apparmor_profile || s->process->selinux_label || (lx && lx->mount_label))
        log_warning("process.apparmorProfile/selinuxLabel and linux.mountLabel are ignored: urun sets no LSM labels");
}

static int check_process(const struct urun_spec *s, const struct container_create_opts *o, struct urun_error *err)
{
    if (s->process->terminal && !o->console_socket && !o->foreground)
        return urun_error_set(err, 0, "process.terminal is true: a detached container needs --console-socket to "
                              "hand its terminal to");
    /* crun's behaviour: without a terminal to put in raw mode and copy from, a foreground terminal
     * container would wait for input that never comes (ssh without -t, CI). */
    if (s->process->terminal && o->foreground && !o->console_socket && !isatty(STDIN_FILENO))
        return urun_error_set(err, 0, "process.terminal is true but stdin is not a terminal: run from a terminal, "
                              "pass --console-socket, or set process.terminal to false");
    if (!s->process->terminal && o->console_socket)
        return urun_error_set(err, 0, "--console-socket is only used when process.terminal is true");
    return 0;
}

/* Connect to --console-socket before anything is created, so a bad path fails early, and with a
 * timeout, so a peer that never accepts (or never reads the terminal we send) cannot hang create. */
static int connect_console_socket(const char *path, int *ret_fd, struct urun_error *err)
{
    int r = util_connect_unix(path, UTIL_SOCKET_TIMEOUT_MS, ret_fd, err);

    return r < 0 ? urun_error_wrap(err, r, "--console-socket") : 0;
}

int container_plan_maps(const struct spec_linux *lx, struct idmap_user *u, struct idmap *m, struct urun_error *err)
{
    char warning[512];
    int r = idmap_user_load(u, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < u->subuid.n_warnings; i++)
        log_warning("%s", u->subuid.warnings[i]);
    for (size_t i = 0; i < u->subgid.n_warnings; i++)
        log_warning("%s", u->subgid.warnings[i]);
    r = idmap_plan(lx, u, m, warning, sizeof(warning), err);
    if (r >= 0 && warning[0])
        log_warning("%s", warning);
    return r;
}

/* The maps: the spec's, or the default (root -> you, then your subordinate ranges; your own ID
 * alone, with a warning, where there are no ranges or no helpers), also when urun adds the user
 * namespace itself to a spec that has none: a process.user inside the ranges then runs, as it does
 * under crun. */
static int plan_maps(const struct urun_spec *s, struct idmap_user *user, struct idmap *maps, struct urun_error *err)
{
    int r = container_plan_maps(s->linux_, user, maps, err);
    return r < 0 ? r : idmap_check_user(&s->process->user, maps, err);
}

/* linux.sysctl may only name keys the kernel scopes to a namespace the container has of its own
 * (made for it, or joined by path and not the caller's); anything else would change the host (or
 * fail). */
static int check_sysctl(const struct spec_linux *lx, unsigned long flags, struct urun_error *err)
{
    static const char *const ipc_keys[] = {"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                           "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
                                           "kernel.shm_rmid_forced", NULL};
    for (size_t i = 0; lx && i < lx->n_sysctl; i++) {
        const char *k = lx->sysctl[i].key;
        unsigned long need = 0;
        if (strncmp(k, "net.", 4) == 0)
            need = CLONE_NEWNET;
        else if (strncmp(k, "fs.mqueue.", 10) == 0)
            need = CLONE_NEWIPC;
        else if (strcmp(k, "kernel.hostname") == 0 || strcmp(k, "kernel.domainname") == 0)
            need = CLONE_NEWUTS;
        for (const char *const *p = ipc_keys; !need && *p; p++)
            if (strcmp(k, *p) == 0)
                need = CLONE_NEWIPC;
        if (!need || strstr(k, "..") || strchr(k, '/'))
            return urun_error_set(err, 0, "linux.sysctl: \"%s\" is not namespaced: setting it would change the host",
                                  k);
        if (!(flags & need))
            return urun_error_set(err, 0, "linux.sysctl: \"%s\" needs a %s namespace that is not urun's own", k,
                                  need == CLONE_NEWNET ? "network" : need == CLONE_NEWIPC ? "ipc" : "uts");
    }
    return 0;
}

static int build_seccomp(const struct urun_spec *s, struct urun_seccomp **ret, struct urun_error *err)
{
    const char *const *warnings;
    *ret = NULL;
    if (!s->linux_ || !s->linux_->seccomp)
        return 0;
    int r = urun_seccomp_build(s->linux_->seccomp, ret, err);
    if (r < 0)
        return r;
    size_t n = urun_seccomp_warnings(*ret, &warnings);
    for (size_t i = 0; i < n; i++)
        log_warning("%s", warnings[i]);
    return 0;
}

/* The state document hooks get on stdin. */
static char *hook_state(const char *id, const struct urun_bundle *b, const char *owner_name, pid_t pid,
                        enum urun_status status)
{
    struct urun_state st = {
        .id = (char *)id, .bundle = b->path, .rootfs = b->rootfs, .pid = pid, .owner = geteuid(),
        .owner_name = (char *)owner_name,
        .annotations = b->spec->annotations, .n_annotations = b->spec->n_annotations,
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
        return urun_error_set(err, ENOMEM, "hooks");
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


/* The container's /etc/resolv.conf for slirp (DNS at 10.0.2.3), bound in from the state directory,
 * unless the spec mounts something there itself.  The rootfs is never written. */
static int prepare_resolv_conf(const struct state_root *root, const char *id, int dirfd, const struct urun_bundle *b,
                               struct urun_error *err)
{
    struct urun_spec *s = b->spec;
    _cleanup_free_ char *host = NULL;
    char text[4096];
    size_t len;

    for (size_t i = 0; i < s->n_mounts; i++)
        if (strcmp(s->mounts[i].destination, "/etc/resolv.conf") == 0)
            return 0;
    /* The image is never written (a site-wide, root-owned or read-only rootfs): with no file at
     * /etc/resolv.conf to bind onto, name resolution stays unconfigured, and the log says so. */
    struct urun_error ignored;
    _cleanup_close_ int rootfd = open(b->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC), target = -1;
    if (rootfd < 0 || pathres_open(rootfd, "/etc/resolv.conf", PATHRES_NO_CREATE, &target, &ignored) < 0) {
        log_warning("slirp network: the rootfs has no /etc/resolv.conf to put the container's DNS server "
                    "(10.0.2.3) in, and urun does not write the image: name resolution is not configured");
        return 0;
    }
    if (read_file_at(AT_FDCWD, "/etc/resolv.conf", 65536, &host, &len, NULL) < 0)
        host = NULL;
    int n = netns_resolv_conf(host, text, sizeof(text));
    if (n < 0)
        return urun_error_set(err, -n, "write resolv.conf for the container");
    int r = write_file_atomic_at(dirfd, STATE_RESOLV_CONF, text, (size_t)n, 0644, /* durable= */ false, err);
    if (r < 0)
        return r;
    _cleanup_free_ char *source = state_container_path(root, id, STATE_RESOLV_CONF);
    if (spec_append_bind(s, "/etc/resolv.conf", source, /* ro= */ true) < 0)
        return urun_error_set(err, ENOMEM, "resolv.conf");
    return 0;
}

static void rfc3339_now(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%09ldZ", ts.tv_nsec);
}

static int write_pid_file(const char *path, pid_t pid, struct urun_error *err)
{
    _cleanup_free_ char *abs = path[0] == '/' ? xstrdup(path) : NULL;
    char data[32];
    if (!abs) {
        char cwd[4096];
        if (!getcwd(cwd, sizeof(cwd)))
            return urun_error_errno(err, "--pid-file: getcwd");
        abs = xasprintf("%s/%s", cwd, path);
    }
    int n = snprintf(data, sizeof(data), "%d", (int)pid);
    return write_file_atomic_at(AT_FDCWD, abs, data, (size_t)n, 0644, /* durable= */ true, err);
}

/* The parent's half of create, once the init exists: maps, READY, state, pid file, GO. */
struct create_io {
    int sync_fd;
    bool early_unshare;              /* the init reports SYNC_UNSHARED before it waits for the maps */
    const struct netns_config *net; /* slirp networking, or NULL */
    const char *cgroup;              /* the container's cgroup, or NULL */
    const char *owner_name;          /* the caller's, resolved once on the host (state_owner_name) */
    pid_t helper_pid;                /* out: the slirp helper, 0 when none */
    bool respawn;    /* the init forks once more and reports its child (SYNC_PID) */
    int *pidfd;      /* replaced after a respawn */
    int console_fd;  /* --console-socket connection, or -1 */
    int pty_master;  /* out: kept for a foreground run */
    bool wrote_pid_file;
};

static int record_state(const struct container_create_opts *o, const struct urun_bundle *b, int dirfd, pid_t pid,
                        const struct create_io *io, struct urun_error *err)
{
    char created[64], state_letter;
    struct urun_state st;
    int r;

    rfc3339_now(created, sizeof(created));
    st = (struct urun_state){
        .id = (char *)o->id, .bundle = b->path, .rootfs = b->rootfs, .pid = pid, .created = created,
        .owner = geteuid(), .annotations = b->spec->annotations, .n_annotations = b->spec->n_annotations,
        .cgroup = (char *)io->cgroup, .owner_name = (char *)io->owner_name,
    };
    r = proc_stat_read(pid, &state_letter, &st.start_time);
    if (r < 0)
        return urun_error_set(err, -r, "read start time of container init %d", (int)pid);
    if (io->helper_pid > 0) {
        st.helper_pid = io->helper_pid;
        if (proc_stat_read(io->helper_pid, &state_letter, &st.helper_start_time) < 0)
            return urun_error_set(err, 0, "the network helper (pid %d) exited during create", (int)io->helper_pid);
    }
    r = store_config(dirfd, b, err);
    if (r >= 0)
        r = state_write(dirfd, &st, err);
    if (r < 0)
        return r;
    return 0;
}

static int finish_create(const struct container_create_opts *o, const struct urun_bundle *b, int dirfd, pid_t *pidp,
                         const struct idmap *maps, const struct idmap_user *user, struct create_io *io,
                         struct urun_error *err)
{
    int sync_fd = io->sync_fd, master = -1;
    pid_t pid = *pidp;
    int r;

    if (maps) {
        r = idmap_write(pid, maps, user, err);
        if (r >= 0 && io->early_unshare)
            r = sync_expect(sync_fd, SYNC_UNSHARED, err);
        if (r < 0)
            return r;
        /* The init's namespaces are opened while it still waits here (not yet non-dumpable, so they
         * can be joined); the network is then set up while the init does its mounts.  tap0 exists
         * before create returns, so before anything of the container's process runs. */
        struct netns_target t = NETNS_TARGET_NONE;
        if (io->net && (r = netns_target_open(pid, &t, err)) < 0)
            return r;
        if (sync_send(sync_fd, SYNC_MAPS_DONE, NULL) < 0) {
            netns_target_close(&t);
            return urun_error_errno(err, "signal container init");
        }
        if (io->net) {
            r = netns_start_target(&t, io->net, urun_log_fd(), urun_log_is_json(), &io->helper_pid, err);
            netns_target_close(&t);
            if (r < 0)
                return r;
        }
    } else if (io->net) {
        /* no user namespace (real root): the init does not wait, nothing to join first */
        r = netns_start(pid, io->net, urun_log_fd(), urun_log_is_json(), &io->helper_pid, err);
        if (r < 0)
            return r;
    }
    if (io->respawn) {
        /* The init forked into its pid namespace (nsjoin.h): the child, ours by CLONE_PARENT, is the
         * container's init now; the first one exits. */
        pid_t child;
        r = sync_expect_pid(sync_fd, &child, err);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
        if (r < 0)
            return r;
        *pidp = pid = child;
        if (io->pidfd && *io->pidfd >= 0) {
            close(*io->pidfd);
            *io->pidfd = pidfd_open_fd(pid);
        }
    }
    /* Record the state now, while the init does its mounts: the fsync (required, and the slowest step
     * on a disk-backed state root) overlaps the init's work instead of following it.  create holds the
     * container's lock until the end, so start and delete cannot act on it before READY. */
    r = record_state(o, b, dirfd, pid, io, err);
    if (r < 0)
        return r;
    if (init_has_create_hooks(b->spec)) {
        r = sync_expect(sync_fd, SYNC_HOOKS, err);
        if (r >= 0)
            r = run_create_hooks(o->id, b, io->owner_name, pid, err);
        if (r < 0)
            return r;
        if (sync_send(sync_fd, SYNC_HOOKS_DONE, NULL) < 0)
            return urun_error_errno(err, "signal container init");
    }
    r = sync_expect_fd(sync_fd, SYNC_READY, &master, err);
    if (r < 0)
        return r;
    if (master >= 0 && io->console_fd >= 0) {
        r = send_fd_named(io->console_fd, master, "/dev/ptmx");
        close(master);
        if (r < 0)
            return urun_error_set(err, -r, "--console-socket: send the terminal");
    } else if (master >= 0) {
        io->pty_master = master;
    }
    if (o->pid_file && (r = write_pid_file(o->pid_file, pid, err)) < 0)
        return urun_error_wrap(err, r, "--pid-file");
    io->wrote_pid_file = o->pid_file != NULL;
    if (sync_send(sync_fd, SYNC_GO, NULL) < 0)
        return urun_error_errno(err, "signal container init");
    return 0;
}

static void kill_and_reap(pid_t pid)
{
    kill(pid, SIGKILL);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
}

int container_create(const struct state_root *root, const struct container_create_opts *o,
                     struct container_created *ret, struct urun_error *err)
{
    struct urun_bundle b = {0};
    _cleanup_close_ int dirfd = -1, fifo = -1, procfd = -1, pidfd = -1, console_fd = -1, ns_listen = -1;
    int sv[2] = {-1, -1};
    struct idmap maps;
    struct idmap_user user;
    _cleanup_(urun_seccomp_freep) struct urun_seccomp *filter = NULL;
    struct nsjoin join = {.fd = {-1, -1, -1, -1, -1, -1, -1, -1}};
    struct netns_config net;
    unsigned long flags = 0, unshare_flags = 0;
    bool made_dir = false;
    struct create_io io = {.sync_fd = -1, .console_fd = -1, .pty_master = -1};
    struct cgroup cg = CGROUP_NONE;
    char owner_name[STATE_OWNER_NAME_MAX];
    pid_t pid = -1;
    int r;

    r = bundle_load(o->bundle, &b, err);
    if (r >= 0)
        r = check_process(b.spec, o, err);
    if (r >= 0) {
        warn_unapplied(b.spec);
        process_drop_unraisable_ambient(b.spec->process->capabilities, "process.capabilities");
    }
    if (r >= 0)
        r = netns_config_from_spec(b.spec, o->network, o->publish, o->allow_host_loopback, &net, err);
    if (r >= 0 && net.host)
        drop_network_namespace(b.spec);
    if (r >= 0)
        r = plan_namespaces(b.spec, o->rootless, &flags, err);
    if (r >= 0 && net.slirp)
        r = netns_check_ports(&net, err);
    if (r >= 0)
        r = build_seccomp(b.spec, &filter, err);
    if (r >= 0)
        r = nsjoin_open(b.spec->linux_, &join, err);
    if (r >= 0)
        r = check_sysctl(b.spec->linux_, flags | nsjoin_foreign_flags(&join), err);
    if (r >= 0 && ((flags & CLONE_NEWUSER) || join.fd[SPEC_NS_USER] >= 0 || !in_initial_userns()))
        mounts_warn_locked(b.spec, b.path);
    if (r >= 0 && net.slirp && join.any)
        r = urun_error_set(err, 0, "run.urun.network slirp: not with namespaces joined by path (linux.namespaces[].path)");
    if (r >= 0 && join.fd[SPEC_NS_USER] >= 0) {
        /* Namespaces made after joining a user namespace belong to it: unshare them there. */
        unshare_flags = flags;
        flags = 0;
    }
    bool respawn = join.any && nsjoin_needs_respawn(&join, unshare_flags);
    const struct spec_linux *lx = r >= 0 ? b.spec->linux_ : NULL;
    bool time_offsets = lx && (lx->time_monotonic.present || lx->time_boottime.present);
    if (time_offsets && !((flags | unshare_flags) & CLONE_NEWTIME))
        r = urun_error_set(err, 0, "linux.timeOffsets: needs a new time namespace in linux.namespaces");
    if (r >= 0 && time_offsets) {
        /* The time namespace is made in the init once the offsets are written, and entered by a
         * respawned child; that child must also be the one that starts a new pid namespace
         * (CLONE_PARENT is refused to a pid namespace's init). */
        flags &= ~(unsigned long)CLONE_NEWTIME;
        if (flags & CLONE_NEWPID) {
            flags &= ~(unsigned long)CLONE_NEWPID;
            unshare_flags |= CLONE_NEWPID;
        }
        respawn = true;
    }
    if (r >= 0 && (flags & CLONE_NEWUSER))
        r = plan_maps(b.spec, &user, &maps, err);
    /* With a new user namespace, clone makes only it (and the pid namespace, so the init is pid 1);
     * the init makes the rest itself, in parallel with the ID-map helpers (start-up is a feature). */
    unsigned long all_flags = flags | unshare_flags, early_unshare = 0;
    if ((flags & CLONE_NEWUSER) && !respawn && !join.any) {
        early_unshare = flags & (CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP);
        flags &= ~early_unshare;
    }
    if (r >= 0 && o->console_socket)
        r = connect_console_socket(o->console_socket, &console_fd, err);
    if (r >= 0) {
        r = state_container_create(root, o->id, &dirfd, err);
        made_dir = r >= 0;
    }
    if (r < 0)
        goto out;

    state_owner_name(geteuid(), owner_name);
    r = cgroup_setup(b.spec, o->id, o->no_cgroup, &cg, err);
    if (r >= 0)
        r = notify_prepare(root, o->id, dirfd, b.spec, err);
    if (r >= 0 && net.slirp)
        r = prepare_resolv_conf(root, o->id, dirfd, &b, err);
    if (r < 0)
        goto out;
    /* 0622 as runc (set past the umask): container root may be a subordinate ID; the 0700 directory
     * keeps everyone else out. */
    if (mkfifoat(dirfd, STATE_EXEC_FIFO, 0622) < 0 || fchmodat(dirfd, STATE_EXEC_FIFO, 0622, 0) < 0 ||
        (fifo = openat(dirfd, STATE_EXEC_FIFO, O_PATH | O_CLOEXEC)) < 0) {
        r = urun_error_errno(err, "create exec fifo");
        goto out;
    }
    /* The init opens the fifo as container root: when that is not the caller (real root running a
     * user-namespace spec), the fifo must belong to it. */
    if ((flags & CLONE_NEWUSER) && geteuid() == 0 && maps.n_uid && maps.uid[0].container_id == 0 &&
        fchownat(dirfd, STATE_EXEC_FIFO, maps.uid[0].host_id, maps.n_gid ? maps.gid[0].host_id : 0,
                 AT_SYMLINK_NOFOLLOW) < 0) {
        r = urun_error_errno(err, "chown exec fifo to the container's root");
        goto out;
    }
    r = nsshare_listen(dirfd, &ns_listen, err);
    if (r < 0)
        goto out;
    procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (procfd < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        r = urun_error_errno(err, procfd < 0 ? "open /proc" : "socketpair");
        goto out;
    }

    pid = cgroup_clone(flags, cg.fd, &pidfd);
    if (pid < 0) {
        int e = errno;
        r = urun_error_errno(err, "create namespaces (clone)");
        if ((flags & CLONE_NEWUSER) && (e == EPERM || e == EACCES || e == ENOSPC || e == EUSERS)) {
            struct idmap_userns_facts facts;
            char why[400];
            idmap_userns_facts_read(&facts);
            idmap_userns_advice(&facts, why, sizeof(why));
            if (why[0])
                r = urun_error_set(err, e, "create namespaces (clone): the kernel refused a new user namespace; %s",
                                   why);
        }
        goto out;
    }
    if (pid == 0) {
        struct init_args a = {
            .id = o->id, .owner_name = owner_name, .seccomp = filter,
            .spec = b.spec, .rootfs = b.rootfs, .bundle = b.path, .sync_fd = sv[1], .fifo_fd = fifo,
            .proc_fd = procfd, .ns_listen_fd = ns_listen, .wait_maps = flags & CLONE_NEWUSER, .early_unshare = early_unshare,
            .new_netns = all_flags & CLONE_NEWNET, .new_utsns = all_flags & CLONE_NEWUTS,
            .join = &join, .unshare_flags = unshare_flags, .time_offsets = time_offsets,
            .respawn = respawn,
            .no_pivot = o->no_pivot, .no_new_keyring = o->no_new_keyring,
            .terminal = b.spec->process->terminal, .preserve_fds = o->listen_fds + o->preserve_fds,
            .listen_fds = o->listen_fds,
        };
        /* The container directory's flock belongs to this create, not to the init: holding it
         * until exec would deadlock `start`. */
        close(sv[0]);
        close(dirfd);
        close(root->fd);
        if (console_fd >= 0)
            close(console_fd);
        if (cg.fd >= 0)
            close(cg.fd);
        init_main(&a);
    }
    closep(&sv[1]);
    closep(&ns_listen);
    io.sync_fd = sv[0];
    io.console_fd = console_fd;
    io.net = net.slirp ? &net : NULL;
    io.cgroup = cg.path;
    io.owner_name = owner_name;
    io.early_unshare = early_unshare != 0;
    io.respawn = respawn;
    io.pidfd = &pidfd;
    nsjoin_close(&join);
    r = finish_create(o, &b, dirfd, &pid, (flags & CLONE_NEWUSER) ? &maps : NULL, &user, &io, err);
    if (r < 0) {
        /* the helper first: it would otherwise see the init go and start exiting on its own */
        if (io.helper_pid > 0)
            kill_and_reap(io.helper_pid);
        kill_and_reap(pid);
        if (io.wrote_pid_file)
            unlink(o->pid_file);
        if (io.pty_master >= 0)
            close(io.pty_master);
        goto out;
    }
    ret->pid = pid;
    ret->pidfd = TAKE_FD(pidfd);
    ret->pty_master = io.pty_master;
out:
    nsjoin_close(&join);
    closep(&sv[0]);
    closep(&sv[1]);
    if (r < 0 && cg.path && !cg.made) {
        /* a cgroup that was there before stays, emptied; one made here goes with what is in it */
        struct urun_error ignored;
        cgroup_signal_all(cg.path, SIGKILL, &ignored);
    }
    cgroup_release(&cg, r < 0 && cg.made);
    if (r < 0 && made_dir)
        state_container_remove(root, o->id, dirfd, NULL);
    bundle_clear(&b);
    return r;
}
