/* The socket factory: a child of urun-slirp in the container's user and network namespaces that makes
 * the TCP sockets through which published ports reach the container (tcpfwd.h), and nothing else.
 * Its conversation with the helper is in netns/common/proto.h. */
#pragma once

#include <sys/types.h>

#include "base/error.h"

struct sockfactory {
    pid_t pid;
    int sock; /* the helper's end of the socketpair */
};
#define SOCKFACTORY_NONE ((struct sockfactory){.pid = -1, .sock = -1})

/* Forks the factory, which joins userns_fd (-1: none to join) and then netns_fd, and reports through
 * sockfactory_wait_ready.  Must be called before the helper is sandboxed and before anything in it
 * makes a thread (fork(2) copies only the calling thread).  The caller's fds stay open. */
int sockfactory_start(int userns_fd, int netns_fd, struct sockfactory *ret, struct urun_error *err);

/* Waits (at most timeout_ms) for the factory's first message: it is in the namespaces and sandboxed.
 * On success f->sock is non-blocking from then on; on failure the factory is killed and reaped and
 * *f is SOCKFACTORY_NONE. */
int sockfactory_wait_ready(struct sockfactory *f, int timeout_ms, struct urun_error *err);

/* Kills and reaps a factory that is not in use (start-up failures); accepts SOCKFACTORY_NONE. */
void sockfactory_stop(struct sockfactory *f);
