// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/minitun's ioctls: tun's, with tun's argument conventions and errors
 * (drivers/net/tun.c, __tun_chr_ioctl()), and minitun's own from
 * uapi/minitun.h.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/compat.h>
#include <linux/etherdevice.h>
#include <linux/if_tun.h>
#include <linux/module.h>
#include <linux/rtnetlink.h>
#include <linux/security.h>
#include <net/sock.h>

#include "minitun.h"

/*
 * tun_not_capable(): owner and group are checked against the effective
 * ids; a device with neither is the running kernel's tun's call.
 */
static bool minitun_not_capable(struct minitun *mt)
{
	const struct cred *cred = current_cred();
	struct net *net = dev_net(mt->dev);
	bool ownerless = !uid_valid(mt->owner) && !gid_valid(mt->group);

	return ((uid_valid(mt->owner) && !uid_eq(cred->euid, mt->owner)) ||
		(gid_valid(mt->group) && !in_egroup_p(mt->group)) ||
		(ownerless && MINITUN_OWNERLESS_NEEDS_ADMIN)) &&
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
	err = security_tun_dev_open(mt->security);
	if (err)
		return err;

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
	err = security_tun_dev_create();
	if (err)
		return err;

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
		err = mt ? security_tun_dev_attach_queue(mt->security) : -EINVAL;
		if (!err)
			err = minitun_queue_attach(mt, mfile, true);
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

static int minitun_set_batch(struct minitun_file *mfile,
			     struct minitun_batch __user *argp)
{
	struct minitun_batch batch;

	if (copy_from_user(&batch, argp, sizeof(batch)))
		return -EFAULT;
	if (batch.version == 0) {
		WRITE_ONCE(mfile->batch_max, 0);
		return 0;
	}
	if (batch.version != MINITUN_BATCH_V1 || !batch.max_packets ||
	    batch.max_packets > MINITUN_BATCH_MAX)
		return -EINVAL;
	WRITE_ONCE(mfile->batch_max, batch.max_packets);
	return 0;
}

static int minitun_get_batch(struct minitun_file *mfile,
			     struct minitun_batch __user *argp)
{
	struct minitun_batch batch = {
		.max_packets = READ_ONCE(mfile->batch_max),
	};

	batch.version = batch.max_packets ? MINITUN_BATCH_V1 : 0;
	return copy_to_user(argp, &batch, sizeof(batch)) ? -EFAULT : 0;
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

	ASSERT_RTNL();

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

	case TUNSETNOCSUM:
	case TUNSETDEBUG:
		/* tun ignores the first and only keeps the second for its own
		 * log messages; old tunctl-style scripts send both.
		 */
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

	case MINITUN_SETBATCH:
		return minitun_set_batch(mfile, argp);

	case MINITUN_GETBATCH:
		return minitun_get_batch(mfile, argp);

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

long minitun_chr_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	return minitun_ioctl(file, cmd, arg, sizeof(struct ifreq));
}

#ifdef CONFIG_COMPAT
long minitun_chr_compat_ioctl(struct file *file, unsigned int cmd,
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
	case MINITUN_SETBATCH:
	case MINITUN_GETBATCH:
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
