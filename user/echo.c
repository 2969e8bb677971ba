// SPDX-License-Identifier: GPL-2.0
/*
 * minitun echo: play the host at the other end of the device. It reads
 * what the stack sends, answers ICMP and ICMPv6 echo requests, sends UDP
 * datagrams back to where they came from, and writes the answers into the
 * device, so that one ping crosses both halves of the driver: xmit to the
 * reader's ring, then write() into the stack. On a TAP device it also
 * answers ARP requests and IPv6 neighbor solicitations with a made-up MAC,
 * since the stack asks those before it sends anything else.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "device.h"
#include "packet.h"
#include "workers.h"
#include "uapi/minitun.h"

#define IPV4_HLEN	20
#define IPV6_HLEN	40
#define ARP_LEN		28
#define NDISC_LEN	24	/* an NS or NA without options */
#define NDISC_OPT_LEN	8	/* a link-layer address option */
#define REPLY_HOPS	64

/* The echo's own MAC on a TAP link: locally administered, unicast. */
static const uint8_t echo_mac[ETH_ALEN] = { 0x02, 0x6d, 0x74, 0x00, 0x00, 0x01 };

enum answer {
	ANSWER_NONE,
	ANSWER_ICMP,
	ANSWER_ICMP6,
	ANSWER_UDP,
	ANSWER_ARP,
	ANSWER_NDISC,
	NR_ANSWERS,
};

static const char * const answer_names[NR_ANSWERS] = {
	[ANSWER_ICMP] = "ICMP echo",
	[ANSWER_ICMP6] = "ICMPv6 echo",
	[ANSWER_UDP] = "UDP",
	[ANSWER_ARP] = "ARP",
	[ANSWER_NDISC] = "neighbor solicitation",
};

struct queue_stats {
	unsigned long read;
	unsigned long answered[NR_ANSWERS];
	unsigned long write_errors;
};

struct echo_args {
	struct mt_attach_opts attach;
	bool verbose;
};

struct echo {
	const struct echo_args *args;
	struct mt_device dev;
	pthread_mutex_t print_lock;	/* keeps a packet's two lines together */
	struct queue_stats stats[MAX_QUEUES];
};

static const struct argp_option echo_options[] = {
	{ "verbose", 'v', NULL, 0, "a line for each packet read (in) and each answer written (out)", 0 },
	{ 0 }
};

static error_t parse_echo(int key, char *arg, struct argp_state *state)
{
	struct echo_args *args = state->input;

	(void)arg;	/* -v takes none; -i and -q are mt_attach_children's */
	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &args->attach;
		return 0;
	case 'v':
		args->verbose = true;
		return 0;
	default:
		return ARGP_ERR_UNKNOWN;
	}
}

static const struct argp echo_argp = {
	.options = echo_options,
	.parser = parse_echo,
	.doc = "Be the far end of an interface: answer ICMP and ICMPv6 echo "
	       "requests and send UDP datagrams back, by writing the answers "
	       "into the device; on a TAP device, answer ARP and neighbor "
	       "solicitations too. Anything else is read and left alone. "
	       "Ctrl-C (or SIGTERM) stops it and prints what it answered.\v"
	       "Examples:\n"
	       "  minitun up --name mtun0 --addr 10.0.0.1/24 --persist\n"
	       "  minitun echo -i mtun0 &\n"
	       "  ping -c 3 10.0.0.2\n"
	       "  minitun echo -i mtap0 --queues 4 -v\n"
	       "\nA ping through echo, step by step in the kernel: docs/tour.md; "
	       "--batch: docs/batching.md",
	.children = mt_attach_children,
};

static void swap_bytes(uint8_t *a, uint8_t *b, size_t len)
{
	uint8_t tmp[16];

	memcpy(tmp, a, len);
	memcpy(a, b, len);
	memcpy(b, tmp, len);
}

static bool ipv4_multicast(const uint8_t *addr)
{
	return addr[0] >= 224;	/* multicast, reserved and broadcast */
}

/* A UDP datagram goes back with the addresses and ports swapped. */
static enum answer reply_udp(int family, uint8_t *l3, uint8_t *udp,
			     size_t len)
{
	size_t alen = family == AF_INET ? 4 : 16;
	uint8_t *src = l3 + (family == AF_INET ? 12 : 8);
	uint16_t sum;

	if (len < 8)
		return ANSWER_NONE;
	swap_bytes(udp, udp + 2, 2);
	/* IPv4 may leave the checksum out (0); IPv6 may not. */
	if (family == AF_INET6 || get16(udp + 6)) {
		put16(udp + 6, 0);
		sum = csum_l4(family, src, src + alen, IPPROTO_UDP, udp, len);
		put16(udp + 6, sum ? sum : 0xffff);
	}
	return ANSWER_UDP;
}

/* An IPv4 packet in place: its length to send back, or 0 for none. */
static size_t reply_ipv4(uint8_t *ip, size_t len, enum answer *answer)
{
	size_t hlen = (ip[0] & 0x0f) * 4, total;
	uint8_t *l4 = ip + hlen;

	*answer = ANSWER_NONE;
	if (len < IPV4_HLEN || ip[0] >> 4 != 4 || hlen < IPV4_HLEN)
		return 0;
	total = get16(ip + 2);
	/* No fragments (MF or an offset), nothing multicast or broadcast. */
	if (total > len || total < hlen || get16(ip + 6) & 0x3fff ||
	    ipv4_multicast(ip + 16))
		return 0;
	swap_bytes(ip + 12, ip + 16, 4);
	if (ip[9] == IPPROTO_ICMP && total - hlen >= 8 && l4[0] == 8) {
		l4[0] = 0;		/* echo request -> echo reply */
		put16(l4 + 2, 0);
		put16(l4 + 2, csum_fold(csum_add(0, l4, total - hlen)));
		*answer = ANSWER_ICMP;
	} else if (ip[9] == IPPROTO_UDP) {
		*answer = reply_udp(AF_INET, ip, l4, total - hlen);
	}
	if (*answer == ANSWER_NONE)
		return 0;
	ip[8] = REPLY_HOPS;
	put16(ip + 10, 0);
	put16(ip + 10, csum_fold(csum_add(0, ip, hlen)));
	return total;
}

static size_t reply_ipv6(uint8_t *ip, size_t len, enum answer *answer)
{
	size_t plen = get16(ip + 4);
	uint8_t *l4 = ip + IPV6_HLEN;

	*answer = ANSWER_NONE;
	if (len < IPV6_HLEN || ip[0] >> 4 != 6 || IPV6_HLEN + plen > len ||
	    ip[24] == 0xff)
		return 0;
	swap_bytes(ip + 8, ip + 24, 16);
	if (ip[6] == IPPROTO_ICMPV6 && plen >= 8 && l4[0] == 128) {
		l4[0] = 129;		/* echo request -> echo reply */
		put16(l4 + 2, 0);
		put16(l4 + 2, csum_l4(AF_INET6, ip + 8, ip + 24, IPPROTO_ICMPV6,
				      l4, plen));
		*answer = ANSWER_ICMP6;
	} else if (ip[6] == IPPROTO_UDP) {
		*answer = reply_udp(AF_INET6, ip, l4, plen);
	}
	if (*answer == ANSWER_NONE)
		return 0;
	ip[7] = REPLY_HOPS;
	return IPV6_HLEN + plen;
}

static size_t reply_ip(uint8_t *ip, size_t len, enum answer *answer)
{
	if (len && ip[0] >> 4 == 6)
		return reply_ipv6(ip, len, answer);
	return reply_ipv4(ip, len, answer);
}

/* "Who has T? Tell S": T is at echo_mac. Gratuitous ARP and probes get nothing. */
static size_t reply_arp(uint8_t *arp, size_t len)
{
	if (len < ARP_LEN || get16(arp) != ARPHRD_ETHER ||
	    get16(arp + 2) != ETH_P_IP || arp[4] != ETH_ALEN || arp[5] != 4 ||
	    get16(arp + 6) != ARPOP_REQUEST || !memcmp(arp + 14, arp + 24, 4) ||
	    !get32(arp + 14))
		return 0;
	put16(arp + 6, ARPOP_REPLY);
	memcpy(arp + 18, arp + 8, ETH_ALEN);	/* target: the asker */
	swap_bytes(arp + 14, arp + 24, 4);
	memcpy(arp + 8, echo_mac, ETH_ALEN);	/* sender: us */
	return ARP_LEN;
}

/*
 * A neighbor solicitation becomes a solicited advertisement of the target
 * at echo_mac. Duplicate address detection (from ::) gets nothing, so the
 * stack's own addresses stay its own.
 */
static size_t reply_ndisc(uint8_t *ip, size_t len)
{
	static const uint8_t unspecified[16];
	uint8_t *icmp = ip + IPV6_HLEN;
	size_t plen = NDISC_LEN + NDISC_OPT_LEN;

	if (len < IPV6_HLEN + NDISC_LEN || ip[0] >> 4 != 6 ||
	    ip[6] != IPPROTO_ICMPV6 || ip[7] != 255 || icmp[0] != 135 ||
	    !memcmp(ip + 8, unspecified, 16))
		return 0;
	memcpy(ip + 24, ip + 8, 16);		/* to the asker */
	memcpy(ip + 8, icmp + 8, 16);		/* from the target */
	put16(ip + 4, plen);
	icmp[0] = 136;
	icmp[1] = 0;
	memset(icmp + 4, 0, 4);
	icmp[4] = 0x60;				/* solicited, override */
	icmp[NDISC_LEN] = 2;			/* target link-layer address */
	icmp[NDISC_LEN + 1] = 1;		/* in units of 8 bytes */
	memcpy(icmp + NDISC_LEN + 2, echo_mac, ETH_ALEN);
	put16(icmp + 2, 0);
	put16(icmp + 2, csum_l4(AF_INET6, ip + 8, ip + 24, IPPROTO_ICMPV6,
				icmp, plen));
	return IPV6_HLEN + plen;
}

static size_t reply_ether(uint8_t *eth, size_t len, enum answer *answer)
{
	uint8_t *l3 = eth + ETH_HLEN;
	size_t l3len = len - ETH_HLEN, out = 0;
	unsigned int type;

	*answer = ANSWER_NONE;
	if (len < ETH_HLEN)
		return 0;
	type = get16(eth + 12);
	if (type == ETH_P_ARP) {
		out = reply_arp(l3, l3len);
		*answer = ANSWER_ARP;
	} else if (type == ETH_P_IPV6 && (out = reply_ndisc(l3, l3len))) {
		*answer = ANSWER_NDISC;
	} else if ((type == ETH_P_IP || type == ETH_P_IPV6) && !(eth[0] & 1)) {
		out = reply_ip(l3, l3len, answer);
	}
	if (!out)
		return 0;
	memcpy(eth, eth + ETH_ALEN, ETH_ALEN);	/* back to the sender */
	memcpy(eth + ETH_ALEN, echo_mac, ETH_ALEN);
	return ETH_HLEN + out;
}

static void print_packet(struct echo *e, unsigned int queue, const char *dir,
			 const uint8_t *frame, size_t len)
{
	struct timespec ts;
	char tag[16];

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(tag, sizeof(tag), "q%u %s", queue, dir);
	packet_print(stdout, &ts, tag, frame, len, mt_is_tap(&e->dev));
}

/*
 * Turn the packet into its answer, in place, if it gets one: the answer's
 * length, or 0.
 */
static size_t answer_packet(struct echo *e, unsigned int queue,
			    struct mt_frame *frame, enum answer *answer)
{
	size_t out;

	e->stats[queue].read++;
	if (e->args->verbose)
		print_packet(e, queue, "in ", frame->data, frame->len);
	if (mt_is_tap(&e->dev))
		out = reply_ether(frame->data, frame->len, answer);
	else
		out = reply_ip(frame->data, frame->len, answer);
	return out;
}

/*
 * What one read() brought: answered in place, and the answers written in
 * one go (one write() in batched mode, one each otherwise). -1 when the
 * device is gone.
 */
static int echo_packets(struct echo *e, unsigned int queue,
			struct mt_frame *frames, unsigned int n)
{
	struct queue_stats *stats = &e->stats[queue];
	enum answer answers[MINITUN_BATCH_MAX];
	unsigned int i, out = 0, done = 0;
	bool verbose = e->args->verbose;
	int err = 0, took;
	size_t len;

	if (verbose)
		pthread_mutex_lock(&e->print_lock);
	/* The answers take the front of frames[], over requests already done. */
	for (i = 0; i < n; i++) {
		len = answer_packet(e, queue, &frames[i], &answers[out]);
		if (len)
			frames[out++] = (struct mt_frame) { frames[i].data, len };
	}
	/*
	 * A short write took the answers before a refused one: count those,
	 * then write again from it, so that it fails alone and the rest go.
	 */
	while (done < out && err != -EFAULT && err != -EBADFD) {
		took = mt_write_frames(&e->dev, e->dev.fds[queue],
				       frames + done, out - done);
		if (took < 0) {
			err = took;
			stats->write_errors++;
			done++;
			continue;
		}
		for (i = done; i < done + took; i++) {
			stats->answered[answers[i]]++;
			if (verbose)
				print_packet(e, queue, "out", frames[i].data,
					     frames[i].len);
		}
		done += took;
	}
	stats->write_errors += out - done;	/* the device is gone */
	if (verbose)
		pthread_mutex_unlock(&e->print_lock);
	/* Other write errors (EIO: the link is down) are counted, not fatal. */
	if (err == -EFAULT || err == -EBADFD) {
		mt_explain_io_error(&e->dev, "writing", err);
		return -1;
	}
	return 0;
}

static int echo_queue(void *ctx, unsigned int queue)
{
	uint8_t storage[PACKET_BUF] __attribute__((aligned(8)));
	struct mt_frame frames[MINITUN_BATCH_MAX];
	struct echo *e = ctx;
	int n;

	while (!mt_stopping()) {
		n = mt_read_frames(&e->dev, e->dev.fds[queue], storage, frames);
		if (n == -EINTR)
			continue;
		if (n < 0) {
			mt_explain_io_error(&e->dev, "reading", n);
			return -1;
		}
		if (echo_packets(e, queue, frames, n))
			return -1;
	}
	return 0;
}

static void add_stats(struct queue_stats *sum, const struct queue_stats *q)
{
	unsigned int i;

	sum->read += q->read;
	sum->write_errors += q->write_errors;
	for (i = 0; i < NR_ANSWERS; i++)
		sum->answered[i] += q->answered[i];
}

static unsigned long answered(const struct queue_stats *stats)
{
	unsigned long n = 0;
	unsigned int i;

	for (i = ANSWER_NONE + 1; i < NR_ANSWERS; i++)
		n += stats->answered[i];
	return n;
}

static void print_stats(const struct echo *e)
{
	struct queue_stats sum = {};
	unsigned int q, i;

	for (q = 0; q < e->dev.nqueues; q++)
		add_stats(&sum, &e->stats[q]);
	printf("%s: %s, %u queue%s: read %lu, answered %lu (", mt_command,
	       e->dev.name, e->dev.nqueues, e->dev.nqueues == 1 ? "" : "s",
	       sum.read, answered(&sum));
	for (i = ANSWER_NONE + 1; i < NR_ANSWERS; i++)
		printf("%s%s %lu", i > ANSWER_NONE + 1 ? ", " : "",
		       answer_names[i], sum.answered[i]);
	printf("), left alone %lu, write errors %lu\n",
	       sum.read - answered(&sum) - sum.write_errors, sum.write_errors);
	if (e->dev.nqueues == 1)
		return;
	printf("%s: answered per queue:", mt_command);
	for (q = 0; q < e->dev.nqueues; q++)
		printf(" q%u %lu", q, answered(&e->stats[q]));
	putchar('\n');
}

int cmd_echo(int argc, char **argv)
{
	struct echo_args args = {};
	struct echo *e;
	int err;

	argp_parse(&echo_argp, argc, argv, 0, NULL, &args);
	/* Per-queue counters for 256 queues: too big for the stack. */
	e = calloc(1, sizeof(*e));
	if (!e) {
		mt_error("out of memory");
		return EXIT_RUNTIME;
	}
	e->args = &args;
	if (mt_device_init(&e->dev, args.attach.common.node, args.attach.name) ||
	    mt_device_attach(&e->dev, args.attach.queues)) {
		free(e);
		return EXIT_RUNTIME;
	}
	if (args.attach.batch && mt_device_set_batch(&e->dev, args.attach.batch)) {
		mt_device_close(&e->dev);
		free(e);
		return EXIT_RUNTIME;
	}
	pthread_mutex_init(&e->print_lock, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	mt_block_signals();
	fprintf(stderr, "%s: answering on %s (%s, %u queue%s); Ctrl-C stops\n",
		mt_command, e->dev.name, mt_is_tap(&e->dev) ? "TAP" : "TUN",
		e->dev.nqueues, e->dev.nqueues == 1 ? "" : "s");

	err = mt_run_workers(e->dev.nqueues, echo_queue, e);

	print_stats(e);
	mt_device_close(&e->dev);
	free(e);
	return err ? EXIT_RUNTIME : EXIT_OK;
}
