/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Worker threads, one per queue (workers.c). The first worker to return,
 * or SIGINT/SIGTERM, stops them all: a blocking read() in a worker is
 * interrupted with EINTR and the worker sees mt_stopping(). Returns the
 * first non-zero worker result, else 0. Call mt_block_signals() before
 * telling anyone we are ready.
 */
#ifndef _MINITUN_WORKERS_H
#define _MINITUN_WORKERS_H

#include <stdbool.h>

int mt_run_workers(unsigned int n, int (*fn)(void *ctx, unsigned int index),
		   void *ctx);
bool mt_stopping(void);
int mt_wait_for_signal(void);
void mt_block_signals(void);

#endif /* _MINITUN_WORKERS_H */
