// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * guard.c: `kwitness-agent guard`: what the guard's BPF programs (bpf/guard.bpf.h) need from
 * user space. It resolves the rules' paths into the inodes the kernel will match, chooses the
 * mechanism (BPF LSM where `bpf` is an active LSM, else fmod_ret on the security_* functions,
 * else a refusal that names what is missing: never a guard that silently does nothing), and
 * says in records which rule a denial matched. main.c runs a guard like a trace otherwise (same
 * ready record, lifecycle, watch and linger).
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "agent.h"
#include "guard.h"
#include "kwitness.skel.h"

/* The hooks each kind of rule needs, in guard.bpf.h's names; optional: older kernels lack it. */
static const struct {
	const char *hook;
	unsigned kinds;
	bool optional;
} hooks[] = {
	{ "path_unlink", KW_G_DELETE | KW_G_QUOTA },
	{ "path_rmdir", KW_G_DELETE },
	{ "path_rename", KW_G_DELETE | KW_G_WRITE | KW_G_QUOTA },
	{ "path_mkdir", KW_G_WRITE },
	{ "path_mknod", KW_G_WRITE },
	{ "path_symlink", KW_G_WRITE },
	{ "path_link", KW_G_WRITE },
	{ "path_truncate", KW_G_WRITE | KW_G_QUOTA },
	{ "file_truncate", KW_G_WRITE | KW_G_QUOTA, true }, /* 6.2+: before it, ftruncate came through path_truncate */
	{ "file_open", KW_G_WRITE },
	{ "file_permission", KW_G_WRITE | KW_G_QUOTA },
};
#define N_HOOKS (sizeof(hooks) / sizeof(hooks[0]))

static const char *mech;         /* "lsm" or "fmod_ret", once chosen */
static unsigned kinds_used;      /* KW_G_* of the rules */
static bool hook_present[N_HOOKS];

struct key_rule {
	struct kw_guard_key k;
	struct kw_guard_rule v;
};
static struct key_rule *keys;
static size_t n_keys;

/* --quota: per slot, the rule, its directory and the count at start; the files counted */
struct quota {
	int rule;
	uint64_t used_at_start;
};
static struct quota quotas[KW_GUARD_MAX_QUOTA];
static int n_quotas;
struct seed {
	struct kw_guard_key k;
	struct kw_quota_size v;
};
static struct seed *seeds;
static size_t n_seeds, cap_seeds;

static void read_first_line(const char *path, char *s, size_t n)
{
	FILE *f = fopen(path, "re");

	s[0] = 0;
	if (f) {
		if (!fgets(s, n, f))
			s[0] = 0;
		fclose(f);
	}
	s[strcspn(s, "\n")] = 0;
}

/* Loads a do-nothing program of this type on func and attaches it for a moment: 0, or -errno. */
static int hook_try(enum bpf_prog_type type, enum bpf_attach_type at, const char *func)
{
	static const struct bpf_insn ret0[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct btf *vm = btf__load_vmlinux_btf();
	int id, fd, l;

	if (!vm)
		return -ENOENT;
	id = btf__find_by_name_kind(vm, func, BTF_KIND_FUNC);
	btf__free(vm);
	if (id < 0)
		return -ENOENT;
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = at, .attach_btf_id = id);
	fd = bpf_prog_load(type, NULL, "GPL", ret0, 2, &o);
	if (fd < 0)
		return -errno;
	l = bpf_raw_tracepoint_open(NULL, fd); /* loading is not enough on locked-down hosts */
	int e = errno;
	close(fd);
	if (l < 0)
		return -e;
	close(l);
	return 0;
}

static bool btf_has(struct btf *vm, const char *prefix, const char *hook)
{
	char name[128];

	snprintf(name, sizeof(name), "%s%s", prefix, hook);
	return vm && btf__find_by_name_kind(vm, name, BTF_KIND_FUNC) >= 0;
}

/* The rule of `kind` on an inode (the first rule of a kind on an inode names it). */
static int add_key(uint64_t ino, uint32_t kdev, unsigned kind, uint32_t rule, uint32_t quota_slot)
{
	struct kw_guard_rule *v = NULL;

	for (size_t i = 0; i < n_keys && !v; i++)
		if (keys[i].k.ino == ino && keys[i].k.dev == kdev)
			v = &keys[i].v;
	if (!v) {
		struct key_rule *n = realloc(keys, (n_keys + 1) * sizeof(*keys));
		if (!n)
			return -1;
		keys = n;
		memset(&keys[n_keys], 0, sizeof(keys[n_keys]));
		keys[n_keys].k.ino = ino;
		keys[n_keys].k.dev = kdev;
		v = &keys[n_keys++].v;
	}
	if (v->kinds & kind)
		return 0;
	v->kinds |= kind;
	switch (kind) {
	case KW_G_DELETE: v->rule_delete = rule; break;
	case KW_G_WRITE: v->rule_write = rule; break;
	case KW_G_QUOTA: v->rule_quota = rule; v->quota_slot = quota_slot; break;
	default: v->rule_ancestor = rule; break;
	}
	return 0;
}

/* st_dev as the kernel keeps it in super_block.s_dev (MAJOR << 20 | MINOR). */
static uint32_t kdev_of(dev_t d)
{
	return (uint32_t)major(d) << 20 | minor(d);
}

/*
 * Files with more than one link already counted: an open-addressing set of (dev, ino), so a tree
 * of many hard links is counted in linear time.
 */
static struct kw_guard_key *linked;
static size_t linked_cap, linked_n;

static bool linked_seen(const struct kw_guard_key *k)
{
	if (linked_n * 2 >= linked_cap) {
		size_t nc = linked_cap ? linked_cap * 2 : 1024;
		struct kw_guard_key *n = calloc(nc, sizeof(*n)), *old = linked;
		if (!n)
			return false; /* out of memory: count it (again), never lose a file */
		size_t oc = linked_cap;
		linked = n;
		linked_cap = nc;
		linked_n = 0;
		for (size_t i = 0; i < oc; i++)
			if (old[i].ino || old[i].dev)
				linked_seen(&old[i]);
		free(old);
	}
	size_t i = (k->ino * 0x9e3779b97f4a7c15ull ^ k->dev) & (linked_cap - 1);
	for (; linked[i].ino || linked[i].dev; i = (i + 1) & (linked_cap - 1))
		if (linked[i].ino == k->ino && linked[i].dev == k->dev)
			return true;
	linked[i] = *k;
	linked_n++;
	return false;
}

/* Counting a quota's tree (nftw has no user argument): the file sizes, hard links once. */
static uint64_t count_total;
static uint32_t count_slot;
static bool count_seed_ok;

static int count_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	struct kw_guard_key k = { .ino = st->st_ino, .dev = kdev_of(st->st_dev) };
	if (st->st_nlink > 1 && linked_seen(&k)) /* a hard link seen before: counted once */
		return 0;
	count_total += st->st_size;
	if (n_seeds == cap_seeds) {
		size_t nc = cap_seeds ? cap_seeds * 2 : 1024;
		struct seed *n = nc <= (1u << 22) ? realloc(seeds, nc * sizeof(*seeds)) : NULL;
		if (!n) {
			count_seed_ok = false; /* the kernel adopts the rest when they are first written */
			return 0;
		}
		seeds = n;
		cap_seeds = nc;
	}
	seeds[n_seeds++] = (struct seed){ k, { .size = st->st_size, .slot = count_slot } };
	return 0;
}

/* The sizes of a quota's files now (adds them to the seeds); false when the walk failed. */
static bool count_tree(const char *dir, uint32_t slot, uint64_t *total)
{
	count_total = 0;
	count_slot = slot;
	count_seed_ok = true;
	int rc = nftw(dir, count_one, 64, FTW_PHYS);
	free(linked); /* per tree: a link from one quota's tree into another counts in both */
	linked = NULL;
	linked_cap = linked_n = 0;
	if (rc < 0)
		return false;
	*total = count_total;
	return true;
}

/*
 * Every mount below a protected directory is protected too: its root's inode gets the rule.
 * The kernel's walk would reach the directory through the mount point anyway; this also covers
 * a mount whose files are reached by another name (a bind mount of it elsewhere).
 */
static int add_submounts(const char *dir, unsigned kind, uint32_t rule, uint32_t slot)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192];
	size_t dl = strlen(dir);

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char mp[4096];
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		/* mountinfo escapes space, tab, newline and backslash as \ooo */
		char *w = mp;
		for (char *r = mp; *r; r++) {
			if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] && r[3]) {
				*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
				r += 3;
			} else {
				*w++ = *r;
			}
		}
		*w = 0;
		bool under = dl == 1 ? mp[0] == '/' && mp[1] : !strncmp(mp, dir, dl) && mp[dl] == '/';
		struct stat st;
		if (under && stat(mp, &st) == 0 && add_key(st.st_ino, kdev_of(st.st_dev), kind, rule, slot) < 0) {
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

/*
 * The mechanism `attach` (auto, lsm, fmod_ret) gets on this kernel: BPF LSM when `bpf` is an active
 * LSM, else fmod_ret, else NULL with one line in err naming what is missing. With a mechanism, err
 * says why BPF LSM was not it (or is empty).
 */
static const char *choose_mechanism(struct btf *vm, const char *attach, char *err, size_t errsz)
{
	char lsm[1024], lock[256];

	err[0] = 0;
	read_first_line("/sys/kernel/security/lsm", lsm, sizeof(lsm));
	read_first_line("/sys/kernel/security/lockdown", lock, sizeof(lock));
	char lsm_list[1032];
	snprintf(lsm_list, sizeof(lsm_list), ",%s,", lsm);
	bool bpf_active = strstr(lsm_list, ",bpf,") != NULL;
	bool want_lsm = strcmp(attach, "fmod_ret") != 0, want_fmr = strcmp(attach, "lsm") != 0;
	int lsm_err = -ENOENT, fmr_err = -ENOENT;
	if (want_lsm && bpf_active && btf_has(vm, "bpf_lsm_", "path_unlink"))
		lsm_err = hook_try(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, "bpf_lsm_path_unlink");
	if (lsm_err && want_fmr && btf_has(vm, "security_", "path_unlink"))
		fmr_err = hook_try(BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN, "security_path_unlink");
	const char *lsm_why = !bpf_active ? "'bpf' is not in the active LSM list, so BPF LSM programs would never run"
			      : lsm_err == -ENOENT ? "no CONFIG_BPF_LSM" : strerror(-lsm_err);
	if (!lsm_err)
		return "lsm";
	if (!fmr_err) {
		snprintf(err, errsz, "BPF LSM not used: %s", lsm_why);
		return "fmod_ret";
	}
	const char *lk = strstr(lock, "[integrity]") ? "; kernel lockdown: integrity"
			 : strstr(lock, "[confidentiality]") ? "; kernel lockdown: confidentiality" : "";
	if (!vm)
		snprintf(err, errsz, "guard: no BTF: /sys/kernel/btf/vmlinux is missing (CONFIG_DEBUG_INFO_BTF)");
	else if (!btf_has(vm, "security_", "path_unlink"))
		snprintf(err, errsz, "guard: this kernel has no path security hooks (CONFIG_SECURITY_PATH is off): nothing to attach to");
	else if (!strcmp(attach, "lsm") && !bpf_active)
		snprintf(err, errsz,
			 "guard: BPF LSM programs would load but never run: 'bpf' is not in the active LSM list (%s); boot with lsm=%s%sbpf, or use --attach fmod_ret",
			 lsm[0] ? lsm : "securityfs unreadable", lsm, lsm[0] ? "," : "");
	else if (!strcmp(attach, "lsm"))
		snprintf(err, errsz, "guard: the kernel refuses BPF LSM programs (%s%s)", lsm_why, lk);
	else
		snprintf(err, errsz, "guard: the kernel refuses both mechanisms: BPF LSM (%s) and fmod_ret on security_path_unlink (%s%s)",
			 !bpf_active ? "'bpf' is not an active LSM" : lsm_why,
			 fmr_err == -ENOENT ? (strcmp(attach, "lsm") ? "not offered" : "not tried") : strerror(-fmr_err), lk);
	return NULL;
}

const char *guard_capability(char *why, size_t n)
{
	struct btf *vm = btf__load_vmlinux_btf();
	const char *m = choose_mechanism(vm, "auto", why, n);

	btf__free(vm);
	return m;
}

int guard_prepare(char *err, size_t errsz)
{
	struct btf *vm;

	/* the rules: each path as the kernel resolves it, its inode, and (delete) the directories above */
	for (int i = 0; i < opt.n_grule; i++) {
		struct kw_grule *g = &opt.grule[i];
		const char *flag = g->kind == KW_G_DELETE ? "--deny-delete" : g->kind == KW_G_WRITE ? "--deny-write" : "--quota";
		char real[PATH_MAX];
		struct stat st;
		uint32_t slot = 0;

		if (!realpath(g->path, real) || stat(real, &st)) {
			snprintf(err, errsz, "guard: %s %s: %s", flag, g->path, strerror(errno));
			return -1;
		}
		if (g->kind == KW_G_QUOTA) {
			if (!S_ISDIR(st.st_mode)) {
				snprintf(err, errsz, "guard: --quota %s: not a directory (a quota limits a directory's tree)", g->path);
				return -1;
			}
			slot = n_quotas++;
			quotas[slot].rule = i;
			if (!count_tree(real, slot, &quotas[slot].used_at_start)) {
				snprintf(err, errsz, "guard: --quota %s: cannot count its files: %s", g->path, strerror(errno));
				return -1;
			}
		}
		g->real = strdup(real);
		kinds_used |= g->kind;
		if (!g->real || add_key(st.st_ino, kdev_of(st.st_dev), g->kind, i, slot) < 0 ||
		    (S_ISDIR(st.st_mode) && add_submounts(real, g->kind, i, slot) < 0)) {
			snprintf(err, errsz, "guard: out of memory");
			return -1;
		}
		if (g->kind != KW_G_DELETE)
			continue;
		char up[PATH_MAX];
		snprintf(up, sizeof(up), "%s", real);
		for (char *slash = strrchr(up, '/'); slash; slash = strrchr(up, '/')) {
			slash[slash == up] = 0; /* "/a/b" -> "/a" -> "/" */
			if (stat(up, &st) == 0 && add_key(st.st_ino, kdev_of(st.st_dev), KW_G_ANCESTOR, i, 0) < 0) {
				snprintf(err, errsz, "guard: out of memory");
				return -1;
			}
			if (slash == up)
				break;
		}
	}

	vm = btf__load_vmlinux_btf();
	mech = choose_mechanism(vm, opt.attach, err, errsz);
	if (!mech) {
		btf__free(vm);
		return -1;
	}
	/* every hook a rule needs must exist under the chosen mechanism, or the guard would leak */
	const char *prefix = mech[0] == 'l' ? "bpf_lsm_" : "security_";
	for (size_t i = 0; i < N_HOOKS; i++) {
		hook_present[i] = btf_has(vm, prefix, hooks[i].hook);
		if (!hook_present[i] && !hooks[i].optional && (hooks[i].kinds & kinds_used)) {
			snprintf(err, errsz, "guard: the kernel has no %s%s to attach to (%s)", prefix, hooks[i].hook, mech);
			btf__free(vm);
			return -1;
		}
	}
	btf__free(vm);
	return 0;
}

const char *guard_mechanism(void)
{
	return mech;
}

/* Whether a program of the BPF object is one of the guard's, and if so whether to load it. */
bool guard_program(const char *sec, bool *load, struct prog_info_guard *pi)
{
	bool lsm = !strncmp(sec, "lsm/", 4), fmr = !strncmp(sec, "fmod_ret/security_", 18);

	if (!lsm && !fmr)
		return false;
	const char *hook = sec + (lsm ? 4 : 18);
	*load = false;
	pi->mode = lsm ? "lsm" : "fmod_ret";
	pi->name = lsm ? hook : sec + 9;
	for (size_t i = 0; i < N_HOOKS; i++)
		if (!strcmp(hooks[i].hook, hook))
			*load = opt.guard && mech && !strcmp(mech, pi->mode) && hook_present[i] &&
				(hooks[i].kinds & kinds_used);
	return true;
}

void guard_configure(struct kwitness *skel)
{
	skel->rodata->cfg_guard_audit = opt.audit_only;
	skel->rodata->cfg_guard_kinds = kinds_used;
	bpf_map__set_max_entries(skel->maps.guard_sizes, n_seeds + 65536);
	for (int i = 0; i < opt.n_exempt_pid; i++)
		skel->rodata->cfg_guard_exempt_pid[i] = opt.exempt_pid[i];
	for (int i = 0; i < opt.n_exempt_uid; i++)
		skel->rodata->cfg_guard_exempt_uid[i] = opt.exempt_uid[i];
	for (int i = 0; i < opt.n_exempt_comm; i++)
		memcpy((char *)skel->rodata->cfg_guard_exempt_comm[i], opt.exempt_comm[i], KW_COMM_LEN);
	bpf_map__set_max_entries(skel->maps.guard_rules, n_keys > 4096 ? n_keys : 4096);
}

int guard_fill(struct kwitness *skel, char *err, size_t errsz)
{
	int fd = bpf_map__fd(skel->maps.guard_rules);

	for (size_t i = 0; i < n_keys; i++) {
		if (bpf_map_update_elem(fd, &keys[i].k, &keys[i].v, BPF_ANY)) {
			snprintf(err, errsz, "guard: cannot store the rules in the kernel: %s", strerror(errno));
			return -1;
		}
	}
	int sfd = bpf_map__fd(skel->maps.guard_sizes), qfd = bpf_map__fd(skel->maps.guard_quota);
	for (size_t i = 0; i < n_seeds; i++)
		bpf_map_update_elem(sfd, &seeds[i].k, &seeds[i].v, BPF_ANY);
	free(seeds);
	seeds = NULL;
	n_seeds = cap_seeds = 0;
	for (uint32_t q = 0; q < (uint32_t)n_quotas; q++) {
		struct kw_quota_state st = { .used = quotas[q].used_at_start, .limit = opt.grule[quotas[q].rule].limit };
		if (bpf_map_update_elem(qfd, &q, &st, BPF_ANY)) {
			snprintf(err, errsz, "guard: cannot store the quotas in the kernel: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

void guard_tick(struct kwitness *skel)
{
	int qfd = bpf_map__fd(skel->maps.guard_quota), sfd = bpf_map__fd(skel->maps.guard_sizes);

	for (uint32_t q = 0; q < (uint32_t)n_quotas; q++) {
		struct kw_quota_state st;
		uint64_t total;
		if (bpf_map_lookup_elem(qfd, &q, &st) || !st.rescan)
			continue;
		/* a directory moved across the tree's edge (or a file was replaced): count it again */
		st.rescan = 0;
		bpf_map_update_elem(qfd, &q, &st, BPF_ANY);
		if (!count_tree(opt.grule[quotas[q].rule].real, q, &total))
			continue;
		for (size_t i = 0; i < n_seeds; i++)
			bpf_map_update_elem(sfd, &seeds[i].k, &seeds[i].v, BPF_ANY);
		n_seeds = 0;
		if (bpf_map_lookup_elem(qfd, &q, &st) == 0) {
			st.used = total;
			bpf_map_update_elem(qfd, &q, &st, BPF_ANY);
		}
	}
}

uint64_t guard_deep_total(struct kwitness *skel)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t vals[ncpu > 0 ? ncpu : 1], sum = 0;
	uint32_t zero = 0;

	if (ncpu <= 0 || bpf_map_lookup_elem(bpf_map__fd(skel->maps.guard_deep), &zero, vals))
		return 0;
	for (int i = 0; i < ncpu; i++)
		sum += vals[i];
	return sum;
}

void guard_ready_json(struct buf *b)
{
	if (!opt.guard)
		return;
	buf_printf(b, ",\"guard\":{\"mechanism\":\"%s\",\"audit_only\":%s,\"rules\":[", mech ? mech : "",
		   opt.audit_only ? "true" : "false");
	for (int i = 0; i < opt.n_grule; i++) {
		const char *p = opt.grule[i].real ? opt.grule[i].real : opt.grule[i].path;
		buf_printf(b, "%s{\"kind\":\"%s\",", i ? "," : "", guard_kind_name(opt.grule[i].kind));
		json_bytes(b, "path", p, strlen(p));
		for (int q = 0; q < n_quotas; q++)
			if (quotas[q].rule == i)
				buf_printf(b, ",\"quota_bytes\":%llu,\"used_bytes_at_start\":%llu",
					   (unsigned long long)opt.grule[i].limit, (unsigned long long)quotas[q].used_at_start);
		buf_put(b, "}", 1);
	}
	buf_puts(b, "]}");
}
