/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * guard.bpf.h: `kwitness-agent guard`: deny deletes and writes under protected trees.
 * Part of kwitness.bpf.c (uses record.bpf.h and path.bpf.h). Every program is loaded only by
 * `guard` (native/guard.c turns autoload on), never by `trace`.
 *
 * Each hook exists twice with one body: as a BPF LSM program (lsm/<hook>, runs only when `bpf`
 * is in the kernel's active LSM list) and as fmod_ret on the security_<hook> function the LSM
 * framework calls (allowed for every security_* function where BPF trampolines exist). User
 * space loads one set. Both return -EPERM to refuse the call, 0 to let it go on.
 *
 * The path hooks (CONFIG_SECURITY_PATH; Debian, Ubuntu and RHEL kernels have it) are used: they
 * see every delete, create and rename with the mount it happens on, io_uring's included.
 *
 * A protected tree is matched by what the kernel resolved, never by spelling: the (dev, ino) of
 * every dentry from the file up to its file system's root and on through the mount points
 * above it, against the rules user space put in `guard_rules`.
 */
#ifndef KW_GUARD_BPF_H
#define KW_GUARD_BPF_H

#define KW_EPERM 1
#define KW_EDQUOT 122
#define KW_MAY_WRITE 0x2
#define KW_MAY_APPEND 0x8
#define KW_FMODE_WRITE 0x2
#define S_IFREG 0100000
#define KW_GUARD_DEPTH 96  /* dentries (and mount crossings) looked at per check */

const volatile __u8 cfg_guard_audit = 0;    /* --audit-only: report, never refuse */
const volatile __u32 cfg_guard_kinds = 0;   /* KW_G_* of the rules: checks of other kinds are skipped */
__u64 guard_renames = 0;                    /* renames seen by path_rename: cached verdicts older than that are stale */
const volatile __u32 cfg_guard_exempt_pid[KW_GUARD_EXEMPT] = {};
const volatile __u32 cfg_guard_exempt_uid[KW_GUARD_EXEMPT] = { -1, -1, -1, -1 };
const volatile char cfg_guard_exempt_comm[KW_GUARD_EXEMPT][KW_COMM_LEN] = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct kw_guard_key);
	__type(value, struct kw_guard_rule);
} guard_rules SEC(".maps");

/* --quota: each quota's count and limit, what it counted per file, the files written lately. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KW_GUARD_MAX_QUOTA);
	__type(key, __u32);
	__type(value, struct kw_quota_state);
} guard_quota SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* set by user space */
	__type(key, struct kw_guard_key);
	__type(value, struct kw_quota_size);
} guard_sizes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KW_GUARD_MAX_QUOTA * KW_QUOTA_PENDING);
	__type(key, __u32);
	__type(value, struct kw_quota_pending);
} guard_pending SEC(".maps");

/* Checks that gave up before reaching a file system's root and the top mount (too deep). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} guard_deep SEC(".maps");

static __always_inline int comm_is(const char *a, const volatile char *b)
{
	if (!b[0])
		return 0;
	for (int i = 0; i < KW_COMM_LEN; i++) {
		if (a[i] != b[i])
			return 0;
		if (!a[i])
			return 1;
	}
	return 1;
}

/* --exempt-pid/--exempt-uid/--exempt-comm: processes the guard lets through. */
static __always_inline int guard_exempt(void)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32, uid = (__u32)bpf_get_current_uid_gid();
	char comm[KW_COMM_LEN];

	bpf_get_current_comm(comm, sizeof(comm));
	for (int i = 0; i < KW_GUARD_EXEMPT; i++) {
		if ((cfg_guard_exempt_pid[i] && cfg_guard_exempt_pid[i] == pid) ||
		    (cfg_guard_exempt_uid[i] != (__u32)-1 && cfg_guard_exempt_uid[i] == uid) ||
		    comm_is(comm, cfg_guard_exempt_comm[i]))
			return 1;
	}
	return 0;
}

static __always_inline struct kw_guard_rule *guard_lookup(struct dentry *d)
{
	struct inode *inode = BPF_CORE_READ(d, d_inode);
	struct kw_guard_key k = {};

	if (!inode)
		return 0; /* a negative dentry: a name being created */
	k.ino = BPF_CORE_READ(inode, i_ino);
	k.dev = kw_inode_dev(inode);
	return bpf_map_lookup_elem(&guard_rules, &k);
}

/*
 * The rule of kind `what` (KW_G_*) that covers dentry d, seen through mount vfsmnt (0: the
 * dentry's file system only), or 0. Walks d_parent to the file system's root, so a tree reached
 * through a bind mount of one of its sub-directories is still the tree; then on from the mount
 * point of each mount, so mounts inside a protected tree are inside it too.
 */
static __always_inline struct kw_guard_rule *guard_match(struct dentry *d, struct vfsmount *vfsmnt, __u32 what)
{
	struct mount *mnt = vfsmnt ? container_of(vfsmnt, struct mount, mnt) : 0;

	for (int i = 0; i < KW_GUARD_DEPTH; i++) {
		struct kw_guard_rule *g = guard_lookup(d);

		if (g && (g->kinds & what))
			return g;
		struct dentry *parent = BPF_CORE_READ(d, d_parent);
		if (parent != d) {
			d = parent;
			continue;
		}
		struct mount *up = mnt ? BPF_CORE_READ(mnt, mnt_parent) : 0;
		if (!up || up == mnt)
			return 0;
		d = BPF_CORE_READ(mnt, mnt_mountpoint);
		mnt = up;
	}
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&guard_deep, &zero);
	if (n)
		*n += 1;
	return 0;
}

/* The denied (or, --audit-only, would-be-denied) call, as a file record of kind KW_DENIED. */
static __always_inline int guard_verdict_err(struct kw_guard_rule *g, __u32 what, __u8 op, __u8 probe,
					     struct dentry *d, struct vfsmount *mnt, int err)
{
	struct kw_raw *r = new_raw(KW_DENIED, probe);

	if (r) {
		struct inode *inode = BPF_CORE_READ(d, d_inode);
		__u32 used = 0;

		r->op = op;
		r->ret = err;
		__u32 k = g->kinds & what;

		r->exit_code = k & KW_G_DELETE ? g->rule_delete : k & KW_G_WRITE ? g->rule_write
			     : k & KW_G_QUOTA ? g->rule_quota : g->rule_ancestor;
		r->nlink = cfg_guard_audit;
		r->rflags = KW_R_NAME_UNREAD; /* no caller spelling: the path is the kernel's */
		r->rflags2 = KW_R2_KPATH;
		if (inode) {
			r->ino = BPF_CORE_READ(inode, i_ino);
			r->dev = kw_inode_dev(inode);
			r->rflags |= KW_R_INODE;
		}
		/* walk_path is a global function: it takes scalars, not the hook's typed pointers */
		__u64 dv = 0, mv = 0;
		bpf_probe_read_kernel(&dv, sizeof(dv), &d);
		bpf_probe_read_kernel(&mv, sizeof(mv), &mnt);
		used = walk_path(used, KW_S_KPATH, dv, mv);
		submit(r, used);
	}
	return cfg_guard_audit ? 0 : err;
}

static __always_inline int guard_verdict(struct kw_guard_rule *g, __u32 what, __u8 op, __u8 probe,
					 struct dentry *d, struct vfsmount *mnt)
{
	return guard_verdict_err(g, what, op, probe, d, mnt, -KW_EPERM);
}

/* One check: the rule of kind `what` covering d, then the verdict on it, recorded with the path of
 * `named` (the name being created in d, for a create; else d itself). */
static __always_inline int guard_check_named(struct dentry *d, struct vfsmount *mnt, __u32 what, __u8 op, __u8 probe,
					     struct dentry *named)
{
	if (!(cfg_guard_kinds & what))
		return 0; /* no rule of that kind: no walk */
	struct kw_guard_rule *g = guard_match(d, mnt, what);

	if (!g || guard_exempt())
		return 0;
	return guard_verdict(g, what, op, probe, named, mnt);
}

static __always_inline int guard_check(struct dentry *d, struct vfsmount *mnt, __u32 what, __u8 op, __u8 probe)
{
	return guard_check_named(d, mnt, what, op, probe, d);
}

/*
 * Quotas count the sizes of a tree's files (i_size, hard links once). A write is judged before it
 * happens, without its length (the hooks do not get one), so the quota counts each file's growth
 * at the next check of that quota: the file itself and the last KW_QUOTA_PENDING files written or
 * truncated in it. A write fails with EDQUOT once the count reached the limit: the overshoot is at
 * most one write call per file being written at that moment.
 */
static __always_inline struct kw_quota_state *quota_of(struct kw_guard_rule *g, __u32 *slot)
{
	*slot = g->quota_slot & (KW_GUARD_MAX_QUOTA - 1);
	return bpf_map_lookup_elem(&guard_quota, slot);
}

static __always_inline void inode_key(struct inode *inode, struct kw_guard_key *k)
{
	k->ino = BPF_CORE_READ(inode, i_ino);
	k->dev = kw_inode_dev(inode);
	k->_pad0 = 0;
}

/* Counts a file's growth or shrinkage since its quota last looked; a file first seen is adopted
 * as it is (it was counted when the guard started, or it was made since, empty). */
static __always_inline void quota_recount(struct inode *inode, __u32 slot, struct kw_quota_state *q)
{
	struct kw_guard_key k;
	__s64 cur = BPF_CORE_READ(inode, i_size);

	inode_key(inode, &k);
	struct kw_quota_size *s = bpf_map_lookup_elem(&guard_sizes, &k);
	if (!s) {
		struct kw_quota_size n = { .size = cur, .slot = slot };
		bpf_map_update_elem(&guard_sizes, &k, &n, BPF_NOEXIST);
		return;
	}
	__s64 d = cur - s->size;
	if (d) {
		s->size = cur;
		__sync_fetch_and_add(&q->used, d);
	}
}

static __always_inline void quota_recount_pending(__u32 slot, struct kw_quota_state *q)
{
	for (int i = 0; i < KW_QUOTA_PENDING; i++) {
		__u32 idx = slot * KW_QUOTA_PENDING + i;
		struct kw_quota_pending *p = bpf_map_lookup_elem(&guard_pending, &idx);

		if (!p || !p->inode)
			continue;
		struct inode *inode = (struct inode *)p->inode;
		/* the inode may have been freed and reused since: only its own numbers vouch for it */
		if (BPF_CORE_READ(inode, i_ino) != p->ino || kw_inode_dev(inode) != p->dev) {
			p->inode = 0;
			continue;
		}
		quota_recount(inode, slot, q);
	}
}

static __always_inline void quota_note_pending(struct inode *inode, __u32 slot, struct kw_quota_state *q)
{
	struct kw_guard_key k;

	inode_key(inode, &k);
	for (int i = 0; i < KW_QUOTA_PENDING; i++) {
		__u32 idx = slot * KW_QUOTA_PENDING + i;
		struct kw_quota_pending *p = bpf_map_lookup_elem(&guard_pending, &idx);

		if (p && p->inode == (__u64)inode && p->ino == k.ino && p->dev == k.dev)
			return;
	}
	/* a plain increment: two CPUs picking one slot lose one entry of the ring, never a count */
	__u32 idx = slot * KW_QUOTA_PENDING + (q->next_pending++ % KW_QUOTA_PENDING);
	struct kw_quota_pending *p = bpf_map_lookup_elem(&guard_pending, &idx);
	if (p) {
		p->inode = (__u64)inode;
		p->ino = k.ino;
		p->dev = k.dev;
	}
}

/* The quota whose tree holds d (with its slot), or 0. */
static __always_inline struct kw_quota_state *quota_at(struct dentry *d, struct vfsmount *mnt, __u32 *slot,
						       struct kw_guard_rule **rule)
{
	if (!(cfg_guard_kinds & KW_G_QUOTA))
		return 0;
	struct kw_guard_rule *g = guard_match(d, mnt, KW_G_QUOTA);
	if (!g)
		return 0;
	if (rule)
		*rule = g;
	return quota_of(g, slot);
}

static __always_inline int is_regular(struct inode *inode)
{
	return (BPF_CORE_READ(inode, i_mode) & S_IFMT) == S_IFREG;
}

/* A file's last name goes: its bytes leave the quota at once. */
static __always_inline void quota_forget(struct dentry *d, struct vfsmount *mnt)
{
	struct inode *inode = BPF_CORE_READ(d, d_inode);
	__u32 slot;
	struct kw_quota_state *q;

	if (!inode || !is_regular(inode) || kw_inode_nlink(inode) > 1 || !(q = quota_at(d, mnt, &slot, 0)))
		return;
	struct kw_guard_key k;
	inode_key(inode, &k);
	struct kw_quota_size *s = bpf_map_lookup_elem(&guard_sizes, &k);
	__s64 size = s ? s->size : (__s64)BPF_CORE_READ(inode, i_size);
	__sync_fetch_and_add(&q->used, -size);
	bpf_map_delete_elem(&guard_sizes, &k);
}

/* A write into a quota's tree: count, then judge. */
static __always_inline int quota_write(struct kw_guard_rule *g, struct dentry *d, struct vfsmount *m, struct inode *inode,
				       __u8 probe)
{
	__u32 slot;
	struct kw_quota_state *q = quota_of(g, &slot);

	if (!q || !inode)
		return 0;
	quota_recount_pending(slot, q);
	quota_recount(inode, slot, q);
	quota_note_pending(inode, slot, q);
	if (q->used < (__s64)q->limit || guard_exempt())
		return 0;
	return guard_verdict_err(g, KW_G_QUOTA, KW_OP_WRITE, probe, d, m, -KW_EDQUOT);
}

/* A truncate frees bytes: counted at the quota's next check (the hook runs before it happens). */
static __always_inline void quota_truncate(struct dentry *d, struct vfsmount *mnt)
{
	struct inode *inode = BPF_CORE_READ(d, d_inode);
	__u32 slot;
	struct kw_quota_state *q;

	if (inode && (q = quota_at(d, mnt, &slot, 0)))
		quota_note_pending(inode, slot, q);
}

/*
 * A rename across a quota's edge moves a file's bytes out of one count and into another. A
 * directory moved across, or a file replaced by the rename, has the tree recounted by user space.
 */
static __always_inline void quota_rename(struct dentry *old_dentry, struct vfsmount *om, struct dentry *new_dir,
					 struct dentry *new_dentry, struct vfsmount *nm)
{
	__u32 so = 0, sn = 0;
	struct kw_quota_state *qo = quota_at(old_dentry, om, &so, 0), *qn = quota_at(new_dir, nm, &sn, 0);
	struct inode *inode = BPF_CORE_READ(old_dentry, d_inode), *victim = BPF_CORE_READ(new_dentry, d_inode);

	/* keep clang from or-ing the two map value pointers (the verifier refuses pointer arithmetic) */
	asm volatile("" : "+r"(qo));
	asm volatile("" : "+r"(qn));
	if (victim && qn)
		qn->rescan = 1;
	if (!inode)
		return;
	if (qo) {
		if (qn && so == sn)
			return;
	} else if (!qn) {
		return;
	}
	if (!is_regular(inode)) {
		if (qo)
			qo->rescan = 1;
		if (qn)
			qn->rescan = 1;
		return;
	}
	struct kw_guard_key k;
	inode_key(inode, &k);
	struct kw_quota_size *s = bpf_map_lookup_elem(&guard_sizes, &k);
	__s64 size = s ? s->size : (__s64)BPF_CORE_READ(inode, i_size);
	if (qo)
		__sync_fetch_and_add(&qo->used, -size);
	if (qn) {
		struct kw_quota_size n = { .size = size, .slot = sn };
		__sync_fetch_and_add(&qn->used, size);
		bpf_map_update_elem(&guard_sizes, &k, &n, BPF_ANY);
	} else {
		bpf_map_delete_elem(&guard_sizes, &k);
	}
}

static __always_inline int g_path_unlink(const struct path *dir, struct dentry *dentry, __u8 probe)
{
	struct vfsmount *mnt = BPF_CORE_READ(dir, mnt);
	int ret = guard_check(dentry, mnt, KW_G_DELETE, KW_OP_UNLINK, probe);

	if (!ret)
		quota_forget(dentry, mnt);
	return ret;
}

static __always_inline int g_path_rmdir(const struct path *dir, struct dentry *dentry, __u8 probe)
{
	return guard_check(dentry, BPF_CORE_READ(dir, mnt), KW_G_DELETE, KW_OP_RMDIR, probe);
}

/*
 * A rename takes its old name away (a delete of it), replaces what held the new name (a delete
 * of that), and puts a file into the new directory (a write there). An exchange does all of it
 * both ways, which these checks cover too: both names are positive. A directory above a
 * deny-delete path may not be renamed either (that would move the protected path away).
 */
static __always_inline int g_path_rename(const struct path *old_dir, struct dentry *old_dentry,
					 const struct path *new_dir, struct dentry *new_dentry, __u8 probe)
{
	struct vfsmount *om = BPF_CORE_READ(old_dir, mnt), *nm = BPF_CORE_READ(new_dir, mnt);

	__sync_fetch_and_add(&guard_renames, 1); /* open files' cached verdicts may be stale now */
	struct kw_guard_rule *g = cfg_guard_kinds & KW_G_DELETE ? guard_lookup(old_dentry) : 0;
	int ret;

	if (g && (g->kinds & KW_G_ANCESTOR) && !guard_exempt())
		return guard_verdict(g, KW_G_ANCESTOR, KW_OP_RENAME, probe, old_dentry, om);
	if ((ret = guard_check(old_dentry, om, KW_G_DELETE, KW_OP_RENAME, probe)))
		return ret;
	if (BPF_CORE_READ(new_dentry, d_inode) && (ret = guard_check(new_dentry, nm, KW_G_DELETE | KW_G_WRITE, KW_OP_RENAME, probe)))
		return ret;
	struct dentry *nd = BPF_CORE_READ(new_dir, dentry);
	if ((ret = guard_check_named(nd, nm, KW_G_WRITE, KW_OP_RENAME, probe, new_dentry)))
		return ret;
	quota_rename(old_dentry, om, nd, new_dentry, nm);
	return 0;
}

/* Creates into a deny-write tree: judged by the directory the new name goes into. */
static __always_inline int g_create(const struct path *dir, struct dentry *dentry, __u8 op, __u8 probe)
{
	return guard_check_named(BPF_CORE_READ(dir, dentry), BPF_CORE_READ(dir, mnt), KW_G_WRITE, op, probe, dentry);
}

/* A new name for a protected file (a way round the rule on its tree), or one made inside the tree. */
static __always_inline int g_path_link(struct dentry *old_dentry, const struct path *new_dir, struct dentry *new_dentry,
				       __u8 probe)
{
	int ret = guard_check(old_dentry, BPF_CORE_READ(new_dir, mnt), KW_G_WRITE, KW_OP_LINK, probe);

	return ret ? ret : g_create(new_dir, new_dentry, KW_OP_LINK, probe);
}

static __always_inline int g_truncate(struct dentry *d, struct vfsmount *mnt, __u8 probe)
{
	int ret = guard_check(d, mnt, KW_G_WRITE, KW_OP_TRUNCATE, probe);

	if (!ret)
		quota_truncate(d, mnt);
	return ret;
}

static __always_inline int g_path_truncate(const struct path *path, __u8 probe)
{
	return g_truncate(BPF_CORE_READ(path, dentry), BPF_CORE_READ(path, mnt), probe);
}

static __always_inline int g_file(struct file *file, __u32 what, __u8 op, __u8 probe)
{
	return guard_check(BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt), what, op, probe);
}

static __always_inline int g_file_open(struct file *file, __u8 probe)
{
	__u32 mode = BPF_CORE_READ(file, f_mode);

	/* a file this open just made was judged as a create (path_mknod): one call, one verdict */
	if (!(mode & KW_FMODE_WRITE) || (mode & KW_FMODE_CREATED))
		return 0;
	return g_file(file, KW_G_WRITE, KW_OP_OPEN_WRITE, probe);
}

/*
 * What the walks found for an open file, so its next writes do not walk again: kept while the
 * file still has the same dentry and inode (a struct file pins its dentry, so a hit is that file)
 * and no rename happened since (guard_renames: a rename may move it into or out of a tree).
 */
struct guard_fverdict {
	__u64 renames;
	__u64 dentry;
	__u64 inode;
	struct kw_guard_rule write;  /* kinds 0: no deny-write rule covers it */
	struct kw_guard_rule quota;  /* kinds 0: no quota covers it */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct guard_fverdict);
} guard_files SEC(".maps");


static __always_inline __u64 as_scalar(const void *p)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &p);
	return v;
}

/* write(2) and its kin, fallocate, copy_file_range: on files opened before the guard started too */
static __always_inline int g_file_permission(struct file *file, int mask, __u8 probe)
{
	if (!(mask & (KW_MAY_WRITE | KW_MAY_APPEND)) || !(cfg_guard_kinds & (KW_G_WRITE | KW_G_QUOTA)))
		return 0; /* reads never pay for the walk */
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);
	struct vfsmount *m = BPF_CORE_READ(file, f_path.mnt);
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	__u64 key = as_scalar(file), renames = guard_renames;
	struct guard_fverdict *c = bpf_map_lookup_elem(&guard_files, &key);

	if (!c || c->renames != renames || c->dentry != (__u64)d || c->inode != (__u64)inode) {
		struct guard_fverdict n = { .renames = renames, .dentry = (__u64)d, .inode = (__u64)inode };
		struct kw_guard_rule *g;

		if ((cfg_guard_kinds & KW_G_WRITE) && (g = guard_match(d, m, KW_G_WRITE)))
			n.write = *g;
		if ((cfg_guard_kinds & KW_G_QUOTA) && (g = guard_match(d, m, KW_G_QUOTA)))
			n.quota = *g;
		bpf_map_update_elem(&guard_files, &key, &n, BPF_ANY);
		c = bpf_map_lookup_elem(&guard_files, &key);
		if (!c)
			return 0;
	}
	if (c->write.kinds && !guard_exempt())
		return guard_verdict(&c->write, KW_G_WRITE, KW_OP_WRITE, probe, d, m);
	return c->quota.kinds ? quota_write(&c->quota, d, m, inode, probe) : 0;
}

/*
 * Each hook as an LSM program and as fmod_ret on its security_* function. The probe id of the
 * fmod_ret twin is the LSM one + 1 (kwitness.h).
 */
#define KW_GUARD_HOOK(hook, id, proto, call)                                                   \
	SEC("lsm/" #hook) int BPF_PROG(kw_lsm_##hook, proto)                                   \
	{                                                                                      \
		const __u8 probe = id;                                                         \
		return call;                                                                   \
	}                                                                                      \
	SEC("fmod_ret/security_" #hook) int BPF_PROG(kw_fmr_##hook, proto)                     \
	{                                                                                      \
		const __u8 probe = id + 1;                                                     \
		return call;                                                                   \
	}
#define KW_ARGS(...) __VA_ARGS__

KW_GUARD_HOOK(path_unlink, KW_P_G_PATH_UNLINK, KW_ARGS(const struct path *dir, struct dentry *dentry),
	      g_path_unlink(dir, dentry, probe))
KW_GUARD_HOOK(path_rmdir, KW_P_G_PATH_RMDIR, KW_ARGS(const struct path *dir, struct dentry *dentry),
	      g_path_rmdir(dir, dentry, probe))
KW_GUARD_HOOK(path_rename, KW_P_G_PATH_RENAME,
	      KW_ARGS(const struct path *old_dir, struct dentry *old_dentry, const struct path *new_dir,
		      struct dentry *new_dentry),
	      g_path_rename(old_dir, old_dentry, new_dir, new_dentry, probe))
KW_GUARD_HOOK(path_mkdir, KW_P_G_PATH_MKDIR, KW_ARGS(const struct path *dir, struct dentry *dentry),
	      g_create(dir, dentry, KW_OP_MKDIR, probe))
/* open(O_CREAT) of a new file comes here too (may_o_create): reported as a create by open */
KW_GUARD_HOOK(path_mknod, KW_P_G_PATH_MKNOD, KW_ARGS(const struct path *dir, struct dentry *dentry, umode_t mode),
	      g_create(dir, dentry, (mode & S_IFMT) == S_IFREG || !(mode & S_IFMT) ? KW_OP_OPEN : KW_OP_MKNOD, probe))
KW_GUARD_HOOK(path_symlink, KW_P_G_PATH_SYMLINK, KW_ARGS(const struct path *dir, struct dentry *dentry),
	      g_create(dir, dentry, KW_OP_SYMLINK, probe))
KW_GUARD_HOOK(path_link, KW_P_G_PATH_LINK, KW_ARGS(struct dentry *old_dentry, const struct path *new_dir, struct dentry *new_dentry),
	      g_path_link(old_dentry, new_dir, new_dentry, probe))
KW_GUARD_HOOK(path_truncate, KW_P_G_PATH_TRUNCATE, KW_ARGS(const struct path *path), g_path_truncate(path, probe))
/* ftruncate and open(O_TRUNC) since 6.2 (commit 3350607dc5637 "security: Create file_truncate hook") */
KW_GUARD_HOOK(file_truncate, KW_P_G_FILE_TRUNCATE, KW_ARGS(struct file *file),
	      g_truncate(BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt), probe))
KW_GUARD_HOOK(file_open, KW_P_G_FILE_OPEN, KW_ARGS(struct file *file), g_file_open(file, probe))
KW_GUARD_HOOK(file_permission, KW_P_G_FILE_PERMISSION, KW_ARGS(struct file *file, int mask),
	      g_file_permission(file, mask, probe))

#endif
