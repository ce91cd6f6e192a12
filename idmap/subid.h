/* /etc/subuid and /etc/subgid: which host ID ranges an administrator delegated to a user.
 * subid_parse is pure (text in, ranges out); subid_read adds the file I/O. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define SUBID_MAX_RANGES 339 /* the kernel takes 340 map lines; one is the user's own ID */
#define SUBID_MAX_WARNINGS 8

struct subid_range {
    uint32_t start;
    uint32_t count;
};

struct subid_ranges {
    struct subid_range r[SUBID_MAX_RANGES];
    size_t n;
    /* Lines that were skipped, for the log: "/etc/subuid:3: malformed line". */
    char warnings[SUBID_MAX_WARNINGS][160];
    size_t n_warnings;
};

/* The ranges for the user called `name` or numbered `id`, in file order.  Comments (#), blank lines
 * and malformed lines are skipped (malformed ones with a warning); a range whose end overflows 32
 * bits, or with a zero count, is rejected with a warning.  `file` names the file in warnings. */
void subid_parse(const char *text, const char *file, const char *name, uint32_t id, struct subid_ranges *ret);

/* Read and parse a file; a missing file gives no ranges and no error. */
int subid_read(const char *path, const char *name, uint32_t id, struct subid_ranges *ret, struct urun_error *err);

/* For an administrator's new line: the first multiple of count at or above start that lies past every
 * range in text (one or more subuid(5)/subgid(5) files, concatenated), so it overlaps none; 0 when
 * there is no room below 2^32.  Malformed lines are passed over. Pure. */
uint32_t subid_free_start(const char *text, uint32_t start, uint32_t count);
