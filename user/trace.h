/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What minitun trace's BPF program (trace.bpf.c) and its loader (trace.c)
 * share: the stages a packet goes through, the record sent for each packet
 * through the ring buffer, and the counters and histograms kept in .bss.
 * The includer brings the __u64 family: vmlinux.h in BPF, <linux/types.h>
 * in user space.
 */
#ifndef _MINITUN_TRACE_USER_H
#define _MINITUN_TRACE_USER_H

/* The path from the stack to the reader, in the order a packet takes it. */
enum trace_stage {
	STAGE_QUEUED,		/* net:net_dev_queue: entered __dev_queue_xmit() */
	STAGE_XMIT,		/* net:net_dev_start_xmit: handed to the driver */
	STAGE_ENQUEUED,		/* on the reader's ring */
	STAGE_WOKEN,		/* the reader signalled (sk_data_ready) */
	STAGE_DEQUEUED,		/* taken off the ring by a reader */
	STAGE_COPIED,		/* copied to user space */
	NR_STAGES,
	/*
	 * The write direction: a packet the reader wrote, up the stack. Its
	 * two stages take the read direction's first two slots.
	 */
	STAGE_INJECTED = STAGE_QUEUED,	/* minitun:minitun_inject: built from a write() */
	STAGE_RECEIVED = STAGE_XMIT,	/* net:netif_receive_skb: the stack took it */
};

enum trace_dir {
	DIR_READ,		/* from the stack to the reader */
	DIR_WRITE,		/* written by the reader, up the stack */
};

/* Stage pairs with a latency histogram; SPAN_TOTAL is queued to copied. */
enum trace_span {
	SPAN_QUEUED_ENQUEUED,
	SPAN_ENQUEUED_WOKEN,
	SPAN_WOKEN_DEQUEUED,
	SPAN_DEQUEUED_COPIED,
	SPAN_TOTAL,
	NR_SPANS,
};

enum trace_fate {
	FATE_READ,		/* read direction: the reader has it */
	FATE_DROPPED,
	FATE_CONSUMED,		/* write direction: freed as done with */
};

/* log2 buckets of nanoseconds: the last one takes everything from 2^31 on */
#define TRACE_HIST_SLOTS	32
/* distinct drop reasons counted; a drop past them counts only in total */
#define TRACE_DROP_REASONS	1024

/*
 * A pcap filter: classic BPF (struct sock_filter's layout), run in BPF on
 * the first TRACE_FILTER_BYTES of each packet's network header.
 */
#define TRACE_FILTER_INSNS	256
#define TRACE_FILTER_BYTES	128
/* the bytes a record carries for the 5-tuple: IPv4's longest header + ports */
#define TRACE_HEAD_BYTES	64
/* --stack: the frames kept of each drop's kernel stack */
#define TRACE_STACK_DEPTH	64

struct trace_filter_insn {
	__u16 code;
	__u8 jt;
	__u8 jf;
	__u32 k;
};

/* One per packet, sent when its skb is freed. A zero ts[] did not happen. */
struct trace_record {
	__u64 skb;
	__u64 ts[NR_STAGES];	/* bpf_ktime_get_ns() */
	__u64 end;		/* when dropped; 0 when read */
	__u64 location;		/* where it was dropped: kfree_skb's caller */
	__u32 len;		/* skb->len when it entered */
	__u32 occupancy;	/* ring entries, this one included, when enqueued */
	__u32 capacity;		/* ring size */
	__u32 bytes;		/* copied to user space */
	__u32 batch;		/* packets the read() that copied it returned */
	__u32 reason;		/* the whole reason, subsystem bits too, when dropped */
	__s32 stack;		/* --stack: the drop's stack in map stacks; <0: none */
	__u16 queue;
	__u8 fate;		/* enum trace_fate */
	__u8 dir;		/* enum trace_dir */
	/* only in records of a tracer that asked for them (--json) */
	__u8 caplen;		/* bytes of head[] that are the packet's */
	__u8 head[TRACE_HEAD_BYTES];	/* from the network header on */
};

/* Totals for the summary; exact even when records were lost. */
struct trace_counts {
	__u64 read;
	__u64 unqueued;		/* ... first seen at the driver: GSO segments */
	__u64 dropped;
	__u64 lost;		/* records the ring buffer had no room for */
	__u64 evicted;		/* packets whose state was dropped for a newer one */
	__u64 xmits;		/* net:net_dev_xmit on the interface */
	__u64 xmit_errors;	/* ... that returned other than NETDEV_TX_OK */
	/* the write direction, followed with per-packet records only */
	__u64 written;		/* injected: minitun_inject */
	__u64 consumed;
	__u64 written_dropped;
	__u64 written_unended;	/* evicted: freed where no probe saw (TCP) */
};

#endif /* _MINITUN_TRACE_USER_H */
