/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IPv4 packets the tests write into a device as if from its peer: the
 * Internet checksum, an IPv4 header, a UDP datagram, an ICMP echo request.
 * Addresses are in network order; each builder returns the packet's length.
 */
#ifndef _MINITUN_SELFTEST_PACKETS_H
#define _MINITUN_SELFTEST_PACKETS_H

#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += p[0] << 8 | p[1];
	if (len)
		sum += p[0] << 8;
	return sum;
}

/* Folded and complemented, in network order, ready to store. */
static inline uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

static inline uint16_t csum(const void *data, size_t len)
{
	return csum_fold(csum_add(0, data, len));
}

static inline size_t ipv4_put(uint8_t *p, uint8_t proto, uint32_t saddr,
			      uint32_t daddr, size_t l4_len)
{
	struct iphdr *ip = (struct iphdr *)p;

	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(sizeof(*ip) + l4_len);
	ip->id = htons(1);
	ip->ttl = 64;
	ip->protocol = proto;
	ip->saddr = saddr;
	ip->daddr = daddr;
	ip->check = csum(ip, sizeof(*ip));
	return sizeof(*ip) + l4_len;
}

static inline size_t udp4_build(uint8_t *p, uint32_t saddr, uint16_t sport,
				uint32_t daddr, uint16_t dport,
				const void *payload, size_t len)
{
	struct iphdr *ip = (struct iphdr *)p;
	struct udphdr *udp = (struct udphdr *)(ip + 1);
	size_t total = ipv4_put(p, IPPROTO_UDP, saddr, daddr,
				sizeof(*udp) + len);
	uint32_t pseudo;

	udp->source = htons(sport);
	udp->dest = htons(dport);
	udp->len = htons(sizeof(*udp) + len);
	udp->check = 0;
	memcpy(udp + 1, payload, len);
	pseudo = csum_add(0, &ip->saddr, 8) + IPPROTO_UDP + sizeof(*udp) + len;
	udp->check = csum_fold(csum_add(pseudo, udp, sizeof(*udp) + len));
	return total;
}

static inline size_t icmp4_echo_build(uint8_t *p, uint32_t saddr,
				      uint32_t daddr, uint16_t id,
				      uint16_t seq, const void *payload,
				      size_t len)
{
	struct icmphdr *icmp = (struct icmphdr *)(p + sizeof(struct iphdr));

	memset(icmp, 0, sizeof(*icmp));
	icmp->type = ICMP_ECHO;
	icmp->un.echo.id = htons(id);
	icmp->un.echo.sequence = htons(seq);
	memcpy(icmp + 1, payload, len);
	icmp->checksum = csum(icmp, sizeof(*icmp) + len);
	return ipv4_put(p, IPPROTO_ICMP, saddr, daddr, sizeof(*icmp) + len);
}

#endif /* _MINITUN_SELFTEST_PACKETS_H */
