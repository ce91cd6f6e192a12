/* ACK merging for the helper's writes to the tap (ackmerge.h).  libslirp acknowledges every segment it
 * takes from the container at once, each in its own frame; when the helper has read a burst of
 * segments, the ACKs for one connection are cumulative and only the last one matters.  Writing one
 * instead of several saves a write(2) each and, above all, the container's kernel processes one ACK
 * instead of several.  Only pure ACKs that advance the acknowledged sequence are merged: duplicate
 * ACKs (the loss signal), window updates and anything carrying data or other flags go out unchanged
 * and in order.  Pure: no syscalls; the caller gives the write function. */
#include "netns/helper/ackmerge.h"

#include <string.h>

#define ETH_HLEN 14
#define TH_ACK 0x10

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A TCP segment with the ACK flag alone and no payload: its flow (addresses and ports) and ack number.
 * IPv4 with any header length, IPv6 without extension headers. */
bool ackmerge_pure_ack(const uint8_t *f, size_t len, uint8_t *key, size_t *key_len, uint32_t *ack)
{
    const uint8_t *tcp;
    size_t l3_payload, thl;

    if (len < ETH_HLEN + 20)
        return false;
    switch (get16(f + 12)) {
    case 0x0800: {
        const uint8_t *ip = f + ETH_HLEN;
        size_t ihl = (size_t)(ip[0] & 0x0f) * 4, total = get16(ip + 2);
        if ((ip[0] >> 4) != 4 || ip[9] != 6 || ihl < 20 || total < ihl || total > len - ETH_HLEN ||
            (get16(ip + 6) & 0x3fff) != 0)
            return false;
        tcp = ip + ihl;
        l3_payload = total - ihl;
        memcpy(key, ip + 12, 8);
        *key_len = 12;
        break;
    }
    case 0x86dd: {
        const uint8_t *ip = f + ETH_HLEN;
        if (len < ETH_HLEN + 40 || (ip[0] >> 4) != 6 || ip[6] != 6)
            return false;
        tcp = ip + 40;
        l3_payload = get16(ip + 4);
        if (l3_payload > len - ETH_HLEN - 40)
            return false;
        memcpy(key, ip + 8, 32);
        *key_len = 36;
        break;
    }
    default:
        return false;
    }
    if (l3_payload < 20 || (size_t)(tcp - f) + 20 > len)
        return false;
    thl = (size_t)(tcp[12] >> 4) * 4;
    if (thl < 20 || thl != l3_payload || (tcp[13] & 0x3f) != TH_ACK)
        return false;
    memcpy(key + *key_len - 4, tcp, 4); /* source and destination ports */
    *ack = get32(tcp + 8);
    return true;
}

static void write_slot(struct ackmerge *m, struct ackmerge_slot *s, ackmerge_write_fn w, void *opaque)
{
    if (!s->used)
        return;
    w(s->frame, s->len, opaque);
    s->used = false;
    m->n_used--;
}

void ackmerge_flush(struct ackmerge *m, ackmerge_write_fn w, void *opaque)
{
    for (size_t i = 0; i < ACKMERGE_SLOTS && m->n_used; i++)
        write_slot(m, &m->slot[i], w, opaque);
}

bool ackmerge_push(struct ackmerge *m, const uint8_t *f, size_t len, ackmerge_write_fn w, void *opaque)
{
    uint8_t key[ACKMERGE_KEY_MAX];
    size_t key_len;
    uint32_t ack;
    struct ackmerge_slot *free_slot = NULL;

    if (len > ACKMERGE_FRAME_MAX || !ackmerge_pure_ack(f, len, key, &key_len, &ack))
        return false;
    for (size_t i = 0; i < ACKMERGE_SLOTS; i++) {
        struct ackmerge_slot *s = &m->slot[i];
        if (!s->used) {
            if (!free_slot)
                free_slot = s;
            continue;
        }
        if (s->key_len != key_len || memcmp(s->key, key, key_len) != 0)
            continue;
        /* The same connection: a newer cumulative ACK replaces the queued one; anything else (a
         * duplicate, an older one, a window update) must not, so the queued one goes out first. */
        if ((int32_t)(ack - s->ack) > 0)
            m->merged++;
        else
            w(s->frame, s->len, opaque);
        s->ack = ack;
        s->len = len;
        memcpy(s->frame, f, len);
        return true;
    }
    if (!free_slot) {
        ackmerge_flush(m, w, opaque);
        free_slot = &m->slot[0];
    }
    free_slot->used = true;
    m->n_used++;
    memcpy(free_slot->key, key, key_len);
    free_slot->key_len = key_len;
    free_slot->ack = ack;
    free_slot->len = len;
    memcpy(free_slot->frame, f, len);
    return true;
}
