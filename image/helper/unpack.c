/* Implementation of unpack.h.  Two libarchive readers in a row: the outer one (raw format, every
 * filter) decompresses the blob; the inner one (tar) reads the outer's output through a callback
 * that also digests it, so the layer is decompressed once and its diff ID checked on the way. */
#include "image/helper/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "image/helper/digest.h"
#include "image/helper/helper.h"

#define CHUNK (1u << 17)

struct outer_io {
    const struct blob *b;
    uint64_t pos;
    char buf[CHUNK];
};

struct inner_io {
    struct archive *outer;
    struct digest d;
    uint64_t total;
    char buf[CHUNK];
};

static la_ssize_t outer_read(struct archive *a, void *p, const void **buf)
{
    struct outer_io *o = p;
    uint64_t left = o->b->size - o->pos;
    size_t want = left < CHUNK ? (size_t)left : CHUNK;
    ssize_t n;

    if (helper_cancelled()) {
        archive_set_error(a, EINTR, "interrupted");
        return -1;
    }
    if (want == 0)
        return 0;
    do
        n = pread(o->b->fd, o->buf, want, (off_t)(o->b->off + o->pos));
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        archive_set_error(a, errno, "read");
        return -1;
    }
    o->pos += (uint64_t)n;
    helper_progress_add((uint64_t)n);
    *buf = o->buf;
    return n;
}

static la_ssize_t inner_read(struct archive *a, void *p, const void **buf)
{
    struct inner_io *in = p;
    la_ssize_t n = archive_read_data(in->outer, in->buf, CHUNK);
    if (n < 0) {
        archive_set_error(a, archive_errno(in->outer), "%s", archive_error_string(in->outer));
        return -1;
    }
    in->total += (uint64_t)n;
    if (in->total > UNPACK_MAX_BYTES) {
        archive_set_error(a, EFBIG, "more than %llu bytes uncompressed", (unsigned long long)UNPACK_MAX_BYTES);
        return -1;
    }
    digest_update(&in->d, in->buf, (size_t)n);
    *buf = in->buf;
    return n;
}

/* Our own check of a member's name, before libarchive sees it: relative, no "..", no empty or "."
 * component (normalised away).  "" for the layer's root itself. */
static int member_path(const char *in, char **ret, struct urun_error *err)
{
    size_t len = strlen(in);
    if (len > 4096 || in[0] == '/')
        return urun_error_set(err, 0, "member \"%.200s\": an absolute path or too long", in);
    if (helper_clean_path(in, len, ret) < 0)
        return urun_error_set(err, 0, "member \"%.200s\": has a \"..\" component", in);
    return 0;
}

/* The directory part of path opened beneath destfd, components made (0755) where missing, one at
 * a time and never through a symlink; *ret_base is the last component. */
static int open_parent(int destfd, char *path, const char **ret_base, int *ret_fd, struct urun_error *err)
{
    char *slash = strrchr(path, '/');
    _cleanup_close_ int cur = open_beneath(destfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

    *ret_base = slash ? slash + 1 : path;
    if (cur < 0)
        return urun_error_set(err, -cur, "open the layer directory");
    for (char *c = path; slash && c <= slash;) {
        char *end = strchr(c, '/');
        *end = '\0';
        int next = open_beneath(cur, c, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        if (next == -ENOENT && mkdirat(cur, c, 0755) == 0)
            next = open_beneath(cur, c, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        *end = '/';
        if (next < 0)
            return urun_error_set(err, -next,
                                  "member \"%.200s\": its directory is not a directory inside the "
                                  "layer",
                                  path);
        close(cur);
        cur = next;
        c = end + 1;
    }
    *ret_fd = TAKE_FD(cur);
    return 0;
}

/* ".wh..wh..opq": the directory hides what lower layers have in it (user.overlay.opaque, the
 * userxattr form overlayfs reads inside a user namespace).  ".wh.NAME": NAME is deleted, a 0/0
 * character device (overlayfs' whiteout, which a user namespace may make since Linux 5.8). */
static int whiteout(int destfd, char *path, struct urun_error *err)
{
    _cleanup_close_ int dir = -1;
    const char *base;
    int r = open_parent(destfd, path, &base, &dir, err);
    if (r < 0)
        return r;
    if (strcmp(base, ".wh..wh..opq") == 0) {
        if (fsetxattr(dir, "user.overlay.opaque", "y", 1, 0) < 0)
            return urun_error_errno(err, "member \"%.200s\": mark its directory opaque", path);
        return 0;
    }
    const char *name = base + 4;
    if (!name[0] || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return urun_error_set(err, 0, "member \"%.200s\": a whiteout of nothing", path);
    if (mknodat(dir, name, S_IFCHR | 0, makedev(0, 0)) < 0 && errno != EEXIST)
        return urun_error_errno(err, "member \"%.200s\": make the whiteout", path);
    return 0;
}

/* A hard link, made by us: both names resolved beneath destfd without symlinks, and linkat(2)
 * without AT_SYMLINK_FOLLOW links a symlink itself, never what it points to. */
static int hard_link(int destfd, char *path, const char *target_in, struct urun_error *err)
{
    _cleanup_free_ char *target = NULL;
    _cleanup_close_ int tdir = -1, ldir = -1;
    const char *tbase, *lbase;
    int r = member_path(target_in, &target, err);
    if (r < 0 || !target[0])
        return r < 0 ? urun_error_wrap(err, r, "hard link %.200s", path)
                     : urun_error_set(err, 0, "member \"%.200s\": a hard link to the layer's root", path);
    if ((r = open_parent(destfd, target, &tbase, &tdir, err)) < 0 ||
        (r = open_parent(destfd, path, &lbase, &ldir, err)) < 0)
        return r;
    unlinkat(ldir, lbase, 0);
    if (linkat(tdir, tbase, ldir, lbase, 0) < 0)
        return urun_error_errno(err, "member \"%.200s\": hard link to \"%.200s\"", path, target);
    return 0;
}

/* Extended attributes we keep: file capabilities (the kernel turns them into namespaced ones) and
 * user.* (but not user.overlay.*, which would change what overlayfs makes of the layer). */
static bool xattr_kept(const char *name)
{
    return strcmp(name, "security.capability") == 0 ||
           (strncmp(name, "user.", 5) == 0 && strncmp(name, "user.overlay.", 13) != 0);
}

static int apply_xattrs(int destfd, const char *path, struct archive_entry *e, struct urun_error *err)
{
    const char *name;
    const void *value;
    size_t size;
    _cleanup_close_ int fd = -1;

    if (archive_entry_xattr_reset(e) == 0 || archive_entry_filetype(e) == AE_IFLNK)
        return 0;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        if (!xattr_kept(name))
            continue;
        if (fd < 0 && (fd = open_beneath(destfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0)) < 0)
            return urun_error_set(err, -fd, "member \"%.200s\": open to set %s", path, name);
        if (fsetxattr(fd, name, value, size, 0) < 0)
            return urun_error_errno(err, "member \"%.200s\": set %s", path, name);
    }
    return 0;
}

static int copy_data(struct archive *in, struct archive *out, const char *path, struct urun_error *err)
{
    const void *buf;
    size_t size;
    la_int64_t off;
    for (;;) {
        int k = archive_read_data_block(in, &buf, &size, &off);
        if (k == ARCHIVE_EOF)
            return 0;
        if (k != ARCHIVE_OK)
            return urun_error_set(err, archive_errno(in), "member \"%.200s\": %s", path, archive_error_string(in));
        if (archive_write_data_block(out, buf, size, off) != ARCHIVE_OK)
            return urun_error_set(err, archive_errno(out), "member \"%.200s\": %s", path, archive_error_string(out));
    }
}

/* One member.  Device nodes and sockets are counted and skipped. */
static int one_member(struct archive *in, struct archive *out, struct archive_entry *e, int destfd,
                      struct unpack_result *res, struct urun_error *err)
{
    _cleanup_free_ char *path = NULL;
    int r = member_path(archive_entry_pathname(e) ? archive_entry_pathname(e) : "", &path, err);
    mode_t type = archive_entry_filetype(e);
    const char *base;

    if (r < 0 || !path[0])
        return r; /* the layer's root: its directory is ours */
    base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (strncmp(base, ".wh.", 4) == 0)
        return whiteout(destfd, path, err);
    if (archive_entry_hardlink(e))
        return hard_link(destfd, path, archive_entry_hardlink(e), err);
    if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFSOCK) {
        res->devices += type != AE_IFSOCK;
        return 0;
    }
    archive_entry_set_pathname(e, path);
    if (archive_write_header(out, e) != ARCHIVE_OK)
        return urun_error_set(err, archive_errno(out), "member \"%.200s\": %s", path, archive_error_string(out));
    if (archive_entry_size(e) > 0 && (r = copy_data(in, out, path, err)) < 0)
        return r;
    if (archive_write_finish_entry(out) != ARCHIVE_OK)
        return urun_error_set(err, archive_errno(out), "member \"%.200s\": %s", path, archive_error_string(out));
    return apply_xattrs(destfd, path, e, err);
}

static int members(struct archive *in, struct archive *out, int destfd, struct unpack_result *res,
                   struct urun_error *err)
{
    struct archive_entry *e;
    unsigned long n = 0;
    for (;;) {
        int k = archive_read_next_header(in, &e);
        if (k == ARCHIVE_EOF)
            return 0;
        if (k != ARCHIVE_OK && k != ARCHIVE_WARN)
            return urun_error_set(err, archive_errno(in), "%s", archive_error_string(in));
        if (++n > UNPACK_MAX_ENTRIES)
            return urun_error_set(err, 0, "more than %d members", UNPACK_MAX_ENTRIES);
        int r = one_member(in, out, e, destfd, res, err);
        if (r < 0)
            return r;
    }
}

/* What is left of the decompressed stream after the tar's end (its padding) is digested too. */
static int drain(struct inner_io *in, struct urun_error *err)
{
    for (;;) {
        la_ssize_t n = archive_read_data(in->outer, in->buf, CHUNK);
        if (n < 0)
            return urun_error_set(err, archive_errno(in->outer), "%s", archive_error_string(in->outer));
        if (n == 0)
            return 0;
        in->total += (uint64_t)n;
        if (in->total > UNPACK_MAX_BYTES)
            return urun_error_set(err, EFBIG, "more than %llu bytes uncompressed",
                                  (unsigned long long)UNPACK_MAX_BYTES);
        digest_update(&in->d, in->buf, (size_t)n);
    }
}

static struct archive *disk_writer(void)
{
    struct archive *w = archive_write_disk_new();
    archive_write_disk_set_options(w, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                                          ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                          ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
    return w; /* no lookup functions: the tar's numeric IDs are used as they are */
}

int layer_unpack(const struct blob *b, const char *diff_id, int destfd, struct unpack_result *ret,
                 struct urun_error *err)
{
    _cleanup_free_ struct outer_io *oio = xcalloc(1, sizeof(*oio));
    _cleanup_free_ struct inner_io *iio = xcalloc(1, sizeof(*iio));
    struct archive *outer = archive_read_new(), *inner = archive_read_new(), *disk = disk_writer();
    struct archive_entry *raw;
    _cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    char got[72];
    int r;

    if (!outer || !inner || !disk || cwd < 0)
        abort();
    *ret = (struct unpack_result){0};
    oio->b = b;
    iio->outer = outer;
    archive_read_support_filter_all(outer);
    archive_read_support_format_raw(outer);
    archive_read_support_format_tar(inner);
    r = digest_init(&iio->d, err);
    if (r >= 0 && (archive_read_open(outer, oio, NULL, outer_read, NULL) != ARCHIVE_OK ||
                   archive_read_next_header(outer, &raw) != ARCHIVE_OK))
        r = urun_error_set(err, archive_errno(outer), "%s", archive_error_string(outer));
    if (r >= 0 && archive_read_open(inner, iio, NULL, inner_read, NULL) != ARCHIVE_OK)
        r = urun_error_set(err, archive_errno(inner), "not a tar archive: %s", archive_error_string(inner));
    /* archive_write_disk takes paths relative to the working directory: the layer's, for now */
    if (r >= 0 && fchdir(destfd) < 0)
        r = urun_error_errno(err, "enter the layer directory");
    if (r >= 0)
        r = members(inner, disk, destfd, ret, err);
    if (archive_write_close(disk) != ARCHIVE_OK && r >= 0) /* directories' deferred modes and times */
        r = urun_error_set(err, archive_errno(disk), "%s", archive_error_string(disk));
    if (fchdir(cwd) < 0 && r >= 0)
        r = urun_error_errno(err, "return to the working directory");
    if (r >= 0)
        r = drain(iio, err);
    ret->bytes = iio->total;
    if (iio->d.ctx && r >= 0) {
        digest_final(&iio->d, got);
        if (strcmp(got, diff_id) != 0)
            r = urun_error_set(err, 0, "digest mismatch: the uncompressed layer is %s, the image says %s", got,
                               diff_id);
    }
    if (iio->d.ctx)
        digest_clear(&iio->d);
    archive_write_free(disk);
    archive_read_free(inner);
    archive_read_free(outer);
    return r;
}
