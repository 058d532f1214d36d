/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * gopclntab.h: internal to elfsym.c and gopclntab.c. The bounded file reader and the name pool
 * both use, and Go's function table as gopclntab.c reads it out of a .gopclntab section.
 */
#ifndef KW_GOPCLNTAB_H
#define KW_GOPCLNTAB_H

#include <stddef.h>
#include <stdint.h>
#include "elfsym.h"

#define ES_WIN (256u << 10)          /* the reader's window, at most */
#define ES_READ (64u << 10)          /* and what it reads at least */
#define ES_NAME_MAX 4096u            /* longer names are cut */
#define ES_POOL_MAX (128u << 20)     /* all names of one file */
#define ES_MAX_FUNCS (4u << 20)      /* symbols read per symbol table */
#define ES_NONE UINT32_MAX

/* Reads one file with pread only: whole ranges into the caller's memory (es_pread), or
 * through one window (ES_READ bytes or more, at most ES_WIN) for many small pieces in file
 * order (es_span). */
struct es_reader {
	int fd;
	uint64_t size; /* st_size at open; nothing beyond it is read */
	uint8_t *buf;  /* the window (allocated by the first es_span, freed by the owner) */
	size_t cap;    /* bytes allocated at buf */
	uint64_t woff; /* file offset of buf[0] */
	size_t wlen;   /* bytes valid in buf */
	int short_read; /* a read came back short: the file shrank while we read it */
};

/* [off, off+len) of the file into dst. 0, or -1 when the range is not inside the file or the
 * read fails. */
int es_pread(struct es_reader *r, void *dst, uint64_t off, uint64_t len);
/* Bytes at off, at least min(want, end - off) of them (*got says how many, never past end or
 * the end of the file); want <= ES_WIN. NULL when off >= end or the read fails. The pointer is
 * valid until the next es_span. */
const uint8_t *es_span(struct es_reader *r, uint64_t off, uint64_t end, size_t want, size_t *got);

/* Every name of one file, NUL-terminated, referred to by offset; offset 0 is "". */
struct es_pool {
	char *p;
	size_t len, cap;
};
/* Copies the NUL-terminated string at file offset off (not past end; cut at ES_NAME_MAX - 1
 * bytes). Its pool offset, or ES_NONE (unreadable, or the pool is full). */
uint32_t es_pool_str(struct es_pool *pool, struct es_reader *r, uint64_t off, uint64_t end);
/* About n more bytes of names are coming: grow once now rather than step by step. */
void es_pool_hint(struct es_pool *pool, uint64_t n);

struct es_gofn {
	uint64_t entry;        /* address of the first instruction */
	uint32_t name;         /* pool offset */
	uint32_t pcfile, pcln; /* offsets into es_gotab.pc, ES_NONE: no table */
	uint32_t cu;           /* first cutab index of its compilation unit */
};

struct es_gotab {
	struct es_gofn *fn; /* sorted by entry */
	uint32_t n;
	uint32_t version;   /* 116, 118, 120 */
	uint32_t quantum;   /* pc step of the pc tables */
	uint64_t end;       /* end of the last function */
	uint8_t *pc;        /* the pcfile and pcln tables functions use, each ending with its 0 */
	size_t pclen;
	uint32_t *cutab;    /* (cu + file number) -> filetab offset */
	uint32_t ncu;
	char *files;        /* filetab, with a NUL appended */
	size_t fileslen;
	size_t mem;
};

/* An executable range of addresses (a PT_LOAD with PF_X): where textStart must point. */
struct es_range {
	uint64_t lo, hi;
};

/* Reads the pclntab at [off, off+size) of the file. text: the .text section's address (0 when
 * unknown), used when the header's textStart points outside x. 0 on success (gt->n may still be
 * 0), -1 when this is no pclntab we can read; note gets why, either way, when something was
 * skipped. */
int es_gotab_load(struct es_gotab *gt, struct es_pool *pool, struct es_reader *r, uint64_t off,
		  uint64_t size, uint64_t text, const struct es_range *x, size_t nx, char *note,
		  size_t notelen);
/* 1 and *hit filled when vaddr lies in a Go function. */
int es_gotab_lookup(const struct es_gotab *gt, const struct es_pool *pool, uint64_t vaddr,
		    struct elfsym_hit *hit);
void es_gotab_free(struct es_gotab *gt);

#endif
