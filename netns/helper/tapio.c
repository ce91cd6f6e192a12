/* Implementation of tapio.h: the virtio-net header before the frames urun-slirp writes to tap0. */
#include "netns/helper/tapio.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/uio.h>

#define ETH_HLEN 14
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += get16(p + i);
    return sum;
}

/* The IP layer of FRAME: the transport header's offset, its length, the protocol and the sum of the
 * pseudo-header's addresses.  false: not one whose checksum the header can describe. */
static bool ip_layer(const uint8_t *f, size_t len, size_t *l4, size_t *l4_len, uint8_t *proto, uint32_t *sum)
{
    const uint8_t *ip = f + ETH_HLEN;

    if (len < ETH_HLEN + 20)
        return false;
    switch (get16(f + 12)) {
    case 0x0800: {
        size_t ihl = (size_t)(ip[0] & 0x0f) * 4, total = get16(ip + 2);
        if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl || total > len - ETH_HLEN || (get16(ip + 6) & 0x3fff) != 0)
            return false;
        *l4 = ETH_HLEN + ihl;
        *l4_len = total - ihl;
        *proto = ip[9];
        *sum = sum16(0, ip + 12, 8);
        return true;
    }
    case 0x86dd:
        if (len < ETH_HLEN + 40 || (ip[0] >> 4) != 6 || get16(ip + 4) > len - ETH_HLEN - 40)
            return false;
        *l4 = ETH_HLEN + 40;
        *l4_len = get16(ip + 4);
        *proto = ip[6];
        *sum = sum16(0, ip + 8, 32);
        return true;
    default:
        return false;
    }
}

size_t tapio_header(const uint8_t *f, size_t len, struct virtio_net_hdr *h, uint8_t pseudo[2])
{
    size_t l4, l4_len, at;
    uint8_t proto;
    uint32_t sum;

    memset(h, 0, sizeof(*h));
    if (!ip_layer(f, len, &l4, &l4_len, &proto, &sum))
        return 0;
    if (proto == IPPROTO_TCP_ && l4_len >= 20)
        at = 16;
    /* UDP over IPv4 may go without a checksum (0): then there is nothing to skip */
    else if (proto == IPPROTO_UDP_ && l4_len >= 8 && get16(f + l4 + 6) != 0)
        at = 6;
    else
        return 0;
    sum += proto + (uint32_t)l4_len;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    pseudo[0] = (uint8_t)(sum >> 8);
    pseudo[1] = (uint8_t)sum;
    /* native byte order: a tap's header is the host's unless TUNSETVNETBE/LE says otherwise */
    h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h->csum_start = (uint16_t)l4;
    h->csum_offset = (uint16_t)at;
    return l4 + at;
}

ssize_t tapio_write(int tap, const void *frame, size_t len)
{
    const uint8_t *f = frame;
    struct virtio_net_hdr h;
    uint8_t pseudo[2];
    size_t at = tapio_header(f, len, &h, pseudo);
    struct iovec iov[4] = {{.iov_base = &h, .iov_len = sizeof(h)}};
    int n = 2;
    ssize_t r;

    if (at) {
        iov[1] = (struct iovec){.iov_base = (void *)f, .iov_len = at};
        iov[2] = (struct iovec){.iov_base = pseudo, .iov_len = 2};
        iov[3] = (struct iovec){.iov_base = (void *)(f + at + 2), .iov_len = len - at - 2};
        n = 4;
    } else {
        iov[1] = (struct iovec){.iov_base = (void *)f, .iov_len = len};
    }
    do
        r = writev(tap, iov, n);
    while (r < 0 && errno == EINTR);
    return r < 0 ? -1 : r - (ssize_t)sizeof(h);
}
