/* libslirp's event loop for one container, in the urun-slirp helper. */
#pragma once

#include <slirp/libslirp.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"
#include "netns/netns.h"

struct slirp_loop;

struct slirp_loop_args {
    const struct netns_config *config;
    int tap;        /* owned by the caller, outlives the loop */
    int pidfd;      /* the container init's, or -1 */
    pid_t init_pid; /* with init_start, watched when pidfd is -1 */
    uint64_t init_start;
};

int slirp_loop_new(const struct slirp_loop_args *a, struct slirp_loop **ret, struct urun_error *err);
/* Published TCP ports added from now on are spliced (tcpfwd.h) instead of going through libslirp's
 * TCP: factory is the socket factory's socket, owned by the loop from now on; c's guest addresses are
 * where connections go; at most max_conns at once. */
void slirp_loop_splice_tcp(struct slirp_loop *l, const struct netns_config *c, int factory, size_t max_conns);
/* One published port: binds the host address and forwards it to 10.0.2.100:ctr_port. */
int slirp_loop_forward(struct slirp_loop *l, const struct netns_publish *p, struct urun_error *err);
/* Runs until the container's init exits (or its tap goes away): 0; < 0 after logging a failure. */
int slirp_loop_run(struct slirp_loop *l);
void slirp_loop_free(struct slirp_loop *l);
