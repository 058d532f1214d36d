// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * dwarfline.c: file:line for C/C++ frames from the DWARF line tables (.debug_line) of a file
 * built with -g and not stripped (dwarfline.h).
 *
 * The layout, as the DWARF 2-5 standards give it (DWARF 5 section 6.2), little-endian only:
 *
 *   unit    unit_length (u32; 0xffffffff then u64: the 64-bit format, offsets of 8 bytes), version
 *           u16 (2..5), [v5: address_size u8, segment_selector_size u8], header_length (an
 *           offset), minimum_instruction_length u8, [v4+: maximum_operations_per_instruction u8],
 *           default_is_stmt u8, line_base s8, line_range u8, opcode_base u8,
 *           standard_opcode_lengths[opcode_base - 1], then the directories and files:
 *     v2-4  include_directories: strings up to an empty one (index 0 is the compilation
 *           directory, which only .debug_info names: not read here); file_names: (string,
 *           uleb directory, uleb mtime, uleb size) up to an empty name, numbered from 1;
 *     v5    a format (count u8, pairs of uleb content type and uleb form), a uleb count and the
 *           directories, then the same for the files, both numbered from 0; a path is
 *           DW_FORM_string (inline), line_strp (an offset into .debug_line_str) or strp
 *           (.debug_str); whatever else an entry holds is skipped by its form.
 *   program from header_length's end to the unit's end: the line-number state machine.
 *           Standard opcodes (copy, advance_pc, advance_line, set_file, ..., fixed_advance_pc)
 *           with their known operands, unknown ones skipped by standard_opcode_lengths;
 *           extended ones (0, uleb length, sub-opcode: end_sequence, set_address, define_file,
 *           ...) always resume at their declared end; special opcodes advance address and line
 *           and add a row.
 *
 * Each sequence's rows become ranges [row, next row) with one file and line, merged when
 * neighbours agree, and all are sorted by address. The addresses are the link-time virtual
 * addresses elfsym.c already turns file offsets into (through the PT_LOAD headers), so the table
 * answers for a file offset once elfsym has made it an address. Sequences that do not start
 * inside an executable segment (code the linker discarded: address 0 or a tombstone) are dropped.
 *
 * The file is hostile: each unit is read whole into bounded memory (DL_UNIT_MAX) with pread and
 * parsed through a cursor that never reads past its end (a read past it yields 0 and marks the
 * cursor bad, which ends the unit); every opcode consumes at least one byte, so nothing loops;
 * rows are capped (DL_MAX_ROWS in all: beyond that the whole table is dropped and the functions
 * keep their names only), and so are directories, files and their names. Not read: compressed
 * sections (SHF_COMPRESSED, elfsym.c skips them), separate debug files (.gnu_debuglink,
 * debuginfod), DW_FORM_strx* (.debug_str_offsets, which needs .debug_info), and the compilation
 * directory of DWARF 2-4 (a relative name with directory 0 stays relative).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dwarfline.h"

#define DL_SECTION_MAX (512ull << 20) /* a bigger .debug_line is not read */
#define DL_UNIT_MAX (64u << 20)       /* a bigger unit is skipped */
#define DL_MAX_ROWS (3u << 20)        /* ranges kept, all units (24 bytes each) */
#define DL_MAX_ENTRIES (1u << 16)     /* directories, files of one unit */
#define DL_SCRATCH_MAX (16u << 20)    /* their names */
#define DL_BACK 8                     /* ranges below the nearest one that may still hold an address */

enum {
	DW_LNS_copy = 1, DW_LNS_advance_pc, DW_LNS_advance_line, DW_LNS_set_file, DW_LNS_set_column,
	DW_LNS_negate_stmt, DW_LNS_set_basic_block, DW_LNS_const_add_pc, DW_LNS_fixed_advance_pc,
	DW_LNS_set_prologue_end, DW_LNS_set_epilogue_begin, DW_LNS_set_isa,
};
enum { DW_LNE_end_sequence = 1, DW_LNE_set_address, DW_LNE_define_file };
enum { DW_LNCT_path = 1, DW_LNCT_directory_index };
enum {
	DW_FORM_block2 = 0x03, DW_FORM_block4 = 0x04, DW_FORM_data2 = 0x05, DW_FORM_data4 = 0x06,
	DW_FORM_data8 = 0x07, DW_FORM_string = 0x08, DW_FORM_block = 0x09, DW_FORM_block1 = 0x0a,
	DW_FORM_data1 = 0x0b, DW_FORM_flag = 0x0c, DW_FORM_sdata = 0x0d, DW_FORM_strp = 0x0e,
	DW_FORM_udata = 0x0f, DW_FORM_data16 = 0x1e, DW_FORM_line_strp = 0x1f,
};

/* Bytes [p, end); a read past end returns 0 and sets bad. */
struct cur {
	const uint8_t *p, *end;
	int bad;
};

static int avail(struct cur *c, uint64_t n)
{
	if (c->bad || n > (uint64_t)(c->end - c->p)) {
		c->bad = 1;
		c->p = c->end;
		return 0;
	}
	return 1;
}

static uint64_t get(struct cur *c, unsigned n)
{
	uint64_t v = 0;

	if (!avail(c, n))
		return 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += n;
	return v;
}

static void skip(struct cur *c, uint64_t n)
{
	if (avail(c, n))
		c->p += n;
}

static uint64_t uleb(struct cur *c)
{
	uint64_t v = 0;
	unsigned shift = 0;

	while (avail(c, 1)) {
		uint8_t b = *c->p++;

		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			return v;
	}
	return 0;
}

static int64_t sleb(struct cur *c)
{
	uint64_t v = 0;
	unsigned shift = 0;
	uint8_t b = 0;

	while (avail(c, 1)) {
		b = *c->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80)) {
			if (shift < 64 && (b & 0x40))
				v |= ~0ull << shift;
			return (int64_t)v;
		}
	}
	return 0;
}

/* An inline NUL-terminated string: its bytes and length (the NUL is consumed). */
static const char *cstr(struct cur *c, size_t *len)
{
	const uint8_t *z;

	if (c->bad)
		return NULL;
	z = memchr(c->p, 0, (size_t)(c->end - c->p));
	if (!z) {
		c->bad = 1;
		c->p = c->end;
		return NULL;
	}
	*len = (size_t)(z - c->p);
	{
		const char *s = (const char *)c->p;

		c->p = z + 1;
		return s;
	}
}

/* Names of one unit's directories and files, copied here. */
struct scratch {
	char *p;
	size_t len, cap;
};

struct dl_dir {
	uint32_t s, n; /* scratch offset, length */
};

struct dl_file {
	uint32_t s, n, dir;
	uint32_t pool; /* the full path in the pool, once made */
	uint8_t made;
};

struct seqrow {
	uint64_t addr;
	uint32_t file, line; /* file: index into the unit's files */
};

/* Full paths already in the pool (open addressing over pool offsets), so the headers many units
 * include are kept once. */
struct dedup {
	uint32_t *slot; /* ES_NONE: empty */
	size_t cap, n;
};

struct ld {
	struct es_lines *lt;
	struct es_pool *pool;
	struct es_reader *r;
	const struct es_dwsec *line_str, *str;
	const struct es_range *x;
	size_t nx;
	size_t rcap;
	struct scratch sb;
	struct dl_dir *dir;
	uint32_t ndir, capdir;
	struct dl_file *file;
	uint32_t nfile, capfile;
	struct seqrow *seq;
	uint32_t nseq, capseq;
	struct dedup dd;
	char path[3 * ES_NAME_MAX]; /* a full path being made */
	int v5;             /* the unit is DWARF 5 (directories and files numbered from 0) */
	int full;          /* too many rows: everything is dropped */
	uint32_t bad_units; /* skipped: malformed, unknown version or form, too big */
	uint32_t first_bad_version;
};

/* Copies n bytes (cut at ES_NAME_MAX - 1) to the scratch area; its offset or ES_NONE. */
static uint32_t scratch_put(struct scratch *sb, const char *s, size_t n)
{
	uint32_t at;

	if (n > ES_NAME_MAX - 1)
		n = ES_NAME_MAX - 1;
	if (sb->len + n + 1 > DL_SCRATCH_MAX)
		return ES_NONE;
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 4096;
		char *p;

		while (cap < sb->len + n + 1)
			cap *= 2;
		p = realloc(sb->p, cap);
		if (!p)
			return ES_NONE;
		sb->p = p;
		sb->cap = cap;
	}
	at = (uint32_t)sb->len;
	memcpy(sb->p + sb->len, s, n);
	sb->p[sb->len + n] = 0;
	sb->len += n + 1;
	return at;
}

/* The string at offset o of a string section, copied to the scratch area. */
static uint32_t sec_str(struct ld *d, const struct es_dwsec *sec, uint64_t o, uint32_t *len)
{
	const uint8_t *s;
	const void *z;
	size_t got, n;
	uint32_t at;

	if (!sec->size || o >= sec->size)
		return ES_NONE;
	s = es_span(d->r, sec->off + o, sec->off + sec->size, ES_NAME_MAX, &got);
	if (!s)
		return ES_NONE;
	z = memchr(s, 0, got);
	n = z ? (size_t)((const uint8_t *)z - s) : got;
	at = scratch_put(&d->sb, (const char *)s, n);
	*len = at == ES_NONE ? 0 : (uint32_t)(n > ES_NAME_MAX - 1 ? ES_NAME_MAX - 1 : n);
	return at;
}

/* Reads one value of form; a string (DW_LNCT_path) goes to the scratch area (*s, *slen), a
 * number to *num. -1 for a form that cannot be skipped. */
static int read_form(struct ld *d, struct cur *c, uint64_t form, int off8, uint64_t *num, uint32_t *s,
		     uint32_t *slen)
{
	const char *p;
	size_t n;

	*num = 0;
	*s = ES_NONE;
	*slen = 0;
	switch (form) {
	case DW_FORM_string:
		p = cstr(c, &n);
		if (p) {
			*s = scratch_put(&d->sb, p, n);
			*slen = n > ES_NAME_MAX - 1 ? ES_NAME_MAX - 1 : (uint32_t)n;
		}
		return 0;
	case DW_FORM_line_strp:
	case DW_FORM_strp:
		*num = get(c, off8 ? 8 : 4);
		if (!c->bad)
			*s = sec_str(d, form == DW_FORM_strp ? d->str : d->line_str, *num, slen);
		return 0;
	case DW_FORM_udata:
		*num = uleb(c);
		return 0;
	case DW_FORM_sdata:
		*num = (uint64_t)sleb(c);
		return 0;
	case DW_FORM_data1:
	case DW_FORM_flag:
		*num = get(c, 1);
		return 0;
	case DW_FORM_data2:
		*num = get(c, 2);
		return 0;
	case DW_FORM_data4:
		*num = get(c, 4);
		return 0;
	case DW_FORM_data8:
		*num = get(c, 8);
		return 0;
	case DW_FORM_data16:
		skip(c, 16);
		return 0;
	case DW_FORM_block:
		skip(c, uleb(c));
		return 0;
	case DW_FORM_block1:
		skip(c, get(c, 1));
		return 0;
	case DW_FORM_block2:
		skip(c, get(c, 2));
		return 0;
	case DW_FORM_block4:
		skip(c, get(c, 4));
		return 0;
	default:
		return -1;
	}
}

static int add_dir(struct ld *d, uint32_t s, uint32_t n)
{
	if (d->ndir >= DL_MAX_ENTRIES)
		return -1;
	if (d->ndir == d->capdir) {
		uint32_t nc = d->capdir ? d->capdir * 2 : 64;
		struct dl_dir *v = realloc(d->dir, nc * sizeof(*v));

		if (!v)
			return -1;
		d->dir = v;
		d->capdir = nc;
	}
	d->dir[d->ndir++] = (struct dl_dir){ s, s == ES_NONE ? 0 : n };
	return 0;
}

static int add_file(struct ld *d, uint32_t s, uint32_t n, uint64_t dir)
{
	if (d->nfile >= DL_MAX_ENTRIES)
		return -1;
	if (d->nfile == d->capfile) {
		uint32_t nc = d->capfile ? d->capfile * 2 : 64;
		struct dl_file *v = realloc(d->file, nc * sizeof(*v));

		if (!v)
			return -1;
		d->file = v;
		d->capfile = nc;
	}
	d->file[d->nfile++] = (struct dl_file){ s, s == ES_NONE ? 0 : n, dir > UINT32_MAX ? UINT32_MAX : (uint32_t)dir,
						ES_NONE, 0 };
	return 0;
}

static uint32_t hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

/* The pool offset of path (n bytes), added once. */
static uint32_t intern(struct ld *d, const char *path, size_t n)
{
	struct dedup *dd = &d->dd;
	size_t i;
	uint32_t at;

	if (dd->n * 2 >= dd->cap) {
		size_t nc = dd->cap ? dd->cap * 2 : 1024;
		uint32_t *ns = malloc(nc * sizeof(*ns));

		if (!ns)
			return es_pool_mem(d->pool, path, n);
		memset(ns, 0xff, nc * sizeof(*ns));
		for (size_t k = 0; k < dd->cap; k++) {
			uint32_t o = dd->slot[k];

			if (o == ES_NONE)
				continue;
			for (i = hash(d->pool->p + o, strlen(d->pool->p + o)) & (nc - 1); ns[i] != ES_NONE; i = (i + 1) & (nc - 1))
				;
			ns[i] = o;
		}
		free(dd->slot);
		dd->slot = ns;
		dd->cap = nc;
	}
	for (i = hash(path, n) & (dd->cap - 1); dd->slot[i] != ES_NONE; i = (i + 1) & (dd->cap - 1)) {
		const char *q = d->pool->p + dd->slot[i];

		if (!strncmp(q, path, n) && q[n] == 0)
			return dd->slot[i];
	}
	at = es_pool_mem(d->pool, path, n);
	if (at != ES_NONE) {
		dd->slot[i] = at;
		dd->n++;
	}
	return at;
}

/* File entry i as a full path in the pool: its directory + '/' + its name, unless the name is
 * absolute or the directory unknown. */
static uint32_t file_path(struct ld *d, uint32_t i)
{
	char *buf = d->path;
	struct dl_file *f;
	size_t n = 0;

	if (i >= d->nfile)
		return ES_NONE;
	f = &d->file[i];
	if (f->made)
		return f->pool;
	f->made = 1;
	if (f->s == ES_NONE || f->n == 0)
		return ES_NONE;
	if (d->sb.p[f->s] != '/' && f->dir < d->ndir && d->dir[f->dir].s != ES_NONE && d->dir[f->dir].n) {
		const struct dl_dir *dr = &d->dir[f->dir], *d0 = &d->dir[0];

		/* DWARF 5: a relative directory is relative to directory 0, the compilation's */
		if (d->v5 && f->dir && d->sb.p[dr->s] != '/' && d0->s != ES_NONE && d0->n) {
			memcpy(buf, d->sb.p + d0->s, d0->n);
			n = d0->n;
			if (buf[n - 1] != '/')
				buf[n++] = '/';
		}
		memcpy(buf + n, d->sb.p + dr->s, dr->n);
		n += dr->n;
		if (buf[n - 1] != '/')
			buf[n++] = '/';
	}
	memcpy(buf + n, d->sb.p + f->s, f->n);
	n += f->n;
	if (n > ES_NAME_MAX - 1)
		n = ES_NAME_MAX - 1;
	f->pool = intern(d, buf, n);
	return f->pool;
}

static int in_x(const struct ld *d, uint64_t a)
{
	for (size_t i = 0; i < d->nx; i++)
		if (a >= d->x[i].lo && a < d->x[i].hi)
			return 1;
	return 0;
}

static int push_row(struct ld *d, uint64_t addr, uint64_t len, uint32_t file, uint32_t line)
{
	struct es_lines *lt = d->lt;

	if (lt->n) {
		struct es_linerow *p = &lt->row[lt->n - 1];

		if (p->addr + p->len == addr && p->file == file && p->line == line && p->len + len <= UINT32_MAX) {
			p->len += (uint32_t)len;
			return 0;
		}
	}
	if (lt->n >= DL_MAX_ROWS) {
		d->full = 1;
		return -1;
	}
	if (lt->n == d->rcap) {
		size_t nc = d->rcap ? d->rcap * 2 : 4096;
		struct es_linerow *v;

		if (nc > DL_MAX_ROWS)
			nc = DL_MAX_ROWS;
		v = realloc(lt->row, nc * sizeof(*v));
		if (!v) {
			d->full = 1;
			return -1;
		}
		lt->row = v;
		d->rcap = nc;
	}
	lt->row[lt->n++] = (struct es_linerow){ addr, (uint32_t)len, file, line };
	return 0;
}

/* The sequence ends at end: its rows become ranges. */
static void end_seq(struct ld *d, uint64_t end)
{
	uint32_t n = d->nseq;

	d->nseq = 0;
	if (!n || !in_x(d, d->seq[0].addr))
		return;
	for (uint32_t i = 0; i < n && !d->full; i++) {
		uint64_t a = d->seq[i].addr, e = i + 1 < n ? d->seq[i + 1].addr : end;

		if (e < a)
			return; /* addresses must not go back within a sequence */
		if (e == a || e - a > UINT32_MAX)
			continue;
		push_row(d, a, e - a, file_path(d, d->seq[i].file), d->seq[i].line);
	}
}

static void add_seqrow(struct ld *d, uint64_t addr, uint32_t file, int64_t line)
{
	if (d->nseq >= DL_MAX_ROWS) {
		d->full = 1;
		return;
	}
	if (d->nseq == d->capseq) {
		uint32_t nc = d->capseq ? d->capseq * 2 : 256;
		struct seqrow *v;

		if (nc > DL_MAX_ROWS)
			nc = DL_MAX_ROWS;
		v = realloc(d->seq, nc * sizeof(*v));
		if (!v) {
			d->full = 1;
			return;
		}
		d->seq = v;
		d->capseq = nc;
	}
	d->seq[d->nseq++] = (struct seqrow){ addr, file, line > 0 && line <= UINT32_MAX ? (uint32_t)line : 0 };
}

/* One unit, ub[0, len) after its unit_length. -1: skipped. */
static int unit(struct ld *d, const uint8_t *ub, uint64_t len, int off8)
{
	struct cur c = { ub, ub + len, 0 }, h, pc;
	uint8_t stdlen[256] = { 0 };
	uint64_t hlen, addr = 0, op_index = 0;
	unsigned version, min_inst, max_ops, line_range, opcode_base;
	int line_base;
	uint32_t file = 1;
	int64_t line = 1;

	d->sb.len = 0;
	d->ndir = d->nfile = d->nseq = 0;
	version = (unsigned)get(&c, 2);
	if (version < 2 || version > 5) {
		if (!d->first_bad_version)
			d->first_bad_version = version ? version : 1;
		return -1;
	}
	d->v5 = version == 5;
	if (version == 5)
		skip(&c, 2); /* address_size, segment_selector_size */
	hlen = get(&c, off8 ? 8 : 4);
	if (c.bad || hlen > (uint64_t)(c.end - c.p))
		return -1;
	h = (struct cur){ c.p, c.p + hlen, 0 };
	pc = (struct cur){ c.p + hlen, c.end, 0 };
	min_inst = (unsigned)get(&h, 1);
	max_ops = version >= 4 ? (unsigned)get(&h, 1) : 1;
	if (max_ops == 0)
		max_ops = 1;
	get(&h, 1); /* default_is_stmt */
	line_base = (int8_t)get(&h, 1);
	line_range = (unsigned)get(&h, 1);
	opcode_base = (unsigned)get(&h, 1);
	for (unsigned i = 1; i < opcode_base; i++)
		stdlen[i] = (uint8_t)get(&h, 1);
	if (h.bad || line_range == 0)
		return -1;

	if (version < 5) {
		const char *s;
		size_t n;

		add_dir(d, ES_NONE, 0); /* 0: the compilation directory, not known here */
		while ((s = cstr(&h, &n)) && n)
			if (add_dir(d, scratch_put(&d->sb, s, n), (uint32_t)n) < 0)
				return -1;
		add_file(d, ES_NONE, 0, 0); /* numbered from 1 */
		while ((s = cstr(&h, &n)) && n) {
			uint32_t at = scratch_put(&d->sb, s, n);
			uint64_t dir = uleb(&h);

			uleb(&h); /* mtime */
			uleb(&h); /* size */
			if (add_file(d, at, (uint32_t)(n > ES_NAME_MAX - 1 ? ES_NAME_MAX - 1 : n), dir) < 0)
				return -1;
		}
		if (h.bad)
			return -1;
	} else {
		for (int pass = 0; pass < 2; pass++) {
			uint64_t fmt[2 * 255], count;
			unsigned nfmt = (unsigned)get(&h, 1);

			for (unsigned i = 0; i < 2 * nfmt; i++)
				fmt[i] = uleb(&h);
			count = uleb(&h);
			if (h.bad || count > DL_MAX_ENTRIES)
				return -1;
			for (uint64_t k = 0; k < count && !h.bad; k++) {
				uint32_t s = ES_NONE, n = 0;
				uint64_t dir = 0;

				for (unsigned i = 0; i < nfmt; i++) {
					uint64_t num;
					uint32_t fs, fn;

					if (read_form(d, &h, fmt[2 * i + 1], off8, &num, &fs, &fn) < 0)
						return -1;
					if (fmt[2 * i] == DW_LNCT_path) {
						s = fs;
						n = fn;
					} else if (fmt[2 * i] == DW_LNCT_directory_index) {
						dir = num;
					}
				}
				if ((pass == 0 ? add_dir(d, s, n) : add_file(d, s, n, dir)) < 0)
					return -1;
			}
			if (h.bad)
				return -1;
		}
		file = 1;
	}

	/* the line program */
	while (pc.p < pc.end && !pc.bad && !d->full) {
		unsigned op = (unsigned)get(&pc, 1);
		uint64_t adv;

		if (op >= opcode_base) {
			unsigned adj = op - opcode_base;

			adv = adj / line_range;
			if (max_ops == 1) {
				addr += min_inst * adv;
			} else {
				addr += min_inst * ((op_index + adv) / max_ops);
				op_index = (op_index + adv) % max_ops;
			}
			line += line_base + (int)(adj % line_range);
			add_seqrow(d, addr, file, line);
			continue;
		}
		switch (op) {
		case 0: {
			uint64_t elen = uleb(&pc);
			struct cur e;
			unsigned sub;

			if (pc.bad || elen > (uint64_t)(pc.end - pc.p))
				return -1;
			e = (struct cur){ pc.p, pc.p + elen, 0 };
			pc.p += elen;
			sub = (unsigned)get(&e, 1);
			if (e.bad)
				break;
			if (sub == DW_LNE_end_sequence) {
				end_seq(d, addr);
				addr = op_index = 0;
				file = 1;
				line = 1;
			} else if (sub == DW_LNE_set_address) {
				if (elen - 1 == 8 || elen - 1 == 4)
					addr = get(&e, (unsigned)(elen - 1));
				op_index = 0;
			} else if (sub == DW_LNE_define_file && version < 5) {
				const char *s;
				size_t n;

				if ((s = cstr(&e, &n)) && n) {
					uint64_t dir = uleb(&e);

					add_file(d, scratch_put(&d->sb, s, n), (uint32_t)(n > ES_NAME_MAX - 1 ? ES_NAME_MAX - 1 : n),
						 dir);
				}
			}
			break;
		}
		case DW_LNS_copy:
			add_seqrow(d, addr, file, line);
			break;
		case DW_LNS_advance_pc:
		case DW_LNS_const_add_pc:
			adv = op == DW_LNS_advance_pc ? uleb(&pc) : (255 - opcode_base) / line_range;
			if (max_ops == 1) {
				addr += min_inst * adv;
			} else {
				addr += min_inst * ((op_index + adv) / max_ops);
				op_index = (op_index + adv) % max_ops;
			}
			break;
		case DW_LNS_advance_line: {
			int64_t dl = sleb(&pc);

			/* nonsense beyond 2^40 either way; the bounds keep the sum from overflowing */
			line = dl < -(1ll << 40) || dl > (1ll << 40) ? 0 : line + dl;
			if (line < -(1ll << 40) || line > (1ll << 40))
				line = 0;
			break;
		}
		case DW_LNS_set_file:
			adv = uleb(&pc);
			file = adv > UINT32_MAX ? UINT32_MAX : (uint32_t)adv;
			break;
		case DW_LNS_set_column:
		case DW_LNS_set_isa:
			uleb(&pc);
			break;
		case DW_LNS_negate_stmt:
		case DW_LNS_set_basic_block:
		case DW_LNS_set_prologue_end:
		case DW_LNS_set_epilogue_begin:
			break;
		case DW_LNS_fixed_advance_pc:
			addr += get(&pc, 2);
			op_index = 0;
			break;
		default: /* unknown standard opcode: skip its operands */
			for (unsigned i = 0; i < stdlen[op]; i++)
				uleb(&pc);
			break;
		}
	}
	return 0;
}

static int row_cmp(const void *a, const void *b)
{
	const struct es_linerow *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->len > y->len ? -1 : x->len < y->len; /* the longer first: the shorter is found first */
}

__attribute__((format(printf, 3, 4))) static void note_set(char *note, size_t notelen, const char *fmt, ...)
{
	va_list ap;

	if (!note || !notelen)
		return;
	va_start(ap, fmt);
	vsnprintf(note, notelen, fmt, ap);
	va_end(ap);
}

int es_lines_load(struct es_lines *lt, struct es_pool *pool, struct es_reader *r, const struct es_dwsec *line,
		  const struct es_dwsec *line_str, const struct es_dwsec *str, const struct es_range *x, size_t nx,
		  char *note, size_t notelen)
{
	struct ld d = { .lt = lt, .pool = pool, .r = r, .line_str = line_str, .str = str, .x = x, .nx = nx };
	uint64_t pos = 0, size = line->size;
	uint8_t *ub = NULL;
	size_t ucap = 0;

	memset(lt, 0, sizeof(*lt));
	if (note && notelen)
		note[0] = 0;
	if (size > DL_SECTION_MAX) {
		note_set(note, notelen, ".debug_line skipped: %llu bytes (at most %llu)", (unsigned long long)size,
			 (unsigned long long)DL_SECTION_MAX);
		return -1;
	}
	while (size - pos >= 4 && !d.full) {
		uint8_t hd[12];
		uint64_t ulen, hdr = 4;
		int off8 = 0;

		if (es_pread(r, hd, line->off + pos, size - pos >= 12 ? 12 : 4) < 0)
			break;
		ulen = hd[0] | (uint32_t)hd[1] << 8 | (uint32_t)hd[2] << 16 | (uint32_t)hd[3] << 24;
		if (ulen == 0xffffffffu) {
			if (size - pos < 12)
				break;
			ulen = 0;
			for (int i = 0; i < 8; i++)
				ulen |= (uint64_t)hd[4 + i] << (8 * i);
			hdr = 12;
			off8 = 1;
		} else if (ulen >= 0xfffffff0u) {
			break; /* reserved */
		}
		if (ulen > size - pos - hdr) {
			d.bad_units++;
			break;
		}
		if (ulen > DL_UNIT_MAX) {
			d.bad_units++;
		} else if (ulen) {
			if (ulen > ucap) {
				uint8_t *nb = realloc(ub, (size_t)ulen);

				if (!nb) {
					d.full = 1;
					break;
				}
				ub = nb;
				ucap = (size_t)ulen;
			}
			if (es_pread(r, ub, line->off + pos + hdr, ulen) < 0)
				break;
			if (unit(&d, ub, ulen, off8) < 0)
				d.bad_units++;
		}
		pos += hdr + ulen;
	}
	free(ub);
	free(d.sb.p);
	free(d.dir);
	free(d.file);
	free(d.seq);
	free(d.dd.slot);
	if (d.full) {
		note_set(note, notelen, "no C file:line: .debug_line has over %u rows", DL_MAX_ROWS);
		es_lines_free(lt);
		return -1;
	}
	if (d.first_bad_version)
		note_set(note, notelen, ".debug_line: %u units skipped (version %u, or malformed)", d.bad_units,
			 d.first_bad_version);
	else if (d.bad_units)
		note_set(note, notelen, ".debug_line: %u units skipped (malformed or too big)", d.bad_units);
	if (lt->n) {
		struct es_linerow *v;

		qsort(lt->row, lt->n, sizeof(*lt->row), row_cmp);
		v = realloc(lt->row, lt->n * sizeof(*v));
		if (v)
			lt->row = v;
		lt->mem = lt->n * sizeof(*lt->row);
	} else {
		free(lt->row);
		lt->row = NULL;
	}
	return 0;
}

int es_lines_lookup(const struct es_lines *lt, uint64_t vaddr, uint32_t *file, uint32_t *line)
{
	uint32_t lo = 0, hi = lt->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (lt->row[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (uint32_t i = lo, back = 0; i > 0 && back <= DL_BACK; i--, back++) {
		const struct es_linerow *w = &lt->row[i - 1];

		if (vaddr - w->addr < w->len) {
			if (!w->line)
				return 0;
			*file = w->file;
			*line = w->line;
			return 1;
		}
	}
	return 0;
}

void es_lines_free(struct es_lines *lt)
{
	free(lt->row);
	memset(lt, 0, sizeof(*lt));
}
