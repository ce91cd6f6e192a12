/* The container's cgroup on a delegated cgroup v2 tree (cgroup.h). */
#include "runtime/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"
#include "base/util.h"
#include "runtime/state.h"
#include "spec/spec.h"
#include "spec/yamltree.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* ---- pure helpers ------------------------------------------------------------------------- */

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void unescape(char *s)
{
    char *o = s;
    for (char *p = s; *p;) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
            *o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
            p += 4;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
}

int cgroup_parse_mountinfo(const char *text, char **ret_mount, char **ret_root)
{
    /* The first cgroup2 mount, unless one sits where urun looks for it (/sys/fs/cgroup, or
     * /sys/fs/cgroup/unified on a hybrid host): a chroot's or a container's copy elsewhere in the
     * table must not win over ours. */
    char *first_mount = NULL, *first_root = NULL;
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        _cleanup_free_ char *copy = xstrndup(line, len);
        char *f[5] = {0}, *save = NULL, *sep;
        int i = 0;

        line = end ? end + 1 : NULL;
        sep = strstr(copy, " - ");
        if (!sep)
            continue;
        *sep = '\0';
        if (strncmp(sep + 3, "cgroup2 ", 8) != 0)
            continue;
        for (char *t = strtok_r(copy, " ", &save); t && i < 5; t = strtok_r(NULL, " ", &save))
            f[i++] = t;
        if (i < 5)
            continue;
        unescape(f[3]);
        unescape(f[4]);
        if (strcmp(f[4], "/sys/fs/cgroup") == 0 || strcmp(f[4], "/sys/fs/cgroup/unified") == 0) {
            free(first_mount);
            free(first_root);
            *ret_root = xstrdup(f[3]);
            *ret_mount = xstrdup(f[4]);
            return 0;
        }
        if (!first_mount) {
            first_root = xstrdup(f[3]);
            first_mount = xstrdup(f[4]);
        }
    }
    if (!first_mount)
        return -ENOENT;
    *ret_root = first_root;
    *ret_mount = first_mount;
    return 0;
}

int cgroup_parse_self(const char *text, char **ret_path)
{
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);

        if (len >= 3 && strncmp(line, "0::", 3) == 0) {
            *ret_path = xstrndup(line + 3, len - 3);
            return 0;
        }
        line = end ? end + 1 : NULL;
    }
    return -ENOENT;
}

/* Append the components of p to buf (which holds a normalised path), refusing "." and "..". */
static int append_components(char *buf, size_t size, const char *p)
{
    const char *c = p;
    while (*c) {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c), len = strlen(buf);
        if (n == 0) {
            c++;
            continue;
        }
        if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return -EINVAL;
        if (len + 1 + n + 1 > size)
            return -ENAMETOOLONG;
        if (!(len == 1 && buf[0] == '/'))
            buf[len++] = '/';
        memcpy(buf + len, c, n);
        buf[len + n] = '\0';
        c += n;
    }
    return 0;
}

char *cgroup_target(const char *own, const char *cp, const char *leaf, struct urun_error *err)
{
    char buf[4096] = "/";
    int r = 0;

    if (cp && cp[0] == '/') {
        r = append_components(buf, sizeof(buf), cp);
    } else {
        /* beside urun's own cgroup: that one usually holds processes, so it could not enable
         * controllers for a child of its own */
        const char *slash = strrchr(own, '/');
        if (slash && slash != own) {
            char parent[4096];
            snprintf(parent, sizeof(parent), "%.*s", (int)(slash - own), own);
            r = append_components(buf, sizeof(buf), parent);
        }
        if (r >= 0)
            r = append_components(buf, sizeof(buf), cp && cp[0] ? cp : leaf);
    }
    if (r == -EINVAL) {
        urun_error_set(err, 0, "linux.cgroupsPath: \"%s\" has a \".\" or \"..\" component", cp ? cp : leaf);
        return NULL;
    }
    if (r < 0 || strcmp(buf, "/") == 0) {
        urun_error_set(err, 0, "linux.cgroupsPath: \"%s\" is not a cgroup path", cp ? cp : leaf);
        return NULL;
    }
    return xstrdup(buf);
}

char *cgroup_common_ancestor(const char *a, const char *b)
{
    size_t last = 0, i = 0;
    for (; a[i] && a[i] == b[i]; i++)
        if (a[i] == '/')
            last = i;
    if ((a[i] == '\0' && (b[i] == '/' || b[i] == '\0')) || (b[i] == '\0' && a[i] == '/'))
        last = i;
    if (last == 0)
        return xstrdup("/");
    return xstrndup(a, last);
}

/* ---- files -------------------------------------------------------------------------------- */

static int read_small(const char *dir, const char *file, char *buf, size_t size)
{
    char path[4352];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, size - 1);
    if (n < 0)
        return -errno;
    buf[n] = '\0';
    return (int)n;
}

/* -errno; the callers word their own errors */
static int write_at(const char *dir, const char *file, const char *value)
{
    char path[4352];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    return write_file_str(path, value, NULL);
}

/* "word" as a whole word of a space-separated list */
static bool has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)); p += n)
        if ((p == list || p[-1] == ' ' || p[-1] == '\n') && (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
            return true;
    return false;
}

/* Value of `key` in a flat keyed file such as cgroup.events, or -1. */
static long keyed_value(const char *dir, const char *file, const char *key)
{
    char buf[1024];
    size_t n = strlen(key);
    if (read_small(dir, file, buf, sizeof(buf)) < 0)
        return -1;
    for (char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, key, n) == 0 && p[n] == ' ')
            return strtol(p + n + 1, NULL, 10);
    return -1;
}

/* Turn on, in dir's children, every controller dir itself has and does not hand down yet.  Best
 * effort (a cgroup with processes of its own cannot): the result shows in the children's
 * cgroup.controllers, which cgroup_apply checks. */
static void enable_controllers(const char *dir)
{
    char avail[1024], on[1024] = "", *save = NULL, path[4352];
    snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
    if (access(path, W_OK) < 0 || read_small(dir, "cgroup.controllers", avail, sizeof(avail)) <= 0)
        return;
    read_small(dir, "cgroup.subtree_control", on, sizeof(on));
    for (char *c = strtok_r(avail, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
        char plus[64];
        if (has_word(on, c))
            continue;
        snprintf(plus, sizeof(plus), "+%s", c);
        int r = write_at(dir, "cgroup.subtree_control", plus);
        if (r < 0)
            log_debug("enable the %s controller in %s: %s", c, dir, strerror(-r));
    }
}

int cgroup_apply(const char *path, const struct cg_writes *w, bool strict, struct urun_error *err)
{
    char avail[1024] = "";

    read_small(path, "cgroup.controllers", avail, sizeof(avail));
    for (size_t i = 0; i < w->n; i++) {
        const struct cg_write *x = &w->v[i];
        int r = 0;
        if (x->controller[0] && !has_word(avail, x->controller)) {
            if (strict)
                return urun_error_set(err, 0, "%s: the %s controller is not enabled for cgroup %s", x->field,
                                      x->controller, path);
            log_warning("%s is not applied: the %s controller is not enabled for cgroup %s", x->field, x->controller,
                        path);
            continue;
        }
        r = write_at(path, x->file, x->value);
        if (r < 0) {
            if (strict)
                return urun_error_set(err, -r, "%s: write \"%s\" to %s/%s", x->field, x->value, path, x->file);
            log_warning("%s is not applied: write \"%s\" to %s/%s: %s", x->field, x->value, path, x->file,
                        strerror(-r));
        }
    }
    for (size_t i = 0; i < w->n_unsupported; i++) {
        if (strict)
            return urun_error_set(err, 0, "%s: not available on cgroup v2", w->unsupported[i]);
        log_warning("%s is not applied: not available on cgroup v2", w->unsupported[i]);
    }
    return 0;
}

/* ---- set-up ------------------------------------------------------------------------------- */

static int limits_policy(const struct urun_spec *s, bool *strict, struct urun_error *err)
{
    *strict = false;
    for (size_t i = 0; i < s->n_annotations; i++) {
        if (strcmp(s->annotations[i].key, CGROUP_LIMITS_ANNOTATION) != 0)
            continue;
        if (strcmp(s->annotations[i].value, "require") == 0)
            *strict = true;
        else if (strcmp(s->annotations[i].value, "warn") != 0)
            return urun_error_set(err, 0, "annotations.%s: \"%s\" is not warn or require", CGROUP_LIMITS_ANNOTATION,
                                  s->annotations[i].value);
    }
    return 0;
}

/* One warning that names every limit the container will run without. */
static void warn_each_limit(const struct cg_writes *w, const char *why)
{
    char names[2048];
    size_t len = 0;
    for (size_t i = 0; i < w->n + w->n_unsupported; i++) {
        const char *name = i < w->n ? w->v[i].field : w->unsupported[i - w->n];
        int n = snprintf(names + len, sizeof(names) - len, "%s%s", len ? ", " : "", name);
        if (n < 0 || (size_t)n >= sizeof(names) - len)
            break;
        len += (size_t)n;
    }
    log_warning("%s %s not applied: the container runs without a cgroup: %s", names,
                w->n + w->n_unsupported > 1 ? "are" : "is", why);
}

/* The usual places of the cgroup2 mount (unified host; hybrid host), checked with statfs: reading
 * /proc/self/mountinfo costs a tenth of a millisecond on every create, and start-up is a feature.
 * Taken only when urun's own cgroup is there too, i.e. the mount shows the whole tree. */
static char *usual_mount(const char *own)
{
    static const char *const places[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
    for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
        struct statfs sf;
        char path[4352];
        if (statfs(places[i], &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC)
            continue;
        snprintf(path, sizeof(path), "%s%s", places[i], own);
        return access(path, F_OK) == 0 ? xstrdup(places[i]) : NULL;
    }
    return NULL;
}

/* Where urun's own cgroup v2 is: the mount point and the path below it.  NULL reason on success. */
static const char *locate(char **ret_mount, char **ret_own)
{
    _cleanup_free_ char *mi = NULL, *self = NULL, *root = NULL, *own = NULL, *mount = NULL;
    size_t len;

    if (read_file_at(AT_FDCWD, "/proc/self/cgroup", 1 << 16, &self, &len, NULL) < 0 ||
        cgroup_parse_self(self, &own) < 0)
        return "urun's own process is in no cgroup v2 (cgroup v1 only)";
    mount = usual_mount(own);
    if (mount) {
        *ret_mount = TAKE_PTR(mount);
        *ret_own = TAKE_PTR(own);
        return NULL;
    }
    if (read_file_at(AT_FDCWD, "/proc/self/mountinfo", 1 << 22, &mi, &len, NULL) < 0 ||
        cgroup_parse_mountinfo(mi, &mount, &root) < 0)
        return "this host has no cgroup v2 hierarchy mounted (cgroup v1 only)";
    /* a mount of a subtree (root "/x") shows paths below /x */
    size_t rl = strlen(root);
    if (strcmp(root, "/") != 0 && strncmp(own, root, rl) == 0 && (own[rl] == '/' || own[rl] == '\0')) {
        char *o = xstrdup(own[rl] ? own + rl : "/");
        free(own);
        own = o;
    }
    *ret_mount = TAKE_PTR(mount);
    *ret_own = TAKE_PTR(own);
    return NULL;
}

/* mkdir every missing component of target below mount; EEXIST is fine.  *made: the leaf is new. */
static int make_path(const char *mount, const char *target, bool *made)
{
    char path[4352];
    size_t base = (size_t)snprintf(path, sizeof(path), "%s", mount);
    *made = false;
    for (const char *c = target + 1; *c;) {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        if (base + 1 + n >= sizeof(path))
            return -ENAMETOOLONG;
        path[base] = '/';
        memcpy(path + base + 1, c, n);
        path[base + 1 + n] = '\0';
        /* the parent hands its controllers down before the child exists, so the child gets them */
        path[base] = '\0';
        enable_controllers(path);
        path[base] = '/';
        base += 1 + n;
        if (mkdir(path, 0755) < 0) {
            if (errno != EEXIST)
                return -errno;
        } else if (!e) {
            *made = true;
        }
        c += n;
        if (*c == '/')
            c++;
    }
    return 0;
}

static bool is_systemd_path(const char *cp)
{
    /* "slice:prefix:name", as podman and others pass with --systemd-cgroup */
    const char *a = cp ? strchr(cp, ':') : NULL;
    return a && cp[0] != '/' && strchr(a + 1, ':');
}

int cgroup_plan_limits(const struct urun_spec *s, struct cgroup_limits *ret, struct urun_error *err)
{
    _cleanup_(ytree_freep) struct ynode *res = NULL;
    int r;

    *ret = (struct cgroup_limits){0};
    const char *cp = s->linux_ ? s->linux_->cgroups_path : NULL;
    if (cp && !is_systemd_path(cp)) {
        /* the path's syntax, checked before anything exists; where it lands is decided at setup */
        _cleanup_free_ char *target = cgroup_target("/", cp, "leaf", err);
        if (!target)
            return -EINVAL;
    }
    r = limits_policy(s, &ret->strict, err);
    if (r >= 0 && s->linux_ && s->linux_->resources_json) {
        r = ytree_parse(s->linux_->resources_json, strlen(s->linux_->resources_json), &res, err);
        if (r >= 0)
            r = resources_to_writes(res, "linux.resources", &ret->w, err);
    }
    if (r < 0)
        cgroup_limits_clear(ret);
    return r;
}

void cgroup_limits_clear(struct cgroup_limits *l)
{
    cg_writes_clear(&l->w);
}

int cgroup_setup(const struct urun_spec *s, const struct cgroup_limits *lim, const char *id, bool disabled,
                 struct cgroup *ret, struct urun_error *err)
{
    _cleanup_free_ char *mount = NULL, *own = NULL, *target = NULL, *anc = NULL, *abs = NULL;
    const struct cg_writes *w = &lim->w;
    const char *cp = s->linux_ ? s->linux_->cgroups_path : NULL, *why;
    char leaf[STATE_NAME_MAX], reason[4600], path[4400];
    bool strict = lim->strict, made = false;
    int r = 0;

    *ret = CGROUP_NONE;
    if (is_systemd_path(cp)) {
        log_info("linux.cgroupsPath \"%s\" is a systemd slice:prefix:name; urun does not ask systemd for "
                 "cgroups and places the container as if cgroupsPath were unset",
                 cp);
        cp = NULL;
    }
    why = disabled ? "--cgroup-manager disabled" : locate(&mount, &own);
    if (!why) {
        state_container_name(id, leaf);
        target = cgroup_target(own, cp, leaf, err);
        if (!target)
            return -EINVAL;
        abs = xasprintf("%s%s", mount, target);
        anc = cgroup_common_ancestor(own, target);
        snprintf(path, sizeof(path), "%s%s/cgroup.procs", mount, strcmp(anc, "/") == 0 ? "" : anc);
        if (access(path, W_OK) < 0) {
            snprintf(reason, sizeof(reason), "%s is not writable by you, so cgroup v2 is not delegated there", path);
            why = reason;
        } else if ((r = make_path(mount, target, &made)) < 0) {
            snprintf(reason, sizeof(reason), "cannot create cgroup %s: %s", abs, strerror(-r));
            why = reason;
        }
    }
    if (why) {
        r = 0;
        if (w->n || w->n_unsupported) {
            if (strict)
                r = urun_error_set(err, 0, "linux.resources cannot be applied (%s=require): %s",
                                   CGROUP_LIMITS_ANNOTATION, why);
            else
                warn_each_limit(w, why);
        } else {
            log_info("container %s runs without a cgroup (pause, resume and update need one): %s", id, why);
        }
        return r;
    }

    struct cgroup cg = {.path = TAKE_PTR(abs), .fd = -1, .made = made};
    cg.fd = open(cg.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cg.fd < 0)
        r = urun_error_errno(err, "open cgroup %s", cg.path);
    if (r >= 0 && !made) {
        char procs[64];
        if (read_small(cg.path, "cgroup.procs", procs, sizeof(procs)) != 0)
            r = urun_error_set(err, 0, "linux.cgroupsPath: cgroup %s already has processes (or is not a cgroup)",
                               cg.path);
    }
    if (r >= 0)
        r = cgroup_apply(cg.path, w, strict, err);
    if (r < 0) {
        cgroup_release(&cg, cg.made);
        return r;
    }
    log_debug("container %s: cgroup %s", id, cg.path);
    *ret = cg;
    return 0;
}

/* Wait until no process is left (cgroup.events "populated 0"), at most timeout_ms. */
static int cgroup_wait_empty(const char *path, int timeout_ms)
{
    struct timespec ts = {0, 2 * 1000 * 1000};
    for (int waited = 0; waited <= timeout_ms; waited += 2) {
        long v = keyed_value(path, "cgroup.events", "populated");
        if (v <= 0)
            return 0;
        nanosleep(&ts, NULL);
    }
    return -ETIMEDOUT;
}

void cgroup_destroy(const char *path)
{
    struct urun_error ignored;

    if (keyed_value(path, "cgroup.events", "populated") > 0) {
        cgroup_signal_all(path, SIGKILL, &ignored);
        if (cgroup_frozen(path))
            cgroup_freeze(path, false, &ignored);
    }
    if (rmdir(path) < 0 && errno != ENOENT) {
        if (cgroup_wait_empty(path, 2000) < 0 || (rmdir(path) < 0 && errno != ENOENT))
            log_warning("remove cgroup %s: %s", path, strerror(errno));
    }
}

void cgroup_release(struct cgroup *cg, bool remove)
{
    if (cg->fd >= 0)
        close(cg->fd);
    if (remove && cg->path)
        cgroup_destroy(cg->path);
    free(cg->path);
    *cg = CGROUP_NONE;
}

pid_t cgroup_clone(unsigned long flags, int cgroup_fd, int *ret_pidfd)
{
    int dummy = -1;
    struct clone_args ca = {
        .flags = flags | CLONE_PIDFD | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0),
        .pidfd = (uint64_t)(uintptr_t)(ret_pidfd ? ret_pidfd : &dummy),
        .exit_signal = SIGCHLD,
        .cgroup = cgroup_fd >= 0 ? (uint64_t)cgroup_fd : 0,
    };
    long pid = syscall(SYS_clone3, &ca, sizeof(ca));
    if (pid < 0 && (errno == ENOSYS || (errno == E2BIG && cgroup_fd >= 0))) {
        /* Kernels before 5.3 (no clone3) or 5.7 (no CLONE_INTO_CGROUP): plain clone, no pidfd, and the
         * child moved in right after; it waits for the parent before it does anything. */
        if (ret_pidfd)
            *ret_pidfd = -1;
        pid = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
        if (pid > 0 && cgroup_fd >= 0) {
            char buf[32];
            int n = snprintf(buf, sizeof(buf), "%ld", pid);
            _cleanup_close_ int fd = openat(cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
            if (fd < 0 || write(fd, buf, (size_t)n) < 0)
                log_warning("move process %ld into its cgroup: %s", pid, strerror(errno));
        }
    }
    if (pid > 0 && !ret_pidfd && dummy >= 0)
        close(dummy);
    return (pid_t)pid;
}

/* ---- operations on an existing cgroup ------------------------------------------------------ */

int cgroup_freeze(const char *path, bool freeze, struct urun_error *err)
{
    struct timespec ts = {0, 1000 * 1000};
    int r = write_at(path, "cgroup.freeze", freeze ? "1" : "0");
    if (r == -ENOENT)
        return urun_error_set(err, 0, "cgroup %s has no cgroup.freeze (kernel before 5.2)", path);
    if (r < 0)
        return urun_error_set(err, -r, "write %s/cgroup.freeze", path);
    /* the freezer is asynchronous: wait for cgroup.events to confirm */
    for (int i = 0; i < 5000; i++) {
        long v = keyed_value(path, "cgroup.events", "frozen");
        if (v == (freeze ? 1 : 0) || v < 0)
            return 0;
        nanosleep(&ts, NULL);
    }
    return urun_error_set(err, ETIMEDOUT, "cgroup %s did not %s", path, freeze ? "freeze" : "thaw");
}

bool cgroup_frozen(const char *path)
{
    char buf[8];
    return read_small(path, "cgroup.freeze", buf, sizeof(buf)) > 0 && buf[0] == '1';
}

int cgroup_pids(const char *path, pid_t **ret, size_t *ret_n, struct urun_error *err)
{
    char file[4352];
    _cleanup_free_ char *buf = NULL;
    _cleanup_free_ pid_t *pids = NULL;
    size_t len = 0, n = 0, cap = 0;

    snprintf(file, sizeof(file), "%s/cgroup.procs", path);
    if (read_file_at(AT_FDCWD, file, 1 << 24, &buf, &len, err) < 0)
        return urun_error_wrap(err, -EIO, "container processes");
    for (char *p = buf, *e; *p; p = e) {
        long v = strtol(p, &e, 10);
        if (e == p)
            break;
        while (*e == '\n')
            e++;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            pids = xreallocarray(pids, cap, sizeof(*pids));
        }
        pids[n++] = (pid_t)v;
    }
    *ret = TAKE_PTR(pids);
    *ret_n = n;
    return 0;
}

int cgroup_signal_all(const char *path, int sig, struct urun_error *err)
{
    _cleanup_free_ pid_t *pids = NULL;
    size_t n = 0;
    int r;

    if (sig == SIGKILL && write_at(path, "cgroup.kill", "1") == 0)
        return 0;
    r = cgroup_pids(path, &pids, &n, err);
    if (r < 0)
        return r;
    for (size_t i = 0; i < n; i++)
        kill(pids[i], sig);
    return 0;
}
