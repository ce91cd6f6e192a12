/* Text for people, generated from the command table (cmdtab.c): the --help output and the part of
 * the man page urun(1) that lists the commands and options.  Both write to stdout. */
#pragma once

#include "cli/cmdtab.h"

/* Lines are at most this wide, as long as no single word is wider. */
#define URUN_USAGE_WIDTH 80

/* --help: the usage of cmd, or, for NULL, urun's usage with every command. */
void urun_print_usage(const struct urun_command *cmd);

/* The GLOBAL OPTIONS and COMMANDS sections of urun(1) as man(7) roff, for docs/urun.1.in. */
void urun_print_man(void);
