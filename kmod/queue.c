// SPDX-License-Identifier: GPL-2.0
/*
 * Queues: joining open files to a net device and taking them apart again.
 *
 * Everything here but minitun_get()/minitun_put() runs under rtnl_lock, which
 * orders TUNSETIFF, TUNSETQUEUE, close(), tx_queue_len changes and the
 * device's deletion against each other. xmit only ever looks at mt->queues[]
 * under RCU, so every change to it is published with rcu_assign_pointer()
 * and followed by synchronize_net() before the old file's ring is emptied.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/rtnetlink.h>
#include <linux/security.h>

#include "minitun.h"
#include "trace.h"

struct minitun *minitun_get(struct minitun_file *mfile)
{
	struct minitun *mt;

	rcu_read_lock();
	mt = rcu_dereference(mfile->mt);
	if (mt)
		dev_hold(mt->dev);
	rcu_read_unlock();

	return mt;
}

void minitun_put(struct minitun *mt)
{
	dev_put(mt->dev);
}

/*
 * An skb that was queued but will never be read: its queue went away, the
 * ring shrank, or the copy to the reader failed. The device is still
 * registered at each of those points, and skb->dev is it.
 */
void minitun_drop_queued(struct sk_buff *skb, enum skb_drop_reason reason)
{
	struct minitun *mt = netdev_priv(skb->dev);

	atomic64_inc(&mt->drop_purged);
	dev_core_stats_tx_dropped_inc(skb->dev);
	trace_minitun_drop(skb, skb_get_queue_mapping(skb), reason);
	kfree_skb_reason(skb, reason);
}

/* ptr_ring_resize()'s destroy callback: the ring shrank below its contents. */
static void minitun_ring_drop_resized(void *ptr)
{
	minitun_drop_queued(ptr, SKB_DROP_REASON_FULL_RING);
}

/* ptr_ring_cleanup()'s: the queue is gone. */
void minitun_ring_drop(void *ptr)
{
	minitun_drop_queued(ptr, SKB_DROP_REASON_DEV_READY);
}

static void minitun_queue_purge(struct minitun_file *mfile)
{
	void *ptr;

	while ((ptr = ptr_ring_consume(&mfile->tx_ring)))
		minitun_ring_drop(ptr);
}

/*
 * The stack's counts of queues follow ours. Growing them adds the queues'
 * sysfs objects and can fail (then neither count changed); shrinking
 * cannot.
 */
static int minitun_set_real_num_queues(struct minitun *mt, unsigned int n)
{
	/* With no queue left, xmit's lookup of queue 0 finds nothing and drops. */
	if (!n)
		return 0;
	return netif_set_real_num_queues(mt->dev, n, n);
}

static void minitun_queue_disable(struct minitun *mt, struct minitun_file *mfile)
{
	mfile->detached = mt;
	list_add_tail(&mfile->next, &mt->disabled);
	mt->numdisabled++;
}

static struct minitun *minitun_queue_enable(struct minitun_file *mfile)
{
	struct minitun *mt = mfile->detached;

	mfile->detached = NULL;
	list_del_init(&mfile->next);
	mt->numdisabled--;
	return mt;
}

/*
 * Make mfile the device's last queue, or bring a detached one back. publish
 * is false while TUNSETIFF registers a new device: mfile->mt is set only
 * once the device is registered, as tun does.
 */
int minitun_queue_attach(struct minitun *mt, struct minitun_file *mfile,
			 bool publish)
{
	struct net_device *dev = mt->dev;
	int err;

	ASSERT_RTNL();

	/* the LSM labels the queue's socket with the device's context */
	err = security_tun_dev_attach(&mfile->sk, mt->security);
	if (err)
		return err;
	if (rtnl_dereference(mfile->mt) && !mfile->detached)
		return -EINVAL;
	if (!(mt->flags & IFF_MULTI_QUEUE) && mt->numqueues == 1)
		return -EBUSY;
	if (!mfile->detached &&
	    mt->numqueues + mt->numdisabled == MINITUN_MAX_QUEUES)
		return -E2BIG;

	/*
	 * The ring is empty: sized 0 at open(), or purged at its last size
	 * when the file's device was deleted or an attach failed.
	 */
	if (!mfile->detached &&
	    ptr_ring_resize(&mfile->tx_ring, dev->tx_queue_len, GFP_KERNEL,
			    minitun_ring_drop))
		return -ENOMEM;
	/*
	 * Before anything else changes, so that failing leaves the queue as
	 * it was: xmit cannot pick the new queue until numqueues counts it.
	 */
	err = minitun_set_real_num_queues(mt, mt->numqueues + 1);
	if (err)
		return err;

	if (mfile->detached)
		minitun_queue_enable(mfile);
	else
		/* The device's reference, dropped when the queue finally goes. */
		sock_hold(&mfile->sk);

	WRITE_ONCE(mfile->queue_index, mt->numqueues);
	WRITE_ONCE(mfile->sk.sk_shutdown, mfile->sk.sk_shutdown & ~RCV_SHUTDOWN);

	if (publish)
		rcu_assign_pointer(mfile->mt, mt);
	rcu_assign_pointer(mt->queues[mt->numqueues], mfile);
	/* after the slot: ndo_select_queue picks below numqueues */
	WRITE_ONCE(mt->numqueues, mt->numqueues + 1);

	return 0;
}

/*
 * Take mfile off the device: for good when the file closes (clean), or onto
 * the disabled list for TUNSETQUEUE's IFF_DETACH_QUEUE. The last queue moves
 * into the hole, so queues[] stays dense and equal to real_num_tx_queues.
 * A device whose last file closes goes too, unless it is persistent.
 */
void minitun_queue_detach(struct minitun_file *mfile, bool clean)
{
	struct minitun *mt = rtnl_dereference(mfile->mt);
	struct minitun_file *last;

	ASSERT_RTNL();

	if (mt && !mfile->detached) {
		last = rtnl_dereference(mt->queues[mt->numqueues - 1]);
		rcu_assign_pointer(mt->queues[mfile->queue_index], last);
		WRITE_ONCE(last->queue_index, mfile->queue_index);
		/* before the slot goes: ndo_select_queue stops picking it */
		WRITE_ONCE(mt->numqueues, mt->numqueues - 1);
		RCU_INIT_POINTER(mt->queues[mt->numqueues], NULL);

		if (clean) {
			RCU_INIT_POINTER(mfile->mt, NULL);
			sock_put(&mfile->sk);
		} else {
			minitun_queue_disable(mt, mfile);
		}

		/* No xmit can still be producing into mfile's ring. */
		synchronize_net();
		minitun_queue_purge(mfile);
		minitun_set_real_num_queues(mt, mt->numqueues);
	} else if (mt && clean) {
		minitun_queue_enable(mfile);
		RCU_INIT_POINTER(mfile->mt, NULL);
		sock_put(&mfile->sk);
	}

	if (!clean)
		return;

	if (mt && !mt->numqueues && !mt->numdisabled) {
		netif_carrier_off(mt->dev);
		if (!(mt->flags & IFF_PERSIST) &&
		    mt->dev->reg_state == NETREG_REGISTERED)
			unregister_netdevice(mt->dev);
	}
	ptr_ring_cleanup(&mfile->tx_ring, minitun_ring_drop);
}

/* Wake mfile's blocked readers and tell them the device is gone. */
static void minitun_queue_shutdown(struct minitun_file *mfile)
{
	WRITE_ONCE(mfile->sk.sk_shutdown, RCV_SHUTDOWN);
	mfile->sk.sk_data_ready(&mfile->sk);
	RCU_INIT_POINTER(mfile->mt, NULL);
}

/* The device is being unregistered (ndo_uninit) with files still open. */
void minitun_queue_detach_all(struct minitun *mt)
{
	struct minitun_file *mfile, *tmp;
	unsigned int i;

	ASSERT_RTNL();

	for (i = 0; i < mt->numqueues; i++)
		minitun_queue_shutdown(rtnl_dereference(mt->queues[i]));
	list_for_each_entry(mfile, &mt->disabled, next)
		minitun_queue_shutdown(mfile);

	/* Readers now see no device; none can still be inside xmit either. */
	synchronize_net();

	for (i = 0; i < mt->numqueues; i++) {
		mfile = rtnl_dereference(mt->queues[i]);
		RCU_INIT_POINTER(mt->queues[i], NULL);
		minitun_queue_purge(mfile);
		sock_put(&mfile->sk);
	}
	WRITE_ONCE(mt->numqueues, 0);

	list_for_each_entry_safe(mfile, tmp, &mt->disabled, next) {
		minitun_queue_enable(mfile);
		minitun_queue_purge(mfile);
		sock_put(&mfile->sk);
	}

	if (mt->flags & IFF_PERSIST)
		module_put(THIS_MODULE);
}

/*
 * NETDEV_CHANGE_TX_QUEUE_LEN: every ring, attached or detached, follows
 * dev->tx_queue_len. Queued skbs move to the new rings; those that no longer
 * fit are dropped and counted, never leaked.
 */
int minitun_queue_resize(struct minitun *mt)
{
	unsigned int n = mt->numqueues + mt->numdisabled;
	struct minitun_file *mfile;
	struct ptr_ring **rings;
	unsigned int i;
	int err;

	ASSERT_RTNL();

	if (!n)
		return 0;

	rings = kmalloc_array(n, sizeof(*rings), GFP_KERNEL);
	if (!rings)
		return -ENOMEM;

	for (i = 0; i < mt->numqueues; i++) {
		mfile = rtnl_dereference(mt->queues[i]);
		rings[i] = &mfile->tx_ring;
	}
	list_for_each_entry(mfile, &mt->disabled, next)
		rings[i++] = &mfile->tx_ring;

	err = ptr_ring_resize_multiple_bh(rings, n, mt->dev->tx_queue_len,
					  GFP_KERNEL, minitun_ring_drop_resized);
	kfree(rings);
	return err;
}
