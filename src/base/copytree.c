/* copy_tree (copytree.h). */
#include "base/copytree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/log.h"

#define COPY_MAX_DEPTH 64

/* Owner, then mode (chown clears set-id bits), then times.  An owner the namespace does not map
 * (EINVAL/EPERM) keeps the copy as container root: the data matters more than its owner. */
static void copy_meta(int dst, const char *name, const struct stat *st, bool link)
{
    struct timespec times[2] = {st->st_atim, st->st_mtim};
    int flags = link ? AT_SYMLINK_NOFOLLOW : 0;

    if (fchownat(dst, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        log_debug("tmpcopyup: chown %s: %s", name, strerror(errno));
    if (!link && fchmodat(dst, name, st->st_mode & 07777, 0) < 0)
        log_debug("tmpcopyup: chmod %s: %s", name, strerror(errno));
    utimensat(dst, name, times, flags);
}

static int copy_file(int src, int dst, const char *name, const struct stat *st, struct urun_error *err)
{
    _cleanup_close_ int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int out = -1;
    char buf[65536];

    if (in < 0)
        return urun_error_errno(err, "tmpcopyup: open %s", name);
    out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 0777);
    if (out < 0)
        return urun_error_errno(err, "tmpcopyup: create %s", name);
    for (;;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
        if (n == 0)
            return 0;
        if (n > 0)
            continue;
        if (errno == EINTR)
            continue;
        if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
            return urun_error_errno(err, "tmpcopyup: copy %s", name);
        break;
    }
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return urun_error_errno(err, "tmpcopyup: read %s", name);
        if (n == 0)
            return 0;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return urun_error_errno(err, "tmpcopyup: write %s", name);
            off += w;
        }
    }
}

static int copy_dir(int src, int dst, int depth, struct urun_error *err)
{
    int dfd = dup(src);
    DIR *d;
    struct dirent *e;
    int r = 0;

    if (depth > COPY_MAX_DEPTH)
        return urun_error_set(err, ELOOP, "tmpcopyup: more than %d levels of directories", COPY_MAX_DEPTH);
    if (dfd < 0 || !(d = fdopendir(dfd))) {
        if (dfd >= 0)
            close(dfd);
        return urun_error_errno(err, "tmpcopyup: read directory");
    }
    rewinddir(d);
    while (r >= 0 && (e = readdir(d))) {
        struct stat st;
        const char *name = e->d_name;

        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            r = urun_error_errno(err, "tmpcopyup: stat %s", name);
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            if (mkdirat(dst, name, 0700) < 0 && errno != EEXIST) {
                r = urun_error_errno(err, "tmpcopyup: mkdir %s", name);
                break;
            }
            _cleanup_close_ int s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            _cleanup_close_ int t = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (s < 0 || t < 0) {
                r = urun_error_errno(err, "tmpcopyup: open directory %s", name);
                break;
            }
            r = copy_dir(s, t, depth + 1, err);
            if (r >= 0)
                copy_meta(dst, name, &st, false);
        } else if (S_ISREG(st.st_mode)) {
            r = copy_file(src, dst, name, &st, err);
            if (r >= 0)
                copy_meta(dst, name, &st, false);
        } else if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);
            if (n < 0) {
                r = urun_error_errno(err, "tmpcopyup: readlink %s", name);
                break;
            }
            target[n] = '\0';
            if (symlinkat(target, dst, name) < 0) {
                r = urun_error_errno(err, "tmpcopyup: symlink %s", name);
                break;
            }
            copy_meta(dst, name, &st, true);
        } else if (S_ISFIFO(st.st_mode)) {
            if (mkfifoat(dst, name, st.st_mode & 07777) < 0) {
                r = urun_error_errno(err, "tmpcopyup: mkfifo %s", name);
                break;
            }
            copy_meta(dst, name, &st, false);
        } else {
            log_debug("tmpcopyup: %s is a device node or socket, not copied", name);
        }
    }
    closedir(d);
    return r;
}

int copy_tree(int src, int dst, struct urun_error *err)
{
    return copy_dir(src, dst, 0, err);
}
