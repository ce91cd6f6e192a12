/* The typed messages between urun and the container init it creates, over a SOCK_SEQPACKET pair.
 * The init reports progress or an error (errno plus the step that failed); the parent answers.
 * One message a datagram, so a message is never split or merged. */
#pragma once

#include <stdint.h>

#include "error.h"

enum sync_type {
    SYNC_MAPS_DONE = 1, /* parent -> init: ID maps written, go on */
    SYNC_READY,         /* init -> parent: everything is set up, waiting for SYNC_GO */
    SYNC_ERROR,         /* init -> parent: errnum + message */
    SYNC_GO,            /* parent -> init: state recorded, block on the exec fifo */
};

/* Send a message with an optional error payload. */
int sync_send(int fd, enum sync_type type, const struct urun_error *payload);
/* Receive exactly the expected type.  A SYNC_ERROR from the peer is turned into err (its errno and
 * message as the init saw them); EOF becomes "container init exited during setup". */
int sync_expect(int fd, enum sync_type expected, struct urun_error *err);
