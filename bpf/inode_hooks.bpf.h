/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * inode_hooks.bpf.h: hooks that see the files a pending call touches: ctime updates (inode and nlink), the
 * dentry a call removes, makes or moves (security_inode_*, d_instantiate, ext4_unlink_enter) and
 * the mount it resolved on (security_path_*).
 * Part of kwitness.bpf.c (one translation unit: the parts are included in this order and use
 * what the earlier ones define).
 */
#ifndef KW_INODE_HOOKS_BPF_H
#define KW_INODE_HOOKS_BPF_H

/* Records an inode whose ctime a pending call of this thread set. */
static __always_inline int note_inode(struct inode *inode)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pend *p = bpf_map_lookup_elem(&pending, &tid);
	__u64 v = (__u64)inode;

	if (!p || p->n_inodes >= KW_MAX_INODES)
		return 0;
	for (int i = 0; i < KW_MAX_INODES; i++) {
		if (i >= p->n_inodes)
			break;
		if (p->inodes[i] == v)
			return 0;
	}
	p->inodes[p->n_inodes & (KW_MAX_INODES - 1)] = v;
	p->n_inodes++;
	return 0;
}

/* fs/inode.c timestamp tracepoints (6.13+): every path that stamps a ctime passes here. */
SEC("raw_tp/inode_set_ctime_to_ts")
int kw_ctime_set(struct bpf_raw_tracepoint_args *ctx)
{
	stack_deepen(ctx);
	return note_inode((struct inode *)ctx->args[0]);
}

SEC("raw_tp/ctime_ns_xchg")
int kw_ctime_xchg(struct bpf_raw_tracepoint_args *ctx)
{
	stack_deepen(ctx);
	return note_inode((struct inode *)ctx->args[0]);
}

SEC("raw_tp/ctime_xchg_skip")
int kw_ctime_skip(struct bpf_raw_tracepoint_args *ctx)
{
	stack_deepen(ctx);
	return note_inode((struct inode *)ctx->args[0]);
}

/*
 * The victim's dentry, for the path the kernel resolved (sys_exit_file). The first hook wins: on
 * overlayfs the first is the overlay's own dentry (the path the caller sees), a later one the
 * upper layer's.
 */
static __always_inline void note_victim_dentry(struct pend *p, struct dentry *d)
{
	if (p->vd)
		return;
	p->vd = (__u64)d;
	p->vpd = (__u64)BPF_CORE_READ(d, d_parent);
	p->vhash = BPF_CORE_READ(d, d_name.hash_len);
}

/* ext4 names the victim of an unlink (with its link count before the drop). */
SEC("raw_tp/ext4_unlink_enter")
int kw_ext4_unlink(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pend *p = bpf_map_lookup_elem(&pending, &tid);
	struct dentry *d = (struct dentry *)ctx->args[1];
	struct inode *ino;

	if (!p)
		return 0;
	stack_deepen(ctx);
	note_victim_dentry(p, d);
	if (p->e4_set)
		return 0;
	ino = BPF_CORE_READ(d, d_inode);
	p->e4_ino = BPF_CORE_READ(ino, i_ino);
	p->e4_dev = kw_inode_dev(ino);
	p->e4_nlink = kw_inode_nlink(ino);
	p->e4_set = 1;
	return 0;
}

/*
 * Hooks inside vfs_unlink/vfs_rmdir/vfs_rename (fentry, else kprobe, chosen at load): the exact
 * victim inode on every filesystem, before its link count drops.
 */
static __always_inline int note_victim(struct dentry *d)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pend *p = bpf_map_lookup_elem(&pending, &tid);
	struct inode *ino;

	if (!p || !d)
		return 0;
	ino = BPF_CORE_READ(d, d_inode);
	if (!ino)
		return 0;
	note_victim_dentry(p, d);
	p->e4_ino = BPF_CORE_READ(ino, i_ino);
	p->e4_dev = kw_inode_dev(ino);
	p->e4_nlink = kw_inode_nlink(ino);
	p->e4_set = 1;
	return 0;
}

static __always_inline int note_rename(struct dentry *old, struct dentry *new)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pend *p = bpf_map_lookup_elem(&pending, &tid);
	struct inode *ino;

	if (!p)
		return 0;
	/*
	 * The source's dentry takes the new name (d_move, once the rename succeeded): at the exit
	 * it is the file at its new path, if it then has the new name's parent and name. The first
	 * hook wins (overlayfs: its own, before the upper layer's).
	 */
	if (!p->vd) {
		p->vd = (__u64)old;
		p->vpd = (__u64)BPF_CORE_READ(new, d_parent);
		p->vhash = BPF_CORE_READ(new, d_name.hash_len);
	}
	ino = BPF_CORE_READ(old, d_inode);
	if (ino) {
		p->src_ino = BPF_CORE_READ(ino, i_ino);
		p->src_dev = kw_inode_dev(ino);
		p->src_set = 1;
	}
	ino = BPF_CORE_READ(new, d_inode);
	if (ino) { /* rename over an existing name: that inode loses it */
		p->e4_ino = BPF_CORE_READ(ino, i_ino);
		p->e4_dev = kw_inode_dev(ino);
		p->e4_nlink = kw_inode_nlink(ino);
		p->e4_set = 1;
	}
	return 0;
}

/*
 * The LSM hooks security_inode_{unlink,rmdir,rename} sit inside vfs_unlink/vfs_rmdir/
 * vfs_rename with one signature on every kernel since 2.6 (dir, dentry[, new_dir, new_dentry]),
 * unlike the vfs_* functions (see core_fixes.bpf.h) that some compilers also clone away.
 * fentry context: constant offsets only (inline asm keeps loads apart).
 */
#define KW_CTX_ARG(ctx, i)                                                                   \
	({                                                                                   \
		__u64 __v;                                                                   \
		asm volatile("%0 = *(u64 *)(%1 + %2)" : "=r"(__v) : "r"(ctx), "i"((i) * 8)); \
		__v;                                                                         \
	})

/*
 * security_path_{unlink,rmdir,mkdir,rename} (CONFIG_SECURITY_PATH, which AppArmor and TOMOYO
 * need): the directory the kernel resolved, as a struct path, so the walk of the file crosses
 * into the right mount even when the caller's name did (an absolute name under /var on its
 * own mount). Checked one by one at load: a kernel without them uses the base's mount.
 */
static __always_inline int note_path_mnt(const struct path *dir)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pend *p = bpf_map_lookup_elem(&pending, &tid);

	if (p && !p->vmnt)
		p->vmnt = (__u64)BPF_CORE_READ(dir, mnt);
	return 0;
}

SEC("fentry/security_path_unlink")
int kw_fe_path_unlink(__u64 *ctx) { return note_path_mnt((const struct path *)KW_CTX_ARG(ctx, 0)); }
SEC("fentry/security_path_rmdir")
int kw_fe_path_rmdir(__u64 *ctx) { return note_path_mnt((const struct path *)KW_CTX_ARG(ctx, 0)); }
SEC("fentry/security_path_mkdir")
int kw_fe_path_mkdir(__u64 *ctx) { return note_path_mnt((const struct path *)KW_CTX_ARG(ctx, 0)); }
SEC("fentry/security_path_rename")
int kw_fe_path_rename(__u64 *ctx) { return note_path_mnt((const struct path *)KW_CTX_ARG(ctx, 2)); }
SEC("kprobe/security_path_unlink")
int kw_kp_path_unlink(struct pt_regs *ctx) { return note_path_mnt((const struct path *)PT_REGS_PARM1_CORE(ctx)); }
SEC("kprobe/security_path_rmdir")
int kw_kp_path_rmdir(struct pt_regs *ctx) { return note_path_mnt((const struct path *)PT_REGS_PARM1_CORE(ctx)); }
SEC("kprobe/security_path_mkdir")
int kw_kp_path_mkdir(struct pt_regs *ctx) { return note_path_mnt((const struct path *)PT_REGS_PARM1_CORE(ctx)); }
SEC("kprobe/security_path_rename")
int kw_kp_path_rename(struct pt_regs *ctx) { return note_path_mnt((const struct path *)PT_REGS_PARM3_CORE(ctx)); }

SEC("fentry/security_inode_unlink")
int kw_fe_unlink(__u64 *ctx)
{
	stack_deepen(ctx);
	return note_victim((struct dentry *)KW_CTX_ARG(ctx, 1));
}

SEC("fentry/security_inode_rmdir")
int kw_fe_rmdir(__u64 *ctx)
{
	stack_deepen(ctx);
	return note_victim((struct dentry *)KW_CTX_ARG(ctx, 1));
}

SEC("fentry/security_inode_rename")
int kw_fe_rename(__u64 *ctx)
{
	stack_deepen(ctx);
	return note_rename((struct dentry *)KW_CTX_ARG(ctx, 1), (struct dentry *)KW_CTX_ARG(ctx, 3));
}

/* A name being bound to its new inode (mkdir, mknod, symlink, link): the created inode. */
static __always_inline int note_created(struct dentry *d, struct inode *ino)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pend *p = bpf_map_lookup_elem(&pending, &tid);

	if (!p || !ino || (p->op != KW_OP_MKDIR && p->op != KW_OP_MKNOD && p->op != KW_OP_SYMLINK &&
			   p->op != KW_OP_LINK))
		return 0;
	/* the new name's dentry, for the path the kernel made (sys_exit_file). The last one wins:
	 * overlayfs makes the upper layer's first, then its own (the path the caller sees) */
	if (d) {
		p->vd = (__u64)d;
		p->vpd = (__u64)BPF_CORE_READ(d, d_parent);
		p->vhash = BPF_CORE_READ(d, d_name.hash_len);
	}
	if (p->src_set)
		return 0;
	p->src_ino = BPF_CORE_READ(ino, i_ino);
	p->src_dev = kw_inode_dev(ino);
	p->src_set = 1;
	return 0;
}

SEC("fentry/d_instantiate")
int kw_fe_d_instantiate(__u64 *ctx)
{
	stack_deepen(ctx);
	return note_created((struct dentry *)KW_CTX_ARG(ctx, 0), (struct inode *)KW_CTX_ARG(ctx, 1));
}

SEC("fentry/d_instantiate_new")
int kw_fe_d_instantiate_new(__u64 *ctx)
{
	stack_deepen(ctx);
	return note_created((struct dentry *)KW_CTX_ARG(ctx, 0), (struct inode *)KW_CTX_ARG(ctx, 1));
}

SEC("kprobe/d_instantiate")
int kw_kp_d_instantiate(struct pt_regs *ctx)
{
	stack_deepen(ctx);
	return note_created((struct dentry *)PT_REGS_PARM1_CORE(ctx), (struct inode *)PT_REGS_PARM2_CORE(ctx));
}

SEC("kprobe/d_instantiate_new")
int kw_kp_d_instantiate_new(struct pt_regs *ctx)
{
	stack_deepen(ctx);
	return note_created((struct dentry *)PT_REGS_PARM1_CORE(ctx), (struct inode *)PT_REGS_PARM2_CORE(ctx));
}

SEC("kprobe/security_inode_unlink")
int kw_kp_unlink(struct pt_regs *ctx)
{
	stack_deepen(ctx);
	return note_victim((struct dentry *)PT_REGS_PARM2_CORE(ctx));
}

SEC("kprobe/security_inode_rmdir")
int kw_kp_rmdir(struct pt_regs *ctx)
{
	stack_deepen(ctx);
	return note_victim((struct dentry *)PT_REGS_PARM2_CORE(ctx));
}

SEC("kprobe/security_inode_rename")
int kw_kp_rename(struct pt_regs *ctx)
{
	stack_deepen(ctx);
	return note_rename((struct dentry *)PT_REGS_PARM2_CORE(ctx), (struct dentry *)PT_REGS_PARM4_CORE(ctx));
}

#endif
