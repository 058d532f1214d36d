/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * record.h: one event between enrichment (enrich.c: raw ring buffer record -> struct ev) and
 * the emitters (emit.c: struct ev -> json line or wire frame). The record builder is these two
 * files; test/fuzz/fuzz_record.c drives it without a kernel.
 */
#ifndef KW_RECORD_H
#define KW_RECORD_H

#include <string.h>
#include "agent.h"

#define MAX_ANC 16
/* The largest integer a JSON reader that uses doubles (JSON.parse) keeps exact: 2^53 - 1. */
#define KW_JSON_MAX_SAFE 9007199254740991ull

/* A byte string that is not NUL-terminated (names are bytes, not C strings). */
struct sv {
	const char *p;
	size_t n;
};

static inline struct sv sv_c(const char *s)
{
	return (struct sv){ s ? s : "", s ? strlen(s) : 0 };
}

struct ev_stacks; /* stacks.h */

struct ev {
	uint16_t kind, flags;
	uint64_t ktime, wall;
	const struct kw_raw *r;
	struct sv comm, exe, cwd, cgroup, container, probe;
	struct sv cmdline;        /* NUL separated, no final NUL = cut; .p NULL = unknown */
	/* KW_F_PODINFO (k8s.c): runtime, container name, the process's pod, the path's pod */
	struct sv runtime, ctr_name, pod_ns, pod_name, pod_uid, ppod_ns, ppod_name, ppod_uid;
	bool has_container;
	/* unlink/create */
	struct sv path, old_path, target;
	struct sv named;          /* KW_F_NAMED: the caller's spelling, when not the kernel's path */
	struct sv proc_path;      /* KW_F_PROC_PATH: the path from the process's root, when the host's differs */
	uint8_t fflags;           /* enum kw_file_flag */
	struct sv real_path;      /* KW_FF_REAL_PATH: an overlay file's layer path */
	uint32_t dev;
	uint64_t ino;
	uint8_t op;
	/* denied (guard): the rule's index, enum kw_verdict */
	uint32_t rule;
	uint8_t verdict;
	/* exec */
	struct sv filename, interp, argv;
	uint32_t argc;
	/* exit */
	int32_t exit_code;
	uint32_t signal;
	uint64_t duration;
	/* ancestors */
	uint32_t n_anc;
	uint32_t anc_pid[MAX_ANC];
	struct sv anc_comm[MAX_ANC], anc_exe[MAX_ANC], anc_cmdline[MAX_ANC];
	/* --stacks: the call's stacks, named (NULL: none) */
	const struct ev_stacks *stk;
	/* KW_CALL (func.c): the function, its arguments, ret and duration */
	const struct call_ev *call;
};

void emit_json(struct ev *e);
/* `,"cmdline":[...]` (+ `_b64`), null when unknown (.p NULL), `,"cmdline_truncated":true` when cut. */
void json_cmdline(struct buf *b, struct sv c);
/* `,"KEY":{"namespace","name","uid"}` when the uid is known (names "" once the node forgot them). */
void json_pod(struct buf *b, const char *key, struct sv ns, struct sv name, struct sv uid);
void emit_wire(struct ev *e);

/* ---- tcache.c: per thread, the cwd and dirfd paths of its last file event ---- */
/* TC_CWD/TC_BASE as the host names them; TC_PCWD/TC_PBASE the process's view, only where it
 * differs (another mount namespace, hostpath.c) */
enum { TC_CWD, TC_BASE, TC_PCWD, TC_PBASE, TC_NPATHS };
#define TC_MAX_ENTRIES 16384      /* twice the kernel's walk_cache */
#define TC_MAX_BYTES (16u << 20)  /* paths plus entries */
struct tcache;
struct tcache *tcache_get(uint32_t tid);                  /* found or new; now the most recent */
struct sv tcache_path(const struct tcache *t, int which); /* .p NULL: not cached */
void tcache_set(struct tcache *t, int which, const char *p, size_t n); /* p NULL: forget it */
bool tcache_unmapped(const struct tcache *t, int which);
void tcache_set_unmapped(struct tcache *t, int which, bool on);
void tcache_drop(uint32_t tid);
size_t tcache_count(void);
size_t tcache_bytes(void);

#endif
