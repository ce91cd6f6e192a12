/* Unit tests for the command table and the command-line parser it drives. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmdline.h"
#include "cli/cmdtab.h"
#include "tap.h"

static int parse(struct urun_cmdline *cl, struct urun_error *err, ...)
{
    static char *argv[32];
    va_list ap;
    int argc = 0;
    va_start(ap, err);
    argv[argc++] = "urun";
    for (char *a; (a = va_arg(ap, char *));)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    memset(err, 0, sizeof(*err));
    return urun_cmdline_parse(argc, argv, cl, err);
}

static void test_table(void)
{
    bool ok = true;
    for (const struct urun_command *c = urun_commands; c->name; c++) {
        if (!c->run || !c->summary || !c->options || !c->args_usage)
            ok = false;
        bool has_help = false;
        for (const struct urun_option *o = c->options; o->name; o++) {
            has_help = has_help || o->key == OPT_HELP;
            for (const struct urun_option *p = o + 1; p->name; p++)
                if (strcmp(o->name, p->name) == 0 || (o->short_name && o->short_name == p->short_name)) {
                    printf("# %s: duplicate option %s\n", c->name, o->name);
                    ok = false;
                }
            if (!o->help || o->key <= OPT_NONE || o->key >= OPT__MAX)
                ok = false;
        }
        if (!has_help)
            ok = false;
        if (urun_command_find(c->name) != c)
            ok = false;
    }
    TAP_OK(ok, "every command has a handler, help and unique options");
    const char *required[] = {"create", "start", "run", "state", "kill", "delete", "list", "spec"};
    bool all = true;
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
        all = all && urun_command_find(required[i]);
    TAP_OK(all, "runc's verbs are all in the table");
    TAP_OK(urun_command_find("nope") == NULL, "unknown command is not found");
}

static void test_parse(void)
{
    struct urun_cmdline cl;
    struct urun_error err;

    TAP_OK(parse(&cl, &err, "--root", "/r", "create", "--bundle=/b", "c1", NULL) == 0 && cl.cmd &&
               strcmp(cl.cmd->name, "create") == 0 && strcmp(cl.values[OPT_ROOT], "/r") == 0 &&
               strcmp(cl.values[OPT_BUNDLE], "/b") == 0 && cl.n_args == 1 && strcmp(cl.args[0], "c1") == 0,
           "--root DIR and --bundle=DIR");
    TAP_OK(parse(&cl, &err, "--root=/r", "create", "c1", "-b", "/b", NULL) == 0 &&
               strcmp(cl.values[OPT_ROOT], "/r") == 0 && strcmp(cl.values[OPT_BUNDLE], "/b") == 0 &&
               cl.n_args == 1 && strcmp(cl.args[0], "c1") == 0,
           "-b after the ID");
    TAP_OK(parse(&cl, &err, "create", "-b/b", "c1", NULL) == 0 && strcmp(cl.values[OPT_BUNDLE], "/b") == 0,
           "-bDIR");
    TAP_OK(parse(&cl, &err, "-root", "/r", "list", NULL) == 0 && strcmp(cl.values[OPT_ROOT], "/r") == 0,
           "single-dash long global option, as runc accepts");
    TAP_OK(parse(&cl, &err, "kill", "-a", "c1", "KILL", NULL) == 0 && cl.set[OPT_ALL] && cl.n_args == 2,
           "kill -a ID SIGNAL");
    TAP_OK(parse(&cl, &err, "create", "--bogus", "c1", NULL) < 0 && strstr(err.msg, "unknown option \"--bogus\""),
           "unknown option is an error naming it: %s", err.msg);
    TAP_OK(parse(&cl, &err, "frobnicate", NULL) < 0 && strstr(err.msg, "unknown command \"frobnicate\""),
           "unknown command: %s", err.msg);
    TAP_OK(parse(&cl, &err, "create", "c1", "--bundle", NULL) < 0 && strstr(err.msg, "needs an argument"),
           "missing option argument: %s", err.msg);
    TAP_OK(parse(&cl, &err, "start", NULL) < 0 && strstr(err.msg, "expects"), "missing ID: %s", err.msg);
    TAP_OK(parse(&cl, &err, "start", "a", "b", NULL) < 0 && strstr(err.msg, "too many"), "extra args: %s",
           err.msg);
    TAP_OK(parse(&cl, &err, "--log-format", "xml", "list", NULL) < 0 && strstr(err.msg, "invalid value \"xml\""),
           "choices are checked: %s", err.msg);
    TAP_OK(parse(&cl, &err, "list", "--format", "json", NULL) == 0 && strcmp(cl.values[OPT_FORMAT], "json") == 0,
           "list --format json");
    TAP_OK(parse(&cl, &err, "list", "--quiet=true", NULL) == 0 && cl.set[OPT_QUIET], "--flag=true");
    TAP_OK(parse(&cl, &err, "list", "--quiet=yes", NULL) < 0, "--flag=garbage is refused");
    TAP_OK(parse(&cl, &err, "delete", "--", "-odd", NULL) == 0 && cl.n_args == 1 && strcmp(cl.args[0], "-odd") == 0,
           "-- ends options");
    TAP_OK(parse(&cl, &err, "unshare", "--", "rm", "-rf", "/x", NULL) == 0 && cl.n_args == 3 &&
               strcmp(cl.args[1], "-rf") == 0 && cl.args[3] == NULL,
           "unshare: options after the command are its own, and args end with NULL");
    TAP_OK(parse(&cl, &err, "unshare", "ls", "-l", NULL) == 0 && cl.n_args == 2 && cl.args[2] == NULL,
           "unshare without --");
    TAP_OK(parse(&cl, &err, "run", "--help", NULL) == 0 && cl.set[OPT_HELP], "--help needs no ID");
    TAP_OK(parse(&cl, &err, "--version", NULL) == 0 && cl.set[OPT_VERSION] && !cl.cmd, "--version alone");
    TAP_OK(parse(&cl, &err, "--systemd-cgroup", "list", NULL) == 0 && cl.set[OPT_SYSTEMD_CGROUP],
           "--systemd-cgroup is accepted");
    TAP_OK(parse(&cl, &err, "image", "import", "x.tar", "n:t", NULL) == 0 && strcmp(cl.cmd->name, "image import") == 0 &&
               cl.n_args == 2 && strcmp(cl.args[0], "x.tar") == 0, "image import: a group's subcommand is the second word");
    TAP_OK(parse(&cl, &err, "image", "list", "--format", "json", NULL) == 0 && cl.set[OPT_FORMAT] &&
               strcmp(cl.cmd->name, "image list") == 0, "image list --format json");
    TAP_OK(parse(&cl, &err, "image", "frobnicate", NULL) == 0 && strcmp(cl.cmd->name, "image") == 0 &&
               cl.n_args == 1, "image with an unknown subcommand reaches the group (which refuses it)");
    TAP_OK(parse(&cl, &err, "run", "--image", "busybox", "c1", "--", "echo", "-n", "hi", NULL) == 0 &&
               cl.n_args == 4 && strcmp(cl.args[2], "-n") == 0 && cl.set[OPT_IMAGE],
           "run --image ID -- CMD ARGS: everything after -- is the command");
    const struct urun_option *o = urun_option_find(urun_global_options, "systemd-cgroup", 0);
    TAP_OK(o && (o->flags & URUN_OPT_IGNORED), "--systemd-cgroup is marked as ignored for --help");
}

/* The completion scripts mention every visible command and each of its options. */
static void test_completions(void)
{
    const char *shells[] = {"bash", "zsh", "fish"};
    for (size_t s = 0; s < 3; s++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&buf, &len);
        FILE *saved = stdout;
        struct urun_error err;
        stdout = mem;
        int r = urun_print_completion(shells[s], &err);
        stdout = saved;
        fclose(mem);
        bool ok = r == 0;
        for (const struct urun_command *c = urun_commands; ok && c->name; c++) {
            if (c->flags & CMD_HIDDEN)
                continue;
            /* a group's subcommand ("image import") is completed as its second word */
            ok = strstr(buf, strchr(c->name, ' ') ? strchr(c->name, ' ') + 1 : c->name) != NULL;
            for (const struct urun_option *opt = c->options; ok && opt->name; opt++)
                ok = strstr(buf, opt->name) != NULL;
        }
        TAP_OK(ok, "%s completion covers every command and option", shells[s]);
        free(buf);
    }
    struct urun_error err;
    TAP_OK(urun_print_completion("tcsh", &err) < 0, "unknown shell is an error");
}

int main(void)
{
    test_table();
    test_parse();
    test_completions();
    return tap_done();
}
