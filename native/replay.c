// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * replay.c: `kwitness-agent replay FILE [--rate EVENTS_PER_S] [--count N]`, a recorded wire
 * stream (`trace --format wire > FILE`) played back on stdout as if a trace were running: its
 * ready record first, then its event records over and over, each stamped with the time it is
 * written, at a set rate (0: as fast as the reader takes them) until N events were written;
 * then it waits (silent) until stdin closes, 'q' arrives or a signal ends it, like a trace.
 *
 * Why: a watch's journal, the SSH pipeline and the panel must be measured at rates the kernel
 * path cannot produce on a small machine, where the traced storm and the tracer share the cores
 * (BENCHMARKS.md P8). A watch runs it as its worker with `watch start --replay FILE`. No BPF is
 * loaded; a summary line goes to stderr at the end ("replay: N events in T s, at most L ms
 * behind the schedule").
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "agent.h"
#include "journal.h"
#include "kwitness_wire.h"

#define REPLAY_FILE_MAX (256u << 20)
#define BATCH_MAX (1u << 20) /* bytes handed to one write() */

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR) {
			if (stop_signal)
				return -1;
			continue;
		}
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* stdin: false once it closed or said 'q' (heartbeats and other bytes are ignored). */
static bool stdin_open(int timeout_ms)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	if (poll(&p, 1, timeout_ms) <= 0)
		return true;
	char b[256];
	ssize_t n = read(0, b, sizeof(b));
	if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
		return false;
	return n < 0 || !memchr(b, 'q', (size_t)n);
}

/* The recording, its ready record and the offsets of its event frames. */
struct recording {
	uint8_t *data;
	size_t size;
	size_t ready_off; /* frame offset; SIZE_MAX: none */
	size_t *events;   /* frame offsets */
	size_t n_events;
};

static int load(const char *file, struct recording *r, char *err, size_t errn)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st)) {
		snprintf(err, errn, "cannot read %s: %s", file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size > REPLAY_FILE_MAX) {
		snprintf(err, errn, "%s is larger than %u MiB", file, REPLAY_FILE_MAX >> 20);
		close(fd);
		return -1;
	}
	r->size = (size_t)st.st_size;
	r->data = malloc(r->size ? r->size : 1);
	r->events = malloc((r->size / (4 + sizeof(struct kw_hdr)) + 1) * sizeof(size_t));
	if (!r->data || !r->events) {
		snprintf(err, errn, "out of memory for %s", file);
		close(fd);
		return -1;
	}
	for (size_t got = 0; got < r->size;) {
		ssize_t n = read(fd, r->data + got, r->size - got);
		if (n <= 0) {
			snprintf(err, errn, "cannot read %s: %s", file, n ? strerror(errno) : "it shrank");
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	close(fd);
	r->ready_off = SIZE_MAX;
	size_t pos = 0;
	uint32_t len;
	while ((len = frame_whole(r->data + pos, r->size - pos))) {
		uint16_t kind = rec_kind(r->data + pos + 4);
		if (kind == KW_READY && r->ready_off == SIZE_MAX)
			r->ready_off = pos;
		else if (kind_is_event(kind) && len >= sizeof(struct kw_hdr) + sizeof(struct kw_proc))
			r->events[r->n_events++] = pos;
		pos += 4 + len;
	}
	if (r->ready_off == SIZE_MAX || !r->n_events) {
		snprintf(err, errn, "%s holds %s: record one with `kwitness-agent trace FAMILIES --format wire > FILE` while something happens",
			 file, r->ready_off == SIZE_MAX ? "no ready record" : "no events");
		return -1;
	}
	return 0;
}

/* Appends the frame at off to b, stamped with the times it is written (an event's ktime and wall). */
static void put_frame(struct buf *b, const struct recording *r, size_t off, uint64_t ktime, uint64_t wall)
{
	uint32_t len;
	memcpy(&len, r->data + off, 4);
	size_t at = b->len;
	buf_put(b, r->data + off, 4 + len);
	uint8_t *rec = (uint8_t *)b->p + at + 4;
	memcpy(rec + offsetof(struct kw_hdr, ktime_ns), &ktime, 8);
	if (kind_is_event(rec_kind(rec)))
		memcpy(rec + sizeof(struct kw_hdr) + offsetof(struct kw_proc, wall_ns), &wall, 8);
}

int cmd_replay(int argc, char **argv)
{
	const char *file = NULL;
	uint64_t rate = 0, count = UINT64_MAX;
	char err[512];

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if ((!strcmp(a, "--rate") || !strcmp(a, "--count")) && i + 1 < argc) {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(argv[++i], &end, 10);
			if (errno || *end || !*argv[i] || argv[i][0] == '-' || (a[2] == 'c' && !v)) {
				fprintf(stderr, "kwitness-agent: replay: %s needs a whole number%s\n", a, a[2] == 'c' ? " above 0" : "");
				return 2;
			}
			*(a[2] == 'r' ? &rate : &count) = v;
		} else if (a[0] != '-' && !file) {
			file = a;
		} else {
			fprintf(stderr, "kwitness-agent: replay: unexpected argument '%s' (replay FILE [--rate EVENTS_PER_S] [--count N])\n", a);
			return 2;
		}
	}
	if (!file) {
		fprintf(stderr, "kwitness-agent: replay: which recording? (replay FILE [--rate EVENTS_PER_S] [--count N])\n");
		return 2;
	}
	struct recording r = { 0 };
	if (load(file, &r, err, sizeof(err))) {
		fprintf(stderr, "kwitness-agent: replay: %s\n", err);
		return 1;
	}
	struct sigaction sa = { .sa_handler = on_stop };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);

	struct buf b = { 0 };
	put_frame(&b, &r, r.ready_off, clock_ns(CLOCK_BOOTTIME), clock_ns(CLOCK_REALTIME));
	if (write_all(1, (uint8_t *)b.p, b.len))
		return 0;
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC), sent = 0, behind_max = 0;
	size_t next = 0;
	bool open = true;
	while (open && !stop_signal && sent < count) {
		uint64_t now = clock_ns(CLOCK_MONOTONIC);
		uint64_t due = rate ? (uint64_t)((double)(now - t0) * (double)rate / 1e9) : sent + 4096;
		if (due > count)
			due = count;
		if (rate && due > sent + 1) /* how late the writes run: events owed beyond one tick */
			behind_max = behind_max > (due - sent) * 1000 / rate ? behind_max : (due - sent) * 1000 / rate;
		b.len = 0;
		uint64_t ktime = clock_ns(CLOCK_BOOTTIME), wall = clock_ns(CLOCK_REALTIME);
		while (sent < due && b.len < BATCH_MAX) {
			put_frame(&b, &r, r.events[next], ktime, wall);
			next = next + 1 == r.n_events ? 0 : next + 1;
			sent++;
		}
		if (b.len && write_all(1, (uint8_t *)b.p, b.len))
			break; /* the reader is gone */
		open = stdin_open(rate ? 1 : 0);
	}
	double secs = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;
	fprintf(stderr, "replay: %llu events in %.3f s (%.0f/s, offered %llu/s), at most %llu ms behind the schedule\n",
		(unsigned long long)sent, secs, secs > 0 ? sent / secs : 0.0, (unsigned long long)rate, (unsigned long long)behind_max);
	while (open && !stop_signal) /* all sent: wait like an idle trace */
		open = stdin_open(1000);
	free(b.p);
	free(r.data);
	free(r.events);
	return 0;
}
