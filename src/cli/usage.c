/* The --help text and the man page's generated sections, both from the command table.  --help wraps
 * at URUN_USAGE_WIDTH with continuation lines under their column; the roff escapes whatever the table
 * says so that no help text can turn into a request.  Prints only; decides nothing about parsing. */
#include "cli/usage.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define OPT_COLUMN 31 /* where option descriptions start */
#define CMD_COLUMN 14 /* where command summaries start in the overall usage */

/* Prints text from column col on, breaking lines at spaces so that none is wider than
 * URUN_USAGE_WIDTH; continuation lines start at column indent.  A word wider than a line gets a line
 * of its own.  Ends the last line. */
static void print_wrapped(int col, int indent, const char *text)
{
    bool line_empty = true;

    for (const char *p = text; *p;) {
        size_t len;

        if (*p == ' ') {
            p++;
            continue;
        }
        len = strcspn(p, " ");
        if (!line_empty && col + 1 + (int)len > URUN_USAGE_WIDTH) {
            printf("\n%*s", indent, "");
            col = indent;
            line_empty = true;
        }
        if (!line_empty) {
            putchar(' ');
            col++;
        }
        fwrite(p, 1, len, stdout);
        col += (int)len;
        line_empty = false;
        p += len;
    }
    putchar('\n');
}

static void print_option(const struct urun_option *o)
{
    char left[96], help[1024];
    int n;

    if (o->short_name)
        n = snprintf(left, sizeof(left), "  -%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
    else
        n = snprintf(left, sizeof(left), "      --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
    snprintf(help, sizeof(help), "%s%s", o->flags & URUN_OPT_IGNORED ? "[ignored] " : "", o->help);
    fputs(left, stdout);
    /* too wide for the column: the description starts on the next line, under the others */
    if (n > OPT_COLUMN - 2) {
        putchar('\n');
        n = 0;
    }
    printf("%*s", OPT_COLUMN - n, "");
    print_wrapped(OPT_COLUMN, OPT_COLUMN, help);
}

static void print_options(const struct urun_option *opts)
{
    for (const struct urun_option *o = opts; o->name; o++)
        print_option(o);
}

void urun_print_usage(const struct urun_command *cmd)
{
    char line[512];

    if (cmd) {
        snprintf(line, sizeof(line), "Usage: urun [global options] %s [options] %s", cmd->name, cmd->args_usage);
        print_wrapped(0, 7, line);
        putchar('\n');
        print_wrapped(0, 0, cmd->summary);
        printf("\nOptions:\n");
        print_options(cmd->options);
        bool first = true;
        for (const struct urun_command *c = urun_commands; c->name; c++) {
            if (!urun_command_is_sub(c, cmd->name))
                continue;
            printf("%s  %-*s", first ? "\nCommands:\n" : "", CMD_COLUMN - 2, strchr(c->name, ' ') + 1);
            print_wrapped(CMD_COLUMN, CMD_COLUMN, c->summary);
            first = false;
        }
        return;
    }
    printf("Usage: urun [global options] <command> [options] [arguments]\n\n"
           "A rootless OCI container runtime with runc's command line.\n\nCommands:\n");
    for (const struct urun_command *c = urun_commands; c->name; c++) {
        if (urun_command_is_sub(c, NULL))
            continue;
        printf("  %-*s", CMD_COLUMN - 2, c->name);
        print_wrapped(CMD_COLUMN, CMD_COLUMN, c->summary);
    }
    printf("\nGlobal options:\n");
    print_options(urun_global_options);
    printf("\n");
    print_wrapped(0, 0,
                  "Run 'urun help COMMAND' (or 'urun COMMAND --help') for a command's options, and "
                  "'man urun' for the whole manual.");
}

/* --- man(7) roff ------------------------------------------------------------------------------ */

/* Text of the table into roff: a backslash becomes \e and a minus that starts a word (options, -1)
 * becomes \-; a line that would start with a control character (. or ') gets \& first.  The caller
 * puts s at the start of a line when at_line_start. */
static void roff_text(const char *s, bool at_line_start)
{
    if (at_line_start && (*s == '.' || *s == '\''))
        fputs("\\&", stdout);
    for (const char *p = s; *p; p++) {
        bool word_start = p == s || strchr(" -([|\"/", p[-1]);

        if (*p == '\\')
            fputs("\\e", stdout);
        else if (*p == '-' && word_start)
            fputs("\\-", stdout);
        else
            putchar(*p);
    }
}

/* A name to type (an option, its argument): every minus is \-, so that it copies as one. */
static void roff_literal(const char *s)
{
    for (const char *p = s; *p; p++)
        if (*p == '-')
            fputs("\\-", stdout);
        else if (*p == '\\')
            fputs("\\e", stdout);
        else
            putchar(*p);
}

/* A summary as a sentence: capital first letter, full stop at the end. */
static void roff_sentence(const char *s)
{
    char first[2] = {(char)toupper((unsigned char)s[0]), '\0'};

    roff_text(first, true);
    if (s[0])
        roff_text(s + 1, false);
    printf(".\n");
}

static void roff_option(const struct urun_option *o)
{
    printf(".TP\n");
    if (o->short_name)
        printf("\\fB\\-%c\\fR, ", o->short_name);
    printf("\\fB\\-\\-");
    roff_literal(o->name);
    printf("\\fR");
    if (o->arg) {
        printf(" \\fI");
        roff_literal(o->arg);
        printf("\\fR");
    }
    putchar('\n');
    if (o->flags & URUN_OPT_IGNORED)
        printf("[ignored] ");
    roff_text(o->help, !(o->flags & URUN_OPT_IGNORED));
    putchar('\n');
}

static void roff_command(const struct urun_command *c)
{
    printf(".SS %s\n\\fBurun\\fR [\\fIglobal options\\fR] \\fB%s\\fR [\\fIoptions\\fR]", c->name, c->name);
    if (c->args_usage[0]) {
        putchar(' ');
        roff_text(c->args_usage, false);
    }
    printf("\n.PP\n");
    roff_sentence(c->summary);
    /* --help is said once for all of them, in the section's first line */
    for (const struct urun_option *o = c->options; o->name; o++)
        if (o->key != OPT_HELP)
            roff_option(o);
}

void urun_print_man(void)
{
    printf(".\\\" Generated by urun help --man from the command table in src/cli/cmdtab.c.\n"
           ".SH \"GLOBAL OPTIONS\"\n"
           "They go before the command.\n");
    for (const struct urun_option *o = urun_global_options; o->name; o++)
        roff_option(o);
    printf(".SH COMMANDS\n"
           "Every command takes \\fB\\-\\-help\\fR, and \\fBurun help\\fR \\fIcommand\\fR prints the same.\n");
    for (const struct urun_command *c = urun_commands; c->name; c++)
        roff_command(c);
}
