/* The built man page (build/docs/urun.1, given as argv[1]) against the command table: every command
 * has its subsection with each of its options, the global options are there, and the hand-written
 * prose around the generated part made it in. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmdtab.h"
#include "tap.h"

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "re");
    char *buf = NULL;
    size_t len = 0;

    if (!f)
        return NULL;
    if (getdelim(&buf, &len, '\0', f) < 0) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

/* "\fB\-\-name\fR" as the page writes an option. */
static void option_roff(const struct urun_option *o, char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "\\fB\\-\\-");
    for (const char *p = o->name; *p && n + 3 < size; p++) {
        if (*p == '-')
            buf[n++] = '\\';
        buf[n++] = *p;
    }
    snprintf(buf + n, size - n, "\\fR");
}

/* The text of subsection ".SS name" up to the next .SS or .SH, or NULL. */
static char *section(const char *page, const char *name)
{
    char head[64];
    const char *start, *end;

    snprintf(head, sizeof(head), "\n.SS %s\n", name);
    start = strstr(page, head);
    if (!start)
        return NULL;
    start += strlen(head);
    end = start + strcspn(start, "");
    for (const char *next = strstr(start, "\n.S"); next; next = strstr(next + 1, "\n.S"))
        if (next[3] == 'S' || next[3] == 'H') {
            end = next;
            break;
        }
    return strndup(start, (size_t)(end - start));
}

static void test_commands(const char *page)
{
    char opt[128];

    for (const struct urun_command *c = urun_commands; c->name; c++) {
        char *text = section(page, c->name);
        bool ok = text != NULL;
        for (const struct urun_option *o = c->options; ok && o->name; o++) {
            option_roff(o, opt, sizeof(opt));
            if (o->key != OPT_HELP && !strstr(text, opt)) {
                printf("# %s: no %s\n", c->name, opt);
                ok = false;
            }
        }
        TAP_OK(ok, "the page has command %s with each of its options", c->name);
        free(text);
    }
    bool globals = strstr(page, "\n.SH \"GLOBAL OPTIONS\"\n") != NULL;
    for (const struct urun_option *o = urun_global_options; globals && o->name; o++) {
        option_roff(o, opt, sizeof(opt));
        globals = strstr(page, opt) != NULL;
    }
    TAP_OK(globals, "the page has every global option");
}

static void test_prose(const char *page)
{
    const char *sections[] = {".TH URUN 1",      ".SH NAME",     ".SH SYNOPSIS",
                              ".SH DESCRIPTION", ".SH COMMANDS", ".SH \"EXIT STATUS\"",
                              ".SH ENVIRONMENT", ".SH FILES",    ".SH EXAMPLES"};
    bool ok = true;

    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
        if (!strstr(page, sections[i])) {
            printf("# no %s\n", sections[i]);
            ok = false;
        }
    TAP_OK(ok, "the page has the prose sections around the generated ones");
    bool substituted = true;
    for (const char *l = page; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, ".\\\"", 3) != 0 && memchr(l, '@', strcspn(l, "\n"))) {
            printf("# left: %.*s\n", (int)strcspn(l, "\n"), l);
            substituted = false;
        }
    TAP_OK(substituted, "no @PLACEHOLDER@ is left in the page (outside comments)");
    TAP_OK(strstr(page, "XDG_RUNTIME_DIR") && strstr(page, "NOTIFY_SOCKET") && strstr(page, "LISTEN_FDS") &&
               strstr(page, "/tmp/urun\\-$UID") && strstr(page, "/run/user/$UID/urun"),
           "ENVIRONMENT and FILES name the variables and the state directory fallbacks");
}

int main(int argc, char **argv)
{
    char *page = argc == 2 ? read_all(argv[1]) : NULL;

    TAP_OK(page != NULL, "read the man page %s", argc == 2 ? argv[1] : "(no path given)");
    if (page) {
        test_commands(page);
        test_prose(page);
    }
    free(page);
    return tap_done();
}
