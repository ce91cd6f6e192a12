/* Implementation of source.h.  The outer archive is hostile like the layers: its headers are
 * checksummed, every size is checked against the file's, names are bounded and normalised, and a
 * member is only ever read through (offset, size) of the one archive fd. */
#include "image/helper/source.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "image/helper/helper.h"

#define TAR_MAX_ENTRIES 100000
#define TAR_MAX_NAME 4096
#define TAR_MAX_PAX (64u << 10)

void blob_clear(struct blob *b)
{
    if (b->own_fd >= 0)
        close(b->own_fd);
    b->own_fd = b->fd = -1;
}

void source_close(struct source *s)
{
    if (s->fd >= 0)
        close(s->fd);
    for (size_t i = 0; i < s->n_entries; i++) {
        free(s->entries[i].name);
        free(s->entries[i].link);
    }
    free(s->entries);
    free(s->tag);
    free(s->display);
    *s = (struct source){.fd = -1};
}

static uint64_t tar_number(const char *f, size_t n, bool *ok)
{
    uint64_t v = 0;
    if ((unsigned char)f[0] & 0x80) { /* base-256 (GNU) */
        for (size_t i = 1; i < n; i++) {
            if (v >> 56)
                *ok = false;
            v = (v << 8) | (unsigned char)f[i];
        }
        return v;
    }
    size_t i = 0;
    while (i < n && f[i] == ' ')
        i++;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
        if (v >> 60)
            *ok = false;
        v = v * 8 + (uint64_t)(f[i] - '0');
    }
    if (i < n && f[i] != ' ' && f[i] != '\0')
        *ok = false;
    return v;
}

static bool tar_checksum_ok(const unsigned char *h)
{
    bool ok = true;
    uint64_t want = tar_number((const char *)h + 148, 8, &ok), sum = 0;
    for (int i = 0; i < 512; i++)
        sum += (i >= 148 && i < 156) ? ' ' : h[i];
    return ok && sum == want;
}

/* "./a//b" -> "a/b"; NULL for an empty name, ".." anywhere, or one too long. */
static char *normalise(const char *in, size_t len)
{
    char *out = NULL;
    if (len == 0 || len > TAR_MAX_NAME || helper_clean_path(in, len, &out) <= 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* pax records "LEN key=value\n": the path and size we need. */
static void pax_parse(const char *p, size_t len, char **path, uint64_t *size)
{
    while (len > 0) {
        char *end;
        unsigned long n = strtoul(p, &end, 10);
        if (end == p || *end != ' ' || n == 0 || n > len || p[n - 1] != '\n')
            return;
        const char *kv = end + 1, *stop = p + n - 1;
        if ((size_t)(stop - kv) > 5 && memcmp(kv, "path=", 5) == 0) {
            free(*path);
            *path = xstrndup(kv + 5, (size_t)(stop - kv - 5));
        } else if ((size_t)(stop - kv) > 5 && memcmp(kv, "size=", 5) == 0) {
            *size = strtoull(kv + 5, NULL, 10);
        }
        p += n;
        len -= n;
    }
}

struct tar_walk {
    int fd;
    uint64_t file_size;
    char *long_name, *long_link, *pax_path;
    uint64_t pax_size;
};

static int add_entry(struct source *s, struct tar_walk *w, const unsigned char *h, uint64_t off, uint64_t size,
                     struct urun_error *err)
{
    char raw[257];
    const char *name = w->pax_path ? w->pax_path : w->long_name;
    if (!name) {
        size_t pl = strnlen((const char *)h + 345, 155), nl = strnlen((const char *)h, 100);
        bool ustar = memcmp(h + 257, "ustar", 5) == 0 && pl > 0;
        snprintf(raw, sizeof(raw), "%.*s%s%.*s", ustar ? (int)pl : 0, (const char *)h + 345, ustar ? "/" : "", (int)nl,
                 (const char *)h);
        name = raw;
    }
    char *n = normalise(name, strlen(name));
    if (!n)
        return urun_error_set(err, 0, "member \"%.100s\": not a relative path inside the archive", name);
    if (s->n_entries == TAR_MAX_ENTRIES)
        return urun_error_set(err, 0, "more than %d members", TAR_MAX_ENTRIES);
    struct source_entry *v = s->entries = xreallocarray(s->entries, s->n_entries + 1, sizeof(*v));
    char lk[101];
    snprintf(lk, sizeof(lk), "%.*s", (int)strnlen((const char *)h + 157, 100), (const char *)h + 157);
    v[s->n_entries++] = (struct source_entry){
        .name = n, .link = h[156] == '2' ? xstrdup(w->long_link ? w->long_link : lk) : NULL, .off = off, .size = size};
    return 0;
}

static int read_meta(struct tar_walk *w, uint64_t off, uint64_t size, size_t max, char **ret, struct urun_error *err)
{
    if (size > max)
        return urun_error_set(err, 0, "a long name or pax header of %llu bytes", (unsigned long long)size);
    char *b = xcalloc(1, (size_t)size + 1);
    if (pread(w->fd, b, (size_t)size, (off_t)off) != (ssize_t)size) {
        free(b);
        return urun_error_set(err, EIO, "read a header");
    }
    free(*ret);
    *ret = b;
    return 0;
}

static int tar_step(struct source *s, struct tar_walk *w, uint64_t *off, bool *done, struct urun_error *err)
{
    unsigned char h[512];
    static const unsigned char zero[512];
    if (*off + 512 > w->file_size || pread(w->fd, h, 512, (off_t)*off) != 512)
        return urun_error_set(err, 0, "truncated: no end-of-archive marker");
    if (memcmp(h, zero, 512) == 0) {
        *done = true;
        return 0;
    }
    if (!tar_checksum_ok(h))
        return urun_error_set(err, 0, "not a tar archive, or corrupted: bad header checksum at byte %llu",
                              (unsigned long long)*off);
    bool ok = true;
    uint64_t size = tar_number((const char *)h + 124, 12, &ok), data = *off + 512;
    if (w->pax_size != UINT64_MAX)
        size = w->pax_size;
    if (!ok || size > w->file_size || data + ((size + 511) & ~511ull) > w->file_size)
        return urun_error_set(err, 0, "truncated: a member runs past the end of the archive");
    int r = 0;
    char type = (char)h[156];
    if (type == 'L')
        return (*off = data + ((size + 511) & ~511ull), read_meta(w, data, size, TAR_MAX_NAME, &w->long_name, err));
    if (type == 'K')
        return (*off = data + ((size + 511) & ~511ull), read_meta(w, data, size, TAR_MAX_NAME, &w->long_link, err));
    if (type == 'x') {
        _cleanup_free_ char *pax = NULL;
        r = read_meta(w, data, size, TAR_MAX_PAX, &pax, err);
        if (r >= 0)
            pax_parse(pax, (size_t)size, &w->pax_path, &w->pax_size);
        *off = data + ((size + 511) & ~511ull);
        return r;
    }
    if (type == '0' || type == '\0' || type == '7' || type == '2')
        r = add_entry(s, w, h, data, type == '2' ? 0 : size, err);
    free(w->long_name);
    free(w->long_link);
    free(w->pax_path);
    w->long_name = w->long_link = w->pax_path = NULL;
    w->pax_size = UINT64_MAX;
    *off = data + (type == '2' || type == '5' ? 0 : ((size + 511) & ~511ull));
    return r;
}

int source_tar_index(int fd, struct source *s, struct urun_error *err)
{
    struct stat st;
    struct tar_walk w = {.fd = fd, .pax_size = UINT64_MAX};
    uint64_t off = 0;
    bool done = false;
    int r = 0;

    if (fstat(fd, &st) < 0)
        return urun_error_errno(err, "stat");
    w.file_size = (uint64_t)st.st_size;
    while (!done && r >= 0)
        r = tar_step(s, &w, &off, &done, err);
    free(w.long_name);
    free(w.long_link);
    free(w.pax_path);
    return r;
}

/* entry's directory joined with a relative link target, ".." popping a component; NULL when it leaves
 * the archive or is absolute. */
static char *link_target(const char *entry, const char *target)
{
    if (target[0] == '/' || strlen(entry) + strlen(target) > TAR_MAX_NAME)
        return NULL;
    _cleanup_free_ char *joined = xasprintf("%s/../%s", entry, target);
    char *out = xcalloc(1, strlen(joined) + 1);
    size_t o = 0;
    for (char *save = NULL, *c = strtok_r(joined, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (strcmp(c, ".") == 0)
            continue;
        if (strcmp(c, "..") == 0) {
            if (o == 0) {
                free(out);
                return NULL;
            }
            while (o > 0 && out[o - 1] != '/')
                o--;
            o = o > 0 ? o - 1 : 0;
            out[o] = '\0';
            continue;
        }
        o += (size_t)sprintf(out + o, "%s%s", o ? "/" : "", c);
    }
    return out;
}

static const struct source_entry *find_entry(const struct source *s, const char *name)
{
    _cleanup_free_ char *cur = normalise(name, strlen(name));
    for (int hops = 0; cur && hops < 8; hops++) {
        const struct source_entry *e = NULL;
        for (size_t i = s->n_entries; i-- > 0;) /* the last of repeated names wins, as tar extracts */
            if (strcmp(s->entries[i].name, cur) == 0) {
                e = &s->entries[i];
                break;
            }
        if (!e || !e->link)
            return e;
        char *next = link_target(e->name, e->link);
        free(cur);
        cur = next;
    }
    return NULL;
}

int source_blob(const struct source *s, const char *name, struct blob *ret, struct urun_error *err)
{
    *ret = (struct blob){.fd = -1, .own_fd = -1};
    if (s->kind != SOURCE_OCI_DIR) {
        const struct source_entry *e = find_entry(s, name);
        if (!e)
            return urun_error_set(err, ENOENT, "%s: no member %s", s->display, name);
        *ret = (struct blob){.fd = s->fd, .off = e->off, .size = e->size, .own_fd = -1};
        return 0;
    }
    /* A layout is a directory of the user's, but the image's names are not: they stay below it. */
    int fd = open_beneath(s->fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
    struct stat st;
    if (fd < 0)
        return urun_error_set(err, -fd, "%s: %s", s->display, name);
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return urun_error_set(err, 0, "%s: %s: not a regular file", s->display, name);
    }
    *ret = (struct blob){.fd = fd, .off = 0, .size = (uint64_t)st.st_size, .own_fd = fd};
    return 0;
}

int source_read(const struct source *s, const char *name, size_t max, char **ret, size_t *ret_len,
                struct urun_error *err)
{
    struct blob b;
    int r = source_blob(s, name, &b, err);
    if (r < 0)
        return r;
    if (b.size > max) {
        blob_clear(&b);
        return urun_error_set(err, 0, "%s: %s: larger than %zu bytes", s->display, name, max);
    }
    char *buf = xmalloc((size_t)b.size + 1);
    ssize_t n = pread(b.fd, buf, (size_t)b.size, (off_t)b.off);
    blob_clear(&b);
    if (n != (ssize_t)b.size) {
        free(buf);
        return urun_error_set(err, n < 0 ? errno : 0, "%s: %s: cannot read", s->display, name);
    }
    buf[b.size] = '\0';
    *ret = buf;
    *ret_len = (size_t)b.size;
    return 0;
}

/* A compressed archive (docker save | gzip): decompressed once into tmpfd/archive.tar. */
static int decompress_outer(int fd, int tmpfd, int *ret_fd, struct urun_error *err)
{
    struct archive *a = archive_read_new();
    _cleanup_close_ int out = openat(tmpfd, "archive.tar", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    struct archive_entry *e;
    int r = 0;

    archive_read_support_filter_all(a);
    archive_read_support_format_raw(a);
    if (out < 0)
        r = urun_error_errno(err, "create a temporary file");
    else if (archive_read_open_fd(a, fd, 1 << 20) != ARCHIVE_OK || archive_read_next_header(a, &e) != ARCHIVE_OK)
        r = urun_error_set(err, 0, "not an archive: %s", archive_error_string(a));
    for (;;) {
        char buf[1 << 16];
        ssize_t n = r < 0 ? 0 : archive_read_data(a, buf, sizeof(buf));
        if (n < 0)
            r = urun_error_set(err, 0, "decompress: %s", archive_error_string(a));
        if (n <= 0 || r < 0)
            break;
        if (write_all(out, buf, (size_t)n) < 0)
            r = urun_error_errno(err, "write a temporary file");
        if (helper_cancelled())
            r = urun_error_set(err, EINTR, "interrupted");
    }
    archive_read_free(a);
    if (r < 0)
        return r;
    *ret_fd = TAKE_FD(out);
    return 0;
}

static bool is_compressed(int fd)
{
    unsigned char m[6];
    if (pread(fd, m, sizeof(m), 0) != (ssize_t)sizeof(m))
        return false;
    return (m[0] == 0x1f && m[1] == 0x8b) || (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) ||
           (m[0] == 'B' && m[1] == 'Z' && m[2] == 'h') ||
           memcmp(m,
                  "\xfd"
                  "7zXZ",
                  5) == 0;
}

/* "PATH:TAG" when PATH:TAG does not exist but PATH does, at the first such ':' (a tag of an OCI
 * layout may be a whole reference, "host/name:tag"). */
static void split_tag(const char *spec, char **ret_path, char **ret_tag)
{
    struct stat st;
    *ret_tag = NULL;
    if (stat(spec, &st) < 0)
        for (const char *c = strchr(spec, ':'); c; c = strchr(c + 1, ':')) {
            _cleanup_free_ char *p = xstrndup(spec, (size_t)(c - spec));
            if (stat(p, &st) == 0) {
                *ret_path = TAKE_PTR(p);
                *ret_tag = xstrdup(c + 1);
                return;
            }
        }
    *ret_path = xstrdup(spec);
}

static int open_archive(struct source *s, const char *path, int tmpfd, struct urun_error *err)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return urun_error_errno(err, "%s", path);
    s->fd = fd;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return urun_error_set(err, 0, "%s: not a regular file", path);
    if (is_compressed(fd)) {
        int r = decompress_outer(fd, tmpfd, &s->fd, err);
        close(fd);
        if (r < 0) {
            s->fd = -1;
            return urun_error_wrap(err, r, "%s", path);
        }
    }
    int r = source_tar_index(s->fd, s, err);
    return r < 0 ? urun_error_wrap(err, r, "%s", path) : 0;
}

/* A plain path: a directory is a layout; an archive with oci-layout is an oci-archive, one with
 * manifest.json a docker-archive. */
static int detect(struct source *s, const char *path, int tmpfd, struct urun_error *err)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return urun_error_errno(err, "%s", path);
    if (S_ISDIR(st.st_mode)) {
        s->kind = SOURCE_OCI_DIR;
        return 0;
    }
    int r = open_archive(s, path, tmpfd, err);
    if (r < 0)
        return r;
    if (find_entry(s, "oci-layout"))
        s->kind = SOURCE_OCI_ARCHIVE;
    else if (find_entry(s, "manifest.json"))
        s->kind = SOURCE_DOCKER_ARCHIVE;
    else
        return urun_error_set(err, 0,
                              "%s: neither an OCI archive (no oci-layout) nor a docker-archive (no "
                              "manifest.json)",
                              path);
    return 0;
}

int source_open(const char *spec, int tmpfd, struct source *ret, struct urun_error *err)
{
    struct source s = {.fd = -1};
    _cleanup_free_ char *path = NULL;
    int r = 0;
    bool sniff = false;

    if (strncmp(spec, "oci:", 4) == 0) {
        s.kind = SOURCE_OCI_DIR;
        split_tag(spec + 4, &path, &s.tag);
    } else if (strncmp(spec, "oci-archive:", 12) == 0) {
        s.kind = SOURCE_OCI_ARCHIVE;
        split_tag(spec + 12, &path, &s.tag);
    } else if (strncmp(spec, "docker-archive:", 15) == 0) {
        s.kind = SOURCE_DOCKER_ARCHIVE;
        path = xstrdup(spec + 15);
    } else {
        sniff = true;
        path = xstrdup(spec);
    }
    s.display = xstrdup(path);
    if (!path[0])
        r = urun_error_set(err, 0, "%s: no path", spec);
    else if (sniff)
        r = detect(&s, path, tmpfd, err);
    else if (s.kind != SOURCE_OCI_DIR)
        r = open_archive(&s, path, tmpfd, err);
    if (r >= 0 && s.kind == SOURCE_OCI_DIR) {
        s.fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s.fd < 0)
            r = urun_error_errno(err, "%s", path);
    }
    if (r < 0) {
        source_close(&s);
        return r;
    }
    *ret = s;
    return 0;
}
