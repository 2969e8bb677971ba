// SPDX-License-Identifier: GPL-2.0
/*
 * What one file can see: its own queue's packets and nothing else, and no
 * byte of kernel memory it was not meant to.
 *
 * Nothing uninitialised reaches user space. Every structure minitun copies
 * out is read into a buffer filled with a pattern first; afterwards every
 * byte the driver does not define (padding, the rest of a name, the unused
 * part of a union) must be zero, or, where tun's ABI copies the caller's
 * ifreq in and back out, the caller's own pattern: never anything else.
 * (A KMSAN kernel would check this by itself; these tests check it on any.)
 */

#define _GNU_SOURCE
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/sockios.h>
#include <stddef.h>
#include <poll.h>
#include <sys/socket.h>

#include "helpers.h"
#include "kselftest_harness.h"
#include "uapi/minitun.h"

#define COPYOUT_IFNAME	"mco0"
#define PATTERN		0xa5

/* The bytes of buf from offset on that still hold the pattern. */
static size_t pattern_left(const void *buf, size_t offset, size_t len)
{
	const uint8_t *p = buf;
	size_t n = 0;

	for (; offset < len; offset++)
		n += p[offset] == PATTERN;
	return n;
}

/* The bytes from offset on that are neither zero nor the caller's pattern. */
static size_t unexplained(const void *buf, size_t offset, size_t len)
{
	const uint8_t *p = buf;
	size_t n = 0;

	for (; offset < len; offset++)
		n += p[offset] != 0 && p[offset] != PATTERN;
	return n;
}

FIXTURE(copyout)
{
	int fd;
};

FIXTURE_VARIANT(copyout)
{
	int flags;
};

FIXTURE_VARIANT_ADD(copyout, tun)
{
	.flags = IFF_TUN,
};

FIXTURE_VARIANT_ADD(copyout, tap)
{
	.flags = IFF_TAP,
};

FIXTURE_SETUP(copyout)
{
	char name[IFNAMSIZ] = COPYOUT_IFNAME;

	ASSERT_EQ(0, enter_own_netns());
	self->fd = tun_open(MINITUN_DEV, name, variant->flags);
	ASSERT_LE(0, self->fd) TH_LOG("%s: %s", MINITUN_DEV, strerror(-self->fd));
}

FIXTURE_TEARDOWN(copyout)
{
	close(self->fd);
}

/* TUNGETIFF defines the name and the flags; the rest of the ifreq is zero. */
TEST_F(copyout, tungetiff_zeroes_the_rest_of_the_ifreq)
{
	struct ifreq ifr;

	memset(&ifr, PATTERN, sizeof(ifr));
	ASSERT_EQ(0, ioctl(self->fd, TUNGETIFF, &ifr));
	EXPECT_STREQ(COPYOUT_IFNAME, ifr.ifr_name);
	EXPECT_EQ(0, pattern_left(&ifr, 0, sizeof(ifr)))
		TH_LOG("the pattern survived in the ifreq TUNGETIFF copied out");
}

/*
 * SIOCGIFHWADDR copies the caller's ifreq in, as tun does, and fills in the
 * address: past the address's own bytes there is only what the caller sent.
 */
TEST_F(copyout, siocgifhwaddr_returns_the_address_and_the_callers_bytes)
{
	size_t defined = offsetof(struct ifreq, ifr_hwaddr.sa_data);
	struct ifreq ifr;

	if (variant->flags & IFF_TAP)
		defined += ETH_ALEN;
	memset(&ifr, PATTERN, sizeof(ifr));
	ASSERT_EQ(0, ioctl(self->fd, SIOCGIFHWADDR, &ifr));
	EXPECT_EQ(variant->flags & IFF_TAP ? ARPHRD_ETHER : ARPHRD_NONE,
		  ifr.ifr_hwaddr.sa_family);
	EXPECT_EQ(0, unexplained(&ifr, defined, sizeof(ifr)));
}

TEST_F(copyout, getbatch_defines_every_byte)
{
	struct minitun_batch batch;

	memset(&batch, PATTERN, sizeof(batch));
	ASSERT_EQ(0, ioctl(self->fd, MINITUN_GETBATCH, &batch));
	EXPECT_EQ(0, batch.version);
	EXPECT_EQ(0, batch.max_packets);
}

TEST_F(copyout, scalar_answers_are_whole)
{
	unsigned int features;
	int sndbuf;

	memset(&features, PATTERN, sizeof(features));
	ASSERT_EQ(0, ioctl(self->fd, TUNGETFEATURES, &features));
	EXPECT_EQ(0, features & ~(IFF_TUN | IFF_TAP | IFF_NO_CARRIER | IFF_NO_PI |
				  IFF_ONE_QUEUE | IFF_MULTI_QUEUE));
	memset(&sndbuf, PATTERN, sizeof(sndbuf));
	ASSERT_EQ(0, ioctl(self->fd, TUNGETSNDBUF, &sndbuf));
	EXPECT_LT(0, sndbuf);
}

/*
 * A packet read with packet info: the four bytes of tun_pi, then exactly
 * the packet; nothing past what read() returned is touched.
 */
TEST_F(copyout, read_writes_only_what_it_returns)
{
	uint8_t buf[2048];
	struct tun_pi *pi = (struct tun_pi *)buf;
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	ssize_t n;
	int udp;

	ASSERT_EQ(0, if_no_ipv6(COPYOUT_IFNAME));
	ASSERT_EQ(0, if_set_p2p(COPYOUT_IFNAME, "10.97.0.1", "10.97.0.2"));
	/* The datagram itself on TUN; on TAP, the ARP request before it. */
	udp = udp_connect("10.97.0.2", 9);
	ASSERT_LE(0, udp);
	ASSERT_EQ(5, send(udp, "hello", 5, 0));
	close(udp);
	ASSERT_EQ(1, poll(&pfd, 1, 2000));

	memset(buf, PATTERN, sizeof(buf));
	n = read(self->fd, buf, sizeof(buf));
	ASSERT_LT((ssize_t)sizeof(*pi), n);
	EXPECT_EQ(0, pi->flags);
	EXPECT_NE(0, pi->proto);
	EXPECT_EQ(sizeof(buf) - n, pattern_left(buf, n, sizeof(buf)))
		TH_LOG("read() wrote past the %zd bytes it returned", n);
}

/*
 * Two queues of one device, and a file of another device that is up, with
 * an address, and can be reached: a packet for one device is readable on
 * one of its queues and nowhere else, and then a packet for the other
 * device is readable on its file alone (so that its file seeing nothing
 * the first time means something).
 */
TEST(a_file_reads_only_its_own_queue)
{
	char name[IFNAMSIZ] = "mco1", other[IFNAMSIZ] = "mco2";
	int flags = IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE;
	struct pollfd pfd[3] = {};
	uint8_t buf[2048];
	int i, mine = -1;

	ASSERT_EQ(0, enter_own_netns());
	for (i = 0; i < 2; i++) {
		pfd[i].fd = tun_open(MINITUN_DEV, name, flags);
		ASSERT_LE(0, pfd[i].fd);
	}
	pfd[2].fd = tun_open(MINITUN_DEV, other, IFF_TUN | IFF_NO_PI);
	ASSERT_LE(0, pfd[2].fd);
	ASSERT_EQ(0, if_no_ipv6(name));
	ASSERT_EQ(0, if_set_p2p(name, "10.97.2.1", "10.97.2.2"));
	ASSERT_EQ(0, if_no_ipv6(other));
	ASSERT_EQ(0, if_set_p2p(other, "10.97.3.1", "10.97.3.2"));
	for (i = 0; i < 3; i++) {
		pfd[i].events = POLLIN;
		ASSERT_EQ(0, fcntl(pfd[i].fd, F_SETFL, O_NONBLOCK));
	}

	ASSERT_EQ(0, send_udp("10.97.2.2", 9, "hello", 5));
	ASSERT_EQ(1, poll(pfd, 3, 2000));
	for (i = 0; i < 3; i++)
		if (pfd[i].revents & POLLIN)
			mine = i;
	ASSERT_LE(0, mine);
	ASSERT_GT(2, mine) TH_LOG("another device's file saw the packet");
	for (i = 0; i < 3; i++) {
		if (i == mine) {
			EXPECT_EQ(33, read(pfd[i].fd, buf, sizeof(buf)));
		} else {
			EXPECT_EQ(-1, read(pfd[i].fd, buf, sizeof(buf)));
			EXPECT_EQ(EAGAIN, errno);
		}
	}

	/* the other device's file could have: it reads its own packet */
	ASSERT_EQ(0, send_udp("10.97.3.2", 9, "hello", 5));
	ASSERT_EQ(1, poll(pfd, 3, 2000));
	EXPECT_EQ(POLLIN, pfd[2].revents);
	EXPECT_EQ(33, read(pfd[2].fd, buf, sizeof(buf)));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(-1, read(pfd[i].fd, buf, sizeof(buf)));
		EXPECT_EQ(EAGAIN, errno);
	}
	EXPECT_EQ(1, if_stat(name, "tx_packets"));
	EXPECT_EQ(1, if_stat(other, "tx_packets"));
	for (i = 0; i < 3; i++)
		close(pfd[i].fd);
}

TEST_HARNESS_MAIN
