// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * main.c: kwitness-agent. `trace` loads the BPF programs (choosing per probe what this kernel
 * offers), reads the ring buffer and hands each record to enrich.c (absolute paths, exe,
 * ancestors, cgroup path, container), which emit.c writes as json lines or wire frames.
 * The command line is parsed in args.c; `probe` and `btf` live in probe.c.
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
#include "linger.h"
#include "k8s.h"
#include "guard.h"
#include "stacks.h"
#include "kwitness.skel.h"
#include "func.h"

#define EXIT_USAGE 2

volatile sig_atomic_t stop; /* agent.h */
static char kernel_rel[128], kernel_arch[64];
static uint64_t lost_total;     /* events that matched every filter and were not delivered */
static uint64_t unjudged_total; /* events dropped before --path-prefix could be finished on them */
static uint64_t untracked_total; /* calls the kernel could not follow: its pending table was full */

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

/* One lost record: what went undelivered since the last one, by reason (kwitness_wire.h). */
static void emit_lost(uint64_t count, uint64_t unjudged, uint64_t untracked)
{
	uint64_t wall = clock_ns(CLOCK_REALTIME);

	if (opt.wire) {
		struct kw_lost_rec l = { .hdr = { .kind = KW_LOST, .ktime_ns = clock_ns(CLOCK_BOOTTIME) },
					 .wall_ns = wall, .count = count, .total = lost_total,
					 .unjudged = unjudged, .unjudged_total = unjudged_total,
					 .untracked = untracked, .untracked_total = untracked_total };
		emit_simple_wire(KW_LOST, &l, sizeof(l));
		return;
	}
	buf_puts(&out, "{\"type\":\"lost\",\"time\":");
	iso_time(&out, wall);
	buf_printf(&out, ",\"count\":%llu,\"total\":%llu,\"unjudged\":%llu,\"unjudged_total\":%llu"
			 ",\"untracked\":%llu,\"untracked_total\":%llu}\n",
		   (unsigned long long)count, (unsigned long long)lost_total, (unsigned long long)unjudged,
		   (unsigned long long)unjudged_total, (unsigned long long)untracked,
		   (unsigned long long)untracked_total);
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
	bool ia32;         /* the 32-bit file syscalls' kprobe pair or raw tracepoints (bpf/ia32.bpf.h, x86_64) */
	bool guard;        /* a guard's lsm/fmod_ret program (bpf/guard.bpf.h) */
	bool guard_load;   /* ... that this guard needs (guard.c chose) */
	bool stacks;       /* --stacks' sys_enter program (bpf/stacks.bpf.h) */
	bool stacks_load;  /* ... the build this trace loads (stack_setup.c chose) */
	bool func;         /* a func:NAME slot's program (bpf/func.bpf.h); name: the function */
};

/* The syscalls whose enter/exit tracepoints make events, and their families. */
static const struct {
	const char *sc;
	unsigned fam;
} syscalls[] = {
	{ "unlink", KW_FAM_UNLINK }, { "unlinkat", KW_FAM_UNLINK }, { "rmdir", KW_FAM_UNLINK },
	{ "rename", KW_FAM_UNLINK | KW_FAM_CREATE }, { "renameat", KW_FAM_UNLINK | KW_FAM_CREATE },
	{ "renameat2", KW_FAM_UNLINK | KW_FAM_CREATE }, { "open", KW_FAM_CREATE | KW_FAM_WRITE },
	{ "openat", KW_FAM_CREATE | KW_FAM_WRITE }, { "openat2", KW_FAM_CREATE | KW_FAM_WRITE },
	{ "creat", KW_FAM_CREATE | KW_FAM_WRITE }, { "truncate", KW_FAM_WRITE }, { "ftruncate", KW_FAM_WRITE },
	{ "mkdir", KW_FAM_CREATE }, { "mkdirat", KW_FAM_CREATE }, { "mknod", KW_FAM_CREATE },
	{ "mknodat", KW_FAM_CREATE }, { "link", KW_FAM_CREATE }, { "linkat", KW_FAM_CREATE },
	{ "symlink", KW_FAM_CREATE }, { "symlinkat", KW_FAM_CREATE }, { "execve", KW_FAM_EXEC },
	{ "execveat", KW_FAM_EXEC },
};

/* The 32-bit file syscalls the ia32 programs report (bpf/ia32.bpf.h): the kprobe pair is attached
 * to each one's entry point, the raw tracepoints see them all; either way each is one probe in
 * the ready record, under the families of its 64-bit twin above. */
static const struct {
	unsigned id, fam;
} ia32_probes[] = {
	{ KW_P_IA32_UNLINK, KW_FAM_UNLINK }, { KW_P_IA32_UNLINKAT, KW_FAM_UNLINK }, { KW_P_IA32_RMDIR, KW_FAM_UNLINK },
	{ KW_P_IA32_RENAME, KW_FAM_UNLINK | KW_FAM_CREATE }, { KW_P_IA32_RENAMEAT, KW_FAM_UNLINK | KW_FAM_CREATE },
	{ KW_P_IA32_RENAMEAT2, KW_FAM_UNLINK | KW_FAM_CREATE }, { KW_P_IA32_OPEN, KW_FAM_CREATE | KW_FAM_WRITE },
	{ KW_P_IA32_OPENAT, KW_FAM_CREATE | KW_FAM_WRITE }, { KW_P_IA32_OPENAT2, KW_FAM_CREATE | KW_FAM_WRITE },
	{ KW_P_IA32_CREAT, KW_FAM_CREATE | KW_FAM_WRITE }, { KW_P_IA32_TRUNCATE, KW_FAM_WRITE },
	{ KW_P_IA32_FTRUNCATE, KW_FAM_WRITE }, { KW_P_IA32_MKDIR, KW_FAM_CREATE }, { KW_P_IA32_MKDIRAT, KW_FAM_CREATE },
	{ KW_P_IA32_MKNOD, KW_FAM_CREATE }, { KW_P_IA32_MKNODAT, KW_FAM_CREATE }, { KW_P_IA32_LINK, KW_FAM_CREATE },
	{ KW_P_IA32_LINKAT, KW_FAM_CREATE }, { KW_P_IA32_SYMLINK, KW_FAM_CREATE }, { KW_P_IA32_SYMLINKAT, KW_FAM_CREATE },
};

/*
 * Programs attached to several points (one verification each, see bpf/syscalls.bpf.h and io_uring.bpf.h):
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

/*
 * An io_uring entry point this kernel does not let us hook: the calls io_uring makes through it
 * would go unseen, so the trace says so once, as an error record before its ready record
 * ("io_uring unlink: not covered on this kernel ..."), never silently.
 */
static void kcall_gap(const char *name, const char *target, const char *mode)
{
	static const char *said[8];
	static size_t n_said;
	static const struct {
		const char *name, *what;
	} what[] = { { "do_unlinkat", "unlink" }, { "do_rmdir", "rmdir" }, { "do_mkdirat", "mkdir" },
		     { "do_renameat2", "rename" }, { "do_filp_open", "open" } };
	const char *w = name;
	char msg[256];

	for (size_t i = 0; i < n_said; i++)
		if (!strcmp(said[i], name))
			return;
	if (n_said < sizeof(said) / sizeof(said[0]))
		said[n_said++] = name;
	for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++)
		if (!strcmp(what[i].name, name))
			w = what[i].what;
	if (target)
		snprintf(msg, sizeof(msg), "io_uring %s: not covered on this kernel (%s refuses %s)", w, mode, target);
	else
		snprintf(msg, sizeof(msg), "io_uring %s: not covered on this kernel (BTF names no entry point for it: %s or its 7.x name)", w, name);
	emit_error(msg);
}

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
	struct prog_info_guard gp;

	memset(pi, 0, sizeof(*pi));
	int slot;
	bool fret, fe;
	if (func_program(p, &slot, &fret, &fe)) {
		pi->func = true;
		pi->cat = fe ? (fret ? "fexit" : "fentry") : (fret ? "kretprobe" : "kprobe");
		pi->name = func_name(slot);
		pi->mode = fe ? "fentry" : "kprobe";
		pi->primary = fret;
		return true;
	}
	if (stack_program(p, &pi->stacks_load)) {
		pi->stacks = true;
		pi->cat = "raw_tp";
		pi->name = "sys_enter";
		pi->mode = stack_mode();
		pi->primary = true;
		return true;
	}
	if (guard_program(sec, &pi->guard_load, &gp)) {
		pi->guard = true;
		pi->cat = pi->mode = gp.mode;
		pi->name = gp.name;
		pi->primary = true;
		return true;
	}
	if (!strcmp(sec, SHARED_SYS_EXIT)) {
		pi->cat = "syscalls";
		pi->name = sec + 12;
		pi->fam = KW_FAM_UNLINK | KW_FAM_CREATE | KW_FAM_WRITE;
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
	if (!strcmp(sec, "kprobe/ia32_syscall") || !strcmp(sec, "kretprobe/ia32_syscall")) {
		/* one pair, attached to every __ia32_* entry point of ia32_probes (bpf/ia32.bpf.h) */
		bool ret = sec[1] == 'r';
		pi->cat = ret ? "kretprobe" : "kprobe";
		pi->name = sec + (ret ? 10 : 7);
		pi->mode = "kprobe";
		pi->fam = KW_FAM_UNLINK | KW_FAM_CREATE | KW_FAM_WRITE;
		pi->vfs = true;
		pi->shared = true;
		pi->ia32 = true;
		pi->primary = ret;
		return true;
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
		pi->fam = !strcmp(pi->name, "security_inode_rename") || !strcmp(pi->name, "do_renameat2") ||
					  !strcmp(pi->name, "security_path_rename")
				  ? KW_FAM_UNLINK | KW_FAM_CREATE
			  : !strcmp(pi->name, "do_filp_open") ? KW_FAM_CREATE | KW_FAM_WRITE
			  : !strncmp(pi->name, "d_instantiate", 13) || !strcmp(pi->name, "do_mkdirat") ||
					  !strcmp(pi->name, "security_path_mkdir")
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
		if (!strcmp(pi->name, "sys_enter") || !strcmp(pi->name, "sys_exit")) {
			pi->cat = "raw_syscalls";
			pi->fam = KW_FAM_UNLINK | KW_FAM_CREATE | KW_FAM_WRITE;
			pi->ia32 = true;
			pi->primary = !strcmp(pi->name, "sys_exit");
		} else if (!strncmp(pi->name, "sched_", 6)) {
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
			pi->fam = KW_FAM_UNLINK | KW_FAM_CREATE | KW_FAM_WRITE; /* write: truncate(path)'s inode */
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

static volatile sig_atomic_t hangup; /* SIGHUP under --linger: the terminal (a client) went away */

static void on_signal(int sig)
{
	if (sig == SIGHUP && opt.linger_s)
		hangup = 1;
	else
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
	const char *const *fams = kw_fam_names;

	/* one (family, probe, mode) per primary attachment; the ia32 pair, one per 32-bit syscall */
	for (int i = 0; i < n_att; i++) {
		struct prog_info pi = att[i].pi;
		if (!pi.primary)
			continue;
		if (pi.guard || pi.stacks || pi.func) {
			/* a guard's hooks, --stacks' entry hook (mode: how user frames find their files),
			 * a kernel function's (named as its events name it: fentry:NAME or kprobe:NAME) */
			const char *fam = pi.guard ? "guard" : pi.stacks ? "stacks" : "func";
			char probe[160];
			snprintf(probe, sizeof(probe), "%s:%s", pi.func ? pi.mode : pi.cat, pi.name);
			if (opt.wire) {
				buf_str(&probes, fam, strlen(fam));
				buf_str(&probes, probe, strlen(probe));
				buf_str(&probes, pi.mode, strlen(pi.mode));
			} else {
				buf_printf(&probes, "%s{\"family\":\"%s\",\"probe\":\"%s\",\"mode\":\"%s\"}", n ? "," : "",
					   fam, probe, pi.mode);
			}
			n++;
			continue;
		}
		bool ia32_tp = pi.ia32 && !pi.shared; /* the raw tracepoint: one probe per 32-bit syscall */
		size_t n_sub = ia32_tp ? sizeof(ia32_probes) / sizeof(ia32_probes[0]) : 1;
		for (size_t k = 0; k < n_sub; k++) {
			unsigned fam = ia32_tp ? ia32_probes[k].fam : pi.fam ? pi.fam : KW_FAM_EXEC;
			if (!(fam & opt.families))
				continue;
			for (int f = 0; f < KW_NFAM; f++) {
				if (!(fam & opt.families & (1u << f)))
					continue;
				char probe[128];
				const char *mode = pi.vfs ? pi.mode : "tracepoint";
				if (ia32_tp)
					snprintf(probe, sizeof(probe), "%s", probe_name(ia32_probes[k].id));
				else if (pi.vfs)
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
		buf_puts(&out, "]");
		guard_ready_json(&out);
		buf_puts(&out, "}\n");
	}
	free(probes.p);
}

/* An error record when a kernel-side counter grew since it was last told: fmt takes the growth. */
static void emit_growth(uint64_t total, uint64_t *reported, const char *fmt)
{
	char msg[200];

	if (total <= *reported)
		return;
	snprintf(msg, sizeof(msg), fmt, (unsigned long long)(total - *reported));
	emit_error(msg);
	*reported = total;
}

static uint64_t read_lost(struct kwitness *skel, uint32_t idx)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t vals[ncpu > 0 ? ncpu : 1], sum = 0;

	if (ncpu <= 0 || bpf_map_lookup_elem(bpf_map__fd(skel->maps.lost), &idx, vals))
		return idx == 0 ? lost_total : idx == 2 ? unjudged_total : idx == 3 ? untracked_total : 0;
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
	{
		char ferr[512];
		if (func_prepare(ferr, sizeof(ferr))) {
			out_flush(); /* a rename's note */
			fprintf(stderr, "kwitness-agent: %s\n", ferr);
			return EXIT_USAGE;
		}
	}
	if (opt.guard) {
		char gerr[512];
		if (guard_prepare(gerr, sizeof(gerr))) {
			fprintf(stderr, "kwitness-agent: %s\n", gerr);
			return 1;
		}
	}
	/*
	 * Attach modes: syscall and sched tracepoints produce the events in every mode; the vfs
	 * hooks that name the exact victim inode use fentry, else kprobe (auto), or the forced mode.
	 */
	static const char *vfs_funcs[] = { "security_inode_unlink", "security_inode_rmdir",
					    "security_inode_rename" };
	bool want_fentry = false, want_kprobe = false;
	if (strcmp(opt.attach, "tracepoint") && (opt.families & (KW_FAM_UNLINK | KW_FAM_CREATE | KW_FAM_WRITE))) {
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
		bool ok = !strcmp(opt.attach, "fentry") ? want_fentry : want_kprobe;
		for (int f = 0; f < KW_NFAM; f++) {
			if (!(opt.families & (1u << f)))
				continue;
			if (f == 2 || !ok) {
				fprintf(stderr, "kwitness-agent: no %s attach mode for family %s on kernel %s (%s)\n",
					opt.attach, kw_fam_names[f], kernel_rel,
					f == 2 ? "exec is traced through tracepoints only"
					       : "the kernel refuses it for security_inode_unlink/rmdir/rename");
				return 1;
			}
		}
	}
	/*
	 * 32-bit file syscalls (bpf/ia32.bpf.h), where they can happen: by kprobes on their own entry
	 * points (no cost to other syscalls) unless the user chose tracepoints or fentry only, or
	 * the kernel refuses kprobes; else by the raw syscall tracepoints, which run on every syscall.
	 * --ia32 chooses (kprobe, tracepoint: even where 32-bit code cannot run, for measuring) or
	 * turns it off.
	 */
	bool file_fams = opt.families & (KW_FAM_UNLINK | KW_FAM_CREATE | KW_FAM_WRITE);
	bool forced = !strcmp(opt.ia32, "kprobe") || !strcmp(opt.ia32, "tracepoint");
	bool ia32 = file_fams && strcmp(opt.ia32, "off") && (forced || ia32_possible());
	bool ia32_kp = ia32 && (!strcmp(opt.ia32, "kprobe") ||
				(!strcmp(opt.ia32, "auto") && strcmp(opt.attach, "tracepoint") && strcmp(opt.attach, "fentry"))) &&
		       kprobe_works(ia32_function(KW_P_IA32_UNLINK));
	if (file_fams && !strcmp(opt.ia32, "kprobe") && !ia32_kp) {
		fprintf(stderr, "kwitness-agent: --ia32 kprobe: the kernel %s refuses a kprobe on %s\n", kernel_rel,
			ia32_function(KW_P_IA32_UNLINK));
		return 1;
	}
	if (ia32_kp)
		probe_names_ia32_kretprobe();
	cgroup_init();
	k8s_init();
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
	skel->rodata->cfg_write = !!(opt.families & KW_FAM_WRITE);
	skel->rodata->cfg_argv_max = opt.argv_max;
	{
		/* walks in other mount namespaces also carry their file system path (hostpath.c) */
		struct stat ns;
		if (stat("/proc/self/ns/mnt", &ns) == 0)
			skel->rodata->cfg_host_mntns = (uint32_t)ns.st_ino;
	}
	/* the syscall numbers whose exits bump the rename count (walk_cache) */
#ifdef __NR_rename
	skel->rodata->cfg_nr_rename[0] = __NR_rename;
#endif
	skel->rodata->cfg_nr_rename[1] = __NR_renameat;
	skel->rodata->cfg_nr_rename[2] = __NR_renameat2;
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
		/* paths the kernel resolved name the directory where it lives: /var/run/x is /run/x */
		char real[PATH_MAX];
		if (realpath(opt.prefix[k], real) && strcmp(real, opt.prefix[k]))
			opt.prefix_real[k] = strdup(real);
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
	bpf_map__set_max_entries(skel->maps.pending, opt.pending_max);
	if (opt.guard)
		guard_configure(skel);
	stack_configure(skel);
	func_configure(skel);
	bpf_object__for_each_program(p, skel->obj) {
		n_progs++;
		bool want = classify(p, &pi) && (pi.fam == 0 || (pi.fam & opt.families));
		if (pi.func)
			continue; /* func_configure() below */
		if (pi.guard) {
			want = pi.guard_load;
		} else if (pi.stacks) {
			want = pi.stacks_load;
		} else if (want && pi.ia32) {
			want = pi.shared ? ia32_kp : ia32 && !ia32_kp && tp_exists(pi.cat, pi.name);
		} else if (want && pi.shared) {
			/* attached point by point below */
			want = !pi.vfs || want_kprobe;
		} else if (want && pi.vfs) {
			bool fe = pi.mode[0] == 'f';
			want = fe ? want_fentry : want_kprobe;
			/* d_instantiate* (create precision), security_path_* (CONFIG_SECURITY_PATH)
			 * and do_* (io_uring): checked one by one,
			 * both halves of a do_* pair on the entry half's result; an io_uring entry
			 * point is hooked under this kernel's name for it (kcall_target) */
			if (want && (pi.kcall || !strncmp(pi.name, "d_instantiate", 13) ||
				     !strncmp(pi.name, "security_path_", 14))) {
				const char *t = kcall_target(pi.name);
				want = t && hook_works(fe, t);
				if (pi.kcall && !want)
					kcall_gap(pi.name, t, fe ? "fentry" : "kprobe");
				if (want && fe && strcmp(t, pi.name))
					bpf_program__set_attach_target(p, 0, t);
			}
		}
		else if (want)
			/* ia32: only where 32-bit code can run (they see every syscall of the machine) */
			want = tp_exists(pi.cat, pi.name) && (!pi.ia32 || ia32_possible());
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
	{
		char serr[256];
		if (stack_fill(skel, serr, sizeof(serr))) {
			fprintf(stderr, "kwitness-agent: %s\n", serr);
			err = 1;
			goto cleanup;
		}
	}
	{
		char ferr[256];
		if (func_fill(skel, ferr, sizeof(ferr))) {
			fprintf(stderr, "kwitness-agent: %s\n", ferr);
			err = 1;
			goto cleanup;
		}
	}
	if (opt.guard) {
		char gerr[256];
		if (guard_fill(skel, gerr, sizeof(gerr))) {
			fprintf(stderr, "kwitness-agent: %s\n", gerr);
			err = 1;
			goto cleanup;
		}
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
	/* room for every point of the shared programs: the syscall exits, the kretprobe of the io_uring
	 * entry points, and the ia32 pair (an entry and an exit on each 32-bit syscall) */
	att = calloc(n_progs + sizeof(syscalls) / sizeof(syscalls[0]) + sizeof(kcall_returns) / sizeof(kcall_returns[0]) +
			     2 * sizeof(ia32_probes) / sizeof(ia32_probes[0]),
		     sizeof(*att));
	unsigned attached_fams = 0;
	bpf_object__for_each_program(p, skel->obj) {
		if (!bpf_program__autoload(p) || !classify(p, &pi))
			continue;
		size_t n_points = !pi.shared ? 1
				  : pi.ia32 ? sizeof(ia32_probes) / sizeof(ia32_probes[0])
				  : pi.vfs  ? sizeof(kcall_returns) / sizeof(kcall_returns[0])
					    : sizeof(syscalls) / sizeof(syscalls[0]);
		for (size_t k = 0; k < n_points; k++) {
			struct prog_info at = pi;
			struct bpf_link *l;
			char tp[64];
			if (pi.shared && pi.ia32) {
				at.fam = ia32_probes[k].fam;
				if (!(at.fam & opt.families))
					continue;
				at.name = ia32_function(ia32_probes[k].id);
				l = bpf_program__attach_kprobe(p, !strcmp(pi.cat, "kretprobe"), at.name);
				if (!l && errno == ENOENT)
					continue; /* a syscall this kernel does not have (openat2 before 5.6) */
			} else if (pi.shared && pi.vfs) {
				at.fam = kcall_returns[k].fam;
				if (!(at.fam & opt.families))
					continue;
				at.name = kcall_target(kcall_returns[k].name);
				if (!at.name || !hook_works(false, at.name)) {
					kcall_gap(kcall_returns[k].name, at.name, "kprobe");
					continue;
				}
				probe_name_kcall(kcall_returns[k].name, at.name);
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
			} else if (pi.func) {
				l = pi.mode[0] == 'k' ? bpf_program__attach_kprobe(p, !strcmp(pi.cat, "kretprobe"), at.name)
						      : bpf_program__attach(p);
			} else if (pi.kcall) {
				/* under this kernel's name: fentry's target was set before the load */
				at.name = kcall_target(pi.name);
				probe_name_kcall(pi.name, at.name);
				l = pi.mode[0] == 'k' ? bpf_program__attach_kprobe(p, !strcmp(pi.cat, "kretprobe"), at.name)
						      : bpf_program__attach(p);
			} else {
				l = bpf_program__attach(p);
			}
			if (pi.shared && !pi.ia32)
				at.primary = true;
			if (!l && pi.func) {
				/* the user asked for this very function: no partial answer */
				out_flush();
				fprintf(stderr, "kwitness-agent: func:%s: cannot attach %s: %s\n", at.name, at.cat, strerror(errno));
				err = 1;
				goto cleanup;
			}
			if (!l && pi.guard) {
				/* a guard with a hole in it is worse than none: refuse */
				out_flush();
				fprintf(stderr, "kwitness-agent: guard: cannot attach %s:%s: %s\n", at.cat, at.name, strerror(errno));
				err = 1;
				goto cleanup;
			}
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
	for (int f = 0; f < KW_NFAM; f++) {
		if ((opt.families & (1u << f)) && !(attached_fams & (1u << f))) {
			out_flush();
			fprintf(stderr, "kwitness-agent: no attach mode for family %s on kernel %s (no usable tracepoint)\n",
				kw_fam_names[f], kernel_rel);
			err = 1;
			goto cleanup;
		}
	}

	if (opt.guard && !n_att) {
		fprintf(stderr, "kwitness-agent: guard: no program attached\n");
		err = 1;
		goto cleanup;
	}

	/* Poll: ring buffer, stdin EOF, signals, parent death */
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), handle_event, NULL, NULL);
	if (!rb) {
		fprintf(stderr, "kwitness-agent: cannot create the ring buffer reader: %s\n", strerror(errno));
		goto cleanup;
	}
	proc_scan();
	if (opt.linger_s) {
		/* the socket exists before READY: a client that saw READY can always attach */
		if (linger_start(opt.linger_s, opt.backlog_mb, opt.session) < 0) {
			err = 1;
			goto cleanup;
		}
		prctl(PR_SET_PDEATHSIG, 0); /* our parent's end is our client's, not ours */
	}
	size_t ready_at = out.len;
	emit_ready(att, n_att);
	if (opt.linger_s)
		linger_set_ready(out.p + ready_at, out.len - ready_at);
	if (out_flush() < 0)
		goto cleanup;

	watch_stdin = client_init(opt.heartbeat_s);
	ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 1 };
	epoll_ctl(ep, EPOLL_CTL_ADD, ring_buffer__epoll_fd(rb), &ev);
	if (watch_stdin) {
		struct epoll_event sev = { .events = EPOLLIN | EPOLLHUP, .data.u32 = LINGER_EV_CLIENT };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &sev))
			watch_stdin = false;
	}
	if (opt.linger_s)
		linger_watch(ep);
	bool parent_gone = false, told_silent = false;
	uint64_t deep_reported = 0;
	uint64_t last_lost_check = clock_ns(CLOCK_MONOTONIC), lost_reported = 0, notes_reported = 0,
		 unjudged_reported = 0, untracked_reported = 0;
	err = 0;
	while (!stop) {
		struct epoll_event evs[4];
		int n = epoll_wait(ep, evs, 4, 20); /* records come without wakeups: poll */
		if (n < 0 && errno != EINTR) {
			err = 1;
			break;
		}
		for (int k = 0; k < n; k++) {
			if (evs[k].data.u32 == LINGER_EV_CLIENT)
				client_on_stdin();
			else if (evs[k].data.u32 == LINGER_EV_LISTEN)
				linger_accept();
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
			untracked_total = read_lost(skel, 3);
			if (lost_total > lost_reported || unjudged_total > unjudged_reported ||
			    untracked_total > untracked_reported) {
				emit_lost(lost_total - lost_reported, unjudged_total - unjudged_reported,
					  untracked_total - untracked_reported);
				lost_reported = lost_total;
				unjudged_reported = unjudged_total;
				untracked_reported = untracked_total;
			}
			emit_growth(read_lost(skel, 1), &notes_reported,
				    "ring buffer full: %llu process records (fork/exec/exit) lost, ancestors may be incomplete");
			if (opt.guard) {
				guard_tick(skel);
				emit_growth(guard_deep_total(skel), &deep_reported,
					    "guard: %llu checks gave up on a path deeper than the kernel walks (96 levels); those calls were let through");
			}
			if (getppid() != parent && !parent_gone) {
				parent_gone = true;
				if (opt.linger_s)
					linger_stdio_gone("the process that started the trace exited");
				else
					stop = 1; /* parent died (PR_SET_PDEATHSIG covers the rest) */
			}
			if (client_silent() && !told_silent && !opt.linger_s) {
				told_silent = true;
				emit_error("no heartbeat from the client: exiting");
			}
			if (linger_expired())
				stop = 1;
		}
		if (hangup) {
			hangup = 0;
			linger_stdio_gone("hangup (SIGHUP)");
		}
		if (client_lost)
			linger_client_gone("its input closed or fell silent");
		if (out_flush() < 0) {
			if (!opt.linger_s || stop)
				break; /* stdout closed */
			linger_client_gone("its output closed");
		}
	}

	/* Drain what is already in the buffer, report the final loss count */
	ring_buffer__consume(rb);
	lost_total = read_lost(skel, 0);
	unjudged_total = read_lost(skel, 2);
	untracked_total = read_lost(skel, 3);
	emit_lost(lost_total - lost_reported, unjudged_total - unjudged_reported, untracked_total - untracked_reported);
	out_flush();

cleanup:
	if (opt.linger_s)
		linger_end();
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
		fputs(kw_usage, argc < 2 ? stderr : stdout);
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
	if (!strcmp(argv[1], "funcs")) {
		if (argc > 3)
			usage_error("funcs: expected at most one substring to look for");
		return cmd_funcs(argc, argv);
	}
	if (!strcmp(argv[1], "btf")) {
		if (argc != 3 || !argv[2][0])
			usage_error("btf: expected exactly one kernel function name");
		return cmd_btf(argv[2]);
	}
	if (!strcmp(argv[1], "trace")) {
		char err[512];
		if (parse_trace_args(&opt, argc - 2, argv + 2, err, sizeof(err)))
			usage_error("%s", err);
		return cmd_trace();
	}
	if (!strcmp(argv[1], "guard")) {
		/* a trace whose families' place says guard: rules instead (args.c, guard.c) */
		char err[512];
		if (parse_trace_args(&opt, argc - 1, argv + 1, err, sizeof(err)))
			usage_error("%s", err);
		return cmd_trace();
	}
	if (!strcmp(argv[1], "watch"))
		return cmd_watch(argc - 2, argv + 2);
	if (!strcmp(argv[1], "attach"))
		return cmd_attach(argc - 2, argv + 2);
	if (!strcmp(argv[1], "replay"))
		return cmd_replay(argc - 2, argv + 2);
	usage_error("unknown command '%s' (expected probe, trace, guard, attach, watch, replay, btf or funcs)", argv[1]);
}
