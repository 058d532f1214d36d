/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * syscalls.bpf.h: the file syscalls' tracepoints: one enter program per syscall (their arguments differ),
 * one exit program for all.
 * Part of kwitness.bpf.c (one translation unit: the parts are included in this order and use
 * what the earlier ones define).
 */
#ifndef KW_SYSCALLS_BPF_H
#define KW_SYSCALLS_BPF_H

#define ARG(i) (ctx->args[i])
#define ENTER(tp) SEC("tp/syscalls/sys_enter_" #tp) int kw_enter_##tp(struct trace_event_raw_sys_enter *ctx)

/*
 * The exit of every file syscall is this ONE program, which user space attaches to each
 * syscalls:sys_exit_<name> tracepoint (native/main.c, the syscalls table): the verifier checks
 * sys_exit_file once instead of once per syscall, which keeps start-up short (--path-prefix
 * makes it a large function to verify). The enter programs stay one per syscall (their
 * arguments differ); the probe id they stash names the syscall in the event.
 */
SEC("tp/syscalls/sys_exit_file")
int kw_sys_exit_file(struct trace_event_raw_sys_exit *ctx)
{
	long nr = ctx->id;

	if (nr == cfg_nr_rename[0] || nr == cfg_nr_rename[1] || nr == cfg_nr_rename[2])
		note_any_rename(); /* the name has moved now (the entry's bump came before) */
	return sys_exit_file(ctx->ret, 0);
}

ENTER(unlink) { return stash(KW_P_TP_UNLINK, KW_OP_UNLINK, AT_FDCWD, ARG(0), 0, 0, 0); }
ENTER(unlinkat) { return stash(KW_P_TP_UNLINKAT, (ARG(2) & 0x200) ? KW_OP_RMDIR : KW_OP_UNLINK, ARG(0), ARG(1), 0, 0, 0); }
ENTER(rmdir) { return stash(KW_P_TP_RMDIR, KW_OP_RMDIR, AT_FDCWD, ARG(0), 0, 0, 0); }
ENTER(rename) { note_any_rename(); return stash(KW_P_TP_RENAME, KW_OP_RENAME, AT_FDCWD, ARG(1), AT_FDCWD, ARG(0), 0); }
ENTER(renameat) { note_any_rename(); return stash(KW_P_TP_RENAMEAT, KW_OP_RENAME, ARG(2), ARG(3), ARG(0), ARG(1), 0); }
ENTER(renameat2) { note_any_rename(); return stash(KW_P_TP_RENAMEAT2, rename_op(ARG(4)), ARG(2), ARG(3), ARG(0), ARG(1), ARG(4)); }

/* opens: the flags go to a[4] for the exit (create or write, see sys_exit_file) */
ENTER(open) { return open_wanted((__u32)ARG(1)) ? stash(KW_P_TP_OPEN, KW_OP_OPEN, AT_FDCWD, ARG(0), 0, 0, (__u32)ARG(1)) : 0; }
ENTER(openat) { return open_wanted((__u32)ARG(2)) ? stash(KW_P_TP_OPENAT, KW_OP_OPEN, ARG(0), ARG(1), 0, 0, (__u32)ARG(2)) : 0; }
ENTER(openat2)
{
	__u64 flags = 0;

	bpf_probe_read_user(&flags, sizeof(flags), (void *)ARG(2)); /* struct open_how.flags */
	return open_wanted(flags) ? stash(KW_P_TP_OPENAT2, KW_OP_OPEN, ARG(0), ARG(1), 0, 0, flags) : 0;
}
/* creat(path, mode) is open(path, O_CREAT | O_WRONLY | O_TRUNC, mode) */
#define KW_CREAT_FLAGS (O_CREAT | O_WRONLY | O_TRUNC)
ENTER(creat) { return open_wanted(KW_CREAT_FLAGS) ? stash(KW_P_TP_CREAT, KW_OP_OPEN, AT_FDCWD, ARG(0), 0, 0, KW_CREAT_FLAGS) : 0; }
/* write family: truncate(path) by its name (a[1]), ftruncate(fd) by its file (a[1] = 0) */
ENTER(truncate) { return stash(KW_P_TP_TRUNCATE, KW_OP_TRUNCATE, AT_FDCWD, ARG(0), 0, 0, 0); }
ENTER(ftruncate) { return stash(KW_P_TP_FTRUNCATE, KW_OP_TRUNCATE, ARG(0), 0, 0, 0, 0); }
ENTER(mkdir) { return stash(KW_P_TP_MKDIR, KW_OP_MKDIR, AT_FDCWD, ARG(0), 0, 0, 0); }
ENTER(mkdirat) { return stash(KW_P_TP_MKDIRAT, KW_OP_MKDIR, ARG(0), ARG(1), 0, 0, 0); }
ENTER(mknod) { return stash(KW_P_TP_MKNOD, KW_OP_MKNOD, AT_FDCWD, ARG(0), 0, 0, 0); }
ENTER(mknodat) { return stash(KW_P_TP_MKNODAT, KW_OP_MKNOD, ARG(0), ARG(1), 0, 0, 0); }
ENTER(link) { return stash(KW_P_TP_LINK, KW_OP_LINK, AT_FDCWD, ARG(1), AT_FDCWD, ARG(0), 0); }
ENTER(linkat) { return stash(KW_P_TP_LINKAT, KW_OP_LINK, ARG(2), ARG(3), ARG(0), ARG(1), 0); }
ENTER(symlink) { return stash(KW_P_TP_SYMLINK, KW_OP_SYMLINK, AT_FDCWD, ARG(1), 0, ARG(0), 0); }
ENTER(symlinkat) { return stash(KW_P_TP_SYMLINKAT, KW_OP_SYMLINK, ARG(1), ARG(2), 0, ARG(0), 0); }

#endif
