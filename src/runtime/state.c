/* Container state on disk (state.h), the places: the state root and its safety checks, one flock()ed
 * directory per container, the names and paths of what is in it, its removal, and the list of
 * containers (state_file.c writes and reads the files' contents).  Never signals, enters or otherwise
 * touches a container process, and never prints or logs. */
#include "runtime/state.h"

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

#include "base/cleanup.h"
#include "base/id.h"
#include "base/util.h"

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
        p = xstrdup(opt_root);
    } else {
        cwd = getcwd(NULL, 0);
        if (!cwd)
            return urun_error_errno(err, "state root %s: get current directory", opt_root);
        p = xasprintf("%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, opt_root);
    }
    for (n = strlen(p); n > 1 && p[n - 1] == '/'; n--)
        p[n - 1] = '\0';
    *ret = p;
    return 0;
}

/* mkdir -p with mode 0700 for every directory created.  *ret_created: the last one was made here. */
static int mkdir_parents(const char *path, bool *ret_created, struct urun_error *err)
{
    _cleanup_free_ char *p = xstrdup(path);

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
    char run_user[64];

    /* pam_systemd's directory, when the variable is missing but the directory is there and ours */
    snprintf(run_user, sizeof(run_user), "/run/user/%u", (unsigned)geteuid());
    if (xdg_runtime_dir_usable(xdg))
        *ret = xasprintf("%s/urun", strcmp(xdg, "/") == 0 ? "" : xdg);
    else if (xdg_runtime_dir_usable(run_user))
        *ret = xasprintf("%s/urun", run_user);
    else
        *ret = xasprintf("/tmp/urun-%u", (unsigned)geteuid());
    return 0;
}

/* "uid 1001 (alice)" for messages about someone else's directory. */
static const char *owner_label(uid_t uid)
{
    static char buf[300];
    char name[256];
    if (user_name_of(uid, name, sizeof(name)))
        snprintf(buf, sizeof(buf), "uid %u (%s)", (unsigned)uid, name);
    else
        snprintf(buf, sizeof(buf), "uid %u", (unsigned)uid);
    return buf;
}

static int root_open_checked(const char *path, bool created, bool may_serve, struct state_root *ret,
                             struct urun_error *err)
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
        if (e == EACCES && lstat(path, &st) == 0 && st.st_uid != geteuid())
            return urun_error_set(err, 0,
                                  "state root %s: owned by %s, not you (uid %u), and closed to you; choose "
                                  "another state directory with --root DIR",
                                  path, owner_label(st.st_uid), (unsigned)geteuid());
        return urun_error_set(err, e, "state root %s: open", path);
    }
    if (fstat(fd, &st) < 0)
        return urun_error_errno(err, "state root %s: stat", path);
    if (!S_ISDIR(st.st_mode))
        return urun_error_set(err, 0, "state root %s: not a directory, refusing to use it", path);
    if (st.st_uid != geteuid() && !(may_serve && geteuid() == 0))
        return urun_error_set(err, 0, "state root %s: owned by %s, not you (uid %u); refusing to use it%s", path,
                              owner_label(st.st_uid), (unsigned)geteuid(),
                              created ? "" : " (choose another state directory with --root DIR)");
    /* Our own fresh directory may have lost bits to an odd umask: make it exactly 0700. */
    if (created && (st.st_mode & 07777) != 0700 && fchmod(fd, 0700) == 0)
        st.st_mode = (st.st_mode & ~07777u) | 0700;
    if (st.st_mode & 022)
        return urun_error_set(err, 0,
                              "state root %s: mode %04o is group/world-writable; refusing to use it "
                              "(choose another state directory with --root DIR)",
                              path, (unsigned)(st.st_mode & 07777));
    ret->owner = st.st_uid;
    ret->foreign = st.st_uid != geteuid();
    ret->fd = TAKE_FD(fd);
    return 0;
}

int state_root_open(const char *opt_root, bool may_serve, struct state_root *ret, struct urun_error *err)
{
    _cleanup_free_ char *path = NULL;
    bool created = false;
    int r;

    if (opt_root && !*opt_root)
        return urun_error_set(err, EINVAL, "state root: empty path");
    r = opt_root ? root_path_absolute(opt_root, &path, err) : root_path_default(&path, err);
    if (r < 0)
        return r;
    /* The commands that only look at containers (state, kill, delete, list, ps) never make the root:
     * made by root for another user (Slurm's query as root), it would lock that user out.  A root
     * that is not there holds no containers. */
    struct stat st;
    if (may_serve && lstat(path, &st) < 0 && errno == ENOENT) {
        ret->fd = -1;
        ret->owner = geteuid();
        ret->foreign = false;
        ret->path = TAKE_PTR(path);
        return 0;
    }
    if (opt_root) {
        r = mkdir_parents(path, &created, err);
        if (r < 0)
            return r;
    } else if (mkdir(path, 0700) == 0) {
        created = true;
    } else if (errno != EEXIST) {
        return urun_error_errno(err, "state root %s: create", path);
    }
    r = root_open_checked(path, created, may_serve, ret, err);
    if (r < 0)
        return r;
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

/* An ID may be 1024 bytes but a directory name only NAME_MAX (255).  Longer IDs get a directory named
 * by their first bytes, '~' (which no valid ID contains, so no short ID can collide) and a 128-bit
 * hash; the full ID is kept in the file "id" inside and checked on every open. */
#define DIRNAME_PLAIN_MAX 200

static uint64_t fnv1a64(const char *s, uint64_t h)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static bool dirname_for(const char *id, char out[STATE_NAME_MAX])
{
    if (strlen(id) <= DIRNAME_PLAIN_MAX) {
        snprintf(out, STATE_NAME_MAX, "%s", id);
        return false;
    }
    snprintf(out, STATE_NAME_MAX, "%.160s~%016llx%016llx", id, (unsigned long long)fnv1a64(id, 0xcbf29ce484222325ULL),
             (unsigned long long)fnv1a64(id, 0x84222325cbf29ce4ULL));
    return true;
}

void state_container_name(const char *id, char out[STATE_NAME_MAX])
{
    dirname_for(id, out);
}

/* ---- names and paths in a container directory ------------------------------------------- */

static const char *const container_files[] = {
    STATE_FILE,       STATE_EXEC_FIFO,     STATE_PROCS_FILE, STATE_CONFIG_COPY, STATE_POSTHOOKS_MARK,
    STATE_NOTIFY_DIR, STATE_NOTIFY_SOCKET, STATE_NS_SOCKET,  STATE_RESOLV_CONF, STATE_ID_FILE,
};

static bool container_file_known(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(container_files); i++)
        if (strcmp(name, container_files[i]) == 0)
            return true;
    return false;
}

char *state_container_path(const struct state_root *r, const char *id, const char *name)
{
    char dir[STATE_NAME_MAX];

    if (!container_file_known(name)) {
        errno = EINVAL;
        return NULL;
    }
    dirname_for(id, dir);
    return xasprintf("%s/%s/%s", strcmp(r->path, "/") == 0 ? "" : r->path, dir, name);
}

int state_fd_path(int dirfd, const char *name, char *buf, size_t size)
{
    int n;

    if (!container_file_known(name))
        return -EINVAL;
    n = snprintf(buf, size, "/proc/self/fd/%d/%s", dirfd, name);
    return n > 0 && (size_t)n < size ? 0 : -ENAMETOOLONG;
}

/* The full ID stored in a hashed directory, or NULL. */
static char *stored_id(int dirfd)
{
    char *buf = NULL;
    size_t len = 0;
    if (read_regular_file_at(dirfd, STATE_ID_FILE, URUN_ID_MAX, &buf, &len, NULL) < 0)
        return NULL;
    return buf;
}

int state_container_create(const struct state_root *r, const char *id, int *ret_dirfd, struct urun_error *err)
{
    _cleanup_close_ int fd = -1;
    char name[STATE_NAME_MAX];
    bool hashed;
    int k;

    k = urun_id_validate(id, err);
    if (k < 0)
        return k;
    hashed = dirname_for(id, name);
    if (mkdirat(r->fd, name, 0700) < 0) {
        if (errno == EEXIST) {
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
        _cleanup_close_ int idfd =
            openat(fd, STATE_ID_FILE, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (idfd < 0 || write_all(idfd, id, strlen(id)) < 0) {
            k = urun_error_errno(err, "record container ID in %s/%s", r->path, name);
            unlinkat(fd, STATE_ID_FILE, 0);
            goto undo;
        }
    }
    *ret_dirfd = TAKE_FD(fd);
    return 0;
undo:
    unlinkat(r->fd, name, AT_REMOVEDIR);
    return k;
}

int state_container_open(const struct state_root *r, const char *id, int lock, int *ret_dirfd, struct urun_error *err)
{
    _cleanup_close_ int fd = -1;
    struct stat st;
    int k;

    char name[STATE_NAME_MAX];
    bool hashed;

    k = urun_id_validate(id, err);
    if (k < 0)
        return k;
    hashed = dirname_for(id, name);
    fd = r->fd >= 0 ? openat(r->fd, name, DIR_OPEN_FLAGS) : (errno = ENOENT, -1); /* no root: none there */
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
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

/* ---- removing a container directory ---------------------------------------------------- */

/* A container directory holds urun's files, but also whatever reached it from outside (the notify
 * directory was once writable by the container): any tree, any modes, symlinks.  It is removed
 * through fds only, never following a symlink.  At most REMOVE_MAX_DEPTH directories are open at
 * once: a directory nested deeper is moved up into the container directory and removed from there
 * in a later round, so no depth can make `delete` fail, and none can exhaust fds or the stack. */
#define REMOVE_MAX_DEPTH 32
#define REMOVE_MAX_ROUNDS 4096

struct remover {
    char path[PATH_MAX]; /* of the entry at hand, relative to the container directory, for messages */
    size_t len;
    struct urun_error *err;
    int topfd;      /* the container directory */
    unsigned moved; /* directories moved up so far, for unique names */
    bool again;     /* one was moved up in this round */
};

static void remover_push(struct remover *rm, const char *name)
{
    int n = snprintf(rm->path + rm->len, sizeof(rm->path) - rm->len, "%s%s", rm->len ? "/" : "", name);

    if (n > 0)
        rm->len = rm->len + (size_t)n < sizeof(rm->path) ? rm->len + (size_t)n : sizeof(rm->path) - 1;
}

/* Open subdirectory name for emptying.  One of ours that we may not list or change (0000, 0500)
 * first gets u+rwx, as its owner always may: through an O_PATH fd, which needs no permission on the
 * directory itself, and its /proc/self/fd link, so the directory changed is the one opened without
 * following a symlink.  0 when it is gone or no directory any more (the caller unlinks it then). */
static int open_subdir(struct remover *rm, int dirfd, const char *name, int *ret_fd)
{
    _cleanup_close_ int pfd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    char proc[64];

    if (pfd < 0 && (errno == ENOENT || errno == ENOTDIR || errno == ELOOP))
        return 0;
    if (pfd < 0 || fstat(pfd, &st) < 0)
        return urun_error_errno(rm->err, "%s: cannot open", rm->path);
    if ((st.st_mode & 0700) != 0700) {
        if (st.st_uid != geteuid())
            return urun_error_set(rm->err, 0,
                                  "%s: mode %04o, owned by uid %u, not you; `urun unshare rm -rf` "
                                  "removes files of your subordinate IDs",
                                  rm->path, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid);
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
        if (chmod(proc, (st.st_mode & 07777) | 0700) < 0)
            return urun_error_errno(rm->err, "%s: cannot make it writable", rm->path);
    }
    *ret_fd = openat(pfd, ".", DIR_OPEN_FLAGS);
    if (*ret_fd < 0)
        return urun_error_errno(rm->err, "%s: cannot open", rm->path);
    return 1;
}

static int empty_dir(struct remover *rm, int dirfd, int depth);

static int unlink_one(struct remover *rm, int dirfd, const char *name, int flags)
{
    if (unlinkat(dirfd, name, flags) == 0 || errno == ENOENT)
        return 0;
    if (flags == AT_REMOVEDIR && errno == ENOTDIR) /* swapped for a file or symlink meanwhile */
        return unlink_one(rm, dirfd, name, 0);
    return urun_error_errno(rm->err, "%s: cannot remove", rm->path);
}

/* A directory nested too deep to open goes up into the container directory, for a later round. */
static int move_up(struct remover *rm, int dirfd, const char *name)
{
    char up[32];

    for (int tries = 0; tries < 64; tries++) {
        snprintf(up, sizeof(up), ".urun-deep.%u", rm->moved++);
        if (renameat2(dirfd, name, rm->topfd, up, RENAME_NOREPLACE) == 0) {
            rm->again = true;
            return 0;
        }
        if (errno != EEXIST)
            break;
    }
    return urun_error_errno(rm->err, "%s: cannot move it up to remove it", rm->path);
}

static int remove_subdir(struct remover *rm, int dirfd, const char *name, int depth)
{
    _cleanup_close_ int sub = -1;
    int k;

    if (depth >= REMOVE_MAX_DEPTH)
        return move_up(rm, dirfd, name);
    k = open_subdir(rm, dirfd, name, &sub);
    if (k > 0)
        k = empty_dir(rm, sub, depth + 1);
    if (k < 0)
        return k;
    return unlink_one(rm, dirfd, name, AT_REMOVEDIR);
}

static int remove_entry(struct remover *rm, int dirfd, const struct dirent *de, int depth)
{
    size_t saved = rm->len;
    int k;

    remover_push(rm, de->d_name);
    /* a symlink is unlinked itself, never what it points to */
    k = entry_is_dir(dirfd, de) ? remove_subdir(rm, dirfd, de->d_name, depth) : unlink_one(rm, dirfd, de->d_name, 0);
    rm->len = saved;
    rm->path[saved] = '\0';
    return k;
}

/* Remove everything in dirfd.  Several passes, since readdir() need not return entries that shift
 * while we unlink; what is still there after them makes the final rmdir fail with ENOTEMPTY. */
static int empty_dir(struct remover *rm, int dirfd, int depth)
{
    for (int pass = 0; pass < 4; pass++) {
        _cleanup_closedir_ DIR *d = opendir_at(dirfd);
        struct dirent *de;
        bool found = false;

        if (!d)
            return urun_error_errno(rm->err, "%s: cannot list", rm->len ? rm->path : ".");
        while ((errno = 0, de = readdir(d))) {
            int k;

            if (is_dot_or_dotdot(de->d_name))
                continue;
            found = true;
            k = remove_entry(rm, dirfd, de, depth);
            if (k < 0)
                return k;
        }
        if (errno != 0)
            return urun_error_errno(rm->err, "%s: cannot list", rm->len ? rm->path : ".");
        if (!found)
            return 0;
    }
    return 0;
}

int state_container_remove(const struct state_root *r, const char *id, int dirfd, struct urun_error *err)
{
    _cleanup_free_ struct remover *rm = NULL;
    _cleanup_close_ int own = -1;
    struct stat st;
    char name[STATE_NAME_MAX];
    int k;

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
    rm = xcalloc(1, sizeof(*rm));
    rm->err = err;
    /* the directory itself may have lost its write bit too */
    if (fstat(dirfd, &st) == 0 && st.st_uid == geteuid() && (st.st_mode & 0700) != 0700)
        fchmod(dirfd, (st.st_mode & 07777) | 0700);
    rm->topfd = dirfd;
    for (int round = 0; round < REMOVE_MAX_ROUNDS; round++) {
        rm->again = false;
        k = empty_dir(rm, dirfd, 0);
        if (k < 0)
            return urun_error_wrap(err, k, "remove container directory %s/%s", r->path, name);
        if (!rm->again)
            break;
    }
    if (unlinkat(r->fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        return urun_error_errno(err, "remove container directory %s/%s", r->path, name);
    return 0;
}

char *state_image_bundle_path(const struct state_root *r, const char *id)
{
    char name[STATE_NAME_MAX];
    dirname_for(id, name);
    return xasprintf("%s/%s/%s", r->path, STATE_IMAGE_DIR, name);
}

int state_image_bundle_remove(const struct state_root *r, const char *id, struct urun_error *err)
{
    _cleanup_free_ struct remover *rm = xcalloc(1, sizeof(*rm));
    _cleanup_close_ int images = openat(r->fd, STATE_IMAGE_DIR, DIR_OPEN_FLAGS), dirfd = -1;
    char name[STATE_NAME_MAX];
    int k = 0;

    dirname_for(id, name);
    if (images >= 0)
        dirfd = openat(images, name, DIR_OPEN_FLAGS);
    if (dirfd < 0)
        return errno == ENOENT ? 0 : urun_error_errno(err, "open %s/%s/%s", r->path, STATE_IMAGE_DIR, name);
    rm->err = err;
    rm->topfd = dirfd;
    for (int round = 0; round < REMOVE_MAX_ROUNDS && k >= 0; round++) {
        rm->again = false;
        k = empty_dir(rm, dirfd, 0);
        if (!rm->again)
            break;
    }
    if (k >= 0 && unlinkat(images, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        k = urun_error_errno(err, "remove %s/%s/%s", r->path, STATE_IMAGE_DIR, name);
    return k < 0 ? urun_error_wrap(err, k, "remove image bundle %s/%s/%s", r->path, STATE_IMAGE_DIR, name) : 0;
}

/* ---- listing ----------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void strv_push(char ***v, size_t *n, size_t *cap, const char *s)
{
    if (*n + 1 >= *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *v = xreallocarray(*v, *cap, sizeof(**v));
    }
    (*v)[*n] = xstrdup(s);
    (*v)[++*n] = NULL;
}

int state_list_ids(const struct state_root *r, char ***ret_ids, struct urun_error *err)
{
    _cleanup_closedir_ DIR *d = r->fd >= 0 ? opendir_at(r->fd) : NULL;
    _cleanup_strv_ char **ids = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;

    if (!d && r->fd < 0) { /* a root that is not there (state_root_open): no containers */
        *ret_ids = xcalloc(1, sizeof(char *));
        return 0;
    }
    if (!d)
        return urun_error_errno(err, "list %s", r->path);
    ids = xcalloc(1, sizeof(*ids));
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
            char check[STATE_NAME_MAX];
            if (!long_id || !dirname_for(long_id, check) || strcmp(check, de->d_name) != 0)
                continue;
            id = long_id;
        }
        if (urun_id_validate(id, NULL) < 0)
            continue;
        strv_push(&ids, &n, &cap, id);
    }
    if (errno != 0)
        return urun_error_errno(err, "list %s", r->path);
    qsort(ids, n, sizeof(*ids), cmp_str);
    *ret_ids = TAKE_PTR(ids);
    return 0;
}
