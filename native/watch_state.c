// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * watch_state.c: a watch DIR's small files. status.json and meta.json are written whole to a
 * temporary name and renamed, so a reader sees the old or the new one, never a mix. The pid
 * file names the supervisor by pid, start time and boot id: a pid reused by another process
 * (or the same pid after a reboot) is not mistaken for the supervisor. The JSON scanner reads
 * back only what these files themselves contain (top-level members of one object).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "watch.h"

uint64_t wall_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return t.tv_sec * 1000000000ull + t.tv_nsec;
}

uint64_t mono_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ull + t.tv_nsec;
}

static void json_opt_str(struct buf *b, const char *s)
{
	if (s && *s)
		json_escape(b, s, strlen(s));
	else
		buf_puts(b, "null");
}

static void json_opt_time(struct buf *b, uint64_t ns)
{
	if (ns)
		iso_time(b, ns);
	else
		buf_puts(b, "null");
}

static void json_opt_pid(struct buf *b, pid_t pid)
{
	if (pid > 0)
		buf_printf(b, "%d", (int)pid);
	else
		buf_puts(b, "null");
}

void json_str_array(struct buf *b, char **items, int n)
{
	buf_put(b, "[", 1);
	for (int i = 0; i < n; i++) {
		if (i)
			buf_put(b, ",", 1);
		json_escape(b, items[i], strlen(items[i]));
	}
	buf_put(b, "]", 1);
}

void json_families(struct buf *b, const char *families)
{
	const char *p = families;
	bool first = true;

	buf_put(b, "[", 1);
	while (*p) {
		size_t n = strcspn(p, ",");
		if (n) {
			if (!first)
				buf_put(b, ",", 1);
			json_escape(b, p, n);
			first = false;
		}
		p += n + (p[n] == ',');
	}
	buf_put(b, "]", 1);
}

#define U(x) ((unsigned long long)(x))

/* ,"unit":...,"persistent":... (how the watch runs: a systemd unit, or null for a daemon) */
static void json_unit(struct buf *b, const struct watch_opts *o)
{
	buf_puts(b, ",\"unit\":");
	json_opt_str(b, o->unit);
	buf_printf(b, ",\"persistent\":%s", o->persistent && o->unit ? "true" : "false");
	if (o->unit)
		buf_printf(b, ",\"memory_max_mb\":%llu,\"cpu_quota_pct\":%llu", U(o->memory_max_mb), U(o->cpu_quota_pct));
}

void status_json(struct buf *b, const struct watch_opts *o, const struct watch_status *s)
{
	buf_puts(b, "{\"id\":");
	json_escape(b, o->id, strlen(o->id));
	buf_puts(b, ",\"name\":");
	json_opt_str(b, o->name);
	buf_puts(b, ",\"dir\":");
	json_escape(b, o->dir, strlen(o->dir));
	buf_printf(b, ",\"state\":\"%s\",\"pid\":", s->state);
	json_opt_pid(b, s->pid);
	buf_puts(b, ",\"worker_pid\":");
	json_opt_pid(b, s->worker_pid);
	buf_puts(b, ",\"started\":");
	iso_time(b, o->started_ns);
	buf_puts(b, ",\"families\":");
	json_families(b, o->families);
	buf_puts(b, ",\"args\":");
	json_str_array(b, o->filters, o->n_filters);
	buf_printf(b,
		   ",\"events\":%llu,\"lost\":%llu,\"unjudged\":%llu,\"untracked\":%llu,\"dropped_cap\":%llu,\"dropped_space\":%llu"
		   ",\"gaps\":%llu,\"restarts\":%llu,\"first_cursor\":%llu,\"next_cursor\":%llu,\"last_event\":",
		   U(s->events), U(s->lost_base + s->worker_lost), U(s->unjudged_base + s->worker_unjudged),
		   U(s->untracked_base + s->worker_untracked),
		   U(s->dropped_cap), U(s->dropped_space), U(s->gaps), U(s->restarts), U(s->first_cursor),
		   U(s->next_cursor));
	json_opt_time(b, s->last_event_ns);
	buf_printf(b, ",\"journal_bytes\":%llu,\"error\":", U(s->journal_bytes));
	json_opt_str(b, s->error);
	buf_puts(b, ",\"note\":");
	json_opt_str(b, s->note);
	json_unit(b, o);
	buf_printf(b, ",\"on_hit_runs\":%llu,\"on_hit_suppressed\":%llu,\"on_hit_failed\":%llu,\"updated\":",
		   U(s->on_hit_runs), U(s->on_hit_suppressed), U(s->on_hit_failed));
	iso_time(b, wall_now_ns());
	/* for the next supervisor of this DIR (restart after a crash): where the gap starts and
	 * which part of `lost` the last worker had reported */
	static char boot[64];
	if (!boot[0])
		boot_id(boot, sizeof(boot));
	buf_printf(b, ",\"synced_until_ns\":%llu,\"worker_lost\":%llu,\"worker_unjudged\":%llu,\"worker_untracked\":%llu,\"writer_pid\":%d,\"boot_id\":",
		   U(s->synced_until_ns), U(s->worker_lost), U(s->worker_unjudged), U(s->worker_untracked), (int)getpid());
	json_escape(b, boot, strlen(boot));
	buf_puts(b, "}");
}

void print_start_answer(const struct watch_opts *o, pid_t pid, const char *unit)
{
	struct buf b = { 0 };

	buf_puts(&b, "{\"id\":");
	json_escape(&b, o->id, strlen(o->id));
	buf_printf(&b, ",\"state\":\"running\",\"pid\":%d,\"dir\":", (int)pid);
	json_escape(&b, o->dir, strlen(o->dir));
	if (unit)
		buf_printf(&b, ",\"unit\":\"%s\",\"persistent\":%s", unit, o->persistent ? "true" : "false");
	buf_puts(&b, "}\n");
	fputs(b.p, stdout);
	free(b.p);
}

void meta_json(struct buf *b, const struct watch_opts *o)
{
	buf_puts(b, "{\"id\":");
	json_escape(b, o->id, strlen(o->id));
	buf_puts(b, ",\"name\":");
	json_opt_str(b, o->name);
	buf_puts(b, ",\"families\":");
	json_families(b, o->families);
	buf_puts(b, ",\"args\":");
	json_str_array(b, o->filters, o->n_filters);
	buf_puts(b, ",\"started\":");
	iso_time(b, o->started_ns);
	buf_printf(b, ",\"started_ns\":%llu,\"max_mb\":%llu,\"keep_free_mb\":%llu,\"on_hit\":", U(o->started_ns),
		   U(o->max_mb), U(o->keep_free_mb));
	json_opt_str(b, o->on_hit);
	buf_puts(b, ",\"until\":");
	if (o->until_s)
		buf_printf(b, "%llu", U(o->until_s));
	else
		buf_puts(b, "null");
	buf_puts(b, ",\"max_events\":");
	if (o->max_events)
		buf_printf(b, "%llu", U(o->max_events));
	else
		buf_puts(b, "null");
	json_unit(b, o);
	buf_puts(b, "}");
}

int write_file_atomic(const char *dir, const char *name, const void *data, size_t len)
{
	char tmp[4200], dst[4200];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, name);
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, (const char *)data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : ENOSPC;
			close(fd);
			unlink(tmp);
			errno = e;
			return -1;
		}
		off += w;
	}
	close(fd);
	if (rename(tmp, dst)) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

int read_small_file(const char *path, struct buf *b)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char tmp[8192];
	ssize_t n;

	b->len = 0;
	if (fd < 0)
		return -1;
	while ((n = read(fd, tmp, sizeof(tmp))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || b->len > (1u << 20)) {
			int e = n < 0 ? errno : EFBIG;
			close(fd);
			errno = e;
			return -1;
		}
		buf_put(b, tmp, n);
	}
	close(fd);
	buf_put(b, "", 0); /* NUL-terminated even when empty */
	return 0;
}

/* ---- JSON scanner (top-level members of one object) ---- */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
		p++;
	return p;
}

static const char *skip_string(const char *p)
{
	for (p++; *p && *p != '"'; p++)
		if (*p == '\\' && p[1])
			p++;
	return *p == '"' ? p + 1 : NULL;
}

static const char *skip_value(const char *p)
{
	if (*p == '"')
		return skip_string(p);
	if (*p == '{' || *p == '[') {
		int depth = 0;
		while (*p) {
			if (*p == '"') {
				p = skip_string(p);
				if (!p)
					return NULL;
				continue;
			}
			if (*p == '{' || *p == '[')
				depth++;
			else if (*p == '}' || *p == ']') {
				if (--depth == 0)
					return p + 1;
			}
			p++;
		}
		return NULL;
	}
	const char *s = p;
	while (*p && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n')
		p++;
	return p > s ? p : NULL;
}

bool json_get(const char *js, const char *key, const char **val, size_t *len)
{
	const char *p = skip_ws(js);
	size_t kl = strlen(key);

	if (*p != '{')
		return false;
	p = skip_ws(p + 1);
	while (*p == '"') {
		const char *k = p + 1, *ke = skip_string(p);
		if (!ke)
			return false;
		p = skip_ws(ke);
		if (*p != ':')
			return false;
		p = skip_ws(p + 1);
		const char *v = p;
		p = skip_value(p);
		if (!p)
			return false;
		if ((size_t)(ke - 1 - k) == kl && !memcmp(k, key, kl)) {
			*val = v;
			*len = p - v;
			return true;
		}
		p = skip_ws(p);
		if (*p != ',')
			return false;
		p = skip_ws(p + 1);
	}
	return false;
}

uint64_t json_u64(const char *js, const char *key, uint64_t def)
{
	const char *v;
	size_t n;

	if (!json_get(js, key, &v, &n) || n == 0 || *v < '0' || *v > '9')
		return def;
	return strtoull(v, NULL, 10);
}

bool json_is_str(const char *js, const char *key, const char *s)
{
	const char *v;
	size_t n;
	struct buf q = { 0 };
	bool eq;

	if (!json_get(js, key, &v, &n))
		return false;
	json_escape(&q, s, strlen(s));
	eq = q.len == n && !memcmp(q.p, v, n);
	free(q.p);
	return eq;
}

void json_patch(struct buf *out, const char *js, const char *key, const char *raw)
{
	const char *v;
	size_t n;

	out->len = 0;
	if (json_get(js, key, &v, &n)) {
		buf_put(out, js, v - js);
		buf_puts(out, raw);
		buf_puts(out, v + n);
		return;
	}
	const char *end = strrchr(js, '}');
	if (!end) {
		buf_puts(out, js);
		return;
	}
	buf_put(out, js, end - js);
	buf_printf(out, "%s\"%s\":%s", skip_ws(js)[1] == '}' ? "" : ",", key, raw);
	buf_puts(out, end);
}

/* ---- pid file ---- */

void boot_id(char *out, size_t n)
{
	struct buf b = { 0 };

	out[0] = 0;
	if (read_small_file("/proc/sys/kernel/random/boot_id", &b) == 0) {
		snprintf(out, n, "%.*s", (int)strcspn(b.p, "\n "), b.p);
	}
	free(b.p);
}

/* Field 22 of /proc/PID/stat (start time in clock ticks after boot); 0 when gone or a zombie. */
static unsigned long long proc_starttime(pid_t pid)
{
	char path[64];
	struct buf b = { 0 };
	unsigned long long st = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small_file(path, &b) == 0) {
		char *p = strrchr(b.p, ')'); /* comm may hold spaces and parentheses */
		if (p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X') {
			p += 2;
			for (int field = 3; field < 22 && p; field++) {
				p = strchr(p, ' ');
				if (p)
					p++;
			}
			if (p)
				st = strtoull(p, NULL, 10);
		}
	}
	free(b.p);
	return st;
}

bool proc_is_exe(pid_t pid, const char *exe)
{
	char path[64], got[4200];
	ssize_t n;
	size_t el = strlen(exe);

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, got, sizeof(got) - 1);
	if (n <= 0)
		return false;
	got[n] = 0;
	return !strcmp(got, exe) || ((size_t)n == el + 10 && !strncmp(got, exe, el) && !strcmp(got + el, " (deleted)"));
}

int pidfile_write(const char *dir)
{
	char exe[4200], bid[64];
	struct buf b = { 0 };
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int rc;

	if (n <= 0)
		return -1;
	exe[n] = 0;
	boot_id(bid, sizeof(bid));
	buf_printf(&b, "%d %llu %s %s\n", (int)getpid(), proc_starttime(getpid()), bid[0] ? bid : "-", exe);
	rc = write_file_atomic(dir, "supervisor.pid", b.p, b.len);
	free(b.p);
	return rc;
}

pid_t supervisor_alive(const char *dir, pid_t *recorded, char *exe, size_t exen)
{
	char path[4200], bid[64], fbid[64];
	struct buf b = { 0 };
	int pid = 0, off = 0;
	unsigned long long start = 0;
	pid_t alive = 0;

	*recorded = 0;
	if (exe && exen)
		exe[0] = 0;
	snprintf(path, sizeof(path), "%s/supervisor.pid", dir);
	if (read_small_file(path, &b))
		return 0;
	if (sscanf(b.p, "%d %llu %63s %n", &pid, &start, fbid, &off) >= 3 && pid > 0 && off > 0) {
		char *e = b.p + off;
		e[strcspn(e, "\n")] = 0;
		*recorded = pid;
		if (exe && exen)
			snprintf(exe, exen, "%s", e);
		boot_id(bid, sizeof(bid));
		if (!strcmp(bid[0] ? bid : "-", fbid) && start && proc_starttime(pid) == start && proc_is_exe(pid, e))
			alive = pid;
	}
	free(b.p);
	return alive;
}
