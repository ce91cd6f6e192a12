/* Turns a config document (JSON or YAML, via yamltree) into struct urun_spec, validating as it goes.
 * Owns the OCI runtime-spec field names, as tables of field descriptors, and the messages naming a bad
 * field's path.  Must never make a syscall, touch the filesystem or print: bytes in, structs out. */
#include "spec/spec.h"

#include "base/alloc.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/cleanup.h"
#include "spec/spec_rules.h"
#include "spec/yamltree.h"

#define SPATH_MAX 512
#define NO_AUX SIZE_MAX

/* ---- types ---- */

enum {
    F_REQUIRED = 1 << 0,
    F_NONEMPTY = 1 << 1, /* a string or an array */
    F_ABSOLUTE = 1 << 2, /* a string, or each string of an array */
    F_PATH = 1 << 3,     /* at most SPEC_MAX_PATH bytes: a string, or each string of an array */
    F_ARG = 1 << 4,      /* at most SPEC_MAX_ARG bytes: each string of an array */
    F_HOST = 1 << 5,     /* at most SPEC_MAX_HOSTNAME bytes */
};
#define F_EACH (F_ABSOLUTE | F_PATH | F_ARG) /* what read_strv passes on to each string */

/* How a field is stored.  `aux` of a field is the offset of its size_t count for the counted kinds
 * (K_U32V, K_KV, K_ARRAY) and otherwise of a bool set when the field is present, or NO_AUX. */
enum kind {
    K_STR,    /* char * */
    K_STRV,   /* char **, NULL-terminated */
    K_BOOL,   /* bool */
    K_U32,    /* uint32_t */
    K_U64,    /* uint64_t */
    K_I64,    /* int64_t */
    K_U32V,   /* uint32_t *, counted */
    K_KV,     /* struct spec_kv *, counted: an object of strings */
    K_ARRAY,  /* array of `shape`, counted */
    K_OBJECT, /* pointer to a new `shape` */
    K_INLINE, /* an object whose fields land in the struct at `off` */
    K_JSON,   /* char *: the object re-serialised as compact JSON */
    K_CUSTOM, /* read by `read` */
};

struct shape;

struct field {
    const char *key;
    enum kind kind;
    unsigned flags;
    size_t off;
    size_t aux;
    const struct shape *shape;
    int (*read)(const struct ynode *n, const char *path, void *dst, struct urun_error *err);
};

struct shape {
    size_t size;
    const struct field *fields;
    size_t n_fields;
    int (*check)(const void *obj, const char *path, struct urun_error *err); /* after all fields; may be NULL */
};

static const char *const ns_names[SPEC_NS__MAX] = {
    [SPEC_NS_PID] = "pid", [SPEC_NS_NETWORK] = "network", [SPEC_NS_MOUNT] = "mount",   [SPEC_NS_IPC] = "ipc",
    [SPEC_NS_UTS] = "uts", [SPEC_NS_USER] = "user",       [SPEC_NS_CGROUP] = "cgroup", [SPEC_NS_TIME] = "time",
};

static const char *const hook_names[SPEC_HOOK__MAX] = {
    [SPEC_HOOK_PRESTART] = "prestart",
    [SPEC_HOOK_CREATE_RUNTIME] = "createRuntime",
    [SPEC_HOOK_CREATE_CONTAINER] = "createContainer",
    [SPEC_HOOK_START_CONTAINER] = "startContainer",
    [SPEC_HOOK_POSTSTART] = "poststart",
    [SPEC_HOOK_POSTSTOP] = "poststop",
};

/* ---- small helpers ---- */

/* Pointer fields are reached through a byte offset; memcpy keeps that free of type punning. */
static void *load_ptr(const void *at)
{
    void *p;

    memcpy(&p, at, sizeof(p));
    return p;
}

static void store_ptr(void *at, void *p)
{
    memcpy(at, &p, sizeof(p));
}

static size_t *count_at(void *base, const struct field *f)
{
    return (size_t *)((char *)base + f->aux);
}

static bool counted(enum kind k)
{
    return k == K_U32V || k == K_KV || k == K_ARRAY;
}

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

static int expect_map(const struct ynode *n, const char *path, struct urun_error *err)
{
    return n->kind == YNODE_MAP ? 0 : urun_error_set(err, 0, "%s: expected an object", path);
}

static int expect_seq(const struct ynode *n, const char *path, struct urun_error *err)
{
    return n->kind == YNODE_SEQ ? 0 : urun_error_set(err, 0, "%s: expected an array", path);
}

/* ---- freeing, driven by the same tables ---- */

static void free_kvs(struct spec_kv *kv, size_t n)
{
    for (size_t i = 0; kv && i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

static void free_array(char *v, size_t n, const struct shape *sh);

static void free_obj(void *base, const struct shape *sh)
{
    for (size_t i = 0; i < sh->n_fields; i++) {
        const struct field *f = &sh->fields[i];
        void *at = (char *)base + f->off;

        switch (f->kind) {
        case K_STR:
        case K_U32V:
        case K_JSON:
            free(load_ptr(at));
            break;
        case K_STRV:
            strv_free(load_ptr(at));
            break;
        case K_KV:
            free_kvs(load_ptr(at), *count_at(base, f));
            break;
        case K_ARRAY:
            free_array(load_ptr(at), *count_at(base, f), f->shape);
            break;
        case K_OBJECT:
            if (load_ptr(at))
                free_obj(load_ptr(at), f->shape);
            free(load_ptr(at));
            break;
        case K_INLINE:
            free_obj(at, f->shape);
            break;
        default:
            break;
        }
    }
}

static void free_array(char *v, size_t n, const struct shape *sh)
{
    for (size_t i = 0; v && i < n; i++)
        free_obj(v + i * sh->size, sh);
    free(v);
}

/* ---- reading one value ---- */

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

static size_t max_len(unsigned flags)
{
    if (flags & F_PATH)
        return SPEC_MAX_PATH;
    if (flags & F_ARG)
        return SPEC_MAX_ARG;
    return flags & F_HOST ? SPEC_MAX_HOSTNAME : SPEC_MAX_SCALAR;
}

static int read_str(const struct ynode *n, const char *path, unsigned flags, char **ret, struct urun_error *err)
{
    const char *s;
    int r = ynode_string(n, path, &s, err);

    if (r < 0)
        return r;
    if ((flags & F_NONEMPTY) && !*s)
        return urun_error_set(err, 0, "%s: must not be empty", path);
    if ((flags & F_ABSOLUTE) && *s != '/')
        return urun_error_set(err, 0, "%s: must be an absolute path", path);
    if (n->len > max_len(flags))
        return urun_error_set(err, 0, "%s: longer than %zu bytes", path, max_len(flags));
    *ret = xstrdup(s);
    return 0;
}

static int read_strv(const struct ynode *n, const char *path, unsigned flags, void *at, struct urun_error *err)
{
    char ipath[SPATH_MAX];
    _cleanup_strv_ char **v = NULL;
    int r = expect_seq(n, path, err);

    if (r < 0)
        return r;
    if (n->n == 0 && (flags & F_NONEMPTY))
        return urun_error_set(err, 0, "%s: must be a non-empty array", path);
    v = xcalloc(n->n + 1, sizeof(*v));
    for (size_t i = 0; i < n->n; i++) {
        r = read_str(n->items[i], index_path(ipath, path, i), flags & F_EACH, &v[i], err);
        if (r < 0)
            return r;
    }
    store_ptr(at, TAKE_PTR(v));
    return 0;
}

static int read_u32v(const struct ynode *n, const char *path, void *at, size_t *count, struct urun_error *err)
{
    char ipath[SPATH_MAX];
    _cleanup_free_ uint32_t *v = NULL;
    int r = expect_seq(n, path, err);

    if (r < 0)
        return r;
    v = xcalloc(n->n ? n->n : 1, sizeof(*v));
    for (size_t i = 0; i < n->n; i++) {
        r = ynode_u32(n->items[i], index_path(ipath, path, i), &v[i], err);
        if (r < 0)
            return r;
    }
    store_ptr(at, TAKE_PTR(v));
    *count = n->n;
    return 0;
}

static int read_kv(const struct ynode *n, const char *path, void *at, size_t *count, struct urun_error *err)
{
    char kpath[SPATH_MAX];
    struct spec_kv *kv;
    int r = expect_map(n, path, err);

    if (r < 0)
        return r;
    kv = xcalloc(n->n ? n->n : 1, sizeof(*kv));
    for (size_t i = 0; i < n->n && r >= 0; i++) {
        kv[i].key = xstrdup(n->pairs[i].key);
        r = read_str(n->pairs[i].value, join(kpath, path, kv[i].key), 0, &kv[i].value, err);
    }
    if (r < 0) {
        free_kvs(kv, n->n);
        return r;
    }
    store_ptr(at, kv);
    *count = n->n;
    return 0;
}

static int parse_obj(const struct ynode *n, const char *path, void *base, const struct shape *sh,
                     struct urun_error *err);

static int read_array(const struct ynode *n, const char *path, const struct shape *sh, void *at, size_t *count,
                      struct urun_error *err)
{
    char ipath[SPATH_MAX];
    char *v;
    int r = expect_seq(n, path, err);

    if (r < 0)
        return r;
    v = xcalloc(n->n ? n->n : 1, sh->size);
    for (size_t i = 0; i < n->n && r >= 0; i++)
        r = parse_obj(n->items[i], index_path(ipath, path, i), v + i * sh->size, sh, err);
    if (r < 0) {
        free_array(v, n->n, sh);
        return r;
    }
    store_ptr(at, v);
    *count = n->n;
    return 0;
}

/* The new object is stored before it is filled, so a failure leaves it for free_obj. */
static int read_object(const struct ynode *n, const char *path, const struct shape *sh, void *at,
                       struct urun_error *err)
{
    void *obj = xcalloc(1, sh->size);
    store_ptr(at, obj);
    return parse_obj(n, path, obj, sh, err);
}

/* ---- linux.resources, kept as compact JSON for the code that applies it ---- */

static int read_json(const struct ynode *n, const char *path, void *at, struct urun_error *err)
{
    int r = expect_map(n, path, err);

    if (r < 0)
        return r;
    store_ptr(at, ynode_to_json(n));
    return 0;
}

/* ---- reading an object through its table ---- */

static int read_value(const struct ynode *n, const char *path, void *base, const struct field *f,
                      struct urun_error *err)
{
    void *at = (char *)base + f->off;

    switch (f->kind) {
    case K_STR:
        return read_str(n, path, f->flags, at, err);
    case K_STRV:
        return read_strv(n, path, f->flags, at, err);
    case K_BOOL:
        return ynode_bool(n, path, at, err);
    case K_U32:
        return ynode_u32(n, path, at, err);
    case K_U64:
        return ynode_u64(n, path, at, err);
    case K_I64:
        return ynode_i64(n, path, at, err);
    case K_U32V:
        return read_u32v(n, path, at, count_at(base, f), err);
    case K_KV:
        return read_kv(n, path, at, count_at(base, f), err);
    case K_ARRAY:
        return read_array(n, path, f->shape, at, count_at(base, f), err);
    case K_OBJECT:
        return read_object(n, path, f->shape, at, err);
    case K_INLINE:
        return parse_obj(n, path, at, f->shape, err);
    case K_JSON:
        return read_json(n, path, at, err);
    case K_CUSTOM:
        return f->read(n, path, at, err);
    }
    return urun_error_set(err, EINVAL, "%s: unknown field kind", path);
}

static int parse_obj(const struct ynode *n, const char *path, void *base, const struct shape *sh,
                     struct urun_error *err)
{
    char fpath[SPATH_MAX];
    int r = expect_map(n, path, err);

    for (size_t i = 0; i < sh->n_fields && r >= 0; i++) {
        const struct field *f = &sh->fields[i];
        const struct ynode *v;

        r = get_field(n, path, f->key, f->flags, fpath, &v, err);
        if (r > 0)
            r = read_value(v, fpath, base, f, err);
        if (r >= 0 && v && f->aux != NO_AUX && !counted(f->kind))
            *(bool *)((char *)base + f->aux) = true;
    }
    if (r >= 0 && sh->check)
        r = sh->check(base, path, err);
    return r < 0 ? r : 0;
}

/* ---- the runtime-spec, as tables ----
 * Each table is read in order; the first failing field is the one reported.  S names the struct the
 * offsets refer to, and TYPED() refuses to compile when a member's type does not match its kind. */

#define TYPED(m, type) \
    (offsetof(S, m) + 0 * sizeof(char[__builtin_types_compatible_p(__typeof__(((S *)0)->m), type) ? 1 : -1]))
#define T_STR(k, fl, m)                                    \
    {                                                      \
        k, K_STR, fl, TYPED(m, char *), NO_AUX, NULL, NULL \
    }
#define T_STRV(k, fl, m)                                     \
    {                                                        \
        k, K_STRV, fl, TYPED(m, char **), NO_AUX, NULL, NULL \
    }
#define T_BOOL(k, m)                                     \
    {                                                    \
        k, K_BOOL, 0, TYPED(m, bool), NO_AUX, NULL, NULL \
    }
#define T_U32(k, fl, m)                                      \
    {                                                        \
        k, K_U32, fl, TYPED(m, uint32_t), NO_AUX, NULL, NULL \
    }
#define T_U32_HAS(k, m, has)                                          \
    {                                                                 \
        k, K_U32, 0, TYPED(m, uint32_t), TYPED(has, bool), NULL, NULL \
    }
#define T_U64(k, fl, m)                                      \
    {                                                        \
        k, K_U64, fl, TYPED(m, uint64_t), NO_AUX, NULL, NULL \
    }
#define T_I64(k, m)                                        \
    {                                                      \
        k, K_I64, 0, TYPED(m, int64_t), NO_AUX, NULL, NULL \
    }
#define T_U32V(k, m, n)                                                  \
    {                                                                    \
        k, K_U32V, 0, TYPED(m, uint32_t *), TYPED(n, size_t), NULL, NULL \
    }
#define T_KV(k, m, n)                                                        \
    {                                                                        \
        k, K_KV, 0, TYPED(m, struct spec_kv *), TYPED(n, size_t), NULL, NULL \
    }
#define T_ARRAY(k, m, n, sh)                                               \
    {                                                                      \
        k, K_ARRAY, 0, offsetof(S, m), TYPED(n, size_t), &sh##_shape, NULL \
    }
#define T_OBJECT(k, m, sh)                                        \
    {                                                             \
        k, K_OBJECT, 0, offsetof(S, m), NO_AUX, &sh##_shape, NULL \
    }
#define T_INLINE(k, fl, m, has, sh)                             \
    {                                                           \
        k, K_INLINE, fl, offsetof(S, m), has, &sh##_shape, NULL \
    }
/* An object whose fields are members of the enclosing struct itself (consoleSize, root, hooks). */
#define T_FLAT(k, fl, has, sh)                     \
    {                                              \
        k, K_INLINE, fl, 0, has, &sh##_shape, NULL \
    }
#define T_JSON(k, m)                                       \
    {                                                      \
        k, K_JSON, 0, TYPED(m, char *), NO_AUX, NULL, NULL \
    }
#define T_CUSTOM(k, fl, m, has, fn)                    \
    {                                                  \
        k, K_CUSTOM, fl, offsetof(S, m), has, NULL, fn \
    }
#define SHAPE(name, type, check) \
    static const struct shape name##_shape = {sizeof(type), name##_fields, ARRAY_SIZE(name##_fields), check}

#define S struct spec_id_mapping
static const struct field idmap_fields[] = {
    T_U32("containerID", F_REQUIRED, container_id),
    T_U32("hostID", F_REQUIRED, host_id),
    T_U32("size", F_REQUIRED, size),
};
SHAPE(idmap, S, spec_check_id_mapping);
#undef S

#define S struct spec_mount
static const struct field mount_fields[] = {
    T_STR("destination", F_REQUIRED | F_ABSOLUTE | F_PATH, destination),
    T_STR("type", 0, type),
    T_STR("source", F_PATH, source),
    T_STRV("options", 0, options),
    T_ARRAY("uidMappings", uid_mappings, n_uid_mappings, idmap),
    T_ARRAY("gidMappings", gid_mappings, n_gid_mappings, idmap),
};
SHAPE(mount, S, NULL);
#undef S

#define S struct spec_rlimit
static const struct field rlimit_fields[] = {
    T_STR("type", F_REQUIRED | F_NONEMPTY, type),
    T_U64("hard", F_REQUIRED, hard),
    T_U64("soft", F_REQUIRED, soft),
};
SHAPE(rlimit, S, NULL);
#undef S

#define S struct spec_hook
static const struct field hook_fields[] = {
    T_STR("path", F_REQUIRED | F_ABSOLUTE | F_PATH, path),
    T_STRV("args", F_ARG, args),
    T_STRV("env", F_ARG, env),
    T_CUSTOM("timeout", 0, timeout, TYPED(has_timeout, bool), spec_read_timeout),
};
SHAPE(hook, S, NULL);
#undef S

#define S struct spec_namespace
static const struct field namespace_fields[] = {
    T_CUSTOM("type", F_REQUIRED, type, NO_AUX, spec_read_ns_type),
    T_STR("path", F_ABSOLUTE | F_PATH, path),
};
SHAPE(namespace, S, NULL);
#undef S

#define S struct spec_device
static const struct field device_fields[] = {
    T_STR("path", F_REQUIRED | F_ABSOLUTE | F_PATH, path),
    T_STR("type", F_REQUIRED | F_NONEMPTY, type),
    T_I64("major", major),
    T_I64("minor", minor),
    T_U32_HAS("fileMode", file_mode, has_file_mode),
    T_U32_HAS("uid", uid, has_uid),
    T_U32_HAS("gid", gid, has_gid),
};
SHAPE(device, S, spec_check_device);
#undef S

#define S struct spec_seccomp_arg
static const struct field seccomp_arg_fields[] = {
    T_U32("index", F_REQUIRED, index),
    T_U64("value", F_REQUIRED, value),
    T_U64("valueTwo", 0, value_two),
    T_STR("op", F_REQUIRED | F_NONEMPTY, op),
};
SHAPE(seccomp_arg, S, NULL);
#undef S

#define S struct spec_seccomp_syscall
static const struct field rule_fields[] = {
    T_STRV("names", F_REQUIRED | F_NONEMPTY, names),
    T_STR("action", F_REQUIRED | F_NONEMPTY, action),
    T_U32_HAS("errnoRet", errno_ret, has_errno_ret),
    T_ARRAY("args", args, n_args, seccomp_arg),
};
SHAPE(rule, S, NULL);
#undef S

#define S struct spec_seccomp
static const struct field seccomp_fields[] = {
    T_STR("defaultAction", F_REQUIRED | F_NONEMPTY, default_action),
    T_U32_HAS("defaultErrnoRet", default_errno_ret, has_default_errno_ret),
    T_STRV("architectures", 0, architectures),
    T_STRV("flags", 0, flags),
    T_STR("listenerPath", F_PATH, listener_path),
    T_STR("listenerMetadata", 0, listener_metadata),
    T_ARRAY("syscalls", syscalls, n_syscalls, rule),
};
SHAPE(seccomp, S, NULL);
#undef S

#define S struct spec_time_offset
static const struct field time_offset_fields[] = {
    T_I64("secs", secs),
    T_U32("nanosecs", 0, nanosecs),
};
SHAPE(time_offset, S, spec_check_time_offset);
#undef S

#define S struct spec_linux
static const struct field time_offsets_fields[] = {
    T_INLINE("monotonic", 0, time_monotonic, TYPED(time_monotonic.present, bool), time_offset),
    T_INLINE("boottime", 0, time_boottime, TYPED(time_boottime.present, bool), time_offset),
};
SHAPE(time_offsets, S, NULL);

static const struct field lnx_fields[] = {
    T_ARRAY("namespaces", namespaces, n_namespaces, namespace),
    T_ARRAY("uidMappings", uid_mappings, n_uid_mappings, idmap),
    T_ARRAY("gidMappings", gid_mappings, n_gid_mappings, idmap),
    T_KV("sysctl", sysctl, n_sysctl),
    T_STR("cgroupsPath", F_PATH, cgroups_path),
    T_JSON("resources", resources_json),
    T_STR("rootfsPropagation", 0, rootfs_propagation),
    T_STRV("maskedPaths", F_ABSOLUTE | F_PATH, masked_paths),
    T_STRV("readonlyPaths", F_ABSOLUTE | F_PATH, readonly_paths),
    T_STR("mountLabel", 0, mount_label),
    T_ARRAY("devices", devices, n_devices, device),
    T_OBJECT("seccomp", seccomp, seccomp),
    T_FLAT("timeOffsets", 0, NO_AUX, time_offsets),
};
SHAPE(lnx, S, spec_check_linux);
#undef S

#define S struct spec_capabilities
static const struct field capabilities_fields[] = {
    T_STRV("bounding", 0, bounding),   T_STRV("effective", 0, effective), T_STRV("inheritable", 0, inheritable),
    T_STRV("permitted", 0, permitted), T_STRV("ambient", 0, ambient),
};
SHAPE(capabilities, S, NULL);
#undef S

#define S struct spec_user
static const struct field user_fields[] = {
    T_U32("uid", F_REQUIRED, uid),        T_U32("gid", F_REQUIRED, gid),
    T_U32_HAS("umask", umask, has_umask), T_U32V("additionalGids", additional_gids, n_additional_gids),
    T_STR("username", 0, username),
};
SHAPE(user, S, spec_check_user);
#undef S

#define S struct spec_process
static const struct field console_fields[] = {
    T_U32("height", F_REQUIRED, console_height),
    T_U32("width", F_REQUIRED, console_width),
};
SHAPE(console, S, spec_check_console);

static const struct field process_fields[] = {
    T_STRV("args", F_REQUIRED | F_NONEMPTY | F_ARG, args),
    T_STRV("env", F_ARG, env),
    T_STR("cwd", F_REQUIRED | F_ABSOLUTE | F_PATH, cwd),
    T_BOOL("terminal", terminal),
    T_FLAT("consoleSize", 0, TYPED(has_console_size, bool), console),
    T_INLINE("user", F_REQUIRED, user, NO_AUX, user),
    T_OBJECT("capabilities", capabilities, capabilities),
    T_ARRAY("rlimits", rlimits, n_rlimits, rlimit),
    T_BOOL("noNewPrivileges", no_new_privileges),
    T_STR("apparmorProfile", 0, apparmor_profile),
    T_STR("selinuxLabel", 0, selinux_label),
    T_CUSTOM("oomScoreAdj", 0, oom_score_adj, TYPED(has_oom_score_adj, bool), spec_read_oom_score_adj),
};
SHAPE(process, S, spec_check_process);
#undef S

#define S struct urun_spec
#define HOOK(key, kind) T_ARRAY(key, hooks[kind].hooks, hooks[kind].n, hook)
static const struct field root_fields[] = {
    T_STR("path", F_REQUIRED | F_NONEMPTY | F_PATH, root_path),
    T_BOOL("readonly", root_readonly),
};
SHAPE(root, S, NULL);

static const struct field hooks_fields[] = {
    HOOK("prestart", SPEC_HOOK_PRESTART),
    HOOK("createRuntime", SPEC_HOOK_CREATE_RUNTIME),
    HOOK("createContainer", SPEC_HOOK_CREATE_CONTAINER),
    HOOK("startContainer", SPEC_HOOK_START_CONTAINER),
    HOOK("poststart", SPEC_HOOK_POSTSTART),
    HOOK("poststop", SPEC_HOOK_POSTSTOP),
};
SHAPE(hooks, S, NULL);

static const struct field spec_fields[] = {
    T_STR("ociVersion", F_REQUIRED | F_NONEMPTY, oci_version),
    T_FLAT("root", F_REQUIRED, NO_AUX, root),
    T_OBJECT("process", process, process),
    T_STR("hostname", F_HOST, hostname),
    T_STR("domainname", F_HOST, domainname),
    T_ARRAY("mounts", mounts, n_mounts, mount),
    T_FLAT("hooks", 0, NO_AUX, hooks),
    T_KV("annotations", annotations, n_annotations),
    T_OBJECT("linux", linux_, lnx),
};
SHAPE(spec, S, spec_check_spec);
#undef HOOK
#undef S

/* ---- entry points ---- */

int spec_parse(const char *buf, size_t len, struct urun_spec **ret, struct urun_error *err)
{
    _cleanup_(ytree_freep) struct ynode *root = NULL;
    _cleanup_(spec_freep) struct urun_spec *s = NULL;
    int r = ytree_parse(buf, len, &root, err);

    if (r < 0)
        return r;
    if (root->kind != YNODE_MAP)
        return urun_error_set(err, 0, "expected an object at the top level");
    s = xcalloc(1, sizeof(*s));
    r = parse_obj(root, "", s, &spec_shape, err);
    if (r < 0)
        return r;
    *ret = TAKE_PTR(s);
    return 0;
}

void spec_free(struct urun_spec *s)
{
    if (!s)
        return;
    free_obj(s, &spec_shape);
    free(s);
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

void spec_append_bind(struct urun_spec *s, const char *destination, const char *source, bool ro)
{
    const char *const opts[] = {"bind", ro ? "ro" : "rw", "nosuid", "nodev", "noexec"};

    s->mounts = xreallocarray(s->mounts, s->n_mounts + 1, sizeof(*s->mounts));
    struct spec_mount *m = &s->mounts[s->n_mounts++];
    *m = (struct spec_mount){.destination = xstrdup(destination), .type = xstrdup("bind"), .source = xstrdup(source)};
    m->options = xcalloc(ARRAY_SIZE(opts) + 1, sizeof(char *));
    for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
        m->options[i] = xstrdup(opts[i]);
}
