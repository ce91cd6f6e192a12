/* The container's cgroup, on a delegated cgroup v2 tree.  One cgroup per container, born there with
 * clone3(CLONE_INTO_CGROUP); linux.resources applied for the controllers that are enabled; freeze,
 * kill and the process list through cgroup.freeze, cgroup.kill and cgroup.procs.
 *
 * Where the cgroup goes: linux.cgroupsPath when absolute (from the cgroup2 mount's root); when relative,
 * or absent (then it is the container ID), under the parent of urun's own cgroup, as runc places it.
 * A host without cgroup v2, or where that place is not delegated to the caller (not writable, or the
 * common ancestor's cgroup.procs not writable), runs the container without a cgroup and says so once
 * in the log.  Requested limits that cannot be applied follow the policy of the annotation
 * run.urun.cgroup-limits: "warn" (default) logs one warning each, "require" makes them an error. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "base/error.h"
#include "spec/resources.h"

#define CGROUP_LIMITS_ANNOTATION "run.urun.cgroup-limits"

struct cgroup {
    char *path; /* absolute directory, NULL when the container has no cgroup */
    int fd;     /* that directory, -1 when none */
    bool made;  /* created here (removed again on failure) */
};
#define CGROUP_NONE ((struct cgroup){.path = NULL, .fd = -1, .made = false})

struct urun_spec;
/* What the container's cgroup must get: linux.resources converted to cgroup v2 writes, and the
 * policy for limits that cannot be applied (annotation CGROUP_LIMITS_ANNOTATION); linux.cgroupsPath's
 * syntax is checked too.  Pure: the create plan calls it, so that a malformed linux.resources or
 * cgroupsPath is refused before anything exists. */
struct cgroup_limits {
    struct cg_writes w;
    bool strict; /* "require": a limit without a cgroup is an error, not a warning */
};
int cgroup_plan_limits(const struct urun_spec *s, struct cgroup_limits *ret, struct urun_error *err);
void cgroup_limits_clear(struct cgroup_limits *l);

/* Make (or reuse an empty) cgroup for container `id` of spec `s` and apply the planned limits.  With
 * no usable delegation *ret is CGROUP_NONE and the call still succeeds (unless the policy is
 * "require" and limits were asked for).  disabled (--cgroup-manager disabled) makes no cgroup at
 * all.  Errors: a malformed cgroupsPath, a cgroup that already has processes. */
int cgroup_setup(const struct urun_spec *s, const struct cgroup_limits *lim, const char *id, bool disabled,
                 struct cgroup *ret, struct urun_error *err);
/* Close the fd; with remove, also cgroup_destroy the directory (create failed). */
void cgroup_release(struct cgroup *cg, bool remove);
/* Nothing of the container may outlive it: kill what is still in the cgroup at path (thawing it if it
 * is frozen), wait for it to empty and remove it.  A failure is a warning in the log. */
void cgroup_destroy(const char *path);

/* clone3 with CLONE_INTO_CGROUP when cgroup_fd >= 0 (falling back to writing cgroup.procs on kernels
 * without it).  flags: CLONE_* namespace flags; ret_pidfd may be NULL.  Returns as fork(). */
pid_t cgroup_clone(unsigned long flags, int cgroup_fd, int *ret_pidfd);

/* Apply writes to the cgroup at path.  Each one whose controller is not enabled there, or whose write
 * fails, is a warning, or with strict the first is the error. */
int cgroup_apply(const char *path, const struct cg_writes *w, bool strict, struct urun_error *err);

int cgroup_freeze(const char *path, bool freeze, struct urun_error *err);
bool cgroup_frozen(const char *path);
/* Every process in the cgroup gets sig; SIGKILL goes through cgroup.kill where the kernel has it. */
int cgroup_signal_all(const char *path, int sig, struct urun_error *err);
int cgroup_pids(const char *path, pid_t **ret, size_t *ret_n, struct urun_error *err);

/* Pure helpers, exported for tests. */
/* The mount point of the first cgroup2 filesystem in a /proc/self/mountinfo text, and its root. */
int cgroup_parse_mountinfo(const char *text, char **ret_mount, char **ret_root);
/* The unified ("0::") path of a /proc/self/cgroup text; -ENOENT on a pure cgroup v1 host. */
int cgroup_parse_self(const char *text, char **ret_path);
/* The cgroup's path below the mount (starting with '/') for cgroupsPath cp (NULL or "" for none),
 * urun's own cgroup `own` and leaf name `leaf`.  NULL (with err) for a path with "." or ".." parts. */
char *cgroup_target(const char *own, const char *cp, const char *leaf, struct urun_error *err);
/* The longest common ancestor of two cgroup paths, in a new string. */
char *cgroup_common_ancestor(const char *a, const char *b);
