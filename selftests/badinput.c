// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input, answered as tun answers it. Each case is one malformed write,
 * read or ioctl, made from the same starting state once on /dev/net/tun and
 * once on /dev/minitun. Both must return the same value with the same errno,
 * add the same number of interfaces, and move the same interface counters;
 * a call tun refuses may move only the error counters (rx_dropped and
 * friends).
 *
 * Each case also says what tun answers. That is not what minitun is held
 * to (tun is, in the same run); it guards the case itself: a setup that went
 * wrong would otherwise pass with both sides failing alike for the wrong
 * reason.
 *
 * The few places where minitun refuses on purpose what tun accepts are
 * cases of their own (DIFFERING_CASE), which check both answers; so are the
 * two where minitun answers as tun does but loses less or counts more
 * (LOSSLESS_CASE): a read buffer too small for tun_pi leaves the packet
 * queued, and a packet whose copy to the reader faults counts as dropped.
 */

#define _GNU_SOURCE
#include <asm/byteorder.h>
#include <dirent.h>
#include <limits.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>

#include "helpers.h"
#include "kselftest_harness.h"

#define BAD_IFNAME	"bad0"
#define LOCAL_ADDR	"10.99.0.1"
#define PEER_ADDR	"10.99.0.2"
#define MAX_COUNTERS	32
/* More than one skb head can ever be: kmalloc's largest is 4 MiB. */
#define OVERSIZED_WRITE	(8 << 20)
/* Not one of tun's ioctls, nor of any kernel's so far. */
#define UNKNOWN_IOCTL	_IO('T', 0xff)

/* The state a case starts from. */
enum bad_state {
	NO_DEVICE,	/* opened, no TUNSETIFF */
	DOWN,		/* the only queue of BAD_IFNAME, interface down */
	UP,		/* ... up */
	QUEUED,		/* ... up, one UDP datagram queued for the reader */
	DETACHED,	/* the only queue of a multiqueue device, detached */
};

struct bad_ctx {
	const char *node;
	int fd;
	int other_fd;		/* a second file, for cases that need one */
	char ifname[IFNAMSIZ];	/* the device to watch; empty for NO_DEVICE */
};

struct counter {
	char name[NAME_MAX + 1];
	long long value;
};

/* What one node answered, and what that changed. */
struct outcome {
	long ret;
	int err;		/* errno when ret < 0, else 0 */
	int interfaces_added;
	bool readable_after;	/* a packet still waits to be read */
	int ncounters;
	struct counter delta[MAX_COUNTERS];
};

FIXTURE(badinput)
{
	struct outcome tun;
	struct outcome minitun;
};

FIXTURE_VARIANT(badinput)
{
	int iff;		/* TUNSETIFF flags; unused for NO_DEVICE */
	enum bad_state state;
	long (*call)(struct bad_ctx *ctx);
	int tun_errno;		/* tun's answer: 0 when it accepts */
	int minitun_errno;
	bool differs;		/* minitun refuses on purpose */
	bool minitun_keeps;	/* ... keeps queued the packet tun loses */
	const char *minitun_counts;	/* ... counts once what tun does not */
};

/*
 * One case, written once and made on both nodes: its name, the TUNSETIFF
 * flags and state it starts from, tun's errno (0: tun accepts), then the
 * body of the call, whose return value is compared.
 */
#define BAD_CASE(name, flags, from, tun_err)				\
	__DEFINE_CASE(name, flags, from, tun_err, tun_err, false)

/* A deliberate difference: tun answers tun_err, minitun minitun_err. */
#define DIFFERING_CASE(name, flags, from, tun_err, minitun_err)	\
	__DEFINE_CASE(name, flags, from, tun_err, minitun_err, true)

/*
 * The same errno as tun, where minitun loses nothing (keeps: the packet is
 * still queued) or counts the packet it loses in one more counter.
 */
#define LOSSLESS_CASE(name, flags, from, err, keeps, counts)		\
	__DEFINE_CASE(name, flags, from, err, err, true,		\
		      .minitun_keeps = keeps, .minitun_counts = counts)

#define __DEFINE_CASE(name, flags, from, tun_err, minitun_err, differ, ...) \
	static long call_##name(struct bad_ctx *ctx);			\
	FIXTURE_VARIANT_ADD(badinput, name) {				\
		.iff = flags,						\
		.state = from,						\
		.call = call_##name,					\
		.tun_errno = tun_err,					\
		.minitun_errno = minitun_err,				\
		.differs = differ,					\
		__VA_ARGS__						\
	};								\
	static long call_##name(struct bad_ctx *ctx __attribute__((unused)))

/* An IPv4 header to nowhere, behind tun_pi when the case wants one. */
struct pi_packet {
	struct tun_pi pi;
	struct iphdr ip;
} __attribute__((packed));

static const struct pi_packet ipv4_packet = {
	.pi = { .proto = __constant_htons(ETH_P_IP) },
	.ip = {
		.version = 4,
		.ihl = 5,
		.ttl = 64,
		.protocol = 253,	/* RFC 3692 experimentation */
		.tot_len = __constant_htons(sizeof(struct iphdr)),
		.saddr = __constant_htonl(0x0a630002),	/* PEER_ADDR */
		.daddr = __constant_htonl(0x0a630001),	/* LOCAL_ADDR */
	},
};

static char zeros[64];
/* A page of the test's own that cannot be read or written: access_ok()
 * lets it through, so the driver's own copy is what faults.
 */
static void *unreadable;

/* Writes */

BAD_CASE(write_shorter_than_pi_0, IFF_TUN, UP, EINVAL)
{
	return write(ctx->fd, zeros, 0);
}

BAD_CASE(write_shorter_than_pi_1, IFF_TUN, UP, EINVAL)
{
	return write(ctx->fd, zeros, 1);
}

BAD_CASE(write_shorter_than_pi_3, IFF_TUN, UP, EINVAL)
{
	return write(ctx->fd, zeros, sizeof(struct tun_pi) - 1);
}

/* An empty packet: tun hands it to the stack and counts it. */
BAD_CASE(write_pi_alone, IFF_TUN, UP, 0)
{
	return write(ctx->fd, &ipv4_packet.pi, sizeof(ipv4_packet.pi));
}

/* The stack has no handler for it: rx_nohandler, after rx_packets. */
BAD_CASE(write_pi_unknown_protocol, IFF_TUN, UP, 0)
{
	struct pi_packet packet = ipv4_packet;

	packet.pi.proto = htons(0x88b5);	/* IEEE local experimental */
	return write(ctx->fd, &packet, sizeof(packet));
}

BAD_CASE(write_no_pi_empty, IFF_TUN | IFF_NO_PI, UP, EINVAL)
{
	return write(ctx->fd, zeros, 0);
}

BAD_CASE(write_no_pi_bad_ip_version, IFF_TUN | IFF_NO_PI, UP, EINVAL)
{
	struct iphdr ip = ipv4_packet.ip;

	ip.version = 5;
	return write(ctx->fd, &ip, sizeof(ip));
}

BAD_CASE(write_tap_shorter_than_ethernet, IFF_TAP, UP, EINVAL)
{
	return write(ctx->fd, zeros, sizeof(struct tun_pi) + ETH_HLEN - 1);
}

BAD_CASE(write_tap_no_pi_shorter_than_ethernet, IFF_TAP | IFF_NO_PI, UP,
	 EINVAL)
{
	return write(ctx->fd, zeros, ETH_HLEN - 1);
}

/* No skb can hold it: the allocation fails, quietly, on both. */
BAD_CASE(write_oversized, IFF_TUN | IFF_NO_PI, UP, ENOBUFS)
{
	char *big = calloc(1, OVERSIZED_WRITE);
	long ret;
	int err;

	if (!big)
		return -1;
	memcpy(big, &ipv4_packet.ip, sizeof(ipv4_packet.ip));
	ret = write(ctx->fd, big, OVERSIZED_WRITE);
	err = errno;
	free(big);
	errno = err;
	return ret;
}

BAD_CASE(write_interface_down, IFF_TUN, DOWN, EIO)
{
	return write(ctx->fd, &ipv4_packet, sizeof(ipv4_packet));
}

BAD_CASE(write_no_device, 0, NO_DEVICE, EBADFD)
{
	return write(ctx->fd, &ipv4_packet, sizeof(ipv4_packet));
}

BAD_CASE(write_bad_pointer_pi, IFF_TUN, UP, EFAULT)
{
	return write(ctx->fd, unreadable, sizeof(ipv4_packet));
}

/* The skb is allocated before the copy faults: rx_dropped counts it. */
BAD_CASE(write_bad_pointer_no_pi, IFF_TUN | IFF_NO_PI, UP, EFAULT)
{
	return write(ctx->fd, unreadable, sizeof(ipv4_packet.ip));
}

/* Reads */

BAD_CASE(read_no_device, 0, NO_DEVICE, EBADFD)
{
	char buf[64];

	return read(ctx->fd, buf, sizeof(buf));
}

/* tun takes the packet off the ring and loses it; minitun refuses first. */
LOSSLESS_CASE(read_shorter_than_pi, IFF_TUN, QUEUED, EINVAL, true, NULL)
{
	char buf[sizeof(struct tun_pi) - 1];

	return read(ctx->fd, buf, sizeof(buf));
}

/* Both lose the packet; minitun drops it with a reason and counts it. */
LOSSLESS_CASE(read_bad_pointer_pi, IFF_TUN, QUEUED, EFAULT, false, "tx_dropped")
{
	return read(ctx->fd, unreadable, 1500);
}

/*
 * Without packet info nothing is copied before the packet itself, whose
 * copy tun does not check: the read "succeeds" and counts the packet.
 */
BAD_CASE(read_bad_pointer_no_pi, IFF_TUN | IFF_NO_PI, QUEUED, 0)
{
	return read(ctx->fd, unreadable, 1500);
}

BAD_CASE(poll_no_device, 0, NO_DEVICE, 0)
{
	struct pollfd pfd = { .fd = ctx->fd, .events = POLLIN | POLLOUT };

	if (poll(&pfd, 1, 0) < 0)
		return -1;
	return pfd.revents;
}

/* TUNSETIFF */

static long set_iff(int fd, const char *name, int flags)
{
	struct ifreq ifr = { .ifr_flags = flags };

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	return ioctl(fd, TUNSETIFF, &ifr);
}

BAD_CASE(setiff_no_type, 0, NO_DEVICE, EINVAL)
{
	return set_iff(ctx->fd, "", IFF_NO_PI);
}

/* A name register_netdevice() refuses: nothing may be left behind. */
#define BAD_NAME_CASE(case_name, ifname)				\
	BAD_CASE(case_name, 0, NO_DEVICE, EINVAL)			\
	{								\
		return set_iff(ctx->fd, ifname, IFF_TUN);		\
	}

BAD_NAME_CASE(setiff_name_with_slash, "a/b")
BAD_NAME_CASE(setiff_name_dot, ".")
BAD_NAME_CASE(setiff_name_dotdot, "..")
BAD_NAME_CASE(setiff_name_with_space, "a b")
BAD_NAME_CASE(setiff_name_with_colon, "a:b")
/* Two %d in a template: the name allocator refuses it. */
BAD_NAME_CASE(setiff_name_two_templates, "a%d%d")

/* A device that exists but is not of the driver: lo. */
BAD_CASE(setiff_name_of_other_driver, 0, NO_DEVICE, EINVAL)
{
	return set_iff(ctx->fd, "lo", IFF_TUN);
}

BAD_CASE(setiff_twice, IFF_TUN, DOWN, EEXIST)
{
	return set_iff(ctx->fd, "", IFF_TUN);
}

BAD_CASE(setiff_bad_pointer, 0, NO_DEVICE, EFAULT)
{
	return ioctl(ctx->fd, TUNSETIFF, unreadable);
}

/* A second file joining BAD_IFNAME with the given flags. */
static long join(struct bad_ctx *ctx, int flags)
{
	ctx->other_fd = open(ctx->node, O_RDWR);
	if (ctx->other_fd < 0)
		return -1;
	return set_iff(ctx->other_fd, ctx->ifname, flags);
}

BAD_CASE(setiff_exclusive_on_existing, IFF_TUN, DOWN, EBUSY)
{
	return join(ctx, IFF_TUN | IFF_TUN_EXCL);
}

BAD_CASE(setiff_second_queue_single_queue, IFF_TUN, DOWN, EBUSY)
{
	return join(ctx, IFF_TUN);
}

BAD_CASE(setiff_multi_queue_mismatch, IFF_TUN, DOWN, EINVAL)
{
	return join(ctx, IFF_TUN | IFF_MULTI_QUEUE);
}

BAD_CASE(setiff_tap_on_tun, IFF_TUN, DOWN, EINVAL)
{
	return join(ctx, IFF_TAP);
}

/* A detached queue still belongs to its device. */
BAD_CASE(setiff_on_detached_queue, IFF_TUN | IFF_MULTI_QUEUE, DETACHED,
	 EEXIST)
{
	return set_iff(ctx->fd, "", IFF_TUN | IFF_MULTI_QUEUE);
}

/* Flags tun has and minitun does not implement: refused, not ignored. */
DIFFERING_CASE(setiff_vnet_hdr, 0, NO_DEVICE, 0, EINVAL)
{
	return set_iff(ctx->fd, "", IFF_TUN | IFF_VNET_HDR);
}

DIFFERING_CASE(setiff_napi, 0, NO_DEVICE, 0, EINVAL)
{
	return set_iff(ctx->fd, "", IFF_TAP | IFF_NAPI);
}

DIFFERING_CASE(setiff_napi_frags, 0, NO_DEVICE, 0, EINVAL)
{
	return set_iff(ctx->fd, "", IFF_TAP | IFF_NAPI | IFF_NAPI_FRAGS);
}

/* The other ioctls */

BAD_CASE(getiff_no_device, 0, NO_DEVICE, EBADFD)
{
	struct ifreq ifr = {};

	return ioctl(ctx->fd, TUNGETIFF, &ifr);
}

BAD_CASE(getiff_bad_pointer, IFF_TUN, DOWN, EFAULT)
{
	return ioctl(ctx->fd, TUNGETIFF, unreadable);
}

BAD_CASE(getfeatures_bad_pointer, 0, NO_DEVICE, EFAULT)
{
	return ioctl(ctx->fd, TUNGETFEATURES, unreadable);
}

BAD_CASE(setpersist_no_device, 0, NO_DEVICE, EBADFD)
{
	return ioctl(ctx->fd, TUNSETPERSIST, 1);
}

/* Owner and group are values: -1 is no user at all. */
BAD_CASE(setowner_invalid, IFF_TUN, DOWN, EINVAL)
{
	return ioctl(ctx->fd, TUNSETOWNER, -1);
}

BAD_CASE(setgroup_invalid, IFF_TUN, DOWN, EINVAL)
{
	return ioctl(ctx->fd, TUNSETGROUP, -1);
}

BAD_CASE(setsndbuf_zero, IFF_TUN, DOWN, EINVAL)
{
	int sndbuf = 0;

	return ioctl(ctx->fd, TUNSETSNDBUF, &sndbuf);
}

BAD_CASE(setsndbuf_negative, IFF_TUN, DOWN, EINVAL)
{
	int sndbuf = -4096;

	return ioctl(ctx->fd, TUNSETSNDBUF, &sndbuf);
}

BAD_CASE(setsndbuf_bad_pointer, IFF_TUN, DOWN, EFAULT)
{
	return ioctl(ctx->fd, TUNSETSNDBUF, unreadable);
}

static long set_queue(int fd, int flags)
{
	struct ifreq ifr = { .ifr_flags = flags };

	return ioctl(fd, TUNSETQUEUE, &ifr);
}

BAD_CASE(setqueue_detach_single_queue, IFF_TUN, DOWN, EINVAL)
{
	return set_queue(ctx->fd, IFF_DETACH_QUEUE);
}

BAD_CASE(setqueue_attach_attached, IFF_TUN | IFF_MULTI_QUEUE, DOWN, EINVAL)
{
	return set_queue(ctx->fd, IFF_ATTACH_QUEUE);
}

BAD_CASE(setqueue_detach_detached, IFF_TUN | IFF_MULTI_QUEUE, DETACHED,
	 EINVAL)
{
	return set_queue(ctx->fd, IFF_DETACH_QUEUE);
}

BAD_CASE(setqueue_no_flags, IFF_TUN | IFF_MULTI_QUEUE, DOWN, EINVAL)
{
	return set_queue(ctx->fd, 0);
}

/* TUNSETQUEUE comes before the device check: EINVAL, not EBADFD. */
BAD_CASE(setqueue_no_device, 0, NO_DEVICE, EINVAL)
{
	return set_queue(ctx->fd, IFF_ATTACH_QUEUE);
}

BAD_CASE(setqueue_bad_pointer, IFF_TUN | IFF_MULTI_QUEUE, DOWN, EFAULT)
{
	return ioctl(ctx->fd, TUNSETQUEUE, unreadable);
}

BAD_CASE(unknown_ioctl_no_device, 0, NO_DEVICE, EBADFD)
{
	return ioctl(ctx->fd, UNKNOWN_IOCTL, 0);
}

BAD_CASE(unknown_ioctl_attached, IFF_TUN, DOWN, EINVAL)
{
	return ioctl(ctx->fd, UNKNOWN_IOCTL, 0);
}

/* An interface ioctl copies its ifreq in before the device check. */
BAD_CASE(siocgifhwaddr_bad_pointer_no_device, 0, NO_DEVICE, EFAULT)
{
	return ioctl(ctx->fd, SIOCGIFHWADDR, unreadable);
}

BAD_CASE(setoffload_unknown_bits, IFF_TUN, DOWN, EINVAL)
{
	return ioctl(ctx->fd, TUNSETOFFLOAD, 0x80000000UL);
}

/* TSO means nothing without checksum offload: tun refuses the bits. */
BAD_CASE(setoffload_tso_without_csum, IFF_TUN, DOWN, EINVAL)
{
	return ioctl(ctx->fd, TUNSETOFFLOAD, TUN_F_TSO4);
}

/* minitun has no offloads at all. */
DIFFERING_CASE(setoffload_csum, IFF_TUN, DOWN, 0, EINVAL)
{
	return ioctl(ctx->fd, TUNSETOFFLOAD, TUN_F_CSUM);
}

/* Carrier on needs a queue; the only one is detached. */
BAD_CASE(setcarrier_on_no_queue, IFF_TUN | IFF_MULTI_QUEUE, DETACHED, EPERM)
{
	int on = 1;

	return ioctl(ctx->fd, TUNSETCARRIER, &on);
}

BAD_CASE(setcarrier_bad_pointer, IFF_TUN, DOWN, EFAULT)
{
	return ioctl(ctx->fd, TUNSETCARRIER, unreadable);
}

/*
 * tun lets a file choose the next device's ifindex before TUNSETIFF;
 * minitun does not implement it, and answers as for any unknown ioctl.
 */
DIFFERING_CASE(setifindex_no_device, 0, NO_DEVICE, 0, EBADFD)
{
	unsigned int ifindex = 4242;

	return ioctl(ctx->fd, TUNSETIFINDEX, &ifindex);
}

/* Running a case */

static int interface_count(void)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int n = 0;

	if (!ifs)
		return -1;
	for (i = ifs; i->if_index; i++)
		n++;
	if_freenameindex(ifs);
	return n;
}

/* Every counter in /sys/class/net/NAME/statistics; how many, or -1. */
static int read_counters(const char *ifname, struct counter *counters)
{
	char dir[128];
	struct dirent *ent;
	DIR *d;
	int n = 0;

	snprintf(dir, sizeof(dir), "/sys/class/net/%s/statistics", ifname);
	d = opendir(dir);
	if (!d)
		return -1;
	while ((ent = readdir(d)) && n < MAX_COUNTERS) {
		if (ent->d_name[0] == '.')
			continue;
		snprintf(counters[n].name, sizeof(counters[n].name), "%s",
			 ent->d_name);
		counters[n].value = if_stat(ifname, ent->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static bool readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

static bool is_error_counter(const char *name)
{
	return strstr(name, "error") || strstr(name, "dropped") ||
	       strstr(name, "nohandler");
}

static void send_datagram(struct __test_metadata *_metadata, const char *to)
{
	int sock = udp_connect(to, 9);	/* discard */

	ASSERT_LE(0, sock);
	ASSERT_EQ(1, send(sock, "x", 1, 0));
	close(sock);
}

/* Bring a fresh file on ctx->node into the case's starting state. */
static void prepare(struct __test_metadata *_metadata,
		    const FIXTURE_VARIANT(badinput) *variant,
		    struct bad_ctx *ctx)
{
	struct pollfd pfd = { .events = POLLIN };
	struct ifreq ifr = {};

	if (variant->state == NO_DEVICE) {
		ctx->fd = open(ctx->node, O_RDWR);
		ASSERT_LE(0, ctx->fd) TH_LOG("open %s: %s", ctx->node,
					     strerror(errno));
		return;
	}

	strcpy(ctx->ifname, BAD_IFNAME);
	ctx->fd = tun_open(ctx->node, ctx->ifname, variant->iff);
	ASSERT_LE(0, ctx->fd) TH_LOG("%s: TUNSETIFF: %s", ctx->node,
				     strerror(-ctx->fd));

	switch (variant->state) {
	case UP:
		ASSERT_EQ(0, if_set_up(ctx->ifname, 1));
		break;
	case QUEUED:
		ASSERT_EQ(0, if_set_p2p(ctx->ifname, LOCAL_ADDR, PEER_ADDR));
		send_datagram(_metadata, PEER_ADDR);
		pfd.fd = ctx->fd;
		ASSERT_EQ(1, poll(&pfd, 1, 2000)) TH_LOG("nothing queued");
		break;
	case DETACHED:
		ifr.ifr_flags = IFF_DETACH_QUEUE;
		ASSERT_EQ(0, ioctl(ctx->fd, TUNSETQUEUE, &ifr));
		break;
	default:
		break;
	}
}

static void run_case(struct __test_metadata *_metadata,
		     const FIXTURE_VARIANT(badinput) *variant,
		     const char *node, struct outcome *out)
{
	struct bad_ctx ctx = { .node = node, .fd = -1, .other_fd = -1 };
	struct counter after[MAX_COUNTERS];
	int interfaces, i;

	prepare(_metadata, variant, &ctx);
	if (*ctx.ifname) {
		out->ncounters = read_counters(ctx.ifname, out->delta);
		ASSERT_LT(0, out->ncounters);
	}
	interfaces = interface_count();

	errno = 0;
	out->ret = variant->call(&ctx);
	out->err = out->ret < 0 ? errno : 0;

	out->interfaces_added = interface_count() - interfaces;
	out->readable_after = readable(ctx.fd);
	if (*ctx.ifname) {
		ASSERT_EQ(out->ncounters, read_counters(ctx.ifname, after));
		for (i = 0; i < out->ncounters; i++) {
			ASSERT_STREQ(out->delta[i].name, after[i].name);
			out->delta[i].value = after[i].value - out->delta[i].value;
		}
	}

	if (ctx.other_fd >= 0)
		close(ctx.other_fd);
	close(ctx.fd);
}

/* How far one of the interface counters moved in a case. */
static long long counter_delta(const struct outcome *o, const char *name)
{
	int i;

	for (i = 0; i < o->ncounters; i++)
		if (!strcmp(o->delta[i].name, name))
			return o->delta[i].value;
	return 0;
}

/* Every counter moved alike, but except (if any), which is checked apart. */
static void expect_same_counters(struct __test_metadata *_metadata,
				 const struct outcome *tun,
				 const struct outcome *minitun,
				 const char *except)
{
	int i;

	ASSERT_EQ(tun->ncounters, minitun->ncounters);
	for (i = 0; i < tun->ncounters; i++) {
		ASSERT_STREQ(tun->delta[i].name, minitun->delta[i].name);
		if (except && !strcmp(tun->delta[i].name, except))
			continue;
		EXPECT_EQ(tun->delta[i].value, minitun->delta[i].value)
			TH_LOG("%s moved by %lld on tun, %lld on minitun",
			       tun->delta[i].name, tun->delta[i].value,
			       minitun->delta[i].value);
	}
}

/* A refused call has no business counting anything but an error. */
static void expect_only_errors_counted(struct __test_metadata *_metadata,
				       const char *node,
				       const struct outcome *out)
{
	int i;

	for (i = 0; i < out->ncounters; i++) {
		if (is_error_counter(out->delta[i].name))
			continue;
		EXPECT_EQ(0, out->delta[i].value)
			TH_LOG("%s: %s moved by %lld on a refused call", node,
			       out->delta[i].name, out->delta[i].value);
	}
}

/*
 * A network namespace of the test's own, so that nothing else adds packets
 * to the rings or names to the count; sysfs again to show its devices, and
 * no IPv6, whose autoconfiguration would queue packets of its own.
 */
FIXTURE_SETUP(badinput)
{
	REQUIRE_TUN();
	ASSERT_EQ(0, enter_own_netns());
	ASSERT_EQ(0, write_number(1, "/proc/sys/net/ipv6/conf/default/disable_ipv6"));
	unreadable = mmap(NULL, getpagesize(), PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, unreadable);
}

FIXTURE_TEARDOWN(badinput)
{
}

TEST_F(badinput, same_as_tun)
{
	const struct outcome *tun = &self->tun, *minitun = &self->minitun;

	run_case(_metadata, variant, TUN_DEV, &self->tun);
	run_case(_metadata, variant, MINITUN_DEV, &self->minitun);

	/* Is the case what it says it is? */
	ASSERT_EQ(variant->tun_errno, tun->err)
		TH_LOG("tun: %ld (%s)", tun->ret, strerror(tun->err));

	if (variant->differs) {
		/* minitun refuses: no interface, no counter but an error's */
		EXPECT_EQ(-1, minitun->ret);
		EXPECT_EQ(variant->minitun_errno, minitun->err)
			TH_LOG("minitun: %ld (%s)", minitun->ret,
			       strerror(minitun->err));
		EXPECT_EQ(0, minitun->interfaces_added);
		expect_only_errors_counted(_metadata, MINITUN_DEV, minitun);
		if (!variant->tun_errno)
			return;

		/* and so does tun (LOSSLESS): alike but for what minitun keeps */
		EXPECT_EQ(tun->ret, minitun->ret);
		EXPECT_EQ(0, tun->interfaces_added);
		expect_only_errors_counted(_metadata, TUN_DEV, tun);
		expect_same_counters(_metadata, tun, minitun,
				     variant->minitun_counts);
		if (variant->minitun_keeps) {
			EXPECT_FALSE(tun->readable_after);
			EXPECT_TRUE(minitun->readable_after);
		} else {
			EXPECT_EQ(tun->readable_after, minitun->readable_after);
		}
		if (variant->minitun_counts) {
			EXPECT_EQ(0, counter_delta(tun, variant->minitun_counts));
			EXPECT_EQ(1, counter_delta(minitun, variant->minitun_counts))
				TH_LOG("minitun's %s", variant->minitun_counts);
		}
		return;
	}

	EXPECT_EQ(tun->ret, minitun->ret);
	EXPECT_EQ(tun->err, minitun->err)
		TH_LOG("tun: %s, minitun: %s", strerror(tun->err),
		       strerror(minitun->err));
	EXPECT_EQ(tun->interfaces_added, minitun->interfaces_added);
	EXPECT_EQ(tun->readable_after, minitun->readable_after)
		TH_LOG("a packet is %s on tun, %s on minitun",
		       tun->readable_after ? "still queued" : "gone",
		       minitun->readable_after ? "still queued" : "gone");
	expect_same_counters(_metadata, tun, minitun, NULL);
	if (variant->tun_errno) {
		EXPECT_EQ(0, tun->interfaces_added);
		expect_only_errors_counted(_metadata, TUN_DEV, tun);
		expect_only_errors_counted(_metadata, MINITUN_DEV, minitun);
	}
}

TEST_HARNESS_MAIN
