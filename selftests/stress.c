// SPDX-License-Identifier: GPL-2.0
/*
 * Races and lifecycle under load, in seeded rounds. Each round is a child in
 * a network namespace of its own, with a multiqueue device: a reader per
 * queue, a poller, a writer and a UDP sender keep packets moving both ways
 * while a chaos thread changes tx_queue_len, toggles carrier and link state,
 * detaches and attaches queues, closes and reopens files, makes the device
 * persistent and not, and tries to unload the module. The round ends by
 * deleting the device under its readers, closing everything, or leaving
 * the namespace to die with the device in it.
 *
 * After each round: every packet read is in the device's tx counters and
 * every packet written in its rx counters, exactly; minitun trace, attached
 * for the whole round, saw the packets read, and every packet the driver
 * took was read or counted in tx_dropped; the module is back to
 * no reference and unloads, and is loaded again for the next round.
 *
 * MINITUN_STRESS_SECONDS (default 20) and MINITUN_STRESS_SEED set the run.
 * It unloads the module after each round: run it alone.
 */

#define _GNU_SOURCE
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "helpers.h"
#include "kselftest_harness.h"
#include "packets.h"

#define STRESS_DEV	"st0"
#define MAX_QUEUES	4
#define LOCAL_ADDR	"10.88.0.1"
#define PEER_ADDR	"10.88.0.2"
#define WRITER_PORT	7000
#define IDLE_WRITER	1
#define IDLE_SENDER	2
#define DRAIN_MS	10000

struct round;

struct queue {
	struct round *round;
	pthread_rwlock_t lock;	/* the chaos thread swaps fd under it */
	int fd;			/* -1 while closed */
	unsigned int gen;	/* bumped under lock each time fd changes */
	atomic_uint reading;	/* the gen of the file its reader holds */
	atomic_ullong read;	/* packets this queue's reader got */
};

struct round {
	uint64_t seed;
	int nqueues;
	struct queue queues[MAX_QUEUES];
	atomic_bool traffic;	/* sender and writer run while set */
	atomic_bool stop;
	atomic_bool gone;	/* the device was deleted */
	atomic_int idle;	/* IDLE_WRITER | IDLE_SENDER: seen traffic off */
	atomic_ullong written;	/* writes the stack accepted */
	atomic_ullong polled;
	unsigned long long rx_base, tx_base, dropped_base;
	char failure[512];
};

/* minitun trace --summary --json on the round's device, in the round's netns */
struct tracer {
	pid_t pid;
	int out;		/* its stdout and stderr: "Tracing", then the summary */
	char text[512];		/* what it printed */
};

static int open_queue(void)
{
	char name[IFNAMSIZ] = STRESS_DEV;

	return tun_open(MINITUN_DEV, name,
			IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE);
}

/*
 * Blocking reads, on a file of its own (a dup) so that the chaos thread can
 * close the queue's descriptor meanwhile; stopped by a signal.
 */
static void *reader(void *arg)
{
	struct queue *q = arg;
	struct round *r = q->round;
	char buf[2048];
	ssize_t n;
	int fd;

	while (!atomic_load(&r->stop)) {
		pthread_rwlock_rdlock(&q->lock);
		fd = q->fd >= 0 ? dup(q->fd) : -1;
		atomic_store(&q->reading, q->gen);
		pthread_rwlock_unlock(&q->lock);
		if (fd < 0) {
			usleep(1000);	/* pace: no file until chaos opens one */
			continue;
		}
		n = read(fd, buf, sizeof(buf));
		if (n > 0)
			atomic_fetch_add(&q->read, 1);
		else if (errno != EINTR)
			usleep(1000);	/* pace: EBADFD, EFAULT, the device went */
		close(fd);
	}
	return NULL;
}

static void *poller(void *arg)
{
	struct round *r = arg;
	struct pollfd pfd;
	int i;

	while (!atomic_load(&r->stop)) {
		for (i = 0; i < r->nqueues; i++) {
			pthread_rwlock_rdlock(&r->queues[i].lock);
			pfd.fd = r->queues[i].fd;
			pfd.events = POLLIN | POLLOUT;
			if (pfd.fd >= 0 && poll(&pfd, 1, 0) > 0)
				atomic_fetch_add(&r->polled, 1);
			pthread_rwlock_unlock(&r->queues[i].lock);
		}
		usleep(500);	/* pace: polls among the rest of the load */
	}
	return NULL;
}

/* A UDP datagram from the peer to the writer's socket, as a reader sees it. */
static size_t build_packet(uint8_t *buf, size_t payload)
{
	static const uint8_t zeros[64];

	return udp4_build(buf, inet_addr(PEER_ADDR), WRITER_PORT + 1,
			  inet_addr(LOCAL_ADDR), WRITER_PORT, zeros, payload);
}

static void *writer(void *arg)
{
	struct round *r = arg;
	uint64_t rng = r->seed ^ 0x77;
	uint8_t packet[256];
	size_t len = build_packet(packet, 64);
	struct queue *q;

	while (!atomic_load(&r->stop)) {
		if (!atomic_load(&r->traffic)) {
			atomic_fetch_or(&r->idle, IDLE_WRITER);
			usleep(1000);	/* pace: idle until the round ends */
			continue;
		}
		q = &r->queues[next_rand(&rng) % r->nqueues];
		pthread_rwlock_rdlock(&q->lock);
		if (q->fd >= 0 && write(q->fd, packet, len) == (ssize_t)len)
			atomic_fetch_add(&r->written, 1);
		pthread_rwlock_unlock(&q->lock);
	}
	return NULL;
}

/* UDP from the stack into the device, on several flows so that several
 * queues get some.
 */
static void *sender(void *arg)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct round *r = arg;
	char payload[64] = "stress";
	int fd, port = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	inet_pton(AF_INET, PEER_ADDR, &to.sin_addr);
	while (!atomic_load(&r->stop)) {
		if (!atomic_load(&r->traffic)) {
			atomic_fetch_or(&r->idle, IDLE_SENDER);
			usleep(1000);	/* pace: idle until the round ends */
			continue;
		}
		to.sin_port = htons(9000 + port++ % 16);
		sendto(fd, payload, sizeof(payload), MSG_DONTWAIT,
		       (struct sockaddr *)&to, sizeof(to));
	}
	close(fd);
	return NULL;
}

static void try_rmmod(struct round *r)
{
	/* In use: the kernel must refuse, whatever else is going on. */
	if (!syscall(SYS_delete_module, "minitun", O_NONBLOCK))
		snprintf(r->failure, sizeof(r->failure),
			 "rmmod succeeded with the device in use");
}

static void chaos_step(struct round *r, uint64_t *rng)
{
	static const int txqlens[] = { 1, 8, 64, 500, 2048 };
	struct queue *q = &r->queues[next_rand(rng) % r->nqueues];
	struct ifreq ifr = {};
	int on;

	strcpy(ifr.ifr_name, STRESS_DEV);
	switch (next_rand(rng) % 8) {
	case 0:
		ifr.ifr_qlen = txqlens[next_rand(rng) % 5];
		if_ioctl(SIOCSIFTXQLEN, &ifr);
		break;
	case 1:
		on = next_rand(rng) % 2;
		pthread_rwlock_rdlock(&q->lock);
		ioctl(q->fd, TUNSETCARRIER, &on);
		pthread_rwlock_unlock(&q->lock);
		break;
	case 2:
		if_set_up(STRESS_DEV, next_rand(rng) % 4);
		break;
	case 3:
	case 4:
		ifr.ifr_flags = next_rand(rng) % 2 ? IFF_DETACH_QUEUE
						     : IFF_ATTACH_QUEUE;
		pthread_rwlock_rdlock(&q->lock);
		ioctl(q->fd, TUNSETQUEUE, &ifr);
		pthread_rwlock_unlock(&q->lock);
		break;
	case 5:
		/* Never the last file: that would take the device with it. */
		if (r->nqueues == 1)
			break;
		pthread_rwlock_wrlock(&q->lock);
		if (q->fd >= 0)
			close(q->fd);
		q->fd = atomic_load(&r->gone) ? -1 : open_queue();
		q->gen++;
		pthread_rwlock_unlock(&q->lock);
		break;
	case 6:
		pthread_rwlock_rdlock(&q->lock);
		ioctl(q->fd, TUNSETPERSIST, next_rand(rng) % 2);
		pthread_rwlock_unlock(&q->lock);
		break;
	default:
		try_rmmod(r);
	}
}

static unsigned long long round_reads(struct round *r);

/*
 * Quiet: the writer and the sender have seen the traffic stop, every
 * reader holds its queue's current file, no queue holds a packet, and
 * every packet the driver counted sent was read.
 */
static bool drained(struct round *r)
{
	struct pollfd pfd = { .events = POLLIN };
	bool quiet = atomic_load(&r->idle) == (IDLE_WRITER | IDLE_SENDER);
	int i;

	for (i = 0; quiet && i < r->nqueues; i++) {
		pthread_rwlock_rdlock(&r->queues[i].lock);
		pfd.fd = r->queues[i].fd;
		quiet = atomic_load(&r->queues[i].reading) == r->queues[i].gen &&
			(pfd.fd < 0 || poll(&pfd, 1, 0) == 0);
		pthread_rwlock_unlock(&r->queues[i].lock);
	}
	return quiet && (unsigned long long)if_stat(STRESS_DEV, "tx_packets") -
			r->tx_base == round_reads(r);
}

/*
 * Stop the traffic and let the readers empty the rings. A reader may still
 * be blocked on a dup of a file the chaos thread has since closed, which
 * keeps that old queue attached while the queue's new file fills with no
 * one reading it: a signal sends each reader back for its queue's current
 * file, until drained(). False, with what was left in r->failure, if that
 * took DRAIN_MS.
 */
static bool drain(struct round *r, pthread_t *readers)
{
	int ms, i;

	atomic_store(&r->traffic, false);
	for (ms = 0; ms < DRAIN_MS && !drained(r); ms += 10) {
		for (i = 0; i < r->nqueues; i++)
			pthread_kill(readers[i], SIGUSR1);
		usleep(10 * 1000);
	}
	if (ms < DRAIN_MS)
		return true;
	snprintf(r->failure, sizeof(r->failure),
		 "not quiet after %d ms: idle %d (writer 1, sender 2), readers read %llu, tx_packets says %llu",
		 DRAIN_MS, atomic_load(&r->idle), round_reads(r),
		 (unsigned long long)if_stat(STRESS_DEV, "tx_packets") - r->tx_base);
	return false;
}

static unsigned long long round_reads(struct round *r)
{
	unsigned long long read = 0;
	int i;

	for (i = 0; i < r->nqueues; i++)
		read += atomic_load(&r->queues[i].read);
	return read;
}

static bool quiesce(struct round *r)
{
	int err = if_set_up(STRESS_DEV, 0);

	if (err)
		snprintf(r->failure, sizeof(r->failure),
			 "cannot take %s down: %s", STRESS_DEV, strerror(-err));
	return !err;
}

/* What the counters must say: every read and write, exactly. */
static void check_counters(struct round *r)
{
	unsigned long long read = round_reads(r), tx, rx;

	tx = if_stat(STRESS_DEV, "tx_packets") - r->tx_base;
	rx = if_stat(STRESS_DEV, "rx_packets") - r->rx_base;
	if (tx != read)
		snprintf(r->failure, sizeof(r->failure),
			 "readers read %llu packets, tx_packets says %llu",
			 read, tx);
	else if (rx != atomic_load(&r->written))
		snprintf(r->failure, sizeof(r->failure),
			 "%llu writes succeeded, rx_packets says %llu",
			 atomic_load(&r->written), rx);
}

/* Running once it says so, or with what it said instead in t->text. */
static int tracer_start(struct tracer *t)
{
	const char *minitun = getenv("MINITUN") ?: "minitun";
	size_t len = 0;
	int pipefd[2];
	ssize_t n;

	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	t->pid = fork();
	if (t->pid < 0)
		return -1;
	if (!t->pid) {
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		execl(minitun, minitun, "trace", "--summary", "--json",
		      "-i", STRESS_DEV, (char *)NULL);
		fprintf(stderr, "cannot run %s: %s", minitun, strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	t->out = pipefd[0];
	while (len < sizeof(t->text) - 1 &&
	       (n = read(t->out, t->text + len, sizeof(t->text) - 1 - len)) > 0) {
		len += n;
		t->text[len] = '\0';
		if (strstr(t->text, "Tracing"))
			return 0;
	}
	wait_exit(t->pid, 0);	/* gone already, or stuck: kill and reap */
	close(t->out);
	return -1;
}

/*
 * Ends it and leaves its summary in t->text; ten seconds to exit, since
 * the summary fits in the pipe and nothing else holds it up.
 */
static int tracer_stop(struct tracer *t)
{
	size_t len = 0;
	int status;
	ssize_t n;

	kill(t->pid, SIGINT);
	status = wait_exit(t->pid, 10 * 1000);
	while (len < sizeof(t->text) - 1 &&
	       (n = read(t->out, t->text + len, sizeof(t->text) - 1 - len)) > 0)
		len += n;
	t->text[len] = '\0';
	close(t->out);
	return status >= 0 && WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
}

static unsigned long long summary_number(const char *json, const char *key)
{
	char pattern[32];
	const char *at;

	snprintf(pattern, sizeof(pattern), "\"%s\": ", key);
	at = strstr(json, pattern);
	return at ? strtoull(at + strlen(pattern), NULL, 10) : ULLONG_MAX;
}

/*
 * What the tracer must say: it saw every packet the readers read, and every
 * packet the driver took (net_dev_xmit) was read or counted in tx_dropped,
 * which takes the drops at the ring and the packets purged from it later.
 * Drops before the driver, by the noop qdisc of a device that is down,
 * show in the tracer's "drops" as QDISC_DROP; 6.12's noop_enqueue() counts
 * them in tx_dropped too, 6.1's does not.
 *
 * Four queues of 2048 can hold more packets than the tracer's table has
 * room for in some of its sets; it then evicts the oldest and says how
 * many. An evicted packet's read goes uncounted, so the reads it saw may
 * fall short of the readers' by that many, and no more.
 */
static void check_trace(struct round *r, struct tracer *t)
{
	unsigned long long read = round_reads(r), dropped, traced_read, xmits;
	unsigned long long evicted, qdisc_drops = 0;

	if (tracer_stop(t)) {
		snprintf(r->failure, sizeof(r->failure),
			 "minitun trace failed: %.400s", t->text);
		return;
	}
	traced_read = summary_number(t->text, "read");
	xmits = summary_number(t->text, "xmits");
	evicted = summary_number(t->text, "evicted");
	dropped = if_stat(STRESS_DEV, "tx_dropped") - r->dropped_base;
	if (kernel_at_least(6, 12, 0) && strstr(t->text, "\"QDISC_DROP\": "))
		qdisc_drops = summary_number(t->text, "QDISC_DROP");
	if (evicted == ULLONG_MAX || traced_read > read ||
	    read - traced_read > evicted ||
	    xmits + qdisc_drops != read + dropped)
		snprintf(r->failure, sizeof(r->failure),
			 "readers read %llu, tx_dropped says %llu, but the tracer says read %llu, xmits %llu, evicted %llu, QDISC_DROP %llu: %.400s",
			 read, dropped, traced_read, xmits, evicted,
			 qdisc_drops, t->text);
}

/* The round's ending: how the device and its files go away. */
static void end_round(struct round *r, uint64_t *rng)
{
	int i;

	switch (next_rand(rng) % 3) {
	case 0:		/* deleted under blocked readers */
		atomic_store(&r->gone, true);
		if_delete(STRESS_DEV);
		break;
	case 1:		/* every file closed; a persistent device stays */
		for (i = 0; i < r->nqueues; i++) {
			pthread_rwlock_wrlock(&r->queues[i].lock);
			close(r->queues[i].fd);
			r->queues[i].fd = -1;
			pthread_rwlock_unlock(&r->queues[i].lock);
		}
		break;
	default:	/* the namespace dies with everything in it */
		break;
	}
}

static void on_signal(int sig)
{
	(void)sig;
}

/* pthread_join(), for at most ms; 0 once joined. */
static int join_within(pthread_t thread, long ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += ms * 1000 * 1000;
	until.tv_sec += until.tv_nsec / 1000000000;
	until.tv_nsec %= 1000000000;
	return pthread_timedjoin_np(thread, NULL, &until);
}

static int run_round(struct round *r, long ms)
{
	pthread_t threads[MAX_QUEUES + 3];
	pthread_rwlockattr_t attr;
	uint64_t rng = r->seed;
	int i, nthreads = 0;
	struct timespec end, now;
	struct tracer tracer;

	/* No SA_RESTART: the signal must end a blocked read. */
	sigaction(SIGUSR1, &(struct sigaction){ .sa_handler = on_signal }, NULL);
	if (enter_own_netns())
		return 1;
	r->nqueues = 1 + next_rand(&rng) % MAX_QUEUES;
	/* glibc's default lets back-to-back readers starve the chaos thread. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr,
				      PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	for (i = 0; i < r->nqueues; i++) {
		r->queues[i].round = r;
		pthread_rwlock_init(&r->queues[i].lock, &attr);
		r->queues[i].fd = open_queue();
		if (r->queues[i].fd < 0)
			return 1;
	}
	if_no_ipv6(STRESS_DEV);
	if (if_set_p2p(STRESS_DEV, LOCAL_ADDR, PEER_ADDR))
		return 1;
	r->tx_base = if_stat(STRESS_DEV, "tx_packets");
	r->rx_base = if_stat(STRESS_DEV, "rx_packets");
	r->dropped_base = if_stat(STRESS_DEV, "tx_dropped");
	if (tracer_start(&tracer)) {
		snprintf(r->failure, sizeof(r->failure),
			 "minitun trace did not start: %.400s", tracer.text);
		return 2;
	}

	atomic_store(&r->traffic, true);
	for (i = 0; i < r->nqueues; i++)
		pthread_create(&threads[nthreads++], NULL, reader, &r->queues[i]);
	pthread_create(&threads[nthreads++], NULL, poller, r);
	pthread_create(&threads[nthreads++], NULL, writer, r);
	pthread_create(&threads[nthreads++], NULL, sender, r);

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	do {
		chaos_step(r, &rng);
		usleep(next_rand(&rng) % 5000);	/* pace: a random workload */
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec < end.tv_sec && !r->failure[0]);

	/*
	 * Quiet, so that the counters can be read: up, for what the sender
	 * and writer had under way to go through, and drained; then down,
	 * so that nothing the stack sends on its own from here on reaches
	 * the driver, and drained again of what it sent before.
	 */
	if_set_up(STRESS_DEV, 1);
	if (!r->failure[0] && drain(r, threads) && quiesce(r) &&
	    drain(r, threads))
		check_counters(r);
	if (!r->failure[0])
		check_trace(r, &tracer);
	else
		tracer_stop(&tracer);
	end_round(r, &rng);
	atomic_store(&r->stop, true);
	/* Readers may be blocked on a detached queue: interrupt until gone. */
	for (i = 0; i < nthreads; i++)
		while (join_within(threads[i], 10))
			pthread_kill(threads[i], SIGUSR1);
	return r->failure[0] ? 2 : 0;
}

FIXTURE(stress)
{
	struct round *round;
};

FIXTURE_SETUP(stress)
{
	if (access(MINITUN_DEV, F_OK))
		SKIP(return, "%s is missing: the module is not loaded", MINITUN_DEV);
	/* Shared with the round's child, which writes its failure here. */
	self->round = mmap(NULL, sizeof(*self->round), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->round);
}

FIXTURE_TEARDOWN(stress)
{
	munmap(self->round, sizeof(*self->round));
}

TEST_F_TIMEOUT(stress, rounds_leave_counters_exact_and_module_free, 3600)
{
	long long seconds = env_number("MINITUN_STRESS_SECONDS", 20);
	uint64_t seed = env_number("MINITUN_STRESS_SEED", time(NULL));
	struct round *r = self->round;
	time_t end = time(NULL) + seconds;
	unsigned int rounds = 0;
	int status;
	pid_t pid;

	TH_LOG("seed %llu, %lld s; replay with MINITUN_STRESS_SEED=%llu",
	       (unsigned long long)seed, seconds, (unsigned long long)seed);
	while (time(NULL) < end) {
		memset(r, 0, sizeof(*r));
		r->seed = next_rand(&seed);
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			_exit(run_round(r, 1000 + r->seed % 2000));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		rounds++;

		ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("round %u (seed %llu): %s", rounds,
			       (unsigned long long)r->seed,
			       r->failure[0] ? r->failure : "could not set up");
		/*
		 * A dying namespace takes its devices down from a workqueue,
		 * after RCU grace periods: seconds on a KASAN and lockdep
		 * kernel under emulation. Thirty of them before calling it a
		 * leak.
		 */
		ASSERT_EQ(0, wait_module_refs("minitun", 0, 30 * 1000))
			TH_LOG("round %u (seed %llu) left %lld module references",
			       rounds, (unsigned long long)r->seed,
			       module_refs("minitun"));
		ASSERT_EQ(0, run("rmmod minitun"));
		ASSERT_EQ(0, load_minitun());
	}
	TH_LOG("%u rounds", rounds);
	ASSERT_LT(0, rounds);
}

TEST_HARNESS_MAIN
