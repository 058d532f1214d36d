// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * guard_json.c: how a denial names its rule in a json record. Apart from guard.c (which needs the
 * BPF skeleton) so the record builder links without libbpf (test/fuzz).
 */
#include <string.h>
#include "agent.h"
#include "guard.h"

const char *guard_kind_name(unsigned kind)
{
	return kind == KW_G_DELETE ? "deny-delete" : kind == KW_G_WRITE ? "deny-write" : "quota";
}

void guard_rule_json(struct buf *b, uint32_t rule)
{
	buf_printf(b, ",\"rule\":%u", rule);
	if (rule >= (uint32_t)opt.n_grule)
		return; /* a record from another agent's rules (a journal read back): the index only */
	const struct kw_grule *g = &opt.grule[rule];
	const char *p = g->real ? g->real : g->path;
	buf_printf(b, ",\"rule_kind\":\"%s\",", guard_kind_name(g->kind));
	json_bytes(b, "rule_path", p, strlen(p));
	if (g->kind == KW_G_QUOTA)
		buf_printf(b, ",\"quota_bytes\":%llu", (unsigned long long)g->limit);
}
