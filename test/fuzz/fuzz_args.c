// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fuzz_args.c: libFuzzer target for `kwitness-agent trace ARGS` (native/args.c). The input is
 * the argument list, NUL-separated. Besides ASan/UBSan/LSan findings, a crash is: a refusal
 * whose message is not one printable line, or an accepted command line whose options break
 * what cmd_trace() and the BPF configuration rely on (families, prefix count and form, ranges).
 */
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent.h"

#define MAX_ARGS 64

volatile sig_atomic_t stop; /* agent.h (main.c in the agent) */

static void die(const char *why, const char *detail)
{
	fprintf(stderr, "fuzz_args: %s: [%s]\n", why, detail);
	abort();
}

/* A prefix as path_normalize() leaves it: absolute, no empty, '.' or '..' component, no trailing '/'. */
static void check_prefix(const char *p)
{
	size_t n = strlen(p);

	if (p[0] != '/')
		die("prefix not absolute", p);
	if (n > 1 && p[n - 1] == '/')
		die("prefix ends with '/'", p);
	if (strstr(p, "//") || strstr(p, "/./") || strstr(p, "/../") || (n >= 2 && !strcmp(p + n - 2, "/.")) ||
	    (n >= 3 && !strcmp(p + n - 3, "/..")))
		die("prefix not normalised", p);
}

static void check_accepted(const struct kw_opts *o)
{
	static const char *modes[] = { "auto", "fentry", "kprobe", "tracepoint" };
	static const char *guard_modes[] = { "auto", "lsm", "fmod_ret" };
	int ok = 0, quotas = 0;

	if (o->guard) {
		/* a guard: rules instead of families, and none of the trace filters */
		if (o->families || !o->n_grule || o->n_grule > KW_GUARD_MAX_RULES)
			die("guard accepted with families or without rules", "");
		for (int i = 0; i < o->n_grule; i++) {
			const struct kw_grule *g = &o->grule[i];
			if (!g->path || g->path[0] != '/')
				die("guard rule path not absolute", g->path ? g->path : "(null)");
			if (g->kind != KW_G_DELETE && g->kind != KW_G_WRITE && g->kind != KW_G_QUOTA)
				die("guard rule of no kind", g->path);
			if (g->kind == KW_G_QUOTA && (!g->limit || g->limit > (1ull << 62)))
				die("quota limit out of range", g->path);
			quotas += g->kind == KW_G_QUOTA;
		}
		if (quotas > KW_GUARD_MAX_QUOTA)
			die("too many quotas accepted", "");
		if (o->n_prefix || o->n_glob || o->pid || o->uid != -1 || o->has_comm || o->cgroup || o->failed_only)
			die("guard accepted a trace filter", "");
		for (int i = 0; i < 3; i++)
			ok |= !strcmp(o->attach, guard_modes[i]);
		if (!ok)
			die("unknown guard attach mode accepted", o->attach);
		return;
	}
	if (o->n_grule || o->audit_only || o->n_exempt_pid || o->n_exempt_uid || o->n_exempt_comm)
		die("trace accepted a guard flag", "");
	if ((!o->families && !o->n_funcs) || (o->families & ~(KW_FAM_UNLINK | KW_FAM_CREATE | KW_FAM_WRITE | KW_FAM_EXEC)))
		die("accepted without valid families or functions", "");
	/* func:NAME: a C identifier (module names may have dots), at most KW_FUNC_SLOTS */
	if (o->n_funcs < 0 || o->n_funcs > KW_FUNC_SLOTS)
		die("function count out of range", "");
	for (int i = 0; i < o->n_funcs; i++) {
		const char *f = o->funcs[i];
		if (!f || !f[0] || strlen(f) > 127 || (f[0] >= '0' && f[0] <= '9'))
			die("bad function name accepted", f ? f : "(null)");
		for (const char *c = f; *c; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' || *c == '.'))
				die("bad function name accepted", f);
	}
	if (o->n_where < 0 || o->n_where > 2 * KW_FUNC_WHERE || (o->n_where && !o->n_funcs))
		die("--where accepted without a function, or too many", "");
	if (o->n_prefix < 0 || o->n_prefix > KW_MAX_PREFIX)
		die("prefix count out of range", "");
	for (int i = 0; i < o->n_prefix; i++)
		check_prefix(o->prefix[i]);
	for (int i = 0; i < 4; i++)
		ok |= !strcmp(o->attach, modes[i]);
	if (!ok)
		die("unknown attach mode accepted", o->attach);
	if (o->pid > INT_MAX || o->uid < -1 || o->uid > 0xfffffffe)
		die("pid or uid out of range", "");
	if (o->ringbuf_kb < 64 || o->ringbuf_kb > (1u << 20) || o->argv_max < 16 || o->argv_max > KW_ARGV_MAX ||
	    o->heartbeat_s > 86400)
		die("a numeric option out of range", "");
	if (memchr(o->comm, 0, sizeof(o->comm)) == NULL)
		die("comm not NUL-terminated", "");
	if (o->has_comm && !o->comm[0])
		die("empty --comm accepted", "");
	if (o->cgroup && !o->cgroup[0])
		die("empty --cgroup accepted", "");
}

static void check_refused(const char *err)
{
	if (!err[0])
		die("refused without a message", "");
	for (const unsigned char *p = (const unsigned char *)err; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			die("error message is not one printable line", err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[MAX_ARGS];
	int argc = 0;
	char err[512];
	struct kw_opts o = KW_OPTS_DEFAULT;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = 0;
	for (size_t i = 0; i <= size && argc < MAX_ARGS;) {
		argv[argc++] = copy + i;
		i += strlen(copy + i) + 1;
	}
	if (parse_trace_args(&o, argc, argv, err, sizeof(err)) == 0)
		check_accepted(&o);
	else
		check_refused(err);
	opts_reset(&o);
	free(copy);
	return 0;
}
