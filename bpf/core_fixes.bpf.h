/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * core_fixes.bpf.h: every kernel difference the BPF side cares about, one accessor each.
 * CO-RE relocations (bpf_core_field_exists, struct flavours named after the kernel they
 * predate) instead of LINUX_VERSION_CODE: one object runs on every BTF kernel >= 5.8.
 */
#ifndef KW_CORE_FIXES_BPF_H
#define KW_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

/*
 * inode->i_nlink: a plain `unsigned int i_nlink` in an anonymous union with __i_nlink since
 * 3.x; reading through i_nlink works everywhere the union exists. Kept as an accessor so a
 * future rename has one place to change.
 */
static __always_inline __u32 kw_inode_nlink(struct inode *inode)
{
	return BPF_CORE_READ(inode, i_nlink);
}

/* inode->i_sb->s_dev: the kernel-internal dev_t (MAJOR << 20 | MINOR). */
static __always_inline __u32 kw_inode_dev(struct inode *inode)
{
	return BPF_CORE_READ(inode, i_sb, s_dev);
}

/*
 * task->start_boottime: named real_start_time before 5.5 (commit cf25e24db61c "time: Rename
 * tsk->real_start_time to ->start_boottime").
 */
struct task_struct___older_v55 {
	__u64 real_start_time;
};

static __always_inline __u64 kw_task_start_boottime(struct task_struct *task)
{
	if (bpf_core_field_exists(task->start_boottime))
		return BPF_CORE_READ(task, start_boottime);
	return BPF_CORE_READ((struct task_struct___older_v55 *)task, real_start_time);
}

/*
 * file->f_mode FMODE_CREATED: bit 0x100000 since it was introduced in 4.19 (commit
 * 73a09dd94377 "introduce FMODE_CREATED and switch to it").
 */
#define KW_FMODE_CREATED 0x100000

/*
 * signal->live: atomic_t counted down in do_exit() before trace_sched_process_exit(), so 0 at
 * the tracepoint means the whole thread group is gone (bcc exitsnoop relies on the same).
 */
static __always_inline int kw_group_dead(struct task_struct *task)
{
	return BPF_CORE_READ(task, signal, live.counter) == 0;
}

/*
 * Not needed, on purpose: vfs_unlink()/vfs_rmdir() gained a leading user_namespace argument in
 * 5.12 (commit 6521f8917082, mnt_idmap since 6.3, commit abf08576afe3) and vfs_rename() takes a
 * struct renamedata (Debian's 5.10 already); the agent hooks security_inode_{unlink,rmdir,
 * rename} instead, whose (dir, dentry, ...) signature never changed.
 */

#endif
