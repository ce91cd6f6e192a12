/* Published TCP ports without libslirp's TCP: each connection accepted on the host is joined to one
 * the helper opens to the container's own address from a socket made inside the container's network
 * namespace (sockfactory.h), and bytes move between the two with splice(2).  tcpfwd.c says how. */
#pragma once

#include <poll.h>
#include <stddef.h>

#include "base/error.h"
#include "netns/netns.h"

/* Connections forwarded at once, at most; more are refused (reset) until some end. */
#define TCPFWD_MAX_CONNS 1024
/* The fds one forwarded connection holds: two sockets and a pipe (two fds) per direction. */
#define TCPFWD_FDS_PER_CONN 6

struct tcpfwd;

/* Connections go to c's guest addresses.  factory: the helper's end of the socket factory's socketpair,
 * non-blocking, owned by the forwarder from now on.  max_conns: at most this many at once. */
struct tcpfwd *tcpfwd_new(const struct netns_config *c, int factory, size_t max_conns);
void tcpfwd_free(struct tcpfwd *t); /* closes everything; accepts NULL */

/* Binds and listens on p's host address ("::" takes IPv4 clients too); a client's connection goes to
 * the container's address of the client's family, port p->ctr_port. */
int tcpfwd_add(struct tcpfwd *t, const struct netns_publish *p, struct urun_error *err);

/* The poll set of one round of the caller's loop: add(opaque, fd, events) returns the index of the
 * entry it made.  Also sends the socket factory the requests the round needs. */
typedef int (*tcpfwd_poll_add_fn)(void *opaque, int fd, short events);
void tcpfwd_fill(struct tcpfwd *t, tcpfwd_poll_add_fn add, void *opaque);
/* After poll(2) returned > 0: pfd is the array those indices refer to. */
void tcpfwd_dispatch(struct tcpfwd *t, const struct pollfd *pfd);

size_t tcpfwd_conns(const struct tcpfwd *t); /* connections open now */
