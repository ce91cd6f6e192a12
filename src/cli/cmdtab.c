/* The command table (see cmdtab.h) and the bash/zsh/fish completion scripts generated from it (the
 * help text and the man page are usage.c's).  Adding a command or an option is one entry here. */
#include "cli/cmdtab.h"

#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

static const char *const log_formats[] = {"text", "json", NULL};
static const char *const rootless_values[] = {"true", "false", "auto", NULL};
static const char *const list_formats[] = {"table", "json", NULL};
static const char *const shells[] = {"bash", "zsh", "fish", NULL};
static const char *const network_modes[] = {"none", "slirp", "host", NULL};
static const char *const cgroup_managers[] = {"cgroupfs", "systemd", "disabled", NULL};

#define OPT_HELP_ENTRY                                         \
    {                                                          \
        "help", 'h', OPT_HELP, NULL, NULL, 0, "show this help" \
    }
#define OPT_END                                \
    {                                          \
        NULL, 0, OPT_NONE, NULL, NULL, 0, NULL \
    }

int urun_exit_status;

const struct urun_option urun_global_options[] = {
    {"root", 0, OPT_ROOT, "DIR", NULL, 0,
     "state directory (default: $XDG_RUNTIME_DIR/urun, else /run/user/$UID/urun, else /tmp/urun-$UID)"},
    {"log", 0, OPT_LOG, "FILE", NULL, 0, "write the runtime log to FILE instead of stderr"},
    {"log-format", 0, OPT_LOG_FORMAT, "FORMAT", log_formats, 0, "log format: text or json"},
    {"debug", 0, OPT_DEBUG, NULL, NULL, 0, "log debug messages"},
    {"rootless", 0, OPT_ROOTLESS, "VALUE", rootless_values, 0,
     "true, false or auto (default): whether to add a user namespace when the spec has none"},
    {"systemd-cgroup", 0, OPT_SYSTEMD_CGROUP, NULL, NULL, URUN_OPT_IGNORED,
     "accepted for compatibility (urun does not talk to systemd)"},
    {"cgroup-manager", 0, OPT_CGROUP_MANAGER, "MANAGER", cgroup_managers, 0,
     "cgroupfs (default): a cgroup where one is delegated; disabled: never make one (podman "
     "--cgroups=disabled); systemd: taken as cgroupfs (urun does not talk to systemd)"},
    {"version", 'v', OPT_VERSION, NULL, NULL, 0, "print the version"},
    OPT_HELP_ENTRY,
    OPT_END,
};

#define OPT_BUNDLE_ENTRY                                                                           \
    {                                                                                              \
        "bundle", 'b', OPT_BUNDLE, "DIR", NULL, 0, "bundle directory (default: current directory)" \
    }
#define OPT_PID_FILE_ENTRY                                                                \
    {                                                                                     \
        "pid-file", 0, OPT_PID_FILE, "FILE", NULL, 0, "write the container's pid to FILE" \
    }
#define OPT_CREATE_COMMON                                                                                          \
    OPT_BUNDLE_ENTRY, OPT_PID_FILE_ENTRY,                                                                          \
        {"console-socket",                                                                                         \
         0,                                                                                                        \
         OPT_CONSOLE_SOCKET,                                                                                       \
         "SOCKET",                                                                                                 \
         NULL,                                                                                                     \
         0,                                                                                                        \
         "AF_UNIX socket that receives the pty master of a terminal container"},                                   \
        {"no-pivot", 0, OPT_NO_PIVOT, NULL, NULL, 0, "use MS_MOVE and chroot instead of pivot_root"},              \
        {"no-new-keyring",                                                                                         \
         0,                                                                                                        \
         OPT_NO_NEW_KEYRING,                                                                                       \
         NULL,                                                                                                     \
         NULL,                                                                                                     \
         0,                                                                                                        \
         "keep the caller's session keyring instead of making a new one"},                                         \
        {"preserve-fds", 0, OPT_PRESERVE_FDS, "N", NULL, 0, "pass N extra fds (3 .. 3+N-1) to the container"},     \
        {"network",                                                                                                \
         0,                                                                                                        \
         OPT_NETWORK,                                                                                              \
         "MODE",                                                                                                   \
         network_modes,                                                                                            \
         0,                                                                                                        \
         "none (loopback only), slirp (urun's built-in user-mode network) or host (the caller's network "          \
         "namespace; the spec's network namespace is left out); default: annotation run.urun.network, else none"}, \
        {"publish",                                                                                                \
         'p',                                                                                                      \
         OPT_PUBLISH,                                                                                              \
         "SPEC",                                                                                                   \
         NULL,                                                                                                     \
         URUN_OPT_REPEAT,                                                                                          \
         "[IP:]HOSTPORT:CTRPORT[/tcp or udp]: forward a host port (slirp; repeatable; IP default 127.0.0.1)"},     \
    {                                                                                                              \
        "allow-host-loopback", 0, OPT_ALLOW_HOST_LOOPBACK, NULL, NULL, 0,                                          \
            "let the container reach the host's loopback at 10.0.2.2 (slirp)"                                      \
    }

/* A container from an imported image (urun image import): urun makes its bundle. */
#define OPT_IMAGE_RUN                                                                                           \
    {"image",                                                                                                   \
     0,                                                                                                         \
     OPT_IMAGE,                                                                                                 \
     "NAME[:TAG]",                                                                                              \
     NULL,                                                                                                      \
     0,                                                                                                         \
     "make the bundle from this imported image (then CMD ARGS may follow the ID, after --)"},                   \
        {"env", 'e', OPT_ENV, "KEY=VALUE", NULL, URUN_OPT_REPEAT, "with --image: set an environment variable"}, \
        {"volume", 'v', OPT_VOLUME, "SRC:DST[:ro]", NULL, URUN_OPT_REPEAT, "with --image: bind SRC at DST"},    \
        {"workdir", 'w', OPT_WORKDIR, "DIR", NULL, 0, "with --image: the working directory"},                   \
        {"user", 'u', OPT_USER, "USER[:GROUP]", NULL, 0, "with --image: run as this user (name or ID)"},        \
    {                                                                                                           \
        "read-only", 0, OPT_READ_ONLY, NULL, NULL, 0, "with --image: make the root filesystem read-only"        \
    }

static const struct urun_option create_options[] = {OPT_CREATE_COMMON, OPT_IMAGE_RUN, OPT_HELP_ENTRY, OPT_END};

static const struct urun_option run_options[] = {
    OPT_CREATE_COMMON,
    OPT_IMAGE_RUN,
    {"detach", 'd', OPT_DETACH, NULL, NULL, 0, "return once the container is running"},
    {"keep", 0, OPT_KEEP, NULL, NULL, 0, "keep the container's state after it exits"},
    OPT_HELP_ENTRY,
    OPT_END,
};

static const struct urun_option plain_options[] = {OPT_HELP_ENTRY, OPT_END};

static const struct urun_option kill_options[] = {
    {"all", 'a', OPT_ALL, NULL, NULL, 0, "signal every process of the container, not only its init"},
    OPT_HELP_ENTRY,
    OPT_END,
};

static const struct urun_option delete_options[] = {
    {"force", 'f', OPT_FORCE, NULL, NULL, 0, "kill a running container and delete it"},
    OPT_HELP_ENTRY,
    OPT_END,
};

static const struct urun_option list_options[] = {
    {"format", 'f', OPT_FORMAT, "FORMAT", list_formats, 0, "table or json"},
    {"quiet", 'q', OPT_QUIET, NULL, NULL, 0, "print the IDs only"},
    OPT_HELP_ENTRY,
    OPT_END,
};

static const struct urun_option exec_options[] = {
    {"process", 'p', OPT_PROCESS, "FILE", NULL, 0, "the process to run, as an OCI process object (JSON)"},
    {"tty", 't', OPT_TTY, NULL, NULL, 0, "give the process a terminal"},
    {"console-socket", 0, OPT_CONSOLE_SOCKET, "SOCKET", NULL, 0, "AF_UNIX socket that receives the pty master"},
    {"detach", 'd', OPT_DETACH, NULL, NULL, 0, "return once the process has started"},
    {"pid-file", 0, OPT_PID_FILE, "FILE", NULL, 0, "write the new process's pid to FILE"},
    {"env", 'e', OPT_ENV, "KEY=VALUE", NULL, URUN_OPT_REPEAT, "set an environment variable (repeatable)"},
    {"cwd", 0, OPT_CWD, "DIR", NULL, 0, "working directory inside the container"},
    {"user", 'u', OPT_USER, "UID[:GID]", NULL, 0, "run as this user"},
    {"cap", 'c', OPT_CAP, "CAP", NULL, URUN_OPT_REPEAT, "add a capability to every set (repeatable)"},
    {"no-new-privs", 0, OPT_NO_NEW_PRIVS, NULL, NULL, 0, "set no_new_privs"},
    {"preserve-fds", 0, OPT_PRESERVE_FDS, "N", NULL, 0, "pass N extra fds (3 .. 3+N-1)"},
    {"apparmor", 0, OPT_APPARMOR, "PROFILE", NULL, URUN_OPT_IGNORED,
     "accepted for compatibility (urun sets no LSM labels)"},
    {"process-label", 0, OPT_PROCESS_LABEL, "LABEL", NULL, URUN_OPT_IGNORED,
     "accepted for compatibility (urun sets no LSM labels)"},
    {"ignore-paused", 0, OPT_IGNORE_PAUSED, NULL, NULL, 0,
     "exec even into a paused container (the process starts frozen)"},
    OPT_HELP_ENTRY,
    OPT_END,
};

static const struct urun_option list_format_options[] = {
    {"format", 'f', OPT_FORMAT, "FORMAT", list_formats, 0, "table or json (an array of pids)"},
    OPT_HELP_ENTRY,
    OPT_END,
};

static const struct urun_option update_options[] = {
    {"resources", 'r', OPT_RESOURCES, "FILE", NULL, 0,
     "an OCI linux.resources object (JSON or YAML) to apply; \"-\" reads stdin"},
    {"memory", 0, OPT_MEMORY, "BYTES", NULL, 0, "memory limit (memory.max; -1 for none)"},
    {"memory-reservation", 0, OPT_MEMORY_RESERVATION, "BYTES", NULL, 0, "memory soft limit (memory.low)"},
    {"memory-swap", 0, OPT_MEMORY_SWAP, "BYTES", NULL, 0, "memory plus swap limit (-1 for none)"},
    {"pids-limit", 0, OPT_PIDS_LIMIT, "N", NULL, 0, "maximum number of tasks (pids.max; 0 or less for none)"},
    {"cpu-quota", 0, OPT_CPU_QUOTA, "USEC", NULL, 0, "CPU time per period (cpu.max; -1 for none)"},
    {"cpu-period", 0, OPT_CPU_PERIOD, "USEC", NULL, 0, "CPU period (cpu.max)"},
    {"cpu-share", 0, OPT_CPU_SHARES, "SHARES", NULL, 0, "relative CPU share, converted to cpu.weight"},
    {"cpu-idle", 0, OPT_CPU_IDLE, "0|1", NULL, 0, "SCHED_IDLE for the cgroup (cpu.idle)"},
    {"cpuset-cpus", 0, OPT_CPUSET_CPUS, "LIST", NULL, 0, "CPUs to run on (cpuset.cpus)"},
    {"cpuset-mems", 0, OPT_CPUSET_MEMS, "LIST", NULL, 0, "memory nodes to use (cpuset.mems)"},
    {"blkio-weight", 0, OPT_BLKIO_WEIGHT, "10-1000", NULL, 0, "block IO weight, converted to io.weight"},
    OPT_HELP_ENTRY,
    OPT_END,
};

static const struct urun_option help_options[] = {
    {"man", 0, OPT_MAN, NULL, NULL, 0,
     "print the commands and global options as man(7) roff: the generated part of urun(1)"},
    OPT_HELP_ENTRY,
    OPT_END,
};

static const struct urun_option image_rm_options[] = {
    {"force", 'f', OPT_FORCE, NULL, NULL, 0, "remove the image even while containers use it (they keep its layers)"},
    OPT_HELP_ENTRY,
    OPT_END,
};

static const struct urun_option image_list_options[] = {
    {"format", 'f', OPT_FORMAT, "FORMAT", list_formats, 0, "table or json"},
    {"quiet", 'q', OPT_QUIET, NULL, NULL, 0, "print the NAME:TAG references only"},
    OPT_HELP_ENTRY,
    OPT_END,
};

static const struct urun_option spec_options[] = {
    OPT_BUNDLE_ENTRY,
    {"rootless", 0, OPT_SPEC_ROOTLESS, NULL, NULL, 0, "write a spec for an unprivileged user"},
    OPT_HELP_ENTRY,
    OPT_END,
};

const struct urun_command urun_commands[] = {
    {"create", "<container-id> [-- command [args...]]", "create a container; its process waits for start",
     create_options, 1, -1, CMD_TAKES_ID | CMD_NEEDS_ROOT, cmd_create},
    {"start", "<container-id>", "run the user's process of a created container", plain_options, 1, 1,
     CMD_TAKES_ID | CMD_NEEDS_ROOT, cmd_start},
    {"run", "<container-id> [-- command [args...]]", "create and start a container, wait for it and delete it",
     run_options, 1, -1, CMD_TAKES_ID | CMD_NEEDS_ROOT, cmd_run},
    {"state", "<container-id>", "print the OCI state of a container", plain_options, 1, 1,
     CMD_TAKES_ID | CMD_NEEDS_ROOT | CMD_ROOT_SERVES, cmd_state},
    {"kill", "<container-id> [signal]", "send a signal (default TERM) to a container", kill_options, 1, 2,
     CMD_TAKES_ID | CMD_NEEDS_ROOT | CMD_ROOT_SERVES, cmd_kill},
    {"delete", "<container-id>", "delete a container's state (and with --force, kill it first)", delete_options, 1, 1,
     CMD_TAKES_ID | CMD_NEEDS_ROOT | CMD_ROOT_SERVES, cmd_delete},
    {"exec", "<container-id> <command> [args...]", "run a new process in a running container", exec_options, 1, -1,
     CMD_TAKES_ID | CMD_NEEDS_ROOT | CMD_ARGV_TAIL, cmd_exec},
    {"ps", "<container-id>", "list the processes of a container", list_format_options, 1, 1,
     CMD_TAKES_ID | CMD_NEEDS_ROOT | CMD_ROOT_SERVES, cmd_ps},
    {"pause", "<container-id>", "freeze every process of a container (needs a delegated cgroup v2)", plain_options, 1,
     1, CMD_TAKES_ID | CMD_NEEDS_ROOT, cmd_pause},
    {"resume", "<container-id>", "thaw a paused container", plain_options, 1, 1, CMD_TAKES_ID | CMD_NEEDS_ROOT,
     cmd_resume},
    {"update", "<container-id>", "change the resource limits of a container (needs a delegated cgroup v2)",
     update_options, 1, 1, CMD_TAKES_ID | CMD_NEEDS_ROOT, cmd_update},
    {"list", "", "list containers", list_options, 0, 0, CMD_NEEDS_ROOT | CMD_ROOT_SERVES, cmd_list},
    {"features", "", "print the OCI features document: what this urun supports", plain_options, 0, 0, 0, cmd_features},
    {"spec", "", "write a config.json for a new bundle", spec_options, 0, 0, 0, cmd_spec},
    {"unshare", "[--] <command> [args...]",
     "run a command on the host in a user namespace with your default ID mapping (to remove or fix files "
     "owned by subordinate IDs)",
     plain_options, 1, -1, CMD_ARGV_TAIL, cmd_unshare},
    {"image", "<import|list|rm|prune|bundle> ...", "manage images: urun image <command> --help", plain_options, 0, -1,
     0, cmd_image},
    {"image import", "<source> [name[:tag]]",
     "import an image: oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE (docker/podman save), or a "
     "path",
     plain_options, 1, 2, 0, cmd_image_import},
    {"image list", "", "list imported images", image_list_options, 0, 0, 0, cmd_image_list},
    {"image rm", "<name[:tag]>", "remove an image no container uses (its layers stay until image prune)",
     image_rm_options, 1, 1, CMD_NEEDS_ROOT, cmd_image_rm},
    {"image prune", "", "remove the layers no image and no container uses", plain_options, 0, 0, CMD_NEEDS_ROOT,
     cmd_image_prune},
    {"image bundle", "<name[:tag]> <dir>", "write a bundle (config.json, rootfs as a plain tree) for any runtime",
     plain_options, 2, 2, 0, cmd_image_bundle},
    {"completion", "<bash|zsh|fish>", "print a shell completion script", plain_options, 1, 1, 0, cmd_completion,
     shells},
    {"help", "[command]", "print the usage, or a command's (as urun COMMAND --help)", help_options, 0, 1,
     CMD_ARG_COMMAND, cmd_help},
    {NULL, NULL, NULL, NULL, 0, 0, 0, NULL},
};

const struct urun_command *urun_command_find(const char *name)
{
    for (const struct urun_command *c = urun_commands; c->name; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

const struct urun_option *urun_option_find(const struct urun_option *opts, const char *long_name, char short_name)
{
    for (const struct urun_option *o = opts; o->name; o++) {
        if (long_name && strcmp(o->name, long_name) == 0)
            return o;
        if (!long_name && short_name && o->short_name == short_name)
            return o;
    }
    return NULL;
}

bool urun_command_is_sub(const struct urun_command *c, const char *group)
{
    const char *sp = strchr(c->name, ' ');
    return sp && (!group || (strncmp(c->name, group, (size_t)(sp - c->name)) == 0 && !group[sp - c->name]));
}

/* --- completions ------------------------------------------------------------------------------ */

static void print_words(const struct urun_option *opts, bool with_short)
{
    for (const struct urun_option *o = opts; o->name; o++) {
        printf(" --%s", o->name);
        if (with_short && o->short_name)
            printf(" -%c", o->short_name);
    }
}

/* The values a command's positional argument takes, when the table knows them: command names after
 * help, shells after completion.  Space-separated, each followed by a space. */
static void print_arg_choices(const struct urun_command *cmd)
{
    if (cmd->flags & CMD_ARG_COMMAND)
        for (const struct urun_command *c = urun_commands; c->name; c++)
            printf("%s ", c->name);
    for (const char *const *a = cmd->arg_choices; a && *a; a++)
        printf("%s ", *a);
}

static void completion_bash(void)
{
    printf(
        "# bash completion for urun, generated from its command table\n"
        "_urun_ids() { urun list -q 2>/dev/null; }\n"
        "_urun() {\n"
        "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd= i\n"
        "  for ((i=1; i<COMP_CWORD; i++)); do case ${COMP_WORDS[i]} in -*) ;; *) cmd=${COMP_WORDS[i]}; break;; esac; "
        "done\n"
        "  case $prev in\n"
        "    --root|--bundle|-b|--log|--pid-file|--console-socket) COMPREPLY=($(compgen -f -- \"$cur\")); return;;\n");
    for (const struct urun_option *o = urun_global_options; o->name; o++)
        if (o->choices) {
            printf("    --%s) COMPREPLY=($(compgen -W \"", o->name);
            for (const char *const *c = o->choices; *c; c++)
                printf("%s ", *c);
            printf("\" -- \"$cur\")); return;;\n");
        }
    printf("  esac\n  case $cmd in\n    '') COMPREPLY=($(compgen -W \"");
    for (const struct urun_command *c = urun_commands; c->name; c++)
        if (!urun_command_is_sub(c, NULL))
            printf("%s ", c->name);
    print_words(urun_global_options, false);
    printf("\" -- \"$cur\"));;\n");
    for (const struct urun_command *c = urun_commands; c->name; c++) {
        if (urun_command_is_sub(c, NULL))
            continue;
        printf("    %s) COMPREPLY=($(compgen -W \"", c->name);
        print_arg_choices(c);
        print_words(c->options, true);
        for (const struct urun_command *sub = urun_commands; sub->name; sub++)
            if (urun_command_is_sub(sub, c->name)) {
                printf(" %s", strchr(sub->name, ' ') + 1);
                print_words(sub->options, true);
            }
        printf("%s\" -- \"$cur\"));;\n", c->flags & CMD_TAKES_ID ? " $(_urun_ids)" : "");
    }
    printf("  esac\n}\ncomplete -F _urun urun\n");
}

enum quoting {
    ZSH_QUOTED, /* inside '...' */
    ZSH_SPEC,   /* inside an _arguments spec '--opt[help]', itself inside '...' */
    FISH_QUOTED,
};

/* Help text inside a zsh '...' (and maybe an _arguments spec) or a fish -d '...': brackets, colons
 * and quotes would end the spec or the string early. */
static void print_help_escaped(const char *h, enum quoting q)
{
    for (; *h; h++) {
        if (q == ZSH_SPEC && (*h == '[' || *h == ']' || *h == ':' || *h == '\\'))
            putchar('\\');
        if (*h == '\'')
            fputs(q == FISH_QUOTED ? "\\'" : "'\\''", stdout);
        else if (*h == '\\' && q == FISH_QUOTED)
            fputs("\\\\", stdout);
        else
            putchar(*h);
    }
}

static void completion_zsh(void)
{
    printf("#compdef urun\n# zsh completion for urun, generated from its command table\n"
           "_urun() {\n  local -a cmds\n  cmds=(\n");
    for (const struct urun_command *c = urun_commands; c->name; c++) {
        if (urun_command_is_sub(c, NULL))
            continue;
        printf("    '%s:", c->name);
        print_help_escaped(c->summary, ZSH_QUOTED);
        printf("'\n");
    }
    printf("  )\n  if (( CURRENT == 2 )); then _describe command cmds; return; fi\n"
           "  case $words[2] in\n");
    for (const struct urun_command *c = urun_commands; c->name; c++) {
        if (urun_command_is_sub(c, NULL))
            continue;
        printf("    %s) _arguments", c->name);
        bool group = false;
        for (const struct urun_command *sub = urun_commands; sub->name; sub++)
            group = group || urun_command_is_sub(sub, c->name);
        if (group) {
            printf(" '1:command:(");
            for (const struct urun_command *sub = urun_commands; sub->name; sub++)
                if (urun_command_is_sub(sub, c->name))
                    printf(" %s", strchr(sub->name, ' ') + 1);
            printf(")' '*::arg:_files'");
            for (const struct urun_command *sub = urun_commands; sub->name; sub++)
                for (const struct urun_option *o = sub->options; urun_command_is_sub(sub, c->name) && o->name; o++)
                    if (o->key != OPT_HELP) {
                        printf(" '--%s[", o->name);
                        print_help_escaped(o->help, ZSH_SPEC);
                        printf("]%s'", o->arg ? ":arg:_files" : "");
                    }
        }
        for (const struct urun_option *o = c->options; o->name; o++) {
            printf(" '--%s[", o->name);
            print_help_escaped(o->help, ZSH_SPEC);
            printf("]%s'", o->arg ? ":arg:_files" : "");
        }
        if (c->flags & CMD_TAKES_ID)
            printf(" '1:container:($(urun list -q 2>/dev/null))'");
        if ((c->flags & CMD_ARG_COMMAND) || c->arg_choices) {
            printf(" '1:%s:(", c->flags & CMD_ARG_COMMAND ? "command" : "value");
            print_arg_choices(c);
            printf(")'");
        }
        printf(";;\n");
    }
    printf("  esac\n}\n_urun \"$@\"\n");
}

static void completion_fish(void)
{
    printf("# fish completion for urun, generated from its command table\n"
           "complete -c urun -f\n");
    for (const struct urun_option *o = urun_global_options; o->name; o++) {
        printf("complete -c urun -n '__fish_use_subcommand' -l %s -d '", o->name);
        print_help_escaped(o->help, FISH_QUOTED);
        printf("'%s\n", o->arg ? " -r" : "");
    }
    for (const struct urun_command *c = urun_commands; c->name; c++) {
        if (urun_command_is_sub(c, NULL)) {
            const char *sp = strchr(c->name, ' ');
            printf("complete -c urun -n '__fish_seen_subcommand_from %.*s' -a %s -d '", (int)(sp - c->name), c->name,
                   sp + 1);
            print_help_escaped(c->summary, FISH_QUOTED);
            printf("'\n");
            continue;
        }
        printf("complete -c urun -n '__fish_use_subcommand' -a %s -d '", c->name);
        print_help_escaped(c->summary, FISH_QUOTED);
        printf("'\n");
        for (const struct urun_option *o = c->options; o->name; o++) {
            printf("complete -c urun -n '__fish_seen_subcommand_from %s' -l %s", c->name, o->name);
            if (o->short_name)
                printf(" -s %c", o->short_name);
            printf(" -d '");
            print_help_escaped(o->help, FISH_QUOTED);
            printf("'%s\n", o->arg ? " -r" : "");
        }
        if (c->flags & CMD_TAKES_ID)
            printf("complete -c urun -n '__fish_seen_subcommand_from %s' -a '(urun list -q 2>/dev/null)'\n", c->name);
        if ((c->flags & CMD_ARG_COMMAND) || c->arg_choices) {
            printf("complete -c urun -n '__fish_seen_subcommand_from %s' -a '", c->name);
            print_arg_choices(c);
            printf("'\n");
        }
    }
}

int urun_print_completion(const char *shell, struct urun_error *err)
{
    if (strcmp(shell, shells[0]) == 0)
        completion_bash();
    else if (strcmp(shell, shells[1]) == 0)
        completion_zsh();
    else if (strcmp(shell, shells[2]) == 0)
        completion_fish();
    else
        return urun_error_set(err, 0, "completion: unknown shell \"%s\" (bash, zsh or fish)", shell);
    return 0;
}
