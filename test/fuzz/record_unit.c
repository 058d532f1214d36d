// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * record_unit.c: unit checks of the record builder (native/enrich.c, tcache.c, emit.c) under
 * ASan, with raw records built by hand (rawrec.h):
 *   - the per-thread path cache stays bounded (entries, bytes, and the heap as ASan counts it)
 *     while 100,000 threads each report a file event from their own 2 KiB-deep cwd;
 *   - a thread that keeps working is not the one dropped; a dropped one falls back to /proc;
 *   - a process's exit drops its entry;
 *   - an inode number above 2^53-1 is a decimal string in json and the exact u64 on the wire;
 *   - an unreadable name is an empty path with name_unreadable, never its directory;
 *   - a file in another mount namespace is named where the host mounts its file system (the
 *     highest directory mounted, escapes undone), else flagged not on the host (hostpath.c).
 * Prints 'ok NAME' / 'FAIL NAME: why'; exit 1 on any failure.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sanitizer/allocator_interface.h>
#include "record.h"
#include "check.h"
#include "rawrec.h"

volatile sig_atomic_t stop; /* agent.h (main.c in the agent) */

static int failures;

static void result(const char *name, const char *why)
{
	if (why) {
		printf("FAIL %s: %s\n", name, why);
		failures++;
	} else {
		printf("ok %s\n", name);
	}
}

/* Pids no kernel hands out (pid_max <= 2^22): /proc lookups for them fail at once. */
#define NO_PID 5000000u

static char walk[4096];

/* One unlink of NAME relative to the cwd; cwd_walk NULL: "same cwd as before" (KW_R_CWD_SAME). */
static void unlink_rel(uint32_t pid, uint32_t tid, const char *cwd_walk, const char *name)
{
	struct rb b;

	rb_init(&b, KW_UNLINK, KW_P_TP_UNLINKAT, pid);
	b.r.tid = tid;
	b.r.ppid = 0;
	b.r.anc[0] = 0;
	b.r.op = KW_OP_UNLINK;
	b.r.exit_code = (uint32_t)-100; /* AT_FDCWD */
	b.r.rflags = KW_R_BASE_CWD | (cwd_walk ? 0 : KW_R_CWD_SAME);
	if (cwd_walk)
		rb_s(&b, KW_S_CWD, cwd_walk);
	rb_s(&b, KW_S_NAME, name);
	handle_event(NULL, &b.r, rb_size(&b));
}

/* The value of "key":"..." in the last json line of `out` (no escapes in what we look for). */
static const char *json_str(const char *key, char *val, size_t n)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	const char *p = out.p ? strstr(out.p, pat) : NULL;
	val[0] = 0;
	if (!p)
		return val;
	p += strlen(pat);
	const char *q = strchr(p, '"');
	snprintf(val, n, "%.*s", (int)(q ? q - p : 0), p);
	return val;
}

static void check_bounded(void)
{
	const char *name = "tcache: 100,000 threads with 2 KiB cwds stay within the bounds";
	size_t heap0 = __sanitizer_get_current_allocated_bytes(), peak_heap = 0, peak_n = 0, peak_b = 0;
	char why[256] = "";

	for (uint32_t i = 0; i < 100000; i++) {
		/* the kernel's walk, leaf first: "d<i>/xxxx.../" is the cwd /xxxx.../d<i> */
		int k = snprintf(walk, sizeof(walk), "d%u/", i);
		memset(walk + k, 'x', 2048);
		walk[k + 2048] = '/';
		walk[k + 2049] = 0;
		unlink_rel(NO_PID + i, NO_PID + i, walk, "f");
		out.len = 0;
		size_t heap = __sanitizer_get_current_allocated_bytes() - heap0;
		peak_heap = heap > peak_heap ? heap : peak_heap;
		peak_n = tcache_count() > peak_n ? tcache_count() : peak_n;
		peak_b = tcache_bytes() > peak_b ? tcache_bytes() : peak_b;
	}
	printf("     peak: %zu entries, %zu KiB of paths and entries, heap +%zu KiB\n", peak_n, peak_b >> 10,
	       peak_heap >> 10);
	if (peak_n > TC_MAX_ENTRIES)
		snprintf(why, sizeof(why), "%zu entries > %d", peak_n, TC_MAX_ENTRIES);
	else if (peak_b > TC_MAX_BYTES)
		snprintf(why, sizeof(why), "%zu bytes > %u", peak_b, TC_MAX_BYTES);
	else if (peak_heap > TC_MAX_BYTES + (8u << 20)) /* the cache plus allocator slack */
		snprintf(why, sizeof(why), "heap grew by %zu KiB", peak_heap >> 10);
	result(name, why[0] ? why : NULL);
}

static void check_lru(void)
{
	const char *name = "tcache: a thread that keeps working keeps its cwd while 50,000 others come and go";
	char v[4096], why[4200] = "";
	const uint32_t busy = NO_PID + 900000;

	unlink_rel(busy, busy, "a/keep/", "first");
	for (uint32_t i = 0; i < 50000 && !why[0]; i++) {
		unlink_rel(NO_PID + 200000 + i, NO_PID + 200000 + i, "b/other/", "f");
		out.len = 0;
		if (i % 1000 == 999) {
			unlink_rel(busy, busy, NULL, "n"); /* the kernel says: same cwd as last time */
			if (strcmp(json_str("path", v, sizeof(v)), "/keep/a/n"))
				snprintf(why, sizeof(why), "after %u others: path %s, expected /keep/a/n", i + 1, v);
			out.len = 0;
		}
	}
	result(name, why[0] ? why : NULL);
}

static void check_miss_falls_back(void)
{
	const char *name = "tcache: a dropped thread's \"same cwd\" record reads its cwd from /proc";
	char v[4096], cwd[4096], why[9000] = "";
	uint32_t me = getpid(), tid = gettid();

	unlink_rel(me, tid, "zz/nowhere/", "a");
	out.len = 0;
	for (uint32_t i = 0; i < 2 * TC_MAX_ENTRIES; i++) {
		unlink_rel(NO_PID + 300000 + i, NO_PID + 300000 + i, "c/other/", "f");
		out.len = 0;
	}
	unlink_rel(me, tid, NULL, "b");
	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(why, sizeof(why), "getcwd failed");
	else if (strcmp(json_str("cwd", v, sizeof(v)), cwd))
		snprintf(why, sizeof(why), "cwd %s, expected %s (from /proc)", v, cwd);
	out.len = 0;
	result(name, why[0] ? why : NULL);
}

static void check_exit_drops(void)
{
	const char *name = "tcache: a process exit drops its entry";
	const uint32_t pid = NO_PID + 950000;
	char why[128] = "";
	struct rb b;

	unlink_rel(pid, pid, "e/", "f");
	out.len = 0;
	size_t before = tcache_count(), bytes = tcache_bytes();
	rb_init(&b, KW_RAW_EXIT_NOTE, KW_P_TP_SCHED_EXIT, pid);
	handle_event(NULL, &b.r, rb_size(&b));
	if (tcache_count() != before - 1 || tcache_bytes() >= bytes)
		snprintf(why, sizeof(why), "entries %zu -> %zu", before, tcache_count());
	result(name, why[0] ? why : NULL);
}

/* An unlink with a known inode, as json (wire false) or wire; leaves the output in `out`. */
static void unlink_ino(uint64_t ino, bool wire)
{
	struct rb b;

	opt.wire = wire;
	out.len = 0;
	rb_init(&b, KW_UNLINK, KW_P_TP_UNLINK, NO_PID + 960000);
	b.r.op = KW_OP_UNLINK;
	b.r.rflags = KW_R_BASE_NONE | KW_R_INODE;
	b.r.ino = ino;
	b.r.dev = 1 << 20 | 2;
	rb_s(&b, KW_S_CWD, "");
	rb_s(&b, KW_S_NAME, "/overlay/merged/f");
	handle_event(NULL, &b.r, rb_size(&b));
	opt.wire = false;
}

static void check_ino(void)
{
	const char *name = "ino 2^63+5 is \"9223372036854775813\" in json and exact on the wire; 2^53-1 stays a number";
	const uint64_t big = (1ull << 63) + 5, safe = (1ull << 53) - 1;
	char why[512] = "";
	const char *err;

	unlink_ino(big, false);
	if (!strstr(out.p, ",\"ino\":\"9223372036854775813\""))
		snprintf(why, sizeof(why), "json: %.300s", out.p);
	else if ((err = json_lines_check(out.p, out.len)))
		snprintf(why, sizeof(why), "%s", err);
	unlink_ino(safe, false);
	if (!why[0] && !strstr(out.p, ",\"ino\":9007199254740991,"))
		snprintf(why, sizeof(why), "json: %.300s", out.p);
	unlink_ino(big, true);
	struct kw_file_rec f;
	if (!why[0]) {
		memcpy(&f, out.p + 4, sizeof(f));
		if (f.ino != big)
			snprintf(why, sizeof(why), "wire: ino %llu", (unsigned long long)f.ino);
		else if ((err = wire_frames_check((const unsigned char *)out.p, out.len)))
			snprintf(why, sizeof(why), "%s", err);
	}
	out.len = 0;
	result(name, why[0] ? why : NULL);
}

/*
 * unlinkat(dirfd, "", 0): the kernel sends no name (KW_R_NAME_UNREAD) and the dirfd's walk. The
 * event must not name that directory as the file: path "" and name_unreadable, in json and wire;
 * with --path-prefix it is judged by the directory, so a watched one still reports it.
 */
static void check_unreadable(void)
{
	const char *name = "an unreadable name: path \"\" + name_unreadable (json, wire), judged by its dir";
	char why[512] = "";
	const char *err;
	struct rb b;

	for (int wire = 0; wire < 2 && !why[0]; wire++) {
		opt.wire = wire;
		out.len = 0;
		rb_init(&b, KW_UNLINK, KW_P_TP_UNLINKAT, NO_PID + 970000);
		b.r.op = KW_OP_UNLINK;
		b.r.ret = -2;
		b.r.exit_code = 3;
		b.r.rflags = KW_R_NAME_UNREAD;
		rb_s(&b, KW_S_CWD, "");
		rb_s(&b, KW_S_BASE, "dir/watched/");
		opt.prefix[opt.n_prefix++] = strdup("/watched");
		handle_event(NULL, &b.r, rb_size(&b));
		free(opt.prefix[--opt.n_prefix]);
		if (!out.len)
			snprintf(why, sizeof(why), "%s: no event although its directory is under the prefix", wire ? "wire" : "json");
		else if (!wire && (!strstr(out.p, ",\"path\":\"\"") || !strstr(out.p, ",\"name_unreadable\":true")))
			snprintf(why, sizeof(why), "json: %.300s", out.p);
		else if (!wire && (err = json_lines_check(out.p, out.len)))
			snprintf(why, sizeof(why), "%s", err);
		else if (wire && (err = wire_frames_check((const unsigned char *)out.p, out.len)))
			snprintf(why, sizeof(why), "%s", err);
		else if (wire) {
			struct kw_file_rec f;
			uint32_t plen;
			memcpy(&f, out.p + 4, sizeof(f));
			/* the path is the 7th string after the fixed part: comm exe cwd cgroup container probe path */
			const char *q = out.p + 4 + sizeof(f);
			for (int k = 0; k < 6; k++) {
				memcpy(&plen, q, 4);
				q += 4 + plen;
			}
			memcpy(&plen, q, 4);
			if (!(f.hdr.flags & KW_F_NAME_UNREADABLE) || plen)
				snprintf(why, sizeof(why), "wire: flags 0x%x, path %u bytes", f.hdr.flags, plen);
		}
	}
	opt.wire = false;
	out.len = 0;
	result(name, why[0] ? why : NULL);
}

/* hostpath.c against a fixed mountinfo: which host mount names a file system path. */
static void check_hostpath(void)
{
	const char *name = "hostpath: bind mounts, overlays, escapes, file systems the host lacks";
	char file[] = "/tmp/kw-mountinfo-XXXXXX";
	int fd = mkstemp(file);
	/* 254:0 is / and also bound at /mnt/data (root /srv/data); 0:77 an overlay at a path with a
	 * space; 254:1 only a directory of it (/vol) at /export */
	const char *mi =
		"22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
		"40 22 254:0 /srv/data /mnt/data rw - ext4 /dev/vda1 rw\n"
		"41 22 0:77 / /var/lib/c/merged\\040x rw - overlay overlay rw,lowerdir=/l\n"
		"42 22 254:1 /vol /export rw - xfs /dev/vdb rw\n";
	char why[256] = "";
	struct {
		uint32_t dev;
		const char *fsp, *want; /* want NULL: not on the host */
	} t[] = {
		{ 254u << 20, "/srv/data/f", "/srv/data/f" },        /* the fs root's mount wins over the bind */
		{ 254u << 20, "/", "/" },
		{ 77u, "/data/f", "/var/lib/c/merged x/data/f" },   /* \040 is a space */
		{ 77u, "/", "/var/lib/c/merged x" },
		{ (254u << 20) | 1, "/vol/a", "/export/a" },
		{ (254u << 20) | 1, "/volume/a", NULL },             /* /vol is not a parent of /volume */
		{ (254u << 20) | 1, "/other", NULL },
		{ 78u, "/f", NULL },                                 /* a tmpfs only the container mounts */
	};

	if (fd < 0 || write(fd, mi, strlen(mi)) != (ssize_t)strlen(mi)) {
		result(name, "cannot write the mountinfo file");
		return;
	}
	close(fd);
	hostpath_use_mountinfo(file);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]) && !why[0]; i++) {
		struct buf b = { 0 };
		bool ok = hostpath_map(t[i].dev, t[i].fsp, strlen(t[i].fsp), &b);
		if (ok != (t[i].want != NULL) || (ok && strcmp(b.p, t[i].want)))
			snprintf(why, sizeof(why), "%s on %u:%u: got %s, want %s", t[i].fsp, t[i].dev >> 20,
				 t[i].dev & 0xfffff, ok ? b.p : "(none)", t[i].want ? t[i].want : "(none)");
		free(b.p);
	}
	hostpath_use_mountinfo("/proc/self/mountinfo");
	unlink(file);
	result(name, why[0] ? why : NULL);
}

/* hostpath_overlay: which layer of an overlay a container's file lives (or lived) in. */
static void check_overlay_layer(void)
{
	const char *name = "hostpath: an overlay file's layer (upper; a removed file from a lower layer)";
	char dir[] = "/tmp/kw-ovl-XXXXXX", file[] = "/tmp/kw-mountinfo-XXXXXX", p[512], mi[2048], why[300] = "";
	if (!mkdtemp(dir)) {
		result(name, "mkdtemp");
		return;
	}
	const char *mk[] = { "l1", "l2", "l2/data", "u" };
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, mk[i]);
		mkdir(p, 0755);
	}
	snprintf(p, sizeof(p), "%s/l2/data/a", dir);
	fclose(fopen(p, "w"));
	snprintf(mi, sizeof(mi),
		 "22 1 254:0 / / rw - ext4 /dev/vda1 rw\n"
		 "50 22 0:90 / /merged rw - overlay overlay rw,lowerdir=%s/l1:%s/l2,upperdir=%s/u,workdir=%s/w\n",
		 dir, dir, dir, dir);
	int fd = mkstemp(file);
	if (fd < 0 || write(fd, mi, strlen(mi)) != (ssize_t)strlen(mi)) {
		result(name, "cannot write the mountinfo file");
		return;
	}
	close(fd);
	hostpath_use_mountinfo(file);
	struct buf b = { 0 };
	hostpath_map(254u << 20, "/", 1, &b); /* loads the table */
	struct {
		const char *path;
		bool removed, ok, lower;
		const char *rel; /* under dir */
	} t[] = {
		{ "/merged/data/a", true, true, true, "/l2/data/a" },   /* came with the image: lower */
		{ "/merged/data/b", true, true, false, "/u/data/b" },   /* made in the container: upper */
		{ "/merged/data/a", false, true, false, "/u/data/a" },  /* written: copied up */
		{ "/srv/x", true, false, false, NULL },                 /* not on an overlay */
	};
	for (size_t i = 0; i < 4 && !why[0]; i++) {
		bool lower = false;
		b.len = 0;
		bool ok = hostpath_overlay(t[i].path, strlen(t[i].path), t[i].removed, &b, &lower);
		char want[512] = "";
		if (t[i].rel)
			snprintf(want, sizeof(want), "%s%s", dir, t[i].rel);
		if (ok != t[i].ok || (ok && (lower != t[i].lower || strcmp(b.p, want))))
			snprintf(why, sizeof(why), "%s: got %s %s, want %s %s", t[i].path, ok ? (lower ? "lower" : "upper") : "none",
				 ok ? b.p : "", t[i].ok ? (t[i].lower ? "lower" : "upper") : "none", want);
	}
	free(b.p);
	hostpath_use_mountinfo("/proc/self/mountinfo");
	unlink(file);
	const char *rm[] = { "l2/data/a", "l2/data", "l2", "l1", "u" };
	for (size_t i = 0; i < 5; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, rm[i]);
		remove(p);
	}
	rmdir(dir);
	result(name, why[0] ? why : NULL);
}

int main(void)
{
	opt.families = KW_FAM_UNLINK | KW_FAM_CREATE | KW_FAM_EXEC;
	check_bounded();
	check_lru();
	check_miss_falls_back();
	check_exit_drops();
	check_ino();
	check_unreadable();
	check_hostpath();
	check_overlay_layer();
	return failures ? 1 : 0;
}
