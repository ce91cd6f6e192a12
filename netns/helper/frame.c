/* Implementation of frame.h: parsing and building IPv4 UDP frames, with their checksums. */
#include "netns/helper/frame.h"

#include <string.h>

#include "netns/netns.h"

const uint8_t frame_guest_mac[6] = NETNS_GUEST_MAC;
/* libslirp's for 10.0.2.2: 52:55 and the address. */
const uint8_t frame_gateway_mac[6] = {0x52, 0x55, 0x0a, 0x00, 0x02, 0x02};

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += get16(p + i);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

bool frame_parse_udp4(const uint8_t *f, size_t len, struct frame_udp4 *ret)
{
    const uint8_t *ip = f + FRAME_ETH_HLEN, *udp;
    size_t ihl, ip_len, udp_len;

    if (len < FRAME_UDP4_HLEN || get16(f + 12) != 0x0800)
        return false;
    ihl = (size_t)(ip[0] & 0x0f) * 4;
    ip_len = get16(ip + 2);
    if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != 17 || ip_len > len - FRAME_ETH_HLEN || ip_len < ihl + 8)
        return false;
    udp = ip + ihl;
    udp_len = get16(udp + 4);
    ret->fragment = (get16(ip + 6) & 0x3fff) != 0;
    if (!ret->fragment && (udp_len < 8 || udp_len > ip_len - ihl))
        return false;
    ret->dst_mac = f;
    ret->src_mac = f + 6;
    memcpy(ret->src_ip, ip + 12, 4);
    memcpy(ret->dst_ip, ip + 16, 4);
    ret->src_port = get16(udp);
    ret->dst_port = get16(udp + 2);
    ret->payload = udp + 8;
    ret->len = ret->fragment ? ip_len - ihl - 8 : udp_len - 8;
    return true;
}

size_t frame_build_udp4(uint8_t *buf, const struct frame_udp4 *u, uint16_t ip_id)
{
    uint8_t *ip = buf + FRAME_ETH_HLEN, *udp = ip + 20;
    size_t udp_len = 8 + u->len, ip_len = 20 + udp_len;
    uint16_t c;

    memmove(udp + 8, u->payload, u->len);
    memcpy(buf, u->dst_mac, 6);
    memcpy(buf + 6, u->src_mac, 6);
    put16(buf + 12, 0x0800);
    memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)ip_len);
    put16(ip + 4, ip_id);
    put16(ip + 6, 0x4000); /* don't fragment */
    ip[8] = 64;
    ip[9] = 17;
    memcpy(ip + 12, u->src_ip, 4);
    memcpy(ip + 16, u->dst_ip, 4);
    put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
    put16(udp, u->src_port);
    put16(udp + 2, u->dst_port);
    put16(udp + 4, (uint16_t)udp_len);
    put16(udp + 6, 0);
    /* pseudo-header (addresses, protocol, length), then the datagram */
    c = csum_fold(csum_add(csum_add(0, ip + 12, 8) + 17 + (uint32_t)udp_len, udp, udp_len));
    put16(udp + 6, c ? c : 0xffff);
    return FRAME_ETH_HLEN + ip_len;
}
