/* Implementation of mounts.h.  Runs in the container init's own mount namespace (created with the
 * user namespace, so mount(2) is allowed: mount_namespaces(7)).  Every target is resolved inside the
 * rootfs first and mounted through its /proc/self/fd path, so a symlink cannot redirect a mount. */
#include "container/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/copytree.h"
#include "base/log.h"
#include "base/util.h"
#include "container/pathres.h"

struct flag_entry {
    const char *name;
    bool clear;
    unsigned long flag;
};

static const struct flag_entry mount_flags[] = {
    {"defaults", false, 0},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
};

static const struct flag_entry propagation_flags[] = {
    {"private", false, MS_PRIVATE},       {"rprivate", false, MS_PRIVATE | MS_REC},
    {"shared", false, MS_SHARED},         {"rshared", false, MS_SHARED | MS_REC},
    {"slave", false, MS_SLAVE},           {"rslave", false, MS_SLAVE | MS_REC},
    {"unbindable", false, MS_UNBINDABLE}, {"runbindable", false, MS_UNBINDABLE | MS_REC},
};

static const struct flag_entry *find_flag(const struct flag_entry *t, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0)
            return &t[i];
    return NULL;
}

const char *mounts_option_name(size_t i)
{
    static const char *const extra[] = {"bind", "rbind", "rro", "tmpcopyup"};
    if (i < ARRAY_SIZE(mount_flags))
        return mount_flags[i].name;
    i -= ARRAY_SIZE(mount_flags);
    if (i < ARRAY_SIZE(propagation_flags))
        return propagation_flags[i].name;
    i -= ARRAY_SIZE(propagation_flags);
    return i < ARRAY_SIZE(extra) ? extra[i] : NULL;
}

int mounts_parse_options(char *const *options, struct mount_opts *ret, struct urun_error *err)
{
    struct mount_opts o = {0};
    size_t used = 0;

    for (char *const *p = options; p && *p; p++) {
        const char *opt = *p;
        const struct flag_entry *f;
        if (strcmp(opt, "bind") == 0 || strcmp(opt, "rbind") == 0) {
            o.bind = true;
            o.rec = o.rec || opt[0] == 'r';
        } else if (strcmp(opt, "tmpcopyup") == 0) {
            o.tmpcopyup = true;
        } else if (strcmp(opt, "rro") == 0) {
            o.rro = true;
            o.flags |= MS_RDONLY;
        } else if ((f = find_flag(mount_flags, ARRAY_SIZE(mount_flags), opt))) {
            if (f->clear) {
                o.flags &= ~f->flag;
                o.clear |= f->flag;
            } else {
                o.flags |= f->flag;
                o.clear &= ~f->flag;
            }
        } else if ((f = find_flag(propagation_flags, ARRAY_SIZE(propagation_flags), opt))) {
            o.propagation = f->flag;
        } else {
            /* Anything else is filesystem data ("mode=755", "size=64m", "newinstance"). */
            size_t l = strlen(opt);
            if (used + l + 2 > sizeof(o.data))
                return urun_error_set(err, 0, "mount options too long");
            if (used)
                o.data[used++] = ',';
            memcpy(o.data + used, opt, l + 1);
            used += l;
        }
    }
    *ret = o;
    return 0;
}

/* In a user namespace the flags a mount inherited from a more privileged namespace are locked:
 * a bind remount must repeat them or the kernel refuses it with EPERM (mount(2), "locked"). */
static unsigned long locked_flags(const char *target)
{
    struct statvfs sv;
    unsigned long f = 0;

    if (statvfs(target, &sv) < 0)
        return 0;
    if (sv.f_flag & ST_NOSUID)
        f |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV)
        f |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC)
        f |= MS_NOEXEC;
    if (sv.f_flag & ST_RDONLY)
        f |= MS_RDONLY;
    if (sv.f_flag & ST_NOATIME)
        f |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME)
        f |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME)
        f |= MS_RELATIME;
    return f;
}

#define ATIME_FLAGS (MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME)
#define LOCKABLE_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)

/* The flags of a bind remount whose source has `locked` (locked_flags) inside a user namespace: what
 * was asked, but with the source's atime setting as a whole and its ro/nosuid/nodev/noexec, which
 * the kernel locks there (mount(2): EPERM).  Asking for more (ro, nosuid, nodev, noexec) is never
 * refused.  *ret_conflict: whether anything asked for gave way. */
static unsigned long keep_locked(unsigned long locked, const struct mount_opts *o, bool *ret_conflict)
{
    unsigned long extra = o->flags & ~(MS_REMOUNT | MS_BIND | MS_REC);
    unsigned long want = (locked & ~o->clear) | extra;
    unsigned long keep = (want & ~ATIME_FLAGS) | (locked & LOCKABLE_FLAGS) | (locked & ATIME_FLAGS);
    /* strictatime is "none of the atime flags": compare what the kernel would set */
    unsigned long asked_atime = (extra & MS_STRICTATIME) ? 0 : (want & ATIME_FLAGS);
    *ret_conflict = (o->clear & locked & LOCKABLE_FLAGS) ||
                    (((extra | o->clear) & ATIME_FLAGS) && asked_atime != (locked & ATIME_FLAGS));
    return keep;
}

/* The options of a bind mount that the kernel will not apply inside a user namespace, given its
 * source's flags: "strictatime, rw".  Empty when every one applies. */
static void locked_option_names(unsigned long locked, char *const *options, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (char *const *p = options; p && *p; p++) {
        const struct flag_entry *f = find_flag(mount_flags, ARRAY_SIZE(mount_flags), *p);
        bool atime = f && (f->flag & ATIME_FLAGS);
        bool cleared_lock = f && f->clear && (f->flag & locked & LOCKABLE_FLAGS);
        if (!f || !(atime || cleared_lock))
            continue;
        struct mount_opts one = {0};
        bool conflict;
        if (f->clear)
            one.clear = f->flag;
        else
            one.flags = f->flag;
        keep_locked(locked, &one, &conflict);
        int n = conflict ? snprintf(buf + len, size - len, "%s%s", len ? ", " : "", *p) : 0;
        if (n > 0 && (size_t)n < size - len)
            len += (size_t)n;
    }
}

void mounts_warn_locked(const struct urun_spec *s, const char *bundle)
{
    for (size_t i = 0; i < s->n_mounts; i++) {
        const struct spec_mount *m = &s->mounts[i];
        struct mount_opts o;
        struct urun_error ignored;
        char names[256];
        bool bind = m->type && strcmp(m->type, "bind") == 0;
        if (!m->source || mounts_parse_options(m->options, &o, &ignored) < 0 || !(bind || o.bind))
            continue;
        _cleanup_free_ char *src = m->source[0] == '/' ? xstrdup(m->source) : xasprintf("%s/%s", bundle, m->source);
        locked_option_names(locked_flags(src), m->options, names, sizeof(names));
        if (names[0])
            log_warning("mounts[%zu] %s: %s not applied: inside a user namespace the kernel keeps the source's "
                        "flags",
                        i, m->destination, names);
    }
}

/* A bind ignores every flag but MS_REC: the flags need a remount of the new mount itself, so
 * `target` must name the new mount (re-resolved after the bind), not the directory beneath it.
 * Inside a user namespace the source's atime setting and its ro/nosuid/nodev/noexec are locked:
 * where the remount as asked is refused, it keeps them (the parent has warned, mounts_warn_locked). */
static int apply_bind_flags(const char *target, const struct mount_opts *o, struct urun_error *err)
{
    unsigned long extra = o->flags & ~(MS_REMOUNT | MS_BIND | MS_REC);

    if (o->rro) {
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
        if (syscall(SYS_mount_setattr, AT_FDCWD, target, AT_RECURSIVE, &attr, sizeof(attr)) < 0)
            return urun_error_errno(err, "make it recursively read-only");
    }
    if (extra) {
        unsigned long locked = locked_flags(target);
        unsigned long flags = (locked & ~o->clear) | extra | MS_BIND | MS_REMOUNT;
        bool conflict;
        if (mount(NULL, target, NULL, flags, NULL) == 0)
            return 0;
        flags = keep_locked(locked, o, &conflict) | MS_BIND | MS_REMOUNT;
        if (errno != EPERM || !conflict || mount(NULL, target, NULL, flags, NULL) < 0)
            return urun_error_errno(err, "remount with its options");
    }
    return 0;
}

/* A filesystem replaced by a recursive bind of the host's (mount_fs): its submounts (every cgroup v1
 * hierarchy under /sys/fs/cgroup, say) must get the requested ro/nosuid/nodev/noexec too, not only
 * the top. */
static int apply_recursive_flags(const char *target, unsigned long flags, struct urun_error *err)
{
    struct mount_attr attr = {0};
    if (flags & MS_RDONLY)
        attr.attr_set |= MOUNT_ATTR_RDONLY;
    if (flags & MS_NOSUID)
        attr.attr_set |= MOUNT_ATTR_NOSUID;
    if (flags & MS_NODEV)
        attr.attr_set |= MOUNT_ATTR_NODEV;
    if (flags & MS_NOEXEC)
        attr.attr_set |= MOUNT_ATTR_NOEXEC;
    if (!attr.attr_set)
        return 0;
    if (syscall(SYS_mount_setattr, AT_FDCWD, target, AT_RECURSIVE, &attr, sizeof(attr)) < 0 && errno != ENOSYS)
        return urun_error_errno(err, "apply its options to every mount below it");
    return 0;
}

/* tmpcopyup: the tmpfs now mounted at target starts with what src (the directory it covers) held. */
static int tmpfs_copy_up(int src, const char *target, struct urun_error *err)
{
    _cleanup_close_ int dst = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;

    if (dst < 0)
        return urun_error_errno(err, "tmpcopyup: open the new tmpfs");
    int r = copy_tree(src, dst, err);
    if (r >= 0 && fstat(src, &st) == 0) {
        if (fchown(dst, st.st_uid, st.st_gid) < 0)
            log_debug("tmpcopyup: chown the tmpfs root: %s", strerror(errno));
        fchmod(dst, st.st_mode & 07777);
    }
    return r;
}

static int bind_mount(const char *source, const char *target, bool rec, struct urun_error *err)
{
    if (mount(source, target, NULL, MS_BIND | (rec ? MS_REC : 0), NULL) < 0)
        return urun_error_errno(err, "bind %s", source);
    return 0;
}

/* Mount one filesystem, falling back to binding the host's where a rootless mount of it is not
 * allowed: sysfs needs a network namespace of our own, mqueue an IPC namespace, cgroup2 a cgroup
 * namespace, all owned by our user namespace. */
static int mount_fs(const struct spec_mount *m, const char *target, const struct mount_opts *o, bool *ret_bound,
                    struct urun_error *err)
{
    const char *type = m->type;
    const char *fallback = NULL;

    if (strcmp(type, "sysfs") == 0)
        fallback = "/sys";
    else if (strcmp(type, "mqueue") == 0)
        fallback = "/dev/mqueue";
    else if (strcmp(type, "cgroup") == 0 || strcmp(type, "cgroup2") == 0) {
        type = "cgroup2";
        fallback = "/sys/fs/cgroup";
    }
    if (mount(m->source ? m->source : type, target, type, o->flags, o->data[0] ? o->data : NULL) == 0)
        return 0;
    int e = errno;
    if (e == EINVAL && strcmp(type, "devpts") == 0 && strstr(o->data, "gid=")) {
        /* gid=5 (tty) is not mapped in a single-ID user namespace: mount without it, as crun does. */
        char data[sizeof(o->data)] = "", *save = NULL, *tok, copy[sizeof(o->data)];
        memcpy(copy, o->data, sizeof(copy));
        for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
            if (strncmp(tok, "gid=", 4) != 0)
                snprintf(data + strlen(data), sizeof(data) - strlen(data), "%s%s", data[0] ? "," : "", tok);
        if (mount("devpts", target, "devpts", o->flags, data) == 0)
            return 0;
        e = errno;
    }
    if (fallback && (e == EPERM || e == EACCES || e == ENODEV || e == EINVAL || e == EBUSY)) {
        *ret_bound = true;
        return bind_mount(fallback, target, /* rec= */ true, err);
    }
    return urun_error_set(err, e, "mount %s", type);
}

static bool is_bind(const struct spec_mount *m, const struct mount_opts *o)
{
    return o->bind || (m->type && strcmp(m->type, "bind") == 0);
}

static int mount_one(const struct mounts_config *c, int rootfd, const struct spec_mount *m, struct urun_error *err)
{
    _cleanup_free_ char *src = NULL;
    _cleanup_close_ int fd = -1;
    struct mount_opts o;
    char target[32];
    int r;

    r = mounts_parse_options(m->options, &o, err);
    if (r < 0)
        return r;
    enum pathres_create create = PATHRES_MKDIR;
    if (is_bind(m, &o)) {
        struct stat st;
        if (!m->source)
            return urun_error_set(err, 0, "bind mount needs a source");
        src = m->source[0] == '/' ? xstrdup(m->source) : xasprintf("%s/%s", c->bundle, m->source);
        if (stat(src, &st) < 0)
            return urun_error_errno(err, "bind source %s", src);
        if (!S_ISDIR(st.st_mode))
            create = PATHRES_MKFILE;
    } else if (!m->type) {
        return urun_error_set(err, 0, "type: required unless the mount is a bind mount");
    }
    r = pathres_open(rootfd, m->destination, create, &fd, err);
    if (r < 0)
        return r;
    pathres_fd_path(fd, target);
    bool bound = is_bind(m, &o);
    _cleanup_close_ int covered = -1;
    if (o.tmpcopyup) {
        if (bound || strcmp(m->type, "tmpfs") != 0)
            return urun_error_set(err, 0, "tmpcopyup: only for tmpfs mounts");
        /* what the tmpfs will cover; a file or a missing target has nothing to copy */
        covered = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    r = bound ? bind_mount(src, target, o.rec, err) : mount_fs(m, target, &o, &bound, err);
    if (r < 0)
        return r;
    bool fallback = bound && !is_bind(m, &o);
    if (!bound && covered < 0 && !o.propagation)
        return 0; /* nothing to do on the new mount itself */
    /* Re-resolve: the fd still names the directory under the new mount. */
    closep(&fd);
    r = pathres_open(rootfd, m->destination, PATHRES_NO_CREATE, &fd, err);
    if (r < 0)
        return r;
    pathres_fd_path(fd, target);
    if (bound && (r = apply_bind_flags(target, &o, err)) < 0)
        return r;
    if (fallback && (r = apply_recursive_flags(target, o.flags, err)) < 0)
        return r;
    if (covered >= 0 && (r = tmpfs_copy_up(covered, target, err)) < 0)
        return r;
    if (o.propagation && mount(NULL, target, NULL, o.propagation, NULL) < 0)
        return urun_error_errno(err, "set propagation");
    return 0;
}

/* mknod(2) is not allowed in a user namespace, so device nodes are bind mounts of the host's. */
static int bind_device(int rootfd, const char *host_path, const char *dest, struct urun_error *err)
{
    _cleanup_close_ int fd = -1;
    char target[32];
    struct stat st;
    int r;

    if (stat(host_path, &st) < 0)
        return urun_error_errno(err, "device %s", host_path);
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
        return urun_error_set(err, ENODEV, "device %s: not a device node", host_path);
    r = pathres_open(rootfd, dest, PATHRES_MKFILE, &fd, err);
    if (r < 0)
        return r;
    pathres_fd_path(fd, target);
    return bind_mount(host_path, target, /* rec= */ false, err);
}

static const char *const default_devices[] = {"/dev/null",   "/dev/zero",    "/dev/full",
                                              "/dev/random", "/dev/urandom", "/dev/tty"};

static bool spec_has_device(const struct urun_spec *s, const char *path)
{
    for (size_t i = 0; s->linux_ && i < s->linux_->n_devices; i++)
        if (strcmp(s->linux_->devices[i].path, path) == 0)
            return true;
    return false;
}

static bool spec_mounts_at(const struct urun_spec *s, const char *dest)
{
    for (size_t i = 0; i < s->n_mounts; i++)
        if (strcmp(s->mounts[i].destination, dest) == 0)
            return true;
    return false;
}

static int setup_dev(int rootfd, const struct urun_spec *s, struct urun_error *err)
{
    static const char *const links[][2] = {
        {"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
        {"/proc/self/fd/2", "stderr"}, {"/proc/kcore", "core"},
    };
    _cleanup_close_ int devfd = -1;
    int r;

    for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
        if (spec_has_device(s, default_devices[i]))
            continue;
        r = bind_device(rootfd, default_devices[i], default_devices[i], err);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; s->linux_ && i < s->linux_->n_devices; i++) {
        r = bind_device(rootfd, s->linux_->devices[i].path, s->linux_->devices[i].path, err);
        if (r < 0)
            return urun_error_wrap(err, r, "linux.devices[%zu]", i);
    }
    r = pathres_open(rootfd, "/dev", PATHRES_MKDIR, &devfd, err);
    if (r < 0)
        return r;
    /* An O_PATH fd cannot be used with symlinkat; reopen it as a real directory. */
    char p[32];
    pathres_fd_path(devfd, p);
    _cleanup_close_ int dir = open(p, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (dir < 0)
        return urun_error_errno(err, "open /dev");
    for (size_t i = 0; i < ARRAY_SIZE(links); i++)
        if (symlinkat(links[i][0], dir, links[i][1]) < 0 && errno != EEXIST)
            return urun_error_errno(err, "symlink /dev/%s", links[i][1]);
    if (spec_mounts_at(s, "/dev/pts") && symlinkat("pts/ptmx", dir, "ptmx") < 0 && errno != EEXIST)
        return urun_error_errno(err, "symlink /dev/ptmx");
    return 0;
}

static int mask_paths(int rootfd, char *const *paths, struct urun_error *err)
{
    for (size_t i = 0; paths && paths[i]; i++) {
        _cleanup_close_ int fd = -1;
        struct urun_error ignored;
        char target[32];
        struct stat st;

        if (pathres_open(rootfd, paths[i], PATHRES_NO_CREATE, &fd, &ignored) < 0)
            continue; /* nothing there to mask */
        pathres_fd_path(fd, target);
        if (fstat(fd, &st) < 0)
            return urun_error_errno(err, "linux.maskedPaths[%zu]: %s", i, paths[i]);
        int r = S_ISDIR(st.st_mode) ? mount("tmpfs", target, "tmpfs", MS_RDONLY, NULL)
                                    : mount("/dev/null", target, NULL, MS_BIND, NULL);
        if (r < 0)
            return urun_error_errno(err, "linux.maskedPaths[%zu]: mask %s", i, paths[i]);
    }
    return 0;
}

static int readonly_paths(int rootfd, char *const *paths, struct urun_error *err)
{
    static const struct mount_opts ro = {.flags = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC};

    for (size_t i = 0; paths && paths[i]; i++) {
        _cleanup_close_ int fd = -1;
        struct urun_error ignored;
        char target[32];
        int r;

        if (pathres_open(rootfd, paths[i], PATHRES_NO_CREATE, &fd, &ignored) < 0)
            continue;
        pathres_fd_path(fd, target);
        r = bind_mount(target, target, /* rec= */ true, err);
        if (r < 0)
            return urun_error_wrap(err, r, "linux.readonlyPaths[%zu]: %s", i, paths[i]);
        closep(&fd);
        r = pathres_open(rootfd, paths[i], PATHRES_NO_CREATE, &fd, err);
        if (r < 0)
            return r;
        pathres_fd_path(fd, target);
        r = apply_bind_flags(target, &ro, err);
        if (r < 0)
            return urun_error_wrap(err, r, "linux.readonlyPaths[%zu]: %s", i, paths[i]);
    }
    return 0;
}

/* ---- an image's overlay rootfs ------------------------------------------------------------ */

struct overlay_plan {
    const char *mode, *layers, *lowers, *fuse;
};

/* Strictly what runtime/image.c writes: anything else in the file is refused, not mounted. */
static int overlay_parse(char *text, const char *bundle, struct overlay_plan *p, struct urun_error *err)
{
    char *line[5] = {0}, *save = NULL;
    size_t n = 0;
    for (char *l = strtok_r(text, "\n", &save); l && n < 5; l = strtok_r(NULL, "\n", &save))
        line[n++] = l;
    p->mode = line[0], p->layers = line[1], p->lowers = line[2], p->fuse = line[3];
    bool fuse = p->mode && strcmp(p->mode, "fuse-overlayfs") == 0;
    if (n != (fuse ? 4u : 3u) || (!fuse && strcmp(p->mode, "overlay") != 0) || (fuse && p->fuse[0] != '/') ||
        p->layers[0] != '/' || strpbrk(p->layers, ",:") || strpbrk(bundle, ",:"))
        return urun_error_set(err, 0, "%s/%s: malformed (or a path with ',' or ':')", bundle, MOUNTS_OVERLAY_FILE);
    size_t len = strlen(p->lowers);
    for (size_t i = 0; i < len; i += 65)
        if (len - i < 64 || strspn(p->lowers + i, "0123456789abcdef") != 64 ||
            (p->lowers[i + 64] != ':' && p->lowers[i + 64] != '\0'))
            return urun_error_set(err, 0, "%s/%s: malformed lower layers", bundle, MOUNTS_OVERLAY_FILE);
    return 0;
}

/* fuse-overlayfs -o OPTS: the lower layers by full path (its options are not one page). */
static char *fuse_options(const struct overlay_plan *p, const char *bundle)
{
    size_t cap = (strlen(p->lowers) / 65 + 1) * (strlen(p->layers) + 67) + 2 * strlen(bundle) + 64;
    char *opts = xmalloc(cap);
    size_t o = (size_t)snprintf(opts, cap, "lowerdir=");
    for (const char *l = p->lowers; *l; l += l[64] ? 65 : 64)
        o += (size_t)snprintf(opts + o, cap - o, "%s%s/%.64s", l == p->lowers ? "" : ":", p->layers, l);
    snprintf(opts + o, cap - o, ",upperdir=%s/upper,workdir=%s/work", bundle, bundle);
    return opts;
}

/* fuse-overlayfs mounts in our mount namespace and daemonises; its first process exits once the mount
 * is there.  pivot_root(2) moves the root of every process of the mount namespace whose root is the
 * old root, the daemon's too, which would then serve its own mount and deadlock.  So we leave it alone
 * in this namespace (nobody else uses it; the daemon ends with the container's pid namespace) and go on
 * in a private copy of it (unshare(2), CLONE_NEWNS), which holds the FUSE mount too. */
static int overlay_fuse(const struct overlay_plan *p, const char *bundle, const char *rootfs, struct urun_error *err)
{
    _cleanup_free_ char *opts = fuse_options(p, bundle);
    int status;
    pid_t pid = fork();
    if (pid < 0)
        return urun_error_errno(err, "fuse-overlayfs: fork");
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null >= 0)
            dup2(null, STDIN_FILENO);
        syscall(SYS_close_range, 3, ~0u, 0);
        execl(p->fuse, "fuse-overlayfs", "-o", opts, rootfs, (char *)NULL);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return urun_error_errno(err, "fuse-overlayfs: wait");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return urun_error_set(err, 0, "fuse-overlayfs %s on %s: failed (%s %d)", p->fuse, rootfs,
                              WIFEXITED(status) ? "exit status" : "signal",
                              WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    if (unshare(CLONE_NEWNS) < 0)
        return urun_error_errno(err, "fuse-overlayfs: a mount namespace of our own (unshare)");
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
        return urun_error_errno(err, "fuse-overlayfs: make / a slave mount");
    return 0;
}

int mounts_rootfs_overlay(const struct mounts_config *c, struct urun_error *err)
{
    _cleanup_free_ char *file = xasprintf("%s/%s", c->bundle, MOUNTS_OVERLAY_FILE), *text = NULL, *data = NULL;
    _cleanup_close_ int cwd = -1;
    struct overlay_plan p;
    size_t len;
    struct urun_error e;
    int r = read_regular_file_at(AT_FDCWD, file, MOUNTS_OVERLAY_MAX, &text, &len, &e);

    if (r == -ENOENT)
        return 0;
    if (r < 0) {
        *err = e;
        return r;
    }
    if ((r = overlay_parse(text, c->bundle, &p, err)) < 0)
        return r;
    if (strcmp(p.mode, "fuse-overlayfs") == 0)
        return overlay_fuse(&p, c->bundle, c->rootfs, err);
    /* The lower layers by name relative to their directory: a mount's options fit in one page, and
     * 65 bytes a layer lets about 60 layers in where full paths would let a dozen. */
    data = xasprintf("lowerdir=%s,upperdir=%s/upper,workdir=%s/work,userxattr", p.lowers, c->bundle, c->bundle);
    if (strlen(data) >= 4096)
        return urun_error_set(err, E2BIG, "overlay rootfs: too many layers for one mount");
    cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cwd < 0 || chdir(p.layers) < 0)
        return urun_error_errno(err, "overlay rootfs: enter %s", p.layers);
    r = mount("overlay", c->rootfs, "overlay", 0, data) < 0 ? -errno : 0;
    if (fchdir(cwd) < 0 && r == 0)
        r = -errno;
    if (r < 0)
        return urun_error_set(err, -r, "overlay rootfs: mount overlayfs on %s", c->rootfs);
    return 0;
}

int mounts_setup(const struct mounts_config *c, struct urun_error *err)
{
    const struct urun_spec *s = c->spec;
    _cleanup_close_ int rootfd = -1;
    int r;

    /* Nothing we mount may propagate back to the caller's namespace. */
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
        return urun_error_errno(err, "make / a slave mount");
    r = mounts_rootfs_overlay(c, err);
    if (r < 0)
        return r;
    if (mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
        return urun_error_errno(err, "bind rootfs %s", c->rootfs);
    rootfd = open(c->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return urun_error_errno(err, "open rootfs %s", c->rootfs);

    for (size_t i = 0; i < s->n_mounts; i++) {
        r = mount_one(c, rootfd, &s->mounts[i], err);
        if (r < 0)
            return urun_error_wrap(err, r, "mounts[%zu] %s", i, s->mounts[i].destination);
    }
    r = setup_dev(rootfd, s, err);
    if (r < 0)
        return r;
    if (s->linux_) {
        r = mask_paths(rootfd, s->linux_->masked_paths, err);
        if (r >= 0)
            r = readonly_paths(rootfd, s->linux_->readonly_paths, err);
        if (r < 0)
            return r;
    }
    if (s->root_readonly) {
        unsigned long flags = locked_flags(c->rootfs) | MS_RDONLY | MS_BIND | MS_REMOUNT;
        if (mount(NULL, c->rootfs, NULL, flags, NULL) < 0)
            return urun_error_errno(err, "root.readonly: remount %s read-only", c->rootfs);
    }
    return 0;
}

int mounts_switch_root(const struct mounts_config *c, struct urun_error *err)
{
    const char *prop = c->spec->linux_ ? c->spec->linux_->rootfs_propagation : NULL;

    if (chdir(c->rootfs) < 0)
        return urun_error_errno(err, "chdir %s", c->rootfs);
    if (c->no_pivot) {
        if (mount(c->rootfs, "/", NULL, MS_MOVE, NULL) < 0)
            return urun_error_errno(err, "move rootfs to /");
        if (chroot(".") < 0)
            return urun_error_errno(err, "chroot");
    } else {
        /* pivot_root(".", ".") stacks the old root on top of the new one; detach it.  Make it a
         * slave first so the unmount cannot propagate to the host (pivot_root(2), NOTES). */
        if (syscall(SYS_pivot_root, ".", ".") < 0)
            return urun_error_errno(err, "pivot_root into %s", c->rootfs);
        if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
            return urun_error_errno(err, "make old root a slave");
        if (umount2(".", MNT_DETACH) < 0)
            return urun_error_errno(err, "detach old root");
    }
    if (chdir("/") < 0)
        return urun_error_errno(err, "chdir /");
    if (prop) {
        const struct flag_entry *f = find_flag(propagation_flags, ARRAY_SIZE(propagation_flags), prop);
        if (!f)
            return urun_error_set(err, 0, "linux.rootfsPropagation: unknown value \"%s\"", prop);
        if (mount(NULL, "/", NULL, f->flag, NULL) < 0)
            return urun_error_errno(err, "linux.rootfsPropagation: set %s on /", prop);
    }
    return 0;
}
