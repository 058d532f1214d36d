/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * rawrec.h: building raw ring buffer records (struct kw_raw) by hand, as the BPF programs fill
 * them, for the fuzz seeds and the record builder's unit checks.
 */
#ifndef KW_FUZZ_RAWREC_H
#define KW_FUZZ_RAWREC_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "kwitness.h"

/* One raw record under construction. */
struct rb {
	struct kw_raw r;
	size_t used;
};

static inline void rb_init(struct rb *b, uint16_t kind, uint8_t probe, uint32_t pid)
{
	memset(b, 0, sizeof(*b));
	b->r.hdr.kind = kind;
	b->r.hdr.ktime_ns = 1000000000ull * 3600;
	b->r.pid = pid;
	b->r.tid = pid;
	b->r.ppid = 1;
	b->r.uid = 1000;
	b->r.gid = 1000;
	b->r.cgroup_id = 7;
	b->r.probe = probe;
	b->r.anc[0] = 1;
	snprintf(b->r.comm, sizeof(b->r.comm), "seed");
}

static inline void rb_str(struct rb *b, int slot, const void *s, size_t n)
{
	b->r.off[slot] = b->used;
	b->r.len[slot] = n;
	memcpy(b->r.data + b->used, s, n);
	b->used += n;
}

static inline void rb_s(struct rb *b, int slot, const char *s)
{
	rb_str(b, slot, s, strlen(s));
}

/* A string literal with NULs or bytes that are not UTF-8 in it (its terminator left out). */
#define RB_LIT(b, slot, lit) rb_str(b, slot, lit, sizeof(lit) - 1)

/* The sample's size as the ring buffer would report it. */
static inline size_t rb_size(struct rb *b)
{
	b->r.hdr.size = KW_RAW_FIXED + b->used;
	return b->r.hdr.size;
}

#endif
