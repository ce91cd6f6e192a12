/* Time stamps in the one text form urun writes them: RFC 3339 in UTC with nanoseconds,
 * "2024-05-01T12:34:56.123456789Z" (state.json's "created", the runtime log).  Never fails. */
#pragma once

#include <stddef.h>

/* The longest stamp is 30 characters (a four-digit year); this much room always holds it. */
#define TIMEFMT_RFC3339_MAX 64

/* The current CLOCK_REALTIME into buf (NUL-terminated, cut short when size is too small). */
void timefmt_rfc3339_now(char *buf, size_t size);
