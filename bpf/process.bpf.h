/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * process.bpf.h: process events: exec (argv, the file run, the interpreter), exit, fork, and new cgroups.
 * Part of kwitness.bpf.c (one translation unit: the parts are included in this order and use
 * what the earlier ones define).
 */
#ifndef KW_PROCESS_BPF_H
#define KW_PROCESS_BPF_H

/* ---- exec family ---- */

static __always_inline __u32 put_argv_mm(struct kw_raw *r, __u32 used, struct task_struct *task)
{
	__u64 start = BPF_CORE_READ(task, mm, arg_start);
	__u64 end = BPF_CORE_READ(task, mm, arg_end);
	__u64 len = end - start;
	__u32 max = cfg_argv_max;

	if (max > KW_ARGV_MAX)
		max = KW_ARGV_MAX;
	if (len > max) {
		len = max;
		r->rflags |= KW_R_ARGV_TRUNC;
	}
	if (used > KW_DATA_MASK || len == 0)
		return used;
	len &= (KW_ARGV_MAX - 1) | KW_ARGV_MAX;
	if (len > KW_ARGV_MAX)
		return used;
	if (bpf_probe_read_user(&r->data[bound(used)], len, (void *)start))
		return used;
	r->off[KW_S_ARGV] = used;
	r->len[KW_S_ARGV] = len;
	return used + len;
}

/* Failed execs: argv from the user's pointer array (the new image never existed). */
static __always_inline __u32 put_argv_user(struct kw_raw *r, __u32 used, const char *const *argv)
{
	__u32 start = used;

	for (int i = 0; i < 32; i++) {
		const char *a = 0;

		if (bpf_probe_read_user(&a, sizeof(a), &argv[i]) || !a)
			goto done;
		if (used > KW_DATA_MASK || used - start > cfg_argv_max)
			break;
		long n = bpf_probe_read_user_str(&r->data[bound(used)], KW_PATH_MAX, a);
		if (n <= 0)
			goto done;
		used += n;
	}
	r->rflags |= KW_R_ARGV_TRUNC;
done:
	r->off[KW_S_ARGV] = start;
	r->len[KW_S_ARGV] = used - start;
	return used;
}

SEC("raw_tp/sched_process_exec")
int kw_sched_exec(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
	int full = cfg_exec && task_wanted();
	struct kw_raw *r = new_raw(full ? KW_EXEC : KW_RAW_EXEC_NOTE, KW_P_TP_SCHED_EXEC);
	__u32 used = 0;
	const char *fn, *interp;

	if (!r)
		return 0;
	/*
	 * A non-leader thread that execs takes the leader's thread id (de_thread), so the exit of its
	 * execve looks up the leader's key: its own entry (and any io_uring name) would stay behind
	 * under an id the kernel may give a new thread later. old_pid is its id before.
	 */
	__u32 old_tid = (__u32)ctx->args[1];
	if (old_tid != (__u32)bpf_get_current_pid_tgid()) {
		bpf_map_delete_elem(&pending, &old_tid);
		bpf_map_delete_elem(&knames, &old_tid);
	}
	if (full && cfg_failed_only)
		r->hdr.kind = KW_RAW_EXEC_NOTE;
	fill_chain(r, task);
	used = walk_file(r, used, KW_S_EXE, BPF_CORE_READ(bprm, file));
	if (r->hdr.kind == KW_EXEC) {
		used = walk_cwd(r, used, task);
		fn = BPF_CORE_READ(bprm, filename);
		interp = BPF_CORE_READ(bprm, interp);
		used = put_kernel_str(r, used, KW_S_NAME, fn);
		if (interp != fn) {
			r->rflags |= KW_R_SCRIPT;
			used = put_kernel_str(r, used, KW_S_INTERP, interp);
		}
	}
	/* a note carries it too: the pid table's command line of every later event's process */
	used = put_argv_mm(r, used, task);
	if (r->hdr.kind == KW_EXEC)
		stack_deepen(ctx);
	submit(r, used);
	return 0;
}

static __always_inline int exec_enter(__u8 probe, __u64 dfd, __u64 fn, __u64 argv)
{
	if (!cfg_exec)
		return 0;
	return stash(probe, 0, dfd, fn, argv, 0, 0);
}

static __always_inline int exec_exit(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pend *p = bpf_map_lookup_elem(&pending, &tid);
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct kw_raw *r;
	__u32 used = 0;

	if (!p) {
		/* a failed exec of a wanted process with no entry: `pending` was full at its entry (or
		 * the agent started while it ran). A successful one is reported by sched_process_exec. */
		if (ret < 0 && cfg_exec && task_wanted())
			count_lost(KW_LOST_UNTRACKED);
		return 0;
	}
	if (ret < 0 && !p->op) {
		r = new_raw(KW_EXEC, p->probe);
		if (r) {
			r->ret = ret;
			used = walk_cwd(r, used, task);
			used = put_user_str(r, used, KW_S_NAME, (const char *)p->a[1]);
			used = put_argv_user(r, used, (const char *const *)p->a[2]);
			submit(r, used);
		}
	}
	bpf_map_delete_elem(&pending, &tid);
	return 0;
}

ENTER(execve) { return exec_enter(KW_P_TP_EXECVE, AT_FDCWD, ARG(0), ARG(1)); }
SEC("tp/syscalls/sys_exit_execve") int kw_exit_execve(struct trace_event_raw_sys_exit *ctx) { return exec_exit(ctx->ret); }
ENTER(execveat) { return exec_enter(KW_P_TP_EXECVEAT, ARG(0), ARG(1), ARG(2)); }
SEC("tp/syscalls/sys_exit_execveat") int kw_exit_execveat(struct trace_event_raw_sys_exit *ctx) { return exec_exit(ctx->ret); }

SEC("raw_tp/sched_process_exit")
int kw_sched_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	int full = cfg_exec && !cfg_failed_only && task_wanted();
	struct kw_raw *r;
	__u32 used = 0;

	if (!kw_group_dead(task))
		return 0;
	r = new_raw(full ? KW_EXIT : KW_RAW_EXIT_NOTE, KW_P_TP_SCHED_EXIT);
	if (!r)
		return 0;
	r->exit_code = BPF_CORE_READ(task, exit_code);
	fill_chain(r, task);
	if (full)
		used = walk_cwd(r, used, task);
	submit(r, used);
	return 0;
}

/*
 * A new cgroup v2 directory: its id and path reach user space before any event from a process
 * inside it (one ring buffer, in order), so the cgroup path of a process that moves into a
 * fresh cgroup, acts and exits at once is known even when the directory is gone by the time
 * user space reads the event.
 */
SEC("raw_tp/cgroup_mkdir")
int kw_cgroup_mkdir(struct bpf_raw_tracepoint_args *ctx)
{
	struct cgroup *cgrp = (struct cgroup *)ctx->args[0];
	struct kw_raw *r;

	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != 0)
		return 0; /* a cgroup v1 hierarchy: the default (v2) one has id 0 */
	r = new_raw(KW_RAW_CGROUP, 0);
	if (!r)
		return 0;
	r->cgroup_id = BPF_CORE_READ(cgrp, kn, id);
	submit(r, put_kernel_str(r, 0, KW_S_NAME, (const char *)ctx->args[1]));
	return 0;
}

SEC("raw_tp/sched_process_fork")
int kw_sched_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *parent = (struct task_struct *)ctx->args[0];
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	struct kw_raw *r;

	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0; /* a new thread, not a process */
	r = new_raw(KW_RAW_FORK, 0);
	if (!r)
		return 0;
	r->pid = BPF_CORE_READ(child, tgid);
	r->tid = r->pid;
	r->ppid = BPF_CORE_READ(parent, tgid);
	r->start_ns = kw_task_start_boottime(child);
	submit(r, 0);
	return 0;
}

#endif
