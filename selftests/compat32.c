// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctls from a 32-bit program (built with gcc -m32), which reach the
 * driver through compat_ioctl: each answers as the same call on tun does,
 * and as it does for a 64-bit program. A pointer that compat_ioctl did not
 * convert would point nowhere, and the call would fail with EFAULT.
 */

#define _GNU_SOURCE
#include <sys/mman.h>

#include "helpers.h"
#include "kselftest_harness.h"
#include "uapi/minitun.h"

static const char *const nodes[] = { TUN_DEV, MINITUN_DEV };

FIXTURE(compat)
{
	int fd[2];			/* on tun, on minitun */
	char name[2][IFNAMSIZ];
};

FIXTURE_VARIANT(compat)
{
	int flags;
};

FIXTURE_VARIANT_ADD(compat, tun)
{
	.flags = IFF_TUN | IFF_NO_PI,
};

FIXTURE_VARIANT_ADD(compat, tap_multiqueue)
{
	.flags = IFF_TAP | IFF_MULTI_QUEUE,
};

FIXTURE_SETUP(compat)
{
	int i;

	ASSERT_EQ(4, sizeof(long)) TH_LOG("not built with -m32");
	REQUIRE_TUN();
	ASSERT_EQ(0, enter_own_netns());
	for (i = 0; i < 2; i++) {
		snprintf(self->name[i], IFNAMSIZ, "mc32%d", i);
		self->fd[i] = tun_open(nodes[i], self->name[i], variant->flags);
		ASSERT_LE(0, self->fd[i]) TH_LOG("%s: TUNSETIFF: %s", nodes[i],
						 strerror(-self->fd[i]));
	}
}

FIXTURE_TEARDOWN(compat)
{
	close(self->fd[0]);
	close(self->fd[1]);
}

/* ioctl() as 0 or -errno, for comparing the two sides. */
static int call(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

TEST_F(compat, tungetiff_names_the_device_and_its_flags)
{
	struct ifreq ifr[2];
	int i;

	for (i = 0; i < 2; i++) {
		memset(&ifr[i], 0, sizeof(ifr[i]));
		ASSERT_EQ(0, call(self->fd[i], TUNGETIFF, &ifr[i])) TH_LOG("%s", nodes[i]);
		EXPECT_STREQ(self->name[i], ifr[i].ifr_name);
	}
	EXPECT_EQ(ifr[0].ifr_flags, ifr[1].ifr_flags);
}

/*
 * A 32-bit ifreq is 32 bytes, not 40: TUNGETIFF copies out no more, as on
 * tun. An ifreq that ends where its page does, before an inaccessible one,
 * shows it: a 40-byte copy would fault.
 */
TEST_F(compat, tungetiff_copies_the_32_bit_ifreq)
{
	long page = sysconf(_SC_PAGESIZE);
	struct ifreq *ifr;
	uint8_t *map;
	int i;

	ASSERT_EQ(32, sizeof(*ifr));
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(map != MAP_FAILED);
	ASSERT_EQ(0, mprotect(map + page, page, PROT_NONE));
	ifr = (struct ifreq *)(map + page - sizeof(*ifr));
	for (i = 0; i < 2; i++) {
		memset(ifr, 0, sizeof(*ifr));
		EXPECT_EQ(0, call(self->fd[i], TUNGETIFF, ifr)) TH_LOG("%s", nodes[i]);
		EXPECT_STREQ(self->name[i], ifr->ifr_name);
	}
	munmap(map, 2 * page);
}

TEST_F(compat, tungetfeatures_offers_the_flags_in_use)
{
	unsigned int features[2];
	int i;

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, call(self->fd[i], TUNGETFEATURES, &features[i]));
	EXPECT_EQ(0, features[1] & ~features[0]) TH_LOG("offers what tun does not");
	EXPECT_EQ((unsigned int)variant->flags, features[1] & variant->flags);
}

TEST_F(compat, sndbuf_goes_in_and_comes_back)
{
	int i, sndbuf, got;

	for (i = 0; i < 2; i++) {
		sndbuf = 65536;
		ASSERT_EQ(0, call(self->fd[i], TUNSETSNDBUF, &sndbuf)) TH_LOG("%s", nodes[i]);
		got = 0;
		ASSERT_EQ(0, call(self->fd[i], TUNGETSNDBUF, &got));
		EXPECT_EQ(sndbuf, got) TH_LOG("%s", nodes[i]);
	}
}

TEST_F(compat, carrier_and_hwaddr_as_tun)
{
	struct ifreq ifr[2];
	int i, off = 0, on = 1;

	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, call(self->fd[i], TUNSETCARRIER, &off)) TH_LOG("%s", nodes[i]);
		EXPECT_EQ(0, call(self->fd[i], TUNSETCARRIER, &on));
		memset(&ifr[i], 0, sizeof(ifr[i]));
		EXPECT_EQ(0, call(self->fd[i], SIOCGIFHWADDR, &ifr[i])) TH_LOG("%s", nodes[i]);
	}
	EXPECT_EQ(ifr[0].ifr_hwaddr.sa_family, ifr[1].ifr_hwaddr.sa_family);
}

TEST_F(compat, tunsetqueue_detaches_and_attaches)
{
	struct ifreq ifr;
	int i, want;

	for (i = 0; i < 2; i++) {
		/* a single-queue device has no queue to detach: EINVAL on both */
		want = variant->flags & IFF_MULTI_QUEUE ? 0 : -EINVAL;
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = IFF_DETACH_QUEUE;
		EXPECT_EQ(want, call(self->fd[i], TUNSETQUEUE, &ifr)) TH_LOG("%s", nodes[i]);
		if (want)
			continue;
		ifr.ifr_flags = IFF_ATTACH_QUEUE;
		EXPECT_EQ(0, call(self->fd[i], TUNSETQUEUE, &ifr)) TH_LOG("%s", nodes[i]);
	}
}

TEST_F(compat, a_bad_pointer_is_efault_as_on_tun)
{
	EXPECT_EQ(-EFAULT, call(self->fd[0], TUNGETIFF, (void *)16));
	EXPECT_EQ(-EFAULT, call(self->fd[1], TUNGETIFF, (void *)16));
}

/* minitun's own ioctls, which tun does not have. */
TEST_F(compat, batch_mode_goes_in_and_comes_back)
{
	struct minitun_batch set = { .version = MINITUN_BATCH_V1,
				     .max_packets = 8 }, got;

	ASSERT_EQ(0, call(self->fd[1], MINITUN_SETBATCH, &set));
	memset(&got, 0xa5, sizeof(got));
	ASSERT_EQ(0, call(self->fd[1], MINITUN_GETBATCH, &got));
	EXPECT_EQ(set.version, got.version);
	EXPECT_EQ(set.max_packets, got.max_packets);
}

TEST_HARNESS_MAIN
