/* Unit tests for the command table and the command-line parser it drives. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmdline.h"
#include "cli/cmdtab.h"
#include "cli/usage.h"
#include "tap.h"

/* What fn(cmd) writes to stdout, as a string to free.  Not inlined: gcc 12 then takes pointers into
 * the result for pointers to the local buf (-Wdangling-pointer). */
__attribute__((noinline)) static char *capture_usage(void (*fn)(const struct urun_command *),
                                                     const struct urun_command *cmd)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    FILE *saved = stdout;

    stdout = mem;
    fn(cmd);
    stdout = saved;
    fclose(mem);
    return buf;
}

static void print_man(const struct urun_command *unused)
{
    (void)unused;
    urun_print_man();
}

/* The line after l, or NULL after the last. */
static const char *next_line(const char *l)
{
    const char *nl = strchr(l, '\n');
    return nl ? nl + 1 : NULL;
}

/* The first line of text wider than URUN_USAGE_WIDTH, or NULL. */
static const char *wide_line(const char *text)
{
    for (const char *l = text; *l;) {
        size_t len = strcspn(l, "\n");
        if (len > URUN_USAGE_WIDTH)
            return l;
        l += len + (l[len] == '\n');
    }
    return NULL;
}

/* Whether text has a line that starts with prefix followed by a space. */
static bool has_line(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *l = text; l; l = next_line(l))
        if (strncmp(l, prefix, n) == 0 && (l[n] == ' ' || l[n] == '\n'))
            return true;
    return false;
}

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
               strcmp(cl.values[OPT_ROOT], "/r") == 0 && strcmp(cl.values[OPT_BUNDLE], "/b") == 0 && cl.n_args == 1 &&
               strcmp(cl.args[0], "c1") == 0,
           "-b after the ID");
    TAP_OK(parse(&cl, &err, "create", "-b/b", "c1", NULL) == 0 && strcmp(cl.values[OPT_BUNDLE], "/b") == 0, "-bDIR");
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
    TAP_OK(parse(&cl, &err, "start", "a", "b", NULL) < 0 && strstr(err.msg, "too many"), "extra args: %s", err.msg);
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
    TAP_OK(parse(&cl, &err, "image", "import", "x.tar", "n:t", NULL) == 0 &&
               strcmp(cl.cmd->name, "image import") == 0 && cl.n_args == 2 && strcmp(cl.args[0], "x.tar") == 0,
           "image import: a group's subcommand is the second word");
    TAP_OK(parse(&cl, &err, "image", "list", "--format", "json", NULL) == 0 && cl.set[OPT_FORMAT] &&
               strcmp(cl.cmd->name, "image list") == 0,
           "image list --format json");
    TAP_OK(parse(&cl, &err, "image", "frobnicate", NULL) == 0 && strcmp(cl.cmd->name, "image") == 0 && cl.n_args == 1,
           "image with an unknown subcommand reaches the group (which refuses it)");
    TAP_OK(parse(&cl, &err, "run", "--image", "busybox", "c1", "--", "echo", "-n", "hi", NULL) == 0 && cl.n_args == 4 &&
               strcmp(cl.args[2], "-n") == 0 && cl.set[OPT_IMAGE],
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
            /* a group's subcommand ("image import") is completed as its second word */
            ok = strstr(buf, strchr(c->name, ' ') ? strchr(c->name, ' ') + 1 : c->name) != NULL;
            for (const struct urun_option *opt = c->options; ok && opt->name; opt++)
                ok = strstr(buf, opt->name) != NULL;
        }
        TAP_OK(ok, "%s completion covers every command and option", shells[s]);
        /* after help, every command name; after completion, the shells (on the line for it) */
        const char *marks[3][2] = {
            {"    help) ", "    completion) "},
            {"    help) _arguments", "    completion) _arguments"},
            {"__fish_seen_subcommand_from help' -a '", "__fish_seen_subcommand_from completion' -a '"},
        };
        const char *help = strstr(buf, marks[s][0]), *compl = strstr(buf, marks[s][1]);
        char *help_line = help ? strndup(help, strcspn(help, "\n")) : NULL;
        char *compl_line = compl ? strndup(compl, strcspn(compl, "\n")) : NULL;
        bool args = help_line && compl_line && strstr(compl_line, "bash zsh fish");
        for (const struct urun_command *c = urun_commands; args && c->name; c++) {
            char word[64];
            snprintf(word, sizeof(word), "%s ", c->name);
            args = strstr(help_line, word) != NULL;
        }
        TAP_OK(args, "%s completion completes command names after help and shells after completion", shells[s]);
        free(help_line);
        free(compl_line);
        free(buf);
    }
    struct urun_error err;
    TAP_OK(urun_print_completion("tcsh", &err) < 0, "unknown shell is an error");
}

/* --help: no line wider than 80 columns (long descriptions wrap under their column), and the overall
 * usage lists every command of the table. */
static void test_usage(void)
{
    char *all = capture_usage(urun_print_usage, NULL);
    const char *w = wide_line(all);
    bool listed = true;

    TAP_OK(!w, "urun --help: no line over %d columns%s%.100s", URUN_USAGE_WIDTH, w ? ": " : "", w ? w : "");
    for (const struct urun_command *c = urun_commands; c->name; c++) {
        char prefix[64], group[64];
        const char *sp = strchr(c->name, ' ');
        if (sp) { /* "image import": listed by `urun image --help`, as "  import" */
            snprintf(group, sizeof(group), "%.*s", (int)(sp - c->name), c->name);
            snprintf(prefix, sizeof(prefix), "  %s", sp + 1);
            char *text = capture_usage(urun_print_usage, urun_command_find(group));
            bool ok = has_line(text, prefix);
            free(text);
            if (!ok) {
                printf("# urun %s --help does not list %s\n", group, sp + 1);
                listed = false;
            }
            continue;
        }
        snprintf(prefix, sizeof(prefix), "  %s", c->name);
        if (!has_line(all, prefix)) {
            printf("# urun --help does not list %s\n", c->name);
            listed = false;
        }
    }
    TAP_OK(listed, "urun --help lists every command of the table, completion and help included (a group's "
                   "subcommands: its own --help)");
    free(all);
    for (const struct urun_command *c = urun_commands; c->name; c++) {
        char *text = capture_usage(urun_print_usage, c);
        w = wide_line(text);
        TAP_OK(!w, "urun %s --help: no line over %d columns%s%.100s", c->name, URUN_USAGE_WIDTH, w ? ": " : "",
               w ? w : "");
        free(text);
    }
    char *exec = capture_usage(urun_print_usage, urun_command_find("exec"));
    TAP_OK(strstr(exec, "new process's pid"), "exec --pid-file says it writes the new process's pid");
    free(exec);
    bool aligned = true;
    for (const struct urun_command *c = urun_commands; c->name; c++) {
        char *text = capture_usage(urun_print_usage, c);
        const char *opts = strstr(text, "\nOptions:\n");
        /* below Options:, a line is an option ("  -x, --name" or "      --name") or a continuation
         * that starts exactly at the description column (31) */
        const char *cmds = opts ? strstr(opts, "\nCommands:\n") : NULL; /* a group's subcommands */
        for (const char *l = opts ? opts + 10 : NULL; l && *l && (!cmds || l < cmds); l = next_line(l)) {
            size_t sp = strspn(l, " ");
            if (!(sp == 2 && l[2] == '-') && !(sp == 6 && l[6] == '-') && sp != 31) {
                printf("# urun %s --help: misaligned line: %.60s\n", c->name, l);
                aligned = false;
            }
        }
        aligned = aligned && opts;
        free(text);
    }
    TAP_OK(aligned, "--help: long descriptions wrap under the description column");
    char *update = capture_usage(urun_print_usage, urun_command_find("update"));
    TAP_OK(strstr(update, "      --memory-reservation BYTES\n                               memory soft limit"),
           "an option too wide for its column gets its description on the next line, under the others");
    free(update);
}

/* help parses as a command taking one optional command name; --man is its option. */
static void test_help_command(void)
{
    struct urun_cmdline cl;
    struct urun_error err;

    TAP_OK(parse(&cl, &err, "help", NULL) == 0 && cl.cmd == urun_command_find("help") && cl.n_args == 0, "urun help");
    TAP_OK(parse(&cl, &err, "help", "exec", NULL) == 0 && cl.n_args == 1 && strcmp(cl.args[0], "exec") == 0,
           "urun help exec");
    TAP_OK(parse(&cl, &err, "help", "--man", NULL) == 0 && cl.set[OPT_MAN], "urun help --man");
    TAP_OK(parse(&cl, &err, "help", "a", "b", NULL) < 0, "urun help a b is refused");
}

/* The man page's generated part: every command has its subsection, every option of it is there,
 * and nothing from the table can start a roff request. */
static void test_man(void)
{
    char *man = capture_usage(print_man, NULL);
    bool ok = true;

    for (const struct urun_command *c = urun_commands; c->name; c++) {
        char ss[64];
        snprintf(ss, sizeof(ss), ".SS %s", c->name);
        if (!has_line(man, ss)) {
            printf("# no %s\n", ss);
            ok = false;
        }
    }
    TAP_OK(ok, "urun help --man has a subsection for every command");
    TAP_OK(strstr(man, ".SH \"GLOBAL OPTIONS\"") && strstr(man, "\\fB\\-\\-root\\fR \\fIDIR\\fR"),
           "urun help --man has the global options, with \\- for each minus");
    bool escaped = true;
    for (const char *l = man; l && *l; l = next_line(l)) {
        size_t len = strcspn(l, "\n");
        if (strncmp(l, ".\\\"", 3) != 0 && memmem(l, len, "--", 2)) {
            printf("# unescaped --: %.*s\n", (int)len, l);
            escaped = false;
        }
    }
    TAP_OK(strstr(man, "\\fB\\-\\-memory\\-reservation\\fR") && escaped,
           "every minus of an option name is escaped, and no -- is left outside comments");
    free(man);
}

int main(void)
{
    test_table();
    test_parse();
    test_completions();
    test_usage();
    test_help_command();
    test_man();
    return tap_done();
}
