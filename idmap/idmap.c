/* Implementation of idmap.h.  This module decides and writes maps; it never reads or changes the
 * container's filesystem, and it runs the helpers with an argv array, never through a shell. */
#include "idmap/idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"

void idmap_format(const struct idmap_range *r, size_t n, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%u %u %u\n", r[i].container_id, r[i].host_id, r[i].size);
}

bool idmap_maps(const struct idmap_range *r, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (id >= r[i].container_id && (uint64_t)id < (uint64_t)r[i].container_id + r[i].size)
            return true;
    return false;
}

static void find_helper(const char *name, char *out, size_t size)
{
    static const char *const dirs[] = {"/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"};
    out[0] = '\0';
    for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
        snprintf(out, size, "%s/%s", dirs[i], name);
        if (access(out, X_OK) == 0)
            return;
    }
    out[0] = '\0';
}

int idmap_parse_proc(const char *text, struct idmap_range *out, size_t max, size_t *ret_n)
{
    size_t n = 0;
    for (const char *p = text; *p;) {
        unsigned long long in, host, count;
        int used = 0;
        while (*p == ' ' || *p == '\n')
            p++;
        if (!*p)
            break;
        if (sscanf(p, "%llu %llu %llu%n", &in, &host, &count, &used) != 3 || n >= max || in > UINT32_MAX ||
            host > UINT32_MAX || count == 0 || count > UINT32_MAX)
            return -EINVAL;
        out[n++] = (struct idmap_range){(uint32_t)in, (uint32_t)host, (uint32_t)count};
        p += used;
    }
    *ret_n = n;
    return 0;
}

bool idmap_is_initial(const struct idmap_range *r, size_t n)
{
    return n == 1 && r[0].container_id == 0 && r[0].host_id == 0 && r[0].size == UINT32_MAX;
}

static int load_own_namespace(struct idmap_user *u, struct urun_error *err)
{
    static const char *const files[] = {"/proc/self/uid_map", "/proc/self/gid_map"};
    struct idmap_range *out[] = {u->ns_uid, u->ns_gid};
    size_t *n[] = {&u->n_ns_uid, &u->n_ns_gid};

    for (int i = 0; i < 2; i++) {
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r = read_file_at(AT_FDCWD, files[i], 65536, &buf, &len, err);
        if (r < 0)
            return r;
        if (idmap_parse_proc(buf, out[i], IDMAP_MAX_LINES, n[i]) < 0)
            return urun_error_set(err, 0, "%s: cannot parse", files[i]);
    }
    u->nested = !idmap_is_initial(u->ns_uid, u->n_ns_uid);
    return 0;
}

/* Why the setuid helpers could not raise their privileges, or "" (checked before anything is made:
 * a half-written map cannot be redone). */
static void helpers_blocked(const struct idmap_user *u, char *buf, size_t size)
{
    const char *helpers[] = {u->newuidmap, u->newgidmap};
    struct statvfs sv;
    struct stat st;
    char cap[64];

    buf[0] = '\0';
    if (u->uid == 0)
        return;
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1) {
        snprintf(buf, size, "urun runs with no_new_privs set, so the setuid newuidmap/newgidmap cannot act");
        return;
    }
    for (size_t i = 0; i < 2; i++) {
        if (statvfs(helpers[i], &sv) == 0 && (sv.f_flag & ST_NOSUID)) {
            snprintf(buf, size, "%s is on a nosuid mount, so it cannot act", helpers[i]);
            return;
        }
        if (stat(helpers[i], &st) == 0 && !(st.st_mode & S_ISUID) &&
            getxattr(helpers[i], "security.capability", cap, sizeof(cap)) < 0) {
            snprintf(buf, size, "%s is neither setuid nor has file capabilities, so it cannot act", helpers[i]);
            return;
        }
    }
}

/* A range for the suggested /etc/subuid and /etc/subgid line that no existing entry overlaps. */
static uint32_t suggest_start(const struct idmap_user *u)
{
    _cleanup_free_ char *a = NULL, *b = NULL;
    if (read_file_at(AT_FDCWD, u->subuid_path, 4u << 20, &a, NULL, NULL) < 0)
        a = NULL;
    if (read_file_at(AT_FDCWD, u->subgid_path, 4u << 20, &b, NULL, NULL) < 0)
        b = NULL;
    uint32_t s1 = subid_free_start(a, 100000, 65536), s2 = subid_free_start(b, 100000, 65536);
    return s1 > s2 ? s1 : s2;
}

int idmap_user_load(struct idmap_user *u, struct urun_error *err)
{
    int r;

    memset(u, 0, sizeof(*u));
    u->uid = geteuid();
    u->gid = getegid();
    if (!user_name_of(u->uid, u->name, sizeof(u->name)))
        snprintf(u->name, sizeof(u->name), "%u", (unsigned)u->uid);
    u->subuid_path = secure_getenv("URUN_SUBUID_FILE");
    u->subgid_path = secure_getenv("URUN_SUBGID_FILE");
    if (!u->subuid_path)
        u->subuid_path = "/etc/subuid";
    if (!u->subgid_path)
        u->subgid_path = "/etc/subgid";
    r = subid_read(u->subuid_path, u->name, u->uid, &u->subuid, err);
    if (r >= 0)
        r = subid_read(u->subgid_path, u->name, u->uid, &u->subgid, err);
    if (r < 0)
        return r;
    find_helper("newuidmap", u->newuidmap, sizeof(u->newuidmap));
    find_helper("newgidmap", u->newgidmap, sizeof(u->newgidmap));
    if (u->newuidmap[0] && u->newgidmap[0])
        helpers_blocked(u, u->helpers_blocked, sizeof(u->helpers_blocked));
    if (u->subuid.n == 0 || u->subgid.n == 0)
        u->suggest_start = suggest_start(u);
    return load_own_namespace(u, err);
}

void idmap_plan_own(const struct idmap_user *u, struct idmap *ret)
{
    memset(ret, 0, sizeof(*ret));
    ret->uid[0] = (struct idmap_range){0, u->uid, 1};
    ret->gid[0] = (struct idmap_range){0, u->gid, 1};
    ret->n_uid = ret->n_gid = 1;
}

/* container 0 -> own, then the subordinate ranges back to back from container ID 1. */
static void plan_default_one(uint32_t own, const struct subid_ranges *s, struct idmap_range *out, size_t *ret_n)
{
    uint64_t next = 1;
    size_t n = 0;
    out[n++] = (struct idmap_range){0, own, 1};
    for (size_t i = 0; i < s->n && n < IDMAP_MAX_LINES; i++) {
        uint64_t size = s->r[i].count;
        if (next > UINT32_MAX)
            break;
        if (next + size - 1 > UINT32_MAX)
            size = (uint64_t)UINT32_MAX - next + 1;
        out[n++] = (struct idmap_range){(uint32_t)next, s->r[i].start, (uint32_t)size};
        next += size;
    }
    *ret_n = n;
}

static bool only_own(const struct idmap_range *r, size_t n, uint32_t own)
{
    return n == 1 && r[0].size == 1 && r[0].host_id == own;
}

/* Each host range must be the caller's own ID or lie inside one delegated range. */
static int check_delegated(const struct idmap_range *m, size_t n, uint32_t own, const struct subid_ranges *s,
                           const char *field, const char *user, const char *file, struct urun_error *err)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t first = m[i].host_id, last = first + m[i].size - 1;
        bool ok = m[i].size == 1 && first == own;
        for (size_t k = 0; !ok && k < s->n; k++)
            ok = first >= s->r[k].start && last <= (uint64_t)s->r[k].start + s->r[k].count - 1;
        if (!ok)
            return urun_error_set(err, 0, "linux.%s[%zu]: host IDs %llu-%llu are not delegated to %s in %s", field, i,
                                  (unsigned long long)first, (unsigned long long)last, user, file);
    }
    return 0;
}

/* As root of a nested user namespace: each host range must exist in it (be inside its own map). */
static int check_in_namespace(const struct idmap_range *m, size_t n, const struct idmap_range *ns, size_t n_ns,
                              const char *field, struct urun_error *err)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t first = m[i].host_id, last = first + m[i].size - 1, cur = first;
        /* covered by the namespace's ranges together (they are often adjacent: 0, then 1..65536) */
        for (bool found = true; found && cur <= last;) {
            found = false;
            for (size_t k = 0; k < n_ns && !found; k++)
                if (cur >= ns[k].container_id && cur <= (uint64_t)ns[k].container_id + ns[k].size - 1) {
                    cur = (uint64_t)ns[k].container_id + ns[k].size;
                    found = true;
                }
        }
        if (cur <= last)
            return urun_error_set(err, 0,
                                  "linux.%s[%zu]: host IDs %llu-%llu do not exist in the user namespace urun "
                                  "runs in (see /proc/self/%s_map)",
                                  field, i, (unsigned long long)first, (unsigned long long)last,
                                  field[0] == 'u' ? "uid" : "gid");
    }
    return 0;
}

/* Every ID of a nested user namespace, mapped to itself. */
static void plan_identity(const struct idmap_range *ns, size_t n, struct idmap_range *out, size_t *ret_n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (struct idmap_range){ns[i].container_id, ns[i].container_id, ns[i].size};
    *ret_n = n;
}

static int plan_explicit(const struct idmap_request *lx, const struct idmap_user *u, struct idmap *ret,
                         struct urun_error *err)
{
    int r;

    if (lx->n_uid_mappings == 0 || lx->n_gid_mappings == 0)
        return urun_error_set(err, 0, "linux.%s: required when linux.%s is given",
                              lx->n_uid_mappings ? "gidMappings" : "uidMappings",
                              lx->n_uid_mappings ? "uidMappings" : "gidMappings");
    if (lx->n_uid_mappings > IDMAP_MAX_LINES || lx->n_gid_mappings > IDMAP_MAX_LINES)
        return urun_error_set(err, 0, "linux.uidMappings/gidMappings: at most %d ranges each", IDMAP_MAX_LINES);
    memcpy(ret->uid, lx->uid_mappings, lx->n_uid_mappings * sizeof(ret->uid[0]));
    memcpy(ret->gid, lx->gid_mappings, lx->n_gid_mappings * sizeof(ret->gid[0]));
    ret->n_uid = lx->n_uid_mappings;
    ret->n_gid = lx->n_gid_mappings;
    if (u->uid == 0 && u->nested) {
        r = check_in_namespace(lx->uid_mappings, lx->n_uid_mappings, u->ns_uid, u->n_ns_uid, "uidMappings", err);
        if (r >= 0)
            r = check_in_namespace(lx->gid_mappings, lx->n_gid_mappings, u->ns_gid, u->n_ns_gid, "gidMappings", err);
        return r;
    }
    if (u->uid == 0)
        return 0; /* real root may write any map */
    r = check_delegated(lx->uid_mappings, lx->n_uid_mappings, u->uid, &u->subuid, "uidMappings", u->name,
                        u->subuid_path, err);
    if (r >= 0)
        r = check_delegated(lx->gid_mappings, lx->n_gid_mappings, u->gid, &u->subgid, "gidMappings", u->name,
                            u->subgid_path, err);
    if (r < 0)
        return r;
    if ((!only_own(ret->uid, ret->n_uid, u->uid) && !u->newuidmap[0]) ||
        (!only_own(ret->gid, ret->n_gid, u->gid) && !u->newgidmap[0]))
        return urun_error_set(err, 0,
                              "linux.uidMappings/gidMappings: mapping subordinate IDs needs newuidmap and "
                              "newgidmap, which are not installed (Debian package: uidmap)");
    if (u->helpers_blocked[0] && (!only_own(ret->uid, ret->n_uid, u->uid) || !only_own(ret->gid, ret->n_gid, u->gid)))
        return urun_error_set(err, 0,
                              "linux.uidMappings/gidMappings: mapping subordinate IDs needs newuidmap and "
                              "newgidmap, but %s",
                              u->helpers_blocked);
    return 0;
}

int idmap_plan(const struct idmap_request *lx, const struct idmap_user *u, struct idmap *ret, char *ret_warning,
               size_t warning_size, struct urun_error *err)
{
    memset(ret, 0, sizeof(*ret));
    ret_warning[0] = '\0';
    if (lx && (lx->n_uid_mappings || lx->n_gid_mappings))
        return plan_explicit(lx, u, ret, err);
    if (u->uid == 0 && u->nested) {
        /* root of someone else's user namespace: everything that namespace has */
        plan_identity(u->ns_uid, u->n_ns_uid, ret->uid, &ret->n_uid);
        plan_identity(u->ns_gid, u->n_ns_gid, ret->gid, &ret->n_gid);
        return 0;
    }
    if (u->uid != 0 && (!u->newuidmap[0] || !u->newgidmap[0])) {
        snprintf(ret_warning, warning_size,
                 "newuidmap/newgidmap are not installed (Debian package: uidmap): "
                 "mapping only your own ID into the container");
        idmap_plan_own(u, ret);
        return 0;
    }
    if (u->uid != 0 && (u->subuid.n == 0 || u->subgid.n == 0)) {
        snprintf(ret_warning, warning_size,
                 "no subordinate IDs for %s in %s: mapping only your own ID into the "
                 "container (an administrator can add a line \"%s:%u:65536\" to /etc/subuid and /etc/subgid)",
                 u->name, u->subuid.n == 0 ? u->subuid_path : u->subgid_path, u->name, (unsigned)u->suggest_start);
        idmap_plan_own(u, ret);
        return 0;
    }
    if (u->helpers_blocked[0]) {
        snprintf(ret_warning, warning_size, "%s: mapping only your own ID into the container", u->helpers_blocked);
        idmap_plan_own(u, ret);
        return 0;
    }
    plan_default_one(u->uid, &u->subuid, ret->uid, &ret->n_uid);
    plan_default_one(u->gid, &u->subgid, ret->gid, &ret->n_gid);
    return 0;
}

static int write_proc(pid_t pid, const char *file, const char *data, struct urun_error *err)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
    return write_file_str(path, data, err);
}

/* A running newuidmap/newgidmap: its pid and the read end of its output. */
struct helper_run {
    const char *helper;
    pid_t pid;
    int out;
};

/* Start newuidmap/newgidmap PID C H S ... with an argv array and no environment (it is setuid), its
 * stdout and stderr into a pipe.  posix_spawn: vfork-style, no copy of urun's page tables. */
static int spawn_helper(const char *helper, pid_t pid, const struct idmap_range *r, size_t n, struct helper_run *ret,
                        struct urun_error *err)
{
    char *argv[2 + 3 * IDMAP_MAX_LINES + 1];
    static char nums[2][1 + 3 * IDMAP_MAX_LINES][12]; /* two helpers may run at once */
    static int slot;
    char(*num)[12] = nums[slot++ & 1];
    posix_spawn_file_actions_t fa;
    int pipefd[2], k = 0, e;

    snprintf(num[0], sizeof(num[0]), "%d", (int)pid);
    argv[k++] = (char *)helper;
    argv[k++] = num[0];
    for (size_t i = 0; i < n; i++) {
        uint32_t v[3] = {r[i].container_id, r[i].host_id, r[i].size};
        for (int j = 0; j < 3; j++) {
            snprintf(num[1 + 3 * i + j], sizeof(num[0]), "%u", v[j]);
            argv[k++] = num[1 + 3 * i + j];
        }
    }
    argv[k] = NULL;
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return urun_error_errno(err, "run %s: pipe", helper);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
    e = posix_spawn(&ret->pid, helper, &fa, NULL, argv, (char *[]){NULL});
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    if (e != 0) {
        close(pipefd[0]);
        return urun_error_set(err, e, "run %s", helper);
    }
    ret->helper = helper;
    ret->out = pipefd[0];
    return 0;
}

/* Collect a helper: its exit status, and its output in the error when it failed. */
static int wait_helper(struct helper_run *h, struct urun_error *err)
{
    char out[1024];
    size_t len = 0;
    int status;

    for (ssize_t got; len < sizeof(out) - 1 && (got = read(h->out, out + len, sizeof(out) - 1 - len)) != 0;) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            break;
        len += (size_t)got;
    }
    close(h->out);
    out[len] = '\0';
    while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
        out[--len] = '\0';
    for (char *p = out; *p; p++)
        if (*p == '\n')
            *p = ' ';
    while (waitpid(h->pid, &status, 0) < 0)
        if (errno != EINTR)
            return urun_error_errno(err, "run %s: wait", h->helper);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return urun_error_set(err, 0, "%s failed (exit status %d)%s%s", h->helper,
                              WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), len ? ": " : "", out);
    return 0;
}

int idmap_write(pid_t pid, const struct idmap *m, const struct idmap_user *u, struct urun_error *err)
{
    char buf[IDMAP_MAX_LINES * 36];
    bool own_uid = u->uid == 0 || only_own(m->uid, m->n_uid, u->uid);
    bool own_gid = u->uid == 0 || only_own(m->gid, m->n_gid, u->gid);
    int r;

    struct helper_run hu = {.pid = -1}, hg = {.pid = -1};
    struct urun_error gerr;

    /* The two helpers are independent: start both, then collect both (start-up is a feature). */
    if (!own_uid && (r = spawn_helper(u->newuidmap, pid, m->uid, m->n_uid, &hu, err)) < 0)
        return urun_error_wrap(err, r, "write uid map");
    if (!own_gid && (r = spawn_helper(u->newgidmap, pid, m->gid, m->n_gid, &hg, &gerr)) < 0) {
        if (hu.pid > 0)
            wait_helper(&hu, err);
        *err = gerr;
        return urun_error_wrap(err, r, "write gid map");
    }
    if (own_uid) {
        idmap_format(m->uid, m->n_uid, buf, sizeof(buf));
        r = write_proc(pid, "uid_map", buf, err);
    } else {
        r = wait_helper(&hu, err);
    }
    int rg;
    if (own_gid) {
        /* An unprivileged gid_map write needs setgroups denied first (user_namespaces(7)). */
        rg = u->uid != 0 ? write_proc(pid, "setgroups", "deny", &gerr) : 0;
        if (rg >= 0) {
            idmap_format(m->gid, m->n_gid, buf, sizeof(buf));
            rg = write_proc(pid, "gid_map", buf, &gerr);
        }
    } else {
        rg = wait_helper(&hg, &gerr);
    }
    if (r < 0)
        return urun_error_wrap(err, r, "write uid map");
    if (rg < 0) {
        *err = gerr;
        return urun_error_wrap(err, rg, "write gid map");
    }
    return 0;
}

int idmap_check_user(const struct idmap_ids *u, const struct idmap *m, struct urun_error *err)
{
    if (!idmap_maps(m->uid, m->n_uid, u->uid))
        return urun_error_set(err, 0,
                              "process.user.uid: %u is not mapped in the container's user namespace "
                              "(see linux.uidMappings and /etc/subuid)",
                              u->uid);
    if (!idmap_maps(m->gid, m->n_gid, u->gid))
        return urun_error_set(err, 0,
                              "process.user.gid: %u is not mapped in the container's user namespace "
                              "(see linux.gidMappings and /etc/subgid)",
                              u->gid);
    for (size_t i = 0; i < u->n_additional_gids; i++)
        if (!idmap_maps(m->gid, m->n_gid, u->additional_gids[i]))
            return urun_error_set(err, 0,
                                  "process.user.additionalGids[%zu]: %u is not mapped in the container's "
                                  "user namespace",
                                  i, u->additional_gids[i]);
    if (u->n_additional_gids && m->n_gid == 1 && m->gid[0].size == 1 && geteuid() != 0)
        return urun_error_set(err, 0,
                              "process.user.additionalGids: with only your own GID mapped the kernel "
                              "denies setgroups; map subordinate GIDs (/etc/subgid) to use additional groups");
    return 0;
}

static long read_sysctl(const char *path)
{
    _cleanup_free_ char *text = NULL;
    if (read_file_at(AT_FDCWD, path, 64, &text, NULL, NULL) < 0)
        return -1;
    return strtol(text, NULL, 10);
}

void idmap_userns_facts_read(struct idmap_userns_facts *ret)
{
    _cleanup_free_ char *mi = NULL;
    ret->max_user_namespaces = read_sysctl("/proc/sys/user/max_user_namespaces");
    ret->unprivileged_userns_clone = read_sysctl("/proc/sys/kernel/unprivileged_userns_clone");
    ret->apparmor_restrict = read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
    ret->chrooted = false;
    /* mountinfo shows mount points relative to our root: in a chroot none of them is "/" */
    if (read_file_at(AT_FDCWD, "/proc/self/mountinfo", 4u << 20, &mi, NULL, NULL) >= 0) {
        bool root_seen = false;
        for (const char *l = mi; l && *l && !root_seen;) {
            const char *f = l;
            for (int i = 0; i < 4 && f; i++) {
                f = strchr(f, ' ');
                f = f ? f + 1 : NULL;
            }
            root_seen = f && f[0] == '/' && f[1] == ' ';
            l = strchr(l, '\n');
            l = l ? l + 1 : NULL;
        }
        ret->chrooted = !root_seen;
    }
}

void idmap_userns_advice(const struct idmap_userns_facts *f, char *buf, size_t size)
{
    buf[0] = '\0';
    if (f->max_user_namespaces == 0)
        snprintf(buf, size,
                 "user.max_user_namespaces is 0: an administrator raises it (sysctl -w "
                 "user.max_user_namespaces=15000, and in /etc/sysctl.d to keep it)");
    else if (f->unprivileged_userns_clone == 0)
        snprintf(buf, size,
                 "kernel.unprivileged_userns_clone is 0: an administrator sets it to 1 (sysctl -w "
                 "kernel.unprivileged_userns_clone=1, and in /etc/sysctl.d to keep it)");
    else if (f->apparmor_restrict == 1)
        snprintf(buf, size,
                 "AppArmor restricts unprivileged user namespaces "
                 "(kernel.apparmor_restrict_unprivileged_userns is 1): an administrator gives urun an AppArmor "
                 "profile that allows \"userns,\", or sets the sysctl to 0");
    else if (f->chrooted)
        snprintf(buf, size,
                 "urun runs in a chroot, where the kernel allows no new user namespace: run it outside "
                 "the chroot");
}
