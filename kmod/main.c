// SPDX-License-Identifier: GPL-2.0
/*
 * minitun: a simplified tun driver, written to be read, run and measured.
 *
 * A packet the stack sends to a minitun device goes through
 * minitun_net_xmit() onto the ring of one open /dev/minitun file, whose
 * reader sk_data_ready() wakes; read() takes it off in minitun_chr_read_iter().
 * A packet written to the file enters the stack in minitun_chr_write_iter().
 * net.c is the net device side, chr.c the char device side, queue.c joins
 * the two; trace.h has a tracepoint at every step.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <net/rtnetlink.h>

#include "minitun.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

static int minitun_device_event(struct notifier_block *unused,
				unsigned long event, void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);
	struct minitun *mt = netdev_priv(dev);
	struct minitun_file *mfile;
	unsigned int i;
	int err;

	if (dev->rtnl_link_ops != &minitun_link_ops)
		return NOTIFY_DONE;
	/* netdevice notifiers run under rtnl, which guards queues[] */
	ASSERT_RTNL();

	switch (event) {
	case NETDEV_CHANGE_TX_QUEUE_LEN:
		/* An error makes the core put the old length back. */
		err = minitun_queue_resize(mt);
		if (err)
			return notifier_from_errno(err);
		break;
	case NETDEV_UP:
		/* Writers polling for EPOLLOUT can write now. */
		for (i = 0; i < mt->numqueues; i++) {
			mfile = rtnl_dereference(mt->queues[i]);
			mfile->sk.sk_write_space(&mfile->sk);
		}
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block minitun_notifier_block __read_mostly = {
	.notifier_call	= minitun_device_event,
};

static int __init minitun_init(void)
{
	int err;

	err = rtnl_link_register(&minitun_link_ops);
	if (err)
		return err;

	err = register_netdevice_notifier(&minitun_notifier_block);
	if (err)
		goto err_link_unregister;

	/* Last: once /dev/minitun exists, devices can be made. */
	err = misc_register(&minitun_miscdev);
	if (err)
		goto err_notifier_unregister;

	return 0;

err_notifier_unregister:
	unregister_netdevice_notifier(&minitun_notifier_block);
err_link_unregister:
	rtnl_link_unregister(&minitun_link_ops);
	return err;
}

static void __exit minitun_exit(void)
{
	misc_deregister(&minitun_miscdev);
	unregister_netdevice_notifier(&minitun_notifier_block);
	rtnl_link_unregister(&minitun_link_ops);
}

module_init(minitun_init);
module_exit(minitun_exit);

MODULE_DESCRIPTION("A simplified tun driver to read, run and measure");
MODULE_VERSION(DRV_VERSION);
MODULE_LICENSE("GPL");
MODULE_ALIAS_RTNL_LINK(DRV_NAME);
