/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * func.h: `trace func:NAME` (bpf/func.bpf.h): finding the function in BTF (vmlinux or a module's),
 * choosing fentry or kprobe for it, telling the programs how to read its arguments, --where, and
 * turning its call records into events. `funcs` lists what can be probed (completion).
 */
#ifndef KW_FUNC_H
#define KW_FUNC_H

#include <stdbool.h>
#include <stddef.h>
#include "record.h"

struct kwitness;
struct bpf_program;

/* Resolves every requested function (opt.funcs) and the --where clauses; 0, or -1 with one line. */
int func_prepare(char *err, size_t errsz);
/* After open, before load: which slot programs load, and their fentry targets. */
void func_configure(struct kwitness *skel);
/* After load: the specs into the kernel. 0, or -1 with one line. */
int func_fill(struct kwitness *skel, char *err, size_t errsz);
/* A kw_func_* program: its slot, whether it is the return half; false for other programs. */
bool func_program(struct bpf_program *p, int *slot, bool *ret, bool *fentry);
/* The function slot N probes (the kernel's name) and its attach mode ("fentry" or "kprobe"). */
const char *func_name(int slot);
const char *func_mode(int slot);
int func_count(void);

/*
 * ---- func_event.c (no libbpf: the record builder is fuzzed without it) ----
 * How to print one value, from its BTF type (func.c fills these in at start).
 */
enum { VF_HEX = 0, VF_INT, VF_BOOL, VF_ENUM, VF_PTR };
struct val_fmt {
	uint8_t what;             /* VF_* */
	uint8_t size, is_signed;  /* VF_INT, VF_ENUM */
	uint32_t n_enum;          /* VF_ENUM: its enumerators */
	int64_t *enum_val;
	char **enum_name;
};
/* One probed function as the events describe it. */
struct func_desc {
	char *name;               /* the kernel's name */
	char *probe;              /* "fentry:NAME" or "kprobe:NAME" */
	char *ret_type;
	struct val_fmt ret;
	bool ret_void;
	uint8_t nargs;            /* arguments shown (at most KW_FUNC_ARGS) */
	uint8_t kind[KW_FUNC_ARGS];   /* enum kw_farg */
	char *arg_name[KW_FUNC_ARGS], *arg_type[KW_FUNC_ARGS];
	struct val_fmt arg[KW_FUNC_ARGS];
};
void func_describe(int slot, const struct func_desc *d); /* copied by pointer: keep it alive */
const struct func_desc *func_desc_of(int slot);

/* A call record's event fields (e->call); false: a bad record (reported as an error). */
struct call_ev {
	struct sv func, ret_type;
	uint32_t n_args;
	struct sv name[KW_FUNC_ARGS], type[KW_FUNC_ARGS], value[KW_FUNC_ARGS]; /* value: JSON text */
	int64_t ret;
	uint64_t duration_ns;
	uint8_t attach, cflags;
};
bool func_event(const struct kw_raw *r, size_t dsz, struct ev *e);
const char *func_probe_name(int slot);
/* `"ret":...` of a call as JSON (a number, "0x..." for a pointer, null for void) */
void func_json_ret(struct buf *b, const struct call_ev *c);

/* `kwitness-agent funcs [SUBSTRING]`: one JSON line per function BTF describes. */
int cmd_funcs(int argc, char **argv);

#endif
