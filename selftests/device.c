// SPDX-License-Identifier: GPL-2.0
/*
 * The device and its file, as tun has them, checked against tun in the same
 * run: the MTU's bounds, a read() of length zero, what /proc/PID/fdinfo
 * says of the file, moving to another network namespace, rejoining a
 * persistent device with other flags, the attributes rtnetlink reports in
 * IFLA_INFO_DATA; and minitun's own default, the noqueue qdisc.
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
	ASSERT_EQ(0, enter_own_netns());
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
	char ns[32];

	/* /run/netns is every namespace's: a name of this test's own */
	snprintf(ns, sizeof(ns), "mdevns%d", getpid());
	ASSERT_EQ(0, run("ip netns add %s", ns));
	for (i = 0; i < 2; i++)
		rc[i] = run("ip link set dev %s netns %s", self->name[i], ns);
	EXPECT_EQ(rc[0], rc[1]);
	for (i = 0; i < 2 && !rc[i]; i++) {
		EXPECT_FALSE(link_exists(self->name[i])) TH_LOG("%s", nodes[i]);
		EXPECT_EQ(0, run("ip -n %s link show dev %s > /dev/null", ns,
				 self->name[i]));
		memset(&ifr, 0, sizeof(ifr));
		EXPECT_EQ(0, ioctl(self->fd[i], TUNGETIFF, &ifr));
		EXPECT_STREQ(self->name[i], ifr.ifr_name);
	}
	close(self->fd[0]);
	close(self->fd[1]);
	self->fd[0] = self->fd[1] = -1;
	EXPECT_EQ(0, run("ip netns del %s", ns));
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

/*
 * IFLA_INFO_DATA of an interface, as `ip -d link show` asks for it
 * (RTM_GETLINK): which IFLA_TUN_* attributes it holds (have[]) and their
 * values (the u8 ones widened). The kind goes to kind. 0 or -errno.
 */
static int info_data(const char *name, char *kind, size_t kind_size,
		     int have[IFLA_TUN_MAX + 1], uint32_t val[IFLA_TUN_MAX + 1])
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
		.nh.nlmsg_len = sizeof(req),
		.nh.nlmsg_type = RTM_GETLINK,
		.nh.nlmsg_flags = NLM_F_REQUEST,
		.ifi.ifi_family = AF_UNSPEC,
	};
	struct rtattr *rta, *info, *data;
	static char buf[32768];
	struct nlmsghdr *nh;
	int fd, len, ilen, dlen;

	memset(have, 0, sizeof(int) * (IFLA_TUN_MAX + 1));
	memset(val, 0, sizeof(uint32_t) * (IFLA_TUN_MAX + 1));
	*kind = '\0';
	req.ifi.ifi_index = read_number("/sys/class/net/%s/ifindex", name);
	if (req.ifi.ifi_index <= 0)
		return -ENODEV;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, sizeof(req), 0) != sizeof(req) ||
	    (len = recv(fd, buf, sizeof(buf), 0)) < 0) {
		close(fd);
		return -errno;
	}
	close(fd);
	nh = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(nh, (unsigned int)len) || nh->nlmsg_type != RTM_NEWLINK)
		return -EPROTO;

	len = IFLA_PAYLOAD(nh);
	for (rta = IFLA_RTA(NLMSG_DATA(nh)); RTA_OK(rta, len);
	     rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type != IFLA_LINKINFO)
			continue;
		ilen = RTA_PAYLOAD(rta);
		for (info = RTA_DATA(rta); RTA_OK(info, ilen);
		     info = RTA_NEXT(info, ilen)) {
			if (info->rta_type == IFLA_INFO_KIND)
				snprintf(kind, kind_size, "%.*s",
					 (int)RTA_PAYLOAD(info),
					 (char *)RTA_DATA(info));
			if (info->rta_type != IFLA_INFO_DATA)
				continue;
			dlen = RTA_PAYLOAD(info);
			for (data = RTA_DATA(info); RTA_OK(data, dlen);
			     data = RTA_NEXT(data, dlen)) {
				if (data->rta_type > IFLA_TUN_MAX)
					return -E2BIG;
				have[data->rta_type]++;
				val[data->rta_type] =
					RTA_PAYLOAD(data) == 1 ?
					*(uint8_t *)RTA_DATA(data) :
					*(uint32_t *)RTA_DATA(data);
			}
		}
	}
	return 0;
}

static const char *const tun_attr_names[IFLA_TUN_MAX + 1] = {
	[IFLA_TUN_OWNER] = "OWNER", [IFLA_TUN_GROUP] = "GROUP",
	[IFLA_TUN_TYPE] = "TYPE", [IFLA_TUN_PI] = "PI",
	[IFLA_TUN_VNET_HDR] = "VNET_HDR", [IFLA_TUN_PERSIST] = "PERSIST",
	[IFLA_TUN_MULTI_QUEUE] = "MULTI_QUEUE",
	[IFLA_TUN_NUM_QUEUES] = "NUM_QUEUES",
	[IFLA_TUN_NUM_DISABLED_QUEUES] = "NUM_DISABLED_QUEUES",
};

/*
 * minitun's IFLA_INFO_DATA is tun's for a device in the same state: the
 * same attributes, each once, with the same values; and those values are
 * the device's (want[], where have_want[] says so). iproute2 prints tun's
 * as `ip -d link show` does; it knows no "minitun" kind and prints only
 * the kind for minitun, so the attributes are read as it reads them.
 */
static void expect_info_data_as_tuns(struct __test_metadata *_metadata,
				     char (*names)[IFNAMSIZ],
				     const int *want_have, const uint32_t *want)
{
	int have[2][IFLA_TUN_MAX + 1];
	uint32_t val[2][IFLA_TUN_MAX + 1];
	char kind[2][32];
	int i, a;

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, info_data(names[i], kind[i], sizeof(kind[i]),
				       have[i], val[i])) TH_LOG("%s", names[i]);
	EXPECT_STREQ("tun", kind[0]);
	EXPECT_STREQ("minitun", kind[1]);
	for (a = 1; a <= IFLA_TUN_MAX; a++) {
		if (!tun_attr_names[a])
			continue;
		EXPECT_EQ(have[0][a], have[1][a])
			TH_LOG("IFLA_TUN_%s: tun has it %d times, minitun %d",
			       tun_attr_names[a], have[0][a], have[1][a]);
		if (have[0][a] && have[1][a])
			EXPECT_EQ(val[0][a], val[1][a])
				TH_LOG("IFLA_TUN_%s: tun says %u, minitun %u",
				       tun_attr_names[a], val[0][a], val[1][a]);
		if (want_have[a]) {
			EXPECT_EQ(1, have[1][a]) TH_LOG("IFLA_TUN_%s missing",
							tun_attr_names[a]);
			if (have[1][a])
				EXPECT_EQ(want[a], val[1][a])
					TH_LOG("IFLA_TUN_%s: %u, the device's is %u",
					       tun_attr_names[a], val[1][a], want[a]);
		}
	}
}

/*
 * IFLA_INFO_DATA as made, then with an owner, a group and persistence, as
 * tun's and as the device is.
 */
TEST_F(device, info_data_is_tuns)
{
	int want_have[IFLA_TUN_MAX + 1] = {
		[IFLA_TUN_TYPE] = 1, [IFLA_TUN_PI] = 1, [IFLA_TUN_VNET_HDR] = 1,
		[IFLA_TUN_PERSIST] = 1, [IFLA_TUN_MULTI_QUEUE] = 1,
	};
	uint32_t want[IFLA_TUN_MAX + 1] = {
		[IFLA_TUN_TYPE] = variant->flags & (IFF_TUN | IFF_TAP),
		[IFLA_TUN_PI] = !(variant->flags & IFF_NO_PI),
	};
	int i;

	expect_info_data_as_tuns(_metadata, self->name, want_have, want);

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, ioctl(self->fd[i], TUNSETOWNER, 4321));
		ASSERT_EQ(0, ioctl(self->fd[i], TUNSETGROUP, 8765));
		ASSERT_EQ(0, ioctl(self->fd[i], TUNSETPERSIST, 1));
	}
	want_have[IFLA_TUN_OWNER] = want_have[IFLA_TUN_GROUP] = 1;
	want[IFLA_TUN_OWNER] = 4321;
	want[IFLA_TUN_GROUP] = 8765;
	want[IFLA_TUN_PERSIST] = 1;
	expect_info_data_as_tuns(_metadata, self->name, want_have, want);
	for (i = 0; i < 2; i++)
		EXPECT_EQ(0, ioctl(self->fd[i], TUNSETPERSIST, 0));
}

/*
 * A multi-queue device reports its queues, attached and disabled, as tun
 * does: two queues, then one of them detached.
 */
TEST_F(device, info_data_counts_queues_as_tuns)
{
	int flags = variant->flags | IFF_MULTI_QUEUE, q[2][2], i, j;
	int want_have[IFLA_TUN_MAX + 1] = {
		[IFLA_TUN_TYPE] = 1, [IFLA_TUN_MULTI_QUEUE] = 1,
		[IFLA_TUN_NUM_QUEUES] = 1, [IFLA_TUN_NUM_DISABLED_QUEUES] = 1,
	};
	uint32_t want[IFLA_TUN_MAX + 1] = {
		[IFLA_TUN_TYPE] = variant->flags & (IFF_TUN | IFF_TAP),
		[IFLA_TUN_MULTI_QUEUE] = 1, [IFLA_TUN_NUM_QUEUES] = 2,
	};
	char names[2][IFNAMSIZ], name[IFNAMSIZ];

	for (i = 0; i < 2; i++) {
		snprintf(names[i], IFNAMSIZ, "mdevq%d", i);
		for (j = 0; j < 2; j++) {
			memcpy(name, names[i], IFNAMSIZ);
			q[i][j] = tun_open(nodes[i], name, flags);
			ASSERT_LE(0, q[i][j]) TH_LOG("%s: %s", nodes[i],
						     strerror(-q[i][j]));
		}
	}
	expect_info_data_as_tuns(_metadata, names, want_have, want);

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, tun_setqueue(q[i][1], IFF_DETACH_QUEUE));
	want[IFLA_TUN_NUM_QUEUES] = 1;
	want[IFLA_TUN_NUM_DISABLED_QUEUES] = 1;
	expect_info_data_as_tuns(_metadata, names, want_have, want);

	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++)
			close(q[i][j]);
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
