/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minitun's private header: the two objects and what the net device side
 * (net.c), the char device side (chr.c) and the queue glue (queue.c) ask of
 * each other.
 */
#ifndef _MINITUN_H
#define _MINITUN_H

#include <linux/ethtool.h>
#include <linux/fs.h>
#include <linux/if_tun.h>
#include <linux/netdevice.h>
#include <linux/ptr_ring.h>
#include <linux/u64_stats_sync.h>
#include <net/gro_cells.h>
#include <net/sock.h>

#include "compat.h"
#include "uapi/minitun.h"

#define DRV_NAME		"minitun"
#define DRV_VERSION		"1.0"

/* tun's limit, so that attaching one queue too many fails at the same count. */
#define MINITUN_MAX_QUEUES	256
/*
 * A TUN device's dev->tx_queue_len, which sizes its rings: tun's
 * TUN_READQ_SIZE. ether_setup() gives a TAP device 1000, as on tun.
 */
#define MINITUN_RING_SIZE	500

#define MINITUN_TYPE_MASK	(IFF_TUN | IFF_TAP)
/* tun's flags that minitun implements; TUNSETIFF refuses the rest of tun's. */
#define MINITUN_FEATURES	(IFF_NO_PI | IFF_ONE_QUEUE | IFF_MULTI_QUEUE)
#define MINITUN_REFUSED		(IFF_VNET_HDR | IFF_NAPI | IFF_NAPI_FRAGS)
/* mfile->flags: SIGIO on enqueue. tun uses the same bit. */
#define MINITUN_FASYNC		IFF_ATTACH_QUEUE

/*
 * Per-queue counters for ethtool -S. The producer's sit under the ring's
 * producer_lock, the consumer's under its consumer_lock, each on its own
 * cache line so that xmit and read do not share one.
 */
struct minitun_tx_stats {
	struct u64_stats_sync syncp;
	u64_stats_t enqueued;
	u64_stats_t drop_full;
	u64_stats_t wakeups;		/* enqueues that found a reader asleep */
	u64_stats_t high_water;		/* highest ring occupancy seen */
};

struct minitun_rx_stats {
	struct u64_stats_sync syncp;
	u64_stats_t dequeued;
};

/*
 * A minitun_file joins an open /dev/minitun to a net device: it is one of the
 * device's queues. It is a socket (struct sock first, from sk_alloc()), as
 * tun's tun_file is, which is what gives it sk_data_ready, sk_sleep() and the
 * wait queue that read() and poll() sleep on.
 *
 * Lifetime: the open file holds one socket reference; a device holding the
 * file as a queue (attached or detached) holds another (sock_hold() at
 * attach, sock_put() at final detach).
 *
 * RCU: mt is written under rtnl_lock and read under rcu_read_lock (or
 * rtnl_lock); minitun_get() turns it into a device reference for the read,
 * write and poll paths. NULL when the file is not attached to a device, or
 * the device is gone.
 */
struct minitun_file {
	struct sock sk;			/* must be first */
	struct socket socket;
	struct minitun __rcu *mt;
	struct fasync_struct *fasync;
	unsigned int flags;		/* MINITUN_FASYNC */
	unsigned int batch_max;		/* 0: tun's one packet per call */
	/*
	 * Written under rtnl; read and write read it locklessly: a queue that
	 * moves into a detached one's slot tags a packet in flight with either.
	 */
	u16 queue_index;
	struct minitun *detached;	/* rtnl; set while detached by TUNSETQUEUE */
	struct list_head next;		/* rtnl; on mt->disabled while detached */
	struct minitun_tx_stats tx_stats ____cacheline_aligned_in_smp;
	struct minitun_rx_stats rx_stats ____cacheline_aligned_in_smp;
	struct ptr_ring tx_ring;	/* skbs from xmit to read; own locks */
};

/*
 * The net device's private part. Everything here is written under rtnl_lock;
 * queues[] is read by xmit under RCU, flags by the read and write paths with
 * READ_ONCE() (TUNSETIFF may change IFF_NO_PI while they run, as in tun).
 */
struct minitun {
	struct minitun_file __rcu *queues[MINITUN_MAX_QUEUES];
	unsigned int numqueues;		/* attached; READ_ONCE() in select_queue */
	unsigned int numdisabled;	/* detached by TUNSETQUEUE */
	struct list_head disabled;
	unsigned int flags;		/* IFF_TUN or IFF_TAP, MINITUN_FEATURES, IFF_PERSIST */
	kuid_t owner;
	kgid_t group;
	struct net_device *dev;
	struct minitun_file *creator;	/* only during TUNSETIFF's register */
	void *security;			/* the LSM's, for its tun_socket checks */
	struct ethtool_link_ksettings link_ksettings;	/* tun's made-up link */
	atomic64_t drop_no_reader;	/* xmit found no queue */
	atomic64_t drop_purged;		/* queued, then the queue went away */
	struct gro_cells gro_cells;	/* batched writes: see minitun_inject_list() */
};

/* queue.c: joining files to devices; all under rtnl_lock */
int minitun_queue_attach(struct minitun *mt, struct minitun_file *mfile,
			 bool publish);
void minitun_queue_detach(struct minitun_file *mfile, bool clean);
void minitun_queue_detach_all(struct minitun *mt);
int minitun_queue_resize(struct minitun *mt);
void minitun_ring_drop(void *ptr);
void minitun_drop_queued(struct sk_buff *skb, enum skb_drop_reason reason);
struct minitun *minitun_get(struct minitun_file *mfile);
void minitun_put(struct minitun *mt);

/* io.c: read() and write() */
ssize_t minitun_read(struct minitun *mt, struct minitun_file *mfile,
		     struct iov_iter *to, bool noblock);
ssize_t minitun_write(struct minitun *mt, struct minitun_file *mfile,
		      struct iov_iter *from, bool noblock);

/* ioctl.c */
long minitun_chr_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
long minitun_chr_compat_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg);

/* net.c: the net device */
extern struct rtnl_link_ops minitun_link_ops;
extern const struct attribute_group minitun_attr_group;
struct net_device *minitun_net_alloc(const char *name, unsigned int flags);
bool minitun_net_is_ours(const struct net_device *dev, unsigned int type);
int minitun_net_change_carrier(struct net_device *dev, bool new_carrier);

/* chr.c: the char device */
extern struct miscdevice minitun_miscdev;

static inline bool minitun_is_tap(unsigned int flags)
{
	return (flags & MINITUN_TYPE_MASK) == IFF_TAP;
}

/*
 * Entries in a ring, sampled by whoever holds one of its locks. Producer
 * and consumer indices equal means empty, unless the slot there is taken:
 * then the ring is full.
 */
static inline u32 minitun_ring_occupancy(struct ptr_ring *r, int producer,
					 int consumer)
{
	int used = producer - consumer;

	lockdep_assert(lockdep_is_held(&r->producer_lock) ||
		       lockdep_is_held(&r->consumer_lock));
	if (used < 0)
		used += r->size;
	if (!used && r->size && READ_ONCE(r->queue[consumer]))
		used = r->size;
	return used;
}

#endif /* _MINITUN_H */
