/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * path.bpf.h: paths: dentry and mount walks (the process's view, and the file system's for another
 * mount namespace), the walks of a file, a cwd and a root, and a name's base.
 * Part of kwitness.bpf.c (one translation unit: the parts are included in this order and use
 * what the earlier ones define).
 */
#ifndef KW_PATH_BPF_H
#define KW_PATH_BPF_H

/*
 * The path of a dentry from its file system's root (mounts not crossed, mount roots passed),
 * reversed like walk_path's, for a walk whose mount namespace is not the agent's; the slot's
 * `foreign` bit says it is complete.
 */
__noinline int walk_fs(__u32 used, int slot, __u64 dentry_p, __u64 vfsmnt_p)
{
	struct kw_raw *r = this_raw();
	struct dentry *dentry = (struct dentry *)dentry_p;
	struct vfsmount *vfsmnt = (struct vfsmount *)vfsmnt_p;
	__u32 start = used & KW_DATA_MASK;

	if (!r || !dentry || !vfsmnt || used > KW_DATA_MASK)
		return used;
	used = start;
	for (int i = 0; i < KW_MAX_DEPTH; i++) {
		struct dentry *parent = BPF_CORE_READ(dentry, d_parent);

		if (dentry == parent) {
			r->fs_dev[slot & 7] = BPF_CORE_READ(vfsmnt, mnt_sb, s_dev);
			r->fs_off[slot & 7] = start;
			r->fs_len[slot & 7] = used - start;
			r->foreign |= 1 << (slot & 7);
			return used;
		}
		if (used - start > KW_PATH_MAX - KW_NAME_MAX || used > KW_DATA_MASK)
			break;
		used = bound(used);
		long n = bpf_probe_read_kernel_str(&r->data[used], KW_NAME_MAX, BPF_CORE_READ(dentry, d_name.name));
		if (n <= 1)
			break;
		n &= KW_NAME_MAX * 2 - 1;
		used += n;
		r->data[(used - 1) & (KW_DATA_SZ - 1)] = '/';
		dentry = parent;
	}
	return start; /* too deep or unreadable: the slot keeps the process's view */
}

/* The mount namespace a mount belongs to is the agent's (or the agent did not say which). */
static __always_inline int mount_in_host_ns(struct mount *mnt)
{
	struct mnt_namespace *ns;

	if (!cfg_host_mntns)
		return 1;
	ns = BPF_CORE_READ(mnt, mnt_ns);
	return ns && BPF_CORE_READ(ns, ns.inum) == cfg_host_mntns;
}

/*
 * Walks a dentry up to the root of the mount tree, crossing mount points through
 * struct mount (mnt_parent, mnt_mountpoint), writing "leaf/parent/.../" into `slot`.
 */
__noinline int walk_path(__u32 used, int slot, __u64 dentry_p, __u64 vfsmnt_p)
{
	struct kw_raw *r = this_raw();
	struct dentry *dentry = (struct dentry *)dentry_p;
	struct vfsmount *vfsmnt = (struct vfsmount *)vfsmnt_p;
	struct mount *mnt = container_of(vfsmnt, struct mount, mnt);
	__u32 start = used & KW_DATA_MASK;
	int done = 0;

	if (!r || !dentry || !vfsmnt || used > KW_DATA_MASK)
		return used;
	used = start;
	__u64 under = 0, pparent = 0, unanch = 0;
	for (int i = 0; i < KW_MAX_DEPTH; i++) {
		struct dentry *root = BPF_CORE_READ(mnt, mnt.mnt_root);
		struct dentry *parent = BPF_CORE_READ(dentry, d_parent);

		if (cfg_n_prefix && cfg_pfx_inodes_ok) {
			/*
			 * Inode numbers only (a collision across filesystems just lets an event
			 * through). Branch-free compares: a branch per level and prefix would make
			 * the verifier explore every combination.
			 */
			__u64 ino = BPF_CORE_READ(dentry, d_inode, i_ino);

			for (int k = 0; k < KW_MAX_PREFIX; k++) {
				if (k >= cfg_n_prefix)
					break;
				__u64 x = ino ^ cfg_pfx_ino[k], y = ino ^ cfg_pfx_pino[k];

				under |= ((x | -x) >> 63) ^ 1;
				if (i == 0)
					pparent |= ((y | -y) >> 63) ^ 1;
			}
		}
		if (dentry == root || dentry == parent) {
			struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

			if (dentry != root || up == mnt || !up) {
				done = 1;
				/* a root of its file system that is not the mount's root: the dentry is
				 * not in this mount (a walk given the wrong mount), or was cut off */
				unanch = dentry != root;
				break;
			}
			dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = up;
			continue;
		}
		if (used - start > KW_PATH_MAX - KW_NAME_MAX || used > KW_DATA_MASK)
			break;
		used = bound(used);
		const unsigned char *name = BPF_CORE_READ(dentry, d_name.name);
		long n = bpf_probe_read_kernel_str(&r->data[used], KW_NAME_MAX, name);
		if (n <= 1)
			break;
		n &= KW_NAME_MAX * 2 - 1;
		used += n;
		r->data[(used - 1) & (KW_DATA_SZ - 1)] = '/';
		dentry = parent;
	}
	if (!done)
		r->rflags |= KW_R_TRUNC;
	r->foreign &= ~(1 << (slot & 7));
	__u32 end = used;
	if (done && !unanch && !mount_in_host_ns(mnt)) {
		used = walk_fs(used, slot, dentry_p, vfsmnt_p);
		/* the host's name may lie under a prefix this walk did not pass (a container's
		 * overlay root mounted below it): user space judges the host's path */
		if (!under && (r->foreign >> (slot & 7) & 1))
			pparent = 1;
	}
	r->unanchored = (r->unanchored & ~(1 << (slot & 7))) | (unanch & 1) << (slot & 7);
	r->pfx_under = (r->pfx_under & ~(1 << (slot & 7))) | (under & 1) << (slot & 7);
	r->pfx_parent = (r->pfx_parent & ~(1 << (slot & 7))) | (pparent & 1) << (slot & 7);
	r->off[slot & 7] = start;
	r->len[slot & 7] = end - start;
	return used;
}

static __always_inline struct file *fd_file(struct task_struct *task, int fd)
{
	struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
	struct file *f = 0;

	if (fd < 0 || !fds)
		return 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

static __always_inline __u32 walk_file(struct kw_raw *r, __u32 used, int slot, struct file *f)
{
	if (!f)
		return used;
	return walk_path(used, slot, (__u64)BPF_CORE_READ(f, f_path.dentry), (__u64)BPF_CORE_READ(f, f_path.mnt));
}

/*
 * The process's root is the host's: the root of the agent's mount namespace. Else (a chroot, a
 * container) an absolute name is relative to a root that is walked like a directory.
 */
static __always_inline int root_is_host(struct task_struct *task)
{
	struct vfsmount *vm = BPF_CORE_READ(task, fs, root.mnt);
	struct mount *m = container_of(vm, struct mount, mnt);

	if (!vm || (__u64)BPF_CORE_READ(task, fs, root.dentry) != (__u64)BPF_CORE_READ(vm, mnt_root))
		return 0;
	return BPF_CORE_READ(m, mnt_parent) == m && mount_in_host_ns(m);
}

/* An absolute name's base: nothing for a process of the host's root, else the walk of its root. */
static __always_inline __u32 walk_root_base(struct kw_raw *r, __u32 used, struct task_struct *task, int slot,
					    __u8 flag2)
{
	if (root_is_host(task))
		return used;
	r->rflags2 |= flag2;
	return walk_path(used, slot, (__u64)BPF_CORE_READ(task, fs, root.dentry),
			 (__u64)BPF_CORE_READ(task, fs, root.mnt));
}

static __always_inline __u32 walk_cwd(struct kw_raw *r, __u32 used, struct task_struct *task)
{
	return walk_path(used, KW_S_CWD, (__u64)BPF_CORE_READ(task, fs, pwd.dentry),
			 (__u64)BPF_CORE_READ(task, fs, pwd.mnt));
}

/* Name `name` relative to dirfd `dfd`: fills NAME and BASE (or flags BASE_CWD / BASE_NONE). */
static __always_inline __u32 put_name(struct kw_raw *r, __u32 used, struct task_struct *task,
				      int dfd, const char *name, int kernel, int name_slot, int base_slot,
				      __u16 cwd_flag, __u16 none_flag, __u16 unread_flag)
{
	char c = 0;

	if (kernel) {
		used = put_kernel_str(r, used, name_slot, name);
		bpf_probe_read_kernel(&c, 1, name);
	} else {
		used = put_user_str(r, used, name_slot, name);
		bpf_probe_read_user(&c, 1, name);
	}
	if (!r->len[name_slot & 7])
		r->rflags |= unread_flag; /* "" or a bad pointer: the dir alone is not what it named */
	if (c == '/') {
		r->rflags |= none_flag;
		used = walk_root_base(r, used, task, base_slot, KW_R2_ROOT_OBASE);
	} else if (dfd == AT_FDCWD)
		r->rflags |= cwd_flag;
	else
		used = walk_file(r, used, base_slot, fd_file(task, dfd));
	return used;
}

#endif
