// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * enrich.c: one raw ring buffer record (struct kw_raw) -> an event: absolute paths from the
 * kernel's reversed walks (and the per-thread cache of the last ones), exe, ancestors, cgroup
 * path, container, --path-prefix decided exactly; then emit.c writes it. Pid table notes
 * (fork/exec/exit) and cgroup notes only feed proc.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <fnmatch.h>
#include <string.h>
#include <unistd.h>
#include "record.h"
#include "func.h"
#include "k8s.h"
#include "stacks.h"

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
	[KW_P_TP_TRUNCATE] = "tracepoint:syscalls:sys_exit_truncate",
	[KW_P_TP_FTRUNCATE] = "tracepoint:syscalls:sys_exit_ftruncate",
	/* the raw tracepoint saw it; the kernel's entry point for that 32-bit syscall names it */
	[KW_P_IA32_UNLINK] = "raw_tracepoint:sys_exit:__ia32_sys_unlink",
	[KW_P_IA32_UNLINKAT] = "raw_tracepoint:sys_exit:__ia32_sys_unlinkat",
	[KW_P_IA32_RMDIR] = "raw_tracepoint:sys_exit:__ia32_sys_rmdir",
	[KW_P_IA32_RENAME] = "raw_tracepoint:sys_exit:__ia32_sys_rename",
	[KW_P_IA32_RENAMEAT] = "raw_tracepoint:sys_exit:__ia32_sys_renameat",
	[KW_P_IA32_RENAMEAT2] = "raw_tracepoint:sys_exit:__ia32_sys_renameat2",
	[KW_P_IA32_OPEN] = "raw_tracepoint:sys_exit:__ia32_compat_sys_open",
	[KW_P_IA32_OPENAT] = "raw_tracepoint:sys_exit:__ia32_compat_sys_openat",
	[KW_P_IA32_OPENAT2] = "raw_tracepoint:sys_exit:__ia32_sys_openat2",
	[KW_P_IA32_CREAT] = "raw_tracepoint:sys_exit:__ia32_sys_creat",
	[KW_P_IA32_TRUNCATE] = "raw_tracepoint:sys_exit:__ia32_compat_sys_truncate",
	[KW_P_IA32_FTRUNCATE] = "raw_tracepoint:sys_exit:__ia32_compat_sys_ftruncate",
	[KW_P_IA32_MKDIR] = "raw_tracepoint:sys_exit:__ia32_sys_mkdir",
	[KW_P_IA32_MKDIRAT] = "raw_tracepoint:sys_exit:__ia32_sys_mkdirat",
	[KW_P_IA32_MKNOD] = "raw_tracepoint:sys_exit:__ia32_sys_mknod",
	[KW_P_IA32_MKNODAT] = "raw_tracepoint:sys_exit:__ia32_sys_mknodat",
	[KW_P_IA32_LINK] = "raw_tracepoint:sys_exit:__ia32_sys_link",
	[KW_P_IA32_LINKAT] = "raw_tracepoint:sys_exit:__ia32_sys_linkat",
	[KW_P_IA32_SYMLINK] = "raw_tracepoint:sys_exit:__ia32_sys_symlink",
	[KW_P_IA32_SYMLINKAT] = "raw_tracepoint:sys_exit:__ia32_sys_symlinkat",
	/* guard (bpf/guard.bpf.h) */
	[KW_P_G_PATH_UNLINK] = "lsm:path_unlink", [KW_P_G_PATH_UNLINK_FMR] = "fmod_ret:security_path_unlink",
	[KW_P_G_PATH_RMDIR] = "lsm:path_rmdir", [KW_P_G_PATH_RMDIR_FMR] = "fmod_ret:security_path_rmdir",
	[KW_P_G_PATH_RENAME] = "lsm:path_rename", [KW_P_G_PATH_RENAME_FMR] = "fmod_ret:security_path_rename",
	[KW_P_G_PATH_MKDIR] = "lsm:path_mkdir", [KW_P_G_PATH_MKDIR_FMR] = "fmod_ret:security_path_mkdir",
	[KW_P_G_PATH_MKNOD] = "lsm:path_mknod", [KW_P_G_PATH_MKNOD_FMR] = "fmod_ret:security_path_mknod",
	[KW_P_G_PATH_SYMLINK] = "lsm:path_symlink", [KW_P_G_PATH_SYMLINK_FMR] = "fmod_ret:security_path_symlink",
	[KW_P_G_PATH_LINK] = "lsm:path_link", [KW_P_G_PATH_LINK_FMR] = "fmod_ret:security_path_link",
	[KW_P_G_PATH_TRUNCATE] = "lsm:path_truncate", [KW_P_G_PATH_TRUNCATE_FMR] = "fmod_ret:security_path_truncate",
	[KW_P_G_FILE_TRUNCATE] = "lsm:file_truncate", [KW_P_G_FILE_TRUNCATE_FMR] = "fmod_ret:security_file_truncate",
	[KW_P_G_FILE_OPEN] = "lsm:file_open", [KW_P_G_FILE_OPEN_FMR] = "fmod_ret:security_file_open",
	[KW_P_G_FILE_PERMISSION] = "lsm:file_permission",
	[KW_P_G_FILE_PERMISSION_FMR] = "fmod_ret:security_file_permission",
};

const char *probe_name(unsigned id)
{
	return id < KW_P_MAX ? probe_names[id] : NULL;
}

const char *ia32_function(unsigned id)
{
	const char *n = probe_name(id);
	return n ? strrchr(n, ':') + 1 : NULL;
}

void probe_names_ia32_kretprobe(void)
{
	for (unsigned i = KW_P_IA32_UNLINK; i <= KW_P_IA32_SYMLINKAT; i++) {
		char *s = NULL;
		if (asprintf(&s, "kretprobe:%s", ia32_function(i)) > 0)
			probe_names[i] = s; /* kept for the agent's life */
	}
}

void probe_name_kcall(const char *name, const char *target)
{
	if (!target || !strcmp(name, target))
		return;
	for (int i = 0; i < KW_P_MAX; i++) {
		const char *colon = probe_names[i] ? strchr(probe_names[i], ':') : NULL;
		if (!colon || strcmp(colon + 1, name))
			continue;
		char *n = malloc((size_t)(colon - probe_names[i]) + 1 + strlen(target) + 1);
		if (!n)
			return;
		sprintf(n, "%.*s:%s", (int)(colon - probe_names[i]), probe_names[i], target);
		probe_names[i] = n; /* kept for the trace's life */
	}
}

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

static struct buf b_path, b_old, b_cwd, b_base, b_exe, b_interp, b_named, b_proc, b_pcwd, b_pbase, b_fs, b_dproc, b_real;

/* How a path relates to the host's mount namespace (hostpath.c). */
enum view {
	VIEW_HOST,       /* walked in the host's namespace: the process's view is the host's */
	VIEW_MAPPED,     /* another namespace; named by where the host mounts its file system */
	VIEW_NOT_ON_HOST /* another namespace, on a file system the host does not mount: the process's view */
};

/* A directory as the host names it, and the process's view when that differs (.p NULL: same). */
struct dirv {
	struct sv host, proc;
	enum view view;
};

/*
 * Appends a walk slot as the host names it; the process's view goes to `proc` (when not NULL)
 * for a walk in another mount namespace.
 */
static enum view walk_on_host(struct buf *dst, struct buf *proc, const struct kw_raw *r, size_t dsz, int s)
{
	struct sv w = slot(r, dsz, s);
	size_t off = r->fs_off[s], len = r->fs_len[s];

	if (!(r->foreign >> s & 1) || off + len > dsz) {
		path_from_walk(dst, w.p, w.n);
		return VIEW_HOST;
	}
	if (proc)
		path_from_walk(proc, w.p, w.n);
	b_fs.len = 0;
	path_from_walk(&b_fs, r->data + off, len);
	if (hostpath_map(r->fs_dev[s], b_fs.p, b_fs.len, dst))
		return VIEW_MAPPED;
	path_from_walk(dst, w.p, w.n);
	return VIEW_NOT_ON_HOST;
}

bool walk_slot_on_host(struct buf *dst, const struct kw_raw *r, size_t dsz, int s)
{
	return walk_on_host(dst, NULL, r, dsz, s) != VIEW_NOT_ON_HOST;
}

/* A directory walk slot into `host` (and `proc`), as a struct dirv. */
static struct dirv dir_walk(struct buf *host, struct buf *proc, const struct kw_raw *r, size_t dsz, int s)
{
	host->len = 0;
	proc->len = 0;
	enum view v = walk_on_host(host, proc, r, dsz, s);
	struct dirv d = { { host->p, host->len }, { NULL, 0 }, v };
	if (v != VIEW_HOST)
		d.proc = (struct sv){ proc->p, proc->len };
	return d;
}

/* Keeps a thread's directory (TC_CWD/TC_BASE and its process view) for its next events. */
static struct dirv dir_cache(struct tcache *tc, int which, int pwhich, struct dirv d)
{
	tcache_set(tc, which, d.host.p, d.host.n);
	tcache_set(tc, pwhich, d.proc.p, d.proc.n);
	tcache_set_unmapped(tc, which, d.view == VIEW_NOT_ON_HOST);
	return (struct dirv){ tcache_path(tc, which), tcache_path(tc, pwhich), d.view };
}

static struct dirv dir_cached(struct tcache *tc, int which, int pwhich)
{
	struct sv p = tcache_path(tc, pwhich);
	enum view v = tcache_unmapped(tc, which) ? VIEW_NOT_ON_HOST : p.p ? VIEW_MAPPED : VIEW_HOST;
	return (struct dirv){ tcache_path(tc, which), p, v };
}

/*
 * Absolute path of (base walk or cwd) + name, normalised, as the host names it; the process's
 * view goes to `proc` (when not NULL). An absolute name of a process in another root is joined to
 * its root's walk (KW_R2_ROOT_BASE). Returns how the path relates to the host.
 */
static enum view build_path(struct buf *dst, struct buf *proc, const struct kw_raw *r, size_t dsz, int name_slot,
			    int base_slot, uint16_t none_flag, uint16_t cwd_flag, uint8_t root_flag2, struct dirv cwd,
			    struct dirv base)
{
	struct sv name = slot(r, dsz, name_slot);
	enum view v = VIEW_HOST;

	dst->len = 0;
	if (proc)
		proc->len = 0;
	if (r->rflags & none_flag) {
		if (r->rflags2 & root_flag2) {
			/* the process's root (a chroot's directory, a container's root) on the host */
			b_dproc.len = 0;
			v = walk_on_host(dst, &b_dproc, r, dsz, base_slot);
			buf_put(dst, "/", 1);
			if (v == VIEW_HOST)
				v = VIEW_MAPPED; /* a chroot in the host's namespace: the name is the process's view */
		}
		buf_put(dst, name.p, name.n);
		if (proc && v != VIEW_HOST)
			buf_put(proc, name.p, name.n);
	} else {
		struct dirv d = (r->rflags & cwd_flag) ? cwd : base;
		if (!d.host.p) {
			/* walked straight into dst (no pointer into dst is kept: it grows below); another
			 * namespace's view, the only one used later, is in b_dproc */
			b_dproc.len = 0;
			d.view = walk_on_host(dst, &b_dproc, r, dsz, base_slot);
			d.proc = d.view == VIEW_HOST ? (struct sv){ NULL, 0 } : (struct sv){ b_dproc.p, b_dproc.len };
		} else {
			buf_put(dst, d.host.p, d.host.n);
		}
		v = d.view;
		buf_put(dst, "/", 1);
		buf_put(dst, name.p, name.n);
		if (proc && v != VIEW_HOST) {
			struct sv pd = d.proc.p ? d.proc : d.host; /* d.host: a cached dir, never into dst */
			buf_put(proc, pd.p, pd.n);
			buf_put(proc, "/", 1);
			buf_put(proc, name.p, name.n);
		}
	}
	path_normalize(dst);
	if (proc && v != VIEW_HOST)
		path_normalize(proc);
	return v;
}

/* A --path-glob matches the path itself or one of its parents (a matched directory's contents count). */
static bool glob_match(const char *p, size_t n)
{
	char tmp[KW_PATH_MAX + 1];

	if (n >= sizeof(tmp))
		return true; /* cannot be ruled out */
	memcpy(tmp, p, n);
	tmp[n] = 0;
	for (int g = 0; g < opt.n_glob; g++)
		for (size_t i = 1; i <= n; i++) {
			if (i < n && tmp[i] != '/')
				continue;
			char c = tmp[i];
			tmp[i] = 0;
			bool hit = fnmatch(opt.glob[g], tmp, FNM_PATHNAME) == 0;
			tmp[i] = c;
			if (hit)
				return true;
		}
	return false;
}

static bool prefix_match(const char *p, size_t n)
{
	if (!opt.n_prefix)
		return true;
	for (int i = 0; i < opt.n_prefix; i++) {
		if (opt.prefix_of_glob[i])
			continue;
		for (int real = 0; real < 2; real++) {
			const char *q = real ? opt.prefix_real[i] : opt.prefix[i];
			size_t k = q ? strlen(q) : 0;
			if (q && (k == 1 || (n >= k && !memcmp(p, q, k) && (n == k || p[k] == '/'))))
				return true;
		}
	}
	return opt.n_glob && glob_match(p, n);
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
		proc_cmdline(cur, &e->anc_cmdline[e->n_anc].p, &e->anc_cmdline[e->n_anc].n);
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

/* Container runtime and name, the process's pod, the pod that owns the path (k8s.c). */
static void add_podinfo(struct ev *e, const char *cid)
{
	static struct k8s_who who;
	static struct k8s_pod ppod;

	k8s_identify(e->cgroup.p, cid, &who);
	bool path_pod = kw_kind_is_file(e->kind) && k8s_path_pod(e->path.p, e->path.n, &ppod);
	if (!who.runtime[0] && !who.container_name[0] && !who.pod_uid[0] && !path_pod)
		return;
	e->flags |= KW_F_PODINFO;
	e->runtime = sv_c(who.runtime);
	e->ctr_name = sv_c(who.container_name);
	e->pod_ns = sv_c(who.pod_ns);
	e->pod_name = sv_c(who.pod_name);
	e->pod_uid = sv_c(who.pod_uid);
	e->ppod_ns = sv_c(path_pod ? ppod.ns : "");
	e->ppod_name = sv_c(path_pod ? ppod.name : "");
	e->ppod_uid = sv_c(path_pod ? ppod.uid : "");
}

int handle_event(void *ctx, void *data, size_t size)
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
		b_exe.len = 0;
		walk_on_host(&b_exe, NULL, r, dsz, KW_S_EXE);
		struct sv av = slot(r, dsz, KW_S_ARGV);
		proc_exec(r->pid, comm, b_exe.p, r->hdr.ktime_ns, av.p, av.n);
		stacks_forget(r->pid);
		return 0;
	}
	case KW_RAW_EXIT_NOTE:
		proc_exit(r->pid);
		tcache_drop(r->pid);
		stacks_forget(r->pid);
		return 0;
	case KW_RAW_CGROUP: {
		struct sv x = slot(r, dsz, KW_S_NAME);
		cgroup_learn(r->cgroup_id, x.p, x.n);
		return 0;
	}
	case KW_UNLINK:
	case KW_CREATE:
	case KW_WRITE:
	case KW_DENIED:
	case KW_EXEC:
	case KW_EXIT:
	case KW_CALL:
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
	struct tcache *tc = NULL;
	struct dirv cwd = { { NULL, 0 }, { NULL, 0 }, VIEW_HOST }, base = cwd;
	if (kw_kind_is_file(e.kind)) {
		/* keep the thread cache in step with the kernel's before any filtering */
		tc = tcache_get(r->tid);
		if (r->rflags & KW_R_CWD_SAME) {
			if (!tcache_path(tc, TC_CWD).p) {
				char p[64], t[4096];
				snprintf(p, sizeof(p), "/proc/%u/task/%u/cwd", r->pid, r->tid);
				ssize_t n = readlink(p, t, sizeof(t));
				tcache_set(tc, TC_CWD, n > 0 ? t : "/", n > 0 ? (size_t)n : 1);
			}
			cwd = dir_cached(tc, TC_CWD, TC_PCWD);
		} else {
			cwd = dir_cache(tc, TC_CWD, TC_PCWD, dir_walk(&b_cwd, &b_pcwd, r, dsz, KW_S_CWD));
		}
		if (r->rflags & KW_R_BASE_SAME) {
			if (!tcache_path(tc, TC_BASE).p) {
				char p[64], t[4096];
				snprintf(p, sizeof(p), "/proc/%u/fd/%d", r->pid, (int)r->exit_code);
				ssize_t n = readlink(p, t, sizeof(t));
				tcache_set(tc, TC_BASE, n > 0 ? t : "/", n > 0 ? (size_t)n : 1);
			}
			base = dir_cached(tc, TC_BASE, TC_PBASE);
		} else if (!(r->rflags & (KW_R_BASE_NONE | KW_R_BASE_CWD | KW_R_BASE_ABS))) {
			base = dir_cache(tc, TC_BASE, TC_PBASE, dir_walk(&b_base, &b_pbase, r, dsz, KW_S_BASE));
		}
		b_cwd.len = 0;
		buf_put(&b_cwd, cwd.host.p, cwd.host.n);
	} else if (e.kind == KW_CALL) {
		/* a call's first slots are its arguments'; its cwd is walked into its own */
		b_cwd.len = 0;
		walk_on_host(&b_cwd, NULL, r, dsz, KW_S_CALL_CWD);
	} else {
		b_cwd.len = 0;
		walk_on_host(&b_cwd, NULL, r, dsz, KW_S_CWD);
	}
	e.cwd = (struct sv){ b_cwd.p, b_cwd.len };
	e.cgroup = sv_c(cgroup_path(r->cgroup_id, r->pid));
	if (container_id(e.cgroup.p, cid)) {
		e.has_container = true;
		e.flags |= KW_F_CONTAINER;
		e.container = sv_c(cid);
	}

	if (kw_kind_is_file(e.kind)) {
		bool denied = e.kind == KW_DENIED;
		if (r->op < KW_OP_UNLINK || r->op > KW_OP_WRITE ||
		    (denied ? r->op == KW_OP_EXCHANGE
			    : (r->op == KW_OP_WRITE ||
			       (e.kind == KW_WRITE) != (r->op == KW_OP_OPEN_WRITE || r->op == KW_OP_TRUNCATE) ||
			       (r->op == KW_OP_EXCHANGE && e.kind != KW_CREATE)))) {
			/* the emitters index their name table with it; the decoder refuses it; a write is
			 * always an open for writing or a truncate, and nothing else is; an exchange
			 * deletes nothing, so it is never an unlink; a guard refuses a call before it
			 * happens, so never an exchange (it names the protected side as a rename) */
			emit_error("raw file record with an unknown op");
			return 0;
		}
		e.op = r->op;
		if (denied) {
			e.rule = r->exit_code;
			e.verdict = r->nlink ? KW_VERDICT_WOULD_DENY : KW_VERDICT_DENIED;
		}
		e.exe = sv_c(proc_exe(r->pid));
		enum view view;
		b_path.len = 0;
		b_proc.len = 0;
		if (r->rflags & KW_R_BASE_ABS) {
			view = walk_on_host(&b_path, &b_proc, r, dsz, KW_S_BASE);
			e.flags |= KW_F_PATH_SRC_KERNEL; /* the opened file's own path */
		} else if (r->rflags2 & KW_R2_KPATH) {
			/* the removed file's own path; the caller's spelling is kept when it differs */
			view = walk_on_host(&b_path, &b_proc, r, dsz, KW_S_KPATH);
			e.flags |= KW_F_PATH_SRC_KERNEL;
			if (!(r->rflags & KW_R_NAME_UNREAD)) {
				build_path(&b_named, NULL, r, dsz, KW_S_NAME, KW_S_BASE, KW_R_BASE_NONE, KW_R_BASE_CWD,
					   KW_R2_ROOT_BASE, cwd, base);
				if (b_named.len != b_path.len || memcmp(b_named.p, b_path.p, b_path.len)) {
					e.named = (struct sv){ b_named.p, b_named.len };
					e.flags |= KW_F_NAMED;
				}
			}
		} else {
			view = build_path(&b_path, &b_proc, r, dsz, KW_S_NAME, KW_S_BASE, KW_R_BASE_NONE, KW_R_BASE_CWD,
					  KW_R2_ROOT_BASE, cwd, base);
			if (r->rflags2 & KW_R2_KNAME)
				e.flags |= KW_F_PATH_SRC_KERNEL; /* the kernel's name in the directory it resolved */
			else if (r->rflags2 & KW_R2_NAME_COPY)
				e.flags |= KW_F_PATH_SRC_NAME;
			else
				e.flags |= KW_F_PATH_SRC_USER;
		}
		e.path = (struct sv){ b_path.p, b_path.len };
		if (view == VIEW_NOT_ON_HOST)
			e.flags |= KW_F_PATH_NOT_ON_HOST;
		else if (view == VIEW_MAPPED && (b_proc.len != b_path.len || memcmp(b_proc.p, b_path.p, b_path.len))) {
			e.proc_path = (struct sv){ b_proc.p, b_proc.len };
			e.flags |= KW_F_PROC_PATH;
		}
		if (view == VIEW_MAPPED && r->ret == 0) {
			/* a container's file on its overlay root: the layer it lives (or lived) in */
			bool lower = false;
			b_real.len = 0;
			if (hostpath_overlay(b_path.p, b_path.len, e.kind == KW_UNLINK, &b_real, &lower)) {
				e.real_path = (struct sv){ b_real.p, b_real.len };
				e.fflags |= KW_FF_REAL_PATH | (lower ? KW_FF_LOWER : 0);
			}
		}
		if (r->rflags & KW_R_TRUNC || slot(r, dsz, KW_S_NAME).n >= KW_PATH_MAX - 1)
			e.flags |= KW_F_PATH_TRUNC;
		bool two_names = !denied && (r->op == KW_OP_RENAME || r->op == KW_OP_EXCHANGE || r->op == KW_OP_LINK);
		if (two_names) {
			struct dirv none = { { NULL, 0 }, { NULL, 0 }, VIEW_HOST };
			build_path(&b_old, NULL, r, dsz, KW_S_ONAME, KW_S_OBASE, KW_R_OBASE_NONE, KW_R_OBASE_CWD,
				   KW_R2_ROOT_OBASE, cwd, none);
			e.old_path = (struct sv){ b_old.p, b_old.len };
			e.flags |= KW_F_OLD_PATH;
		}
		/* a cut path lost its leading part: it cannot be ruled out, so it passes; a rename's
		 * (or exchange's) create also passes by its old name (a file renamed away from a watched
		 * path). An unreadable name is judged by its directory (what build_path made of it). */
		bool moved = e.kind == KW_CREATE && (r->op == KW_OP_RENAME || r->op == KW_OP_EXCHANGE);
		if (!(e.flags & KW_F_PATH_TRUNC) && !prefix_match(e.path.p, e.path.n) &&
		    !(moved && prefix_match(e.old_path.p, e.old_path.n)))
			return 0;
		/* never name the directory as the file: the name is unknown, so is the path */
		if ((r->rflags & KW_R_NAME_UNREAD) && !(r->rflags2 & KW_R2_KPATH)) {
			e.path = (struct sv){ "", 0 };
			e.flags |= KW_F_NAME_UNREADABLE;
		}
		if (two_names && (r->rflags & KW_R_ONAME_UNREAD)) {
			e.old_path = (struct sv){ "", 0 };
			e.flags |= KW_F_NAME_UNREADABLE;
		}
		if (r->op == KW_OP_SYMLINK && !denied) {
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
			b_exe.len = 0;
			walk_on_host(&b_exe, NULL, r, dsz, KW_S_EXE);
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
				/* the file the kernel opened: through the symlinks in its name (npm -> npm-cli.js) */
				char real[4096];
				if (script_path(r->pid, b_path.p, !e.has_container, real, sizeof(real))) {
					b_path.len = 0;
					buf_puts(&b_path, real);
				}
				e.exe = (struct sv){ b_path.p, b_path.len };
			} else {
				e.exe = (struct sv){ b_exe.p, b_exe.len };
			}
			/* the table keeps what this event called exe (the script for #! runs) */
			proc_exec(r->pid, comm, e.exe.p, r->hdr.ktime_ns, e.argv.p, e.argv.n);
			stacks_forget(r->pid);
			if (!prefix_match(e.exe.p, e.exe.n))
				return 0;
		} else {
			e.exe = sv_c(proc_exe(r->pid));
			if (!prefix_match(e.exe.p, e.exe.n))
				return 0;
		}
	} else if (e.kind == KW_CALL) {
		e.exe = sv_c(proc_exe(r->pid));
		if (!func_event(r, dsz, &e)) {
			emit_error("call record of an unknown function slot");
			return 0;
		}
		uint8_t slot;
		memcpy(&slot, r->data + offsetof(struct kw_call_data, slot), 1); /* func_event checked the size */
		e.probe = sv_c(func_probe_name(slot));
	} else { /* KW_EXIT */
		struct proc_ent *pe = proc_get(r->pid);
		tcache_drop(r->pid); /* the process is gone: its main thread's paths too */
		stacks_forget(r->pid);
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
	proc_cmdline(r->pid, &e.cmdline.p, &e.cmdline.n);
	e.flags |= KW_F_CMDLINE;
	add_podinfo(&e, e.has_container ? cid : NULL);
	fill_ancestors(&e, r);
	static struct ev_stacks stk;
	/* the kernel puts stacks in call, file and exec records only; an exit never carries any */
	if (r->stacks && e.kind != KW_EXIT && stacks_resolve(r, dsz, e.exe, &stk))
		e.stk = &stk;
	if (e.stk && e.kind == KW_CALL) {
		/* a call's stack is taken in its function's trampoline or kprobe: when the function
		 * itself is among the first frames, whatever comes before it is the tracer's (a
		 * trampoline image kallsyms does not list is named after the module symbol below it) */
		struct sv fn = e.call->func;
		for (uint32_t i = 1; i < 3 && i < stk.kn; i++)
			if (stk.k[i].sym.n == fn.n && !memcmp(stk.k[i].sym.p, fn.p, fn.n)) {
				memmove(stk.k, stk.k + i, (stk.kn - i) * sizeof(stk.k[0]));
				stk.kn -= i;
				break;
			}
	}
	if (opt.wire)
		emit_wire(&e);
	else
		emit_json(&e);
	if (e.kind == KW_EXIT)
		proc_exit(r->pid);
	return 0;
}
