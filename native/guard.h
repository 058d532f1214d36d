/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* guard.h: `kwitness-agent guard` (guard.c), as main.c runs it. */
#ifndef KW_GUARD_H
#define KW_GUARD_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

struct kwitness;
struct buf;

/* Resolves the rules (opt.grule) and chooses the mechanism: 0, or -1 with one line in err. */
int guard_prepare(char *err, size_t errsz);
/* What a guard would use here (`probe`): "lsm", "fmod_ret" (why says why not BPF LSM) or NULL (why says why not at all). */
const char *guard_capability(char *why, size_t n);
/* "lsm" or "fmod_ret" once guard_prepare() succeeded, else NULL. */
const char *guard_mechanism(void);

struct prog_info_guard {
	const char *mode; /* lsm or fmod_ret */
	const char *name; /* the hook (lsm) or the security_* function (fmod_ret) */
};
/* Whether the program in section `sec` is a guard's (then *load says whether this guard wants it). */
bool guard_program(const char *sec, bool *load, struct prog_info_guard *pi);

void guard_configure(struct kwitness *skel);                 /* before load: rodata, map size */
int guard_fill(struct kwitness *skel, char *err, size_t errsz); /* after load: the rules' inodes */
uint64_t guard_deep_total(struct kwitness *skel);            /* checks cut short by depth */
void guard_tick(struct kwitness *skel);                      /* each second: recount quotas that asked */

/* guard_json.c */
const char *guard_kind_name(unsigned kind);          /* deny-delete, deny-write, quota */
void guard_rule_json(struct buf *b, uint32_t rule);  /* `,"rule":N,"rule_kind":..,"rule_path":..` */
void guard_ready_json(struct buf *b);                /* `,"guard":{...}` of the ready record */

#endif
