/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* agent.h: what the agent's user-space files share. */
#ifndef KW_AGENT_H
#define KW_AGENT_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <stdbool.h>
#include <time.h>
#include "kwitness.h"

#ifndef KW_VERSION
#define KW_VERSION "0.0.0"
#endif

/* Families: bit 1 << i is kw_fam_names[i] (args.c), the `trace` argument's words. */
#define KW_FAM_UNLINK 1
#define KW_FAM_CREATE 2
#define KW_FAM_EXEC 4
#define KW_FAM_WRITE 8
#define KW_NFAM 4
extern const char *const kw_fam_names[KW_NFAM];

/* Records of a file event (struct kw_file_rec on the wire). */
static inline bool kw_kind_is_file(unsigned kind)
{
	return kind == KW_UNLINK || kind == KW_CREATE || kind == KW_WRITE || kind == KW_DENIED;
}

/* The JSON `type` of an event record; a guard's KW_DENIED is "would-deny" under --audit-only. */
static inline const char *kw_event_type(unsigned kind, unsigned verdict)
{
	switch (kind) {
	case KW_UNLINK: return "unlink";
	case KW_CREATE: return "create";
	case KW_WRITE: return "write";
	case KW_EXEC: return "exec";
	case KW_EXIT: return "exit";
	case KW_DENIED: return verdict == KW_VERDICT_WOULD_DENY ? "would-deny" : "denied";
	case KW_CALL: return "call";
	default: return NULL;
	}
}

/* ---- args.c: the trace command line ---- */
#define KW_GUARD_MAX_RULES 64
struct kw_opts {
	unsigned families;        /* KW_FAM_* */
	bool wire;                /* --format wire */
	bool verbose;
	const char *attach;       /* auto, fentry, kprobe or tracepoint */
	const char *ia32;         /* 32-bit syscalls: auto, kprobe, tracepoint or off (bpf/ia32.bpf.h) */
	char *prefix[KW_MAX_PREFIX]; /* normalised, malloc'd: the kernel's prefixes */
	char *prefix_real[KW_MAX_PREFIX]; /* realpath() of a prefix whose spelling has a symlink, else NULL */
	bool prefix_of_glob[KW_MAX_PREFIX]; /* only a glob's fixed part: the glob decides in user space */
	int n_prefix;
	char *glob[KW_MAX_PREFIX];   /* --path-glob, malloc'd (fnmatch, FNM_PATHNAME) */
	int n_glob;
	uint32_t pid;
	int64_t uid;              /* -1: any */
	char comm[KW_COMM_LEN];
	bool has_comm;
	const char *cgroup;
	bool failed_only;
	uint32_t ringbuf_kb;
	uint32_t pending_max;     /* --pending-max: calls in flight the kernel can follow at once */
	uint32_t argv_max;
	uint32_t heartbeat_s;
	uint32_t linger_s;        /* --linger: trace on this long without a client (0: stop with it) */
	uint32_t backlog_mb;      /* --backlog-mb: what a lingering trace keeps for the next client */
	const char *session;      /* --session: the name a client attaches by */
	unsigned stacks;          /* --stacks: KW_STK_KERNEL | KW_STK_USER (bpf/stacks.bpf.h) */
	char *funcs[KW_FUNC_SLOTS]; /* func:NAME in the families' list (malloc'd): kernel functions (func.c) */
	int n_funcs;
	char *where[2 * KW_FUNC_WHERE]; /* --where clauses as given (malloc'd) */
	int n_where;
	/* `guard` (guard.c): rules instead of families; the trace filters do not apply */
	bool guard;
	struct kw_grule {
		unsigned kind;    /* KW_G_DELETE, KW_G_WRITE or KW_G_QUOTA */
		char *path;       /* as given (malloc'd) */
		uint64_t limit;   /* KW_G_QUOTA: bytes */
		char *real;       /* the path as the kernel resolves it (guard.c fills it in; malloc'd) */
	} grule[KW_GUARD_MAX_RULES];
	int n_grule;
	bool audit_only;          /* --audit-only: report would-deny, refuse nothing */
	uint32_t exempt_pid[KW_GUARD_EXEMPT], exempt_uid[KW_GUARD_EXEMPT];
	char exempt_comm[KW_GUARD_EXEMPT][KW_COMM_LEN];
	int n_exempt_pid, n_exempt_uid, n_exempt_comm;
};
#define KW_OPTS_DEFAULT { .attach = "auto", .ia32 = "auto", .uid = -1, .ringbuf_kb = 16384, .pending_max = 16384, .argv_max = 4096, .backlog_mb = 64 }
extern struct kw_opts opt;   /* the agent's options (main.c parses into it) */
extern const char kw_usage[];
/* 0, or -1 with one line naming the cause in err. Adds to *o (start from KW_OPTS_DEFAULT). */
int parse_trace_args(struct kw_opts *o, int argc, char **argv, char *err, size_t errsz);
void opts_reset(struct kw_opts *o);
bool session_name_ok(const char *s); /* a --session / attach name */  /* frees the prefixes and globs, back to the defaults */

/* ---- clock.c ---- */
extern int64_t boot_to_wall;          /* CLOCK_REALTIME - CLOCK_BOOTTIME, ns */
uint64_t clock_ns(clockid_t c);
void sync_clocks(void);

/* ---- replay.c: a recorded wire stream played back like a trace (benchmarks) ---- */
int cmd_replay(int argc, char **argv);

/* ---- out.c: growable byte buffer, JSON and wire helpers, stdout ---- */
struct buf {
	char *p;
	size_t len, cap;
};
void buf_put(struct buf *b, const void *d, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_u32(struct buf *b, uint32_t v);
void buf_str(struct buf *b, const void *d, size_t n);     /* wire: u32 len + bytes */
/* JSON `"key":"printable"` plus `,"key_b64":"..."` when the bytes are not valid UTF-8. */
void json_bytes(struct buf *b, const char *key, const void *d, size_t n);
void json_escape(struct buf *b, const void *d, size_t n); /* quoted, valid UTF-8 input */
bool utf8_valid(const unsigned char *s, size_t n);
void base64(struct buf *b, const unsigned char *s, size_t n);
void iso_time(struct buf *b, uint64_t wall_ns);

extern struct buf out;      /* pending stdout bytes */
extern int out_fd;          /* where they go: stdout, an attached client's socket, -1 nobody */
/* Sees every flushed run of whole records before it is written (linger.c's backlog). */
extern void (*out_tap)(const char *p, size_t n);
int out_flush(void);        /* -1 when the output is gone */
int out_write_all(const char *p, size_t n); /* to out_fd, waiting while it is full; -1 gone */

/* ---- emit.c (records of the agent itself; events: record.h) ---- */
void emit_simple_wire(uint16_t kind, const void *fixed, size_t fixed_sz);
void emit_error(const char *msg);

/* ---- enrich.c: a raw ring buffer sample -> pid table, or an event on `out` ---- */
int handle_event(void *ctx, void *data, size_t size);

/* A walk slot of a raw record as the host names the path (a foreign walk mapped to where the host
 * mounts its file system); false when the host does not (then the walk as it is). */
bool walk_slot_on_host(struct buf *dst, const struct kw_raw *r, size_t dsz, int s);

/* ---- client.c: stdin EOF and heartbeats, waiting on a full stdout ---- */
extern volatile sig_atomic_t stop; /* main.c: set by signals, stdin EOF, a silent client */
extern int in_fd;                  /* the client's input: stdin, an attached socket, -1 nobody */
extern bool client_lingers;        /* a client going away sets client_lost, not stop (--linger) */
extern volatile sig_atomic_t client_lost;
bool client_init(unsigned heartbeat_timeout_s); /* true when stdin is watched */
void client_reset(void);                        /* a new client (a socket) took over: watch it */
void client_on_stdin(void);                     /* input readable: a heartbeat, 'q' (stop), or EOF */
bool client_silent(void);                       /* no heartbeat within the timeout (sets stop) */
int client_wait_writable(void);                 /* stdout full: 0 retry, -1 give the output up */

/* ---- proc.c: pid table, exe and cgroup lookups ---- */
/* A command line, shared by a process and the children it forked until they exec. */
struct cmdline {
	uint32_t refs, len;
	char data[];              /* NUL separated; no final NUL = cut */
};
#define KW_CMDLINE_KEEP 1024      /* bytes of a command line the pid table keeps */
struct proc_ent {
	uint32_t pid, ppid;
	bool dead;
	bool cmd_tried;           /* /proc/PID/cmdline was read (or could not be) */
	char comm[KW_COMM_LEN];
	char *exe;                /* absolute path, malloc'd, may be NULL (unknown) */
	struct cmdline *cmd;      /* may be NULL (unknown) */
	uint64_t exec_ns;         /* ktime of the last exec seen, 0 if none */
	struct proc_ent *next;
};
extern uint64_t proc_generation;    /* bumped whenever the table changes */
struct proc_ent *proc_get(uint32_t pid);
struct proc_ent *proc_fork(uint32_t pid, uint32_t ppid, const char *comm);
/* argv: the new image's arguments, NUL separated (no final NUL: cut by the kernel side) */
void proc_exec(uint32_t pid, const char *comm, const char *exe, uint64_t ktime, const char *argv, size_t argv_n);
/* The command line (as of the last exec; /proc for processes from before the trace): p NULL if unknown. */
void proc_cmdline(uint32_t pid, const char **p, size_t *n);
void proc_exit(uint32_t pid);
const char *proc_exe(uint32_t pid);      /* from the table, else /proc/pid/exe */
/* script_path.c: the file an exec'd #! script (absolute name) really is, symlinks resolved in the
 * process's root (in the agent's when the process is gone and host_root); false when unknown */
bool script_path(uint32_t pid, const char *abs, bool host_root, char *out, size_t outsz);
void proc_scan(void);                     /* seed the table from /proc */
int cgroup_init(void);                    /* finds the cgroup2 mount */
const char *cgroup_mount(void);
void cgroup_learn(uint64_t id, const char *path, size_t len); /* from the cgroup_mkdir tracepoint */
const char *cgroup_path(uint64_t id, uint32_t pid); /* "" when unknown; pid 0: table/rescan only */
bool container_id(const char *cg, char out[65]);

/* ---- paths ---- */
/* Reverses a "leaf/parent/.../" dentry walk into "/parent/leaf" (appends to b). */
void path_from_walk(struct buf *b, const char *walk, size_t n);
/* `,"path_source":...` of a file record's flags: "kernel", "name" or "user" (kwitness_wire.h); "" when unknown. */
const char *path_source_json(uint32_t flags);
/* Lexically normalises b->p in place ('.', '..', '//'), keeping it absolute. */
void path_normalize(struct buf *b);
/* hostpath.c: appends the host's name of the file at `fsp` (absolute, from its file system's
 * root) on file system `kdev` (kernel dev_t), by the host's mounts; false when the host does not
 * mount that part of that file system. */
bool hostpath_map(uint32_t kdev, const char *fsp, size_t n, struct buf *out);
void hostpath_use_mountinfo(const char *path); /* tests: read this file instead of the agent's */
/* For a host path on an overlayfs mount: where the file lives in its layers, appended to out (the
 * upper layer's path; for a removed file, the lower layer's that still holds it, *lower set). */
bool hostpath_overlay(const char *p, size_t n, bool removed, struct buf *out, bool *lower);

/* ---- probe.c ---- */
int cmd_probe(void);
int cmd_btf(const char *func);
int mount_fs(void);                      /* tracefs (and bpffs, securityfs) when absent; unmounted at exit */
const char *tracefs_dir(void);
bool tp_exists(const char *category, const char *name);
bool fentry_works(const char *func);
bool kprobe_works(const char *func);
bool ia32_possible(void); /* 32-bit syscalls can run here (x86_64 with IA-32 emulation on) */
/*
 * The kernel's own name for an entry point io_uring calls without a system call: the agent's
 * programs are written against the names up to 6.x (do_unlinkat, do_rmdir, do_mkdirat,
 * do_renameat2, do_filp_open); 7.x renamed them (filename_unlinkat, ..., do_file_open) with the
 * same arguments. The first name vmlinux BTF describes; NULL when it has none of them.
 */
const char *kcall_target(const char *name);
/* enrich.c: events of the probes hooked at NAME name TARGET instead (kcall_target) */
void probe_name_kcall(const char *name, const char *target);
const char *probe_name(unsigned id); /* the attach point events of probe id ID name; NULL if none */
const char *ia32_function(unsigned id); /* KW_P_IA32_*: the kernel's __ia32_* entry point of that syscall */
void probe_names_ia32_kretprobe(void); /* the ia32 events come from the kretprobes, not the raw tracepoint */
void kernel_release(char *rel, size_t n, char *arch, size_t an);

#endif
