// SPDX-License-Identifier: GPL-2.0
/*
 * IFF_MULTI_QUEUE: several files are queues of one device. Each attached
 * file is a tx queue of its own, with its own counters in ethtool -S; the
 * packets of one flow all go to one queue; TUNSETQUEUE takes a queue out
 * and puts it back, and refuses what makes no sense with EINVAL, as tun
 * does. Closing files and deleting the device in every order, with queues
 * attached, detached and holding packets, leaves nothing behind: the device
 * goes with its last file and the module's reference count comes back.
 */

#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <time.h>

#include "helpers.h"
#include "kselftest_harness.h"

#define LOCAL_ADDR	"10.4.0.1"
#define PEER_ADDR	"10.4.0.2"
#define UDP_PORT	4789
#define FLOW_PORT	20000	/* flow f is sent from port FLOW_PORT + f */
#define QUEUES		4
#define FLOWS		16
#define PER_FLOW	3
#define MAX_QUEUES	256	/* tun's MAX_TAP_QUEUES */
#define MQ_FLAGS	(IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE)
#define SETTLE_MS	2000
#define SMALL_RING	4
#define TIMEOUT_MS	5000

/* n files as the queues of one new device, name written back. */
static void open_queues(struct __test_metadata *_metadata, char *name,
			int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		fds[i] = tun_open(MINITUN_DEV, name, MQ_FLAGS);
		ASSERT_LE(0, fds[i]) TH_LOG("queue %d: %s", i, strerror(-fds[i]));
		ASSERT_EQ(0, fcntl(fds[i], F_SETFL, O_NONBLOCK));
	}
	ASSERT_EQ(0, if_no_ipv6(name));
	ASSERT_EQ(0, if_set_p2p(name, LOCAL_ADDR, PEER_ADDR));
}

static void close_all(int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* A UDP socket from FLOW_PORT + flow to the peer: one flow per socket. */
static int flow_socket(int flow)
{
	struct sockaddr_in from = {
		.sin_family = AF_INET,
		.sin_port = htons(FLOW_PORT + flow),
	};
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons(UDP_PORT),
	};
	int sock, err;

	inet_pton(AF_INET, PEER_ADDR, &to.sin_addr);
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	if (bind(sock, (struct sockaddr *)&from, sizeof(from)) ||
	    connect(sock, (struct sockaddr *)&to, sizeof(to))) {
		err = -errno;
		close(sock);
		return err;
	}
	return sock;
}

/* Send per_flow datagrams on each of flows flows; 0 or -errno. */
static int send_flows(int flows, int per_flow)
{
	int f, i, sock, err = 0;
	uint32_t seq;

	for (f = 0; f < flows && !err; f++) {
		sock = flow_socket(f);
		if (sock < 0)
			return sock;
		for (i = 0; i < per_flow && !err; i++) {
			seq = htonl(i);
			if (send(sock, &seq, sizeof(seq), 0) != sizeof(seq))
				err = -errno;
		}
		close(sock);
	}
	return err;
}

/* The flow (0 .. FLOWS - 1) of a datagram read from the device, or -1. */
static int flow_of(const uint8_t *pkt, ssize_t len)
{
	const struct iphdr *ip = (const void *)pkt;
	const struct udphdr *udp = (const void *)(ip + 1);
	int flow;

	if (len < (ssize_t)(sizeof(*ip) + sizeof(*udp)) ||
	    ip->protocol != IPPROTO_UDP)
		return -1;
	flow = ntohs(udp->source) - FLOW_PORT;
	return flow >= 0 && flow < FLOWS ? flow : -1;
}

/* Read fd until it is empty, counting each flow's datagrams. Total read. */
static int drain(int fd, int per_flow[FLOWS])
{
	uint8_t buf[2048];
	int n = 0, flow;
	ssize_t len;

	while ((len = read(fd, buf, sizeof(buf))) > 0) {
		flow = flow_of(buf, len);
		if (flow >= 0)
			per_flow[flow]++;
		n++;
	}
	return n;
}

/* How many tx_queue_N_* sets `ethtool -S` prints, numbered from 0. */
static int ethtool_queue_sets(const char *name)
{
	char out[16384], key[64];
	const char *p;
	int sets = 0, lines = 0;

	if (run_output(out, sizeof(out), "ethtool -S %s", name))
		return -1;
	for (;;) {
		snprintf(key, sizeof(key), " tx_queue_%d_enqueued:", sets);
		if (!strstr(out, key))
			break;
		sets++;
	}
	for (p = out; (p = strstr(p, "_enqueued:")); p++)
		lines++;
	return lines == sets ? sets : -1;
}

FIXTURE(multiqueue)
{
	char name[IFNAMSIZ];
	int fds[QUEUES];
	/* [queue][flow]: datagrams read */
	int got[QUEUES][FLOWS];
};

FIXTURE_SETUP(multiqueue)
{
	ASSERT_EQ(0, enter_own_netns());
	memset(self->fds, -1, sizeof(self->fds));
	open_queues(_metadata, self->name, self->fds, QUEUES);
}

FIXTURE_TEARDOWN(multiqueue)
{
	close_all(self->fds, QUEUES);
}

/* Read every queue dry; the total read. */
static int drain_all(FIXTURE_DATA(multiqueue) *self)
{
	int q, total = 0;

	memset(self->got, 0, sizeof(self->got));
	for (q = 0; q < QUEUES; q++)
		if (self->fds[q] >= 0)
			total += drain(self->fds[q], self->got[q]);
	return total;
}

/* How many queues hold a packet, once one does or timeout_ms is over. */
static int poll_queues(FIXTURE_DATA(multiqueue) *self, int timeout_ms)
{
	struct pollfd pfd[QUEUES];
	int q;

	for (q = 0; q < QUEUES; q++) {
		pfd[q].fd = self->fds[q];
		pfd[q].events = POLLIN;
	}
	return poll(pfd, QUEUES, timeout_ms);
}

/* Every flow was read whole from exactly one queue. */
static void expect_flows_kept_together(struct __test_metadata *_metadata,
				       FIXTURE_DATA(multiqueue) *self)
{
	int q, f, queues, total;

	for (f = 0; f < FLOWS; f++) {
		queues = total = 0;
		for (q = 0; q < QUEUES; q++) {
			queues += self->got[q][f] > 0;
			total += self->got[q][f];
		}
		EXPECT_EQ(1, queues) TH_LOG("flow %d on %d queues", f, queues);
		EXPECT_EQ(PER_FLOW, total) TH_LOG("flow %d", f);
	}
}

static int queue_total(FIXTURE_DATA(multiqueue) *self, int q)
{
	int f, total = 0;

	for (f = 0; f < FLOWS; f++)
		total += self->got[q][f];
	return total;
}

static long long queue_stat(FIXTURE_DATA(multiqueue) *self, int q,
			    const char *stat)
{
	char name[ETH_GSTRING_LEN];

	snprintf(name, sizeof(name), "tx_queue_%d_%s", q, stat);
	return ethtool_stat(self->name, name);
}

TEST_F(multiqueue, every_file_is_a_queue)
{
	struct ifreq ifr;
	int q;

	EXPECT_EQ(QUEUES, if_tx_queues(self->name));
	EXPECT_EQ(QUEUES, ethtool_queue_sets(self->name));
	for (q = 0; q < QUEUES; q++) {
		memset(&ifr, 0, sizeof(ifr));
		ASSERT_EQ(0, ioctl(self->fds[q], TUNGETIFF, &ifr));
		EXPECT_STREQ(self->name, ifr.ifr_name);
		EXPECT_EQ(MQ_FLAGS | IFF_NOFILTER, (unsigned short)ifr.ifr_flags);
	}
}

TEST_F(multiqueue, one_flow_lands_on_one_queue)
{
	int q, used = 0;

	ASSERT_EQ(0, send_flows(FLOWS, PER_FLOW));
	ASSERT_EQ(FLOWS * PER_FLOW, drain_all(self));

	expect_flows_kept_together(_metadata, self);
	for (q = 0; q < QUEUES; q++) {
		EXPECT_EQ(queue_total(self, q), queue_stat(self, q, "enqueued"));
		EXPECT_EQ(queue_total(self, q), queue_stat(self, q, "dequeued"));
		used += queue_total(self, q) > 0;
	}
	/* 16 flows hashed onto 4 queues all on one: about 1 in 10^9 */
	EXPECT_LT(1, used);
	EXPECT_EQ(0, if_stat(self->name, "tx_dropped"));
}

TEST_F(multiqueue, detach_and_attach_change_the_queues)
{
	struct ifreq ifr = {};

	ASSERT_EQ(0, tun_setqueue(self->fds[1], IFF_DETACH_QUEUE));
	EXPECT_EQ(QUEUES - 1, if_tx_queues(self->name));
	EXPECT_EQ(QUEUES - 1, ethtool_queue_sets(self->name));
	ASSERT_EQ(0, ioctl(self->fds[1], TUNGETIFF, &ifr));
	EXPECT_EQ(MQ_FLAGS | IFF_NOFILTER | IFF_DETACH_QUEUE,
		  (unsigned short)ifr.ifr_flags);
	ASSERT_EQ(0, ioctl(self->fds[0], TUNGETIFF, &ifr));
	EXPECT_FALSE(ifr.ifr_flags & IFF_DETACH_QUEUE);

	ASSERT_EQ(0, tun_setqueue(self->fds[1], IFF_ATTACH_QUEUE));
	EXPECT_EQ(QUEUES, if_tx_queues(self->name));
	EXPECT_EQ(QUEUES, ethtool_queue_sets(self->name));
	ASSERT_EQ(0, ioctl(self->fds[1], TUNGETIFF, &ifr));
	EXPECT_EQ(MQ_FLAGS | IFF_NOFILTER, (unsigned short)ifr.ifr_flags);
}

TEST_F(multiqueue, detached_queue_gets_no_packets)
{
	uint8_t buf[2048];

	ASSERT_EQ(0, tun_setqueue(self->fds[1], IFF_DETACH_QUEUE));
	ASSERT_EQ(0, send_flows(FLOWS, PER_FLOW));

	EXPECT_EQ(FLOWS * PER_FLOW, drain_all(self));
	EXPECT_EQ(0, queue_total(self, 1));
	EXPECT_EQ(-1, read(self->fds[1], buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	expect_flows_kept_together(_metadata, self);
	EXPECT_EQ(0, if_stat(self->name, "tx_dropped"));
}

TEST_F(multiqueue, with_every_queue_detached_packets_find_no_reader)
{
	int q;

	for (q = 0; q < QUEUES; q++)
		ASSERT_EQ(0, tun_setqueue(self->fds[q], IFF_DETACH_QUEUE));
	EXPECT_EQ(0, ethtool_queue_sets(self->name));

	ASSERT_EQ(0, send_flows(FLOWS, 1));
	EXPECT_EQ(FLOWS, ethtool_stat(self->name, "tx_drop_no_reader"));
	EXPECT_EQ(FLOWS, if_stat(self->name, "tx_dropped"));
	EXPECT_EQ(0, drain_all(self));

	/* one queue back takes every flow */
	ASSERT_EQ(0, tun_setqueue(self->fds[2], IFF_ATTACH_QUEUE));
	ASSERT_EQ(0, send_flows(FLOWS, PER_FLOW));
	EXPECT_EQ(FLOWS * PER_FLOW, drain_all(self));
	EXPECT_EQ(FLOWS * PER_FLOW, queue_total(self, 2));
}

/*
 * While a queue detaches, the flows that the core would still hash to the
 * vacated index (until real_num_tx_queues shrinks, after the detach's
 * synchronize_net()) go to an attached queue instead: a sender flooding
 * every flow through detach after detach finds a reader each time.
 */
TEST_F(multiqueue, detaching_a_queue_drops_no_flow_meanwhile)
{
	int socks[FLOWS], f, round;
	uint32_t seq = 0;
	pid_t sender;

	sender = fork();
	ASSERT_LE(0, sender);
	if (!sender) {
		for (f = 0; f < FLOWS; f++)
			socks[f] = flow_socket(f);
		for (;;)
			for (f = 0; f < FLOWS; f++)
				send(socks[f], &seq, sizeof(seq), MSG_DONTWAIT);
	}
	/* the flood has begun once a queue holds some of it */
	ASSERT_LT(0, poll_queues(self, TIMEOUT_MS));
	for (round = 0; round < 10; round++) {
		ASSERT_EQ(0, tun_setqueue(self->fds[1], IFF_DETACH_QUEUE));
		drain_all(self);
		ASSERT_EQ(0, tun_setqueue(self->fds[1], IFF_ATTACH_QUEUE));
		drain_all(self);
	}
	kill(sender, SIGKILL);
	waitpid(sender, NULL, 0);
	EXPECT_EQ(0, ethtool_stat(self->name, "tx_drop_no_reader"));
}

/*
 * Queue q's packets, still queued, go when the queue does: counted as
 * purged, while the other queues keep theirs. how closes or detaches.
 */
static void expect_queue_purged(struct __test_metadata *_metadata,
				FIXTURE_DATA(multiqueue) *self,
				bool by_close)
{
	long long queued[QUEUES];
	int q, gone = -1, total = 0;

	ASSERT_EQ(0, send_flows(FLOWS, PER_FLOW));
	for (q = 0; q < QUEUES; q++) {
		queued[q] = queue_stat(self, q, "enqueued");
		if (gone < 0 && queued[q] > 0)
			gone = q;
		total += queued[q];
	}
	ASSERT_EQ(FLOWS * PER_FLOW, total);

	if (by_close) {
		close(self->fds[gone]);
		self->fds[gone] = -1;
	} else {
		ASSERT_EQ(0, tun_setqueue(self->fds[gone], IFF_DETACH_QUEUE));
	}
	EXPECT_EQ(queued[gone], ethtool_stat(self->name, "tx_drop_purged"));
	EXPECT_EQ(queued[gone], if_stat(self->name, "tx_dropped"));
	EXPECT_EQ(total - queued[gone], drain_all(self));
	EXPECT_EQ(0, queue_total(self, gone));
}

TEST_F(multiqueue, closing_a_queue_purges_its_packets)
{
	expect_queue_purged(_metadata, self, true);
}

TEST_F(multiqueue, detaching_a_queue_purges_its_packets)
{
	expect_queue_purged(_metadata, self, false);
}

TEST_F(multiqueue, attaching_an_attached_queue_is_einval)
{
	EXPECT_EQ(-EINVAL, tun_setqueue(self->fds[0], IFF_ATTACH_QUEUE));
	EXPECT_EQ(QUEUES, if_tx_queues(self->name));
}

TEST_F(multiqueue, detaching_a_detached_queue_is_einval)
{
	ASSERT_EQ(0, tun_setqueue(self->fds[0], IFF_DETACH_QUEUE));
	EXPECT_EQ(-EINVAL, tun_setqueue(self->fds[0], IFF_DETACH_QUEUE));
	EXPECT_EQ(QUEUES - 1, if_tx_queues(self->name));
}

TEST_F(multiqueue, tunsetqueue_without_attach_or_detach_is_einval)
{
	EXPECT_EQ(-EINVAL, tun_setqueue(self->fds[0], 0));
	EXPECT_EQ(-EINVAL, tun_setqueue(self->fds[0], IFF_MULTI_QUEUE));
	EXPECT_EQ(QUEUES, if_tx_queues(self->name));
}

TEST_F(multiqueue, tunsetiff_on_a_detached_queue_is_eexist)
{
	char name[IFNAMSIZ];
	struct ifreq ifr;

	ASSERT_EQ(0, tun_setqueue(self->fds[1], IFF_DETACH_QUEUE));
	memcpy(name, self->name, IFNAMSIZ);
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, IFNAMSIZ);
	ifr.ifr_flags = MQ_FLAGS;
	EXPECT_EQ(-1, ioctl(self->fds[1], TUNSETIFF, &ifr));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(QUEUES - 1, if_tx_queues(self->name));
}

TEST_F(multiqueue, queue_limit_is_256_attached_or_detached)
{
	static int more[MAX_QUEUES];
	int i, fd;

	for (i = 0; i < MAX_QUEUES - QUEUES; i++) {
		more[i] = tun_open(MINITUN_DEV, self->name, MQ_FLAGS);
		ASSERT_LE(0, more[i]) TH_LOG("queue %d: %s", QUEUES + i,
					     strerror(-more[i]));
	}
	EXPECT_EQ(MAX_QUEUES, if_tx_queues(self->name));
	EXPECT_EQ(-E2BIG, tun_open(MINITUN_DEV, self->name, MQ_FLAGS));

	/* a detached queue still holds its place */
	ASSERT_EQ(0, tun_setqueue(self->fds[0], IFF_DETACH_QUEUE));
	fd = tun_open(MINITUN_DEV, self->name, MQ_FLAGS);
	EXPECT_EQ(-E2BIG, fd);
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(0, tun_setqueue(self->fds[0], IFF_ATTACH_QUEUE));
	EXPECT_EQ(MAX_QUEUES, if_tx_queues(self->name));
	close_all(more, MAX_QUEUES - QUEUES);
}

TEST_F(multiqueue, detached_queue_ring_follows_txqueuelen)
{
	int per_flow[FLOWS] = {};
	int q;

	ASSERT_EQ(0, tun_setqueue(self->fds[1], IFF_DETACH_QUEUE));
	ASSERT_EQ(0, run("ip link set dev %s txqueuelen %d", self->name, SMALL_RING));
	ASSERT_EQ(0, tun_setqueue(self->fds[1], IFF_ATTACH_QUEUE));
	/* leave it the only queue, so that it takes every flow */
	for (q = 0; q < QUEUES; q++)
		if (q != 1)
			ASSERT_EQ(0, tun_setqueue(self->fds[q], IFF_DETACH_QUEUE));

	ASSERT_EQ(0, send_flows(FLOWS, 1));
	EXPECT_EQ(SMALL_RING, drain(self->fds[1], per_flow));
	EXPECT_EQ(FLOWS - SMALL_RING, ethtool_stat(self->name, "tx_queue_0_drop_full"));
	EXPECT_EQ(FLOWS - SMALL_RING, if_stat(self->name, "tx_dropped"));
}

TEST_F(multiqueue, carrier_needs_an_attached_queue)
{
	char out[1024];
	int on = 1, off = 0, q;

	for (q = 0; q < QUEUES; q++)
		ASSERT_EQ(0, tun_setqueue(self->fds[q], IFF_DETACH_QUEUE));

	EXPECT_EQ(0, ioctl(self->fds[0], TUNSETCARRIER, &off));
	EXPECT_EQ(0, read_number("/sys/class/net/%s/carrier", self->name));
	EXPECT_EQ(-1, ioctl(self->fds[0], TUNSETCARRIER, &on));
	EXPECT_EQ(EPERM, errno);
	EXPECT_NE(0, run_output(out, sizeof(out), "ip link set dev %s carrier on",
				self->name));
	EXPECT_EQ(0, read_number("/sys/class/net/%s/carrier", self->name));

	ASSERT_EQ(0, tun_setqueue(self->fds[3], IFF_ATTACH_QUEUE));
	EXPECT_EQ(0, ioctl(self->fds[0], TUNSETCARRIER, &on));
	EXPECT_EQ(1, read_number("/sys/class/net/%s/carrier", self->name));
}

TEST_F(multiqueue, link_del_wakes_readers_of_attached_and_detached_queues)
{
	pid_t attached, detached;
	int status;

	ASSERT_EQ(0, tun_setqueue(self->fds[1], IFF_DETACH_QUEUE));
	/* each exits with read()'s errno; O_NONBLOCK goes for the parent too */
	attached = fork_blocked_reader(self->fds[0], "minitun_read", 0, NULL,
				       TIMEOUT_MS);
	ASSERT_LT(0, attached) TH_LOG("never blocked: %s", strerror(-attached));
	detached = fork_blocked_reader(self->fds[1], "minitun_read", 0, NULL,
				       TIMEOUT_MS);
	ASSERT_LT(0, detached) TH_LOG("never blocked: %s", strerror(-detached));

	ASSERT_EQ(0, run("ip link del dev %s", self->name));
	status = wait_exit(attached, TIMEOUT_MS);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == EFAULT)
		TH_LOG("attached queue's reader: status %d", status);
	status = wait_exit(detached, TIMEOUT_MS);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == EFAULT)
		TH_LOG("detached queue's reader: status %d", status);
}

TEST(tunsetqueue_on_a_file_with_no_device_is_einval)
{
	int fd = open(MINITUN_DEV, O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, tun_setqueue(fd, IFF_ATTACH_QUEUE));
	EXPECT_EQ(-EINVAL, tun_setqueue(fd, IFF_DETACH_QUEUE));
	close(fd);
}

TEST(detaching_a_single_queue_device_is_einval)
{
	char name[IFNAMSIZ] = "";
	int fd;

	fd = tun_open(MINITUN_DEV, name, IFF_TUN);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, tun_setqueue(fd, IFF_DETACH_QUEUE));
	EXPECT_EQ(1, if_tx_queues(name));
	close(fd);
}

/*
 * Closing files and deleting the device, in every order, with queues
 * attached and detached and packets queued on them. Each variant is a
 * script of steps over two files, 0 and 1:
 *
 *   s    send traffic, which queues packets on every attached queue
 *   dN   detach file N          aN   attach it again
 *   AN   attach it, which must fail with EINVAL
 *   cN   close it               x    ip link del
 *   +    the device must exist  -    it must be gone
 *
 * Once the script has closed both files, the device must be gone and the
 * module's reference count back where it was.
 */
#define FILES	2

FIXTURE(lifecycle)
{
	char name[IFNAMSIZ];
	int fds[FILES];
	long long refcnt;
};

FIXTURE_VARIANT(lifecycle)
{
	const char *steps;
};

FIXTURE_VARIANT_ADD(lifecycle, close_in_order)
{
	.steps = "s c0 + c1 -",
};

FIXTURE_VARIANT_ADD(lifecycle, close_in_reverse)
{
	.steps = "s c1 + c0 -",
};

FIXTURE_VARIANT_ADD(lifecycle, close_attached_then_detached)
{
	.steps = "s d1 s c0 + c1 -",
};

FIXTURE_VARIANT_ADD(lifecycle, close_detached_then_attached)
{
	.steps = "s d1 s c1 + c0 -",
};

FIXTURE_VARIANT_ADD(lifecycle, close_all_detached)
{
	.steps = "d0 d1 s c0 + c1 -",
};

FIXTURE_VARIANT_ADD(lifecycle, close_after_detach_and_attach)
{
	.steps = "d1 s a1 s c1 + c0 -",
};

FIXTURE_VARIANT_ADD(lifecycle, close_other_then_reattach_the_detached)
{
	.steps = "s d0 c1 + a0 s c0 -",
};

FIXTURE_VARIANT_ADD(lifecycle, del_then_close)
{
	.steps = "s x c0 c1",
};

FIXTURE_VARIANT_ADD(lifecycle, del_then_close_in_reverse)
{
	.steps = "s x c1 c0",
};

FIXTURE_VARIANT_ADD(lifecycle, del_with_detached_then_close_it_first)
{
	.steps = "d1 s x c1 c0",
};

FIXTURE_VARIANT_ADD(lifecycle, del_with_detached_then_close_it_last)
{
	.steps = "d1 s x c0 c1",
};

FIXTURE_VARIANT_ADD(lifecycle, del_with_all_detached)
{
	.steps = "d0 d1 s x c1 c0",
};

FIXTURE_VARIANT_ADD(lifecycle, del_then_attach_the_detached_is_einval)
{
	.steps = "d1 s x A1 c0 c1",
};

FIXTURE_VARIANT_ADD(lifecycle, close_one_then_del)
{
	.steps = "s c0 + x c1",
};

FIXTURE_VARIANT_ADD(lifecycle, close_attached_then_del_the_detached)
{
	.steps = "d1 s c0 + x c1",
};

FIXTURE_SETUP(lifecycle)
{
	ASSERT_EQ(0, enter_own_netns());
	self->refcnt = module_refs("minitun");
	ASSERT_LE(0, self->refcnt);
	memset(self->fds, -1, sizeof(self->fds));
	open_queues(_metadata, self->name, self->fds, FILES);
}

FIXTURE_TEARDOWN(lifecycle)
{
	close_all(self->fds, FILES);
}

/* A file whose device was deleted answers EBADFD. */
static void expect_orphaned(struct __test_metadata *_metadata, int fd)
{
	uint8_t buf[64];

	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EBADFD, errno);
}

static void run_step(struct __test_metadata *_metadata,
		     FIXTURE_DATA(lifecycle) *self, char op, int n)
{
	int i;

	switch (op) {
	case 's':
		ASSERT_EQ(0, send_flows(FLOWS, PER_FLOW));
		break;
	case 'd':
		ASSERT_EQ(0, tun_setqueue(self->fds[n], IFF_DETACH_QUEUE));
		break;
	case 'a':
		ASSERT_EQ(0, tun_setqueue(self->fds[n], IFF_ATTACH_QUEUE));
		break;
	case 'A':
		ASSERT_EQ(-EINVAL, tun_setqueue(self->fds[n], IFF_ATTACH_QUEUE));
		break;
	case 'c':
		ASSERT_EQ(0, close(self->fds[n]));
		self->fds[n] = -1;
		break;
	case 'x':
		ASSERT_EQ(0, run("ip link del dev %s", self->name));
		ASSERT_FALSE(link_exists(self->name));
		for (i = 0; i < FILES; i++)
			if (self->fds[i] >= 0)
				expect_orphaned(_metadata, self->fds[i]);
		break;
	case '+':
		ASSERT_TRUE(link_exists(self->name));
		break;
	case '-':
		ASSERT_FALSE(link_exists(self->name));
		break;
	default:
		ASSERT_TRUE(false) TH_LOG("unknown step '%c'", op);
	}
}

TEST_F(lifecycle, leaves_nothing_behind)
{
	const char *p = variant->steps;
	int i;

	for (; *p; p++) {
		if (*p == ' ')
			continue;
		if (strchr("dacA", *p)) {
			run_step(_metadata, self, p[0], p[1] - '0');
			p++;
		} else {
			run_step(_metadata, self, *p, 0);
		}
	}

	for (i = 0; i < FILES; i++)
		ASSERT_EQ(-1, self->fds[i]) TH_LOG("the script left file %d open", i);
	EXPECT_FALSE(link_exists(self->name));
	EXPECT_EQ(self->refcnt,
		  wait_module_refs("minitun", self->refcnt, SETTLE_MS));
}

TEST_HARNESS_MAIN
