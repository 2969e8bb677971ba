/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every selftest needs: open a device node, make or join an interface
 * with TUNSETIFF, configure it through the classic interface ioctls (so the
 * tests need no netlink library), and run a shell command. Each helper
 * returns -errno on failure so that tests can assert on tun's errors.
 */
#ifndef _MINITUN_SELFTEST_HELPERS_H
#define _MINITUN_SELFTEST_HELPERS_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MINITUN_DEV	"/dev/minitun"
#define TUN_DEV		"/dev/net/tun"

/* Open node and TUNSETIFF it; name is in/out (IFNAMSIZ). fd or -errno. */
static inline int tun_open(const char *node, char *name, int flags)
{
	struct ifreq ifr = { .ifr_flags = flags };
	int fd, err;

	fd = open(node, O_RDWR);
	if (fd < 0)
		return -errno;
	if (name)
		snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	if (name)
		memcpy(name, ifr.ifr_name, IFNAMSIZ);
	return fd;
}

/* An interface ioctl (SIOCSIFFLAGS, ...) on a throwaway socket. */
static inline int if_ioctl(unsigned long cmd, struct ifreq *ifr)
{
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, cmd, ifr) < 0)
		err = -errno;
	close(fd);
	return err;
}

static inline int if_set_up(const char *name, int up)
{
	struct ifreq ifr = {};
	int err;

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	err = if_ioctl(SIOCGIFFLAGS, &ifr);
	if (err)
		return err;
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	return if_ioctl(SIOCSIFFLAGS, &ifr);
}

static inline int if_set_inet(const char *name, unsigned long cmd,
			      const char *addr)
{
	struct sockaddr_in *sin;
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
		return -EINVAL;
	return if_ioctl(cmd, &ifr);
}

/* A point-to-point IPv4 link: local address, peer, and up. */
static inline int if_set_p2p(const char *name, const char *local,
			     const char *peer)
{
	int err;

	err = if_set_inet(name, SIOCSIFADDR, local);
	if (!err)
		err = if_set_inet(name, SIOCSIFDSTADDR, peer);
	if (!err)
		err = if_set_up(name, 1);
	return err;
}

/* Run a shell command built like printf; its exit status, or -1. */
static inline int run(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A number from a sysfs or procfs file, or -1. */
static inline long long read_number(const char *fmt, ...)
{
	char path[256];
	long long val;
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lli", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

/* One of the interface's counters from /sys/class/net/NAME/statistics. */
static inline long long if_stat(const char *name, const char *counter)
{
	return read_number("/sys/class/net/%s/statistics/%s", name, counter);
}

#endif /* _MINITUN_SELFTEST_HELPERS_H */
