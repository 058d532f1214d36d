// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * probe.c: what this host offers. Mounting tracefs/bpffs/securityfs when absent, and the
 * `probe` and `btf` commands. Attach modes are decided by really loading (and attaching) a
 * tiny program per mode, like bcc's fentry_can_attach()/kprobe_exists().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/vfs.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "agent.h"
#include "guard.h"

#define TRACEFS_MAGIC 0x74726163
#define DEBUGFS_MAGIC 0x64626720
#define BPF_FS_MAGIC 0xcafe4a11
#define SECURITYFS_MAGIC 0x73636673

static const char *tfs;

static bool is_fs(const char *path, long magic)
{
	struct statfs s;

	return statfs(path, &s) == 0 && (long)s.f_type == magic;
}

const char *tracefs_dir(void)
{
	return tfs;
}

/* The file systems mount_fs() mounted itself (absent before), unmounted again at exit. */
static const char *ours[4];
static int n_ours;

static void unmount_ours(void)
{
	while (n_ours > 0) {
		const char *dir = ours[--n_ours];
		/* debugfs holds tracefs automounted at tracing/ once it was used: that goes first */
		if (!strcmp(dir, "/sys/kernel/debug") && is_fs("/sys/kernel/debug/tracing", TRACEFS_MAGIC))
			umount("/sys/kernel/debug/tracing");
		/* never MNT_DETACH: a mount that someone started using meanwhile (a shell, another
		 * agent's start-up) is busy and stays, as it would had they mounted it */
		umount(dir);
	}
}

/* mount(2), remembering a success for unmount_ours() at exit. */
static int mount_ours(const char *src, const char *dir, const char *type)
{
	if (mount(src, dir, type, 0, NULL))
		return -1;
	if (n_ours == 0)
		atexit(unmount_ours);
	if (n_ours < (int)(sizeof(ours) / sizeof(ours[0])))
		ours[n_ours++] = dir;
	return 0;
}

int mount_fs(void)
{
	if (is_fs("/sys/kernel/tracing", TRACEFS_MAGIC)) {
		tfs = "/sys/kernel/tracing";
	} else if (is_fs("/sys/kernel/debug/tracing", TRACEFS_MAGIC)) {
		tfs = "/sys/kernel/debug/tracing";
	} else if (mount_ours("tracefs", "/sys/kernel/tracing", "tracefs") == 0) {
		tfs = "/sys/kernel/tracing";
	} else {
		int e = errno;
		if (!is_fs("/sys/kernel/debug", DEBUGFS_MAGIC))
			mount_ours("debugfs", "/sys/kernel/debug", "debugfs");
		if (is_fs("/sys/kernel/debug/tracing", TRACEFS_MAGIC)) {
			tfs = "/sys/kernel/debug/tracing";
		} else {
			fprintf(stderr, "kwitness-agent: tracefs is not mounted and cannot be mounted on /sys/kernel/tracing: %s\n",
				strerror(e));
			return -1;
		}
	}
	/* bpffs and securityfs are optional: lsm/lockdown in `probe`, nothing pinned today */
	if (!is_fs("/sys/fs/bpf", BPF_FS_MAGIC))
		mount_ours("bpf", "/sys/fs/bpf", "bpf");
	if (!is_fs("/sys/kernel/security", SECURITYFS_MAGIC))
		mount_ours("securityfs", "/sys/kernel/security", "securityfs");
	return 0;
}

bool tp_exists(const char *category, const char *name)
{
	char p[512];

	if (!tfs)
		return false;
	snprintf(p, sizeof(p), "%s/events/%s/%s/id", tfs, category, name);
	return access(p, R_OK) == 0;
}

/*
 * Whether 32-bit (ia32) syscalls can run here: a child makes one (getpid, int $0x80). A kernel
 * without IA-32 emulation, or with it switched off (ia32_emulation=off, some hypervisors' guests),
 * kills it with SIGSEGV: then no file syscall can come that way, and the raw tracepoints that
 * watch for them (bpf/ia32.bpf.h, run on every syscall) are not attached. Asked once.
 */
bool ia32_possible(void)
{
#if defined(__x86_64__)
	static int known = -1;

	if (known >= 0)
		return known;
	pid_t pid = fork();
	if (pid == 0) {
		long ret;
		__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
		_exit(ret == (long)getpid() ? 0 : 1);
	}
	int st = 0;
	known = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
	return known;
#else
	return false;
#endif
}

static int tp_id(const char *category, const char *name)
{
	char p[512], s[32] = "";
	FILE *f;

	snprintf(p, sizeof(p), "%s/events/%s/%s/id", tfs ? tfs : "/sys/kernel/tracing", category, name);
	f = fopen(p, "re");
	if (!f)
		return -1;
	if (!fgets(s, sizeof(s), f))
		s[0] = 0;
	fclose(f);
	return s[0] ? atoi(s) : -1;
}

void kernel_release(char *rel, size_t n, char *arch, size_t an)
{
	struct utsname u;

	uname(&u);
	snprintf(rel, n, "%s", u.release);
	snprintf(arch, an, "%s", u.machine);
}

static int silent(enum libbpf_print_level l, const char *f, va_list ap)
{
	return 0;
}

static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

/* fentry: load a tracing program against the function's BTF id (EPERM/EINVAL when refused). */
bool fentry_works(const char *func)
{
	struct btf *vm = btf__load_vmlinux_btf();
	int id, fd;

	if (!vm)
		return false;
	id = btf__find_by_name_kind(vm, func, BTF_KIND_FUNC);
	btf__free(vm);
	if (id < 0)
		return false;
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_TRACE_FENTRY, .attach_btf_id = id);
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", ret0, 2, &o);
	if (fd < 0)
		return false;
	/* loading is not enough on locked-down hosts: attach too */
	int l = bpf_raw_tracepoint_open(NULL, fd);
	close(fd);
	if (l < 0)
		return false;
	close(l);
	return true;
}

/* Each io_uring entry point under the names kernels have given it, oldest first. */
static const char *const kcall_names[][2] = {
	{ "do_unlinkat", "filename_unlinkat" }, { "do_rmdir", "filename_rmdir" },
	{ "do_mkdirat", "filename_mkdirat" },   { "do_renameat2", "filename_renameat2" },
	{ "do_filp_open", "do_file_open" },
};

#define N_KCALL (sizeof(kcall_names) / sizeof(kcall_names[0]))

const char *kcall_target(const char *name)
{
	static const char *resolved[N_KCALL];
	static bool done;

	if (!done) { /* asked once; the BTF (megabytes) is not kept for the trace's life */
		struct btf *vm = btf__load_vmlinux_btf();
		for (size_t i = 0; i < N_KCALL; i++)
			for (size_t k = 0; k < 2 && !resolved[i]; k++)
				if (!vm || btf__find_by_name_kind(vm, kcall_names[i][k], BTF_KIND_FUNC) >= 0)
					resolved[i] = kcall_names[i][k]; /* without BTF: the old name, as before */
		btf__free(vm);
		done = true;
	}
	for (size_t i = 0; i < N_KCALL; i++)
		if (!strcmp(kcall_names[i][0], name))
			return resolved[i];
	return name; /* not an io_uring entry point: its own name */
}

static int perf_attach(int prog, struct perf_event_attr *a)
{
	int pfd = syscall(__NR_perf_event_open, a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);

	if (pfd < 0)
		return -1;
	if (ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog) < 0) {
		close(pfd);
		return -1;
	}
	close(pfd);
	return 0;
}

bool kprobe_works(const char *func)
{
	FILE *f = fopen("/sys/bus/event_source/devices/kprobe/type", "re");
	int type = -1, fd;
	bool ok = false;

	if (f) {
		if (fscanf(f, "%d", &type) != 1)
			type = -1;
		fclose(f);
	}
	if (type < 0)
		return false;
	fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", ret0, 2, NULL);
	if (fd < 0)
		return false;
	struct perf_event_attr a = { .size = sizeof(a), .type = type };
	a.config1 = (uint64_t)(unsigned long)func; /* kprobe_func */
	ok = perf_attach(fd, &a) == 0;
	close(fd);
	return ok;
}

static bool tracepoint_works(const char *category, const char *name)
{
	int id = tp_id(category, name), fd;
	bool ok;

	if (id < 0)
		return false;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, NULL, "GPL", ret0, 2, NULL);
	if (fd < 0)
		return false;
	struct perf_event_attr a = { .size = sizeof(a), .type = PERF_TYPE_TRACEPOINT, .config = id,
				     .sample_period = 1, .wakeup_events = 1 };
	ok = perf_attach(fd, &a) == 0;
	close(fd);
	return ok;
}

static void read_line(const char *path, char *s, size_t n)
{
	FILE *f = fopen(path, "re");

	s[0] = 0;
	if (!f)
		return;
	if (!fgets(s, n, f))
		s[0] = 0;
	fclose(f);
	s[strcspn(s, "\n")] = 0;
}

/* The family -> probe the modes are checked against. */
static const struct {
	const char *family, *func, *tp_cat, *tp_name;
} checks[] = {
	{ "unlink", "security_inode_unlink", "syscalls", "sys_exit_unlinkat" },
	{ "create", "security_inode_rename", "syscalls", "sys_exit_openat" },
	/* write: fentry/kprobe serve do_filp_open (io_uring and kernel-made opens) */
	{ "write", "do_filp_open", "syscalls", "sys_exit_openat" },
	{ "exec", NULL, "sched", "sched_process_exec" },
};

int cmd_probe(void)
{
	char rel[128], arch[64], lock[256], lsm[1024], err[256] = "";
	bool btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;

	libbpf_set_print(silent);
	kernel_release(rel, sizeof(rel), arch, sizeof(arch));
	if (geteuid() != 0)
		snprintf(err, sizeof(err), "not root: the agent needs root (or CAP_BPF+CAP_PERFMON)");
	else if (!btf)
		snprintf(err, sizeof(err), "no BTF: /sys/kernel/btf/vmlinux is missing (kernel without CONFIG_DEBUG_INFO_BTF)");
	else if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1)
		snprintf(err, sizeof(err), "kernel too old: no BPF ring buffer (needs Linux >= 5.8)");
	if (!err[0] && mount_fs() < 0)
		snprintf(err, sizeof(err), "tracefs is not mounted and cannot be mounted");

	read_line("/sys/kernel/security/lockdown", lock, sizeof(lock));
	const char *lk = "unknown";
	if (strstr(lock, "[none]"))
		lk = "none";
	else if (strstr(lock, "[integrity]"))
		lk = "integrity";
	else if (strstr(lock, "[confidentiality]"))
		lk = "confidentiality";
	read_line("/sys/kernel/security/lsm", lsm, sizeof(lsm));

	buf_puts(&out, "{\"agent_version\":");
	json_escape(&out, KW_VERSION, strlen(KW_VERSION));
	buf_puts(&out, ",\"kernel\":");
	json_escape(&out, rel, strlen(rel));
	buf_puts(&out, ",\"arch\":");
	json_escape(&out, arch, strlen(arch));
	buf_printf(&out, ",\"btf\":%s,\"lockdown\":\"%s\",\"lsm\":[", btf ? "true" : "false", lk);
	bool bpf_lsm = false, first = true;
	for (char *save, *t = strtok_r(lsm, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		buf_puts(&out, first ? "" : ",");
		json_escape(&out, t, strlen(t));
		first = false;
		if (!strcmp(t, "bpf"))
			bpf_lsm = true;
	}
	buf_printf(&out, "],\"lsm_bpf\":%s,\"families\":{", bpf_lsm ? "true" : "false");
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		bool fe = false, kp = false, tp = false;
		/* fentry/kprobe count only where this agent has programs of that kind (exec: none) */
		if (!err[0]) {
			const char *fn = checks[i].func ? kcall_target(checks[i].func) : NULL;
			fe = fn && fentry_works(fn);
			kp = fn && kprobe_works(fn);
			tp = tracepoint_works(checks[i].tp_cat, checks[i].tp_name);
		}
		buf_printf(&out, "%s\"%s\":[", i ? "," : "", checks[i].family);
		const char *sep = "";
		if (fe)
			buf_printf(&out, "%s\"fentry\"", sep), sep = ",";
		if (kp)
			buf_printf(&out, "%s\"kprobe\"", sep), sep = ",";
		if (tp)
			buf_printf(&out, "%s\"tracepoint\"", sep), sep = ",";
		buf_puts(&out, "]");
	}
	buf_puts(&out, "}");
	/* io_uring's entry points under this kernel's names; null: not covered on this kernel */
	static const char *const ring_ops[N_KCALL] = { "unlink", "rmdir", "mkdir", "rename", "open" };
	buf_puts(&out, ",\"io_uring\":{");
	for (size_t i = 0; i < N_KCALL; i++) {
		const char *t = err[0] ? NULL : kcall_target(kcall_names[i][0]);
		buf_printf(&out, "%s\"%s\":", i ? "," : "", ring_ops[i]);
		if (t)
			json_escape(&out, t, strlen(t));
		else
			buf_puts(&out, "null");
	}
	buf_puts(&out, "}");
	/* a guard's mechanism here: BPF LSM only where it would run, else fmod_ret, else why neither */
	if (!err[0]) {
		char why[512];
		const char *gm = guard_capability(why, sizeof(why));
		buf_puts(&out, ",\"guard\":{\"mechanism\":");
		if (gm)
			buf_printf(&out, "\"%s\"", gm);
		else
			buf_puts(&out, "null");
		if (why[0]) {
			buf_puts(&out, ",\"note\":");
			const char *w = !strncmp(why, "guard: ", 7) ? why + 7 : why;
			json_escape(&out, w, strlen(w));
		}
		buf_puts(&out, "}");
	}
	if (err[0]) {
		buf_puts(&out, ",\"error\":");
		json_escape(&out, err, strlen(err));
	}
	buf_puts(&out, "}\n");
	out_flush();
	return err[0] ? 1 : 0;
}

static void btf_printf(void *ctx, const char *fmt, va_list args)
{
	vprintf(fmt, args);
}

int cmd_btf(const char *func)
{
	struct btf *vm;
	struct btf_dump *d;
	int id;

	libbpf_set_print(silent);
	vm = btf__load_vmlinux_btf();
	if (!vm) {
		fprintf(stderr, "kwitness-agent: no BTF: cannot read /sys/kernel/btf/vmlinux\n");
		return 1;
	}
	id = btf__find_by_name_kind(vm, func, BTF_KIND_FUNC);
	if (id < 0) {
		fprintf(stderr, "kwitness-agent: btf: no kernel function named '%s' in /sys/kernel/btf/vmlinux\n", func);
		btf__free(vm);
		return 1;
	}
	d = btf_dump__new(vm, btf_printf, NULL, NULL);
	if (!d) {
		btf__free(vm);
		return 1;
	}
	const struct btf_type *t = btf__type_by_id(vm, id);
	LIBBPF_OPTS(btf_dump_emit_type_decl_opts, o, .field_name = func);
	btf_dump__emit_type_decl(d, t->type, &o);
	printf(";\n");
	btf_dump__free(d);
	btf__free(vm);
	return 0;
}
