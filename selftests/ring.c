// SPDX-License-Identifier: GPL-2.0
/*
 * The tx ring between xmit and the reader, as big as the interface's
 * txqueuelen. With nobody reading, a full ring drops exactly what does not
 * fit, and counts it; what fits reads back whole and in order. Resizing it
 * with packets queued keeps them all when it grows, and keeps the oldest
 * when it shrinks below its occupancy, counting the rest as purged.
 *
 * Each datagram carries its sequence number, so that the order and the
 * identity of every packet read back are checked, not just their count.
 */

#define _GNU_SOURCE
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <time.h>

#include "helpers.h"
#include "kselftest_harness.h"

#define LOCAL_ADDR	"10.3.0.1"
#define PEER_ADDR	"10.3.0.2"
#define UDP_PORT	4789
#define EXCESS		5
#define PACKET_LEN	(sizeof(struct iphdr) + sizeof(struct udphdr) + sizeof(uint32_t))
#define SETTLE_MS	2000
#define TIMEOUT_MS	5000
#define POLL_MS		100

FIXTURE(ring)
{
	char name[IFNAMSIZ];
	int fd;
	int udp;
	int size;		/* the ring's, = txqueuelen */
	uint32_t sent;		/* datagrams sent, and the next one's number */
	uint8_t buf[2048];
};

FIXTURE_VARIANT(ring)
{
	int size;		/* 0: the default, tun's TUN_READQ_SIZE */
};

FIXTURE_VARIANT_ADD(ring, one_slot)
{
	.size = 1,
};

FIXTURE_VARIANT_ADD(ring, small)
{
	.size = 8,
};

FIXTURE_VARIANT_ADD(ring, default_size)
{
	.size = 0,
};

static long long stat_of(FIXTURE_DATA(ring) *self, const char *stat)
{
	return ethtool_stat(self->name, stat);
}

static void set_ring_size(struct __test_metadata *_metadata,
			  FIXTURE_DATA(ring) *self, int size)
{
	ASSERT_EQ(0, run("ip link set dev %s txqueuelen %d", self->name, size));
	ASSERT_EQ(size, read_number("/sys/class/net/%s/tx_queue_len", self->name));
	self->size = size;
}

FIXTURE_SETUP(ring)
{
	ASSERT_EQ(0, enter_own_netns());
	self->fd = tun_open(MINITUN_DEV, self->name, IFF_TUN | IFF_NO_PI);
	ASSERT_LE(0, self->fd) TH_LOG("TUNSETIFF: %s", strerror(-self->fd));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(0, if_no_ipv6(self->name));
	ASSERT_EQ(0, if_set_p2p(self->name, LOCAL_ADDR, PEER_ADDR));
	self->udp = udp_connect(PEER_ADDR, UDP_PORT);
	ASSERT_LE(0, self->udp);

	if (variant->size) {
		set_ring_size(_metadata, self, variant->size);
	} else {
		self->size = read_number("/sys/class/net/%s/tx_queue_len", self->name);
		ASSERT_EQ(TUN_READQ_SIZE, self->size);
	}
}

FIXTURE_TEARDOWN(ring)
{
	close(self->udp);
	close(self->fd);
}

/*
 * Send count datagrams, numbered on from the last, with nobody reading.
 * The qdisc may hand some to xmit a little later: wait until xmit has
 * taken or dropped every one.
 */
static void send_numbered(struct __test_metadata *_metadata,
			  FIXTURE_DATA(ring) *self, int count)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	uint32_t seq;
	int i;

	for (i = 0; i < count; i++) {
		seq = htonl(self->sent++);
		ASSERT_EQ(sizeof(seq), send(self->udp, &seq, sizeof(seq), 0));
	}
	for (i = 0; i < SETTLE_MS / 10; i++) {
		if (stat_of(self, "tx_queue_0_enqueued") +
		    stat_of(self, "tx_queue_0_drop_full") >= self->sent)
			break;
		nanosleep(&pause, NULL);
	}
}

static uint32_t seq_of(const uint8_t *pkt)
{
	uint32_t seq;

	memcpy(&seq, pkt + PACKET_LEN - sizeof(seq), sizeof(seq));
	return ntohl(seq);
}

/* The ring holds exactly datagrams first .. first + count - 1, in order. */
static void expect_numbered(struct __test_metadata *_metadata,
			    FIXTURE_DATA(ring) *self, uint32_t first, int count)
{
	ssize_t n;
	int i;

	for (i = 0; i < count; i++) {
		n = read(self->fd, self->buf, sizeof(self->buf));
		ASSERT_EQ(PACKET_LEN, n)
			TH_LOG("packet %d of %d: %s", i + 1, count,
			       n < 0 ? strerror(errno) : "wrong size");
		ASSERT_EQ(first + i, seq_of(self->buf)) TH_LOG("packet %d of %d", i + 1, count);
	}
	EXPECT_EQ(-1, read(self->fd, self->buf, sizeof(self->buf)));
	EXPECT_EQ(EAGAIN, errno);
}

/* Drops: the device's, and by reason in ethtool -S. */
static void expect_drops(struct __test_metadata *_metadata,
			 FIXTURE_DATA(ring) *self, long long full,
			 long long purged)
{
	EXPECT_EQ(full, stat_of(self, "tx_queue_0_drop_full"));
	EXPECT_EQ(purged, stat_of(self, "tx_drop_purged"));
	EXPECT_EQ(0, stat_of(self, "tx_drop_no_reader"));
	EXPECT_EQ(full + purged, if_stat(self->name, "tx_dropped"));
}

TEST_F(ring, overflow_drops_exactly_the_excess)
{
	send_numbered(_metadata, self, self->size + EXCESS);

	expect_drops(_metadata, self, EXCESS, 0);
	EXPECT_EQ(self->size, stat_of(self, "tx_queue_0_enqueued"));
	EXPECT_EQ(self->size, stat_of(self, "tx_queue_0_high_water"));

	/* the first ones are kept; the excess that came later is not */
	expect_numbered(_metadata, self, 0, self->size);
	EXPECT_EQ(self->size, stat_of(self, "tx_queue_0_dequeued"));
	EXPECT_EQ(self->size, if_stat(self->name, "tx_packets"));
	EXPECT_EQ(self->size * PACKET_LEN, if_stat(self->name, "tx_bytes"));
}

TEST_F(ring, ring_takes_packets_again_once_read)
{
	send_numbered(_metadata, self, self->size + EXCESS);
	expect_numbered(_metadata, self, 0, self->size);

	send_numbered(_metadata, self, self->size);
	expect_drops(_metadata, self, EXCESS, 0);
	expect_numbered(_metadata, self, self->size + EXCESS, self->size);
}

TEST_F(ring, growing_keeps_every_queued_packet)
{
	int old = self->size;

	send_numbered(_metadata, self, old);
	set_ring_size(_metadata, self, 2 * old);
	expect_drops(_metadata, self, 0, 0);

	/* and it really holds twice as many now */
	send_numbered(_metadata, self, old + EXCESS);
	expect_drops(_metadata, self, EXCESS, 0);
	EXPECT_EQ(2 * old, stat_of(self, "tx_queue_0_high_water"));
	expect_numbered(_metadata, self, 0, 2 * old);
}

TEST_F(ring, shrinking_below_occupancy_keeps_the_oldest)
{
	int old = self->size, new = self->size / 2;

	send_numbered(_metadata, self, old);
	set_ring_size(_metadata, self, new);
	expect_drops(_metadata, self, 0, old - new);
	expect_numbered(_metadata, self, 0, new);

	/* and it holds no more than its new size */
	send_numbered(_metadata, self, new + EXCESS);
	expect_drops(_metadata, self, EXCESS, old - new);
	expect_numbered(_metadata, self, old, new);
}

TEST_F(ring, shrinking_to_occupancy_drops_nothing)
{
	int queued = (self->size + 1) / 2;

	send_numbered(_metadata, self, queued);
	set_ring_size(_metadata, self, queued);
	expect_drops(_metadata, self, 0, 0);
	expect_numbered(_metadata, self, 0, queued);
}

TEST_F(ring, zero_length_ring_drops_everything)
{
	send_numbered(_metadata, self, 1);
	set_ring_size(_metadata, self, 0);
	expect_drops(_metadata, self, 0, 1);

	send_numbered(_metadata, self, EXCESS);
	expect_drops(_metadata, self, EXCESS, 1);
	expect_numbered(_metadata, self, 0, 0);
}

/* What a reader blocked before anything was sent reads: the first one. */
static int is_first(const uint8_t *pkt, ssize_t n)
{
	(void)n;
	return seq_of(pkt) == 0;
}

TEST_F(ring, resize_under_a_blocked_reader_keeps_it_waiting)
{
	long long sleeps;
	pid_t reader;
	int status;

	/* O_NONBLOCK is the parent's too; it reads nothing meanwhile */
	reader = fork_blocked_reader(self->fd, "minitun_read", PACKET_LEN,
				     is_first, TIMEOUT_MS);
	ASSERT_LT(0, reader) TH_LOG("never blocked: %s", strerror(-reader));
	sleeps = sleeps_of(reader);

	/*
	 * A wakeup makes it runnable at once: asleep again in read() with
	 * as many sleeps as before, it was never woken.
	 */
	set_ring_size(_metadata, self, 2 * self->size);
	ASSERT_EQ(0, wait_blocked(reader, "minitun_read", TIMEOUT_MS))
		TH_LOG("the resize ended the read");
	EXPECT_EQ(sleeps, sleeps_of(reader)) TH_LOG("woken by the resize");
	ASSERT_EQ(0, waitpid(reader, &status, WNOHANG));

	send_numbered(_metadata, self, 1);
	EXPECT_EQ(0, wait_exit(reader, TIMEOUT_MS));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	expect_drops(_metadata, self, 0, 0);
}

/* A child that sends count numbered datagrams as fast as it can. */
static pid_t flood(FIXTURE_DATA(ring) *self, int count)
{
	uint32_t seq;
	pid_t pid;
	int i;

	pid = fork();
	if (!pid) {
		for (i = 0; i < count; i++) {
			seq = htonl(i);
			if (send(self->udp, &seq, sizeof(seq), 0) != sizeof(seq))
				_exit(1);
		}
		_exit(0);
	}
	return pid;
}

TEST_F(ring, concurrent_reader_accounts_for_every_packet)
{
	int count = 4 * self->size + 100, got = 0, status = -1;
	long long last = -1;
	bool sending = true;
	pid_t sender;
	ssize_t n;

	sender = flood(self, count);
	ASSERT_LT(0, sender);

	/* read while it sends; once it is done, until the ring is empty */
	for (;;) {
		n = read_timeout(self->fd, self->buf, sizeof(self->buf), POLL_MS);
		if (n == -ETIMEDOUT || n == -EAGAIN) {
			if (!sending)
				break;
			sending = waitpid(sender, &status, WNOHANG) != sender;
			continue;
		}
		ASSERT_EQ(PACKET_LEN, n) TH_LOG("read: %s", strerror(-n));
		/* in order, and never twice */
		ASSERT_LT(last, seq_of(self->buf));
		last = seq_of(self->buf);
		got++;
	}
	EXPECT_EQ(0, status);
	TH_LOG("%d sent: %d read, %lld dropped as full", count, got,
	       stat_of(self, "tx_queue_0_drop_full"));

	EXPECT_EQ(count, got + stat_of(self, "tx_queue_0_drop_full"));
	EXPECT_EQ(got, stat_of(self, "tx_queue_0_enqueued"));
	EXPECT_EQ(got, stat_of(self, "tx_queue_0_dequeued"));
	EXPECT_EQ(got, if_stat(self->name, "tx_packets"));
	EXPECT_GE(self->size, stat_of(self, "tx_queue_0_high_water"));
	expect_drops(_metadata, self, count - got, 0);
}

TEST_HARNESS_MAIN
