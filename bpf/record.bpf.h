/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * record.bpf.h: configuration (rodata set between open and load), the maps, and building and submitting
 * raw records (new_raw, the string slots, submit, the lost counters).
 * Part of kwitness.bpf.c (one translation unit: the parts are included in this order and use
 * what the earlier ones define).
 */
#ifndef KW_RECORD_BPF_H
#define KW_RECORD_BPF_H

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
struct kw_call_rec kw_btf_call_rec __attribute__((used));

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
	r->stacks = 0;
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

#include "stacks.bpf.h"

/* Emits the record (header + data used so far, then the call's stacks) into the ring buffer. */
static __always_inline int submit(struct kw_raw *r, __u32 used)
{
	used = stack_put(r, used);
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
 * Global functions (verified once, not per call site) take scalars only on older kernels
 * (5.10 rejects pointer arguments), so they find this CPU's record themselves.
 */
static __always_inline struct kw_raw *this_raw(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&scratch, &cpu);
}

#endif
