/* Implementation of plan.h.  Each step below either decides a field of the plan or refuses the
 * container; none of them changes the host. */
#include "runtime/plan.h"

#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "container/mounts.h"
#include "container/pathres.h"
#include "container/process.h"
#include "container/seccomp_filter.h"
#include "runtime/hooks.h"
#include "runtime/network.h"
#include "runtime/sync.h"

/* The namespaces the init makes at once while urun writes the maps (start-up is a feature). */
#define EARLY_UNSHARE (CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP)

void plan_host_probe(struct plan_host *ret)
{
    _cleanup_free_ char *text = NULL;
    struct idmap_range r[4];
    size_t len, n;

    ret->euid = geteuid();
    ret->has_timens = access("/proc/self/ns/time", F_OK) == 0;
    ret->initial_userns = ret->euid == 0 &&
                          read_file_at(AT_FDCWD, "/proc/self/uid_map", 4096, &text, &len, NULL) >= 0 &&
                          idmap_parse_proc(text, r, ARRAY_SIZE(r), &n) >= 0 && idmap_is_initial(r, n);
}

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

/* Settings urun parses but does not apply yet: never ignored in silence. */
static void warn_unapplied(const struct urun_spec *s)
{
    const struct spec_linux *lx = s->linux_;
    if (s->process->apparmor_profile || s->process->selinux_label || (lx && lx->mount_label))
        log_warning("process.apparmorProfile/selinuxLabel and linux.mountLabel are ignored: urun sets no LSM labels");
}

static int check_terminal(const struct urun_spec *s, const struct create_plan_opts *o, struct urun_error *err)
{
    if (s->process->terminal && !o->console_socket && !o->foreground)
        return urun_error_set(err, 0,
                              "process.terminal is true: a detached container needs --console-socket to "
                              "hand its terminal to");
    /* crun's behaviour: without a terminal to put in raw mode and copy from, a foreground terminal
     * container would wait for input that never comes (ssh without -t, CI). */
    if (s->process->terminal && o->foreground && !o->console_socket && !o->stdin_tty)
        return urun_error_set(err, 0,
                              "process.terminal is true but stdin is not a terminal: run from a terminal, "
                              "pass --console-socket, or set process.terminal to false");
    if (!s->process->terminal && o->console_socket)
        return urun_error_set(err, 0, "--console-socket is only used when process.terminal is true");
    return 0;
}

/* The namespaces to create, from the spec.  An unprivileged caller always gets a user namespace
 * (as crun does): without one it could create none of the others. */
static int plan_namespaces(const struct urun_spec *s, const struct create_plan_opts *o, const struct plan_host *h,
                           struct create_plan *p, struct urun_error *err)
{
    const struct spec_linux *lx = s->linux_;
    unsigned long flags = 0;

    for (size_t i = 0; lx && i < lx->n_namespaces; i++)
        if (!lx->namespaces[i].path) /* joined ones: nsjoin.c */
            flags |= nsjoin_clone_flag(lx->namespaces[i].type);
    if (!spec_find_namespace(s, SPEC_NS_USER) && (o->rootless == 1 || (o->rootless == -1 && h->euid != 0)))
        flags |= CLONE_NEWUSER;
    if (!spec_find_namespace(s, SPEC_NS_MOUNT))
        return urun_error_set(err, 0, "linux.namespaces: a mount namespace is required");
    if ((flags & CLONE_NEWTIME) && !h->has_timens)
        return urun_error_set(err, 0, "linux.namespaces: this kernel has no time namespaces");
    p->clone_flags = flags;
    return 0;
}

/* linux.sysctl may only name keys the kernel scopes to a namespace the container has of its own
 * (made for it, or joined by path and not the caller's); anything else would change the host (or
 * fail). */
static int check_sysctl(const struct spec_linux *lx, unsigned long flags, struct urun_error *err)
{
    static const char *const ipc_keys[] = {"kernel.msgmax", "kernel.msgmnb",          "kernel.msgmni",
                                           "kernel.sem",    "kernel.shmall",          "kernel.shmmax",
                                           "kernel.shmmni", "kernel.shm_rmid_forced", NULL};
    for (size_t i = 0; lx && i < lx->n_sysctl; i++) {
        const char *k = lx->sysctl[i].key;
        unsigned long need = 0;
        if (strncmp(k, "net.", 4) == 0)
            need = CLONE_NEWNET;
        else if (strncmp(k, "fs.mqueue.", 10) == 0)
            need = CLONE_NEWIPC;
        else if (strcmp(k, "kernel.hostname") == 0 || strcmp(k, "kernel.domainname") == 0)
            need = CLONE_NEWUTS;
        for (const char *const *q = ipc_keys; !need && *q; q++)
            if (strcmp(k, *q) == 0)
                need = CLONE_NEWIPC;
        if (!need || strstr(k, "..") || strchr(k, '/'))
            return urun_error_set(err, 0, "linux.sysctl: \"%s\" is not namespaced: setting it would change the host",
                                  k);
        if (!(flags & need))
            return urun_error_set(err, 0, "linux.sysctl: \"%s\" needs a %s namespace that is not urun's own", k,
                                  need == CLONE_NEWNET   ? "network"
                                  : need == CLONE_NEWIPC ? "ipc"
                                                         : "uts");
    }
    return 0;
}

/* hostname and domainname need a uts namespace of the container's own. */
static int check_uts(const struct urun_spec *s, unsigned long own, struct urun_error *err)
{
    if (s->hostname && !(own & CLONE_NEWUTS))
        return urun_error_set(err, 0, "hostname: needs a new uts namespace");
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

/* linux.uidMappings/gidMappings as idmap/ takes them. */
static struct idmap_range *ranges(const struct spec_id_mapping *in, size_t n)
{
    struct idmap_range *out = xcalloc(n, sizeof(*out));
    for (size_t i = 0; i < n; i++)
        out[i] = (struct idmap_range){in[i].container_id, in[i].host_id, in[i].size};
    return out;
}

int plan_maps(const struct spec_linux *lx, struct idmap_user *u, struct idmap *m, struct urun_error *err)
{
    char warning[512];
    _cleanup_free_ struct idmap_range *uid = lx ? ranges(lx->uid_mappings, lx->n_uid_mappings) : NULL;
    _cleanup_free_ struct idmap_range *gid = lx ? ranges(lx->gid_mappings, lx->n_gid_mappings) : NULL;
    const struct idmap_request req = {
        .uid_mappings = uid,
        .n_uid_mappings = lx ? lx->n_uid_mappings : 0,
        .gid_mappings = gid,
        .n_gid_mappings = lx ? lx->n_gid_mappings : 0,
    };
    int r = idmap_user_load(u, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < u->subuid.n_warnings; i++)
        log_warning("%s", u->subuid.warnings[i]);
    for (size_t i = 0; i < u->subgid.n_warnings; i++)
        log_warning("%s", u->subgid.warnings[i]);
    r = idmap_plan(&req, u, m, warning, sizeof(warning), err);
    if (r >= 0 && warning[0])
        log_warning("%s", warning);
    return r;
}

/* The maps: the spec's, or the default (root -> you, then your subordinate ranges; your own ID
 * alone, with a warning, where there are no ranges or no helpers), also when urun adds the user
 * namespace itself to a spec that has none: a process.user inside the ranges then runs, as it does
 * under crun.  Real root hands the exec fifo to the container's root, who opens it. */
static int plan_user_namespace(const struct urun_spec *s, const struct plan_host *h, struct create_plan *p,
                               struct urun_error *err)
{
    int r = plan_maps(s->linux_, &p->user, &p->maps, err);
    if (r >= 0)
        r = idmap_check_user(&(struct idmap_ids)PLAN_IDS(&s->process->user), &p->maps, err);
    if (r < 0)
        return r;
    if (h->euid == 0 && p->maps.n_uid && p->maps.uid[0].container_id == 0) {
        p->chown_fifo = true;
        p->fifo_uid = p->maps.uid[0].host_id;
        p->fifo_gid = p->maps.n_gid ? p->maps.gid[0].host_id : 0;
    }
    return 0;
}

/* Where each namespace is made, once the joined ones are known.  Namespaces made after joining a
 * user namespace belong to it: the init unshares them there.  linux.timeOffsets need the time
 * namespace made in the init once the offsets are written, and entered by a respawned child; that
 * child must also be the one that starts a new pid namespace (CLONE_PARENT is refused to a pid
 * namespace's init).  With a new user namespace and nothing joined, clone makes only it (and the pid
 * namespace, so the init is pid 1); the init makes the rest while urun runs the map helpers. */
static int plan_placement(const struct spec_linux *lx, struct create_plan *p, struct urun_error *err)
{
    if (p->join.fd[SPEC_NS_USER] >= 0) {
        p->unshare_flags = p->clone_flags;
        p->clone_flags = 0;
    }
    p->respawn = p->join.any && nsjoin_needs_respawn(&p->join, p->unshare_flags);
    p->time_offsets = lx && (lx->time_monotonic.present || lx->time_boottime.present);
    if (p->time_offsets && !(p->made_flags & CLONE_NEWTIME))
        return urun_error_set(err, 0, "linux.timeOffsets: needs a new time namespace in linux.namespaces");
    if (p->time_offsets) {
        p->clone_flags &= ~(unsigned long)CLONE_NEWTIME;
        if (p->clone_flags & CLONE_NEWPID) {
            p->clone_flags &= ~(unsigned long)CLONE_NEWPID;
            p->unshare_flags |= CLONE_NEWPID;
        }
        p->respawn = true;
    }
    if ((p->clone_flags & CLONE_NEWUSER) && !p->respawn && !p->join.any) {
        p->early_unshare = p->clone_flags & EARLY_UNSHARE;
        p->clone_flags &= ~p->early_unshare;
    }
    p->become_root = (p->clone_flags & CLONE_NEWUSER) || p->join.fd[SPEC_NS_USER] >= 0;
    return 0;
}

/* slirp puts the container's DNS server (10.0.2.3) in a resolv.conf bound from the state directory,
 * unless the spec mounts one itself.  The image is never written (a site-wide, root-owned or
 * read-only rootfs): with no file at /etc/resolv.conf to bind onto, name resolution stays
 * unconfigured, and the log says so.  A bundle of urun's own for an image (MOUNTS_OVERLAY_FILE) is
 * the exception: its rootfs is still an empty mountpoint here, and the overlay the init mounts on it
 * writes into the container's own upper dir, where the bind may make its target; the image's
 * layers are not looked at. */
static bool plan_resolv_conf(const struct urun_bundle *b)
{
    struct urun_error ignored;

    for (size_t i = 0; i < b->spec->n_mounts; i++)
        if (strcmp(b->spec->mounts[i].destination, "/etc/resolv.conf") == 0)
            return false;
    _cleanup_free_ char *overlay = xasprintf("%s/%s", b->path, MOUNTS_OVERLAY_FILE);
    if (faccessat(AT_FDCWD, overlay, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        return true;
    _cleanup_close_ int rootfd = open(b->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC), target = -1;
    if (rootfd < 0 || pathres_open(rootfd, "/etc/resolv.conf", PATHRES_NO_CREATE, &target, &ignored) < 0) {
        log_warning("slirp network: the rootfs has no /etc/resolv.conf to put the container's DNS server "
                    "(10.0.2.3) in, and urun does not write the image: name resolution is not configured");
        return false;
    }
    return true;
}

/* The sync phases (runtime/sync.h) this container's create goes through. */
static unsigned plan_phases(const struct urun_spec *s, const struct create_plan *p)
{
    unsigned phases = SYNC_PHASE_READY | SYNC_PHASE_GO;

    if (p->clone_flags & CLONE_NEWUSER)
        phases |= SYNC_PHASE_MAPS;
    if (p->early_unshare)
        phases |= SYNC_PHASE_UNSHARED;
    if (p->respawn)
        phases |= SYNC_PHASE_PID;
    if (hooks_has_create(s))
        phases |= SYNC_PHASE_HOOKS | SYNC_PHASE_HOOKS_DONE;
    return phases;
}

/* The checks and decisions that need only the spec and the options. */
static int plan_spec(struct urun_bundle *b, const struct create_plan_opts *o, const struct plan_host *h,
                     struct create_plan *p, struct urun_error *err)
{
    struct urun_spec *s = b->spec;
    int r = check_terminal(s, o, err);
    if (r < 0)
        return r;
    warn_unapplied(s);
    process_drop_unraisable_ambient(s->process->capabilities, "process.capabilities");
    r = network_config_from_spec(s, o->network, o->publish, o->allow_host_loopback, &p->net, err);
    if (r >= 0 && p->net.host)
        drop_network_namespace(s);
    if (r >= 0)
        r = plan_namespaces(s, o, h, p, err);
    if (r >= 0 && p->net.slirp)
        r = netns_check_ports(&p->net, err);
    if (r >= 0)
        r = cgroup_plan_limits(s, &p->limits, err);
    if (r >= 0)
        r = build_seccomp(s, &p->seccomp, err);
    return r;
}

int plan_create(struct urun_bundle *b, const struct create_plan_opts *o, const struct plan_host *host,
                struct create_plan *ret, struct urun_error *err)
{
    struct urun_spec *s = b->spec;
    struct create_plan *p = ret;
    int r;

    *p = (struct create_plan){
        .join = NSJOIN_NONE,
        .terminal = s->process->terminal,
        .no_pivot = o->no_pivot,
        .no_new_keyring = o->no_new_keyring,
        .preserve_fds = o->listen_fds + o->preserve_fds,
        .listen_fds = o->listen_fds,
    };
    r = plan_spec(b, o, host, p, err);
    if (r >= 0)
        r = nsjoin_open(s->linux_, &p->join, err);
    p->made_flags = p->clone_flags;
    p->own_flags = p->clone_flags | nsjoin_foreign_flags(&p->join);
    if (r >= 0)
        r = check_sysctl(s->linux_, p->own_flags, err);
    if (r >= 0)
        r = check_uts(s, p->made_flags, err);
    if (r >= 0 && ((p->clone_flags & CLONE_NEWUSER) || p->join.fd[SPEC_NS_USER] >= 0 || !host->initial_userns))
        mounts_warn_locked(s, b->path);
    if (r >= 0 && p->net.slirp && p->join.any)
        r = urun_error_set(err, 0,
                           "run.urun.network slirp: not with namespaces joined by path (linux.namespaces[].path)");
    if (r >= 0)
        r = plan_placement(s->linux_, p, err);
    if (r >= 0 && (p->clone_flags & CLONE_NEWUSER))
        r = plan_user_namespace(s, host, p, err);
    if (r >= 0 && p->net.slirp)
        p->resolv_conf = plan_resolv_conf(b);
    /* the maps already looked the caller up (same rule: the login name, else the UID) */
    if (r >= 0 && (p->clone_flags & CLONE_NEWUSER) && strlen(p->user.name) < sizeof(p->owner_name))
        memcpy(p->owner_name, p->user.name, strlen(p->user.name) + 1);
    else if (r >= 0)
        state_owner_name(host->euid, p->owner_name);
    if (r < 0) {
        plan_clear(p);
        return r;
    }
    p->phases = plan_phases(s, p);
    return 0;
}

void plan_clear(struct create_plan *p)
{
    nsjoin_close(&p->join);
    urun_seccomp_free(p->seccomp);
    p->seccomp = NULL;
    cgroup_limits_clear(&p->limits);
}
