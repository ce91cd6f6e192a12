/* Parses argv against the command table (cmdtab.c).  Never prints and never exits:
 * every problem becomes an error for main to show. */
#include "cli/cmdline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Store one option occurrence, checking its argument against the allowed choices. */
static int store(struct urun_cmdline *cl, const struct urun_option *o, const char *value, struct urun_error *err)
{
    if (o->choices && value) {
        bool ok = false;
        for (const char *const *c = o->choices; *c; c++)
            ok = ok || strcmp(*c, value) == 0;
        if (!ok)
            return urun_error_set(err, 0, "--%s: invalid value \"%s\"", o->name, value);
    }
    if (o->flags & URUN_OPT_REPEAT) {
        if (cl->n_repeated == URUN_CMDLINE_MAX_REPEAT)
            return urun_error_set(err, 0, "--%s: given too many times", o->name);
        cl->repeated[cl->n_repeated].key = o->key;
        cl->repeated[cl->n_repeated++].value = value;
    }
    cl->values[o->key] = value ? value : "";
    cl->set[o->key] = true;
    return 0;
}

int urun_cmdline_all(const struct urun_cmdline *cl, enum urun_opt_key key, const char **out, int max)
{
    int n = 0;
    for (int i = 0; i < cl->n_repeated && n < max - 1; i++)
        if (cl->repeated[i].key == key)
            out[n++] = cl->repeated[i].value;
    out[n] = NULL;
    return n;
}

/* Parse the option at argv[*i] (which starts with '-') against opts.  Advances *i past a separate
 * argument.  Returns 1 when the option is not in opts (so the caller can try another table). */
static int parse_one(const struct urun_option *opts, int argc, char **argv, int *i, struct urun_cmdline *cl,
                     struct urun_error *err)
{
    const char *a = argv[*i], *inline_val = NULL;
    const struct urun_option *o;
    char name[128];

    if (a[1] == '-') {
        const char *eq = strchr(a + 2, '=');
        size_t len = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
        if (len >= sizeof(name))
            return 1;
        memcpy(name, a + 2, len);
        name[len] = '\0';
        inline_val = eq ? eq + 1 : NULL;
        o = urun_option_find(opts, name, 0);
    } else {
        /* runc (urfave/cli) also accepts single-dash long options such as -root */
        o = a[2] ? urun_option_find(opts, a + 1, 0) : NULL;
        if (!o) {
            o = urun_option_find(opts, NULL, a[1]);
            inline_val = (o && a[2]) ? a + 2 : NULL;
            if (o && !o->arg && a[2])
                return urun_error_set(err, 0, "option -%c takes no argument (in \"%s\")", a[1], a);
        }
    }
    if (!o)
        return 1;
    if (!o->arg) {
        if (inline_val && strcmp(inline_val, "true") != 0 && strcmp(inline_val, "false") != 0)
            return urun_error_set(err, 0, "option --%s is a flag and takes no value", o->name);
        if (inline_val && strcmp(inline_val, "false") == 0) {
            cl->set[o->key] = false;
            cl->values[o->key] = NULL;
            return 0;
        }
        return store(cl, o, NULL, err);
    }
    if (!inline_val) {
        if (*i + 1 >= argc)
            return urun_error_set(err, 0, "option --%s needs an argument (%s)", o->name, o->arg);
        inline_val = argv[++*i];
    }
    return store(cl, o, inline_val, err);
}

int urun_cmdline_parse(int argc, char **argv, struct urun_cmdline *ret, struct urun_error *err)
{
    struct urun_cmdline cl = {0};
    int i = 1, r;

    /* Global options, up to the command name. */
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        r = parse_one(urun_global_options, argc, argv, &i, &cl, err);
        if (r < 0)
            return r;
        if (r > 0)
            return urun_error_set(err, 0, "unknown global option \"%s\" (see urun --help)", argv[i]);
    }
    if (i < argc) {
        cl.cmd = urun_command_find(argv[i]);
        if (!cl.cmd)
            return urun_error_set(err, 0, "unknown command \"%s\" (see urun --help)", argv[i]);
        i++;
        /* "image import": a group's subcommand is the next word */
        char two[64];
        if (i < argc && argv[i][0] != '-' &&
            snprintf(two, sizeof(two), "%s %s", cl.cmd->name, argv[i]) < (int)sizeof(two) && urun_command_find(two)) {
            cl.cmd = urun_command_find(two);
            i++;
        }
    }
    if (!cl.cmd) {
        *ret = cl;
        return 0;
    }

    /* Command options and positional arguments, in any order; "--" ends options.  Positional
     * arguments are compacted to the front of argv's tail in place. */
    char **pos = argv + i;
    int n = 0;
    bool options_done = false;
    for (; i < argc; i++) {
        char *a = argv[i];
        if (!options_done && strcmp(a, "--") == 0) {
            options_done = true;
            continue;
        }
        if (!options_done && n > 0 && (cl.cmd->flags & CMD_ARGV_TAIL))
            options_done = true;
        if (!options_done && a[0] == '-' && a[1]) {
            r = parse_one(cl.cmd->options, argc, argv, &i, &cl, err);
            if (r > 0) /* --help and the global flags are accepted after the command too */
                r = parse_one(urun_global_options, argc, argv, &i, &cl, err);
            if (r < 0)
                return urun_error_wrap(err, r, "%s", cl.cmd->name);
            if (r > 0)
                return urun_error_set(err, 0, "%s: unknown option \"%s\" (see urun %s --help)", cl.cmd->name, a,
                                      cl.cmd->name);
            continue;
        }
        pos[n++] = a;
    }
    /* Dropped "--" or options leave stale pointers past the compacted tail: terminate it, so
     * CMD_ARGV_TAIL commands can hand args to execvp as they are. */
    pos[n] = NULL;
    cl.args = pos;
    cl.n_args = n;

    if (!cl.set[OPT_HELP]) {
        if (n < cl.cmd->min_args)
            return urun_error_set(err, 0, "%s: expects %s%s (see urun %s --help)", cl.cmd->name,
                                  cl.cmd->min_args == 1 ? "" : "at least ", cl.cmd->args_usage, cl.cmd->name);
        if (cl.cmd->max_args >= 0 && n > cl.cmd->max_args)
            return urun_error_set(err, 0, "%s: too many arguments: expects %s (see urun %s --help)", cl.cmd->name,
                                  cl.cmd->args_usage, cl.cmd->name);
    }
    *ret = cl;
    return 0;
}

/* A count from 0 to 4096, all digits. */
static int parse_count(const char *s, int *ret)
{
    char *end;
    long n = strtol(s, &end, 10);
    if (!*s || *end || n < 0 || n > 4096)
        return -EINVAL;
    *ret = (int)n;
    return 0;
}

int urun_cmdline_passed_fds(const struct urun_cmdline *cl, struct urun_passed_fds *ret, struct urun_error *err)
{
    const char *lfds = getenv("LISTEN_FDS"), *lpid = getenv("LISTEN_PID");
    bool creates = cl->cmd && (strcmp(cl->cmd->name, "create") == 0 || strcmp(cl->cmd->name, "run") == 0);

    *ret = (struct urun_passed_fds){0};
    if (creates && lfds && lpid && strtol(lpid, NULL, 10) == (long)getpid() && parse_count(lfds, &ret->listen) < 0)
        return urun_error_set(err, 0, "LISTEN_FDS: expected a number from 0 to 4096, got \"%s\"", lfds);
    if (cl->set[OPT_PRESERVE_FDS] && parse_count(cl->values[OPT_PRESERVE_FDS], &ret->preserve) < 0)
        return urun_error_set(err, 0, "--preserve-fds: expected a number from 0 to 4096, got \"%s\"",
                              cl->values[OPT_PRESERVE_FDS]);
    return 0;
}
