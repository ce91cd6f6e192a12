/* `urun update [--resources FILE] [--memory N] ... ID`: new limits for a container's cgroup.  The
 * options become one linux.resources document, so they go through the same conversion and checks as
 * the spec's (resources.c); --resources is applied first, the single options after it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/cleanup.h"
#include "base/json.h"
#include "base/util.h"
#include "cli/commands.h"
#include "runtime/lifecycle.h"
#include "spec/resources.h"
#include "spec/yamltree.h"

#define RESOURCES_MAX (1 << 20)

/* "512m", "1G", "-1", "1048576": bytes, with binary k/m/g/t suffixes as runc takes them. */
static int parse_size(const char *opt, const char *s, long long *ret, struct urun_error *err)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (end == s || errno)
        return urun_error_set(err, 0, "--%s: \"%s\" is not a number", opt, s);
    if (*end) {
        const char *units = "kmgt";
        const char *u = strchr(units, *end | 0x20);
        if (!u || (end[1] && !((end[1] | 0x20) == 'b' && !end[2])) || v < 0)
            return urun_error_set(err, 0, "--%s: \"%s\" is not a size (a number, optionally with k, m, g or t)", opt,
                                  s);
        for (const char *p = units; p <= u; p++) {
            if (v > (1LL << 53))
                return urun_error_set(err, 0, "--%s: \"%s\" is too large", opt, s);
            v *= 1024;
        }
    }
    *ret = v;
    return 0;
}

static int parse_int(const char *opt, const char *s, long long *ret, struct urun_error *err)
{
    char *end;
    errno = 0;
    *ret = strtoll(s, &end, 10);
    if (end == s || *end || errno)
        return urun_error_set(err, 0, "--%s: \"%s\" is not a number", opt, s);
    return 0;
}

struct numeric {
    enum urun_opt_key key;
    const char *opt, *section, *field;
    bool size;
};

static const struct numeric numerics[] = {
    {OPT_MEMORY, "memory", "memory", "limit", true},
    {OPT_MEMORY_RESERVATION, "memory-reservation", "memory", "reservation", true},
    {OPT_MEMORY_SWAP, "memory-swap", "memory", "swap", true},
    {OPT_PIDS_LIMIT, "pids-limit", "pids", "limit", false},
    {OPT_CPU_QUOTA, "cpu-quota", "cpu", "quota", false},
    {OPT_CPU_PERIOD, "cpu-period", "cpu", "period", false},
    {OPT_CPU_SHARES, "cpu-share", "cpu", "shares", false},
    {OPT_CPU_IDLE, "cpu-idle", "cpu", "idle", false},
    {OPT_BLKIO_WEIGHT, "blkio-weight", "blockIO", "weight", false},
};

static const struct {
    enum urun_opt_key key;
    const char *field;
} cpusets[] = {{OPT_CPUSET_CPUS, "cpus"}, {OPT_CPUSET_MEMS, "mems"}};

/* The single-limit options as one linux.resources JSON document (NULL when none is given). */
static int options_document(const struct urun_cmdline *cl, char **ret, struct urun_error *err)
{
    static const char *const sections[] = {"memory", "pids", "cpu", "blockIO"};
    struct json_writer w;
    bool any = false;

    *ret = NULL;
    json_init(&w, false);
    json_begin_object(&w);
    for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
        bool open = false;
        for (size_t i = 0; i < sizeof(numerics) / sizeof(numerics[0]); i++) {
            const struct numeric *n = &numerics[i];
            long long v = 0;
            int r;
            if (strcmp(n->section, sections[s]) != 0 || !cl->set[n->key])
                continue;
            r = n->size ? parse_size(n->opt, cl->values[n->key], &v, err)
                        : parse_int(n->opt, cl->values[n->key], &v, err);
            if (r < 0) {
                free(json_steal(&w, NULL));
                return r;
            }
            if (!open) {
                json_key(&w, sections[s]);
                json_begin_object(&w);
                open = true;
            }
            json_kv_int(&w, n->field, v);
        }
        for (size_t i = 0; strcmp(sections[s], "cpu") == 0 && i < sizeof(cpusets) / sizeof(cpusets[0]); i++) {
            if (!cl->set[cpusets[i].key])
                continue;
            if (!open) {
                json_key(&w, sections[s]);
                json_begin_object(&w);
                open = true;
            }
            json_kv_string(&w, cpusets[i].field, cl->values[cpusets[i].key]);
        }
        if (open)
            json_end_object(&w);
        any = any || open;
    }
    json_end_object(&w);
    char *doc = json_steal(&w, NULL);
    if (!doc)
        return urun_error_set(err, EINVAL, "update: build the resources document");
    if (!any) {
        free(doc);
        return 0;
    }
    *ret = doc;
    return 0;
}

/* Convert one document and add its writes to *w. */
static int to_writes(const char *doc, size_t len, const char *label, struct cg_writes *w, struct urun_error *err)
{
    _cleanup_(ytree_freep) struct ynode *tree = NULL;
    int r = ytree_parse(doc, len, &tree, err);
    if (r < 0)
        return urun_error_wrap(err, r, "%s", label);
    return resources_to_writes(tree, label, w, err);
}

int cmd_update(struct urun_context *ctx, struct urun_error *err)
{
    const struct urun_cmdline *cl = ctx->cl;
    struct cg_writes all = {0};
    _cleanup_free_ char *file = NULL, *opts = NULL;
    size_t len = 0;
    int r = 0;

    if (cl->set[OPT_RESOURCES]) {
        const char *path = cl->values[OPT_RESOURCES];
        r = read_file_at(AT_FDCWD, strcmp(path, "-") == 0 ? "/dev/stdin" : path, RESOURCES_MAX, &file, &len, err);
        if (r < 0)
            return urun_error_wrap(err, r, "--resources %s", path);
        r = to_writes(file, len, "linux.resources", &all, err);
        if (r < 0) {
            cg_writes_clear(&all);
            return urun_error_wrap(err, r, "--resources %s", path);
        }
    }
    r = options_document(cl, &opts, err);
    if (r >= 0 && opts)
        r = to_writes(opts, strlen(opts), "update", &all, err);
    if (r >= 0 && !all.n && !all.n_unsupported)
        r = urun_error_set(err, 0, "update: nothing to change (give --resources FILE or a limit such as --memory)");
    if (r >= 0)
        r = container_update(&ctx->root, ctx->id, &all, err);
    cg_writes_clear(&all);
    return r;
}
