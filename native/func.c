// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * func.c: `trace func:NAME` in user space (bpf/func.bpf.h is the kernel side).
 *
 * Before the load: each requested name is looked up in BTF (vmlinux, then every module's), under
 * its newer name when a kernel renamed it (do_unlinkat -> filename_unlinkat in 7.0), checked
 * against what ftrace can hook, and given fentry where that loads and attaches, else kprobe.
 * Its parameters' BTF types say what the entry reads behind each (struct kw_func_spec) and how
 * user space prints each value. A name that cannot be probed gets one line naming the reason,
 * and the nearest names BTF has.
 * After: call records become events with `args` keyed by the parameter names.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "agent.h"
#include "func.h"
#include "kwitness.skel.h"

/* One probed function. */
struct fn {
	char *asked;              /* as the user named it */
	char *name;               /* the kernel's name (a rename's newer one) */
	char module[64];          /* "" for vmlinux */
	struct btf *btf;          /* the BTF that describes it (vmlinux or the module's split BTF) */
	int proto;                /* its FUNC_PROTO's type id */
	bool fentry;              /* else kprobe */
	bool renamed;             /* probed under this kernel's other name for it */
	int func_id;              /* its FUNC's id in btf */
	const char *by_value;     /* the first parameter passed as a struct by value, if any */
	char *ret_type;
	char *arg_name[KW_FUNC_ARGS], *arg_type[KW_FUNC_ARGS];
	int arg_tid[KW_FUNC_ARGS];
	int ret_tid;
	struct kw_func_spec spec;
};

static struct fn fns[KW_FUNC_SLOTS];
static int n_fns;
static struct btf *vmlinux;
static struct btf *mods[512];
static char mod_names[512][64];
static int n_mods;

int func_count(void)
{
	return n_fns;
}

const char *func_name(int slot)
{
	return slot >= 0 && slot < n_fns ? fns[slot].name : "?";
}

const char *func_mode(int slot)
{
	return slot >= 0 && slot < n_fns && fns[slot].fentry ? "fentry" : "kprobe";
}

static int quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	return 0;
}

/* vmlinux BTF and every loaded module's (split on vmlinux), once. */
static int load_btfs(void)
{
	if (vmlinux)
		return 0;
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		return -1;
	DIR *d = opendir("/sys/kernel/btf");
	struct dirent *de;
	while (d && (de = readdir(d)) && n_mods < (int)(sizeof(mods) / sizeof(mods[0]))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux") || strlen(de->d_name) >= 64)
			continue;
		struct btf *m = btf__load_module_btf(de->d_name, vmlinux);
		if (!m)
			continue;
		memcpy(mod_names[n_mods], de->d_name, strlen(de->d_name) + 1); /* < 64: checked above */
		mods[n_mods++] = m;
	}
	if (d)
		closedir(d);
	return 0;
}

/* The FUNC named name: its BTF and (module) name; -1 when none describes it. */
static int find_func(const char *name, struct btf **b, const char **module)
{
	int id = btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC);
	if (id > 0) {
		*b = vmlinux;
		*module = "";
		return id;
	}
	for (int i = 0; i < n_mods; i++) {
		id = btf__find_by_name_kind(mods[i], name, BTF_KIND_FUNC);
		if (id > 0) {
			*b = mods[i];
			*module = mod_names[i];
			return id;
		}
	}
	return -1;
}

/* Names kernels changed, same arguments: a request of either probes the one this kernel has. */
static const char *const renames[][2] = {
	{ "do_unlinkat", "filename_unlinkat" }, { "do_rmdir", "filename_rmdir" },
	{ "do_renameat2", "filename_renameat2" }, { "do_mkdirat", "filename_mkdirat" },
	{ "do_filp_open", "do_file_open" }, { "do_symlinkat", "filename_symlinkat" },
	{ "do_linkat", "filename_linkat" }, { "do_mknodat", "filename_mknodat" },
};

static const char *renamed(const char *name, bool newer)
{
	for (size_t i = 0; i < sizeof(renames) / sizeof(renames[0]); i++)
		if (!strcmp(renames[i][newer ? 0 : 1], name))
			return renames[i][newer ? 1 : 0];
	return NULL;
}

/* ---- what ftrace can hook: tracefs available_filter_functions, and the kprobe blacklist ---- */
static char **traceable;
static size_t n_traceable;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_traceable(void)
{
	char p[512], line[512];
	size_t cap = 0;

	if (traceable || !tracefs_dir())
		return;
	snprintf(p, sizeof(p), "%s/available_filter_functions", tracefs_dir());
	FILE *f = fopen(p, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, " \t\n")] = 0; /* "name [module]" */
		if (!line[0])
			continue;
		if (n_traceable == cap) {
			cap = cap ? cap * 2 : 65536;
			char **t = realloc(traceable, cap * sizeof(*t));
			if (!t)
				break;
			traceable = t;
		}
		traceable[n_traceable++] = strdup(line);
	}
	fclose(f);
	qsort(traceable, n_traceable, sizeof(*traceable), cmp_str);
}

/* In available_filter_functions; true when that list cannot be read (let the kernel decide). */
static bool is_traceable(const char *name)
{
	load_traceable();
	if (!n_traceable)
		return true;
	return bsearch(&name, traceable, n_traceable, sizeof(*traceable), cmp_str) != NULL;
}

static bool kprobe_blacklisted(const char *name)
{
	FILE *f = fopen("/sys/kernel/debug/kprobes/blacklist", "re");
	char line[512];
	bool hit = false;

	if (!f)
		return false;
	while (!hit && fgets(line, sizeof(line), f)) {
		char *s = strchr(line, '\t');
		if (!s)
			s = strchr(line, ' ');
		if (s) {
			s++;
			s[strcspn(s, " \t\n")] = 0;
			hit = !strcmp(s, name);
		}
	}
	fclose(f);
	return hit;
}

/* ---- nearest names: what a typo most likely meant ---- */
static int distance(const char *a, const char *b, int cap)
{
	size_t la = strlen(a), lb = strlen(b);
	int row[128];

	if (la > 120 || lb > 120 || (int)(la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		int prev = row[0], best;
		row[0] = i;
		best = row[0];
		for (size_t j = 1; j <= lb; j++) {
			int cur = row[j];
			int v = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < v)
				v = row[j] + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			prev = cur;
			if (v < best)
				best = v;
		}
		if (best > cap)
			return cap + 1;
	}
	return row[lb];
}

struct near {
	const char *name;
	int d;
};

static void near_add(struct near *n, int k, const char *name, int d)
{
	for (int i = 0; i < k; i++) {
		if (n[i].name && !strcmp(n[i].name, name))
			return;
		if (!n[i].name || d < n[i].d) {
			memmove(&n[i + 1], &n[i], (k - i - 1) * sizeof(*n));
			n[i] = (struct near){ name, d };
			return;
		}
	}
}

static void near_scan(struct btf *b, int from, const char *want, struct near *n, int k, int cap)
{
	int nt = btf__type_cnt(b);
	for (int id = from; id < nt; id++) {
		const struct btf_type *t = btf__type_by_id(b, id);
		if (!btf_is_func(t))
			continue;
		const char *nm = btf__name_by_offset(b, t->name_off);
		int d = distance(want, nm, cap);
		/* a name that contains the request is a good guess too (unlink -> vfs_unlink) */
		if (d > cap && strlen(want) >= 4 && strstr(nm, want))
			d = cap;
		if (d <= cap)
			near_add(n, k, nm, d);
	}
}

/* ", nearest: a, b, c" or "" */
static void nearest(const char *want, char *out, size_t outsz)
{
	struct near n[3] = { 0 };
	int cap = strlen(want) / 4 + 1;

	if (cap > 4)
		cap = 4;
	near_scan(vmlinux, 1, want, n, 3, cap);
	int base = btf__type_cnt(vmlinux);
	for (int i = 0; i < n_mods; i++)
		near_scan(mods[i], base, want, n, 3, cap);
	out[0] = 0;
	for (int i = 0; i < 3 && n[i].name; i++)
		snprintf(out + strlen(out), outsz - strlen(out), "%s%s", i ? ", " : " (nearest: ", n[i].name);
	if (out[0])
		snprintf(out + strlen(out), outsz - strlen(out), ")");
}

/* ---- types ---- */
static const struct btf_type *skip_mods(struct btf *b, int *id, bool *user)
{
	const struct btf_type *t = btf__type_by_id(b, *id);
	while (t && (btf_is_mod(t) || btf_is_typedef(t) || btf_kind(t) == BTF_KIND_TYPE_TAG)) {
		if (btf_kind(t) == BTF_KIND_TYPE_TAG && user && !strcmp(btf__name_by_offset(b, t->name_off), "user"))
			*user = true;
		*id = t->type;
		t = btf__type_by_id(b, *id);
	}
	return t;
}

static void type_text_cb(void *ctx, const char *fmt, va_list ap)
{
	struct buf *b = ctx;
	char tmp[512];
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	buf_puts(b, tmp);
}

static char *type_text(struct btf *b, int id)
{
	struct buf t = { 0 };
	if (id == 0)
		return strdup("void");
	struct btf_dump *d = btf_dump__new(b, type_text_cb, &t, NULL);
	if (!d)
		return strdup("?");
	LIBBPF_OPTS(btf_dump_emit_type_decl_opts, o, .field_name = "");
	btf_dump__emit_type_decl(d, id, &o);
	btf_dump__free(d);
	buf_put(&t, "", 1);
	return t.p;
}

/* What the entry reads behind a parameter of type id. */
static uint8_t arg_kind(struct btf *b, int id)
{
	bool user = false;
	const struct btf_type *t = skip_mods(b, &id, NULL);
	if (!t || !btf_is_ptr(t))
		return KW_FA_SKIP;
	id = t->type;
	t = skip_mods(b, &id, &user);
	if (!t)
		return KW_FA_SKIP;
	const char *nm = btf__name_by_offset(b, t->name_off);
	if (btf_is_int(t) && t->size == 1 && nm && strstr(nm, "char"))
		return user ? KW_FA_USTR : KW_FA_STR;
	if (!btf_is_struct(t) || !nm)
		return KW_FA_SKIP;
	static const struct {
		const char *name;
		uint8_t kind;
	} known[] = { { "dentry", KW_FA_DENTRY }, { "file", KW_FA_FILE }, { "path", KW_FA_PATH },
		      { "inode", KW_FA_INODE }, { "filename", KW_FA_FILENAME }, { "qstr", KW_FA_QSTR },
		      { "task_struct", KW_FA_TASK }, { "sock", KW_FA_SOCK } };
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(nm, known[i].name))
			return known[i].kind;
	return KW_FA_SKIP;
}

/* An integer type's size and sign (enums: their size, signed unless BTF says not); false otherwise. */
static bool int_shape(struct btf *b, int id, uint8_t *size, uint8_t *is_signed)
{
	const struct btf_type *t = skip_mods(b, &id, NULL);
	if (!t)
		return false;
	if (btf_is_int(t)) {
		*size = t->size;
		*is_signed = !!(btf_int_encoding(t) & BTF_INT_SIGNED);
		return true;
	}
	if (btf_is_any_enum(t)) {
		*size = t->size;
		*is_signed = btf_kflag(t);
		return true;
	}
	if (btf_is_ptr(t)) {
		*size = 8;
		*is_signed = 0;
		return true;
	}
	return false;
}

/* ---- the requested functions ---- */
static int fentry_loads(const struct fn *f, int func_id)
{
	if (!f->module[0])
		return fentry_works(f->name);
	/* a module's function: its BTF object's fd goes with the id */
	uint32_t bid = 0;
	int ok = 0;
	while (!ok && !bpf_btf_get_next_id(bid, &bid)) {
		int fd = bpf_btf_get_fd_by_id(bid);
		if (fd < 0)
			continue;
		char name[64] = "";
		struct bpf_btf_info info = { .name = (uintptr_t)name, .name_len = sizeof(name) };
		uint32_t len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(name, f->module)) {
			static const struct bpf_insn ret0[] = { { .code = 0xb7, .dst_reg = 0 }, { .code = 0x95 } };
			LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_TRACE_FENTRY,
				    .attach_btf_id = func_id, .attach_btf_obj_fd = fd);
			int pfd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", ret0, 2, &o);
			if (pfd >= 0) {
				int l = bpf_raw_tracepoint_open(NULL, pfd);
				ok = l >= 0;
				if (l >= 0)
					close(l);
				close(pfd);
			}
			close(fd);
			break;
		}
		close(fd);
	}
	return ok;
}

static int prepare_one(struct fn *f, char *err, size_t errsz)
{
	struct btf *b;
	const char *module;
	int id = find_func(f->asked, &b, &module);
	/* either spelling of a renamed function probes the one this kernel has */
	const char *alt = renamed(f->asked, true) ? renamed(f->asked, true) : renamed(f->asked, false);

	f->name = f->asked;
	if (id < 0 && alt && (id = find_func(alt, &b, &module)) > 0) {
		f->name = (char *)alt;
		char note[256];
		snprintf(note, sizeof(note), "func:%s: this kernel names it %s (renamed in 7.0, same arguments): probing that",
			 f->asked, alt);
		f->renamed = true;
		fprintf(stderr, "kwitness-agent: %s\n", note); /* the ready record and the events name it too */
	}
	if (id < 0) {
		char near[256];
		nearest(f->asked, near, sizeof(near));
		bool in_kallsyms = false;
		FILE *ks = fopen("/proc/kallsyms", "re");
		char line[512], nm[256];
		while (ks && !in_kallsyms && fgets(line, sizeof(line), ks))
			in_kallsyms = sscanf(line, "%*s %*s %255s", nm) == 1 && !strcmp(nm, f->asked);
		if (ks)
			fclose(ks);
		if (in_kallsyms)
			snprintf(err, errsz,
				 "func:%s: BTF does not describe it (a module built without BTF, or a compiler-made copy): its arguments are unknown%s",
				 f->asked, near);
		else
			snprintf(err, errsz, "func:%s: no such kernel function in this kernel's BTF%s", f->asked, near);
		return -1;
	}
	f->btf = b;
	snprintf(f->module, sizeof(f->module), "%s", module);
	const struct btf_type *ft = btf__type_by_id(b, id);
	f->proto = ft->type;
	const struct btf_type *pt = btf__type_by_id(b, f->proto);
	if (!is_traceable(f->name)) {
		char near[256];
		nearest(f->name, near, sizeof(near));
		snprintf(err, errsz,
			 "func:%s: not traceable: ftrace cannot hook it (notrace, or inlined into every caller; not in available_filter_functions)%s",
			 f->name, near);
		return -1;
	}
	/* parameters */
	const struct btf_param *ps = btf_params(pt);
	int np = btf_vlen(pt);
	if (np == 1 && ps[0].type == 0)
		np = 0; /* (void) */
	f->spec.nargs = np > 12 ? 12 : np;
	for (int i = 0; i < np && i < KW_FUNC_ARGS; i++) {
		const char *pn = btf__name_by_offset(b, ps[i].name_off);
		char tmp[16];
		snprintf(tmp, sizeof(tmp), "arg%d", i);
		f->arg_name[i] = strdup(pn && pn[0] ? pn : tmp);
		f->arg_type[i] = type_text(b, ps[i].type);
		f->arg_tid[i] = ps[i].type;
		int tid = ps[i].type;
		const struct btf_type *at = skip_mods(b, &tid, NULL);
		if (at && (btf_is_struct(at) || btf_is_union(at))) {
			/* passed by value: it takes its own registers, so later ones are not where the
			 * ABI's n-th argument is; stop here rather than print wrong values */
			f->spec.nargs = i;
			f->by_value = f->arg_name[i];
			break;
		}
		f->spec.kind[i] = arg_kind(b, ps[i].type);
	}
	if (np > KW_FUNC_ARGS && f->spec.nargs > KW_FUNC_ARGS)
		f->spec.nargs = np; /* fexit still finds the return value after all of them */
	f->ret_tid = pt->type;
	f->ret_type = type_text(b, pt->type);
	uint8_t rs = 0, sg = 0;
	if (pt->type && int_shape(b, pt->type, &rs, &sg)) {
		f->spec.ret_size = rs;
		f->spec.ret_signed = sg;
	} else if (pt->type) {
		f->spec.ret_size = 8;
	}
	f->func_id = id;
	return 0;
}

/* fentry where it loads and attaches, else kprobe (--attach forces one) */
static int choose_mode(struct fn *f, char *err, size_t errsz)
{
	int id = f->func_id, np = f->spec.nargs;
	bool want_fe = strcmp(opt.attach, "kprobe") != 0, want_kp = strcmp(opt.attach, "fentry") != 0;
	if (!strcmp(opt.attach, "tracepoint")) {
		snprintf(err, errsz, "func:%s: --attach tracepoint: a kernel function is probed with fentry or kprobe", f->name);
		return -1;
	}
	/* past a struct passed by value, fexit could not tell where the return value sits in its
	 * context (spec.nargs stops before that parameter): a kretprobe reads it from its register */
	if (f->by_value && !strcmp(opt.attach, "fentry")) {
		snprintf(err, errsz, "func:%s: takes a struct by value (%s): its return value is read with a kretprobe only (use --attach kprobe or auto)",
			 f->name, f->by_value);
		return -1;
	}
	want_fe = want_fe && !f->by_value;
	bool fe_ok = want_fe && np <= 12 && fentry_loads(f, id);
	bool kp_ok = !fe_ok && want_kp && kprobe_works(f->name);
	if (!fe_ok && !kp_ok) {
		const char *why;
		if (want_kp && kprobe_blacklisted(f->name))
			why = "it is on the kernel's kprobe blacklist";
		else if (want_fe && want_kp && access("/sys/bus/event_source/devices/kprobe/type", F_OK))
			why = "the kernel refuses fentry on it and has no kprobes (CONFIG_KPROBES off)";
		else if (want_fe && want_kp)
			why = "the kernel refuses both fentry and kprobe on it (no BPF trampolines here, lockdown, or a blacklisted function)";
		else if (want_fe)
			why = "the kernel refuses fentry on it (try --attach kprobe)";
		else
			why = "the kernel refuses a kprobe on it (try --attach fentry)";
		snprintf(err, errsz, "func:%s: cannot probe it: %s", f->name, why);
		return -1;
	}
	f->fentry = fe_ok;
	return 0;
}

/* ---- --where ---- */
static const struct {
	const char *op;
	uint8_t code;
} ops[] = { { "==", KW_FW_EQ }, { "!=", KW_FW_NE }, { "<=", KW_FW_LE }, { ">=", KW_FW_GE },
	    { "<", KW_FW_LT }, { ">", KW_FW_GT } };

static const struct {
	const char *name;
	int no;
} errnos[] = { { "EPERM", 1 },  { "ENOENT", 2 }, { "EINTR", 4 },   { "EIO", 5 },     { "EBADF", 9 },
	       { "EAGAIN", 11 }, { "ENOMEM", 12 }, { "EACCES", 13 }, { "EFAULT", 14 }, { "EBUSY", 16 },
	       { "EEXIST", 17 }, { "EXDEV", 18 },  { "ENOTDIR", 20 }, { "EISDIR", 21 }, { "EINVAL", 22 },
	       { "ENOSPC", 28 }, { "EROFS", 30 },  { "EMLINK", 31 }, { "ENAMETOOLONG", 36 },
	       { "ENOTEMPTY", 39 }, { "ELOOP", 40 }, { "EDQUOT", 122 } };

/* A number: decimal, hex, negative, or (-)ENAME. */
static bool parse_number(const char *s, int64_t *v)
{
	bool neg = *s == '-';
	const char *p = neg ? s + 1 : s;
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
		if (!strcmp(p, errnos[i].name)) {
			*v = neg ? -errnos[i].no : errnos[i].no;
			return true;
		}
	char *end;
	errno = 0;
	unsigned long long u = strtoull(p, &end, 0);
	if (!*p || *end || errno)
		return false;
	*v = neg ? -(int64_t)u : (int64_t)u;
	return true;
}

/* An enumerator of the parameter's enum type. */
static bool enum_value(struct btf *b, int id, const char *name, int64_t *v)
{
	const struct btf_type *t = skip_mods(b, &id, NULL);
	if (!t || !btf_is_any_enum(t))
		return false;
	for (int i = 0; i < btf_vlen(t); i++) {
		if (btf_is_enum(t)) {
			const struct btf_enum *e = btf_enum(t) + i;
			if (!strcmp(btf__name_by_offset(b, e->name_off), name)) {
				*v = btf_kflag(t) ? (int64_t)(int32_t)e->val : (int64_t)(uint32_t)e->val;
				return true;
			}
		} else {
			const struct btf_enum64 *e = btf_enum64(t) + i;
			if (!strcmp(btf__name_by_offset(b, e->name_off), name)) {
				*v = (int64_t)btf_enum64_value(e);
				return true;
			}
		}
	}
	return false;
}

static int bind_where(const char *expr, char *err, size_t errsz)
{
	char lhs[64], op[3] = "", rhs[KW_FW_STR + 8];
	const char *p = expr;
	size_t n = 0;

	while (isspace((unsigned char)*p))
		p++;
	while ((isalnum((unsigned char)*p) || *p == '_') && n < sizeof(lhs) - 1)
		lhs[n++] = *p++;
	lhs[n] = 0;
	while (isspace((unsigned char)*p))
		p++;
	uint8_t code = 0;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strncmp(p, ops[i].op, strlen(ops[i].op))) {
			code = ops[i].code;
			snprintf(op, sizeof(op), "%s", ops[i].op);
			p += strlen(ops[i].op);
			break;
		}
	while (isspace((unsigned char)*p))
		p++;
	snprintf(rhs, sizeof(rhs), "%s", p);
	for (n = strlen(rhs); n && isspace((unsigned char)rhs[n - 1]);)
		rhs[--n] = 0;
	if (!lhs[0] || !code || !rhs[0]) {
		snprintf(err, errsz, "--where '%s': expected ARG OP VALUE (OP one of == != < <= > >=), e.g. 'ret < 0' or 'dentry == \"disk.img\"'",
			 expr);
		return -1;
	}
	bool is_str = rhs[0] == '"';
	char str[KW_FW_STR] = "";
	if (is_str) {
		if (n < 2 || rhs[n - 1] != '"') {
			snprintf(err, errsz, "--where '%s': the string has no closing quote", expr);
			return -1;
		}
		if (n - 2 >= KW_FW_STR) {
			snprintf(err, errsz, "--where '%s': strings of at most %d bytes", expr, KW_FW_STR - 1);
			return -1;
		}
		memcpy(str, rhs + 1, n - 2);
		if (code != KW_FW_EQ && code != KW_FW_NE) {
			snprintf(err, errsz, "--where '%s': a string compares with == or != only", expr);
			return -1;
		}
	}
	int bound = 0;
	for (int s = 0; s < n_fns; s++) {
		struct fn *f = &fns[s];
		int arg = -1;
		if (!strcmp(lhs, "ret"))
			arg = KW_FW_RET;
		for (int i = 0; arg < 0 && i < f->spec.nargs && i < KW_FUNC_ARGS; i++)
			if (!strcmp(f->arg_name[i], lhs))
				arg = i;
		if (arg < 0)
			continue;
		if (f->spec.n_where >= KW_FUNC_WHERE) {
			snprintf(err, errsz, "--where: at most %d clauses per function", KW_FUNC_WHERE);
			return -1;
		}
		struct kw_func_where w = { .arg = arg, .op = code, .is_str = is_str };
		if (arg == KW_FW_RET) {
			if (!f->spec.ret_size) {
				snprintf(err, errsz, "--where '%s': %s returns nothing (void)", expr, f->name);
				return -1;
			}
			if (is_str) {
				snprintf(err, errsz, "--where '%s': ret is a number", expr);
				return -1;
			}
			w.size = f->spec.ret_size;
			w.is_signed = f->spec.ret_signed;
		} else if (is_str) {
			uint8_t k = f->spec.kind[arg];
			if (k == KW_FA_SKIP || k == KW_FA_INODE || k == KW_FA_SOCK) {
				snprintf(err, errsz, "--where '%s': %s's %s (%s) has no name to compare with a string", expr,
					 f->name, lhs, f->arg_type[arg]);
				return -1;
			}
			memcpy(w.str, str, sizeof(str));
		} else if (!int_shape(f->btf, f->arg_tid[arg], &w.size, &w.is_signed)) {
			snprintf(err, errsz, "--where '%s': %s's %s (%s) is not a number", expr, f->name, lhs, f->arg_type[arg]);
			return -1;
		}
		if (!is_str) {
			int64_t v;
			if (!parse_number(rhs, &v) && !(arg != KW_FW_RET && enum_value(f->btf, f->arg_tid[arg], rhs, &v))) {
				snprintf(err, errsz, "--where '%s': '%s' is not a number, an errno name or a quoted string", expr, rhs);
				return -1;
			}
			w.val = v;
		}
		f->spec.w[f->spec.n_where++] = w;
		bound++;
	}
	if (!bound) {
		struct buf names = { 0 };
		for (int i = 0; i < fns[0].spec.nargs && i < KW_FUNC_ARGS; i++)
			buf_printf(&names, "%s%s", i ? ", " : "", fns[0].arg_name[i]);
		buf_put(&names, "", 1);
		snprintf(err, errsz, "--where '%s': no probed function has an argument named %s (%s has: %s)", expr, lhs,
			 fns[0].name, names.len > 1 ? names.p : "none");
		free(names.p);
		return -1;
	}
	return 0;
}

static void describe(int slot);

int func_prepare(char *err, size_t errsz)
{
	libbpf_print_fn_t prev = libbpf_set_print(quiet);
	int rc = 0;

	if (!opt.n_funcs) {
		if (opt.n_where) {
			snprintf(err, errsz, "--where: only with func:NAME (a kernel function to probe)");
			rc = -1;
		}
		goto out;
	}
	if (load_btfs()) {
		snprintf(err, errsz, "func: cannot read the kernel's BTF (/sys/kernel/btf/vmlinux)");
		rc = -1;
		goto out;
	}
	for (int i = 0; i < opt.n_funcs && !rc; i++) {
		struct fn *f = &fns[n_fns];
		memset(f, 0, sizeof(*f));
		f->asked = opt.funcs[i];
		rc = prepare_one(f, err, errsz);
		if (!rc) {
			for (int j = 0; j < n_fns; j++)
				if (!strcmp(fns[j].name, f->name)) {
					snprintf(err, errsz, "func:%s: named twice", f->name);
					rc = -1;
				}
			n_fns++;
		}
	}
	for (int i = 0; i < opt.n_where && !rc; i++)
		rc = bind_where(opt.where[i], err, errsz);
	for (int i = 0; i < n_fns && !rc; i++)
		rc = choose_mode(&fns[i], err, errsz);
	for (int i = 0; i < n_fns && !rc; i++)
		describe(i);
out:
	libbpf_set_print(prev);
	return rc;
}

bool func_program(struct bpf_program *p, int *slot, bool *ret, bool *fentry)
{
	const char *n = bpf_program__name(p);
	if (strncmp(n, "kw_func_", 8))
		return false;
	n += 8;
	*fentry = n[0] == 'f';
	*ret = !strncmp(n, "fx", 2) || !strncmp(n, "krp", 3);
	*slot = n[strlen(n) - 1] - '0';
	return true;
}

void func_configure(struct kwitness *skel)
{
	struct bpf_program *p;
	bpf_object__for_each_program(p, skel->obj) {
		int slot;
		bool ret, fe;
		if (!func_program(p, &slot, &ret, &fe))
			continue;
		bool want = slot < n_fns && fns[slot].fentry == fe;
		bpf_program__set_autoload(p, want);
		if (want && fe)
			bpf_program__set_attach_target(p, 0, fns[slot].name);
	}
	bpf_map__set_max_entries(skel->maps.func_pend, n_fns ? 4096 : 1);
}

int func_fill(struct kwitness *skel, char *err, size_t errsz)
{
	int fd = bpf_map__fd(skel->maps.func_specs);
	for (uint32_t i = 0; i < (uint32_t)n_fns; i++)
		if (bpf_map_update_elem(fd, &i, &fns[i].spec, BPF_ANY)) {
			snprintf(err, errsz, "func: cannot set up %s: %s", fns[i].name, strerror(errno));
			return -1;
		}
	return 0;
}

/* ---- descriptors for func_event.c ---- */
static struct func_desc descs[KW_FUNC_SLOTS];

static struct val_fmt fmt_of(struct btf *b, int id)
{
	struct val_fmt v = { .what = VF_HEX };
	const struct btf_type *t = skip_mods(b, &id, NULL);

	if (!t)
		return v;
	if (btf_is_int(t)) {
		uint8_t enc = btf_int_encoding(t);
		v.what = enc & BTF_INT_BOOL ? VF_BOOL : VF_INT;
		v.size = t->size;
		v.is_signed = !!(enc & BTF_INT_SIGNED);
	} else if (btf_is_any_enum(t)) {
		v.what = VF_ENUM;
		v.size = t->size;
		v.is_signed = btf_kflag(t);
		v.n_enum = btf_vlen(t);
		v.enum_val = calloc(v.n_enum + 1, sizeof(*v.enum_val));
		v.enum_name = calloc(v.n_enum + 1, sizeof(*v.enum_name));
		for (uint32_t i = 0; v.enum_val && v.enum_name && i < v.n_enum; i++) {
			if (btf_is_enum(t)) {
				v.enum_val[i] = v.is_signed ? (int64_t)(int32_t)btf_enum(t)[i].val : (int64_t)btf_enum(t)[i].val;
				v.enum_name[i] = strdup(btf__name_by_offset(b, btf_enum(t)[i].name_off));
			} else {
				v.enum_val[i] = (int64_t)btf_enum64_value(btf_enum64(t) + i);
				v.enum_name[i] = strdup(btf__name_by_offset(b, btf_enum64(t)[i].name_off));
			}
		}
		if (!v.enum_val || !v.enum_name)
			v.n_enum = 0;
	} else if (btf_is_ptr(t)) {
		v.what = VF_PTR;
		v.size = 8;
	}
	return v;
}

static void describe(int slot)
{
	struct fn *f = &fns[slot];
	struct func_desc *d = &descs[slot];
	char probe[160];

	snprintf(probe, sizeof(probe), "%s:%s", f->fentry ? "fentry" : "kprobe", f->name);
	d->name = f->name;
	d->probe = strdup(probe);
	d->ret_type = f->ret_type;
	d->ret_void = f->ret_tid == 0;
	d->ret = fmt_of(f->btf, f->ret_tid);
	d->nargs = f->spec.nargs < KW_FUNC_ARGS ? f->spec.nargs : KW_FUNC_ARGS;
	for (int i = 0; i < d->nargs; i++) {
		d->kind[i] = f->spec.kind[i];
		d->arg_name[i] = f->arg_name[i];
		d->arg_type[i] = f->arg_type[i];
		d->arg[i] = fmt_of(f->btf, f->arg_tid[i]);
	}
	func_describe(slot, d);
}

/* ---- funcs: the list to complete from ---- */
static void list_btf(struct btf *b, int from, const char *module, const char *sub)
{
	int nt = btf__type_cnt(b);
	struct buf line = { 0 }, proto = { 0 };
	/* one dumper for them all: making one costs as much as the BTF is big */
	struct btf_dump *d = btf_dump__new(b, type_text_cb, &proto, NULL);

	for (int id = from; id < nt; id++) {
		const struct btf_type *t = btf__type_by_id(b, id);
		if (!btf_is_func(t))
			continue;
		const char *nm = btf__name_by_offset(b, t->name_off);
		if (sub && !strstr(nm, sub))
			continue;
		line.len = 0;
		buf_puts(&line, "{\"name\":");
		json_escape(&line, nm, strlen(nm));
		buf_puts(&line, ",\"module\":");
		json_escape(&line, module, strlen(module));
		proto.len = 0;
		if (d) {
			LIBBPF_OPTS(btf_dump_emit_type_decl_opts, o, .field_name = nm);
			btf_dump__emit_type_decl(d, t->type, &o);
		}
		buf_puts(&line, ",\"proto\":");
		json_escape(&line, proto.p ? proto.p : "", proto.len);
		buf_printf(&line, ",\"traceable\":%s}\n", is_traceable(nm) ? "true" : "false");
		fwrite(line.p, 1, line.len, stdout);
	}
	btf_dump__free(d);
	free(line.p);
	free(proto.p);
}

int cmd_funcs(int argc, char **argv)
{
	const char *sub = argc > 2 ? argv[2] : NULL;

	libbpf_set_print(quiet);
	if (load_btfs()) {
		fprintf(stderr, "kwitness-agent: no BTF: cannot read /sys/kernel/btf/vmlinux\n");
		return 1;
	}
	mount_fs();
	load_traceable();
	list_btf(vmlinux, 1, "", sub);
	int base = btf__type_cnt(vmlinux);
	for (int i = 0; i < n_mods; i++)
		list_btf(mods[i], base, mod_names[i], sub);
	/* names other kernels use for functions this one has */
	for (size_t i = 0; i < sizeof(renames) / sizeof(renames[0]); i++) {
		for (int k = 0; k < 2; k++) {
			struct btf *b;
			const char *m;
			const char *have = renames[i][k], *other = renames[i][1 - k];
			if (find_func(have, &b, &m) > 0 && find_func(other, &b, &m) < 0 && (!sub || strstr(other, sub)))
				printf("{\"name\":\"%s\",\"renamed_to\":\"%s\",\"traceable\":%s}\n", other, have,
				       is_traceable(have) ? "true" : "false");
		}
	}
	return fflush(stdout) ? 1 : 0;
}
