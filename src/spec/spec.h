/* The OCI runtime-spec (1.2) configuration as plain C structs, and its parser.
 * spec_parse() is pure: bytes in, structs out, no syscalls, every size and depth bounded.
 * Unknown fields are ignored, as the spec requires; wrong types name the field path. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"

/* Limits on what a config may hold.  Exceeding any is an error naming the field.  The document's
 * (yamltree.c; anchors, aliases, tags and NUL characters are refused outright): */
#define SPEC_MAX_BYTES (4u << 20)    /* whole document */
#define SPEC_MAX_DEPTH 64            /* nesting of maps and sequences */
#define SPEC_MAX_NODES 200000        /* nodes in the whole document */
#define SPEC_MAX_SCALAR (256u << 10) /* one string */
#define SPEC_MAX_ITEMS 65536         /* entries in one sequence or map (so in args, env, mounts, ...) */
/* The fields' (spec.c, spec_rules.c), each from what the kernel takes or what urun must store: */
#define SPEC_MAX_PATH \
    4095                                  /* a path (PATH_MAX less its NUL): root.path, process.cwd, args[0],
                                           * mounts[].destination and .source, hooks[].path, linux paths */
#define SPEC_MAX_ARG ((128u << 10) - 1)   /* one of process.args/env, hooks[].args/env (MAX_ARG_STRLEN) */
#define SPEC_MAX_HOSTNAME 64              /* hostname, domainname (HOST_NAME_MAX) */
#define SPEC_MAX_SYSCTL_KEY 255           /* a linux.sysctl key */
#define SPEC_MAX_SYSCTL_VALUE 4095        /* a linux.sysctl value (a page, less its NUL) */
#define SPEC_MAX_ANNOTATION_KEY 1024      /* an annotation's key */
#define SPEC_MAX_ANNOTATIONS (128u << 10) /* all annotations, keys and values: they go into state.json */
#define SPEC_MAX_ID 4294967294u           /* a uid or gid: 4294967295 is (uid_t)-1, "unchanged" */
#define SPEC_MAX_CONSOLE 65535            /* process.consoleSize (struct winsize) */

struct spec_kv {
    char *key;
    char *value;
};

enum spec_ns_type {
    SPEC_NS_PID,
    SPEC_NS_NETWORK,
    SPEC_NS_MOUNT,
    SPEC_NS_IPC,
    SPEC_NS_UTS,
    SPEC_NS_USER,
    SPEC_NS_CGROUP,
    SPEC_NS_TIME,
    SPEC_NS__MAX,
};

struct spec_namespace {
    enum spec_ns_type type;
    char *path; /* NULL: create a new one */
};

struct spec_id_mapping {
    uint32_t container_id;
    uint32_t host_id;
    uint32_t size;
};

struct spec_mount {
    char *destination;
    char *type;     /* may be NULL */
    char *source;   /* may be NULL */
    char **options; /* NULL-terminated, may be NULL */
    struct spec_id_mapping *uid_mappings;
    size_t n_uid_mappings;
    struct spec_id_mapping *gid_mappings;
    size_t n_gid_mappings;
};

struct spec_rlimit {
    char *type; /* "RLIMIT_NOFILE", validated by the runtime, not the parser */
    uint64_t soft;
    uint64_t hard;
};

struct spec_capabilities {
    /* Each a NULL-terminated list of names like "CAP_CHOWN"; NULL when absent. */
    char **bounding;
    char **effective;
    char **inheritable;
    char **permitted;
    char **ambient;
};

struct spec_user {
    uint32_t uid;
    uint32_t gid;
    bool has_umask;
    uint32_t umask;
    uint32_t *additional_gids;
    size_t n_additional_gids;
    char *username; /* Windows field, parsed for completeness */
};

struct spec_process {
    bool terminal;
    bool has_console_size;
    uint32_t console_height;
    uint32_t console_width;
    struct spec_user user;
    char **args;                            /* NULL-terminated, at least one element */
    char **env;                             /* NULL-terminated, may be NULL */
    char *cwd;                              /* required, absolute */
    struct spec_capabilities *capabilities; /* NULL when absent */
    struct spec_rlimit *rlimits;
    size_t n_rlimits;
    bool no_new_privileges;
    char *apparmor_profile;
    char *selinux_label;
    bool has_oom_score_adj;
    int oom_score_adj;
};

struct spec_hook {
    char *path;
    char **args; /* NULL-terminated, may be NULL */
    char **env;  /* NULL-terminated, may be NULL */
    bool has_timeout;
    int timeout; /* seconds, > 0 */
};

enum spec_hook_kind {
    SPEC_HOOK_PRESTART,
    SPEC_HOOK_CREATE_RUNTIME,
    SPEC_HOOK_CREATE_CONTAINER,
    SPEC_HOOK_START_CONTAINER,
    SPEC_HOOK_POSTSTART,
    SPEC_HOOK_POSTSTOP,
    SPEC_HOOK__MAX,
};

struct spec_hook_list {
    struct spec_hook *hooks;
    size_t n;
};

struct spec_device {
    char *path;
    char *type; /* "c", "b", "u", "p" */
    int64_t major;
    int64_t minor;
    bool has_file_mode;
    uint32_t file_mode;
    bool has_uid;
    uint32_t uid;
    bool has_gid;
    uint32_t gid;
};

struct spec_seccomp_arg {
    uint32_t index;
    uint64_t value;
    uint64_t value_two;
    char *op; /* "SCMP_CMP_EQ", ... validated by the runtime */
};

struct spec_seccomp_syscall {
    char **names; /* NULL-terminated */
    char *action;
    bool has_errno_ret;
    uint32_t errno_ret;
    struct spec_seccomp_arg *args;
    size_t n_args;
};

struct spec_seccomp {
    char *default_action;
    bool has_default_errno_ret;
    uint32_t default_errno_ret;
    char **architectures; /* may be NULL */
    char **flags;         /* may be NULL */
    char *listener_path;
    char *listener_metadata;
    struct spec_seccomp_syscall *syscalls;
    size_t n_syscalls;
};

struct spec_time_offset {
    bool present;
    int64_t secs;
    uint32_t nanosecs;
};

struct spec_linux {
    struct spec_namespace *namespaces;
    size_t n_namespaces;
    struct spec_id_mapping *uid_mappings;
    size_t n_uid_mappings;
    struct spec_id_mapping *gid_mappings;
    size_t n_gid_mappings;
    struct spec_kv *sysctl;
    size_t n_sysctl;
    char *cgroups_path;
    char *resources_json; /* linux.resources kept for later use: NULL when absent */
    char *rootfs_propagation;
    char **masked_paths;
    char **readonly_paths;
    char *mount_label;
    struct spec_device *devices;
    size_t n_devices;
    struct spec_seccomp *seccomp; /* NULL when absent */
    struct spec_time_offset time_monotonic;
    struct spec_time_offset time_boottime;
};

struct urun_spec {
    char *oci_version;
    char *root_path; /* root.path: required */
    bool root_readonly;
    struct spec_process *process; /* NULL when absent (allowed for create only by the spec; urun requires it) */
    char *hostname;
    char *domainname;
    struct spec_mount *mounts;
    size_t n_mounts;
    struct spec_hook_list hooks[SPEC_HOOK__MAX];
    struct spec_kv *annotations;
    size_t n_annotations;
    struct spec_linux *linux_; /* NULL when absent */
};

/* Parse a config (JSON or YAML text).  On success *ret owns a new spec; on failure *ret is untouched
 * and err names the field path, e.g. "process.args[0]: expected a string". */
int spec_parse(const char *buf, size_t len, struct urun_spec **ret, struct urun_error *err);

void spec_free(struct urun_spec *spec);
static inline void spec_freep(struct urun_spec **s)
{
    spec_free(*s);
}

const char *spec_ns_name(enum spec_ns_type t);     /* "pid", "network", ... */
int spec_ns_from_name(const char *name);           /* -1 when unknown */
const char *spec_hook_name(enum spec_hook_kind k); /* "prestart", "createRuntime", ... */

/* Append a bind mount of source at destination, nosuid, nodev and noexec, read-only when ro: for mounts
 * urun adds itself (the notify directory, slirp's resolv.conf). */
void spec_append_bind(struct urun_spec *s, const char *destination, const char *source, bool ro);

/* Lookup helpers. */
const struct spec_namespace *spec_find_namespace(const struct urun_spec *s, enum spec_ns_type t);
const char *spec_annotation(const struct urun_spec *s, const char *key);
