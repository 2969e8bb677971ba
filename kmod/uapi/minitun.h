/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * minitun's own extensions to tun's ABI; everything else is <linux/if_tun.h>.
 * The ioctl type byte is not tun's 'T' (nor any other in the kernel's
 * ioctl-number.rst), so a tun client can never send one of these by mistake.
 *
 * Batched mode: many packets per read() or write().
 *
 * MINITUN_SETBATCH on an attached file turns it on for that file (version
 * MINITUN_BATCH_V1) or off (version 0). Then each packet travels as a record:
 * a struct minitun_rec, the packet's len bytes, and zero padding up to
 * MINITUN_REC_ALIGN, so every header starts 8-byte aligned. The header
 * replaces struct tun_pi: proto and flags are its fields, with or without
 * IFF_NO_PI.
 *
 *	+--------------------+------------------------+---------+----------
 *	| struct minitun_rec | len bytes of packet    | padding | next rec
 *	+--------------------+------------------------+---------+----------
 *	^ 8-byte aligned      <---- MINITUN_REC_SIZE(len) ------>^
 *
 * read() waits for one packet as always, then returns as many whole records
 * as fit in the buffer, at most max_packets. A packet that does not fit stays
 * queued for the next read(); if not even the first fits, read() fails with
 * EMSGSIZE and loses nothing.
 *
 * write() takes up to max_packets records. It checks every header and length
 * before it injects anything: a malformed batch (a header cut short, a
 * version or hdr_len it does not know, len 0 or more than one IP packet
 * can be (65535, plus the Ethernet header on TAP), a record running past
 * the buffer, more than max_packets records) fails as a whole with EINVAL (E2BIG
 * for too many records) and changes no counter. A record that is well framed
 * but whose packet a single write() would refuse (an IP version that is
 * neither 4 nor 6 when proto is 0, the interface down) ends the batch there,
 * like a short write: write() returns the bytes of the records before it,
 * which were all injected. Written again from the refused record, the
 * write() fails with that errno and rx_dropped counts the packet, once.
 * On a TUN device proto 0 means "from the IP version"; TAP takes the
 * protocol from the Ethernet header and ignores proto.
 */
#ifndef _UAPI_LINUX_MINITUN_H
#define _UAPI_LINUX_MINITUN_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define MINITUN_IOC_TYPE	0xE6

#define MINITUN_BATCH_V1	1
#define MINITUN_BATCH_MAX	64	/* max_packets' ceiling */

struct minitun_batch {
	__u32 version;		/* MINITUN_BATCH_V1, or 0 for one packet per call */
	__u32 max_packets;	/* 1..MINITUN_BATCH_MAX per read() or write() */
};

#define MINITUN_SETBATCH	_IOW(MINITUN_IOC_TYPE, 1, struct minitun_batch)
#define MINITUN_GETBATCH	_IOR(MINITUN_IOC_TYPE, 2, struct minitun_batch)

struct minitun_rec {
	__u32 len;		/* packet bytes after this header, padding not counted */
	__u16 flags;		/* 0: batched reads never cut a packet short */
	__be16 proto;		/* as tun_pi's: ETH_P_IP, ETH_P_IPV6, ... */
	__u16 hdr_len;		/* sizeof(struct minitun_rec) */
	__u8 version;		/* MINITUN_BATCH_V1 */
	__u8 reserved[5];	/* 0 */
};

#define MINITUN_REC_ALIGN	8
/* A record's size on the wire: header, packet and padding. */
#define MINITUN_REC_SIZE(len) \
	((sizeof(struct minitun_rec) + (len) + MINITUN_REC_ALIGN - 1) / \
	 MINITUN_REC_ALIGN * MINITUN_REC_ALIGN)

#endif /* _UAPI_LINUX_MINITUN_H */
