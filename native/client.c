/*
 * The client at the other end of stdin/stdout (the extension or CLI, usually over SSH).
 *
 * stdin: EOF means the session that started us is gone. With --heartbeat-timeout S the client
 * also writes a byte at least every few seconds, and S seconds of silence mean it is gone too:
 * a laptop that went to sleep or a network that dropped without a FIN leaves sshd (and us)
 * running for hours otherwise. stdout: when it is a pipe or socket it is made non-blocking, so a
 * full stdout (a reader that fell behind, or a dead peer) is waited on here while stdin is still
 * watched, instead of blocking in write() where neither EOF nor silence could be noticed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "agent.h"

#define DRAIN_GRACE_NS 2000000000ull /* how long a stopping agent waits for a full stdout */

int in_fd = 0;                /* agent.h */
bool client_lingers;
volatile sig_atomic_t client_lost;
static bool watched;          /* stdin is a pipe, socket or tty */
static unsigned heartbeat_s;  /* 0: no heartbeat expected */
static uint64_t last_beat_ns; /* last byte (or start) on stdin */
static uint64_t stop_seen_ns; /* when a full stdout was first waited on while stopping */
static bool gone_silent;      /* no heartbeat within heartbeat_s */

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static bool is_stream(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

bool client_init(unsigned heartbeat_timeout_s)
{
	/* /dev/null or a file as stdin: nothing to watch (and no heartbeat can come) */
	watched = is_stream(0) || isatty(0);
	heartbeat_s = watched ? heartbeat_timeout_s : 0;
	last_beat_ns = mono_ns();
	if (is_stream(1)) {
		int fl = fcntl(1, F_GETFL);
		if (fl >= 0)
			fcntl(1, F_SETFL, fl | O_NONBLOCK);
	}
	return watched;
}

/* The client is gone: the end, or (--linger) the trace goes on alone until one attaches. */
static void client_gone(void)
{
	if (client_lingers)
		client_lost = 1;
	else
		stop = 1;
}

void client_reset(void)
{
	watched = true;
	last_beat_ns = mono_ns();
	gone_silent = false;
	stop_seen_ns = 0;
	client_lost = 0;
}

void client_on_stdin(void)
{
	char tmp[256];
	ssize_t r = in_fd < 0 ? 0 : read(in_fd, tmp, sizeof(tmp));

	if (r > 0) {
		last_beat_ns = mono_ns();
		/* 'q': stop now. Heartbeats are newlines; EOF alone means "gone" to a lingering trace. */
		if (memchr(tmp, 'q', r))
			stop = 1;
	} else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
		client_gone(); /* input closed: the session that started us is gone */
	}
}

bool client_silent(void)
{
	if (!gone_silent && heartbeat_s && in_fd >= 0 && mono_ns() - last_beat_ns > heartbeat_s * 1000000000ull) {
		gone_silent = true;
		client_gone();
		fprintf(stderr, "kwitness-agent: nothing from the client on stdin for %u s (--heartbeat-timeout): it is gone%s\n",
			heartbeat_s, client_lingers ? "" : ", exiting");
	}
	return gone_silent;
}

int client_wait_writable(void)
{
	for (;;) {
		if (client_silent() || client_lost)
			return -1; /* nobody is reading: drop the output */
		if (stop) {
			uint64_t now = mono_ns();
			if (!stop_seen_ns)
				stop_seen_ns = now;
			else if (now - stop_seen_ns > DRAIN_GRACE_NS)
				return -1;
		}
		struct pollfd p[2] = { { .fd = out_fd, .events = POLLOUT }, { .fd = in_fd, .events = POLLIN } };
		int n = poll(p, watched && in_fd >= 0 ? 2 : 1, 200);
		if (n < 0 && errno != EINTR)
			return -1;
		if (n <= 0)
			continue;
		if (watched && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			client_on_stdin();
		if (p[0].revents & (POLLERR | POLLNVAL))
			return -1;
		if (p[0].revents & (POLLOUT | POLLHUP))
			return 0; /* writable (or hung up: the next write says so) */
	}
}
