/* The one message module between urun's side of the network (start.c, tapdev.c) and the urun-slirp
 * helper (helper.c): fixed-size messages over SOCK_SEQPACKET sockets, fds riding along as SCM_RIGHTS.
 * Both ends check the magic and the size, so a stray or truncated message is an error, never data. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"
#include "netns/netns.h"

#define NETNS_PROTO_MAGIC 0x75726e31u /* "urn1" */
/* The helper is exec'd with its control socket here (and 0, 1, 2 on /dev/null, nothing else). */
#define NETNS_HELPER_CTL_FD 3

/* urun -> helper, once: what to run.  fds, in this order: tap, log, then the init's pidfd (has_pidfd),
 * its network namespace (has_netns) and its user namespace (has_userns).  The namespaces come only when
 * a TCP port is published: the helper's socket factory joins them (helper/sockfactory.h). */
struct netns_hello {
    uint32_t magic;
    uint32_t size;
    int32_t init_pid;
    int32_t has_pidfd;        /* 0: kernel without pidfds, watch init_pid + init_start_time instead */
    uint64_t init_start_time; /* /proc/PID/stat field 22 */
    int32_t log_json;
    int32_t log_is_file; /* 0: the log fd is urun's stderr ("urun: level: msg" lines) */
    int32_t has_netns;
    int32_t has_userns; /* 0: the init is in urun's own user namespace (there is none to join) */
    struct netns_config config;
};

/* tap child -> urun (with the tap fd on success) and helper -> urun (ready, or why not). */
struct netns_reply {
    uint32_t magic;
    uint32_t size;
    int32_t failed; /* 0: success */
    int32_t errnum; /* errno of the failure, 0 when there is none */
    char msg[URUN_ERROR_MSG_MAX];
};

/* The helper and its socket factory (a child of the helper in the container's user and network
 * namespaces, helper/sockfactory.c), over a SOCK_SEQPACKET socketpair:
 *   1. factory -> helper: a netns_reply, once: it joined the namespaces (or why not, and it exits);
 *   2. helper -> factory: a netns_sock_request, any number of times;
 *   3. factory -> helper: a netns_sock_reply for each request, in order, with the new socket (one fd)
 *      when errnum is 0.
 * The factory exits at end of file. */
struct netns_sock_request {
    uint32_t magic;
    uint32_t size;
    int32_t family; /* AF_INET or AF_INET6: a non-blocking, close-on-exec TCP socket */
};

struct netns_sock_reply {
    uint32_t magic;
    uint32_t size;
    int32_t family; /* the request's */
    int32_t errnum; /* 0: the socket rides along */
};

#define NETNS_PROTO_MAX_FDS 5

/* Sends one message with up to NETNS_PROTO_MAX_FDS fds (MSG_NOSIGNAL: a dead peer is -EPIPE, not
 * SIGPIPE).  Returns 0 or -errno. */
int netns_proto_send(int sock, const void *msg, size_t len, const int *fds, size_t n_fds);

/* Receives exactly one message of len bytes with its magic and size checked; received fds are
 * close-on-exec.  *n_fds: in the room in fds, out how many came.  Returns 0, -EPIPE on end of file,
 * -EBADMSG for a malformed message, or -errno. */
int netns_proto_recv(int sock, void *msg, size_t len, int *fds, size_t *n_fds);

/* fork with a SOCK_SEQPACKET pair (close-on-exec) between parent and child, as the tap child and the
 * socket factory talk to their parents: the child's pid in the parent, 0 in the child, *ret_sock the
 * caller's own end either way; -errno (nothing left open) when the pair or the fork failed. */
pid_t netns_fork_paired(int *ret_sock);

/* A reply from an error (or success when err is NULL). */
void netns_reply_from(struct netns_reply *r, const struct urun_error *err);

/* The helper's side of the socket factory's conversation.  Asks for a TCP socket of family (AF_INET,
 * AF_INET6): 0, -EAGAIN (a non-blocking socket whose buffer is full: wait for POLLOUT), or -errno
 * (-EPIPE: the factory is gone). */
int netns_sock_request(int sock, int family);
/* One answer, in the order of the requests: 0 with *ret_family and *ret_fd (the socket, or -1 and
 * *ret_errnum the reason it could not be made); -EAGAIN: none yet; -EPIPE: the factory is gone;
 * -EBADMSG: it sent something else. */
int netns_sock_reply_recv(int sock, int *ret_family, int *ret_fd, int *ret_errnum);
