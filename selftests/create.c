// SPDX-License-Identifier: GPL-2.0
/*
 * Making a device with TUNSETIFF, and what the device then is: its name,
 * its flags as TUNGETIFF and sysfs report them, who may join it, its link
 * type and address, its carrier, how ip and ethtool see it, and that it
 * goes when its last file closes.
 */

#define _GNU_SOURCE
#include <ctype.h>
#include <net/if.h>
#include <linux/if_arp.h>

#include "helpers.h"
#include "kselftest_harness.h"

/* Unused by tun's uapi: TUNSETIFF ignores it, as tun does. */
#define IFF_UNKNOWN_BIT		0x0080
#define MINITUN_FEATURES	(IFF_TUN | IFF_TAP | IFF_NO_CARRIER | IFF_NO_PI | \
				 IFF_ONE_QUEUE | IFF_MULTI_QUEUE)
/* What tun offers and minitun refuses (README: no vnet header, no NAPI). */
#define MINITUN_REFUSED		(IFF_VNET_HDR | IFF_NAPI | IFF_NAPI_FRAGS)

/* name is prefix followed by one or more digits and nothing else. */
static bool name_from_template(const char *name, const char *prefix)
{
	size_t len = strlen(prefix);

	if (strncmp(name, prefix, len) || !name[len])
		return false;
	for (name += len; *name; name++)
		if (!isdigit((unsigned char)*name))
			return false;
	return true;
}

static int tungetiff(int fd, struct ifreq *ifr)
{
	memset(ifr, 0, sizeof(*ifr));
	return ioctl(fd, TUNGETIFF, ifr) ? -errno : 0;
}

static short if_flags(const char *name)
{
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, IFNAMSIZ, "%.*s", IFNAMSIZ - 1, name);
	if (if_ioctl(SIOCGIFFLAGS, &ifr))
		return -1;
	return ifr.ifr_flags;
}

/* The interface's carrier as sysfs shows it: 1, 0, or -1 when down. */
static long long if_carrier(const char *name)
{
	return read_number("/sys/class/net/%s/carrier", name);
}

FIXTURE(create)
{
	char name[IFNAMSIZ];
	int fd;
	int fd2;
};

/* Each behaviour holds for both kinds of device. */
FIXTURE_VARIANT(create)
{
	int type;		/* IFF_TUN or IFF_TAP */
	int other_type;
	const char *template;	/* the name given when none is asked for */
	const char *bus_info;	/* ethtool -i */
};

FIXTURE_VARIANT_ADD(create, tun)
{
	.type = IFF_TUN,
	.other_type = IFF_TAP,
	.template = "mtun",
	.bus_info = "tun",
};

FIXTURE_VARIANT_ADD(create, tap)
{
	.type = IFF_TAP,
	.other_type = IFF_TUN,
	.template = "mtap",
	.bus_info = "tap",
};

FIXTURE_SETUP(create)
{
	self->fd = -1;
	self->fd2 = -1;
	memset(self->name, 0, sizeof(self->name));
	ASSERT_EQ(0, enter_own_netns());
}

FIXTURE_TEARDOWN(create)
{
	if (self->fd2 >= 0)
		close(self->fd2);
	if (self->fd >= 0)
		close(self->fd);
}

/* Make a device named from the type's template into self->name. */
static void create_device(struct __test_metadata *_metadata,
			  FIXTURE_DATA(create) *self, int flags)
{
	self->fd = tun_open(MINITUN_DEV, self->name, flags);
	ASSERT_LE(0, self->fd) TH_LOG("TUNSETIFF: %s", strerror(-self->fd));
}

/* Join self->name with a second file: 0 or -errno. */
static int join(FIXTURE_DATA(create) *self, int flags)
{
	char name[IFNAMSIZ];

	memcpy(name, self->name, IFNAMSIZ);
	self->fd2 = tun_open(MINITUN_DEV, name, flags);
	return self->fd2 < 0 ? self->fd2 : 0;
}

TEST_F(create, empty_name_takes_the_type_template)
{
	create_device(_metadata, self, variant->type);

	EXPECT_TRUE(name_from_template(self->name, variant->template))
		TH_LOG("name written back: '%s'", self->name);
	EXPECT_TRUE(link_exists(self->name));
}

TEST_F(create, two_devices_from_the_template_get_different_names)
{
	char second[IFNAMSIZ] = "";
	int fd;

	create_device(_metadata, self, variant->type);
	fd = tun_open(MINITUN_DEV, second, variant->type);
	ASSERT_LE(0, fd);

	EXPECT_TRUE(name_from_template(second, variant->template));
	EXPECT_STRNE(self->name, second);
	EXPECT_TRUE(link_exists(self->name));
	EXPECT_TRUE(link_exists(second));
	close(fd);
}

TEST_F(create, explicit_template_is_expanded)
{
	strcpy(self->name, "mtest%d");
	create_device(_metadata, self, variant->type);

	EXPECT_TRUE(name_from_template(self->name, "mtest"))
		TH_LOG("name written back: '%s'", self->name);
	EXPECT_TRUE(link_exists(self->name));
}

TEST_F(create, explicit_name_is_kept)
{
	strcpy(self->name, "mexplicit");
	create_device(_metadata, self, variant->type);

	EXPECT_STREQ("mexplicit", self->name);
	EXPECT_TRUE(link_exists("mexplicit"));
}

TEST_F(create, tungetiff_reports_name_and_flags)
{
	static const int features[] = {
		0, IFF_NO_PI, IFF_ONE_QUEUE, IFF_MULTI_QUEUE,
		IFF_NO_PI | IFF_ONE_QUEUE | IFF_MULTI_QUEUE,
	};
	struct ifreq ifr;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(features); i++) {
		memset(self->name, 0, sizeof(self->name));
		create_device(_metadata, self, variant->type | features[i]);

		ASSERT_EQ(0, tungetiff(self->fd, &ifr));
		EXPECT_STREQ(self->name, ifr.ifr_name);
		/* IFF_NOFILTER: no socket filter, which minitun never has */
		EXPECT_EQ(variant->type | features[i] | IFF_NOFILTER,
			  (unsigned short)ifr.ifr_flags)
			TH_LOG("features 0x%x", features[i]);
		close(self->fd);
		self->fd = -1;
	}
}

TEST_F(create, sysfs_tun_flags_are_the_creation_flags)
{
	create_device(_metadata, self, variant->type | IFF_NO_PI);

	EXPECT_EQ(variant->type | IFF_NO_PI,
		  read_number("/sys/class/net/%s/tun_flags", self->name));
	EXPECT_EQ(-1, read_number("/sys/class/net/%s/owner", self->name));
	EXPECT_EQ(-1, read_number("/sys/class/net/%s/group", self->name));
}

TEST_F(create, unknown_flag_bits_are_ignored)
{
	struct ifreq ifr;

	create_device(_metadata, self, variant->type | IFF_UNKNOWN_BIT);

	ASSERT_EQ(0, tungetiff(self->fd, &ifr));
	EXPECT_EQ(variant->type | IFF_NOFILTER, (unsigned short)ifr.ifr_flags);
}

TEST_F(create, refused_features_give_einval_and_no_device)
{
	static const int refused[] = { IFF_VNET_HDR, IFF_NAPI, IFF_NAPI_FRAGS };
	unsigned int i;
	int fd;

	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		strcpy(self->name, "mrefused");
		fd = tun_open(MINITUN_DEV, self->name,
			      variant->type | refused[i]);
		EXPECT_EQ(-EINVAL, fd) TH_LOG("flag 0x%x", refused[i]);
		if (fd >= 0)
			close(fd);
		EXPECT_FALSE(link_exists("mrefused"));
	}
}

TEST_F(create, tunsetiff_twice_on_one_file_gives_eexist)
{
	struct ifreq ifr = { .ifr_flags = variant->type };

	create_device(_metadata, self, variant->type);

	strcpy(ifr.ifr_name, "msecond");
	EXPECT_EQ(-1, ioctl(self->fd, TUNSETIFF, &ifr));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_FALSE(link_exists("msecond"));

	/* Asking for the same device again is no better. */
	memcpy(ifr.ifr_name, self->name, IFNAMSIZ);
	EXPECT_EQ(-1, ioctl(self->fd, TUNSETIFF, &ifr));
	EXPECT_EQ(EEXIST, errno);
}

TEST_F(create, joining_a_single_queue_device_is_busy)
{
	create_device(_metadata, self, variant->type);

	EXPECT_EQ(-EBUSY, join(self, variant->type));
}

TEST_F(create, tun_excl_refuses_an_existing_device)
{
	create_device(_metadata, self, variant->type | IFF_MULTI_QUEUE);

	EXPECT_EQ(-EBUSY, join(self, variant->type | IFF_MULTI_QUEUE |
				     IFF_TUN_EXCL));
}

TEST_F(create, joining_with_the_other_type_is_einval)
{
	create_device(_metadata, self, variant->type | IFF_MULTI_QUEUE);

	EXPECT_EQ(-EINVAL, join(self, variant->other_type | IFF_MULTI_QUEUE));
}

TEST_F(create, joining_multiqueue_without_it_is_einval)
{
	create_device(_metadata, self, variant->type | IFF_MULTI_QUEUE);

	EXPECT_EQ(-EINVAL, join(self, variant->type));
}

TEST_F(create, joining_single_queue_with_multiqueue_is_einval)
{
	create_device(_metadata, self, variant->type);

	EXPECT_EQ(-EINVAL, join(self, variant->type | IFF_MULTI_QUEUE));
}

TEST_F(create, joining_a_device_of_another_driver_is_einval)
{
	strcpy(self->name, "lo");

	EXPECT_EQ(-EINVAL, join(self, variant->type));
	EXPECT_TRUE(link_exists("lo"));
}

TEST_F(create, joining_multiqueue_with_the_same_flags_shares_the_device)
{
	struct ifreq ifr;

	create_device(_metadata, self, variant->type | IFF_MULTI_QUEUE);
	ASSERT_EQ(0, join(self, variant->type | IFF_MULTI_QUEUE));

	ASSERT_EQ(0, tungetiff(self->fd2, &ifr));
	EXPECT_STREQ(self->name, ifr.ifr_name);
	EXPECT_EQ(2, if_tx_queues(self->name));
}

TEST_F(create, device_goes_with_its_last_file)
{
	create_device(_metadata, self, variant->type | IFF_MULTI_QUEUE);
	ASSERT_EQ(0, join(self, variant->type | IFF_MULTI_QUEUE));

	close(self->fd);
	self->fd = -1;
	EXPECT_TRUE(link_exists(self->name));

	close(self->fd2);
	self->fd2 = -1;
	EXPECT_FALSE(link_exists(self->name));
	EXPECT_EQ(-1, read_number("/sys/class/net/%s/ifindex", self->name));
}

TEST_F(create, file_of_a_deleted_device_can_make_another)
{
	struct ifreq ifr = { .ifr_flags = variant->type }, now;

	create_device(_metadata, self, variant->type);
	ASSERT_EQ(0, run("ip link del dev %s", self->name));
	ASSERT_FALSE(link_exists(self->name));

	ASSERT_EQ(0, ioctl(self->fd, TUNSETIFF, &ifr));
	EXPECT_TRUE(name_from_template(ifr.ifr_name, variant->template));
	EXPECT_TRUE(link_exists(ifr.ifr_name));
	ASSERT_EQ(0, tungetiff(self->fd, &now));
	EXPECT_STREQ(ifr.ifr_name, now.ifr_name);

	close(self->fd);
	self->fd = -1;
	EXPECT_FALSE(link_exists(ifr.ifr_name));
}

TEST_F(create, ethtool_names_the_driver)
{
	char out[4096], expect[64];

	create_device(_metadata, self, variant->type);

	ASSERT_EQ(0, run_output(out, sizeof(out), "ethtool -i %s", self->name))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "driver: minitun\n")) TH_LOG("%s", out);
	snprintf(expect, sizeof(expect), "bus-info: %s\n", variant->bus_info);
	EXPECT_NE(NULL, strstr(out, expect)) TH_LOG("%s", out);
}

TEST_F(create, ip_link_details_show_kind_minitun)
{
	char out[8192];

	create_device(_metadata, self, variant->type);

	ASSERT_EQ(0, run_output(out, sizeof(out), "ip -j -d link show dev %s",
				self->name))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"info_kind\":\"minitun\"")) TH_LOG("%s", out);
}

TEST_F(create, carrier_is_on_after_tunsetiff)
{
	create_device(_metadata, self, variant->type);
	ASSERT_EQ(0, if_set_up(self->name, 1));

	EXPECT_EQ(1, if_carrier(self->name));
}

TEST_F(create, no_carrier_flag_starts_with_carrier_off)
{
	create_device(_metadata, self, variant->type | IFF_NO_CARRIER);
	ASSERT_EQ(0, if_set_up(self->name, 1));

	EXPECT_EQ(0, if_carrier(self->name));
}

TEST_F(create, tunsetcarrier_switches_the_carrier_both_ways)
{
	int on = 1, off = 0;

	create_device(_metadata, self, variant->type | IFF_NO_CARRIER);
	ASSERT_EQ(0, if_set_up(self->name, 1));

	ASSERT_EQ(0, ioctl(self->fd, TUNSETCARRIER, &on));
	EXPECT_EQ(1, if_carrier(self->name));
	ASSERT_EQ(0, ioctl(self->fd, TUNSETCARRIER, &off));
	EXPECT_EQ(0, if_carrier(self->name));
	ASSERT_EQ(0, ioctl(self->fd, TUNSETCARRIER, &on));
	EXPECT_EQ(1, if_carrier(self->name));
}

TEST_F(create, ip_link_set_carrier_switches_it_both_ways)
{
	create_device(_metadata, self, variant->type);
	ASSERT_EQ(0, if_set_up(self->name, 1));

	ASSERT_EQ(0, run("ip link set dev %s carrier off", self->name));
	EXPECT_EQ(0, if_carrier(self->name));
	ASSERT_EQ(0, run("ip link set dev %s carrier on", self->name));
	EXPECT_EQ(1, if_carrier(self->name));
}

/* The kind of link each mode makes, and the address it has. */

static void hwaddr_through_fd(struct __test_metadata *_metadata, int fd,
			      struct sockaddr *addr)
{
	struct ifreq ifr = {};

	ASSERT_EQ(0, ioctl(fd, SIOCGIFHWADDR, &ifr));
	*addr = ifr.ifr_hwaddr;
}

static void hwaddr_through_socket(struct __test_metadata *_metadata,
				  const char *name, struct sockaddr *addr)
{
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, IFNAMSIZ, "%.*s", IFNAMSIZ - 1, name);
	ASSERT_EQ(0, if_ioctl(SIOCGIFHWADDR, &ifr));
	*addr = ifr.ifr_hwaddr;
}

TEST(tun_is_a_point_to_point_link_without_address)
{
	static const char zeros[sizeof(((struct sockaddr *)0)->sa_data)];
	char name[IFNAMSIZ] = "";
	struct sockaddr addr;
	short flags;
	int fd;

	fd = tun_open(MINITUN_DEV, name, IFF_TUN);
	ASSERT_LE(0, fd);

	EXPECT_EQ(ARPHRD_NONE, read_number("/sys/class/net/%s/type", name));
	EXPECT_EQ(0, read_number("/sys/class/net/%s/addr_len", name));
	EXPECT_EQ(1500, read_number("/sys/class/net/%s/mtu", name));
	flags = if_flags(name);
	EXPECT_TRUE(flags & IFF_POINTOPOINT);
	EXPECT_TRUE(flags & IFF_NOARP);
	EXPECT_FALSE(flags & IFF_BROADCAST);

	hwaddr_through_fd(_metadata, fd, &addr);
	EXPECT_EQ(ARPHRD_NONE, addr.sa_family);
	EXPECT_EQ(0, memcmp(zeros, addr.sa_data, sizeof(zeros)));
	close(fd);
}

TEST(tun_has_no_mac_to_set)
{
	char name[IFNAMSIZ] = "";
	struct ifreq ifr = {};
	int fd;

	fd = tun_open(MINITUN_DEV, name, IFF_TUN);
	ASSERT_LE(0, fd);

	ifr.ifr_hwaddr.sa_family = ARPHRD_NONE;
	EXPECT_EQ(-1, ioctl(fd, SIOCSIFHWADDR, &ifr));
	EXPECT_EQ(EOPNOTSUPP, errno);
	close(fd);
}

static bool mac_is_random_unicast(const unsigned char *mac)
{
	static const unsigned char zeros[ETH_ALEN];

	/* eth_hw_addr_random(): locally administered, never multicast */
	return memcmp(mac, zeros, ETH_ALEN) && !(mac[0] & 1) && (mac[0] & 2);
}

TEST(tap_is_ethernet_with_a_random_unicast_mac)
{
	char name[IFNAMSIZ] = "", other[IFNAMSIZ] = "";
	struct sockaddr by_fd, by_socket, of_other;
	int fd, fd2;
	short flags;

	fd = tun_open(MINITUN_DEV, name, IFF_TAP);
	ASSERT_LE(0, fd);
	fd2 = tun_open(MINITUN_DEV, other, IFF_TAP);
	ASSERT_LE(0, fd2);

	EXPECT_EQ(ARPHRD_ETHER, read_number("/sys/class/net/%s/type", name));
	EXPECT_EQ(ETH_ALEN, read_number("/sys/class/net/%s/addr_len", name));
	/* NET_ADDR_RANDOM */
	EXPECT_EQ(1, read_number("/sys/class/net/%s/addr_assign_type", name));
	flags = if_flags(name);
	EXPECT_TRUE(flags & IFF_BROADCAST);
	EXPECT_FALSE(flags & (IFF_POINTOPOINT | IFF_NOARP));

	hwaddr_through_fd(_metadata, fd, &by_fd);
	hwaddr_through_socket(_metadata, name, &by_socket);
	hwaddr_through_socket(_metadata, other, &of_other);
	EXPECT_EQ(ARPHRD_ETHER, by_fd.sa_family);
	EXPECT_EQ(0, memcmp(by_fd.sa_data, by_socket.sa_data, ETH_ALEN));
	EXPECT_TRUE(mac_is_random_unicast((unsigned char *)by_fd.sa_data));
	EXPECT_TRUE(mac_is_random_unicast((unsigned char *)of_other.sa_data));
	EXPECT_NE(0, memcmp(by_fd.sa_data, of_other.sa_data, ETH_ALEN));
	close(fd2);
	close(fd);
}

TEST(tap_mac_is_set_through_the_file)
{
	static const unsigned char mac[ETH_ALEN] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const unsigned char multicast[ETH_ALEN] = { 0x01, 0x11, 0x22, 0x33, 0x44, 0x55 };
	char name[IFNAMSIZ] = "";
	struct ifreq ifr = {};
	struct sockaddr addr;
	int fd;

	fd = tun_open(MINITUN_DEV, name, IFF_TAP);
	ASSERT_LE(0, fd);

	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, ETH_ALEN);
	ASSERT_EQ(0, ioctl(fd, SIOCSIFHWADDR, &ifr));
	hwaddr_through_socket(_metadata, name, &addr);
	EXPECT_EQ(0, memcmp(mac, addr.sa_data, ETH_ALEN));
	/* NET_ADDR_SET */
	EXPECT_EQ(3, read_number("/sys/class/net/%s/addr_assign_type", name));

	memcpy(ifr.ifr_hwaddr.sa_data, multicast, ETH_ALEN);
	EXPECT_EQ(-1, ioctl(fd, SIOCSIFHWADDR, &ifr));
	EXPECT_EQ(EADDRNOTAVAIL, errno);
	hwaddr_through_fd(_metadata, fd, &addr);
	EXPECT_EQ(0, memcmp(mac, addr.sa_data, ETH_ALEN));
	close(fd);
}

/* Features and refusals that do not depend on the kind of device. */

static int features_of(const char *node, unsigned int *features)
{
	int fd, err = 0;

	fd = open(node, O_RDWR);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, TUNGETFEATURES, features))
		err = -errno;
	close(fd);
	return err;
}

TEST(tungetfeatures_offers_what_minitun_implements)
{
	char name[IFNAMSIZ] = "";
	unsigned int features;
	int fd;

	ASSERT_EQ(0, features_of(MINITUN_DEV, &features));
	EXPECT_EQ(MINITUN_FEATURES, features);

	/* the same once the file is a device's queue */
	fd = tun_open(MINITUN_DEV, name, IFF_TUN);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, TUNGETFEATURES, &features));
	EXPECT_EQ(MINITUN_FEATURES, features);
	close(fd);
}

TEST(tungetfeatures_is_tuns_without_what_minitun_refuses)
{
	unsigned int tun, minitun;

	if (run("modprobe tun") || access(TUN_DEV, F_OK))
		SKIP(return, "no tun driver to compare with");
	ASSERT_EQ(0, features_of(TUN_DEV, &tun));
	ASSERT_EQ(0, features_of(MINITUN_DEV, &minitun));

	EXPECT_EQ(tun & ~MINITUN_REFUSED, minitun)
		TH_LOG("tun 0x%x, minitun 0x%x", tun, minitun);
}

TEST(no_type_is_einval)
{
	char name[IFNAMSIZ] = "mnotype";

	ASSERT_EQ(0, enter_own_netns());
	EXPECT_EQ(-EINVAL, tun_open(MINITUN_DEV, name, IFF_NO_PI));
	EXPECT_FALSE(link_exists("mnotype"));
}

TEST(ip_link_add_type_minitun_is_refused)
{
	char out[4096];

	ASSERT_EQ(0, enter_own_netns());
	EXPECT_NE(0, run_output(out, sizeof(out),
				"ip link add mbyrtnl type minitun"));
	EXPECT_FALSE(link_exists("mbyrtnl"));
	/* and the refusal says how devices are made */
	EXPECT_NE(NULL, strstr(out, "TUNSETIFF")) TH_LOG("%s", out);
}

/* ETHTOOL_GSET through the classic ioctl: speed and duplex, or -errno. */
static int link_speed_duplex(const char *name, unsigned int *speed,
			     unsigned int *duplex)
{
	struct ethtool_cmd ecmd = { .cmd = ETHTOOL_GSET };
	struct ifreq ifr = { .ifr_data = (void *)&ecmd };
	int err;

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	err = if_ioctl(SIOCETHTOOL, &ifr);
	if (err)
		return err;
	*speed = ethtool_cmd_speed(&ecmd);
	*duplex = ecmd.duplex;
	return 0;
}

/*
 * What tunctl-style scripts and ethtool see of the running kernel's tun,
 * minitun answers alike: TUNSETNOCSUM and TUNSETDEBUG succeed (EBADFD
 * with no device), and the link reports tun's speed and duplex.
 */
TEST(tun_clients_find_nocsum_debug_and_link_settings_as_on_tun)
{
	static const char *const nodes[] = { TUN_DEV, MINITUN_DEV };
	unsigned int speed[2], duplex[2], i;
	char name[IFNAMSIZ];
	int fd;

	if (access(TUN_DEV, F_OK))
		ASSERT_EQ(0, run("modprobe tun"));
	ASSERT_EQ(0, enter_own_netns());
	for (i = 0; i < 2; i++) {
		fd = open(nodes[i], O_RDWR);
		ASSERT_LE(0, fd) TH_LOG("%s: %s", nodes[i], strerror(errno));
		EXPECT_EQ(-1, ioctl(fd, TUNSETNOCSUM, 1));
		EXPECT_EQ(EBADFD, errno) TH_LOG("%s", nodes[i]);
		close(fd);

		snprintf(name, sizeof(name), "%s", i ? "mtcli0" : "tcli0");
		fd = tun_open(nodes[i], name, IFF_TAP | IFF_NO_PI);
		ASSERT_LE(0, fd) TH_LOG("%s: %s", nodes[i], strerror(-fd));
		EXPECT_EQ(0, ioctl(fd, TUNSETNOCSUM, 1)) TH_LOG("%s: %s", nodes[i], strerror(errno));
		EXPECT_EQ(0, ioctl(fd, TUNSETDEBUG, 1)) TH_LOG("%s: %s", nodes[i], strerror(errno));
		EXPECT_EQ(0, link_speed_duplex(name, &speed[i], &duplex[i])) TH_LOG("%s", nodes[i]);
		close(fd);
	}
	EXPECT_EQ(speed[0], speed[1]);
	EXPECT_EQ(duplex[0], duplex[1]);
}

TEST_HARNESS_MAIN
