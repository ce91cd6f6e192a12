/* The one command table: every command with its options, arguments and preconditions.
 * Dispatch, --help, the man page (usage.c) and the shell completions are all generated from it,
 * so none of them can drift.  No behaviour lives here, only data and lookups. */
#pragma once

#include <stdbool.h>

#include "base/error.h"

enum urun_opt_key {
    OPT_NONE = 0,
    /* global */
    OPT_ROOT,
    OPT_LOG,
    OPT_LOG_FORMAT,
    OPT_DEBUG,
    OPT_ROOTLESS,
    OPT_SYSTEMD_CGROUP,
    OPT_CGROUP_MANAGER,
    OPT_VERSION,
    OPT_HELP,
    /* per command */
    OPT_BUNDLE,
    OPT_PID_FILE,
    OPT_CONSOLE_SOCKET,
    OPT_NO_PIVOT,
    OPT_NO_NEW_KEYRING,
    OPT_PRESERVE_FDS,
    OPT_DETACH,
    OPT_KEEP,
    OPT_ALL,
    OPT_FORCE,
    OPT_FORMAT,
    OPT_QUIET,
    OPT_SPEC_ROOTLESS,
    OPT_PROCESS,
    OPT_TTY,
    OPT_ENV,
    OPT_CWD,
    OPT_USER,
    OPT_CAP,
    OPT_NO_NEW_PRIVS,
    OPT_APPARMOR,
    OPT_PROCESS_LABEL,
    OPT_NETWORK,
    OPT_PUBLISH,
    OPT_ALLOW_HOST_LOOPBACK,
    OPT_IGNORE_PAUSED,
    OPT_RESOURCES,
    OPT_MEMORY,
    OPT_MEMORY_RESERVATION,
    OPT_MEMORY_SWAP,
    OPT_PIDS_LIMIT,
    OPT_CPU_QUOTA,
    OPT_CPU_PERIOD,
    OPT_CPU_SHARES,
    OPT_CPU_IDLE,
    OPT_CPUSET_CPUS,
    OPT_CPUSET_MEMS,
    OPT_BLKIO_WEIGHT,
    OPT_MAN,
    OPT_IMAGE,
    OPT_VOLUME,
    OPT_WORKDIR,
    OPT_READ_ONLY,
    OPT__MAX,
};

enum urun_opt_flags {
    URUN_OPT_IGNORED = 1 << 0, /* accepted for compatibility, has no effect: said in --help and the log */
    URUN_OPT_REPEAT = 1 << 1,  /* may be given more than once; every value is kept (urun_cmdline_all) */
};

struct urun_option {
    const char *name; /* long name without "--" */
    char short_name;  /* 0 when none */
    enum urun_opt_key key;
    const char *arg;            /* argument name; NULL for a flag */
    const char *const *choices; /* NULL-terminated allowed values, or NULL */
    unsigned flags;
    const char *help;
};

struct urun_context;

enum urun_cmd_flags {
    CMD_TAKES_ID = 1 << 0,    /* first positional argument is a container ID, validated before run */
    CMD_NEEDS_ROOT = 1 << 1,  /* opens the state root before run */
    CMD_ARG_COMMAND = 1 << 2, /* the positional argument is a command name (help): completed as one */
    CMD_ARGV_TAIL = 1 << 3,   /* from the first positional argument on, everything is positional (a command line) */
    CMD_ROOT_SERVES = 1 << 4, /* uid 0 may run it on another user's state root (--root): Slurm, admins */
    /* Commands named "GROUP SUB" (e.g. "image import") are found from two words; the GROUP entry itself
     * lists them. */
};

struct urun_command {
    const char *name;
    const char *args_usage; /* e.g. "<container-id> [signal]" */
    const char *summary;
    const struct urun_option *options; /* terminated by an entry with name == NULL */
    int min_args, max_args;            /* positional arguments; max -1 = unbounded */
    unsigned flags;
    int (*run)(struct urun_context *ctx, struct urun_error *err);
    const char *const *arg_choices; /* NULL-terminated values of the positional argument (completed), or NULL */
};

extern const struct urun_option urun_global_options[];
extern const struct urun_command urun_commands[]; /* terminated by name == NULL */

const struct urun_command *urun_command_find(const char *name);
const struct urun_option *urun_option_find(const struct urun_option *opts, const char *long_name, char short_name);
/* Whether c is a subcommand "GROUP SUB" of group ("image import" of "image"); a NULL group: of any. */
bool urun_command_is_sub(const struct urun_command *c, const char *group);

/* A completion script, generated from the table, written to stdout. */
int urun_print_completion(const char *shell, struct urun_error *err);
