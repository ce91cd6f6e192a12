/* Frames to and from tap0, which carries a virtio-net header before each frame (IFF_VNET_HDR,
 * tapdev.c).  The header lets the helper tell the container's kernel that a TCP or UDP checksum needs
 * no checking: libslirp has computed it already, and verifying 64 KiB segments again in the
 * container's receive path (which runs in the helper's write(2)) is a good part of the work per
 * window from host to container. */
#pragma once

#include <linux/virtio_net.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The header's size: struct virtio_net_hdr, the kernel's default TUNSETVNETHDRSZ. */
#define TAPIO_HLEN sizeof(struct virtio_net_hdr)

/* The header for FRAME (an Ethernet frame of LEN bytes).  For an unfragmented IPv4 or IPv6 (no
 * extension header) TCP or UDP (nonzero checksum) packet: VIRTIO_NET_HDR_F_NEEDS_CSUM, with the
 * checksum's place; *pseudo is then what the checksum field must hold (the pseudo-header's sum, as for
 * any packet whose checksum is left to the device: the container's kernel completes it only if it
 * forwards the packet to a device that cannot), and the return value is that field's offset in
 * FRAME.  Anything else: a header without flags, and 0.  Pure. */
size_t tapio_header(const uint8_t *frame, size_t len, struct virtio_net_hdr *hdr, uint8_t pseudo[2]);

/* Writes FRAME to the tap with its header (one writev(2)).  Returns the frame's length, or -1 and
 * errno. */
ssize_t tapio_write(int tap, const void *frame, size_t len);
