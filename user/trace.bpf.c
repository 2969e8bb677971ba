// SPDX-License-Identifier: GPL-2.0
/*
 * minitun trace, the kernel half: follow each skb of one interface from the
 * stack into the driver's ring and out to the reader.
 *
 * A packet's state lives in a table keyed by the skb's address, from
 * net:net_dev_queue (or net:net_dev_start_xmit, for skbs the queue did not
 * show us, such as GSO segments) until skb:consume_skb or skb:kfree_skb,
 * where it becomes one ring buffer record, histogram samples, or both. The
 * address is only a key: the skb may be gone by the time a probe runs.
 *
 * The stages in between come from minitun's own raw tracepoints, whose
 * argument lists are kmod/trace_args.h's, or, with the real tun driver,
 * from kprobes on it (loader picks one set; see trace.c).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "trace_args.h"
#include "trace.h"

/* Set by the loader before load; the verifier drops what they rule out. */
const volatile int targ_ifindex;
const volatile __u32 targ_netns;	/* the ifindex's namespace: its inode */
const volatile bool targ_records;	/* per-packet records to user space */
const volatile bool targ_hist;		/* latency histograms */
const volatile bool targ_tun;		/* stages from the tun driver */
const volatile bool targ_head;		/* records carry the packet's first bytes */
const volatile bool targ_write;		/* the write direction too */
const volatile bool targ_stack;		/* each drop's kernel stack, in stacks */
/* a pcap filter as classic BPF: 0 instructions, every packet */
const volatile __u32 targ_filter_len;
const volatile struct trace_filter_insn targ_filter[TRACE_FILTER_INSNS];

/* Wake the reader once this much is waiting; it also polls on a timer. */
#define RECORDS_SIZE		(1 << 20)
#define RECORDS_WAKEUP		(RECORDS_SIZE / 8)
/* x86's NETDEV_ALIGN: netdev_priv() is this far past struct net_device */
#define NETDEV_ALIGN		32

struct flight {
	__u64 skb;		/* the key; 0: a free slot */
	__u64 born;		/* when the slot was taken */
	__u64 ts[NR_STAGES];
	__u32 len;
	__u32 occupancy;
	__u32 capacity;
	__u32 bytes;
	__u32 batch;
	__u16 queue;
	__u8 dir;		/* enum trace_dir */
};

/*
 * The packets in flight: an array, FLIGHT_WAYS slots for each value of a
 * hash of the skb's address, a slot taken with a compare-and-swap on its
 * key and given back by zeroing it. Not an LRU hash map: under TCG,
 * net_dev_queue with its update cost 1.4 us a packet and consume_skb with
 * its lookup and delete 1.7 us (bpf_stats), most of the tracer's cost,
 * where an array slot costs an inlined lookup. Like the LRU hash it is
 * bounded and forgets: a packet whose end no probe saw keeps its slot
 * only until its set fills, when the oldest slot goes.
 */
#define FLIGHT_WAYS		4
#define FLIGHT_SET_BITS		12	/* 16384 slots */
#define GOLDEN_RATIO_32		0x61C88647u

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FLIGHT_WAYS << FLIGHT_SET_BITS);
	__type(key, __u32);
	__type(value, struct flight);
} flights SEC(".maps");

/* the first bytes of the packet in a slot, when records carry them */
struct flight_head {
	__u8 caplen;
	__u8 bytes[TRACE_HEAD_BYTES];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FLIGHT_WAYS << FLIGHT_SET_BITS);	/* 1 unless used */
	__type(key, __u32);
	__type(value, struct flight_head);
} heads SEC(".maps");

/*
 * The filter's machine, one per CPU: classic BPF's A, X and scratch
 * memory, and the packet's first bytes (padded: a load checks only its
 * offset against the array, its length against caplen).
 */
struct filter_state {
	__u32 A;
	__u32 X;
	__u32 pc;
	__u32 verdict;
	__u32 wirelen;
	__u32 caplen;
	__u32 mem[16];
	__u8 pkt[TRACE_FILTER_BYTES + 4];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct filter_state);
} filter_states SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, RECORDS_SIZE);
} records SEC(".maps");

/* --stack: each drop's kernel stack, by the id its record carries */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1);		/* sized by user space for --stack */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, TRACE_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

/*
 * tun: the queue file tun_net_xmit() is producing into on this CPU, so that
 * the sock_def_readable() it calls next can be told from anyone else's.
 */
struct tun_xmit {
	__u64 skb;
	__u64 tfile;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tun_xmit);
} tun_xmits SEC(".maps");

/*
 * Only the fields used, relocated against tun's BTF: tun.ko's, or
 * vmlinux's where tun is built in. The ___minitun flavour keeps these from
 * clashing with a vmlinux.h that has tun's own; libbpf matches them to
 * tun_file and tun_struct all the same.
 */
struct tun_file___minitun {
	struct ptr_ring tx_ring;
} __attribute__((preserve_access_index));

struct tun_struct___minitun {
	struct tun_file___minitun *tfiles[256];
} __attribute__((preserve_access_index));

/*
 * Drops by reason, keyed by the whole reason: the core enum grows with
 * every kernel, and newer ones put subsystems' reasons in the high 16 bits.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TRACE_DROP_REASONS);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

__u32 hist[NR_SPANS][TRACE_HIST_SLOTS];
struct trace_counts counts;

/*
 * The first of the skb's FLIGHT_WAYS slots: the kernel's hash_32() of the
 * low half of its address. A 32-bit move is the one way the verifier lets
 * a tracing program turn a kernel pointer into a number it can compute on.
 */
static __always_inline __u32 flight_set(__u64 key)
{
	__u32 low;

	asm volatile("%0 = %1" : "=w"(low) : "w"(key));
	return (low * GOLDEN_RATIO_32 >> (32 - FLIGHT_SET_BITS)) * FLIGHT_WAYS;
}

static __always_inline struct flight *flight_slot(__u32 slot)
{
	return bpf_map_lookup_elem(&flights, &slot);
}

/* The skb's slot, and its index in *slot. */
static __always_inline struct flight *flight_find(const void *skb, __u32 *slot)
{
	__u64 key = (__u64)skb;
	__u32 set = flight_set(key);
	struct flight *f;
	int way;

	for (way = 0; way < FLIGHT_WAYS; way++) {
		f = flight_slot(set + way);
		if (f && f->skb == key) {
			*slot = set + way;
			return f;
		}
	}
	return NULL;
}

static __always_inline struct flight *flight_of(const void *skb)
{
	__u32 slot;

	return flight_find(skb, &slot);
}

/*
 * A free slot of the skb's set, or else the oldest: most likely a packet
 * whose end no probe saw, as five live ones in a set are rare (with a
 * thousand packets in flight, any of the sets holds five about 3% of the
 * time). Two packets racing for a slot, free or not, are told apart by the
 * compare-and-swap: the loser is not followed, and counts as evicted.
 */
static __always_inline struct flight *flight_take(__u64 key, __u32 *slot)
{
	__u32 set = flight_set(key), oldest = set;
	__u64 oldest_born = ~0ull, oldest_key = 0, cur;
	struct flight *f;
	int way;

	for (way = 0; way < FLIGHT_WAYS; way++) {
		f = flight_slot(set + way);
		if (!f)
			return NULL;
		cur = f->skb;
		if (!cur && !__sync_val_compare_and_swap(&f->skb, 0, key)) {
			*slot = set + way;
			return f;
		}
		if (f->born < oldest_born) {
			oldest_born = f->born;
			oldest_key = cur;
			oldest = set + way;
		}
	}
	f = flight_slot(oldest);
	if (!f)
		return NULL;
	/* a written packet freed where no probe sees, or a lost end */
	if (targ_write && f->dir == DIR_WRITE)
		__sync_fetch_and_add(&counts.written_unended, 1);
	else
		__sync_fetch_and_add(&counts.evicted, 1);
	if (__sync_val_compare_and_swap(&f->skb, oldest_key, key) !=
	    oldest_key)
		return NULL;
	*slot = oldest;
	return f;
}

/* An ifindex is unique only within its namespace. */
static __always_inline bool traced_dev(const struct net_device *dev)
{
	return dev->ifindex == targ_ifindex &&
	       dev->nd_net.net->ns.inum == targ_netns;
}

/* Unless a packet short of a slot has taken this one over meanwhile. */
static __always_inline void flight_end(const void *skb, struct flight *f)
{
	__sync_val_compare_and_swap(&f->skb, (__u64)skb, 0);
}

/*
 * Up to size bytes of the packet from its network header on (the link
 * type the filter is compiled for: raw IP on a TUN device), into buf; how
 * many, and in *wirelen the packet's length from there. Through probe
 * reads: the raw tracepoints' skb is no BTF pointer.
 */
static __always_inline __u32 packet_head(const struct sk_buff *skb, void *buf,
					 __u32 size, __u32 *wirelen)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	unsigned char *data = BPF_CORE_READ(skb, data);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u32 len = BPF_CORE_READ(skb, len);
	__u32 linear = len - BPF_CORE_READ(skb, data_len);
	unsigned char *start = nh == (__u16)~0U ? data : head + nh;
	__u32 off = start - data, cap;

	if (off > linear)	/* not set yet, or behind data */
		off = 0, start = data;
	*wirelen = len - off;
	cap = linear - off;
	if (cap > size)
		cap = size;
	barrier_var(cap);
	if (cap > size || bpf_probe_read_kernel(buf, cap, start))
		return 0;
	return cap;
}

/* classic BPF's opcodes (linux/filter.h, not in vmlinux.h) */
#define CB_CLASS(c)	((c) & 0x07)
#define CB_LD		0x00
#define CB_LDX		0x01
#define CB_ST		0x02
#define CB_STX		0x03
#define CB_ALU		0x04
#define CB_JMP		0x05
#define CB_RET		0x06
#define CB_MISC		0x07
#define CB_SIZE(c)	((c) & 0x18)
#define CB_W		0x00
#define CB_H		0x08
#define CB_B		0x10
#define CB_MODE(c)	((c) & 0xe0)
#define CB_IMM		0x00
#define CB_ABS		0x20
#define CB_IND		0x40
#define CB_MEM		0x60
#define CB_LEN		0x80
#define CB_MSH		0xa0
#define CB_OP(c)	((c) & 0xf0)
#define CB_X		0x08
#define CB_RVAL(c)	((c) & 0x18)
#define CB_RET_A	0x10

/* A load of the packet, as classic BPF's: out of its bytes, no match. */
static __always_inline bool filter_load(struct filter_state *s, __u32 off,
					__u32 size, __u32 *v)
{
	__u32 n = size == CB_W ? 4 : size == CB_H ? 2 : 1;
	__u8 *p;

	if (off >= TRACE_FILTER_BYTES || off + n > s->caplen)
		return false;
	barrier_var(off);
	if (off >= TRACE_FILTER_BYTES)
		return false;
	p = s->pkt + off;
	if (n == 4)
		*v = (__u32)p[0] << 24 | (__u32)p[1] << 16 | p[2] << 8 | p[3];
	else if (n == 2)
		*v = p[0] << 8 | p[1];
	else
		*v = p[0];
	return true;
}

/*
 * One instruction of the filter, from bpf_loop(): the verifier checks this
 * once, not once per instruction a filter has. Classic BPF jumps only
 * forward, so a filter ends within as many steps as it has instructions.
 */
static long filter_step(__u32 index, void *ctx)
{
	const volatile struct trace_filter_insn *in;
	struct filter_state *s;
	__u32 zero = 0, pc, code, k, v = 0, A, X;
	bool cond;

	s = bpf_map_lookup_elem(&filter_states, &zero);
	if (!s)
		return 1;
	pc = s->pc;
	if (pc >= TRACE_FILTER_INSNS || pc >= targ_filter_len)
		goto reject;
	in = &targ_filter[pc];
	code = in->code;
	k = in->k;
	A = s->A;
	X = s->X;
	s->pc = pc + 1;

	switch (CB_CLASS(code)) {
	case CB_LD:
	case CB_LDX:
		switch (CB_MODE(code)) {
		case CB_IMM:
			v = k;
			break;
		case CB_MEM:
			v = s->mem[k & 15];
			break;
		case CB_LEN:
			v = s->wirelen;
			break;
		case CB_ABS:
			if (!filter_load(s, k, CB_SIZE(code), &v))
				goto reject;
			break;
		case CB_IND:
			/* both small: no sum that wraps into the window */
			if (X >= TRACE_FILTER_BYTES || k >= TRACE_FILTER_BYTES ||
			    !filter_load(s, X + k, CB_SIZE(code), &v))
				goto reject;
			break;
		case CB_MSH:	/* an IPv4 header's length */
			if (!filter_load(s, k, CB_B, &v))
				goto reject;
			v = (v & 0xf) << 2;
			break;
		default:
			goto reject;
		}
		if (CB_CLASS(code) == CB_LD)
			A = v;
		else
			X = v;
		break;
	case CB_ST:
		s->mem[k & 15] = A;
		break;
	case CB_STX:
		s->mem[k & 15] = X;
		break;
	case CB_ALU:
		v = code & CB_X ? X : k;
		switch (CB_OP(code)) {
		case 0x00: A += v; break;
		case 0x10: A -= v; break;
		case 0x20: A *= v; break;
		case 0x30: if (!v) goto reject; A /= v; break;
		case 0x40: A |= v; break;
		case 0x50: A &= v; break;
		case 0x60: A = v < 32 ? A << v : 0; break;
		case 0x70: A = v < 32 ? A >> v : 0; break;
		case 0x80: A = -A; break;
		case 0x90: if (!v) goto reject; A %= v; break;
		case 0xa0: A ^= v; break;
		default: goto reject;
		}
		break;
	case CB_JMP:
		v = code & CB_X ? X : k;
		switch (CB_OP(code)) {
		case 0x00:	/* ja */
			s->pc = pc + 1 + k;
			goto store;
		case 0x10: cond = A == v; break;
		case 0x20: cond = A > v; break;
		case 0x30: cond = A >= v; break;
		case 0x40: cond = A & v; break;
		default: goto reject;
		}
		s->pc = pc + 1 + (cond ? in->jt : in->jf);
		break;
	case CB_RET:
		s->verdict = CB_RVAL(code) == CB_RET_A ? A :
			     CB_RVAL(code) == CB_X ? X : k;
		return 1;
	case CB_MISC:
		if (code & 0x80)	/* txa */
			A = X;
		else			/* tax */
			X = A;
		break;
	}
store:
	s->A = A;
	s->X = X;
	return 0;
reject:
	s->verdict = 0;
	return 1;
}

/* The packet matches the filter. */
static __always_inline bool filter_pass(const struct sk_buff *skb)
{
	struct filter_state *s;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&filter_states, &zero);
	if (!s)
		return false;
	s->caplen = packet_head(skb, s->pkt, TRACE_FILTER_BYTES, &s->wirelen);
	s->A = s->X = s->pc = s->verdict = 0;
	bpf_loop(targ_filter_len, filter_step, NULL, 0);
	return s->verdict;
}

/* The packet's first bytes for its record: the filter has read them. */
static __always_inline void head_save(const struct sk_buff *skb, __u32 slot)
{
	struct filter_state *s;
	struct flight_head *h;
	__u32 zero = 0, wirelen;

	h = bpf_map_lookup_elem(&heads, &slot);
	if (!h)
		return;
	s = targ_filter_len ? bpf_map_lookup_elem(&filter_states, &zero) : NULL;
	if (s) {
		__builtin_memcpy(h->bytes, s->pkt, sizeof(h->bytes));
		h->caplen = s->caplen < sizeof(h->bytes) ? s->caplen :
			    sizeof(h->bytes);
	} else {
		h->caplen = packet_head(skb, h->bytes, sizeof(h->bytes),
					&wirelen);
	}
}

/*
 * Start, or start again: an address still in the table lost its end.
 * With a filter, a packet it does not match is not followed at all, so
 * that every total counts only the packets it matches.
 */
static __always_inline struct flight *flight_start(const struct sk_buff *skb,
						   enum trace_stage stage,
						   __u32 len,
						   enum trace_dir dir)
{
	__u32 slot = 0;
	struct flight *f = flight_find(skb, &slot);
	__u64 now;

	if (targ_filter_len && !filter_pass(skb)) {
		if (f)
			flight_end(skb, f);
		return NULL;
	}
	if (!f)
		f = flight_take((__u64)skb, &slot);
	if (!f)
		return NULL;
	now = bpf_ktime_get_ns();
	__builtin_memset(&f->born, 0,
			 sizeof(*f) - offsetof(struct flight, born));
	f->born = now;
	f->ts[stage] = now;
	f->len = len;
	if (dir != DIR_READ)
		f->dir = dir;
	if (targ_head)
		head_save(skb, slot);
	return f;
}

SEC("tp_btf/net_dev_queue")
int BPF_PROG(net_dev_queue, struct sk_buff *skb)
{
	if (traced_dev(skb->dev))
		flight_start(skb, STAGE_QUEUED, skb->len, DIR_READ);
	return 0;
}

SEC("tp_btf/net_dev_start_xmit")
int BPF_PROG(net_dev_start_xmit, const struct sk_buff *skb,
	     const struct net_device *dev)
{
	struct flight *f;

	if (!traced_dev(dev))
		return 0;
	f = flight_of(skb);
	if (!f)
		flight_start(skb, STAGE_XMIT, skb->len, DIR_READ);
	else if (targ_records)	/* no histogram needs it: spare the clock */
		f->ts[STAGE_XMIT] = bpf_ktime_get_ns();
	return 0;
}

/* The driver has returned: the skb may be freed already, so only count. */
SEC("tp_btf/net_dev_xmit")
int BPF_PROG(net_dev_xmit, struct sk_buff *skb, int rc,
	     struct net_device *dev, unsigned int skb_len)
{
	if (!traced_dev(dev))
		return 0;
	__sync_fetch_and_add(&counts.xmits, 1);
	if (rc != NETDEV_TX_OK)
		__sync_fetch_and_add(&counts.xmit_errors, 1);
	return 0;
}

/*
 * minitun's stages. The xmit side's probes run after ptr_ring_produce(),
 * so a busy reader may dequeue a packet before it is stamped enqueued;
 * from then on, each stage needs the one before it on the same CPU, so
 * that a late probe on a reused skb address cannot stamp the packet that
 * has it now.
 */

SEC("raw_tp/minitun_enqueue")
int BPF_PROG(minitun_enqueue, MINITUN_TP_ENQUEUE_ARGS)
{
	struct flight *f = flight_of(skb);

	if (!f)
		return 0;
	f->ts[STAGE_ENQUEUED] = bpf_ktime_get_ns();
	f->queue = queue;
	f->occupancy = occupancy;
	f->capacity = capacity;
	return 0;
}

SEC("raw_tp/minitun_wake")
int BPF_PROG(minitun_wake, MINITUN_TP_WAKE_ARGS)
{
	struct flight *f = flight_of(skb);

	if (f && f->ts[STAGE_ENQUEUED])
		f->ts[STAGE_WOKEN] = bpf_ktime_get_ns();
	return 0;
}

SEC("raw_tp/minitun_dequeue")
int BPF_PROG(minitun_dequeue, MINITUN_TP_DEQUEUE_ARGS)
{
	struct flight *f = flight_of(skb);

	if (f)
		f->ts[STAGE_DEQUEUED] = bpf_ktime_get_ns();
	return 0;
}

SEC("raw_tp/minitun_copy")
int BPF_PROG(minitun_copy, MINITUN_TP_COPY_ARGS)
{
	struct flight *f = flight_of(skb);

	if (!f || !f->ts[STAGE_DEQUEUED])
		return 0;
	f->ts[STAGE_COPIED] = bpf_ktime_get_ns();
	f->bytes = bytes;
	f->batch = batch;
	return 0;
}

/*
 * The write direction, on minitun: a packet built from the reader's
 * write(), handed to the stack (injected), taken by it (received), and in
 * the end consumed or dropped. A raw tracepoint's skb is no BTF pointer:
 * read through probes.
 */
SEC("raw_tp/minitun_inject")
int BPF_PROG(minitun_inject, MINITUN_TP_INJECT_ARGS)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);

	if (BPF_CORE_READ(dev, ifindex) != targ_ifindex ||
	    BPF_CORE_READ(dev, nd_net.net, ns.inum) != targ_netns)
		return 0;
	if (flight_start(skb, STAGE_INJECTED, BPF_CORE_READ(skb, len),
			 DIR_WRITE))
		__sync_fetch_and_add(&counts.written, 1);
	return 0;
}

/* For every packet the stack receives: the device first, cheapest. */
SEC("tp_btf/netif_receive_skb")
int BPF_PROG(netif_receive_skb, struct sk_buff *skb)
{
	struct flight *f;

	if (!traced_dev(skb->dev))
		return 0;
	f = flight_of(skb);
	if (f && f->dir == DIR_WRITE && !f->ts[STAGE_RECEIVED])
		f->ts[STAGE_RECEIVED] = bpf_ktime_get_ns();
	return 0;
}

/*
 * tun's stages. tun has no tracepoints and inlines ptr_ring_produce(),
 * ptr_ring_consume() and tun_put_user(), so the stages are the first
 * points after them where the skb or its queue shows: the
 * sock_def_readable() that tun_net_xmit() calls right after producing
 * (enqueued and woken at once), the skb_copy_datagram_iter() that
 * tun_do_read() reaches right after consuming (dequeued), and the
 * consume_skb() after the copy (copied).
 */

static __always_inline void tun_xmit_enter(struct sk_buff *skb,
					   struct net_device *dev)
{
	struct tun_struct___minitun *tun;
	struct tun_xmit *x;
	__u64 *tfiles;
	__u32 zero = 0;
	__u16 txq;

	if (BPF_CORE_READ(dev, ifindex) != targ_ifindex ||
	    BPF_CORE_READ(dev, nd_net.net, ns.inum) != targ_netns)
		return;
	x = bpf_map_lookup_elem(&tun_xmits, &zero);
	if (!x)
		return;
	tun = (void *)dev + ((bpf_core_type_size(struct net_device) +
			      NETDEV_ALIGN - 1) & ~(NETDEV_ALIGN - 1));
	txq = BPF_CORE_READ(skb, queue_mapping);
	tfiles = (void *)tun +
		 bpf_core_field_offset(struct tun_struct___minitun, tfiles);
	bpf_probe_read_kernel(&x->tfile, sizeof(x->tfile), tfiles + txq);
	x->skb = (__u64)skb;
}

/*
 * Each of tun's two probes comes as fentry, which needs tun's BTF and costs
 * a direct call, and as a kprobe for a kernel without it; the loader picks.
 */
SEC("fentry/tun_net_xmit")
int BPF_PROG(tun_net_xmit_fentry, struct sk_buff *skb, struct net_device *dev)
{
	tun_xmit_enter(skb, dev);
	return 0;
}

SEC("kprobe/tun_net_xmit")
int BPF_KPROBE(tun_net_xmit, struct sk_buff *skb, struct net_device *dev)
{
	tun_xmit_enter(skb, dev);
	return 0;
}

/* Entries in the ring, sampled unlocked: kmod/minitun.h's rule. */
static __always_inline __u32 tun_ring_occupancy(struct ptr_ring *ring,
						__u32 size)
{
	int used = BPF_CORE_READ(ring, producer) -
		   BPF_CORE_READ(ring, consumer_head);
	void **queue;
	void *slot;

	if (used < 0)
		used += size;
	if (used || !size)
		return used;
	queue = BPF_CORE_READ(ring, queue);
	bpf_probe_read_kernel(&slot, sizeof(slot),
			      queue + BPF_CORE_READ(ring, consumer_head));
	return slot ? size : 0;
}

static __always_inline void tun_readable(struct sock *sk)
{
	struct tun_file___minitun *tfile;
	struct tun_xmit *x;
	struct flight *f;
	__u32 zero = 0;

	x = bpf_map_lookup_elem(&tun_xmits, &zero);
	if (!x || !x->skb || x->tfile != (__u64)sk)
		return;
	f = flight_of((void *)x->skb);
	x->skb = 0;
	if (!f)
		return;

	tfile = (struct tun_file___minitun *)sk;
	f->ts[STAGE_ENQUEUED] = bpf_ktime_get_ns();
	f->ts[STAGE_WOKEN] = f->ts[STAGE_ENQUEUED];
	f->capacity = BPF_CORE_READ(tfile, tx_ring.size);
	f->occupancy = tun_ring_occupancy(&tfile->tx_ring, f->capacity);
}

SEC("fentry/sock_def_readable")
int BPF_PROG(sock_def_readable_fentry, struct sock *sk)
{
	tun_readable(sk);
	return 0;
}

SEC("kprobe/sock_def_readable")
int BPF_KPROBE(sock_def_readable, struct sock *sk)
{
	tun_readable(sk);
	return 0;
}

SEC("tp_btf/skb_copy_datagram_iovec")
int BPF_PROG(skb_copy_datagram_iovec, const struct sk_buff *skb, int len)
{
	struct flight *f = flight_of(skb);

	if (!f || f->ts[STAGE_DEQUEUED])
		return 0;
	f->ts[STAGE_DEQUEUED] = bpf_ktime_get_ns();
	f->bytes = len;
	f->batch = 1;	/* tun reads one packet per call */
	return 0;
}

/* End of life */

/* floor(log2(v)) for v < 2^32, without loops */
static __always_inline __u32 log2_slot(__u32 v)
{
	__u32 slot = 0, shift;

	shift = (v > 0xffff) << 4;
	v >>= shift;
	slot |= shift;
	shift = (v > 0xff) << 3;
	v >>= shift;
	slot |= shift;
	shift = (v > 0xf) << 2;
	v >>= shift;
	slot |= shift;
	shift = (v > 0x3) << 1;
	v >>= shift;
	slot |= shift;
	return slot | (v >> 1);
}

static __always_inline void hist_add(enum trace_span span, __u64 from,
				     __u64 to)
{
	__u64 delta = to - from;
	__u32 slot;

	if (!from || !to || to < from)
		return;
	slot = delta >> 32 ? TRACE_HIST_SLOTS - 1 : log2_slot(delta);
	/*
	 * Always true. But the compiler, which knows, may drop the check,
	 * or bound one copy of a register and index with another, and the
	 * verifier then refuses the program: check once more, where both see.
	 */
	barrier_var(slot);
	if (slot < TRACE_HIST_SLOTS)
		__sync_fetch_and_add(&hist[span][slot], 1);
}

static __always_inline void count_drop(__u32 reason)
{
	__u64 zero = 0, *n;

	n = bpf_map_lookup_elem(&drops, &reason);
	if (!n) {
		/* NOEXIST: another CPU's first drop of it may have won */
		bpf_map_update_elem(&drops, &reason, &zero, BPF_NOEXIST);
		n = bpf_map_lookup_elem(&drops, &reason);
	}
	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline void hist_flight(const struct flight *f)
{
	hist_add(SPAN_QUEUED_ENQUEUED, f->ts[STAGE_QUEUED], f->ts[STAGE_ENQUEUED]);
	hist_add(SPAN_ENQUEUED_WOKEN, f->ts[STAGE_ENQUEUED], f->ts[STAGE_WOKEN]);
	hist_add(SPAN_WOKEN_DEQUEUED, f->ts[STAGE_WOKEN], f->ts[STAGE_DEQUEUED]);
	hist_add(SPAN_DEQUEUED_COPIED, f->ts[STAGE_DEQUEUED], f->ts[STAGE_COPIED]);
	hist_add(SPAN_TOTAL, f->ts[STAGE_QUEUED], f->ts[STAGE_COPIED]);
}

static __always_inline void send_record(const void *skb, const struct flight *f,
					__u32 slot, __u64 end,
					enum trace_fate fate, __u32 reason,
					const void *location, int stack)
{
	struct flight_head *h;
	struct trace_record *r;
	__u64 flags;

	/* without the bytes, a record short of them */
	if (targ_head)
		r = bpf_ringbuf_reserve(&records, sizeof(*r), 0);
	else
		r = bpf_ringbuf_reserve(&records,
					offsetof(struct trace_record, caplen), 0);
	if (!r) {
		__sync_fetch_and_add(&counts.lost, 1);
		return;
	}
	r->skb = (__u64)skb;
	__builtin_memcpy(r->ts, f->ts, sizeof(r->ts));
	r->end = end;
	r->location = (__u64)location;
	r->len = f->len;
	r->occupancy = f->occupancy;
	r->capacity = f->capacity;
	r->bytes = f->bytes;
	r->batch = f->batch;
	r->reason = reason;
	r->stack = stack;
	r->queue = f->queue;
	r->fate = fate;
	r->dir = f->dir;
	if (targ_head) {
		h = bpf_map_lookup_elem(&heads, &slot);
		if (h) {
			r->caplen = h->caplen;
			__builtin_memcpy(r->head, h->bytes, sizeof(r->head));
		} else {
			r->caplen = 0;
		}
	}

	flags = bpf_ringbuf_query(&records, BPF_RB_AVAIL_DATA) >= RECORDS_WAKEUP ?
		BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	bpf_ringbuf_submit(r, flags);
}

SEC("tp_btf/consume_skb")
int BPF_PROG(consume_skb, struct sk_buff *skb)
{
	__u32 slot = 0;
	struct flight *f = flight_find(skb, &slot);

	if (!f)
		return 0;
	if (targ_write && f->dir == DIR_WRITE) {
		__sync_fetch_and_add(&counts.consumed, 1);
		send_record(skb, f, slot, bpf_ktime_get_ns(), FATE_CONSUMED,
			    0, NULL, -1);
		goto out;
	}
	/* Not read: a GSO skb replaced by its segments, say. */
	if (!f->ts[STAGE_DEQUEUED])
		goto out;

	if (targ_tun)
		f->ts[STAGE_COPIED] = bpf_ktime_get_ns();
	__sync_fetch_and_add(&counts.read, 1);
	/* no end-to-end sample: say how many the histogram leaves out */
	if (!f->ts[STAGE_QUEUED])
		__sync_fetch_and_add(&counts.unqueued, 1);
	if (targ_hist)
		hist_flight(f);
	if (targ_records)
		send_record(skb, f, slot, 0, FATE_READ, 0, NULL, -1);
out:
	flight_end(skb, f);
	return 0;
}

/*
 * A raw tracepoint: its arguments by position, so 6.11's added rx_sk does
 * not matter, and no BTF pointer, so BPF_PROG_TEST_RUN can drive it.
 */
SEC("raw_tp/kfree_skb")
int BPF_PROG(kfree_skb, struct sk_buff *skb, void *location, __u32 reason)
{
	__u32 zero = 0, slot = 0;
	struct flight *f = flight_find(skb, &slot);
	struct tun_xmit *x;
	int stack = -1;

	if (!f)
		return 0;
	if (targ_tun) {
		/* tun_net_xmit() dropped it: no sock_def_readable() follows */
		x = bpf_map_lookup_elem(&tun_xmits, &zero);
		if (x && x->skb == (__u64)skb)
			x->skb = 0;
	}
	/* an id, or why there is none: a full table's -EEXIST, say */
	if (targ_stack)
		stack = bpf_get_stackid(ctx, &stacks, 0);
	if (targ_write && f->dir == DIR_WRITE) {
		__sync_fetch_and_add(&counts.written_dropped, 1);
		send_record(skb, f, slot, bpf_ktime_get_ns(), FATE_DROPPED,
			    reason, location, stack);
		goto out;
	}

	__sync_fetch_and_add(&counts.dropped, 1);
	count_drop(reason);
	if (targ_records)
		send_record(skb, f, slot, bpf_ktime_get_ns(), FATE_DROPPED,
			    reason, location, stack);
out:
	flight_end(skb, f);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
