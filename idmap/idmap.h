/* User-namespace ID maps: choosing them for a container and writing them for a new process.
 * The caller's own ID is written directly (user_namespaces(7): an unprivileged process may map
 * its own ID after denying setgroups); anything wider goes through newuidmap/newgidmap. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

struct idmap_range {
    uint32_t container_id;
    uint32_t host_id;
    uint32_t size;
};

struct idmap {
    struct idmap_range uid[340]; /* the kernel allows 340 lines per map */
    size_t n_uid;
    struct idmap_range gid[340];
    size_t n_gid;
};

/* The maps for a new user namespace: the spec's, or by default container root -> the caller.
 * Checks that the spec's maps are ones the caller may write. */
int idmap_plan(const struct spec_linux *lx, uid_t uid, gid_t gid, struct idmap *ret, struct urun_error *err);

/* Write pid's uid_map, setgroups and gid_map. */
int idmap_write(pid_t pid, const struct idmap *m, struct urun_error *err);

/* "0 1000 1\n..." for one map, into buf. Pure. */
void idmap_format(const struct idmap_range *r, size_t n, char *buf, size_t size);
