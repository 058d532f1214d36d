/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ia32.bpf.h: the file syscalls of 32-bit (ia32) code on x86_64. The syscalls:* tracepoints
 * ignore them (x86 sets ARCH_TRACE_IGNORE_COMPAT_SYSCALLS), so a 32-bit program, or a 64-bit one
 * that issues `int $0x80`, would unlink, rename or create unseen. They are stashed and reported
 * exactly as the native enter/exit pair does (syscalls.bpf.h), with i386 numbers and the
 * arguments from the registers the 32-bit ABI uses (bx, cx, dx, si, di), seen by one of:
 *   - a kprobe/kretprobe pair attached to each __ia32_sys_* entry point of these syscalls (user
 *     space attaches the one pair to all of them): it runs for 32-bit file syscalls only;
 *   - where kprobes are not to be used (--attach tracepoint or fentry, or a kernel refusing
 *     them), the raw sys_enter/sys_exit tracepoints: they run on EVERY syscall of the machine
 *     and return at once unless it is a compat call (TS_COMPAT), a cost measured in
 *     BENCHMARKS.md.
 * Part of kwitness.bpf.c (one translation unit: the parts are included in this order and use
 * what the earlier ones define).
 */
#ifndef KW_IA32_BPF_H
#define KW_IA32_BPF_H

#if defined(__TARGET_ARCH_x86)

/* thread_info.status: a 32-bit syscall is running (arch/x86/include/asm/thread_info.h) */
#define KW_TS_COMPAT 0x0002

/* i386 syscall numbers (arch/x86/entry/syscalls/syscall_32.tbl) */
enum {
	IA32_LINK = 9, IA32_UNLINK = 10, IA32_OPEN = 5, IA32_CREAT = 8, IA32_MKNOD = 14, IA32_RENAME = 38,
	IA32_MKDIR = 39, IA32_RMDIR = 40, IA32_SYMLINK = 83, IA32_TRUNCATE = 92, IA32_FTRUNCATE = 93,
	IA32_OPENAT = 295, IA32_MKDIRAT = 296, IA32_MKNODAT = 297, IA32_UNLINKAT = 301, IA32_RENAMEAT = 302,
	IA32_LINKAT = 303, IA32_SYMLINKAT = 304, IA32_RENAMEAT2 = 353, IA32_OPENAT2 = 437,
};

static __always_inline bool ia32_call(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(t, thread_info.status) & KW_TS_COMPAT;
}

/* a 32-bit argument: pointers and fds are 32 bits wide (the casts at the exit read the low half) */
#define IA(reg) ((__u64)(__u32)BPF_CORE_READ(regs, reg))

/* The call's entry: stash what its exit reports, by its i386 number. */
static __always_inline int ia32_enter(struct pt_regs *regs, long nr)
{
	switch (nr) {
	case IA32_UNLINK: return stash(KW_P_IA32_UNLINK, KW_OP_UNLINK, AT_FDCWD, IA(bx), 0, 0, 0);
	case IA32_UNLINKAT: return stash(KW_P_IA32_UNLINKAT, (IA(dx) & 0x200) ? KW_OP_RMDIR : KW_OP_UNLINK, IA(bx), IA(cx), 0, 0, 0);
	case IA32_RMDIR: return stash(KW_P_IA32_RMDIR, KW_OP_RMDIR, AT_FDCWD, IA(bx), 0, 0, 0);
	case IA32_RENAME: note_any_rename(); return stash(KW_P_IA32_RENAME, KW_OP_RENAME, AT_FDCWD, IA(cx), AT_FDCWD, IA(bx), 0);
	case IA32_RENAMEAT: note_any_rename(); return stash(KW_P_IA32_RENAMEAT, KW_OP_RENAME, IA(dx), IA(si), IA(bx), IA(cx), 0);
	case IA32_RENAMEAT2:
		note_any_rename();
		return stash(KW_P_IA32_RENAMEAT2, rename_op(IA(di)), IA(dx), IA(si), IA(bx), IA(cx), IA(di));
	case IA32_OPEN: return open_wanted(IA(cx)) ? stash(KW_P_IA32_OPEN, KW_OP_OPEN, AT_FDCWD, IA(bx), 0, 0, IA(cx)) : 0;
	case IA32_OPENAT: return open_wanted(IA(dx)) ? stash(KW_P_IA32_OPENAT, KW_OP_OPEN, IA(bx), IA(cx), 0, 0, IA(dx)) : 0;
	case IA32_OPENAT2: {
		__u64 flags = 0;

		bpf_probe_read_user(&flags, sizeof(flags), (void *)IA(dx)); /* struct open_how.flags */
		return open_wanted(flags) ? stash(KW_P_IA32_OPENAT2, KW_OP_OPEN, IA(bx), IA(cx), 0, 0, flags) : 0;
	}
	case IA32_CREAT: return open_wanted(KW_CREAT_FLAGS) ? stash(KW_P_IA32_CREAT, KW_OP_OPEN, AT_FDCWD, IA(bx), 0, 0, KW_CREAT_FLAGS) : 0;
	case IA32_TRUNCATE: return stash(KW_P_IA32_TRUNCATE, KW_OP_TRUNCATE, AT_FDCWD, IA(bx), 0, 0, 0);
	case IA32_FTRUNCATE: return stash(KW_P_IA32_FTRUNCATE, KW_OP_TRUNCATE, IA(bx), 0, 0, 0, 0);
	case IA32_MKDIR: return stash(KW_P_IA32_MKDIR, KW_OP_MKDIR, AT_FDCWD, IA(bx), 0, 0, 0);
	case IA32_MKDIRAT: return stash(KW_P_IA32_MKDIRAT, KW_OP_MKDIR, IA(bx), IA(cx), 0, 0, 0);
	case IA32_MKNOD: return stash(KW_P_IA32_MKNOD, KW_OP_MKNOD, AT_FDCWD, IA(bx), 0, 0, 0);
	case IA32_MKNODAT: return stash(KW_P_IA32_MKNODAT, KW_OP_MKNOD, IA(bx), IA(cx), 0, 0, 0);
	case IA32_LINK: return stash(KW_P_IA32_LINK, KW_OP_LINK, AT_FDCWD, IA(cx), AT_FDCWD, IA(bx), 0);
	case IA32_LINKAT: return stash(KW_P_IA32_LINKAT, KW_OP_LINK, IA(dx), IA(si), IA(bx), IA(cx), 0);
	case IA32_SYMLINK: return stash(KW_P_IA32_SYMLINK, KW_OP_SYMLINK, AT_FDCWD, IA(cx), 0, IA(bx), 0);
	case IA32_SYMLINKAT: return stash(KW_P_IA32_SYMLINKAT, KW_OP_SYMLINK, IA(cx), IA(dx), 0, IA(bx), 0);
	}
	return 0;
}

SEC("raw_tp/sys_enter")
int kw_ia32_enter(struct bpf_raw_tracepoint_args *ctx)
{
	if (!ia32_call())
		return 0;
	return ia32_enter((struct pt_regs *)ctx->args[0], (long)ctx->args[1]);
}

SEC("raw_tp/sys_exit")
int kw_ia32_exit(struct bpf_raw_tracepoint_args *ctx)
{
	if (!ia32_call())
		return 0;
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	long nr = (long)BPF_CORE_READ(regs, orig_ax);

	switch (nr) {
	case IA32_RENAME:
	case IA32_RENAMEAT:
	case IA32_RENAMEAT2:
		note_any_rename(); /* the name has moved now (the entry's bump came before) */
		/* fall through */
	case IA32_UNLINK: case IA32_UNLINKAT: case IA32_RMDIR: case IA32_OPEN: case IA32_OPENAT:
	case IA32_OPENAT2: case IA32_CREAT: case IA32_TRUNCATE: case IA32_FTRUNCATE: case IA32_MKDIR:
	case IA32_MKDIRAT: case IA32_MKNOD: case IA32_MKNODAT: case IA32_LINK: case IA32_LINKAT:
	case IA32_SYMLINK: case IA32_SYMLINKAT:
		/* the return value is the tracepoint's second argument (a long: sign intact) */
		return sys_exit_file((long)ctx->args[1], 0);
	}
	return 0;
}

/* __ia32_sys_X(const struct pt_regs *regs): the user's registers, orig_ax the i386 number */
SEC("kprobe/ia32_syscall")
int kw_kp_ia32_syscall(struct pt_regs *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)PT_REGS_PARM1_CORE(ctx);

	return ia32_enter(regs, (long)BPF_CORE_READ(regs, orig_ax));
}

SEC("kretprobe/ia32_syscall")
int kw_krp_ia32_syscall(struct pt_regs *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pend *p = bpf_map_lookup_elem(&pending, &tid);

	if (p && (p->op == KW_OP_RENAME || p->op == KW_OP_EXCHANGE))
		note_any_rename(); /* the name has moved now (the entry's bump came before) */
	return sys_exit_file((long)PT_REGS_RC_CORE(ctx), 0);
}

#undef IA
#endif /* __TARGET_ARCH_x86 */
#endif
