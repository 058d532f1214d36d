// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * elfsym.c: the functions of one ELF file by address, for naming user stack frames (elfsym.h).
 *
 * The file is hostile until proven otherwise: any binary a traced process runs. So it is read
 * with pread only (a file truncated while mapped would SIGBUS the agent), every offset and size
 * is checked against the file's size (at most 2 GiB) without an addition that could wrap
 * (in_file), tables are read in bounded pieces (4096 symbols at a time; names through one
 * window of 64-256 KiB, in file order), and what is kept is bounded: ES_MAX_FUNCS symbols,
 * ES_POOL_MAX bytes of names, no name longer than ES_NAME_MAX, Go's functions and pc tables
 * capped in gopclntab.c. Nothing recurses. A file that shrinks while it is read is
 * refused (a short pread), never read past.
 *
 * What a file must get right to open at all: the ELF header, the program and section header
 * tables, and every segment and section with file data inside the file (so a truncated file is
 * refused, not half-read). A symbol or string table it cannot use is skipped with a note.
 *
 * Lookups: the file offset becomes an address through the PT_LOAD headers (an executable one
 * first), then Go's table (gopclntab.c) is asked, then the ELF symbols (with file:line from the
 * DWARF line tables, dwarfline.c, when the file has .debug_line): a binary search for the
 * last symbol at or below the address, which holds it when [value, value + size) does; a size-0
 * symbol (hand-written assembly) holds everything up to the end of its section, and as the
 * nearest symbol below, nothing after the next symbol. At one address, GLOBAL beats WEAK beats
 * LOCAL, a sized symbol beats a size-0 one.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "elfsym.h"
#include "gopclntab.h"
#include "dwarfline.h"

#define ES_FILE_MAX (2ull << 30)   /* larger files are refused */
#define ES_SHNUM_MAX (1u << 16)    /* section headers */
#define ES_SYM_CHUNK 4096u         /* symbols per read */
#define ES_NOTE_MAX (64u << 10)    /* bytes of one note area looked at */
#define ES_BACK 16                 /* sized symbols below the nearest one that may still hold an address */
#define ES_SCAN_TRIES 8            /* pclntab magics tried when there are no section headers */

struct es_load {
	uint64_t off, filesz, vaddr, memsz;
	uint32_t flags;
};

struct es_sec {
	uint32_t name, type, link;
	uint64_t flags, addr, off, size, align, entsize;
};

/* A function while the tables are read... */
struct es_sym {
	uint64_t addr, end; /* [addr, end): where it names an address */
	uint64_t src;       /* file offset of its name */
	uint64_t srcend;    /* end of its string table */
	uint32_t name;      /* pool offset */
	uint8_t rank;       /* 3 GLOBAL, 2 WEAK/UNIQUE, 1 LOCAL */
	uint8_t sized;
};

/* ...and as kept (rewritten in place over the above: never larger). */
struct es_fsym {
	uint64_t addr, end;
	uint32_t name, sized;
};
_Static_assert(sizeof(struct es_fsym) <= sizeof(struct es_sym), "es_fsym is written over es_sym");

struct elfsym {
	struct es_load *load;
	uint32_t nload;
	struct es_fsym *sym;
	uint32_t nsym;
	struct es_gotab go;
	struct es_lines lines; /* DWARF .debug_line: file:line for C/C++ */
	struct es_pool pool;
	size_t mem;
	char build_id[129];
	char note[256];
};

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* off + len inside a file of size bytes (all three are below 2^64 and checked without adding). */
static int in_file(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

int es_pread(struct es_reader *r, void *dst, uint64_t off, uint64_t len)
{
	uint8_t *d = dst;

	if (!in_file(off, len, r->size))
		return -1;
	while (len > 0) {
		size_t n = len > (1u << 30) ? (1u << 30) : (size_t)len;
		ssize_t got = pread(r->fd, d, n, (off_t)off);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			r->short_read = 1;
			return -1;
		}
		d += got;
		off += (uint64_t)got;
		len -= (uint64_t)got;
	}
	return 0;
}

const uint8_t *es_span(struct es_reader *r, uint64_t off, uint64_t end, size_t want, size_t *got)
{
	uint64_t need, avail;

	if (end > r->size)
		end = r->size;
	if (off >= end || want == 0)
		return NULL;
	if (want > ES_WIN)
		want = ES_WIN;
	need = end - off < want ? end - off : want;
	if (!r->buf || !(off >= r->woff && off - r->woff <= r->wlen && r->wlen - (off - r->woff) >= need)) {
		uint64_t len = need < ES_READ ? ES_READ : need;

		if (len > r->size - off)
			len = r->size - off;
		r->wlen = 0;
		if (len > r->cap) {
			uint8_t *b = realloc(r->buf, (size_t)len);

			if (!b)
				return NULL;
			r->buf = b;
			r->cap = (size_t)len;
		}
		if (es_pread(r, r->buf, off, len) < 0)
			return NULL;
		r->woff = off;
		r->wlen = (size_t)len;
	}
	avail = r->wlen - (off - r->woff);
	if (avail > end - off)
		avail = end - off;
	*got = (size_t)avail;
	return r->buf + (off - r->woff);
}

static int pool_reserve(struct es_pool *pool, size_t n)
{
	size_t cap;
	char *p;

	if (n > ES_POOL_MAX || pool->len > ES_POOL_MAX - n)
		return -1;
	if (pool->len + n <= pool->cap)
		return 0;
	cap = pool->cap ? pool->cap : 4096;
	while (cap < pool->len + n)
		cap *= 2;
	if (cap > ES_POOL_MAX)
		cap = ES_POOL_MAX;
	p = realloc(pool->p, cap);
	if (!p)
		return -1;
	pool->p = p;
	pool->cap = cap;
	return 0;
}

uint32_t es_pool_mem(struct es_pool *pool, const char *s, size_t n)
{
	uint32_t at;

	if (pool_reserve(pool, n + 1) < 0)
		return ES_NONE;
	at = (uint32_t)pool->len;
	memcpy(pool->p + pool->len, s, n);
	pool->p[pool->len + n] = 0;
	pool->len += n + 1;
	return at;
}

void es_pool_hint(struct es_pool *pool, uint64_t n)
{
	if (n > (64u << 20))
		n = 64u << 20;
	pool_reserve(pool, (size_t)n);
}

uint32_t es_pool_str(struct es_pool *pool, struct es_reader *r, uint64_t off, uint64_t end)
{
	const uint8_t *s;
	const void *nul;
	size_t got, n;
	uint32_t at;

	s = es_span(r, off, end, ES_NAME_MAX, &got);
	if (!s)
		return ES_NONE;
	if (got > ES_NAME_MAX - 1)
		got = ES_NAME_MAX - 1;
	nul = memchr(s, 0, got);
	n = nul ? (size_t)((const uint8_t *)nul - s) : got;
	if (n == 0)
		return 0;
	if (pool_reserve(pool, n + 1) < 0)
		return ES_NONE;
	at = (uint32_t)pool->len;
	memcpy(pool->p + pool->len, s, n);
	pool->p[pool->len + n] = 0;
	pool->len += n + 1;
	return at;
}

static void note_add(struct elfsym *es, const char *fmt, ...)
{
	size_t n = strlen(es->note);
	va_list ap;

	if (n + 3 >= sizeof(es->note))
		return;
	if (n) {
		memcpy(es->note + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(es->note + n, sizeof(es->note) - n, fmt, ap);
	va_end(ap);
}

/* Looks for NT_GNU_BUILD_ID in the notes at [off, off + size). */
static void find_build_id(struct elfsym *es, struct es_reader *r, uint64_t off, uint64_t size,
			  uint64_t align)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p;
	uint64_t pos = 0, a = align == 8 ? 8 : 4;
	size_t n;

	if (es->build_id[0] || size == 0)
		return;
	p = es_span(r, off, off + (size < ES_NOTE_MAX ? size : ES_NOTE_MAX), ES_NOTE_MAX, &n);
	if (!p)
		return;
	while (pos + 12 <= n) {
		uint64_t namesz = le32(p + pos), descsz = le32(p + pos + 4);
		uint32_t type = le32(p + pos + 8);
		uint64_t name = pos + 12;
		uint64_t desc = name + ((namesz + a - 1) & ~(a - 1));
		uint64_t next = desc + ((descsz + a - 1) & ~(a - 1));

		if (desc > n || descsz > n - desc)
			return;
		if (type == NT_GNU_BUILD_ID && namesz == 4 && !memcmp(p + name, "GNU", 4) && descsz >= 1 &&
		    descsz <= (sizeof(es->build_id) - 1) / 2) {
			for (uint64_t i = 0; i < descsz; i++) {
				es->build_id[2 * i] = hex[p[desc + i] >> 4];
				es->build_id[2 * i + 1] = hex[p[desc + i] & 15];
			}
			es->build_id[2 * descsz] = 0;
			return;
		}
		pos = next;
	}
}

static int sym_by_src(const void *a, const void *b)
{
	const struct es_sym *x = a, *y = b;

	return x->src < y->src ? -1 : x->src > y->src;
}

static int sym_by_addr(const void *a, const void *b)
{
	const struct es_sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank > y->rank ? -1 : 1;
	if (x->sized != y->sized)
		return x->sized > y->sized ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;
}

/* The end of a size-0 function at addr in section shndx: that section's end, else its
 * segment's, else addr (it then names nothing). */
static uint64_t unsized_end(const struct elfsym *es, const struct es_sec *sec, uint32_t nsec,
			    uint32_t shndx, uint64_t addr)
{
	if (shndx < nsec && shndx != SHN_UNDEF && (sec[shndx].flags & SHF_ALLOC) && addr >= sec[shndx].addr &&
	    addr - sec[shndx].addr < sec[shndx].size)
		return sec[shndx].addr + sec[shndx].size;
	for (uint32_t i = 0; i < es->nload; i++) {
		const struct es_load *l = &es->load[i];

		if (addr >= l->vaddr && addr - l->vaddr < l->memsz)
			return l->vaddr + l->memsz;
	}
	return addr;
}

/* Appends the functions of symbol table sec[t] to *v (read in chunks; at most ES_MAX_FUNCS
 * examined, and kept from both tables together). */
static void read_syms(struct elfsym *es, struct es_reader *r, const struct es_sec *sec, uint32_t nsec,
		      uint32_t t, struct es_sym **v, uint32_t *n, uint32_t *cap)
{
	const struct es_sec *s = &sec[t], *str;
	const char *what = s->type == SHT_SYMTAB ? ".symtab" : ".dynsym";
	uint64_t count, i;
	uint8_t *chunk;

	if (s->entsize != sizeof(Elf64_Sym)) {
		note_add(es, "%s skipped: entry size %llu", what, (unsigned long long)s->entsize);
		return;
	}
	if (s->link >= nsec || sec[s->link].type != SHT_STRTAB) {
		note_add(es, "%s skipped: no string table", what);
		return;
	}
	str = &sec[s->link];
	es_pool_hint(&es->pool, str->size); /* the names will take about that */
	count = s->size / sizeof(Elf64_Sym);
	if (count > ES_MAX_FUNCS) {
		note_add(es, "%s cut at %u of %llu symbols", what, ES_MAX_FUNCS, (unsigned long long)count);
		count = ES_MAX_FUNCS;
	}
	chunk = malloc(ES_SYM_CHUNK * sizeof(Elf64_Sym));
	if (!chunk)
		return;
	for (i = 0; i < count; i += ES_SYM_CHUNK) {
		uint64_t k = count - i < ES_SYM_CHUNK ? count - i : ES_SYM_CHUNK;

		if (es_pread(r, chunk, s->off + i * sizeof(Elf64_Sym), k * sizeof(Elf64_Sym)) < 0) {
			note_add(es, "%s unreadable", what);
			break;
		}
		for (uint64_t j = 0; j < k; j++) {
			const uint8_t *e = chunk + j * sizeof(Elf64_Sym);
			uint32_t name = le32(e), type = e[4] & 15, bind = e[4] >> 4;
			uint16_t shndx = le16(e + 6);
			uint64_t value = le64(e + 8), size = le64(e + 16);
			struct es_sym *y;

			if ((type != STT_FUNC && type != STT_GNU_IFUNC) || shndx == SHN_UNDEF || value == 0 ||
			    name == 0 || name >= str->size)
				continue;
			if (*n >= ES_MAX_FUNCS)
				goto out;
			if (*n == *cap) {
				uint32_t nc = *cap ? *cap * 2 : 1024;
				struct es_sym *nv;

				if (nc > ES_MAX_FUNCS)
					nc = ES_MAX_FUNCS;
				nv = realloc(*v, nc * sizeof(**v));
				if (!nv)
					goto out;
				*v = nv;
				*cap = nc;
			}
			y = &(*v)[(*n)++];
			y->addr = value;
			y->sized = size != 0;
			y->end = size ? (value + size < value ? UINT64_MAX : value + size)
				      : unsized_end(es, sec, nsec, shndx, value);
			y->src = str->off + name;
			y->srcend = str->off + str->size;
			y->name = 0;
			y->rank = bind == STB_GLOBAL ? 3 : (bind == STB_WEAK || bind == STB_GNU_UNIQUE) ? 2 : 1;
		}
	}
out:
	free(chunk);
}

/* Names (in file order, so the window moves forward), then the address order with one entry per
 * address. Takes v (freed or kept as es->sym). */
static int finish_syms(struct elfsym *es, struct es_reader *r, struct es_sym *v, uint32_t n)
{
	uint64_t last = UINT64_MAX;
	uint32_t last_name = ES_NONE, o = 0;
	struct es_fsym *fs;

	if (n == 0) {
		free(v);
		return 0;
	}
	qsort(v, n, sizeof(*v), sym_by_src);
	for (uint32_t i = 0; i < n; i++) {
		if (v[i].src != last) {
			last = v[i].src;
			last_name = es_pool_str(&es->pool, r, v[i].src, v[i].srcend);
		}
		if (last_name == ES_NONE || last_name == 0)
			continue;
		v[o] = v[i];
		v[o++].name = last_name;
	}
	if (o < n && r->short_read) {
		free(v);
		return -1;
	}
	n = o;
	qsort(v, n, sizeof(*v), sym_by_addr);
	o = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (o && v[o - 1].addr == v[i].addr) {
			/* an alias: the first one keeps its name, the range is the widest of its kind */
			struct es_sym *k = &v[o - 1];

			if (v[i].sized == k->sized && v[i].end > k->end)
				k->end = v[i].end;
			else if (v[i].sized && !k->sized) {
				k->end = v[i].end;
				k->sized = 1;
			}
			continue;
		}
		v[o++] = v[i];
	}
	/* compact in place: fs[i] ends before v[i + 1] starts, and v[i] is read first */
	fs = (struct es_fsym *)(void *)v;
	for (uint32_t i = 0; i < o; i++) {
		struct es_fsym t = { v[i].addr, v[i].end, v[i].name, v[i].sized };

		memcpy(&fs[i], &t, sizeof(t));
	}
	es->sym = fs;
	es->nsym = o;
	if (o) {
		struct es_fsym *p = realloc(fs, o * sizeof(*fs));

		if (p)
			es->sym = p;
	}
	es->mem += (size_t)es->nsym * sizeof(*fs);
	return 0;
}

/* Without section headers: the pclntab is found by its magic in a loaded segment. */
static void scan_pclntab(struct elfsym *es, struct es_reader *r, const struct es_range *x, size_t nx)
{
	int tries = 0;

	for (uint32_t i = 0; i < es->nload && !es->go.n && tries < ES_SCAN_TRIES; i++) {
		const struct es_load *l = &es->load[i];
		uint64_t pos = l->off, end = l->off + l->filesz;

		while (pos + 16 <= end && !es->go.n && tries < ES_SCAN_TRIES) {
			size_t got, k;
			const uint8_t *p = es_span(r, pos, end, ES_WIN, &got);

			if (!p || got < 16)
				break;
			for (k = 0; k + 16 <= got; k += 8) {
				uint32_t magic = le32(p + k);

				if ((magic == 0xfffffff0 || magic == 0xfffffff1 || magic == 0xfffffffa) &&
				    p[k + 4] == 0 && p[k + 5] == 0 && (p[k + 6] == 1 || p[k + 6] == 2 || p[k + 6] == 4) &&
				    p[k + 7] == 8)
					break;
			}
			if (k + 16 > got) {
				pos += (uint64_t)(got - 8) & ~7ull;
				continue;
			}
			tries++;
			{
				char note[160] = "";

				if (es_gotab_load(&es->go, &es->pool, r, pos + k, end - (pos + k), 0, x, nx, note,
						  sizeof(note)) < 0)
					es_gotab_free(&es->go);
				else if (note[0])
					note_add(es, "%s", note);
			}
			pos += k + 8;
		}
	}
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int read_elf(struct elfsym *es, struct es_reader *r, char *err, size_t errlen)
{
	uint8_t eh[sizeof(Elf64_Ehdr)];
	uint64_t phoff, shoff;
	uint32_t phnum, shnum, shstrndx, nsec = 0, nx = 0;
	struct es_sec *sec = NULL;
	struct es_range *x = NULL;
	struct es_sym *v = NULL;
	uint32_t nv = 0, capv = 0;
	uint64_t text = 0;
	int64_t pcln = -1;
	uint64_t pcln_size = 0;
	struct es_dwsec dw_line = { 0, 0 }, dw_line_str = { 0, 0 }, dw_str = { 0, 0 };
	uint8_t *tab = NULL;
	int rc = -1, frc;

	if (r->size == 0)
		return fail(err, errlen, "empty file");
	if (r->size < sizeof(eh) || es_pread(r, eh, 0, sizeof(eh)) < 0) {
		if (r->size >= 4 && es_pread(r, eh, 0, 4) == 0 && memcmp(eh, ELFMAG, SELFMAG))
			return fail(err, errlen, "not an ELF file");
		return fail(err, errlen, "too short for an ELF header (%llu bytes)", (unsigned long long)r->size);
	}
	if (memcmp(eh, ELFMAG, SELFMAG))
		return fail(err, errlen, "not an ELF file");
	if (eh[EI_CLASS] == ELFCLASS32)
		return fail(err, errlen, "32-bit ELF is not supported");
	if (eh[EI_CLASS] != ELFCLASS64)
		return fail(err, errlen, "bad ELF class %u", eh[EI_CLASS]);
	if (eh[EI_DATA] != ELFDATA2LSB)
		return fail(err, errlen, "big-endian ELF is not supported");
	if (le16(eh + 16) != ET_EXEC && le16(eh + 16) != ET_DYN)
		return fail(err, errlen, "not an executable or shared object (e_type %u)", le16(eh + 16));
	phoff = le64(eh + 32);
	shoff = le64(eh + 40);
	phnum = le16(eh + 56);
	shnum = le16(eh + 60);
	shstrndx = le16(eh + 62);
	if (phnum && le16(eh + 54) != sizeof(Elf64_Phdr))
		return fail(err, errlen, "bad program header size %u", le16(eh + 54));
	if (shoff && le16(eh + 58) != sizeof(Elf64_Shdr))
		return fail(err, errlen, "bad section header size %u", le16(eh + 58));

	/* Section 0 holds the real counts when they do not fit the header's 16 bits. */
	if (shoff) {
		uint8_t s0[sizeof(Elf64_Shdr)];

		if (!in_file(shoff, sizeof(s0), r->size) || es_pread(r, s0, shoff, sizeof(s0)) < 0)
			return fail(err, errlen, "truncated: section headers beyond the end of the file");
		if (shnum == 0)
			shnum = le64(s0 + 32) > ES_SHNUM_MAX ? ES_SHNUM_MAX + 1 : (uint32_t)le64(s0 + 32);
		if (shstrndx == SHN_XINDEX)
			shstrndx = le32(s0 + 40);
		if (phnum == PN_XNUM)
			phnum = le32(s0 + 44);
		if (shnum > ES_SHNUM_MAX)
			return fail(err, errlen, "too many sections");
	} else {
		shnum = 0;
	}

	/* Program headers: the loaded segments and the notes. */
	if (phnum > ES_SHNUM_MAX)
		return fail(err, errlen, "too many program headers");
	if (phnum && !in_file(phoff, (uint64_t)phnum * sizeof(Elf64_Phdr), r->size))
		return fail(err, errlen, "truncated: program headers beyond the end of the file");
	if (phnum) {
		tab = malloc((size_t)phnum * sizeof(Elf64_Phdr));
		es->load = calloc(phnum, sizeof(*es->load));
		x = calloc(phnum, sizeof(*x));
		if (!tab || !es->load || !x) {
			fail(err, errlen, "out of memory");
			goto out;
		}
		if (es_pread(r, tab, phoff, (uint64_t)phnum * sizeof(Elf64_Phdr)) < 0) {
			fail(err, errlen, "cannot read the program headers");
			goto out;
		}
		es->mem += (size_t)phnum * sizeof(*es->load);
	}
	for (uint32_t i = 0; i < phnum; i++) {
		const uint8_t *p = tab + (size_t)i * sizeof(Elf64_Phdr);
		uint32_t type = le32(p), flags = le32(p + 4);
		uint64_t off = le64(p + 8), vaddr = le64(p + 16), filesz = le64(p + 32), memsz = le64(p + 40);

		if ((type == PT_LOAD || type == PT_NOTE) && !in_file(off, filesz, r->size)) {
			fail(err, errlen, "truncated: segment %u (file bytes %llu..%llu) beyond the end of the file (%llu bytes)",
			     i, (unsigned long long)off, (unsigned long long)(off + filesz), (unsigned long long)r->size);
			goto out;
		}
		if (type == PT_LOAD) {
			struct es_load *l = &es->load[es->nload++];

			l->off = off;
			l->filesz = filesz;
			l->vaddr = vaddr;
			l->memsz = memsz < filesz ? filesz : memsz;
			if (vaddr + l->memsz < vaddr)
				l->memsz = UINT64_MAX - vaddr;
			l->flags = flags;
			if (flags & PF_X) {
				x[nx].lo = vaddr;
				x[nx++].hi = vaddr + l->memsz;
			}
		} else if (type == PT_NOTE) {
			find_build_id(es, r, off, filesz, le64(p + 48));
		}
	}
	free(tab);
	tab = NULL;

	/* Section headers. */
	if (shnum) {
		const struct es_sec *ss;
		uint64_t shstr_end = 0, shstr_off = 0;

		if (!in_file(shoff, (uint64_t)shnum * sizeof(Elf64_Shdr), r->size)) {
			fail(err, errlen, "truncated: section headers beyond the end of the file");
			goto out;
		}
		tab = malloc((size_t)shnum * sizeof(Elf64_Shdr));
		sec = calloc(shnum, sizeof(*sec));
		if (!tab || !sec) {
			fail(err, errlen, "out of memory");
			goto out;
		}
		if (es_pread(r, tab, shoff, (uint64_t)shnum * sizeof(Elf64_Shdr)) < 0) {
			fail(err, errlen, "cannot read the section headers");
			goto out;
		}
		for (nsec = 0; nsec < shnum; nsec++) {
			const uint8_t *p = tab + (size_t)nsec * sizeof(Elf64_Shdr);
			struct es_sec *s = &sec[nsec];

			s->name = le32(p);
			s->type = le32(p + 4);
			s->flags = le64(p + 8);
			s->addr = le64(p + 16);
			s->off = le64(p + 24);
			s->size = le64(p + 32);
			s->link = le32(p + 40);
			s->align = le64(p + 48);
			s->entsize = le64(p + 56);
			if (nsec && s->type != SHT_NOBITS && s->type != SHT_NULL && !in_file(s->off, s->size, r->size)) {
				fail(err, errlen, "truncated: section %u (file bytes %llu..%llu) beyond the end of the file (%llu bytes)",
				     nsec, (unsigned long long)s->off, (unsigned long long)(s->off + s->size),
				     (unsigned long long)r->size);
				goto out;
			}
		}
		free(tab);
		tab = NULL;
		if (shstrndx && shstrndx < nsec && sec[shstrndx].type == SHT_STRTAB) {
			shstr_off = sec[shstrndx].off;
			shstr_end = shstr_off + sec[shstrndx].size;
		}
		for (uint32_t i = 1; i < nsec; i++) {
			const uint8_t *nm;
			size_t got = 0, len;
			const void *z;

			ss = &sec[i];
			if (ss->type == SHT_NOTE)
				find_build_id(es, r, ss->off, ss->size, ss->align);
			if (ss->type != SHT_PROGBITS || !shstr_end)
				continue;
			nm = es_span(r, shstr_off + ss->name, shstr_end, 64, &got);
			if (!nm || ss->name >= shstr_end - shstr_off)
				continue;
			z = memchr(nm, 0, got);
			if (!z)
				continue;
			len = (size_t)((const uint8_t *)z - nm);
			if (len == 5 && !memcmp(nm, ".text", 5) && !text)
				text = ss->addr;
			if (len >= 10 && !memcmp(nm + len - 10, ".gopclntab", 10) && pcln < 0 && ss->size) {
				pcln = (int64_t)ss->off;
				pcln_size = ss->size;
			}
			if (len >= 10 && !memcmp(nm, ".debug_", 7)) {
				struct es_dwsec *w = len == 11 && !memcmp(nm, ".debug_line", 11) ? &dw_line
						     : len == 15 && !memcmp(nm, ".debug_line_str", 15) ? &dw_line_str
						     : len == 10 && !memcmp(nm, ".debug_str", 10) ? &dw_str
						     : NULL;

				/* compressed debug sections (SHF_COMPRESSED, zlib/zstd) are not read:
				 * inflating an attacker's stream is not worth file:line */
				if (w && (ss->flags & SHF_COMPRESSED)) {
					if (w == &dw_line)
						note_add(es, "no C file:line: .debug_line is compressed");
				} else if (w && !w->size) {
					w->off = ss->off;
					w->size = ss->size;
				}
			}
		}
		/* .symtab, then .dynsym: a stripped file keeps only the latter. */
		for (uint32_t want = SHT_SYMTAB; want; want = want == SHT_SYMTAB ? SHT_DYNSYM : 0)
			for (uint32_t i = 1; i < nsec; i++)
				if (sec[i].type == want) {
					read_syms(es, r, sec, nsec, i, &v, &nv, &capv);
					break;
				}
	}
	frc = finish_syms(es, r, v, nv); /* v is gone from here */
	v = NULL;
	if (frc < 0) {
		fail(err, errlen, "truncated while reading symbol names");
		goto out;
	}

	/* Go's table. */
	if (pcln >= 0) {
		char note[160] = "";

		if (es_gotab_load(&es->go, &es->pool, r, (uint64_t)pcln, pcln_size, text, x, nx, note, sizeof(note)) < 0)
			es_gotab_free(&es->go);
		if (note[0])
			note_add(es, "%s", note);
	} else if (!shnum) {
		scan_pclntab(es, r, x, nx);
	}

	/* DWARF line tables (C, C++; a Go binary's too, but Go's own table answers first). */
	if (dw_line.size && nx) {
		char note[160] = "";

		es_lines_load(&es->lines, &es->pool, r, &dw_line, &dw_line_str, &dw_str, x, nx, note, sizeof(note));
		if (note[0])
			note_add(es, "%s", note);
	}
	if (r->short_read) {
		fail(err, errlen, "a read failed or the file shrank while it was read");
		goto out;
	}
	if (es->pool.len < es->pool.cap) {
		char *p = realloc(es->pool.p, es->pool.len);

		if (p) {
			es->pool.p = p;
			es->pool.cap = es->pool.len;
		}
	}
	es->mem += es->go.mem + es->lines.mem + es->pool.cap + sizeof(*es);
	rc = 0;
out:
	free(tab);
	free(sec);
	free(x);
	free(v);
	return rc;
}

struct elfsym *elfsym_open(int fd, char *err, size_t errlen)
{
	struct es_reader r = { .fd = fd };
	struct elfsym *es;
	struct stat st;

	if (err && errlen)
		err[0] = 0;
	if (fstat(fd, &st) < 0) {
		fail(err, errlen, "fstat: %s", strerror(errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		fail(err, errlen, "not a regular file");
		return NULL;
	}
	if ((uint64_t)st.st_size > ES_FILE_MAX) {
		fail(err, errlen, "too big (%llu bytes, at most %llu)", (unsigned long long)st.st_size,
		     (unsigned long long)ES_FILE_MAX);
		return NULL;
	}
	r.size = (uint64_t)st.st_size;
	es = calloc(1, sizeof(*es));
	if (!es) {
		fail(err, errlen, "out of memory");
		return NULL;
	}
	if (pool_reserve(&es->pool, 1) < 0) {
		free(es);
		fail(err, errlen, "out of memory");
		return NULL;
	}
	es->pool.p[0] = 0;
	es->pool.len = 1;
	if (read_elf(es, &r, err, errlen) < 0) {
		free(r.buf);
		elfsym_close(es);
		return NULL;
	}
	free(r.buf);
	return es;
}

void elfsym_close(struct elfsym *es)
{
	if (!es)
		return;
	free(es->load);
	free(es->sym);
	es_gotab_free(&es->go);
	es_lines_free(&es->lines);
	free(es->pool.p);
	free(es);
}

const char *elfsym_build_id(const struct elfsym *es)
{
	return es->build_id;
}

void elfsym_stats(const struct elfsym *es, struct elfsym_stats *st)
{
	st->nsyms = es->nsym;
	st->ngo = es->go.n;
	st->go_version = es->go.n ? es->go.version : 0;
	st->go_lines = es->go.n && es->go.pclen && es->go.cutab && es->go.files;
	st->mem = es->mem;
	st->note = es->note;
}

/* The address of file offset off: the segment that holds it, an executable one first. */
static int off_to_vaddr(const struct elfsym *es, uint64_t off, uint64_t *va)
{
	int found = 0;

	for (uint32_t i = 0; i < es->nload; i++) {
		const struct es_load *l = &es->load[i];

		if (off < l->off || off - l->off >= l->filesz)
			continue;
		if (l->flags & PF_X) {
			*va = l->vaddr + (off - l->off);
			return 1;
		}
		if (!found) {
			*va = l->vaddr + (off - l->off);
			found = 1;
		}
	}
	return found;
}

int elfsym_lookup(const struct elfsym *es, uint64_t file_off, struct elfsym_hit *hit)
{
	uint64_t va;
	uint32_t lo = 0, hi = es->nsym;

	memset(hit, 0, sizeof(*hit));
	if (!off_to_vaddr(es, file_off, &va))
		return 0;
	if (es_gotab_lookup(&es->go, &es->pool, va, hit))
		return 1;
	/* the last symbol at or below va */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (es->sym[mid].addr <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	for (uint32_t i = lo, back = 0; i > 0 && back <= ES_BACK; i--, back++) {
		const struct es_fsym *s = &es->sym[i - 1];

		if (va < s->end && (back == 0 || s->sized)) {
			uint32_t file, line;

			hit->name = es->pool.p + s->name;
			hit->off = va - s->addr;
			if (es->lines.n && es_lines_lookup(&es->lines, va, &file, &line) && file != ES_NONE) {
				hit->file = es->pool.p + file;
				hit->line = line;
			}
			return 1;
		}
	}
	return 0;
}
