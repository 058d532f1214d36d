// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * journal_sync.c: fdatasync off the supervisor's loop. A sync can take long on a busy disk; done
 * inline it would stop the supervisor from reading the worker's pipe, and the worker would stop
 * reading its ring buffer (events lost for nothing). The loop hands over a dup of the segment's
 * fd (or a finished segment's own fd at rotation) with the "complete up to" time it stands for;
 * one thread syncs them in order and publishes the last time it made durable.
 */
#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>
#include "journal.h"

#define QUEUE 8

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t more = PTHREAD_COND_INITIALIZER, emptied = PTHREAD_COND_INITIALIZER;
static struct {
	int fd;
	uint64_t mark;
} q[QUEUE];
static int head, count;
static bool busy, running;
static uint64_t done_mark;

static void *syncer(void *arg)
{
	pthread_mutex_lock(&mu);
	for (;;) {
		while (!count)
			pthread_cond_wait(&more, &mu);
		int fd = q[head].fd;
		uint64_t mark = q[head].mark;
		head = (head + 1) % QUEUE;
		count--;
		busy = true;
		pthread_mutex_unlock(&mu);
		fdatasync(fd);
		close(fd);
		pthread_mutex_lock(&mu);
		busy = false;
		if (mark > done_mark)
			done_mark = mark;
		if (!count)
			pthread_cond_broadcast(&emptied); /* drain waits for an empty queue and no sync */
	}
	return NULL;
}

void syncer_start(void)
{
	pthread_t t;

	running = pthread_create(&t, NULL, syncer, NULL) == 0;
	if (running)
		pthread_detach(t);
}

void syncer_submit(int fd, uint64_t mark)
{
	pthread_mutex_lock(&mu);
	if (running && count < QUEUE) {
		q[(head + count) % QUEUE].fd = fd;
		q[(head + count) % QUEUE].mark = mark;
		count++;
		pthread_cond_signal(&more);
		pthread_mutex_unlock(&mu);
		return;
	}
	pthread_mutex_unlock(&mu);
	/* no thread, or the disk is that far behind: wait for it here */
	fdatasync(fd);
	close(fd);
	pthread_mutex_lock(&mu);
	if (mark > done_mark)
		done_mark = mark;
	pthread_mutex_unlock(&mu);
}

bool syncer_idle(void)
{
	pthread_mutex_lock(&mu);
	bool idle = !count && !busy;
	pthread_mutex_unlock(&mu);
	return idle;
}

uint64_t syncer_done(void)
{
	pthread_mutex_lock(&mu);
	uint64_t m = done_mark;
	pthread_mutex_unlock(&mu);
	return m;
}

void syncer_drain(void)
{
	pthread_mutex_lock(&mu);
	while (count || busy)
		pthread_cond_wait(&emptied, &mu);
	pthread_mutex_unlock(&mu);
}
