// SPDX-License-Identifier: GPL-2.0
/*
 * The reader's side of the ring: a blocking read sleeps until a packet
 * comes, and a burst wakes it once; a non-blocking one does not sleep;
 * poll and epoll see the ring fill and empty and the link go up and down;
 * a signal interrupts a sleeping read; deleting the device wakes its
 * sleeping readers and leaves their files answering EBADFD and EPOLLERR;
 * O_ASYNC brings SIGIO per packet.
 *
 * What wakes the test comes from a second thread once the test is asleep
 * in the call under test (its state and wchan in /proc say so), never after
 * a delay that only usually suffices.
 *
 * Every case runs on /dev/minitun and on /dev/net/tun (variants minitun and
 * tun): the errnos, events and signals asked of minitun are asked of tun in
 * the same run. minitun's ring counters (ethtool -S), which tun has not,
 * are checked on minitun alone.
 */

#define _GNU_SOURCE
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <time.h>

#include "helpers.h"
#include "kselftest_harness.h"

#define LOCAL_ADDR	"10.2.0.1"
#define PEER_ADDR	"10.2.0.2"
#define UDP_PORT	4789
#define TIMEOUT_MS	5000
#define PAYLOAD		"for the reader"
#define PACKET_LEN	(sizeof(struct iphdr) + sizeof(struct udphdr) + sizeof(PAYLOAD))
#define BURST		8

static volatile sig_atomic_t signals_caught;

static void count_signal(int sig)
{
	(void)sig;
	signals_caught++;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * A wait ended by what the other thread did: slept is from when it acted
 * to when the wait returned, so not negative, and far short of the timeout
 * (poll() looks once more when its timeout ends, and would find the packet
 * even if nothing had woken it).
 */
static void expect_woken(struct __test_metadata *_metadata, long long slept)
{
	EXPECT_LE(0, slept) TH_LOG("the wait ended before the other thread acted");
	EXPECT_GT(TIMEOUT_MS / 2, slept);
}

/*
 * read() has no timeout: that it returned at all is the wakeup, however
 * long the action took (a link deletion waits for RTNL, which every
 * program running beside this one takes too).
 */
static void expect_read_woken(struct __test_metadata *_metadata,
			      long long slept)
{
	EXPECT_LE(0, slept) TH_LOG("the read ended before the other thread acted");
}

FIXTURE(reader)
{
	char name[IFNAMSIZ];
	int fd;
	int udp;
	int epoll;
	uint8_t buf[2048];
};

FIXTURE_VARIANT(reader)
{
	const char *node;
	const char *in_read;	/* where its read() sleeps, by wchan */
	bool ring_counters;	/* ethtool -S tx_queue_0_wakeups, ... */
};

FIXTURE_VARIANT_ADD(reader, minitun)
{
	.node = MINITUN_DEV,
	.in_read = "minitun_read",
	.ring_counters = true,
};

/* tun_ring_recv(), or tun_do_read() where that is inlined */
FIXTURE_VARIANT_ADD(reader, tun)
{
	.node = TUN_DEV,
	.in_read = "tun_",
};

FIXTURE_SETUP(reader)
{
	self->epoll = -1;
	self->udp = -1;
	if (!strcmp(variant->node, TUN_DEV))
		REQUIRE_TUN();
	ASSERT_EQ(0, enter_own_netns());
	self->fd = tun_open(variant->node, self->name, IFF_TUN | IFF_NO_PI);
	ASSERT_LE(0, self->fd) TH_LOG("TUNSETIFF: %s", strerror(-self->fd));
	ASSERT_EQ(0, if_no_ipv6(self->name));
	ASSERT_EQ(0, if_set_p2p(self->name, LOCAL_ADDR, PEER_ADDR));
	self->udp = udp_connect(PEER_ADDR, UDP_PORT);
	ASSERT_LE(0, self->udp);
}

FIXTURE_TEARDOWN(reader)
{
	if (self->epoll >= 0)
		close(self->epoll);
	if (self->udp >= 0)
		close(self->udp);
	close(self->fd);
}

static int send_datagram(FIXTURE_DATA(reader) *self)
{
	return send(self->udp, PAYLOAD, sizeof(PAYLOAD), 0) ==
	       sizeof(PAYLOAD) ? 0 : -errno;
}

/* A read that returned exactly the datagram send_datagram() sent. */
static void check_datagram(struct __test_metadata *_metadata,
			   FIXTURE_DATA(reader) *self, ssize_t n)
{
	ASSERT_EQ(PACKET_LEN, n) TH_LOG("read: %s", strerror(errno));
	EXPECT_EQ(0, memcmp(PAYLOAD, self->buf + PACKET_LEN - sizeof(PAYLOAD),
			    sizeof(PAYLOAD)));
}

/*
 * BURST datagrams from a real-time thread on the reader's only CPU: the
 * reader, woken by the first, cannot run until the last is queued.
 */
static int send_burst_ahead_of_reader(FIXTURE_DATA(reader) *self)
{
	struct sched_param param = { .sched_priority = 1 };
	int i, err;

	err = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
	for (i = 0; !err && i < BURST; i++)
		err = send_datagram(self);
	return err;
}

/* What another thread does once the test sleeps in the call under test. */
enum action {
	SEND_DATAGRAM,
	SEND_BURST,
	SIGNAL_READER,
	SIGNAL_THEN_SEND,
	SET_LINK_UP,
	DELETE_LINK,
};

struct later {
	pthread_t thread;
	enum action action;
	FIXTURE_DATA(reader) *self;
	pthread_t reader;
	pid_t reader_tid;
	const char *wchan;	/* where the reader sleeps: read, poll, epoll */
	long long acted;	/* now_ms() when it acted (last, if twice) */
	int ret;
};

/* SIGUSR1 reached the reader's handler, and the read is asleep again. */
static int wait_restarted(struct later *l)
{
	int ms;

	for (ms = 0; !signals_caught && ms < TIMEOUT_MS; ms++)
		usleep(1000);
	if (!signals_caught)
		return -ETIMEDOUT;
	return wait_blocked(l->reader_tid, l->wchan, TIMEOUT_MS);
}

static void *later_run(void *arg)
{
	struct later *l = arg;

	l->ret = wait_blocked(l->reader_tid, l->wchan, TIMEOUT_MS);
	if (l->ret)
		return NULL;
	l->acted = now_ms();
	switch (l->action) {
	case SEND_DATAGRAM:
		l->ret = send_datagram(l->self);
		break;
	case SEND_BURST:
		l->ret = send_burst_ahead_of_reader(l->self);
		break;
	case SIGNAL_READER:
		l->ret = pthread_kill(l->reader, SIGUSR1);
		break;
	case SIGNAL_THEN_SEND:
		l->ret = pthread_kill(l->reader, SIGUSR1);
		if (!l->ret)
			l->ret = wait_restarted(l);
		l->acted = now_ms();
		if (!l->ret)
			l->ret = send_datagram(l->self);
		break;
	case SET_LINK_UP:
		l->ret = if_set_up(l->self->name, 1);
		break;
	case DELETE_LINK:
		l->ret = if_delete(l->self->name);
		break;
	}
	return NULL;
}

/* Where the test sleeps in poll() or epoll_wait(), by wchan. */
#define IN_POLL		"do_sys_poll|poll_schedule_timeout"
#define IN_EPOLL	"do_epoll_wait"

static void later_start(struct __test_metadata *_metadata, struct later *l,
			FIXTURE_DATA(reader) *self, enum action action,
			const char *wchan)
{
	l->action = action;
	l->self = self;
	l->reader = pthread_self();
	l->reader_tid = gettid();
	l->wchan = wchan;
	l->acted = 0;
	l->ret = -1;
	ASSERT_EQ(0, pthread_create(&l->thread, NULL, later_run, l));
}

/* The action's result, once it is done. */
static int later_join(struct later *l)
{
	pthread_join(l->thread, NULL);
	return l->ret;
}

/* read() while another thread does action; *slept: from then to its return. */
static ssize_t read_while(struct __test_metadata *_metadata,
			  FIXTURE_DATA(reader) *self,
			  const FIXTURE_VARIANT(reader) *variant,
			  enum action action, long long *slept)
{
	struct later l;
	long long end;
	ssize_t n;
	int err;

	later_start(_metadata, &l, self, action, variant->in_read);
	n = read(self->fd, self->buf, sizeof(self->buf));
	err = errno;
	end = now_ms();
	ASSERT_EQ(0, later_join(&l));
	*slept = end - l.acted;
	errno = err;
	return n;
}

TEST_F(reader, blocking_read_sleeps_until_a_packet_arrives)
{
	long long slept;
	ssize_t n;

	n = read_while(_metadata, self, variant, SEND_DATAGRAM, &slept);
	check_datagram(_metadata, self, n);
	expect_read_woken(_metadata, slept);
	/* xmit found the reader asleep on the socket's wait queue */
	if (variant->ring_counters)
		EXPECT_EQ(1, ethtool_stat(self->name, "tx_queue_0_wakeups"));
}

/*
 * The first packet's wakeup takes the reader off the wait queue, so the
 * packets queued while it gets up find no one to wake (tun's reader stays
 * on the queue until its read returns, and each would count). tun has no
 * counter to show it: there the burst is only read back whole.
 */
TEST_F(reader, a_burst_wakes_a_blocked_reader_once)
{
	long long slept;
	cpu_set_t cpu0;
	int i;

	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	/* the sending thread inherits it */
	ASSERT_EQ(0, pthread_setaffinity_np(pthread_self(), sizeof(cpu0), &cpu0));

	check_datagram(_metadata, self, read_while(_metadata, self, variant, SEND_BURST, &slept));
	expect_read_woken(_metadata, slept);
	for (i = 1; i < BURST; i++)
		check_datagram(_metadata, self,
			       read(self->fd, self->buf, sizeof(self->buf)));
	if (!variant->ring_counters)
		return;
	EXPECT_EQ(BURST, ethtool_stat(self->name, "tx_queue_0_enqueued"));
	EXPECT_EQ(1, ethtool_stat(self->name, "tx_queue_0_wakeups"));
}

TEST_F(reader, every_blocked_reader_of_a_file_gets_a_packet)
{
	pid_t first, second;
	int status;

	/* each exits 0 once it has read one datagram */
	first = fork_blocked_reader(self->fd, variant->in_read, PACKET_LEN, NULL,
				    TIMEOUT_MS);
	ASSERT_LT(0, first) TH_LOG("never blocked: %s", strerror(-first));
	second = fork_blocked_reader(self->fd, variant->in_read, PACKET_LEN, NULL,
				     TIMEOUT_MS);
	ASSERT_LT(0, second) TH_LOG("never blocked: %s", strerror(-second));

	ASSERT_EQ(0, send_datagram(self));
	ASSERT_EQ(0, send_datagram(self));
	status = wait_exit(first, TIMEOUT_MS);
	EXPECT_EQ(0, status) TH_LOG("first reader: status %d", status);
	status = wait_exit(second, TIMEOUT_MS);
	EXPECT_EQ(0, status) TH_LOG("second reader: status %d", status);
	EXPECT_EQ(2, if_stat(self->name, "tx_packets"));
}

TEST_F(reader, nonblocking_read_of_an_empty_ring_gives_eagain)
{
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));

	EXPECT_EQ(-1, read(self->fd, self->buf, sizeof(self->buf)));
	EXPECT_EQ(EAGAIN, errno);

	ASSERT_EQ(0, send_datagram(self));
	check_datagram(_metadata, self, read(self->fd, self->buf, sizeof(self->buf)));
	EXPECT_EQ(-1, read(self->fd, self->buf, sizeof(self->buf)));
	EXPECT_EQ(EAGAIN, errno);
	/* the one packet, found without sleeping */
	if (variant->ring_counters)
		EXPECT_EQ(0, ethtool_stat(self->name, "tx_queue_0_wakeups"));
}

static short poll_now(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLOUT };

	return poll(&pfd, 1, 0) < 0 ? -1 : pfd.revents;
}

TEST_F(reader, poll_sees_a_packet_while_it_is_queued)
{
	ASSERT_EQ(POLLOUT, poll_now(self->fd));

	ASSERT_EQ(0, send_datagram(self));
	ASSERT_EQ(0, send_datagram(self));
	EXPECT_EQ(POLLIN | POLLOUT, poll_now(self->fd));

	check_datagram(_metadata, self, read(self->fd, self->buf, sizeof(self->buf)));
	EXPECT_EQ(POLLIN | POLLOUT, poll_now(self->fd));
	check_datagram(_metadata, self, read(self->fd, self->buf, sizeof(self->buf)));
	EXPECT_EQ(POLLOUT, poll_now(self->fd));
}

TEST_F(reader, poll_sleeps_until_a_packet_arrives)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	long long end, slept;
	struct later l;

	later_start(_metadata, &l, self, SEND_DATAGRAM, IN_POLL);
	ASSERT_EQ(1, poll(&pfd, 1, TIMEOUT_MS));
	end = now_ms();
	ASSERT_EQ(0, later_join(&l));
	slept = end - l.acted;

	EXPECT_EQ(POLLIN, pfd.revents);
	expect_woken(_metadata, slept);
	check_datagram(_metadata, self, read(self->fd, self->buf, sizeof(self->buf)));
}

static void epoll_watch(struct __test_metadata *_metadata,
			FIXTURE_DATA(reader) *self, unsigned int events)
{
	struct epoll_event ev = { .events = events };

	self->epoll = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, self->epoll);
	ASSERT_EQ(0, epoll_ctl(self->epoll, EPOLL_CTL_ADD, self->fd, &ev));
}

/* The events epoll reports for the file within timeout_ms, or 0. */
static unsigned int epoll_events(FIXTURE_DATA(reader) *self, int timeout_ms)
{
	struct epoll_event ev;
	int n;

	n = epoll_wait(self->epoll, &ev, 1, timeout_ms);
	return n == 1 ? ev.events : 0;
}

TEST_F(reader, epollin_comes_with_a_packet_and_goes_when_it_is_read)
{
	epoll_watch(_metadata, self, EPOLLIN | EPOLLOUT);
	ASSERT_EQ(EPOLLOUT, epoll_events(self, 0));

	ASSERT_EQ(0, send_datagram(self));
	EXPECT_EQ(EPOLLIN | EPOLLOUT, epoll_events(self, 0));

	check_datagram(_metadata, self, read(self->fd, self->buf, sizeof(self->buf)));
	EXPECT_EQ(EPOLLOUT, epoll_events(self, 0));
}

TEST_F(reader, epoll_wait_sleeps_until_a_packet_arrives)
{
	long long end, slept;
	struct later l;

	epoll_watch(_metadata, self, EPOLLIN);
	ASSERT_EQ(0, epoll_events(self, 0));

	later_start(_metadata, &l, self, SEND_DATAGRAM, IN_EPOLL);
	EXPECT_EQ(EPOLLIN, epoll_events(self, TIMEOUT_MS));
	end = now_ms();
	ASSERT_EQ(0, later_join(&l));
	slept = end - l.acted;
	expect_woken(_metadata, slept);
}

TEST_F(reader, epollout_follows_the_link_state)
{
	long long end, slept;
	struct later l;

	epoll_watch(_metadata, self, EPOLLOUT);
	ASSERT_EQ(EPOLLOUT, epoll_events(self, 0));

	ASSERT_EQ(0, if_set_up(self->name, 0));
	EXPECT_EQ(0, epoll_events(self, 0));

	/* Bringing the link up must wake a writer waiting for EPOLLOUT. */
	later_start(_metadata, &l, self, SET_LINK_UP, IN_EPOLL);
	EXPECT_EQ(EPOLLOUT, epoll_events(self, TIMEOUT_MS));
	end = now_ms();
	ASSERT_EQ(0, later_join(&l));
	slept = end - l.acted;
	expect_woken(_metadata, slept);
}

static void catch_sigusr1(struct __test_metadata *_metadata, int flags)
{
	struct sigaction sa = { .sa_handler = count_signal, .sa_flags = flags };

	signals_caught = 0;
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
}

TEST_F(reader, signal_interrupts_a_blocked_read_with_eintr)
{
	long long slept;
	ssize_t n;

	catch_sigusr1(_metadata, 0);
	n = read_while(_metadata, self, variant, SIGNAL_READER, &slept);
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(1, signals_caught);
	expect_read_woken(_metadata, slept);

	/* nothing was lost: the next packet reads normally */
	ASSERT_EQ(0, send_datagram(self));
	check_datagram(_metadata, self, read(self->fd, self->buf, sizeof(self->buf)));
}

TEST_F(reader, signal_with_sa_restart_resumes_the_read)
{
	long long slept;
	ssize_t n;

	catch_sigusr1(_metadata, SA_RESTART);
	n = read_while(_metadata, self, variant, SIGNAL_THEN_SEND, &slept);
	EXPECT_EQ(1, signals_caught);
	/* slept through the signal until the packet came (slept: since then) */
	expect_read_woken(_metadata, slept);
	check_datagram(_metadata, self, n);
}

TEST_F(reader, link_del_wakes_a_blocked_reader_with_efault)
{
	long long slept;
	ssize_t n;

	n = read_while(_metadata, self, variant, DELETE_LINK, &slept);
	EXPECT_EQ(-1, n);
	EXPECT_EQ(EFAULT, errno);
	expect_read_woken(_metadata, slept);
	EXPECT_EQ(-1, read_number("/sys/class/net/%s/ifindex", self->name));
}

TEST_F(reader, link_del_wakes_a_blocked_epoll_wait_with_epollerr)
{
	struct later l;

	epoll_watch(_metadata, self, EPOLLIN);
	later_start(_metadata, &l, self, DELETE_LINK, IN_EPOLL);
	EXPECT_EQ(EPOLLERR, epoll_events(self, TIMEOUT_MS));
	ASSERT_EQ(0, later_join(&l));
}

TEST_F(reader, file_of_a_deleted_device_answers_ebadfd_and_epollerr)
{
	struct ifreq ifr = {};

	ASSERT_EQ(0, send_datagram(self));
	ASSERT_EQ(0, run("ip link del dev %s", self->name));

	/* the packet that was queued went with the device */
	EXPECT_EQ(-1, read(self->fd, self->buf, sizeof(self->buf)));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(-1, write(self->fd, self->buf, PACKET_LEN));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(-1, ioctl(self->fd, TUNGETIFF, &ifr));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(POLLERR, poll_now(self->fd));

	epoll_watch(_metadata, self, EPOLLIN | EPOLLOUT);
	EXPECT_EQ(EPOLLERR, epoll_events(self, 0));
}

TEST_F(reader, o_async_sends_sigio_for_each_queued_packet)
{
	struct timespec none = { 0, 0 }, timeout = { TIMEOUT_MS / 1000, 0 };
	siginfo_t info;
	sigset_t sigio;

	sigemptyset(&sigio);
	sigaddset(&sigio, SIGIO);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &sigio, NULL));
	/* with F_SETSIG, SIGIO says which file and why */
	ASSERT_EQ(0, fcntl(self->fd, F_SETSIG, SIGIO));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_ASYNC));
	while (sigtimedwait(&sigio, &info, &none) == SIGIO)
		;

	ASSERT_EQ(0, send_datagram(self));
	ASSERT_EQ(SIGIO, sigtimedwait(&sigio, &info, &timeout));
	EXPECT_EQ(self->fd, info.si_fd);
	EXPECT_EQ(POLL_IN, info.si_code);
	EXPECT_EQ(-1, sigtimedwait(&sigio, &info, &none));
	check_datagram(_metadata, self, read(self->fd, self->buf, sizeof(self->buf)));

	/* and none once O_ASYNC is off */
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, 0));
	ASSERT_EQ(0, send_datagram(self));
	EXPECT_EQ(-1, sigtimedwait(&sigio, &info, &none));
	EXPECT_EQ(EAGAIN, errno);
}

/*
 * O_ASYNC alone, as most programs ask for it: fasync makes the caller the
 * owner. Since 6.12 the file's owner is allocated on first use, by fasync
 * here; without that the kernel warns and the signal is lost.
 */
TEST_F(reader, o_async_without_f_setown_sends_sigio)
{
	struct timespec timeout = { TIMEOUT_MS / 1000, 0 };
	siginfo_t info;
	sigset_t sigio;

	sigemptyset(&sigio);
	sigaddset(&sigio, SIGIO);
	ASSERT_EQ(0, sigprocmask(SIG_BLOCK, &sigio, NULL));
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_ASYNC));
	EXPECT_EQ(getpid(), fcntl(self->fd, F_GETOWN));

	ASSERT_EQ(0, send_datagram(self));
	ASSERT_EQ(SIGIO, sigtimedwait(&sigio, &info, &timeout));
	check_datagram(_metadata, self, read(self->fd, self->buf, sizeof(self->buf)));
}

TEST_HARNESS_MAIN
