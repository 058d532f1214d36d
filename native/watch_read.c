// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * watch_read.c: `kwitness-agent watch read --dir DIR [--since CURSOR] [--limit N] [--from-ns W]
 * [--to-ns W] [--path-prefix P]... [--follow]`: the journaled frames on stdout, unchanged, framed
 * by KW_CURSOR records (first, and whenever the next record delivered is not the previous + 1)
 * and ended by KW_WATCH_END (with --follow once the watch has stopped and all was sent).
 *
 * The reader takes no lock: it reads segment files the supervisor only appends to, and copes
 * with a segment deleted under it (journal.c). --follow waits on inotify (the journal dir and
 * DIR), or polls every 100 ms when inotify is not available, and ends on stdin EOF or a signal.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include "watch.h"
#include "journal.h"
#include "kwitness_wire.h"

#define MAX_PREFIX 16
#define OUT_FLUSH_AT (1u << 20)

static struct {
	char dir[4096];
	uint64_t since, limit, from_ns, to_ns;
	char *prefix[MAX_PREFIX];
	size_t prefix_len[MAX_PREFIX];
	int n_prefix;
	bool follow;
} ro = { .to_ns = UINT64_MAX };

static void usage_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kwitness-agent: watch read: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see kwitness-agent --help)\n");
	exit(WATCH_EXIT_USAGE);
}

static uint64_t num(const char *flag, const char *v)
{
	char *end;

	if (!v)
		usage_fail("%s needs a value", flag);
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno || !*v || *end || v[0] == '-')
		usage_fail("%s: bad value '%s' (expected a non-negative integer)", flag, v);
	return n;
}

static void parse(int argc, char **argv)
{
	bool have_dir = false;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--dir")) {
			if (!v || !*v)
				usage_fail("--dir needs a directory");
			struct buf b = { 0 };
			char cwd[4096];
			if (v[0] != '/' && getcwd(cwd, sizeof(cwd)))
				buf_puts(&b, cwd), buf_puts(&b, "/");
			buf_puts(&b, v);
			path_normalize(&b);
			snprintf(ro.dir, sizeof(ro.dir), "%s", b.p);
			free(b.p);
			have_dir = true;
			i++;
		} else if (!strcmp(a, "--since")) {
			ro.since = num(a, v), i++;
		} else if (!strcmp(a, "--limit")) {
			ro.limit = num(a, v), i++;
			if (!ro.limit)
				usage_fail("--limit: must be at least 1");
		} else if (!strcmp(a, "--from-ns")) {
			ro.from_ns = num(a, v), i++;
		} else if (!strcmp(a, "--to-ns")) {
			ro.to_ns = num(a, v), i++;
		} else if (!strcmp(a, "--path-prefix")) {
			if (!v || v[0] != '/')
				usage_fail("--path-prefix: expected an absolute path, got '%s'", v ? v : "");
			if (ro.n_prefix == MAX_PREFIX)
				usage_fail("--path-prefix: at most %d prefixes", MAX_PREFIX);
			struct buf b = { 0 };
			buf_puts(&b, v);
			path_normalize(&b);
			ro.prefix_len[ro.n_prefix] = b.len;
			ro.prefix[ro.n_prefix++] = b.p;
			i++;
		} else if (!strcmp(a, "--follow")) {
			ro.follow = true;
		} else {
			usage_fail("unknown argument '%s'", a);
		}
	}
	if (!have_dir)
		usage_fail("--dir DIR is required");
	if (ro.from_ns > ro.to_ns)
		usage_fail("--from-ns is after --to-ns");
}

/* ---- filters ---- */

/* The path string of a file (unlink/create/write) record (after comm, exe, cwd, cgroup, container, probe). */
static bool file_path(const uint8_t *rec, uint32_t len, const uint8_t **p, uint32_t *n)
{
	size_t pos = sizeof(struct kw_file_rec);

	for (int s = 0; s < 7; s++) {
		uint32_t l;
		if (len < pos + 4)
			return false;
		memcpy(&l, rec + pos, 4);
		if (len - pos - 4 < l)
			return false;
		if (s == 6) {
			*p = rec + pos + 4;
			*n = l;
			return true;
		}
		pos += 4 + l;
	}
	return false;
}

static bool prefix_ok(const uint8_t *rec, uint32_t len)
{
	struct kw_hdr h;
	const uint8_t *p;
	uint32_t n;

	if (!ro.n_prefix)
		return true;
	memcpy(&h, rec, sizeof(h));
	if (!kw_kind_is_file(h.kind))
		return true;
	if (h.flags & KW_F_PATH_TRUNC)
		return true; /* its leading part is unknown: cannot be ruled out (as `trace` does) */
	if (len < sizeof(struct kw_file_rec) || !file_path(rec, len, &p, &n))
		return true;
	for (int i = 0; i < ro.n_prefix; i++) {
		size_t k = ro.prefix_len[i];
		if (k == 1 || (n >= k && !memcmp(p, ro.prefix[i], k) && (n == k || p[k] == '/')))
			return true;
	}
	return false;
}

static bool time_ok(const uint8_t *rec, uint32_t len)
{
	if (!ro.from_ns && ro.to_ns == UINT64_MAX)
		return true;
	if (rec_kind(rec) == KW_GAP && len >= sizeof(struct kw_gap_rec)) {
		struct kw_gap_rec g;
		memcpy(&g, rec, sizeof(g));
		return g.to_wall_ns >= ro.from_ns && g.from_wall_ns <= ro.to_ns; /* overlaps the window */
	}
	uint64_t t = rec_wall(rec);
	return t >= ro.from_ns && t <= ro.to_ns;
}

/* ---- output ---- */

static uint64_t boot_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_BOOTTIME, &t);
	return t.tv_sec * 1000000000ull + t.tv_nsec;
}

static void emit_cursor(uint64_t cursor, uint64_t skipped)
{
	struct kw_cursor_rec c = { .hdr = { .kind = KW_CURSOR, .size = sizeof(c), .ktime_ns = boot_ns() },
				   .cursor = cursor, .skipped = skipped };

	buf_u32(&out, sizeof(c));
	buf_put(&out, &c, sizeof(c));
}

static void emit_end(uint64_t next)
{
	struct kw_watch_end_rec e = { .hdr = { .kind = KW_WATCH_END, .size = sizeof(e), .ktime_ns = boot_ns() },
				      .wall_ns = wall_now_ns(), .next_cursor = next };

	buf_u32(&out, sizeof(e));
	buf_put(&out, &e, sizeof(e));
}

/* ---- follow ---- */

/* The watch will write nothing more: no live supervisor (stopped, failed, killed, removed). */
static bool watch_over(void)
{
	pid_t rec;

	return !supervisor_alive(ro.dir, &rec, NULL, 0);
}

static int setup_inotify(const char *jdir)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0)
		return -1;
	if (inotify_add_watch(fd, jdir, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_CLOSE_WRITE) < 0 ||
	    inotify_add_watch(fd, ro.dir, IN_MOVED_TO | IN_DELETE | IN_DELETE_SELF) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Waits for journal activity (or the 100 ms poll), stdin EOF or a signal. */
static void wait_more(int ino, bool stdin_watched)
{
	struct pollfd p[2];
	int n = 0, i_in = -1;

	if (ino >= 0)
		p[n++] = (struct pollfd){ .fd = ino, .events = POLLIN };
	if (stdin_watched)
		i_in = n, p[n++] = (struct pollfd){ .fd = 0, .events = POLLIN };
	/* with inotify the timeout only catches a supervisor that was killed (no file event) */
	int r = poll(p, n, ino >= 0 ? 1000 : 100);
	if (r <= 0)
		return;
	if (ino >= 0 && p[0].revents) {
		char evs[4096];
		while (read(ino, evs, sizeof(evs)) > 0)
			;
	}
	if (i_in >= 0 && p[i_in].revents)
		client_on_stdin(); /* EOF sets stop */
}

int cmd_watch_read(int argc, char **argv)
{
	char jdir[4200];
	struct stat st;

	parse(argc, argv);
	snprintf(jdir, sizeof(jdir), "%s/journal", ro.dir);
	if (stat(jdir, &st) || !S_ISDIR(st.st_mode)) {
		char meta[4200];
		snprintf(meta, sizeof(meta), "%s/meta.json", ro.dir);
		if (stat(meta, &st)) {
			fprintf(stderr, "kwitness-agent: no watch at %s\n", ro.dir);
			return 1;
		}
		/* a watch whose supervisor has not opened its journal yet: nothing to read so far */
	}
	bool stdin_watched = ro.follow && client_init(0);
	int ino = ro.follow ? setup_inotify(jdir) : -1;

	/* where reading starts: the wanted cursor, or the oldest the cap left */
	struct seg *segs;
	size_t ns;
	uint64_t start = ro.since, skipped0 = 0;
	if (journal_list(jdir, &segs, &ns) == 0) {
		if (ns && segs[0].first > ro.since) {
			skipped0 = segs[0].first - ro.since;
			start = segs[0].first;
		}
		free(segs);
	}
	emit_cursor(start, skipped0);

	struct jreader rd;
	uint64_t expected = start, delivered = 0, cap_skipped = 0, end_cursor = start;
	bool limit_hit = false, over = false;
	jreader_init(&rd, jdir, start);
	while (!stop) {
		const uint8_t *rec;
		uint32_t len;
		uint64_t c, skipped;
		int r = jreader_next(&rd, &rec, &len, &c, &skipped);
		if (r < 0) {
			out_flush();
			fprintf(stderr, "kwitness-agent: cannot read the journal in %s: %s\n", jdir, strerror(errno));
			return 1;
		}
		cap_skipped += skipped;
		if (r == 1) {
			end_cursor = c + 1;
			if (!time_ok(rec, len) || !prefix_ok(rec, len))
				continue;
			if (c != expected) {
				emit_cursor(c, cap_skipped);
			}
			cap_skipped = 0;
			buf_u32(&out, len);
			buf_put(&out, rec, len);
			expected = c + 1;
			if (ro.limit && ++delivered == ro.limit) {
				limit_hit = true;
				break;
			}
			if (out.len >= OUT_FLUSH_AT && out_flush() < 0)
				return 0; /* the reader went away */
			continue;
		}
		/* nothing more for now */
		if (rd.cursor > end_cursor)
			end_cursor = rd.cursor;
		if (!ro.follow || over)
			break;
		if (out_flush() < 0)
			return 0;
		if (watch_over()) {
			over = true; /* one more pass: what it wrote before it ended */
			continue;
		}
		wait_more(ino, stdin_watched);
	}
	jreader_close(&rd);
	if (ino >= 0)
		close(ino);
	if (stop && !limit_hit && ro.follow && !over) {
		out_flush(); /* stdin EOF or a signal: the client is done, no end record */
		return 0;
	}
	emit_end(limit_hit ? expected : end_cursor);
	out_flush();
	return 0;
}
