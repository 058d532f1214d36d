/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * file.bpf.h: the unlink, create and write families: the stash at a call's entry, the --path-prefix
 * judgement, and sys_exit_file, which makes the record at its exit.
 * Part of kwitness.bpf.c (one translation unit: the parts are included in this order and use
 * what the earlier ones define).
 */
#ifndef KW_FILE_BPF_H
#define KW_FILE_BPF_H

/* ---- unlink and create families: syscall enter stashes, exit emits ---- */

#define RENAME_EXCHANGE (1 << 1)

/*
 * renameat2's flags: RENAME_EXCHANGE swaps two names (nothing is deleted: KW_OP_EXCHANGE).
 * RENAME_NOREPLACE is a rename that fails instead of replacing; RENAME_WHITEOUT a rename that
 * leaves overlayfs' whiteout marker at the old name (kwitness_wire.h): both plain renames.
 */
static __always_inline __u8 rename_op(__u64 flags)
{
	return (flags & RENAME_EXCHANGE) ? KW_OP_EXCHANGE : KW_OP_RENAME;
}

static __always_inline int stash(__u8 probe, __u8 op, __u64 a0, __u64 a1, __u64 a2, __u64 a3, __u64 a4)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pend p = {};

	if (!task_wanted())
		return 0;
	p.a[0] = a0;
	p.a[1] = a1;
	p.a[2] = a2;
	p.a[3] = a3;
	p.a[4] = a4;
	p.probe = probe;
	p.op = op;
	/* a full table (threads parked in blocking calls) would blind the exit: say so. An exec
	 * (op 0) is counted at its exit instead, and only when it failed: a successful one is
	 * reported by sched_process_exec without this entry. */
	if (bpf_map_update_elem(&pending, &tid, &p, BPF_ANY) && op)
		count_lost(KW_LOST_UNTRACKED);
	return 0;
}

/*
 * Opens: O_CREAT ones may create a file (create family); O_WRONLY, O_RDWR or O_TRUNC ones may
 * change an existing one (write family; O_TRUNC alone truncates too, open(2)). O_PATH opens
 * neither: the kernel drops every other flag for them (build_open_flags), so open_wanted()
 * never takes one and open_writes() is asked only about opens it took.
 */
static __always_inline int open_writes(__u64 flags)
{
	return (flags & O_ACCMODE) || (flags & O_TRUNC);
}

static __always_inline int open_wanted(__u64 flags)
{
	if (flags & O_PATH)
		return 0;
	return ((flags & O_CREAT) && cfg_create) || (open_writes(flags) && cfg_write);
}

/* Chooses the inode the call acted on among those whose ctime it set. */
static __always_inline void pick_inode(struct kw_raw *r, struct pend *p, int want_dir, int nth)
{
	int seen = 0;

	for (int i = 0; i < KW_MAX_INODES; i++) {
		if (i >= p->n_inodes)
			break;
		struct inode *ino = (struct inode *)p->inodes[i];
		__u16 mode = BPF_CORE_READ(ino, i_mode);
		int is_dir = (mode & S_IFMT) == S_IFDIR;

		if (is_dir != want_dir)
			continue;
		if (want_dir && kw_inode_nlink(ino) != 0 && r->op == KW_OP_RMDIR)
			continue; /* the parent directory, not the removed one */
		if (seen++ < nth)
			continue;
		r->ino = BPF_CORE_READ(ino, i_ino);
		r->dev = kw_inode_dev(ino);
		r->nlink = kw_inode_nlink(ino);
		r->rflags |= KW_R_INODE;
		return;
	}
}

/* x, hidden from the compiler's pattern matching (which would turn the arithmetic below back
 * into branches) */
static __always_inline __u64 opaque(__u64 x)
{
	asm volatile("" : "+r"(x));
	return x;
}

/* 1 when the byte c equals b, else 0, without a branch */
static __always_inline __u64 byte_is(__u64 c, __u64 b)
{
	__u64 d = c ^ b, m = opaque(d | -d); /* top bit set iff d != 0 */

	return (m >> 63) ^ 1;
}

/*
 * In-kernel --path-prefix: 0 when the event certainly cannot match, 2 when it certainly does,
 * 1 when user space must decide (its losses are counted apart). A global function, so the
 * verifier checks it once per program. `where`: bit 0 the base dir is under a prefix dir,
 * bit 1 it is a prefix dir's parent, bit 2 the name is absolute.
 *
 * The scans are branch-free over a fixed count: a `break` at the name's (unknown) length would
 * leave the verifier one state per possible length, each walking the compares after it, which
 * took fexit programs past the 1M-instruction limit with long prefixes.
 */
__noinline int kw_prefix_ok(__u32 where)
{
	struct kw_raw *r = this_raw();
	__u64 off, len, dot = 0, slash = 0, dslash = 0, prev = '/';
	int i, k;

	if (!r)
		return 1;
	off = r->off[KW_S_NAME];
	len = r->len[KW_S_NAME];
	if (len > KW_PFX_SCAN)
		return 1; /* long names: user space decides */
	for (i = 0; i < KW_PFX_SCAN; i++) {
		__u64 c = (__u8)r->data[(off + i) & (KW_DATA_SZ - 1)];
		__u64 in = opaque((__u64)i - len) >> 63; /* 1 while i < len */

		/* a component that starts with '.': '.' and '..' are resolved in user space */
		dot |= in & byte_is(c, '.') & byte_is(prev, '/');
		/* '//' (after the first byte): "/data//x" is /data/x, which a string compare misses */
		dslash |= in & byte_is(c, '/') & byte_is(prev, '/') & (opaque(0 - (__u64)i) >> 63);
		slash |= in & byte_is(c, '/');
		prev = c;
	}
	if (dot | dslash)
		return 1; /* '..' could lead anywhere, '//' and '/./' are spellings: user space decides */
	if (where & 4) {
		if (!cfg_pfx_str_ok)
			return 1;
		/* component-wise string prefix: P matches P and P/... */
		for (k = 0; k < KW_MAX_PREFIX; k++) {
			if (k >= cfg_n_prefix)
				break;
			__u64 pl = cfg_pfx_len[k], diff = 0; /* read-only data: known to the verifier */

			for (i = 0; i < KW_PFX_STR; i++) {
				if (i >= pl)
					break;
				diff |= (__u8)r->data[(off + i) & (KW_DATA_SZ - 1)] ^ (__u8)cfg_pfx_str[k][i];
			}
			__u64 next = (__u8)r->data[(off + pl) & (KW_DATA_SZ - 1)];
			if (!diff && pl <= len && (pl == 1 || pl == len || next == '/'))
				return 2;
		}
		return 0;
	}
	if (!cfg_pfx_inodes_ok)
		return 1;
	if (where & 1)
		return 2; /* below a prefix directory, with no '.' or '..' component to climb out */
	if (where & 2)
		return 1;
	return slash ? 1 : 0; /* a name with '/' may lead into a prefix directory */
}

static __always_inline int prefix_may_match(struct kw_raw *r, struct walkc *wc, struct walkc *nc)
{
	__u32 bits;

	if (!cfg_n_prefix)
		return 2;
	if (r->rflags2 & KW_R2_ROOT_BASE)
		return 1; /* absolute in another root: user space judges the host's path */
	if (r->rflags & KW_R_BASE_NONE)
		return kw_prefix_ok(4);
	if (r->rflags & KW_R_BASE_CWD)
		bits = (r->rflags & KW_R_CWD_SAME) && wc ? wc->cwd_pfx : nc->cwd_pfx;
	else
		bits = (r->rflags & KW_R_BASE_SAME) && wc ? wc->base_pfx : nc->base_pfx;
	return kw_prefix_ok(bits & 3);
}

/*
 * The dentry a hook saw this call remove, make or move, if it is still that dentry with the
 * name and parent the hook expected (a removed dentry is kept until this call's last reference
 * goes; the check refuses one freed and reused meanwhile, and a rename that did not happen).
 */
static __always_inline struct dentry *victim_dentry(struct pend *p)
{
	struct dentry *d = (struct dentry *)p->vd;

	if (!d || p->op == KW_OP_OPEN || p->op == KW_OP_TRUNCATE)
		return 0; /* their path comes from the struct file */
	if ((__u64)BPF_CORE_READ(d, d_parent) != p->vpd || BPF_CORE_READ(d, d_name.hash_len) != p->vhash)
		return 0;
	return d;
}

/* One copy for every file syscall's exit (a global function: scalars only, verified once). */
__noinline int sys_exit_file(long ret, __u64 opened)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pend *p = bpf_map_lookup_elem(&pending, &tid);
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct kw_raw *r;
	__u32 used = 0;
	int dfd, odfd;
	const char *name, *oname = 0;
	__u8 op;

	if (!p)
		return 0;
	/* op 0 is an exec's entry, which only exec_exit consumes: here it is one left behind by an
	 * exec from a non-leader thread (the kernel gave that thread the leader's id, so its exit
	 * looked up another key) under a thread id the kernel has since reused. Never an event. */
	if (!p->op)
		goto out;
	if (cfg_failed_only && ret >= 0)
		goto out;
	op = p->op;
	__u16 kind = op == KW_OP_UNLINK || op == KW_OP_RMDIR ? KW_UNLINK : op == KW_OP_TRUNCATE ? KW_WRITE : KW_CREATE;
	struct file *created = 0; /* the event's own file (an open's, ftruncate's): path and inode from it */
	if (op == KW_OP_TRUNCATE && !p->a[1]) {
		/* ftruncate(fd): a[0] is the fd, still open at the exit (a bad fd: nothing to name) */
		created = fd_file(task, (int)p->a[0]);
		if (!created)
			goto out;
	}
	if (op == KW_OP_OPEN) {
		/*
		 * a[4] holds the open flags. A file with FMODE_CREATED was created by this open
		 * (create); else a writing open changed an existing file (write); else no event
		 * (O_CREAT of an existing file for reading). A failed open is a create when it
		 * asked for O_CREAT and the create family is on, else a write.
		 */
		__u64 fl = p->a[4];
		int is_create;

		if (ret >= 0) {
			created = opened ? (struct file *)opened : fd_file(task, ret);
			if (!created)
				goto out;
			is_create = (BPF_CORE_READ(created, f_mode) & KW_FMODE_CREATED) != 0;
			if (is_create ? !cfg_create : !(cfg_write && open_writes(fl)))
				goto out;
		} else {
			is_create = (fl & O_CREAT) && cfg_create;
		}
		if (!is_create) {
			kind = KW_WRITE;
			op = KW_OP_OPEN_WRITE;
		}
	}
	r = new_raw(kind, p->probe);
	if (!r)
		goto out;
	r->ret = ret < 0 ? ret : 0; /* events.ts: 0 or a negative errno (an open's fd is not kept) */
	r->op = op;

	if (created && kind == KW_WRITE && (BPF_CORE_READ(created, f_path.mnt, mnt_flags) & MNT_INTERNAL))
		goto out; /* no file system path: a memfd sized by ftruncate, a pipe reopened by /proc/PID/fd */
	if (created) {
		/* the path comes from the file itself (created, opened for writing, ftruncate's) */
		struct inode *ino = BPF_CORE_READ(created, f_inode);
		r->ino = BPF_CORE_READ(ino, i_ino);
		r->dev = kw_inode_dev(ino);
		r->rflags |= KW_R_INODE | KW_R_BASE_ABS;
		used = walk_cwd(r, used, task);
		used = walk_file(r, used, KW_S_BASE, created);
		if (cfg_n_prefix && cfg_pfx_inodes_ok && !((r->pfx_under | r->foreign) & (1 << KW_S_BASE)))
			goto out; /* the new file is not below any prefix directory */
		if (cfg_n_prefix && (!cfg_pfx_inodes_ok || !(r->pfx_under & (1 << KW_S_BASE))))
			r->rflags |= KW_R_UNJUDGED; /* another namespace's file: judged by its host path */
		submit(r, used);
		goto out;
	}

	/* cwd and dirfd walks, unless this thread's previous event carried the same ones */
	struct walkc *wc = bpf_map_lookup_elem(&walk_cache, &tid);
	struct walkc nc = {};
	nc.cwd_d = (__u64)BPF_CORE_READ(task, fs, pwd.dentry);
	nc.cwd_m = (__u64)BPF_CORE_READ(task, fs, pwd.mnt);
	nc.renames = *(volatile __u64 *)&kw_renames;
	if (wc && wc->renames != nc.renames)
		wc = 0; /* a directory may have moved: walk again */
	if (wc && wc->cwd_d == nc.cwd_d && wc->cwd_m == nc.cwd_m) {
		r->rflags |= KW_R_CWD_SAME;
		nc.cwd_pfx = wc->cwd_pfx;
	} else {
		used = walk_path(used, KW_S_CWD, nc.cwd_d, nc.cwd_m);
		nc.cwd_pfx = (r->pfx_under >> KW_S_CWD & 1) | (r->pfx_parent >> KW_S_CWD & 1) << 1;
	}
	dfd = (int)p->a[0];
	name = (const char *)p->a[1];
	r->exit_code = dfd;
	if (p->kname) {
		struct kname *k = bpf_map_lookup_elem(&knames, &tid);

		name = k ? k->s[0] : 0;
		r->rflags2 |= KW_R2_NAME_COPY;
	}
	{
		char c = 0;

		if (p->kname)
			bpf_probe_read_kernel(&c, 1, name);
		else
			bpf_probe_read_user(&c, 1, name);
		if (c == '/') {
			r->rflags |= KW_R_BASE_NONE;
			used = walk_root_base(r, used, task, KW_S_BASE, KW_R2_ROOT_BASE);
		} else if (dfd == AT_FDCWD) {
			r->rflags |= KW_R_BASE_CWD;
		} else {
			struct file *df = fd_file(task, dfd);

			if (df) {
				nc.base_d = (__u64)BPF_CORE_READ(df, f_path.dentry);
				nc.base_m = (__u64)BPF_CORE_READ(df, f_path.mnt);
			}
			if (wc && nc.base_d && wc->base_d == nc.base_d && wc->base_m == nc.base_m) {
				r->rflags |= KW_R_BASE_SAME;
				nc.base_pfx = wc->base_pfx;
			} else {
				used = walk_path(used, KW_S_BASE, nc.base_d, nc.base_m);
				nc.base_pfx = (r->pfx_under >> KW_S_BASE & 1) | (r->pfx_parent >> KW_S_BASE & 1) << 1;
			}
		}
	}
	/*
	 * The name: the kernel's own when a hook saw the file it removed, in the directory the
	 * caller's name was relative to (rm -rf: unlinkat(dirfd, name)); else the caller's, and then,
	 * when a hook saw the file, the walk of the file itself is the path (a name with directories,
	 * symlinks, '..', '//', an absolute name in a chroot).
	 */
	struct dentry *vd = victim_dentry(p);
	__u64 base_d = (r->rflags & KW_R_BASE_NONE) ? 0 : (r->rflags & KW_R_BASE_CWD) ? nc.cwd_d : nc.base_d;
	if (vd && base_d && base_d == p->vpd) {
		used = put_kernel_str(r, used, KW_S_NAME, (const char *)BPF_CORE_READ(vd, d_name.name));
		if (r->len[KW_S_NAME])
			r->rflags2 |= KW_R2_KNAME;
	} else if (p->kname) {
		used = put_kernel_str(r, used, KW_S_NAME, name);
	} else {
		used = put_user_str(r, used, KW_S_NAME, name);
	}
	if (!r->len[KW_S_NAME])
		r->rflags |= KW_R_NAME_UNREAD; /* "" or a bad pointer: the walks below name only the dir */
	if (vd && !(r->rflags2 & KW_R2_KNAME)) {
		__u64 m = p->vmnt ? p->vmnt
			  : (r->rflags & KW_R_BASE_NONE) ? (__u64)BPF_CORE_READ(task, fs, root.mnt)
			  : (r->rflags & KW_R_BASE_CWD) ? nc.cwd_m : nc.base_m;
		struct vfsmount *vm = (struct vfsmount *)m;

		/* the mount the kernel resolved the directory on, else the base's, when the file is
		 * on its file system (bind mounts of it included: the walk then names the file where
		 * it lives); a walk that ends at another root (the name crossed into another mount
		 * of it) is not the path */
		if (vm && BPF_CORE_READ(vd, d_sb) == BPF_CORE_READ(vm, mnt_sb)) {
			used = walk_path(used, KW_S_KPATH, (__u64)vd, m);
			if (r->len[KW_S_KPATH] && !(r->unanchored & (1 << KW_S_KPATH)))
				r->rflags2 |= KW_R2_KPATH;
		}
	}
	if (wc && !nc.base_d) { /* no dirfd this time: the previous base stays cached */
		nc.base_d = wc->base_d;
		nc.base_m = wc->base_m;
		nc.base_pfx = wc->base_pfx;
	}
	int judged = prefix_may_match(r, wc, &nc);
	if ((r->rflags2 & KW_R2_KPATH) && cfg_n_prefix && cfg_pfx_inodes_ok)
		judged = (r->pfx_under >> KW_S_KPATH & 1) ? 2 : (r->foreign >> KW_S_KPATH & 1) ? 1 : 0; /* what the
			* kernel resolved decides; in another mount namespace, user space by its host path */
	if (!judged && (op == KW_OP_RENAME || op == KW_OP_EXCHANGE) && cfg_create)
		judged = 1; /* the new name is outside, the old one may be inside (a file renamed away
			     * from a watched path): user space decides on both names */
	if (!judged) {
		/* dropped in the kernel; the walks it carried were not delivered, so keep the cache */
		goto out;
	}
	if (judged == 1)
		r->rflags |= KW_R_UNJUDGED;

	/* a[2] old dfd, a[3] old name (rename/link), or target (symlink) */
	odfd = (int)p->a[2];
	if (op == KW_OP_RENAME || op == KW_OP_EXCHANGE || op == KW_OP_LINK) {
		oname = (const char *)p->a[3];
		if (p->kname) {
			struct kname *k = bpf_map_lookup_elem(&knames, &tid);

			oname = k ? k->s[1] : 0;
		}
		used = put_name(r, used, task, odfd, oname, p->kname, KW_S_ONAME, KW_S_OBASE, KW_R_OBASE_CWD,
				KW_R_OBASE_NONE, KW_R_ONAME_UNREAD);
	} else if (op == KW_OP_SYMLINK) {
		used = put_user_str(r, used, KW_S_ONAME, (const char *)p->a[3]);
	}

	if (op == KW_OP_UNLINK) {
		if (p->e4_set) {
			r->ino = p->e4_ino;
			r->dev = p->e4_dev;
			r->nlink = p->e4_nlink > 0 ? p->e4_nlink - 1 : 0;
			r->rflags |= KW_R_INODE;
		} else {
			pick_inode(r, p, 0, 0);
		}
	} else if (op == KW_OP_RMDIR) {
		if (p->e4_set) {
			r->ino = p->e4_ino;
			r->dev = p->e4_dev;
			r->rflags |= KW_R_INODE;
		} else {
			pick_inode(r, p, 1, 0);
		}
		r->nlink = 0;
	} else if ((op == KW_OP_MKDIR || op == KW_OP_MKNOD || op == KW_OP_SYMLINK || op == KW_OP_LINK) &&
		   p->src_set) {
		/* d_instantiate hook: the inode the new name was bound to */
		r->ino = p->src_ino;
		r->dev = p->src_dev;
		r->rflags |= KW_R_INODE;
	} else if (op == KW_OP_MKDIR) {
		pick_inode(r, p, 1, 0);
	} else if (op == KW_OP_EXCHANGE) {
		/* two names swapped, none went away: no unlink, whatever stood at the new name. The
		 * file now at the new name is the source: the hook's, else the first non-directory whose
		 * ctime the call set (the source's is set before the target's, as for a rename) */
		if (!cfg_create)
			goto out;
		if (p->src_set) {
			r->ino = p->src_ino;
			r->dev = p->src_dev;
			r->rflags |= KW_R_INODE;
		} else {
			pick_inode(r, p, 0, 0);
		}
	} else if (op == KW_OP_RENAME && p->src_set) {
		/* vfs_rename hook: the replaced target (if any) and the source, exactly */
		if (ret == 0 && cfg_unlink && p->e4_set) {
			r->ino = p->e4_ino;
			r->dev = p->e4_dev;
			r->nlink = p->e4_nlink > 0 ? p->e4_nlink - 1 : 0;
			r->rflags |= KW_R_INODE;
			r->hdr.kind = KW_UNLINK;
			if (submit(r, used) == 0)
				bpf_map_update_elem(&walk_cache, &tid, &nc, BPF_ANY);
		}
		if (!cfg_create)
			goto out;
		r->hdr.kind = KW_CREATE;
		r->ino = p->src_ino;
		r->dev = p->src_dev;
		r->rflags |= KW_R_INODE;
	} else if (op == KW_OP_RENAME) {
		/* the source's ctime is set first, a replaced target's second */
		if (ret == 0 && cfg_unlink && p->n_inodes > 1) {
			pick_inode(r, p, 0, 1);
			if (r->rflags & KW_R_INODE) {
				r->hdr.kind = KW_UNLINK;
				if (submit(r, used) == 0)
					bpf_map_update_elem(&walk_cache, &tid, &nc, BPF_ANY);
			}
		}
		if (!cfg_create)
			goto out;
		r->hdr.kind = KW_CREATE;
		r->rflags &= ~KW_R_INODE;
		r->ino = 0;
		r->dev = 0;
		pick_inode(r, p, 0, 0);
	} else if (op == KW_OP_MKNOD || op == KW_OP_SYMLINK || op == KW_OP_LINK || op == KW_OP_TRUNCATE) {
		pick_inode(r, p, 0, 0); /* truncate(path): the file whose ctime it set (6.13+), else unknown */
	}
	if (submit(r, used) == 0 && !(wc && wc->renames == nc.renames && wc->cwd_d == nc.cwd_d && wc->cwd_m == nc.cwd_m &&
					wc->base_d == nc.base_d && wc->base_m == nc.base_m &&
					wc->cwd_pfx == nc.cwd_pfx && wc->base_pfx == nc.base_pfx))
		bpf_map_update_elem(&walk_cache, &tid, &nc, BPF_ANY);
out:
	if (p->kname)
		bpf_map_delete_elem(&knames, &tid);
	bpf_map_delete_elem(&pending, &tid);
	return 0;
}

#endif
