// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wire_check.c: the reading rules of src/core/wire/decoder.ts, in C, for the fuzz harness:
 * whatever the agent writes must decode without an error record.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "kwitness.h"
#include "check.h"

#define MAX_FRAME (16u << 20)

struct rd {
	const unsigned char *s;
	size_t pos, end;
};

static uint32_t u32at(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool str(struct rd *r)
{
	if (r->end - r->pos < 4)
		return false;
	uint32_t n = u32at(r->s + r->pos);
	r->pos += 4;
	if (n > r->end - r->pos)
		return false;
	r->pos += n;
	return true;
}

static bool strs(struct rd *r, int k)
{
	while (k-- > 0)
		if (!str(r))
			return false;
	return true;
}

/* The process tail: [str cmdline], n_anc times (u32 pid, str comm, str exe[, str cmdline]). */
static bool ancestors(struct rd *r, uint32_t n, uint16_t flags)
{
	int per = flags & KW_F_CMDLINE ? 3 : 2;

	if (per == 3 && !str(r))
		return false;
	if ((flags & KW_F_PODINFO) && !strs(r, 8))
		return false;
	for (uint32_t i = 0; i < n; i++) {
		if (r->end - r->pos < 4)
			return false;
		r->pos += 4;
		if (!strs(r, per))
			return false;
	}
	return true;
}

/* The STACK TAIL, iff KW_PF_STACKS: s32 kerr, s32 uerr, u32 kn, u32 un, then the frames. */
static bool stack_tail(struct rd *r, uint32_t pflags)
{
	if (pflags & ~KW_PF_STACKS)
		return false;
	if (!(pflags & KW_PF_STACKS))
		return true;
	if (r->end - r->pos < 16)
		return false;
	uint32_t kn = u32at(r->s + r->pos + 8), un = u32at(r->s + r->pos + 12);
	r->pos += 16;
	if (kn > KW_STACK_MAX || un > KW_STACK_MAX + 1)
		return false;
	for (uint32_t i = 0; i < kn + un; i++) {
		if (r->end - r->pos < 32)
			return false;
		uint32_t fl = u32at(r->s + r->pos + 28);
		if (fl & ~(KW_FR_SYM | KW_FR_FILE | KW_FR_INFERRED | KW_FR_LINE))
			return false;
		r->pos += 32;
		if (!strs(r, 4))
			return false;
	}
	return true;
}

static const char *record(const unsigned char *rec, uint32_t size)
{
	struct kw_hdr h;
	struct rd r = { rec, 0, size };

	if (size < sizeof(h))
		return "wire: record shorter than its header";
	memcpy(&h, rec, sizeof(h));
	if (h.size != size)
		return "wire: kw_hdr.size != frame length";
	switch (h.kind) {
	case KW_UNLINK:
	case KW_CREATE:
	case KW_WRITE:
	case KW_DENIED: {
		struct kw_file_rec f;
		if (size < sizeof(f))
			return "wire: file record shorter than its fixed part";
		memcpy(&f, rec, sizeof(f));
		if (f.op < KW_OP_UNLINK || f.op > KW_OP_WRITE)
			return "wire: unknown op";
		if (h.kind == KW_DENIED) {
			/* a guard's refusal: any op but an exchange, a verdict, the kernel's path */
			if (f.op == KW_OP_EXCHANGE || (f.verdict != KW_VERDICT_DENIED && f.verdict != KW_VERDICT_WOULD_DENY))
				return "wire: a denied record with an exchange or without a verdict";
			if (h.flags & (KW_F_OLD_PATH | KW_F_TARGET))
				return "wire: a denied record with a second name";
		} else if (f.op == KW_OP_WRITE || f.rule || f.verdict) {
			return "wire: a guard's op, rule or verdict on an event";
		} else if ((h.kind == KW_WRITE) != (f.op == KW_OP_OPEN_WRITE || f.op == KW_OP_TRUNCATE)) {
			return "wire: a write record without op open_write/truncate, or such an op on another kind";
		}
		if (f.op == KW_OP_EXCHANGE && (h.kind != KW_CREATE || !(h.flags & KW_F_OLD_PATH)))
			return "wire: an exchange that is not a create with both names (nothing is deleted)";
		if ((h.flags & KW_F_NAMED) && (h.flags & KW_F_PATH_SRC_MASK) != KW_F_PATH_SRC_KERNEL)
			return "wire: a caller's spelling (named) beside a path that is not the kernel's";
		if ((h.flags & KW_F_PROC_PATH) && (h.flags & KW_F_PATH_NOT_ON_HOST))
			return "wire: a process's view beside a path that is already the process's view";
		r.pos = sizeof(f);
		/* 6 process strings, path, old_path, target, then named iff KW_F_NAMED, proc_path iff
		 * KW_F_PROC_PATH */
		if ((f.fflags & KW_FF_LOWER) && !(f.fflags & KW_FF_REAL_PATH))
			return "wire: a lower layer without the path in it";
		if (f.fflags & ~(KW_FF_REAL_PATH | KW_FF_LOWER))
			return "wire: unknown file flags";
		if (!strs(&r, 9 + !!(h.flags & KW_F_NAMED) + !!(h.flags & KW_F_PROC_PATH) + !!(f.fflags & KW_FF_REAL_PATH)) ||
		    !ancestors(&r, f.proc.n_anc, h.flags))
			return "wire: a file record's strings run past its end";
		if (!stack_tail(&r, f.proc.pflags))
			return "wire: a file record's stacks are bad or run past its end";
		break;
	}
	case KW_EXEC: {
		struct kw_exec_rec x;
		if (size < sizeof(x))
			return "wire: exec record shorter than its fixed part";
		memcpy(&x, rec, sizeof(x));
		r.pos = sizeof(x);
		if (!strs(&r, 8) || (x.argc > (r.end - r.pos) / 4) || !strs(&r, x.argc) ||
		    !ancestors(&r, x.proc.n_anc, h.flags))
			return "wire: an exec record's strings run past its end";
		if (!stack_tail(&r, x.proc.pflags))
			return "wire: an exec record's stacks are bad or run past its end";
		break;
	}
	case KW_EXIT: {
		struct kw_exit_rec x;
		if (size < sizeof(x))
			return "wire: exit record shorter than its fixed part";
		memcpy(&x, rec, sizeof(x));
		r.pos = sizeof(x);
		if (!strs(&r, 6) || !ancestors(&r, x.proc.n_anc, h.flags))
			return "wire: an exit record's strings run past its end";
		if (x.proc.pflags)
			return "wire: an exit record with stacks";
		break;
	}
	case KW_CALL: {
		struct kw_call_rec x;
		if (size < sizeof(x))
			return "wire: call record shorter than its fixed part";
		memcpy(&x, rec, sizeof(x));
		if (x.attach != KW_CA_FENTRY && x.attach != KW_CA_KPROBE)
			return "wire: a call with an unknown attach mode";
		if (x.cflags & ~(KW_CF_VOID | KW_CF_RET_PTR | KW_CF_RET_UNSIGNED | KW_CF_ARGS_CUT))
			return "wire: unknown call flags";
		if (x.proc.ret || ((x.cflags & KW_CF_VOID) && x.ret))
			return "wire: a call's proc.ret, or a void call's ret, is not 0";
		if (x.n_args > KW_FUNC_ARGS)
			return "wire: a call with more arguments than the agent reads";
		r.pos = sizeof(x);
		/* 6 process strings, func, ret_type, then (name, type, value) per argument */
		if (!strs(&r, 8 + 3 * x.n_args) || !ancestors(&r, x.proc.n_anc, h.flags))
			return "wire: a call record's strings run past its end";
		if (!stack_tail(&r, x.proc.pflags))
			return "wire: a call record's stacks are bad or run past its end";
		break;
	}
	case KW_ERROR:
		if (size < sizeof(struct kw_error_rec))
			return "wire: error record shorter than its fixed part";
		r.pos = sizeof(struct kw_error_rec);
		if (!str(&r))
			return "wire: error message runs past the record end";
		break;
	case KW_LOST:
		if (size < sizeof(struct kw_lost_rec))
			return "wire: lost record shorter than its fixed part";
		r.pos = sizeof(struct kw_lost_rec);
		break;
	default:
		return "wire: a kind the agent never writes";
	}
	if (r.pos != r.end)
		return "wire: bytes left over after the last field";
	return NULL;
}

const char *wire_frames_check(const unsigned char *s, size_t n)
{
	size_t off = 0;

	while (off < n) {
		if (n - off < 4)
			return "wire: a cut frame length";
		uint32_t len = u32at(s + off);
		if (len < sizeof(struct kw_hdr) || len > MAX_FRAME)
			return "wire: impossible frame length";
		if (n - off - 4 < len)
			return "wire: a cut frame";
		const char *err = record(s + off + 4, len);
		if (err)
			return err;
		off += 4 + len;
	}
	return NULL;
}
