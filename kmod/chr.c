// SPDX-License-Identifier: GPL-2.0
/*
 * The char device side: what user space sees of /dev/minitun. Each open()
 * makes a minitun_file; TUNSETIFF makes it a queue of a new or existing
 * device; read() takes packets off its ring, write() hands packets to the
 * stack. The ioctls and their errors are tun's (drivers/net/tun.c).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/etherdevice.h>
#include <linux/if_tun.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/rtnetlink.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/skbuff.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "minitun.h"
#include "trace.h"

static struct proto minitun_proto = {
	.name		= DRV_NAME,
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct minitun_file),
};

/* The read path */

/* ptr_ring_consume(), with the occupancy it leaves and the reader's count. */
static struct sk_buff *minitun_ring_consume(struct minitun_file *mfile,
					    u32 *occupancy)
{
	struct minitun_rx_stats *stats = &mfile->rx_stats;
	struct ptr_ring *ring = &mfile->tx_ring;
	struct sk_buff *skb;

	spin_lock(&ring->consumer_lock);
	skb = __ptr_ring_consume(ring);
	if (skb) {
		*occupancy = minitun_ring_occupancy(ring, READ_ONCE(ring->producer),
						    ring->consumer_head);
		u64_stats_update_begin(&stats->syncp);
		u64_stats_inc(&stats->dequeued);
		u64_stats_update_end(&stats->syncp);
	}
	spin_unlock(&ring->consumer_lock);

	return skb;
}

/*
 * Wait for a packet on the socket's wait queue, which xmit's
 * sk_data_ready() wakes. A deleted device wakes us with RCV_SHUTDOWN;
 * tun answers that with -EFAULT, and so do we.
 */
static struct sk_buff *minitun_ring_recv(struct minitun_file *mfile,
					 bool noblock, u32 *occupancy, int *err)
{
	DECLARE_WAITQUEUE(wait, current);
	struct sk_buff *skb;

	*err = 0;
	skb = minitun_ring_consume(mfile, occupancy);
	if (skb)
		return skb;
	if (noblock) {
		*err = -EAGAIN;
		return NULL;
	}

	add_wait_queue(&mfile->socket.wq.wait, &wait);
	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		skb = minitun_ring_consume(mfile, occupancy);
		if (skb)
			break;
		if (signal_pending(current)) {
			*err = -ERESTARTSYS;
			break;
		}
		if (READ_ONCE(mfile->sk.sk_shutdown) & RCV_SHUTDOWN) {
			*err = -EFAULT;
			break;
		}
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	remove_wait_queue(&mfile->socket.wq.wait, &wait);

	return skb;
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
		if (iov_iter_count(to) < sizeof(pi))
			return -EINVAL;
		total += sizeof(pi);
		if (iov_iter_count(to) < total)
			pi.flags |= TUN_PKT_STRIP;
		if (copy_to_iter(&pi, sizeof(pi), to) != sizeof(pi))
			return -EFAULT;
	}

	/* Stops quietly where the buffer ends. */
	skb_copy_datagram_iter(skb, 0, to, skb->len);

	preempt_disable();
	dev_sw_netstats_tx_add(mt->dev, 1, skb->len);
	preempt_enable();

	return total;
}

static ssize_t minitun_do_read(struct minitun *mt, struct minitun_file *mfile,
			       struct iov_iter *to, bool noblock)
{
	size_t len = iov_iter_count(to);
	struct sk_buff *skb;
	u32 occupancy;
	ssize_t ret;
	int err;

	if (!len)
		return 0;

	skb = minitun_ring_recv(mfile, noblock, &occupancy, &err);
	if (!skb)
		return err;
	trace_minitun_dequeue(skb, mfile->queue_index, occupancy);

	ret = minitun_put_user(mt, skb, to);
	if (unlikely(ret < 0)) {
		kfree_skb(skb);
		return ret;
	}
	trace_minitun_copy(skb, mfile->queue_index, min_t(size_t, ret, len), 1);
	consume_skb(skb);
	return ret;
}

static ssize_t minitun_chr_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct minitun_file *mfile = iocb->ki_filp->private_data;
	ssize_t len = iov_iter_count(to), ret;
	struct minitun *mt;
	bool noblock;

	mt = minitun_get(mfile);
	if (!mt)
		return -EBADFD;

	noblock = (iocb->ki_filp->f_flags & O_NONBLOCK) ||
		  (iocb->ki_flags & IOCB_NOWAIT);
	ret = minitun_do_read(mt, mfile, to, noblock);
	ret = min_t(ssize_t, ret, len);
	if (ret > 0)
		iocb->ki_pos = ret;

	minitun_put(mt);
	return ret;
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
 * Build an skb from one write() and hand it to the stack in the writer's
 * context, as tun does by default. Errors are tun's: -EINVAL for what
 * cannot be a packet, -EIO when the interface is down, both counted in
 * rx_dropped.
 */
static ssize_t minitun_get_user(struct minitun *mt, struct minitun_file *mfile,
				struct iov_iter *from, bool noblock)
{
	struct tun_pi pi = { 0, cpu_to_be16(ETH_P_IP) };
	unsigned int flags = READ_ONCE(mt->flags);
	size_t total = iov_iter_count(from);
	enum skb_drop_reason reason;
	size_t prepad = NET_SKB_PAD;
	struct net_device *dev = mt->dev;
	size_t len = total;
	struct sk_buff *skb;
	int err;

	if (!(flags & IFF_NO_PI)) {
		if (len < sizeof(pi))
			return -EINVAL;
		len -= sizeof(pi);
		if (!copy_from_iter_full(&pi, sizeof(pi), from))
			return -EFAULT;
	}

	if (minitun_is_tap(flags)) {
		if (len < ETH_HLEN)
			return -EINVAL;
		prepad += NET_IP_ALIGN;
	}

	skb = minitun_alloc_skb(mfile, prepad, len, noblock);
	if (IS_ERR(skb)) {
		err = PTR_ERR(skb);
		skb = NULL;
		reason = SKB_DROP_REASON_NOMEM;
		goto drop;
	}

	if (skb_copy_datagram_from_iter(skb, 0, from, len)) {
		err = -EFAULT;
		reason = SKB_DROP_REASON_SKB_UCOPY_FAULT;
		goto drop;
	}

	if (minitun_is_tap(flags)) {
		skb->protocol = eth_type_trans(skb, dev);
	} else {
		if (flags & IFF_NO_PI) {
			err = minitun_ip_proto(skb, &pi.proto);
			if (err) {
				reason = SKB_DROP_REASON_NOT_SPECIFIED;
				goto drop;
			}
		}
		skb_reset_mac_header(skb);
		skb->protocol = pi.proto;
		skb->dev = dev;
	}

	skb_reset_network_header(skb);
	skb_probe_transport_header(skb);
	skb_record_rx_queue(skb, mfile->queue_index);

	if (unlikely(!(dev->flags & IFF_UP))) {
		err = -EIO;
		reason = SKB_DROP_REASON_DEV_READY;
		goto drop;
	}

	trace_minitun_inject(skb, mfile->queue_index);
	local_bh_disable();
	netif_receive_skb(skb);
	local_bh_enable();

	preempt_disable();
	dev_sw_netstats_rx_add(dev, len);
	preempt_enable();

	return total;

drop:
	if (err != -EAGAIN)
		dev_core_stats_rx_dropped_inc(dev);
	if (skb)
		kfree_skb_reason(skb, reason);
	return err;
}

static ssize_t minitun_chr_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct minitun_file *mfile = iocb->ki_filp->private_data;
	struct minitun *mt;
	bool noblock;
	ssize_t ret;

	mt = minitun_get(mfile);
	if (!mt)
		return -EBADFD;

	noblock = (iocb->ki_filp->f_flags & O_NONBLOCK) ||
		  (iocb->ki_flags & IOCB_NOWAIT);
	ret = minitun_get_user(mt, mfile, from, noblock);

	minitun_put(mt);
	return ret;
}

/* poll */

static bool minitun_writeable(struct minitun *mt, struct minitun_file *mfile)
{
	return (mt->dev->flags & IFF_UP) && sock_writeable(&mfile->sk);
}

static __poll_t minitun_chr_poll(struct file *file, poll_table *wait)
{
	struct minitun_file *mfile = file->private_data;
	struct sock *sk = &mfile->sk;
	struct minitun *mt;
	__poll_t mask = 0;

	mt = minitun_get(mfile);
	if (!mt)
		return EPOLLERR;

	poll_wait(file, sk_sleep(sk), wait);

	if (!ptr_ring_empty(&mfile->tx_ring))
		mask |= EPOLLIN | EPOLLRDNORM;

	/*
	 * Not writeable: mark the socket so that minitun_sock_write_space()
	 * raises EPOLLOUT when the device comes up, then look again in case
	 * it came up in between.
	 */
	if (minitun_writeable(mt, mfile) ||
	    (!test_and_set_bit(SOCKWQ_ASYNC_NOSPACE, &sk->sk_socket->flags) &&
	     minitun_writeable(mt, mfile)))
		mask |= EPOLLOUT | EPOLLWRNORM;

	if (mt->dev->reg_state != NETREG_REGISTERED)
		mask = EPOLLERR;

	minitun_put(mt);
	return mask;
}

/* sk_write_space: the notifier calls it on NETDEV_UP. */
static void minitun_sock_write_space(struct sock *sk)
{
	struct minitun_file *mfile = container_of(sk, struct minitun_file, sk);
	wait_queue_head_t *wqueue;

	if (!sock_writeable(sk))
		return;
	if (!test_and_clear_bit(SOCKWQ_ASYNC_NOSPACE, &sk->sk_socket->flags))
		return;

	wqueue = sk_sleep(sk);
	/* Ordered by test_and_clear_bit() above, a full barrier that pairs
	 * with the test_and_set_bit() in minitun_chr_poll().
	 */
	if (wqueue && waitqueue_active(wqueue))
		wake_up_interruptible_sync_poll(wqueue, EPOLLOUT | EPOLLWRNORM |
						EPOLLWRBAND);
	kill_fasync(&mfile->fasync, SIGIO, POLL_OUT);
}

/* ioctl */

/* tun_not_capable(): owner and group are checked against the effective ids. */
static bool minitun_not_capable(struct minitun *mt)
{
	const struct cred *cred = current_cred();
	struct net *net = dev_net(mt->dev);

	return ((uid_valid(mt->owner) && !uid_eq(cred->euid, mt->owner)) ||
		(gid_valid(mt->group) && !in_egroup_p(mt->group))) &&
	       !ns_capable(net->user_ns, CAP_NET_ADMIN);
}

/* Attach to an existing device of ours, as tun_set_iff() does. */
static int minitun_attach_existing(struct net_device *dev,
				   struct minitun_file *mfile,
				   struct ifreq *ifr)
{
	unsigned int type = ifr->ifr_flags & IFF_TUN ? IFF_TUN : IFF_TAP;
	struct minitun *mt = netdev_priv(dev);
	int err;

	if (ifr->ifr_flags & IFF_TUN_EXCL)
		return -EBUSY;
	if (!(ifr->ifr_flags & MINITUN_TYPE_MASK) ||
	    !minitun_net_is_ours(dev, type))
		return -EINVAL;
	if (!!(ifr->ifr_flags & IFF_MULTI_QUEUE) != !!(mt->flags & IFF_MULTI_QUEUE))
		return -EINVAL;
	if (minitun_not_capable(mt))
		return -EPERM;

	err = minitun_queue_attach(mt, mfile, true);
	if (err)
		return err;

	/* The first queue of a persistent device sets its features again. */
	if (mt->numqueues + mt->numdisabled == 1)
		WRITE_ONCE(mt->flags, (mt->flags & ~MINITUN_FEATURES) |
				      (ifr->ifr_flags & MINITUN_FEATURES));
	netdev_state_change(dev);
	return 0;
}

static int minitun_create(struct net *net, struct minitun_file *mfile,
			  struct ifreq *ifr)
{
	unsigned int flags = ifr->ifr_flags & MINITUN_FEATURES;
	struct net_device *dev;
	struct minitun *mt;
	const char *name;
	int err;

	if (!ns_capable(net->user_ns, CAP_NET_ADMIN))
		return -EPERM;

	if (ifr->ifr_flags & IFF_TUN) {
		flags |= IFF_TUN;
		name = "mtun%d";
	} else if (ifr->ifr_flags & IFF_TAP) {
		flags |= IFF_TAP;
		name = "mtap%d";
	} else {
		return -EINVAL;
	}
	if (*ifr->ifr_name)
		name = ifr->ifr_name;

	dev = minitun_net_alloc(name, flags);
	if (!dev)
		return -ENOMEM;
	dev_net_set(dev, net);

	mt = netdev_priv(dev);
	mt->creator = mfile;
	err = register_netdevice(dev);
	mt->creator = NULL;
	if (err) {
		free_netdev(dev);
		return err;
	}
	/* Only now, as in tun: free_netdev() above ignores references. */
	rcu_assign_pointer(mfile->mt, mt);
	return 0;
}

static int minitun_set_iff(struct net *net, struct minitun_file *mfile,
			   struct ifreq *ifr)
{
	struct net_device *dev;
	int err;

	if (mfile->detached)
		return -EINVAL;
	if (ifr->ifr_flags & MINITUN_REFUSED)
		return -EINVAL;

	dev = __dev_get_by_name(net, ifr->ifr_name);
	if (dev)
		err = minitun_attach_existing(dev, mfile, ifr);
	else
		err = minitun_create(net, mfile, ifr);
	if (err)
		return err;

	dev = rtnl_dereference(mfile->mt)->dev;
	if (ifr->ifr_flags & IFF_NO_CARRIER)
		netif_carrier_off(dev);
	else
		netif_carrier_on(dev);
	/* A persistent device's queues may have been left stopped. */
	if (netif_running(dev))
		netif_tx_wake_all_queues(dev);

	/* Clients read the final name back: mtun%d becomes mtun0. */
	strscpy(ifr->ifr_name, dev->name, IFNAMSIZ);
	return 0;
}

static unsigned int minitun_iff_flags(struct minitun *mt,
				      struct minitun_file *mfile)
{
	unsigned int flags = mt->flags & (MINITUN_TYPE_MASK | MINITUN_FEATURES |
					  IFF_PERSIST);

	if (mfile->detached)
		flags |= IFF_DETACH_QUEUE;
	/* tun's "no socket filter attached"; minitun never has one */
	return flags | IFF_NOFILTER;
}

static int minitun_set_queue(struct minitun_file *mfile, struct ifreq *ifr)
{
	struct minitun *mt;
	int err;

	rtnl_lock();
	if (ifr->ifr_flags & IFF_ATTACH_QUEUE) {
		mt = mfile->detached;
		err = mt ? minitun_queue_attach(mt, mfile, true) : -EINVAL;
	} else if (ifr->ifr_flags & IFF_DETACH_QUEUE) {
		mt = rtnl_dereference(mfile->mt);
		if (!mt || !(mt->flags & IFF_MULTI_QUEUE) || mfile->detached) {
			err = -EINVAL;
		} else {
			minitun_queue_detach(mfile, false);
			err = 0;
		}
	} else {
		err = -EINVAL;
	}
	if (!err)
		netdev_state_change(mt->dev);
	rtnl_unlock();
	return err;
}

static void minitun_set_persist(struct minitun *mt, bool persist)
{
	if (persist == !!(mt->flags & IFF_PERSIST))
		return;

	/* A persistent device outlives its files: it pins the module. */
	if (persist) {
		WRITE_ONCE(mt->flags, mt->flags | IFF_PERSIST);
		__module_get(THIS_MODULE);
	} else {
		WRITE_ONCE(mt->flags, mt->flags & ~IFF_PERSIST);
		module_put(THIS_MODULE);
	}
	netdev_state_change(mt->dev);
}

static int minitun_set_sndbuf(struct minitun *mt, int __user *argp)
{
	struct minitun_file *mfile;
	unsigned int i;
	int sndbuf;

	if (copy_from_user(&sndbuf, argp, sizeof(sndbuf)))
		return -EFAULT;
	if (sndbuf <= 0)
		return -EINVAL;

	for (i = 0; i < mt->numqueues; i++) {
		mfile = rtnl_dereference(mt->queues[i]);
		WRITE_ONCE(mfile->sk.sk_sndbuf, sndbuf);
	}
	return 0;
}

/* The ioctls that need an attached file; rtnl_lock held. */
static long minitun_dev_ioctl(struct minitun *mt, struct minitun_file *mfile,
			      unsigned int cmd, unsigned long arg,
			      struct ifreq *ifr, int ifreq_len)
{
	void __user *argp = (void __user *)arg;
	struct net_device *dev = mt->dev;
	unsigned int carrier;
	kuid_t owner;
	kgid_t group;

	switch (cmd) {
	case TUNGETIFF:
		strscpy(ifr->ifr_name, dev->name, IFNAMSIZ);
		ifr->ifr_flags = minitun_iff_flags(mt, mfile);
		return copy_to_user(argp, ifr, ifreq_len) ? -EFAULT : 0;

	case TUNSETPERSIST:
		minitun_set_persist(mt, arg);
		return 0;

	case TUNSETOWNER:
		owner = make_kuid(current_user_ns(), arg);
		if (!uid_valid(owner))
			return -EINVAL;
		mt->owner = owner;
		netdev_state_change(dev);
		return 0;

	case TUNSETGROUP:
		group = make_kgid(current_user_ns(), arg);
		if (!gid_valid(group))
			return -EINVAL;
		mt->group = group;
		netdev_state_change(dev);
		return 0;

	case TUNSETOFFLOAD:
		/* No offloads; clients probe with this, as tun's comment says. */
		return arg ? -EINVAL : 0;

	case SIOCGIFHWADDR:
		dev_get_mac_address(&ifr->ifr_hwaddr, dev_net(dev), dev->name);
		return copy_to_user(argp, ifr, ifreq_len) ? -EFAULT : 0;

	case SIOCSIFHWADDR:
		return dev_set_mac_address_user(dev, &ifr->ifr_hwaddr, NULL);

	case TUNGETSNDBUF:
		return put_user(READ_ONCE(mfile->sk.sk_sndbuf), (int __user *)argp);

	case TUNSETSNDBUF:
		return minitun_set_sndbuf(mt, argp);

	case TUNSETCARRIER:
		if (copy_from_user(&carrier, argp, sizeof(carrier)))
			return -EFAULT;
		return minitun_net_change_carrier(dev, carrier);

	default:
		return -EINVAL;
	}
}

/*
 * tun's __tun_chr_ioctl(), in its order: an ifreq is copied in first for
 * the commands that take one, and any other command on a file with no
 * device is -EBADFD.
 */
static long minitun_ioctl(struct file *file, unsigned int cmd,
			  unsigned long arg, int ifreq_len)
{
	struct minitun_file *mfile = file->private_data;
	struct net *net = sock_net(&mfile->sk);
	void __user *argp = (void __user *)arg;
	struct minitun *mt;
	struct ifreq ifr;
	long ret;

	memset(&ifr, 0, sizeof(ifr));
	if (cmd == TUNSETIFF || cmd == TUNSETQUEUE ||
	    (_IOC_TYPE(cmd) == SOCK_IOC_TYPE && cmd != SIOCGSKNS)) {
		if (copy_from_user(&ifr, argp, ifreq_len))
			return -EFAULT;
	}

	if (cmd == TUNGETFEATURES)
		return put_user(MINITUN_TYPE_MASK | IFF_NO_CARRIER |
				MINITUN_FEATURES, (unsigned int __user *)argp);
	if (cmd == TUNSETQUEUE)
		return minitun_set_queue(mfile, &ifr);

	rtnl_lock();
	mt = minitun_get(mfile);
	if (cmd == TUNSETIFF) {
		ret = -EEXIST;
		if (mt)
			goto unlock;
		ifr.ifr_name[IFNAMSIZ - 1] = '\0';
		ret = minitun_set_iff(net, mfile, &ifr);
		if (!ret && copy_to_user(argp, &ifr, ifreq_len))
			ret = -EFAULT;
		goto unlock;
	}

	ret = -EBADFD;
	if (mt)
		ret = minitun_dev_ioctl(mt, mfile, cmd, arg, &ifr, ifreq_len);
unlock:
	rtnl_unlock();
	if (mt)
		minitun_put(mt);
	return ret;
}

static long minitun_chr_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	return minitun_ioctl(file, cmd, arg, sizeof(struct ifreq));
}

#ifdef CONFIG_COMPAT
static long minitun_chr_compat_ioctl(struct file *file, unsigned int cmd,
				     unsigned long arg)
{
	switch (cmd) {
	case TUNSETIFF:
	case TUNGETIFF:
	case TUNSETQUEUE:
	case TUNGETFEATURES:
	case TUNGETSNDBUF:
	case TUNSETSNDBUF:
	case TUNSETCARRIER:
	case SIOCGIFHWADDR:
	case SIOCSIFHWADDR:
		arg = (unsigned long)compat_ptr(arg);
		break;
	default:
		arg = (compat_ulong_t)arg;
		break;
	}
	/* compat_ifreq is a prefix of ifreq for every field used here. */
	return minitun_ioctl(file, cmd, arg, sizeof(struct compat_ifreq));
}
#endif

/* open, close and the rest */

static int minitun_chr_fasync(int fd, struct file *file, int on)
{
	struct minitun_file *mfile = file->private_data;
	int ret;

	ret = fasync_helper(fd, file, on, &mfile->fasync);
	if (ret < 0)
		return ret;

	if (on) {
		__f_setown(file, task_pid(current), PIDTYPE_TGID, 0);
		mfile->flags |= MINITUN_FASYNC;
	} else {
		mfile->flags &= ~MINITUN_FASYNC;
	}
	return 0;
}

static int minitun_chr_open(struct inode *inode, struct file *file)
{
	struct net *net = current->nsproxy->net_ns;
	struct minitun_file *mfile;

	mfile = (struct minitun_file *)sk_alloc(net, AF_UNSPEC, GFP_KERNEL,
						&minitun_proto, 0);
	if (!mfile)
		return -ENOMEM;
	/* Sized 0 until the file becomes a device's queue. */
	if (ptr_ring_init(&mfile->tx_ring, 0, GFP_KERNEL)) {
		sk_free(&mfile->sk);
		return -ENOMEM;
	}

	RCU_INIT_POINTER(mfile->mt, NULL);
	mfile->flags = 0;
	INIT_LIST_HEAD(&mfile->next);
	u64_stats_init(&mfile->tx_stats.syncp);
	u64_stats_init(&mfile->rx_stats.syncp);

	init_waitqueue_head(&mfile->socket.wq.wait);
	mfile->socket.file = file;
	/* sk_data_ready = sock_def_readable, on socket.wq: what read() and
	 * poll() sleep on.
	 */
	sock_init_data_uid(&mfile->socket, &mfile->sk, current_fsuid());
	mfile->sk.sk_write_space = minitun_sock_write_space;
	mfile->sk.sk_sndbuf = INT_MAX;

	file->private_data = mfile;
	return 0;
}

static int minitun_chr_release(struct inode *inode, struct file *file)
{
	struct minitun_file *mfile = file->private_data;
	struct minitun *mt;

	rtnl_lock();
	mt = rtnl_dereference(mfile->mt);
	minitun_queue_detach(mfile, true);
	if (mt)
		netdev_state_change(mt->dev);
	rtnl_unlock();

	/* The file's own reference; the device's went with the queue. */
	sock_put(&mfile->sk);
	return 0;
}

static void minitun_chr_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct minitun_file *mfile = file->private_data;
	char name[IFNAMSIZ] = "";
	struct minitun *mt;

	rtnl_lock();
	mt = minitun_get(mfile);
	if (mt) {
		strscpy(name, mt->dev->name, sizeof(name));
		minitun_put(mt);
	}
	rtnl_unlock();

	seq_printf(m, "iff:\t%s\n", name);
}

static const struct file_operations minitun_fops = {
	.owner		= THIS_MODULE,
	.llseek		= no_llseek,
	.read_iter	= minitun_chr_read_iter,
	.write_iter	= minitun_chr_write_iter,
	.poll		= minitun_chr_poll,
	.unlocked_ioctl	= minitun_chr_ioctl,
#ifdef CONFIG_COMPAT
	.compat_ioctl	= minitun_chr_compat_ioctl,
#endif
	.open		= minitun_chr_open,
	.release	= minitun_chr_release,
	.fasync		= minitun_chr_fasync,
	.show_fdinfo	= minitun_chr_show_fdinfo,
};

/* 0666, as udev makes /dev/net/tun: devices are guarded by TUNSETIFF. */
struct miscdevice minitun_miscdev = {
	.minor		= MISC_DYNAMIC_MINOR,
	.name		= DRV_NAME,
	.fops		= &minitun_fops,
	.mode		= 0666,
};
