// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * attach.c: `kwitness-agent attach NAME [--from EVENTS]`, the way back into a lingering trace.
 *
 * Run (as root, over a new SSH channel) by a client that lost its trace: a window that reloaded,
 * a connection that dropped. It connects to the trace's socket (linger.c), says how many events
 * the client already has, then relays: the trace's records to stdout, stdin (heartbeats, 'q')
 * to the trace. It holds no state of its own: when stdin closes the trace goes on alone again;
 * when the trace ends the relay exits 0.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "agent.h"
#include "linger.h"

/* Writes all of p to fd (blocking): -1 when fd is gone. */
static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= w;
	}
	return 0;
}

int cmd_attach(int argc, char **argv)
{
	const char *name = NULL;
	unsigned long long from = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--from") && i + 1 < argc) {
			char *end;
			errno = 0;
			from = strtoull(argv[++i], &end, 10);
			if (errno || !*argv[i] || *end || argv[i][0] == '-') {
				fprintf(stderr, "kwitness-agent: attach: --from: bad value '%s' (expected a number of events)\n", argv[i]);
				return 2;
			}
		} else if (!name && argv[i][0] != '-') {
			name = argv[i];
		} else {
			fprintf(stderr, "kwitness-agent: attach: unexpected argument '%s' (see kwitness-agent --help)\n", argv[i]);
			return 2;
		}
	}
	if (!name || !session_name_ok(name)) {
		fprintf(stderr, "kwitness-agent: attach: expected a session name (1 to 64 of A-Z a-z 0-9 . _ -)\n");
		return 2;
	}

	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s.sock", KW_LINGER_DIR, name);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "kwitness-agent: attach: no trace '%s' is running on this host (it ended or was stopped; %s: %s)\n",
			name, sa.sun_path, strerror(errno));
		return KW_ATTACH_NO_TRACE;
	}
	char line[32];
	int n = snprintf(line, sizeof(line), "%llu\n", from);
	if (write_all(s, line, n) < 0) {
		fprintf(stderr, "kwitness-agent: attach: trace '%s' went away while attaching\n", name);
		return KW_ATTACH_NO_TRACE;
	}

	static char buf[256 << 10];
	bool in_open = true;
	for (;;) {
		struct pollfd p[2] = { { .fd = s, .events = POLLIN }, { .fd = 0, .events = POLLIN } };
		if (poll(p, in_open ? 2 : 1, -1) < 0) {
			if (errno == EINTR && !stop)
				continue;
			break;
		}
		if (p[0].revents) {
			ssize_t r = read(s, buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break; /* the trace ended (or took another client): done */
			if (write_all(1, buf, r) < 0)
				break; /* our client is gone: closing the socket lets the trace go on alone */
		}
		if (in_open && p[1].revents) {
			ssize_t r = read(0, buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				in_open = false; /* the client is gone: the trace learns it from EOF */
				shutdown(s, SHUT_WR);
				continue;
			}
			if (write_all(s, buf, r) < 0)
				break;
		}
	}
	close(s);
	return 0;
}
