/* linux.resources to cgroup v2 interface files (resources.h). */
#include "spec/resources.h"

#include "base/alloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add(struct cg_writes *w, const char *controller, const char *file, const char *value, const char *field)
{
    w->v = xreallocarray(w->v, w->n + 1, sizeof(*w->v));
    w->v[w->n++] = (struct cg_write){xstrdup(controller), xstrdup(file), xstrdup(value), xstrdup(field)};
}

static void unsupported(struct cg_writes *w, const char *field, const char *why)
{
    w->unsupported = xreallocarray(w->unsupported, w->n_unsupported + 1, sizeof(*w->unsupported));
    char buf[512];
    snprintf(buf, sizeof(buf), "%s (%s)", field, why);
    w->unsupported[w->n_unsupported++] = xstrdup(buf);
}

void cg_writes_clear(struct cg_writes *w)
{
    for (size_t i = 0; i < w->n; i++) {
        free(w->v[i].controller);
        free(w->v[i].file);
        free(w->v[i].value);
        free(w->v[i].field);
    }
    for (size_t i = 0; i < w->n_unsupported; i++)
        free(w->unsupported[i]);
    free(w->v);
    free(w->unsupported);
    *w = (struct cg_writes){0};
}

unsigned long long resources_shares_to_weight(unsigned long long shares)
{
    /* cpu.shares 2..262144 onto cpu.weight 1..10000, as runc and crun map it */
    if (shares < 2)
        shares = 2;
    if (shares > 262144)
        shares = 262144;
    return 1 + ((shares - 2) * 9999) / 262142;
}

unsigned long long resources_blkio_to_io_weight(unsigned long long weight)
{
    /* blkio.weight 10..1000 onto io.weight 1..10000 */
    if (weight < 10)
        weight = 10;
    if (weight > 1000)
        weight = 1000;
    return 1 + ((weight - 10) * 9999) / 990;
}

/* A field that is present, read with its path "<parent>.<key>". */
struct reader {
    const struct ynode *map;
    const char *path;
    struct urun_error *err;
};

static const struct ynode *field(const struct reader *r, const char *key, char *path, size_t size)
{
    const struct ynode *n = ynode_get(r->map, key);
    snprintf(path, size, "%s.%s", r->path, key);
    return n && !ynode_is_null(n) ? n : NULL;
}

/* -1 is "max" (no limit); other negative values are refused. */
static int limit_value(const struct ynode *n, const char *path, char *out, size_t size, struct urun_error *err)
{
    int64_t v;
    int r = ynode_i64(n, path, &v, err);
    if (r < 0)
        return r;
    if (v < -1)
        return urun_error_set(err, 0, "%s: %" PRId64 " is not a limit (use -1 for none)", path, v);
    if (v == -1)
        snprintf(out, size, "max");
    else
        snprintf(out, size, "%" PRId64, v);
    return 0;
}

static int memory(const struct reader *rd, struct cg_writes *w)
{
    char path[256], val[64];
    const struct ynode *n;
    int64_t limit = 0, swap = 0;
    bool has_limit = false;
    int r;

    if ((n = field(rd, "limit", path, sizeof(path)))) {
        if ((r = limit_value(n, path, val, sizeof(val), rd->err)) < 0)
            return r;
        ynode_i64(n, path, &limit, rd->err);
        has_limit = true;
        add(w, "memory", "memory.max", val, path);
    }
    if ((n = field(rd, "reservation", path, sizeof(path)))) {
        if ((r = limit_value(n, path, val, sizeof(val), rd->err)) < 0)
            return r;
        add(w, "memory", "memory.low", val, path);
    }
    if ((n = field(rd, "swap", path, sizeof(path)))) {
        /* OCI's swap is memory+swap (cgroup v1); v2's memory.swap.max is the swap alone */
        if ((r = limit_value(n, path, val, sizeof(val), rd->err)) < 0)
            return r;
        ynode_i64(n, path, &swap, rd->err);
        if (swap > 0) {
            if (!has_limit || limit <= 0)
                return urun_error_set(rd->err, 0, "%s: a swap limit needs a memory limit (%s.limit)", path, rd->path);
            if (swap < limit)
                return urun_error_set(
                    rd->err, 0, "%s: %" PRId64 " is below the memory limit %" PRId64 " (swap counts memory plus swap)",
                    path, swap, limit);
            snprintf(val, sizeof(val), "%" PRId64, swap - limit);
        }
        if (swap != 0)
            add(w, "memory", "memory.swap.max", val, path);
    }
    if (field(rd, "kernel", path, sizeof(path)))
        unsupported(w, path, "cgroup v1 only");
    if (field(rd, "kernelTCP", path, sizeof(path)))
        unsupported(w, path, "cgroup v1 only");
    if (field(rd, "swappiness", path, sizeof(path)))
        unsupported(w, path, "cgroup v1 only");
    if ((n = field(rd, "disableOOMKiller", path, sizeof(path)))) {
        bool b = false;
        if ((r = ynode_bool(n, path, &b, rd->err)) < 0)
            return r;
        if (b)
            unsupported(w, path, "cgroup v1 only");
    }
    return 0;
}

static int cpu(const struct reader *rd, struct cg_writes *w)
{
    char path[256], val[96];
    const struct ynode *n, *qn, *pn;
    uint64_t u;
    int64_t i;
    const char *s;
    int r;

    if ((n = field(rd, "shares", path, sizeof(path)))) {
        if ((r = ynode_u64(n, path, &u, rd->err)) < 0)
            return r;
        if (u) {
            snprintf(val, sizeof(val), "%llu", resources_shares_to_weight(u));
            add(w, "cpu", "cpu.weight", val, path);
        }
    }
    char ppath[256];
    qn = field(rd, "quota", path, sizeof(path));
    pn = field(rd, "period", ppath, sizeof(ppath));
    if (qn || pn) {
        int64_t quota = 0;
        uint64_t period = 100000;
        if (qn && (r = ynode_i64(qn, path, &quota, rd->err)) < 0)
            return r;
        if (pn) {
            if ((r = ynode_u64(pn, ppath, &period, rd->err)) < 0)
                return r;
            if (period == 0)
                period = 100000;
        }
        if (quota > 0)
            snprintf(val, sizeof(val), "%" PRId64 " %" PRIu64, quota, period);
        else
            snprintf(val, sizeof(val), "max %" PRIu64, period);
        add(w, "cpu", "cpu.max", val, qn ? path : ppath);
    }
    if ((n = field(rd, "burst", path, sizeof(path)))) {
        if ((r = ynode_u64(n, path, &u, rd->err)) < 0)
            return r;
        snprintf(val, sizeof(val), "%" PRIu64, u);
        add(w, "cpu", "cpu.max.burst", val, path);
    }
    if ((n = field(rd, "idle", path, sizeof(path)))) {
        if ((r = ynode_i64(n, path, &i, rd->err)) < 0)
            return r;
        snprintf(val, sizeof(val), "%" PRId64, i);
        add(w, "cpu", "cpu.idle", val, path);
    }
    if ((n = field(rd, "cpus", path, sizeof(path)))) {
        if ((r = ynode_string(n, path, &s, rd->err)) < 0)
            return r;
        if (s[0])
            add(w, "cpuset", "cpuset.cpus", s, path);
    }
    if ((n = field(rd, "mems", path, sizeof(path)))) {
        if ((r = ynode_string(n, path, &s, rd->err)) < 0)
            return r;
        if (s[0])
            add(w, "cpuset", "cpuset.mems", s, path);
    }
    if (field(rd, "realtimeRuntime", path, sizeof(path)))
        unsupported(w, path, "cgroup v1 only");
    if (field(rd, "realtimePeriod", path, sizeof(path)))
        unsupported(w, path, "cgroup v1 only");
    return 0;
}

static int pids(const struct reader *rd, struct cg_writes *w)
{
    char path[256], val[64];
    const struct ynode *n = field(rd, "limit", path, sizeof(path));
    int64_t v;
    int r;

    if (!n)
        return 0;
    if ((r = ynode_i64(n, path, &v, rd->err)) < 0)
        return r;
    /* runtime-spec 1.2: zero or less is no limit */
    if (v <= 0)
        snprintf(val, sizeof(val), "max");
    else
        snprintf(val, sizeof(val), "%" PRId64, v);
    add(w, "pids", "pids.max", val, path);
    return 0;
}

/* major/minor of one device entry */
static int device_of(const struct ynode *d, const char *path, uint64_t *major, uint64_t *minor, struct urun_error *err)
{
    char p[300];
    int r;
    snprintf(p, sizeof(p), "%s.major", path);
    if ((r = ynode_u64(ynode_get(d, "major"), p, major, err)) < 0)
        return r;
    snprintf(p, sizeof(p), "%s.minor", path);
    return ynode_u64(ynode_get(d, "minor"), p, minor, err);
}

static int throttle(const struct reader *rd, const char *key, const char *io_key, struct cg_writes *w)
{
    char path[256], ipath[300], p[320], val[128];
    const struct ynode *n = field(rd, key, path, sizeof(path));
    int r;

    if (!n)
        return 0;
    if (n->kind != YNODE_SEQ)
        return urun_error_set(rd->err, 0, "%s: expected a list", path);
    for (size_t i = 0; i < n->n; i++) {
        uint64_t major, minor, rate;
        snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
        if ((r = device_of(n->items[i], ipath, &major, &minor, rd->err)) < 0)
            return r;
        snprintf(p, sizeof(p), "%s.rate", ipath);
        if ((r = ynode_u64(ynode_get(n->items[i], "rate"), p, &rate, rd->err)) < 0)
            return r;
        snprintf(val, sizeof(val), "%" PRIu64 ":%" PRIu64 " %s=%" PRIu64, major, minor, io_key, rate);
        add(w, "io", "io.max", val, ipath);
    }
    return 0;
}

static int block_io(const struct reader *rd, struct cg_writes *w)
{
    char path[256], ipath[300], p[320], val[96];
    const struct ynode *n;
    uint64_t u;
    int r;

    if ((n = field(rd, "weight", path, sizeof(path)))) {
        if ((r = ynode_u64(n, path, &u, rd->err)) < 0)
            return r;
        if (u) {
            snprintf(val, sizeof(val), "default %llu", resources_blkio_to_io_weight(u));
            add(w, "io", "io.weight", val, path);
        }
    }
    if (field(rd, "leafWeight", path, sizeof(path)))
        unsupported(w, path, "cgroup v1 only");
    if ((n = field(rd, "weightDevice", path, sizeof(path)))) {
        if (n->kind != YNODE_SEQ)
            return urun_error_set(rd->err, 0, "%s: expected a list", path);
        for (size_t i = 0; i < n->n; i++) {
            uint64_t major, minor;
            const struct ynode *wn = ynode_get(n->items[i], "weight");
            snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
            if ((r = device_of(n->items[i], ipath, &major, &minor, rd->err)) < 0)
                return r;
            if (ynode_get(n->items[i], "leafWeight")) {
                snprintf(p, sizeof(p), "%s.leafWeight", ipath);
                unsupported(w, p, "cgroup v1 only");
            }
            if (!wn)
                continue;
            snprintf(p, sizeof(p), "%s.weight", ipath);
            if ((r = ynode_u64(wn, p, &u, rd->err)) < 0)
                return r;
            snprintf(val, sizeof(val), "%" PRIu64 ":%" PRIu64 " %llu", major, minor, resources_blkio_to_io_weight(u));
            add(w, "io", "io.weight", val, p);
        }
    }
    static const char *const keys[][2] = {
        {"throttleReadBpsDevice", "rbps"},
        {"throttleWriteBpsDevice", "wbps"},
        {"throttleReadIOPSDevice", "riops"},
        {"throttleWriteIOPSDevice", "wiops"},
    };
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
        if ((r = throttle(rd, keys[k][0], keys[k][1], w)) < 0)
            return r;
    return 0;
}

/* A cgroup v2 interface file name: "controller.key", lower-case letters, digits, '_' and '.'. */
static bool interface_name_ok(const char *s)
{
    const char *dot = strchr(s, '.');
    if (!dot || dot == s || !dot[1] || strlen(s) > 64)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' ||
              (*p >= 'A' && *p <= 'Z')))
            return false;
    return true;
}

static int hugepages(const struct ynode *n, const char *path, struct cg_writes *w, struct urun_error *err)
{
    char ipath[300], p[320], file[96], val[64];
    int r;

    if (n->kind != YNODE_SEQ)
        return urun_error_set(err, 0, "%s: expected a list", path);
    for (size_t i = 0; i < n->n; i++) {
        const char *size;
        uint64_t limit;
        snprintf(ipath, sizeof(ipath), "%s[%zu]", path, i);
        snprintf(p, sizeof(p), "%s.pageSize", ipath);
        if ((r = ynode_string(ynode_get(n->items[i], "pageSize"), p, &size, err)) < 0)
            return r;
        snprintf(file, sizeof(file), "hugetlb.%s.max", size);
        if (!interface_name_ok(file) || strchr(size, '.'))
            return urun_error_set(err, 0, "%s: \"%s\" is not a page size such as 2MB", p, size);
        snprintf(p, sizeof(p), "%s.limit", ipath);
        if ((r = ynode_u64(ynode_get(n->items[i], "limit"), p, &limit, err)) < 0)
            return r;
        snprintf(val, sizeof(val), "%" PRIu64, limit);
        add(w, "hugetlb", file, val, ipath);
    }
    return 0;
}

static int rdma(const struct ynode *n, const char *path, struct cg_writes *w, struct urun_error *err)
{
    char p[320], val[256];
    int r;

    if (n->kind != YNODE_MAP)
        return urun_error_set(err, 0, "%s: expected an object", path);
    for (size_t i = 0; i < n->n; i++) {
        const char *dev = n->pairs[i].key;
        const struct ynode *e = n->pairs[i].value, *h = ynode_get(e, "hcaHandles"), *o = ynode_get(e, "hcaObjects");
        uint32_t hv = 0, ov = 0;
        size_t len = 0;

        if (!dev[0] || strlen(dev) >= 64 || strpbrk(dev, " \n\t=/")) /* IB_DEVICE_NAME_MAX, NUL included */
            return urun_error_set(err, 0, "%s: \"%s\" is not a device name", path, dev);
        len = (size_t)snprintf(val, sizeof(val), "%s", dev);
        snprintf(p, sizeof(p), "%s.%s.hcaHandles", path, dev);
        if (h && (r = ynode_u32(h, p, &hv, err)) < 0)
            return r;
        if (h)
            len += (size_t)snprintf(val + len, sizeof(val) - len, " hca_handle=%u", hv);
        snprintf(p, sizeof(p), "%s.%s.hcaObjects", path, dev);
        if (o && (r = ynode_u32(o, p, &ov, err)) < 0)
            return r;
        if (o)
            snprintf(val + len, sizeof(val) - len, " hca_object=%u", ov);
        snprintf(p, sizeof(p), "%s.%s", path, dev);
        add(w, "rdma", "rdma.max", val, p);
    }
    return 0;
}

/* linux.resources.unified: file name to value, written as given. */
static int unified(const struct ynode *n, const char *path, struct cg_writes *w, struct urun_error *err)
{
    static const char *const refused[] = {"cgroup.procs",
                                          "cgroup.threads",
                                          "cgroup.subtree_control",
                                          "cgroup.kill",
                                          "cgroup.freeze",
                                          "cgroup.type",
                                          NULL};
    char p[320], ctrl[64];
    int r;

    if (n->kind != YNODE_MAP)
        return urun_error_set(err, 0, "%s: expected an object", path);
    for (size_t i = 0; i < n->n; i++) {
        const char *key = n->pairs[i].key, *value;
        snprintf(p, sizeof(p), "%s.%s", path, key);
        if (!interface_name_ok(key))
            return urun_error_set(err, 0, "%s: not a cgroup v2 interface file name", p);
        for (size_t k = 0; refused[k]; k++)
            if (strcmp(key, refused[k]) == 0)
                return urun_error_set(err, 0, "%s: urun manages this file itself", p);
        if ((r = ynode_string(n->pairs[i].value, p, &value, err)) < 0)
            return r;
        snprintf(ctrl, sizeof(ctrl), "%.*s", (int)(strchr(key, '.') - key), key);
        add(w, strcmp(ctrl, "cgroup") == 0 ? "" : ctrl, key, value, p);
    }
    return 0;
}

int resources_to_writes(const struct ynode *res, const char *path, struct cg_writes *w, struct urun_error *err)
{
    char p[256];
    const struct ynode *n;
    int r = 0;

    if (!res || ynode_is_null(res))
        return 0;
    if (res->kind != YNODE_MAP)
        return urun_error_set(err, 0, "%s: expected an object", path);
    struct reader top = {res, path, err};
    if ((n = field(&top, "memory", p, sizeof(p))))
        r = n->kind == YNODE_MAP ? memory(&(struct reader){n, p, err}, w)
                                 : urun_error_set(err, 0, "%s: expected an object", p);
    if (r >= 0 && (n = field(&top, "cpu", p, sizeof(p))))
        r = n->kind == YNODE_MAP ? cpu(&(struct reader){n, p, err}, w)
                                 : urun_error_set(err, 0, "%s: expected an object", p);
    if (r >= 0 && (n = field(&top, "pids", p, sizeof(p))))
        r = n->kind == YNODE_MAP ? pids(&(struct reader){n, p, err}, w)
                                 : urun_error_set(err, 0, "%s: expected an object", p);
    if (r >= 0 && (n = field(&top, "blockIO", p, sizeof(p))))
        r = n->kind == YNODE_MAP ? block_io(&(struct reader){n, p, err}, w)
                                 : urun_error_set(err, 0, "%s: expected an object", p);
    if (r >= 0 && (n = field(&top, "hugepageLimits", p, sizeof(p))))
        r = hugepages(n, p, w, err);
    if (r >= 0 && (n = field(&top, "rdma", p, sizeof(p))))
        r = rdma(n, p, w, err);
    if (r >= 0 && (n = field(&top, "unified", p, sizeof(p))))
        r = unified(n, p, w, err);
    if (r >= 0 && (n = field(&top, "network", p, sizeof(p))))
        unsupported(w, p, "cgroup v1 only");
    return r;
}
