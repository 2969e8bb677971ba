// SPDX-License-Identifier: GPL-2.0
/*
 * What read() and write() do between a queue's ring and user space: one
 * packet per call behind struct tun_pi, exactly as tun does, or many per
 * call as records in minitun's batched mode (uapi/minitun.h).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/etherdevice.h>
#include <linux/if_tun.h>
#include <linux/sched/signal.h>
#include <linux/skbuff.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "minitun.h"
#include "trace.h"

/* The read path */

/*
 * What one read() takes off the ring: one skb whatever its size (tun's
 * read truncates), or, batched, as many as fit in room bytes as records.
 * Only the fields before skbs are initialised per read: skbs[] is filled
 * as it is taken.
 */
struct minitun_take {
	unsigned int max;	/* skbs wanted */
	bool batched;
	size_t room;		/* batched: buffer bytes left for records */
	unsigned int n;		/* skbs taken */
	bool too_big;		/* batched: not even the first one fits */
	u32 occupancy;		/* left on the ring after the take */
	struct sk_buff *skbs[MINITUN_BATCH_MAX];
};

/* One consumer_lock hold for the whole take; a packet that does not fit is
 * only peeked at, so it stays queued.
 */
static void minitun_ring_take(struct minitun_file *mfile,
			      struct minitun_take *t)
{
	struct minitun_rx_stats *stats = &mfile->rx_stats;
	struct ptr_ring *ring = &mfile->tx_ring;
	struct sk_buff *skb;
	size_t size;

	spin_lock(&ring->consumer_lock);
	while (t->n < t->max) {
		skb = __ptr_ring_peek(ring);
		if (!skb)
			break;
		if (t->batched) {
			size = MINITUN_REC_SIZE(skb->len);
			if (size > t->room) {
				t->too_big = !t->n;
				break;
			}
			t->room -= size;
		}
		t->skbs[t->n++] = __ptr_ring_consume(ring);
	}
	if (t->n) {
		t->occupancy = minitun_ring_occupancy(ring, READ_ONCE(ring->producer),
						      ring->consumer_head);
		u64_stats_update_begin(&stats->syncp);
		u64_stats_add(&stats->dequeued, t->n);
		u64_stats_update_end(&stats->syncp);
	}
	spin_unlock(&ring->consumer_lock);
}

/*
 * Wait for packets on the socket's wait queue, which xmit's
 * sk_data_ready() wakes. A deleted device wakes us with RCV_SHUTDOWN;
 * tun answers that with -EFAULT, and so do we.
 *
 * The first wakeup takes us off the queue (autoremove_wake_function), so
 * the packets that arrive while we get up find no sleeper and cost xmit
 * no wakeup; and a woken reader looks at the ring before going back on the
 * queue, so the packet it was woken for costs it no more of the queue's
 * lock.
 */
static int minitun_ring_recv(struct minitun_file *mfile, bool noblock,
			     struct minitun_take *t)
{
	struct wait_queue_head *wq = &mfile->socket.wq.wait;
	bool prepared = false;
	DEFINE_WAIT(wait);
	int err = 0;

	for (;;) {
		minitun_ring_take(mfile, t);
		if (t->n || t->too_big)
			break;
		if (noblock) {
			err = -EAGAIN;
			break;
		}
		if (!prepared) {
			/* On the queue, then look again: xmit wakes only sleepers. */
			prepare_to_wait(wq, &wait, TASK_INTERRUPTIBLE);
			prepared = true;
			continue;
		}
		if (signal_pending(current)) {
			err = -ERESTARTSYS;
			break;
		}
		if (READ_ONCE(mfile->sk.sk_shutdown) & RCV_SHUTDOWN) {
			err = -EFAULT;
			break;
		}
		schedule();
		prepared = false;
	}
	finish_wait(wq, &wait);

	return err;
}

/*
 * Copy one packet out, behind struct tun_pi unless IFF_NO_PI. A short
 * buffer gets what fits and, with packet info, TUN_PKT_STRIP; the rest is
 * lost. Returns the packet's full size, as tun does; read() clamps it.
 */
static ssize_t minitun_put_user(struct minitun *mt, struct sk_buff *skb,
				struct iov_iter *to)
{
	struct tun_pi pi = { 0, skb->protocol };
	ssize_t total = skb->len;

	if (!(READ_ONCE(mt->flags) & IFF_NO_PI)) {
		total += sizeof(pi);
		if (iov_iter_count(to) < total)
			pi.flags |= TUN_PKT_STRIP;
		if (copy_to_iter(&pi, sizeof(pi), to) != sizeof(pi))
			return -EFAULT;
	}

	/* Stops quietly where the buffer ends. */
	skb_copy_datagram_iter(skb, 0, to, skb->len);
	return total;
}

/* Copy one record: header, packet, padding. Batched reads never truncate. */
static int minitun_put_record(struct sk_buff *skb, struct iov_iter *to)
{
	static const u8 padding[MINITUN_REC_ALIGN];
	struct minitun_rec rec = {
		.len = skb->len,
		.proto = skb->protocol,
		.hdr_len = sizeof(rec),
		.version = MINITUN_BATCH_V1,
	};
	size_t pad = MINITUN_REC_SIZE(skb->len) - sizeof(rec) - skb->len;

	if (copy_to_iter(&rec, sizeof(rec), to) != sizeof(rec) ||
	    skb_copy_datagram_iter(skb, 0, to, skb->len) ||
	    copy_to_iter(padding, pad, to) != pad)
		return -EFAULT;
	return 0;
}

/*
 * Hand what was taken to the reader. Returns the bytes read() reports;
 * packets that could not be copied are dropped and counted, never lost
 * silently.
 */
static ssize_t minitun_deliver(struct minitun *mt, struct minitun_file *mfile,
			       struct minitun_take *t, struct iov_iter *to)
{
	size_t len = iov_iter_count(to), copied = 0;
	unsigned int i, delivered = 0;
	struct sk_buff *skb;
	ssize_t ret = 0;

	for (i = 0; i < t->n; i++)
		trace_minitun_dequeue(t->skbs[i], READ_ONCE(mfile->queue_index),
				      t->occupancy + t->n - 1 - i);

	if (!t->batched) {
		ret = minitun_put_user(mt, t->skbs[0], to);
		if (ret >= 0) {
			delivered = 1;
			copied = min_t(size_t, ret, len);
		}
	} else {
		for (; delivered < t->n; delivered++) {
			skb = t->skbs[delivered];
			ret = minitun_put_record(skb, to);
			if (ret)
				break;
			copied += MINITUN_REC_SIZE(skb->len);
		}
		if (delivered)
			ret = copied;
	}

	preempt_disable();
	for (i = 0; i < delivered; i++)
		dev_sw_netstats_tx_add(mt->dev, 1, t->skbs[i]->len);
	preempt_enable();

	for (i = 0; i < t->n; i++) {
		skb = t->skbs[i];
		if (i < delivered) {
			trace_minitun_copy(skb, READ_ONCE(mfile->queue_index),
					   t->batched ? MINITUN_REC_SIZE(skb->len) : copied,
					   delivered);
			consume_skb(skb);
		} else {
			minitun_drop_queued(skb, SKB_DROP_REASON_SKB_UCOPY_FAULT);
		}
	}
	return ret;
}

ssize_t minitun_read(struct minitun *mt, struct minitun_file *mfile,
		     struct iov_iter *to, bool noblock)
{
	unsigned int batch = READ_ONCE(mfile->batch_max);
	size_t len = iov_iter_count(to);
	struct minitun_take t;
	int err;

	if (!len)
		return 0;
	/*
	 * A buffer too small for any packet is refused before a packet is
	 * taken, so that the packet stays queued rather than being lost.
	 */
	if (batch ? len < sizeof(struct minitun_rec) :
		    !(READ_ONCE(mt->flags) & IFF_NO_PI) && len < sizeof(struct tun_pi))
		return -EINVAL;

	t.max = batch ?: 1;
	t.batched = batch;
	t.room = len;
	t.n = 0;
	t.too_big = false;

	err = minitun_ring_recv(mfile, noblock, &t);
	if (err)
		return err;
	if (t.too_big)
		return -EMSGSIZE;
	return minitun_deliver(mt, mfile, &t, to);
}

/* The write path */

/*
 * tun's allocation (tun_alloc_skb() with no virtio header): all linear, from
 * the socket's send buffer, so that oversized writes fail as they do on tun.
 */
static struct sk_buff *minitun_alloc_skb(struct minitun_file *mfile,
					 size_t prepad, size_t len, bool noblock)
{
	struct sk_buff *skb;
	int err;

	skb = sock_alloc_send_pskb(&mfile->sk, prepad + len, 0, noblock, &err,
				   PAGE_ALLOC_COSTLY_ORDER);
	if (!skb)
		return ERR_PTR(err);

	skb_reserve(skb, prepad);
	skb_put(skb, len);
	return skb;
}

/*
 * The socket's send buffer is spent: sock_alloc_send_pskb() waits, or with
 * noblock fails, until skbs charged to it are freed.
 */
static bool minitun_sndbuf_spent(struct sock *sk)
{
	return sk_wmem_alloc_get(sk) >= READ_ONCE(sk->sk_sndbuf);
}

/*
 * tun_build_skb()'s way: the packet copied into the writer's page fragment
 * and the skb built around it, sparing sock_alloc_send_pskb()'s kmalloc()
 * of the data, which with init_on_alloc zeroes it first. NULL: it does not
 * fit in a page, or the send buffer is full, when the socket's own
 * allocation, which waits, or refuses as tun does, must decide.
 */
static struct sk_buff *minitun_frag_skb(struct minitun_file *mfile,
					size_t prepad, struct iov_iter *from,
					size_t len)
{
	unsigned int size = SKB_DATA_ALIGN(prepad + len) +
			    SKB_DATA_ALIGN(sizeof(struct skb_shared_info));
	struct page_frag *frag = &current->task_frag;
	struct sock *sk = &mfile->sk;
	struct sk_buff *skb;

	if (size > PAGE_SIZE || minitun_sndbuf_spent(sk))
		return NULL;
	if (!skb_page_frag_refill(size, frag, GFP_KERNEL))
		return ERR_PTR(-ENOMEM);
	if (copy_page_from_iter(frag->page, frag->offset + prepad, len,
				from) != len)
		return ERR_PTR(-EFAULT);

	skb = build_skb(page_address(frag->page) + frag->offset, size);
	if (!skb)
		return ERR_PTR(-ENOMEM);
	get_page(frag->page);
	frag->offset += size;

	skb_reserve(skb, prepad);
	skb_put(skb, len);
	skb_set_owner_w(skb, sk);
	return skb;
}

/* The written packet's bytes in an skb of its own, charged to the socket. */
static struct sk_buff *minitun_copy_skb(struct minitun_file *mfile,
					size_t prepad, struct iov_iter *from,
					size_t len, bool noblock)
{
	struct sk_buff *skb;

	skb = minitun_frag_skb(mfile, prepad, from, len);
	if (skb)
		return skb;

	skb = minitun_alloc_skb(mfile, prepad, len, noblock);
	if (IS_ERR(skb))
		return skb;
	if (skb_copy_datagram_from_iter(skb, 0, from, len)) {
		kfree_skb_reason(skb, SKB_DROP_REASON_SKB_UCOPY_FAULT);
		return ERR_PTR(-EFAULT);
	}
	return skb;
}

/* Without packet info, a TUN packet's protocol is its IP version. */
static int minitun_ip_proto(struct sk_buff *skb, __be16 *proto)
{
	if (!pskb_may_pull(skb, 1))
		return -EINVAL;

	switch (skb->data[0] >> 4) {
	case 4:
		*proto = htons(ETH_P_IP);
		return 0;
	case 6:
		*proto = htons(ETH_P_IPV6);
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * An skb from the len bytes at from, ready for the stack. pi is the packet
 * information to trust; NULL: take the protocol from the IP version (TAP
 * takes it from the Ethernet header either way). tun's order of checks,
 * so that the same write fails the same way: the interface being down is
 * found last, by the caller, where it injects.
 */
static struct sk_buff *minitun_build_skb(struct minitun *mt,
					 struct minitun_file *mfile,
					 struct iov_iter *from, size_t len,
					 const struct tun_pi *pi, bool noblock)
{
	bool tap = minitun_is_tap(READ_ONCE(mt->flags));
	struct net_device *dev = mt->dev;
	enum skb_drop_reason reason;
	struct sk_buff *skb;
	__be16 proto;
	int err;

	skb = minitun_copy_skb(mfile, NET_SKB_PAD + (tap ? NET_IP_ALIGN : 0),
			       from, len, noblock);
	if (IS_ERR(skb))
		return skb;

	if (tap) {
		skb->protocol = eth_type_trans(skb, dev);
	} else {
		if (pi) {
			proto = pi->proto;
		} else {
			err = minitun_ip_proto(skb, &proto);
			if (err) {
				reason = SKB_DROP_REASON_NOT_SPECIFIED;
				goto drop;
			}
		}
		skb_reset_mac_header(skb);
		skb->protocol = proto;
		skb->dev = dev;
	}

	/*
	 * A TAP frame may be bridged out of another port without passing IP,
	 * which is what sets the transport header on the way in; GSO, checksum
	 * help and DEBUG_NET's checks there want it set, so the flow dissector
	 * finds it here, as tun's does. A TUN packet always goes to IP.
	 */
	skb_reset_network_header(skb);
	if (tap)
		skb_probe_transport_header(skb);
	skb_record_rx_queue(skb, READ_ONCE(mfile->queue_index));
	return skb;

drop:
	kfree_skb_reason(skb, reason);
	return ERR_PTR(err);
}

/*
 * tun's last check: a packet for an interface that is down is -EIO. The
 * flags change under rtnl_lock, which a writer does not take.
 */
static bool minitun_dev_down(struct minitun *mt, struct sk_buff *skb)
{
	if (likely(READ_ONCE(mt->dev->flags) & IFF_UP))
		return false;
	kfree_skb_reason(skb, SKB_DROP_REASON_DEV_READY);
	return true;
}

/* Written packets count in the device's rx counters, frame length, as tun's. */
static void minitun_count_rx(struct minitun *mt, size_t len)
{
	preempt_disable();
	dev_sw_netstats_rx_add(mt->dev, len);
	preempt_enable();
}

/* A write that fails once the packet was taken in counts in rx_dropped. */
static ssize_t minitun_write_failed(struct minitun *mt, int err)
{
	if (err != -EAGAIN)
		dev_core_stats_rx_dropped_inc(mt->dev);
	return err;
}

/*
 * tun's write: one packet, behind struct tun_pi unless IFF_NO_PI, into the
 * stack in the writer's context. Errors before the packet is taken in
 * (too short for a header) count nowhere, as in tun.
 */
static ssize_t minitun_write_one(struct minitun *mt, struct minitun_file *mfile,
				 struct iov_iter *from, bool noblock)
{
	struct tun_pi pi = { 0, cpu_to_be16(ETH_P_IP) };
	unsigned int flags = READ_ONCE(mt->flags);
	size_t total = iov_iter_count(from);
	size_t len = total;
	struct sk_buff *skb;

	if (!(flags & IFF_NO_PI)) {
		if (len < sizeof(pi))
			return -EINVAL;
		len -= sizeof(pi);
		if (!copy_from_iter_full(&pi, sizeof(pi), from))
			return -EFAULT;
	}
	if (minitun_is_tap(flags) && len < ETH_HLEN)
		return -EINVAL;

	skb = minitun_build_skb(mt, mfile, from, len,
				flags & IFF_NO_PI ? NULL : &pi, noblock);
	if (IS_ERR(skb))
		return minitun_write_failed(mt, PTR_ERR(skb));

	/*
	 * The up check and the injection in one RCU section, as in tun:
	 * unregistering closes the device, clearing IFF_UP, then waits in
	 * synchronize_net() before NETDEV_UNREGISTER, so by then no writer
	 * that saw the device up is still handing the stack a packet.
	 */
	rcu_read_lock();
	if (minitun_dev_down(mt, skb)) {
		rcu_read_unlock();
		return minitun_write_failed(mt, -EIO);
	}
	trace_minitun_inject(skb, READ_ONCE(mfile->queue_index));
	local_bh_disable();
	netif_receive_skb(skb);
	local_bh_enable();
	minitun_count_rx(mt, len);
	rcu_read_unlock();

	return total;
}

/*
 * A record holds one packet: at most what IP's 16-bit length allows, and
 * the Ethernet header on TAP. That bounds what one batch holds at once
 * (each record is one linear skb) to a few MiB, whatever the write's size.
 */
#define MINITUN_REC_MAX_IP	65535

static bool minitun_rec_valid(const struct minitun_rec *rec, size_t left,
			      bool tap)
{
	static const u8 zeros[sizeof(rec->reserved)];

	return rec->version == MINITUN_BATCH_V1 &&
	       rec->hdr_len == sizeof(*rec) && !rec->flags &&
	       !memcmp(rec->reserved, zeros, sizeof(zeros)) &&
	       rec->len && rec->len <= left &&
	       rec->len <= MINITUN_REC_MAX_IP + (tap ? ETH_HLEN : 0) &&
	       MINITUN_REC_SIZE(rec->len) <= left &&
	       (!tap || rec->len >= ETH_HLEN);
}

/* Every record's framing, before anything is injected. */
static int minitun_check_records(struct iov_iter walk, bool tap,
				 unsigned int max, unsigned int *count)
{
	size_t left = iov_iter_count(&walk);
	struct minitun_rec rec;
	unsigned int n = 0;

	while (left) {
		if (left < sizeof(rec))
			return -EINVAL;
		if (!copy_from_iter_full(&rec, sizeof(rec), &walk))
			return -EFAULT;
		if (!minitun_rec_valid(&rec, left, tap))
			return -EINVAL;
		if (++n > max)
			return -E2BIG;
		iov_iter_advance(&walk, MINITUN_REC_SIZE(rec.len) - sizeof(rec));
		left -= MINITUN_REC_SIZE(rec.len);
	}
	if (!n)
		return -EINVAL;
	*count = n;
	return 0;
}

/*
 * A batch goes up through GRO, which one packet per write() cannot use:
 * the packets of one flow in a batch become one skb for IP, and one
 * datagram for a UDP socket that asked for UDP_GRO. gro_cells queues them
 * to this CPU's NAPI context, which runs them at local_bh_enable().
 *
 * The cells are the CPU's, not the queue's, so another queue's packets of
 * the same flow can meet these in GRO. Each skb is charged to its writer's
 * socket, and GRO moves the charge of what it merges to the skb it keeps:
 * skb_prepare_for_gro() makes GRO compare the sockets (as veth does), so
 * that no socket is credited what another was charged.
 *
 * gro_cells_receive() counts what it refuses (device down, its queue past
 * netdev_max_backlog) in rx_dropped; only what it takes counts in rx.
 */
static void minitun_inject_list(struct minitun *mt, struct minitun_file *mfile,
				struct list_head *skbs)
{
	struct sk_buff *skb, *next;
	unsigned int len;

	local_bh_disable();
	list_for_each_entry_safe(skb, next, skbs, list) {
		skb_list_del_init(skb);
		/* the frame as written: TAP's Ethernet header is pulled */
		len = skb->len + skb_mac_header_len(skb);
		trace_minitun_inject(skb, READ_ONCE(mfile->queue_index));
		skb_prepare_for_gro(skb);
		if (gro_cells_receive(&mt->gro_cells, skb) == NET_RX_SUCCESS)
			minitun_count_rx(mt, len);
	}
	local_bh_enable();
}

/*
 * Batched write: check all the framing, then build the packets and hand
 * them to the stack together. The headers are read again while building,
 * and a header that changed in between ends the batch like a refused packet.
 *
 * Each skb is charged to the writer's socket as it is built. Once the send
 * buffer is spent, what is built goes up before the next allocation, which
 * would otherwise wait (or, noblock, fail) for buffer that only those
 * unsent skbs hold.
 */
static ssize_t minitun_write_batch(struct minitun *mt,
				   struct minitun_file *mfile,
				   struct iov_iter *from, unsigned int max,
				   bool noblock)
{
	bool tap = minitun_is_tap(READ_ONCE(mt->flags));
	size_t left = iov_iter_count(from);
	struct minitun_rec rec;
	struct sk_buff *skb;
	unsigned int n, i;
	ssize_t done = 0;
	struct tun_pi pi;
	LIST_HEAD(skbs);
	int err;

	err = minitun_check_records(*from, tap, max, &n);
	if (err)
		return err;

	for (i = 0; i < n; i++) {
		if (!list_empty(&skbs) && minitun_sndbuf_spent(&mfile->sk))
			minitun_inject_list(mt, mfile, &skbs);
		if (!copy_from_iter_full(&rec, sizeof(rec), from)) {
			err = -EFAULT;
			break;
		}
		if (!minitun_rec_valid(&rec, left, tap)) {
			err = -EINVAL;
			break;
		}
		pi.flags = 0;
		pi.proto = rec.proto;
		skb = minitun_build_skb(mt, mfile, from, rec.len,
					rec.proto ? &pi : NULL, noblock);
		/*
		 * Down ends the batch here; gro_cells_receive() checks again,
		 * under RCU, where it takes the packet.
		 */
		if (!IS_ERR(skb) && minitun_dev_down(mt, skb))
			skb = ERR_PTR(-EIO);
		if (IS_ERR(skb)) {
			/* Only a refusal that ends the write is counted. */
			if (!i)
				return minitun_write_failed(mt, PTR_ERR(skb));
			break;
		}
		iov_iter_advance(from, MINITUN_REC_SIZE(rec.len) -
				       sizeof(rec) - rec.len);
		list_add_tail(&skb->list, &skbs);
		left -= MINITUN_REC_SIZE(rec.len);
		done += MINITUN_REC_SIZE(rec.len);
	}

	if (!i)
		return err;
	minitun_inject_list(mt, mfile, &skbs);
	return done;
}

ssize_t minitun_write(struct minitun *mt, struct minitun_file *mfile,
		      struct iov_iter *from, bool noblock)
{
	unsigned int batch = READ_ONCE(mfile->batch_max);

	if (batch)
		return minitun_write_batch(mt, mfile, from, batch, noblock);
	return minitun_write_one(mt, mfile, from, noblock);
}
