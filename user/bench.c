// SPDX-License-Identifier: GPL-2.0
/*
 * minitun bench: one benchmark that runs unchanged against /dev/minitun and
 * /dev/net/tun, so that the two drivers are measured the same way, in the
 * same VM, one after the other (scripts/bench does that).
 *
 *   rx   the stack to the reader: a sender, or --senders of them, each
 *        with flows of its own, floods ready-made IPv4/UDP datagrams into
 *        the device; a reader per queue counts what it reads.
 *   tx   the writer to the stack: a writer per queue writes ready-made
 *        IPv4/UDP packets addressed to a UDP socket in the stack, which
 *        counts what arrives.
 *   lat  one packet in flight: the sender stamps it, the reader, asleep in
 *        read(), is woken and takes the time again. With --against, a
 *        second driver's device takes every other packet, so that the
 *        two are timed through the same changes in the machine's speed,
 *        which under emulation are larger than the drivers' difference.
 *
 * The rx and lat sender hands its datagrams to the device through a packet
 * socket: dev_queue_xmit(), the qdisc and the driver's xmit, as a routed
 * datagram would go, without the sender's own UDP and IP layers, which cost
 * more than the whole driver and would be what rx measured.
 *
 * --size is the IP packet's length: what the reader reads, what the writer
 * writes. The device is a fresh TUN device without packet info, with no
 * IPv6, so nothing but the benchmark's packets crosses it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "device.h"
#include "netlink.h"
#include "packet.h"
#include "workers.h"
#include "uapi/minitun.h"

#define LOCAL_ADDR	"10.211.0.1"
#define PEER_ADDR	"10.211.0.2"
#define SINK_PORT	9
#define IP_UDP_HLEN	28	/* IPv4 and UDP headers: the smallest --size */
#define FIRST_PORT	10000	/* sender s's flow i: FIRST_PORT + s * SENDER_FLOWS + i */
#define LAT_MAGIC	0x6d74756e6c617421ull
#define LAT_GAP_US	100	/* lets the reader fall asleep again */
#define LAT_WAIT_NS	1000000000ull	/* a round trip later than this is lost */
#define SEND_BURST	32	/* datagrams per sendmmsg() */
#define SINK_BURST	64	/* datagrams per recvmmsg() */
#define MAX_SAMPLES	(1 << 20)
#define READ_BUF	(MINITUN_BATCH_MAX * MINITUN_REC_SIZE(1500))

const char * const bench_mode_names[] = { "rx", "tx", "lat" };

/* --against has no letter: -a is up's --addr, one meaning everywhere */
enum { OPT_AGAINST = 256 };

static const struct argp_option bench_options[] = {
	{ "mode", 'm', "MODE", 0, "rx (stack to reader), tx (writer to stack) or lat", 0 },
	{ "size", 's', "BYTES", 0, "IP packet length (default 64)", 0 },
	{ "duration", 'd', "S", 0, "how long to measure, in seconds (default 3)", 0 },
	{ "seconds", 't', NULL, OPTION_ALIAS, NULL, 0 },
	{ "queues", 'q', "N", 0, "N queues, a reader or writer thread each (default 1)", 0 },
	{ "batch", 'b', "N", 0, "minitun's batched mode: up to N packets per read or write", 0 },
	{ "senders", 'S', "N", 0,
	  "rx: N sender threads, on CPUs 0..N-1, each with flows of its own (default 1)", 0 },
	{ "interface", 'i', "NAME", 0,
	  "the interface: a new one, or an existing TUN device without packet info (default: the driver's next free name)", 0 },
	{ "name", 'n', NULL, OPTION_ALIAS, NULL, 0 },
	{ "against", OPT_AGAINST, "PATH", 0,
	  "lat: also time a device of PATH's driver, sending to the two in turn (a result each)", 0 },
	{ "json", 'j', NULL, 0, "one JSON object instead of text", 0 },
	{ 0 }
};

static error_t parse_bench(int key, char *arg, struct argp_state *state)
{
	struct bench *b = state->input;
	unsigned int i;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &b->common;
		b->size = 64;
		b->seconds = 3;
		b->queues = 1;
		b->senders = 1;
		return 0;
	case 'm':
		for (i = 0; i < 3 && strcmp(arg, bench_mode_names[i]); i++)
			;
		if (i == 3)
			argp_error(state, "--mode is rx, tx or lat, not '%s'", arg);
		b->mode = i;
		return 0;
	case 's':
		b->size = mt_parse_number(state, "--size", arg, IP_UDP_HLEN, 1500);
		return 0;
	case 'd':
	case 't':
		b->seconds = mt_parse_number(state, "--duration", arg, 1, 3600);
		return 0;
	case 'q':
		b->queues = mt_parse_number(state, "--queues", arg, 1,
					    MAX_BENCH_QUEUES);
		return 0;
	case 'b':
		b->batch = mt_parse_number(state, "--batch", arg, 0,
					   MINITUN_BATCH_MAX);
		return 0;
	case 'S':
		b->senders = mt_parse_number(state, "--senders", arg, 1,
					     MAX_SENDERS);
		return 0;
	case 'i':
	case 'n':
		b->name = mt_parse_ifname(state, arg);
		return 0;
	case OPT_AGAINST:
		b->against_node = arg;
		return 0;
	case 'j':
		b->json = true;
		return 0;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		return 0;
	case ARGP_KEY_END:
		if (b->mode == MODE_LAT && b->batch)
			argp_error(state, "--batch is for rx and tx: lat has one packet in flight");
		if (b->mode != MODE_LAT && b->against_node)
			argp_error(state, "--against is for lat: rx and tx fill one device at a time");
		if (b->mode != MODE_RX && b->senders > 1)
			argp_error(state, "--senders is for rx: tx's writers are its queues, and lat has one packet in flight");
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp bench_argp = {
	.options = bench_options,
	.parser = parse_bench,
	.children = mt_common_children,
	.doc = "Measure a driver: packets per second from the stack to a reader (rx) "
	       "and from a writer to the stack (tx), and the reader's wakeup "
	       "latency (lat), on a fresh TUN device.\v"
	       "Examples:\n"
	       "  minitun bench --mode rx --size 64 --duration 3\n"
	       "  minitun bench --mode rx --senders 2 --queues 2\n"
	       "  minitun bench --dev /dev/net/tun --mode lat --json\n"
	       "  minitun bench --mode lat --against /dev/net/tun\n"
	       "  minitun bench --mode tx --batch 32 --queues 2\n"
	       "\nWhat each mode measures and how to read it: docs/bench.md",
};

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static long long counter(const struct bench *b, const char *name)
{
	char path[128];
	long long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s",
		 b->dev.name, name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lld", &val) != 1)
			val = -1;
		fclose(f);
	}
	return val;
}

/*
 * tx: the stack's end, a UDP socket bound to LOCAL_ADDR:SINK_PORT. It takes
 * datagrams GRO joined (UDP_GRO), as a program receiving at a high rate
 * would: with tun, and with minitun one packet a write(), each still comes
 * alone; minitun's batched writes go through GRO.
 */
static int sink_socket(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(SINK_PORT) };
	struct timeval sink_wait = { .tv_usec = 10000 };
	int fd, on = 1;

	inet_pton(AF_INET, LOCAL_ADDR, &sin.sin_addr);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		mt_error("cannot open a UDP socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof(on)))
		mt_error("cannot set UDP_GRO: %s", strerror(errno));
	/* recvmmsg()'s own timeout is looked at only once a datagram came */
	else if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &sink_wait,
			    sizeof(sink_wait)))
		mt_error("cannot set SO_RCVTIMEO: %s", strerror(errno));
	else if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
		mt_error("cannot bind %s:%u: %s", LOCAL_ADDR, SINK_PORT,
			 strerror(errno));
	else
		return fd;
	close(fd);
	return -1;
}

/* An IPv4/UDP packet, --size long, from src:sport to dst:SINK_PORT. */
static size_t build_udp(uint8_t *pkt, unsigned int size, const char *src,
			unsigned int sport, const char *dst)
{
	struct in_addr saddr, daddr;

	memset(pkt, 0, size);
	inet_pton(AF_INET, src, &saddr);
	inet_pton(AF_INET, dst, &daddr);
	pkt[0] = 0x45;
	put16(pkt + 2, size);
	pkt[6] = 0x40;	/* DF, as Linux sends UDP: GRO joins no other */
	pkt[8] = 64;
	pkt[9] = 17;	/* UDP */
	memcpy(pkt + 12, &saddr, 4);
	memcpy(pkt + 16, &daddr, 4);
	put16(pkt + 10, csum_fold(csum_add(0, pkt, 20)));
	put16(pkt + 20, sport);
	put16(pkt + 22, SINK_PORT);
	put16(pkt + 24, size - 20);
	put16(pkt + 26, csum_l4(AF_INET, &saddr, &daddr, 17, pkt + 20,
				size - 20) ?: 0xffff);
	return size;
}

/* A packet socket that sends IPv4 packets out of the bench's device. */
static int packet_socket(const struct bench *b, struct sockaddr_ll *to)
{
	int fd;

	*to = (struct sockaddr_ll) {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = b->ifindex,
	};
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
	if (fd < 0)
		mt_error("cannot open a packet socket: %s (it needs CAP_NET_RAW: run as root)",
			 strerror(errno));
	return fd;
}

/*
 * rx: the senders start together, sender 0 opening the interval once all
 * are ready, and the last one to stop closes it. The wait looks at
 * mt_stopping(), so that a sender that failed, or SIGINT, ends it.
 */
static void senders_start(struct bench *b, unsigned int s)
{
	atomic_fetch_add(&b->senders_ready, 1);
	if (s) {
		while (!atomic_load(&b->go) && !mt_stopping())
			usleep(100);
		return;
	}
	while (atomic_load(&b->senders_ready) < b->senders && !mt_stopping())
		usleep(100);
	clock_gettime(CLOCK_MONOTONIC, &b->start);
	b->deadline = now_ns() + b->seconds * 1000000000ull;
	atomic_store(&b->measuring, true);
	atomic_store(&b->go, true);
}

static void senders_stop(struct bench *b)
{
	if (atomic_fetch_add(&b->senders_done, 1) + 1 < b->senders)
		return;
	atomic_store(&b->measuring, false);
	clock_gettime(CLOCK_MONOTONIC, &b->end);
}

/*
 * rx: sender s's datagrams to the peer, FLOWS_PER_QUEUE source ports a
 * queue, its own ports, so that its flows spread over the queues, in bursts
 * of sendmmsg(). It counts what it offered flow by flow, so that
 * bench_report() can set each queue's offered load against what its reader
 * delivered.
 */
static int send_flood(struct bench *b, unsigned int s)
{
	static __thread uint8_t pkts[SENDER_FLOWS][1500];
	unsigned int nflows = b->queues * FLOWS_PER_QUEUE, i, flow = 0;
	unsigned long long *offered = b->flow_offered + s * SENDER_FLOWS;
	struct iovec iov[SENDER_FLOWS];
	struct mmsghdr msgs[SEND_BURST];
	struct sockaddr_ll to;
	int fd, sent;

	fd = packet_socket(b, &to);
	if (fd < 0)
		return EXIT_RUNTIME;
	for (i = 0; i < nflows; i++) {
		iov[i] = (struct iovec) { pkts[i], b->size };
		build_udp(pkts[i], b->size, LOCAL_ADDR,
			  FIRST_PORT + s * SENDER_FLOWS + i, PEER_ADDR);
	}
	for (i = 0; i < SEND_BURST; i++)
		msgs[i] = (struct mmsghdr) { .msg_hdr = {
			.msg_name = &to, .msg_namelen = sizeof(to),
			.msg_iov = &iov[i % nflows], .msg_iovlen = 1 } };

	senders_start(b, s);
	while (!mt_stopping() && now_ns() < b->deadline) {
		/* A datagram the device refused (a full ring, without a qdisc
		 * to take it: ENOBUFS) ends the burst: it was offered all the
		 * same.
		 */
		sent = sendmmsg(fd, msgs, SEND_BURST, 0);
		if (sent < 0)
			sent = errno == ENOBUFS ? 1 : 0;
		else if (sent < SEND_BURST)
			sent++;
		for (i = 0; i < (unsigned int)sent; i++)
			offered[(flow + i) % nflows]++;
		b->sender_offered[s] += sent;
		/* the next burst starts on the next flow */
		flow = (flow + 1) % nflows;
		for (i = 0; i < SEND_BURST; i++)
			msgs[i].msg_hdr.msg_iov = &iov[(flow + i) % nflows];
	}
	atomic_fetch_add(&b->offered, b->sender_offered[s]);
	senders_stop(b);
	close(fd);
	return 0;
}

/* Packets in what one read() returned: one, or a batch of records. */
static unsigned int count_packets(const struct bench *b, const uint8_t *buf,
				  size_t len)
{
	const struct minitun_rec *rec;
	unsigned int n = 0;
	size_t off = 0;

	if (!b->batch)
		return 1;
	while (off + sizeof(*rec) <= len) {
		rec = (const struct minitun_rec *)(buf + off);
		off += MINITUN_REC_SIZE(rec->len);
		n++;
	}
	return n;
}

/*
 * What a queue worker did: always in total, in done[] if in the interval.
 * Whether it was in the interval.
 */
static bool count(struct bench *b, unsigned int q, unsigned int packets)
{
	atomic_fetch_add_explicit(&b->total, packets, memory_order_relaxed);
	if (!atomic_load_explicit(&b->measuring, memory_order_relaxed))
		return false;
	atomic_fetch_add_explicit(&b->done[q], packets, memory_order_relaxed);
	return true;
}

/* rx: the flow of one packet read, by its source port, in flow_read[q]. */
static void note_flow(struct bench *b, unsigned int q, const uint8_t *pkt,
		      size_t len)
{
	unsigned int flow;

	if (len < IP_UDP_HLEN)
		return;
	flow = get16(pkt + 20) - FIRST_PORT;
	if (flow < MAX_FLOWS)
		b->flow_read[q][flow]++;
}

/* ... of every packet in what one read() returned. */
static void note_flows(struct bench *b, unsigned int q, const uint8_t *buf,
		       size_t len)
{
	const struct minitun_rec *rec;
	size_t off = 0;

	if (!b->batch) {
		note_flow(b, q, buf, len);
		return;
	}
	while (off + sizeof(*rec) <= len) {
		rec = (const struct minitun_rec *)(buf + off);
		if (off + rec->hdr_len + rec->len > len)
			return;
		note_flow(b, q, buf + off + rec->hdr_len, rec->len);
		off += MINITUN_REC_SIZE(rec->len);
	}
}

static int read_queue(struct bench *b, unsigned int q)
{
	static __thread uint8_t buf[READ_BUF];
	ssize_t n;

	while (!mt_stopping()) {
		n = read(b->dev.fds[q], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mt_explain_io_error(&b->dev, "read", -errno);
			return EXIT_RUNTIME;
		}
		if (count(b, q, count_packets(b, buf, n)))
			note_flows(b, q, buf, n);
	}
	return EXIT_OK;
}

/* tx with --batch: the same packet, batch times, as records. */
static size_t build_batch(uint8_t *buf, unsigned int size, unsigned int batch)
{
	struct minitun_rec rec = {
		.len = size,
		.hdr_len = sizeof(rec),
		.version = MINITUN_BATCH_V1,
	};
	size_t off = 0;
	unsigned int i;

	for (i = 0; i < batch; i++) {
		memcpy(buf + off, &rec, sizeof(rec));
		build_udp(buf + off + sizeof(rec), size, PEER_ADDR, SINK_PORT + 1,
			  LOCAL_ADDR);
		off += MINITUN_REC_SIZE(size);
	}
	return off;
}

static int write_queue(struct bench *b, unsigned int q)
{
	unsigned int per_write = b->batch ? b->batch : 1;
	ssize_t n;

	while (!mt_stopping()) {
		n = write(b->dev.fds[q], b->packet, b->packet_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)b->packet_len) {
			mt_explain_io_error(&b->dev, "write", n < 0 ? -errno : -EIO);
			return EXIT_RUNTIME;
		}
		count(b, q, per_write);
	}
	return EXIT_OK;
}

/* Datagrams in one that GRO may have joined: UDP_GRO gives their size. */
static unsigned int sink_datagrams(struct msghdr *msg, unsigned int len)
{
	struct cmsghdr *c;
	int size;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_UDP || c->cmsg_type != UDP_GRO)
			continue;
		memcpy(&size, CMSG_DATA(c), sizeof(size));
		return size > 0 ? (len + size - 1) / size : 1;
	}
	return 1;
}

/*
 * tx: what the stack delivered to the sink socket in the interval; only
 * the start of each datagram is copied, MSG_TRUNC tells its whole length.
 */
static int receive_sink(struct bench *b)
{
	static char bufs[SINK_BURST][64];
	static char ctrl[SINK_BURST][CMSG_SPACE(sizeof(int))];
	struct mmsghdr msgs[SINK_BURST];
	struct iovec iov[SINK_BURST];
	struct timespec timeout = { .tv_nsec = 10000000 };
	unsigned long long end;
	int i, n;

	for (i = 0; i < SINK_BURST; i++) {
		iov[i] = (struct iovec) { bufs[i], sizeof(bufs[i]) };
		msgs[i] = (struct mmsghdr) { .msg_hdr = { .msg_iov = &iov[i],
							  .msg_iovlen = 1,
							  .msg_control = ctrl[i] } };
	}
	clock_gettime(CLOCK_MONOTONIC, &b->start);
	atomic_store(&b->measuring, true);
	end = now_ns() + b->seconds * 1000000000ull;
	while (!mt_stopping() && now_ns() < end) {
		for (i = 0; i < SINK_BURST; i++)
			msgs[i].msg_hdr.msg_controllen = sizeof(ctrl[i]);
		n = recvmmsg(b->sink, msgs, SINK_BURST, MSG_WAITFORONE | MSG_TRUNC,
			     &timeout);
		for (i = 0; i < n; i++)
			b->delivered += sink_datagrams(&msgs[i].msg_hdr,
						       msgs[i].msg_len);
	}
	atomic_store(&b->measuring, false);
	clock_gettime(CLOCK_MONOTONIC, &b->end);
	return 0;
}

/*
 * lat: one stamped datagram to b's device, and the wait for its reader.
 * Each carries its round trip's number, so that a reply later than the
 * wait is not taken for the next one's: the reader leaves it out.
 */
static void round_trip(struct bench *b, int fd, const struct sockaddr_ll *to,
		       uint8_t *pkt)
{
	struct pollfd got = { .fd = b->event, .events = POLLIN };
	unsigned long long seq = atomic_fetch_add(&b->seq, 1) + 1;
	unsigned long long stamp[3] = { LAT_MAGIC, seq, now_ns() };
	unsigned long long deadline = stamp[2] + LAT_WAIT_NS, now;
	uint64_t ack;

	/* the UDP checksum goes stale: only our reader sees the packet */
	memcpy(pkt + IP_UDP_HLEN, stamp, sizeof(stamp));
	if (sendto(fd, pkt, b->size, 0, (const struct sockaddr *)to,
		   sizeof(*to)) != (ssize_t)b->size)
		return;
	atomic_fetch_add(&b->offered, 1);
	while ((now = now_ns()) < deadline &&
	       poll(&got, 1, (deadline - now) / 1000000 + 1) == 1 &&
	       read(b->event, &ack, sizeof(ack)) > 0)
		if (atomic_load(&b->acked) == seq)
			return;
	b->lost++;	/* dropped, or late: move on */
}

static bool has_room(struct bench *b)
{
	return atomic_load(&b->nsamples) + b->lost < MAX_SAMPLES;
}

/*
 * lat: one datagram in flight, the next once the reader has it; with
 * --against, to each device in turn, both measured over the same interval.
 */
static int send_one_at_a_time(struct bench *b)
{
	struct bench *sides[2] = { b, b->against };
	unsigned int nsides = b->against ? 2 : 1, i;
	int fds[2] = { -1, -1 }, err = EXIT_RUNTIME;
	struct sockaddr_ll to[2];
	unsigned long long end;
	uint8_t pkt[1500];

	for (i = 0; i < nsides; i++) {
		fds[i] = packet_socket(sides[i], &to[i]);
		if (fds[i] < 0)
			goto out;
	}
	build_udp(pkt, b->size, LOCAL_ADDR, SINK_PORT + 1, PEER_ADDR);
	for (i = 0; i < nsides; i++) {
		clock_gettime(CLOCK_MONOTONIC, &sides[i]->start);
		atomic_store(&sides[i]->measuring, true);
	}
	end = now_ns() + b->seconds * 1000000000ull;
	for (i = 0; !mt_stopping() && now_ns() < end && has_room(sides[i]);
	     i = (i + 1) % nsides) {
		usleep(LAT_GAP_US);
		round_trip(sides[i], fds[i], &to[i], pkt);
	}
	for (i = 0; i < nsides; i++) {
		atomic_store(&sides[i]->measuring, false);
		clock_gettime(CLOCK_MONOTONIC, &sides[i]->end);
	}
	err = EXIT_OK;
out:
	for (i = 0; i < nsides; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return err;
}

static int read_stamps(struct bench *b, unsigned int q)
{
	static __thread uint8_t buf[READ_BUF];
	unsigned long long stamp[3], now;
	uint64_t one = 1;
	ssize_t n;

	while (!mt_stopping()) {
		n = read(b->dev.fds[q], buf, sizeof(buf));
		now = now_ns();
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mt_explain_io_error(&b->dev, "read", -errno);
			return EXIT_RUNTIME;
		}
		if (n < IP_UDP_HLEN + (ssize_t)sizeof(stamp))
			continue;
		memcpy(stamp, buf + IP_UDP_HLEN, sizeof(stamp));
		/* not ours, or late: its round trip was counted lost */
		if (stamp[0] != LAT_MAGIC || stamp[1] != atomic_load(&b->seq))
			continue;
		b->samples[atomic_fetch_add(&b->nsamples, 1)] = now - stamp[2];
		atomic_store(&b->acked, stamp[1]);
		count(b, q, 1);
		if (write(b->event, &one, sizeof(one)) < 0)
			return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/*
 * Each thread on a CPU of its own where there are enough: the senders (or
 * tx's receiver, or lat's pacer) on CPUs 0..senders-1, queue q's thread on
 * the next CPUs, wrapping over those only when there are too few, and
 * over all of them when there are no more than senders. With fewer CPUs
 * than threads the queues share, and the senders keep theirs: a reader
 * woken on a sender's CPU preempts it for each packet, and the run then
 * measures the scheduler. Under emulation a thread that moves between
 * CPUs, or a wakeup that finds its thread on one CPU this run and another
 * the next, makes the figures wander more than any driver does.
 */
static void place(struct bench *b)
{
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int i, s = b->senders;

	if (ncpus < 1)
		ncpus = 1;
	b->ncpus = ncpus;
	for (i = 0; i < s; i++)
		b->sender_cpu[i] = i % ncpus;
	for (i = 0; i < b->queues; i++)
		b->queue_cpu[i] = ncpus > s ? s + i % (ncpus - s) : (s + i) % ncpus;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static unsigned long long thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * A queue thread: a reader, or a writer in tx. Its CPU time per packet is
 * the driver's cost as the reader or writer pays it, whatever limits the
 * rate: batching shows there even when the other side is the bottleneck.
 */
static int queue_thread(struct bench *b, unsigned int q)
{
	unsigned long long cpu = thread_cpu_ns();
	int err;

	switch (b->mode) {
	case MODE_RX:
		err = read_queue(b, q);
		break;
	case MODE_TX:
		err = write_queue(b, q);
		break;
	default:
		err = read_stamps(b, q);
	}
	atomic_fetch_add(&b->queue_cpu_ns, thread_cpu_ns() - cpu);
	return err;
}

/*
 * Threads 0..queues-1 work the queues; the rest send (rx), or receive (tx)
 * or pace (lat), and time. With --against, the second device's readers
 * come between them.
 */
static int bench_thread(void *ctx, unsigned int index)
{
	struct bench *b = ctx;

	if (b->against && index >= b->queues) {
		if (index < 2 * b->queues)
			b = b->against;
		index -= b->queues;
	}
	if (index < b->queues) {
		pin(b->queue_cpu[index]);
		return queue_thread(b, index);
	}
	index -= b->queues;
	pin(b->sender_cpu[index]);
	switch (b->mode) {
	case MODE_RX:
		return send_flood(b, index);
	case MODE_TX:
		return receive_sink(b);
	default:
		return send_one_at_a_time(b);
	}
}

/*
 * A TUN device without packet info, addressed and up, and nothing but our
 * packets on it: a fresh one, or --name's (a tracer can be attached to a
 * device made beforehand).
 */
static int setup_device(struct bench *b)
{
	struct mt_addr addr;
	struct nl_link link;
	char path[96];
	FILE *f;

	if (mt_device_init(&b->dev, b->common.node, b->name) ||
	    mt_device_create(&b->dev, IFF_TUN | IFF_NO_PI, b->queues))
		return -1;
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 b->dev.name);
	f = fopen(path, "w");
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
	if (mt_addr_parse(LOCAL_ADDR "/32", &addr) ||
	    inet_pton(AF_INET, PEER_ADDR, addr.peer) != 1)
		return -1;
	addr.has_peer = true;
	if (nl_link_get(b->dev.name, &link) ||
	    mt_addr_add(b->dev.name, link.ifindex, &addr) ||
	    nl_link_set_up(b->dev.name, link.ifindex))
		return -1;
	b->ifindex = link.ifindex;
	return b->batch ? mt_device_set_batch(&b->dev, b->batch) : 0;
}

/*
 * The device's own count of what the bench moved, and of what it dropped:
 * rx and lat count reads, in tx_packets; tx counts writes, in rx_packets.
 */
static void device_counts(const struct bench *b, long long *packets,
			  long long *drops)
{
	bool tx = b->mode == MODE_TX;

	*packets = counter(b, tx ? "rx_packets" : "tx_packets");
	*drops = counter(b, tx ? "rx_dropped" : "tx_dropped");
}

/* Its device, and what its mode needs beside it. */
static int bench_prepare(struct bench *b)
{
	if (setup_device(b))
		return -1;
	if (b->mode == MODE_TX) {
		b->sink = sink_socket();
		if (b->sink < 0)
			return -1;
		/* room for bursts, so that the socket is not what is measured */
		setsockopt(b->sink, SOL_SOCKET, SO_RCVBUFFORCE, &(int){ 32 << 20 },
			   sizeof(int));
		b->packet_len = b->batch ? build_batch(b->packet, b->size, b->batch)
					 : build_udp(b->packet, b->size, PEER_ADDR,
						     SINK_PORT + 1, LOCAL_ADDR);
	} else if (b->mode == MODE_LAT) {
		b->event = eventfd(0, EFD_CLOEXEC);
		b->samples = calloc(MAX_SAMPLES, sizeof(*b->samples));
		if (b->event < 0 || !b->samples) {
			mt_error("out of memory or file descriptors");
			return -1;
		}
	}
	return 0;
}

static void bench_release(struct bench *b)
{
	if (b->sink >= 0)
		close(b->sink);
	if (b->event >= 0)
		close(b->event);
	free(b->samples);
	mt_device_close(&b->dev);
}

/* --against's side: the same run, on a fresh device of the other node. */
static void bench_against(struct bench *b, struct bench *against)
{
	*against = (struct bench) {
		.common.node = b->against_node,
		.mode = b->mode,
		.size = b->size,
		.seconds = b->seconds,
		.queues = b->queues,
		.senders = b->senders,
		.json = b->json,
		.sink = -1,
		.event = -1,
	};
	b->against = against;
}

int cmd_bench(int argc, char **argv)
{
	static struct bench b, against;
	struct bench *sides[2] = { &b, &against };
	long long packets[2], drops[2];	/* the device's, at the start */
	unsigned int nsides, i;
	int err = EXIT_RUNTIME;

	b.sink = b.event = -1;
	if (argp_parse(&bench_argp, argc, argv, 0, NULL, &b))
		return EXIT_USAGE;
	if (b.against_node)
		bench_against(&b, &against);
	nsides = b.against ? 2 : 1;
	for (i = 0; i < nsides; i++)
		if (bench_prepare(sides[i]))
			goto out;

	for (i = 0; i < nsides; i++) {
		place(sides[i]);
		device_counts(sides[i], &packets[i], &drops[i]);
	}
	err = mt_run_workers(nsides * b.queues + b.senders, bench_thread, &b) ?
	      EXIT_RUNTIME : EXIT_OK;
	for (i = 0; i < nsides && !err; i++) {
		device_counts(sides[i], &sides[i]->dev_packets,
			      &sides[i]->dev_drops);
		sides[i]->dev_packets -= packets[i];
		sides[i]->dev_drops -= drops[i];
		bench_report(sides[i]);
	}
out:
	for (i = 0; i < nsides; i++)
		bench_release(sides[i]);
	return err;
}
