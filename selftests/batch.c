// SPDX-License-Identifier: GPL-2.0
/*
 * minitun's batched mode (kmod/uapi/minitun.h): many packets per read() and
 * write(), each a record behind a struct minitun_rec. Reads take whole
 * records only, and what does not fit stays queued; writes check all the
 * framing before injecting anything, and a refused packet ends the batch
 * like a short write. Every case checks the interface counters too: what a
 * refused call injected, read or dropped must be nothing. Also: blocking
 * reads and signals, a copy fault part-way through a read, the device
 * going down part-way through a write, and TAP's records, Ethernet frames.
 */

#define _GNU_SOURCE
#include <linux/userfaultfd.h>
#include <netinet/udp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "helpers.h"
#include "kselftest_harness.h"
#include "packets.h"
#include "uapi/minitun.h"

#define BATCH_IFNAME	"mtb0"
#define LOCAL_ADDR	"10.98.0.1"
#define PEER_ADDR	"10.98.0.2"
#define DISCARD_PORT	9
#define GRO_PORT	5000
#define LIMIT		8
#define BUF_SIZE	(MINITUN_BATCH_MAX * MINITUN_REC_SIZE(1500))
#define QUIET_MS	100
#define TIMEOUT_MS	2000
#define IN_READ		"minitun_read"

struct counters {
	long long rx_packets, rx_dropped, tx_packets, tx_dropped;
};

FIXTURE(batch)
{
	int fd;
	int udp;
	int backlog;		/* netdev_max_backlog, opened where it is */
	struct counters before;
	uint8_t buf[BUF_SIZE];
	uint8_t out[BUF_SIZE];
};

/* Batched mode replaces struct tun_pi: the same records either way. */
FIXTURE_VARIANT(batch)
{
	int flags;
};

FIXTURE_VARIANT_ADD(batch, no_pi)
{
	.flags = IFF_TUN | IFF_NO_PI,
};

FIXTURE_VARIANT_ADD(batch, pi)
{
	.flags = IFF_TUN,
};

static int set_batch(int fd, unsigned int version, unsigned int max)
{
	struct minitun_batch batch = { .version = version, .max_packets = max };

	return ioctl(fd, MINITUN_SETBATCH, &batch) ? -errno : 0;
}

static void read_counters(struct counters *c)
{
	c->rx_packets = if_stat(BATCH_IFNAME, "rx_packets");
	c->rx_dropped = if_stat(BATCH_IFNAME, "rx_dropped");
	c->tx_packets = if_stat(BATCH_IFNAME, "tx_packets");
	c->tx_dropped = if_stat(BATCH_IFNAME, "tx_dropped");
}

/* How the counters moved since the fixture was set up (or last asked). */
static struct counters moved(FIXTURE_DATA(batch) *self)
{
	struct counters now, d;

	read_counters(&now);
	d.rx_packets = now.rx_packets - self->before.rx_packets;
	d.rx_dropped = now.rx_dropped - self->before.rx_dropped;
	d.tx_packets = now.tx_packets - self->before.tx_packets;
	d.tx_dropped = now.tx_dropped - self->before.tx_dropped;
	self->before = now;
	return d;
}

FIXTURE_SETUP(batch)
{
	char name[IFNAMSIZ] = BATCH_IFNAME;
	struct sockaddr_in peer = { .sin_family = AF_INET,
				    .sin_port = htons(DISCARD_PORT) };

	/* a global sysctl, which only the initial namespace's /proc/sys has */
	self->backlog = open("/proc/sys/net/core/netdev_max_backlog",
			     O_RDWR | O_CLOEXEC);
	ASSERT_EQ(0, enter_own_netns());
	self->fd = tun_open(MINITUN_DEV, name, variant->flags);
	ASSERT_LE(0, self->fd) TH_LOG("%s: %s", MINITUN_DEV, strerror(-self->fd));
	ASSERT_EQ(0, if_no_ipv6(BATCH_IFNAME));
	ASSERT_EQ(0, if_set_p2p(BATCH_IFNAME, LOCAL_ADDR, PEER_ADDR));
	ASSERT_EQ(0, set_batch(self->fd, MINITUN_BATCH_V1, LIMIT));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));

	self->udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, self->udp);
	inet_pton(AF_INET, PEER_ADDR, &peer.sin_addr);
	ASSERT_EQ(0, connect(self->udp, (struct sockaddr *)&peer, sizeof(peer)));
	read_counters(&self->before);
}

FIXTURE_TEARDOWN(batch)
{
	if (self->backlog >= 0)
		close(self->backlog);
	close(self->udp);
	close(self->fd);
}

/* A datagram from the stack into the device, ip_len bytes as read. */
static void send_into(struct __test_metadata *_metadata,
		      FIXTURE_DATA(batch) *self, size_t ip_len)
{
	static const char payload[1500];
	size_t len = ip_len - sizeof(struct iphdr) - sizeof(struct udphdr);

	ASSERT_EQ((ssize_t)len, send(self->udp, payload, len, 0));
}

static bool readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, timeout_ms) == 1 && (pfd.revents & POLLIN);
}

/*
 * Walk n records of a read: each aligned, its header complete and zeroed
 * where it must be, the packet an IPv4 one of the length expected, the
 * padding zero. Returns the bytes the records take.
 */
static size_t check_records(struct __test_metadata *_metadata,
			    const uint8_t *buf, size_t len,
			    const size_t *ip_lens, unsigned int n)
{
	static const uint8_t zeros[MINITUN_REC_ALIGN];
	const struct minitun_rec *rec;
	size_t off = 0, pad;
	unsigned int i;

	for (i = 0; i < n; i++) {
		EXPECT_EQ(0, off % MINITUN_REC_ALIGN);
		ASSERT_LE(off + sizeof(*rec), len) TH_LOG("record %u missing", i);
		rec = (const struct minitun_rec *)(buf + off);
		EXPECT_EQ(MINITUN_BATCH_V1, rec->version);
		EXPECT_EQ(sizeof(*rec), rec->hdr_len);
		EXPECT_EQ(0, rec->flags);
		EXPECT_EQ(htons(ETH_P_IP), rec->proto);
		EXPECT_EQ(0, memcmp(rec->reserved, zeros, sizeof(rec->reserved)));
		EXPECT_EQ(ip_lens[i], rec->len) TH_LOG("record %u", i);
		EXPECT_EQ(0x45, *(const uint8_t *)(rec + 1));
		pad = MINITUN_REC_SIZE(rec->len) - sizeof(*rec) - rec->len;
		EXPECT_EQ(0, memcmp((const uint8_t *)(rec + 1) + rec->len, zeros, pad));
		off += MINITUN_REC_SIZE(rec->len);
	}
	EXPECT_EQ(len, off);
	return off;
}

static size_t records_size(const size_t *ip_lens, unsigned int n)
{
	size_t size = 0;

	while (n--)
		size += MINITUN_REC_SIZE(ip_lens[n]);
	return size;
}

TEST_F(batch, reads_packets_of_mixed_sizes_as_records)
{
	static const size_t sizes[] = { 28, 100, 1001, 29, 1500 };
	ssize_t n;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		send_into(_metadata, self, sizes[i]);
	ASSERT_TRUE(readable(self->fd, 1000));

	n = read(self->fd, self->buf, sizeof(self->buf));
	ASSERT_EQ((ssize_t)records_size(sizes, ARRAY_SIZE(sizes)), n)
		TH_LOG("read: %s", strerror(errno));
	check_records(_metadata, self->buf, n, sizes, ARRAY_SIZE(sizes));
	EXPECT_EQ(ARRAY_SIZE(sizes), moved(self).tx_packets);
}

TEST_F(batch, buffer_that_fits_exactly_takes_all)
{
	static const size_t sizes[] = { 60, 61, 62 };
	size_t exact = records_size(sizes, ARRAY_SIZE(sizes));
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		send_into(_metadata, self, sizes[i]);
	ASSERT_TRUE(readable(self->fd, 1000));

	ASSERT_EQ((ssize_t)exact, read(self->fd, self->buf, exact));
	check_records(_metadata, self->buf, exact, sizes, ARRAY_SIZE(sizes));
	EXPECT_FALSE(readable(self->fd, QUIET_MS));
	EXPECT_EQ(3, moved(self).tx_packets);
}

TEST_F(batch, buffer_one_byte_short_leaves_the_last_queued)
{
	static const size_t sizes[] = { 60, 61, 62 };
	size_t exact = records_size(sizes, ARRAY_SIZE(sizes));
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		send_into(_metadata, self, sizes[i]);
	ASSERT_TRUE(readable(self->fd, 1000));

	ASSERT_EQ((ssize_t)records_size(sizes, 2),
		  read(self->fd, self->buf, exact - 1));
	check_records(_metadata, self->buf, records_size(sizes, 2), sizes, 2);
	/* The third waits, whole, for the next read. */
	ASSERT_TRUE(readable(self->fd, 0));
	ASSERT_EQ((ssize_t)MINITUN_REC_SIZE(62),
		  read(self->fd, self->buf, sizeof(self->buf)));
	check_records(_metadata, self->buf, MINITUN_REC_SIZE(62), &sizes[2], 1);
	EXPECT_EQ(3, moved(self).tx_packets);
}

TEST_F(batch, record_longer_than_the_buffer_is_refused_and_kept)
{
	static const size_t size = 1000;

	send_into(_metadata, self, size);
	ASSERT_TRUE(readable(self->fd, 1000));

	EXPECT_EQ(-1, read(self->fd, self->buf, MINITUN_REC_SIZE(size) - 1));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(0, moved(self).tx_packets);
	ASSERT_EQ((ssize_t)MINITUN_REC_SIZE(size),
		  read(self->fd, self->buf, sizeof(self->buf)));
	check_records(_metadata, self->buf, MINITUN_REC_SIZE(size), &size, 1);
	EXPECT_EQ(0, moved(self).tx_dropped);
}

TEST_F(batch, buffer_smaller_than_a_header_is_refused)
{
	send_into(_metadata, self, 100);
	ASSERT_TRUE(readable(self->fd, 1000));

	EXPECT_EQ(-1, read(self->fd, self->buf, sizeof(struct minitun_rec) - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_TRUE(readable(self->fd, 0));
	EXPECT_EQ(0, moved(self).tx_packets);
}

TEST_F(batch, read_stops_at_the_limit)
{
	size_t sizes[LIMIT + 2];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		sizes[i] = 40 + i;
		send_into(_metadata, self, sizes[i]);
	}
	ASSERT_TRUE(readable(self->fd, 1000));

	ASSERT_EQ((ssize_t)records_size(sizes, LIMIT),
		  read(self->fd, self->buf, sizeof(self->buf)));
	check_records(_metadata, self->buf, records_size(sizes, LIMIT), sizes, LIMIT);
	ASSERT_EQ((ssize_t)records_size(&sizes[LIMIT], 2),
		  read(self->fd, self->buf, sizeof(self->buf)));
	EXPECT_EQ(LIMIT + 2, moved(self).tx_packets);
}

/* Append a record holding len bytes of pkt (proto 0: from the IP version). */
static size_t put_record(uint8_t *out, const void *pkt, size_t len,
			 uint16_t proto)
{
	struct minitun_rec rec = {
		.len = len,
		.proto = htons(proto),
		.hdr_len = sizeof(rec),
		.version = MINITUN_BATCH_V1,
	};

	memset(out, 0, MINITUN_REC_SIZE(len));
	memcpy(out, &rec, sizeof(rec));
	memcpy(out + sizeof(rec), pkt, len);
	return MINITUN_REC_SIZE(len);
}

/* An echo request from the peer to us, payload_len bytes of payload. */
static size_t put_echo(uint8_t *out, uint16_t seq, size_t payload_len)
{
	static const uint8_t payload[1400];
	uint8_t pkt[1500];
	size_t len;

	len = icmp4_echo_build(pkt, inet_addr(PEER_ADDR), inet_addr(LOCAL_ADDR),
			       0x6d74, seq, payload, payload_len);
	return put_record(out, pkt, len, 0);
}

/* Nothing came back: no request reached the stack. */
static void expect_nothing_injected(struct __test_metadata *_metadata,
				    FIXTURE_DATA(batch) *self)
{
	struct counters d = moved(self);

	EXPECT_EQ(0, d.rx_packets);
	EXPECT_EQ(0, d.rx_dropped);
	EXPECT_FALSE(readable(self->fd, QUIET_MS));
}

TEST_F(batch, writes_packets_of_mixed_sizes)
{
	static const size_t payloads[] = { 0, 1, 56, 999, 1400 };
	size_t sizes[ARRAY_SIZE(payloads)], len = 0;
	unsigned int i;
	ssize_t n;

	for (i = 0; i < ARRAY_SIZE(payloads); i++) {
		sizes[i] = 28 + payloads[i];
		len += put_echo(self->out + len, i, payloads[i]);
	}
	ASSERT_EQ((ssize_t)len, write(self->fd, self->out, len))
		TH_LOG("write: %s", strerror(errno));
	EXPECT_EQ(ARRAY_SIZE(payloads), moved(self).rx_packets);

	/* The stack's answers, one per request, the same sizes. */
	ASSERT_TRUE(readable(self->fd, 1000));
	n = read(self->fd, self->buf, sizeof(self->buf));
	ASSERT_EQ((ssize_t)records_size(sizes, ARRAY_SIZE(sizes)), n);
	check_records(_metadata, self->buf, n, sizes, ARRAY_SIZE(sizes));
}

TEST_F(batch, zero_length_record_refuses_the_batch)
{
	size_t len = put_echo(self->out, 1, 8);

	len += put_record(self->out + len, NULL, 0, ETH_P_IP);
	EXPECT_EQ(-1, write(self->fd, self->out, len));
	EXPECT_EQ(EINVAL, errno);
	expect_nothing_injected(_metadata, self);
}

TEST_F(batch, record_past_the_end_refuses_the_batch)
{
	size_t len = put_echo(self->out, 1, 8), second = len;

	len += put_echo(self->out + len, 2, 100);
	/* The second claims more bytes than the write has. */
	((struct minitun_rec *)(self->out + second))->len += 200;
	EXPECT_EQ(-1, write(self->fd, self->out, len));
	EXPECT_EQ(EINVAL, errno);
	expect_nothing_injected(_metadata, self);
}

TEST_F(batch, truncated_trailing_header_refuses_the_batch)
{
	size_t len = put_echo(self->out, 1, 8);

	memset(self->out + len, 0, sizeof(struct minitun_rec));
	EXPECT_EQ(-1, write(self->fd, self->out, len + sizeof(struct minitun_rec) - 1));
	EXPECT_EQ(EINVAL, errno);
	expect_nothing_injected(_metadata, self);
}

TEST_F(batch, more_records_than_the_limit_refuses_the_batch)
{
	size_t len = 0;
	unsigned int i;

	for (i = 0; i < LIMIT + 1; i++)
		len += put_echo(self->out + len, i, 8);
	EXPECT_EQ(-1, write(self->fd, self->out, len));
	EXPECT_EQ(E2BIG, errno);
	expect_nothing_injected(_metadata, self);
}

/* A header a later version could write: refused, not misread. */
TEST_F(batch, header_fields_it_does_not_know_refuse_the_batch)
{
	struct minitun_rec *rec = (struct minitun_rec *)self->out;
	unsigned int spoil;
	size_t len;

	for (spoil = 0; spoil < 4; spoil++) {
		len = put_echo(self->out, 1, 8);
		switch (spoil) {
		case 0:
			rec->version = MINITUN_BATCH_V1 + 1;
			break;
		case 1:
			rec->hdr_len = sizeof(*rec) + 8;
			break;
		case 2:
			rec->flags = TUN_PKT_STRIP;
			break;
		default:
			rec->reserved[4] = 1;
		}
		EXPECT_EQ(-1, write(self->fd, self->out, len)) TH_LOG("case %u", spoil);
		EXPECT_EQ(EINVAL, errno);
		expect_nothing_injected(_metadata, self);
	}
}

/*
 * Framed right, but a packet a single write() would refuse: the records
 * before it go in, write() says how many bytes that was, and the refused
 * packet, written again, gets its errno and is counted once.
 */
TEST_F(batch, refused_packet_ends_the_batch_like_a_short_write)
{
	uint8_t bad[40] = { 0x50 };	/* IP version 5, proto 0 */
	size_t first, len;

	first = put_echo(self->out, 1, 8);
	len = first + put_record(self->out + first, bad, sizeof(bad), 0);
	len += put_echo(self->out + len, 2, 8);

	EXPECT_EQ((ssize_t)first, write(self->fd, self->out, len));
	EXPECT_EQ(1, moved(self).rx_packets);
	EXPECT_EQ(-1, write(self->fd, self->out + first, len - first));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(1, moved(self).rx_dropped);
	/* The first request's answer, and only that one. */
	ASSERT_TRUE(readable(self->fd, 1000));
	EXPECT_EQ((ssize_t)MINITUN_REC_SIZE(36),
		  read(self->fd, self->buf, sizeof(self->buf)));
	EXPECT_FALSE(readable(self->fd, QUIET_MS));
}

/*
 * proto 0 takes the protocol from the IP version; any other is trusted.
 * Where each packet went shows which: IPv6's input counts the first, and
 * IPv4's the second, whose version it then refuses.
 */
TEST_F(batch, proto_field_is_the_packet_info)
{
	uint8_t v6[40] = { 0x60 }, odd[40] = { 0x50 };
	long long ip_in, ip6_in;
	size_t len;

	len = put_record(self->out, v6, sizeof(v6), 0);
	len += put_record(self->out + len, odd, sizeof(odd), ETH_P_IP);
	ip_in = snmp_stat("Ip", "InReceives");
	ip6_in = snmp_stat("Ip6", "InReceives");
	ASSERT_LE(0, ip_in);
	ASSERT_LE(0, ip6_in);
	EXPECT_EQ((ssize_t)len, write(self->fd, self->out, len));
	EXPECT_EQ(2, moved(self).rx_packets);
	EXPECT_EQ(1, snmp_stat("Ip6", "InReceives") - ip6_in);
	EXPECT_EQ(1, snmp_stat("Ip", "InReceives") - ip_in);
}

/* A UDP socket on LOCAL_ADDR:GRO_PORT that takes datagrams GRO joined. */
static int gro_socket(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(GRO_PORT) };
	int fd, on = 1;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	inet_pton(AF_INET, LOCAL_ADDR, &sin.sin_addr);
	if (setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof(on)) ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The segment size in a UDP_GRO control message; 0 without one. */
static int gro_size(struct msghdr *msg)
{
	struct cmsghdr *c;
	int size = 0;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c))
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO)
			memcpy(&size, CMSG_DATA(c), sizeof(size));
	return size;
}

/*
 * A batch goes up through GRO: LIMIT datagrams of one flow (DF set, as
 * GRO wants of packets with one IP ID) reach a socket that takes UDP GRO
 * as one, with their size beside it; each still counts in rx_packets.
 */
TEST_F(batch, one_flow_in_a_batch_arrives_joined_by_gro)
{
	static const uint8_t payload[100];
	char ctrl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { self->buf, sizeof(self->buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctrl,
			      .msg_controllen = sizeof(ctrl) };
	struct iphdr *ip = (struct iphdr *)self->buf;
	size_t len = 0, n;
	unsigned int i;
	int sink;

	sink = gro_socket();
	ASSERT_LE(0, sink) TH_LOG("UDP_GRO socket: %s", strerror(errno));
	for (i = 0; i < LIMIT; i++) {
		n = udp4_build(self->buf, inet_addr(PEER_ADDR), GRO_PORT + 1,
			       inet_addr(LOCAL_ADDR), GRO_PORT, payload,
			       sizeof(payload));
		ip->frag_off = htons(IP_DF);
		ip->check = 0;
		ip->check = csum(ip, sizeof(*ip));
		len += put_record(self->out + len, self->buf, n, 0);
	}
	ASSERT_EQ((ssize_t)len, write(self->fd, self->out, len))
		TH_LOG("write: %s", strerror(errno));
	EXPECT_EQ(LIMIT, moved(self).rx_packets);

	ASSERT_TRUE(readable(sink, 1000));
	EXPECT_EQ((ssize_t)(LIMIT * sizeof(payload)), recvmsg(sink, &msg, 0));
	EXPECT_EQ((int)sizeof(payload), gro_size(&msg));
	close(sink);
}

TEST_F(batch, off_again_reads_as_tun_does)
{
	ssize_t expect = 100 + ((variant->flags & IFF_NO_PI) ? 0 : sizeof(struct tun_pi));

	ASSERT_EQ(0, set_batch(self->fd, 0, 0));
	send_into(_metadata, self, 100);
	ASSERT_TRUE(readable(self->fd, 1000));
	EXPECT_EQ(expect, read(self->fd, self->buf, sizeof(self->buf)));
}

TEST(batch_ioctls_check_their_arguments)
{
	char name[IFNAMSIZ] = BATCH_IFNAME;
	struct minitun_batch got;
	int fd;

	ASSERT_EQ(0, enter_own_netns());
	fd = open(MINITUN_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	/* a file with no device: as for every device ioctl, tun's EBADFD */
	EXPECT_EQ(-EBADFD, set_batch(fd, MINITUN_BATCH_V1, 4));
	close(fd);

	fd = tun_open(MINITUN_DEV, name, IFF_TUN | IFF_NO_PI);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, set_batch(fd, MINITUN_BATCH_V1 + 1, 4));
	EXPECT_EQ(-EINVAL, set_batch(fd, MINITUN_BATCH_V1, 0));
	EXPECT_EQ(-EINVAL, set_batch(fd, MINITUN_BATCH_V1, MINITUN_BATCH_MAX + 1));
	EXPECT_EQ(0, ioctl(fd, MINITUN_GETBATCH, &got));
	EXPECT_EQ(0, got.version);

	EXPECT_EQ(0, set_batch(fd, MINITUN_BATCH_V1, MINITUN_BATCH_MAX));
	EXPECT_EQ(0, ioctl(fd, MINITUN_GETBATCH, &got));
	EXPECT_EQ(MINITUN_BATCH_V1, got.version);
	EXPECT_EQ(MINITUN_BATCH_MAX, got.max_packets);
	EXPECT_EQ(-1, ioctl(fd, MINITUN_GETBATCH, NULL));
	EXPECT_EQ(EFAULT, errno);
	close(fd);
}

/* Records in a batched read of n bytes. */
static unsigned int count_records(const uint8_t *buf, size_t n)
{
	const struct minitun_rec *rec;
	unsigned int count = 0;
	size_t off = 0;

	while (off + sizeof(*rec) <= n) {
		rec = (const struct minitun_rec *)(buf + off);
		off += MINITUN_REC_SIZE(rec->len);
		count++;
	}
	return count;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * A blocking batch worth twice the send buffer: each packet is charged to
 * the writer's socket as it is built, so the batch must go up before an
 * allocation waits for buffer that only its own packets hold. The write
 * completes, and every request is answered.
 */
TEST_F(batch, batch_over_the_send_buffer_does_not_wait_on_itself)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	int sndbuf = 64 * 1024;
	unsigned int i, answers = 0;
	size_t len = 0;
	ssize_t n;

	ASSERT_EQ(0, ioctl(self->fd, TUNSETSNDBUF, &sndbuf));
	ASSERT_EQ(0, set_batch(self->fd, MINITUN_BATCH_V1, MINITUN_BATCH_MAX));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, 0));
	for (i = 0; i < MINITUN_BATCH_MAX; i++)
		len += put_echo(self->out + len, i, 1400 - 28);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));

	alarm(2);
	n = write(self->fd, self->out, len);
	alarm(0);
	EXPECT_EQ((ssize_t)len, n)
		TH_LOG("write: %zd of %zu (%s)", n, len, n < 0 ? strerror(errno) : "short");
	EXPECT_EQ(MINITUN_BATCH_MAX, moved(self).rx_packets);

	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	while (answers < MINITUN_BATCH_MAX && readable(self->fd, 1000)) {
		n = read(self->fd, self->buf, sizeof(self->buf));
		ASSERT_LT(0, n);
		answers += count_records(self->buf, n);
	}
	EXPECT_EQ(MINITUN_BATCH_MAX, answers);
}

/*
 * One record holds at most one IP packet: 65535 bytes. Longer is refused
 * with the rest of the batch, before anything is injected.
 */
TEST_F(batch, record_longer_than_an_ip_packet_refuses_the_batch)
{
	static uint8_t big[65536] = { 0x45 };
	size_t len;

	len = put_record(self->out, big, 65535, 0);
	EXPECT_EQ((ssize_t)len, write(self->fd, self->out, len));
	EXPECT_EQ(1, moved(self).rx_packets);

	len = put_echo(self->out, 1, 8);
	len += put_record(self->out + len, big, sizeof(big), 0);
	EXPECT_EQ(-1, write(self->fd, self->out, len));
	EXPECT_EQ(EINVAL, errno);
	expect_nothing_injected(_metadata, self);
}

/* On TAP, a record is an Ethernet frame: one IP packet and its header. */
TEST(batch_tap_record_is_at_most_an_ip_packet_and_its_header)
{
	static uint8_t out[MINITUN_REC_SIZE(ETH_HLEN + 65536)];
	static uint8_t frame[ETH_HLEN + 65536] = {
		[0 ... 5] = 0xff, [12] = 0x08, [14] = 0x45,
	};
	char name[IFNAMSIZ] = "mtbt0";
	long long rx;
	size_t len;
	int fd;

	ASSERT_EQ(0, enter_own_netns());
	fd = tun_open(MINITUN_DEV, name, IFF_TAP | IFF_NO_PI);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, if_no_ipv6(name));
	ASSERT_EQ(0, if_set_up(name, 1));
	ASSERT_EQ(0, set_batch(fd, MINITUN_BATCH_V1, LIMIT));
	rx = if_stat(name, "rx_packets");

	len = put_record(out, frame, ETH_HLEN + 65535, 0);
	EXPECT_EQ((ssize_t)len, write(fd, out, len));
	EXPECT_EQ(rx + 1, if_stat(name, "rx_packets"));

	len = put_record(out, frame, sizeof(frame), 0);
	EXPECT_EQ(-1, write(fd, out, len));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(rx + 1, if_stat(name, "rx_packets"));
	EXPECT_EQ(0, if_stat(name, "rx_dropped"));
	close(fd);
}

/* A number in the sysctl file fd; or, val >= 0, write val there. */
static long long sysctl_fd(int fd, long long val)
{
	char buf[32];
	ssize_t n;

	if (val >= 0) {
		n = snprintf(buf, sizeof(buf), "%lld\n", val);
		return pwrite(fd, buf, n, 0) == n ? 0 : -errno;
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

/*
 * A packet that GRO's queue refuses (past netdev_max_backlog) counts in
 * rx_dropped, not in rx_packets as well: each packet of a batch counts
 * once.
 */
TEST_F(batch, packets_the_stack_drops_count_once)
{
	long long old = sysctl_fd(self->backlog, -1);
	struct counters d;
	size_t len = 0;
	unsigned int i;

	ASSERT_LT(0, old) TH_LOG("netdev_max_backlog: %s", strerror(errno));
	for (i = 0; i < LIMIT; i++)
		len += put_echo(self->out + len, i, 8);
	ASSERT_EQ(0, sysctl_fd(self->backlog, 1));
	EXPECT_EQ((ssize_t)len, write(self->fd, self->out, len));
	EXPECT_EQ(0, sysctl_fd(self->backlog, old));

	d = moved(self);
	EXPECT_LT(0, d.rx_dropped);
	EXPECT_EQ(LIMIT, d.rx_packets + d.rx_dropped)
		TH_LOG("rx_packets %lld, rx_dropped %lld", d.rx_packets, d.rx_dropped);
}

/* The one record a blocked reader gets: the 100-byte packet sent, whole. */
static int one_record_of_100(const uint8_t *buf, ssize_t n)
{
	const struct minitun_rec *rec = (const struct minitun_rec *)buf;

	return n == MINITUN_REC_SIZE(100) && rec->len == 100 &&
	       rec->version == MINITUN_BATCH_V1 &&
	       rec->hdr_len == sizeof(*rec) && !rec->flags &&
	       rec->proto == htons(ETH_P_IP) && buf[sizeof(*rec)] == 0x45;
}

/*
 * A batched read on a blocking file with nothing queued sleeps in the
 * module's read, and the packet sent then wakes it: it returns that
 * packet's record.
 */
TEST_F(batch, blocking_read_sleeps_until_a_packet_arrives)
{
	pid_t reader;
	int status;

	reader = fork_blocked_reader(self->fd, IN_READ, MINITUN_REC_SIZE(100),
				     one_record_of_100, TIMEOUT_MS);
	ASSERT_LT(0, reader) TH_LOG("no reader blocked: %s", strerror(-reader));
	EXPECT_EQ(0, moved(self).tx_packets);
	send_into(_metadata, self, 100);
	status = wait_exit(reader, TIMEOUT_MS);
	EXPECT_EQ(0, status) TH_LOG("reader: %s",
				    status == -ETIMEDOUT ? "never woke" :
				    WIFEXITED(status) && WEXITSTATUS(status) != 255 ?
				    strerror(WEXITSTATUS(status)) : "not that record");
	EXPECT_EQ(1, moved(self).tx_packets);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
}

/*
 * A signal (its handler without SA_RESTART) ends a blocked batched read
 * that has read nothing with EINTR; the packet that comes next is still
 * there for the next read.
 */
TEST_F(batch, signal_interrupts_a_blocked_batched_read_with_eintr)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	pid_t reader;
	int status;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, &old));
	reader = fork_blocked_reader(self->fd, IN_READ, 0, NULL, TIMEOUT_MS);
	sigaction(SIGUSR1, &old, NULL);
	ASSERT_LT(0, reader) TH_LOG("no reader blocked: %s", strerror(-reader));
	ASSERT_EQ(0, kill(reader, SIGUSR1));
	status = wait_exit(reader, TIMEOUT_MS);
	EXPECT_TRUE(status >= 0 && WIFEXITED(status) &&
		    WEXITSTATUS(status) == EINTR)
		TH_LOG("reader: %s", status == -ETIMEDOUT ? "not interrupted" :
		       WIFEXITED(status) ? strerror(WEXITSTATUS(status)) :
		       "killed");

	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(0, moved(self).tx_packets);
	send_into(_metadata, self, 100);
	ASSERT_TRUE(readable(self->fd, 1000));
	EXPECT_EQ((ssize_t)MINITUN_REC_SIZE(100),
		  read(self->fd, self->buf, sizeof(self->buf)));
	EXPECT_EQ(1, moved(self).tx_packets);
}

/*
 * A copy fault part-way through a batched read: the buffer's page ends
 * inside the second record's packet, and the next page is PROT_NONE.
 * read() returns the first record, which counts in tx_packets; the packet
 * whose copy faulted, and the one taken behind it, which now has no place
 * in order, are dropped and counted in tx_dropped. A fault in the first
 * record gets EFAULT, and its packets count the same way.
 */
TEST_F(batch, copy_fault_part_way_returns_the_records_before_it)
{
	static const size_t sizes[] = { 100, 100, 100 };
	size_t page = sysconf(_SC_PAGESIZE), rec = MINITUN_REC_SIZE(100);
	struct counters d;
	uint8_t *map, *buf;
	unsigned int i;

	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(map + page, page, PROT_NONE));
	/* the first record and the second's header fit; its packet does not */
	buf = map + page - rec - sizeof(struct minitun_rec);

	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		send_into(_metadata, self, sizes[i]);
	ASSERT_TRUE(readable(self->fd, 1000));
	EXPECT_EQ((ssize_t)rec, read(self->fd, buf, 3 * rec))
		TH_LOG("read: %s", strerror(errno));
	check_records(_metadata, buf, rec, sizes, 1);
	d = moved(self);
	EXPECT_EQ(1, d.tx_packets);
	EXPECT_EQ(2, d.tx_dropped);
	EXPECT_FALSE(readable(self->fd, 0));

	for (i = 0; i < 2; i++)
		send_into(_metadata, self, sizes[i]);
	ASSERT_TRUE(readable(self->fd, 1000));
	EXPECT_EQ(-1, read(self->fd, map + page - 8, 2 * rec));
	EXPECT_EQ(EFAULT, errno);
	d = moved(self);
	EXPECT_EQ(0, d.tx_packets);
	EXPECT_EQ(2, d.tx_dropped);
	EXPECT_FALSE(readable(self->fd, 0));
	munmap(map, 2 * page);
}

struct writer {
	int fd;
	struct iovec iov[3];
	int iovcnt;
	ssize_t ret;
	int err;
};

static void *writer_run(void *arg)
{
	struct writer *w = arg;

	w->ret = writev(w->fd, w->iov, w->iovcnt);
	w->err = errno;
	return NULL;
}

/*
 * size bytes of fresh memory at *mem whose first touch waits, in the
 * toucher, until the returned userfaultfd fills it: a fault the test can
 * see happen and act on before letting it finish. The fd or -errno.
 */
static int late_memory(void **mem, size_t size)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	int uffd, err;

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		return -errno;
	*mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*mem == MAP_FAILED) {
		err = -errno;
		close(uffd);
		return err;
	}
	reg.range.start = (unsigned long)*mem;
	reg.range.len = size;
	if (ioctl(uffd, UFFDIO_API, &api) || ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		err = -errno;
		munmap(*mem, size);
		close(uffd);
		return err;
	}
	return uffd;
}

/*
 * The interface goes down while a batched write is part-way: the writer
 * has built the first packet and is copying the second's (from memory
 * whose fault the test holds) when another thread sets the device down.
 * The batch ends at the second record, as a short write: write() returns
 * the first record's bytes. The first was handed to the stack with the
 * device down, which drops it and counts it in rx_dropped; the second,
 * written again, gets EIO and counts once; up again, the second and third
 * go in and are answered. Every record is counted once, as delivered or
 * as dropped.
 */
TEST_F(batch, interface_down_part_way_ends_the_batch_there)
{
	size_t page = sysconf(_SC_PAGESIZE), hdr = sizeof(struct minitun_rec);
	struct pollfd pfd = { .events = POLLIN };
	struct writer w = { .fd = self->fd, .iovcnt = 3 };
	size_t first, second, third, len;
	struct uffdio_copy copy = {};
	struct uffd_msg msg;
	struct counters d;
	pthread_t thread;
	uint8_t *fill;
	void *late;
	ssize_t n;

	first = put_echo(self->out, 1, 8);
	second = put_echo(self->out + first, 2, 8);
	third = put_echo(self->out + first + second, 3, 8);
	len = first + second + third;

	pfd.fd = late_memory(&late, page);
	if (pfd.fd < 0)
		SKIP(return, "no userfaultfd (%s): CONFIG_USERFAULTFD",
		     strerror(-pfd.fd));
	fill = calloc(1, page);
	ASSERT_NE(NULL, fill);
	memcpy(fill, self->out + first + hdr, second - hdr);
	/* the second record's packet is the memory that waits */
	w.iov[0] = (struct iovec){ self->out, first + hdr };
	w.iov[1] = (struct iovec){ late, second - hdr };
	w.iov[2] = (struct iovec){ self->out + first + second, third };
	ASSERT_EQ(0, pthread_create(&thread, NULL, writer_run, &w));

	ASSERT_EQ(1, poll(&pfd, 1, TIMEOUT_MS)) TH_LOG("the writer never faulted");
	ASSERT_EQ((ssize_t)sizeof(msg), read(pfd.fd, &msg, sizeof(msg)));
	EXPECT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);
	ASSERT_EQ(0, if_set_up(BATCH_IFNAME, 0));
	copy.dst = (unsigned long)late;
	copy.src = (unsigned long)fill;
	copy.len = page;
	ASSERT_EQ(0, ioctl(pfd.fd, UFFDIO_COPY, &copy));
	pthread_join(thread, NULL);

	EXPECT_EQ((ssize_t)first, w.ret)
		TH_LOG("write: %zd of %zu (%s)", w.ret, len,
		       w.ret < 0 ? strerror(w.err) : "");
	d = moved(self);
	EXPECT_EQ(0, d.rx_packets);
	EXPECT_EQ(1, d.rx_dropped);

	EXPECT_EQ(-1, write(self->fd, self->out + first, second + third));
	EXPECT_EQ(EIO, errno);
	d = moved(self);
	EXPECT_EQ(0, d.rx_packets);
	EXPECT_EQ(1, d.rx_dropped);

	ASSERT_EQ(0, if_set_up(BATCH_IFNAME, 1));
	EXPECT_EQ((ssize_t)(second + third),
		  write(self->fd, self->out + first, second + third));
	d = moved(self);
	EXPECT_EQ(2, d.rx_packets);
	EXPECT_EQ(0, d.rx_dropped);

	/* the answers: to the second and third requests, and no other */
	ASSERT_TRUE(readable(self->fd, 1000));
	n = read(self->fd, self->buf, sizeof(self->buf));
	EXPECT_EQ((ssize_t)(2 * MINITUN_REC_SIZE(36)), n);
	if (n == (ssize_t)(2 * MINITUN_REC_SIZE(36))) {
		EXPECT_EQ(htons(2), ((struct icmphdr *)(self->buf + hdr +
				     sizeof(struct iphdr)))->un.echo.sequence);
		EXPECT_EQ(htons(3), ((struct icmphdr *)(self->buf +
				     MINITUN_REC_SIZE(36) + hdr +
				     sizeof(struct iphdr)))->un.echo.sequence);
	}
	EXPECT_FALSE(readable(self->fd, QUIET_MS));

	free(fill);
	munmap(late, page);
	close(pfd.fd);
}

struct down_writer {
	int fd;
	const uint8_t *out;
	size_t len, rec;		/* the batch, and each record's size */
	int started;			/* batches written whole */
	long long records;		/* records write() took */
	int refused, misaligned, shorts;
	int err;			/* errno of the write that failed */
};

static void *down_writer_run(void *arg)
{
	struct down_writer *w = arg;
	ssize_t n;
	int i;

	for (i = 0; i < 2000; i++) {
		n = write(w->fd, w->out, w->len);
		if (n < 0) {
			w->err = errno;
			w->refused++;
			break;
		}
		if (n % w->rec)
			w->misaligned++;
		if ((size_t)n != w->len)
			w->shorts++;
		w->records += n / w->rec;
		__atomic_store_n(&w->started, i + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/*
 * Another thread sets the interface down while full batches are being
 * written. Whatever the moment, each write() takes whole records, the
 * writer stops at EIO, and the counters add up exactly: every record a
 * write() took counts in rx_packets or rx_dropped, and the refused one
 * in rx_dropped, once.
 */
TEST_F(batch, interface_going_down_under_batched_writes_loses_nothing)
{
	struct down_writer w = { .fd = self->fd, .out = self->out };
	struct counters d;
	pthread_t thread;
	unsigned int i;
	int ms;

	ASSERT_EQ(0, set_batch(self->fd, MINITUN_BATCH_V1, MINITUN_BATCH_MAX));
	for (i = 0; i < MINITUN_BATCH_MAX; i++)
		w.len += put_echo(self->out + w.len, i, 100);
	w.rec = MINITUN_REC_SIZE(128);
	ASSERT_EQ(w.rec * MINITUN_BATCH_MAX, w.len);

	ASSERT_EQ(0, pthread_create(&thread, NULL, down_writer_run, &w));
	for (ms = 0; ms < TIMEOUT_MS &&
		     __atomic_load_n(&w.started, __ATOMIC_ACQUIRE) < 2; ms++)
		usleep(1000);
	EXPECT_EQ(0, if_set_up(BATCH_IFNAME, 0));
	pthread_join(thread, NULL);

	TH_LOG("%lld records in %d writes, %d short", w.records,
	       w.started + w.refused, w.shorts);
	EXPECT_LE(2, w.started);
	EXPECT_EQ(1, w.refused);
	EXPECT_EQ(EIO, w.err);
	EXPECT_EQ(0, w.misaligned);
	d = moved(self);
	EXPECT_EQ(w.records + w.refused, d.rx_packets + d.rx_dropped)
		TH_LOG("rx_packets %lld, rx_dropped %lld", d.rx_packets,
		       d.rx_dropped);
}

/*
 * TAP in batched mode: a record is an Ethernet frame, written in and read
 * out whole, its len counting the header, its proto the frame's type.
 * The peer's address is a permanent neighbour entry, so that the stack
 * answers without ARP and every frame read is an answer.
 */
#define TAP_IFNAME	"mtbt1"
#define TAP_LOCAL	"10.98.1.1"
#define TAP_PEER	"10.98.1.2"

static const uint8_t tap_peer_mac[ETH_ALEN] = { 0x02, 0, 0x5e, 0, 0x62, 0x02 };

FIXTURE(batch_tap)
{
	int fd;
	uint8_t mac[ETH_ALEN];
	long long rx_packets, rx_bytes, tx_packets, tx_bytes, rx_dropped;
	uint8_t buf[BUF_SIZE];
	uint8_t out[BUF_SIZE];
};

FIXTURE_VARIANT(batch_tap)
{
	int flags;
};

FIXTURE_VARIANT_ADD(batch_tap, no_pi)
{
	.flags = IFF_TAP | IFF_NO_PI,
};

FIXTURE_VARIANT_ADD(batch_tap, pi)
{
	.flags = IFF_TAP,
};

/* How a counter moved since the fixture was set up or last asked. */
static long long tap_moved(long long *before, const char *counter)
{
	long long now = if_stat(TAP_IFNAME, counter), d = now - *before;

	*before = now;
	return d;
}

FIXTURE_SETUP(batch_tap)
{
	char name[IFNAMSIZ] = TAP_IFNAME;
	struct ifreq ifr = {};

	ASSERT_EQ(0, enter_own_netns());
	self->fd = tun_open(MINITUN_DEV, name, variant->flags);
	ASSERT_LE(0, self->fd) TH_LOG("%s: %s", MINITUN_DEV, strerror(-self->fd));
	ASSERT_EQ(0, if_no_ipv6(TAP_IFNAME));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", TAP_IFNAME);
	ASSERT_EQ(0, if_ioctl(SIOCGIFHWADDR, &ifr));
	memcpy(self->mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	ASSERT_EQ(0, if_set_inet(TAP_IFNAME, SIOCSIFADDR, TAP_LOCAL));
	ASSERT_EQ(0, if_set_up(TAP_IFNAME, 1));
	ASSERT_EQ(0, run("ip neigh replace %s lladdr 02:00:5e:00:62:02 dev %s nud permanent",
			 TAP_PEER, TAP_IFNAME));
	ASSERT_EQ(0, set_batch(self->fd, MINITUN_BATCH_V1, LIMIT));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	self->rx_packets = if_stat(TAP_IFNAME, "rx_packets");
	self->rx_bytes = if_stat(TAP_IFNAME, "rx_bytes");
	self->rx_dropped = if_stat(TAP_IFNAME, "rx_dropped");
	self->tx_packets = if_stat(TAP_IFNAME, "tx_packets");
	self->tx_bytes = if_stat(TAP_IFNAME, "tx_bytes");
}

FIXTURE_TEARDOWN(batch_tap)
{
	close(self->fd);
}

/* A record of an echo request from the peer to us, in a frame to mac. */
static size_t put_tap_echo(uint8_t *out, const uint8_t *mac, uint16_t seq,
			   size_t payload_len, uint16_t proto)
{
	static const uint8_t payload[1400];
	uint8_t frame[ETH_HLEN + 1500];
	struct ethhdr *eth = (struct ethhdr *)frame;
	size_t len;

	memcpy(eth->h_dest, mac, ETH_ALEN);
	memcpy(eth->h_source, tap_peer_mac, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	len = icmp4_echo_build(frame + ETH_HLEN, inet_addr(TAP_PEER),
			       inet_addr(TAP_LOCAL), 0x6d74, seq, payload,
			       payload_len);
	return put_record(out, frame, ETH_HLEN + len, proto);
}

/*
 * n records read from a TAP device: each aligned, its header right, its
 * len the frame's (ETH_HLEN + IP), the frame an echo reply from us to the
 * peer, seqs[i], the padding zero. Returns the bytes they take.
 */
static size_t check_tap_replies(struct __test_metadata *_metadata,
				const uint8_t *mac, const uint8_t *buf,
				size_t len, const size_t *ip_lens,
				const uint16_t *seqs, unsigned int n)
{
	static const uint8_t zeros[MINITUN_REC_ALIGN];
	const struct minitun_rec *rec;
	const struct ethhdr *eth;
	const struct icmphdr *icmp;
	size_t off = 0, pad;
	unsigned int i;

	for (i = 0; i < n; i++) {
		EXPECT_EQ(0, off % MINITUN_REC_ALIGN);
		ASSERT_LE(off + sizeof(*rec) + ETH_HLEN + 28, len)
			TH_LOG("record %u missing", i);
		rec = (const struct minitun_rec *)(buf + off);
		eth = (const struct ethhdr *)(rec + 1);
		icmp = (const struct icmphdr *)((const uint8_t *)(eth + 1) +
						sizeof(struct iphdr));
		EXPECT_EQ(MINITUN_BATCH_V1, rec->version);
		EXPECT_EQ(sizeof(*rec), rec->hdr_len);
		EXPECT_EQ(0, rec->flags);
		EXPECT_EQ(htons(ETH_P_IP), rec->proto);
		EXPECT_EQ(0, memcmp(rec->reserved, zeros, sizeof(rec->reserved)));
		EXPECT_EQ(ETH_HLEN + ip_lens[i], rec->len) TH_LOG("record %u", i);
		EXPECT_EQ(0, memcmp(eth->h_dest, tap_peer_mac, ETH_ALEN));
		EXPECT_EQ(0, memcmp(eth->h_source, mac, ETH_ALEN));
		EXPECT_EQ(htons(ETH_P_IP), eth->h_proto);
		EXPECT_EQ(0x45, *(const uint8_t *)(eth + 1));
		EXPECT_EQ(ICMP_ECHOREPLY, icmp->type) TH_LOG("record %u", i);
		EXPECT_EQ(htons(seqs[i]), icmp->un.echo.sequence);
		pad = MINITUN_REC_SIZE(rec->len) - sizeof(*rec) - rec->len;
		EXPECT_EQ(0, memcmp((const uint8_t *)eth + rec->len, zeros, pad));
		off += MINITUN_REC_SIZE(rec->len);
	}
	EXPECT_EQ(len, off);
	return off;
}

/*
 * Frames of mixed sizes in one batched write, each its own record; the
 * stack's answers in one batched read, each a whole frame. rx and tx
 * count the frames and their bytes, Ethernet header included, as tun's.
 */
TEST_F(batch_tap, frames_in_and_out_as_records)
{
	static const size_t payloads[] = { 0, 1, 56, 999, 1400 };
	uint16_t seqs[ARRAY_SIZE(payloads)];
	size_t ip_lens[ARRAY_SIZE(payloads)], len = 0, want = 0, bytes = 0;
	unsigned int i;
	ssize_t n;

	for (i = 0; i < ARRAY_SIZE(payloads); i++) {
		seqs[i] = i + 1;
		ip_lens[i] = 28 + payloads[i];
		len += put_tap_echo(self->out + len, self->mac, seqs[i],
				    payloads[i], 0);
		want += MINITUN_REC_SIZE(ETH_HLEN + ip_lens[i]);
		bytes += ETH_HLEN + ip_lens[i];
	}
	ASSERT_EQ((ssize_t)len, write(self->fd, self->out, len))
		TH_LOG("write: %s", strerror(errno));
	EXPECT_EQ(ARRAY_SIZE(payloads), tap_moved(&self->rx_packets, "rx_packets"));
	EXPECT_EQ(bytes, tap_moved(&self->rx_bytes, "rx_bytes"));
	EXPECT_EQ(0, tap_moved(&self->rx_dropped, "rx_dropped"));

	ASSERT_TRUE(readable(self->fd, 1000));
	n = read(self->fd, self->buf, sizeof(self->buf));
	ASSERT_EQ((ssize_t)want, n) TH_LOG("read: %s", strerror(errno));
	check_tap_replies(_metadata, self->mac, self->buf, n, ip_lens, seqs,
			  ARRAY_SIZE(payloads));
	EXPECT_EQ(ARRAY_SIZE(payloads), tap_moved(&self->tx_packets, "tx_packets"));
	EXPECT_EQ(bytes, tap_moved(&self->tx_bytes, "tx_bytes"));
	EXPECT_FALSE(readable(self->fd, QUIET_MS));
}

/*
 * On TAP the frame's type is the protocol, whatever the record's proto
 * says; a record shorter than an Ethernet header refuses the batch before
 * anything goes in.
 */
TEST_F(batch_tap, proto_is_the_frames_and_a_header_is_the_least)
{
	static const uint8_t runt[ETH_HLEN - 1];
	size_t ip_len = 28 + 8, len;
	uint16_t seq = 7;
	ssize_t n;

	len = put_tap_echo(self->out, self->mac, seq, 8, ETH_P_IPV6);
	ASSERT_EQ((ssize_t)len, write(self->fd, self->out, len));
	EXPECT_EQ(1, tap_moved(&self->rx_packets, "rx_packets"));
	ASSERT_TRUE(readable(self->fd, 1000));
	n = read(self->fd, self->buf, sizeof(self->buf));
	ASSERT_EQ((ssize_t)MINITUN_REC_SIZE(ETH_HLEN + ip_len), n);
	check_tap_replies(_metadata, self->mac, self->buf, n, &ip_len, &seq, 1);

	len = put_tap_echo(self->out, self->mac, 8, 8, 0);
	len += put_record(self->out + len, runt, sizeof(runt), 0);
	EXPECT_EQ(-1, write(self->fd, self->out, len));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, tap_moved(&self->rx_packets, "rx_packets"));
	EXPECT_EQ(0, tap_moved(&self->rx_dropped, "rx_dropped"));
	EXPECT_FALSE(readable(self->fd, QUIET_MS));
}

TEST_HARNESS_MAIN
