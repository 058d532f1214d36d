/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * stacks.h: --stacks kernel,user. The kernel side (bpf/stacks.bpf.h) sends return addresses;
 * stacks.c names them on this machine while it can: kernel frames from /proc/kallsyms
 * (kallsyms.c), user frames from the ELF file each was mapped from (elfsym.c: .symtab, .dynsym,
 * Go's .gopclntab). stack_setup.c configures the BPF side.
 */
#ifndef KW_STACKS_H
#define KW_STACKS_H

#include "record.h"

/* One frame of an event (the STACK TAIL of kwitness_wire.h). Strings live until the next record. */
struct frame {
	uint64_t addr, off, file_off;
	uint32_t line, flags;     /* enum kw_frame_flag */
	struct sv sym, obj, build_id, src;
};

struct ev_stacks {
	int32_t kerr, uerr;       /* 0, or the errno (< 0) the kernel gave for a stack it could not take */
	uint32_t kn, un;
	struct frame k[KW_STACK_MAX];
	struct frame u[KW_STACK_MAX + 1]; /* + the frame found at the stack pointer */
};

/* The record's stacks, named; false when it carries none. exe: the event's executable (a last way
 * to find the file of frames of a process that is gone). */
bool stacks_resolve(const struct kw_raw *r, size_t data_sz, struct sv exe, struct ev_stacks *out);

/* A process exec'd or ended: the mappings kept for it name another image now (or nothing). */
void stacks_forget(uint32_t pid);

/* Tests (the fuzzer): name user frames from no file, so records never reach into this machine's processes. */
void stacks_use_files(bool on);

/* ---- kallsyms.c: kernel addresses -> function names ---- */
struct ksym_hit {
	const char *name, *module; /* module "" for the kernel itself */
	uint64_t off;
};
bool ksym_lookup(uint64_t addr, struct ksym_hit *h);
void ksym_use_file(const char *path); /* tests: read this file instead of /proc/kallsyms */

/* ---- stack_setup.c (needs the skeleton; main.c) ---- */
struct kwitness;
struct bpf_program;
/* Whether p is one of the stack programs, and then whether this trace loads it. */
bool stack_program(const struct bpf_program *p, bool *load);
void stack_configure(struct kwitness *skel);
int stack_fill(struct kwitness *skel, char *err, size_t errsz); /* after load: which system calls */
const char *stack_mode(void); /* "vma" (files named in the kernel) or "maps" (by /proc/PID/maps) */

#endif
