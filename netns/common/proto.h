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

/* urun -> helper, once: what to run.  fds: [tap, log, pidfd (when has_pidfd)]. */
struct netns_hello {
    uint32_t magic;
    uint32_t size;
    int32_t init_pid;
    int32_t has_pidfd;        /* 0: kernel without pidfds, watch init_pid + init_start_time instead */
    uint64_t init_start_time; /* /proc/PID/stat field 22 */
    int32_t log_json;
    int32_t log_is_file; /* 0: the log fd is urun's stderr ("urun: level: msg" lines) */
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

#define NETNS_PROTO_MAX_FDS 3

/* Sends one message with up to NETNS_PROTO_MAX_FDS fds (MSG_NOSIGNAL: a dead peer is -EPIPE, not
 * SIGPIPE).  Returns 0 or -errno. */
int netns_proto_send(int sock, const void *msg, size_t len, const int *fds, size_t n_fds);

/* Receives exactly one message of len bytes with its magic and size checked; received fds are
 * close-on-exec.  *n_fds: in the room in fds, out how many came.  Returns 0, -EPIPE on end of file,
 * -EBADMSG for a malformed message, or -errno. */
int netns_proto_recv(int sock, void *msg, size_t len, int *fds, size_t *n_fds);

/* A reply from an error (or success when err is NULL). */
void netns_reply_from(struct netns_reply *r, const struct urun_error *err);
