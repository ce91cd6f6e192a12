/* Implementation of flatten.h.  Everything goes through directory fds with O_NOFOLLOW: an entry of
 * a lower layer that an upper one turns into a symlink is replaced, never followed. */
#include "image/helper/flatten.h"

#define _FILE_OFFSET_BITS 64
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "image/common/store.h"
#include "image/helper/helper.h"

struct link_seen {
    dev_t dev;
    ino_t ino;
    char *path; /* of its first copy, relative to the destination */
};

struct flat {
    int destroot;
    void *links; /* tsearch tree of struct link_seen */
    char path[4200];
};

static int link_cmp(const void *a, const void *b)
{
    const struct link_seen *x = a, *y = b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static void copy_xattrs(int from, int to)
{
    char names[4096], value[4096];
    ssize_t n = flistxattr(from, names, sizeof(names));
    for (ssize_t i = 0; i < n; i += (ssize_t)strlen(names + i) + 1) {
        const char *name = names + i;
        if (strcmp(name, "security.capability") != 0 &&
            (strncmp(name, "user.", 5) != 0 || strncmp(name, "user.overlay.", 13) == 0))
            continue;
        ssize_t v = fgetxattr(from, name, value, sizeof(value));
        if (v >= 0)
            fsetxattr(to, name, value, (size_t)v, 0);
    }
}

/* Owner first (chown clears setuid bits and capabilities), then mode, capabilities and times. */
static int set_attrs(int from, int to, const struct stat *st, const char *path, struct urun_error *err)
{
    struct timespec t[2] = {st->st_atim, st->st_mtim};
    if (fchown(to, st->st_uid, st->st_gid) < 0 || fchmod(to, st->st_mode & 07777) < 0)
        return urun_error_errno(err, "%s: set owner and mode", path);
    copy_xattrs(from, to);
    futimens(to, t);
    return 0;
}

static int copy_file(struct flat *f, int sdir, int ddir, const char *name, const struct stat *st,
                     struct urun_error *err)
{
    if (st->st_nlink > 1) {
        struct link_seen key = {.dev = st->st_dev, .ino = st->st_ino};
        struct link_seen **found = tfind(&key, &f->links, link_cmp);
        if (found) {
            if (linkat(f->destroot, (*found)->path, ddir, name, 0) < 0)
                return urun_error_errno(err, "%s: hard link", f->path);
            return 0;
        }
        struct link_seen *n = xmalloc(sizeof(*n));
        *n = (struct link_seen){.dev = st->st_dev, .ino = st->st_ino, .path = xstrdup(f->path)};
        if (!tsearch(n, &f->links, link_cmp))
            abort();
    }
    _cleanup_close_ int in = openat(sdir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    _cleanup_close_ int out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (in < 0 || out < 0)
        return urun_error_errno(err, "%s: copy", f->path);
    for (;;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
        if (n == 0)
            break;
        if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL)) {
            char buf[1 << 16];
            while ((n = read(in, buf, sizeof(buf))) > 0)
                if (write_all(out, buf, (size_t)n) < 0)
                    return urun_error_errno(err, "%s: copy", f->path);
        }
        if (n < 0)
            return urun_error_errno(err, "%s: copy", f->path);
        if (n == 0)
            break;
    }
    return set_attrs(in, out, st, f->path, err);
}

static int copy_special(struct flat *f, int sdir, int ddir, const char *name, const struct stat *st,
                        struct urun_error *err)
{
    struct timespec t[2] = {st->st_atim, st->st_mtim};
    if (S_ISLNK(st->st_mode)) {
        char target[4097];
        ssize_t n = readlinkat(sdir, name, target, sizeof(target) - 1);
        if (n < 0)
            return urun_error_errno(err, "%s: read symlink", f->path);
        target[n] = '\0';
        if (symlinkat(target, ddir, name) < 0)
            return urun_error_errno(err, "%s: make symlink", f->path);
    } else if (S_ISFIFO(st->st_mode)) {
        if (mknodat(ddir, name, S_IFIFO | 0600, 0) < 0)
            return urun_error_errno(err, "%s: make fifo", f->path);
    } else {
        return 0; /* sockets and devices cannot be copied into a user namespace's tree */
    }
    if (fchownat(ddir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
        return urun_error_errno(err, "%s: set owner", f->path);
    if (S_ISFIFO(st->st_mode) && fchmodat(ddir, name, st->st_mode & 07777, 0) < 0)
        return urun_error_errno(err, "%s: set mode", f->path);
    utimensat(ddir, name, t, AT_SYMLINK_NOFOLLOW);
    return 0;
}

static int merge_dir(struct flat *f, int sdir, int ddir, int depth, struct urun_error *err);

static bool is_opaque(int fd)
{
    char v[2];
    return fgetxattr(fd, "user.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y';
}

/* A directory of the layer: merged into the destination's (an opaque one replaces it). */
static int merge_subdir(struct flat *f, int sdir, int ddir, const char *name, const struct stat *st, int depth,
                        struct urun_error *err)
{
    _cleanup_close_ int s = openat(sdir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), d = -1;
    struct stat dst;
    int r;

    if (s < 0)
        return urun_error_errno(err, "%s: open", f->path);
    bool exists = fstatat(ddir, name, &dst, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && (!S_ISDIR(dst.st_mode) || is_opaque(s))) {
        if ((r = helper_rm_tree(ddir, name, err)) < 0)
            return r;
        exists = false;
    }
    if (!exists && mkdirat(ddir, name, 0700) < 0)
        return urun_error_errno(err, "%s: make directory", f->path);
    d = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (d < 0)
        return urun_error_errno(err, "%s: open", f->path);
    if (depth > 2048)
        return urun_error_set(err, 0, "%s: nested too deep", f->path);
    r = merge_dir(f, s, d, depth + 1, err);
    return r < 0 ? r : set_attrs(s, d, st, f->path, err);
}

static int merge_entry(struct flat *f, int sdir, int ddir, const char *name, int depth, struct urun_error *err)
{
    struct stat st;
    if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return urun_error_errno(err, "%s: stat", f->path);
    if (S_ISDIR(st.st_mode))
        return merge_subdir(f, sdir, ddir, name, &st, depth, err);
    int r = helper_rm_tree(ddir, name, err);               /* what lower layers had there, if anything */
    if (r < 0 || (S_ISCHR(st.st_mode) && st.st_rdev == 0)) /* a whiteout: deleting was all */
        return r;
    return S_ISREG(st.st_mode) ? copy_file(f, sdir, ddir, name, &st, err) : copy_special(f, sdir, ddir, name, &st, err);
}

static int merge_dir(struct flat *f, int sdir, int ddir, int depth, struct urun_error *err)
{
    int fd = dup(sdir);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;
    size_t saved = strlen(f->path);
    int r = 0;

    if (!d) {
        if (fd >= 0)
            close(fd);
        return urun_error_errno(err, "%s: list", f->path);
    }
    while (r >= 0 && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (helper_cancelled())
            r = urun_error_set(err, EINTR, "interrupted");
        snprintf(f->path + saved, sizeof(f->path) - saved, "%s%s", saved ? "/" : "", de->d_name);
        if (r >= 0)
            r = merge_entry(f, sdir, ddir, de->d_name, depth, err);
        f->path[saved] = '\0';
    }
    closedir(d);
    return r;
}

static void free_link(void *p)
{
    struct link_seen *l = p;
    free(l->path);
    free(l);
}

int image_flatten(const char *ref, const char *dest, struct urun_error *err)
{
    _cleanup_(image_record_freep) struct image_record *rec = NULL;
    _cleanup_free_ char *name = NULL, *tag = NULL;
    _cleanup_close_ int storefd = -1, lock = -1, layers = -1, destfd = -1;
    struct flat f = {.destroot = -1};
    int r = image_ref_parse(ref, &name, &tag, err);

    if (r >= 0)
        r = store_open(/* create= */ false, &storefd, NULL, err);
    if (r >= 0)
        r = store_lock(storefd, LOCK_SH, &lock, err);
    if (r >= 0)
        r = image_record_load(storefd, name, tag, &rec, err);
    if (r < 0)
        return r;
    layers = openat(storefd, "layers", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    destfd = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (layers < 0 || destfd < 0)
        return urun_error_errno(err, "open %s", layers < 0 ? "the store's layers" : dest);
    f.destroot = destfd;
    for (size_t i = 0; i < rec->n_layers && r >= 0; i++) {
        _cleanup_close_ int l = openat(layers, rec->layers[i] + 7, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (l < 0)
            r = urun_error_errno(err, "layer %s (urun image prune removed it? import the image again)", rec->layers[i]);
        else
            r = merge_dir(&f, l, destfd, 0, err);
    }
    tdestroy(f.links, free_link);
    return r < 0 ? urun_error_wrap(err, r, "flatten %s:%s into %s", name, tag, dest) : 0;
}
