// SPDX-License-Identifier: GPL-2.0
/*
 * minitun bench's report: what a run measured, from the counts and times
 * bench.c's threads left in struct bench, as a few lines of text or as
 * one JSON object a line (docs/bench.md says what each figure means).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static double elapsed(const struct bench *b)
{
	return (b->end.tv_sec - b->start.tv_sec) +
	       (b->end.tv_nsec - b->start.tv_nsec) / 1e9;
}

static int cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

static unsigned long long percentile(struct bench *b, unsigned int pct)
{
	size_t n = atomic_load(&b->nsamples);

	return n ? b->samples[(n - 1) * pct / 100] : 0;
}

static double cpu_per_packet(struct bench *b)
{
	unsigned long long total = atomic_load(&b->total);

	return total ? (double)atomic_load(&b->queue_cpu_ns) / total : 0;
}

/*
 * rx: what was offered to each queue. The device chooses a queue by its
 * hash of the flow, so each flow's packets go to the queue whose reader
 * read it, and those of a flow no reader saw (all dropped) to unplaced,
 * the return value.
 */
static unsigned long long offered_per_queue(const struct bench *b,
					    unsigned long long *per_queue)
{
	unsigned long long unplaced = 0;
	unsigned int f, q, best;

	memset(per_queue, 0, b->queues * sizeof(*per_queue));
	for (f = 0; f < b->senders * SENDER_FLOWS; f++) {
		best = 0;
		for (q = 1; q < b->queues; q++)
			if (b->flow_read[q][f] > b->flow_read[best][f])
				best = q;
		if (b->flow_read[best][f])
			per_queue[best] += b->flow_offered[f];
		else
			unplaced += b->flow_offered[f];
	}
	return unplaced;
}

static void print_counts(const char *name, const unsigned long long *v,
			 unsigned int n)
{
	unsigned int i;

	printf(", \"%s\": [", name);
	for (i = 0; i < n; i++)
		printf("%s%llu", i ? ", " : "", v[i]);
	printf("]");
}

static void print_cpus(const char *name, const int *cpus, unsigned int n,
		       bool json)
{
	unsigned int i;

	printf(json ? ", \"%s_cpus\": [" : "%s on CPU", name);
	for (i = 0; i < n; i++)
		printf(json ? "%s%d" : "%s %d", i && json ? ", " : "", cpus[i]);
	if (json)
		printf("]");
}

/*
 * Where the threads ran: the senders (tx: the sink, lat: the pacer) and
 * the queues' readers or writers, each pinned to its CPU.
 */
static void print_placement(const struct bench *b, bool json)
{
	const char *senders = b->mode == MODE_TX ? "sink" :
			      b->mode == MODE_LAT ? "sender" : "senders";

	if (!json)
		printf("  threads: ");
	print_cpus(json ? "sender" : senders, b->sender_cpu, b->senders, json);
	if (!json)
		printf("; ");
	print_cpus(json ? "queue" : b->mode == MODE_TX ? "writers" : "readers",
		   b->queue_cpu, b->queues, json);
	if (!json)
		printf(" (%ld CPUs online)\n", b->ncpus);
}

/* rx: what the senders offered, in all, each, and to each queue. */
static void print_offered(const struct bench *b, bool json)
{
	unsigned long long per_queue[MAX_BENCH_QUEUES], unplaced;
	double secs = elapsed(b);
	unsigned int q;

	unplaced = offered_per_queue(b, per_queue);
	if (json) {
		printf(", \"offered\": %llu", atomic_load(&b->offered));
		print_counts("offered_per_sender", b->sender_offered, b->senders);
		print_counts("offered_per_queue", per_queue, b->queues);
		printf(", \"offered_unplaced\": %llu", unplaced);
		return;
	}
	printf("  offered %.0f packets/s by %u sender%s; per queue, offered/delivered:",
	       atomic_load(&b->offered) / secs, b->senders,
	       b->senders > 1 ? "s" : "");
	for (q = 0; q < b->queues; q++)
		printf(" %.0f/%.0f", per_queue[q] / secs,
		       atomic_load(&b->done[q]) / secs);
	if (unplaced)
		printf(", %.0f/s of flows no reader saw", unplaced / secs);
	printf("\n");
}

void bench_report(struct bench *b)
{
	unsigned long long worked = 0, total;
	double secs = elapsed(b), pps;
	unsigned int q;

	for (q = 0; q < b->queues; q++)
		worked += atomic_load(&b->done[q]);
	/* tx is what reached the socket; rx and lat what the readers got */
	total = b->mode == MODE_TX ? b->delivered : worked;
	pps = total / secs;
	if (b->mode == MODE_LAT)
		qsort(b->samples, atomic_load(&b->nsamples), sizeof(*b->samples),
		      cmp_ull);

	if (b->json) {
		printf("{\"dev\": \"%s\", \"mode\": \"%s\", \"size\": %u, \"queues\": %u, \"batch\": %u, ",
		       b->dev.driver, bench_mode_names[b->mode], b->size, b->queues,
		       b->batch);
		printf("\"seconds\": %.3f, \"packets\": %llu, \"pps\": %.0f, \"bps\": %.0f, ",
		       secs, total, pps, pps * b->size * 8);
		printf("\"offered_pps\": %.0f, \"counted\": %llu, \"dev_packets\": %lld, \"drops\": %lld, ",
		       (b->mode == MODE_TX ? worked : atomic_load(&b->offered)) / secs,
		       atomic_load(&b->total), b->dev_packets, b->dev_drops);
		printf("\"cpu_ns_per_packet\": %.0f, ", cpu_per_packet(b));
		printf("\"p50_ns\": %llu, \"p90_ns\": %llu, \"p99_ns\": %llu, \"max_ns\": %llu, \"lost\": %zu, \"per_queue\": [",
		       percentile(b, 50), percentile(b, 90), percentile(b, 99),
		       percentile(b, 100), b->lost);
		for (q = 0; q < b->queues; q++)
			printf("%s%llu", q ? ", " : "", atomic_load(&b->done[q]));
		printf("], \"senders\": %u", b->mode == MODE_TX ? 0 : b->senders);
		print_placement(b, true);
		if (b->mode == MODE_RX)
			print_offered(b, true);
		printf("}\n");
		return;
	}

	printf("%s on %s (%s): %u-byte packets, %u queue%s",
	       bench_mode_names[b->mode], b->dev.name, b->dev.driver, b->size,
	       b->queues, b->queues > 1 ? "s" : "");
	if (b->senders > 1)
		printf(", %u senders", b->senders);
	printf("%s, %.1f s\n", b->batch ? ", batched" : "", secs);
	print_placement(b, false);
	if (b->mode == MODE_LAT) {
		printf("  %zu round trips, %zu lost; wakeup to read: p50 %llu ns, p90 %llu ns, p99 %llu ns, max %llu ns\n",
		       atomic_load(&b->nsamples), b->lost, percentile(b, 50), percentile(b, 90),
		       percentile(b, 99), percentile(b, 100));
		return;
	}
	printf("  %.0f packets/s, %.1f Mbit/s delivered; %lld dropped by the device\n",
	       pps, pps * b->size * 8 / 1e6, b->dev_drops);
	if (b->mode == MODE_RX)
		print_offered(b, false);
	printf("  the %s spent %.0f ns of CPU per packet\n",
	       b->mode == MODE_TX ? "writers" : "readers", cpu_per_packet(b));
}
