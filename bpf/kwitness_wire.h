/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * kwitness_wire.h: THE definition of the `kwitness-agent trace --format wire` stream.
 *
 * The agent writes to stdout a sequence of frames; the extension's TypeScript decoder
 * (src/core/wire/decoder.ts) reads them. Everything is LITTLE-ENDIAN (the agent converts on
 * big-endian hosts; all supported targets today are little-endian).
 *
 * FRAMING
 *   frame  := u32 frame_len, record            frame_len = byte length of `record`
 *   record := struct kw_hdr, fixed body, strings
 *   kw_hdr.size == frame_len (a reader may use either; they must agree, else the frame is bad).
 *   A reader skips records whose kind it does not know (size tells how far), so new kinds can
 *   be added without breaking old readers. Kind numbers are never reused.
 *
 * FIXED PART
 *   Fixed-width fields only (__u8/__u16/__u32/__u64/__s32/__s64), naturally aligned, explicit
 *   padding (always zero), no bool, no long, no pointers. Every fixed struct's size is a
 *   multiple of 8. Offsets below are checked against the BPF object's BTF by the layout test
 *   (bpftool btf dump file build/kwitness.bpf.o).
 *
 * STRINGS (after the fixed body, no alignment, no padding)
 *   str := u32 len, u8 bytes[len]               raw bytes, NOT NUL-terminated, any byte allowed
 *   (names are bytes, not UTF-8; the decoder produces the printable + X_b64 form of events.ts).
 *   Each kind lists its strings in a fixed order below. "Optional" strings are always present;
 *   their presence flag is in kw_hdr.flags (so "" and null can be told apart).
 *
 * PROCESS TAIL (unlink, create, write, exec, exit): after the kind's strings come
 *   proc.n_anc ancestors, each:  u32 pid, str comm, str exe        (parent first)
 * With KW_F_CMDLINE (every record of this agent; journals of older agents lack it) the tail is
 *   str cmdline, then n_anc ancestors, each:  u32 pid, str comm, str exe, str cmdline
 * With KW_F_PODINFO, eight strings come between the cmdline (or the kind's strings) and the
 * ancestors: runtime, container_name, pod_namespace, pod_name, pod_uid (the acting process's),
 * path_pod_namespace, path_pod_name, path_pod_uid (the pod whose directory under
 * /var/lib/kubelet/pods/<uid>/ holds the path; file records only, else empty). Empty = unknown.
 * A cmdline is the process's arguments, NUL separated (what /proc/PID/cmdline holds, as of its
 * last exec); a complete one ends with NUL, a cut one does not; empty = unknown (a process that
 * ended before the agent could learn it, a kernel thread).
 *
 * Record kinds and their strings:
 *   KW_UNLINK (1), KW_CREATE (2), KW_WRITE (12): struct kw_file_rec, then
 *     comm, exe, cwd, cgroup, container, probe, path, old_path, target, then ancestors.
 *     container present iff KW_F_CONTAINER; old_path present iff KW_F_OLD_PATH;
 *     target present iff KW_F_TARGET (symlink's target text). With KW_F_NAMED (and only then:
 *     older journals lack it) one more string follows target: named. With KW_F_PROC_PATH one
 *     more follows that: proc_path. With KW_FF_REAL_PATH in fflags, then: real_path.
 *     KW_WRITE: an existing file opened for writing (O_WRONLY, O_RDWR or O_TRUNC; an open that
 *     created the file is a KW_CREATE with KW_OP_OPEN), op KW_OP_OPEN_WRITE, or truncated by
 *     truncate(2)/ftruncate(2), op KW_OP_TRUNCATE; a failed call carries its errno in
 *     proc.ret. Only these two ops, and never KW_F_OLD_PATH or KW_F_TARGET.
 *   KW_DENIED (13): `kwitness-agent guard` refused a call (or, --audit-only, would have): the
 *     same struct and strings as KW_UNLINK. op: what was refused (unlink, rmdir, rename, open
 *     [a create by open(O_CREAT)], mkdir, mknod, link, symlink, open_write, truncate, write);
 *     path: the kernel's name of the protected file (for a create or a rename into a tree, the
 *     name's directory); proc.ret: -EPERM; rule, verdict: which rule, and what happened.
 *     Never KW_F_OLD_PATH or KW_F_TARGET.
 *   KW_EXEC (3): struct kw_exec_rec, then
 *     comm, exe, cwd, cgroup, container, probe, filename, interpreter,
 *     argv[0] .. argv[argc-1], then ancestors. interpreter present iff KW_F_INTERP.
 *   KW_EXIT (4): struct kw_exit_rec, then comm, exe, cwd, cgroup, container, probe, ancestors.
 *   KW_READY (5): struct kw_ready_rec, then agent_version, kernel, arch, then n_probes times:
 *     family, probe, mode.
 *   KW_LOST (6): struct kw_lost_rec, no strings (older agents: a shorter struct, see there).
 *   KW_ERROR (7): struct kw_error_rec, then message.
 *
 * Watch records (`kwitness-agent watch`, native/supervisor.c and native/watch_read.c): a watch
 * journals the worker's frames unchanged and adds GAP records; `watch read` frames what it
 * delivers with CURSOR and WATCH_END records. `trace` never writes these.
 *   KW_GAP (8): struct kw_gap_rec, then reason. Journaled; has a cursor like any record.
 *   KW_CURSOR (9): struct kw_cursor_rec, no strings. `watch read` output only.
 *   KW_WATCH_END (10): struct kw_watch_end_rec, no strings. `watch read` output only.
 *
 * A trace started with --linger keeps running when its client goes away, and a new client
 * reaches it with `kwitness-agent attach SESSION --from N` (native/linger.c). The attached stream
 * starts with one RESUMED record, then a READY record, then every record the agent still holds
 * from event N on (events are numbered 0, 1, 2, ... in the order the trace emitted them; a
 * client that received N events asks for --from N), then live records. Never in a journal.
 *   KW_RESUMED (11): struct kw_resumed_rec, no strings.
 *
 * A trace of kernel functions (`trace func:NAME[,func:NAME...]`, native/func.c) writes one record
 * per call that returned (and passed --where):
 *   KW_CALL (14): struct kw_call_rec, then
 *     comm, exe, cwd, cgroup, container, probe, func, ret_type, then n_args times:
 *     name, type, value, then the PROCESS TAIL, then the STACK TAIL (KW_PF_STACKS).
 *     func: the function as the kernel names it (what was attached: 7.x's filename_unlinkat for
 *     a request of do_unlinkat); ret_type/type: C spelling of the BTF type ("int",
 *     "struct dentry *"); name: the BTF parameter name (argN when BTF has none); value: JSON text
 *     (a number, a string, true/false, null, or an object for the kernel's common objects; see
 *     kw_call_rec), captured when the function was entered.
 */
#ifndef KWITNESS_WIRE_H
#define KWITNESS_WIRE_H

#ifndef __KW_BPF__
#include <linux/types.h>
#endif

#define KW_WIRE_VERSION 1

/* Record kinds (kw_hdr.kind). Explicit numbers, never reused. */
enum kw_kind {
	KW_UNLINK = 1,
	KW_CREATE = 2,
	KW_EXEC = 3,
	KW_EXIT = 4,
	KW_READY = 5,
	KW_LOST = 6,
	KW_ERROR = 7,
	KW_GAP = 8,
	KW_CURSOR = 9,
	KW_WATCH_END = 10,
	KW_RESUMED = 11,
	KW_WRITE = 12,
	KW_DENIED = 13,
	KW_CALL = 14,
};

/* kw_hdr.flags bits (meaning depends on kind as noted). */
enum kw_flag {
	KW_F_LAST_LINK = 1 << 0,    /* unlink: the inode's last name went away (nlink reached 0) */
	KW_F_PATH_TRUNC = 1 << 1,   /* unlink/create/write: path longer than the capture limit, cut */
	KW_F_ARGV_TRUNC = 1 << 2,   /* exec: argv longer than the capture limit, cut */
	KW_F_CONTAINER = 1 << 3,    /* process records: the container string is present (else null) */
	KW_F_OLD_PATH = 1 << 4,     /* unlink/create: old_path present (rename) */
	KW_F_TARGET = 1 << 5,       /* create: target present (symlink) */
	KW_F_INTERP = 1 << 6,       /* exec: interpreter present (#! script) */
	KW_F_INODE_UNKNOWN = 1 << 7,/* unlink/create/write: dev/ino could not be observed on this kernel/fs (0) */
	KW_F_CMDLINE = 1 << 8,      /* process records: the tail carries command lines (see PROCESS TAIL) */
	KW_F_PODINFO = 1 << 9,      /* process records: container runtime/name and pods (see PROCESS TAIL) */
	/*
	 * unlink/create/write: a name the caller passed could not be read (an empty string, a bad
	 * pointer: EFAULT, or, for io_uring, a full name table), so the path it names is unknown and
	 * sent EMPTY (path, or old_path of a rename/link) instead of the directory it was relative
	 * to. Older journals never set it.
	 */
	KW_F_NAME_UNREADABLE = 1 << 10,
	/*
	 * unlink/create/write: where `path` came from (JSON path_source), a 2-bit field.
	 * KERNEL: from the kernel's own objects (the dentry of the removed file, the struct file of
	 * an opened one): symlinks, '..' and '//' resolved as the kernel did, immune to a thread
	 * rewriting the caller's buffer ("kernel"). Else the caller's spelling joined to its
	 * directory, '..' resolved by text: NAME when read from the kernel's copy of the name
	 * (io_uring, "name"), USER when read from the caller's memory after the call ("user").
	 * 0 (unknown): records of older agents.
	 */
	KW_F_PATH_SRC_MASK = 3 << 11,
	KW_F_PATH_SRC_KERNEL = 1 << 11,
	KW_F_PATH_SRC_NAME = 2 << 11,
	KW_F_PATH_SRC_USER = 3 << 11,
	/* unlink/create/write: `named` present (after target): the path as the caller spelled it,
	 * joined to its directory, when that differs from the kernel's `path`. */
	KW_F_NAMED = 1 << 13,
	/*
	 * unlink/create/write: `proc_path` present (after named): the path as the acting process sees
	 * it from its own root, when that is not the host's name of the file (a container, a private
	 * mount namespace with a bind mount, a chroot). `path` (and cwd, exe, old_path) are always
	 * the host's: the agent's mount namespace, what opens over SSH. Older journals lack it.
	 */
	KW_F_PROC_PATH = 1 << 14,
	/*
	 * unlink/create/write: the host has no name for the file (it lives on a file system only the
	 * process's mount namespace mounts, such as a container's own tmpfs): `path` is the process's
	 * view and opening it on the host would open another file (JSON path_on_host: false).
	 */
	KW_F_PATH_NOT_ON_HOST = 1 << 15,
};

/* kw_file_rec.op values (FileOp of events.ts). */
enum kw_op {
	KW_OP_UNLINK = 1,
	KW_OP_RMDIR = 2,
	KW_OP_RENAME = 3,
	KW_OP_OPEN = 4,
	KW_OP_MKDIR = 5,
	KW_OP_MKNOD = 6,
	KW_OP_LINK = 7,
	KW_OP_SYMLINK = 8,
	KW_OP_OPEN_WRITE = 9, /* write: an existing file opened for writing */
	KW_OP_TRUNCATE = 10,  /* write: truncate(2) or ftruncate(2) */
	/*
	 * create: renameat2(RENAME_EXCHANGE) swapped two names; nothing was deleted, so no unlink
	 * record. path: the new name (it now holds the file that had old_path), old_path: the old name
	 * (now the other file); ino/dev: the file now at path. RENAME_NOREPLACE is a plain rename
	 * (KW_OP_RENAME). RENAME_WHITEOUT (overlayfs' own, CAP_MKNOD) is reported as a plain rename
	 * too: the whiteout device it leaves at old_path is a marker for overlayfs, not a file anyone
	 * made, and gets no create record.
	 */
	KW_OP_EXCHANGE = 11,
	KW_OP_WRITE = 12,     /* denied only: write(2), fallocate, copy_file_range ... on an open file */
};

/* Common header of every record. 16 bytes. */
struct kw_hdr {
	__u16 kind;      /* enum kw_kind */
	__u16 flags;     /* enum kw_flag bits */
	__u32 size;      /* total record size in bytes: header + fixed body + strings */
	__u64 ktime_ns;  /* CLOCK_BOOTTIME ns when the kernel saw it (events.ts ktime_ns) */
};

/* Process fields shared by unlink, create, write, exec and exit. 48 bytes. */
struct kw_proc {
	__u64 wall_ns;   /* CLOCK_REALTIME ns since the epoch (events.ts time, as ISO 8601) */
	__u64 cgroup_id; /* cgroup v2 id (inode number of the cgroup directory) */
	__u32 pid;       /* thread group id */
	__u32 tid;       /* thread id */
	__u32 ppid;      /* parent's thread group id (real_parent at the time of the event) */
	__u32 uid;       /* real uid */
	__u32 gid;       /* real gid */
	__s32 ret;       /* 0 or negative errno */
	__u32 n_anc;     /* number of ancestors in the process tail */
	__u32 pflags;    /* enum kw_proc_flag (older records: 0) */
};

/* kw_proc.pflags */
enum kw_proc_flag {
	KW_PF_STACKS = 1 << 0,      /* the record ends with a STACK TAIL (--stacks) */
};

/*
 * STACK TAIL (after the process tail; unlink, create, write, exec with KW_PF_STACKS):
 *   s32 kerr, s32 uerr, u32 kn, u32 un        kerr/uerr: 0, or the negative errno for which the
 *                                             kernel could not take that stack (then n is 0)
 *   kn kernel frames, then un user frames, innermost first, each:
 *     u64 addr, u64 off, u64 file_off, u32 line, u32 flags (enum kw_frame_flag),
 *     str sym, str obj, str build_id, str src
 *   Kernel frames: sym the kernel function, off the address's distance from it, obj the module
 *   ("" for the kernel itself). User frames: obj the mapped file as the process names it, file_off
 *   the address's offset in it, build_id its GNU build id (hex), sym/off the function, src/line
 *   the source position when the file tells it. Empty = unknown.
 */
enum kw_frame_flag {
	KW_FR_SYM = 1 << 0,         /* sym and off are known */
	KW_FR_FILE = 1 << 1,        /* user: obj and file_off are known */
	KW_FR_INFERRED = 1 << 2,    /* user: the return address found at the stack pointer, the caller
				     * of a function that keeps no frame (a system call wrapper),
				     * which a frame pointer walk cannot see */
	KW_FR_LINE = 1 << 3,        /* src and line are known */
};

/* KW_UNLINK, KW_CREATE, KW_WRITE, KW_DENIED. 16 + 48 + 24 = 88 bytes. */
struct kw_file_rec {
	struct kw_hdr hdr;
	struct kw_proc proc;
	__u64 ino;       /* inode number (0 with KW_F_INODE_UNKNOWN) */
	__u32 dev;       /* device, new_encode_dev() form: (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12) */
	__u8 op;         /* enum kw_op */
	__u8 fflags;     /* enum kw_file_flag (older records: 0) */
	__u8 _pad0[2];
	__u32 rule;      /* KW_DENIED only (else 0): index of the guard rule that matched */
	__u8 verdict;    /* KW_DENIED only (else 0): enum kw_verdict */
	__u8 _pad1[3];
};

/* kw_file_rec.verdict of a KW_DENIED record. */
enum kw_verdict {
	KW_VERDICT_DENIED = 1,      /* the call failed with proc.ret */
	KW_VERDICT_WOULD_DENY = 2,  /* --audit-only: the call went ahead; proc.ret is what it would have got */
};

/* kw_file_rec.fflags: more about the file, beyond kw_hdr.flags' 16 bits. */
enum kw_file_flag {
	/*
	 * `real_path` present (the last of the kind's strings, after named and proc_path): the file
	 * is on an overlayfs mount (a container's root) and this is where it really lives, or lived:
	 * the upper layer's path, or with KW_FF_LOWER the path in the lower layer that held it (a
	 * removed file that came with the image; the overlay now hides it with a whiteout).
	 */
	KW_FF_REAL_PATH = 1 << 0,
	KW_FF_LOWER = 1 << 1,
};

/* KW_EXEC. 16 + 48 + 8 = 72 bytes. */
struct kw_exec_rec {
	struct kw_hdr hdr;
	struct kw_proc proc;
	__u32 argc;      /* number of argv strings that follow */
	__u32 _pad0;
};

/* KW_EXIT. 16 + 48 + 16 = 80 bytes. */
struct kw_exit_rec {
	struct kw_hdr hdr;
	struct kw_proc proc;
	__u64 duration_ns; /* from the matching exec, or from process start */
	__s32 exit_code;   /* WEXITSTATUS-style exit status */
	__u32 signal;      /* terminating signal, 0 for a normal exit */
};

/* KW_READY. 16 + 16 = 32 bytes. */
struct kw_ready_rec {
	struct kw_hdr hdr;
	__u64 wall_ns;
	__u32 n_probes;  /* number of (family, probe, mode) string triples */
	__u32 _pad0;
};

/*
 * KW_LOST. 16 + 56 = 72 bytes (56 in journals of older agents: a reader takes the two
 * `untracked` fields as 0 when hdr.size ends before them; KW_LOST_REC_V1_SIZE). Reasons:
 * `count`/`total`: events that passed every filter and were not delivered (ring buffer full).
 * `unjudged`/`unjudged_total`: events dropped (ring buffer full) before the agent could finish
 * --path-prefix on them (a name with '.' or '..' components, exec/exit by exe): at most that
 * many more may have matched.
 * `untracked`/`untracked_total`: calls of processes that passed --pid/--uid/--comm/--cgroup that
 * the kernel could not follow because its table of calls in flight was full (`trace
 * --pending-max`; a user can fill it with threads parked in blocking calls): their names and
 * results were never seen, so each may have been an event (one that failed or matched no path
 * filter would not have been). Counted apart from `count`, which stays exact.
 */
struct kw_lost_rec {
	struct kw_hdr hdr;
	__u64 wall_ns;
	__u64 count;           /* since the previous lost record */
	__u64 total;           /* since start */
	__u64 unjudged;        /* since the previous lost record */
	__u64 unjudged_total;  /* since start */
	__u64 untracked;       /* since the previous lost record */
	__u64 untracked_total; /* since start */
};

#define KW_LOST_REC_V1_SIZE 56 /* kw_lost_rec before the untracked fields */

/* KW_ERROR. 16 + 8 = 24 bytes. */
struct kw_error_rec {
	struct kw_hdr hdr;
	__u64 wall_ns;
};

/*
 * KW_GAP. 16 + 24 = 40 bytes. Events between from_wall_ns and to_wall_ns may be missing from the
 * watch's journal (the worker or the supervisor was down, or the journal was paused); `reason`
 * says why, e.g. "agent restarted after signal 9".
 */
struct kw_gap_rec {
	struct kw_hdr hdr;
	__u64 wall_ns;      /* when the gap record was written */
	__u64 from_wall_ns; /* last moment everything is known to be journaled */
	__u64 to_wall_ns;   /* first moment the journal is complete again (the new worker's ready) */
};

/*
 * KW_CURSOR. 16 + 16 = 32 bytes. The next record `watch read` delivers has this cursor (records
 * of a watch are numbered 0, 1, 2, ... over its life); `skipped` records before it were dropped
 * by the journal's size cap. Sent first, and again whenever the next record delivered is not the
 * previous one + 1 (filters, cap drops).
 */
struct kw_cursor_rec {
	struct kw_hdr hdr;
	__u64 cursor;
	__u64 skipped;
};

/*
 * KW_WATCH_END. 16 + 16 = 32 bytes. The last record of `watch read` (with --follow: once the
 * watch has stopped and everything was sent). `next_cursor`: pass it as --since to read on.
 */
struct kw_watch_end_rec {
	struct kw_hdr hdr;
	__u64 wall_ns;
	__u64 next_cursor;
};

/*
 * KW_RESUMED. 16 + 48 = 64 bytes. The first record an attaching client gets. The events before
 * next_event that the client asked for (--from) and the agent no longer holds were dropped from
 * its bounded backlog: `not_kept` of them, exactly. The agent's pid and start time (field 22 of
 * /proc/PID/stat) let the client signal that very process later.
 */
struct kw_resumed_rec {
	struct kw_hdr hdr;
	__u64 wall_ns;
	__u64 next_event;  /* number of the first event that follows (the replay starts there) */
	__u64 not_kept;    /* events from --from up to next_event that were dropped, never sent */
	__u64 away_ns;     /* how long the trace ran with no client (0: it was taken over) */
	__u64 start_ticks; /* the agent's start time, clock ticks since boot */
	__u32 pid;         /* the tracing agent (not the `attach` relay) */
	__u32 _pad0;
};

/*
 * KW_CALL. 16 + 48 + 24 = 88 bytes. One call of a probed kernel function, from entry to return.
 * proc.ret is 0 (the function's own return value is `ret`). An argument's value (JSON text):
 *   integers: a number (a decimal string beyond 2^53-1); bool: true/false; enums: the
 *   enumerator's name as a string when BTF names the value, else a number; char *: the string
 *   (null for NULL, {"addr":"0x..."} when unreadable); other pointers: "0x..." (null for NULL);
 *   struct dentry *: {"name","path","ino","dev"}; struct file * and struct path *:
 *   {"path","ino","dev"}; struct inode *: {"ino","dev","mode","nlink","size"};
 *   struct filename * and struct qstr *: {"name"}; struct task_struct *: {"pid","tid","comm"};
 *   struct sock *: {"family","sport","dport"}. Paths are the host's (as for file records) where the
 *   host mounts the file system, else from the file system's root. A field that could not be read
 *   is left out; every object also has "addr" ("0x...").
 */
struct kw_call_rec {
	struct kw_hdr hdr;
	struct kw_proc proc;
	__s64 ret;         /* the return value, sign-extended from the function's return type */
	__u64 duration_ns; /* from entry to return */
	__u32 n_args;      /* (name, type, value) string triples after ret_type */
	__u8 attach;       /* enum kw_call_attach: how the function was probed */
	__u8 cflags;       /* enum kw_call_flag */
	__u8 _pad0[2];
};

enum kw_call_attach {
	KW_CA_FENTRY = 1,  /* fentry + fexit (BPF trampolines) */
	KW_CA_KPROBE = 2,  /* kprobe + kretprobe */
};

enum kw_call_flag {
	KW_CF_VOID = 1 << 0,     /* the function returns nothing: ret is 0 */
	KW_CF_RET_PTR = 1 << 1,  /* ret is a pointer (show it in hex; an ERR_PTR is -errno) */
	KW_CF_RET_UNSIGNED = 1 << 2, /* ret's type is unsigned: read it as a u64 */
	KW_CF_ARGS_CUT = 1 << 3, /* a string or path of an argument was cut (room or length) */
};

#endif /* KWITNESS_WIRE_H */
