// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * linger.c: a trace that outlives its client (`trace --linger SECONDS --session NAME`).
 *
 * A window reload, a closed browser tab or a dropped connection ends the client, not the
 * question. With --linger the agent keeps tracing when its client goes away (stdin EOF, heartbeat
 * silence, stdout gone, its parent gone, SIGHUP) and keeps what it emits in a bounded backlog.
 * `kwitness-agent attach NAME --from N` (native/attach.c, run over a new SSH channel) connects to
 * the trace's unix socket; the trace answers RESUMED, READY and every record it still holds from
 * event N on, then streams live again. A client that comes back takes the trace over from one
 * that still looks connected. Nobody back within SECONDS: the trace ends as if stopped.
 *
 * The backlog holds what was already written too, not only what came while nobody listened:
 * records in flight in a connection that died never arrived, and a reloaded window has nothing.
 * It is a list of the output's flushes (whole records each), oldest dropped first and counted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "agent.h"
#include "linger.h"

struct chunk {
	struct chunk *next;
	uint64_t first_event; /* number of the first event at or after this chunk's start */
	uint32_t n_events;
	size_t len;
	char data[];
};

static struct {
	bool on;
	unsigned linger_s;
	size_t cap;               /* backlog bytes */
	struct chunk *head, *tail;
	size_t bytes;
	uint64_t next_event;      /* events emitted so far */
	bool first_dropped;       /* the backlog no longer starts at the trace's first record */
	char *ready;              /* the READY record, sent again to every attaching client */
	size_t ready_len;
	int listen_fd;
	int client_fd;            /* the attached socket client; -1: stdio or nobody */
	bool stdio_client;        /* stdin/stdout are still the client */
	uint64_t away_since;      /* CLOCK_MONOTONIC ns; 0 while a client is attached */
	char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int ep;
} L = { .listen_fd = -1, .client_fd = -1, .stdio_client = true };

/* Which record types are events (numbered) and which are the agent's own (ready, lost, ...). */
static bool wire_kind_is_event(uint16_t kind)
{
	switch (kind) {
	case KW_READY: case KW_LOST: case KW_ERROR: case KW_GAP: case KW_CURSOR: case KW_WATCH_END: case KW_RESUMED:
		return false;
	default:
		return true;
	}
}

static bool json_type_is_event(const char *p, size_t n)
{
	static const char *own[] = { "ready", "lost", "error", "gap", "cursor", "watch_end", "resumed" };
	static const char lead[] = "{\"type\":\"";

	if (n < sizeof(lead) - 1 || memcmp(p, lead, sizeof(lead) - 1))
		return true;
	p += sizeof(lead) - 1;
	n -= sizeof(lead) - 1;
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		size_t l = strlen(own[i]);
		if (n > l && !memcmp(p, own[i], l) && p[l] == '"')
			return false;
	}
	return true;
}

/* Length of the record at p (a wire frame or a json line); 0 if it is not complete. */
static size_t record_len(const char *p, size_t n, bool *is_event)
{
	if (opt.wire) {
		uint32_t len;
		uint16_t kind;
		if (n < 4 + sizeof(struct kw_hdr))
			return 0;
		memcpy(&len, p, 4);
		memcpy(&kind, p + 4, 2);
		if (len > n - 4)
			return 0;
		*is_event = wire_kind_is_event(kind);
		return 4 + (size_t)len;
	}
	const char *nl = memchr(p, '\n', n);
	if (!nl)
		return 0;
	*is_event = json_type_is_event(p, nl - p);
	return nl - p + 1;
}

static uint64_t mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static uint64_t oldest_event(void)
{
	return L.head ? L.head->first_event : L.next_event;
}

/* One chunk of the backlog: at most 1/8 of it, so dropping the oldest never drops most of it. */
static void keep_chunk(const char *p, size_t n)
{
	struct chunk *c = malloc(sizeof(*c) + n);
	uint32_t events = 0;
	bool ev;

	for (size_t off = 0, l; off < n && (l = record_len(p + off, n - off, &ev)); off += l)
		events += ev;
	if (!c) {
		/* out of memory: these records cannot be replayed; a later attach says how many */
		L.next_event += events;
		L.first_dropped = true;
		return;
	}
	*c = (struct chunk){ .first_event = L.next_event, .n_events = events, .len = n };
	memcpy(c->data, p, n);
	L.next_event += events;
	if (L.tail)
		L.tail->next = c;
	else
		L.head = c;
	L.tail = c;
	L.bytes += n;
	while (L.bytes > L.cap && L.head != L.tail) {
		struct chunk *old = L.head;
		L.head = old->next;
		L.bytes -= old->len;
		L.first_dropped = true;
		free(old);
	}
}

/*
 * out.c's tap: every flushed run of records enters the backlog before it is written, cut at
 * record boundaries into chunks of at most 1/8 of the backlog (a busy agent flushes megabytes at
 * once; one such chunk alone could otherwise outgrow the bound).
 */
static void keep(const char *p, size_t n)
{
	size_t max = L.cap / 8 ? L.cap / 8 : 1;
	bool ev;

	while (n) {
		size_t len = 0, l;
		while (len < n && (l = record_len(p + len, n - len, &ev)) && (len == 0 || len + l <= max))
			len += l;
		if (!len)
			len = n; /* not whole records (never from out.c): keep them as they are */
		keep_chunk(p, len);
		p += len;
		n -= len;
	}
}

/*
 * Whether a trace listens at `path`, from /proc/net/unix (flag __SO_ACCEPTCON, 0x10000), not by
 * connecting: a connection would make that trace wait for an attach line that never comes.
 */
static bool listening(const char *path)
{
	FILE *f = fopen("/proc/net/unix", "re");
	char line[512];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long flags;
		char p[256];
		/* Num RefCount Protocol Flags Type St Inode Path */
		if (sscanf(line, "%*s %*s %*s %lx %*s %*s %*s %255s", &flags, p) == 2 && (flags & 0x10000) && !strcmp(p, path))
			found = true;
	}
	fclose(f);
	return found;
}

/* Sockets of traces that were killed (SIGKILL leaves them): nobody listens there any more. */
static void sweep_stale(void)
{
	DIR *d = opendir(KW_LINGER_DIR);
	struct dirent *de;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];

	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 6 || strcmp(de->d_name + l - 5, ".sock"))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", KW_LINGER_DIR, de->d_name) >= (int)sizeof(path))
			continue;
		if (!listening(path))
			unlink(path);
	}
	closedir(d);
}

int linger_start(unsigned linger_s, unsigned backlog_mb, const char *session)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	L.on = true;
	L.linger_s = linger_s;
	L.cap = (size_t)backlog_mb << 20;
	if (mkdir(KW_LINGER_DIR_PARENT, 0700) && errno != EEXIST)
		goto fail;
	if (mkdir(KW_LINGER_DIR, 0700) && errno != EEXIST)
		goto fail;
	sweep_stale();
	snprintf(L.sock_path, sizeof(L.sock_path), "%s/%s.sock", KW_LINGER_DIR, session);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", L.sock_path);
	L.listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (L.listen_fd < 0)
		goto fail;
	/* a socket file a trace still listens at is a second start of the same session */
	if (listening(L.sock_path)) {
		fprintf(stderr, "kwitness-agent: --session %s: a trace of that name is already running on this host\n", session);
		close(L.listen_fd);
		L.listen_fd = -1;
		L.sock_path[0] = 0;
		return -1;
	}
	unlink(L.sock_path); /* left by a trace that was killed */
	if (bind(L.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(L.listen_fd, 4))
		goto fail;
	out_tap = keep;
	client_lingers = true;
	return 0;
fail:
	fprintf(stderr, "kwitness-agent: --linger: cannot listen at %s/%s.sock: %s\n", KW_LINGER_DIR, session,
		strerror(errno));
	if (L.listen_fd >= 0)
		close(L.listen_fd);
	L.listen_fd = -1;
	L.sock_path[0] = 0;
	return -1;
}

void linger_set_ready(const char *p, size_t n)
{
	free(L.ready);
	L.ready = malloc(n);
	if (L.ready)
		memcpy(L.ready, p, n);
	L.ready_len = L.ready ? n : 0;
}

void linger_watch(int ep)
{
	L.ep = ep;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = LINGER_EV_LISTEN };
	epoll_ctl(ep, EPOLL_CTL_ADD, L.listen_fd, &ev);
}

static void drop_client(void)
{
	if (L.stdio_client) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		epoll_ctl(L.ep, EPOLL_CTL_DEL, 0, NULL);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			close(null);
		}
		L.stdio_client = false;
	} else if (L.client_fd >= 0) {
		epoll_ctl(L.ep, EPOLL_CTL_DEL, L.client_fd, NULL);
		close(L.client_fd);
		L.client_fd = -1;
	}
	in_fd = -1;
	out_fd = -1;
}

void linger_client_gone(const char *why)
{
	if (!L.on || (!L.stdio_client && L.client_fd < 0))
		return;
	drop_client();
	L.away_since = mono_ns();
	client_lost = 0;
	fprintf(stderr, "kwitness-agent: the client is gone (%s): tracing on for up to %u s until one attaches (%s)\n", why,
		L.linger_s, L.sock_path);
}

void linger_stdio_gone(const char *why)
{
	if (L.stdio_client)
		linger_client_gone(why);
}

bool linger_expired(void)
{
	if (!L.on || !L.away_since || mono_ns() - L.away_since < L.linger_s * 1000000000ull)
		return false;
	fprintf(stderr, "kwitness-agent: no client attached within %u s: stopping\n", L.linger_s);
	return true;
}

/* The first line an attaching relay sends: the number of events it already has. */
static bool read_from(int fd, uint64_t *from)
{
	char line[32];
	size_t n = 0;

	while (n < sizeof(line) - 1) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 2000) <= 0)
			return false;
		ssize_t r = read(fd, line + n, 1);
		if (r <= 0)
			return false;
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = 0;
	char *end;
	errno = 0;
	*from = strtoull(line, &end, 10);
	return n > 0 && !errno && !*end;
}

void linger_accept(void)
{
	int fd = accept4(L.listen_fd, NULL, NULL, SOCK_CLOEXEC);
	uint64_t from;

	if (fd < 0)
		return;
	if (!read_from(fd, &from)) {
		close(fd);
		return;
	}
	/* the client we had (if any) is told why its stream ends here, then let go */
	out_flush();
	if (L.stdio_client || L.client_fd >= 0) {
		/* one try, not kept in the backlog (it is not the next client's business) */
		emit_error("taken over: another client attached to this trace (kwitness-agent attach)");
		if (write(out_fd, out.p, out.len) < 0) {
			/* that client is gone already */
		}
		out.len = 0;
		drop_client();
	}
	uint64_t away = L.away_since ? mono_ns() - L.away_since : 0;
	L.away_since = 0;
	L.client_fd = fd;
	in_fd = out_fd = fd;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	client_reset();
	struct epoll_event ev = { .events = EPOLLIN | EPOLLHUP, .data.u32 = LINGER_EV_CLIENT };
	epoll_ctl(L.ep, EPOLL_CTL_ADD, fd, &ev);

	if (from > L.next_event)
		from = L.next_event;
	uint64_t start = from < oldest_event() ? oldest_event() : from;
	if (linger_write_resumed(start, start - from, away) < 0)
		goto gone;
	/* READY again unless the replay starts with the original one */
	bool replay_has_ready = start == 0 && !L.first_dropped;
	if (!replay_has_ready && L.ready && out_write_all(L.ready, L.ready_len) < 0)
		goto gone;
	for (struct chunk *c = L.head; c; c = c->next) {
		if (c->first_event + c->n_events < start || (c->n_events && c->first_event + c->n_events == start))
			continue; /* every event in it comes before `start` */
		size_t off = 0;
		uint64_t idx = c->first_event;
		bool ev;
		for (size_t l; idx < start && off < c->len && (l = record_len(c->data + off, c->len - off, &ev)); off += l)
			idx += ev;
		if (out_write_all(c->data + off, c->len - off) < 0)
			goto gone;
	}
	fprintf(stderr, "kwitness-agent: a client attached from event %llu: %llu replayed, %llu not kept\n",
		(unsigned long long)from, (unsigned long long)(L.next_event - start), (unsigned long long)(start - from));
	return;
gone:
	linger_client_gone("the attaching client went away during the replay");
}

int linger_write_resumed(uint64_t next_event, uint64_t not_kept, uint64_t away_ns)
{
	struct buf b = { 0 };
	uint64_t wall = clock_ns(CLOCK_REALTIME);
	unsigned long long ticks = 0;
	char stat[512];
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, stat, sizeof(stat) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n > 0) {
		stat[n] = 0;
		/* field 22 (starttime) counted after comm's closing ") " */
		char *p = strrchr(stat, ')');
		for (int field = 2; p && field < 22; field++)
			p = strchr(p + 1, ' ');
		if (p)
			ticks = strtoull(p + 1, NULL, 10);
	}
	if (opt.wire) {
		struct kw_resumed_rec r = { .hdr = { .kind = KW_RESUMED, .size = sizeof(r), .ktime_ns = clock_ns(CLOCK_BOOTTIME) },
					    .wall_ns = wall, .next_event = next_event, .not_kept = not_kept,
					    .away_ns = away_ns, .start_ticks = ticks, .pid = getpid() };
		buf_u32(&b, sizeof(r));
		buf_put(&b, &r, sizeof(r));
	} else {
		buf_puts(&b, "{\"type\":\"resumed\",\"time\":");
		iso_time(&b, wall);
		buf_printf(&b, ",\"next_event\":%llu,\"not_kept\":%llu,\"away_ms\":%llu,\"pid\":%d,\"start_time\":\"%llu\"}\n",
			   (unsigned long long)next_event, (unsigned long long)not_kept,
			   (unsigned long long)(away_ns / 1000000), (int)getpid(), ticks);
	}
	int rc = out_write_all(b.p, b.len);
	free(b.p);
	return rc;
}

void linger_end(void)
{
	if (L.listen_fd >= 0)
		close(L.listen_fd);
	if (L.sock_path[0])
		unlink(L.sock_path);
	rmdir(KW_LINGER_DIR);        /* only when no other trace lingers */
	rmdir(KW_LINGER_DIR_PARENT); /* only when empty (watches live elsewhere) */
	while (L.head) {
		struct chunk *c = L.head;
		L.head = c->next;
		free(c);
	}
	L.tail = NULL;
	free(L.ready);
	L.ready = NULL;
}
