// SPDX-License-Identifier: GPL-2.0
/*
 * The char device side: what user space sees of /dev/minitun. Each open()
 * makes a minitun_file; TUNSETIFF (ioctl.c) makes it a queue of a new or
 * existing device; read() takes packets off its ring and write() hands
 * packets to the stack (io.c).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/rtnetlink.h>
#include <linux/seq_file.h>
#include <net/sock.h>

#include "minitun.h"

static struct proto minitun_proto = {
	.name		= DRV_NAME,
	.owner		= THIS_MODULE,
	.obj_size	= sizeof(struct minitun_file),
};

/* read and write: kmod/io.c */

static bool minitun_noblock(const struct kiocb *iocb)
{
	return (iocb->ki_filp->f_flags & O_NONBLOCK) ||
	       (iocb->ki_flags & IOCB_NOWAIT);
}

static ssize_t minitun_chr_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct minitun_file *mfile = iocb->ki_filp->private_data;
	ssize_t len = iov_iter_count(to), ret;
	struct minitun *mt;

	mt = minitun_get(mfile);
	if (!mt)
		return -EBADFD;

	ret = minitun_read(mt, mfile, to, minitun_noblock(iocb));
	/* tun reports a truncated packet's full size; read() cannot. */
	ret = min_t(ssize_t, ret, len);
	if (ret > 0)
		iocb->ki_pos = ret;

	minitun_put(mt);
	return ret;
}

static ssize_t minitun_chr_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct minitun_file *mfile = iocb->ki_filp->private_data;
	struct minitun *mt;
	ssize_t ret;

	mt = minitun_get(mfile);
	if (!mt)
		return -EBADFD;

	ret = minitun_write(mt, mfile, from, minitun_noblock(iocb));

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

/* open, close and the rest */

static int minitun_chr_fasync(int fd, struct file *file, int on)
{
	struct minitun_file *mfile = file->private_data;
	int ret;

	ret = fasync_helper(fd, file, on, &mfile->fasync);
	if (ret < 0)
		return ret;

	if (on) {
		ret = file_f_owner_allocate(file);
		if (ret)
			return ret;
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
