// SPDX-License-Identifier: GPL-2.0
/*
 * Packet decoding, one line per packet in the spirit of tcpdump's summary:
 * IPv4, IPv6 (past its extension headers) and ARP; ICMP and ICMPv6 types,
 * TCP and UDP ports. TUN frames start at the IP header, TAP frames at the
 * Ethernet header; neither carries struct tun_pi here (the reader strips
 * it). Fields are read a byte at a time (get16(), get32()), so a frame
 * may start at any alignment. Also the Internet checksum, which echo needs.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "packet.h"

#define IPV4_HLEN	20
#define IPV6_HLEN	40

/* A line being built; appending past its end truncates it, safely. */
struct line {
	char *p;
	size_t left;
};

static void add(struct line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(l->p, l->left, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= l->left)
		n = l->left ? l->left - 1 : 0;
	l->p += n;
	l->left -= n;
}

struct endpoints {
	char src[INET6_ADDRSTRLEN];
	char dst[INET6_ADDRSTRLEN];
};

static const char *icmp_name(unsigned int type)
{
	switch (type) {
	case 0: return "echo reply";
	case 3: return "destination unreachable";
	case 5: return "redirect";
	case 8: return "echo request";
	case 11: return "time exceeded";
	default: return NULL;
	}
}

static const char *icmp6_name(unsigned int type)
{
	switch (type) {
	case 1: return "destination unreachable";
	case 2: return "packet too big";
	case 3: return "time exceeded";
	case 128: return "echo request";
	case 129: return "echo reply";
	case 130: return "multicast listener query";
	case 131: return "multicast listener report";
	case 132: return "multicast listener done";
	case 133: return "router solicitation";
	case 134: return "router advertisement";
	case 135: return "neighbor solicitation";
	case 136: return "neighbor advertisement";
	case 143: return "multicast listener report v2";
	default: return NULL;
	}
}

static void add_icmp(struct line *l, bool v6, const uint8_t *p, size_t len)
{
	const char *name;
	char target[INET6_ADDRSTRLEN];

	if (len < 4) {
		add(l, "%s, truncated", v6 ? "ICMP6" : "ICMP");
		return;
	}
	name = v6 ? icmp6_name(p[0]) : icmp_name(p[0]);
	add(l, "%s ", v6 ? "ICMP6" : "ICMP");
	if (name)
		add(l, "%s", name);
	else
		add(l, "type %u code %u", p[0], p[1]);
	if ((p[0] == (v6 ? 128 : 8) || p[0] == (v6 ? 129 : 0)) && len >= 8)
		add(l, ", id %u, seq %u", get16(p + 4), get16(p + 6));
	else if (v6 && (p[0] == 135 || p[0] == 136) && len >= 24)
		add(l, ", %s %s", p[0] == 135 ? "who has" : "tgt is",
		    inet_ntop(AF_INET6, p + 8, target, sizeof(target)));
	add(l, ", length %zu", len);
}

static void add_tcp_flags(struct line *l, unsigned int flags)
{
	add(l, "[%s%s%s%s%s]", flags & 0x02 ? "S" : "", flags & 0x01 ? "F" : "",
	    flags & 0x04 ? "R" : "", flags & 0x08 ? "P" : "",
	    flags & 0x10 ? "." : "");
}

/* Everything from the transport header on: ports, types, lengths. */
static void add_l4(struct line *l, const struct endpoints *ep, unsigned int proto,
		   const uint8_t *p, size_t len)
{
	unsigned int doff;

	switch (proto) {
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		add(l, "%s > %s: ", ep->src, ep->dst);
		add_icmp(l, proto == IPPROTO_ICMPV6, p, len);
		return;
	case IPPROTO_UDP:
		if (len < 8)
			break;
		add(l, "%s.%u > %s.%u: UDP, length %zu", ep->src, get16(p),
		    ep->dst, get16(p + 2), len - 8);
		return;
	case IPPROTO_TCP:
		if (len < 20)
			break;
		doff = (p[12] >> 4) * 4;
		if (doff < 20 || doff > len)
			break;
		add(l, "%s.%u > %s.%u: TCP ", ep->src, get16(p), ep->dst,
		    get16(p + 2));
		add_tcp_flags(l, p[13]);
		add(l, " seq %lu", get32(p + 4));
		if (p[13] & 0x10)
			add(l, " ack %lu", get32(p + 8));
		add(l, " win %u, length %zu", get16(p + 14), len - doff);
		return;
	default:
		add(l, "%s > %s: proto %u, length %zu", ep->src, ep->dst, proto,
		    len);
		return;
	}
	add(l, "%s > %s: proto %u, truncated", ep->src, ep->dst, proto);
}

static void add_ipv4(struct line *l, const uint8_t *p, size_t len)
{
	size_t hlen, total;
	struct endpoints ep;
	unsigned int frag;

	hlen = (p[0] & 0x0f) * 4;
	if (len < IPV4_HLEN || hlen < IPV4_HLEN || hlen > len) {
		add(l, "IPv4, truncated header");
		return;
	}
	total = get16(p + 2);
	if (total > len || total < hlen)
		total = len;
	inet_ntop(AF_INET, p + 12, ep.src, sizeof(ep.src));
	inet_ntop(AF_INET, p + 16, ep.dst, sizeof(ep.dst));
	add(l, "IPv4 ");
	frag = get16(p + 6) & 0x1fff;
	if (frag) {
		add(l, "%s > %s: fragment of proto %u at offset %u, length %zu",
		    ep.src, ep.dst, p[9], frag * 8, total - hlen);
		return;
	}
	add_l4(l, &ep, p[9], p + hlen, total - hlen);
}

/* The upper-layer header past IPv6's extension headers, or -1. */
static int ipv6_skip_ext(const uint8_t *p, size_t len, size_t *off)
{
	unsigned int next = p[6];

	*off = IPV6_HLEN;
	for (;;) {
		switch (next) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (*off + 8 > len)
				return -1;
			next = p[*off];
			*off += (p[*off + 1] + 1) * 8;
			break;
		case IPPROTO_FRAGMENT:
			if (*off + 8 > len || get16(p + *off + 2) & 0xfff8)
				return -1;	/* only a first fragment has it */
			next = p[*off];
			*off += 8;
			break;
		default:
			return *off <= len ? (int)next : -1;
		}
	}
}

static void add_ipv6(struct line *l, const uint8_t *p, size_t len)
{
	struct endpoints ep;
	size_t total, off;
	int proto;

	if (len < IPV6_HLEN) {
		add(l, "IPv6, truncated header");
		return;
	}
	total = IPV6_HLEN + get16(p + 4);
	if (total > len)
		total = len;
	inet_ntop(AF_INET6, p + 8, ep.src, sizeof(ep.src));
	inet_ntop(AF_INET6, p + 24, ep.dst, sizeof(ep.dst));
	add(l, "IPv6 ");
	proto = ipv6_skip_ext(p, total, &off);
	if (proto < 0) {
		add(l, "%s > %s: fragment or bad extension header, length %zu",
		    ep.src, ep.dst, total - IPV6_HLEN);
		return;
	}
	add_l4(l, &ep, proto, p + off, total - off);
}

static void format_mac(const uint8_t *mac, char *out, size_t size)
{
	snprintf(out, size, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

/* Ethernet and IPv4 ARP: hardware 1, protocol 0x0800, lengths 6 and 4. */
static void add_arp(struct line *l, const uint8_t *p, size_t len)
{
	char sender[INET_ADDRSTRLEN], target[INET_ADDRSTRLEN], mac[18];

	if (len < 28 || get16(p) != ARPHRD_ETHER || get16(p + 2) != ETH_P_IP ||
	    p[4] != ETH_ALEN || p[5] != 4) {
		add(l, "ARP, not Ethernet/IPv4, length %zu", len);
		return;
	}
	inet_ntop(AF_INET, p + 14, sender, sizeof(sender));
	inet_ntop(AF_INET, p + 24, target, sizeof(target));
	format_mac(p + 8, mac, sizeof(mac));
	if (get16(p + 6) == ARPOP_REQUEST)
		add(l, "ARP, who-has %s tell %s", target, sender);
	else if (get16(p + 6) == ARPOP_REPLY)
		add(l, "ARP, reply %s is-at %s", sender, mac);
	else
		add(l, "ARP, op %u", get16(p + 6));
}

static void add_ether(struct line *l, const uint8_t *p, size_t len)
{
	char src[18], dst[18];
	unsigned int type;

	if (len < ETH_HLEN) {
		add(l, "Ethernet, truncated header");
		return;
	}
	type = get16(p + 12);
	switch (type) {
	case ETH_P_IP:
		add_ipv4(l, p + ETH_HLEN, len - ETH_HLEN);
		break;
	case ETH_P_IPV6:
		add_ipv6(l, p + ETH_HLEN, len - ETH_HLEN);
		break;
	case ETH_P_ARP:
		add_arp(l, p + ETH_HLEN, len - ETH_HLEN);
		break;
	default:
		format_mac(p + 6, src, sizeof(src));
		format_mac(p, dst, sizeof(dst));
		add(l, "Ethernet %s > %s, type 0x%04x", src, dst, type);
	}
}

void packet_summary(const uint8_t *pkt, size_t len, bool tap, char *out,
		    size_t size)
{
	struct line l = { .p = out, .left = size };

	if (size)
		*out = '\0';
	if (tap)
		add_ether(&l, pkt, len);
	else if (len && pkt[0] >> 4 == 4)
		add_ipv4(&l, pkt, len);
	else if (len && pkt[0] >> 4 == 6)
		add_ipv6(&l, pkt, len);
	else
		add(&l, "not IP (version %u)", len ? pkt[0] >> 4 : 0);
}

/* "12:34:56.789012 q0 len 84 IPv4 ...", a tag such as "q0" or "q0 out". */
void packet_print(FILE *out, const struct timespec *ts, const char *tag,
		  const uint8_t *pkt, size_t len, bool tap)
{
	char summary[SUMMARY_MAX];
	struct tm tm;

	packet_summary(pkt, len, tap, summary, sizeof(summary));
	localtime_r(&ts->tv_sec, &tm);
	fprintf(out, "%02d:%02d:%02d.%06ld %s len %zu %s\n", tm.tm_hour,
		tm.tm_min, tm.tm_sec, ts->tv_nsec / 1000, tag, len, summary);
}

/* tcpdump -x's layout: offset, then 16 bytes in groups of two. */
void packet_hexdump(FILE *out, const uint8_t *pkt, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (i % 16 == 0)
			fprintf(out, "%s\t0x%04zx: ", i ? "\n" : "", i);
		fprintf(out, "%s%02x", i % 2 ? "" : " ", pkt[i]);
	}
	if (len)
		fputc('\n', out);
}

/* The Internet checksum (RFC 1071) over big-endian 16-bit words. */
uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

/* Folded and complemented, in host order: store it with htons(). */
uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* A TCP, UDP or ICMPv6 checksum: the pseudo-header, then l4 (its sum 0). */
uint16_t csum_l4(int family, const void *src, const void *dst, uint8_t proto,
		 const void *l4, size_t len)
{
	size_t alen = family == AF_INET ? 4 : 16;
	uint32_t sum;

	sum = csum_add(0, src, alen);
	sum = csum_add(sum, dst, alen);
	sum += proto + (len >> 16) + (len & 0xffff);
	return csum_fold(csum_add(sum, l4, len));
}
