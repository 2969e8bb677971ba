// SPDX-License-Identifier: GPL-2.0
/*
 * Packets through the device, byte for byte, in all four framings: TUN and
 * TAP, each with and without struct tun_pi in front. What the stack sends
 * into the device (a UDP datagram, a ping) is read back and checked field
 * by field; what is written in (an ICMP echo request, IPv4 and IPv6) is
 * answered by the stack, and the answer is read back and checked. The
 * interface counters must then be exactly what went through.
 *
 * Each case runs on /dev/minitun and on /dev/net/tun alike (the variants
 * minitun_* and tun_*): the same bytes and counters are asked of both, so
 * what is checked here is tun's behaviour, not one written down.
 */

#define _GNU_SOURCE
#include <linux/if_ether.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <signal.h>
#include <sys/uio.h>
#include <time.h>
#include <linux/errqueue.h>

#include "helpers.h"
#include "kselftest_harness.h"
#include "packets.h"

#define LOCAL_ADDR	"10.1.0.1"
#define PEER_ADDR	"10.1.0.2"
#define LOCAL_ADDR6	"fd00:1::1"
#define PEER_ADDR6	"fd00:1::2"
#define UDP_PORT	4789
#define PEER_PORT	5555
#define MTU		1500
/* three fragments at an MTU of 1500 */
#define BIG_DATAGRAM	4000
/* readv() and writev() cut a packet in up to this many places */
#define MAX_CUTS	5
#define JUMBO_MTU	9000
#define FRAME_MAX	16384
#define ECHO_ID		0x4d54
#define ECHO_SEQ	7
#define PING_SIZE	24
#define PING_PATTERN	0xa5
/* ping puts a struct timeval first when there is room for one */
#define PING_TIMESTAMP	16
#define TIMEOUT_MS	5000
/* what the stack may send of its own accord before the packet we want */
#define MAX_SKIPPED	32

static const unsigned char peer_mac[ETH_ALEN] = { 0x02, 0x00, 0x00, 0x00, 0x01, 0x02 };

static uint32_t pseudo4(const struct iphdr *ip, size_t len)
{
	uint32_t sum = csum_add(0, &ip->saddr, 8);

	return sum + ip->protocol + len;
}

static uint32_t pseudo6(const struct ip6_hdr *ip6, size_t len)
{
	uint32_t sum = csum_add(0, &ip6->ip6_src, 32);

	return sum + IPPROTO_ICMPV6 + len;
}

FIXTURE(datapath)
{
	char name[IFNAMSIZ];
	int fd;
	unsigned char mac[ETH_ALEN];	/* the device's, for TAP */
	pid_t ping;			/* a ping still running, or 0 */
	uint8_t buf[FRAME_MAX];
	uint8_t out[FRAME_MAX];
};

FIXTURE_VARIANT(datapath)
{
	const char *node;	/* minitun, or tun to hold the test to */
	int flags;
};

/* Each framing on both drivers: what holds for minitun holds for tun. */
#define DATAPATH_VARIANTS(framing, iff)					\
	FIXTURE_VARIANT_ADD(datapath, minitun_##framing)		\
	{								\
		.node = MINITUN_DEV,					\
		.flags = iff,						\
	};								\
	FIXTURE_VARIANT_ADD(datapath, tun_##framing)			\
	{								\
		.node = TUN_DEV,					\
		.flags = iff,						\
	}

DATAPATH_VARIANTS(tun, IFF_TUN);
DATAPATH_VARIANTS(tun_no_pi, IFF_TUN | IFF_NO_PI);
DATAPATH_VARIANTS(tap, IFF_TAP);
DATAPATH_VARIANTS(tap_no_pi, IFF_TAP | IFF_NO_PI);

static bool is_tap(const FIXTURE_VARIANT(datapath) *variant)
{
	return variant->flags & IFF_TAP;
}

static size_t pi_len(const FIXTURE_VARIANT(datapath) *variant)
{
	return variant->flags & IFF_NO_PI ? 0 : sizeof(struct tun_pi);
}

/* Bytes before the IP header: packet info, then Ethernet for TAP. */
static size_t l2_len(const FIXTURE_VARIANT(datapath) *variant)
{
	return pi_len(variant) + (is_tap(variant) ? ETH_HLEN : 0);
}

FIXTURE_SETUP(datapath)
{
	struct ifreq ifr = {};

	if (!strcmp(variant->node, TUN_DEV))
		REQUIRE_TUN();
	ASSERT_EQ(0, enter_own_netns());
	self->fd = tun_open(variant->node, self->name, variant->flags);
	ASSERT_LE(0, self->fd) TH_LOG("TUNSETIFF: %s", strerror(-self->fd));
	ASSERT_EQ(0, if_no_ipv6(self->name));

	if (!is_tap(variant)) {
		ASSERT_EQ(0, if_set_p2p(self->name, LOCAL_ADDR, PEER_ADDR));
		return;
	}
	ASSERT_EQ(0, if_set_inet(self->name, SIOCSIFADDR, LOCAL_ADDR));
	ASSERT_EQ(0, if_set_inet(self->name, SIOCSIFNETMASK, "255.255.255.0"));
	ASSERT_EQ(0, if_set_up(self->name, 1));
	/* The peer needs no ARP: frames to it leave at once. */
	ASSERT_EQ(0, run("ip neigh replace %s lladdr 02:00:00:00:01:02 dev %s nud permanent",
			 PEER_ADDR, self->name));
	ASSERT_EQ(0, ioctl(self->fd, SIOCGIFHWADDR, &ifr));
	memcpy(self->mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
}

FIXTURE_TEARDOWN(datapath)
{
	if (self->ping > 0)
		kill(self->ping, SIGKILL);
	close(self->fd);
}

/*
 * Check what comes before the IP header of a frame read from the device:
 * struct tun_pi with the protocol, and for TAP an Ethernet header from the
 * device to the peer. Returns the IP header.
 */
static uint8_t *check_l2(struct __test_metadata *_metadata,
			 FIXTURE_DATA(datapath) *self,
			 const FIXTURE_VARIANT(datapath) *variant,
			 uint8_t *frame, size_t len, uint16_t proto)
{
	struct tun_pi *pi = (struct tun_pi *)frame;
	struct ethhdr *eth;

	ASSERT_LT(l2_len(variant), len);
	if (pi_len(variant)) {
		EXPECT_EQ(0, pi->flags);
		EXPECT_EQ(htons(proto), pi->proto);
	}
	if (is_tap(variant)) {
		eth = (struct ethhdr *)(frame + pi_len(variant));
		EXPECT_EQ(0, memcmp(peer_mac, eth->h_dest, ETH_ALEN));
		EXPECT_EQ(0, memcmp(self->mac, eth->h_source, ETH_ALEN));
		EXPECT_EQ(htons(proto), eth->h_proto);
	}
	return frame + l2_len(variant);
}

/* The mirror image: what a frame written to the device starts with. */
static uint8_t *put_l2(FIXTURE_DATA(datapath) *self,
		       const FIXTURE_VARIANT(datapath) *variant,
		       uint8_t *frame, uint16_t proto)
{
	struct tun_pi pi = { 0, htons(proto) };
	struct ethhdr eth;

	if (pi_len(variant))
		memcpy(frame, &pi, sizeof(pi));
	if (is_tap(variant)) {
		memcpy(eth.h_dest, self->mac, ETH_ALEN);
		memcpy(eth.h_source, peer_mac, ETH_ALEN);
		eth.h_proto = htons(proto);
		memcpy(frame + pi_len(variant), &eth, sizeof(eth));
	}
	return frame + l2_len(variant);
}

static uint32_t inet_addr_of(const char *addr)
{
	struct in_addr in;

	inet_pton(AF_INET, addr, &in);
	return in.s_addr;
}

/* An IPv4 header from src to dst carrying proto, len bytes in all. */
static void check_ipv4(struct __test_metadata *_metadata,
		       const struct iphdr *ip, size_t len, int proto,
		       const char *src, const char *dst)
{
	ASSERT_LE(sizeof(*ip), len);
	/* version 4, and no options */
	EXPECT_EQ(0x45, *(const uint8_t *)ip);
	EXPECT_EQ(len, ntohs(ip->tot_len));
	EXPECT_EQ(0, ntohs(ip->frag_off) & (IP_MF | IP_OFFMASK));
	EXPECT_LT(0, ip->ttl);
	EXPECT_EQ(proto, ip->protocol);
	EXPECT_EQ(inet_addr_of(src), ip->saddr);
	EXPECT_EQ(inet_addr_of(dst), ip->daddr);
	EXPECT_EQ(0, csum(ip, sizeof(*ip)));
}

static int wait_readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, TIMEOUT_MS) == 1 ? 0 : -ETIMEDOUT;
}

/*
 * iovecs over buf, cut at the ascending offsets in cuts (0 ends them), so
 * that a packet read or written through them is contiguous in buf.
 */
static int scatter(struct iovec *iov, uint8_t *buf, size_t len,
		   const size_t *cuts)
{
	size_t start = 0;
	int n = 0;

	for (; *cuts && *cuts < len; cuts++) {
		iov[n].iov_base = buf + start;
		iov[n++].iov_len = *cuts - start;
		start = *cuts;
	}
	iov[n].iov_base = buf + start;
	iov[n++].iov_len = len - start;
	return n;
}

/*
 * Read one frame into self->buf, with read(), or with readv() cut at cuts,
 * and check it down to its IPv4 header: from us to the peer, carrying proto
 * and l4_len bytes of it. Returns the frame's length.
 */
static ssize_t read_ipv4(struct __test_metadata *_metadata,
			 FIXTURE_DATA(datapath) *self,
			 const FIXTURE_VARIANT(datapath) *variant,
			 int proto, size_t l4_len, const size_t *cuts)
{
	struct iovec iov[MAX_CUTS + 1];
	struct iphdr *ip;
	ssize_t n;

	if (cuts) {
		ASSERT_EQ(0, wait_readable(self->fd));
		n = readv(self->fd, iov,
			  scatter(iov, self->buf, sizeof(self->buf), cuts));
		ASSERT_LT(0, n) TH_LOG("readv: %s", strerror(errno));
	} else {
		n = read_timeout(self->fd, self->buf, sizeof(self->buf), TIMEOUT_MS);
		ASSERT_LT(0, n) TH_LOG("read: %s", strerror(-n));
	}
	ip = (struct iphdr *)check_l2(_metadata, self, variant, self->buf, n,
				      ETH_P_IP);
	ASSERT_EQ(sizeof(*ip) + l4_len, n - l2_len(variant));
	check_ipv4(_metadata, ip, n - l2_len(variant), proto, LOCAL_ADDR,
		   PEER_ADDR);
	return n;
}

/* A UDP header and payload carried by ip, with a real checksum. */
static void check_udp(struct __test_metadata *_metadata,
		      const struct iphdr *ip, const struct udphdr *udp,
		      uint16_t sport, uint16_t dport,
		      const void *payload, size_t len)
{
	EXPECT_EQ(sport, udp->source);
	EXPECT_EQ(dport, udp->dest);
	EXPECT_EQ(sizeof(*udp) + len, ntohs(udp->len));
	/* no checksum offload: the stack filled in the real one */
	EXPECT_NE(0, udp->check);
	EXPECT_EQ(0, csum_fold(csum_add(pseudo4(ip, sizeof(*udp) + len), udp,
					sizeof(*udp) + len)));
	EXPECT_EQ(0, memcmp(payload, udp + 1, len));
}

static void check_counters(struct __test_metadata *_metadata, const char *name,
			   long long tx_packets, long long tx_bytes,
			   long long rx_packets, long long rx_bytes)
{
	EXPECT_EQ(tx_packets, if_stat(name, "tx_packets"));
	EXPECT_EQ(tx_bytes, if_stat(name, "tx_bytes"));
	EXPECT_EQ(rx_packets, if_stat(name, "rx_packets"));
	EXPECT_EQ(rx_bytes, if_stat(name, "rx_bytes"));
	EXPECT_EQ(0, if_stat(name, "tx_dropped"));
	EXPECT_EQ(0, if_stat(name, "rx_dropped"));
	EXPECT_EQ(0, if_stat(name, "rx_errors"));
}

/* Send payload from a new socket to the peer; the source port, or -errno. */
static int send_to_peer(const void *payload, size_t len)
{
	struct sockaddr_in me;
	socklen_t me_len = sizeof(me);
	int sock, ret;

	sock = udp_connect(PEER_ADDR, UDP_PORT);
	if (sock < 0)
		return sock;
	if (getsockname(sock, (struct sockaddr *)&me, &me_len) ||
	    send(sock, payload, len, 0) != (ssize_t)len)
		ret = -errno;
	else
		ret = me.sin_port;
	close(sock);
	return ret;
}

/*
 * Send payload from a socket to the peer and read it back from the device
 * as one datagram, byte for byte; the counters then count it alone.
 */
static void udp_round_trip(struct __test_metadata *_metadata,
			   FIXTURE_DATA(datapath) *self,
			   const FIXTURE_VARIANT(datapath) *variant,
			   const void *payload, size_t len)
{
	struct iphdr *ip;
	int sport;
	ssize_t n;

	sport = send_to_peer(payload, len);
	ASSERT_LT(0, sport);

	n = read_ipv4(_metadata, self, variant, IPPROTO_UDP,
		      sizeof(struct udphdr) + len, NULL);
	ip = (struct iphdr *)(self->buf + l2_len(variant));
	check_udp(_metadata, ip, (struct udphdr *)(ip + 1), sport,
		  htons(UDP_PORT), payload, len);

	/* tx counts what the reader took, without the packet info */
	check_counters(_metadata, self->name, 1, n - pi_len(variant), 0, 0);
}

TEST_F(datapath, udp_datagram_is_read_byte_for_byte)
{
	static const char payload[] = "a datagram routed into minitun";

	udp_round_trip(_metadata, self, variant, payload, sizeof(payload));
}

static void fill_pattern(uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = i * 7;
}

TEST_F(datapath, mtu_sized_datagram_is_read_whole)
{
	uint8_t payload[MTU - sizeof(struct iphdr) - sizeof(struct udphdr)];

	fill_pattern(payload, sizeof(payload));
	udp_round_trip(_metadata, self, variant, payload, sizeof(payload));
}

TEST_F(datapath, jumbo_datagram_is_read_whole)
{
	uint8_t payload[JUMBO_MTU - sizeof(struct iphdr) - sizeof(struct udphdr)];
	struct ifreq ifr = { .ifr_mtu = JUMBO_MTU };

	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", self->name);
	ASSERT_EQ(0, if_ioctl(SIOCSIFMTU, &ifr));
	fill_pattern(payload, sizeof(payload));
	udp_round_trip(_metadata, self, variant, payload, sizeof(payload));
}

TEST_F(datapath, datagram_over_the_mtu_is_read_as_its_fragments)
{
	const size_t frag_data = (MTU - sizeof(struct iphdr)) & ~7;
	uint8_t payload[BIG_DATAGRAM], whole[sizeof(struct udphdr) + BIG_DATAGRAM];
	size_t got = 0, len, offset;
	long long tx_bytes = 0;
	struct iphdr *ip;
	int sport, frags;
	uint16_t frag;
	ssize_t n;

	fill_pattern(payload, sizeof(payload));
	sport = send_to_peer(payload, sizeof(payload));
	ASSERT_LT(0, sport);

	for (frags = 1; ; frags++) {
		n = read_timeout(self->fd, self->buf, sizeof(self->buf), TIMEOUT_MS);
		ASSERT_LT(0, n) TH_LOG("fragment %d: %s", frags, strerror(-n));
		tx_bytes += n - pi_len(variant);
		ip = (struct iphdr *)check_l2(_metadata, self, variant, self->buf,
					      n, ETH_P_IP);
		len = ntohs(ip->tot_len) - sizeof(*ip);
		frag = ntohs(ip->frag_off);
		offset = (frag & IP_OFFMASK) * 8;
		ASSERT_EQ(sizeof(*ip) + len, n - l2_len(variant));
		/* in order, each as big as the MTU allows but the last */
		ASSERT_EQ(got, offset) TH_LOG("fragment %d", frags);
		ASSERT_GE(sizeof(whole), offset + len);
		EXPECT_EQ(IPPROTO_UDP, ip->protocol);
		EXPECT_EQ(inet_addr_of(LOCAL_ADDR), ip->saddr);
		EXPECT_EQ(inet_addr_of(PEER_ADDR), ip->daddr);
		EXPECT_EQ(0, csum(ip, sizeof(*ip)));
		memcpy(whole + offset, ip + 1, len);
		got += len;
		if (!(frag & IP_MF))
			break;
		EXPECT_EQ(frag_data, len) TH_LOG("fragment %d", frags);
	}

	EXPECT_EQ((sizeof(whole) + frag_data - 1) / frag_data, frags);
	ASSERT_EQ(sizeof(whole), got);
	/* reassembled, it is the datagram, checksum and all */
	check_udp(_metadata, ip, (struct udphdr *)whole, sport,
		  htons(UDP_PORT), payload, sizeof(payload));
	check_counters(_metadata, self->name, frags, tx_bytes, 0, 0);
}

/* Turn an echo request read from the device into its reply, in place. */
static void make_echo_reply(struct iphdr *ip, size_t len)
{
	struct icmphdr *icmp = (struct icmphdr *)(ip + 1);
	uint32_t addr = ip->saddr;

	ip->saddr = ip->daddr;
	ip->daddr = addr;
	ip->check = 0;
	ip->check = csum(ip, sizeof(*ip));
	icmp->type = ICMP_ECHOREPLY;
	icmp->checksum = 0;
	icmp->checksum = csum(icmp, len - sizeof(*ip));
}

static pid_t start_ping(void)
{
	char size[16], pattern[16];
	pid_t pid;

	snprintf(size, sizeof(size), "%d", PING_SIZE);
	snprintf(pattern, sizeof(pattern), "%x", PING_PATTERN);
	pid = fork();
	if (!pid) {
		/* its summary is not TAP */
		freopen("/dev/null", "w", stdout);
		execlp("ping", "ping", "-n", "-q", "-c", "1", "-W", "10",
		       "-s", size, "-p", pattern, PEER_ADDR, NULL);
		_exit(127);
	}
	return pid;
}

TEST_F(datapath, ping_is_answered_through_the_device)
{
	struct icmphdr *icmp;
	struct ethhdr *eth;
	struct iphdr *ip;
	size_t ip_len, i;
	int status;
	pid_t ping;
	ssize_t n;

	ping = start_ping();
	ASSERT_LT(0, ping);
	self->ping = ping;
	n = read_ipv4(_metadata, self, variant, IPPROTO_ICMP,
		      sizeof(*icmp) + PING_SIZE, NULL);
	ip = (struct iphdr *)(self->buf + l2_len(variant));
	ip_len = n - l2_len(variant);
	icmp = (struct icmphdr *)(ip + 1);
	EXPECT_EQ(ICMP_ECHO, icmp->type);
	EXPECT_EQ(0, icmp->code);
	EXPECT_EQ(1, ntohs(icmp->un.echo.sequence));
	EXPECT_EQ(0, csum(icmp, ip_len - sizeof(*ip)));
	for (i = PING_TIMESTAMP; i < PING_SIZE; i++)
		EXPECT_EQ(PING_PATTERN, ((uint8_t *)(icmp + 1))[i]);

	/* Answer as the peer would; ping only succeeds if it gets it. */
	make_echo_reply(ip, ip_len);
	if (is_tap(variant)) {
		eth = (struct ethhdr *)(self->buf + pi_len(variant));
		memcpy(eth->h_dest, self->mac, ETH_ALEN);
		memcpy(eth->h_source, peer_mac, ETH_ALEN);
	}
	EXPECT_EQ(n, write(self->fd, self->buf, n));

	ASSERT_EQ(ping, waitpid(ping, &status, 0));
	self->ping = 0;
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	check_counters(_metadata, self->name, 1, n - pi_len(variant),
		       1, n - pi_len(variant));
}

/* An echo request from the peer to us, after the layer 2 headers. */
static size_t build_echo4(uint8_t *p, const uint8_t *payload, size_t len)
{
	return icmp4_echo_build(p, inet_addr_of(PEER_ADDR),
				inet_addr_of(LOCAL_ADDR), ECHO_ID, ECHO_SEQ,
				payload, len);
}

/* A UDP datagram from the peer's sport to our UDP_PORT. */
static size_t build_udp4(uint8_t *p, uint16_t sport, const uint8_t *payload,
			 size_t len)
{
	return udp4_build(p, inet_addr_of(PEER_ADDR), sport,
			  inet_addr_of(LOCAL_ADDR), UDP_PORT, payload, len);
}

/*
 * Write an echo request and read the stack's answer, through write() and
 * read(), or writev() and readv() cut at cuts.
 */
static void echo4_exchange(struct __test_metadata *_metadata,
			   FIXTURE_DATA(datapath) *self,
			   const FIXTURE_VARIANT(datapath) *variant,
			   const size_t *cuts)
{
	static const uint8_t payload[] = "echo through minitun, IPv4";
	struct iovec iov[MAX_CUTS + 1];
	struct icmphdr *icmp;
	struct iphdr *ip;
	size_t request;
	ssize_t n;

	request = l2_len(variant) +
		  build_echo4(put_l2(self, variant, self->out, ETH_P_IP),
			      payload, sizeof(payload));
	if (cuts)
		n = writev(self->fd, iov, scatter(iov, self->out, request, cuts));
	else
		n = write(self->fd, self->out, request);
	ASSERT_EQ(request, n) TH_LOG("write: %s", strerror(errno));

	n = read_ipv4(_metadata, self, variant, IPPROTO_ICMP,
		      sizeof(*icmp) + sizeof(payload), cuts);
	ip = (struct iphdr *)(self->buf + l2_len(variant));
	icmp = (struct icmphdr *)(ip + 1);
	EXPECT_EQ(ICMP_ECHOREPLY, icmp->type);
	EXPECT_EQ(0, icmp->code);
	EXPECT_EQ(htons(ECHO_ID), icmp->un.echo.id);
	EXPECT_EQ(htons(ECHO_SEQ), icmp->un.echo.sequence);
	EXPECT_EQ(0, csum(icmp, sizeof(*icmp) + sizeof(payload)));
	EXPECT_EQ(0, memcmp(payload, icmp + 1, sizeof(payload)));

	check_counters(_metadata, self->name, 1, n - pi_len(variant),
		       1, request - pi_len(variant));
}

TEST_F(datapath, written_echo_request_is_answered)
{
	echo4_exchange(_metadata, self, variant, NULL);
}

TEST_F(datapath, readv_and_writev_split_a_packet_anywhere)
{
	/* through the packet info, the Ethernet header and the IP header */
	static const size_t cuts[MAX_CUTS] = { 1, 3, 7, 16, 30 };

	echo4_exchange(_metadata, self, variant, cuts);
}

TEST_F(datapath, written_udp_datagram_reaches_a_socket)
{
	struct sockaddr_in local = {
		.sin_family = AF_INET,
		.sin_port = htons(UDP_PORT),
	}, from;
	socklen_t from_len = sizeof(from);
	/* bigger than the MTU: writes are not held to it, as in tun */
	uint8_t payload[BIG_DATAGRAM], got[sizeof(payload) + 1];
	size_t frame;
	int sock;

	fill_pattern(payload, sizeof(payload));
	local.sin_addr.s_addr = inet_addr_of(LOCAL_ADDR);
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, sock);
	ASSERT_EQ(0, bind(sock, (struct sockaddr *)&local, sizeof(local)));

	frame = l2_len(variant) +
		build_udp4(put_l2(self, variant, self->out, ETH_P_IP),
			   PEER_PORT, payload, sizeof(payload));
	ASSERT_EQ(frame, write(self->fd, self->out, frame));

	ASSERT_EQ(0, wait_readable(sock));
	ASSERT_EQ(sizeof(payload), recvfrom(sock, got, sizeof(got), 0,
					    (struct sockaddr *)&from, &from_len));
	EXPECT_EQ(0, memcmp(payload, got, sizeof(payload)));
	EXPECT_EQ(inet_addr_of(PEER_ADDR), from.sin_addr.s_addr);
	EXPECT_EQ(htons(PEER_PORT), from.sin_port);
	check_counters(_metadata, self->name, 0, 0, 1, frame - pi_len(variant));
	close(sock);
}

/*
 * IPv6 on the device, with no link-local address and no DAD, so that the
 * stack has as little as possible of its own to say; TAP's peer needs no
 * neighbour discovery.
 */
static void setup_ipv6(struct __test_metadata *_metadata,
		       FIXTURE_DATA(datapath) *self,
		       const FIXTURE_VARIANT(datapath) *variant)
{
	ASSERT_EQ(0, run("ip link set dev %s addrgenmode none", self->name));
	ASSERT_EQ(0, write_number(0, "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
				  self->name));
	ASSERT_EQ(0, run("ip -6 addr add %s/64 dev %s nodad", LOCAL_ADDR6,
			 self->name));
	if (is_tap(variant))
		ASSERT_EQ(0, run("ip -6 neigh replace %s lladdr 02:00:00:00:01:02 dev %s nud permanent",
				 PEER_ADDR6, self->name));
}

static size_t build_echo6(uint8_t *p, const uint8_t *payload, size_t len)
{
	struct ip6_hdr *ip6 = (struct ip6_hdr *)p;
	struct icmp6_hdr *icmp6 = (struct icmp6_hdr *)(ip6 + 1);
	size_t plen = sizeof(*icmp6) + len;

	memset(ip6, 0, sizeof(*ip6) + sizeof(*icmp6));
	ip6->ip6_flow = htonl(6 << 28);
	ip6->ip6_plen = htons(plen);
	ip6->ip6_nxt = IPPROTO_ICMPV6;
	ip6->ip6_hlim = 64;
	inet_pton(AF_INET6, PEER_ADDR6, &ip6->ip6_src);
	inet_pton(AF_INET6, LOCAL_ADDR6, &ip6->ip6_dst);
	icmp6->icmp6_type = ICMP6_ECHO_REQUEST;
	icmp6->icmp6_id = htons(ECHO_ID);
	icmp6->icmp6_seq = htons(ECHO_SEQ);
	memcpy(icmp6 + 1, payload, len);
	icmp6->icmp6_cksum = csum_fold(csum_add(pseudo6(ip6, plen), icmp6, plen));
	return sizeof(*ip6) + plen;
}

static bool is_echo_reply6(const FIXTURE_VARIANT(datapath) *variant,
			   const uint8_t *frame, size_t len)
{
	const struct ip6_hdr *ip6 = (const void *)(frame + l2_len(variant));
	const struct icmp6_hdr *icmp6 = (const void *)(ip6 + 1);

	return len >= l2_len(variant) + sizeof(*ip6) + sizeof(*icmp6) &&
	       (ip6->ip6_vfc >> 4) == 6 && ip6->ip6_nxt == IPPROTO_ICMPV6 &&
	       icmp6->icmp6_type == ICMP6_ECHO_REPLY;
}

TEST_F(datapath, written_echo_request_v6_is_answered)
{
	static const uint8_t payload[] = "echo through minitun, IPv6";
	struct in6_addr local, peer;
	long long tx_bytes = 0;
	struct icmp6_hdr *icmp6;
	struct ip6_hdr *ip6;
	size_t request;
	int reads = 0;
	ssize_t n;

	setup_ipv6(_metadata, self, variant);
	request = l2_len(variant) +
		  build_echo6(put_l2(self, variant, self->out, ETH_P_IPV6),
			      payload, sizeof(payload));
	ASSERT_EQ(request, write(self->fd, self->out, request));

	/* The stack may announce itself (MLD) before it answers. */
	do {
		n = read_timeout(self->fd, self->buf, sizeof(self->buf), TIMEOUT_MS);
		ASSERT_LT(0, n) TH_LOG("read %d: %s", reads, strerror(-n));
		reads++;
		tx_bytes += n - pi_len(variant);
	} while (!is_echo_reply6(variant, self->buf, n) && reads < MAX_SKIPPED);

	ip6 = (struct ip6_hdr *)check_l2(_metadata, self, variant, self->buf, n,
					 ETH_P_IPV6);
	ASSERT_TRUE(is_echo_reply6(variant, self->buf, n));
	ASSERT_EQ(sizeof(*ip6) + sizeof(*icmp6) + sizeof(payload),
		  n - l2_len(variant));
	inet_pton(AF_INET6, LOCAL_ADDR6, &local);
	inet_pton(AF_INET6, PEER_ADDR6, &peer);
	EXPECT_EQ(sizeof(*icmp6) + sizeof(payload), ntohs(ip6->ip6_plen));
	EXPECT_EQ(0, memcmp(&local, &ip6->ip6_src, sizeof(local)));
	EXPECT_EQ(0, memcmp(&peer, &ip6->ip6_dst, sizeof(peer)));
	EXPECT_LT(0, ip6->ip6_hlim);

	icmp6 = (struct icmp6_hdr *)(ip6 + 1);
	EXPECT_EQ(0, icmp6->icmp6_code);
	EXPECT_EQ(htons(ECHO_ID), icmp6->icmp6_id);
	EXPECT_EQ(htons(ECHO_SEQ), icmp6->icmp6_seq);
	EXPECT_EQ(0, csum_fold(csum_add(pseudo6(ip6, ntohs(ip6->ip6_plen)),
					icmp6, ntohs(ip6->ip6_plen))));
	EXPECT_EQ(0, memcmp(payload, icmp6 + 1, sizeof(payload)));

	check_counters(_metadata, self->name, reads, tx_bytes,
		       1, request - pi_len(variant));
}

TEST_F(datapath, short_read_truncates_the_packet)
{
	static const char payload[] = "a datagram longer than the buffer";
	size_t want = l2_len(variant) + sizeof(struct iphdr);
	struct tun_pi *pi = (struct tun_pi *)self->buf;
	size_t full;
	int sock;

	sock = udp_connect(PEER_ADDR, UDP_PORT);
	ASSERT_LE(0, sock);
	ASSERT_EQ(sizeof(payload), send(sock, payload, sizeof(payload), 0));
	full = (is_tap(variant) ? ETH_HLEN : 0) + sizeof(struct iphdr) +
	       sizeof(struct udphdr) + sizeof(payload);

	/* room for the headers up to IP's, not for UDP's or the payload */
	ASSERT_EQ(want, read(self->fd, self->buf, want));
	if (pi_len(variant)) {
		EXPECT_EQ(TUN_PKT_STRIP, pi->flags);
		EXPECT_EQ(htons(ETH_P_IP), pi->proto);
	}
	check_ipv4(_metadata,
		   (struct iphdr *)(self->buf + l2_len(variant)),
		   full - (is_tap(variant) ? ETH_HLEN : 0), IPPROTO_UDP,
		   LOCAL_ADDR, PEER_ADDR);

	/* The rest of the packet is gone, and it counts whole. */
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(self->fd, self->buf, sizeof(self->buf)));
	EXPECT_EQ(EAGAIN, errno);
	check_counters(_metadata, self->name, 1, full, 0, 0);
	close(sock);
}

#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY	60
#endif
#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY	0x4000000
#endif

/* How many MSG_ZEROCOPY sends the error queue reports complete now. */
static unsigned int zerocopy_completions(int sock)
{
	struct sock_extended_err *serr;
	char control[128];
	struct msghdr msg = { .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct cmsghdr *cm;
	unsigned int done = 0;

	while (recvmsg(sock, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) >= 0) {
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			serr = (struct sock_extended_err *)CMSG_DATA(cm);
			if (serr->ee_origin == SO_EE_ORIGIN_ZEROCOPY)
				done += serr->ee_data - serr->ee_info + 1;
		}
		msg.msg_controllen = sizeof(control);
	}
	return done;
}

/*
 * A MSG_ZEROCOPY sender routed into the device hears that its sends are
 * done while the packets still sit on the ring, unread: the ring holds
 * none of the sender's pages, nor its completions.
 */
TEST(zerocopy_sender_is_notified_while_its_packets_are_queued)
{
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(9) };
	struct pollfd pfd = { .events = 0 };
	static const char payload[1000];
	char name[IFNAMSIZ] = "mtzc0";
	unsigned int done = 0, i;
	int fd, udp, one = 1;

	/* minitun alone: its ring's counter says the packets wait there */
	ASSERT_EQ(0, enter_own_netns());
	fd = tun_open(MINITUN_DEV, name, IFF_TUN | IFF_NO_PI);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, if_no_ipv6(name));
	ASSERT_EQ(0, if_set_p2p(name, "10.1.8.1", "10.1.8.2"));
	udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, udp);
	ASSERT_EQ(0, setsockopt(udp, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)));
	inet_pton(AF_INET, "10.1.8.2", &peer.sin_addr);
	ASSERT_EQ(0, connect(udp, (struct sockaddr *)&peer, sizeof(peer)));

	for (i = 0; i < 8; i++)
		ASSERT_EQ((ssize_t)sizeof(payload),
			  send(udp, payload, sizeof(payload), MSG_ZEROCOPY));
	pfd.fd = udp;
	while (done < 8 && poll(&pfd, 1, 2000) == 1)
		done += zerocopy_completions(udp);
	EXPECT_EQ(8, done);

	pfd.fd = fd;
	pfd.events = POLLIN;
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_LE(8, ethtool_stat(name, "tx_queue_0_enqueued"));
	EXPECT_EQ(0, if_stat(name, "tx_packets"));
	close(udp);
	close(fd);
}

TEST_HARNESS_MAIN
