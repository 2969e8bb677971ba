/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packets (packet.c): a line per packet in tcpdump's manner, a hex dump,
 * the Internet checksum, and big-endian fields read and written at any
 * alignment.
 */
#ifndef _MINITUN_PACKET_H
#define _MINITUN_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define SUMMARY_MAX	256

/* Big-endian fields at any alignment. */
static inline unsigned int get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static inline unsigned long get32(const uint8_t *p)
{
	return (unsigned long)get16(p) << 16 | get16(p + 2);
}

static inline void put16(uint8_t *p, unsigned int val)
{
	p[0] = val >> 8;
	p[1] = val;
}

void packet_summary(const uint8_t *pkt, size_t len, bool tap, char *out,
		    size_t size);
void packet_print(FILE *out, const struct timespec *ts, const char *tag,
		  const uint8_t *pkt, size_t len, bool tap);
void packet_hexdump(FILE *out, const uint8_t *pkt, size_t len);
uint32_t csum_add(uint32_t sum, const void *data, size_t len);
uint16_t csum_fold(uint32_t sum);
uint16_t csum_l4(int family, const void *src, const void *dst, uint8_t proto,
		 const void *l4, size_t len);

#endif /* _MINITUN_PACKET_H */
