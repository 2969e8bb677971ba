/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels minitun builds for, in one place.
 * The driver is written against the newest API; each shim gives it to an
 * older kernel, says which release changed what, and goes when that
 * release is no longer supported.
 */
#ifndef _MINITUN_COMPAT_H
#define _MINITUN_COMPAT_H

#include <linux/ethtool.h>
#include <linux/fs.h>
#include <linux/netdevice.h>
#include <linux/ptr_ring.h>
#include <linux/version.h>

/* 6.8 added ethtool_puts() for a string that is not a format. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 8, 0)
static inline void ethtool_puts(u8 **data, const char *str)
{
	ethtool_sprintf(data, "%s", str);
}
#endif

/*
 * 6.10 dropped __assign_str()'s source argument: the string given to
 * __string() is copied. trace.h is read several times with __assign_str()
 * redefined each time, so this expands to whichever is current.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 10, 0)
#define minitun_assign_str(dst, src)	__assign_str(dst, src)
#else
#define minitun_assign_str(dst, src)	__assign_str(dst)
#endif

/*
 * 6.12 made lockless transmit a net_device bit (dev->lltx) instead of the
 * NETIF_F_LLTX feature.
 */
static inline void minitun_set_lltx(struct net_device *dev)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
	dev->features |= NETIF_F_LLTX;
#else
	dev->lltx = true;
#endif
}

/*
 * 6.12 allocates file->f_owner on first use; fasync must allocate it
 * before __f_setown(). Before, it was part of struct file.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)
static inline int file_f_owner_allocate(struct file *file)
{
	return 0;
}
#endif

/*
 * 6.13, and 6.12.13 in stable, renamed ptr_ring_resize_multiple() to say
 * that it takes the rings' locks with _bh, not _irqsave.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 13)
#define ptr_ring_resize_multiple_bh	ptr_ring_resize_multiple
#endif

/*
 * 6.12.117 (stable) made tun refuse to let anyone without CAP_NET_ADMIN
 * join a device that has neither owner nor group; before, anyone could.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 117)
#define MINITUN_OWNERLESS_NEEDS_ADMIN	true
#else
#define MINITUN_OWNERLESS_NEEDS_ADMIN	false
#endif

/* 6.2 raised the link speed tun reports from 10 Mb/s to 10 Gb/s. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define MINITUN_LINK_SPEED	SPEED_10000
#else
#define MINITUN_LINK_SPEED	SPEED_10
#endif

#endif /* _MINITUN_COMPAT_H */
