// SPDX-License-Identifier: GPL-2.0
/*
 * What minitun's tracepoints promise a probe (kmod/trace_args.h): the
 * enqueue event fires while the skb is still the sender's, before a reader
 * can take it off the ring and free it, so a probe may read it, and every
 * skb's enqueue comes before its dequeue. Checked through a tracefs
 * instance of our own, on the global clock, with a reader spinning on one
 * CPU and the sender on another.
 */

#define _GNU_SOURCE
#include <sched.h>
#include <sys/stat.h>
#include <time.h>

#include "helpers.h"
#include "kselftest_harness.h"

#define TRACEFS		"/sys/kernel/tracing"
#define INSTANCE	TRACEFS "/instances/minitun_selftest"
#define IFNAME		"mtp0"
#define LOCAL_ADDR	"10.97.0.1"
#define PEER_ADDR	"10.97.0.2"
/* Enough dequeues, racing their enqueues, to catch one out of order. */
#define DEQUEUES	5000
#define BURST		256
#define DEADLINE_S	120
#define MAX_SKBS	4096

static int put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Take every packet off the ring as soon as it lands, until killed. */
static void spin_reading(int fd)
{
	char buf[2048];

	pin_to_cpu(1);
	for (;;)
		if (read(fd, buf, sizeof(buf)) < 0 && errno != EAGAIN)
			_exit(1);
}

/* The skbs enqueued and not yet dequeued, by their (hashed) address. */
struct in_flight {
	char addr[MAX_SKBS][24];
	unsigned int n;
};

static int find(struct in_flight *f, const char *addr)
{
	unsigned int i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->addr[i], addr))
			return i;
	return -1;
}

TEST(every_enqueue_is_traced_before_its_dequeue)
{
	static struct in_flight flight;
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(9) };
	unsigned int enqueues = 0, dequeues = 0, early = 0, i;
	long long taken;
	time_t deadline;
	char name[IFNAMSIZ] = IFNAME, line[512], addr[24], *p;
	static const char payload[32];
	pid_t reader;
	FILE *trace;
	int fd, udp, at;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs a reader and a sender on two CPUs");
	/* the new sysfs has tracefs's mount point, not tracefs */
	ASSERT_EQ(0, enter_own_netns());
	ASSERT_EQ(0, mount("tracefs", TRACEFS, "tracefs", 0, NULL));
	rmdir(INSTANCE);
	ASSERT_EQ(0, mkdir(INSTANCE, 0755)) TH_LOG("%s: %s", INSTANCE, strerror(errno));
	ASSERT_EQ(0, put(INSTANCE "/trace_clock", "global"));
	ASSERT_EQ(0, put(INSTANCE "/buffer_size_kb", "8192"));
	ASSERT_EQ(0, put(INSTANCE "/events/minitun/minitun_enqueue/enable", "1"));
	ASSERT_EQ(0, put(INSTANCE "/events/minitun/minitun_dequeue/enable", "1"));

	fd = tun_open(MINITUN_DEV, name, IFF_TUN | IFF_NO_PI);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, if_no_ipv6(name));
	ASSERT_EQ(0, if_set_p2p(name, LOCAL_ADDR, PEER_ADDR));
	ASSERT_EQ(0, fcntl(fd, F_SETFL, O_NONBLOCK));
	udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, udp);
	inet_pton(AF_INET, PEER_ADDR, &peer.sin_addr);
	ASSERT_EQ(0, connect(udp, (struct sockaddr *)&peer, sizeof(peer)));

	reader = fork();
	ASSERT_LE(0, reader);
	if (!reader)
		spin_reading(fd);
	/*
	 * Bursts until the reader has taken DEQUEUES, however slow the
	 * machine: a full ring drops the rest of a burst, which is fine.
	 */
	pin_to_cpu(0);
	deadline = time(NULL) + DEADLINE_S;
	do {
		for (i = 0; i < BURST; i++)
			send(udp, payload, sizeof(payload), 0);
		taken = ethtool_stat(name, "tx_queue_0_dequeued");
	} while (taken >= 0 && taken < DEQUEUES && time(NULL) < deadline);
	/* the reader empties the ring: the last dequeues are traced too */
	while (ethtool_stat(name, "tx_queue_0_dequeued") <
	       ethtool_stat(name, "tx_queue_0_enqueued") && time(NULL) < deadline)
		usleep(1000);
	kill(reader, SIGKILL);
	waitpid(reader, NULL, 0);
	put(INSTANCE "/tracing_on", "0");

	trace = fopen(INSTANCE "/trace", "r");
	ASSERT_NE(NULL, trace);
	while (fgets(line, sizeof(line), trace)) {
		p = strstr(line, "skbaddr=");
		if (!p || sscanf(p, "skbaddr=%23s", addr) != 1)
			continue;
		at = find(&flight, addr);
		if (strstr(line, "minitun_enqueue:")) {
			enqueues++;
			if (at < 0 && flight.n < MAX_SKBS)
				strcpy(flight.addr[flight.n++], addr);
		} else if (strstr(line, "minitun_dequeue:")) {
			dequeues++;
			if (at < 0)
				early++;
			else
				strcpy(flight.addr[at], flight.addr[--flight.n]);
		}
	}
	fclose(trace);
	rmdir(INSTANCE);
	close(udp);
	close(fd);

	TH_LOG("%u enqueues, %u dequeues", enqueues, dequeues);
	ASSERT_LE(DEQUEUES, dequeues) TH_LOG("the reader took too few in %d s", DEADLINE_S);
	EXPECT_EQ(0, early) TH_LOG("%u dequeues traced before their enqueue", early);
}

TEST_HARNESS_MAIN
