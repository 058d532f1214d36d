// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * gopclntab.c: Go's function table (.gopclntab), which a Go binary keeps even when stripped
 * (`-ldflags='-s -w'`), because the runtime itself needs it for tracebacks.
 *
 * The layout, as Go documents it (src/runtime/symtab.go pcHeader and _func,
 * src/debug/gosym/pclntab.go); all little-endian here, pointers 8 bytes:
 *
 *   header  magic u32 (0xfffffffa Go 1.16/1.17, 0xfffffff0 1.18/1.19, 0xfffffff1 1.20+),
 *           two zero bytes, pc quantum u8 (1, 2 or 4), pointer size u8 (8), then 8-byte words:
 *           nfunc, nfiles, [textStart: 1.18+], and the offsets from the header of funcnametab,
 *           cutab, filetab, pctab and pclntab (functab + _func records).
 *   functab nfunc pairs (entry, _func offset from functab) and one more entry, the end of the
 *           last function; entries are u32 offsets from textStart (1.18+) or 8-byte addresses.
 *   _func   entry (u32 1.18+, else 8 bytes), then u32s: nameoff (funcnametab), args,
 *           deferreturn, pcsp, pcfile, pcln (pctab), npcdata, cuOffset (cutab).
 *   pc tables (pctab): pairs of varints, value delta (zig-zag: bit 0 = negative) then pc delta
 *           in quanta, starting at value -1 at the entry; a value holds up to (not including)
 *           the pc reached; a value delta of 0 after the first pair ends the table. pcfile's
 *           value indexes cutab from cuOffset; cutab gives the name's offset in filetab
 *           (~0: none). pcln's value is the line.
 *
 * What is kept: per function its entry, its name (in the file's name pool) and the pcfile and
 * pcln tables it uses (copied once each, so identical tables are shared as in the file),
 * plus cutab and filetab. The header-declared sections are only read where they point, in file
 * order through the reader's window, so opening never holds the whole pclntab either.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include "gopclntab.h"

#define GO_PCTAB_MAX (256u << 10)  /* bytes of one pc table (= ES_WIN) */
#define GO_PC_MAX (256u << 20)     /* bytes of all kept pc tables */
#define GO_FILES_MAX (64u << 20)   /* cutab, filetab */
#define GO_MAX_FUNCS (1u << 20)    /* a 100 MB Go binary has ~150k: 64 MB to read a table this big */

enum { R_NAME, R_CU, R_FILE, R_PC, R_FUNC, R_N };

struct go_item {
	uint64_t src; /* where to read, relative to the pclntab */
	uint32_t idx; /* function (pc tables: function * 2 + 1 for pcln) */
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int item_cmp(const void *a, const void *b)
{
	const struct go_item *x = a, *y = b;

	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Real files list their records in file order already: sort only when they do not. */
static void sort_items(struct go_item *it, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (item_cmp(&it[i - 1], &it[i]) > 0) {
			qsort(it, n, sizeof(*it), item_cmp);
			return;
		}
}

static int fn_cmp(const void *a, const void *b)
{
	const struct es_gofn *x = a, *y = b;

	return x->entry < y->entry ? -1 : x->entry > y->entry;
}

/* One varint of at most 5 bytes from [*p, e). */
static int varint(const uint8_t **p, const uint8_t *e, uint32_t *v)
{
	uint32_t r = 0;

	for (int shift = 0; shift < 35; shift += 7) {
		uint8_t b;

		if (*p >= e)
			return -1;
		b = *(*p)++;
		r |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

/* Length of the pc table at p (its ending 0 included), 0 if it does not end within n bytes. */
static size_t pctab_len(const uint8_t *p, size_t n)
{
	const uint8_t *q = p, *e = p + n;
	int first = 1;

	for (;;) {
		uint32_t dv, dpc;

		if (varint(&q, e, &dv) < 0)
			return 0;
		if (dv == 0 && !first)
			return (size_t)(q - p);
		if (varint(&q, e, &dpc) < 0)
			return 0;
		first = 0;
	}
}

static void note_set(char *note, size_t notelen, const char *what)
{
	if (note && notelen)
		snprintf(note, notelen, ".gopclntab: %s", what);
}

/* The end of the region starting at start: the next region's start, or the end of the table. */
static uint64_t region_end(const uint64_t *reg, uint64_t start, uint64_t size)
{
	uint64_t end = size;

	for (int i = 0; i < R_N; i++)
		if (reg[i] > start && reg[i] < end)
			end = reg[i];
	return end;
}

/* Copies region [a, b) of the table at off whole, with a NUL after it. */
static uint8_t *read_region(struct es_reader *r, uint64_t off, uint64_t a, uint64_t b)
{
	uint8_t *p;

	if (b < a || b - a > GO_FILES_MAX)
		return NULL;
	p = malloc((size_t)(b - a) + 1);
	if (!p)
		return NULL;
	if (es_pread(r, p, off + a, b - a) < 0) {
		free(p);
		return NULL;
	}
	p[b - a] = 0;
	return p;
}

/* The pcfile and pcln tables, copied in file order; the functions then refer to the copies. */
static void copy_pc_tables(struct es_gotab *gt, struct es_reader *r, uint64_t base, uint64_t end,
			   struct go_item *it, char *note, size_t notelen)
{
	uint32_t n = 0, last_at = ES_NONE;
	uint64_t last = UINT64_MAX;
	size_t cap = 0;

	/* All of pctab at most: pages never written cost nothing, and the copy never moves. */
	cap = end - base < GO_PC_MAX ? (size_t)(end - base) : GO_PC_MAX;
	gt->pc = cap ? malloc(cap) : NULL;
	if (!gt->pc)
		cap = 0;

	for (uint32_t i = 0; i < gt->n; i++) {
		if (gt->fn[i].pcfile) {
			it[n].src = gt->fn[i].pcfile;
			it[n++].idx = i * 2;
		}
		if (gt->fn[i].pcln) {
			it[n].src = gt->fn[i].pcln;
			it[n++].idx = i * 2 + 1;
		}
		gt->fn[i].pcfile = gt->fn[i].pcln = ES_NONE;
	}
	if (n == 0)
		return;
	sort_items(it, n);
	for (uint32_t i = 0; i < n; i++) {
		struct es_gofn *f = &gt->fn[it[i].idx / 2];

		if (it[i].src != last) {
			const uint8_t *p;
			size_t got = 0, len;

			last = it[i].src;
			last_at = ES_NONE;
			/* most tables are short: ask for more only when one does not end in what came */
			len = 0;
			for (size_t want = 4096; want <= GO_PCTAB_MAX && !len; want *= 8) {
				p = es_span(r, base + last, end, want, &got);
				if (!p)
					break;
				len = pctab_len(p, got);
				if (got < want)
					break;
			}
			if (len && gt->pclen + len <= GO_PC_MAX) {
				if (gt->pclen + len > cap) {
					size_t nc = cap ? cap : 65536;
					uint8_t *np;

					while (nc < gt->pclen + len)
						nc *= 2;
					if (nc > GO_PC_MAX)
						nc = GO_PC_MAX;
					np = realloc(gt->pc, nc);
					if (!np)
						break;
					gt->pc = np;
					cap = nc;
				}
				memcpy(gt->pc + gt->pclen, p, len);
				last_at = (uint32_t)gt->pclen;
				gt->pclen += len;
			} else if (len) {
				note_set(note, notelen, "pc tables cut (too big)");
			}
		}
		if (it[i].idx & 1)
			f->pcln = last_at;
		else
			f->pcfile = last_at;
	}
	if (gt->pclen && gt->pclen < cap) {
		uint8_t *np = realloc(gt->pc, gt->pclen);

		if (np) {
			gt->pc = np;
			cap = gt->pclen;
		}
	}
	gt->mem += cap;
}

int es_gotab_load(struct es_gotab *gt, struct es_pool *pool, struct es_reader *r, uint64_t off,
		  uint64_t size, uint64_t text, const struct es_range *x, size_t nx, char *note,
		  size_t notelen)
{
	uint8_t h[8 + 8 * 8];
	uint64_t reg[R_N], nfunc, textstart = 0, hsize, fs, fsz, tabsize, func_end, end;
	uint32_t magic, version;
	uint8_t *tab = NULL;
	struct go_item *it = NULL;
	int rc = -1, ok;

	memset(gt, 0, sizeof(*gt));
	if (size < 16 || es_pread(r, h, off, 16) < 0) {
		note_set(note, notelen, "too short");
		return -1;
	}
	magic = le32(h);
	version = magic == 0xfffffffa ? 116 : magic == 0xfffffff0 ? 118 : magic == 0xfffffff1 ? 120 : 0;
	if (!version || h[4] || h[5] || (h[6] != 1 && h[6] != 2 && h[6] != 4) || h[7] != 8) {
		note_set(note, notelen, "unknown header");
		return -1;
	}
	hsize = version >= 118 ? 8 + 8 * 8 : 8 + 7 * 8;
	if (size < hsize || es_pread(r, h, off, hsize) < 0) {
		note_set(note, notelen, "too short");
		return -1;
	}
	gt->version = version;
	gt->quantum = h[6];
	nfunc = le64(h + 8);
	if (version >= 118) {
		textstart = le64(h + 24);
		for (int i = 0; i < R_N; i++)
			reg[i] = le64(h + 32 + 8 * i);
	} else {
		for (int i = 0; i < R_N; i++)
			reg[i] = le64(h + 24 + 8 * i);
	}
	for (int i = 0; i < R_N; i++)
		if (reg[i] < hsize || reg[i] > size) {
			note_set(note, notelen, "a table outside the section");
			return -1;
		}
	if (nfunc == 0)
		return 0;
	if (nfunc > GO_MAX_FUNCS) {
		note_set(note, notelen, "too many functions");
		return -1;
	}

	/* Where entry offsets count from: textStart, which must point at code. */
	if (version >= 118) {
		ok = 0;
		for (size_t i = 0; i < nx && !ok; i++)
			ok = textstart >= x[i].lo && textstart < x[i].hi;
		if (!ok && text) {
			textstart = text;
			ok = 1;
		}
		if (!ok) {
			note_set(note, notelen, "textStart is not in an executable segment");
			return -1;
		}
	}

	/* functab */
	fs = version >= 118 ? 4 : 8;
	fsz = version >= 118 ? 36 : 40; /* the _func bytes read: up to cuOffset */
	tabsize = (2 * nfunc + 1) * fs;
	func_end = region_end(reg, reg[R_FUNC], size);
	if (tabsize > func_end - reg[R_FUNC]) {
		note_set(note, notelen, "function table outside the section");
		return -1;
	}
	tab = malloc(tabsize);
	gt->fn = calloc(nfunc, sizeof(*gt->fn));
	it = malloc(2 * nfunc * sizeof(*it));
	if (!tab || !gt->fn || !it || es_pread(r, tab, off + reg[R_FUNC], tabsize) < 0) {
		note_set(note, notelen, "cannot read the function table");
		goto out;
	}
	gt->n = (uint32_t)nfunc;
	for (uint64_t i = 0; i <= nfunc; i++) {
		uint64_t e = fs == 4 ? textstart + le32(tab + 2 * i * fs) : le64(tab + 2 * i * fs);

		if (i == nfunc) {
			gt->end = e;
			break;
		}
		gt->fn[i].entry = e;
		it[i].src = fs == 4 ? le32(tab + (2 * i + 1) * fs) : le64(tab + (2 * i + 1) * fs);
		it[i].idx = (uint32_t)i;
	}
	free(tab);
	tab = NULL;

	/* _func records, in file order */
	sort_items(it, nfunc);
	for (uint64_t i = 0; i < nfunc; i++) {
		struct es_gofn *f = &gt->fn[it[i].idx];
		const uint8_t *p;
		size_t got = 0;
		uint64_t o = fs == 4 ? 4 : 8;

		if (it[i].src > func_end - reg[R_FUNC] || fsz > func_end - reg[R_FUNC] - it[i].src ||
		    !(p = es_span(r, off + reg[R_FUNC] + it[i].src, off + func_end, fsz, &got)) || got < fsz) {
			note_set(note, notelen, "a function record outside the section");
			goto out;
		}
		f->name = le32(p + o);
		f->pcfile = le32(p + o + 16);
		f->pcln = le32(p + o + 20);
		f->cu = le32(p + o + 28);
	}

	/* names, in file order */
	end = region_end(reg, reg[R_NAME], size);
	es_pool_hint(pool, end - reg[R_NAME]);
	for (uint32_t i = 0; i < gt->n; i++) {
		it[i].src = gt->fn[i].name;
		it[i].idx = i;
	}
	sort_items(it, gt->n);
	{
		uint64_t last = UINT64_MAX;
		uint32_t at = ES_NONE;

		for (uint32_t i = 0; i < gt->n; i++) {
			if (it[i].src != last) {
				last = it[i].src;
				at = last < end - reg[R_NAME]
					     ? es_pool_str(pool, r, off + reg[R_NAME] + last, off + end)
					     : ES_NONE;
			}
			if (at == ES_NONE || at == 0) {
				if (r->short_read)
					goto out;
				note_set(note, notelen, at ? "names cut (too many bytes)" : "a function without a name");
			}
			gt->fn[it[i].idx].name = at == ES_NONE ? 0 : at;
		}
	}

	/* file:line */
	end = region_end(reg, reg[R_PC], size);
	copy_pc_tables(gt, r, off + reg[R_PC], off + end, it, note, notelen);
	gt->cutab = (uint32_t *)read_region(r, off, reg[R_CU], region_end(reg, reg[R_CU], size));
	gt->ncu = gt->cutab ? (uint32_t)((region_end(reg, reg[R_CU], size) - reg[R_CU]) / 4) : 0;
	gt->files = (char *)read_region(r, off, reg[R_FILE], region_end(reg, reg[R_FILE], size));
	gt->fileslen = gt->files ? (size_t)(region_end(reg, reg[R_FILE], size) - reg[R_FILE]) : 0;
	if (r->short_read)
		goto out;
	if (!gt->cutab || !gt->files || !gt->pclen)
		note_set(note, notelen, "no file:line (tables missing or too big)");
	if (gt->cutab) /* read as bytes, used as little-endian u32s: swap nothing on LE hosts */
		for (uint32_t i = 0; i < gt->ncu; i++)
			gt->cutab[i] = le32((const uint8_t *)&gt->cutab[i]);

	/* The functab is sorted in every real file; a hostile one is sorted here. */
	for (uint32_t i = 1; i < gt->n; i++)
		if (gt->fn[i].entry < gt->fn[i - 1].entry) {
			qsort(gt->fn, gt->n, sizeof(*gt->fn), fn_cmp);
			break;
		}
	if (gt->end < gt->fn[gt->n - 1].entry)
		gt->end = gt->fn[gt->n - 1].entry;
	gt->mem += (size_t)gt->n * sizeof(*gt->fn) + (gt->cutab ? (size_t)gt->ncu * 4 + 1 : 0) +
		   (gt->files ? gt->fileslen + 1 : 0);
	rc = 0;
out:
	free(tab);
	free(it);
	return rc;
}

void es_gotab_free(struct es_gotab *gt)
{
	free(gt->fn);
	free(gt->pc);
	free(gt->cutab);
	free(gt->files);
	memset(gt, 0, sizeof(*gt));
}

/* The value of table off (in gt->pc) at pc target of the function starting at entry. */
static int pcvalue(const struct es_gotab *gt, uint32_t off, uint64_t entry, uint64_t target, int32_t *out)
{
	const uint8_t *p, *e = gt->pc + gt->pclen;
	uint32_t val = UINT32_MAX; /* -1 */
	uint64_t pc = entry;
	int first = 1;

	if (off == ES_NONE || off >= gt->pclen)
		return -1;
	p = gt->pc + off;
	for (;;) {
		uint32_t dv, dpc;

		if (varint(&p, e, &dv) < 0 || (dv == 0 && !first))
			return -1;
		val += dv & 1 ? ~(dv >> 1) : dv >> 1;
		if (varint(&p, e, &dpc) < 0)
			return -1;
		pc += (uint64_t)dpc * gt->quantum;
		if (target < pc) {
			*out = (int32_t)val;
			return 0;
		}
		first = 0;
	}
}

int es_gotab_lookup(const struct es_gotab *gt, const struct es_pool *pool, uint64_t vaddr,
		    struct elfsym_hit *hit)
{
	uint32_t lo = 0, hi = gt->n;
	const struct es_gofn *f;
	uint64_t fend;
	int32_t v;

	if (!gt->n || vaddr < gt->fn[0].entry || vaddr >= gt->end)
		return 0;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (gt->fn[mid].entry <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	f = &gt->fn[lo - 1];
	fend = lo < gt->n ? gt->fn[lo].entry : gt->end;
	if (vaddr >= fend || !f->name)
		return 0;
	hit->name = pool->p + f->name;
	hit->off = vaddr - f->entry;
	hit->file = NULL;
	hit->line = 0;
	if (gt->cutab && gt->files && pcvalue(gt, f->pcfile, f->entry, vaddr, &v) == 0 && v >= 0 &&
	    (uint64_t)f->cu + (uint64_t)v < gt->ncu) {
		uint32_t fo = gt->cutab[f->cu + (uint32_t)v];

		if (fo != UINT32_MAX && fo < gt->fileslen && gt->files[fo])
			hit->file = gt->files + fo;
	}
	if (pcvalue(gt, f->pcln, f->entry, vaddr, &v) == 0 && v > 0)
		hit->line = (uint32_t)v;
	return 1;
}
