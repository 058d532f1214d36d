/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * kwitness.h: the raw records the BPF programs put in the ring buffer for the agent's user
 * space (native/). NOT the wire format (that is kwitness_wire.h): user space enriches these
 * (exe, cgroup path, ancestors, joined absolute paths) before writing json or wire records.
 */
#ifndef KWITNESS_H
#define KWITNESS_H

#include "kwitness_wire.h"

#define KW_COMM_LEN 16
#define KW_NAME_MAX 256         /* one path component incl. NUL */
#define KW_PATH_MAX 4096        /* capture limit of one path string */
#define KW_MAX_DEPTH 64         /* dentry levels walked per path */
#define KW_ANC_BPF 8            /* pid chain levels sent from the kernel */
#define KW_DATA_SZ 65536        /* scratch data area per record */
#define KW_DATA_MASK 32767      /* string writes start below this offset ... */
#define KW_ARGV_MAX 16384       /* ... and are at most this long, so they stay inside */
#define KW_MAX_PREFIX 8
#define KW_PFX_STR 128       /* prefixes compared in the kernel as strings (absolute names) */
#define KW_PFX_SCAN 160      /* names scanned in the kernel for '.' and '/'; longer ones pass */

/* Internal record kinds (never on the wire): feed the user-space pid table. */
enum kw_raw_kind {
	KW_RAW_FORK = 200,      /* a process was created: pid, ppid, comm */
	KW_RAW_EXEC_NOTE = 201, /* an exec happened while the exec family is off: exe, argv */
	KW_RAW_EXIT_NOTE = 202, /* a process ended while the exec family is off */
	KW_RAW_CGROUP = 203,    /* a cgroup v2 directory was made: cgroup_id, path in KW_S_NAME */
};

/* String slots of a raw record (kw_raw.len[] indexes). */
enum kw_slot {
	KW_S_CWD = 0,      /* reversed components of fs->pwd ("leaf/parent/.../") */
	KW_S_BASE = 1,     /* reversed components of the dirfd's dir (or the opened file) */
	KW_S_NAME = 2,     /* the name as passed by the caller */
	KW_S_OBASE = 3,    /* rename/link: base of the old name */
	KW_S_ONAME = 4,    /* rename/link: old name as passed; symlink: target text */
	KW_S_EXE = 5,      /* exec: reversed components of bprm->file */
	KW_S_KPATH = 5,    /* file records (KW_R2_KPATH): reversed components of the file itself */
	KW_S_ARGV = 6,     /* exec: NUL separated argv */
	KW_S_INTERP = 7,   /* exec: bprm->interp as the kernel saw it */
	KW_NSLOTS = 8,
};

/* kw_raw.rflags */
enum kw_raw_flag {
	KW_R_BASE_CWD = 1 << 0,   /* relative name resolved against cwd: base == cwd slot */
	KW_R_OBASE_CWD = 1 << 1,  /* same for the old name */
	KW_R_TRUNC = 1 << 2,      /* a path slot was cut (depth or length) */
	KW_R_ARGV_TRUNC = 1 << 3,
	KW_R_INODE = 1 << 4,      /* dev/ino/nlink are known */
	KW_R_SCRIPT = 1 << 5,     /* exec of a #! script (interp slot valid) */
	KW_R_BASE_ABS = 1 << 6,   /* base slot already holds the full path (open via struct file) */
	KW_R_OBASE_NONE = 1 << 7, /* old name absolute: no old base */
	KW_R_BASE_NONE = 1 << 8,  /* name absolute: no base */
	KW_R_LAST_LINK = 1 << 9,
	KW_R_CWD_SAME = 1 << 10,  /* cwd slot omitted: same dentry as this thread's previous file event */
	KW_R_BASE_SAME = 1 << 11, /* base slot omitted: same dirfd dentry as the previous file event */
	KW_R_UNJUDGED = 1 << 12,  /* --path-prefix: the kernel could not tell; user space decides */
	KW_R_NAME_UNREAD = 1 << 13,  /* the caller's name: empty, or not readable (EFAULT, no kname) */
	KW_R_ONAME_UNREAD = 1 << 14, /* the same for the old name of a rename/link */
};

/*
 * kw_raw.rflags2: where a file record's path came from. Neither KNAME nor KPATH: the caller's
 * spelling, joined to its directory; NAME_COPY says it was read from the kernel's copy of the
 * name (io_uring), else from the caller's memory after the call (a thread sharing that memory
 * may have changed it in between).
 */
enum kw_raw_flag2 {
	KW_R2_KNAME = 1 << 0,     /* the name slot is the kernel's name of the file (its dentry) in the
				   * base directory, which is the directory the kernel resolved */
	KW_R2_KPATH = 1 << 1,     /* KW_S_KPATH is the walk of the file's own dentry: the path */
	KW_R2_NAME_COPY = 1 << 2, /* the names are the kernel's copies (struct filename), not user memory */
	KW_R2_ROOT_BASE = 1 << 3, /* an absolute name (KW_R_BASE_NONE) of a process whose root is not
				   * the host's (a container, a chroot): KW_S_BASE is the walk of its root */
	KW_R2_ROOT_OBASE = 1 << 4, /* the same for the old name (KW_R_OBASE_NONE, KW_S_OBASE) */
};

/* Probe ids (kw_raw.probe) -> attach point names in native/probes.c */
enum kw_probe_id {
	KW_P_NONE = 0,
	KW_P_TP_UNLINK, KW_P_TP_UNLINKAT, KW_P_TP_RMDIR, KW_P_TP_RENAME, KW_P_TP_RENAMEAT,
	KW_P_TP_RENAMEAT2, KW_P_TP_OPEN, KW_P_TP_OPENAT, KW_P_TP_OPENAT2, KW_P_TP_CREAT,
	KW_P_TP_MKDIR, KW_P_TP_MKDIRAT, KW_P_TP_MKNOD, KW_P_TP_MKNODAT, KW_P_TP_LINK,
	KW_P_TP_LINKAT, KW_P_TP_SYMLINK, KW_P_TP_SYMLINKAT, KW_P_TP_EXECVE, KW_P_TP_EXECVEAT,
	KW_P_TP_SCHED_EXEC, KW_P_TP_SCHED_EXIT,
	/* calls made without a system call (io_uring), reported at the function's exit */
	KW_P_FX_DO_UNLINKAT, KW_P_FX_DO_RMDIR, KW_P_FX_DO_MKDIRAT, KW_P_FX_DO_RENAMEAT2,
	KW_P_KRP_DO_UNLINKAT, KW_P_KRP_DO_RMDIR, KW_P_KRP_DO_MKDIRAT, KW_P_KRP_DO_RENAMEAT2,
	KW_P_FX_DO_FILP_OPEN, KW_P_KRP_DO_FILP_OPEN,
	KW_P_TP_TRUNCATE, KW_P_TP_FTRUNCATE,
	/* 32-bit (ia32) file syscalls on x86_64, which the syscalls:* tracepoints do not see (ia32.bpf.h) */
	KW_P_IA32_UNLINK, KW_P_IA32_UNLINKAT, KW_P_IA32_RMDIR, KW_P_IA32_RENAME, KW_P_IA32_RENAMEAT,
	KW_P_IA32_RENAMEAT2, KW_P_IA32_OPEN, KW_P_IA32_OPENAT, KW_P_IA32_OPENAT2, KW_P_IA32_CREAT,
	KW_P_IA32_TRUNCATE, KW_P_IA32_FTRUNCATE, KW_P_IA32_MKDIR, KW_P_IA32_MKDIRAT, KW_P_IA32_MKNOD,
	KW_P_IA32_MKNODAT, KW_P_IA32_LINK, KW_P_IA32_LINKAT, KW_P_IA32_SYMLINK, KW_P_IA32_SYMLINKAT,
	/* guard hooks (guard.bpf.h): each LSM program's id, its fmod_ret twin's is the next one */
	KW_P_G_PATH_UNLINK, KW_P_G_PATH_UNLINK_FMR, KW_P_G_PATH_RMDIR, KW_P_G_PATH_RMDIR_FMR,
	KW_P_G_PATH_RENAME, KW_P_G_PATH_RENAME_FMR, KW_P_G_PATH_MKDIR, KW_P_G_PATH_MKDIR_FMR,
	KW_P_G_PATH_MKNOD, KW_P_G_PATH_MKNOD_FMR, KW_P_G_PATH_SYMLINK, KW_P_G_PATH_SYMLINK_FMR,
	KW_P_G_PATH_LINK, KW_P_G_PATH_LINK_FMR, KW_P_G_PATH_TRUNCATE, KW_P_G_PATH_TRUNCATE_FMR,
	KW_P_G_FILE_TRUNCATE, KW_P_G_FILE_TRUNCATE_FMR, KW_P_G_FILE_OPEN, KW_P_G_FILE_OPEN_FMR,
	KW_P_G_FILE_PERMISSION, KW_P_G_FILE_PERMISSION_FMR,
	KW_P_MAX,
};

struct kw_raw {
	struct kw_hdr hdr;        /* kind: KW_UNLINK/CREATE/WRITE/EXEC/EXIT or kw_raw_kind; size */
	__u64 cgroup_id;
	__u64 ino;
	__u64 start_ns;           /* task start (boottime ns) */
	__u32 pid, tid, ppid, uid, gid;
	__s32 ret;
	__u32 dev;
	__u32 exit_code;          /* exit: raw task->exit_code; file events: the dirfd */
	__u32 nlink;
	__u8 pfx_under;           /* bit per slot: the walk passed a --path-prefix directory */
	__u8 pfx_parent;          /* bit per slot: the walked dir is a prefix directory's parent */
	__u8 rflags2;             /* enum kw_raw_flag2 */
	__u8 unanchored;          /* bit per slot: the walk ended at a root that is not its mount's */
	__u16 rflags;             /* enum kw_raw_flag */
	__u8 op;                  /* enum kw_op */
	__u8 probe;               /* enum kw_probe_id */
	__u32 anc[KW_ANC_BPF];    /* tgid chain, parent first, 0 terminated */
	char comm[KW_COMM_LEN];
	__u16 off[KW_NSLOTS];     /* string slot offsets into data */
	__u16 len[KW_NSLOTS];     /* string slot lengths (0 = empty) */
	/*
	 * A walk that ended at the root of a mount namespace other than the agent's (a container's,
	 * a service's private /tmp) is that process's view, which the host may not share. For such a
	 * walk the kernel also sends where the file is in its file system: the file system (s_dev
	 * of the walked file's own mount) and the path from that file system's root, reversed like
	 * the slot, so user space can name it where the host mounts that file system.
	 */
	__u32 fs_dev[KW_NSLOTS];
	__u16 fs_off[KW_NSLOTS];
	__u16 fs_len[KW_NSLOTS];
	__u8 foreign;             /* bit per slot: fs_dev/fs_off/fs_len hold that slot's file system walk */
	__u8 stacks;              /* --stacks: a struct kw_stacks is at data[stk_off] */
	__u16 stk_off;
	__u8 _pad2[4];
	char data[KW_DATA_SZ];
};

#define KW_RAW_FIXED (sizeof(struct kw_raw) - KW_DATA_SZ)

/*
 * --stacks (bpf/stacks.bpf.h): the call's stacks, captured at its system call's entry (the kernel
 * one again deeper in, at the first hook inside the file system that sees it). Return addresses,
 * innermost first. With KW_STK_VMA, each user frame also says which file it was in and where
 * (bpf_find_vma, 5.17+), so a process that is gone by the time user space reads the record still
 * gets named frames; else user space looks in /proc/PID/maps.
 */
#define KW_STACK_MAX 64
enum kw_stack_flag {
	KW_STK_KERNEL = 1 << 0,   /* cfg_stacks: kernel frames wanted */
	KW_STK_USER = 1 << 1,     /* cfg_stacks: user frames wanted */
	KW_STK_VMA = 1 << 2,      /* kw_stacks.flags: ufile_* are filled */
	KW_STK_KDEEP = 1 << 3,    /* kw_stacks.flags: the kernel stack is from inside the call */
	KW_STK_SP = 1 << 4,       /* kw_stacks.flags: sp_ret holds the word at the user stack pointer */
};

struct kw_stacks {
	__u64 ktime;              /* when captured (boottime ns) */
	__s32 kn, un;             /* frames in k[] and u[]; < 0: the errno bpf_get_stack gave */
	__u32 nr;                 /* the system call it was captured at */
	__u32 flags;              /* enum kw_stack_flag */
	/*
	 * The word at the user stack pointer at the system call: the return address into the caller
	 * of a function that keeps no frame of its own (libc's and Go's system call wrappers), which a
	 * frame pointer walk skips. User space takes it only if it names code (KW_STK_SP).
	 */
	__u64 sp_ret;
	__u64 sp_ret_off;         /* with KW_STK_VMA: its file offset, dev and ino as for u[] */
	__u64 sp_ret_ino;
	__u32 sp_ret_dev;
	__u32 _pad0;
	__u64 k[KW_STACK_MAX];
	__u64 u[KW_STACK_MAX];
	__u64 ufile_off[KW_STACK_MAX];  /* KW_STK_VMA: offset in the mapped file (0 ino: anonymous) */
	__u64 ufile_ino[KW_STACK_MAX];
	__u32 ufile_dev[KW_STACK_MAX];  /* the kernel's dev_t of the file's super block;
					 * KW_STK_UNMAPPED: no mapping holds the address (a frame
					 * pointer walk gone astray: the frames after it are noise) */
};
#define KW_STK_UNMAPPED 0xffffffffu

/*
 * `guard` (bpf/guard.bpf.h): the protected inodes, keyed by what the kernel resolved. A raw
 * KW_DENIED record carries the matching rule's index in exit_code and --audit-only in nlink.
 */
#define KW_GUARD_EXEMPT 4      /* --exempt-pid/--exempt-uid/--exempt-comm, each at most this many */
enum kw_guard_kind {
	KW_G_DELETE = 1 << 0,   /* --deny-delete: this inode and everything under it */
	KW_G_WRITE = 1 << 1,    /* --deny-write: the same */
	KW_G_ANCESTOR = 1 << 2, /* a directory above a --deny-delete path: may not be renamed */
	KW_G_QUOTA = 1 << 3,    /* --quota: this directory's tree has a size limit (quota_slot) */
};

#define KW_GUARD_MAX_QUOTA 8   /* --quota rules */
#define KW_QUOTA_PENDING 8     /* files per quota whose growth is counted at the next check */

/* One quota's state (guard_quota[slot]): bytes (sum of the files' sizes) and the limit. */
struct kw_quota_state {
	__s64 used;
	__u64 limit;
	__u32 rescan;           /* a directory moved across the tree's edge: user space recounts */
	__u32 next_pending;     /* ring cursor into guard_pending */
};

/* What the quota last counted for a file (guard_sizes). */
struct kw_quota_size {
	__s64 size;
	__u32 slot;
	__u32 _pad0;
};

/* A file written (or truncated) lately, recounted at each check of its quota (guard_pending). */
struct kw_quota_pending {
	__u64 inode;            /* struct inode *, trusted only while its ino and dev still match */
	__u64 ino;
	__u32 dev;
	__u32 _pad0;
};

struct kw_guard_key {
	__u64 ino;
	__u32 dev;              /* the kernel's dev_t (MAJOR << 20 | MINOR), inode->i_sb->s_dev */
	__u32 _pad0;
};

struct kw_guard_rule {
	__u32 kinds;            /* enum kw_guard_kind bits */
	__u32 rule_delete;      /* index (order on the command line) of the rule of each kind */
	__u32 rule_write;
	__u32 rule_ancestor;
	__u32 rule_quota;
	__u32 quota_slot;       /* KW_G_QUOTA: index into guard_quota */
};

/*
 * `trace func:NAME` (bpf/func.bpf.h, native/func.c): any kernel function BTF describes. Each of
 * up to KW_FUNC_SLOTS functions gets its own copy of one generic entry and exit program (fentry
 * and fexit, or kprobe and kretprobe): the copy's number says which function fired, on every
 * kernel (no cookies or bpf_get_func_ip before 5.15). User space reads BTF and tells each slot
 * how to read its arguments (struct kw_func_spec); the entry builds the record, keeps it until
 * the return, which adds the return value and the duration and submits it.
 */
#define KW_FUNC_SLOTS 8
#define KW_FUNC_ARGS 6        /* arguments read (registers on every 64-bit ABI we support) */
#define KW_FUNC_WHERE 4       /* --where clauses per function */
#define KW_FW_STR 64          /* a --where string, NUL included */
#define KW_FW_RET 6           /* kw_func_where.arg: the return value */
#define KW_FUNC_REC 16384     /* bytes of a call's record kept from entry to return */
#define KW_FUNC_STR 256       /* a char * argument's capture limit */

/* What an argument is, for what the entry reads behind it (kw_func_spec.kind). */
enum kw_farg {
	KW_FA_SKIP = 0,       /* a value only: integers, enums, other pointers (user space formats it) */
	KW_FA_STR,            /* char *: a kernel string, else a user string */
	KW_FA_USTR,           /* char __user *: a user string */
	KW_FA_DENTRY,         /* struct dentry *: its path in its file system, ino, dev */
	KW_FA_FILE,           /* struct file *: its path, ino, dev, f_flags */
	KW_FA_PATH,           /* struct path *: its path, ino, dev */
	KW_FA_INODE,          /* struct inode *: ino, dev, mode | nlink << 32, size */
	KW_FA_FILENAME,       /* struct filename *: ->name */
	KW_FA_QSTR,           /* struct qstr *: ->name */
	KW_FA_TASK,           /* struct task_struct *: tgid, pid, comm */
	KW_FA_SOCK,           /* struct sock *: family, local port, remote port */
};

enum kw_fw_op { KW_FW_EQ = 1, KW_FW_NE, KW_FW_LT, KW_FW_LE, KW_FW_GT, KW_FW_GE };

/* One --where clause: an argument (or the return value) against a number or a string. */
struct kw_func_where {
	__s64 val;
	__u8 arg;             /* 0 .. KW_FUNC_ARGS-1, or KW_FW_RET */
	__u8 op;              /* enum kw_fw_op; strings: EQ or NE */
	__u8 is_str;          /* compare the argument's captured string (a path's last name) with str */
	__u8 is_signed;       /* integers: the type is signed */
	__u8 size;            /* integers: bytes of the type (the register's upper bits are not its) */
	__u8 _pad[3];
	char str[KW_FW_STR];
};

struct kw_func_spec {
	__u8 kind[KW_FUNC_ARGS];  /* enum kw_farg per argument */
	__u8 nargs;               /* BTF's count: fexit finds the return value after them */
	__u8 n_where;
	__u8 ret_size;            /* bytes of the return type (0: void) */
	__u8 ret_signed;
	__u8 _pad[6];
	struct kw_func_where w[KW_FUNC_WHERE];
};

/* A call record's data area starts with this (kw_raw.kind KW_CALL); arguments' strings are in
 * string slots 0 .. KW_FUNC_ARGS-1, one per argument, the caller's cwd in slot 7 (KW_S_CALL_CWD). */
#define KW_S_CALL_CWD 7
struct kw_call_data {
	__u64 a[KW_FUNC_ARGS];    /* the raw argument values */
	__u64 n[KW_FUNC_ARGS][4]; /* numbers read behind them (enum kw_farg says which) */
	__u64 t0;                 /* entry (monotonic ns) */
	__u64 ret;
	__u64 duration_ns;
	__u32 used;               /* data bytes used (this struct and the strings) */
	__u8 slot;
	__u8 attach;              /* enum kw_call_attach */
	__u8 cut;                 /* an argument's string or path did not fit */
	__u8 _pad;
};

#endif
