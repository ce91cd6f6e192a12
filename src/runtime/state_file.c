/* Container state on disk (state.h), the files' contents: state.json and the process record, written
 * atomically and read back from regular files only; the start time that identifies a recorded process
 * (/proc/PID/stat); the OCI state documents, built from recorded data alone.  Never looks at cgroups
 * or the container's processes (status.h does). */
#include "base/cleanup.h"
#include "base/escape.h"
#include "base/id.h"
#include "base/json.h"
#include "base/util.h"
#include "runtime/state.h"
#include "spec/yamltree.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- writing state.json ----------------------------------------------------------------- */

static char *state_serialise(const struct urun_state *st, size_t *ret_len)
{
    struct json_writer w;

    json_init(&w, false);
    json_begin_object(&w);
    json_kv_string(&w, "id", st->id);
    json_kv_string(&w, "bundle", st->bundle);
    json_kv_string(&w, "rootfs", st->rootfs);
    json_kv_int(&w, "pid", st->pid);
    json_kv_uint(&w, "start_time", st->start_time);
    json_kv_string(&w, "created", st->created);
    json_kv_uint(&w, "owner", st->owner);
    if (st->owner_name)
        json_kv_string(&w, "owner_name", st->owner_name);
    json_key(&w, "annotations");
    json_begin_object(&w);
    for (size_t i = 0; i < st->n_annotations; i++)
        json_kv_string(&w, st->annotations[i].key, st->annotations[i].value);
    json_end_object(&w);
    json_kv_int(&w, "helper_pid", st->helper_pid);
    json_kv_uint(&w, "helper_start_time", st->helper_start_time);
    if (st->cgroup)
        json_kv_string(&w, "cgroup", st->cgroup);
    json_end_object(&w);
    return json_steal(&w, ret_len);
}

/* STATE_PROCS_FILE (state.h). */
static int procs_write(int dirfd, const struct urun_state *st, struct urun_error *err)
{
    char buf[128 + PATH_MAX];
    int n =
        snprintf(buf, sizeof(buf), "init %d %llu\nhelper %d %llu\n", (int)st->pid, (unsigned long long)st->start_time,
                 (int)st->helper_pid, (unsigned long long)st->helper_start_time);

    if (st->cgroup && st->cgroup[0] == '/' && !strchr(st->cgroup, '\n') && strlen(st->cgroup) < PATH_MAX)
        n += snprintf(buf + n, sizeof(buf) - (size_t)n, "cgroup %s\n", st->cgroup);
    return write_file_atomic_at(dirfd, STATE_PROCS_FILE, buf, (size_t)n, 0600, /* durable= */ false, err);
}

int state_write(int dirfd, const struct urun_state *st, struct urun_error *err)
{
    _cleanup_free_ char *doc = NULL;
    size_t len;
    int k;

    /* procs first, so that it exists whenever state.json does.  Neither is fsync'd (nor is runc's or
     * crun's state): the processes they name do not outlive a crash of the machine, the rename keeps
     * a reader from ever seeing half a file, and a state.json a crash left empty reads as status
     * "unknown", which `delete --force` removes.  The fsync cost every create ~0.3 ms. */
    k = procs_write(dirfd, st, err);
    if (k < 0)
        return k;
    doc = state_serialise(st, &len);
    if (!doc)
        return urun_error_set(err, EINVAL, "write " STATE_FILE ": build the document");
    return write_file_atomic_at(dirfd, STATE_FILE, doc, len, 0600, /* durable= */ false, err);
}

/* ---- reading state.json ----------------------------------------------------------------- */

/* The path of the directory behind dirfd, for messages only (the name the kernel keeps for it). */
static void dir_path(int dirfd, char *buf, size_t size)
{
    char link[64];
    ssize_t n;

    snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
    n = readlink(link, buf, size - 1);
    if (n <= 0) {
        snprintf(buf, size, "?");
        return;
    }
    buf[n] = '\0';
}

/* err's message, which starts with a file's name in dirfd, made to start with its whole path. */
static int in_dir(int dirfd, int k, struct urun_error *err)
{
    char dir[PATH_MAX], joined[URUN_ERROR_MSG_MAX];

    if (!err)
        return k;
    dir_path(dirfd, dir, sizeof(dir));
    snprintf(joined, sizeof(joined), "%s/%s", dir, err->msg);
    memcpy(err->msg, joined, sizeof(err->msg));
    return k;
}

/* Optional string field: absent or null leaves *ret NULL. */
static int read_str(const struct ynode *root, const char *key, char **ret, struct urun_error *err)
{
    const struct ynode *n = ynode_get(root, key);
    const char *s;
    int k;

    if (!n || ynode_is_null(n))
        return 0;
    k = ynode_string(n, key, &s, err);
    if (k < 0)
        return k;
    *ret = xstrdup(s);
    return 0;
}

static int read_u64(const struct ynode *root, const char *key, uint64_t *ret, struct urun_error *err)
{
    const struct ynode *n = ynode_get(root, key);

    return n ? ynode_u64(n, key, ret, err) : 0;
}

static int read_pid(const struct ynode *root, const char *key, pid_t *ret, struct urun_error *err)
{
    const struct ynode *n = ynode_get(root, key);
    int64_t v = 0;
    int k;

    if (!n)
        return 0;
    k = ynode_i64(n, key, &v, err);
    if (k < 0)
        return k;
    if (v < 0 || v > INT_MAX)
        return urun_error_set(err, 0, "%s: %lld is not a pid", key, (long long)v);
    *ret = (pid_t)v;
    return 0;
}

static int read_annotations(const struct ynode *root, struct urun_state *st, struct urun_error *err)
{
    const struct ynode *n = ynode_get(root, "annotations");

    if (!n || ynode_is_null(n))
        return 0;
    if (n->kind != YNODE_MAP)
        return urun_error_set(err, 0, "annotations: expected an object");
    if (n->n == 0)
        return 0;
    st->annotations = xcalloc(n->n, sizeof(*st->annotations));
    for (size_t i = 0; i < n->n; i++) {
        struct spec_kv *kv = &st->annotations[st->n_annotations];
        char path[128], key[100];
        const char *v;
        int k;

        /* a key from a tampered file may reach a terminal in the message: escaped */
        escape_text(n->pairs[i].key, strlen(n->pairs[i].key), key, sizeof(key));
        snprintf(path, sizeof(path), "annotations.%s", key);
        k = ynode_string(n->pairs[i].value, path, &v, err);
        if (k < 0)
            return k;
        kv->key = xstrdup(n->pairs[i].key);
        kv->value = xstrdup(v);
        st->n_annotations++;
    }
    return 0;
}

static int read_strings(const struct ynode *root, struct urun_state *st, struct urun_error *err)
{
    int k = read_str(root, "id", &st->id, err);

    if (k >= 0 && !st->id)
        k = urun_error_set(err, 0, "id: expected a string");
    if (k >= 0)
        k = read_str(root, "bundle", &st->bundle, err);
    if (k >= 0)
        k = read_str(root, "rootfs", &st->rootfs, err);
    if (k >= 0)
        k = read_str(root, "created", &st->created, err);
    if (k >= 0)
        k = read_str(root, "cgroup", &st->cgroup, err);
    if (k >= 0)
        k = read_str(root, "owner_name", &st->owner_name, err);
    return k;
}

static int read_numbers(const struct ynode *root, struct urun_state *st, struct urun_error *err)
{
    const struct ynode *owner = ynode_get(root, "owner");
    uint32_t uid = 0;
    int k = read_pid(root, "pid", &st->pid, err);

    if (k >= 0)
        k = read_u64(root, "start_time", &st->start_time, err);
    if (k >= 0 && owner)
        k = ynode_u32(owner, "owner", &uid, err);
    if (k >= 0)
        k = read_pid(root, "helper_pid", &st->helper_pid, err);
    if (k >= 0)
        k = read_u64(root, "helper_start_time", &st->helper_start_time, err);
    st->owner = (uid_t)uid;
    return k;
}

static int state_from_tree(const struct ynode *root, struct urun_state *st, struct urun_error *err)
{
    int k;

    if (root->kind != YNODE_MAP)
        return urun_error_set(err, 0, "expected an object");
    if (!ynode_get(root, "id") || !ynode_get(root, "pid"))
        return urun_error_set(err, 0, "missing \"%s\"", ynode_get(root, "id") ? "pid" : "id");
    k = read_strings(root, st, err);
    if (k >= 0)
        k = read_numbers(root, st, err);
    if (k >= 0)
        k = read_annotations(root, st, err);
    /* a state.json of an older urun has no owner_name: its uid stands in (no lookup after create) */
    if (k >= 0 && !st->owner_name)
        st->owner_name = xasprintf("%u", (unsigned)st->owner);
    return k;
}

int state_read(int dirfd, struct urun_state **ret, struct urun_error *err)
{
    _cleanup_(state_freep) struct urun_state *st = NULL;
    _cleanup_(ytree_freep) struct ynode *root = NULL;
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    int k;

    k = read_regular_file_at(dirfd, STATE_FILE, STATE_MAX_BYTES, &buf, &len, err);
    if (k == -ENOENT)
        return urun_error_set(err, ENOENT, "container is still being created");
    if (k < 0)
        return in_dir(dirfd, k, err);
    st = xcalloc(1, sizeof(*st));
    k = ytree_parse(buf, len, &root, err);
    if (k >= 0)
        k = state_from_tree(root, st, err);
    if (k < 0)
        return in_dir(dirfd, urun_error_wrap(err, k, STATE_FILE), err);
    *ret = TAKE_PTR(st);
    return 0;
}

void state_free(struct urun_state *st)
{
    if (!st)
        return;
    free(st->id);
    free(st->bundle);
    free(st->rootfs);
    free(st->created);
    free(st->owner_name);
    free(st->cgroup);
    for (size_t i = 0; i < st->n_annotations; i++) {
        free(st->annotations[i].key);
        free(st->annotations[i].value);
    }
    free(st->annotations);
    free(st);
}

/* ---- the start time of a recorded process --------------------------------------------- */

/* /proc/PID/stat: comm is at most 64 bytes, the 50-odd numbers at most 20 digits each. */
#define PROC_STAT_MAX_BYTES 4096

/* Digits only, no sign, no overflow. */
static int parse_u64(const char *s, size_t len, uint64_t *ret)
{
    uint64_t v = 0;

    if (len == 0)
        return -EINVAL;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
            return -EINVAL;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *ret = v;
    return 0;
}

int proc_stat_parse(const char *line, char *ret_state, uint64_t *ret_start_time)
{
    /* "pid (comm) S f4 ... f22 ...": comm may hold spaces and ')', so it ends at the LAST ')'. */
    const char *open = strchr(line, '('), *p = strrchr(line, ')');
    uint64_t start = 0;
    char state;

    if (!open || !p || p < open || p[1] != ' ' || !p[2] || (p[3] != ' ' && p[3] != '\0'))
        return -EINVAL;
    state = p[2];
    if (!((state >= 'A' && state <= 'Z') || (state >= 'a' && state <= 'z')))
        return -EINVAL;
    p += 3;
    for (int field = 4; field <= 22; field++) {
        const char *tok;

        if (*p != ' ')
            return -EINVAL;
        tok = ++p;
        while (*p && *p != ' ' && *p != '\n')
            p++;
        if (p == tok)
            return -EINVAL;
        if (field == 22 && parse_u64(tok, (size_t)(p - tok), &start) < 0)
            return -EINVAL;
    }
    *ret_state = state;
    *ret_start_time = start;
    return 0;
}

int proc_stat_read(pid_t pid, char *ret_state, uint64_t *ret_start_time)
{
    _cleanup_free_ char *buf = NULL;
    char path[64];
    int k;

    if (pid <= 0)
        return -ESRCH;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    k = read_file_at(AT_FDCWD, path, PROC_STAT_MAX_BYTES, &buf, NULL, NULL);
    if (k == -ENOENT || k == -ESRCH)
        return -ESRCH;
    if (k < 0)
        return k;
    return proc_stat_parse(buf, ret_state, ret_start_time);
}

/* ---- the process record ------------------------------------------------------------------ */

/* "<key> <number> <number>\n" at *p; advances *p past it. */
static int procs_line(const char **p, const char *end, const char *key, pid_t *ret_pid, uint64_t *ret_start)
{
    size_t klen = strlen(key);
    const char *s = *p, *sp, *nl;
    uint64_t pid, start;

    if ((size_t)(end - s) <= klen || memcmp(s, key, klen) != 0 || s[klen] != ' ')
        return -EINVAL;
    s += klen + 1;
    nl = memchr(s, '\n', (size_t)(end - s));
    sp = nl ? memchr(s, ' ', (size_t)(nl - s)) : NULL;
    if (!sp || parse_u64(s, (size_t)(sp - s), &pid) < 0 || pid > INT_MAX ||
        parse_u64(sp + 1, (size_t)(nl - sp - 1), &start) < 0)
        return -EINVAL;
    *ret_pid = (pid_t)pid;
    *ret_start = start;
    *p = nl + 1;
    return 0;
}

int state_procs_parse(const char *buf, size_t len, struct state_procs *ret)
{
    const char *p = buf, *end = buf + len, *nl;
    struct state_procs r = {0};
    size_t n;

    if (procs_line(&p, end, "init", &r.pid, &r.start_time) < 0 ||
        procs_line(&p, end, "helper", &r.helper_pid, &r.helper_start_time) < 0)
        return -EINVAL;
    if (p < end) {
        /* "cgroup /absolute/path\n", the last line */
        nl = memchr(p, '\n', (size_t)(end - p));
        if ((size_t)(end - p) < 8 || memcmp(p, "cgroup /", 8) != 0 || !nl || nl + 1 != end)
            return -EINVAL;
        n = (size_t)(nl - p) - 7;
        if (n >= sizeof(r.cgroup) || memchr(p + 7, '\0', n))
            return -EINVAL;
        memcpy(r.cgroup, p + 7, n);
        r.cgroup[n] = '\0';
    }
    *ret = r;
    return 0;
}

int state_procs_read(int dirfd, struct state_procs *ret, struct urun_error *err)
{
    _cleanup_free_ char *buf = NULL;
    size_t len;
    int k = read_regular_file_at(dirfd, STATE_PROCS_FILE, STATE_PROCS_MAX_BYTES, &buf, &len, err);

    if (k < 0)
        return k;
    if (state_procs_parse(buf, len, ret) < 0)
        return urun_error_set(err, 0, STATE_PROCS_FILE ": not in the format urun writes");
    return 0;
}

const char *urun_status_name(enum urun_status s)
{
    switch (s) {
    case URUN_STATUS_CREATING:
        return "creating";
    case URUN_STATUS_CREATED:
        return "created";
    case URUN_STATUS_RUNNING:
        return "running";
    case URUN_STATUS_STOPPED:
        return "stopped";
    case URUN_STATUS_PAUSED:
        return "paused";
    case URUN_STATUS_UNKNOWN:
        return "unknown";
    }
    return "unknown";
}

/* ---- the OCI state document -------------------------------------------------------------- */

void state_owner_name(uid_t uid, char out[STATE_OWNER_NAME_MAX])
{
    if (!user_name_of(uid, out, STATE_OWNER_NAME_MAX))
        snprintf(out, STATE_OWNER_NAME_MAX, "%u", (unsigned)uid);
}

char *state_to_json(const struct urun_state *st, enum urun_status status, bool pretty)
{
    struct json_writer w;
    char owner[16];

    /* a state.json from before owner_name was recorded: the uid, never a lookup here */
    snprintf(owner, sizeof(owner), "%u", (unsigned)st->owner);
    json_init(&w, pretty);
    json_begin_object(&w);
    json_kv_string(&w, "ociVersion", STATE_OCI_VERSION);
    json_kv_string(&w, "id", st->id);
    json_kv_int(&w, "pid", status == URUN_STATUS_STOPPED ? 0 : st->pid);
    json_kv_string(&w, "status", urun_status_name(status));
    json_kv_string(&w, "bundle", st->bundle);
    json_kv_string(&w, "rootfs", st->rootfs);
    json_kv_string(&w, "created", st->created);
    json_kv_string(&w, "owner", st->owner_name ? st->owner_name : owner);
    json_key(&w, "annotations");
    json_begin_object(&w);
    for (size_t i = 0; i < st->n_annotations; i++)
        json_kv_string(&w, st->annotations[i].key, st->annotations[i].value);
    json_end_object(&w);
    json_end_object(&w);
    return json_steal(&w, NULL);
}

char *state_unknown_to_json(const char *id, pid_t pid, const char *reason, bool pretty)
{
    struct json_writer w;

    json_init(&w, pretty);
    json_begin_object(&w);
    json_kv_string(&w, "ociVersion", STATE_OCI_VERSION);
    json_kv_string(&w, "id", id);
    json_kv_int(&w, "pid", pid);
    json_kv_string(&w, "status", urun_status_name(URUN_STATUS_UNKNOWN));
    json_kv_string(&w, "bundle", "");
    json_kv_string(&w, "error", reason);
    json_end_object(&w);
    return json_steal(&w, NULL);
}
