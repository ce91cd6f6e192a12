/* Implementation of image_spec.h.  Labels named run.urun.* are not passed on: an image must not
 * configure urun itself (run.urun.network would give it a network the user did not ask for). */
#include "runtime/image_spec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/util.h"
#include "spec/spec_default.h"

#define IMAGE_ETC_MAX (4u << 20)
#define IMAGE_MAX_VOLUMES 64

/* path of the image, read from the topmost layer that has it; a whiteout there means no file.
 * Resolved beneath each layer without symlinks: the layers are the image's, not ours. */
static char *read_from_layers(int layersfd, const struct image_record *rec, const char *path)
{
    for (size_t i = rec->n_layers; i-- > 0;) {
        _cleanup_free_ char *p = xasprintf("%s/%s", rec->layers[i] + 7, path);
        struct open_how how = {.flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
                               .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
        _cleanup_close_ int fd = (int)syscall(SYS_openat2, layersfd, p, &how, sizeof(how));
        struct stat st;
        if (fd < 0 && errno == ENOENT)
            continue;
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
            return NULL; /* a whiteout (a device), a directory or a symlink: none we read */
        if (st.st_size < 0 || st.st_size > (off_t)IMAGE_ETC_MAX)
            return NULL;
        char *buf = xcalloc(1, (size_t)st.st_size + 1);
        if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
            free(buf);
            return NULL;
        }
        return buf;
    }
    return NULL;
}

/* The numeric field `field` (2 = uid or gid, 3 = a passwd line's gid) of name's line in text. */
static bool lookup(const char *text, const char *name, int field, unsigned *ret)
{
    size_t nl = strlen(name);
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, name, nl) != 0 || line[nl] != ':')
            continue;
        const char *f = line;
        for (int i = 0; i < field && f; i++)
            f = strchr(f, ':') ? strchr(f, ':') + 1 : NULL;
        char *end;
        unsigned long v = f ? strtoul(f, &end, 10) : 0;
        if (!f || end == f || (*end != ':' && *end != '\n' && *end) || v > 4294967294ul)
            return false;
        *ret = (unsigned)v;
        return true;
    }
    return false;
}

static bool numeric(const char *s, unsigned *ret)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || s[0] == '-' || v > 4294967294ul)
        return false;
    *ret = (unsigned)v;
    return true;
}

/* The name of the passwd line whose uid is uid, into out. */
static bool name_of_uid(const char *passwd, unsigned uid, char *out, size_t size)
{
    for (const char *line = passwd; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        const char *c = strchr(line, ':');
        size_t n = c ? (size_t)(c - line) : 0;
        unsigned v;
        if (n == 0 || n >= size)
            continue;
        snprintf(out, size, "%.*s", (int)n, line);
        if (lookup(passwd, out, 2, &v) && v == uid)
            return true;
    }
    return false;
}

int image_user_resolve(const char *user, const char *passwd, const char *group, unsigned *ret_uid, unsigned *ret_gid,
                       struct urun_error *err)
{
    _cleanup_free_ char *u = xstrdup(user);
    char *g = strchr(u, ':'), name[256];
    unsigned uid = 0, gid = 0;

    if (g)
        *g++ = '\0';
    if (numeric(u, &uid)) {
        if (!g && passwd && name_of_uid(passwd, uid, name, sizeof(name)))
            lookup(passwd, name, 3, &gid);
    } else if (!passwd || !lookup(passwd, u, 2, &uid)) {
        return urun_error_set(err, 0, "user \"%s\": not in the image's /etc/passwd", u);
    } else if (!g) {
        lookup(passwd, u, 3, &gid);
    }
    if (g && !numeric(g, &gid) && !(group && lookup(group, g, 2, &gid)))
        return urun_error_set(err, 0, "group \"%s\": not in the image's /etc/group", g);
    *ret_uid = uid;
    *ret_gid = gid;
    return 0;
}

/* A growable NULL-terminated list of borrowed strings. */
struct strs {
    const char **v;
    size_t n;
};

static void strs_push(struct strs *s, const char *x)
{
    s->v = xreallocarray(s->v, s->n + 2, sizeof(*s->v));
    s->v[s->n++] = x;
    s->v[s->n] = NULL;
}

/* Image env, then -e: a later KEY= replaces an earlier one in place. */
static int merge_env(const struct image_config *cfg, const char *const *extra, struct strs *out, struct urun_error *err)
{
    static const char default_path[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    struct strs all = {0};
    bool path = false;
    for (char **e = cfg->env; e && *e; e++)
        strs_push(&all, *e);
    for (const char *const *e = extra; e && *e; e++) {
        if (!strchr(*e, '=') || **e == '=')
            return free(all.v), urun_error_set(err, 0, "--env \"%s\": expected KEY=VALUE", *e);
        strs_push(&all, *e);
    }
    for (size_t i = 0; i < all.n; i++) {
        size_t k = (size_t)(strchr(all.v[i], '=') - all.v[i]);
        bool replaced = false;
        for (size_t j = 0; j < out->n && !replaced; j++)
            if (strncmp(out->v[j], all.v[i], k + 1) == 0)
                out->v[j] = all.v[i], replaced = true;
        if (!replaced)
            strs_push(out, all.v[i]);
        path = path || strncmp(all.v[i], "PATH=", 5) == 0;
    }
    free(all.v);
    if (!path)
        strs_push(out, default_path);
    return 0;
}

static int parse_volumes(const char *const *vols, struct spec_default_bind *out, char **owned, size_t *ret_n,
                         struct urun_error *err)
{
    size_t n = 0;
    for (const char *const *v = vols; v && *v; v++, n++) {
        if (n == IMAGE_MAX_VOLUMES)
            return urun_error_set(err, 0, "--volume: more than %d", IMAGE_MAX_VOLUMES);
        _cleanup_free_ char *s = xstrdup(*v);
        char *dst = strchr(s, ':'), *opt = dst ? strchr(dst + 1, ':') : NULL;
        if (!dst || dst == s || dst[1] != '/' || (opt && strcmp(opt, ":ro") != 0 && strcmp(opt, ":rw") != 0))
            return urun_error_set(err, 0, "--volume \"%s\": expected SRC:DST[:ro] with DST absolute", *v);
        *dst++ = '\0';
        if (opt)
            *opt++ = '\0';
        char *src = realpath(s, NULL);
        if (!src)
            return urun_error_errno(err, "--volume \"%s\": %s", *v, s);
        owned[2 * n] = src;
        owned[2 * n + 1] = xstrdup(dst);
        out[n] = (struct spec_default_bind){
            .source = src, .destination = owned[2 * n + 1], .ro = opt && strcmp(opt, "ro") == 0};
    }
    *ret_n = n;
    return 0;
}

static int process_args(const struct image_config *cfg, char *const *args, struct strs *out, struct urun_error *err)
{
    for (char **e = cfg->entrypoint; e && *e; e++)
        strs_push(out, *e);
    if (args && *args)
        for (char *const *a = args; *a; a++)
            strs_push(out, *a);
    else
        for (char **c = cfg->cmd; c && *c; c++)
            strs_push(out, *c);
    if (out->n == 0)
        return urun_error_set(err, 0, "the image has no Entrypoint or Cmd: give a command after the ID");
    return 0;
}

static void annotations(const struct image_config *cfg, const struct image_record *rec, struct spec_default_kv *kv,
                        size_t *n, char *ref)
{
    kv[(*n)++] = (struct spec_default_kv){"org.opencontainers.image.ref.name", ref};
    kv[(*n)++] = (struct spec_default_kv){"run.urun.image.id", rec->config};
    if (cfg->stop_signal)
        kv[(*n)++] = (struct spec_default_kv){"org.opencontainers.image.stopSignal", cfg->stop_signal};
    for (size_t i = 0; i < cfg->n_labels; i++)
        if (strncmp(cfg->labels[i].key, "run.urun.", 9) != 0)
            kv[(*n)++] = (struct spec_default_kv){cfg->labels[i].key, cfg->labels[i].value};
}

int image_spec_json(int layersfd, const struct image_record *rec, const struct image_config *cfg,
                    const struct image_overrides *o, char **ret_json, struct urun_error *err)
{
    struct strs args = {0}, env = {0};
    struct spec_default_bind binds[IMAGE_MAX_VOLUMES];
    char *owned[2 * IMAGE_MAX_VOLUMES] = {0};
    _cleanup_free_ struct spec_default_kv *kv = xcalloc(cfg->n_labels + 3, sizeof(*kv));
    _cleanup_free_ char *passwd = NULL, *group = NULL, *ref = xasprintf("%s:%s", rec->name, rec->tag);
    struct spec_default_opts so = {.rootless = true, .root_writable = !o->read_only, .binds = binds, .annotations = kv};
    const char *user = o->user ? o->user : cfg->user;
    int r = 0;

    if (r >= 0 && user) {
        passwd = read_from_layers(layersfd, rec, "etc/passwd");
        group = read_from_layers(layersfd, rec, "etc/group");
        r = image_user_resolve(user, passwd, group, &so.uid, &so.gid, err);
    }
    if (r >= 0)
        r = process_args(cfg, o->args, &args, err);
    if (r >= 0)
        r = merge_env(cfg, o->env, &env, err);
    if (r >= 0)
        r = parse_volumes(o->volumes, binds, owned, &so.n_binds, err);
    if (r >= 0 && o->workdir && o->workdir[0] != '/')
        r = urun_error_set(err, 0, "--workdir \"%s\": must be an absolute path", o->workdir);
    if (r >= 0) {
        annotations(cfg, rec, kv, &so.n_annotations, ref);
        so.args = args.v;
        so.env = env.v;
        so.cwd = o->workdir ? o->workdir : cfg->workdir && cfg->workdir[0] == '/' ? cfg->workdir : "/";
        *ret_json = spec_default_json_opts(&so);
        if (!*ret_json)
            r = urun_error_set(err, EINVAL, "image config: build the config");
    }
    for (size_t i = 0; i < ARRAY_SIZE(owned); i++)
        free(owned[i]);
    free(args.v);
    free(env.v);
    return r;
}
