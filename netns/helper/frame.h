/* Ethernet/IPv4/UDP frames the helper reads from or writes to the tap itself, next to libslirp: the
 * DNS upstream forwarder and UDP port forwarding (frame.c).  Pure: bytes in, bytes out. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_ETH_HLEN 14
#define FRAME_UDP4_HLEN (FRAME_ETH_HLEN + 20 + 8)

/* The container's MAC address (tap0's, set when it is configured) and libslirp's for 10.0.2.2. */
extern const uint8_t frame_guest_mac[6];
extern const uint8_t frame_gateway_mac[6];

struct frame_udp4 {
    const uint8_t *dst_mac, *src_mac;
    uint8_t src_ip[4], dst_ip[4];
    uint16_t src_port, dst_port;
    const uint8_t *payload;
    size_t len;
    bool fragment; /* part of a fragmented datagram: payload is not the whole datagram */
};

/* An unfragmented or fragmented IPv4 UDP datagram in an Ethernet frame, its fields pointing into f. */
bool frame_parse_udp4(const uint8_t *f, size_t len, struct frame_udp4 *ret);

/* Writes an Ethernet + IPv4 (don't fragment) + UDP frame with checksums into buf (room for
 * FRAME_UDP4_HLEN + u->len bytes); payload may overlap buf's payload area.  Returns its length. */
size_t frame_build_udp4(uint8_t *buf, const struct frame_udp4 *u, uint16_t ip_id);
