/* Turns a config document (JSON or YAML, via yamltree) into struct urun_spec, validating as it goes.
 * Owns the field names of the OCI runtime-spec and the messages naming a bad field's path.
 * Must never make a syscall, touch the filesystem or print: bytes in, structs out. */
#include "spec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "yamltree.h"

#define SPATH_MAX 512

enum {
    F_REQUIRED = 1 << 0,
    F_NONEMPTY = 1 << 1,
    F_ABSOLUTE = 1 << 2,
};

/* One kind of array element: its size, how to fill one from a node, how to free its contents. */
struct elem_type {
    size_t size;
    int (*parse)(const struct ynode *n, const char *path, void *elem, struct urun_error *err);
    void (*free)(void *elem);
};

static const char *const ns_names[SPEC_NS__MAX] = {
    [SPEC_NS_PID] = "pid",   [SPEC_NS_NETWORK] = "network", [SPEC_NS_MOUNT] = "mount",   [SPEC_NS_IPC] = "ipc",
    [SPEC_NS_UTS] = "uts",   [SPEC_NS_USER] = "user",       [SPEC_NS_CGROUP] = "cgroup", [SPEC_NS_TIME] = "time",
};

static const char *const hook_names[SPEC_HOOK__MAX] = {
    [SPEC_HOOK_PRESTART] = "prestart",
    [SPEC_HOOK_CREATE_RUNTIME] = "createRuntime",
    [SPEC_HOOK_CREATE_CONTAINER] = "createContainer",
    [SPEC_HOOK_START_CONTAINER] = "startContainer",
    [SPEC_HOOK_POSTSTART] = "poststart",
    [SPEC_HOOK_POSTSTOP] = "poststop",
};

/* ---- freeing ---- */

static void free_kvs(struct spec_kv *kv, size_t n)
{
    for (size_t i = 0; kv && i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

static void free_array(void *v, size_t n, const struct elem_type *t)
{
    for (size_t i = 0; v && t->free && i < n; i++)
        t->free((char *)v + i * t->size);
    free(v);
}

static void free_mount(void *elem)
{
    struct spec_mount *m = elem;

    free(m->destination);
    free(m->type);
    free(m->source);
    strv_free(m->options);
    free(m->uid_mappings);
    free(m->gid_mappings);
}

static void free_rlimit(void *elem)
{
    free(((struct spec_rlimit *)elem)->type);
}

static void free_hook(void *elem)
{
    struct spec_hook *h = elem;

    free(h->path);
    strv_free(h->args);
    strv_free(h->env);
}

static void free_namespace(void *elem)
{
    free(((struct spec_namespace *)elem)->path);
}

static void free_device(void *elem)
{
    struct spec_device *d = elem;

    free(d->path);
    free(d->type);
}

static void free_seccomp_arg(void *elem)
{
    free(((struct spec_seccomp_arg *)elem)->op);
}

static void free_syscall(void *elem)
{
    struct spec_seccomp_syscall *s = elem;

    strv_free(s->names);
    free(s->action);
    for (size_t i = 0; s->args && i < s->n_args; i++)
        free_seccomp_arg(&s->args[i]);
    free(s->args);
}

static void free_capabilities(struct spec_capabilities *c)
{
    if (!c)
        return;
    strv_free(c->bounding);
    strv_free(c->effective);
    strv_free(c->inheritable);
    strv_free(c->permitted);
    strv_free(c->ambient);
    free(c);
}

static void free_process(struct spec_process *p)
{
    if (!p)
        return;
    free(p->user.additional_gids);
    free(p->user.username);
    strv_free(p->args);
    strv_free(p->env);
    free(p->cwd);
    free_capabilities(p->capabilities);
    for (size_t i = 0; p->rlimits && i < p->n_rlimits; i++)
        free_rlimit(&p->rlimits[i]);
    free(p->rlimits);
    free(p->apparmor_profile);
    free(p->selinux_label);
    free(p);
}

static void free_seccomp(struct spec_seccomp *s)
{
    if (!s)
        return;
    free(s->default_action);
    strv_free(s->architectures);
    strv_free(s->flags);
    free(s->listener_path);
    free(s->listener_metadata);
    for (size_t i = 0; s->syscalls && i < s->n_syscalls; i++)
        free_syscall(&s->syscalls[i]);
    free(s->syscalls);
    free(s);
}

static void free_linux(struct spec_linux *l)
{
    if (!l)
        return;
    for (size_t i = 0; l->namespaces && i < l->n_namespaces; i++)
        free_namespace(&l->namespaces[i]);
    free(l->namespaces);
    free(l->uid_mappings);
    free(l->gid_mappings);
    free_kvs(l->sysctl, l->n_sysctl);
    free(l->cgroups_path);
    free(l->resources_json);
    free(l->rootfs_propagation);
    strv_free(l->masked_paths);
    strv_free(l->readonly_paths);
    free(l->mount_label);
    for (size_t i = 0; l->devices && i < l->n_devices; i++)
        free_device(&l->devices[i]);
    free(l->devices);
    free_seccomp(l->seccomp);
    free(l);
}

void spec_free(struct urun_spec *s)
{
    if (!s)
        return;
    free(s->oci_version);
    free(s->root_path);
    free_process(s->process);
    free(s->hostname);
    free(s->domainname);
    for (size_t i = 0; s->mounts && i < s->n_mounts; i++)
        free_mount(&s->mounts[i]);
    free(s->mounts);
    for (size_t k = 0; k < SPEC_HOOK__MAX; k++) {
        for (size_t i = 0; s->hooks[k].hooks && i < s->hooks[k].n; i++)
            free_hook(&s->hooks[k].hooks[i]);
        free(s->hooks[k].hooks);
    }
    free_kvs(s->annotations, s->n_annotations);
    free_linux(s->linux_);
    free(s);
}

/* ---- generic field readers ---- */

/* A path too long for the buffer (a huge annotation key) ends in "..." rather than silently. */
static const char *mark_truncated(char *buf, int k)
{
    if (k >= SPATH_MAX)
        memcpy(buf + SPATH_MAX - 4, "...", 4);
    return buf;
}

static const char *join(char *buf, const char *parent, const char *key)
{
    return mark_truncated(buf, snprintf(buf, SPATH_MAX, "%s%s%s", parent, *parent ? "." : "", key));
}

static const char *index_path(char *buf, const char *parent, size_t i)
{
    return mark_truncated(buf, snprintf(buf, SPATH_MAX, "%s[%zu]", parent, i));
}

static int oom(struct urun_error *err)
{
    return urun_error_set(err, ENOMEM, "parse config");
}

static int expect_map(const struct ynode *n, const char *path, struct urun_error *err)
{
    return n->kind == YNODE_MAP ? 0 : urun_error_set(err, 0, "%s: expected an object", path);
}

static int expect_seq(const struct ynode *n, const char *path, struct urun_error *err)
{
    return n->kind == YNODE_SEQ ? 0 : urun_error_set(err, 0, "%s: expected an array", path);
}

/* Looks map[key] up, writing its path to path.  A null value counts as absent, as in Go's decoder.
 * Returns 1 when present, 0 when absent and optional, or an error when absent and required. */
static int get_field(const struct ynode *map, const char *parent, const char *key, unsigned flags, char *path,
                     const struct ynode **ret, struct urun_error *err)
{
    const struct ynode *n = ynode_get(map, key);

    join(path, parent, key);
    *ret = ynode_is_null(n) ? NULL : n;
    if (*ret)
        return 1;
    return (flags & F_REQUIRED) ? urun_error_set(err, 0, "%s: required", path) : 0;
}

static int check_string(const char *s, const char *path, unsigned flags, struct urun_error *err)
{
    if ((flags & F_NONEMPTY) && !*s)
        return urun_error_set(err, 0, "%s: must not be empty", path);
    if ((flags & F_ABSOLUTE) && *s != '/')
        return urun_error_set(err, 0, "%s: must be an absolute path", path);
    return 0;
}

static int dup_string(const struct ynode *n, const char *path, unsigned flags, char **ret, struct urun_error *err)
{
    const char *s;
    int r = ynode_string(n, path, &s, err);

    if (r >= 0)
        r = check_string(s, path, flags, err);
    if (r < 0)
        return r;
    *ret = strdup(s);
    return *ret ? 0 : oom(err);
}

static int get_str(const struct ynode *map, const char *parent, const char *key, unsigned flags, char **ret,
                   struct urun_error *err)
{
    char path[SPATH_MAX];
    const struct ynode *n;
    int r = get_field(map, parent, key, flags, path, &n, err);

    return r <= 0 ? r : dup_string(n, path, flags, ret, err);
}

static int get_bool(const struct ynode *map, const char *parent, const char *key, bool *ret, struct urun_error *err)
{
    char path[SPATH_MAX];
    const struct ynode *n;
    int r = get_field(map, parent, key, 0, path, &n, err);

    return r <= 0 ? r : ynode_bool(n, path, ret, err);
}

static int get_u32(const struct ynode *map, const char *parent, const char *key, unsigned flags, bool *has,
                   uint32_t *ret, struct urun_error *err)
{
    char path[SPATH_MAX];
    const struct ynode *n;
    int r = get_field(map, parent, key, flags, path, &n, err);

    if (r > 0 && (r = ynode_u32(n, path, ret, err)) >= 0 && has)
        *has = true;
    return r;
}

static int get_u64(const struct ynode *map, const char *parent, const char *key, unsigned flags, uint64_t *ret,
                   struct urun_error *err)
{
    char path[SPATH_MAX];
    const struct ynode *n;
    int r = get_field(map, parent, key, flags, path, &n, err);

    return r <= 0 ? r : ynode_u64(n, path, ret, err);
}

/* Returns 1 when present (and *ret is set), 0 when absent. */
static int get_i64(const struct ynode *map, const char *parent, const char *key, int64_t *ret,
                   struct urun_error *err)
{
    char path[SPATH_MAX];
    const struct ynode *n;
    int r = get_field(map, parent, key, 0, path, &n, err);

    if (r <= 0)
        return r;
    r = ynode_i64(n, path, ret, err);
    return r < 0 ? r : 1;
}

/* A NULL-terminated list of strings; F_NONEMPTY refuses an empty list, F_ABSOLUTE applies to each item. */
static int get_strv(const struct ynode *map, const char *parent, const char *key, unsigned flags, char ***ret,
                    struct urun_error *err)
{
    char path[SPATH_MAX], ipath[SPATH_MAX];
    _cleanup_strv_ char **v = NULL;
    const struct ynode *n;
    int r = get_field(map, parent, key, flags, path, &n, err);

    if (r <= 0 || (r = expect_seq(n, path, err)) < 0)
        return r;
    if (n->n == 0 && (flags & F_NONEMPTY))
        return urun_error_set(err, 0, "%s: must be a non-empty array", path);
    v = calloc(n->n + 1, sizeof(*v));
    if (!v)
        return oom(err);
    for (size_t i = 0; i < n->n; i++) {
        r = dup_string(n->items[i], index_path(ipath, path, i), flags & F_ABSOLUTE, &v[i], err);
        if (r < 0)
            return r;
    }
    *ret = TAKE_PTR(v);
    return 0;
}

/* An array of structs described by t; *ret stays NULL when the field is absent. */
static int get_array(const struct ynode *map, const char *parent, const char *key, const struct elem_type *t,
                     void **ret, size_t *ret_n, struct urun_error *err)
{
    char path[SPATH_MAX], ipath[SPATH_MAX];
    const struct ynode *n;
    char *v;
    int r = get_field(map, parent, key, 0, path, &n, err);

    if (r <= 0 || (r = expect_seq(n, path, err)) < 0)
        return r;
    v = calloc(n->n ? n->n : 1, t->size);
    if (!v)
        return oom(err);
    for (size_t i = 0; i < n->n; i++) {
        r = t->parse(n->items[i], index_path(ipath, path, i), v + i * t->size, err);
        if (r < 0) {
            free_array(v, i + 1, t);
            return r;
        }
    }
    *ret = v;
    *ret_n = n->n;
    return 0;
}

#define GET_ARRAY(map, parent, key, type, field, n_field, err)                         \
    ({                                                                                 \
        void *_arr = NULL;                                                             \
        int _r = get_array((map), (parent), (key), &(type), &_arr, &(n_field), (err)); \
        (field) = _arr;                                                                \
        _r;                                                                            \
    })

/* A map of string values; *ret stays NULL when the field is absent. */
static int get_kv(const struct ynode *map, const char *parent, const char *key, struct spec_kv **ret,
                  size_t *ret_n, struct urun_error *err)
{
    char path[SPATH_MAX], kpath[SPATH_MAX];
    const struct ynode *n;
    struct spec_kv *kv;
    int r = get_field(map, parent, key, 0, path, &n, err);

    if (r <= 0 || (r = expect_map(n, path, err)) < 0)
        return r;
    kv = calloc(n->n ? n->n : 1, sizeof(*kv));
    if (!kv)
        return oom(err);
    for (size_t i = 0; i < n->n; i++) {
        kv[i].key = strdup(n->pairs[i].key);
        r = kv[i].key ? dup_string(n->pairs[i].value, join(kpath, path, kv[i].key), 0, &kv[i].value, err)
                      : oom(err);
        if (r < 0) {
            free_kvs(kv, i + 1);
            return r;
        }
    }
    *ret = kv;
    *ret_n = n->n;
    return 0;
}

/* Looks up an optional object; returns 1 with *ret set when present. */
static int get_object(const struct ynode *map, const char *parent, const char *key, unsigned flags, char *path,
                      const struct ynode **ret, struct urun_error *err)
{
    int r = get_field(map, parent, key, flags, path, ret, err);

    if (r > 0 && (r = expect_map(*ret, path, err)) >= 0)
        r = 1;
    return r;
}

/* ---- linux.resources, kept as compact JSON ---- */

struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->len + n + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static bool is_json_number(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        s += strspn(s, "0123456789");
    else
        return false;
    if (*s == '.') {
        if (!strchr("0123456789", s[1]) || !s[1])
            return false;
        s += 1 + strspn(s + 1, "0123456789");
    }
    if (*s == 'e' || *s == 'E') {
        s += (s[1] == '+' || s[1] == '-') ? 2 : 1;
        if (!*s || strspn(s, "0123456789") == 0)
            return false;
        s += strspn(s, "0123456789");
    }
    return *s == '\0';
}

static void sb_string(struct sbuf *b, const char *s)
{
    sb_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];

        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            sb_put(b, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            sb_put(b, esc, 6);
        } else {
            sb_put(b, s, 1);
        }
    }
    sb_put(b, "\"", 1);
}

/* Depth is bounded by SPEC_MAX_DEPTH, enforced when the tree was built. */
static void sb_node(struct sbuf *b, const struct ynode *n)
{
    if (n->kind == YNODE_SCALAR) {
        if (ynode_is_null(n))
            sb_put(b, "null", 4);
        else if (n->plain && (!strcmp(n->scalar, "true") || !strcmp(n->scalar, "false") || is_json_number(n->scalar)))
            sb_put(b, n->scalar, n->len);
        else
            sb_string(b, n->scalar);
        return;
    }
    sb_put(b, n->kind == YNODE_MAP ? "{" : "[", 1);
    for (size_t i = 0; i < n->n; i++) {
        if (i)
            sb_put(b, ",", 1);
        if (n->kind == YNODE_MAP) {
            sb_string(b, n->pairs[i].key);
            sb_put(b, ":", 1);
        }
        sb_node(b, n->kind == YNODE_MAP ? n->pairs[i].value : n->items[i]);
    }
    sb_put(b, n->kind == YNODE_MAP ? "}" : "]", 1);
}

static int get_resources(const struct ynode *lin, struct spec_linux *l, struct urun_error *err)
{
    char path[SPATH_MAX];
    const struct ynode *n;
    struct sbuf b = { 0 };
    int r = get_object(lin, "linux", "resources", 0, path, &n, err);

    if (r <= 0)
        return r;
    sb_node(&b, n);
    if (b.oom) {
        free(b.p);
        return oom(err);
    }
    l->resources_json = b.p;
    return 0;
}

/* ---- element parsers ---- */

static int parse_idmap(const struct ynode *n, const char *path, void *elem, struct urun_error *err)
{
    struct spec_id_mapping *m = elem;
    int r = expect_map(n, path, err);

    if (r >= 0)
        r = get_u32(n, path, "containerID", F_REQUIRED, NULL, &m->container_id, err);
    if (r >= 0)
        r = get_u32(n, path, "hostID", F_REQUIRED, NULL, &m->host_id, err);
    if (r >= 0)
        r = get_u32(n, path, "size", F_REQUIRED, NULL, &m->size, err);
    if (r < 0)
        return r;
    if (m->size == 0)
        return urun_error_set(err, 0, "%s.size: must be greater than zero", path);
    /* The kernel refuses an extent whose end wraps around (first + count <= first, user_namespaces(7)). */
    if ((uint64_t)m->container_id + m->size > UINT32_MAX)
        return urun_error_set(err, 0, "%s: containerID + size overflows a 32-bit ID", path);
    if ((uint64_t)m->host_id + m->size > UINT32_MAX)
        return urun_error_set(err, 0, "%s: hostID + size overflows a 32-bit ID", path);
    return 0;
}

static const struct elem_type idmap_type = { sizeof(struct spec_id_mapping), parse_idmap, NULL };

static int parse_mount(const struct ynode *n, const char *path, void *elem, struct urun_error *err)
{
    struct spec_mount *m = elem;
    int r = expect_map(n, path, err);

    if (r >= 0)
        r = get_str(n, path, "destination", F_REQUIRED | F_ABSOLUTE, &m->destination, err);
    if (r >= 0)
        r = get_str(n, path, "type", 0, &m->type, err);
    if (r >= 0)
        r = get_str(n, path, "source", 0, &m->source, err);
    if (r >= 0)
        r = get_strv(n, path, "options", 0, &m->options, err);
    if (r >= 0)
        r = GET_ARRAY(n, path, "uidMappings", idmap_type, m->uid_mappings, m->n_uid_mappings, err);
    if (r >= 0)
        r = GET_ARRAY(n, path, "gidMappings", idmap_type, m->gid_mappings, m->n_gid_mappings, err);
    return r;
}

static const struct elem_type mount_type = { sizeof(struct spec_mount), parse_mount, free_mount };

static int parse_rlimit(const struct ynode *n, const char *path, void *elem, struct urun_error *err)
{
    struct spec_rlimit *l = elem;
    int r = expect_map(n, path, err);

    if (r >= 0)
        r = get_str(n, path, "type", F_REQUIRED | F_NONEMPTY, &l->type, err);
    if (r >= 0)
        r = get_u64(n, path, "hard", F_REQUIRED, &l->hard, err);
    if (r >= 0)
        r = get_u64(n, path, "soft", F_REQUIRED, &l->soft, err);
    return r;
}

static const struct elem_type rlimit_type = { sizeof(struct spec_rlimit), parse_rlimit, free_rlimit };

static int parse_hook(const struct ynode *n, const char *path, void *elem, struct urun_error *err)
{
    struct spec_hook *h = elem;
    int64_t timeout;
    int r = expect_map(n, path, err);

    if (r >= 0)
        r = get_str(n, path, "path", F_REQUIRED | F_ABSOLUTE, &h->path, err);
    if (r >= 0)
        r = get_strv(n, path, "args", 0, &h->args, err);
    if (r >= 0)
        r = get_strv(n, path, "env", 0, &h->env, err);
    if (r >= 0)
        r = get_i64(n, path, "timeout", &timeout, err);
    if (r <= 0)
        return r;
    if (timeout <= 0)
        return urun_error_set(err, 0, "%s.timeout: must be greater than zero", path);
    if (timeout > INT_MAX)
        return urun_error_set(err, 0, "%s.timeout: value out of range", path);
    h->has_timeout = true;
    h->timeout = (int)timeout;
    return 0;
}

static const struct elem_type hook_type = { sizeof(struct spec_hook), parse_hook, free_hook };

static int parse_namespace(const struct ynode *n, const char *path, void *elem, struct urun_error *err)
{
    struct spec_namespace *ns = elem;
    _cleanup_free_ char *type = NULL;
    int r = expect_map(n, path, err), t;

    if (r >= 0)
        r = get_str(n, path, "type", F_REQUIRED, &type, err);
    if (r >= 0)
        r = get_str(n, path, "path", F_ABSOLUTE, &ns->path, err);
    if (r < 0)
        return r;
    t = spec_ns_from_name(type);
    if (t < 0)
        return urun_error_set(err, 0, "%s.type: unknown namespace type \"%s\"", path, type);
    ns->type = (enum spec_ns_type)t;
    return 0;
}

static const struct elem_type namespace_type = { sizeof(struct spec_namespace), parse_namespace, free_namespace };

static int parse_device(const struct ynode *n, const char *path, void *elem, struct urun_error *err)
{
    struct spec_device *d = elem;
    int r = expect_map(n, path, err);

    if (r >= 0)
        r = get_str(n, path, "path", F_REQUIRED | F_ABSOLUTE, &d->path, err);
    if (r >= 0)
        r = get_str(n, path, "type", F_REQUIRED | F_NONEMPTY, &d->type, err);
    if (r >= 0)
        r = get_i64(n, path, "major", &d->major, err);
    if (r >= 0)
        r = get_i64(n, path, "minor", &d->minor, err);
    if (r >= 0)
        r = get_u32(n, path, "fileMode", 0, &d->has_file_mode, &d->file_mode, err);
    if (r >= 0)
        r = get_u32(n, path, "uid", 0, &d->has_uid, &d->uid, err);
    if (r >= 0)
        r = get_u32(n, path, "gid", 0, &d->has_gid, &d->gid, err);
    return r < 0 ? r : 0;
}

static const struct elem_type device_type = { sizeof(struct spec_device), parse_device, free_device };

static int parse_seccomp_arg(const struct ynode *n, const char *path, void *elem, struct urun_error *err)
{
    struct spec_seccomp_arg *a = elem;
    int r = expect_map(n, path, err);

    if (r >= 0)
        r = get_u32(n, path, "index", F_REQUIRED, NULL, &a->index, err);
    if (r >= 0)
        r = get_u64(n, path, "value", F_REQUIRED, &a->value, err);
    if (r >= 0)
        r = get_u64(n, path, "valueTwo", 0, &a->value_two, err);
    if (r >= 0)
        r = get_str(n, path, "op", F_REQUIRED | F_NONEMPTY, &a->op, err);
    return r;
}

static const struct elem_type seccomp_arg_type = { sizeof(struct spec_seccomp_arg), parse_seccomp_arg,
                                                   free_seccomp_arg };

static int parse_syscall(const struct ynode *n, const char *path, void *elem, struct urun_error *err)
{
    struct spec_seccomp_syscall *s = elem;
    int r = expect_map(n, path, err);

    if (r >= 0)
        r = get_strv(n, path, "names", F_REQUIRED | F_NONEMPTY, &s->names, err);
    if (r >= 0)
        r = get_str(n, path, "action", F_REQUIRED | F_NONEMPTY, &s->action, err);
    if (r >= 0)
        r = get_u32(n, path, "errnoRet", 0, &s->has_errno_ret, &s->errno_ret, err);
    if (r >= 0)
        r = GET_ARRAY(n, path, "args", seccomp_arg_type, s->args, s->n_args, err);
    return r;
}

static const struct elem_type syscall_type = { sizeof(struct spec_seccomp_syscall), parse_syscall, free_syscall };

/* ---- sections ---- */

static int parse_user(const struct ynode *proc, struct spec_user *u, struct urun_error *err)
{
    char path[SPATH_MAX], ipath[SPATH_MAX];
    const struct ynode *user, *gids;
    int r = get_object(proc, "process", "user", F_REQUIRED, path, &user, err);

    if (r >= 0)
        r = get_u32(user, path, "uid", F_REQUIRED, NULL, &u->uid, err);
    if (r >= 0)
        r = get_u32(user, path, "gid", F_REQUIRED, NULL, &u->gid, err);
    if (r >= 0)
        r = get_u32(user, path, "umask", 0, &u->has_umask, &u->umask, err);
    if (r >= 0)
        r = get_str(user, path, "username", 0, &u->username, err);
    if (r >= 0)
        r = get_field(user, "process.user", "additionalGids", 0, path, &gids, err);
    if (r <= 0 || (r = expect_seq(gids, path, err)) < 0)
        return r;
    u->additional_gids = calloc(gids->n ? gids->n : 1, sizeof(uint32_t));
    if (!u->additional_gids)
        return oom(err);
    u->n_additional_gids = gids->n;
    for (size_t i = 0; i < gids->n && r >= 0; i++)
        r = ynode_u32(gids->items[i], index_path(ipath, path, i), &u->additional_gids[i], err);
    return r;
}

static int parse_capabilities(const struct ynode *proc, struct spec_process *p, struct urun_error *err)
{
    char path[SPATH_MAX];
    const struct ynode *n;
    struct spec_capabilities *c;
    int r = get_object(proc, "process", "capabilities", 0, path, &n, err);

    if (r <= 0)
        return r;
    c = p->capabilities = calloc(1, sizeof(*c));
    if (!c)
        return oom(err);
    struct {
        const char *key;
        char ***field;
    } sets[] = {
        { "bounding", &c->bounding },   { "effective", &c->effective }, { "inheritable", &c->inheritable },
        { "permitted", &c->permitted }, { "ambient", &c->ambient },
    };
    for (size_t i = 0; i < ARRAY_SIZE(sets) && r >= 0; i++)
        r = get_strv(n, path, sets[i].key, 0, sets[i].field, err);
    return r;
}

static int parse_process_scalars(const struct ynode *proc, struct spec_process *p, struct urun_error *err)
{
    char path[SPATH_MAX];
    const struct ynode *cs;
    int64_t adj;
    int r = get_bool(proc, "process", "terminal", &p->terminal, err);

    if (r >= 0)
        r = get_str(proc, "process", "cwd", F_REQUIRED | F_ABSOLUTE, &p->cwd, err);
    if (r >= 0)
        r = get_bool(proc, "process", "noNewPrivileges", &p->no_new_privileges, err);
    if (r >= 0)
        r = get_str(proc, "process", "apparmorProfile", 0, &p->apparmor_profile, err);
    if (r >= 0)
        r = get_str(proc, "process", "selinuxLabel", 0, &p->selinux_label, err);
    if (r >= 0 && (r = get_object(proc, "process", "consoleSize", 0, path, &cs, err)) > 0) {
        r = get_u32(cs, path, "height", F_REQUIRED, &p->has_console_size, &p->console_height, err);
        if (r >= 0)
            r = get_u32(cs, path, "width", F_REQUIRED, NULL, &p->console_width, err);
    }
    if (r >= 0 && (r = get_i64(proc, "process", "oomScoreAdj", &adj, err)) > 0) {
        if (adj < -1000 || adj > 1000)
            return urun_error_set(err, 0, "process.oomScoreAdj: must be between -1000 and 1000");
        p->has_oom_score_adj = true;
        p->oom_score_adj = (int)adj;
    }
    return r < 0 ? r : 0;
}

static int parse_process(const struct ynode *root, struct urun_spec *s, struct urun_error *err)
{
    char path[SPATH_MAX];
    const struct ynode *proc;
    struct spec_process *p;
    int r = get_object(root, "", "process", 0, path, &proc, err);

    if (r <= 0)
        return r;
    p = s->process = calloc(1, sizeof(*p));
    if (!p)
        return oom(err);
    r = get_strv(proc, "process", "args", F_REQUIRED | F_NONEMPTY, &p->args, err);
    if (r >= 0)
        r = get_strv(proc, "process", "env", 0, &p->env, err);
    if (r >= 0)
        r = parse_process_scalars(proc, p, err);
    if (r >= 0)
        r = parse_user(proc, &p->user, err);
    if (r >= 0)
        r = parse_capabilities(proc, p, err);
    if (r >= 0)
        r = GET_ARRAY(proc, "process", "rlimits", rlimit_type, p->rlimits, p->n_rlimits, err);
    return r;
}

static int parse_hooks(const struct ynode *root, struct urun_spec *s, struct urun_error *err)
{
    char path[SPATH_MAX];
    const struct ynode *n;
    int r = get_object(root, "", "hooks", 0, path, &n, err);

    for (size_t k = 0; r > 0 && k < SPEC_HOOK__MAX; k++) {
        struct spec_hook_list *l = &s->hooks[k];
        r = GET_ARRAY(n, "hooks", hook_names[k], hook_type, l->hooks, l->n, err);
        r = r < 0 ? r : 1;
    }
    return r < 0 ? r : 0;
}

static int parse_seccomp(const struct ynode *lin, struct spec_linux *l, struct urun_error *err)
{
    char path[SPATH_MAX];
    const struct ynode *n;
    struct spec_seccomp *sc;
    int r = get_object(lin, "linux", "seccomp", 0, path, &n, err);

    if (r <= 0)
        return r;
    sc = l->seccomp = calloc(1, sizeof(*sc));
    if (!sc)
        return oom(err);
    r = get_str(n, path, "defaultAction", F_REQUIRED | F_NONEMPTY, &sc->default_action, err);
    if (r >= 0)
        r = get_u32(n, path, "defaultErrnoRet", 0, &sc->has_default_errno_ret, &sc->default_errno_ret, err);
    if (r >= 0)
        r = get_strv(n, path, "architectures", 0, &sc->architectures, err);
    if (r >= 0)
        r = get_strv(n, path, "flags", 0, &sc->flags, err);
    if (r >= 0)
        r = get_str(n, path, "listenerPath", 0, &sc->listener_path, err);
    if (r >= 0)
        r = get_str(n, path, "listenerMetadata", 0, &sc->listener_metadata, err);
    if (r >= 0)
        r = GET_ARRAY(n, path, "syscalls", syscall_type, sc->syscalls, sc->n_syscalls, err);
    return r;
}

static int parse_time_offsets(const struct ynode *lin, struct spec_linux *l, struct urun_error *err)
{
    char path[SPATH_MAX], cpath[SPATH_MAX];
    const struct ynode *n, *c;
    struct {
        const char *key;
        struct spec_time_offset *off;
    } clocks[] = { { "monotonic", &l->time_monotonic }, { "boottime", &l->time_boottime } };
    int r = get_object(lin, "linux", "timeOffsets", 0, path, &n, err);

    for (size_t i = 0; r > 0 && i < ARRAY_SIZE(clocks); i++) {
        struct spec_time_offset *off = clocks[i].off;

        if ((r = get_object(n, path, clocks[i].key, 0, cpath, &c, err)) <= 0) {
            r = r < 0 ? r : 1;
            continue;
        }
        off->present = true;
        if ((r = get_i64(c, cpath, "secs", &off->secs, err)) >= 0)
            r = get_u32(c, cpath, "nanosecs", 0, NULL, &off->nanosecs, err);
        if (r >= 0 && off->nanosecs >= 1000000000u)
            return urun_error_set(err, 0, "%s.nanosecs: must be less than 1000000000", cpath);
        r = r < 0 ? r : 1;
    }
    return r < 0 ? r : 0;
}

static int check_namespaces(const struct spec_linux *l, struct urun_error *err)
{
    unsigned seen = 0;

    for (size_t i = 0; i < l->n_namespaces; i++) {
        unsigned bit = 1u << l->namespaces[i].type;

        if (seen & bit)
            return urun_error_set(err, 0, "linux.namespaces[%zu].type: namespace \"%s\" listed twice", i,
                                  spec_ns_name(l->namespaces[i].type));
        seen |= bit;
    }
    return 0;
}

static int parse_linux_lists(const struct ynode *lin, struct spec_linux *l, struct urun_error *err)
{
    int r = GET_ARRAY(lin, "linux", "namespaces", namespace_type, l->namespaces, l->n_namespaces, err);

    if (r >= 0)
        r = check_namespaces(l, err);
    if (r >= 0)
        r = GET_ARRAY(lin, "linux", "uidMappings", idmap_type, l->uid_mappings, l->n_uid_mappings, err);
    if (r >= 0)
        r = GET_ARRAY(lin, "linux", "gidMappings", idmap_type, l->gid_mappings, l->n_gid_mappings, err);
    if (r >= 0)
        r = GET_ARRAY(lin, "linux", "devices", device_type, l->devices, l->n_devices, err);
    if (r >= 0)
        r = get_kv(lin, "linux", "sysctl", &l->sysctl, &l->n_sysctl, err);
    if (r >= 0)
        r = get_strv(lin, "linux", "maskedPaths", F_ABSOLUTE, &l->masked_paths, err);
    if (r >= 0)
        r = get_strv(lin, "linux", "readonlyPaths", F_ABSOLUTE, &l->readonly_paths, err);
    return r;
}

static int parse_linux(const struct ynode *root, struct urun_spec *s, struct urun_error *err)
{
    char path[SPATH_MAX];
    const struct ynode *lin;
    struct spec_linux *l;
    int r = get_object(root, "", "linux", 0, path, &lin, err);

    if (r <= 0)
        return r;
    l = s->linux_ = calloc(1, sizeof(*l));
    if (!l)
        return oom(err);
    r = parse_linux_lists(lin, l, err);
    if (r >= 0)
        r = get_str(lin, "linux", "cgroupsPath", 0, &l->cgroups_path, err);
    if (r >= 0)
        r = get_resources(lin, l, err);
    if (r >= 0)
        r = get_str(lin, "linux", "rootfsPropagation", 0, &l->rootfs_propagation, err);
    if (r >= 0)
        r = get_str(lin, "linux", "mountLabel", 0, &l->mount_label, err);
    if (r >= 0)
        r = parse_seccomp(lin, l, err);
    if (r >= 0)
        r = parse_time_offsets(lin, l, err);
    return r;
}

static int parse_top(const struct ynode *root, struct urun_spec *s, struct urun_error *err)
{
    char path[SPATH_MAX];
    const struct ynode *n;
    int r = get_str(root, "", "ociVersion", F_REQUIRED | F_NONEMPTY, &s->oci_version, err);

    if (r >= 0)
        r = get_object(root, "", "root", F_REQUIRED, path, &n, err);
    if (r >= 0)
        r = get_str(n, "root", "path", F_REQUIRED | F_NONEMPTY, &s->root_path, err);
    if (r >= 0)
        r = get_bool(n, "root", "readonly", &s->root_readonly, err);
    if (r >= 0)
        r = parse_process(root, s, err);
    if (r >= 0)
        r = get_str(root, "", "hostname", 0, &s->hostname, err);
    if (r >= 0)
        r = get_str(root, "", "domainname", 0, &s->domainname, err);
    if (r >= 0)
        r = GET_ARRAY(root, "", "mounts", mount_type, s->mounts, s->n_mounts, err);
    if (r >= 0)
        r = parse_hooks(root, s, err);
    if (r >= 0)
        r = get_kv(root, "", "annotations", &s->annotations, &s->n_annotations, err);
    if (r >= 0)
        r = parse_linux(root, s, err);
    return r;
}

int spec_parse(const char *buf, size_t len, struct urun_spec **ret, struct urun_error *err)
{
    _cleanup_(ytree_freep) struct ynode *root = NULL;
    _cleanup_(spec_freep) struct urun_spec *s = NULL;
    int r = ytree_parse(buf, len, &root, err);

    if (r < 0)
        return r;
    if (root->kind != YNODE_MAP)
        return urun_error_set(err, 0, "expected an object at the top level");
    s = calloc(1, sizeof(*s));
    if (!s)
        return oom(err);
    r = parse_top(root, s, err);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(s);
    return 0;
}

/* ---- names and lookups ---- */

const char *spec_ns_name(enum spec_ns_type t)
{
    return (unsigned)t < SPEC_NS__MAX ? ns_names[t] : NULL;
}

int spec_ns_from_name(const char *name)
{
    for (int i = 0; name && i < SPEC_NS__MAX; i++)
        if (strcmp(ns_names[i], name) == 0)
            return i;
    return -1;
}

const char *spec_hook_name(enum spec_hook_kind k)
{
    return (unsigned)k < SPEC_HOOK__MAX ? hook_names[k] : NULL;
}

const struct spec_namespace *spec_find_namespace(const struct urun_spec *s, enum spec_ns_type t)
{
    for (size_t i = 0; s && s->linux_ && i < s->linux_->n_namespaces; i++)
        if (s->linux_->namespaces[i].type == t)
            return &s->linux_->namespaces[i];
    return NULL;
}

const char *spec_annotation(const struct urun_spec *s, const char *key)
{
    for (size_t i = 0; s && i < s->n_annotations; i++)
        if (strcmp(s->annotations[i].key, key) == 0)
            return s->annotations[i].value;
    return NULL;
}
