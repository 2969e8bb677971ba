// SPDX-License-Identifier: GPL-2.0
/*
 * The net device side: what the stack sees. minitun_net_xmit() is where a
 * packet leaves the stack: it goes onto the ring of the queue's file, and
 * that file's reader is woken with sk_data_ready().
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/if_arp.h>
#include <linux/if_tun.h>
#include <linux/security.h>
#include <net/ip_tunnels.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/rtnetlink.h>

#include "minitun.h"
#include "trace.h"

#define MINITUN_MIN_MTU	68
#define MINITUN_MAX_MTU	65535

/*
 * ptr_ring_produce(), plus what the tracepoint and ethtool want to know,
 * taken under the producer lock that the produce itself needs. The enqueue
 * event fires before the produce: from the produce on, a reader may take
 * the skb and free it.
 */
static int minitun_ring_produce(struct minitun_file *mfile,
				struct sk_buff *skb, u16 queue, bool *sleeping)
{
	struct minitun_tx_stats *stats = &mfile->tx_stats;
	struct ptr_ring *ring = &mfile->tx_ring;
	u32 occupancy;
	int err = 0;

	spin_lock(&ring->producer_lock);
	/* __ptr_ring_produce()'s own test, so that it cannot fail below */
	if (unlikely(!ring->size || __ptr_ring_full(ring))) {
		err = -ENOSPC;
	} else {
		occupancy = minitun_ring_occupancy(ring, ring->producer,
						   READ_ONCE(ring->consumer_head)) + 1;
		trace_minitun_enqueue(skb, queue, occupancy, ring->size);
		__ptr_ring_produce(ring, skb);
	}

	u64_stats_update_begin(&stats->syncp);
	if (err) {
		u64_stats_inc(&stats->drop_full);
	} else {
		if (occupancy > u64_stats_read(&stats->high_water))
			u64_stats_set(&stats->high_water, occupancy);
		u64_stats_inc(&stats->enqueued);
		/*
		 * An unordered peek, for the counters and the tracepoint only:
		 * sock_def_readable() does the ordered check before waking.
		 */
		*sleeping = waitqueue_active(&mfile->socket.wq.wait);
		if (*sleeping)
			u64_stats_inc(&stats->wakeups);
	}
	u64_stats_update_end(&stats->syncp);

	spin_unlock(&ring->producer_lock);
	return err;
}

/* skb is only an address here, the tracer's key: it may be freed already. */
static void minitun_wake_reader(struct minitun_file *mfile, const void *skb,
				u16 queue, bool sleeping)
{
	trace_minitun_wake(skb, queue, sleeping);
	if (mfile->flags & MINITUN_FASYNC)
		kill_fasync(&mfile->fasync, SIGIO, POLL_IN);
	mfile->sk.sk_data_ready(&mfile->sk);
}

/* The flow hash scaled to numqueues, as tun_automq_select_queue(). */
static u16 minitun_pick_queue(struct minitun *mt, struct sk_buff *skb)
{
	u32 numqueues = READ_ONCE(mt->numqueues);

	if (numqueues <= 1)
		return 0;
	return ((u64)skb_get_hash(skb) * numqueues) >> 32;
}

/*
 * A queue among those attached now. The core's own pick hashes over
 * real_num_tx_queues (or reuses a socket's cached queue below it), which
 * shrinks only once a detaching queue's synchronize_net() is over: until
 * then a share of the flows would go to the vacated index and be dropped
 * for want of a reader. The core's pick is kept when it is below
 * numqueues, as it spares a socket's packets the flow dissector; the rest
 * hash as tun_select_queue() does.
 */
static u16 minitun_select_queue(struct net_device *dev, struct sk_buff *skb,
				struct net_device *sb_dev)
{
	struct minitun *mt = netdev_priv(dev);
	u16 queue = netdev_pick_tx(dev, skb, sb_dev);

	if (likely(queue < READ_ONCE(mt->numqueues)))
		return queue;
	return minitun_pick_queue(mt, skb);
}

/*
 * A detach emptied the slot picked for skb since: numqueues went down
 * before the slot was emptied, and the queues below it are dense, so
 * pick again. NULL: no queue left, or missed again; xmit counts it.
 */
static struct minitun_file *minitun_repick_queue(struct minitun *mt,
						 struct sk_buff *skb, u16 *queue)
{
	*queue = minitun_pick_queue(mt, skb);
	skb_set_queue_mapping(skb, *queue);
	return rcu_dereference(mt->queues[*queue]);
}

/*
 * Never NETDEV_TX_BUSY: a full ring drops, as tun's does, with the reason
 * in skb:kfree_skb and the count in tx_dropped. Lockless (lltx):
 * the ring's producer lock is the only one taken.
 */
static netdev_tx_t minitun_net_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct minitun *mt = netdev_priv(dev);
	u16 queue = skb_get_queue_mapping(skb);
	enum skb_drop_reason reason;
	struct minitun_file *mfile;
	bool sleeping;

	trace_minitun_xmit(skb, queue);

	rcu_read_lock();
	mfile = rcu_dereference(mt->queues[queue]);
	if (unlikely(!mfile))
		mfile = minitun_repick_queue(mt, skb, &queue);
	if (!mfile) {
		atomic64_inc(&mt->drop_no_reader);
		reason = SKB_DROP_REASON_DEV_READY;
		goto drop;
	}

	/*
	 * A zerocopy skb's frags are its sender's pages, and the sender hears
	 * it may reuse them only once the skb is gone: copy them now, as tun
	 * does, so that an unread ring holds neither.
	 */
	if (unlikely(skb_orphan_frags_rx(skb, GFP_ATOMIC))) {
		reason = SKB_DROP_REASON_SKB_UCOPY_FAULT;
		goto drop;
	}

	skb_tx_timestamp(skb);
	/* The reader may keep the skb for as long as it likes: let go of
	 * the sender's socket and the conntrack entry now.
	 */
	skb_orphan(skb);
	nf_reset_ct(skb);

	if (minitun_ring_produce(mfile, skb, queue, &sleeping)) {
		reason = SKB_DROP_REASON_FULL_RING;
		goto drop;
	}

	/* lltx leaves trans_start to us. */
	txq_trans_cond_update(netdev_get_tx_queue(dev, queue));

	/* The reader may have freed the skb already: only its address goes on. */
	minitun_wake_reader(mfile, skb, queue, sleeping);

	rcu_read_unlock();
	return NETDEV_TX_OK;

drop:
	trace_minitun_drop(skb, queue, reason);
	dev_core_stats_tx_dropped_inc(dev);
	skb_tx_error(skb);
	kfree_skb_reason(skb, reason);
	rcu_read_unlock();
	return NET_XMIT_DROP;
}

static int minitun_net_init(struct net_device *dev)
{
	struct minitun *mt = netdev_priv(dev);
	int err;

	dev->tstats = netdev_alloc_pcpu_stats(struct pcpu_sw_netstats);
	if (!dev->tstats)
		return -ENOMEM;

	err = security_tun_dev_alloc_security(&mt->security);
	if (err)
		goto free_stats;

	dev->hw_features = NETIF_F_SG | NETIF_F_FRAGLIST;
	dev->features = dev->hw_features;
	dev->vlan_features = dev->features;
	minitun_set_lltx(dev);

	err = gro_cells_init(&mt->gro_cells, dev);
	if (err)
		goto free_security;

	/* The creating file is the first queue, before anyone can see the
	 * device; on failure register_netdevice() undoes only ndo_init.
	 */
	err = minitun_queue_attach(mt, mt->creator, false);
	if (err)
		goto destroy_cells;
	return 0;

destroy_cells:
	gro_cells_destroy(&mt->gro_cells);
free_security:
	security_tun_dev_free_security(mt->security);
free_stats:
	free_percpu(dev->tstats);
	dev->tstats = NULL;
	return err;
}

/* Unregistering with files still open: they lose the device. */
static void minitun_net_uninit(struct net_device *dev)
{
	struct minitun *mt = netdev_priv(dev);

	minitun_queue_detach_all(mt);
	/*
	 * A writer still holding the device finds it down: gro_cells_receive()
	 * drops unless IFF_UP, read under RCU, and unregistering closed the
	 * device and waited for RCU readers before calling us.
	 */
	gro_cells_destroy(&mt->gro_cells);
}

static int minitun_net_open(struct net_device *dev)
{
	netif_tx_start_all_queues(dev);
	return 0;
}

static int minitun_net_stop(struct net_device *dev)
{
	netif_tx_stop_all_queues(dev);
	return 0;
}

/* Carrier can only come on while a reader is attached (tun: -EPERM). */
int minitun_net_change_carrier(struct net_device *dev, bool new_carrier)
{
	struct minitun *mt = netdev_priv(dev);

	ASSERT_RTNL();
	if (!new_carrier) {
		netif_carrier_off(dev);
		return 0;
	}
	if (!mt->numqueues)
		return -EPERM;
	netif_carrier_on(dev);
	return 0;
}

static const struct net_device_ops minitun_tun_netdev_ops = {
	.ndo_init		= minitun_net_init,
	.ndo_uninit		= minitun_net_uninit,
	.ndo_open		= minitun_net_open,
	.ndo_stop		= minitun_net_stop,
	.ndo_start_xmit		= minitun_net_xmit,
	.ndo_select_queue	= minitun_select_queue,
	.ndo_get_stats64	= dev_get_tstats64,
	.ndo_change_carrier	= minitun_net_change_carrier,
};

static const struct net_device_ops minitun_tap_netdev_ops = {
	.ndo_init		= minitun_net_init,
	.ndo_uninit		= minitun_net_uninit,
	.ndo_open		= minitun_net_open,
	.ndo_stop		= minitun_net_stop,
	.ndo_start_xmit		= minitun_net_xmit,
	.ndo_select_queue	= minitun_select_queue,
	.ndo_get_stats64	= dev_get_tstats64,
	.ndo_change_carrier	= minitun_net_change_carrier,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_validate_addr	= eth_validate_addr,
	.ndo_features_check	= passthru_features_check,
};

bool minitun_net_is_ours(const struct net_device *dev, unsigned int type)
{
	if (type == IFF_TUN)
		return dev->netdev_ops == &minitun_tun_netdev_ops;
	return dev->netdev_ops == &minitun_tap_netdev_ops;
}

/* ethtool: per-queue counters, read without the ring locks. */

static const char minitun_queue_stat_names[][ETH_GSTRING_LEN] = {
	"enqueued", "drop_full", "wakeups", "high_water", "dequeued",
};

static const char minitun_dev_stat_names[][ETH_GSTRING_LEN] = {
	"tx_drop_no_reader", "tx_drop_purged",
};

#define MINITUN_QUEUE_STATS	ARRAY_SIZE(minitun_queue_stat_names)
#define MINITUN_DEV_STATS	ARRAY_SIZE(minitun_dev_stat_names)

static void minitun_get_drvinfo(struct net_device *dev,
				struct ethtool_drvinfo *info)
{
	struct minitun *mt = netdev_priv(dev);

	strscpy(info->driver, DRV_NAME, sizeof(info->driver));
	strscpy(info->version, DRV_VERSION, sizeof(info->version));
	strscpy(info->bus_info, minitun_is_tap(mt->flags) ? "tap" : "tun",
		sizeof(info->bus_info));
}

static int minitun_get_sset_count(struct net_device *dev, int sset)
{
	struct minitun *mt = netdev_priv(dev);

	/* numqueues: rtnl, which ethtool holds across the next two calls */
	ASSERT_RTNL();
	if (sset != ETH_SS_STATS)
		return -EOPNOTSUPP;
	return MINITUN_DEV_STATS + mt->numqueues * MINITUN_QUEUE_STATS;
}

static void minitun_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	struct minitun *mt = netdev_priv(dev);
	unsigned int q, i;

	if (sset != ETH_SS_STATS)
		return;

	for (i = 0; i < MINITUN_DEV_STATS; i++)
		ethtool_puts(&data, minitun_dev_stat_names[i]);
	for (q = 0; q < mt->numqueues; q++)
		for (i = 0; i < MINITUN_QUEUE_STATS; i++)
			ethtool_sprintf(&data, "tx_queue_%u_%s", q,
					minitun_queue_stat_names[i]);
}

static void minitun_read_queue_stats(struct minitun_file *mfile, u64 *data)
{
	const struct minitun_tx_stats *tx = &mfile->tx_stats;
	const struct minitun_rx_stats *rx = &mfile->rx_stats;
	unsigned int start;

	do {
		start = u64_stats_fetch_begin(&tx->syncp);
		data[0] = u64_stats_read(&tx->enqueued);
		data[1] = u64_stats_read(&tx->drop_full);
		data[2] = u64_stats_read(&tx->wakeups);
		data[3] = u64_stats_read(&tx->high_water);
	} while (u64_stats_fetch_retry(&tx->syncp, start));

	do {
		start = u64_stats_fetch_begin(&rx->syncp);
		data[4] = u64_stats_read(&rx->dequeued);
	} while (u64_stats_fetch_retry(&rx->syncp, start));
}

/* ethtool calls get_sset_count() and this under one rtnl_lock. */
static void minitun_get_ethtool_stats(struct net_device *dev,
				      struct ethtool_stats *stats, u64 *data)
{
	struct minitun *mt = netdev_priv(dev);
	unsigned int q;

	ASSERT_RTNL();
	*data++ = atomic64_read(&mt->drop_no_reader);
	*data++ = atomic64_read(&mt->drop_purged);
	for (q = 0; q < mt->numqueues; q++, data += MINITUN_QUEUE_STATS)
		minitun_read_queue_stats(rtnl_dereference(mt->queues[q]), data);
}

/*
 * tun's made-up link: its speed (compat.h), full duplex, until someone
 * sets another, which is kept and reported back; nothing depends on it.
 */
static void minitun_default_link_ksettings(struct ethtool_link_ksettings *cmd)
{
	ethtool_link_ksettings_zero_link_mode(cmd, supported);
	ethtool_link_ksettings_zero_link_mode(cmd, advertising);
	cmd->base.speed = MINITUN_LINK_SPEED;
	cmd->base.duplex = DUPLEX_FULL;
	cmd->base.port = PORT_TP;
	cmd->base.phy_address = 0;
	cmd->base.autoneg = AUTONEG_DISABLE;
}

/* Both under rtnl_lock, as every ethtool op. */
static int minitun_get_link_ksettings(struct net_device *dev,
				      struct ethtool_link_ksettings *cmd)
{
	struct minitun *mt = netdev_priv(dev);

	ASSERT_RTNL();
	memcpy(cmd, &mt->link_ksettings, sizeof(*cmd));
	return 0;
}

static int minitun_set_link_ksettings(struct net_device *dev,
				      const struct ethtool_link_ksettings *cmd)
{
	struct minitun *mt = netdev_priv(dev);

	ASSERT_RTNL();
	memcpy(&mt->link_ksettings, cmd, sizeof(*cmd));
	return 0;
}

static const struct ethtool_ops minitun_ethtool_ops = {
	.get_drvinfo		= minitun_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_link_ksettings	= minitun_get_link_ksettings,
	.set_link_ksettings	= minitun_set_link_ksettings,
	.get_ts_info		= ethtool_op_get_ts_info,
	.get_sset_count		= minitun_get_sset_count,
	.get_strings		= minitun_get_strings,
	.get_ethtool_stats	= minitun_get_ethtool_stats,
};

/* sysfs: tun's attributes, for tools that read a device's flags and owner. */

static ssize_t tun_flags_show(struct device *d, struct device_attribute *attr,
			      char *buf)
{
	struct minitun *mt = netdev_priv(to_net_dev(d));

	return sysfs_emit(buf, "0x%x\n", READ_ONCE(mt->flags));
}

static ssize_t owner_show(struct device *d, struct device_attribute *attr,
			  char *buf)
{
	struct minitun *mt = netdev_priv(to_net_dev(d));

	if (!uid_valid(mt->owner))
		return sysfs_emit(buf, "-1\n");
	return sysfs_emit(buf, "%u\n",
			  from_kuid_munged(current_user_ns(), mt->owner));
}

static ssize_t group_show(struct device *d, struct device_attribute *attr,
			  char *buf)
{
	struct minitun *mt = netdev_priv(to_net_dev(d));

	if (!gid_valid(mt->group))
		return sysfs_emit(buf, "-1\n");
	return sysfs_emit(buf, "%u\n",
			  from_kgid_munged(current_user_ns(), mt->group));
}

static DEVICE_ATTR_RO(tun_flags);
static DEVICE_ATTR_RO(owner);
static DEVICE_ATTR_RO(group);

static struct attribute *minitun_attrs[] = {
	&dev_attr_tun_flags.attr,
	&dev_attr_owner.attr,
	&dev_attr_group.attr,
	NULL
};

const struct attribute_group minitun_attr_group = {
	.attrs = minitun_attrs,
};

/* rtnetlink: enough for `ip link del` and `ip -d link show`. */

static void minitun_net_free(struct net_device *dev)
{
	struct minitun *mt = netdev_priv(dev);

	security_tun_dev_free_security(mt->security);
	free_percpu(dev->tstats);
}

static void minitun_net_setup(struct net_device *dev)
{
	struct minitun *mt = netdev_priv(dev);

	mt->dev = dev;
	mt->owner = INVALID_UID;
	mt->group = INVALID_GID;
	INIT_LIST_HEAD(&mt->disabled);
	minitun_default_link_ksettings(&mt->link_ksettings);

	dev->ethtool_ops = &minitun_ethtool_ops;
	dev->needs_free_netdev = true;
	dev->priv_destructor = minitun_net_free;
	dev->tx_queue_len = MINITUN_RING_SIZE;
}

static int minitun_net_validate(struct nlattr *tb[], struct nlattr *data[],
				struct netlink_ext_ack *extack)
{
	NL_SET_ERR_MSG(extack,
		       "minitun devices are created with TUNSETIFF on /dev/minitun, not rtnetlink");
	return -EOPNOTSUPP;
}

static size_t minitun_net_get_size(const struct net_device *dev)
{
	return nla_total_size(sizeof(u32)) +	/* OWNER */
	       nla_total_size(sizeof(u32)) +	/* GROUP */
	       nla_total_size(sizeof(u8)) +	/* TYPE */
	       nla_total_size(sizeof(u8)) +	/* PI */
	       nla_total_size(sizeof(u8)) +	/* VNET_HDR */
	       nla_total_size(sizeof(u8)) +	/* PERSIST */
	       nla_total_size(sizeof(u8)) +	/* MULTI_QUEUE */
	       nla_total_size(sizeof(u32)) +	/* NUM_QUEUES */
	       nla_total_size(sizeof(u32));	/* NUM_DISABLED_QUEUES */
}

/*
 * tun's attributes, as tun_fill_info() puts them, for tools that read
 * IFLA_INFO_DATA: VNET_HDR always (minitun refuses it: off), the queue
 * counts only for a multi-queue device.
 */
static int minitun_net_fill_info(struct sk_buff *skb,
				 const struct net_device *dev)
{
	const struct minitun *mt = netdev_priv(dev);
	unsigned int flags = READ_ONCE(mt->flags);

	if (nla_put_u8(skb, IFLA_TUN_TYPE, flags & MINITUN_TYPE_MASK))
		return -EMSGSIZE;
	if (uid_valid(mt->owner) &&
	    nla_put_u32(skb, IFLA_TUN_OWNER,
			from_kuid_munged(current_user_ns(), mt->owner)))
		return -EMSGSIZE;
	if (gid_valid(mt->group) &&
	    nla_put_u32(skb, IFLA_TUN_GROUP,
			from_kgid_munged(current_user_ns(), mt->group)))
		return -EMSGSIZE;
	if (nla_put_u8(skb, IFLA_TUN_PI, !(flags & IFF_NO_PI)) ||
	    nla_put_u8(skb, IFLA_TUN_VNET_HDR, !!(flags & IFF_VNET_HDR)) ||
	    nla_put_u8(skb, IFLA_TUN_PERSIST, !!(flags & IFF_PERSIST)) ||
	    nla_put_u8(skb, IFLA_TUN_MULTI_QUEUE, !!(flags & IFF_MULTI_QUEUE)))
		return -EMSGSIZE;
	if ((flags & IFF_MULTI_QUEUE) &&
	    (nla_put_u32(skb, IFLA_TUN_NUM_QUEUES, mt->numqueues) ||
	     nla_put_u32(skb, IFLA_TUN_NUM_DISABLED_QUEUES, mt->numdisabled)))
		return -EMSGSIZE;
	return 0;
}

struct rtnl_link_ops minitun_link_ops __read_mostly = {
	.kind		= DRV_NAME,
	.priv_size	= sizeof(struct minitun),
	.setup		= minitun_net_setup,
	.validate	= minitun_net_validate,
	.get_size	= minitun_net_get_size,
	.fill_info	= minitun_net_fill_info,
};

static void minitun_net_setup_tun(struct net_device *dev)
{
	dev->netdev_ops = &minitun_tun_netdev_ops;
	/* lets packet sockets on the device find the protocol */
	dev->header_ops = &ip_tunnel_header_ops;
	dev->hard_header_len = 0;
	dev->addr_len = 0;
	dev->mtu = ETH_DATA_LEN;
	dev->type = ARPHRD_NONE;
	dev->flags = IFF_POINTOPOINT | IFF_NOARP | IFF_MULTICAST;
}

static void minitun_net_setup_tap(struct net_device *dev)
{
	dev->netdev_ops = &minitun_tap_netdev_ops;
	ether_setup(dev);
	/* the ring keeps the skb: it cannot be shared between transmits */
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	dev->priv_flags |= IFF_LIVE_ADDR_CHANGE;
	eth_hw_addr_random(dev);
}

/* A new, unregistered device of type flags (IFF_TUN or IFF_TAP). */
struct net_device *minitun_net_alloc(const char *name, unsigned int flags)
{
	unsigned int queues = flags & IFF_MULTI_QUEUE ? MINITUN_MAX_QUEUES : 1;
	struct net_device *dev;
	struct minitun *mt;

	dev = alloc_netdev_mqs(sizeof(*mt), name, NET_NAME_UNKNOWN,
			       minitun_net_setup, queues, queues);
	if (!dev)
		return NULL;

	mt = netdev_priv(dev);
	mt->flags = flags;
	dev->rtnl_link_ops = &minitun_link_ops;
	dev->sysfs_groups[0] = &minitun_attr_group;

	if (minitun_is_tap(flags))
		minitun_net_setup_tap(dev);
	else
		minitun_net_setup_tun(dev);
	/*
	 * No qdisc by default, as veth and loopback: the ring is the queue,
	 * and it is never stopped (a full ring drops, as tun's does), so a
	 * qdisc in front of it could never hold a packet, only cost one.
	 * tc can still add one.
	 */
	dev->priv_flags |= IFF_NO_QUEUE;
	dev->min_mtu = MINITUN_MIN_MTU;
	dev->max_mtu = MINITUN_MAX_MTU - dev->hard_header_len;

	return dev;
}
