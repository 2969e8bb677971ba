// SPDX-License-Identifier: GPL-2.0
/*
 * One thread per queue, and a clean stop. The workers sit in blocking
 * read()s, which is the path worth showing: the reader sleeps on the
 * queue's socket wait queue until sk_data_ready wakes it. To stop them, the
 * main thread sends each one SIGUSR1, whose handler does nothing and is
 * installed without SA_RESTART, so the read() fails with EINTR and the
 * worker sees mt_stopping(). A worker may check mt_stopping() just before
 * the signal lands and then block, so the signal is sent again until the
 * worker is joined.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "workers.h"

#define STOP_RETRY_NS	20000000	/* between SIGUSR1s to one worker */

struct worker {
	pthread_t thread;
	unsigned int index;
	int result;
	int (*fn)(void *ctx, unsigned int index);
	void *ctx;
};

static volatile sig_atomic_t stopping;
static pthread_t main_thread;

bool mt_stopping(void)
{
	return stopping;
}

static void interrupt_only(int sig)
{
	(void)sig;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	sigset_t wake;

	sigemptyset(&wake);
	sigaddset(&wake, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &wake, NULL);
	w->result = w->fn(w->ctx, w->index);
	/* The first worker to end ends them all. */
	pthread_kill(main_thread, SIGUSR2);
	return NULL;
}

static void stop_worker(struct worker *w)
{
	struct timespec deadline;

	for (;;) {
		pthread_kill(w->thread, SIGUSR1);
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_nsec += STOP_RETRY_NS;
		if (deadline.tv_nsec >= 1000000000) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000;
		}
		if (pthread_timedjoin_np(w->thread, NULL, &deadline) != ETIMEDOUT)
			return;
	}
}

/*
 * Block the signals that stop us before saying we are ready, so that one
 * sent right after is waited for, not lost: a background job of a script
 * has SIGINT ignored, and an ignored signal that is not blocked is
 * discarded. They stay blocked to the end: the caller is on its way out,
 * printing what it did, and a second Ctrl-C should not cut that.
 */
void mt_block_signals(void)
{
	struct sigaction sa = { .sa_handler = interrupt_only };
	sigset_t set;

	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void stop_signals(sigset_t *set, bool worker_ended)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	if (worker_ended)
		sigaddset(set, SIGUSR2);
}

int mt_run_workers(unsigned int n, int (*fn)(void *ctx, unsigned int index),
		   void *ctx)
{
	struct worker *workers;
	unsigned int started, i;
	sigset_t waited;
	int sig, err, result = 0;

	workers = calloc(n, sizeof(*workers));
	if (!workers) {
		mt_error("out of memory for %u threads", n);
		return -1;
	}
	main_thread = pthread_self();
	stopping = 0;
	mt_block_signals();
	stop_signals(&waited, true);

	for (started = 0; started < n; started++) {
		workers[started] = (struct worker) {
			.index = started, .fn = fn, .ctx = ctx,
		};
		err = pthread_create(&workers[started].thread, NULL,
				     worker_main, &workers[started]);
		if (err) {
			mt_error("cannot start thread %u: %s", started,
				 strerror(err));
			result = -1;
			break;
		}
	}
	if (started == n)
		sigwait(&waited, &sig);

	stopping = 1;
	for (i = 0; i < started; i++) {
		stop_worker(&workers[i]);
		if (!result)
			result = workers[i].result;
	}
	free(workers);
	return result;
}

/* Wait for SIGINT or SIGTERM; which one came. */
int mt_wait_for_signal(void)
{
	sigset_t waited;
	int sig = 0;

	mt_block_signals();
	stop_signals(&waited, false);
	sigwait(&waited, &sig);
	return sig;
}
