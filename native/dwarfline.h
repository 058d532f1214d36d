/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * dwarfline.h: internal to elfsym.c and dwarfline.c. The DWARF line tables (.debug_line,
 * versions 2 to 5) of a file built with -g, read into one sorted table of address ranges, each
 * with its source file (a full path in the file's name pool) and line: file:line for C/C++
 * frames, as gopclntab.c gives it for Go.
 */
#ifndef KW_DWARFLINE_H
#define KW_DWARFLINE_H

#include <stddef.h>
#include <stdint.h>
#include "gopclntab.h"

/* One run of addresses with the same file and line. */
struct es_linerow {
	uint64_t addr;  /* first address */
	uint32_t len;   /* bytes: [addr, addr + len) */
	uint32_t file;  /* pool offset of the path, ES_NONE: unknown */
	uint32_t line;
};

struct es_lines {
	struct es_linerow *row; /* sorted by addr */
	uint32_t n;
	size_t mem;
};

/* Where one debug section's bytes are in the file (size 0: absent). */
struct es_dwsec {
	uint64_t off, size;
};

/* Reads the line programs of .debug_line (line), with the strings DWARF 5 keeps in
 * .debug_line_str (line_str) and .debug_str (str). Only sequences that start inside an
 * executable range of x are kept. 0 on success (lt->n may be 0), -1 when the table is unusable or
 * too big (lt is then empty); note gets why, either way, when something was skipped. */
int es_lines_load(struct es_lines *lt, struct es_pool *pool, struct es_reader *r, const struct es_dwsec *line,
		  const struct es_dwsec *line_str, const struct es_dwsec *str, const struct es_range *x, size_t nx,
		  char *note, size_t notelen);
/* 1 with *file (pool offset, ES_NONE: unknown) and *line when vaddr lies in a row's range. */
int es_lines_lookup(const struct es_lines *lt, uint64_t vaddr, uint32_t *file, uint32_t *line);
void es_lines_free(struct es_lines *lt);

/* Appends the n bytes at s (no NUL among them) and a NUL to the pool; defined in elfsym.c. Its
 * pool offset, or ES_NONE (the pool is full). */
uint32_t es_pool_mem(struct es_pool *pool, const char *s, size_t n);

#endif
