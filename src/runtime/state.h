/* Where container state lives and how it is stored: the state root, one directory per container
 * (named by its ID, flock-serialised), every name and path inside that directory, state.json and
 * the process record written atomically, and the OCI state document built from what was recorded.
 * Implemented by state.c (root, directories, names, paths) and state_file.c (the files' contents).
 * The lowest of the runtime modules: knows names and files, never cgroups, never touches a container
 * process (status.h tells a container's live status). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"
#include "spec/spec.h"

#define STATE_OCI_VERSION "1.2.0" /* the runtime-spec version urun implements */

/* The files in a container's directory, relative to it (for openat() and friends on its dirfd).  Only
 * the state module builds a path to one: state_container_path() and state_fd_path() below. */
#define STATE_FILE "state.json"
#define STATE_EXEC_FIFO "exec.fifo"
/* The processes create started, recorded apart from state.json in a tiny fixed format, so that
 * `delete --force` can still stop them when state.json is unreadable:
 *     init PID START\nhelper PID START\n[cgroup PATH\n]
 * (START: /proc/PID/stat field 22; helper 0 0 when there is none). */
#define STATE_PROCS_FILE "procs"
/* The copy of the bundle's config create keeps (poststart, poststop and exec need it later), and the
 * mark it leaves when that config has poststart/poststop hooks. */
#define STATE_CONFIG_COPY "config.json"
#define STATE_POSTHOOKS_MARK "posthooks"
/* NOTIFY_SOCKET (notify.h): the directory bound into the container, and the socket in it. */
#define STATE_NOTIFY_DIR "notify"
#define STATE_NOTIFY_SOCKET_NAME "notify.sock"
#define STATE_NOTIFY_SOCKET STATE_NOTIFY_DIR "/" STATE_NOTIFY_SOCKET_NAME
/* nsshare.h: the created container's init hands out its namespaces here until start. */
#define STATE_NS_SOCKET "ns.sock"
/* The container's /etc/resolv.conf for the slirp network, bound in read-only. */
#define STATE_RESOLV_CONF "resolv.conf"
/* A long ID's full text, in its directory with a bounded, hashed name (state_container_name). */
#define STATE_ID_FILE "id"

#define STATE_MAX_BYTES (1u << 20) /* state.json */
#define STATE_PROCS_MAX_BYTES (128 + 4096)
#define STATE_NAME_MAX 256       /* state_container_name()'s buffer, NUL included */
#define STATE_OWNER_NAME_MAX 256 /* a user name (LOGIN_NAME_MAX), NUL included */

struct state_root {
    int fd;       /* O_DIRECTORY, O_CLOEXEC */
    char *path;   /* absolute */
    uid_t owner;  /* who the containers in it belong to */
    bool foreign; /* uid 0 serving another user's root: trust nothing in it to name a process */
};

/* Resolve, create (0700, parents too) and check the state root.
 * opt_root: --root, or NULL for $XDG_RUNTIME_DIR/urun, else /run/user/$UID/urun when that directory
 * exists and is yours (a session without the variable: su, ssh, Slurm), else /tmp/urun-$UID.
 * Refuses a root that is a symlink, not a directory, owned by another user, or group/world-writable;
 * may_serve: uid 0 may open another user's (--root, never created), then marked foreign. */
int state_root_open(const char *opt_root, bool may_serve, struct state_root *ret, struct urun_error *err);
void state_root_close(struct state_root *r);

/* What state.json records for one container. */
struct urun_state {
    char *id;
    char *bundle;        /* absolute */
    char *rootfs;        /* absolute */
    pid_t pid;           /* container init, in urun's pid namespace */
    uint64_t start_time; /* /proc/PID/stat field 22 of pid */
    char *created;       /* RFC 3339, UTC */
    uid_t owner;
    char *owner_name; /* as the host knows it (state_owner_name); state_read: the uid when not recorded */
    struct spec_kv *annotations;
    size_t n_annotations;
    pid_t helper_pid; /* network helper, 0 when none */
    uint64_t helper_start_time;
    char *cgroup; /* absolute cgroup v2 directory, NULL when the container has none */
};

enum urun_status {
    URUN_STATUS_CREATING,
    URUN_STATUS_CREATED,
    URUN_STATUS_RUNNING,
    URUN_STATUS_STOPPED,
    URUN_STATUS_PAUSED,
    URUN_STATUS_UNKNOWN, /* state.json cannot be read: `list` shows it so; container_load fails instead */
};
const char *urun_status_name(enum urun_status s);

/* The container's name: its directory's under the root, and its cgroup's leaf name (cgroup.c).  IDs
 * over 200 bytes get a bounded, hashed name. */
void state_container_name(const char *id, char out[STATE_NAME_MAX]);
/* The absolute path of file `name` (one of the STATE_* names above) in container id's directory, for
 * what needs a path rather than the dirfd, e.g. state_container_path(root, id, STATE_RESOLV_CONF) as a
 * bind mount's source.  malloc'd (aborts on OOM, as xasprintf); NULL with errno EINVAL for any other
 * name. */
char *state_container_path(const struct state_root *r, const char *id, const char *name);
/* "/proc/self/fd/DIRFD/NAME": file `name` (one of the STATE_* names) through the open container
 * directory, short whatever the root's length (a socket's sun_path holds 108 bytes).  0, -ENAMETOOLONG
 * when it does not fit in size, -EINVAL for any other name. */
int state_fd_path(int dirfd, const char *name, char *buf, size_t size);

/* Make the container directory (mode 0700) and return it open and flock()ed LOCK_EX.
 * EEXIST becomes "container ID already exists". */
int state_container_create(const struct state_root *r, const char *id, int *ret_dirfd, struct urun_error *err);

/* Open an existing container directory, flock()ed with `lock` (LOCK_SH, LOCK_EX or 0 for none).
 * A missing one, or one removed while we waited for the lock, is "container ID does not exist". */
int state_container_open(const struct state_root *r, const char *id, int lock, int *ret_dirfd, struct urun_error *err);

/* Remove the container directory and everything in it, whatever it is, through fds and without
 * following symlinks, to a bounded depth; directories of ours that lack u+rwx get it first. */
int state_container_remove(const struct state_root *r, const char *id, int dirfd, struct urun_error *err);

/* The login name of uid as the host knows it, else uid in decimal: create resolves the caller's once,
 * on the host, for every state document (a hook run after pivot_root would see the container's
 * /etc/passwd instead). */
void state_owner_name(uid_t uid, char out[STATE_OWNER_NAME_MAX]);

/* Where `create --image` makes a container's bundle: ROOT/.image/DIRNAME (the container directory
 * itself is made by create, after the bundle exists).  A hidden name: `list` never sees it. */
#define STATE_IMAGE_DIR ".image"
char *state_image_bundle_path(const struct state_root *r, const char *id);
/* Remove that bundle as state_container_remove removes a container directory; 0 when there is none.
 * Fails on what only the user namespace may remove (files of subordinate IDs). */
int state_image_bundle_remove(const struct state_root *r, const char *id, struct urun_error *err);

/* state.json: write to a temporary file, rename into place (no fsync); STATE_PROCS_FILE before it. */
int state_write(int dirfd, const struct urun_state *st, struct urun_error *err);
/* -ENOENT (with err set) when there is no state.json yet: the container is still being created.
 * Any other failure (not a regular file, too large, corrupt) is an error naming the file's path. */
int state_read(int dirfd, struct urun_state **ret, struct urun_error *err);
void state_free(struct urun_state *st);
static inline void state_freep(struct urun_state **s)
{
    state_free(*s);
}

/* What STATE_PROCS_FILE records. */
struct state_procs {
    pid_t pid;
    uint64_t start_time;
    pid_t helper_pid; /* 0 when none */
    uint64_t helper_start_time;
    char cgroup[4096]; /* "" when none */
};
/* Read STATE_PROCS_FILE (a regular file, bounded, strictly parsed). */
int state_procs_read(int dirfd, struct state_procs *ret, struct urun_error *err);
/* Pure parser of that format, exported for tests: -EINVAL on anything else. */
int state_procs_parse(const char *buf, size_t len, struct state_procs *ret);

/* Sorted list of container IDs under the root (NULL-terminated). Entries that are not valid IDs are skipped. */
int state_list_ids(const struct state_root *r, char ***ret_ids, struct urun_error *err);

/* The OCI state document (ociVersion, id, status, pid, bundle, annotations; plus rootfs, created and
 * owner: st->owner_name, or st->owner in decimal when that is NULL), from st and status alone: no
 * lookups, so the init can build it after pivot_root.  pid is 0 once stopped.  Returns a malloc'd
 * string (NULL only if the JSON writer was misused: a bug). */
char *state_to_json(const struct urun_state *st, enum urun_status status, bool pretty);
/* The document for a container whose state cannot be read: id, pid (the recorded init while it still
 * runs, else 0), "status": "unknown" and "error": the reason. */
char *state_unknown_to_json(const char *id, pid_t pid, const char *reason, bool pretty);

/* Pure helpers, exported for tests. */
/* Parse a /proc/PID/stat line: state letter (field 3) and starttime (field 22). */
int proc_stat_parse(const char *line, char *ret_state, uint64_t *ret_start_time);
/* Read and parse /proc/PID/stat. -ESRCH when the process is gone. */
int proc_stat_read(pid_t pid, char *ret_state, uint64_t *ret_start_time);
