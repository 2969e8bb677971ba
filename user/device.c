// SPDX-License-Identifier: GPL-2.0
/*
 * Device nodes and queues: open /dev/minitun (or /dev/net/tun) and make the
 * file a queue of an interface with TUNSETIFF. Every failure is explained
 * in terms of what to do about it: load the module, run as root, stop the
 * other reader, match the existing device's flags.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cli.h"
#include "device.h"
#include "netlink.h"
#include "packet.h"
#include "uapi/minitun.h"

/* open() or stat() of the node failed: say what is missing. */
static void explain_node_error(const char *node, int err)
{
	char copy[PATH_MAX];
	const char *base;

	snprintf(copy, sizeof(copy), "%s", node);
	base = basename(copy);

	if (err == ENOENT && strstr(base, "minitun"))
		mt_error("%s does not exist: the minitun module is not loaded; load it with 'insmod kmod/minitun.ko' (scripts/vm --load does it in the VM)",
			 node);
	else if (err == ENOENT && !strcmp(base, "tun"))
		mt_error("%s does not exist: load the tun driver with 'modprobe tun'",
			 node);
	else if (err == ENOENT)
		mt_error("%s does not exist: the nodes are %s (minitun) and %s (tun)",
			 node, MINITUN_NODE, TUN_NODE);
	else if (err == ENXIO || err == ENODEV)
		mt_error("%s has no driver behind it: load its module (insmod kmod/minitun.ko, or modprobe tun)",
			 node);
	else if (err == EACCES || err == EPERM)
		mt_error("permission denied opening %s: run as root (it needs CAP_NET_ADMIN)",
			 node);
	else
		mt_error("cannot open %s: %s", node, strerror(err));
}

/* The driver behind a char device node: the misc device's name in sysfs. */
static int node_driver(const char *node, char *driver, size_t size)
{
	char link[64], target[PATH_MAX], *base;
	struct stat st;
	ssize_t len;

	if (stat(node, &st)) {
		explain_node_error(node, errno);
		return -1;
	}
	if (!S_ISCHR(st.st_mode)) {
		mt_error("%s is not a device node: pass --dev %s or --dev %s",
			 node, MINITUN_NODE, TUN_NODE);
		return -1;
	}
	snprintf(link, sizeof(link), "/sys/dev/char/%u:%u",
		 major(st.st_rdev), minor(st.st_rdev));
	len = readlink(link, target, sizeof(target) - 1);
	if (len < 0) {
		explain_node_error(node, ENXIO);
		return -1;
	}
	target[len] = '\0';
	base = basename(target);
	snprintf(driver, size, "%s", base);
	return 0;
}

int mt_device_init(struct mt_device *dev, const char *node, const char *name)
{
	memset(dev, 0, sizeof(*dev));
	dev->node = node;
	if (name)
		snprintf(dev->name, sizeof(dev->name), "%s", name);
	return node_driver(node, dev->driver, sizeof(dev->driver));
}

int mt_check_driver(const struct mt_device *dev, const char *kind)
{
	const char *node;

	if (!strcmp(kind, dev->driver))
		return 0;
	if (!strcmp(kind, "tun"))
		node = TUN_NODE;
	else if (!strcmp(kind, "minitun"))
		node = MINITUN_NODE;
	else
		node = NULL;
	if (node)
		mt_error("%s is a %s device, not %s: pass --dev %s",
			 dev->name, kind, dev->driver, node);
	else
		mt_error("%s is not a %s device (its kind is '%s'): name another interface",
			 dev->name, dev->driver, *kind ? kind : "none");
	return -1;
}

static void explain_setiff_error(const struct mt_device *dev, int err,
				 bool exists)
{
	if (err == EPERM && exists)
		mt_error("%s belongs to another user or group (see --owner): run as that user, or as root",
			 dev->name);
	else if (err == EPERM)
		mt_error("creating %s needs CAP_NET_ADMIN: run as root",
			 *dev->name ? dev->name : "a device");
	else if (err == EBUSY)
		mt_error("%s already has a reader on its only queue: stop that reader, or make the device multi-queue (minitun up --queues N)",
			 dev->name);
	else if (err == EINVAL && exists)
		mt_error("%s exists with other flags (tun or tap, one queue or many): pass the same ones, or remove it with 'minitun down %s'",
			 dev->name, dev->name);
	else if (err == E2BIG)
		mt_error("%s has %d queues already, the most a device can have",
			 dev->name, MAX_QUEUES);
	else
		mt_error("TUNSETIFF %s with flags 0x%x failed: %s",
			 *dev->name ? dev->name : "(new)", dev->flags,
			 strerror(err));
}

static int open_queue(struct mt_device *dev, bool exists)
{
	struct ifreq ifr = { .ifr_flags = dev->flags };
	int fd;

	fd = open(dev->node, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		explain_node_error(dev->node, errno);
		return -1;
	}
	memcpy(ifr.ifr_name, dev->name, IFNAMSIZ);
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		explain_setiff_error(dev, errno, exists);
		close(fd);
		return -1;
	}
	/* A template ("mtun%d") or an empty name comes back filled in. */
	memcpy(dev->name, ifr.ifr_name, IFNAMSIZ);
	dev->fds[dev->nqueues++] = fd;
	return 0;
}

static int open_queues(struct mt_device *dev, unsigned int nqueues,
		       bool exists)
{
	while (dev->nqueues < nqueues) {
		if (open_queue(dev, exists)) {
			mt_device_close(dev);
			return -1;
		}
		/* Every queue after the first joins the device just made. */
		exists = true;
	}
	return 0;
}

/* -1 (error printed), 0: no such interface, 1: it exists and is ours. */
static int existing_interface(struct mt_device *dev)
{
	struct nl_link link;
	int err;

	if (!*dev->name || strchr(dev->name, '%'))
		return 0;
	err = nl_link_get(dev->name, &link);
	if (err == -ENODEV)
		return 0;
	if (err)
		return -1;
	return mt_check_driver(dev, link.kind) ? -1 : 1;
}

int mt_device_create(struct mt_device *dev, unsigned int flags,
		     unsigned int nqueues)
{
	int exists;

	exists = existing_interface(dev);
	if (exists < 0)
		return -1;
	dev->existed = exists;
	dev->flags = flags | (nqueues > 1 ? IFF_MULTI_QUEUE : 0);
	return open_queues(dev, nqueues, exists);
}

/* The flags the device was made with, from its sysfs tun_flags. */
static int device_flags(const struct mt_device *dev, unsigned int *flags)
{
	char path[64], buf[32];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", dev->name);
	f = fopen(path, "r");
	if (!f) {
		mt_error("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok) {
		mt_error("%s is empty", path);
		return -1;
	}
	*flags = strtoul(buf, NULL, 0) &
		 (IFF_TUN | IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE);
	return 0;
}

int mt_device_attach(struct mt_device *dev, unsigned int nqueues)
{
	int exists;

	exists = existing_interface(dev);
	if (exists < 0)
		return -1;
	if (!exists) {
		mt_error("no interface %s: create it first with 'minitun up --name %s --persist%s%s'",
			 dev->name, dev->name,
			 strcmp(dev->node, MINITUN_NODE) ? " --dev " : "",
			 strcmp(dev->node, MINITUN_NODE) ? dev->node : "");
		return -1;
	}
	dev->existed = true;
	/* Keep the device's own framing: the first queue would reset it. */
	if (device_flags(dev, &dev->flags))
		return -1;
	if (nqueues > 1 && !(dev->flags & IFF_MULTI_QUEUE)) {
		mt_error("%s has a single queue, so it cannot be read on %u: make it with 'minitun up --name %s --queues %u --persist'",
			 dev->name, nqueues, dev->name, nqueues);
		return -1;
	}
	return open_queues(dev, nqueues, true);
}

void mt_device_close(struct mt_device *dev)
{
	while (dev->nqueues)
		close(dev->fds[--dev->nqueues]);
}

/*
 * minitun's batched mode on every queue (uapi/minitun.h): a read() brings
 * up to batch packets, a write() takes as many. Only minitun has it.
 */
int mt_device_set_batch(struct mt_device *dev, unsigned int batch)
{
	struct minitun_batch b = {
		.version = MINITUN_BATCH_V1,
		.max_packets = batch,
	};
	unsigned int q;

	for (q = 0; q < dev->nqueues; q++) {
		if (!ioctl(dev->fds[q], MINITUN_SETBATCH, &b))
			continue;
		mt_error("%s cannot batch (%s): batching is minitun's own; leave out --batch, or use --dev %s",
			 dev->node, strerror(errno), MINITUN_NODE);
		return -1;
	}
	dev->batch = batch;
	return 0;
}

/*
 * Read once from a queue into storage (PACKET_BUF bytes, 8-byte aligned)
 * and point frames at the packets it brought: one, past its struct tun_pi
 * if the device has one, or in batched mode every record's. A lone TAP
 * frame starts 2 bytes in, so that its IP header is 4-byte aligned. How
 * many frames, or -errno.
 */
int mt_read_frames(const struct mt_device *dev, int fd, uint8_t *storage,
		   struct mt_frame *frames)
{
	size_t pi = dev->flags & IFF_NO_PI ? 0 : sizeof(struct tun_pi);
	size_t align = mt_is_tap(dev) ? 2 : 0, off = 0;
	const struct minitun_rec *rec;
	int n = 0;
	ssize_t len;

	if (dev->batch)
		align = pi = 0;
	len = read(fd, storage + align, PACKET_BUF - align);
	if (len < 0)
		return -errno;
	if (!dev->batch) {
		if ((size_t)len < pi)
			return -EBADMSG;
		frames[0] = (struct mt_frame) { storage + align + pi, len - pi };
		return 1;
	}
	while (off < (size_t)len && n < MINITUN_BATCH_MAX) {
		rec = (const struct minitun_rec *)(storage + off);
		if (off + sizeof(*rec) + rec->len > (size_t)len)
			return -EBADMSG;
		frames[n++] = (struct mt_frame) {
			storage + off + sizeof(*rec), rec->len
		};
		off += MINITUN_REC_SIZE(rec->len);
	}
	return n;
}

/* The tun_pi protocol of a frame the device will take. */
static unsigned int frame_proto(const struct mt_device *dev,
				const struct mt_frame *f)
{
	if (mt_is_tap(dev))
		return f->len >= ETH_HLEN ? get16(f->data + 12) : 0;
	return f->len && f->data[0] >> 4 == 6 ? ETH_P_IPV6 : ETH_P_IP;
}

/*
 * Batched: one writev() of n records, header, frame and padding each. A
 * refused record ends the write there: the count is of the records before
 * it, which the device took.
 */
static int write_records(const struct mt_device *dev, int fd,
			 const struct mt_frame *frames, unsigned int n)
{
	static const uint8_t padding[MINITUN_REC_ALIGN];
	struct minitun_rec recs[MINITUN_BATCH_MAX];
	struct iovec iov[3 * MINITUN_BATCH_MAX];
	unsigned int i, v = 0;
	size_t took = 0;
	ssize_t len;

	for (i = 0; i < n; i++) {
		recs[i] = (struct minitun_rec) {
			.len = frames[i].len,
			.proto = htons(frame_proto(dev, &frames[i])),
			.hdr_len = sizeof(recs[i]),
			.version = MINITUN_BATCH_V1,
		};
		iov[v++] = (struct iovec) { &recs[i], sizeof(recs[i]) };
		iov[v++] = (struct iovec) { frames[i].data, frames[i].len };
		iov[v++] = (struct iovec) { (void *)padding,
			MINITUN_REC_SIZE(frames[i].len) - sizeof(recs[i]) - frames[i].len };
	}
	len = writev(fd, iov, v);
	if (len < 0)
		return -errno;
	for (i = 0; i < n && took + MINITUN_REC_SIZE(frames[i].len) <= (size_t)len; i++)
		took += MINITUN_REC_SIZE(frames[i].len);
	return i ? (int)i : -EIO;	/* took none: cannot happen */
}

/*
 * Write n frames, with the struct tun_pi the device expects: one write()
 * each, or in batched mode one for all. How many the device took before
 * one it refused, or -errno when it refused the first: written again from
 * the refused frame, the write fails with why, and the device counts it
 * dropped (uapi/minitun.h).
 */
int mt_write_frames(const struct mt_device *dev, int fd,
		    const struct mt_frame *frames, unsigned int n)
{
	struct tun_pi pi = {};
	struct iovec iov[2] = { { &pi, sizeof(pi) } };
	unsigned int i;

	if (!n)
		return 0;
	if (dev->batch)
		return write_records(dev, fd, frames, n);
	for (i = 0; i < n; i++) {
		pi.proto = htons(frame_proto(dev, &frames[i]));
		iov[1] = (struct iovec) { frames[i].data, frames[i].len };
		if (dev->flags & IFF_NO_PI ? writev(fd, iov + 1, 1) < 0 :
					     writev(fd, iov, 2) < 0)
			return i ? (int)i : -errno;
	}
	return n;
}

/* A read or write failed: the device went away, or something else did. */
void mt_explain_io_error(const struct mt_device *dev, const char *op, int err)
{
	if (err == -EFAULT || err == -EBADFD)
		mt_error("%s was deleted while we used it ('minitun down' or 'ip link del')",
			 dev->name);
	else if (err == -EIO)
		mt_error("%s on %s: %s: the interface is down ('ip link set %s up')",
			 op, dev->name, strerror(-err), dev->name);
	else
		mt_error("%s on %s: %s", op, dev->name, strerror(-err));
}
