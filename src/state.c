/* Container state on disk (state.h): the state root and its safety checks, one flock()ed
 * directory per container, state.json written atomically and read back, and the live status
 * derived from /proc/PID/stat.  Never signals, enters or otherwise touches a container process,
 * and never prints or logs. */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "id.h"
#include "json.h"
#include "yamltree.h"

#define STATE_TMP_FILE STATE_FILE ".tmp"
#define STATE_MAX_BYTES (1u << 20)

#define DIR_OPEN_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

static void closedirp(DIR **d)
{
    if (*d)
        closedir(*d);
}
#define _cleanup_closedir_ _cleanup_(closedirp)

/* A DIR stream over dirfd with its own file offset; dirfd itself stays open and untouched. */
static DIR *opendir_at(int dirfd)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d;

    if (fd < 0)
        return NULL;
    d = fdopendir(fd);
    if (!d)
        closep(&fd);
    return d;
}

static bool entry_is_dir(int dirfd, const struct dirent *de)
{
    struct stat st;

    if (de->d_type != DT_UNKNOWN)
        return de->d_type == DT_DIR;
    return fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

static bool is_dot_or_dotdot(const char *name)
{
    return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* ---- the state root ---------------------------------------------------------------------- */

/* --root as an absolute path without trailing slashes. */
static int root_path_absolute(const char *opt_root, char **ret, struct urun_error *err)
{
    _cleanup_free_ char *cwd = NULL;
    char *p;
    size_t n;

    if (opt_root[0] == '/') {
        p = strdup(opt_root);
    } else {
        cwd = getcwd(NULL, 0);
        if (!cwd)
            return urun_error_errno(err, "state root %s: get current directory", opt_root);
        if (asprintf(&p, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, opt_root) < 0)
            p = NULL;
    }
    if (!p)
        return urun_error_set(err, ENOMEM, "state root %s", opt_root);
    for (n = strlen(p); n > 1 && p[n - 1] == '/'; n--)
        p[n - 1] = '\0';
    *ret = p;
    return 0;
}

/* mkdir -p with mode 0700 for every directory created.  *ret_created: the last one was made here. */
static int mkdir_parents(const char *path, bool *ret_created, struct urun_error *err)
{
    _cleanup_free_ char *p = strdup(path);

    if (!p)
        return urun_error_set(err, ENOMEM, "state root %s", path);
    for (char *s = p + 1;; s++) {
        bool last = *s == '\0';

        if (*s != '/' && !last)
            continue;
        *s = '\0';
        if (mkdir(p, 0700) == 0)
            *ret_created = last;
        else if (errno != EEXIST)
            return urun_error_errno(err, "state root %s: create %s", path, p);
        if (last)
            return 0;
        *s = '/';
    }
}

/* $XDG_RUNTIME_DIR is only trusted when it is an absolute path to a directory of ours that nobody
 * else can write to; otherwise another user could pick where our state goes. */
static bool xdg_runtime_dir_usable(const char *xdg)
{
    struct stat st;

    return xdg && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
           (st.st_mode & 022) == 0;
}

static int root_path_default(char **ret, struct urun_error *err)
{
    const char *xdg = secure_getenv("XDG_RUNTIME_DIR");
    int r;

    if (xdg_runtime_dir_usable(xdg))
        r = asprintf(ret, "%s/urun", strcmp(xdg, "/") == 0 ? "" : xdg);
    else
        r = asprintf(ret, "/tmp/urun-%u", (unsigned)geteuid());
    if (r < 0)
        return urun_error_set(err, ENOMEM, "state root");
    return 0;
}

/* Open the root without following a final symlink and check what we actually opened (fstat on the
 * fd, so nothing can be swapped in between the check and the use). */
static int root_open_checked(const char *path, bool created, int *ret_fd, struct urun_error *err)
{
    _cleanup_close_ int fd = open(path, DIR_OPEN_FLAGS);
    struct stat st;

    if (fd < 0) {
        int e = errno;

        /* O_DIRECTORY|O_NOFOLLOW on a symlink fails with ENOTDIR on Linux, ELOOP elsewhere. */
        if ((e == ELOOP || e == ENOTDIR) && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
            return urun_error_set(err, 0, "state root %s: is a symlink, refusing to use it", path);
        if (e == ENOTDIR)
            return urun_error_set(err, 0, "state root %s: not a directory, refusing to use it", path);
        return urun_error_set(err, e, "state root %s: open", path);
    }
    if (fstat(fd, &st) < 0)
        return urun_error_errno(err, "state root %s: stat", path);
    if (!S_ISDIR(st.st_mode))
        return urun_error_set(err, 0, "state root %s: not a directory, refusing to use it", path);
    if (st.st_uid != geteuid())
        return urun_error_set(err, 0, "state root %s: owned by uid %u, not %u; refusing to use it", path,
                              (unsigned)st.st_uid, (unsigned)geteuid());
    /* Our own fresh directory may have lost bits to an odd umask: make it exactly 0700. */
    if (created && (st.st_mode & 07777) != 0700 && fchmod(fd, 0700) == 0)
        st.st_mode = (st.st_mode & ~07777u) | 0700;
    if (st.st_mode & 022)
        return urun_error_set(err, 0, "state root %s: mode %04o is group/world-writable; refusing to use it", path,
                              (unsigned)(st.st_mode & 07777));
    *ret_fd = TAKE_FD(fd);
    return 0;
}

int state_root_open(const char *opt_root, struct state_root *ret, struct urun_error *err)
{
    _cleanup_free_ char *path = NULL;
    bool created = false;
    int fd = -1, r;

    if (opt_root && !*opt_root)
        return urun_error_set(err, EINVAL, "state root: empty path");
    r = opt_root ? root_path_absolute(opt_root, &path, err) : root_path_default(&path, err);
    if (r < 0)
        return r;
    if (opt_root) {
        r = mkdir_parents(path, &created, err);
        if (r < 0)
            return r;
    } else if (mkdir(path, 0700) == 0) {
        created = true;
    } else if (errno != EEXIST) {
        return urun_error_errno(err, "state root %s: create", path);
    }
    r = root_open_checked(path, created, &fd, err);
    if (r < 0)
        return r;
    ret->fd = fd;
    ret->path = TAKE_PTR(path);
    return 0;
}

void state_root_close(struct state_root *r)
{
    if (!r)
        return;
    closep(&r->fd);
    r->fd = -1;
    free(r->path);
    r->path = NULL;
}

/* ---- container directories --------------------------------------------------------------- */

static int flock_retry(int fd, int op)
{
    while (flock(fd, op) < 0)
        if (errno != EINTR)
            return -errno;
    return 0;
}

/* ---- container directory names ------------------------------------------------------------ */

static int read_bounded(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len);
static int write_all(int fd, const char *buf, size_t len);

/* An ID may be 1024 bytes but a directory name only NAME_MAX (255).  Longer IDs get a directory named
 * by their first bytes, '~' (which no valid ID contains, so no short ID can collide) and a 128-bit
 * hash; the full ID is kept in the file "id" inside and checked on every open. */
#define DIRNAME_PLAIN_MAX 200
#define ID_FILE "id"

static uint64_t fnv1a64(const char *s, uint64_t h)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static bool dirname_for(const char *id, char out[256])
{
    if (strlen(id) <= DIRNAME_PLAIN_MAX) {
        snprintf(out, 256, "%s", id);
        return false;
    }
    snprintf(out, 256, "%.160s~%016llx%016llx", id, (unsigned long long)fnv1a64(id, 0xcbf29ce484222325ULL),
             (unsigned long long)fnv1a64(id, 0x84222325cbf29ce4ULL));
    return true;
}

void state_container_dirname(const char *id, char out[256])
{
    dirname_for(id, out);
}

/* The full ID stored in a hashed directory, or NULL. */
static char *stored_id(int dirfd)
{
    char *buf = NULL;
    size_t len = 0;
    if (read_bounded(dirfd, ID_FILE, URUN_ID_MAX + 1, &buf, &len) < 0)
        return NULL;
    return buf;
}

int state_container_create(const struct state_root *r, const char *id, int *ret_dirfd, struct urun_error *err)
{
    _cleanup_close_ int fd = -1;
    char name[256];
    bool hashed;
    int k;

    k = urun_id_validate(id, err);
    if (k < 0)
        return k;
    hashed = dirname_for(id, name);
    if (mkdirat(r->fd, name, 0700) < 0) {
        if (errno == EEXIST)
            {
            /* No strerror suffix: the sentence says it all (runc's wording). */
            urun_error_set(err, 0, "container %s already exists", id);
            return -EEXIST;
        }
        return urun_error_errno(err, "create container directory %s/%s", r->path, name);
    }
    fd = openat(r->fd, name, DIR_OPEN_FLAGS);
    if (fd < 0) {
        k = urun_error_errno(err, "open container directory %s/%s", r->path, name);
        goto undo;
    }
    k = flock_retry(fd, LOCK_EX);
    if (k < 0) {
        urun_error_set(err, k, "lock container directory %s/%s", r->path, name);
        goto undo;
    }
    if (hashed) {
        _cleanup_close_ int idfd = openat(fd, ID_FILE, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (idfd < 0 || write_all(idfd, id, strlen(id)) < 0) {
            k = urun_error_errno(err, "record container ID in %s/%s", r->path, name);
            unlinkat(fd, ID_FILE, 0);
            goto undo;
        }
    }
    *ret_dirfd = TAKE_FD(fd);
    return 0;
undo:
    unlinkat(r->fd, name, AT_REMOVEDIR);
    return k;
}

int state_container_open(const struct state_root *r, const char *id, int lock, int *ret_dirfd,
                         struct urun_error *err)
{
    _cleanup_close_ int fd = -1;
    struct stat st;
    int k;

    char name[256];
    bool hashed;

    k = urun_id_validate(id, err);
    if (k < 0)
        return k;
    hashed = dirname_for(id, name);
    fd = openat(r->fd, name, DIR_OPEN_FLAGS);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            {
            urun_error_set(err, 0, "container %s does not exist", id);
            return -ENOENT;
        }
        return urun_error_errno(err, "open container directory %s/%s", r->path, name);
    }
    if (lock) {
        k = flock_retry(fd, lock);
        if (k < 0)
            return urun_error_set(err, k, "lock container directory %s/%s", r->path, id);
    }
    if (fstat(fd, &st) < 0)
        return urun_error_errno(err, "stat container directory %s/%s", r->path, id);
    /* Removed by `delete` while we waited for the lock: the directory we hold is gone.  A hashed
     * directory must hold exactly this ID. */
    _cleanup_free_ char *stored = hashed ? stored_id(fd) : NULL;
    if (st.st_nlink == 0 || (hashed && (!stored || strcmp(stored, id) != 0))) {
        urun_error_set(err, 0, "container %s does not exist", id);
        return -ENOENT;
    }
    *ret_dirfd = TAKE_FD(fd);
    return 0;
}

static int unlink_entry(int dirfd, const char *name, bool is_dir)
{
    if (unlinkat(dirfd, name, is_dir ? AT_REMOVEDIR : 0) == 0 || errno == ENOENT)
        return 0;
    return -errno;
}

/* Remove everything in dirfd.  A container directory holds only files, fifos and sockets; one level
 * of subdirectories is removed too, for robustness.  Several passes, since readdir() need not
 * return entries that shift while we unlink. */
static int empty_dir(int dirfd, int depth, struct urun_error *err)
{
    for (int pass = 0; pass < 4; pass++) {
        _cleanup_closedir_ DIR *d = opendir_at(dirfd);
        struct dirent *de;
        bool found = false;

        if (!d)
            return urun_error_errno(err, "read directory");
        while ((errno = 0, de = readdir(d))) {
            bool is_dir;
            int k;

            if (is_dot_or_dotdot(de->d_name))
                continue;
            found = true;
            is_dir = entry_is_dir(dirfd, de);
            if (is_dir && depth == 0) {
                _cleanup_close_ int sub = openat(dirfd, de->d_name, DIR_OPEN_FLAGS);

                if (sub < 0 && errno != ENOENT)
                    return urun_error_errno(err, "open %s", de->d_name);
                if (sub >= 0 && (k = empty_dir(sub, depth + 1, err)) < 0)
                    return urun_error_wrap(err, k, "%s", de->d_name);
            }
            k = unlink_entry(dirfd, de->d_name, is_dir);
            if (k < 0)
                return urun_error_set(err, k, "remove %s", de->d_name);
        }
        if (errno != 0)
            return urun_error_errno(err, "read directory");
        if (!found)
            return 0;
    }
    return 0;
}

int state_container_remove(const struct state_root *r, const char *id, int dirfd, struct urun_error *err)
{
    _cleanup_close_ int own = -1;
    int k;

    char name[256];

    k = urun_id_validate(id, err);
    if (k < 0)
        return k;
    dirname_for(id, name);
    if (dirfd < 0) {
        own = openat(r->fd, name, DIR_OPEN_FLAGS);
        if (own < 0 && errno == ENOENT)
            return 0;
        if (own < 0)
            return urun_error_errno(err, "open container directory %s/%s", r->path, name);
        dirfd = own;
    }
    k = empty_dir(dirfd, 0, err);
    if (k < 0)
        return urun_error_wrap(err, k, "remove container directory %s/%s", r->path, name);
    if (unlinkat(r->fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return urun_error_errno(err, "remove container directory %s/%s", r->path, name);
    return 0;
}

/* ---- state.json -------------------------------------------------------------------------- */

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

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int state_write(int dirfd, const struct urun_state *st, struct urun_error *err)
{
    _cleanup_free_ char *doc = NULL;
    _cleanup_close_ int fd = -1;
    size_t len;
    int k;

    doc = state_serialise(st, &len);
    if (!doc)
        return urun_error_set(err, ENOMEM, "write " STATE_FILE);
    fd = openat(dirfd, STATE_TMP_FILE, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return urun_error_errno(err, "write " STATE_FILE ": create " STATE_TMP_FILE);
    k = write_all(fd, doc, len);
    if (k < 0) {
        urun_error_set(err, k, "write " STATE_FILE ": write " STATE_TMP_FILE);
        goto fail;
    }
    if (fsync(fd) < 0 || close(TAKE_FD(fd)) < 0) {
        k = urun_error_errno(err, "write " STATE_FILE ": sync " STATE_TMP_FILE);
        goto fail;
    }
    if (renameat(dirfd, STATE_TMP_FILE, dirfd, STATE_FILE) < 0) {
        k = urun_error_errno(err, "write " STATE_FILE ": rename " STATE_TMP_FILE);
        goto fail;
    }
    return 0;
fail:
    unlinkat(dirfd, STATE_TMP_FILE, 0);
    return k;
}

/* Read at most max bytes of name; -EFBIG when it is larger. */
static int read_bounded(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len)
{
    _cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;

    if (fd < 0)
        return -errno;
    buf = malloc(max + 1);
    if (!buf)
        return -ENOMEM;
    for (;;) {
        ssize_t n = read(fd, buf + len, max + 1 - len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > max)
            return -EFBIG;
    }
    buf[len] = '\0';
    *ret = TAKE_PTR(buf);
    *ret_len = len;
    return 0;
}

/* The container ID behind dirfd, for messages only: the directory's name from /proc/self/fd. */
static void dir_label(int dirfd, char *buf, size_t size)
{
    char link[64], target[PATH_MAX];
    const char *slash;
    ssize_t n;

    snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
    n = readlink(link, target, sizeof(target) - 1);
    if (n <= 0) {
        snprintf(buf, size, "?");
        return;
    }
    target[n] = '\0';
    slash = strrchr(target, '/');
    slash = slash && slash[1] ? slash + 1 : target;
    n = (ssize_t)strnlen(slash, size - 1);
    memcpy(buf, slash, (size_t)n);
    buf[n] = '\0';
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
    *ret = strdup(s);
    return *ret ? 0 : urun_error_set(err, ENOMEM, "%s", key);
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
    st->annotations = calloc(n->n, sizeof(*st->annotations));
    if (!st->annotations)
        return urun_error_set(err, ENOMEM, "annotations");
    for (size_t i = 0; i < n->n; i++) {
        struct spec_kv *kv = &st->annotations[st->n_annotations];
        char path[128];
        const char *v;
        int k;

        snprintf(path, sizeof(path), "annotations.%.100s", n->pairs[i].key);
        k = ynode_string(n->pairs[i].value, path, &v, err);
        if (k < 0)
            return k;
        kv->key = strdup(n->pairs[i].key);
        kv->value = strdup(v);
        st->n_annotations++;
        if (!kv->key || !kv->value)
            return urun_error_set(err, ENOMEM, "annotations");
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
    return k;
}

int state_read(int dirfd, struct urun_state **ret, struct urun_error *err)
{
    _cleanup_(state_freep) struct urun_state *st = NULL;
    _cleanup_(ytree_freep) struct ynode *root = NULL;
    _cleanup_free_ char *buf = NULL;
    char label[256];
    size_t len = 0;
    int k;

    k = read_bounded(dirfd, STATE_FILE, STATE_MAX_BYTES, &buf, &len);
    if (k == -ENOENT)
        return urun_error_set(err, ENOENT, "container is still being created");
    dir_label(dirfd, label, sizeof(label));
    if (k == -EFBIG)
        return urun_error_set(err, EFBIG, STATE_FILE " of %s: larger than %u bytes", label, STATE_MAX_BYTES);
    if (k < 0)
        return urun_error_set(err, k, STATE_FILE " of %s: read", label);
    st = calloc(1, sizeof(*st));
    if (!st)
        return urun_error_set(err, ENOMEM, STATE_FILE " of %s", label);
    k = ytree_parse(buf, len, &root, err);
    if (k >= 0)
        k = state_from_tree(root, st, err);
    if (k < 0)
        return urun_error_wrap(err, k, STATE_FILE " of %s", label);
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
    free(st->cgroup);
    for (size_t i = 0; i < st->n_annotations; i++) {
        free(st->annotations[i].key);
        free(st->annotations[i].value);
    }
    free(st->annotations);
    free(st);
}

/* ---- listing ----------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int strv_push(char ***v, size_t *n, size_t *cap, const char *s)
{
    if (*n + 1 >= *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        char **p = realloc(*v, ncap * sizeof(**v));

        if (!p)
            return -ENOMEM;
        *v = p;
        *cap = ncap;
    }
    (*v)[*n] = strdup(s);
    if (!(*v)[*n])
        return -ENOMEM;
    (*v)[++*n] = NULL;
    return 0;
}

int state_list_ids(const struct state_root *r, char ***ret_ids, struct urun_error *err)
{
    _cleanup_closedir_ DIR *d = opendir_at(r->fd);
    _cleanup_strv_ char **ids = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;

    if (!d)
        return urun_error_errno(err, "list %s", r->path);
    ids = calloc(1, sizeof(*ids));
    if (!ids)
        return urun_error_set(err, ENOMEM, "list %s", r->path);
    cap = 1;
    while ((errno = 0, de = readdir(d))) {
        _cleanup_free_ char *long_id = NULL;
        const char *id = de->d_name;

        if (is_dot_or_dotdot(de->d_name) || !entry_is_dir(r->fd, de))
            continue;
        if (strchr(de->d_name, '~')) {
            /* a long ID's directory (dirname_for): the ID is inside; one being created has none yet */
            _cleanup_close_ int sub = openat(r->fd, de->d_name, DIR_OPEN_FLAGS);
            long_id = sub >= 0 ? stored_id(sub) : NULL;
            char check[256];
            if (!long_id || !dirname_for(long_id, check) || strcmp(check, de->d_name) != 0)
                continue;
            id = long_id;
        }
        if (urun_id_validate(id, NULL) < 0)
            continue;
        if (strv_push(&ids, &n, &cap, id) < 0)
            return urun_error_set(err, ENOMEM, "list %s", r->path);
    }
    if (errno != 0)
        return urun_error_errno(err, "list %s", r->path);
    qsort(ids, n, sizeof(*ids), cmp_str);
    *ret_ids = TAKE_PTR(ids);
    return 0;
}
