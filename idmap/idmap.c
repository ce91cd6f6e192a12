/* Implementation of idmap.h.  This module decides and writes maps; it never reads or changes the
 * container's filesystem. */
#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

void idmap_format(const struct idmap_range *r, size_t n, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%u %u %u\n", r[i].container_id, r[i].host_id, r[i].size);
}

static int copy_ranges(const struct spec_id_mapping *in, size_t n, const char *field, struct idmap_range *out,
                       size_t *ret_n, struct urun_error *err)
{
    if (n > 340)
        return urun_error_set(err, 0, "linux.%s: %zu ranges, the kernel allows at most 340", field, n);
    for (size_t i = 0; i < n; i++)
        out[i] = (struct idmap_range){in[i].container_id, in[i].host_id, in[i].size};
    *ret_n = n;
    return 0;
}

static bool only_own_id(const struct idmap_range *r, size_t n, uint32_t own)
{
    return n == 1 && r[0].size == 1 && r[0].host_id == own;
}

int idmap_plan(const struct spec_linux *lx, uid_t uid, gid_t gid, struct idmap *ret, struct urun_error *err)
{
    int r;

    memset(ret, 0, sizeof(*ret));
    if (!lx || (lx->n_uid_mappings == 0 && lx->n_gid_mappings == 0)) {
        ret->uid[0] = (struct idmap_range){0, uid, 1};
        ret->gid[0] = (struct idmap_range){0, gid, 1};
        ret->n_uid = ret->n_gid = 1;
        return 0;
    }
    if (lx->n_uid_mappings == 0 || lx->n_gid_mappings == 0)
        return urun_error_set(err, 0, "linux.%s: required when linux.%s is given",
                              lx->n_uid_mappings ? "gidMappings" : "uidMappings",
                              lx->n_uid_mappings ? "uidMappings" : "gidMappings");
    r = copy_ranges(lx->uid_mappings, lx->n_uid_mappings, "uidMappings", ret->uid, &ret->n_uid, err);
    if (r >= 0)
        r = copy_ranges(lx->gid_mappings, lx->n_gid_mappings, "gidMappings", ret->gid, &ret->n_gid, err);
    if (r < 0)
        return r;
    if (geteuid() != 0 && (!only_own_id(ret->uid, ret->n_uid, uid) || !only_own_id(ret->gid, ret->n_gid, gid)))
        return urun_error_set(err, 0,
                              "linux.uidMappings/gidMappings: an unprivileged user can map only its own ID "
                              "(%u/%u) with size 1; subordinate ranges are not supported yet",
                              uid, gid);
    return 0;
}

static int write_proc(pid_t pid, const char *file, const char *data, struct urun_error *err)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
    int r = write_file_str(path, data, err);
    return r < 0 ? urun_error_wrap(err, r, "write %s", file) : 0;
}

int idmap_write(pid_t pid, const struct idmap *m, struct urun_error *err)
{
    char buf[340 * 36];
    int r;

    idmap_format(m->uid, m->n_uid, buf, sizeof(buf));
    r = write_proc(pid, "uid_map", buf, err);
    if (r < 0)
        return r;
    /* An unprivileged gid_map write needs setgroups denied first (user_namespaces(7)). */
    if (geteuid() != 0) {
        r = write_proc(pid, "setgroups", "deny", err);
        if (r < 0)
            return r;
    }
    idmap_format(m->gid, m->n_gid, buf, sizeof(buf));
    return write_proc(pid, "gid_map", buf, err);
}
