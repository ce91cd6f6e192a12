/* Implementation of store.h: paths, references and image records.  Reading only, plus making the
 * store's empty directories; layers are written by the urun-image helper alone. */
#include "image/common/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "base/util.h"
#include "spec/yamltree.h"

static const char *const subdirs[] = {"images", "configs", "layers", "tmp"};

int store_path(char **ret, struct urun_error *err)
{
    const char *xdg = secure_getenv("XDG_DATA_HOME"), *home = secure_getenv("HOME");

    if (xdg && xdg[0] == '/') {
        *ret = xasprintf("%s/urun", xdg);
        return 0;
    }
    if (!home || home[0] != '/')
        return urun_error_set(err, 0, "image store: neither $XDG_DATA_HOME nor $HOME is an absolute path");
    *ret = xasprintf("%s/.local/share/urun", home);
    return 0;
}

static int mkdir_p(const char *path, struct urun_error *err)
{
    _cleanup_free_ char *p = xstrdup(path);
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0700) < 0 && errno != EEXIST)
            return urun_error_errno(err, "image store: create %s", p);
        *s = c;
        if (!c)
            return 0;
    }
}

int store_open(bool create, int *ret_fd, char **ret_path, struct urun_error *err)
{
    _cleanup_free_ char *path = NULL;
    _cleanup_close_ int fd = -1;
    struct stat st;
    int r = store_path(&path, err);

    if (r < 0)
        return r;
    if (create && (r = mkdir_p(path, err)) < 0)
        return r;
    fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return urun_error_set(err, ENOENT, "image store %s: no images imported yet", path);
    if (fd < 0 || fstat(fd, &st) < 0)
        return urun_error_errno(err, "image store %s", path);
    if (st.st_uid != geteuid())
        return urun_error_set(err, 0, "image store %s: owned by uid %u, not you", path, (unsigned)st.st_uid);
    for (size_t i = 0; create && i < ARRAY_SIZE(subdirs); i++)
        if (mkdirat(fd, subdirs[i], 0700) < 0 && errno != EEXIST)
            return urun_error_errno(err, "image store %s: create %s", path, subdirs[i]);
    *ret_fd = TAKE_FD(fd);
    if (ret_path)
        *ret_path = TAKE_PTR(path);
    return 0;
}

int store_lock(int storefd, int op, int *ret_fd, struct urun_error *err)
{
    _cleanup_close_ int fd = openat(storefd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return urun_error_errno(err, "image store: open its lock");
    while (flock(fd, op) < 0)
        if (errno != EINTR)
            return urun_error_errno(err, "image store: lock");
    *ret_fd = TAKE_FD(fd);
    return 0;
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-' || c == '/' || c == ':';
}

static bool tag_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
}

static const char *name_problem(const char *n, size_t len)
{
    if (len == 0)
        return "empty";
    if (len > STORE_NAME_MAX)
        return "too long";
    if (n[0] == '.' || n[0] == '/' || n[0] == '-' || n[len - 1] == '/')
        return "must start and end with a letter or digit";
    for (size_t i = 0; i < len; i++) {
        if (!name_char(n[i]))
            return "has a character outside [A-Za-z0-9._/:-]";
        if (n[i] == '/' && (n[i + 1] == '/' || n[i + 1] == '.'))
            return "has an empty or dot component";
    }
    return NULL;
}

int image_ref_parse(const char *ref, char **ret_name, char **ret_tag, struct urun_error *err)
{
    const char *slash = strrchr(ref, '/'), *colon = strrchr(ref, ':');
    size_t nlen = strlen(ref);
    const char *tag = "latest", *why;

    if (colon && (!slash || colon > slash)) {
        nlen = (size_t)(colon - ref);
        tag = colon + 1;
    }
    if ((why = name_problem(ref, nlen)))
        return urun_error_set(err, 0, "image \"%.*s\": name %s", (int)(nlen > 200 ? 200 : nlen), ref, why);
    size_t tlen = strlen(tag);
    bool ok = tlen > 0 && tlen <= STORE_TAG_MAX && tag[0] != '.' && tag[0] != '-';
    for (size_t i = 0; ok && i < tlen; i++)
        ok = tag_char(tag[i]);
    if (!ok)
        return urun_error_set(err, 0,
                              "image \"%.200s\": tag must be 1 to %d of [A-Za-z0-9_.-], not starting "
                              "with '.' or '-'",
                              ref, STORE_TAG_MAX);
    *ret_name = xstrndup(ref, nlen);
    *ret_tag = xstrdup(tag);
    return 0;
}

bool image_digest_valid(const char *d)
{
    if (!d || strncmp(d, "sha256:", 7) != 0 || strlen(d) != STORE_DIGEST_LEN)
        return false;
    for (const char *p = d + 7; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

void image_record_file(const char *name, const char *tag, char out[256])
{
    size_t o = 0;
    for (const char *p = name; *p && o < 200; p++)
        out[o++] = *p == '/' ? '+' : *p;
    snprintf(out + o, 256 - o, "@%s.json", tag);
}

void image_record_free(struct image_record *r)
{
    if (!r)
        return;
    free(r->name);
    free(r->tag);
    free(r->config);
    strv_free(r->layers);
    free(r->created);
    free(r);
}

char *image_record_to_json(const struct image_record *r)
{
    struct json_writer w;
    json_init(&w, /* pretty= */ true);
    json_begin_object(&w);
    json_kv_string(&w, "name", r->name);
    json_kv_string(&w, "tag", r->tag);
    json_kv_string(&w, "config", r->config);
    json_kv_string_array(&w, "layers", (const char *const *)r->layers);
    json_kv_uint(&w, "size", r->size);
    json_kv_string(&w, "created", r->created);
    json_end_object(&w);
    char *s = json_steal(&w, NULL);
    json_free(&w);
    return s;
}

static int record_layers(const struct ynode *seq, struct image_record *r, struct urun_error *err)
{
    if (!seq || seq->kind != YNODE_SEQ || seq->n == 0 || seq->n > STORE_MAX_LAYERS)
        return urun_error_set(err, 0, "layers: expected 1 to %d digests", STORE_MAX_LAYERS);
    r->layers = xcalloc(seq->n + 1, sizeof(char *));
    for (size_t i = 0; i < seq->n; i++) {
        const char *d;
        int k = ynode_string(seq->items[i], "layers[]", &d, err);
        if (k < 0)
            return k;
        if (!image_digest_valid(d))
            return urun_error_set(err, 0, "layers[%zu]: not a sha256 digest", i);
        r->layers[i] = xstrdup(d);
        r->n_layers++;
    }
    return 0;
}

int image_record_parse(const char *buf, size_t len, struct image_record **ret, struct urun_error *err)
{
    _cleanup_(ytree_freep) struct ynode *doc = NULL;
    _cleanup_(image_record_freep) struct image_record *r = xcalloc(1, sizeof(*r));
    const char *name, *tag, *config, *created;
    _cleanup_free_ char *n2 = NULL, *t2 = NULL;
    int k;

    if ((k = ytree_parse(buf, len, &doc, err)) < 0)
        return k;
    if ((k = ynode_string(ynode_get(doc, "name"), "name", &name, err)) < 0 ||
        (k = ynode_string(ynode_get(doc, "tag"), "tag", &tag, err)) < 0 ||
        (k = ynode_string(ynode_get(doc, "config"), "config", &config, err)) < 0 ||
        (k = ynode_string(ynode_get(doc, "created"), "created", &created, err)) < 0 ||
        (k = ynode_u64(ynode_get(doc, "size"), "size", &r->size, err)) < 0)
        return k;
    _cleanup_free_ char *ref = xasprintf("%s:%s", name, tag);
    if ((k = image_ref_parse(ref, &n2, &t2, err)) < 0)
        return k;
    if (strcmp(n2, name) != 0 || strcmp(t2, tag) != 0)
        return urun_error_set(err, 0, "name, tag: not a valid reference");
    if (!image_digest_valid(config))
        return urun_error_set(err, 0, "config: not a sha256 digest");
    if ((k = record_layers(ynode_get(doc, "layers"), r, err)) < 0)
        return k;
    r->name = TAKE_PTR(n2);
    r->tag = TAKE_PTR(t2);
    r->config = xstrdup(config);
    r->created = xstrdup(created);
    *ret = TAKE_PTR(r);
    return 0;
}

static int record_load_file(int imagesfd, const char *file, struct image_record **ret, struct urun_error *err)
{
    _cleanup_free_ char *buf = NULL;
    size_t len;
    int k = read_regular_file_at(imagesfd, file, STORE_DOC_MAX, &buf, &len, err);
    if (k < 0)
        return k;
    k = image_record_parse(buf, len, ret, err);
    return k < 0 ? urun_error_wrap(err, k, "image record %s", file) : 0;
}

int image_record_load(int storefd, const char *name, const char *tag, struct image_record **ret, struct urun_error *err)
{
    _cleanup_close_ int dfd = openat(storefd, "images", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    char file[256];

    image_record_file(name, tag, file);
    if (dfd < 0 || faccessat(dfd, file, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
        return urun_error_set(err, ENOENT, "image %s:%s not found (see urun image list)", name, tag);
    int k = record_load_file(dfd, file, ret, err);
    if (k >= 0 && (strcmp((*ret)->name, name) != 0 || strcmp((*ret)->tag, tag) != 0)) {
        image_record_free(TAKE_PTR(*ret));
        return urun_error_set(err, 0, "image record %s: names another image", file);
    }
    return k;
}

static int cmp_record(const void *a, const void *b)
{
    const struct image_record *x = *(struct image_record *const *)a, *y = *(struct image_record *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->tag, y->tag);
}

int image_record_list(int storefd, struct image_record ***ret, size_t *ret_n, struct urun_error *err)
{
    int dfd = openat(storefd, "images", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct image_record **v = NULL;
    size_t n = 0;
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    struct dirent *de;

    if (!d) {
        if (dfd >= 0)
            close(dfd);
        *ret = NULL;
        *ret_n = 0;
        return errno == ENOENT ? 0 : urun_error_errno(err, "image store: list images");
    }
    while ((de = readdir(d))) {
        struct image_record *r;
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
            continue;
        if (record_load_file(dirfd(d), de->d_name, &r, NULL) < 0)
            continue;
        v = xreallocarray(v, n + 1, sizeof(*v));
        v[n++] = r;
    }
    closedir(d);
    if (n)
        qsort(v, n, sizeof(*v), cmp_record);
    *ret = v;
    *ret_n = n;
    return 0;
}

void image_record_list_free(struct image_record **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        image_record_free(v[i]);
    free(v);
}
