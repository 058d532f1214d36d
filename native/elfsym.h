/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * elfsym.h: names the function at a file offset of an ELF file (a user stack frame, as
 * /proc/PID/maps turns its address into file + offset), from the file's own tables:
 *   - .symtab and .dynsym (STT_FUNC, STT_GNU_IFUNC), sorted by address;
 *   - Go's .gopclntab (Go 1.16/1.17, 1.18/1.19, 1.20+), which even a stripped Go binary
 *     (`-ldflags='-s -w'`) keeps: every function's name, and file:line from its pc tables;
 *   - DWARF's .debug_line (a C/C++ file built with -g): file:line (dwarfline.c);
 *   - the GNU build id (PT_NOTE, else SHT_NOTE sections).
 *
 * The file may be an attacker's (any binary a traced process runs): it is read with pread into
 * bounded heap memory, never mapped, every offset checked against the file's size; files over
 * 2 GiB, ELF32 and big-endian files are refused. Lookups are read-only (several threads may
 * share one struct elfsym).
 */
#ifndef KW_ELFSYM_H
#define KW_ELFSYM_H

#include <stddef.h>
#include <stdint.h>

struct elfsym; /* the symbols of one ELF file, read once */

/* Reads the ELF file open at fd (the caller keeps fd and closes it; elfsym neither keeps it open
 * nor maps it). NULL with a one-line reason in err on failure (not ELF, not 64-bit LE, too big,
 * truncated, ...). A file without any symbols opens fine (lookups then find nothing). */
struct elfsym *elfsym_open(int fd, char *err, size_t errlen);
void elfsym_close(struct elfsym *es);

/* The GNU build id as lowercase hex ("" when the file has none; Go's own linker writes none
 * unless given -B). */
const char *elfsym_build_id(const struct elfsym *es);

struct elfsym_hit {
	const char *name; /* function name (valid until elfsym_close) */
	uint64_t off;     /* address - function start */
	const char *file; /* source file, or NULL (valid until elfsym_close) */
	uint32_t line;    /* source line, 0 if unknown */
};

/* Names the function containing the byte at file offset file_off of the file (the agent computes
 * it from /proc/PID/maps: addr - start + pgoff). 1 found, 0 not found. The offset is mapped to a
 * virtual address through the PT_LOAD program headers (p_offset..p_offset+p_filesz -> p_vaddr).
 * A return address points after its call: pass ret - 1 to get the call's own line.
 * file:line comes from Go's pc tables (the innermost inlined position, under the name of the
 * function the code was inlined into), else from the DWARF line table (.debug_line, versions
 * 2-5) of a file built with -g and not stripped: the full path when the table names the
 * directory (DWARF 5 always does; DWARF 2-4 not for the compilation directory). */
int elfsym_lookup(const struct elfsym *es, uint64_t file_off, struct elfsym_hit *hit);

/* What was read, for logs and tests. */
struct elfsym_stats {
	uint32_t nsyms;   /* functions from .symtab/.dynsym (after merging aliases) */
	uint32_t ngo;     /* functions from .gopclntab */
	uint32_t go_version; /* 116, 118, 120; 0: no Go table */
	uint32_t go_lines;   /* 1: Go file:line available */
	size_t mem;       /* heap bytes held */
	const char *note; /* why a table was skipped or cut ("" when nothing was) */
};
void elfsym_stats(const struct elfsym *es, struct elfsym_stats *st);

#endif
