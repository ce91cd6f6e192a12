/* Published UDP ports, forwarded by the helper itself (udpfwd.c explains why not by libslirp). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "netns/netns.h"

struct udpfwd;

struct udpfwd *udpfwd_new(unsigned mtu); /* NULL: out of memory */
void udpfwd_free(struct udpfwd *u);
/* Binds p's host address; datagrams to it go to 10.0.2.100:p->ctr_port. */
int udpfwd_add(struct udpfwd *u, const struct netns_publish *p, struct urun_error *err);

size_t udpfwd_count(const struct udpfwd *u); /* bound ports, 0 for NULL */
int udpfwd_fd(const struct udpfwd *u, size_t i);

/* Port i is readable: its datagrams go to the container, each client as 10.0.2.2:VPORT. */
void udpfwd_receive(struct udpfwd *u, size_t i, int tap, int64_t now_ms);

/* A frame from the container: true when it answers a client of a published port (and went to it). */
bool udpfwd_from_guest(struct udpfwd *u, const uint8_t *frame, size_t len, int64_t now_ms);
