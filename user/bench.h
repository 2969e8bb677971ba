/* SPDX-License-Identifier: GPL-2.0 */
/*
 * minitun bench's two halves: bench.c measures (its options, the device,
 * the threads that send, read, write and time) and bench_report.c says
 * what a run measured, as text or as one JSON object.
 */
#ifndef _MINITUN_BENCH_H
#define _MINITUN_BENCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cli.h"
#include "device.h"

#define MAX_BENCH_QUEUES 8
#define MAX_SENDERS	8
#define FLOWS_PER_QUEUE	4	/* source ports, so that flows spread over queues */
#define SENDER_FLOWS	(MAX_BENCH_QUEUES * FLOWS_PER_QUEUE)	/* most a sender has */
#define MAX_FLOWS	(MAX_SENDERS * SENDER_FLOWS)

enum bench_mode { MODE_RX, MODE_TX, MODE_LAT };
extern const char * const bench_mode_names[];	/* "rx", "tx", "lat" */

/*
 * One run on one device (two with --against). bench.c's threads share it
 * while they measure; bench_report() then reads the options, the device's
 * name and driver, and what was counted and timed.
 */
struct bench {
	struct mt_common common;
	const char *name;		/* NULL: the driver's template */
	const char *against_node;	/* lat: --against */
	struct bench *against;		/* lat: the device timed in turn */
	enum bench_mode mode;
	unsigned int size, seconds, queues, batch;
	unsigned int senders;		/* rx: --senders; tx and lat: one sink or pacer */
	bool json;

	struct mt_device dev;
	int ifindex;
	atomic_bool measuring;		/* the measured interval */
	atomic_ullong done[MAX_BENCH_QUEUES];	/* per queue, in the interval */
	atomic_ullong total;		/* read or written, interval or not */
	atomic_ullong queue_cpu_ns;	/* CPU time of the queue threads */
	atomic_ullong offered;		/* rx, lat: sent into the device */
	int sender_cpu[MAX_SENDERS];	/* where place() puts each thread */
	int queue_cpu[MAX_BENCH_QUEUES];
	long ncpus;			/* ... of the CPUs online */
	atomic_uint senders_ready, senders_done;	/* rx: start and stop together */
	atomic_bool go;
	unsigned long long deadline;	/* rx: when every sender stops */
	unsigned long long sender_offered[MAX_SENDERS];	/* rx: each sender's own */
	unsigned long long flow_offered[MAX_FLOWS];	/* rx: by its sender */
	unsigned long long flow_read[MAX_BENCH_QUEUES][MAX_FLOWS];	/* rx: by queue q's reader, in the interval */
	unsigned long long delivered;	/* tx: arrived at the socket */
	long long dev_packets, dev_drops;	/* the device's own count of the run */
	struct timespec start, end;
	uint8_t packet[PACKET_BUF];	/* tx: the packet, or a batch of records */
	size_t packet_len;
	int sink;			/* tx: the stack's receiving socket */
	int event;			/* lat: the reader's "got it" */
	unsigned long long *samples;	/* lat: nanoseconds */
	atomic_size_t nsamples;
	size_t lost;
	atomic_ullong seq;		/* lat: the round trip in flight */
	atomic_ullong acked;		/* lat: the last the reader got in time */
};

/* The figures, and the device's own count of what the run moved. */
void bench_report(struct bench *b);

#endif /* _MINITUN_BENCH_H */
