// SPDX-License-Identifier: GPL-2.0
/*
 * minitun read: be the reader of an interface's queues and print one line
 * per packet the stack sent it, optionally a hex dump, and a pcap file that
 * tcpdump and Wireshark read. Three ways to wait, the three ways a tun
 * reader can sleep: a blocking read() per queue, each in its own thread
 * (the default); O_NONBLOCK reads between poll()s; or epoll.
 */
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli.h"
#include "device.h"
#include "packet.h"
#include "workers.h"
#include "uapi/minitun.h"

enum wait_mode {
	WAIT_READ,	/* blocking read(), a thread per queue */
	WAIT_POLL,	/* O_NONBLOCK read() after poll(), one thread */
	WAIT_EPOLL,	/* the same with epoll_wait() */
};

static const char * const mode_names[] = {
	[WAIT_READ] = "blocking read",
	[WAIT_POLL] = "poll and O_NONBLOCK read",
	[WAIT_EPOLL] = "epoll and O_NONBLOCK read",
};

struct read_args {
	struct mt_attach_opts attach;
	unsigned long count;	/* 0: until stopped */
	bool hex;
	const char *pcap_file;
	enum wait_mode mode;
};

struct reader {
	const struct read_args *args;
	struct mt_device dev;
	pcap_t *pcap;
	pcap_dumper_t *dumper;
	pthread_mutex_t lock;	/* the lines, the pcap and the counters below */
	unsigned long packets;
	unsigned long long bytes;
	unsigned long queue_packets[MAX_QUEUES];
};

enum { OPT_NONBLOCK = 256, OPT_EPOLL };

static const struct argp_option read_options[] = {
	{ "count", 'c', "N", 0, "stop after N packets", 0 },
	{ "hex", 'x', NULL, 0, "a hex dump of each packet under its line", 0 },
	{ "write", 'w', "FILE", 0, "also write the packets to FILE, in pcap format", 0 },
	{ "nonblock", OPT_NONBLOCK, NULL, 0, "O_NONBLOCK reads, sleeping in poll() between them", 0 },
	{ "epoll", OPT_EPOLL, NULL, 0, "O_NONBLOCK reads, sleeping in epoll_wait()", 0 },
	{ 0 }
};

static void set_mode(struct argp_state *state, struct read_args *args,
		     enum wait_mode mode)
{
	if (args->mode != WAIT_READ && args->mode != mode)
		argp_error(state, "--nonblock and --epoll do not combine: pick one");
	args->mode = mode;
}

static error_t parse_read(int key, char *arg, struct argp_state *state)
{
	struct read_args *args = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &args->attach;
		return 0;
	case 'c':
		args->count = mt_parse_number(state, "--count", arg, 1, ~0UL);
		return 0;
	case 'x':
		args->hex = true;
		return 0;
	case 'w':
		args->pcap_file = arg;
		return 0;
	case OPT_NONBLOCK:
		set_mode(state, args, WAIT_POLL);
		return 0;
	case OPT_EPOLL:
		set_mode(state, args, WAIT_EPOLL);
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp read_argp = {
	.options = read_options,
	.parser = parse_read,
	.doc = "Read the packets the stack sends to an interface, as its reader, "
	       "and print one line each: time, queue, length, then IPv4, IPv6 or "
	       "ARP with the addresses, the ICMP type or the TCP/UDP ports. "
	       "The interface must exist (minitun up --persist); reading takes "
	       "its packets, so nothing else gets them. Ctrl-C stops it and "
	       "prints the totals on stderr.\v"
	       "Examples:\n"
	       "  minitun read -i mtun0\n"
	       "  minitun read -i mtun0 --count 10 -w mtun0.pcap && tcpdump -r mtun0.pcap\n"
	       "  minitun read -i mtap0 --queues 4 --epoll --hex\n"
	       "  minitun read --dev /dev/net/tun -i tun0\n"
	       "\nWhat a read() does in the kernel: docs/tour.md; --batch: "
	       "docs/batching.md",
	.children = mt_attach_children,
};

/* Print and store one packet; true once --count packets were. */
static bool report(struct reader *r, unsigned int queue, const uint8_t *frame,
		   size_t len)
{
	struct pcap_pkthdr hdr = { .caplen = len, .len = len };
	unsigned long count = r->args->count;
	struct timespec ts;
	char tag[16];
	bool done;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(tag, sizeof(tag), "q%u", queue);

	pthread_mutex_lock(&r->lock);
	if (count && r->packets >= count) {
		pthread_mutex_unlock(&r->lock);
		return true;
	}
	packet_print(stdout, &ts, tag, frame, len, mt_is_tap(&r->dev));
	if (r->args->hex)
		packet_hexdump(stdout, frame, len);
	if (r->dumper) {
		hdr.ts.tv_sec = ts.tv_sec;
		hdr.ts.tv_usec = ts.tv_nsec / 1000;
		pcap_dump((u_char *)r->dumper, &hdr, frame);
	}
	r->packets++;
	r->bytes += len;
	r->queue_packets[queue]++;
	done = count && r->packets >= count;
	pthread_mutex_unlock(&r->lock);
	return done;
}

enum read_result {
	READ_MORE,	/* got a packet */
	READ_EMPTY,	/* nothing there (O_NONBLOCK), or a signal */
	READ_DONE,	/* --count reached */
	READ_FAILED,	/* the error is printed */
};

/* One read(): one packet, or in batched mode up to --batch of them. */
static enum read_result read_one(struct reader *r, unsigned int queue,
				 uint8_t *storage)
{
	struct mt_frame frames[MINITUN_BATCH_MAX];
	int n, i;

	n = mt_read_frames(&r->dev, r->dev.fds[queue], storage, frames);
	if (n == -EINTR || n == -EAGAIN)
		return READ_EMPTY;
	if (n < 0) {
		mt_explain_io_error(&r->dev, "reading", n);
		return READ_FAILED;
	}
	for (i = 0; i < n; i++)
		if (report(r, queue, frames[i].data, frames[i].len))
			return READ_DONE;
	return READ_MORE;
}

static int read_blocking(void *ctx, unsigned int queue)
{
	uint8_t storage[PACKET_BUF] __attribute__((aligned(8)));
	enum read_result res = READ_MORE;

	while (res <= READ_EMPTY && !mt_stopping())
		res = read_one(ctx, queue, storage);
	return res == READ_FAILED ? -1 : 0;
}

/* After poll() or epoll: read the queue until it is empty. */
static enum read_result drain(struct reader *r, unsigned int queue,
			      uint8_t *storage)
{
	enum read_result res;

	do
		res = read_one(r, queue, storage);
	while (res == READ_MORE);
	return res;
}

/* poll() and epoll share the bits: EPOLLIN is POLLIN, EPOLLERR POLLERR. */
static enum read_result ready(struct reader *r, unsigned int queue,
			      unsigned int events, uint8_t *storage)
{
	if (events & POLLERR) {
		/* The device was deleted under us. */
		mt_explain_io_error(&r->dev, "waiting", -EBADFD);
		return READ_FAILED;
	}
	return events & POLLIN ? drain(r, queue, storage) : READ_EMPTY;
}

static int read_poll(void *ctx, unsigned int index)
{
	uint8_t storage[PACKET_BUF] __attribute__((aligned(8)));
	struct pollfd pfds[MAX_QUEUES];
	enum read_result res = READ_EMPTY;
	struct reader *r = ctx;
	unsigned int q;

	(void)index;
	for (q = 0; q < r->dev.nqueues; q++)
		pfds[q] = (struct pollfd) { .fd = r->dev.fds[q], .events = POLLIN };
	while (res == READ_EMPTY && !mt_stopping()) {
		if (poll(pfds, r->dev.nqueues, -1) < 0)
			continue;	/* EINTR: see whether we stop */
		for (q = 0; res == READ_EMPTY && q < r->dev.nqueues; q++)
			res = ready(r, q, pfds[q].revents, storage);
	}
	return res == READ_FAILED ? -1 : 0;
}

static int read_epoll(void *ctx, unsigned int index)
{
	uint8_t storage[PACKET_BUF] __attribute__((aligned(8)));
	enum read_result res = READ_EMPTY;
	struct epoll_event ev, events[16];
	struct reader *r = ctx;
	int epfd, n, i;
	unsigned int q;

	(void)index;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0) {
		mt_error("epoll_create1: %s", strerror(errno));
		return -1;
	}
	for (q = 0; q < r->dev.nqueues; q++) {
		ev = (struct epoll_event) { .events = EPOLLIN, .data.u32 = q };
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, r->dev.fds[q], &ev)) {
			mt_error("epoll_ctl: %s", strerror(errno));
			close(epfd);
			return -1;
		}
	}
	while (res == READ_EMPTY && !mt_stopping()) {
		n = epoll_wait(epfd, events, 16, -1);
		for (i = 0; res == READ_EMPTY && i < n; i++)
			res = ready(r, events[i].data.u32, events[i].events,
				    storage);
	}
	close(epfd);
	return res == READ_FAILED ? -1 : 0;
}

static int set_nonblock(struct mt_device *dev)
{
	unsigned int q;
	int flags;

	for (q = 0; q < dev->nqueues; q++) {
		flags = fcntl(dev->fds[q], F_GETFL);
		if (flags < 0 ||
		    fcntl(dev->fds[q], F_SETFL, flags | O_NONBLOCK)) {
			mt_error("O_NONBLOCK on %s: %s", dev->name,
				 strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int open_pcap(struct reader *r, const char *file)
{
	r->pcap = pcap_open_dead(mt_is_tap(&r->dev) ? DLT_EN10MB : DLT_RAW,
				 PACKET_MAX);
	if (!r->pcap) {
		mt_error("pcap_open_dead failed");
		return -1;
	}
	r->dumper = pcap_dump_open(r->pcap, file);
	if (!r->dumper) {
		mt_error("cannot write %s: %s", file, pcap_geterr(r->pcap));
		pcap_close(r->pcap);
		return -1;
	}
	return 0;
}

static void close_pcap(struct reader *r)
{
	if (!r->dumper)
		return;
	pcap_dump_close(r->dumper);
	pcap_close(r->pcap);
}

static void print_totals(const struct reader *r)
{
	unsigned int q;

	fprintf(stderr, "%s: %lu packets, %llu bytes from %s", mt_command,
		r->packets, r->bytes, r->dev.name);
	if (r->dev.nqueues > 1)
		for (q = 0; q < r->dev.nqueues; q++)
			fprintf(stderr, "%sq%u %lu", q ? ", " : " (", q,
				r->queue_packets[q]);
	fprintf(stderr, "%s", r->dev.nqueues > 1 ? ")" : "");
	if (r->dumper)
		fprintf(stderr, "; written to %s", r->args->pcap_file);
	fputc('\n', stderr);
}

int cmd_read(int argc, char **argv)
{
	struct read_args args = {};
	struct reader r = { .args = &args };
	int err;

	argp_parse(&read_argp, argc, argv, 0, NULL, &args);
	if (mt_device_init(&r.dev, args.attach.common.node, args.attach.name) ||
	    mt_device_attach(&r.dev, args.attach.queues))
		return EXIT_RUNTIME;
	if ((args.attach.batch && mt_device_set_batch(&r.dev, args.attach.batch)) ||
	    (args.mode != WAIT_READ && set_nonblock(&r.dev)) ||
	    (args.pcap_file && open_pcap(&r, args.pcap_file))) {
		mt_device_close(&r.dev);
		return EXIT_RUNTIME;
	}
	pthread_mutex_init(&r.lock, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Attached: what the stack sends from now on is ours to read. */
	mt_block_signals();
	fprintf(stderr, "%s: reading %s on %u queue%s (%s); Ctrl-C stops\n",
		mt_command, r.dev.name, r.dev.nqueues,
		r.dev.nqueues == 1 ? "" : "s", mode_names[args.mode]);

	if (args.mode == WAIT_READ)
		err = mt_run_workers(r.dev.nqueues, read_blocking, &r);
	else
		err = mt_run_workers(1, args.mode == WAIT_POLL ? read_poll :
					read_epoll, &r);

	close_pcap(&r);
	print_totals(&r);
	mt_device_close(&r.dev);
	return err ? EXIT_RUNTIME : EXIT_OK;
}
