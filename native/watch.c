// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * watch.c: `kwitness-agent watch start|status|list|read|stop`. Each prints one line of JSON on
 * success (read: wire frames); an error is one line on stderr naming the cause, exit 1; bad
 * usage exits 2.
 *
 * start: checks DIR (created 0700; refused when it holds a live supervisor, other files, or is
 * not writable), writes meta.json, double-forks the supervisor (setsid) and waits on a pipe
 * until the supervisor says the first worker's ready record is journaled, or why it failed.
 * A flock on DIR/supervisor.lock, taken here and inherited by the supervisor, makes two starts
 * on one DIR exclusive; status and stop judge liveness by the pid file (pid + start time + boot
 * id + executable), never by a lock, so they never block a writer.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include "watch.h"

static void usage_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kwitness-agent: watch ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see kwitness-agent --help)\n");
	exit(WATCH_EXIT_USAGE);
}

static int fail_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail_line(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kwitness-agent: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static uint64_t num_arg(const char *flag, const char *v, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long n;

	if (!v)
		usage_fail("%s needs a value", flag);
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || !*v || *end || v[0] == '-' || n < min || n > max)
		usage_fail("%s: bad value '%s' (expected an integer %llu..%llu)", flag, v, (unsigned long long)min,
			   (unsigned long long)max);
	return n;
}

/* DIR as an absolute, lexically normalised path. */
static void abs_dir(char *out, size_t n, const char *flag, const char *v)
{
	struct buf b = { 0 };
	char cwd[4096];

	if (!v || !*v)
		usage_fail("%s needs a directory", flag);
	if (v[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd)))
			usage_fail("%s %s: relative, and the current directory is unknown", flag, v);
		buf_puts(&b, cwd);
		buf_puts(&b, "/");
	}
	buf_puts(&b, v);
	path_normalize(&b);
	if (b.len >= n - 64)
		usage_fail("%s: path too long", flag);
	snprintf(out, n, "%s", b.p);
	free(b.p);
}

static bool exists(const char *dir, const char *name)
{
	char p[4200];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &st) == 0;
}

static bool is_watch_dir(const char *dir)
{
	return exists(dir, "meta.json") || exists(dir, "status.json");
}

/*
 * The status object of DIR as `watch status` prints it: status.json with "state" corrected when
 * the supervisor is gone (stopping -> stopped; starting/running -> failed) and "pid" null then.
 * -1 when DIR is no watch.
 */
static int status_of(const char *dir, struct buf *out, const char *extra_note)
{
	pid_t rec;
	pid_t alive = supervisor_alive(dir, &rec, NULL, 0); /* before reading: a final write precedes exit */
	char path[4200];
	struct buf s = { 0 }, t = { 0 };

	snprintf(path, sizeof(path), "%s/status.json", dir);
	if (read_small_file(path, &s) || s.len == 0) {
		snprintf(path, sizeof(path), "%s/meta.json", dir);
		if (read_small_file(path, &s) || s.len == 0) {
			free(s.p);
			return -1;
		}
		/* a supervisor that died before its first status write */
		json_patch(&t, s.p, "state", "\"starting\"");
		s.len = 0;
		buf_put(&s, t.p, t.len);
	}
	while (s.len && (s.p[s.len - 1] == '\n' || s.p[s.len - 1] == ' '))
		s.p[--s.len] = 0;
#define PATCH(key, raw)                          \
	do {                                     \
		json_patch(&t, s.p, key, raw);   \
		s.len = 0;                       \
		buf_put(&s, t.p, t.len);         \
	} while (0)
	if (alive) {
		char pid[32];
		snprintf(pid, sizeof(pid), "%d", (int)alive);
		PATCH("pid", pid);
		if (json_u64(s.p, "writer_pid", 0) != (uint64_t)alive)
			PATCH("state", "\"starting\""); /* the last supervisor's file: the new one has not written yet */
	} else {
		if (json_is_str(s.p, "state", "stopping")) {
			PATCH("state", "\"stopped\"");
		} else if (!json_is_str(s.p, "state", "stopped") && !json_is_str(s.p, "state", "failed")) {
			PATCH("state", "\"failed\"");
			const char *v;
			size_t vl;
			if (!json_get(s.p, "error", &v, &vl) || (vl == 4 && !memcmp(v, "null", 4))) {
				struct buf e = { 0 };
				char m[160];
				if (rec)
					snprintf(m, sizeof(m), "the supervisor (pid %d) is gone: it was killed, or the host rebooted", (int)rec);
				else
					snprintf(m, sizeof(m), "the supervisor is gone: it was killed, or the host rebooted");
				json_escape(&e, m, strlen(m));
				PATCH("error", e.p);
				free(e.p);
			}
		}
		PATCH("pid", "null");
		PATCH("worker_pid", "null");
	}
	struct buf d = { 0 };
	json_escape(&d, dir, strlen(dir));
	PATCH("dir", d.p);
	if (extra_note) {
		d.len = 0;
		json_escape(&d, extra_note, strlen(extra_note));
		PATCH("note", d.p);
	}
#undef PATCH
	free(d.p);
	out->len = 0;
	buf_put(out, s.p, s.len);
	free(s.p);
	free(t.p);
	return 0;
}

/* ---- start ---- */

/*
 * What the worker will run (`trace FAMILIES FILTERS`, or `trace guard RULES`), checked by the
 * trace's own parser now, so a bad watch fails at start and not in its worker. The output format,
 * heartbeat and linger belong to the watch itself.
 */
static void check_trace_args(const char *families, char **f, int n)
{
	static const char *const own[] = { "--format", "--heartbeat-timeout", "--linger", "--session", "--backlog-mb" };
	struct kw_opts o = KW_OPTS_DEFAULT;
	char *argv[66], err[512];

	for (int i = 0; i < n; i++)
		for (size_t k = 0; k < sizeof(own) / sizeof(own[0]); k++)
			if (!strcmp(f[i], own[k]))
				usage_fail("start: %s is set by the watch itself", f[i]);
	argv[0] = (char *)families;
	for (int i = 0; i < n && i < 64; i++)
		argv[i + 1] = f[i];
	int rc = parse_trace_args(&o, n + 1, argv, err, sizeof(err));
	opts_reset(&o);
	if (rc)
		usage_fail("start: %s", err);
}

static int mkdir_p(const char *dir)
{
	char p[4200];
	size_t n = strlen(dir);

	if (n >= sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(p, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != 0)
			continue;
		char c = p[i];
		p[i] = 0;
		if (mkdir(p, 0700) && errno != EEXIST)
			return -1;
		p[i] = c;
	}
	struct stat st;
	if (stat(dir, &st))
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/* An existing DIR that is not a watch's (and not empty) is refused: we would litter it. */
static bool foreign_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool foreign = false;

	if (!d)
		return false;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			foreign = true;
	closedir(d);
	return foreign && !is_watch_dir(dir) && !exists(dir, "journal");
}

/* The value of a JSON string member, unescaped well enough for a message. */
static void json_str_for_msg(const char *js, const char *key, char *out, size_t n)
{
	const char *v;
	size_t vl;

	out[0] = 0;
	if (json_get(js, key, &v, &vl) && vl >= 2 && *v == '"')
		snprintf(out, n, "%.*s", (int)(vl - 2), v + 1);
}

static int watch_start(int argc, char **argv)
{
	static struct watch_opts o;
	const char *dir_arg = NULL;
	int i;

	/* the supervisor a systemd unit starts reads its arguments from DIR/start.args */
	if (argc >= 1 && !strcmp(argv[0], "--args-file")) {
		if (argc != 2)
			usage_fail("start: --args-file FILE takes no other arguments");
		if (watch_args_file(argv[1], &argc, &argv))
			return fail_line("cannot read the watch's arguments from %s: %s", argv[1],
					 errno ? strerror(errno) : "empty or not NUL-terminated");
	}
	o.max_mb = 256;
	o.keep_free_mb = 512;
	o.memory_max_mb = 512;
	o.cpu_quota_pct = 100;
	o.service = "auto";
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-')
			break; /* FAMILIES */
		if (!strcmp(a, "--dir"))
			dir_arg = v, i++;
		else if (!strcmp(a, "--id"))
			o.id = v, i++;
		else if (!strcmp(a, "--name"))
			o.name = v, i++;
		else if (!strcmp(a, "--max-mb"))
			o.max_mb = num_arg(a, v, 1, 1 << 20), i++;
		else if (!strcmp(a, "--keep-free-mb"))
			o.keep_free_mb = num_arg(a, v, 0, 1ull << 30), i++;
		else if (!strcmp(a, "--on-hit")) {
			if (!v || !*v)
				usage_fail("start: --on-hit needs a command");
			o.on_hit = v, i++;
		} else if (!strcmp(a, "--until"))
			o.until_s = num_arg(a, v, 1, 1ull << 40), i++;
		else if (!strcmp(a, "--max-events"))
			o.max_events = num_arg(a, v, 1, 1ull << 53), i++;
		else if (!strcmp(a, "--foreground"))
			o.foreground = true;
		else if (!strcmp(a, "--service")) {
			if (!v || (strcmp(v, "auto") && strcmp(v, "systemd") && strcmp(v, "daemon")))
				usage_fail("start: --service: expected auto, systemd or daemon, got '%s'", v ? v : "");
			o.service = v, i++;
		} else if (!strcmp(a, "--persistent"))
			o.persistent = true;
		else if (!strcmp(a, "--memory-max-mb"))
			o.memory_max_mb = num_arg(a, v, 16, 1 << 20), i++;
		else if (!strcmp(a, "--cpu-quota"))
			o.cpu_quota_pct = num_arg(a, v, 1, 100 * 1024), i++;
		else if (!strcmp(a, "--replay")) {
			/* the worker plays a recorded wire stream back instead of tracing (benchmarks) */
			static char replay_path[4096];
			if (!v || !realpath(v, replay_path))
				usage_fail("start: --replay: cannot read the recording '%s': %s", v ? v : "", v ? strerror(errno) : "no file given");
			o.replay = replay_path, i++;
		} else if (!strcmp(a, "--replay-rate"))
			o.replay_rate = num_arg(a, v, 0, 1ull << 32), i++;
		else if (!strcmp(a, "--unit")) {
			/* internal: written into start.args for the supervisor a unit runs */
			if (!v || strncmp(v, "kwitness-watch-", 15) || strchr(v, '/'))
				usage_fail("start: --unit is set by the agent itself");
			o.unit = v, i++;
		} else
			usage_fail("start: unknown flag '%s'", a);
	}
	if (!dir_arg)
		usage_fail("start: --dir DIR is required");
	if (!o.id || !*o.id)
		usage_fail("start: --id ID is required");
	if (strlen(o.id) > 200 || strpbrk(o.id, "\n\r\t"))
		usage_fail("start: --id: at most 200 characters, no control characters");
	if (i >= argc)
		usage_fail("start: missing families after -- (e.g. -- unlink,create,exec --path-prefix /srv)");
	o.families = argv[i];
	o.filters = argv + i + 1;
	o.n_filters = argc - i - 1;
	if (o.n_filters > 64)
		usage_fail("start: at most 64 trace filter arguments");
	check_trace_args(o.families, o.filters, o.n_filters);
	if (o.until_s && o.until_s * 1000000000ull <= wall_now_ns())
		usage_fail("start: --until %llu is in the past", (unsigned long long)o.until_s);
	abs_dir(o.dir, sizeof(o.dir), "--dir", dir_arg);
	if (o.persistent && !strcmp(o.service, "daemon"))
		usage_fail("start: --persistent needs --service systemd or auto (a daemon does not survive a reboot)");

	/* where systemd runs, the supervisor becomes its unit (watch_systemd.c) */
	static char unit[300];
	bool as_unit = false;
	if (!o.unit && !o.foreground && strcmp(o.service, "daemon")) {
		char why[200];
		bool required = o.persistent || !strcmp(o.service, "systemd");
		as_unit = systemd_available(why, sizeof(why));
		if (as_unit && !systemd_unit_name(&o, unit, sizeof(unit))) {
			as_unit = false;
			snprintf(why, sizeof(why), "the watch id and directory must be [A-Za-z0-9_./-] for a systemd unit");
		}
		if (!as_unit && required)
			return fail_line("%s: %s", o.persistent ? "--persistent (a watch that survives a reboot)" : "--service systemd",
					 why);
	}

	/* DIR: created 0700, writable, ours, not already running */
	if (mkdir_p(o.dir))
		return fail_line("cannot create watch dir %s: %s", o.dir, strerror(errno));
	if (foreign_dir(o.dir))
		return fail_line("%s exists and is not a watch directory (it holds other files)", o.dir);
	char path[4200];
	snprintf(path, sizeof(path), "%s/supervisor.lock", o.dir);
	int lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0)
		return fail_line("cannot write to watch dir %s: %s", o.dir, strerror(errno));
	struct buf meta = { 0 };
	snprintf(path, sizeof(path), "%s/meta.json", o.dir);
	bool had_meta = read_small_file(path, &meta) == 0 && meta.len;
	char old_id[256] = "";
	if (had_meta)
		json_str_for_msg(meta.p, "id", old_id, sizeof(old_id));
	pid_t rec, alive = supervisor_alive(o.dir, &rec, NULL, 0);
	if (flock(lock, LOCK_EX | LOCK_NB) || alive) {
		if (!alive && !rec)
			return fail_line("watch %s is being started by another process", old_id[0] ? old_id : o.id);
		return fail_line("watch %s is already running (pid %d)", old_id[0] ? old_id : o.id, (int)(alive ? alive : rec));
	}
	if (had_meta && !json_is_str(meta.p, "id", o.id))
		return fail_line("%s holds watch %s, not %s", o.dir, old_id, o.id);
	struct statvfs v;
	if (statvfs(o.dir, &v) == 0 && (uint64_t)v.f_bavail * v.f_frsize < (o.keep_free_mb << 20))
		return fail_line("not enough free space for watch %s: %llu MiB free on the file system of %s, --keep-free-mb %llu",
				 o.id, (unsigned long long)((uint64_t)v.f_bavail * v.f_frsize >> 20), o.dir,
				 (unsigned long long)o.keep_free_mb);
	o.started_ns = had_meta ? json_u64(meta.p, "started_ns", 0) : 0;
	if (!o.started_ns)
		o.started_ns = wall_now_ns();
	if (as_unit)
		o.unit = unit; /* meta.json names it from the start: a stop during the start finds it */
	meta.len = 0;
	meta_json(&meta, &o);
	buf_put(&meta, "\n", 1);
	if (write_file_atomic(o.dir, "meta.json", meta.p, meta.len))
		return fail_line("cannot write to watch dir %s: %s", o.dir, strerror(errno));
	free(meta.p);

	if (as_unit) {
		close(lock); /* the unit's supervisor takes it */
		return systemd_watch_start(&o, unit);
	}
	if (o.foreground)
		return supervisor_run(&o, -1); /* the lock stays held by this process */

	int rp[2];
	if (pipe2(rp, O_CLOEXEC))
		return fail_line("cannot start watch %s: %s", o.id, strerror(errno));
	fflush(NULL);
	pid_t c = fork();
	if (c < 0)
		return fail_line("cannot start watch %s: %s", o.id, strerror(errno));
	if (c == 0) {
		/* the middle process: a new session, then the supervisor as its orphan */
		close(rp[0]);
		setsid();
		pid_t s = fork();
		if (s == 0)
			_exit(supervisor_run(&o, rp[1]));
		_exit(s < 0 ? 1 : 0);
	}
	close(rp[1]);
	close(lock); /* the supervisor holds it now */
	int ws;
	while (waitpid(c, &ws, 0) < 0 && errno == EINTR)
		;
	char msg[2048];
	size_t got = 0;
	for (;;) {
		ssize_t n = read(rp[0], msg + got, sizeof(msg) - 1 - got);
		if (n < 0 && errno == EINTR) {
			if (stop)
				return fail_line("interrupted while watch %s was starting (see watch status --dir %s)", o.id, o.dir);
			continue;
		}
		if (n <= 0 || got + n >= sizeof(msg) - 1) {
			if (n > 0)
				got += n;
			break;
		}
		got += n;
	}
	msg[got] = 0;
	msg[strcspn(msg, "\n")] = 0;
	int spid;
	if (sscanf(msg, "OK %d", &spid) == 1) {
		print_start_answer(&o, spid, NULL);
		return 0;
	}
	if (msg[0] == 'E') {
		char *sp = strchr(msg, ' ');
		int code = atoi(msg + 1);
		fprintf(stderr, "%s%s\n", sp && !strncmp(sp + 1, "kwitness-agent: ", 16) ? "" : "kwitness-agent: ", sp ? sp + 1 : msg);
		return code == WATCH_EXIT_USAGE ? WATCH_EXIT_USAGE : 1;
	}
	return fail_line("watch %s: the supervisor ended while starting (see %s/agent.log)", o.id, o.dir);
}

/* ---- status, list ---- */

static const char *dir_flag(int argc, char **argv, const char *sub, bool *keep)
{
	static char dir[4096];
	bool have = false;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--dir") && !have) {
			abs_dir(dir, sizeof(dir), "--dir", i + 1 < argc ? argv[i + 1] : NULL);
			have = true;
			i++;
		} else if (keep && !strcmp(argv[i], "--keep")) {
			*keep = true;
		} else {
			usage_fail("%s: unknown argument '%s'", sub, argv[i]);
		}
	}
	if (!have)
		usage_fail("%s: --dir DIR is required", sub);
	return dir;
}

static int watch_status(int argc, char **argv)
{
	const char *dir = dir_flag(argc, argv, "status", NULL);
	struct buf b = { 0 };

	if (status_of(dir, &b, NULL))
		return fail_line("no watch at %s", dir);
	printf("%s\n", b.p);
	free(b.p);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int watch_list(int argc, char **argv)
{
	char root[4096];
	bool have = false;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--root") && !have) {
			abs_dir(root, sizeof(root), "--root", i + 1 < argc ? argv[i + 1] : NULL);
			have = true;
			i++;
		} else {
			usage_fail("list: unknown argument '%s'", argv[i]);
		}
	}
	if (!have)
		usage_fail("list: --root ROOT is required");
	DIR *d = opendir(root);
	if (!d) {
		if (errno == ENOENT) {
			puts("[]"); /* no watch was ever started under ROOT */
			return 0;
		}
		return fail_line("cannot read %s: %s", root, strerror(errno));
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			names = realloc(names, cap * sizeof(*names));
			if (!names)
				return fail_line("out of memory");
		}
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	struct buf all = { 0 }, one = { 0 };
	buf_put(&all, "[", 1);
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		char sub[4200];
		struct stat st;
		snprintf(sub, sizeof(sub), "%s%s%s", root, strcmp(root, "/") ? "/" : "", names[i]);
		if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode) && status_of(sub, &one, NULL) == 0) {
			if (!first)
				buf_put(&all, ",", 1);
			buf_put(&all, one.p, one.len);
			first = false;
		}
		free(names[i]);
	}
	free(names);
	buf_puts(&all, "]\n");
	fputs(all.p, stdout);
	free(all.p);
	free(one.p);
	return 0;
}

/* ---- stop ---- */

static bool gone(pid_t pid, const char *exe)
{
	return !exe[0] || !proc_is_exe(pid, exe);
}

/* Removes what a watch puts in DIR, then DIR itself; false when other files keep it. */
static bool remove_watch_dir(const char *dir)
{
	static const char *const names[] = { "meta.json", "meta.json.tmp", "status.json", "status.json.tmp",
					     "supervisor.pid", "supervisor.pid.tmp", "supervisor.lock",
					     "agent.log", "agent.log.1", "kwitness-agent", "kwitness-agent.tmp",
					     "start.args", "start.args.tmp", "start.result", "start.result.tmp" };
	char p[4200];

	snprintf(p, sizeof(p), "%s/journal", dir);
	DIR *d = opendir(p);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d)))
			if (!strncmp(e->d_name, "seg-", 4))
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
		rmdir(p);
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	return rmdir(dir) == 0 || errno == ENOENT;
}

static void sync_journal(const char *dir)
{
	char p[4200];

	snprintf(p, sizeof(p), "%s/journal", dir);
	DIR *d = opendir(p);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
	}
	fsync(dirfd(d));
	closedir(d);
}

static int watch_stop(int argc, char **argv)
{
	bool keep = false;
	const char *dir = dir_flag(argc, argv, "stop", &keep);
	char exe[4200], path[4200], note[300] = "";
	pid_t rec;
	struct buf s = { 0 };

	if (!is_watch_dir(dir))
		return fail_line("no watch at %s", dir);
	/* a systemd watch: its unit stops it (and a persistent one is removed), else the
	 * manager would restart it; the steps below then find the supervisor gone */
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	if (read_small_file(path, &s) == 0) {
		char unit[300];
		const char *v;
		size_t vl;
		json_str_for_msg(s.p, "unit", unit, sizeof(unit));
		bool persistent = json_get(s.p, "persistent", &v, &vl) && vl == 4 && !memcmp(v, "true", 4);
		if (!strncmp(unit, "kwitness-watch-", 15) && !strchr(unit, '/') && !strchr(unit, '\\'))
			systemd_watch_stop(unit, persistent, note, sizeof(note));
	}
	free(s.p);
	s = (struct buf){ 0 };
	pid_t alive = supervisor_alive(dir, &rec, exe, sizeof(exe));
	snprintf(path, sizeof(path), "%s/status.json", dir);
	pid_t worker = 0;
	if (read_small_file(path, &s) == 0)
		worker = json_u64(s.p, "worker_pid", 0);
	free(s.p);
	s = (struct buf){ 0 };
	if (alive) {
		/* SIGTERM: the supervisor stops its worker (which detaches its BPF programs), syncs
		 * the journal, writes the final status and exits */
		kill(alive, SIGTERM);
		uint64_t t0 = mono_now_ns();
		bool killed = false;
		while (!gone(alive, exe)) {
			uint64_t waited = mono_now_ns() - t0;
			if (!killed && waited > 60 * 1000000000ull) {
				kill(alive, SIGKILL);
				killed = true;
				snprintf(note, sizeof(note), "the supervisor (pid %d) did not stop within 60 s: killed", (int)alive);
			}
			if (waited > 90 * 1000000000ull)
				return fail_line("watch in %s: the supervisor (pid %d) does not exit", dir, (int)alive);
			usleep(20000);
		}
	} else if (rec) {
		snprintf(note, sizeof(note), "the supervisor (pid %d) was already gone (stale pid file): cleaned up", (int)rec);
	}
	/* its worker ends with it (stdin EOF, parent-death signal); wait for that too */
	if (worker > 0 && exe[0]) {
		uint64_t t0 = mono_now_ns();
		while (!gone(worker, exe) && mono_now_ns() - t0 < 30 * 1000000000ull)
			usleep(20000);
		if (!gone(worker, exe)) {
			kill(worker, SIGKILL);
			snprintf(note, sizeof(note), "the worker (pid %d) outlived its supervisor: killed", (int)worker);
		}
	}
	sync_journal(dir);
	if (status_of(dir, &s, note[0] ? note : NULL))
		return fail_line("no watch at %s", dir);
	snprintf(path, sizeof(path), "%s/supervisor.pid", dir);
	unlink(path); /* a stale one (a live supervisor removes its own) */
	if (!keep && !remove_watch_dir(dir)) {
		struct buf t = { 0 }, q = { 0 };
		char m[600];
		snprintf(m, sizeof(m), "%s kept: it holds files that are not the watch's", dir);
		json_escape(&q, m, strlen(m));
		json_patch(&t, s.p, "note", q.p);
		s.len = 0;
		buf_put(&s, t.p, t.len);
		free(t.p);
		free(q.p);
	}
	printf("%s\n", s.p);
	free(s.p);
	return 0;
}

int cmd_watch(int argc, char **argv)
{
	if (argc < 1)
		usage_fail("needs a subcommand: start, status, list, read or stop");
	const char *sub = argv[0];
	if (!strcmp(sub, "start"))
		return watch_start(argc - 1, argv + 1);
	if (!strcmp(sub, "status"))
		return watch_status(argc - 1, argv + 1);
	if (!strcmp(sub, "list"))
		return watch_list(argc - 1, argv + 1);
	if (!strcmp(sub, "read"))
		return cmd_watch_read(argc - 1, argv + 1);
	if (!strcmp(sub, "stop"))
		return watch_stop(argc - 1, argv + 1);
	usage_fail("unknown subcommand '%s' (expected start, status, list, read or stop)", sub);
}
