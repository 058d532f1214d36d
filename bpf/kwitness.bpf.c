// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kwitness.bpf.c: the kernel half of the agent. Tracepoint mode (works on every BTF kernel
 * >= 5.8): syscall enter/exit pairs stash arguments per thread and emit on return, so failed
 * calls carry their errno; sched_process_{fork,exec,exit} feed exec events and the user-space
 * pid table. Paths are emitted as dentry walks (leaf first) that user space reverses and joins.
 */
#define __KW_BPF__
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "kwitness.h"
#include "core_fixes.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AT_FDCWD -100
#define O_CREAT 0100
#define O_ACCMODE 03
#define O_WRONLY 01
#define O_TRUNC 01000
#define O_PATH 010000000
/* vfsmount.mnt_flags of the kernel's own mounts (pipes, sockets, memfd, anonymous inodes) */
#define MNT_INTERNAL 0x4000
/* task_struct.flags: an io_uring worker thread (include/linux/sched.h; the bit has not moved) */
#define KW_PF_IO_WORKER 0x00000010
#define S_IFMT 00170000
#define S_IFDIR 0040000

/* Configuration: set by user space between open and load. */
const volatile __u32 cfg_pid = 0;          /* 0 = any */
const volatile __u32 cfg_uid = 0xffffffff; /* 0xffffffff = any */
const volatile char cfg_comm[KW_COMM_LEN] = {};
const volatile __u8 cfg_has_comm = 0;
const volatile __u8 cfg_has_cgroup = 0;
const volatile __u8 cfg_failed_only = 0;
const volatile __u8 cfg_unlink = 0;
const volatile __u8 cfg_create = 0;
const volatile __u8 cfg_exec = 0;
const volatile __u8 cfg_write = 0;
const volatile __u32 cfg_argv_max = 4096;
const volatile __u32 cfg_wakeup_bytes = 256 << 10; /* wake user space once this much waits */
/* this architecture's rename, renameat and renameat2 numbers (-1: none), from user space */
const volatile long cfg_nr_rename[3] = { -1, -1, -1 };

/*
 * Bumped by every rename on the system, by any process, before and after it moves the name: a
 * cached walk (walk_cache) made before a rename may name a directory by its old path.
 */
__u64 kw_renames = 0;

static __always_inline void note_any_rename(void)
{
	__sync_fetch_and_add(&kw_renames, 1);
}
/* --path-prefix: directory inodes (and their parents') to spot in walks, strings for absolute
 * names. The kernel only drops what certainly cannot match; user space decides exactly. */
/* the agent's mount namespace (inode of /proc/self/ns/mnt): walks that end in another are
 * sent with their file system walk too (kw_raw.foreign); 0 = never */
const volatile __u32 cfg_host_mntns = 0;
const volatile __u8 cfg_n_prefix = 0;
const volatile __u8 cfg_pfx_inodes_ok = 0;  /* every prefix is an existing directory */
const volatile __u8 cfg_pfx_str_ok = 0;     /* every prefix fits KW_PFX_STR */
const volatile __u64 cfg_pfx_ino[KW_MAX_PREFIX] = {};
const volatile __u64 cfg_pfx_pino[KW_MAX_PREFIX] = {};
const volatile __u8 cfg_pfx_len[KW_MAX_PREFIX] = {};
const volatile char cfg_pfx_str[KW_MAX_PREFIX][KW_PFX_STR] = {};

/* Keep the wire structs in this object's BTF for the layout test. */
struct kw_file_rec kw_btf_file_rec __attribute__((used));
struct kw_exec_rec kw_btf_exec_rec __attribute__((used));
struct kw_exit_rec kw_btf_exit_rec __attribute__((used));
struct kw_ready_rec kw_btf_ready_rec __attribute__((used));
struct kw_lost_rec kw_btf_lost_rec __attribute__((used));
struct kw_error_rec kw_btf_error_rec __attribute__((used));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by user space (--ringbuf-kb) */
} events SEC(".maps");

/*
 * Everything the kernel side drops, per CPU and reason. Failed ring buffer writes: [0] events
 * that certainly pass every filter (user space reports them as `lost`), [1] pid-table records
 * (fork/exec/exit notes, reported as an `error`: they are not events), [2] events dropped before
 * user space could finish --path-prefix on them (reported as `unjudged`: at most that many more
 * may have matched). Keeping [2] apart makes `lost` exact: unrelated processes' events that the
 * kernel could not rule out are not in it. [3] calls of wanted processes that could not be
 * followed because `pending` was full (reported as `untracked`): without an entry their exit
 * has nothing to report, so this is the only trace they leave.
 */
enum { KW_LOST_EVENT = 0, KW_LOST_PROC = 1, KW_LOST_UNJUDGED = 2, KW_LOST_UNTRACKED = 3 };
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* Record scratch space, one slot per CPU (user space sets max_entries to the CPU count; a
 * PERCPU_ARRAY value cannot exceed 32 KiB). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kw_raw);
} scratch SEC(".maps");

/* --cgroup: the cgroup whose subtree is traced. */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

#define KW_MAX_INODES 4

/*
 * The dentries whose walks a thread's last delivered file event carried: a busy process
 * (rm -rf) works in one cwd and one dirfd, so later events say "same" instead of walking.
 */
struct walkc {
	__u64 cwd_d, cwd_m, base_d, base_m;
	__u64 renames;           /* kw_renames when walked: any rename since makes them stale */
	__u32 cwd_pfx, base_pfx; /* bit 0: under a prefix dir, bit 1: a prefix dir's parent */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct walkc);
} walk_cache SEC(".maps");

/* A syscall in flight: its arguments and the inodes it touched. */
struct pend {
	__u64 a[5];                 /* syscall args */
	__u64 inodes[KW_MAX_INODES];/* inodes whose ctime the call set, in order */
	__u64 e4_ino;               /* the victim (vfs_* hook or ext4_unlink_enter), nlink before */
	__u32 e4_dev;
	__u32 e4_nlink;
	__u64 vd, vpd, vhash;       /* the dentry the call removed, made or moved, its parent and
				     * d_name.hash_len as the hooks expect them at the exit */
	__u64 vmnt;                 /* the mount the kernel resolved the name's directory on
				     * (security_path_* hooks), for the walk of vd */
	__u64 src_ino;              /* rename: the source inode (vfs_rename hook) */
	__u32 src_dev;
	__u32 src_set;
	__u8 probe;
	__u8 op;
	__u8 n_inodes;
	__u8 e4_set;
	__u8 kname;                 /* a[1] is not a user pointer: the name is in `knames` (io_uring) */
	__u8 _pad[3];
};

/* Keyed by thread id. A full table cannot take a new call: stash() counts it (KW_LOST_UNTRACKED). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384); /* resized by user space (--pending-max) */
	__type(key, __u32);
	__type(value, struct pend);
} pending SEC(".maps");

/*
 * Names of calls made without a system call (io_uring): the kernel frees its copy (struct
 * filename) before the call returns, so the entry hook copies it here for the exit hook.
 * Allocated on use; a full map only costs the name, never the event: it is reported with
 * KW_F_NAME_UNREADABLE (an empty path), not as the directory the name was relative to.
 */
struct kname {
	char s[2][KW_PATH_MAX]; /* the name (pend.a[1]) and the old name (a[3]: rename) */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct kname);
} knames SEC(".maps");

/* A per-CPU source for new `knames` entries (a 4 KiB value cannot come from the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kname);
} kname_init SEC(".maps");

/* Masks an offset in a way the compiler cannot drop, so the verifier sees the bound. */
static __always_inline __u64 bound(__u64 v)
{
	asm volatile("%[v] &= %[m]" : [v] "+r"(v) : [m] "i"(KW_DATA_MASK));
	return v;
}

static __always_inline void count_lost(__u32 idx)
{
	__u64 *n = bpf_map_lookup_elem(&lost, &idx);

	if (n)
		*n += 1;
}

/* In-kernel filters on the acting task: pid, uid, comm, cgroup subtree. */
static __always_inline int task_wanted(void)
{
	if (cfg_pid && (bpf_get_current_pid_tgid() >> 32) != cfg_pid)
		return 0;
	if (cfg_uid != 0xffffffff && (__u32)bpf_get_current_uid_gid() != cfg_uid)
		return 0;
	if (cfg_has_comm) {
		char comm[KW_COMM_LEN];

		bpf_get_current_comm(comm, sizeof(comm));
		for (int i = 0; i < KW_COMM_LEN; i++) {
			if (comm[i] != cfg_comm[i])
				return 0;
			if (!comm[i])
				break;
		}
	}
	if (cfg_has_cgroup && bpf_current_task_under_cgroup(&cgroup_filter, 0) != 1)
		return 0;
	return 1;
}

static __always_inline struct kw_raw *new_raw(__u16 kind, __u8 probe)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct kw_raw *r = bpf_map_lookup_elem(&scratch, &cpu);
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid(), ug = bpf_get_current_uid_gid();

	if (!r)
		return 0;
	r->hdr.kind = kind;
	r->hdr.flags = 0;
	r->hdr.ktime_ns = bpf_ktime_get_boot_ns();
	r->cgroup_id = bpf_get_current_cgroup_id();
	r->ino = 0;
	r->dev = 0;
	r->nlink = 0;
	r->start_ns = kw_task_start_boottime(task);
	r->pid = id >> 32;
	r->tid = (__u32)id;
	r->uid = (__u32)ug;
	r->gid = ug >> 32;
	r->ret = 0;
	r->exit_code = 0;
	r->rflags = 0;
	r->pfx_under = 0;
	r->pfx_parent = 0;
	r->rflags2 = 0;
	r->unanchored = 0;
	r->foreign = 0;
	r->op = 0;
	r->probe = probe;
	bpf_get_current_comm(r->comm, sizeof(r->comm));
	__builtin_memset(r->off, 0, sizeof(r->off));
	__builtin_memset(r->len, 0, sizeof(r->len));
	__builtin_memset(r->anc, 0, sizeof(r->anc));
	r->ppid = BPF_CORE_READ(task, real_parent, tgid);
	return r;
}

/*
 * The tgid chain (parent first) for records that start or end a process: user space's pid
 * table knows the ancestors of everything else, so the hot file path skips this walk.
 */
static __always_inline void fill_chain(struct kw_raw *r, struct task_struct *task)
{
	struct task_struct *t = task;

	for (int i = 0; i < KW_ANC_BPF; i++) {
		t = BPF_CORE_READ(t, real_parent);
		__u32 p = t ? BPF_CORE_READ(t, tgid) : 0;
		r->anc[i] = p;
		if (p <= 1)
			break;
	}
}

/* Emits the record (header + data used so far) into the ring buffer. */
static __always_inline int submit(struct kw_raw *r, __u32 used)
{
	__u32 size = KW_RAW_FIXED + (used & (KW_DATA_SZ - 1));

	r->hdr.size = size;
	if (size > sizeof(*r))
		return -1;
	/* no wakeup per record (user space polls every 20 ms); wake it early when data piles up */
	__u64 flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > cfg_wakeup_bytes ? BPF_RB_FORCE_WAKEUP
										       : BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&events, r, size, flags)) {
		__u32 idx = KW_LOST_EVENT;

		if (r->hdr.kind >= KW_RAW_FORK)
			idx = KW_LOST_PROC;
		else if (cfg_n_prefix && (r->hdr.kind == KW_EXEC || r->hdr.kind == KW_EXIT || (r->rflags & KW_R_UNJUDGED)))
			idx = KW_LOST_UNJUDGED; /* exec/exit: the prefix applies to exe, known in user space only */
		count_lost(idx);
		return -1;
	}
	return 0;
}

/* Appends a user string into `slot`; returns the new data offset. */
static __always_inline __u32 put_user_str(struct kw_raw *r, __u32 used, int slot, const char *s)
{
	if (!s || used > KW_DATA_MASK)
		return used;
	long n = bpf_probe_read_user_str(&r->data[bound(used)], KW_PATH_MAX, s);
	if (n <= 1)
		return used;
	if (n >= KW_PATH_MAX)
		r->rflags |= KW_R_TRUNC;
	r->off[slot & 7] = used;
	r->len[slot & 7] = n - 1;
	return used + n - 1;
}

static __always_inline __u32 put_kernel_str(struct kw_raw *r, __u32 used, int slot, const char *s)
{
	if (!s || used > KW_DATA_MASK)
		return used;
	long n = bpf_probe_read_kernel_str(&r->data[bound(used)], KW_PATH_MAX, s);
	if (n <= 1)
		return used;
	if (n >= KW_PATH_MAX)
		r->rflags |= KW_R_TRUNC;
	r->off[slot & 7] = used;
	r->len[slot & 7] = n - 1;
	return used + n - 1;
}

/*
 * Walks a dentry up to the root of the mount tree, crossing mount points through
 * struct mount (mnt_parent, mnt_mountpoint), writing "leaf/parent/.../" into `slot`.
 */
/*
 * Global functions (verified once, not per call site) take scalars only on older kernels
 * (5.10 rejects pointer arguments), so they find this CPU's record themselves.
 */
static __always_inline struct kw_raw *this_raw(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&scratch, &cpu);
}

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
	return note_inode((struct inode *)ctx->args[0]);
}

SEC("raw_tp/ctime_ns_xchg")
int kw_ctime_xchg(struct bpf_raw_tracepoint_args *ctx)
{
	return note_inode((struct inode *)ctx->args[0]);
}

SEC("raw_tp/ctime_xchg_skip")
int kw_ctime_skip(struct bpf_raw_tracepoint_args *ctx)
{
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
	return note_victim((struct dentry *)KW_CTX_ARG(ctx, 1));
}

SEC("fentry/security_inode_rmdir")
int kw_fe_rmdir(__u64 *ctx)
{
	return note_victim((struct dentry *)KW_CTX_ARG(ctx, 1));
}

SEC("fentry/security_inode_rename")
int kw_fe_rename(__u64 *ctx)
{
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
	return note_created((struct dentry *)KW_CTX_ARG(ctx, 0), (struct inode *)KW_CTX_ARG(ctx, 1));
}

SEC("fentry/d_instantiate_new")
int kw_fe_d_instantiate_new(__u64 *ctx)
{
	return note_created((struct dentry *)KW_CTX_ARG(ctx, 0), (struct inode *)KW_CTX_ARG(ctx, 1));
}

SEC("kprobe/d_instantiate")
int kw_kp_d_instantiate(struct pt_regs *ctx)
{
	return note_created((struct dentry *)PT_REGS_PARM1_CORE(ctx), (struct inode *)PT_REGS_PARM2_CORE(ctx));
}

SEC("kprobe/d_instantiate_new")
int kw_kp_d_instantiate_new(struct pt_regs *ctx)
{
	return note_created((struct dentry *)PT_REGS_PARM1_CORE(ctx), (struct inode *)PT_REGS_PARM2_CORE(ctx));
}

SEC("kprobe/security_inode_unlink")
int kw_kp_unlink(struct pt_regs *ctx)
{
	return note_victim((struct dentry *)PT_REGS_PARM2_CORE(ctx));
}

SEC("kprobe/security_inode_rmdir")
int kw_kp_rmdir(struct pt_regs *ctx)
{
	return note_victim((struct dentry *)PT_REGS_PARM2_CORE(ctx));
}

SEC("kprobe/security_inode_rename")
int kw_kp_rename(struct pt_regs *ctx)
{
	return note_rename((struct dentry *)PT_REGS_PARM2_CORE(ctx), (struct dentry *)PT_REGS_PARM4_CORE(ctx));
}

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
