// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * main.c: kwitness-agent. `trace` loads the BPF programs (choosing per probe what this kernel
 * offers), reads the ring buffer, enriches raw records (absolute paths, exe, ancestors,
 * cgroup path, container) and writes json lines or wire frames to stdout. `probe` and `btf`
 * live in probe.c.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "agent.h"
#include "watch.h"
#include "kwitness.skel.h"

#define EXIT_USAGE 2
#define MAX_ANC 16

static struct {
	unsigned families;
	bool wire;
	bool verbose;
	const char *attach;
	char *prefix[KW_MAX_PREFIX];
	int n_prefix;
	uint32_t pid;
	int64_t uid;
	char comm[KW_COMM_LEN];
	bool has_comm;
	const char *cgroup;
	bool failed_only;
	uint32_t ringbuf_kb;
	uint32_t argv_max;
	uint32_t heartbeat_s;
} opt = { .attach = "auto", .uid = -1, .ringbuf_kb = 16384, .argv_max = 4096 };

volatile sig_atomic_t stop; /* agent.h */
static int64_t boot_to_wall;
static char kernel_rel[128], kernel_arch[64];
static uint64_t lost_total;     /* events that matched every filter and were not delivered */
static uint64_t unjudged_total; /* events dropped before --path-prefix could be finished on them */

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "kwitness-agent: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see kwitness-agent --help)\n");
	exit(EXIT_USAGE);
}

static const char usage[] =
	"usage: kwitness-agent probe\n"
	"       kwitness-agent trace unlink,create,exec [--format json|wire] [--path-prefix P]...\n"
	"                [--pid N] [--comm NAME] [--uid U] [--cgroup PATH] [--failed-only]\n"
	"                [--attach auto|fentry|kprobe|tracepoint] [--ringbuf-kb N] [--argv-max BYTES]\n"
	"                [--heartbeat-timeout SECONDS] [-v]\n"
	"       kwitness-agent watch start --dir DIR --id ID [--name NAME] [--max-mb N] [--keep-free-mb N]\n"
	"                [--on-hit CMD] [--until EPOCH_S] [--max-events N] [--foreground] -- FAMILIES [filters]\n"
	"       kwitness-agent watch status --dir DIR | list --root ROOT | stop --dir DIR [--keep]\n"
	"       kwitness-agent watch read --dir DIR [--since CURSOR] [--limit N] [--from-ns W] [--to-ns W]\n"
	"                [--path-prefix P]... [--follow]\n"
	"       kwitness-agent btf FUNC\n";

static uint64_t parse_num(const char *flag, const char *v, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long n;

	if (!v)
		usage_error("%s needs a value", flag);
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || !*v || *end || v[0] == '-' || n < min || n > max)
		usage_error("%s: bad value '%s' (expected an integer %llu..%llu)", flag, v,
			    (unsigned long long)min, (unsigned long long)max);
	return n;
}

static void parse_trace_args(int argc, char **argv)
{
	if (argc < 1 || argv[0][0] == '-')
		usage_error("trace: missing families (e.g. unlink,create,exec)");
	char *fams = strdup(argv[0]);
	for (char *save, *t = strtok_r(fams, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "unlink"))
			opt.families |= KW_FAM_UNLINK;
		else if (!strcmp(t, "create"))
			opt.families |= KW_FAM_CREATE;
		else if (!strcmp(t, "exec"))
			opt.families |= KW_FAM_EXEC;
		else
			usage_error("trace: unknown family '%s' (expected unlink, create, exec)", t);
	}
	free(fams);
	if (!opt.families)
		usage_error("trace: missing families (e.g. unlink,create,exec)");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--format")) {
			if (!v || (strcmp(v, "json") && strcmp(v, "wire")))
				usage_error("--format: expected json or wire, got '%s'", v ? v : "");
			opt.wire = !strcmp(v, "wire");
			i++;
		} else if (!strcmp(a, "--path-prefix")) {
			if (!v || v[0] != '/')
				usage_error("--path-prefix: expected an absolute path, got '%s'", v ? v : "");
			if (opt.n_prefix == KW_MAX_PREFIX)
				usage_error("--path-prefix: at most %d prefixes", KW_MAX_PREFIX);
			struct buf b = { 0 };
			buf_puts(&b, v);
			path_normalize(&b);
			opt.prefix[opt.n_prefix++] = b.p;
			i++;
		} else if (!strcmp(a, "--pid")) {
			opt.pid = parse_num(a, v, 1, INT_MAX);
			i++;
		} else if (!strcmp(a, "--uid")) {
			opt.uid = parse_num(a, v, 0, 0xfffffffe);
			i++;
		} else if (!strcmp(a, "--comm")) {
			if (!v || !*v)
				usage_error("--comm needs a process name");
			snprintf(opt.comm, sizeof(opt.comm), "%s", v); /* the kernel keeps 15 bytes */
			opt.has_comm = true;
			i++;
		} else if (!strcmp(a, "--cgroup")) {
			if (!v || !*v)
				usage_error("--cgroup needs a cgroup path");
			opt.cgroup = v;
			i++;
		} else if (!strcmp(a, "--failed-only")) {
			opt.failed_only = true;
		} else if (!strcmp(a, "--attach")) {
			if (!v || (strcmp(v, "auto") && strcmp(v, "fentry") && strcmp(v, "kprobe") &&
				   strcmp(v, "tracepoint")))
				usage_error("--attach: expected auto, fentry, kprobe or tracepoint, got '%s'", v ? v : "");
			opt.attach = v;
			i++;
		} else if (!strcmp(a, "--ringbuf-kb")) {
			opt.ringbuf_kb = parse_num(a, v, 64, 1 << 20);
			i++;
		} else if (!strcmp(a, "--heartbeat-timeout")) {
			/* exit when stdin stays silent this long (the client writes a byte now and then) */
			opt.heartbeat_s = parse_num(a, v, 1, 86400);
			i++;
		} else if (!strcmp(a, "--argv-max")) {
			opt.argv_max = parse_num(a, v, 16, KW_ARGV_MAX);
			i++;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			opt.verbose = true;
		} else {
			usage_error("trace: unknown flag '%s'", a);
		}
	}
}

/* ---- clocks ---- */

static uint64_t clock_ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return t.tv_sec * 1000000000ull + t.tv_nsec;
}

static void sync_clocks(void)
{
	uint64_t b1 = clock_ns(CLOCK_BOOTTIME), w = clock_ns(CLOCK_REALTIME), b2 = clock_ns(CLOCK_BOOTTIME);

	boot_to_wall = (int64_t)w - (int64_t)(b1 + (b2 - b1) / 2);
}

/* ---- records ---- */

struct sv {
	const char *p;
	size_t n;
};

static struct sv sv_c(const char *s)
{
	return (struct sv){ s ? s : "", s ? strlen(s) : 0 };
}

struct ev {
	uint16_t kind, flags;
	uint64_t ktime, wall;
	const struct kw_raw *r;
	struct sv comm, exe, cwd, cgroup, container, probe;
	bool has_container;
	/* unlink/create */
	struct sv path, old_path, target;
	uint32_t dev;
	uint64_t ino;
	uint8_t op;
	/* exec */
	struct sv filename, interp, argv;
	uint32_t argc;
	/* exit */
	int32_t exit_code;
	uint32_t signal;
	uint64_t duration;
	/* ancestors */
	uint32_t n_anc;
	uint32_t anc_pid[MAX_ANC];
	struct sv anc_comm[MAX_ANC], anc_exe[MAX_ANC];
};

static const char *probe_names[KW_P_MAX] = {
	[KW_P_TP_UNLINK] = "tracepoint:syscalls:sys_exit_unlink",
	[KW_P_TP_UNLINKAT] = "tracepoint:syscalls:sys_exit_unlinkat",
	[KW_P_TP_RMDIR] = "tracepoint:syscalls:sys_exit_rmdir",
	[KW_P_TP_RENAME] = "tracepoint:syscalls:sys_exit_rename",
	[KW_P_TP_RENAMEAT] = "tracepoint:syscalls:sys_exit_renameat",
	[KW_P_TP_RENAMEAT2] = "tracepoint:syscalls:sys_exit_renameat2",
	[KW_P_TP_OPEN] = "tracepoint:syscalls:sys_exit_open",
	[KW_P_TP_OPENAT] = "tracepoint:syscalls:sys_exit_openat",
	[KW_P_TP_OPENAT2] = "tracepoint:syscalls:sys_exit_openat2",
	[KW_P_TP_CREAT] = "tracepoint:syscalls:sys_exit_creat",
	[KW_P_TP_MKDIR] = "tracepoint:syscalls:sys_exit_mkdir",
	[KW_P_TP_MKDIRAT] = "tracepoint:syscalls:sys_exit_mkdirat",
	[KW_P_TP_MKNOD] = "tracepoint:syscalls:sys_exit_mknod",
	[KW_P_TP_MKNODAT] = "tracepoint:syscalls:sys_exit_mknodat",
	[KW_P_TP_LINK] = "tracepoint:syscalls:sys_exit_link",
	[KW_P_TP_LINKAT] = "tracepoint:syscalls:sys_exit_linkat",
	[KW_P_TP_SYMLINK] = "tracepoint:syscalls:sys_exit_symlink",
	[KW_P_TP_SYMLINKAT] = "tracepoint:syscalls:sys_exit_symlinkat",
	[KW_P_TP_EXECVE] = "tracepoint:syscalls:sys_exit_execve",
	[KW_P_TP_EXECVEAT] = "tracepoint:syscalls:sys_exit_execveat",
	[KW_P_TP_SCHED_EXEC] = "tracepoint:sched:sched_process_exec",
	[KW_P_TP_SCHED_EXIT] = "tracepoint:sched:sched_process_exit",
	[KW_P_FX_DO_UNLINKAT] = "fexit:do_unlinkat",
	[KW_P_FX_DO_RMDIR] = "fexit:do_rmdir",
	[KW_P_FX_DO_MKDIRAT] = "fexit:do_mkdirat",
	[KW_P_FX_DO_RENAMEAT2] = "fexit:do_renameat2",
	[KW_P_KRP_DO_UNLINKAT] = "kretprobe:do_unlinkat",
	[KW_P_KRP_DO_RMDIR] = "kretprobe:do_rmdir",
	[KW_P_KRP_DO_MKDIRAT] = "kretprobe:do_mkdirat",
	[KW_P_KRP_DO_RENAMEAT2] = "kretprobe:do_renameat2",
	[KW_P_FX_DO_FILP_OPEN] = "fexit:do_filp_open",
	[KW_P_KRP_DO_FILP_OPEN] = "kretprobe:do_filp_open",
};

static const char *op_names[] = {
	[KW_OP_UNLINK] = "unlink", [KW_OP_RMDIR] = "rmdir", [KW_OP_RENAME] = "rename",
	[KW_OP_OPEN] = "open", [KW_OP_MKDIR] = "mkdir", [KW_OP_MKNOD] = "mknod",
	[KW_OP_LINK] = "link", [KW_OP_SYMLINK] = "symlink",
};

static const char *type_names[] = {
	[KW_UNLINK] = "unlink", [KW_CREATE] = "create", [KW_EXEC] = "exec", [KW_EXIT] = "exit",
};

/* A string slot of a raw record, bounds-checked against the sample size. */
static struct sv slot(const struct kw_raw *r, size_t data_sz, int s)
{
	size_t off = r->off[s], len = r->len[s];

	if (off + len > data_sz)
		return (struct sv){ "", 0 };
	return (struct sv){ r->data + off, len };
}

static uint32_t new_encode_dev(uint32_t kdev)
{
	uint32_t major = kdev >> 20, minor = kdev & 0xfffff;

	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

static void json_sv(struct buf *b, const char *key, struct sv s)
{
	buf_put(b, ",", 1);
	json_bytes(b, key, s.p, s.n);
}

static void emit_json(struct ev *e)
{
	struct buf *b = &out;
	const struct kw_raw *r = e->r;

	buf_printf(b, "{\"type\":\"%s\",\"time\":", type_names[e->kind]);
	iso_time(b, e->wall);
	buf_printf(b, ",\"ktime_ns\":%llu,\"pid\":%u,\"tid\":%u,\"ppid\":%u,\"uid\":%u,\"gid\":%u",
		   (unsigned long long)e->ktime, r->pid, r->tid, r->ppid, r->uid, r->gid);
	/* the process part repeats for every event of a busy process: reuse it while the
	 * pid, comm, exe, cwd, cgroup and the pid table are unchanged */
	static struct buf frag, key;
	static uint64_t frag_gen = ~0ull;
	size_t klen = 0;
	key.len = 0;
	buf_put(&key, &r->pid, 4);
	buf_put(&key, &r->cgroup_id, 8);
	buf_put(&key, e->comm.p, e->comm.n);
	buf_put(&key, "", 1);
	buf_put(&key, e->exe.p, e->exe.n);
	buf_put(&key, "", 1);
	buf_put(&key, e->cwd.p, e->cwd.n);
	klen = key.len;
	static struct buf last_key;
	if (frag_gen != proc_generation || last_key.len != klen || memcmp(last_key.p, key.p, klen)) {
		struct buf *f = &frag;
		f->len = 0;
		json_sv(f, "comm", e->comm);
		json_sv(f, "exe", e->exe);
		json_sv(f, "cwd", e->cwd);
		buf_puts(f, ",\"ancestors\":[");
		for (uint32_t i = 0; i < e->n_anc; i++) {
			buf_printf(f, "%s{\"pid\":%u", i ? "," : "", e->anc_pid[i]);
			json_sv(f, "comm", e->anc_comm[i]);
			json_sv(f, "exe", e->anc_exe[i]);
			buf_put(f, "}", 1);
		}
		buf_put(f, "]", 1);
		json_sv(f, "cgroup", e->cgroup);
		buf_puts(f, ",\"container\":");
		if (e->has_container)
			json_escape(f, e->container.p, e->container.n);
		else
			buf_puts(f, "null");
		last_key.len = 0;
		buf_put(&last_key, key.p, klen);
		frag_gen = proc_generation;
	}
	buf_put(b, frag.p, frag.len);
	buf_printf(b, ",\"ret\":%d,\"probe\":\"%s\"", r->ret, e->probe.p);
	if (e->kind == KW_UNLINK || e->kind == KW_CREATE) {
		buf_printf(b, ",\"op\":\"%s\"", op_names[e->op]);
		json_sv(b, "path", e->path);
		if (e->flags & KW_F_PATH_TRUNC)
			buf_puts(b, ",\"path_truncated\":true");
		buf_printf(b, ",\"dev\":%u,\"ino\":%llu", e->dev, (unsigned long long)e->ino);
		if (e->flags & KW_F_OLD_PATH)
			json_sv(b, "old_path", e->old_path);
		if (e->kind == KW_UNLINK)
			buf_printf(b, ",\"last_link\":%s", e->flags & KW_F_LAST_LINK ? "true" : "false");
		if (e->flags & KW_F_TARGET)
			json_sv(b, "target", e->target);
	} else if (e->kind == KW_EXEC) {
		json_sv(b, "filename", e->filename);
		buf_puts(b, ",\"argv\":[");
		bool bad = false;
		const char *p = e->argv.p, *end = p + e->argv.n;
		for (uint32_t i = 0; i < e->argc; i++) {
			size_t n = strnlen(p, end - p);
			buf_puts(b, i ? "," : "");
			json_escape(b, p, n);
			bad |= !utf8_valid((const unsigned char *)p, n);
			p += n + 1;
		}
		buf_put(b, "]", 1);
		if (bad) {
			buf_puts(b, ",\"argv_b64\":[");
			p = e->argv.p;
			for (uint32_t i = 0; i < e->argc; i++) {
				size_t n = strnlen(p, end - p);
				buf_puts(b, i ? "," : "");
				if (utf8_valid((const unsigned char *)p, n)) {
					buf_puts(b, "null");
				} else {
					buf_put(b, "\"", 1);
					base64(b, (const unsigned char *)p, n);
					buf_put(b, "\"", 1);
				}
				p += n + 1;
			}
			buf_put(b, "]", 1);
		}
		buf_printf(b, ",\"argv_truncated\":%s", e->flags & KW_F_ARGV_TRUNC ? "true" : "false");
		if (e->flags & KW_F_INTERP)
			json_sv(b, "interpreter", e->interp);
		else
			buf_puts(b, ",\"interpreter\":null");
	} else if (e->kind == KW_EXIT) {
		buf_printf(b, ",\"exit_code\":%d,\"signal\":%u,\"duration_ns\":%llu", e->exit_code, e->signal,
			   (unsigned long long)e->duration);
	}
	buf_puts(b, "}\n");
}

static void wire_sv(struct buf *b, struct sv s)
{
	buf_str(b, s.p, s.n);
}

static void emit_wire(struct ev *e)
{
	struct buf *b = &out;
	size_t start = b->len;
	const struct kw_raw *r = e->r;
	struct kw_proc proc = {
		.wall_ns = e->wall, .cgroup_id = r->cgroup_id, .pid = r->pid, .tid = r->tid,
		.ppid = r->ppid, .uid = r->uid, .gid = r->gid, .ret = r->ret, .n_anc = e->n_anc,
	};
	struct kw_hdr hdr = { .kind = e->kind, .flags = e->flags, .ktime_ns = e->ktime };

	buf_u32(b, 0); /* frame length, patched below */
	if (e->kind == KW_UNLINK || e->kind == KW_CREATE) {
		struct kw_file_rec f = { .hdr = hdr, .proc = proc, .ino = e->ino, .dev = e->dev, .op = e->op };
		buf_put(b, &f, sizeof(f));
	} else if (e->kind == KW_EXEC) {
		struct kw_exec_rec x = { .hdr = hdr, .proc = proc, .argc = e->argc };
		buf_put(b, &x, sizeof(x));
	} else {
		struct kw_exit_rec x = { .hdr = hdr, .proc = proc, .duration_ns = e->duration,
					 .exit_code = e->exit_code, .signal = e->signal };
		buf_put(b, &x, sizeof(x));
	}
	wire_sv(b, e->comm);
	wire_sv(b, e->exe);
	wire_sv(b, e->cwd);
	wire_sv(b, e->cgroup);
	wire_sv(b, e->has_container ? e->container : (struct sv){ "", 0 });
	wire_sv(b, e->probe);
	if (e->kind == KW_UNLINK || e->kind == KW_CREATE) {
		wire_sv(b, e->path);
		wire_sv(b, e->old_path);
		wire_sv(b, e->target);
	} else if (e->kind == KW_EXEC) {
		wire_sv(b, e->filename);
		wire_sv(b, e->interp);
		const char *p = e->argv.p, *end = p + e->argv.n;
		for (uint32_t i = 0; i < e->argc; i++) {
			size_t n = strnlen(p, end - p);
			buf_str(b, p, n);
			p += n + 1;
		}
	}
	for (uint32_t i = 0; i < e->n_anc; i++) {
		buf_u32(b, e->anc_pid[i]);
		wire_sv(b, e->anc_comm[i]);
		wire_sv(b, e->anc_exe[i]);
	}
	uint32_t size = b->len - start - 4;
	memcpy(b->p + start, &size, 4);
	memcpy(b->p + start + 4 + offsetof(struct kw_hdr, size), &size, 4);
}

static void emit_simple_wire(uint16_t kind, const void *fixed, size_t fixed_sz)
{
	uint32_t size = fixed_sz;

	buf_u32(&out, size);
	size_t at = out.len;
	buf_put(&out, fixed, fixed_sz);
	memcpy(out.p + at + offsetof(struct kw_hdr, size), &size, 4);
}

static void emit_error(const char *msg)
{
	uint64_t wall = clock_ns(CLOCK_REALTIME);

	if (opt.wire) {
		struct kw_error_rec e = { .hdr = { .kind = KW_ERROR, .ktime_ns = clock_ns(CLOCK_BOOTTIME) }, .wall_ns = wall };
		size_t start = out.len;
		emit_simple_wire(KW_ERROR, &e, sizeof(e));
		buf_str(&out, msg, strlen(msg));
		uint32_t size = out.len - start - 4;
		memcpy(out.p + start, &size, 4);
		memcpy(out.p + start + 4 + offsetof(struct kw_hdr, size), &size, 4);
		return;
	}
	buf_puts(&out, "{\"type\":\"error\",\"time\":");
	iso_time(&out, wall);
	buf_puts(&out, ",\"message\":");
	json_escape(&out, msg, strlen(msg));
	buf_puts(&out, "}\n");
}

static void emit_lost(uint64_t count, uint64_t unjudged)
{
	uint64_t wall = clock_ns(CLOCK_REALTIME);

	if (opt.wire) {
		struct kw_lost_rec l = { .hdr = { .kind = KW_LOST, .ktime_ns = clock_ns(CLOCK_BOOTTIME) },
					 .wall_ns = wall, .count = count, .total = lost_total,
					 .unjudged = unjudged, .unjudged_total = unjudged_total };
		emit_simple_wire(KW_LOST, &l, sizeof(l));
		return;
	}
	buf_puts(&out, "{\"type\":\"lost\",\"time\":");
	iso_time(&out, wall);
	buf_printf(&out, ",\"count\":%llu,\"total\":%llu,\"unjudged\":%llu,\"unjudged_total\":%llu}\n",
		   (unsigned long long)count, (unsigned long long)lost_total, (unsigned long long)unjudged,
		   (unsigned long long)unjudged_total);
}

/* ---- enrichment ---- */

/* Per thread: the cwd and dirfd paths of its last delivered file event (KW_R_*_SAME). */
struct tcache {
	uint32_t tid;
	struct buf cwd, base;
	struct tcache *next;
};
#define TC_BUCKETS 8192
static struct tcache *tct[TC_BUCKETS];

static struct tcache *tcache_get(uint32_t tid)
{
	struct tcache *t;

	for (t = tct[tid % TC_BUCKETS]; t; t = t->next)
		if (t->tid == tid)
			return t;
	t = calloc(1, sizeof(*t));
	if (!t) {
		fprintf(stderr, "kwitness-agent: out of memory\n");
		exit(1);
	}
	t->tid = tid;
	t->next = tct[tid % TC_BUCKETS];
	tct[tid % TC_BUCKETS] = t;
	return t;
}

static struct buf b_path, b_old, b_cwd, b_exe, b_interp;

/* Absolute path of (base walk or cwd) + name, normalised. */
static void build_path(struct buf *dst, const struct kw_raw *r, size_t dsz, int name_slot, int base_slot,
		       uint16_t none_flag, uint16_t cwd_flag, struct sv cwd, struct sv cached_base)
{
	struct sv name = slot(r, dsz, name_slot);

	dst->len = 0;
	if (r->rflags & none_flag) {
		buf_put(dst, name.p, name.n);
	} else {
		if (r->rflags & cwd_flag)
			buf_put(dst, cwd.p, cwd.n);
		else if (cached_base.p)
			buf_put(dst, cached_base.p, cached_base.n);
		else {
			struct sv base = slot(r, dsz, base_slot);
			path_from_walk(dst, base.p, base.n);
		}
		buf_put(dst, "/", 1);
		buf_put(dst, name.p, name.n);
	}
	path_normalize(dst);
}

static bool prefix_match(const char *p, size_t n)
{
	if (!opt.n_prefix)
		return true;
	for (int i = 0; i < opt.n_prefix; i++) {
		size_t k = strlen(opt.prefix[i]);
		if (k == 1 || (n >= k && !memcmp(p, opt.prefix[i], k) && (n == k || p[k] == '/')))
			return true;
	}
	return false;
}

static void fill_ancestors(struct ev *e, const struct kw_raw *r)
{
	struct proc_ent *self = proc_get(r->pid);
	uint32_t cur = self ? self->ppid : r->ppid;

	e->n_anc = 0;
	for (int i = 0; i < MAX_ANC && cur; i++) {
		struct proc_ent *p = proc_get(cur);
		const char *exe = proc_exe(cur);
		p = proc_get(cur);
		e->anc_pid[e->n_anc] = cur;
		e->anc_comm[e->n_anc] = p ? (struct sv){ p->comm, strnlen(p->comm, KW_COMM_LEN) } : sv_c("");
		e->anc_exe[e->n_anc] = sv_c(exe);
		e->n_anc++;
		if (cur == 1)
			break;
		/* the kernel chain when the table does not know this one */
		uint32_t next = p ? p->ppid : 0;
		if (!next && !self && i + 1 < KW_ANC_BPF)
			next = r->anc[i + 1];
		cur = next;
	}
}

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct kw_raw *r = data;
	struct ev e;
	char cid[65];

	if (size < KW_RAW_FIXED || r->hdr.size > size) {
		emit_error("short ring buffer sample");
		return 0;
	}
	size_t dsz = size - KW_RAW_FIXED;
	char comm[KW_COMM_LEN + 1];
	memcpy(comm, r->comm, KW_COMM_LEN);
	comm[KW_COMM_LEN] = 0;

	switch (r->hdr.kind) {
	case KW_RAW_FORK:
		proc_fork(r->pid, r->ppid, comm);
		return 0;
	case KW_RAW_EXEC_NOTE: {
		struct sv x = slot(r, dsz, KW_S_EXE);
		b_exe.len = 0;
		path_from_walk(&b_exe, x.p, x.n);
		proc_exec(r->pid, comm, b_exe.p, r->hdr.ktime_ns);
		return 0;
	}
	case KW_RAW_EXIT_NOTE:
		proc_exit(r->pid);
		return 0;
	case KW_RAW_CGROUP: {
		struct sv x = slot(r, dsz, KW_S_NAME);
		cgroup_learn(r->cgroup_id, x.p, x.n);
		return 0;
	}
	case KW_UNLINK:
	case KW_CREATE:
	case KW_EXEC:
	case KW_EXIT:
		break;
	default:
		emit_error("unknown raw record kind");
		return 0;
	}

	memset(&e, 0, sizeof(e));
	e.kind = r->hdr.kind;
	e.r = r;
	e.ktime = r->hdr.ktime_ns;
	e.wall = r->hdr.ktime_ns + boot_to_wall;
	e.comm = (struct sv){ r->comm, strnlen(r->comm, KW_COMM_LEN) };
	e.probe = sv_c(r->probe < KW_P_MAX && probe_names[r->probe] ? probe_names[r->probe] : "unknown");
	struct sv cw = slot(r, dsz, KW_S_CWD);
	struct tcache *tc = NULL;
	struct sv cached_base = { NULL, 0 };
	b_cwd.len = 0;
	if (e.kind == KW_UNLINK || e.kind == KW_CREATE) {
		/* keep the thread cache in step with the kernel's before any filtering */
		tc = tcache_get(r->tid);
		if (r->rflags & KW_R_CWD_SAME) {
			if (!tc->cwd.len) {
				char p[64], t[4096];
				snprintf(p, sizeof(p), "/proc/%u/task/%u/cwd", r->pid, r->tid);
				ssize_t n = readlink(p, t, sizeof(t));
				buf_put(&tc->cwd, n > 0 ? t : "/", n > 0 ? (size_t)n : 1);
			}
			buf_put(&b_cwd, tc->cwd.p, tc->cwd.len);
		} else {
			path_from_walk(&b_cwd, cw.p, cw.n);
			tc->cwd.len = 0;
			buf_put(&tc->cwd, b_cwd.p, b_cwd.len);
		}
		if (r->rflags & KW_R_BASE_SAME) {
			if (!tc->base.len) {
				char p[64], t[4096];
				snprintf(p, sizeof(p), "/proc/%u/fd/%d", r->pid, (int)r->exit_code);
				ssize_t n = readlink(p, t, sizeof(t));
				buf_put(&tc->base, n > 0 ? t : "/", n > 0 ? (size_t)n : 1);
			}
			cached_base = (struct sv){ tc->base.p, tc->base.len };
		} else if (!(r->rflags & (KW_R_BASE_NONE | KW_R_BASE_CWD | KW_R_BASE_ABS))) {
			struct sv base = slot(r, dsz, KW_S_BASE);
			tc->base.len = 0;
			path_from_walk(&tc->base, base.p, base.n);
			cached_base = (struct sv){ tc->base.p, tc->base.len };
		}
	} else {
		path_from_walk(&b_cwd, cw.p, cw.n);
	}
	e.cwd = (struct sv){ b_cwd.p, b_cwd.len };
	e.cgroup = sv_c(cgroup_path(r->cgroup_id, r->pid));
	if (container_id(e.cgroup.p, cid)) {
		e.has_container = true;
		e.flags |= KW_F_CONTAINER;
		e.container = sv_c(cid);
	}

	if (e.kind == KW_UNLINK || e.kind == KW_CREATE) {
		e.op = r->op;
		e.exe = sv_c(proc_exe(r->pid));
		if (r->rflags & KW_R_BASE_ABS) {
			struct sv base = slot(r, dsz, KW_S_BASE);
			b_path.len = 0;
			path_from_walk(&b_path, base.p, base.n);
		} else {
			build_path(&b_path, r, dsz, KW_S_NAME, KW_S_BASE, KW_R_BASE_NONE, KW_R_BASE_CWD, e.cwd, cached_base);
		}
		e.path = (struct sv){ b_path.p, b_path.len };
		if (r->rflags & KW_R_TRUNC || slot(r, dsz, KW_S_NAME).n >= KW_PATH_MAX - 1)
			e.flags |= KW_F_PATH_TRUNC;
		/* a cut path lost its leading part: it cannot be ruled out, so it passes */
		if (!(e.flags & KW_F_PATH_TRUNC) && !prefix_match(e.path.p, e.path.n))
			return 0;
		if (r->op == KW_OP_RENAME || r->op == KW_OP_LINK) {
			build_path(&b_old, r, dsz, KW_S_ONAME, KW_S_OBASE, KW_R_OBASE_NONE, KW_R_OBASE_CWD, e.cwd,
				   (struct sv){ NULL, 0 });
			e.old_path = (struct sv){ b_old.p, b_old.len };
			e.flags |= KW_F_OLD_PATH;
		} else if (r->op == KW_OP_SYMLINK) {
			e.target = slot(r, dsz, KW_S_ONAME);
			e.flags |= KW_F_TARGET;
		}
		if (r->rflags & KW_R_INODE) {
			e.dev = new_encode_dev(r->dev);
			e.ino = r->ino;
		} else {
			e.flags |= KW_F_INODE_UNKNOWN;
		}
		if (e.kind == KW_UNLINK && r->ret == 0) {
			/* unknown link count (no fs hook): a name went away, assume the last */
			if (r->op == KW_OP_RMDIR || !(r->rflags & KW_R_INODE) || r->nlink == 0)
				e.flags |= KW_F_LAST_LINK;
		}
	} else if (e.kind == KW_EXEC) {
		e.filename = slot(r, dsz, KW_S_NAME);
		if (r->ret == 0 && e.filename.n > 8 && !memcmp(e.filename.p, "/dev/fd/", 8)) {
			/* execveat(dirfd, "rel", ...): the kernel names it "/dev/fd/N/rel"; keep what was passed */
			size_t i = 8;
			while (i < e.filename.n && e.filename.p[i] >= '0' && e.filename.p[i] <= '9')
				i++;
			if (i > 8 && i + 1 < e.filename.n && e.filename.p[i] == '/')
				e.filename = (struct sv){ e.filename.p + i + 1, e.filename.n - i - 1 };
		}
		e.argv = slot(r, dsz, KW_S_ARGV);
		for (size_t i = 0; i < e.argv.n; i++)
			if (!e.argv.p[i])
				e.argc++;
		if (e.argv.n && e.argv.p[e.argv.n - 1])
			e.argc++; /* a cut last item without its NUL */
		if (r->rflags & KW_R_ARGV_TRUNC)
			e.flags |= KW_F_ARGV_TRUNC;
		if (r->ret == 0) {
			struct sv x = slot(r, dsz, KW_S_EXE);
			b_exe.len = 0;
			path_from_walk(&b_exe, x.p, x.n);
			if (r->rflags & KW_R_SCRIPT) {
				/* the script ran through its interpreter: exe is the script itself */
				b_interp.len = 0;
				buf_put(&b_interp, b_exe.p, b_exe.len);
				e.interp = (struct sv){ b_interp.p, b_interp.len };
				e.flags |= KW_F_INTERP;
				b_path.len = 0;
				if (e.filename.n && e.filename.p[0] != '/')
					buf_put(&b_path, e.cwd.p, e.cwd.n), buf_put(&b_path, "/", 1);
				buf_put(&b_path, e.filename.p, e.filename.n);
				path_normalize(&b_path);
				e.exe = (struct sv){ b_path.p, b_path.len };
			} else {
				e.exe = (struct sv){ b_exe.p, b_exe.len };
			}
			/* the table keeps what this event called exe (the script for #! runs) */
			proc_exec(r->pid, comm, e.exe.p, r->hdr.ktime_ns);
			if (!prefix_match(e.exe.p, e.exe.n))
				return 0;
		} else {
			e.exe = sv_c(proc_exe(r->pid));
			if (!prefix_match(e.exe.p, e.exe.n))
				return 0;
		}
	} else { /* KW_EXIT */
		struct proc_ent *pe = proc_get(r->pid);
		e.exe = sv_c(proc_exe(r->pid));
		e.exit_code = (r->exit_code >> 8) & 0xff;
		e.signal = r->exit_code & 0x7f;
		uint64_t from = pe && pe->exec_ns ? pe->exec_ns : r->start_ns;
		e.duration = r->hdr.ktime_ns > from ? r->hdr.ktime_ns - from : 0;
		if (!prefix_match(e.exe.p, e.exe.n)) {
			proc_exit(r->pid);
			return 0;
		}
	}
	fill_ancestors(&e, r);
	if (opt.wire)
		emit_wire(&e);
	else
		emit_json(&e);
	if (e.kind == KW_EXIT)
		proc_exit(r->pid);
	return 0;
}

/* ---- program selection ---- */

struct prog_info {
	unsigned fam;      /* families that need it; 0 = always (pid table) */
	const char *cat, *name;
	bool optional;     /* enrichment only (dev/ino): missing is fine */
	bool primary;      /* reported in `ready` */
	bool vfs;          /* fentry/fexit/kprobe/kretprobe hook on a kernel function */
	const char *mode;  /* vfs: the attach mode it belongs to (fentry or kprobe) */
	bool kcall;        /* vfs: a do_* function io_uring calls without a system call */
	bool shared;       /* one program attached to several points (syscalls / kcall_returns) */
};

/* The syscalls whose enter/exit tracepoints make events, and their families. */
static const struct {
	const char *sc;
	unsigned fam;
} syscalls[] = {
	{ "unlink", KW_FAM_UNLINK }, { "unlinkat", KW_FAM_UNLINK }, { "rmdir", KW_FAM_UNLINK },
	{ "rename", KW_FAM_UNLINK | KW_FAM_CREATE }, { "renameat", KW_FAM_UNLINK | KW_FAM_CREATE },
	{ "renameat2", KW_FAM_UNLINK | KW_FAM_CREATE }, { "open", KW_FAM_CREATE },
	{ "openat", KW_FAM_CREATE }, { "openat2", KW_FAM_CREATE }, { "creat", KW_FAM_CREATE },
	{ "mkdir", KW_FAM_CREATE }, { "mkdirat", KW_FAM_CREATE }, { "mknod", KW_FAM_CREATE },
	{ "mknodat", KW_FAM_CREATE }, { "link", KW_FAM_CREATE }, { "linkat", KW_FAM_CREATE },
	{ "symlink", KW_FAM_CREATE }, { "symlinkat", KW_FAM_CREATE }, { "execve", KW_FAM_EXEC },
	{ "execveat", KW_FAM_EXEC },
};

/*
 * Programs attached to several points (one verification each, see bpf/kwitness.bpf.c):
 * kw_sys_exit_file to every file syscall's sys_exit_* tracepoint (the syscalls table, exec
 * aside), kw_krp_do_file_call as the kretprobe of these do_* functions.
 */
#define SHARED_SYS_EXIT "tp/syscalls/sys_exit_file"
#define SHARED_KRETPROBE "kretprobe/do_file_call"
static const struct {
	const char *name;
	unsigned fam;
} kcall_returns[] = {
	{ "do_unlinkat", KW_FAM_UNLINK }, { "do_rmdir", KW_FAM_UNLINK },
	{ "do_mkdirat", KW_FAM_CREATE }, { "do_renameat2", KW_FAM_UNLINK | KW_FAM_CREATE },
};

/* One attachment: a link and what it is (for the ready record). */
struct attached {
	struct bpf_link *link;
	struct prog_info pi;
};

/* fentry_works/kprobe_works, asked once per (mode, function): entry and exit share the answer */
static bool hook_works(bool fentry, const char *func)
{
	static struct {
		bool fentry, ok;
		const char *func;
	} seen[16];
	static size_t n_seen;

	for (size_t i = 0; i < n_seen; i++)
		if (seen[i].fentry == fentry && !strcmp(seen[i].func, func))
			return seen[i].ok;
	bool ok = fentry ? fentry_works(func) : kprobe_works(func);
	if (n_seen < sizeof(seen) / sizeof(seen[0]))
		seen[n_seen++] = (typeof(seen[0])){ fentry, ok, func };
	return ok;
}

static bool classify(struct bpf_program *p, struct prog_info *pi)
{
	const char *sec = bpf_program__section_name(p);

	memset(pi, 0, sizeof(*pi));
	if (!strcmp(sec, SHARED_SYS_EXIT)) {
		pi->cat = "syscalls";
		pi->name = sec + 12;
		pi->fam = KW_FAM_UNLINK | KW_FAM_CREATE;
		pi->shared = true;
		return true;
	}
	if (!strcmp(sec, SHARED_KRETPROBE)) {
		pi->cat = "kretprobe";
		pi->name = sec + 10;
		pi->mode = "kprobe";
		pi->fam = KW_FAM_UNLINK | KW_FAM_CREATE;
		pi->optional = true;
		pi->vfs = true;
		pi->kcall = true;
		pi->shared = true;
		return true;
	}
	if (!strncmp(sec, "tp/syscalls/", 12)) {
		pi->cat = "syscalls";
		pi->name = sec + 12;
		const char *sc = strchr(pi->name + 4, '_') + 1; /* after sys_enter_ / sys_exit_ */
		for (size_t i = 0; i < sizeof(syscalls) / sizeof(syscalls[0]); i++)
			if (!strcmp(sc, syscalls[i].sc))
				pi->fam = syscalls[i].fam;
		pi->primary = !strncmp(pi->name, "sys_exit_", 9);
		return pi->fam != 0;
	}
	static const char *fn_kinds[] = { "fentry/", "fexit/", "kprobe/", "kretprobe/" };
	for (size_t k = 0; k < 4; k++) {
		size_t kl = strlen(fn_kinds[k]);
		if (strncmp(sec, fn_kinds[k], kl))
			continue;
		pi->name = sec + kl;
		pi->cat = k == 0 ? "fentry" : k == 1 ? "fexit" : k == 2 ? "kprobe" : "kretprobe";
		pi->mode = k < 2 ? "fentry" : "kprobe";
		pi->kcall = !strncmp(pi->name, "do_", 3);
		pi->fam = !strcmp(pi->name, "security_inode_rename") || !strcmp(pi->name, "do_renameat2")
				  ? KW_FAM_UNLINK | KW_FAM_CREATE
			  : !strncmp(pi->name, "d_instantiate", 13) || !strcmp(pi->name, "do_mkdirat") ||
					    !strcmp(pi->name, "do_filp_open")
				  ? KW_FAM_CREATE
				  : KW_FAM_UNLINK;
		pi->optional = true;
		/* the entry half of a do_* pair reports nothing itself: its exit is the probe */
		pi->primary = !(pi->kcall && (k == 0 || k == 2));
		pi->vfs = true;
		return true;
	}
	if (!strncmp(sec, "raw_tp/", 7)) {
		pi->name = sec + 7;
		if (!strncmp(pi->name, "sched_", 6)) {
			pi->cat = "sched";
			pi->fam = 0;
			pi->primary = strcmp(pi->name, "sched_process_fork") != 0;
		} else if (!strncmp(pi->name, "cgroup_", 7)) {
			pi->cat = "cgroup"; /* feeds the cgroup id -> path table */
			pi->fam = 0;
			pi->optional = true;
		} else if (!strncmp(pi->name, "ext4_", 5)) {
			pi->cat = "ext4";
			pi->fam = KW_FAM_UNLINK;
			pi->optional = true;
		} else {
			pi->cat = "timestamp";
			pi->fam = KW_FAM_UNLINK | KW_FAM_CREATE;
			pi->optional = true;
		}
		return true;
	}
	return false;
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !opt.verbose)
		return 0;
	if (!opt.verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static void on_signal(int sig)
{
	stop = 1;
}

static bool privileged(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {};

	if (geteuid() == 0)
		return true;
	if (syscall(SYS_capget, &h, d))
		return false;
	uint64_t eff = d[0].effective | (uint64_t)d[1].effective << 32;
	return (eff & (1ull << 21)) || ((eff & (1ull << 39)) && (eff & (1ull << 38)));
}

static void emit_ready(const struct attached *att, int n_att)
{
	struct buf probes = { 0 };
	uint32_t n = 0;
	static const char *fams[] = { "unlink", "create", "exec" };

	/* one (family, probe, mode) per primary attachment */
	for (int i = 0; i < n_att; i++) {
		struct prog_info pi = att[i].pi;
		if (!pi.primary)
			continue;
		unsigned fam = pi.fam ? pi.fam : KW_FAM_EXEC;
		if (!(fam & opt.families))
			continue;
		for (int f = 0; f < 3; f++) {
			if (!(fam & opt.families & (1u << f)))
				continue;
			char probe[128];
			const char *mode = pi.vfs ? pi.mode : "tracepoint";
			if (pi.vfs)
				snprintf(probe, sizeof(probe), "%s:%s", pi.cat, pi.name);
			else
				snprintf(probe, sizeof(probe), "tracepoint:%s:%s", pi.cat, pi.name);
			if (opt.wire) {
				buf_str(&probes, fams[f], strlen(fams[f]));
				buf_str(&probes, probe, strlen(probe));
				buf_str(&probes, mode, strlen(mode));
			} else {
				buf_printf(&probes, "%s{\"family\":\"%s\",\"probe\":\"%s\",\"mode\":\"%s\"}",
					   n ? "," : "", fams[f], probe, mode);
			}
			n++;
		}
	}
	uint64_t wall = clock_ns(CLOCK_REALTIME);
	if (opt.wire) {
		struct kw_ready_rec rr = { .hdr = { .kind = KW_READY, .ktime_ns = clock_ns(CLOCK_BOOTTIME) },
					   .wall_ns = wall, .n_probes = n };
		size_t start = out.len;
		emit_simple_wire(KW_READY, &rr, sizeof(rr));
		buf_str(&out, KW_VERSION, strlen(KW_VERSION));
		buf_str(&out, kernel_rel, strlen(kernel_rel));
		buf_str(&out, kernel_arch, strlen(kernel_arch));
		buf_put(&out, probes.p, probes.len);
		uint32_t size = out.len - start - 4;
		memcpy(out.p + start, &size, 4);
		memcpy(out.p + start + 4 + offsetof(struct kw_hdr, size), &size, 4);
	} else {
		buf_puts(&out, "{\"type\":\"ready\",\"time\":");
		iso_time(&out, wall);
		buf_puts(&out, ",\"agent_version\":");
		json_escape(&out, KW_VERSION, strlen(KW_VERSION));
		buf_puts(&out, ",\"kernel\":");
		json_escape(&out, kernel_rel, strlen(kernel_rel));
		buf_puts(&out, ",\"arch\":");
		json_escape(&out, kernel_arch, strlen(kernel_arch));
		buf_puts(&out, ",\"probes\":[");
		if (probes.len)
			buf_put(&out, probes.p, probes.len);
		buf_puts(&out, "]}\n");
	}
	free(probes.p);
}

static uint64_t read_lost(struct kwitness *skel, uint32_t idx)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t vals[ncpu > 0 ? ncpu : 1], sum = 0;

	if (ncpu <= 0 || bpf_map_lookup_elem(bpf_map__fd(skel->maps.lost), &idx, vals))
		return idx == 0 ? lost_total : idx == 2 ? unjudged_total : 0;
	for (int i = 0; i < ncpu; i++)
		sum += vals[i];
	return sum;
}

static void *destroy_link(void *l)
{
	bpf_link__destroy(l);
	return NULL;
}

/*
 * Detaching a tracepoint waits for an RCU grace period (50-100 ms each): detach all links at
 * once so the waits overlap and the agent exits in about one grace period.
 */
static void destroy_links(struct attached *att, int n)
{
	pthread_t *t = calloc(n, sizeof(*t));
	bool *started = calloc(n, sizeof(*started));

	for (int i = 0; i < n; i++) {
		if (!att[i].link)
			continue;
		if (t && started && pthread_create(&t[i], NULL, destroy_link, att[i].link) == 0)
			started[i] = true;
		else
			bpf_link__destroy(att[i].link);
	}
	for (int i = 0; i < n; i++)
		if (started && started[i])
			pthread_join(t[i], NULL);
	free(t);
	free(started);
}

static int cmd_trace(void)
{
	struct kwitness *skel = NULL;
	struct ring_buffer *rb = NULL;
	struct attached *att = NULL;
	int n_att = 0;
	struct bpf_program *p;
	struct prog_info pi;
	int err = 1, cg_fd = -1, ep = -1, n_progs = 0;
	bool watch_stdin = false;
	pid_t parent = getppid();

	libbpf_set_print(libbpf_log);
	kernel_release(kernel_rel, sizeof(kernel_rel), kernel_arch, sizeof(kernel_arch));

	/* Preflight: privileges, BTF, ring buffer support, tracefs */
	if (!privileged()) {
		fprintf(stderr, "kwitness-agent: not root: tracing needs root or CAP_BPF+CAP_PERFMON (run it through sudo)\n");
		return 1;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr, "kwitness-agent: no BTF: /sys/kernel/btf/vmlinux is missing (kernel %s built without CONFIG_DEBUG_INFO_BTF)\n",
			kernel_rel);
		return 1;
	}
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1) {
		fprintf(stderr, "kwitness-agent: kernel %s too old: no BPF ring buffer (needs Linux >= 5.8)\n", kernel_rel);
		return 1;
	}
	if (mount_fs() < 0)
		return 1;
	/*
	 * Attach modes: syscall and sched tracepoints produce the events in every mode; the vfs
	 * hooks that name the exact victim inode use fentry, else kprobe (auto), or the forced mode.
	 */
	static const char *vfs_funcs[] = { "security_inode_unlink", "security_inode_rmdir",
					    "security_inode_rename" };
	bool want_fentry = false, want_kprobe = false;
	if (strcmp(opt.attach, "tracepoint") && (opt.families & (KW_FAM_UNLINK | KW_FAM_CREATE))) {
		bool fe = strcmp(opt.attach, "kprobe") != 0, kp = strcmp(opt.attach, "fentry") != 0;
		for (size_t k = 0; k < 3 && fe; k++)
			fe = fentry_works(vfs_funcs[k]);
		if (!fe)
			for (size_t k = 0; k < 3 && kp; k++)
				kp = kprobe_works(vfs_funcs[k]);
		want_fentry = fe;
		want_kprobe = !fe && kp;
	}
	if (!strcmp(opt.attach, "fentry") || !strcmp(opt.attach, "kprobe")) {
		static const char *fams[] = { "unlink", "create", "exec" };
		bool ok = !strcmp(opt.attach, "fentry") ? want_fentry : want_kprobe;
		for (int f = 0; f < 3; f++) {
			if (!(opt.families & (1u << f)))
				continue;
			if (f == 2 || !ok) {
				fprintf(stderr, "kwitness-agent: no %s attach mode for family %s on kernel %s (%s)\n",
					opt.attach, fams[f], kernel_rel,
					f == 2 ? "exec is traced through tracepoints only"
					       : "the kernel refuses it for security_inode_unlink/rmdir/rename");
				return 1;
			}
		}
	}
	cgroup_init();
	if (opt.cgroup) {
		char path[PATH_MAX];
		const char *m = cgroup_mount();
		if (!m[0]) {
			fprintf(stderr, "kwitness-agent: --cgroup: no cgroup v2 hierarchy is mounted\n");
			return EXIT_USAGE;
		}
		if (!strncmp(opt.cgroup, m, strlen(m)))
			snprintf(path, sizeof(path), "%s", opt.cgroup);
		else
			snprintf(path, sizeof(path), "%s/%s", m, opt.cgroup[0] == '/' ? opt.cgroup + 1 : opt.cgroup);
		cg_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cg_fd < 0) {
			fprintf(stderr, "kwitness-agent: --cgroup %s: no such cgroup (%s: %s)\n", opt.cgroup, path,
				strerror(errno));
			return EXIT_USAGE;
		}
	}
	sync_clocks();

	/* Open: parse the embedded object */
	skel = kwitness__open();
	if (!skel) {
		fprintf(stderr, "kwitness-agent: cannot open the BPF object: %s\n", strerror(errno));
		goto cleanup;
	}

	/* Configure: filters and families into rodata, ring buffer size, which programs load */
	skel->rodata->cfg_pid = opt.pid;
	skel->rodata->cfg_uid = opt.uid < 0 ? 0xffffffff : (uint32_t)opt.uid;
	if (opt.has_comm) {
		memcpy((char *)skel->rodata->cfg_comm, opt.comm, KW_COMM_LEN);
		skel->rodata->cfg_has_comm = 1;
	}
	skel->rodata->cfg_has_cgroup = cg_fd >= 0;
	skel->rodata->cfg_failed_only = opt.failed_only;
	skel->rodata->cfg_unlink = !!(opt.families & KW_FAM_UNLINK);
	skel->rodata->cfg_create = !!(opt.families & KW_FAM_CREATE);
	skel->rodata->cfg_exec = !!(opt.families & KW_FAM_EXEC);
	skel->rodata->cfg_argv_max = opt.argv_max;
	/* --path-prefix in the kernel: inode numbers of the prefix directories (and parents) */
	skel->rodata->cfg_n_prefix = opt.n_prefix;
	bool inodes_ok = opt.n_prefix > 0, str_ok = opt.n_prefix > 0;
	for (int k = 0; k < opt.n_prefix; k++) {
		struct stat ps, pp;
		char parent[PATH_MAX];
		size_t pl = strlen(opt.prefix[k]);
		snprintf(parent, sizeof(parent), "%s", opt.prefix[k]);
		char *slash = strrchr(parent, '/');
		if (slash == parent)
			slash[1] = 0;
		else if (slash)
			*slash = 0;
		if (stat(opt.prefix[k], &ps) == 0 && S_ISDIR(ps.st_mode) && stat(parent, &pp) == 0) {
			skel->rodata->cfg_pfx_ino[k] = ps.st_ino;
			skel->rodata->cfg_pfx_pino[k] = pp.st_ino;
		} else {
			inodes_ok = false;
		}
		if (pl < KW_PFX_STR) {
			memcpy((char *)skel->rodata->cfg_pfx_str[k], opt.prefix[k], pl);
			skel->rodata->cfg_pfx_len[k] = pl;
		} else {
			str_ok = false;
		}
	}
	skel->rodata->cfg_pfx_inodes_ok = inodes_ok;
	skel->rodata->cfg_pfx_str_ok = str_ok;
	uint32_t rb_bytes = 4096;
	while (rb_bytes < opt.ringbuf_kb * 1024u)
		rb_bytes <<= 1;
	bpf_map__set_max_entries(skel->maps.events, rb_bytes);
	skel->rodata->cfg_wakeup_bytes = rb_bytes / 8 < (256u << 10) ? rb_bytes / 8 : 256u << 10;
	bpf_map__set_max_entries(skel->maps.scratch, libbpf_num_possible_cpus());
	bpf_object__for_each_program(p, skel->obj) {
		n_progs++;
		bool want = classify(p, &pi) && (pi.fam == 0 || (pi.fam & opt.families));
		if (want && pi.shared) {
			/* attached point by point below */
			want = !pi.vfs || want_kprobe;
		} else if (want && pi.vfs) {
			bool fe = pi.mode[0] == 'f';
			want = fe ? want_fentry : want_kprobe;
			/* d_instantiate* (create precision) and do_* (io_uring): checked one by one,
			 * both halves of a do_* pair on the entry half's result */
			if (want && (pi.kcall || !strncmp(pi.name, "d_instantiate", 13)))
				want = hook_works(fe, pi.name);
		}
		else if (want)
			want = tp_exists(pi.cat, pi.name);
		bpf_program__set_autoload(p, want);
	}

	/* Load: verify every selected program */
	err = kwitness__load(skel);
	if (err) {
		fprintf(stderr, "kwitness-agent: loading the BPF programs failed: %s (run with -v for the verifier log)\n",
			strerror(-err));
		err = 1;
		goto cleanup;
	}
	if (cg_fd >= 0) {
		uint32_t zero = 0;
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.cgroup_filter), &zero, &cg_fd, BPF_ANY)) {
			fprintf(stderr, "kwitness-agent: --cgroup %s: cannot use it as a filter: %s\n", opt.cgroup,
				strerror(errno));
			err = 1;
			goto cleanup;
		}
	}

	/* Attach: one link per program (per point for shared ones); a missing optional hook
	 * disables that program only */
	att = calloc(n_progs + sizeof(syscalls) / sizeof(syscalls[0]) + sizeof(kcall_returns) / sizeof(kcall_returns[0]),
		     sizeof(*att));
	unsigned attached_fams = 0;
	bpf_object__for_each_program(p, skel->obj) {
		if (!bpf_program__autoload(p) || !classify(p, &pi))
			continue;
		size_t n_points = !pi.shared ? 1 : pi.vfs ? sizeof(kcall_returns) / sizeof(kcall_returns[0])
							  : sizeof(syscalls) / sizeof(syscalls[0]);
		for (size_t k = 0; k < n_points; k++) {
			struct prog_info at = pi;
			struct bpf_link *l;
			char tp[64];
			if (pi.shared && pi.vfs) {
				at.name = kcall_returns[k].name;
				at.fam = kcall_returns[k].fam;
				if (!(at.fam & opt.families) || !hook_works(false, at.name))
					continue;
				l = bpf_program__attach_kprobe(p, true, at.name);
			} else if (pi.shared) {
				if (syscalls[k].fam & KW_FAM_EXEC)
					continue;
				snprintf(tp, sizeof(tp), "sys_exit_%s", syscalls[k].sc);
				at.fam = syscalls[k].fam;
				if (!(at.fam & opt.families) || !tp_exists("syscalls", tp))
					continue;
				at.name = strdup(tp); /* kept for the ready record, freed at exit */
				l = bpf_program__attach_tracepoint(p, "syscalls", tp);
			} else {
				l = bpf_program__attach(p);
			}
			if (pi.shared)
				at.primary = true;
			if (!l) {
				char msg[256];
				snprintf(msg, sizeof(msg), "cannot attach %s:%s: %s", at.cat, at.name, strerror(errno));
				emit_error(msg);
				if (pi.shared && !pi.vfs)
					free((char *)at.name);
				continue;
			}
			att[n_att++] = (struct attached){ .link = l, .pi = at };
			if (at.primary)
				attached_fams |= at.fam ? at.fam : KW_FAM_EXEC;
		}
	}
	static const char *fam_names[] = { "unlink", "create", "exec" };
	for (int f = 0; f < 3; f++) {
		if ((opt.families & (1u << f)) && !(attached_fams & (1u << f))) {
			out_flush();
			fprintf(stderr, "kwitness-agent: no attach mode for family %s on kernel %s (no usable tracepoint)\n",
				fam_names[f], kernel_rel);
			err = 1;
			goto cleanup;
		}
	}

	/* Poll: ring buffer, stdin EOF, signals, parent death */
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), handle_event, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "kwitness-agent: cannot create the ring buffer reader: %s\n", strerror(errno));
		goto cleanup;
	}
	proc_scan();
	emit_ready(att, n_att);
	if (out_flush() < 0)
		goto cleanup;

	watch_stdin = client_init(opt.heartbeat_s);
	ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 1 };
	epoll_ctl(ep, EPOLL_CTL_ADD, ring_buffer__epoll_fd(rb), &ev);
	if (watch_stdin) {
		struct epoll_event sev = { .events = EPOLLIN | EPOLLHUP, .data.u32 = 2 };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &sev))
			watch_stdin = false;
	}
	uint64_t last_lost_check = clock_ns(CLOCK_MONOTONIC), lost_reported = 0, notes_reported = 0,
		 unjudged_reported = 0;
	err = 0;
	while (!stop) {
		struct epoll_event evs[4];
		int n = epoll_wait(ep, evs, 4, 20); /* records come without wakeups: poll */
		if (n < 0 && errno != EINTR) {
			err = 1;
			break;
		}
		for (int k = 0; k < n; k++) {
			if (evs[k].data.u32 == 2)
				client_on_stdin();
		}
		if (ring_buffer__consume(rb) < 0 && errno != EINTR) {
			/* -EINTR is a normal exit */
		}
		uint64_t now = clock_ns(CLOCK_MONOTONIC);
		if (now - last_lost_check >= 1000000000ull) {
			last_lost_check = now;
			sync_clocks();
			lost_total = read_lost(skel, 0);
			unjudged_total = read_lost(skel, 2);
			if (lost_total > lost_reported || unjudged_total > unjudged_reported) {
				emit_lost(lost_total - lost_reported, unjudged_total - unjudged_reported);
				lost_reported = lost_total;
				unjudged_reported = unjudged_total;
			}
			uint64_t notes = read_lost(skel, 1);
			if (notes > notes_reported) {
				char msg[160];
				snprintf(msg, sizeof(msg),
					 "ring buffer full: %llu process records (fork/exec/exit) lost, ancestors may be incomplete",
					 (unsigned long long)(notes - notes_reported));
				emit_error(msg);
				notes_reported = notes;
			}
			if (getppid() != parent)
				stop = 1; /* parent died (PR_SET_PDEATHSIG covers the rest) */
			if (client_silent())
				emit_error("no heartbeat from the client: exiting");
		}
		if (out_flush() < 0)
			break; /* stdout closed */
	}

	/* Drain what is already in the buffer, report the final loss count */
	ring_buffer__consume(rb);
	lost_total = read_lost(skel, 0);
	unjudged_total = read_lost(skel, 2);
	emit_lost(lost_total - lost_reported, unjudged_total - unjudged_reported);
	out_flush();

cleanup:
	if (ep >= 0)
		close(ep);
	ring_buffer__free(rb);
	if (att) {
		destroy_links(att, n_att);
		for (int k = 0; k < n_att; k++)
			if (att[k].pi.shared && !att[k].pi.vfs)
				free((char *)att[k].pi.name);
		free(att);
	}
	kwitness__destroy(skel);
	if (cg_fd >= 0)
		close(cg_fd);
	return err;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("kwitness-agent %s\n", KW_VERSION);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);

	if (!strcmp(argv[1], "probe")) {
		if (argc > 2)
			usage_error("probe: unexpected argument '%s'", argv[2]);
		return cmd_probe();
	}
	if (!strcmp(argv[1], "btf")) {
		if (argc != 3 || !argv[2][0])
			usage_error("btf: expected exactly one kernel function name");
		return cmd_btf(argv[2]);
	}
	if (!strcmp(argv[1], "trace")) {
		parse_trace_args(argc - 2, argv + 2);
		return cmd_trace();
	}
	if (!strcmp(argv[1], "watch"))
		return cmd_watch(argc - 2, argv + 2);
	usage_error("unknown command '%s' (expected probe, trace, watch or btf)", argv[1]);
}
