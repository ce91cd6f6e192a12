/* Command-line parsing driven by the command table: global options, the command, then its options
 * and positional arguments in any order ("--opt=v", "--opt v", "-o v", "-ov", flags, "--").
 * Pure: argv in, struct out. */
#pragma once

#include <stdbool.h>

#include "cmdtab.h"
#include "error.h"

struct urun_cmdline {
    const char *values[OPT__MAX]; /* last value given, or "" for a flag that was set */
    bool set[OPT__MAX];
    const struct urun_command *cmd; /* NULL when only global options were given */
    char **args; /* positional arguments of the command (points into argv) */
    int n_args;
};

int urun_cmdline_parse(int argc, char **argv, struct urun_cmdline *ret, struct urun_error *err);
