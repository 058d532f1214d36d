// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * args.c: the `trace` command line -> struct kw_opts. Never exits and never prints: a bad
 * argument comes back as one line naming the cause (main() prints it and exits 2), so the
 * parser can run in a loop under a fuzzer (test/fuzz/fuzz_args.c).
 */
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
	"                [--ringbuf-kb N] [--pending-max N] [--argv-max BYTES]\n"
	"                [--heartbeat-timeout SECONDS] [--linger SECONDS --session NAME [--backlog-mb N]] [-v]\n"
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
		while (f < KW_NFAM && strcmp(t, kw_fam_names[f]))
			f++;
		if (f == KW_NFAM) {
			rc = fail(e, "trace: unknown family '%s' (expected unlink, create, write, exec)", t);
			break;
		}
		o->families |= 1u << f;
	}
	free(fams);
	if (!rc && !o->families)
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
	*o = (struct kw_opts)KW_OPTS_DEFAULT;
}

int parse_trace_args(struct kw_opts *o, int argc, char **argv, char *err, size_t errsz)
{
	struct perr e = { err, errsz };
	uint64_t n;

	if (errsz)
		err[0] = 0;
	if (argc < 1 || argv[0][0] == '-')
		return fail(&e, "trace: missing families (e.g. unlink,create,exec)");
	if (parse_families(o, &e, argv[0]))
		return -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
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
		} else if (!strcmp(a, "--failed-only")) {
			o->failed_only = true;
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
	if (o->linger_s && !o->session)
		return fail(&e, "--linger needs --session NAME (the name a client attaches by)");
	if (o->session && !o->linger_s)
		return fail(&e, "--session needs --linger SECONDS");
	return 0;
}
