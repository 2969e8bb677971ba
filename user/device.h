/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device nodes and queues (device.c): open /dev/minitun or /dev/net/tun,
 * create or attach an interface's queues with TUNSETIFF, and read and
 * write its frames, one a call or minitun's batched records. Each
 * function prints its own error.
 */
#ifndef _MINITUN_DEVICE_H
#define _MINITUN_DEVICE_H

#include <linux/if_tun.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MINITUN_NODE	"/dev/minitun"
#define TUN_NODE	"/dev/net/tun"
#define MAX_QUEUES	256	/* tun's MAX_TAP_QUEUES, and minitun's */

#define PACKET_MAX	65536	/* the largest frame, tun_pi included */
#define PACKET_BUF	(PACKET_MAX + 8)	/* ... with room to align it */

struct mt_device {
	const char *node;
	char name[IFNAMSIZ];
	char driver[16];	/* the node's driver: "minitun" or "tun" */
	unsigned int flags;	/* IFF_TUN or IFF_TAP, IFF_NO_PI, IFF_MULTI_QUEUE */
	bool existed;		/* attached to a device that was there before */
	unsigned int nqueues;
	unsigned int batch;	/* minitun's batched mode: 0, or packets per call */
	int fds[MAX_QUEUES];
};

/* One packet of what a read() brought, or of what a write() will take. */
struct mt_frame {
	uint8_t *data;
	size_t len;
};

int mt_device_init(struct mt_device *dev, const char *node, const char *name);
int mt_device_create(struct mt_device *dev, unsigned int flags,
		     unsigned int nqueues);
int mt_device_attach(struct mt_device *dev, unsigned int nqueues);
void mt_device_close(struct mt_device *dev);
int mt_check_driver(const struct mt_device *dev, const char *kind);
int mt_device_set_batch(struct mt_device *dev, unsigned int batch);
int mt_read_frames(const struct mt_device *dev, int fd, uint8_t *storage,
		   struct mt_frame *frames);
int mt_write_frames(const struct mt_device *dev, int fd,
		    const struct mt_frame *frames, unsigned int n);
void mt_explain_io_error(const struct mt_device *dev, const char *op, int err);

static inline bool mt_is_tap(const struct mt_device *dev)
{
	return dev->flags & IFF_TAP;
}

#endif /* _MINITUN_DEVICE_H */
