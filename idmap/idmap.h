/* User-namespace ID maps: choosing them for a container and writing them for a new process.
 * The caller's own ID alone is written directly (user_namespaces(7): an unprivileged process may
 * map its own ID once setgroups is denied); anything wider goes through the system's setuid
 * newuidmap/newgidmap helpers, which check /etc/subuid and /etc/subgid themselves. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"
#include "idmap/subid.h"

#define IDMAP_MAX_LINES 340 /* per map, since Linux 4.15 */

struct idmap_range {
    uint32_t container_id;
    uint32_t host_id;
    uint32_t size;
};

struct idmap {
    struct idmap_range uid[IDMAP_MAX_LINES];
    size_t n_uid;
    struct idmap_range gid[IDMAP_MAX_LINES];
    size_t n_gid;
};

/* The maps a spec asks for (linux.uidMappings and linux.gidMappings), in the spec's order. */
struct idmap_request {
    const struct idmap_range *uid_mappings;
    size_t n_uid_mappings;
    const struct idmap_range *gid_mappings;
    size_t n_gid_mappings;
};

/* Who a process runs as (process.user): errors name its fields. */
struct idmap_ids {
    uint32_t uid, gid;
    const uint32_t *additional_gids;
    size_t n_additional_gids;
};

/* Who is asking, and what they were delegated. */
struct idmap_user {
    uid_t uid;
    gid_t gid;
    char name[256]; /* login name; the UID as text when NSS knows none (e.g. LDAP without nss) */
    const char *subuid_path, *subgid_path;
    struct subid_ranges subuid, subgid;
    char newuidmap[256], newgidmap[256]; /* "" when not installed */
    /* Why the installed helpers cannot act ("" when they can): urun under no_new_privs, a helper
     * on a nosuid mount, or neither setuid nor with file capabilities. */
    char helpers_blocked[300];
    uint32_t suggest_start; /* with no ranges: a start for an /etc/subuid line that overlaps none */
    /* urun itself runs in a user namespace another tool made (podman's rootless mode, `unshare -r`):
     * the IDs that exist there (/proc/self/uid_map's first column).  As root of such a namespace urun
     * writes maps directly, never through the helpers, and takes the spec's host IDs as IDs of it. */
    bool nested;
    struct idmap_range ns_uid[IDMAP_MAX_LINES], ns_gid[IDMAP_MAX_LINES];
    size_t n_ns_uid, n_ns_gid;
};

/* Fill u for the calling user: IDs, name, subordinate ranges (paths from $URUN_SUBUID_FILE and
 * $URUN_SUBGID_FILE, for tests, else /etc/subuid and /etc/subgid) and the helpers' paths. */
int idmap_user_load(struct idmap_user *u, struct urun_error *err);

/* The maps for a new user namespace, pure:
 * - the spec's own maps (req: linux.uidMappings/gidMappings), each host range checked to be the caller's
 *   own ID or inside one of the caller's subordinate ranges;
 * - or, with no maps in the spec, the default: container 0 -> the caller, 1..N -> the subordinate
 *   ranges in file order.  Without ranges or helpers the default falls back to the caller's own ID
 *   and *ret_warning explains why (empty string otherwise). */
int idmap_plan(const struct idmap_request *req, const struct idmap_user *u, struct idmap *ret, char *ret_warning,
               size_t warning_size, struct urun_error *err);
/* Only container root -> the caller: for a user namespace urun adds on its own. */
void idmap_plan_own(const struct idmap_user *u, struct idmap *ret);

/* Write pid's uid_map, setgroups and gid_map: directly for the caller's own ID, else via the helpers. */
int idmap_write(pid_t pid, const struct idmap *m, const struct idmap_user *u, struct urun_error *err);

/* Whether container ID `id` is inside one of the ranges. */
bool idmap_maps(const struct idmap_range *r, size_t n, uint32_t id);

/* process.user (uid, gid, additionalGids) must be inside the maps, or the process could not become
 * it: create checks the planned maps, exec the container's (IDs outside 0..2^32-2 are never mapped). */
int idmap_check_user(const struct idmap_ids *u, const struct idmap *m, struct urun_error *err);

/* Parse /proc/PID/uid_map text ("inside outside count" lines).  -EINVAL on a malformed line. Pure. */
int idmap_parse_proc(const char *text, struct idmap_range *out, size_t max, size_t *ret_n);
/* Whether a parsed map is the initial user namespace's ("0 0 4294967295"). Pure. */
bool idmap_is_initial(const struct idmap_range *r, size_t n);

/* "0 1000 1\n..." for one map, into buf. Pure. */
void idmap_format(const struct idmap_range *r, size_t n, char *buf, size_t size);

/* Why the kernel may refuse an unprivileged user namespace, as far as urun can see: each -1 where the
 * knob does not exist on this kernel. */
struct idmap_userns_facts {
    long max_user_namespaces;       /* user.max_user_namespaces */
    long unprivileged_userns_clone; /* kernel.unprivileged_userns_clone (Debian, Ubuntu kernels) */
    long apparmor_restrict;         /* kernel.apparmor_restrict_unprivileged_userns (Ubuntu 24.04) */
    bool chrooted;                  /* no mount at "/" in our mount table: a chroot */
};
void idmap_userns_facts_read(struct idmap_userns_facts *ret);
/* The first cause that applies, in that order, with what an administrator changes; "" when none
 * does.  Pure. */
void idmap_userns_advice(const struct idmap_userns_facts *f, char *buf, size_t size);
