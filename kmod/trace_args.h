/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minitun's tracepoints as BPF sees them: each raw tracepoint's arguments,
 * in order. trace.h builds the kernel's events from these lists and
 * user/trace.bpf.c declares its BPF_PROG()s with the same ones, so the two
 * cannot drift apart. Every event carries the skb's address, the tracer's
 * key.
 *
 * What a probe may read: an skb passed as const struct sk_buff * is alive
 * and not being changed for the probe's whole run; one passed as
 * const void * is an address only, which may already be freed and reused,
 * and must never be dereferenced.
 */
#ifndef _MINITUN_TRACE_ARGS_H
#define _MINITUN_TRACE_ARGS_H

/* minitun_net_xmit() entered, before any check */
#define MINITUN_TP_XMIT_ARGS \
	const struct sk_buff *skb, u16 queue
/* going onto a queue's ring, under its producer lock, before a reader can
 * see it; occupancy counts this skb
 */
#define MINITUN_TP_ENQUEUE_ARGS \
	const struct sk_buff *skb, u16 queue, u32 occupancy, u32 capacity
/* about to be freed with kfree_skb_reason(skb, reason) */
#define MINITUN_TP_DROP_ARGS \
	const struct sk_buff *skb, u16 queue, enum skb_drop_reason reason
/* the reader signalled with sk_data_ready(); sleeping: a reader was waiting.
 * The skb is on the ring: the reader may have taken and freed it already.
 */
#define MINITUN_TP_WAKE_ARGS \
	const void *skb, u16 queue, bool sleeping
/* taken off the ring by a reader; occupancy no longer counts it */
#define MINITUN_TP_DEQUEUE_ARGS \
	const struct sk_buff *skb, u16 queue, u32 occupancy
/* copied to user space, bytes including the packet-info header; batch: how
 * many packets that read() returned
 */
#define MINITUN_TP_COPY_ARGS \
	const struct sk_buff *skb, u16 queue, u32 bytes, u32 batch
/* built from a write() and handed to the stack */
#define MINITUN_TP_INJECT_ARGS \
	const struct sk_buff *skb, u16 queue

#endif /* _MINITUN_TRACE_ARGS_H */
