/* DNS at 10.0.2.3 relayed to one chosen resolver (run.urun.dns-upstream), UDP only, IPv4 only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct dnsfwd;

int dnsfwd_new(const char *ip, uint16_t port, unsigned mtu, struct dnsfwd **ret, struct urun_error *err);
void dnsfwd_free(struct dnsfwd *d);
int dnsfwd_fd(const struct dnsfwd *d); /* poll it for answers */

/* A frame from the tap: true when it is a UDP query to 10.0.2.3:53, which is then forwarded (or
 * dropped when malformed) and must not reach libslirp. */
bool dnsfwd_query(struct dnsfwd *d, const uint8_t *frame, size_t len);

/* Reads the resolver's answers and writes them to the tap as frames from 10.0.2.3:53. */
void dnsfwd_answer(struct dnsfwd *d, int tap);
