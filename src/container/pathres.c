/* Implementation of pathres.h.  The fallback walk resolves one component at a time with
 * O_NOFOLLOW|O_PATH, reads symlinks itself and restarts absolute ones at the rootfs, and clamps ".."
 * at the rootfs, which is what RESOLVE_IN_ROOT does in the kernel (openat2(2)). */
#include "container/pathres.h"

#include "base/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"

#define PATHRES_MAX_LINKS 40 /* as the kernel's MAXSYMLINKS */

static int openat2_in_root(int rootfd, const char *path)
{
    struct open_how how = {
        .flags = O_PATH | O_CLOEXEC,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
    return fd < 0 ? -errno : (int)fd;
}

/* Fallback: resolve path below rootfd by hand.  `budget` bounds symlink expansions. */
static int walk_in_root(int rootfd, const char *path, int *budget)
{
    _cleanup_free_ char *work = xstrdup(path);
    _cleanup_close_ int cur = -1;
    char *save = NULL, *comp;

    cur = openat(rootfd, ".", O_PATH | O_CLOEXEC | O_DIRECTORY);
    if (cur < 0)
        return -errno;
    /* A stack of directory fds would be needed for ".." beyond one level; instead ".." restarts the
     * walk from the root with the path so far minus its last component, kept in `done`. */
    _cleanup_free_ char *done = xcalloc(1, strlen(path) + 2);
    for (comp = strtok_r(work, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
        if (strcmp(comp, ".") == 0)
            continue;
        if (strcmp(comp, "..") == 0) {
            char *slash = strrchr(done, '/');
            if (slash)
                *slash = '\0';
            closep(&cur);
            cur = done[0] ? walk_in_root(rootfd, done, budget) : openat(rootfd, ".", O_PATH | O_CLOEXEC);
            if (cur < 0)
                return cur == -1 ? -errno : cur;
            continue;
        }
        int next = openat(cur, comp, O_PATH | O_CLOEXEC | O_NOFOLLOW);
        if (next < 0)
            return -errno;
        struct stat st;
        if (fstat(next, &st) < 0) {
            close(next);
            return -errno;
        }
        if (S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t n = readlinkat(next, "", target, sizeof(target) - 1);
            close(next);
            if (n < 0)
                return -errno;
            target[n] = '\0';
            if (--*budget < 0)
                return -ELOOP;
            /* Resolve the link relative to where we are (or to the root when absolute), then go on
             * with the rest of the path. */
            _cleanup_free_ char *rest = xstrdup(save && *save ? save : "");
            _cleanup_free_ char *joined = NULL;
            if (target[0] == '/')
                joined = xmalloc(strlen(target) + strlen(rest) + 2);
            else
                joined = xmalloc(strlen(done) + strlen(target) + strlen(rest) + 3);
            if (target[0] == '/')
                sprintf(joined, "%s/%s", target, rest);
            else
                sprintf(joined, "%s/%s/%s", done, target, rest);
            return walk_in_root(rootfd, joined, budget);
        }
        closep(&cur);
        cur = next;
        strcat(done, "/");
        strcat(done, comp);
    }
    return TAKE_FD(cur);
}

static int resolve(int rootfd, const char *path)
{
    static int have_openat2 = -1;
    int budget = PATHRES_MAX_LINKS;

    if (have_openat2 != 0) {
        int fd = openat2_in_root(rootfd, path);
        if (fd != -ENOSYS) {
            have_openat2 = 1;
            return fd;
        }
        have_openat2 = 0;
    }
    return walk_in_root(rootfd, path, &budget);
}

/* Create the last component of path in its (resolved) parent. */
static int create_last(int rootfd, const char *path, enum pathres_create create)
{
    _cleanup_free_ char *parent = xstrdup(path);
    _cleanup_close_ int pfd = -1;
    char *slash, *name;

    while ((slash = strrchr(parent, '/')) && slash[1] == '\0' && slash != parent)
        *slash = '\0';
    slash = strrchr(parent, '/');
    if (slash) {
        *slash = '\0';
        name = slash + 1;
    } else {
        name = parent;
    }
    if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return -EINVAL;
    pfd = resolve(rootfd, slash && parent[0] ? parent : "/");
    if (pfd == -ENOENT) {
        int r = create_last(rootfd, parent, PATHRES_MKDIR);
        if (r < 0)
            return r;
        pfd = resolve(rootfd, parent);
    }
    if (pfd < 0)
        return pfd;
    if (create == PATHRES_MKDIR) {
        if (mkdirat(pfd, name, 0755) < 0 && errno != EEXIST)
            return -errno;
    } else {
        int fd = openat(pfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST)
            return -errno;
        if (fd >= 0)
            close(fd);
    }
    return 0;
}

int pathres_open(int rootfd, const char *path, enum pathres_create create, int *ret_fd, struct urun_error *err)
{
    int fd = resolve(rootfd, path);

    if (fd == -ENOENT && create != PATHRES_NO_CREATE) {
        int r = create_last(rootfd, path, create);
        if (r == -EEXIST)
            return urun_error_set(err, 0, "%s: is a dangling symlink", path);
        if (r < 0)
            return urun_error_set(err, -r, "create %s in the rootfs", path);
        fd = resolve(rootfd, path);
        if (fd == -ENOENT)
            return urun_error_set(err, 0, "%s: a symlink on the way points to nothing inside the rootfs", path);
    }
    if (fd < 0)
        return urun_error_set(err, -fd, "resolve %s in the rootfs", path);
    *ret_fd = fd;
    return 0;
}

void pathres_fd_path(int fd, char buf[static 32])
{
    snprintf(buf, 32, "/proc/self/fd/%d", fd);
}
