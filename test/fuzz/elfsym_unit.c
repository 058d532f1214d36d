// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * elfsym_unit.c: unit checks of the stack-frame symbolizer (native/elfsym.c, gopclntab.c) under
 * ASan/UBSan, against the toolchain's own answers:
 *   - synthetic files built here byte by byte (Go pclntab 1.16, 1.18, 1.20 layouts, with and
 *     without section headers; .symtab + .dynsym with a LOCAL alias, a size-0 function, an
 *     IFUNC, symbols that must be skipped): names, offsets, file:line, build id;
 *   - a C program built with gcc (PIE, non-PIE, static; unstripped, stripped, -rdynamic
 *     stripped): every function readelf -sW lists is named at its file offset (readelf -lW
 *     turns addresses into offsets) with off 0, the GLOBAL name where a LOCAL alias shares the
 *     address, cleanup_volume/delete_it inside, a size-0 assembly function up to its section's
 *     end and not beyond; build ids as readelf -n prints them;
 *   - libc: `unlink` from .dynsym;
 *   - a Go program built with `go build -ldflags='-s -w'` (and -buildmode=pie): no .symtab, yet
 *     every function `go tool nm` lists on the unstripped twin is named at its entry and middle,
 *     with the file:line `go tool addr2line` gives; the Go toolchain's own `compile` (stripped,
 *     ~14k functions) sampled the same way; memory kept smaller than its .gopclntab;
 *   - hostile files: empty, garbage, truncated at many lengths, 32-bit, big-endian, header
 *     fields pointing outside the file, a directory: NULL with a reason, no crash;
 *   - how long opening libc and the Go binaries takes.
 * Needs gcc, binutils and go (scripts/setup.sh installs golang-go): a missing tool is a failure.
 * Builds in KW_ELFSYM_WORK (default build/fuzz/elfsym-work); Go's caches under
 * $KW_CACHE/go (default /var/tmp/kwitness), no network.
 *
 *   - C file:line from DWARF .debug_line (gcc -g/-gdwarf-2..5 at -O0..-O2, clang -g and
 *     -gdwarf-4): at every byte of the program's functions, the file:line `addr2line -e` gives
 *     (llvm-addr2line's where the two differ), none where it knows none; strip --strip-debug and
 *     strip: names only, or nothing, never a line; .debug_line damaged (lengths, versions,
 *     opcode tables, a cut section, random bytes): opens, still names, no crash;
 * `elfsym-unit --seeds DIR` only writes the synthetic files and two -g C programs into DIR
 * (fuzzer seeds).
 * Prints 'ok NAME' / 'FAIL NAME: why'; exit 1 on any failure.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "elfsym.h"

static int failures;
static char work[512];

static void result(const char *name, const char *fmt, ...)
{
	if (fmt) {
		va_list ap;

		printf("FAIL %s: ", name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
		failures++;
	} else {
		printf("ok %s\n", name);
	}
	fflush(stdout);
}

/* ---- running tools ---- */

static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	rc = system(cmd);
	return rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

/* A command's stdout, NUL-terminated (NULL when it cannot run). */
static char *out(const char *fmt, ...)
{
	char cmd[4096];
	size_t n = 0, cap = 65536;
	char *b = malloc(cap);
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	if (!b || !(f = popen(cmd, "r"))) {
		free(b);
		return NULL;
	}
	for (;;) {
		size_t got;

		if (cap - n < 4096) {
			char *nb = realloc(b, cap * 2);

			if (!nb)
				break;
			b = nb;
			cap *= 2;
		}
		got = fread(b + n, 1, cap - n - 1, f);
		if (got == 0)
			break;
		n += got;
	}
	b[n] = 0;
	if (pclose(f) != 0) {
		free(b);
		return NULL;
	}
	return b;
}

static int have(const char *tool)
{
	return sh("command -v %s >/dev/null 2>&1", tool) == 0;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static struct elfsym *open_path(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct elfsym *es;

	if (fd < 0) {
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
		return NULL;
	}
	es = elfsym_open(fd, err, errlen);
	close(fd);
	return es;
}

static int write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static uint8_t *read_all(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (b = malloc((size_t)len + 1)) && fread(b, 1, (size_t)len, f) == (size_t)len) {
		*n = (size_t)len;
	} else {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

/* ---- program headers, as readelf -lW prints them ---- */

struct loads {
	int n;
	uint64_t off[32], va[32], filesz[32];
};

static int read_loads(const char *file, struct loads *l)
{
	char *o = out("readelf -lW '%s'", file), *line, *save = NULL;

	l->n = 0;
	if (!o)
		return -1;
	for (line = strtok_r(o, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long off, va, pa, fs, ms;

		if (sscanf(line, " LOAD %llx %llx %llx %llx %llx", &off, &va, &pa, &fs, &ms) == 5 && l->n < 32) {
			l->off[l->n] = off;
			l->va[l->n] = va;
			l->filesz[l->n++] = fs;
		}
	}
	free(o);
	return l->n ? 0 : -1;
}

static int va_to_off(const struct loads *l, uint64_t va, uint64_t *off)
{
	for (int i = 0; i < l->n; i++)
		if (va >= l->va[i] && va - l->va[i] < l->filesz[i]) {
			*off = va - l->va[i] + l->off[i];
			return 0;
		}
	return -1;
}

/* The build id readelf -n prints ("" when none). */
static void readelf_build_id(const char *file, char *id, size_t n)
{
	char *o = out("readelf -n '%s' 2>/dev/null", file), *p;

	id[0] = 0;
	if (o && (p = strstr(o, "Build ID: ")))
		sscanf(p + 10, "%128[0-9a-f]", id);
	if (n)
		id[n - 1] = 0;
	free(o);
}

static void check_build_id(const char *name, const struct elfsym *es, const char *file)
{
	char want[160];

	readelf_build_id(file, want, sizeof(want));
	if (strcmp(elfsym_build_id(es), want))
		result(name, "build id '%s', readelf -n says '%s'", elfsym_build_id(es), want);
	else
		result(name, NULL);
}

/* Looks up file offset off: NULL when it names name + want_off, else why not (static buffer). */
static const char *expect(const struct elfsym *es, uint64_t off, const char *name, uint64_t want_off)
{
	static char why[512];
	struct elfsym_hit h;

	if (!elfsym_lookup(es, off, &h)) {
		snprintf(why, sizeof(why), "offset %#llx: not found, want %s+%#llx", (unsigned long long)off, name,
			 (unsigned long long)want_off);
		return why;
	}
	if (strcmp(h.name, name) || h.off != want_off) {
		snprintf(why, sizeof(why), "offset %#llx: %s+%#llx, want %s+%#llx", (unsigned long long)off, h.name,
			 (unsigned long long)h.off, name, (unsigned long long)want_off);
		return why;
	}
	return NULL;
}

/* ---- synthetic files ---- */

enum { SYN_V116 = 1, SYN_V118 = 2, SYN_V120 = 4, SYN_NOSHDR = 8 };

#define SYN_VA 0x400000u
#define TEXT_OFF 0x200u
#define TEXT_SZ 0x100u

struct buf {
	uint8_t b[16384];
	size_t n;
};

static size_t put(struct buf *b, const void *p, size_t len, size_t align)
{
	size_t at;

	while (b->n % align)
		b->b[b->n++] = 0;
	at = b->n;
	if (p)
		memcpy(b->b + at, p, len);
	else
		memset(b->b + at, 0, len);
	b->n += len;
	return at;
}

static void w16(struct buf *b, size_t at, uint16_t v)
{
	b->b[at] = (uint8_t)v;
	b->b[at + 1] = (uint8_t)(v >> 8);
}

static void w32(struct buf *b, size_t at, uint32_t v)
{
	w16(b, at, (uint16_t)v);
	w16(b, at + 2, (uint16_t)(v >> 16));
}

static void w64(struct buf *b, size_t at, uint64_t v)
{
	w32(b, at, (uint32_t)v);
	w32(b, at + 4, (uint32_t)(v >> 32));
}

static size_t put32(struct buf *b, uint32_t v)
{
	size_t at = put(b, NULL, 4, 1);

	w32(b, at, v);
	return at;
}

static size_t put64(struct buf *b, uint64_t v)
{
	size_t at = put(b, NULL, 8, 1);

	w64(b, at, v);
	return at;
}

/* A pclntab of three functions in .text: main.alpha [0, 0x20) lines 10/11 of /src/a.go,
 * main.beta [0x20, 0x50) line 200 of /src/b.go, main.gamma [0x50, 0x60) lines 5 then 3 of
 * /src/a.go (sharing alpha's pcfile table). */
static void build_pcln(struct buf *p, int ver, uint64_t text)
{
	static const char names[] = "main.alpha\0main.beta\0main.gamma";
	static const char files[] = "/src/a.go\0/src/b.go";
	static const uint8_t pc[] = {
		0,                           /* 0: no table */
		2, 0x20, 0,                  /* 1: file 0 for 0x20 */
		22, 0x10, 2, 0x10, 0,        /* 4: line 10 for 0x10, 11 for 0x10 */
		4, 0x30, 0,                  /* 9: file 1 for 0x30 */
		0x92, 0x03, 0x30, 0,         /* 12: line 200 for 0x30 */
		12, 8, 3, 8, 0,              /* 16: line 5 for 8, then -2: line 3 for 8 */
	};
	const uint32_t entry[4] = { 0, 0x20, 0x50, 0x60 }, nameoff[3] = { 0, 11, 21 };
	const uint32_t pcfile[3] = { 1, 9, 1 }, pcln[3] = { 4, 12, 16 };
	size_t hsz = ver >= 118 ? 72 : 64, words = 8, o_name, o_cu, o_file, o_pc, o_func, ft, fs = ver >= 118 ? 4 : 8;
	size_t rec[3];

	p->n = 0;
	put32(p, ver == 116 ? 0xfffffffa : ver == 118 ? 0xfffffff0 : 0xfffffff1);
	put(p, "\0\0\1\x08", 4, 1);
	put(p, NULL, hsz - 8, 1);
	o_name = put(p, names, sizeof(names), 1);
	o_cu = put(p, NULL, 0, 4);
	put32(p, 0);
	put32(p, 10);
	o_file = put(p, files, sizeof(files), 1);
	o_pc = put(p, pc, sizeof(pc), 1);
	o_func = put(p, NULL, 0, 8);
	ft = put(p, NULL, 7 * fs, 1);
	for (int i = 0; i < 3; i++) {
		rec[i] = put(p, NULL, 0, 4);
		if (ver >= 118)
			put32(p, entry[i]);
		else
			put64(p, text + entry[i]);
		put32(p, nameoff[i]);
		put32(p, 0);         /* args */
		put32(p, 0);         /* deferreturn */
		put32(p, 0);         /* pcsp */
		put32(p, pcfile[i]);
		put32(p, pcln[i]);
		put32(p, 0);         /* npcdata */
		put32(p, 0);         /* cuOffset */
		put32(p, 0);         /* funcID, flag, pad, nfuncdata */
	}
	for (int i = 0; i < 4; i++) {
		if (fs == 4) {
			w32(p, ft + 2 * i * fs, entry[i]);
			if (i < 3)
				w32(p, ft + (2 * i + 1) * fs, (uint32_t)(rec[i] - o_func));
		} else {
			w64(p, ft + 2 * i * fs, text + entry[i]);
			if (i < 3)
				w64(p, ft + (2 * i + 1) * fs, rec[i] - o_func);
		}
	}
	w64(p, 8, 3);  /* nfunc */
	w64(p, 16, 2); /* nfiles */
	{
		size_t w = 24;
		const size_t offs[5] = { o_name, o_cu, o_file, o_pc, o_func };

		if (ver >= 118) {
			w64(p, w, text);
			w += 8;
		}
		for (int i = 0; i < 5; i++, w += 8)
			w64(p, w, offs[i]);
	}
	(void)words;
}

static void sym(struct buf *t, uint32_t name, uint8_t info, uint16_t shndx, uint64_t value, uint64_t size)
{
	size_t at = put(t, NULL, 24, 1);

	w32(t, at, name);
	t->b[at + 4] = info;
	w16(t, at + 6, shndx);
	w64(t, at + 8, value);
	w64(t, at + 16, size);
}

#define STI(bind, type) (uint8_t)((bind) << 4 | (type))

/* A small executable: one PT_LOAD (R+X) over the whole file at SYN_VA, a build-id note, .text at
 * TEXT_OFF, a pclntab (flags: which version), .symtab and .dynsym. */
static size_t build_synth(uint8_t *dst, size_t cap, int flags)
{
	static struct buf f, pcln, st, ss, ds, dss, shs;
	static const uint8_t bid[20] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 0xff };
	int ver = flags & SYN_V116 ? 116 : flags & SYN_V118 ? 118 : flags & SYN_V120 ? 120 : 0;
	size_t o_note, o_text, o_pcln = 0, o_sym, o_str, o_dsym, o_dstr, o_shs, o_sh;
	uint32_t n_text, n_pcln, n_sym, n_str, n_note, n_dsym, n_dstr, n_shs;
	uint16_t nsec = 0;
	struct {
		uint32_t name, type, link, info;
		uint64_t flags, addr, off, size, align, entsize;
	} sh[10];

	memset(&f, 0, sizeof(f));
	st.n = ss.n = ds.n = dss.n = shs.n = 0;
	put(&shs, "", 1, 1);
	n_text = (uint32_t)put(&shs, ".text", 6, 1);
	n_pcln = (uint32_t)put(&shs, ".gopclntab", 11, 1);
	n_sym = (uint32_t)put(&shs, ".symtab", 8, 1);
	n_str = (uint32_t)put(&shs, ".strtab", 8, 1);
	n_note = (uint32_t)put(&shs, ".note.gnu.build-id", 19, 1);
	n_dsym = (uint32_t)put(&shs, ".dynsym", 8, 1);
	n_dstr = (uint32_t)put(&shs, ".dynstr", 8, 1);
	n_shs = (uint32_t)put(&shs, ".shstrtab", 10, 1);

	put(&f, NULL, 64 + 2 * 56, 1); /* ehdr, phdrs */
	o_note = put(&f, NULL, 0, 4);
	put32(&f, 4);
	put32(&f, sizeof(bid));
	put32(&f, 3);
	put(&f, "GNU", 4, 1);
	put(&f, bid, sizeof(bid), 1);
	while (f.n < TEXT_OFF)
		f.b[f.n++] = 0;
	o_text = put(&f, NULL, TEXT_SZ, 1);
	memset(f.b + o_text, 0xcc, TEXT_SZ);
	if (ver) {
		build_pcln(&pcln, ver, SYN_VA + TEXT_OFF);
		o_pcln = put(&f, pcln.b, pcln.n, 32);
	}
	/* .symtab: names are offsets in .strtab */
	put(&ss, "", 1, 1);
	{
		uint32_t local = (uint32_t)put(&ss, "local_alias", 12, 1), sized = (uint32_t)put(&ss, "sized_fn", 9, 1);
		uint32_t nosize = (uint32_t)put(&ss, "nosize_fn", 10, 1), ifn = (uint32_t)put(&ss, "ifunc_fn", 9, 1);
		uint32_t undef = (uint32_t)put(&ss, "undef_fn", 9, 1), obj = (uint32_t)put(&ss, "object_sym", 11, 1);
		uint64_t t = SYN_VA + TEXT_OFF;

		sym(&st, 0, 0, 0, 0, 0);
		sym(&st, local, STI(STB_LOCAL, STT_FUNC), 1, t + 0x80, 0x20);
		sym(&st, sized, STI(STB_GLOBAL, STT_FUNC), 1, t + 0x80, 0x20);
		sym(&st, nosize, STI(STB_GLOBAL, STT_FUNC), 1, t + 0xc0, 0);
		sym(&st, ifn, STI(STB_GLOBAL, STT_GNU_IFUNC), 1, t + 0xa0, 0x10);
		sym(&st, undef, STI(STB_GLOBAL, STT_FUNC), 0, t + 0xe0, 0x10);
		sym(&st, 0xffffff, STI(STB_GLOBAL, STT_FUNC), 1, t + 0xe0, 0x10);
		sym(&st, obj, STI(STB_GLOBAL, STT_OBJECT), 1, t + 0xe0, 0x10);
		put(&dss, "", 1, 1);
		sym(&ds, 0, 0, 0, 0, 0);
		sym(&ds, (uint32_t)put(&dss, "dyn_fn", 7, 1), STI(STB_WEAK, STT_FUNC), 1, t + 0x70, 8);
	}
	o_sym = put(&f, st.b, st.n, 8);
	o_str = put(&f, ss.b, ss.n, 1);
	o_dsym = put(&f, ds.b, ds.n, 8);
	o_dstr = put(&f, dss.b, dss.n, 1);
	o_shs = put(&f, shs.b, shs.n, 1);

	memset(sh, 0, sizeof(sh));
	nsec = 1;
	sh[nsec++] = (typeof(sh[0])){ n_text, SHT_PROGBITS, 0, 0, SHF_ALLOC | SHF_EXECINSTR, SYN_VA + o_text, o_text, TEXT_SZ, 16, 0 };
	if (ver)
		sh[nsec++] = (typeof(sh[0])){ n_pcln, SHT_PROGBITS, 0, 0, SHF_ALLOC, SYN_VA + o_pcln, o_pcln, pcln.n, 32, 0 };
	sh[nsec] = (typeof(sh[0])){ n_sym, SHT_SYMTAB, nsec + 1u, 1, 0, 0, o_sym, st.n, 8, 24 };
	nsec++;
	sh[nsec++] = (typeof(sh[0])){ n_str, SHT_STRTAB, 0, 0, 0, 0, o_str, ss.n, 1, 0 };
	sh[nsec++] = (typeof(sh[0])){ n_note, SHT_NOTE, 0, 0, SHF_ALLOC, SYN_VA + o_note, o_note, 36, 4, 0 };
	sh[nsec] = (typeof(sh[0])){ n_dsym, SHT_DYNSYM, nsec + 1u, 1, SHF_ALLOC, SYN_VA + o_dsym, o_dsym, ds.n, 8, 24 };
	nsec++;
	sh[nsec++] = (typeof(sh[0])){ n_dstr, SHT_STRTAB, 0, 0, SHF_ALLOC, SYN_VA + o_dstr, o_dstr, dss.n, 1, 0 };
	sh[nsec++] = (typeof(sh[0])){ n_shs, SHT_STRTAB, 0, 0, 0, 0, o_shs, shs.n, 1, 0 };
	o_sh = put(&f, NULL, 0, 8);
	if (!(flags & SYN_NOSHDR))
		for (int i = 0; i < nsec; i++) {
			size_t at = put(&f, NULL, 64, 1);

			w32(&f, at, sh[i].name);
			w32(&f, at + 4, sh[i].type);
			w64(&f, at + 8, sh[i].flags);
			w64(&f, at + 16, sh[i].addr);
			w64(&f, at + 24, sh[i].off);
			w64(&f, at + 32, sh[i].size);
			w32(&f, at + 40, sh[i].link);
			w32(&f, at + 44, sh[i].info);
			w64(&f, at + 48, sh[i].align);
			w64(&f, at + 56, sh[i].entsize);
		}

	/* ELF header */
	memcpy(f.b, "\x7f" "ELF\2\1\1", 7);
	w16(&f, 16, ET_EXEC);
	w16(&f, 18, EM_X86_64);
	w32(&f, 20, 1);
	w64(&f, 24, SYN_VA + o_text);
	w64(&f, 32, 64);
	w64(&f, 40, flags & SYN_NOSHDR ? 0 : o_sh);
	w16(&f, 52, 64);
	w16(&f, 54, 56);
	w16(&f, 56, 2);
	w16(&f, 58, 64);
	w16(&f, 60, flags & SYN_NOSHDR ? 0 : nsec);
	w16(&f, 62, flags & SYN_NOSHDR ? 0 : nsec - 1);
	/* PT_LOAD over everything, PT_NOTE */
	w32(&f, 64, PT_LOAD);
	w32(&f, 68, PF_R | PF_X);
	w64(&f, 72, 0);
	w64(&f, 80, SYN_VA);
	w64(&f, 88, SYN_VA);
	w64(&f, 96, f.n);
	w64(&f, 104, f.n);
	w64(&f, 112, 0x1000);
	w32(&f, 120, PT_NOTE);
	w32(&f, 124, PF_R);
	w64(&f, 128, o_note);
	w64(&f, 136, SYN_VA + o_note);
	w64(&f, 144, SYN_VA + o_note);
	w64(&f, 152, 36);
	w64(&f, 160, 36);
	w64(&f, 168, 4);
	if (f.n > cap)
		return 0;
	memcpy(dst, f.b, f.n);
	return f.n;
}

static struct elfsym *open_bytes(const void *p, size_t n, char *err, size_t errlen)
{
	char path[600];
	struct elfsym *es;

	snprintf(path, sizeof(path), "%s/bytes.tmp", work);
	if (write_file(path, p, n) < 0) {
		snprintf(err, errlen, "cannot write %s", path);
		return NULL;
	}
	es = open_path(path, err, errlen);
	unlink(path);
	return es;
}

/* Looks up pc (from .text) and wants name+off, file, line (file NULL: none wanted). */
static const char *expect_line(const struct elfsym *es, uint64_t off, const char *name, uint64_t want_off,
			       const char *file, uint32_t line)
{
	static char why[512];
	struct elfsym_hit h;
	const char *e = expect(es, off, name, want_off);

	if (e)
		return e;
	elfsym_lookup(es, off, &h);
	if ((file && (!h.file || strcmp(h.file, file))) || h.line != line) {
		snprintf(why, sizeof(why), "offset %#llx: %s:%u, want %s:%u", (unsigned long long)off,
			 h.file ? h.file : "(none)", h.line, file ? file : "(none)", line);
		return why;
	}
	return NULL;
}

static void synthetic(void)
{
	static const struct {
		const char *name;
		int flags;
		int go, elf;
	} v[] = {
		{ "synthetic: Go 1.18 pclntab + .symtab + .dynsym", SYN_V118, 1, 1 },
		{ "synthetic: Go 1.20 pclntab", SYN_V120, 1, 1 },
		{ "synthetic: Go 1.16 pclntab", SYN_V116, 1, 1 },
		{ "synthetic: Go 1.18 pclntab found by its magic without section headers", SYN_V118 | SYN_NOSHDR, 1, 0 },
		{ "synthetic: ELF symbols only", 0, 0, 1 },
	};
	static uint8_t b[16384];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char err[256];
		size_t n = build_synth(b, sizeof(b), v[i].flags);
		struct elfsym *es = n ? open_bytes(b, n, err, sizeof(err)) : NULL;
		struct elfsym_hit h;
		const char *e = NULL;

		if (!es) {
			result(v[i].name, "elfsym_open: %s", n ? err : "build failed");
			continue;
		}
		if (strcmp(elfsym_build_id(es), "000102030405060708090a0b0c0d0e0f101112ff"))
			e = "wrong build id";
		if (v[i].go && !e) {
			const char *a = "/src/a.go", *bb = "/src/b.go";

			if ((e = expect_line(es, TEXT_OFF + 0x00, "main.alpha", 0, a, 10)) ||
			    (e = expect_line(es, TEXT_OFF + 0x0f, "main.alpha", 0xf, a, 10)) ||
			    (e = expect_line(es, TEXT_OFF + 0x10, "main.alpha", 0x10, a, 11)) ||
			    (e = expect_line(es, TEXT_OFF + 0x1f, "main.alpha", 0x1f, a, 11)) ||
			    (e = expect_line(es, TEXT_OFF + 0x20, "main.beta", 0, bb, 200)) ||
			    (e = expect_line(es, TEXT_OFF + 0x4f, "main.beta", 0x2f, bb, 200)) ||
			    (e = expect_line(es, TEXT_OFF + 0x50, "main.gamma", 0, a, 5)) ||
			    (e = expect_line(es, TEXT_OFF + 0x58, "main.gamma", 8, a, 3)) ||
			    (e = expect_line(es, TEXT_OFF + 0x5f, "main.gamma", 0xf, a, 3)))
				;
		}
		if (!v[i].go && !e && elfsym_lookup(es, TEXT_OFF + 0x10, &h))
			e = "a function where there is none";
		if (!e && elfsym_lookup(es, TEXT_OFF + 0x60, &h))
			e = "offset 0x60 (after the last Go function, before any symbol) is named";
		if (v[i].elf && !e) {
			if ((e = expect(es, TEXT_OFF + 0x74, "dyn_fn", 4)) ||       /* .dynsym */
			    (e = expect(es, TEXT_OFF + 0x80, "sized_fn", 0)) ||     /* GLOBAL over LOCAL alias */
			    (e = expect(es, TEXT_OFF + 0x9f, "sized_fn", 0x1f)) ||
			    (e = expect(es, TEXT_OFF + 0xa8, "ifunc_fn", 8)) ||     /* STT_GNU_IFUNC */
			    (e = expect(es, TEXT_OFF + 0xc4, "nosize_fn", 4)) ||    /* size 0 */
			    (e = expect(es, TEXT_OFF + 0xe0, "nosize_fn", 0x20)) || /* undef/bad name/object skipped */
			    (e = expect(es, TEXT_OFF + 0xff, "nosize_fn", 0x3f)))
				;
			if (!e && elfsym_lookup(es, TEXT_OFF + 0x78, &h))
				e = "between dyn_fn's end and sized_fn: named";
			if (!e && elfsym_lookup(es, TEXT_OFF + 0xb0, &h))
				e = "after ifunc_fn's end: named";
			if (!e && elfsym_lookup(es, TEXT_OFF + TEXT_SZ, &h))
				e = "the size-0 function runs past the end of its section";
		}
		if (!v[i].elf && !e && elfsym_lookup(es, TEXT_OFF + 0x80, &h))
			e = "ELF symbols without section headers";
		if (!e && elfsym_lookup(es, 0x10, &h))
			e = "the ELF header is named";
		if (!e && elfsym_lookup(es, n + 100, &h))
			e = "an offset past the file is named";
		result(v[i].name, e ? "%s" : NULL, e);
		elfsym_close(es);
	}
}

/* ---- hostile files ---- */

static void refuse(const char *name, const void *p, size_t n, const char *want_reason)
{
	char err[256] = "", full[300];
	struct elfsym *es = open_bytes(p, n, err, sizeof(err));

	snprintf(full, sizeof(full), "refused: %s", name);
	if (es) {
		result(full, "opened");
		elfsym_close(es);
	} else if (!err[0]) {
		result(full, "no reason given");
	} else if (want_reason && !strstr(err, want_reason)) {
		result(full, "reason '%s', want one with '%s'", err, want_reason);
	} else {
		result(full, NULL);
	}
}

/* Where the bytes some header claims end, by readelf: the section header table, every section
 * with file bytes, every PT_LOAD. A file cut before that must be refused, after it not. */
static uint64_t claimed_end(const char *file)
{
	char *o = out("readelf -hSlW '%s'", file), *line, *save = NULL;
	unsigned long long shoff = 0, shsize = 0, shnum = 0, end = 0;

	for (line = o ? strtok_r(o, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long a, off, size, va, pa, fs;
		char nm[256], type[64], *br = strstr(line, "] ");

		sscanf(line, " Start of section headers: %llu", &shoff);
		sscanf(line, " Size of section headers: %llu", &shsize);
		sscanf(line, " Number of section headers: %llu", &shnum);
		if (br && sscanf(br + 2, "%255s %63s %llx %llx %llx", nm, type, &a, &off, &size) == 5 &&
		    strcmp(type, "NOBITS") && off + size > end)
			end = off + size;
		if (sscanf(line, " LOAD %llx %llx %llx %llx", &off, &va, &pa, &fs) == 4 && off + fs > end)
			end = off + fs;
	}
	free(o);
	if (shoff + shsize * shnum > end)
		end = shoff + shsize * shnum;
	return end;
}

static void hostile(const char *cbin, const char *gobin)
{
	static uint8_t garbage[4096];
	char err[256] = "", dir[600];
	const char *files[2] = { cbin, gobin }, *what[2] = { "C PIE", "Go exe" };

	srand(7);
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (uint8_t)rand();
	refuse("empty file", "", 0, "empty");
	refuse("garbage", garbage, sizeof(garbage), "not an ELF");
	refuse("3 bytes", "\x7f" "EL", 3, "too short");
	refuse("ELF magic only", "\x7f" "ELF\2\1\1\0", 8, "too short");
	snprintf(dir, sizeof(dir), "%s", work);
	{
		int fd = open(dir, O_RDONLY | O_DIRECTORY);
		struct elfsym *es = fd >= 0 ? elfsym_open(fd, err, sizeof(err)) : NULL;

		if (fd >= 0)
			close(fd);
		if (es || !err[0])
			result("refused: a directory", es ? "opened" : "no reason");
		else
			result("refused: a directory", NULL);
		elfsym_close(es);
	}
	for (int f = 0; f < 2; f++) {
		size_t n = 0, tried = 0, bad = 0;
		uint8_t *b = files[f] ? read_all(files[f], &n) : NULL;
		uint64_t claimed = b ? claimed_end(files[f]) : 0;
		char name[300];

		snprintf(name, sizeof(name), "%s cut short: refused with a reason while headers claim the cut bytes, else opens",
			 what[f]);
		if (!b || n < 4096 || !claimed || claimed > n) {
			result(name, "cannot read %s (or readelf fails on it)", files[f] ? files[f] : "(not built)");
			free(b);
			continue;
		}
		/* every 61st length near the start, ~200 spread over the file, and around the claimed end */
		for (size_t len = 1, extra = 0; extra < 3; len += len < 4096 ? 61 : n / 197 + 1) {
			size_t l = len;
			char e2[256] = "";
			struct elfsym *es;

			if (len >= n)
				l = (size_t)claimed - 1 + extra++;
			if (l >= n)
				continue;
			es = open_bytes(b, l, e2, sizeof(e2));
			tried++;
			if ((l < claimed) != !es || (!es && !e2[0])) {
				if (!bad++)
					result(name, "cut to %zu bytes (headers claim %llu): %s", l, (unsigned long long)claimed,
					       es ? "opened" : e2[0] ? e2 : "no reason");
			}
			elfsym_close(es);
		}
		if (!bad) {
			snprintf(name, sizeof(name), "%s cut short at %zu lengths: refused with a reason while headers claim the cut bytes (%llu of %zu), else opens",
				 what[f], tried, (unsigned long long)claimed, n);
			result(name, NULL);
		}
		/* header fields pointing anywhere */
		snprintf(name, sizeof(name), "%s, 32-bit class", what[f]);
		b[4] = 1;
		refuse(name, b, n, "32-bit");
		b[4] = 2;
		b[5] = 2;
		snprintf(name, sizeof(name), "%s, big-endian", what[f]);
		refuse(name, b, n, "big-endian");
		b[5] = 1;
		{
			uint8_t save[8];

			memcpy(save, b + 40, 8);
			memset(b + 40, 0xff, 8); /* e_shoff = 2^64 - 1 */
			snprintf(name, sizeof(name), "%s, section headers at 2^64-1", what[f]);
			refuse(name, b, n, "truncated");
			memcpy(b + 40, save, 8);
			memcpy(save, b + 32, 8);
			memset(b + 32, 0xff, 7); /* e_phoff near 2^56 */
			snprintf(name, sizeof(name), "%s, program headers at 2^56", what[f]);
			refuse(name, b, n, "truncated");
			memcpy(b + 32, save, 8);
			b[54] = 200; /* e_phentsize */
			snprintf(name, sizeof(name), "%s, program header size 200", what[f]);
			refuse(name, b, n, "program header size");
			b[54] = 56;
		}
		free(b);
	}
}

/* ---- readelf -sW: every function, checked ---- */

struct fsym {
	uint64_t addr, size;
	int rank;
	char name[256];
};

static int fsym_cmp(const void *a, const void *b)
{
	const struct fsym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return y->rank - x->rank;
}

/* Every defined FUNC/IFUNC readelf lists (both tables), sorted by address, best rank first. */
static struct fsym *readelf_funcs(const char *file, size_t *n)
{
	char *o = out("readelf -sW '%s'", file), *line, *save = NULL;
	struct fsym *v = NULL;
	size_t cap = 0;

	*n = 0;
	if (!o)
		return NULL;
	for (line = strtok_r(o, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long addr, size;
		char type[32], bind[32], vis[32], ndx[32], name[256];
		char *at;

		if (sscanf(line, " %*[0-9]: %llx %llu %31s %31s %31s %31s %255s", &addr, &size, type, bind, vis, ndx, name) != 7)
			continue;
		if ((strcmp(type, "FUNC") && strcmp(type, "IFUNC")) || !strcmp(ndx, "UND") || addr == 0)
			continue;
		if ((at = strchr(name, '@')))
			*at = 0;
		if (*n == cap) {
			struct fsym *nv = realloc(v, (cap = cap ? cap * 2 : 1024) * sizeof(*v));

			if (!nv)
				break;
			v = nv;
		}
		v[*n].addr = addr;
		v[*n].size = size;
		v[*n].rank = !strcmp(bind, "GLOBAL") ? 3 : !strcmp(bind, "LOCAL") ? 1 : 2;
		snprintf(v[*n].name, sizeof(v[*n].name), "%s", name);
		(*n)++;
	}
	free(o);
	qsort(v, *n, sizeof(*v), fsym_cmp);
	return v;
}

/* Every function start names one of the best-ranked names at that address, off 0; a sized
 * one's last byte names a function holding it. */
static void check_all_funcs(const char *what, const struct elfsym *es, const char *file)
{
	struct loads l;
	size_t n, bad = 0, checked = 0;
	struct fsym *v = readelf_funcs(file, &n);
	char name[300], first[600] = "";

	snprintf(name, sizeof(name), "%s: every function readelf -sW lists is named at its file offset", what);
	if (!v || !n || read_loads(file, &l) < 0) {
		result(name, "readelf found no functions");
		free(v);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t off;
		struct elfsym_hit h;
		int ok = 0;

		if (i && v[i].addr == v[i - 1].addr)
			continue;
		if (va_to_off(&l, v[i].addr, &off) < 0)
			continue;
		checked++;
		if (elfsym_lookup(es, off, &h) && h.off == 0)
			for (size_t j = i; j < n && v[j].addr == v[i].addr && v[j].rank == v[i].rank; j++)
				ok |= !strcmp(v[j].name, h.name);
		if (!ok && !bad++)
			snprintf(first, sizeof(first), "%s at %#llx: got %s+%#llx", v[i].name, (unsigned long long)v[i].addr,
				 elfsym_lookup(es, off, &h) ? h.name : "(nothing)", (unsigned long long)h.off);
	}
	if (bad)
		result(name, "%zu of %zu wrong, first: %s", bad, checked, first);
	else if (checked < 3)
		result(name, "only %zu checked", checked);
	else {
		snprintf(name, sizeof(name), "%s: all %zu functions readelf -sW lists are named at their file offsets", what,
			 checked);
		result(name, NULL);
	}
	free(v);
}

/* name's [addr, addr + size) from readelf -sW. */
static int func_of(const char *file, const char *fname, uint64_t *addr, uint64_t *size)
{
	size_t n;
	struct fsym *v = readelf_funcs(file, &n);
	int found = -1;

	for (size_t i = 0; v && i < n; i++)
		if (!strcmp(v[i].name, fname)) {
			*addr = v[i].addr;
			*size = v[i].size;
			found = 0;
			break;
		}
	free(v);
	return found;
}

/* ---- the C program ---- */

static const char c_prog[] =
	"#include <stdio.h>\n"
	"#include <unistd.h>\n"
	"__attribute__((noinline)) int cleanup_volume(const char *dir)\n"
	"{\n"
	"	char path[256];\n"
	"	if (snprintf(path, sizeof(path), \"%s/volume\", dir) < 0)\n"
	"		return -1;\n"
	"	return unlink(path) == 0 ? 0 : 1;\n"
	"}\n"
	"__attribute__((noinline)) int delete_it(int times)\n"
	"{\n"
	"	int r = 0;\n"
	"	for (int i = 0; i < times; i++)\n"
	"		r += cleanup_volume(\"/nonexistent-kw\");\n"
	"	return r;\n"
	"}\n"
	"/* a LOCAL alias of a GLOBAL function: the GLOBAL name must win */\n"
	"static int delete_it_local(int) __attribute__((alias(\"delete_it\"), used));\n"
	"/* a size-0 function, alone in its section */\n"
	"__asm__(\".pushsection .kwnosize,\\\"ax\\\",%progbits\\n\"\n"
	"	\".globl asm_nosize\\n.type asm_nosize,%function\\nasm_nosize:\\nnop\\nnop\\nnop\\nret\\n.popsection\\n\");\n"
	"int main(int argc, char **argv)\n"
	"{\n"
	"	(void)argv;\n"
	"	return delete_it(argc) > 100;\n"
	"}\n";

static void check_c(const char *variant, const char *bin, const char *stripped, int stripped_dyn)
{
	char err[256], name[300], ref[600];
	struct elfsym *es = open_path(bin, err, sizeof(err));
	struct loads l;
	uint64_t a, sz, off;
	const char *e = NULL;

	snprintf(name, sizeof(name), "C %s: cleanup_volume, delete_it (not its LOCAL alias), main inside", variant);
	if (!es || read_loads(bin, &l) < 0) {
		result(name, "%s", es ? "readelf -lW failed" : err);
		elfsym_close(es);
		return;
	}
	static const char *fn[] = { "cleanup_volume", "delete_it", "main" };
	for (int i = 0; i < 3 && !e; i++) {
		if (func_of(bin, fn[i], &a, &sz) < 0 || sz < 2 || va_to_off(&l, a, &off) < 0) {
			e = "readelf -sW does not list it";
			break;
		}
		if ((e = expect(es, off, fn[i], 0)) || (e = expect(es, off + 1, fn[i], 1)) ||
		    (e = expect(es, off + sz - 1, fn[i], sz - 1)))
			break;
		{
			struct elfsym_hit h;

			if (elfsym_lookup(es, off + sz, &h) && !strcmp(h.name, fn[i]))
				e = "the byte after the function is still named after it";
		}
	}
	result(name, e ? "%s" : NULL, e);

	snprintf(name, sizeof(name), "C %s: a size-0 function holds its section, not more", variant);
	e = NULL;
	if (func_of(bin, "asm_nosize", &a, &sz) < 0 || va_to_off(&l, a, &off) < 0)
		e = "asm_nosize missing";
	else if (sz != 0)
		e = "asm_nosize has a size";
	else if (!(e = expect(es, off + 3, "asm_nosize", 3))) {
		struct elfsym_hit h;
		char *o = out("readelf -SW '%s' | sed -n 's/.*\\] \\.kwnosize *PROGBITS *//p'", bin);
		unsigned long long sa = 0, so = 0, ss = 0;

		if (!o || sscanf(o, "%llx %llx %llx", &sa, &so, &ss) != 3 || sa != a)
			e = "readelf -SW does not show .kwnosize";
		else if (elfsym_lookup(es, so + ss, &h) && !strcmp(h.name, "asm_nosize"))
			e = "named past the end of .kwnosize";
		free(o);
	}
	result(name, e ? "%s" : NULL, e);
	snprintf(name, sizeof(name), "C %s: build id as readelf -n", variant);
	check_build_id(name, es, bin);
	snprintf(ref, sizeof(ref), "C %s", variant);
	check_all_funcs(ref, es, bin);
	elfsym_close(es);

	/* the stripped copy: the same offsets */
	snprintf(name, sizeof(name), "C %s stripped%s: %s", variant, stripped_dyn ? " (-rdynamic)" : "",
		 stripped_dyn ? "cleanup_volume named from .dynsym" : "cleanup_volume not named (no symbols left)");
	es = open_path(stripped, err, sizeof(err));
	e = NULL;
	if (!es)
		e = err;
	else if (sh("readelf -SW '%s' | grep -q ' \\.symtab '", stripped) == 0)
		e = "strip left .symtab";
	else if (func_of(bin, "cleanup_volume", &a, &sz) < 0 || va_to_off(&l, a, &off) < 0)
		e = "cleanup_volume missing";
	else if (stripped_dyn)
		e = expect(es, off + 5, "cleanup_volume", 5);
	else {
		struct elfsym_hit h;

		if (elfsym_lookup(es, off + 5, &h))
			e = "a stripped file without exported functions names it";
	}
	result(name, e ? "%s" : NULL, e);
	if (es) {
		snprintf(name, sizeof(name), "C %s stripped: build id as readelf -n", variant);
		check_build_id(name, es, stripped);
		if (stripped_dyn) {
			snprintf(ref, sizeof(ref), "C %s stripped (-rdynamic)", variant);
			check_all_funcs(ref, es, stripped);
		}
	}
	elfsym_close(es);
}

static char cbin_for_hostile[700];

static void c_programs(void)
{
	static const struct {
		const char *variant, *flags;
		int rdynamic;
	} v[] = {
		{ "PIE", "", 0 },
		{ "non-PIE", "-no-pie", 0 },
		{ "static", "-static", 0 },
		{ "PIE -rdynamic", "-rdynamic", 1 },
	};
	char src[600];

	if (!have("gcc") || !have("strip") || !have("readelf")) {
		result("C programs", "gcc, strip or readelf missing (scripts/setup.sh installs them)");
		return;
	}
	snprintf(src, sizeof(src), "%s/prog.c", work);
	if (write_file(src, c_prog, sizeof(c_prog) - 1) < 0) {
		result("C programs", "cannot write %s", src);
		return;
	}
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char bin[700], stripped[720];

		snprintf(bin, sizeof(bin), "%s/c-%zu", work, i);
		snprintf(stripped, sizeof(stripped), "%s-strip", bin);
		if (sh("gcc -O0 -fno-omit-frame-pointer -w %s -o '%s' '%s' && strip -o '%s' '%s'", v[i].flags, bin, src,
		       stripped, bin) != 0) {
			result(v[i].variant, "gcc %s failed", v[i].flags);
			continue;
		}
		if (i == 0)
			snprintf(cbin_for_hostile, sizeof(cbin_for_hostile), "%s", bin);
		check_c(v[i].variant, bin, stripped, v[i].rdynamic);
	}
}

/* ---- C file:line from DWARF .debug_line ---- */

/* a header with a function of its own: its rows name another file of the table */
static const char dw_inc[] =
	"static __attribute__((noinline)) int twice_it(int v)\n"
	"{\n"
	"	int r = v;\n"
	"	r += v;\n"
	"	return r;\n"
	"}\n";

/* Compares file:line at each address with `addr2line -e bin` (binutils): where addr2line knows
 * the line, the same path and line; where it does not (??, :0, :?), none. Names are not compared
 * here (check_all_funcs does). Returns the count compared (-1: addr2line failed); *with_line
 * counts those addr2line gave a line for. */
static int same_path(const char *ours, const char *theirs)
{
	size_t a = strlen(ours), b = strlen(theirs);

	if (!strcmp(ours, theirs))
		return 1;
	return ours[0] != '/' && b > a && theirs[b - a - 1] == '/' && !strcmp(theirs + b - a, ours);
}

static long compare_binutils(const struct elfsym *es, const char *bin, const struct loads *l, const uint64_t *va,
			     size_t n, char *first, size_t firstlen, size_t *bad, size_t *with_line, size_t *disagree)
{
	char in[700], *o, *o2, *line, *save = NULL, *save2 = NULL;
	FILE *f;
	size_t i = 0;
	long checked = 0;

	snprintf(in, sizeof(in), "%s/addrs.txt", work);
	if (!(f = fopen(in, "w")))
		return -1;
	for (size_t k = 0; k < n; k++)
		fprintf(f, "%#llx\n", (unsigned long long)va[k]);
	fclose(f);
	o = out("addr2line -e '%s' < '%s'", bin, in);
	o2 = out("llvm-addr2line -e '%s' < '%s' 2>/dev/null", bin, in);
	if (!o)
		return -1;
	*bad = *with_line = *disagree = 0;
	for (line = strtok_r(o, "\n", &save); line && i < n; line = strtok_r(NULL, "\n", &save), i++) {
		char *colon, *disc = strstr(line, " (discriminator"), *line2 = o2 ? strtok_r(i ? NULL : o2, "\n", &save2) : NULL;
		struct elfsym_hit h;
		uint64_t off;
		long ln = 0, ln2 = 0;
		int found, want;

		if (disc)
			*disc = 0;
		colon = strrchr(line, ':');
		if (colon) {
			ln = strtol(colon + 1, NULL, 10);
			*colon = 0;
		}
		want = colon && ln > 0 && strcmp(line, "??");
		if (line2 && (colon = strrchr(line2, ':'))) {
			ln2 = strtol(colon + 1, NULL, 10);
			*colon = 0;
		}
		if (va_to_off(l, va[i], &off) < 0)
			continue;
		checked++;
		*with_line += want;
		found = elfsym_lookup(es, off, &h);
		/* binutils 2.40 and LLVM differ on a few DWARF 5 rows (the file of the rows before the
		 * first set_file, among them): either one's answer counts, a relative path (DWARF 2-4
		 * without the compilation directory, which only .debug_info has) when it ends theirs */
		if (want && found && h.file && h.line && !(h.line == (uint32_t)ln && same_path(h.file, line)) &&
		    line2 && h.line == (uint32_t)ln2 && same_path(h.file, line2)) {
			(*disagree)++;
			continue;
		}
		if (want ? !(found && h.file && h.line == (uint32_t)ln && same_path(h.file, line))
			 : (found && (h.file || h.line))) {
			if (!(*bad)++)
				snprintf(first, firstlen, "%#llx: %s:%u, addr2line: %s:%ld", (unsigned long long)va[i],
					 found && h.file ? h.file : "(none)", found ? h.line : 0, want ? line : "??", ln);
		}
	}
	free(o);
	free(o2);
	return i == n ? checked : -1;
}

/* Every byte of the program's own functions, entry and middle of every other one. */
static uint64_t *dwarf_addrs(const char *bin, size_t *n)
{
	static const char *own[] = { "cleanup_volume", "delete_it", "main", "twice_it" };
	size_t nf, cap = 4096;
	struct fsym *v = readelf_funcs(bin, &nf);
	uint64_t *a = malloc(cap * sizeof(*a));

	*n = 0;
	for (size_t i = 0; v && a && i < nf; i++) {
		int mine = 0;

		for (size_t k = 0; k < sizeof(own) / sizeof(own[0]); k++)
			mine |= !strcmp(v[i].name, own[k]);
		if (i && v[i].addr == v[i - 1].addr)
			continue;
		for (uint64_t o = 0; o < (mine ? v[i].size : 2); o += mine ? 1 : (v[i].size / 2 ? v[i].size / 2 : 1)) {
			if (*n == cap) {
				uint64_t *na = realloc(a, (cap *= 2) * sizeof(*a));

				if (!na)
					break;
				a = na;
			}
			a[(*n)++] = v[i].addr + o;
		}
	}
	free(v);
	return a;
}

/* The section header of name in an ELF image: its file offset (of the header), and the
 * section's offset and size. */
static int find_section(const uint8_t *b, size_t n, const char *name, size_t *hdr, uint64_t *off, uint64_t *size)
{
	const Elf64_Ehdr *eh = (const void *)b;
	const Elf64_Shdr *sh, *str;

	if (n < sizeof(*eh) || eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(*sh) > n || eh->e_shstrndx >= eh->e_shnum)
		return -1;
	sh = (const void *)(b + eh->e_shoff);
	str = &sh[eh->e_shstrndx];
	for (unsigned i = 1; i < eh->e_shnum; i++)
		if (str->sh_offset + sh[i].sh_name < n && !strcmp((const char *)b + str->sh_offset + sh[i].sh_name, name)) {
			*hdr = eh->e_shoff + i * sizeof(*sh);
			*off = sh[i].sh_offset;
			*size = sh[i].sh_size;
			return *off + *size <= n ? 0 : -1;
		}
	return -1;
}

/* .debug_line damaged in known and random ways: the file still opens, cleanup_volume is still
 * named, nothing crashes (ASan), and where the damage leaves no readable sequence, no line. */
static void dwarf_corrupt(const char *what, const char *bin, const struct loads *l)
{
	size_t n, hdr, na = 0;
	uint64_t off, size, a, sz, coff;
	uint8_t *orig = read_all(bin, &n), *b = orig ? malloc(n) : NULL;
	uint64_t *addrs = dwarf_addrs(bin, &na);
	char name[300], err[256];
	const char *e = NULL;
	int version;
	long variants = 0;

	snprintf(name, sizeof(name), "C %s: damaged .debug_line (bad lengths, opcodes, versions, 300 random edits) opens, names, no crash",
		 what);
	if (!orig || !b || !addrs || find_section(orig, n, ".debug_line", &hdr, &off, &size) < 0 || size < 64 ||
	    func_of(bin, "cleanup_volume", &a, &sz) < 0 || va_to_off(l, a, &coff) < 0) {
		result(name, "cannot read %s or its .debug_line", bin);
		goto out;
	}
	version = orig[off + 4] | orig[off + 5] << 8;
	srand(11);
	for (int k = 0; k < 312 && !e; k++) {
		int strict = k < 12; /* a damage that leaves no sequence to read: no line at all */
		struct elfsym *es;
		struct elfsym_hit h;
		uint64_t hl = version == 5 ? off + 8 : off + 6; /* header_length */
		uint64_t ob = hl + 4 + 4 + (version >= 4); /* opcode_base */

		memcpy(b, orig, n);
		switch (k) {
		case 0: memcpy(b + off, &(uint32_t){ 0xfffffff0u }, 4); break; /* reserved length */
		case 1: memcpy(b + off, &(uint32_t){ 0xffffffffu }, 4); memcpy(b + off + 4, &(uint64_t){ ~0ull >> 1 }, 8); break;
		case 2: memcpy(b + off, &(uint32_t){ (uint32_t)size * 4 }, 4); break; /* past the section */
		case 3: memcpy(b + hl, &(uint32_t){ 0xfffffff0u }, 4); break; /* header_length */
		case 4: b[ob - 1] = 0; break; /* line_range 0 */
		case 5: b[off + 4] = 6; break; /* version 6 */
		case 6: b[off + 4] = 1; break;
		case 7: memset(b + ob + 1, 0xff, 11); strict = 0; break; /* opcode lengths */
		case 8: b[ob] = 255; strict = 0; break; /* opcode_base: every byte a standard opcode */
		case 9: b[ob] = 0; strict = 0; break; /* every byte a special opcode */
		case 10: memcpy(b + hdr + 32, &(uint64_t){ size / 2 }, 8); strict = 0; break; /* cut section */
		case 11: memcpy(b + hdr + 32, &(uint64_t){ 3 }, 8); break;
		default:
			strict = 0;
			for (int m = 1 + rand() % 8; m > 0; m--)
				b[off + (uint64_t)rand() % size] = (uint8_t)rand();
			if (k % 4 == 0) /* a length byte of the header */
				b[off + (uint64_t)rand() % 24] = (uint8_t)(rand() % 2 ? 0xff : 0);
			break;
		}
		es = open_bytes(b, n, err, sizeof(err));
		variants++;
		if (!es) {
			snprintf(err + strlen(err), sizeof(err) - strlen(err), " (damage %d)", k);
			e = err;
			break;
		}
		if ((e = expect(es, coff, "cleanup_volume", 0)))
			break;
		for (size_t i = 0; i < na && !e; i++) {
			uint64_t o;

			if (va_to_off(l, addrs[i], &o) == 0 && elfsym_lookup(es, o, &h) && strict && (h.file || h.line)) {
				static char why[200];

				snprintf(why, sizeof(why), "damage %d: %#llx still has %s:%u", k, (unsigned long long)addrs[i],
					 h.file ? h.file : "-", h.line);
				e = why;
			}
		}
		elfsym_close(es);
	}
	result(name, e ? "%s" : NULL, e);
out:
	free(orig);
	free(b);
	free(addrs);
}

static void dwarf_lines(void)
{
	static const struct {
		const char *what, *cc, *flags;
	} v[] = {
		{ "gcc -g -O0 (DWARF 5, PIE)", "gcc", "-g -O0" },
		{ "gcc -gdwarf-4 -O0", "gcc", "-gdwarf-4 -O0" },
		{ "gcc -gdwarf-5 -O2", "gcc", "-gdwarf-5 -O2" },
		{ "gcc -gdwarf-3 -O0 non-PIE", "gcc", "-gdwarf-3 -O0 -no-pie" },
		{ "gcc -gdwarf-2 -O1", "gcc", "-gdwarf-2 -O1" },
		{ "clang -g -O0 (DWARF 5)", "clang", "-g -O0" },
		{ "clang -gdwarf-4 -O1", "clang", "-gdwarf-4 -O1" },
	};
	char src[600], inc[600];
	char *prog;

	if (!have("addr2line")) {
		result("C file:line", "addr2line missing (binutils)");
		return;
	}
	snprintf(src, sizeof(src), "%s/dwarf.c", work);
	snprintf(inc, sizeof(inc), "%s/dwarf_inc.h", work);
	prog = malloc(sizeof(c_prog) + 128);
	if (!prog) {
		result("C file:line", "out of memory");
		return;
	}
	/* the program of check_c, with a function from a header it includes, called from main */
	{
		const char *m = strstr(c_prog, "> 100;");

		snprintf(prog, sizeof(c_prog) + 128, "#include \"dwarf_inc.h\"\n%.*s> twice_it(50);%s",
			 m ? (int)(m - c_prog) : 0, c_prog, m ? m + 6 : c_prog);
	}
	if (write_file(inc, dw_inc, sizeof(dw_inc) - 1) < 0 || write_file(src, prog, strlen(prog)) < 0) {
		result("C file:line", "cannot write %s", src);
		free(prog);
		return;
	}
	free(prog);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char bin[700], nodebug[720], stripped[720], name[400], err[256], first[600] = "";
		struct elfsym *es;
		struct loads l;
		uint64_t *va;
		size_t na, bad = 0, with_line = 0, disagree = 0;
		long checked;

		snprintf(bin, sizeof(bin), "%s/cg-%zu", work, i);
		snprintf(nodebug, sizeof(nodebug), "%s-nodebug", bin);
		snprintf(stripped, sizeof(stripped), "%s-strip", bin);
		if (!have(v[i].cc)) {
			snprintf(name, sizeof(name), "C %s", v[i].what);
			result(name, "%s missing", v[i].cc);
			continue;
		}
		if (sh("%s %s -fno-omit-frame-pointer -w -I'%s' -o '%s' '%s' && strip --strip-debug -o '%s' '%s' && strip -o '%s' '%s'",
		       v[i].cc, v[i].flags, work, bin, src, nodebug, bin, stripped, bin) != 0) {
			snprintf(name, sizeof(name), "C %s", v[i].what);
			result(name, "%s %s failed", v[i].cc, v[i].flags);
			continue;
		}
		es = open_path(bin, err, sizeof(err));
		va = dwarf_addrs(bin, &na);
		if (!es || !va || read_loads(bin, &l) < 0) {
			snprintf(name, sizeof(name), "C %s", v[i].what);
			result(name, "%s", es ? "readelf failed" : err);
			elfsym_close(es);
			free(va);
			continue;
		}
		checked = compare_binutils(es, bin, &l, va, na, first, sizeof(first), &bad, &with_line, &disagree);
		snprintf(name, sizeof(name), "C %s: file:line at %ld addresses (%zu with a line: every byte of the program's functions, one from a header at -O0) as addr2line -e gives it (%zu as llvm-addr2line where they differ)",
			 v[i].what, checked, with_line, disagree);
		if (checked < 0)
			result(name, "addr2line failed");
		else if (bad)
			result(name, "%zu of %ld differ, first: %s", bad, checked, first);
		else if (with_line < 50)
			result(name, "only %zu addresses with a line", with_line);
		else {
			/* the header's function must be named by its own file */
			uint64_t a, sz, off;
			struct elfsym_hit h;
			const char *e = NULL;

			if (func_of(bin, "twice_it", &a, &sz) < 0 || va_to_off(&l, a, &off) < 0)
				e = strstr(v[i].flags, "-O0") ? "twice_it missing" : NULL; /* folded away above -O0 */
			else if (!elfsym_lookup(es, off + sz / 2, &h) || !h.file || !strstr(h.file, "/dwarf_inc.h"))
				e = "twice_it not in dwarf_inc.h";
			else if (!elfsym_lookup(es, off, &h) || !h.file || h.file[0] != '/')
				e = "not a full path";
			result(name, e ? "%s" : NULL, e);
		}
		snprintf(name, sizeof(name), "C %s", v[i].what);
		check_all_funcs(name, es, bin);
		if (i == 0 || i == 1) {
			snprintf(name, sizeof(name), "%s", v[i].what);
			dwarf_corrupt(name, bin, &l);
		}
		elfsym_close(es);

		/* without the debug sections: the same names, no line; fully stripped: nothing */
		for (int s = 0; s < 2; s++) {
			const char *f = s ? stripped : nodebug;
			size_t named = 0, lines = 0;

			snprintf(name, sizeof(name), "C %s, %s: %s", v[i].what, s ? "stripped" : "strip --strip-debug",
				 s ? "nothing named, no line" : "every function still named, no line");
			es = open_path(f, err, sizeof(err));
			if (!es) {
				result(name, "%s", err);
				continue;
			}
			for (size_t k = 0; k < na; k++) {
				uint64_t off;
				struct elfsym_hit h;

				if (va_to_off(&l, va[k], &off) == 0 && elfsym_lookup(es, off, &h)) {
					named++;
					lines += h.file || h.line;
				}
			}
			if (lines)
				result(name, "%zu addresses with a line", lines);
			else if (s && named)
				result(name, "%zu addresses named", named);
			else if (!s && named < na / 2)
				result(name, "only %zu of %zu named", named, na);
			else
				result(name, NULL);
			elfsym_close(es);
		}
		free(va);
	}
}

/* ---- libc ---- */

static void libc(void)
{
	const char *path = "/lib/x86_64-linux-gnu/libc.so.6";
	char err[256], *o;
	struct elfsym *es;
	struct loads l;
	uint64_t a, sz, off;
	const char *e;
	double best = 1e9;

	if (access(path, R_OK)) {
		o = out("ldd /bin/true | sed -n 's/.*libc.so.6 => \\([^ ]*\\).*/\\1/p'");
		if (o && o[0]) {
			o[strcspn(o, "\n")] = 0;
			path = o;
		}
	}
	es = open_path(path, err, sizeof(err));
	if (!es || read_loads(path, &l) < 0 || func_of(path, "unlink", &a, &sz) < 0 || va_to_off(&l, a, &off) < 0) {
		result("libc: unlink from .dynsym", "%s", es ? "readelf does not list unlink" : err);
		elfsym_close(es);
		return;
	}
	e = expect(es, off, "unlink", 0);
	if (!e)
		e = expect(es, off + sz / 2, "unlink", sz / 2);
	result("libc: unlink from .dynsym", e ? "%s" : NULL, e);
	check_build_id("libc: build id as readelf -n", es, path);
	check_all_funcs("libc", es, path);
	elfsym_close(es);
	for (int i = 0; i < 5; i++) {
		double t = now_ms();

		es = open_path(path, err, sizeof(err));
		t = now_ms() - t;
		if (t < best)
			best = t;
		elfsym_close(es);
	}
	{
		char name[200];

		/* under ASan; the agent's -Os build is ~5x faster */
		snprintf(name, sizeof(name), "libc: opens in %.2f ms (best of 5, ASan build)", best);
		result(name, best < 50 ? NULL : "slower than 50 ms");
	}
}

/* ---- Go ---- */

static const char go_prog[] =
	"package main\n"
	"\n"
	"import \"os\"\n"
	"\n"
	"type volume struct{ path string }\n"
	"\n"
	"//go:noinline\n"
	"func (v *volume) remove() error {\n"
	"	return os.Remove(v.path)\n"
	"}\n"
	"\n"
	"//go:noinline\n"
	"func cleanupVolume(dir string) int {\n"
	"	v := &volume{path: dir + \"/volume\"}\n"
	"	if v.remove() != nil {\n"
	"		return 1\n"
	"	}\n"
	"	return 0\n"
	"}\n"
	"\n"
	"//go:noinline\n"
	"func deleteIt(n int) int {\n"
	"	r := 0\n"
	"	for i := 0; i < n; i++ {\n"
	"		r += cleanupVolume(\"/nonexistent-kw\")\n"
	"	}\n"
	"	return r\n"
	"}\n"
	"\n"
	"func main() {\n"
	"	os.Exit(deleteIt(len(os.Args)) & 1)\n"
	"}\n";

static char go_env[1024];

/* Compares name, file and line at each pc with `go tool addr2line` on ref (same layout as bin).
 * pcs are addresses; returns the count checked, -1 on a tool failure (why in e). */
static long compare_addr2line(const struct elfsym *es, const char *ref, const struct loads *l, const uint64_t *pcs,
			      size_t n, char *first, size_t firstlen, size_t *bad)
{
	char in[700], *o, *line, *save = NULL;
	FILE *f;
	size_t i = 0;
	long checked = 0;

	snprintf(in, sizeof(in), "%s/pcs.txt", work);
	if (!(f = fopen(in, "w")))
		return -1;
	for (size_t k = 0; k < n; k++)
		fprintf(f, "%#llx\n", (unsigned long long)pcs[k]);
	fclose(f);
	o = out("%s go tool addr2line '%s' < '%s'", go_env, ref, in);
	if (!o)
		return -1;
	*bad = 0;
	for (line = strtok_r(o, "\n", &save); line && i < n; line = strtok_r(NULL, "\n", &save), i++) {
		char *fl = strtok_r(NULL, "\n", &save), *colon;
		struct elfsym_hit h;
		uint64_t off;
		long ln;
		int found;

		if (!fl)
			break;
		colon = strrchr(fl, ':');
		ln = colon ? strtol(colon + 1, NULL, 10) : 0; /* -1: the pc tables do not cover it */
		if (colon)
			*colon = 0;
		if (!strcmp(line, "?") || va_to_off(l, pcs[i], &off) < 0)
			continue;
		checked++;
		found = elfsym_lookup(es, off, &h);
		if (!found || strcmp(h.name, line) || (ln > 0 && ((long)h.line != ln || !h.file || strcmp(h.file, fl)))) {
			if (!(*bad)++)
				snprintf(first, firstlen, "pc %#llx: %s %s:%u, go tool addr2line: %s %s:%ld",
					 (unsigned long long)pcs[i], found ? h.name : "(nothing)",
					 found && h.file ? h.file : "-", found ? h.line : 0, line, fl, ln);
		}
	}
	free(o);
	return checked;
}

/* with_addr2line: go tool addr2line reads this kind of file (not PIE: it prints "?" for all). */
static void check_go(const char *variant, const char *bin, const char *ref, int with_addr2line)
{
	char err[256], name[300], first[700] = "", nm_first[700] = "", *o, *line, *save = NULL;
	size_t nm_checked = 0, nm_bad = 0;
	struct elfsym *es = open_path(bin, err, sizeof(err));
	struct elfsym_stats st;
	struct loads l, lref;
	uint64_t *pcs = NULL;
	size_t n = 0, cap = 0, bad = 0;
	const char *e = NULL;
	long checked;
	int named = 0;

	snprintf(name, sizeof(name), "Go %s -ldflags='-s -w': no .symtab, the functions from .gopclntab", variant);
	if (!es) {
		result(name, "%s", err);
		return;
	}
	elfsym_stats(es, &st);
	if (sh("readelf -SW '%s' | grep -q ' \\.symtab '", bin) == 0)
		e = "the stripped build still has .symtab";
	else if (st.nsyms != 0 || st.ngo < 500 || !st.go_lines)
		e = "expected only Go functions, with lines";
	else if (read_loads(bin, &l) < 0 || read_loads(ref, &lref) < 0)
		e = "readelf -lW failed";
	else if (l.n != lref.n || memcmp(l.va, lref.va, sizeof(l.va)) || memcmp(l.off, lref.off, sizeof(l.off)))
		e = "the unstripped twin has another layout";
	result(name, e ? "%s" : NULL, e);
	if (e) {
		elfsym_close(es);
		return;
	}

	/* every function go tool nm lists, at its entry and its middle */
	o = out("%s go tool nm -size -sort address '%s'", go_env, ref);
	for (line = o ? strtok_r(o, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long long a, sz;
		char t[8];
		int at = 0;
		const char *fname;

		if (sscanf(line, " %llx %llu %7s %n", &a, &sz, t, &at) != 3 || !at || (strcmp(t, "T") && strcmp(t, "t")))
			continue;
		fname = line + at; /* the rest of the line: Go names may hold spaces */
		if (n + 2 > cap) {
			uint64_t *np = realloc(pcs, (cap = cap ? cap * 2 : 4096) * sizeof(*pcs));

			if (!np)
				break;
			pcs = np;
		}
		pcs[n++] = a;
		if (sz > 1)
			pcs[n++] = a + sz / 2;
		/* The symbol table's spelling differs from the pclntab's (which Go's tracebacks print) for
		 * assembly functions (".abi0" appended) and generic shapes ("[5]" is "[...]"); markers such
		 * as runtime.text have no size. */
		if (sz > 0 && !strchr(fname, '[')) {
			uint64_t off;
			struct elfsym_hit h;
			size_t fl = strlen(fname);

			if (fl > 5 && !strcmp(fname + fl - 5, ".abi0"))
				fl -= 5;
			nm_checked++;
			if (va_to_off(&l, a, &off) < 0 || !elfsym_lookup(es, off, &h) || strlen(h.name) != fl ||
			    strncmp(h.name, fname, fl) || h.off ||
			    (sz > 1 && (!elfsym_lookup(es, off + sz / 2, &h) || strncmp(h.name, fname, fl) || h.off != sz / 2))) {
				if (!nm_bad++)
					snprintf(nm_first, sizeof(nm_first), "%s at %#llx: %s+%#llx", fname, a,
						 elfsym_lookup(es, off, &h) ? h.name : "(nothing)", (unsigned long long)h.off);
			}
		}
		if (!strcmp(fname, "main.cleanupVolume") || !strcmp(fname, "main.deleteIt") ||
		    !strcmp(fname, "main.(*volume).remove")) {
			uint64_t off;
			const char *e2 = NULL;

			if (va_to_off(&l, a, &off) < 0 || sz < 2)
				e2 = "not in a segment";
			else if (!(e2 = expect(es, off, fname, 0)) && !(e2 = expect(es, off + sz - 1, fname, sz - 1))) {
				struct elfsym_hit h;

				elfsym_lookup(es, off + 1, &h);
				if (!h.file || !strstr(h.file, "/main.go") || h.line < 8 || h.line > 32)
					e2 = "no main.go line";
			}
			snprintf(name, sizeof(name), "Go %s: %s at its entry, last byte, with main.go:line", variant, fname);
			result(name, e2 ? "%s" : NULL, e2);
			named++;
		}
	}
	free(o);
	if (named != 3) {
		snprintf(name, sizeof(name), "Go %s: go tool nm lists the test's functions", variant);
		result(name, "found %d of 3", named);
	}
	snprintf(name, sizeof(name), "Go %s: all %zu sized functions go tool nm lists (ABI0 suffix aside, shapes skipped) are named at their entry and middle", variant,
		 nm_checked);
	result(name, nm_bad ? "%zu wrong, first: %s" : nm_checked < 500 ? "too few checked" : NULL, nm_bad, nm_first);
	if (with_addr2line) {
		checked = n ? compare_addr2line(es, ref, &l, pcs, n, first, sizeof(first), &bad) : -1;
		snprintf(name, sizeof(name), "Go %s: %ld pcs (every function's entry and middle) match go tool addr2line (name, file:line)",
			 variant, checked);
		if (checked < 0)
			result(name, "go tool nm/addr2line failed");
		else if (bad)
			result(name, "%zu differ, first: %s", bad, first);
		else
			result(name, checked < 1000 ? "too few checked" : NULL);
	}
	free(pcs);
	snprintf(name, sizeof(name), "Go %s: build id as readelf -n (none from Go's linker)", variant);
	check_build_id(name, es, bin);
	elfsym_close(es);
}

/* The Go toolchain's own compiler: stripped, big. Samples .text and compares with addr2line. */
static void check_go_compile(void)
{
	char err[256], first[700] = "", name[300], *o, path[600] = "";
	struct elfsym *es;
	struct elfsym_stats st;
	struct loads l;
	unsigned long long ta = 0, to = 0, tsz = 0, pa = 0, po = 0, psz = 0;
	uint64_t *pcs;
	size_t n = 2000, bad = 0;
	long checked;
	double best = 1e9;

	o = out("%s go env GOROOT GOHOSTOS GOHOSTARCH | tr '\\n' ' '", go_env);
	if (o) {
		char root[400], os_[32], arch[32];

		if (sscanf(o, "%399s %31s %31s", root, os_, arch) == 3)
			snprintf(path, sizeof(path), "%s/pkg/tool/%s_%s/compile", root, os_, arch);
		free(o);
	}
	if (!path[0] || access(path, R_OK)) {
		result("Go toolchain's compile: found", "no %s", path);
		return;
	}
	for (int i = 0; i < 3; i++) {
		double t = now_ms();

		es = open_path(path, err, sizeof(err));
		t = now_ms() - t;
		if (t < best)
			best = t;
		if (i < 2)
			elfsym_close(es);
	}
	if (!es) {
		result("Go toolchain's compile: opens", "%s", err);
		return;
	}
	elfsym_stats(es, &st);
	o = out("readelf -SW '%s' | sed -n -e 's/.*\\] \\.text *PROGBITS *//p' -e 's/.*\\] \\.gopclntab *PROGBITS *//p'",
		path);
	if (!o || sscanf(o, "%llx %llx %llx %*s %*s %*s %*s %*s %llx %llx %llx", &ta, &to, &tsz, &pa, &po, &psz) != 6 ||
	    read_loads(path, &l) < 0) {
		result("Go toolchain's compile: sections", "readelf -SW shows no .text/.gopclntab");
		free(o);
		elfsym_close(es);
		return;
	}
	free(o);
	{
		struct stat sb;

		if (stat(path, &sb) < 0)
			sb.st_size = 0;
		snprintf(name, sizeof(name),
			 "Go toolchain's compile (%lld MB): opens in %.1f ms (best of 3, ASan build), %u functions, keeps %zu KB (.gopclntab is %llu KB)",
			 (long long)sb.st_size >> 20, best, st.ngo, st.mem >> 10, psz >> 10);
	}
	result(name, st.ngo < 5000 ? "too few functions" : st.mem >= psz ? "keeps more than its .gopclntab" :
		     best > 2000 ? "slower than 2 s" : NULL);
	pcs = malloc(n * sizeof(*pcs));
	for (size_t i = 0; pcs && i < n; i++)
		pcs[i] = ta + (tsz / n) * i + (i * 7) % 13;
	checked = pcs ? compare_addr2line(es, path, &l, pcs, n, first, sizeof(first), &bad) : -1;
	snprintf(name, sizeof(name), "Go toolchain's compile: %ld pcs across .text match go tool addr2line", checked);
	if (checked < 0)
		result(name, "go tool addr2line failed");
	else
		result(name, bad ? "%zu differ, first: %s" : checked < 1000 ? "too few checked" : NULL, bad, first);
	free(pcs);
	elfsym_close(es);
}

static char gobin_for_hostile[700];

static void go_programs(void)
{
	const char *cache = getenv("KW_CACHE") ? getenv("KW_CACHE") : "/var/tmp/kwitness";
	static const struct {
		const char *variant, *flags;
	} v[] = {
		{ "exe", "" },
		{ "PIE", "-buildmode=pie" },
	};
	char src[600];

	if (!have("go")) {
		result("Go programs", "go: command not found (scripts/setup.sh installs golang-go)");
		return;
	}
	snprintf(go_env, sizeof(go_env),
		 "GOCACHE='%s/go/cache' GOPATH='%s/go/path' GOENV=off GOFLAGS= GOTOOLCHAIN=local CGO_ENABLED=0 GOPROXY=off",
		 cache, cache);
	snprintf(src, sizeof(src), "%s/main.go", work);
	if (write_file(src, go_prog, sizeof(go_prog) - 1) < 0) {
		result("Go programs", "cannot write %s", src);
		return;
	}
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char bin[700], ref[720];

		snprintf(bin, sizeof(bin), "%s/go-%s", work, i ? "pie" : "exe");
		snprintf(ref, sizeof(ref), "%s-full", bin);
		if (sh("cd '%s' && %s go build %s -ldflags='-s -w' -o '%s' main.go && %s go build %s -o '%s' main.go", work,
		       go_env, v[i].flags, bin, go_env, v[i].flags, ref) != 0) {
			result(v[i].variant, "go build %s failed", v[i].flags);
			continue;
		}
		if (i == 0)
			snprintf(gobin_for_hostile, sizeof(gobin_for_hostile), "%s", bin);
		check_go(v[i].variant, bin, ref, i == 0);
		if (i == 0) {
			char err[256], name[200];
			double best = 1e9;

			for (int k = 0; k < 5; k++) {
				double t = now_ms();
				struct elfsym *es = open_path(bin, err, sizeof(err));

				t = now_ms() - t;
				if (t < best)
					best = t;
				elfsym_close(es);
			}
			snprintf(name, sizeof(name), "Go exe: opens in %.2f ms (best of 5, ASan build)", best);
			result(name, best < 100 ? NULL : "slower than 100 ms");
		}
	}
	check_go_compile();
}

static int write_seeds(const char *dir)
{
	static uint8_t b[16384];
	static const int fl[] = { SYN_V118, SYN_V120, SYN_V116, SYN_V118 | SYN_NOSHDR, 0 };
	char path[600];

	mkdir(dir, 0755);
	for (size_t i = 0; i < sizeof(fl) / sizeof(fl[0]); i++) {
		size_t n = build_synth(b, sizeof(b), fl[i]);

		snprintf(path, sizeof(path), "%s/synthetic-%zu", dir, i);
		if (!n || write_file(path, b, n) < 0) {
			fprintf(stderr, "elfsym-unit: cannot write %s\n", path);
			return 1;
		}
	}
	/* a C program built with -g (DWARF 5 and 4): .debug_line for the fuzzer to start from */
	if (have("gcc")) {
		snprintf(path, sizeof(path), "%s/dwarf-seed.c", dir);
		if (write_file(path, c_prog, sizeof(c_prog) - 1) == 0)
			sh("gcc -g -O0 -w -o '%s/c-g-dwarf5' '%s' && gcc -gdwarf-4 -O1 -w -o '%s/c-g-dwarf4' '%s'", dir, path,
			   dir, path);
		unlink(path);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *w = getenv("KW_ELFSYM_WORK");

	if (argc == 3 && !strcmp(argv[1], "--seeds"))
		return write_seeds(argv[2]);
	snprintf(work, sizeof(work), "%s", w && *w ? w : "build/fuzz/elfsym-work");
	if (sh("mkdir -p '%s'", work) != 0) {
		printf("FAIL cannot create %s\n", work);
		return 1;
	}
	if (work[0] != '/') {
		char cwd[256];

		if (getcwd(cwd, sizeof(cwd))) {
			char abs[512];

			snprintf(abs, sizeof(abs), "%s/%s", cwd, work);
			snprintf(work, sizeof(work), "%s", abs);
		}
	}
	synthetic();
	c_programs();
	dwarf_lines();
	libc();
	go_programs();
	hostile(cbin_for_hostile[0] ? cbin_for_hostile : NULL, gobin_for_hostile[0] ? gobin_for_hostile : NULL);
	return failures ? 1 : 0;
}
