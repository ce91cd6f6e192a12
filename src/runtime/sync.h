/* The typed messages between urun and the container init it creates, over a SOCK_SEQPACKET pair.
 * The init reports progress or an error (errno plus the step that failed); the parent answers.
 * One message a datagram, so a message is never split or merged. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "base/error.h"

enum sync_type {
    SYNC_MAPS_DONE = 1, /* parent -> init: ID maps written, go on */
    SYNC_READY,         /* init -> parent: everything is set up, waiting for SYNC_GO */
    SYNC_ERROR,         /* init -> parent: errnum + message */
    SYNC_GO,            /* parent -> init: state recorded, block on the exec fifo */
    SYNC_HOOKS,         /* init -> parent: mounts done, run prestart/createRuntime hooks now */
    SYNC_HOOKS_DONE,    /* parent -> init: they succeeded, go on (createContainer hooks next) */
    SYNC_UNSHARED,      /* init -> parent: the namespaces it makes itself exist (early_unshare) */
    SYNC_PID,           /* init -> parent: I forked (pid namespace joined or made after setns); this is the init now */
};

/* The conversation, in the one order both sides follow.  Which phases happen is decided once, by
 * the create plan (runtime/plan.h) or by exec/unshare, as a bit set both sides get; each side then
 * steps through them with sync_step, which skips a phase that is not in the set and refuses one
 * taken out of this order.
 *
 *   phase               direction       message           when
 *   SYNC_PHASE_UNSHARED init -> parent  SYNC_UNSHARED     the init makes namespaces while urun writes maps
 *   SYNC_PHASE_MAPS     parent -> init  SYNC_MAPS_DONE    a new user namespace (its maps are written)
 *   SYNC_PHASE_PID      init -> parent  SYNC_PID + pid    the process forked again (sync_respawn)
 *   SYNC_PHASE_HOOKS    init -> parent  SYNC_HOOKS        prestart/createRuntime/createContainer hooks
 *   SYNC_PHASE_HOOKS_DONE parent -> init SYNC_HOOKS_DONE  they succeeded
 *   SYNC_PHASE_READY    init -> parent  SYNC_READY [+fd]  set up (with the pty master of a terminal)
 *   SYNC_PHASE_GO       parent -> init  SYNC_GO           state recorded: wait on the exec fifo (create)
 *
 * SYNC_ERROR may come from the init in place of any message it sends or waits for. */
enum sync_phase {
    SYNC_PHASE_UNSHARED = 1u << 0,
    SYNC_PHASE_MAPS = 1u << 1,
    SYNC_PHASE_PID = 1u << 2,
    SYNC_PHASE_HOOKS = 1u << 3,
    SYNC_PHASE_HOOKS_DONE = 1u << 4,
    SYNC_PHASE_READY = 1u << 5,
    SYNC_PHASE_GO = 1u << 6,
};

enum sync_side { SYNC_SIDE_PARENT, SYNC_SIDE_INIT };

/* One end of the socket, and where in the conversation it is. */
struct sync_chan {
    int fd;
    unsigned phases; /* enum sync_phase bits: the phases this conversation has */
    unsigned done;   /* the phases stepped through so far */
};

/* Take phase p on `side`: nothing when p is not in c->phases; else send or receive the phase's
 * message, as the table says.  arg: the pid of SYNC_PHASE_PID and the fd of SYNC_PHASE_READY (in
 * when sent, out when received; -1 for none), NULL otherwise.  A phase out of order, or one taken
 * twice, is -EPROTO: a bug in urun, reported as one. */
int sync_step(struct sync_chan *c, enum sync_side side, enum sync_phase p, int *arg, struct urun_error *err);
/* In the init (side SYNC_SIDE_INIT): SYNC_PHASE_PID by forking (sync_respawn); the caller continues
 * in the child. */
int sync_step_respawn(struct sync_chan *c, const char *what, struct urun_error *err);
/* The name of a phase, for errors. */
const char *sync_phase_name(enum sync_phase p);

/* Like sync_send/sync_expect, with one fd riding along (SCM_RIGHTS): the pty master with SYNC_READY.
 * *ret_fd is -1 when the message carried none. */
int sync_send_fd(int fd, enum sync_type type, int pass_fd);
int sync_expect_fd(int fd, enum sync_type expected, int *ret_fd, struct urun_error *err);
/* Send one fd over an AF_UNIX socket with `name` as the data, as runc's --console-socket protocol does. */
int send_fd_named(int sock, int pass_fd, const char *name);

/* SYNC_PID carries a pid (in the errnum field). */
int sync_send_pid(int fd, pid_t pid);
/* Fork a child as a sibling (CLONE_PARENT: urun's child, so urun can wait for it) and report its pid
 * with SYNC_PID on fd.  The calling process never returns: it exits once the report is sent.  The
 * child returns 0 only after that, so its own messages on fd always follow SYNC_PID.  `what` names
 * the step in an error (negative, err set; still in the caller). */
int sync_respawn(int fd, const char *what, struct urun_error *err);
int sync_expect_pid(int fd, pid_t *ret_pid, struct urun_error *err);

/* Send a message with an optional error payload. */
int sync_send(int fd, enum sync_type type, const struct urun_error *payload);
/* Receive exactly the expected type.  A SYNC_ERROR from the peer is turned into err (its errno and
 * message as the init saw them); EOF becomes "container init exited during setup". */
int sync_expect(int fd, enum sync_type expected, struct urun_error *err);

/* The exec fifo (after SYNC_GO): the init writes "0" when `start` opens it, and its write end closes
 * with the execve of the user's process, so `start` reads EOF exactly then.  When something fails
 * after the "0" (a startContainer hook, the capabilities, the execve itself), the init writes a
 * report, "<errno> <message>", before it exits, so that `start` fails with the step that failed. */
#define SYNC_FIFO_GO '0'
int sync_fifo_report(int fd, const struct urun_error *err);
/* Parse what followed the "0" (len > 0) into err.  Returns the negative errno (-EPROTO when
 * malformed; err then says so).  Pure. */
int sync_fifo_parse_report(const char *buf, size_t len, struct urun_error *err);
