// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * supervisor.c: the process a watch leaves behind on the target. It runs the unchanged trace
 * loop as a WORKER child (`kwitness-agent trace FAMILIES --format wire FILTERS`, an exec of
 * /proc/self/exe) and appends the worker's frames to the journal.
 *
 *   worker stdin   a pipe this process keeps open: if the supervisor dies, the worker reads EOF
 *                  (and gets PR_SET_PDEATHSIG) and ends, detaching its BPF programs
 *   worker stdout  a pipe read here in batches; whole frames go to the journal
 *   worker stderr  agent.log (bounded, rotated once); its last line is the cause of a failure
 *
 * A worker that ends while the watch is not stopping is restarted after 1, 2, 4 ... 30 s; the
 * fifth crash within 10 minutes fails the watch. The time it was down is journaled as a GAP
 * record when the new worker is ready, as is the downtime of the supervisor itself when a
 * `watch start` finds an existing journal. Durability: write() per batch, fdatasync at most once
 * a second and at stop. Space: the cap deletes oldest segments (dropped_cap); below the free-space
 * floor nothing is written (dropped_space) until there is room again (then a GAP record).
 * Events of the supervisor's own process (its journal and status writes) are not journaled.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include "watch.h"
#include "journal.h"
#include "kwitness_wire.h"

#define NS 1000000000ull
#define READ_MAX (4u << 20)            /* worker output taken per loop turn */
#define CRASH_WINDOW_NS (600 * NS)     /* 5 crashes in 10 minutes: failed */
#define CRASH_LIMIT 5
#define BACKOFF_MAX_S 30
#define STOP_GRACE_NS (10 * NS)        /* a worker ignoring SIGTERM this long is killed */
#define STATUS_MIN_NS NS               /* status.json at most once a second ... */
#define STATUS_BEAT_NS (10 * NS)       /* ... and at least every 10 s ("updated") */
#define SYNC_EVERY_NS NS
#define DRAIN_MARGIN_NS NS             /* a drained pipe vouches for events older than this */
#define SPACE_SLACK (64u << 10)        /* block rounding, status and log writes */
#define RESUME_MIN (256u << 10)        /* room needed to resume a paused journal */

static struct watch_opts *o;
static struct watch_status st;
static struct journal jr;
static int ready_fd = -1;
static bool ready_sent, ever_ready, first_ready_seen;
static int exit_code_fail = 1;
static int log_fd = -1;
static uint64_t log_bytes;
static char fs_name[4096];
static pid_t self_pid;

static struct worker {
	pid_t pid;
	int in_w, out_r, err_r; /* -1: closed */
	bool ready, reaped;
	int wstatus;
} w = { .in_w = -1, .out_r = -1, .err_r = -1 };

static struct buf rbuf;         /* worker stdout not yet framed */
static struct buf batch;        /* frames for the next journal_append */
static struct buf errpart;      /* worker stderr: the line being assembled */
static char last_errline[512];

static uint64_t crash_at[CRASH_LIMIT];
static int n_crash;
static uint64_t restart_at;     /* monotonic ns, 0: none pending */
static struct {
	bool on;
	uint64_t from;
	char reason[400];
} gap;
static struct {
	bool on;
	uint64_t from, dropped;
} paused;
static uint64_t drained_wall;   /* last time the ready worker's pipe was found empty */
static bool stopping;
static uint64_t stop_kill_at;
static bool status_dirty;
static uint64_t status_at, sync_at;
static uint64_t events_planned;

/* ---- agent.log ---- */

static void log_raw(const char *s, size_t n)
{
	if (log_fd < 0)
		return;
	if (log_bytes + n > WATCH_LOG_MAX) {
		char a[4200], b[4200];
		snprintf(a, sizeof(a), "%s/agent.log", o->dir);
		snprintf(b, sizeof(b), "%s/agent.log.1", o->dir);
		close(log_fd);
		rename(a, b);
		log_fd = open(a, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
		log_bytes = 0;
		if (log_fd < 0)
			return;
	}
	if (write(log_fd, s, n) > 0)
		log_bytes += n;
}

static void log_line(const char *who, const char *s, size_t n)
{
	struct buf b = { 0 };

	iso_time(&b, wall_now_ns());
	b.len--; /* iso_time quotes it: drop both quotes */
	buf_printf(&b, " %s: ", who);
	buf_put(&b, s, n);
	buf_put(&b, "\n", 1);
	log_raw(b.p + 1, b.len - 1);
	free(b.p);
}

static void slog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void slog(const char *fmt, ...)
{
	char m[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	log_line("supervisor", m, strlen(m));
}

/* ---- status ---- */

static void write_status(void)
{
	struct buf b = { 0 };

	onhit_counts(&st.on_hit_runs, &st.on_hit_suppressed, &st.on_hit_failed);
	status_json(&b, o, &st);
	buf_put(&b, "\n", 1);
	if (write_file_atomic(o->dir, "status.json", b.p, b.len) == 0) {
		status_dirty = false;
		status_at = mono_now_ns();
	}
	free(b.p);
}

static void set_state(const char *s)
{
	st.state = s;
	write_status(); /* state changes are written at once */
}

static void notify_start(bool ok, int code, const char *msg)
{
	if (ready_sent)
		return;
	ready_sent = true;
	if (o->unit) {
		/* under systemd: `watch start` (systemd_watch_start) waits for READY=1 or the unit's
		 * failure, then reads the answer from start.result */
		char line[700];
		int n = ok ? snprintf(line, sizeof(line), "OK %d\n", (int)self_pid)
			   : snprintf(line, sizeof(line), "E%d %s\n", code, msg);
		write_file_atomic(o->dir, "start.result", line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
		if (ok)
			systemd_notify("READY=1");
	}
	if (o->foreground) {
		if (ok) {
			print_start_answer(o, self_pid, NULL);
			fflush(stdout);
		} else {
			fprintf(stderr, "kwitness-agent: %s\n", msg);
		}
		return;
	}
	if (ready_fd >= 0) {
		if (ok)
			dprintf(ready_fd, "OK %d\n", (int)self_pid);
		else
			dprintf(ready_fd, "E%d %s\n", code, msg);
		close(ready_fd);
		ready_fd = -1;
	}
}

/* ---- stopping and failing ---- */

static void begin_stop(const char *note)
{
	if (stopping)
		return;
	stopping = true;
	restart_at = 0;
	if (note)
		snprintf(st.note, sizeof(st.note), "%s", note);
	if (w.pid && !w.reaped) {
		kill(w.pid, SIGTERM);
		stop_kill_at = mono_now_ns() + STOP_GRACE_NS;
	}
	if (strcmp(st.state, "failed"))
		set_state("stopping");
	if (o->unit)
		systemd_notify("STOPPING=1");
	if (!first_ready_seen) /* else the batch with the ready record reports success */
		notify_start(false, 1, note ? note : "the watch was stopped before the agent was ready");
}

/*
 * --until or --max-events reached: the watch is over by its own terms. A persistent unit would
 * start it again at the next boot (only to refuse a past --until), so it is disabled and its
 * file removed just before the final status is written (supervisor_run's end).
 */
static bool retire_unit;
static void finish_by_own_terms(const char *note)
{
	char n[300];

	retire_unit = o->unit && o->persistent;
	snprintf(n, sizeof(n), "%s%s", note, retire_unit ? "; its systemd unit was disabled and removed" : "");
	begin_stop(n);
}

static void fail(const char *cause, int code)
{
	snprintf(st.error, sizeof(st.error), "%s", cause);
	slog("failed: %s", cause);
	st.state = "failed";
	exit_code_fail = code;
	write_status(); /* before the answer: a `watch status` right after `start` sees it */
	notify_start(false, code, cause);
	begin_stop(NULL);
	write_status();
}

/* ---- the worker ---- */

static int start_worker(void)
{
	int in[2], out[2], err[2];
	char *argv[8 + 64];
	int n = 0;

	if (pipe2(in, O_CLOEXEC))
		return -1;
	if (pipe2(out, O_CLOEXEC)) {
		close(in[0]), close(in[1]);
		return -1;
	}
	if (pipe2(err, O_CLOEXEC)) {
		close(in[0]), close(in[1]), close(out[0]), close(out[1]);
		return -1;
	}
	fcntl(out[0], F_SETPIPE_SZ, 1 << 20); /* fewer wakeups at high rates; best effort */
	char rate[24];
	argv[n++] = "kwitness-agent";
	if (o->replay) { /* a benchmark: a recording played back instead of the kernel (replay.c) */
		snprintf(rate, sizeof(rate), "%llu", (unsigned long long)o->replay_rate);
		argv[n++] = "replay";
		argv[n++] = (char *)o->replay;
		argv[n++] = "--rate";
		argv[n++] = rate;
	} else {
		argv[n++] = "trace";
		argv[n++] = (char *)o->families;
		argv[n++] = "--format";
		argv[n++] = "wire";
		for (int i = 0; i < o->n_filters && n < (int)(sizeof(argv) / sizeof(argv[0])) - 1; i++)
			argv[n++] = o->filters[i];
	}
	argv[n] = NULL;

	pid_t pid = fork();
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGHUP, SIG_DFL);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv("/proc/self/exe", argv);
		dprintf(2, "kwitness-agent: cannot start the trace worker: %s\n", strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (pid < 0) {
		close(in[1]), close(out[0]), close(err[0]);
		return -1;
	}
	fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
	fcntl(err[0], F_SETFL, fcntl(err[0], F_GETFL) | O_NONBLOCK);
	w = (struct worker){ .pid = pid, .in_w = in[1], .out_r = out[0], .err_r = err[0] };
	rbuf.len = 0;
	drained_wall = 0;
	st.worker_pid = pid;
	st.worker_lost = st.worker_unjudged = 0;
	status_dirty = true;
	slog("worker pid %d started: trace %s --format wire (%d filter arguments)", (int)pid, o->families, o->n_filters);
	return 0;
}

static void read_stderr(void)
{
	char tmp[4096];
	ssize_t n;

	while ((n = read(w.err_r, tmp, sizeof(tmp))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return;
			break;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (tmp[i] != '\n') {
				if (errpart.len < 2048)
					buf_put(&errpart, &tmp[i], 1);
				continue;
			}
			if (errpart.len) {
				log_line("agent", errpart.p, errpart.len);
				snprintf(last_errline, sizeof(last_errline), "%.*s", (int)errpart.len, errpart.p);
			}
			errpart.len = 0;
		}
	}
	/* EOF (or a read error): the worker is gone */
	if (errpart.len) {
		log_line("agent", errpart.p, errpart.len);
		snprintf(last_errline, sizeof(last_errline), "%.*s", (int)errpart.len, errpart.p);
		errpart.len = 0;
	}
	close(w.err_r);
	w.err_r = -1;
}

/* ---- frames into the journal ---- */

static uint64_t space_allowed(void)
{
	struct statvfs v;

	if (statvfs(jr.jdir, &v))
		return errno == ENOENT ? 0 : UINT64_MAX; /* gone (the loop stops); else let write() say */
	uint64_t avail = (uint64_t)v.f_bavail * v.f_frsize, floor = (o->keep_free_mb << 20) + SPACE_SLACK;
	return avail > floor ? avail - floor : 0;
}

static void pause_journal(void)
{
	if (paused.on)
		return;
	paused.on = true;
	paused.from = jr.last_wall;
	/* the batch's last frame will be journaled: the gap starts after it */
	for (size_t pos = 0; pos < batch.len;) {
		uint32_t l = frame_whole((uint8_t *)batch.p + pos, batch.len - pos);
		if (!l)
			break;
		uint64_t t = rec_wall((uint8_t *)batch.p + pos + 4);
		if (t > paused.from)
			paused.from = t;
		pos += 4 + l;
	}
	paused.dropped = 0;
	snprintf(st.note, sizeof(st.note), "journal paused: free space below %llu MiB on %.400s",
		 (unsigned long long)o->keep_free_mb, fs_name);
	slog("%s", st.note);
	status_dirty = true;
}

/* Adds a frame to the batch if the floor allows; else counts it as dropped for space. */
static void add_frame(const uint8_t *frame, size_t n, uint64_t allowed)
{
	if (!paused.on && batch.len + n > allowed)
		pause_journal();
	if (paused.on) {
		st.dropped_space++;
		paused.dropped++;
		return;
	}
	buf_put(&batch, frame, n);
}

static void add_gap(uint64_t from, uint64_t to, const char *reason, uint64_t allowed)
{
	struct kw_gap_rec g = { .hdr = { .kind = KW_GAP }, .wall_ns = wall_now_ns(), .from_wall_ns = from, .to_wall_ns = to };
	struct timespec bt;
	struct buf f = { 0 };
	uint32_t rl = strlen(reason);

	clock_gettime(CLOCK_BOOTTIME, &bt);
	g.hdr.ktime_ns = bt.tv_sec * NS + bt.tv_nsec;
	g.hdr.size = sizeof(g) + 4 + rl;
	buf_u32(&f, g.hdr.size);
	buf_put(&f, &g, sizeof(g));
	buf_str(&f, reason, rl);
	add_frame((uint8_t *)f.p, f.len, allowed);
	free(f.p);
}

static void resume_if_room(uint64_t allowed)
{
	if (!paused.on || allowed < RESUME_MIN)
		return;
	char reason[600];
	snprintf(reason, sizeof(reason), "journal paused: free space below %llu MiB on %.400s (%llu records dropped)",
		 (unsigned long long)o->keep_free_mb, fs_name, (unsigned long long)paused.dropped);
	paused.on = false;
	st.note[0] = 0;
	slog("journal resumed: %llu records were dropped", (unsigned long long)paused.dropped);
	add_gap(paused.from, wall_now_ns(), reason, allowed);
}

/* Journals the batch, then accounts for what reached the file. */
static void flush_batch(void)
{
	uint64_t first = jr.next_cursor, written = 0, dc = 0;
	int rc = 0;

	if (batch.len)
		rc = journal_append(&jr, (uint8_t *)batch.p, batch.len, &written, &dc);
	int err = errno;
	st.dropped_cap += dc;
	uint64_t i = 0;
	for (size_t pos = 0; pos < batch.len; i++) {
		uint32_t l = frame_whole((uint8_t *)batch.p + pos, batch.len - pos);
		if (!l)
			break;
		const uint8_t *rec = (uint8_t *)batch.p + pos + 4;
		pos += 4 + l;
		if (i >= written) {
			st.dropped_space++; /* the write failed: not journaled */
			continue;
		}
		uint16_t kind = rec_kind(rec);
		if (kind_is_event(kind)) {
			st.events++;
			uint64_t t = rec_wall(rec);
			if (t > st.last_event_ns)
				st.last_event_ns = t;
			onhit_event(rec, l, first + i);
		} else if (kind == KW_GAP) {
			st.gaps++;
		}
	}
	if (rc) {
		snprintf(st.note, sizeof(st.note), "journal write failed: %s", strerror(err));
		slog("%s (%llu records not journaled)", st.note, (unsigned long long)(i - written));
	}
	batch.len = 0;
	st.next_cursor = jr.next_cursor;
	st.first_cursor = journal_first_cursor(&jr);
	st.journal_bytes = jr.total_bytes;
	status_dirty = true;
	if (first_ready_seen && !ready_sent) {
		if (!stopping)
			set_state("running");
		notify_start(true, 0, NULL);
	}
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void process_frames(void)
{
	size_t pos = 0;
	uint64_t allowed = space_allowed();

	resume_if_room(allowed);
	while (rbuf.len - pos >= 4) {
		const uint8_t *f = (uint8_t *)rbuf.p + pos;
		uint32_t flen = frame_whole(f, rbuf.len - pos);
		if (!flen) {
			uint32_t l = le32(f);
			if (l < sizeof(struct kw_hdr) || l > JOURNAL_MAX_FRAME || rbuf.len - pos >= 4 + (size_t)l) {
				slog("worker pid %d wrote a bad frame (length %u): killing it", (int)w.pid, l);
				snprintf(last_errline, sizeof(last_errline), "the agent's output was corrupt");
				if (w.pid && !w.reaped)
					kill(w.pid, SIGKILL);
				pos = rbuf.len;
			}
			break;
		}
		const uint8_t *rec = f + 4;
		pos += 4 + flen;
		uint16_t kind = rec_kind(rec);
		if (kind == KW_READY) {
			w.ready = true;
			if (!ever_ready)
				first_ready_seen = true;
			ever_ready = true;
			if (gap.on) {
				add_gap(gap.from, rec_wall(rec), gap.reason, allowed);
				gap.on = false;
			}
		} else if (kind == KW_LOST && flen >= KW_LOST_REC_V1_SIZE) {
			struct kw_lost_rec l = { 0 };
			/* the fields every agent's record has, and what this one adds (untracked) */
			memcpy(&l, rec, flen < sizeof(l) ? flen : sizeof(l));
			st.worker_lost = l.total;
			st.worker_unjudged = l.unjudged_total;
			st.worker_untracked = l.untracked_total;
		} else if (kind_is_event(kind)) {
			struct kw_proc pr;
			memcpy(&pr, rec + offsetof(struct kw_file_rec, proc), sizeof(pr));
			if (pr.pid == (uint32_t)self_pid)
				continue; /* our own journal and status writes */
			if (o->max_events && events_planned >= o->max_events)
				continue;
			if (o->max_events && ++events_planned == o->max_events) {
				char note[128];
				snprintf(note, sizeof(note), "stopped: --max-events %llu reached", (unsigned long long)o->max_events);
				add_frame(f, 4 + flen, allowed);
				finish_by_own_terms(note);
				continue;
			}
		}
		add_frame(f, 4 + flen, allowed);
	}
	memmove(rbuf.p, rbuf.p + pos, rbuf.len - pos);
	rbuf.len -= pos;
	flush_batch();
}

/* Room for n more bytes in b (struct buf grows only through buf_put). */
static bool reserve(struct buf *b, size_t n)
{
	if (b->cap - b->len >= n)
		return true;
	size_t cap = b->cap ? b->cap : 65536;
	while (cap - b->len < n)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p)
		return false;
	b->p = p;
	b->cap = cap;
	return true;
}

static void read_stdout(void)
{
	size_t got = 0;

	while (got < READ_MAX) {
		if (!reserve(&rbuf, 256u << 10))
			break;
		ssize_t n = read(w.out_r, rbuf.p + rbuf.len, rbuf.cap - rbuf.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (w.ready)
				drained_wall = wall_now_ns(); /* everything the worker wrote is here */
			break;
		}
		if (n <= 0) {
			close(w.out_r); /* EOF: the worker is gone; a partial frame left is dropped */
			w.out_r = -1;
			break;
		}
		rbuf.len += n;
		got += n;
	}
	process_frames();
	if (w.out_r < 0 && rbuf.len) {
		slog("dropped %zu bytes of a partial frame the worker left", rbuf.len);
		rbuf.len = 0;
	}
}

static void describe_exit(int ws, char *out, size_t n)
{
	if (WIFSIGNALED(ws))
		snprintf(out, n, "signal %d", WTERMSIG(ws));
	else
		snprintf(out, n, "exit status %d", WEXITSTATUS(ws));
}

static void worker_finished(void)
{
	char how[64];

	describe_exit(w.wstatus, how, sizeof(how));
	close(w.in_w);
	slog("worker pid %d ended (%s)%s", (int)w.pid, how, stopping ? "" : " while the watch was running");
	st.lost_base += st.worker_lost;
	st.unjudged_base += st.worker_unjudged;
	st.untracked_base += st.worker_untracked;
	st.worker_lost = st.worker_unjudged = st.worker_untracked = 0;
	bool was_ready = w.ready;
	int ws = w.wstatus;
	w = (struct worker){ .in_w = -1, .out_r = -1, .err_r = -1 };
	st.worker_pid = 0;
	status_dirty = true;
	if (stopping)
		return;
	if (!ever_ready) {
		/* the first worker never got ready: the kernel or the arguments, not a crash */
		char cause[700];
		if (last_errline[0])
			snprintf(cause, sizeof(cause), "%s", last_errline);
		else
			snprintf(cause, sizeof(cause), "the trace agent ended (%s) before it was ready", how);
		fail(cause, WIFEXITED(ws) && WEXITSTATUS(ws) == WATCH_EXIT_USAGE ? WATCH_EXIT_USAGE : 1);
		return;
	}
	uint64_t now = mono_now_ns();
	int recent = 0;
	for (int i = 0; i < n_crash; i++)
		if (now - crash_at[i] < CRASH_WINDOW_NS)
			crash_at[recent++] = crash_at[i];
	n_crash = recent;
	if (n_crash == CRASH_LIMIT) {
		memmove(crash_at, crash_at + 1, (CRASH_LIMIT - 1) * sizeof(crash_at[0]));
		n_crash--;
	}
	crash_at[n_crash++] = now;
	char cause[700];
	if (WIFSIGNALED(ws) || !last_errline[0])
		snprintf(cause, sizeof(cause), "agent restarted after %s", how);
	else
		snprintf(cause, sizeof(cause), "agent restarted after %s: %s", how, last_errline);
	if (n_crash >= CRASH_LIMIT) {
		char f[800];
		snprintf(f, sizeof(f), "the trace agent crashed %d times within 10 minutes, last after %s%s%s", CRASH_LIMIT,
			 how, last_errline[0] ? ": " : "", last_errline);
		fail(f, 1);
		return;
	}
	if (!gap.on) {
		gap.on = true;
		gap.from = jr.last_wall;
		if (was_ready && drained_wall > DRAIN_MARGIN_NS && drained_wall - DRAIN_MARGIN_NS > gap.from)
			gap.from = drained_wall - DRAIN_MARGIN_NS;
	}
	snprintf(gap.reason, sizeof(gap.reason), "%.399s", cause);
	unsigned delay = 1u << (n_crash - 1);
	if (delay > BACKOFF_MAX_S)
		delay = BACKOFF_MAX_S;
	restart_at = now + delay * NS;
	slog("restarting the worker in %u s (%d crashes within 10 minutes)", delay, n_crash);
}

static void reap(void)
{
	int ws;
	pid_t pid;

	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
		if (pid == w.pid) {
			w.reaped = true;
			w.wstatus = ws;
		} else {
			onhit_reaped(pid, ws);
		}
	}
}

/* A finished segment (rotation): synced and closed by the sync thread. */
static void retire_segment(int fd)
{
	syncer_submit(fd, 0);
}

/* ---- start-up ---- */

static void find_fs(const char *path)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char line[8192];
	size_t best = 0;

	snprintf(fs_name, sizeof(fs_name), "%s", path);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char dev[4096], mnt[4096];
		if (sscanf(line, "%4095s %4095s", dev, mnt) != 2)
			continue;
		size_t n = strlen(mnt);
		bool under = !strcmp(mnt, "/") || (!strncmp(path, mnt, n) && (path[n] == '/' || path[n] == 0));
		if (under && n >= best) {
			best = n;
			snprintf(fs_name, sizeof(fs_name), "%s", mnt);
		}
	}
	fclose(f);
}

/*
 * Counters from the previous supervisor of this DIR: status.json as it last wrote it, plus
 * the records it journaled after that write (status.json lags up to a second).
 */
static void restore_counters(const char *old, uint64_t *synced_until, bool *was_stopped, bool *other_boot)
{
	uint64_t since = json_u64(old, "next_cursor", 0);
	uint64_t cur = json_u64(old, "worker_lost", 0), curj = json_u64(old, "worker_unjudged", 0);
	uint64_t curt = json_u64(old, "worker_untracked", 0);
	uint64_t base = json_u64(old, "lost", 0), basej = json_u64(old, "unjudged", 0);
	uint64_t baset = json_u64(old, "untracked", 0);

	base = base >= cur ? base - cur : 0;
	basej = basej >= curj ? basej - curj : 0;
	baset = baset >= curt ? baset - curt : 0;
	st.events = json_u64(old, "events", 0);
	st.gaps = json_u64(old, "gaps", 0);
	st.restarts = json_u64(old, "restarts", 0);
	st.dropped_space = json_u64(old, "dropped_space", 0);
	onhit_restore(json_u64(old, "on_hit_runs", 0), json_u64(old, "on_hit_suppressed", 0), json_u64(old, "on_hit_failed", 0));
	*synced_until = json_u64(old, "synced_until_ns", 0);
	*was_stopped = json_is_str(old, "state", "stopped") || json_is_str(old, "state", "failed");
	char boot[64];
	const char *v;
	size_t vl;
	boot_id(boot, sizeof(boot));
	*other_boot = json_get(old, "boot_id", &v, &vl) && boot[0] && !json_is_str(old, "boot_id", boot);
	struct jreader r;
	const uint8_t *rec;
	uint32_t len;
	uint64_t c, skipped;
	jreader_init(&r, jr.jdir, since);
	while (jreader_next(&r, &rec, &len, &c, &skipped) == 1) {
		uint16_t kind = rec_kind(rec);
		if (kind_is_event(kind)) {
			st.events++;
			if (rec_wall(rec) > st.last_event_ns)
				st.last_event_ns = rec_wall(rec);
		} else if (kind == KW_GAP) {
			st.gaps++;
		} else if (kind == KW_READY) {
			base += cur, basej += curj, baset += curt; /* a new worker: the last one's totals are final */
			cur = curj = curt = 0;
		} else if (kind == KW_LOST && len >= KW_LOST_REC_V1_SIZE) {
			struct kw_lost_rec l = { 0 };
			memcpy(&l, rec, len < sizeof(l) ? len : sizeof(l)); /* journals of older agents: shorter records */
			cur = l.total;
			curj = l.unjudged_total;
			curt = l.untracked_total;
		}
	}
	jreader_close(&r);
	st.lost_base = base + cur;
	st.unjudged_base = basej + curj;
	st.untracked_base = baset + curt;
}

/* The last event time from status.json when the journal walk found none after it. */
static uint64_t iso_to_ns(const char *v, size_t n)
{
	struct tm tm = { 0 };
	char s[64];
	unsigned long frac = 0;

	if (n < 22 || n > 60)
		return 0;
	snprintf(s, sizeof(s), "%.*s", (int)(n - 2), v + 1);
	char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest)
		return 0;
	if (*rest == '.')
		frac = strtoul(rest + 1, NULL, 10);
	return (uint64_t)timegm(&tm) * NS + frac;
}

int supervisor_run(struct watch_opts *opts, int rfd)
{
	char err[600];
	uint64_t torn = 0, synced_until = 0;
	bool was_stopped = false, other_boot = false;
	struct buf old = { 0 };
	char path[4200];

	o = opts;
	ready_fd = rfd;
	self_pid = getpid();
	if (o->unit)
		systemd_notify_init();
	prctl(PR_SET_PDEATHSIG, 0); /* a watch outlives whoever started it */
	if (chdir("/")) {
		/* cannot happen; the worker's paths are absolute anyway */
	}
	umask(077);
	if (!o->foreground) {
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0), dup2(null, 1), dup2(null, 2);
			if (null > 2)
				close(null);
		}
	}
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	signal(SIGHUP, SIG_IGN); /* no terminal to lose: a watch survives the session */
	signal(SIGPIPE, SIG_IGN);

	snprintf(path, sizeof(path), "%s/agent.log", o->dir);
	log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	struct stat ls;
	if (log_fd >= 0 && fstat(log_fd, &ls) == 0)
		log_bytes = ls.st_size;
	slog("supervisor pid %d starting watch %s", (int)self_pid, o->id);
	st.state = "starting";
	st.pid = self_pid;
	if (sfd < 0 || pidfile_write(o->dir)) {
		snprintf(err, sizeof(err), "cannot write %.500s/supervisor.pid: %s", o->dir, strerror(errno));
		notify_start(false, 1, err);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/status.json", o->dir);
	bool had_status = read_small_file(path, &old) == 0;
	if (journal_open(&jr, o->dir, o->max_mb << 20, &torn, err, sizeof(err))) {
		slog("%s", err);
		notify_start(false, 1, err);
		snprintf(st.error, sizeof(st.error), "%.500s", err);
		st.state = "failed";
		st.pid = 0;
		write_status();
		snprintf(path, sizeof(path), "%s/supervisor.pid", o->dir);
		unlink(path);
		return 1;
	}
	if (torn)
		slog("cut a torn tail of %llu bytes off the last journal segment", (unsigned long long)torn);
	if (had_status || jr.next_cursor) {
		restore_counters(had_status ? old.p : "{}", &synced_until, &was_stopped, &other_boot);
		const char *v;
		size_t vl;
		if (!st.last_event_ns && had_status && json_get(old.p, "last_event", &v, &vl) && *v == '"')
			st.last_event_ns = iso_to_ns(v, vl);
	}
	free(old.p);
	st.dropped_cap = journal_first_cursor(&jr);
	st.first_cursor = journal_first_cursor(&jr);
	st.next_cursor = jr.next_cursor;
	st.journal_bytes = jr.total_bytes;
	st.synced_until_ns = synced_until;
	if (jr.next_cursor) {
		/* an existing journal: the time this DIR had no supervisor is a gap */
		gap.on = true;
		gap.from = jr.last_wall > synced_until ? jr.last_wall : synced_until;
		/* what happened while nobody watched, as far as the last status.json tells */
		snprintf(gap.reason, sizeof(gap.reason), "%s",
			 other_boot ? (was_stopped ? "watch restarted after the host rebooted"
						   : "watch restarted after the host crashed or lost power")
				    : (was_stopped ? "watch restarted after it was stopped"
						   : "watch restarted after a crash or reboot"));
		slog("existing journal: next cursor %llu; %s", (unsigned long long)jr.next_cursor, gap.reason);
	}
	find_fs(o->dir);
	syncer_start();
	jr.retire = retire_segment;
	onhit_init(o->on_hit, o->id, o->dir);
	write_status();
	if (start_worker()) {
		snprintf(err, sizeof(err), "cannot start the trace worker: %s", strerror(errno));
		fail(err, 1);
	}

	while (!(stopping && !w.pid)) {
		struct pollfd p[3];
		int n = 0, i_out = -1, i_err = -1;
		p[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		if (w.out_r >= 0)
			i_out = n, p[n++] = (struct pollfd){ .fd = w.out_r, .events = POLLIN };
		if (w.err_r >= 0)
			i_err = n, p[n++] = (struct pollfd){ .fd = w.err_r, .events = POLLIN };
		/* records come in bursts: a short timeout keeps the batches big without a wakeup per write */
		int r = poll(p, n, 200);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0 && (p[0].revents & POLLIN)) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD)
					reap();
				else
					begin_stop(NULL);
			}
		}
		if (i_err >= 0 && p[i_err].revents)
			read_stderr();
		if (i_out >= 0 && p[i_out].revents)
			read_stdout();
		else if (w.out_r >= 0 && w.ready)
			drained_wall = wall_now_ns(); /* poll says the pipe is empty */
		if (w.pid && w.reaped && w.out_r < 0 && w.err_r < 0)
			worker_finished();

		uint64_t now = mono_now_ns();
		if (restart_at && now >= restart_at && !stopping) {
			restart_at = 0;
			st.restarts++;
			if (start_worker()) {
				snprintf(err, sizeof(err), "cannot restart the trace worker: %s", strerror(errno));
				fail(err, 1);
			}
		}
		if (stopping && w.pid && !w.reaped && stop_kill_at && now >= stop_kill_at) {
			slog("worker pid %d ignored SIGTERM for %llu s: killing it", (int)w.pid,
			     (unsigned long long)(STOP_GRACE_NS / NS));
			kill(w.pid, SIGKILL);
			stop_kill_at = 0;
		}
		/* --until counts once the start is answered: a start never fails because of it */
		if (o->until_s && !stopping && ready_sent && wall_now_ns() >= o->until_s * NS) {
			char note[128];
			snprintf(note, sizeof(note), "stopped: --until %llu reached", (unsigned long long)o->until_s);
			finish_by_own_terms(note);
		}
		if (now - sync_at >= SYNC_EVERY_NS && !stopping) {
			/* DIR removed under us: nobody can reach this watch any more, and the journal
			 * would grow in unlinked files beyond every limit */
			struct stat js;
			if (stat(jr.jdir, &js) && errno == ENOENT) {
				slog("%s was removed: stopping", jr.jdir);
				begin_stop("stopped: the watch directory was removed");
			}
		}
		if (now - sync_at >= SYNC_EVERY_NS) {
			/* what the journal holds completely, as of this sync (made durable by the
			 * sync thread; synced_until follows once it is done) */
			uint64_t mark = 0;
			if (w.pid && w.ready && !gap.on && !paused.on) {
				mark = jr.last_wall;
				if (drained_wall > DRAIN_MARGIN_NS && drained_wall - DRAIN_MARGIN_NS > mark)
					mark = drained_wall - DRAIN_MARGIN_NS;
			}
			int fd = journal_sync_fd(&jr);
			if (fd >= 0)
				syncer_submit(fd, mark);
			else if (mark > st.synced_until_ns && syncer_idle()) {
				/* nothing written since the last sync, which is done: already durable */
				st.synced_until_ns = mark;
				status_dirty = true;
			}
			sync_at = now;
		}
		if (syncer_done() > st.synced_until_ns) {
			st.synced_until_ns = syncer_done();
			status_dirty = true;
		}
		onhit_tick();
		if ((status_dirty && now - status_at >= STATUS_MIN_NS) || now - status_at >= STATUS_BEAT_NS)
			write_status();
	}

	/* stopped: everything durable, then the final status */
	if (rbuf.len)
		process_frames();
	syncer_drain();
	journal_sync(&jr);
	st.journal_bytes = jr.total_bytes;
	journal_close(&jr);
	onhit_stop();
	if (strcmp(st.state, "failed"))
		st.state = "stopped";
	st.pid = 0;
	st.worker_pid = 0;
	if (retire_unit) /* before the final status: "stopped" then means the unit is gone too */
		systemd_unit_retire(o->unit);
	write_status();
	snprintf(path, sizeof(path), "%s/supervisor.pid", o->dir);
	unlink(path);
	slog("supervisor pid %d %s", (int)self_pid, st.state);
	if (log_fd >= 0)
		close(log_fd);
	return strcmp(st.state, "failed") ? 0 : exit_code_fail;
}
