// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * args.c: the `trace` command line -> struct kw_opts. Never exits and never prints: a bad
 * argument comes back as one line naming the cause (main() prints it and exits 2), so the
 * parser can run in a loop under a fuzzer (test/fuzz/fuzz_args.c).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent.h"

struct kw_opts opt = KW_OPTS_DEFAULT;
const char *const kw_fam_names[KW_NFAM] = { "unlink", "create", "exec", "write" };

const char kw_usage[] =
	"usage: kwitness-agent probe\n"
	"       kwitness-agent trace unlink,create,write,exec [--format json|wire] [--path-prefix P]... [--path-glob G]...\n"
	"                [--pid N] [--comm NAME] [--uid U] [--cgroup PATH] [--failed-only]\n"
	"                [--attach auto|fentry|kprobe|tracepoint] [--ia32 auto|kprobe|tracepoint|off]\n"
	"                [--ringbuf-kb N] [--pending-max N] [--argv-max BYTES] [--stacks kernel,user]\n"
	"                [--heartbeat-timeout SECONDS] [--linger SECONDS --session NAME [--backlog-mb N]] [-v]\n"
	"       kwitness-agent guard [--deny-delete PATH]... [--deny-write PATH]... [--quota DIR=BYTES[K|M|G]]...\n"
	"                [--audit-only]\n"
	"                [--exempt-pid N]... [--exempt-uid U]... [--exempt-comm NAME]... [--attach auto|lsm|fmod_ret]\n"
	"                [--format json|wire] [--heartbeat-timeout SECONDS] [--linger SECONDS --session NAME] [-v]\n"
	"       kwitness-agent attach NAME [--from EVENTS]\n"
	"       kwitness-agent watch start --dir DIR --id ID [--name NAME] [--max-mb N] [--keep-free-mb N]\n"
	"                [--on-hit CMD] [--until EPOCH_S] [--max-events N] [--foreground]\n"
	"                [--service auto|systemd|daemon] [--persistent] [--memory-max-mb N] [--cpu-quota PCT]\n"
	"                [--replay FILE --replay-rate EVENTS_PER_S] -- FAMILIES [filters]\n"
	"       kwitness-agent watch status --dir DIR | list --root ROOT | stop --dir DIR [--keep]\n"
	"       kwitness-agent watch read --dir DIR [--since CURSOR] [--limit N] [--from-ns W] [--to-ns W]\n"
	"                [--path-prefix P]... [--follow]\n"
	"       kwitness-agent replay FILE [--rate EVENTS_PER_S] [--count N]   (a recorded wire stream, for benchmarks)\n"
	"       kwitness-agent btf FUNC\n";

/* Where a parse error goes: the message buffer of the caller. */
struct perr {
	char *s;
	size_t n;
};

/*
 * Formats the error into the caller's buffer; always -1. The message stays one printable line:
 * it quotes command-line values, which may hold a newline or a terminal escape sequence.
 */
__attribute__((format(printf, 2, 3))) static int fail(struct perr *e, const char *fmt, ...)
{
	va_list ap;

	if (!e->n)
		return -1;
	va_start(ap, fmt);
	vsnprintf(e->s, e->n, fmt, ap);
	va_end(ap);
	for (char *p = e->s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return -1;
}

bool session_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 64 || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-", s[i]))
			return false;
	return true;
}

/* A decimal integer in [min, max]. */
static int parse_num(struct perr *e, const char *flag, const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long n;

	if (!v)
		return fail(e, "%s needs a value", flag);
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || !*v || *end || v[0] == '-' || n < min || n > max)
		return fail(e, "%s: bad value '%s' (expected an integer %llu..%llu)", flag, v,
			    (unsigned long long)min, (unsigned long long)max);
	*out = n;
	return 0;
}

static int parse_families(struct kw_opts *o, struct perr *e, const char *arg)
{
	char *fams = strdup(arg);
	int rc = 0;

	if (!fams)
		return fail(e, "out of memory");
	for (char *save, *t = strtok_r(fams, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int f = 0;
		if (!strncmp(t, "func:", 5)) {
			/* a kernel function by name (func.c checks it against BTF when the trace starts) */
			const char *name = t + 5;
			size_t k = 0;
			while (name[k] && (isalnum((unsigned char)name[k]) || name[k] == '_' || name[k] == '.'))
				k++;
			if (!k || name[k] || k > 127 || isdigit((unsigned char)name[0])) {
				rc = fail(e, "trace: func:%s: expected a kernel function name (e.g. func:vfs_unlink)", name);
				break;
			}
			if (o->n_funcs == KW_FUNC_SLOTS) {
				rc = fail(e, "trace: at most %d kernel functions per trace", KW_FUNC_SLOTS);
				break;
			}
			if (!(o->funcs[o->n_funcs++] = strdup(name))) {
				rc = fail(e, "out of memory");
				break;
			}
			continue;
		}
		while (f < KW_NFAM && strcmp(t, kw_fam_names[f]))
			f++;
		if (f == KW_NFAM) {
			rc = fail(e, "trace: unknown family '%s' (expected unlink, create, write, exec or func:NAME)", t);
			break;
		}
		o->families |= 1u << f;
	}
	free(fams);
	if (!rc && !o->families && !o->n_funcs)
		rc = fail(e, "trace: missing families (e.g. unlink,create,exec)");
	return rc;
}

/* A kernel prefix slot for p (normalised), shared with an equal one; -1 when all are taken. */
static int prefix_slot(struct kw_opts *o, const char *p, bool of_glob)
{
	struct buf b = { 0 };

	buf_puts(&b, p);
	path_normalize(&b);
	for (int i = 0; i < o->n_prefix; i++)
		if (!strcmp(o->prefix[i], b.p)) {
			o->prefix_of_glob[i] &= of_glob; /* also given as a prefix: everything under it counts */
			free(b.p);
			return i;
		}
	if (o->n_prefix == KW_MAX_PREFIX) {
		free(b.p);
		return -1;
	}
	o->prefix_of_glob[o->n_prefix] = of_glob;
	o->prefix[o->n_prefix] = b.p;
	return o->n_prefix++;
}

/*
 * --path-glob G: the kernel cannot match a pattern, so it filters on G's fixed part (the
 * directory before the first wildcard) and user space finishes with fnmatch(3) (enrich.c).
 * A pattern without wildcards is a plain prefix.
 */
static int add_glob(struct kw_opts *o, struct perr *e, const char *g)
{
	size_t wild = strcspn(g, "*?[\\");
	if (!g[wild])
		return prefix_slot(o, g, false) < 0 ? fail(e, "--path-prefix/--path-glob: at most %d in all", KW_MAX_PREFIX) : 0;
	if (o->n_glob == KW_MAX_PREFIX)
		return fail(e, "--path-glob: at most %d patterns", KW_MAX_PREFIX);
	char *base = strndup(g, wild);
	if (!base)
		return fail(e, "out of memory");
	char *slash = strrchr(base, '/');
	slash[slash == base ? 1 : 0] = 0; /* "/a/b/x*" -> "/a/b"; "/x*" -> "/" */
	int slot = prefix_slot(o, base, true);
	free(base);
	if (slot < 0)
		return fail(e, "--path-prefix/--path-glob: at most %d in all", KW_MAX_PREFIX);
	o->glob[o->n_glob] = strdup(g);
	if (!o->glob[o->n_glob])
		return fail(e, "out of memory");
	o->n_glob++;
	return 0;
}

void opts_reset(struct kw_opts *o)
{
	for (int i = 0; i < o->n_prefix; i++) {
		free(o->prefix[i]);
		free(o->prefix_real[i]);
	}
	for (int i = 0; i < o->n_glob; i++)
		free(o->glob[i]);
	for (int i = 0; i < o->n_grule; i++) {
		free(o->grule[i].path);
		free(o->grule[i].real);
	}
	for (int i = 0; i < o->n_funcs; i++)
		free(o->funcs[i]);
	for (int i = 0; i < o->n_where; i++)
		free(o->where[i]);
	*o = (struct kw_opts)KW_OPTS_DEFAULT;
}

/* --stacks WHICH: kernel, user, or both (comma separated); -1 on anything else. */
static int parse_stacks(struct kw_opts *o, const char *v)
{
	unsigned m = 0;

	if (!v || !*v)
		return -1;
	for (const char *p = v; *p;) {
		size_t n = strcspn(p, ",");
		if (n == 6 && !strncmp(p, "kernel", 6))
			m |= KW_STK_KERNEL;
		else if (n == 4 && !strncmp(p, "user", 4))
			m |= KW_STK_USER;
		else
			return -1;
		p += n + (p[n] == ',');
	}
	o->stacks = m;
	return 0;
}

/* Flags that choose what a trace sees: a guard has rules instead. */
static bool is_trace_filter(const char *a)
{
	static const char *const f[] = { "--path-prefix", "--path-glob", "--pid", "--uid", "--comm", "--cgroup",
					 "--failed-only", "--ia32", "--pending-max", "--argv-max", "--stacks", "--where" };
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (!strcmp(a, f[i]))
			return true;
	return false;
}

/*
 * A guard's own flags: how many arguments it took (0: not one of them), or -1 (error in e).
 * Rule paths must be absolute; guard.c resolves them when the guard starts.
 */
static int guard_arg(struct kw_opts *o, struct perr *e, const char *a, const char *v)
{
	uint64_t n;
	bool del = !strcmp(a, "--deny-delete"), wr = !strcmp(a, "--deny-write"), quota = !strcmp(a, "--quota");
	bool ex = !strcmp(a, "--exempt-pid") || !strcmp(a, "--exempt-uid") || !strcmp(a, "--exempt-comm");

	if (!del && !wr && !quota && !ex && strcmp(a, "--audit-only"))
		return 0;
	if (!o->guard)
		return fail(e, "trace: %s belongs to guard (kwitness-agent guard ...)", a);
	if (!strcmp(a, "--audit-only")) {
		o->audit_only = true;
		return 1;
	}
	if (quota) {
		/* DIR=BYTES, BYTES with an optional K, M or G (powers of 1024) */
		const char *eq = v ? strrchr(v, '=') : NULL;
		char *end;
		if (!v || v[0] != '/' || !eq || eq == v)
			return fail(e, "--quota: expected DIR=BYTES with an absolute DIR (e.g. /srv/vol=10G), got '%s'", v ? v : "");
		errno = 0;
		unsigned long long n = strtoull(eq + 1, &end, 10);
		unsigned shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;
		if (shift)
			end++;
		if (errno || eq[1] < '0' || eq[1] > '9' || *end || !n || n > (1ull << 62) >> shift)
			return fail(e, "--quota: bad size in '%s' (expected bytes, e.g. 1048576, 512K, 10M, 2G)", v);
		int nq = 0;
		for (int i = 0; i < o->n_grule; i++)
			nq += o->grule[i].kind == KW_G_QUOTA;
		if (nq == KW_GUARD_MAX_QUOTA)
			return fail(e, "--quota: at most %d quotas", KW_GUARD_MAX_QUOTA);
		if (o->n_grule == KW_GUARD_MAX_RULES)
			return fail(e, "guard: at most %d rules", KW_GUARD_MAX_RULES);
		if (!(o->grule[o->n_grule].path = strndup(v, eq - v)))
			return fail(e, "out of memory");
		o->grule[o->n_grule].limit = (uint64_t)n << shift;
		o->grule[o->n_grule++].kind = KW_G_QUOTA;
		return 2;
	}
	if (del || wr) {
		if (!v || v[0] != '/')
			return fail(e, "%s: expected an absolute path, got '%s'", a, v ? v : "");
		if (o->n_grule == KW_GUARD_MAX_RULES)
			return fail(e, "guard: at most %d rules", KW_GUARD_MAX_RULES);
		if (!(o->grule[o->n_grule].path = strdup(v)))
			return fail(e, "out of memory");
		o->grule[o->n_grule++].kind = del ? KW_G_DELETE : KW_G_WRITE;
		return 2;
	}
	if (!strcmp(a, "--exempt-comm")) {
		if (!v || !*v)
			return fail(e, "--exempt-comm needs a process name");
		if (o->n_exempt_comm == KW_GUARD_EXEMPT)
			return fail(e, "--exempt-comm: at most %d", KW_GUARD_EXEMPT);
		snprintf(o->exempt_comm[o->n_exempt_comm++], KW_COMM_LEN, "%s", v); /* the kernel keeps 15 bytes */
		return 2;
	}
	bool pid = !strcmp(a, "--exempt-pid");
	if (parse_num(e, a, v, pid ? 1 : 0, pid ? INT_MAX : 0xfffffffe, &n))
		return -1;
	if ((pid ? o->n_exempt_pid : o->n_exempt_uid) == KW_GUARD_EXEMPT)
		return fail(e, "%s: at most %d", a, KW_GUARD_EXEMPT);
	if (pid)
		o->exempt_pid[o->n_exempt_pid++] = n;
	else
		o->exempt_uid[o->n_exempt_uid++] = n;
	return 2;
}

int parse_trace_args(struct kw_opts *o, int argc, char **argv, char *err, size_t errsz)
{
	struct perr e = { err, errsz };
	uint64_t n;

	if (errsz)
		err[0] = 0;
	if (argc < 1 || argv[0][0] == '-')
		return fail(&e, "trace: missing families (e.g. unlink,create,exec)");
	/* `guard` (and a watch of one) comes here as the word guard in the families' place */
	if (!strcmp(argv[0], "guard"))
		o->guard = true;
	else if (parse_families(o, &e, argv[0]))
		return -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int g = guard_arg(o, &e, a, v);
		if (g < 0)
			return -1;
		if (g > 0) {
			i += g - 1;
			continue;
		}
		if (o->guard && is_trace_filter(a))
			return fail(&e, "guard: %s is a trace filter; a guard takes --deny-delete, --deny-write, --quota, --exempt-*", a);
		if (!strcmp(a, "--format")) {
			if (!v || (strcmp(v, "json") && strcmp(v, "wire")))
				return fail(&e, "--format: expected json or wire, got '%s'", v ? v : "");
			o->wire = !strcmp(v, "wire");
			i++;
		} else if (!strcmp(a, "--path-prefix")) {
			if (!v || v[0] != '/')
				return fail(&e, "--path-prefix: expected an absolute path, got '%s'", v ? v : "");
			if (prefix_slot(o, v, false) < 0)
				return fail(&e, "--path-prefix: at most %d prefixes (globs included)", KW_MAX_PREFIX);
			i++;
		} else if (!strcmp(a, "--path-glob")) {
			if (!v || v[0] != '/')
				return fail(&e, "--path-glob: expected an absolute pattern, got '%s'", v ? v : "");
			if (add_glob(o, &e, v))
				return -1;
			i++;
		} else if (!strcmp(a, "--pid")) {
			if (parse_num(&e, a, v, 1, INT_MAX, &n))
				return -1;
			o->pid = n;
			i++;
		} else if (!strcmp(a, "--uid")) {
			if (parse_num(&e, a, v, 0, 0xfffffffe, &n))
				return -1;
			o->uid = n;
			i++;
		} else if (!strcmp(a, "--comm")) {
			if (!v || !*v)
				return fail(&e, "--comm needs a process name");
			snprintf(o->comm, sizeof(o->comm), "%s", v); /* the kernel keeps 15 bytes */
			o->has_comm = true;
			i++;
		} else if (!strcmp(a, "--cgroup")) {
			if (!v || !*v)
				return fail(&e, "--cgroup needs a cgroup path");
			o->cgroup = v;
			i++;
		} else if (!strcmp(a, "--where")) {
			/* func.c binds it to the functions' parameters once BTF is read */
			if (!v || !*v)
				return fail(&e, "--where needs a clause, e.g. 'ret < 0' or 'dentry == \"disk.img\"'");
			if (o->n_where == (int)(sizeof(o->where) / sizeof(o->where[0])))
				return fail(&e, "--where: at most %d clauses", (int)(sizeof(o->where) / sizeof(o->where[0])));
			if (!(o->where[o->n_where++] = strdup(v)))
				return fail(&e, "out of memory");
			i++;
		} else if (!strcmp(a, "--failed-only")) {
			o->failed_only = true;
		} else if (!strcmp(a, "--stacks")) {
			if (parse_stacks(o, v) < 0)
				return fail(&e, "--stacks: expected kernel, user or kernel,user, got '%s'", v ? v : "");
			i++;
		} else if (!strcmp(a, "--attach") && o->guard) {
			if (!v || (strcmp(v, "auto") && strcmp(v, "lsm") && strcmp(v, "fmod_ret")))
				return fail(&e, "guard --attach: expected auto, lsm or fmod_ret, got '%s'", v ? v : "");
			o->attach = v;
			i++;
		} else if (!strcmp(a, "--attach")) {
			if (!v || (strcmp(v, "auto") && strcmp(v, "fentry") && strcmp(v, "kprobe") &&
				   strcmp(v, "tracepoint")))
				return fail(&e, "--attach: expected auto, fentry, kprobe or tracepoint, got '%s'",
					    v ? v : "");
			o->attach = v;
			i++;
		} else if (!strcmp(a, "--ia32")) {
			if (!v || (strcmp(v, "auto") && strcmp(v, "kprobe") && strcmp(v, "tracepoint") && strcmp(v, "off")))
				return fail(&e, "--ia32: expected auto, kprobe, tracepoint or off, got '%s'", v ? v : "");
			o->ia32 = v;
			i++;
		} else if (!strcmp(a, "--ringbuf-kb")) {
			if (parse_num(&e, a, v, 64, 1 << 20, &n))
				return -1;
			o->ringbuf_kb = n;
			i++;
		} else if (!strcmp(a, "--pending-max")) {
			/* the kernel's table of calls in flight (one per blocked thread); a call it cannot
			 * take is counted as `untracked`, so a tiny table makes that testable */
			if (parse_num(&e, a, v, 1, 1 << 20, &n))
				return -1;
			o->pending_max = n;
			i++;
		} else if (!strcmp(a, "--heartbeat-timeout")) {
			/* exit when stdin stays silent this long (the client writes a byte now and then) */
			if (parse_num(&e, a, v, 1, 86400, &n))
				return -1;
			o->heartbeat_s = n;
			i++;
		} else if (!strcmp(a, "--linger")) {
			/* keep tracing this long after the client went away, for `attach` (linger.c) */
			if (parse_num(&e, a, v, 1, 86400, &n))
				return -1;
			o->linger_s = n;
			i++;
		} else if (!strcmp(a, "--backlog-mb")) {
			if (parse_num(&e, a, v, 1, 4096, &n))
				return -1;
			o->backlog_mb = n;
			i++;
		} else if (!strcmp(a, "--session")) {
			if (!v || !session_name_ok(v))
				return fail(&e, "--session: bad name '%s' (1 to 64 of A-Z a-z 0-9 . _ -, not starting with '.')", v ? v : "");
			o->session = v;
			i++;
		} else if (!strcmp(a, "--argv-max")) {
			if (parse_num(&e, a, v, 16, KW_ARGV_MAX, &n))
				return -1;
			o->argv_max = n;
			i++;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			o->verbose = true;
		} else {
			return fail(&e, "trace: unknown flag '%s'", a);
		}
	}
	if (o->n_where && !o->n_funcs)
		return fail(&e, "--where: only with func:NAME (a kernel function to probe)");
	if (o->n_funcs && (o->n_prefix || o->n_glob) && !o->families)
		return fail(&e, "--path-prefix/--path-glob: a func: trace has no paths to filter; use --where on an argument");
	if (o->guard && !o->n_grule)
		return fail(&e, "guard: no rule (give --deny-delete PATH, --deny-write PATH or --quota DIR=BYTES)");
	if (o->linger_s && !o->session)
		return fail(&e, "--linger needs --session NAME (the name a client attaches by)");
	if (o->session && !o->linger_s)
		return fail(&e, "--session needs --linger SECONDS");
	return 0;
}
