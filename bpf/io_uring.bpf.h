/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * io_uring.bpf.h: calls made without a system call (io_uring workers): the kernel functions' entries
 * stash, their exits report like a syscall exit.
 * Part of kwitness.bpf.c (one translation unit: the parts are included in this order and use
 * what the earlier ones define).
 */
#ifndef KW_IO_URING_BPF_H
#define KW_IO_URING_BPF_H

/*
 * io_uring (IORING_OP_UNLINKAT, 5.11+) calls do_unlinkat/do_rmdir from an io_uring worker
 * (iou-wrk-*, a thread of the submitter that shares its files and fs) with no system call
 * around it, so the syscall tracepoints never see it. When a thread enters these with no
 * syscall in flight, the entry hook stashes the call and the exit hook reports it like a
 * syscall exit. struct filename is freed before the function returns: its name is copied now.
 */
static __always_inline int stash_kernel_call(__u8 probe, __u8 op, int dfd, struct filename *fn,
					     int odfd, struct filename *ofn, __u64 a4)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), zero = 0;
	struct kname *init, *k;

	if (op == KW_OP_RENAME || op == KW_OP_EXCHANGE)
		note_any_rename();
	if (bpf_map_lookup_elem(&pending, &tid))
		return 0; /* a system call: its exit tracepoint reports it */
	if (!task_wanted())
		return 0;
	init = bpf_map_lookup_elem(&kname_init, &zero);
	if (init && !bpf_map_update_elem(&knames, &tid, init, BPF_ANY)) {
		k = bpf_map_lookup_elem(&knames, &tid);
		if (k) {
			bpf_probe_read_kernel_str(k->s[0], sizeof(k->s[0]), BPF_CORE_READ(fn, name));
			if (ofn)
				bpf_probe_read_kernel_str(k->s[1], sizeof(k->s[1]), BPF_CORE_READ(ofn, name));
		}
	}
	struct pend p = {};
	p.a[0] = (__u64)dfd;
	p.a[2] = (__u64)odfd;
	p.a[4] = a4;
	p.probe = probe;
	p.op = op;
	p.kname = 1;
	if (bpf_map_update_elem(&pending, &tid, &p, BPF_ANY)) {
		/*
		 * Only an io_uring worker's call is sure to be one the table never saw. Any other
		 * thread may be inside a system call (an unlinkat syscall runs do_unlinkat) whose entry
		 * the full table already refused and counted: counting again would count it twice.
		 */
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();

		if (BPF_CORE_READ(task, flags) & KW_PF_IO_WORKER)
			count_lost(KW_LOST_UNTRACKED);
		bpf_map_delete_elem(&knames, &tid);
	}
	return 0;
}

static __always_inline int kernel_call_exit(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pend *p = bpf_map_lookup_elem(&pending, &tid);

	if (!p || !p->kname)
		return 0;
	if (p->op == KW_OP_RENAME || p->op == KW_OP_EXCHANGE)
		note_any_rename();
	return sys_exit_file(ret, 0);
}

/*
 * do_filp_open(int dfd, struct filename *name, const struct open_flags *op) -> struct file *:
 * io_uring's IORING_OP_OPENAT(2) (5.6+; O_CREAT always runs in the worker) and kernel-made opens
 * (core dumps). Only the opens the open syscalls would stash are (open_wanted: the same test, so
 * an open syscall this thread runs is never taken for a kernel call); the exit reports a new
 * file (FMODE_CREATED), a write open of an existing file, or a failure, like the syscalls' exit.
 */
static __always_inline int stash_kernel_open(__u8 probe, int dfd, struct filename *fn, struct open_flags *op)
{
	__u64 flags = (__u32)BPF_CORE_READ(op, open_flag);

	if (!open_wanted(flags))
		return 0;
	return stash_kernel_call(probe, KW_OP_OPEN, dfd, fn, 0, 0, flags);
}

static __always_inline int kernel_open_exit(__u64 file)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pend *p = bpf_map_lookup_elem(&pending, &tid);

	if (!p || !p->kname)
		return 0;
	if (file == (__u64)-11) {
		/* -EAGAIN: io_uring's first, non-blocking try of an O_WRONLY/O_RDWR open (LOOKUP_CACHED
		 * in the submitter's io_uring_enter); the worker opens it again and that one counts */
		bpf_map_delete_elem(&knames, &tid);
		bpf_map_delete_elem(&pending, &tid);
		return 0;
	}
	if (file >= (__u64)-4095) /* ERR_PTR */
		return sys_exit_file((long)file, 0);
	return sys_exit_file(0, file);
}

/*
 * The io_uring entry points, same signatures 5.15 .. 6.18 (5.11+ for the first three):
 *   do_unlinkat(int dfd, struct filename *name)       do_rmdir(int dfd, struct filename *name)
 *   do_renameat2(int olddfd, struct filename *from, int newdfd, struct filename *to, unsigned flags)
 *   do_mkdirat(int dfd, struct filename *name, umode_t mode)
 *   do_filp_open (below: the opens open_wanted() takes)
 * Each has an entry (stash) and an exit (report) program per mode; ret is the exit's argument
 * after the parameters (fexit) or the return register (kretprobe).
 */
#define KW_KCALL_FENTRY(fn, id, op, dfd, name, odfd, oname, nargs)                          \
	SEC("fentry/" #fn) int kw_fe_##fn(__u64 *ctx)                                      \
	{                                                                                  \
		return stash_kernel_call(id, op, (int)KW_CTX_ARG(ctx, dfd),                \
					 (struct filename *)KW_CTX_ARG(ctx, name), odfd,  \
					 oname, 0);                                        \
	}                                                                                  \
	SEC("fexit/" #fn) int kw_fx_##fn(__u64 *ctx)                                       \
	{                                                                                  \
		return kernel_call_exit((int)KW_CTX_ARG(ctx, nargs));                      \
	}

KW_KCALL_FENTRY(do_unlinkat, KW_P_FX_DO_UNLINKAT, KW_OP_UNLINK, 0, 1, 0, 0, 2)
KW_KCALL_FENTRY(do_rmdir, KW_P_FX_DO_RMDIR, KW_OP_RMDIR, 0, 1, 0, 0, 2)
KW_KCALL_FENTRY(do_mkdirat, KW_P_FX_DO_MKDIRAT, KW_OP_MKDIR, 0, 1, 0, 0, 3)
KW_KCALL_FENTRY(do_renameat2, KW_P_FX_DO_RENAMEAT2, rename_op(KW_CTX_ARG(ctx, 4)), 2, 3, (int)KW_CTX_ARG(ctx, 0),
		(struct filename *)KW_CTX_ARG(ctx, 1), 5)

SEC("fentry/do_filp_open")
int kw_fe_do_filp_open(__u64 *ctx)
{
	return stash_kernel_open(KW_P_FX_DO_FILP_OPEN, (int)KW_CTX_ARG(ctx, 0), (struct filename *)KW_CTX_ARG(ctx, 1),
				 (struct open_flags *)KW_CTX_ARG(ctx, 2));
}

SEC("fexit/do_filp_open")
int kw_fx_do_filp_open(__u64 *ctx)
{
	__u64 file = 0;

	/* a plain load types the result as a struct file pointer, which a global function (5.10
	 * too) cannot take: read the slot as bytes to get a scalar */
	bpf_probe_read_kernel(&file, sizeof(file), (void *)ctx + 3 * 8);
	return kernel_open_exit(file);
}

#define KW_KCALL_KPROBE(fn, id, op, dfd, name, odfd, oname)                                  \
	SEC("kprobe/" #fn) int kw_kp_##fn(struct pt_regs *ctx)                             \
	{                                                                                  \
		return stash_kernel_call(id, op, (int)dfd, (struct filename *)name, odfd,  \
					 oname, 0);                                        \
	}

/* The return of do_unlinkat, do_rmdir, do_mkdirat, do_renameat2: one program, attached by user
 * space to each (verified once, like kw_sys_exit_file). */
SEC("kretprobe/do_file_call")
int kw_krp_do_file_call(struct pt_regs *ctx)
{
	return kernel_call_exit((int)PT_REGS_RC_CORE(ctx));
}

KW_KCALL_KPROBE(do_unlinkat, KW_P_KRP_DO_UNLINKAT, KW_OP_UNLINK, PT_REGS_PARM1_CORE(ctx), PT_REGS_PARM2_CORE(ctx), 0, 0)
KW_KCALL_KPROBE(do_rmdir, KW_P_KRP_DO_RMDIR, KW_OP_RMDIR, PT_REGS_PARM1_CORE(ctx), PT_REGS_PARM2_CORE(ctx), 0, 0)
KW_KCALL_KPROBE(do_mkdirat, KW_P_KRP_DO_MKDIRAT, KW_OP_MKDIR, PT_REGS_PARM1_CORE(ctx), PT_REGS_PARM2_CORE(ctx), 0, 0)
SEC("kprobe/do_filp_open")
int kw_kp_do_filp_open(struct pt_regs *ctx)
{
	return stash_kernel_open(KW_P_KRP_DO_FILP_OPEN, (int)PT_REGS_PARM1_CORE(ctx), (struct filename *)PT_REGS_PARM2_CORE(ctx),
				 (struct open_flags *)PT_REGS_PARM3_CORE(ctx));
}

SEC("kretprobe/do_filp_open")
int kw_krp_do_filp_open(struct pt_regs *ctx)
{
	return kernel_open_exit(PT_REGS_RC_CORE(ctx));
}

KW_KCALL_KPROBE(do_renameat2, KW_P_KRP_DO_RENAMEAT2, rename_op(PT_REGS_PARM5_CORE(ctx)), PT_REGS_PARM3_CORE(ctx),
		PT_REGS_PARM4_CORE(ctx), (int)PT_REGS_PARM1_CORE(ctx), (struct filename *)PT_REGS_PARM2_CORE(ctx))

#endif
