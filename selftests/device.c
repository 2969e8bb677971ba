// SPDX-License-Identifier: GPL-2.0
/*
 * The device and its file, as tun has them, checked against tun in the same
 * run: the MTU's bounds, a read() of length zero, what /proc/PID/fdinfo
 * says of the file, moving to another network namespace, rejoining a
 * persistent device with other flags; and minitun's own default, the
 * noqueue qdisc.
 */

#define _GNU_SOURCE
#include <poll.h>

#include "helpers.h"
#include "kselftest_harness.h"

#define TIMEOUT_MS	2000

static const char *const nodes[] = { TUN_DEV, MINITUN_DEV };

FIXTURE(device)
{
	int fd[2];			/* on tun, on minitun */
	char name[2][IFNAMSIZ];
};

FIXTURE_VARIANT(device)
{
	int flags;
};

FIXTURE_VARIANT_ADD(device, tun)
{
	.flags = IFF_TUN | IFF_NO_PI,
};

FIXTURE_VARIANT_ADD(device, tap)
{
	.flags = IFF_TAP | IFF_NO_PI,
};

FIXTURE_SETUP(device)
{
	int i;

	REQUIRE_TUN();
	for (i = 0; i < 2; i++) {
		snprintf(self->name[i], IFNAMSIZ, "mdev%d", i);
		self->fd[i] = tun_open(nodes[i], self->name[i], variant->flags);
		ASSERT_LE(0, self->fd[i]) TH_LOG("%s: %s", nodes[i],
						 strerror(-self->fd[i]));
		ASSERT_EQ(0, if_no_ipv6(self->name[i]));
	}
}

FIXTURE_TEARDOWN(device)
{
	if (self->fd[0] >= 0)
		close(self->fd[0]);
	if (self->fd[1] >= 0)
		close(self->fd[1]);
}

static int set_mtu(const char *name, int mtu)
{
	struct ifreq ifr = { .ifr_mtu = mtu };

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	return if_ioctl(SIOCSIFMTU, &ifr);
}

/* An MTU one refuses, the other refuses alike; one both take, both keep. */
TEST_F(device, mtu_bounds_are_tuns)
{
	static const int mtus[] = { 0, 67, 68, 576, 1500, 9000, 65521, 65522,
				    65535, 65536, 1 << 20 };
	unsigned int i;
	int err[2];

	for (i = 0; i < sizeof(mtus) / sizeof(mtus[0]); i++) {
		err[0] = set_mtu(self->name[0], mtus[i]);
		err[1] = set_mtu(self->name[1], mtus[i]);
		EXPECT_EQ(err[0], err[1])
			TH_LOG("MTU %d: tun says %s, minitun %s", mtus[i],
			       strerror(-err[0]), strerror(-err[1]));
		if (!err[0] && !err[1])
			EXPECT_EQ(mtus[i], read_number("/sys/class/net/%s/mtu",
						       self->name[1]));
	}
	/* there are bounds, on both sides */
	EXPECT_EQ(-EINVAL, set_mtu(self->name[1], 67));
	EXPECT_EQ(-EINVAL, set_mtu(self->name[1], 65536));
}

/*
 * read() of nothing returns 0 at once, even on a blocking file with an
 * empty ring, and leaves a queued packet where it is.
 */
TEST_F(device, read_of_length_zero_takes_nothing)
{
	/* on TAP, without a netmask: two networks of their own class */
	static const char *const local[] = { "10.96.0.1", "192.168.96.1" };
	static const char *const peer[] = { "10.96.0.2", "192.168.96.2" };
	struct pollfd pfd = { .events = POLLIN };
	uint8_t buf[2048];
	int i;

	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, read(self->fd[i], buf, 0)) TH_LOG("%s", nodes[i]);

		ASSERT_EQ(0, if_set_p2p(self->name[i], local[i], peer[i]));
		/* on TAP, what is queued is the ARP request before it */
		ASSERT_EQ(0, send_udp(peer[i], 9, "x", 1));
		pfd.fd = self->fd[i];
		ASSERT_EQ(1, poll(&pfd, 1, TIMEOUT_MS)) TH_LOG("%s", nodes[i]);

		EXPECT_EQ(0, read(self->fd[i], buf, 0)) TH_LOG("%s", nodes[i]);
		EXPECT_EQ(1, poll(&pfd, 1, 0))
			TH_LOG("%s: the read of nothing took the packet", nodes[i]);
		EXPECT_LT(0, read(self->fd[i], buf, sizeof(buf)));
	}
}

/* The file's line in /proc/self/fdinfo/FD that starts with "iff:". */
static void fdinfo_iff(int fd, char *line, size_t size)
{
	char path[64];
	FILE *f;

	*line = '\0';
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, size, f))
		if (!strncmp(line, "iff:", 4))
			break;
	if (strncmp(line, "iff:", 4))
		*line = '\0';
	fclose(f);
}

/* fdinfo names the interface as tun's does, and nothing before TUNSETIFF. */
TEST_F(device, fdinfo_names_the_interface)
{
	char line[2][128], want[64];
	int i, fd;

	for (i = 0; i < 2; i++) {
		fdinfo_iff(self->fd[i], line[i], sizeof(line[i]));
		snprintf(want, sizeof(want), "iff:\t%s\n", self->name[i]);
		EXPECT_STREQ(want, line[i]) TH_LOG("%s", nodes[i]);
	}
	for (i = 0; i < 2; i++) {
		fd = open(nodes[i], O_RDWR);
		ASSERT_LE(0, fd);
		fdinfo_iff(fd, line[i], sizeof(line[i]));
		close(fd);
	}
	EXPECT_STREQ(line[0], line[1]);
}

/*
 * ip link set DEV netns NS: done (or refused) as on tun; done, the device
 * is there and not here, and its file still reaches it.
 */
TEST_F(device, moves_to_another_netns_as_tuns)
{
	struct ifreq ifr;
	int rc[2], i;

	ASSERT_EQ(0, run("ip netns add mdevns"));
	for (i = 0; i < 2; i++)
		rc[i] = run("ip link set dev %s netns mdevns", self->name[i]);
	EXPECT_EQ(rc[0], rc[1]);
	for (i = 0; i < 2 && !rc[i]; i++) {
		EXPECT_FALSE(link_exists(self->name[i])) TH_LOG("%s", nodes[i]);
		EXPECT_EQ(0, run("ip -n mdevns link show dev %s > /dev/null",
				 self->name[i]));
		memset(&ifr, 0, sizeof(ifr));
		EXPECT_EQ(0, ioctl(self->fd[i], TUNGETIFF, &ifr));
		EXPECT_STREQ(self->name[i], ifr.ifr_name);
	}
	close(self->fd[0]);
	close(self->fd[1]);
	self->fd[0] = self->fd[1] = -1;
	EXPECT_EQ(0, run("ip netns del mdevns"));
}

/*
 * A persistent device rejoined with other flags (packet info on, then off)
 * reports the flags tun's does after the same TUNSETIFF (on 6.1 and 6.12
 * both keep the packet info setting the device was made with).
 */
TEST_F(device, rejoining_a_persistent_device_as_tun)
{
	int flags = variant->flags, round, i;
	struct ifreq ifr[2];

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, ioctl(self->fd[i], TUNSETPERSIST, 1));
	for (round = 0; round < 2; round++) {
		flags ^= IFF_NO_PI;
		for (i = 0; i < 2; i++) {
			close(self->fd[i]);
			self->fd[i] = tun_open(nodes[i], self->name[i], flags);
			ASSERT_LE(0, self->fd[i]) TH_LOG("%s", nodes[i]);
			memset(&ifr[i], 0, sizeof(ifr[i]));
			ASSERT_EQ(0, ioctl(self->fd[i], TUNGETIFF, &ifr[i]));
		}
		EXPECT_EQ(ifr[0].ifr_flags, ifr[1].ifr_flags)
			TH_LOG("rejoined with %#x: tun says %#x, minitun %#x",
			       flags, ifr[0].ifr_flags, ifr[1].ifr_flags);
		EXPECT_TRUE(ifr[1].ifr_flags & IFF_PERSIST);
	}
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, ioctl(self->fd[i], TUNSETPERSIST, 0));
}

/* xmit is the queue: minitun's devices come up with noqueue (tun's do not). */
TEST_F(device, noqueue_is_the_default_qdisc)
{
	char out[1024];

	ASSERT_EQ(0, if_set_up(self->name[1], 1));
	ASSERT_EQ(0, run_output(out, sizeof(out), "ip link show dev %s",
				self->name[1]));
	EXPECT_NE(NULL, strstr(out, " qdisc noqueue ")) TH_LOG("%s", out);
}

TEST_HARNESS_MAIN
