/* Implementation of spec_rules.h: value ranges, the length limits of spec.h that depend on more than
 * one field (sysctl, annotations, IDs, args[0]), and checks across fields.  Must never make a syscall,
 * touch the filesystem or print: it sees parsed structs only. */
#include "spec/spec_rules.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "spec/spec.h"

/* ---- field readers ---- */

int spec_read_ns_type(const struct ynode *n, const char *path, void *at, struct urun_error *err)
{
    const char *s;
    int r = ynode_string(n, path, &s, err), t;

    if (r < 0)
        return r;
    t = spec_ns_from_name(s);
    if (t < 0)
        return urun_error_set(err, 0, "%s: unknown namespace type \"%.64s\"", path, s);
    *(enum spec_ns_type *)at = (enum spec_ns_type)t;
    return 0;
}

int spec_read_oom_score_adj(const struct ynode *n, const char *path, void *at, struct urun_error *err)
{
    int64_t v;
    int r = ynode_i64(n, path, &v, err);

    if (r < 0)
        return r;
    if (v < -1000 || v > 1000)
        return urun_error_set(err, 0, "%s: must be between -1000 and 1000", path);
    *(int *)at = (int)v;
    return 0;
}

int spec_read_timeout(const struct ynode *n, const char *path, void *at, struct urun_error *err)
{
    int64_t v;
    int r = ynode_i64(n, path, &v, err);

    if (r < 0)
        return r;
    if (v <= 0)
        return urun_error_set(err, 0, "%s: must be greater than zero", path);
    if (v > INT_MAX)
        return urun_error_set(err, 0, "%s: value out of range", path);
    *(int *)at = (int)v;
    return 0;
}

/* ---- object checks ---- */

int spec_check_id_mapping(const void *obj, const char *path, struct urun_error *err)
{
    const struct spec_id_mapping *m = obj;

    if (m->size == 0)
        return urun_error_set(err, 0, "%s.size: must be greater than zero", path);
    /* The kernel refuses an extent whose end wraps around (first + count <= first, user_namespaces(7)).
     * It also keeps every mapped ID below 4294967295, which is (uid_t)-1. */
    if ((uint64_t)m->container_id + m->size > UINT32_MAX)
        return urun_error_set(err, 0, "%s: containerID + size overflows a 32-bit ID", path);
    if ((uint64_t)m->host_id + m->size > UINT32_MAX)
        return urun_error_set(err, 0, "%s: hostID + size overflows a 32-bit ID", path);
    return 0;
}

int spec_check_time_offset(const void *obj, const char *path, struct urun_error *err)
{
    const struct spec_time_offset *t = obj;

    if (t->nanosecs >= 1000000000u)
        return urun_error_set(err, 0, "%s.nanosecs: must be less than 1000000000", path);
    return 0;
}

/* An ID the kernel can hold: (uid_t)-1 means "leave unchanged" to setresuid(2), setresgid(2) and
 * chown(2), so it would silently keep the runtime's own ID. */
static int check_id(uint32_t id, const char *path, const char *field, struct urun_error *err)
{
    if (id > SPEC_MAX_ID)
        return urun_error_set(err, 0, "%s.%s: %u is not a valid ID (at most %u)", path, field, id, SPEC_MAX_ID);
    return 0;
}

int spec_check_user(const void *obj, const char *path, struct urun_error *err)
{
    const struct spec_user *u = obj;
    char field[48];
    int r = check_id(u->uid, path, "uid", err);

    if (r >= 0)
        r = check_id(u->gid, path, "gid", err);
    for (size_t i = 0; r >= 0 && i < u->n_additional_gids; i++) {
        snprintf(field, sizeof(field), "additionalGids[%zu]", i);
        r = check_id(u->additional_gids[i], path, field, err);
    }
    return r < 0 ? r : 0;
}

int spec_check_device(const void *obj, const char *path, struct urun_error *err)
{
    const struct spec_device *d = obj;
    int r = d->has_uid ? check_id(d->uid, path, "uid", err) : 0;

    if (r >= 0 && d->has_gid)
        r = check_id(d->gid, path, "gid", err);
    return r < 0 ? r : 0;
}

/* struct winsize holds unsigned shorts: a larger size would be cut, not refused, by TIOCSWINSZ. */
int spec_check_console(const void *obj, const char *path, struct urun_error *err)
{
    const struct spec_process *p = obj;

    if (p->console_height > SPEC_MAX_CONSOLE)
        return urun_error_set(err, 0, "%s.height: must be at most %u", path, SPEC_MAX_CONSOLE);
    if (p->console_width > SPEC_MAX_CONSOLE)
        return urun_error_set(err, 0, "%s.width: must be at most %u", path, SPEC_MAX_CONSOLE);
    return 0;
}

/* args[0] is also the executable's path (an argument may be longer). */
int spec_check_process(const void *obj, const char *path, struct urun_error *err)
{
    const struct spec_process *p = obj;

    if (p->args && p->args[0] && strlen(p->args[0]) > SPEC_MAX_PATH)
        return urun_error_set(err, 0, "%s.args[0]: longer than %u bytes", path, SPEC_MAX_PATH);
    return 0;
}

/* A key that is too long is shown by its start: the whole of it would not fit in a message. */
static int check_kv(const struct spec_kv *kv, size_t n, const char *path, unsigned key_max, unsigned value_max,
                    struct urun_error *err)
{
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(kv[i].key);

        if (k == 0)
            return urun_error_set(err, 0, "%s: empty key", path);
        if (k > key_max)
            return urun_error_set(err, 0, "%s: key \"%.40s...\" is longer than %u bytes", path, kv[i].key, key_max);
        if (strlen(kv[i].value) > value_max)
            return urun_error_set(err, 0, "%s.%s: longer than %u bytes", path, kv[i].key, value_max);
    }
    return 0;
}

int spec_check_linux(const void *obj, const char *path, struct urun_error *err)
{
    const struct spec_linux *l = obj;
    char field[64];
    unsigned seen = 0;

    for (size_t i = 0; i < l->n_namespaces; i++) {
        unsigned bit = 1u << l->namespaces[i].type;

        if (seen & bit)
            return urun_error_set(err, 0, "%s.namespaces[%zu].type: namespace \"%s\" listed twice", path, i,
                                  spec_ns_name(l->namespaces[i].type));
        seen |= bit;
    }
    snprintf(field, sizeof(field), "%s.sysctl", path);
    return check_kv(l->sysctl, l->n_sysctl, field, SPEC_MAX_SYSCTL_KEY, SPEC_MAX_SYSCTL_VALUE, err);
}

/* Annotations go into the state file, which readers take only up to a bounded size. */
int spec_check_spec(const void *obj, const char *path, struct urun_error *err)
{
    const struct urun_spec *s = obj;
    size_t total = 0;
    int r = check_kv(s->annotations, s->n_annotations, "annotations", SPEC_MAX_ANNOTATION_KEY, UINT_MAX, err);

    if (r < 0)
        return r;
    for (size_t i = 0; i < s->n_annotations; i++)
        total += strlen(s->annotations[i].key) + strlen(s->annotations[i].value);
    if (total > SPEC_MAX_ANNOTATIONS)
        return urun_error_set(err, 0, "annotations: %zu bytes of keys and values, more than %u", total,
                              SPEC_MAX_ANNOTATIONS);
    return 0;
}
