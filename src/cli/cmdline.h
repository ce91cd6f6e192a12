/* Command-line parsing driven by the command table: global options, the command, then its options
 * and positional arguments in any order ("--opt=v", "--opt v", "-o v", "-ov", flags, "--").
 * Pure: argv in, struct out (urun_cmdline_passed_fds alone also reads the environment). */
#pragma once

#include <stdbool.h>

#include "base/error.h"
#include "cli/cmdtab.h"

#define URUN_CMDLINE_MAX_REPEAT 256

struct urun_cmdline {
    const char *values[OPT__MAX]; /* last value given, or "" for a flag that was set */
    bool set[OPT__MAX];
    const struct urun_command *cmd; /* NULL when only global options were given */
    char **args;                    /* positional arguments of the command (points into argv), NULL-terminated */
    int n_args;
    /* Every value of URUN_OPT_REPEAT options, in order. */
    struct {
        enum urun_opt_key key;
        const char *value;
    } repeated[URUN_CMDLINE_MAX_REPEAT];
    int n_repeated;
};

/* The values of a repeatable option, in command-line order, into out (NULL-terminated, at most max-1
 * values).  Returns how many. */
int urun_cmdline_all(const struct urun_cmdline *cl, enum urun_opt_key key, const char **out, int max);

/* The fds a command passes on from 3: --preserve-fds N (0 when not given) and, for create and run,
 * socket activation's LISTEN_FDS when LISTEN_PID names this process (runc's rule).  Each a number
 * from 0 to 4096; anything else is an error naming the option or the variable. */
struct urun_passed_fds {
    int listen; /* LISTEN_FDS, first */
    int preserve;
};
int urun_cmdline_passed_fds(const struct urun_cmdline *cl, struct urun_passed_fds *ret, struct urun_error *err);

int urun_cmdline_parse(int argc, char **argv, struct urun_cmdline *ret, struct urun_error *err);
