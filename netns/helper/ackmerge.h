/* Merging the pure TCP ACKs libslirp sends the container during one burst of input (ackmerge.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACKMERGE_SLOTS 8       /* connections with an ACK held at once */
#define ACKMERGE_FRAME_MAX 128 /* Ethernet + IPv6 + TCP with options */
#define ACKMERGE_KEY_MAX 36    /* IPv6 addresses + ports */

struct ackmerge_slot {
    bool used;
    uint8_t key[ACKMERGE_KEY_MAX];
    size_t key_len;
    uint32_t ack;
    size_t len;
    uint8_t frame[ACKMERGE_FRAME_MAX];
};

struct ackmerge {
    struct ackmerge_slot slot[ACKMERGE_SLOTS];
    size_t n_used;
    uint64_t merged; /* ACKs that never had to be written */
};

typedef void (*ackmerge_write_fn)(const void *frame, size_t len, void *opaque);

/* Whether f is a pure ACK (ACK flag alone, no payload), with its flow key and ack number. */
bool ackmerge_pure_ack(const uint8_t *f, size_t len, uint8_t *key, size_t *key_len, uint32_t *ack);

/* Holds f when it is a pure ACK (writing, through w, an older frame of the same connection that it
 * cannot replace) and returns true; returns false for any other frame, which the caller writes
 * itself after ackmerge_flush, so that frames of one connection keep their order. */
bool ackmerge_push(struct ackmerge *m, const uint8_t *f, size_t len, ackmerge_write_fn w, void *opaque);

/* Writes every held ACK. */
void ackmerge_flush(struct ackmerge *m, ackmerge_write_fn w, void *opaque);
