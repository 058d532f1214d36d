/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * func.bpf.h: `trace func:NAME`: calls of any kernel function BTF describes, with arguments read
 * as BTF types them, the return value and the duration. Like bcc's ksnoop, one generic program
 * serves every function: user space puts how to read each argument in `func_specs`. Unlike it,
 * the function is told apart by which copy of the program fired (one pair per slot, loaded only
 * for the slots in use), which works on every kernel from 5.8 (no cookies, no bpf_get_func_ip).
 * The entry reads the arguments and what they point at while it is alive (a struct filename is
 * freed before its function returns), keeps the record in `func_pend` and the return adds ret
 * and the duration and submits it. --where clauses run here: on integer arguments at entry,
 * on strings once read, on the return value at the return.
 * Part of kwitness.bpf.c (one translation unit: the parts are included in this order and use
 * what the earlier ones define).
 */
#ifndef KW_FUNC_BPF_H
#define KW_FUNC_BPF_H

#define KW_FUNC_DATA (KW_FUNC_REC - (__u32)KW_RAW_FIXED) /* data bytes a kept call can hold */


struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KW_FUNC_SLOTS);
	__type(key, __u32);
	__type(value, struct kw_func_spec);
} func_specs SEC(".maps");

/* A call between entry and return: its record as the entry built it (the first KW_FUNC_REC
 * bytes of kw_raw). Keyed by thread id << 32 | slot; allocated on use. */
struct kw_func_pend {
	char rec[KW_FUNC_REC];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct kw_func_pend);
} func_pend SEC(".maps");

/* An integer as its type has it: the register's bits above the type's size are not its. */
static __always_inline __s64 fw_norm(__u64 v, __u8 size, __u8 is_signed)
{
	if (size == 1)
		return is_signed ? (__s64)(__s8)v : (__s64)(__u8)v;
	if (size == 2)
		return is_signed ? (__s64)(__s16)v : (__s64)(__u16)v;
	if (size == 4)
		return is_signed ? (__s64)(__s32)v : (__s64)(__u32)v;
	return (__s64)v;
}

static __always_inline int fw_int_holds(struct kw_func_where *w, __u64 raw)
{
	__s64 v = fw_norm(raw, w->size, w->is_signed);

	if (!w->is_signed && w->size == 8) {
		__u64 u = (__u64)v, x = (__u64)w->val;
		switch (w->op) {
		case KW_FW_EQ: return u == x;
		case KW_FW_NE: return u != x;
		case KW_FW_LT: return u < x;
		case KW_FW_LE: return u <= x;
		case KW_FW_GT: return u > x;
		case KW_FW_GE: return u >= x;
		}
		return 0;
	}
	switch (w->op) {
	case KW_FW_EQ: return v == w->val;
	case KW_FW_NE: return v != w->val;
	case KW_FW_LT: return v < w->val;
	case KW_FW_LE: return v <= w->val;
	case KW_FW_GT: return v > w->val;
	case KW_FW_GE: return v >= w->val;
	}
	return 0;
}

/*
 * A string clause: the argument's captured string equals str. For a walk (a dentry, file or
 * path) that is its last name: the walk is leaf first, "name/parent/.../".
 */
static __always_inline int fw_str_holds(struct kw_raw *r, struct kw_func_where *w, __u8 kind)
{
	__u32 i = w->arg & 7, off = r->off[i], len = r->len[i];
	int walk = kind == KW_FA_DENTRY || kind == KW_FA_FILE || kind == KW_FA_PATH;
	int eq = 1;

	for (int j = 0; j < KW_FW_STR; j++) {
		char c = j < len ? r->data[(off + j) & (KW_DATA_SZ - 1)] : 0;
		char p = w->str[j];

		if (walk && c == '/')
			c = 0;
		if (c != p) {
			eq = 0;
			break;
		}
		if (!p)
			break;
	}
	return w->op == KW_FW_NE ? !eq : eq;
}

/* A dentry's path from its file system's root, leaf first, sent as a foreign walk (the file
 * system and that path) so user space names it where the host mounts that file system. */
__noinline int walk_dentry(__u32 used, int slot, __u64 dentry_p)
{
	struct kw_raw *r = this_raw();
	struct dentry *dentry = (struct dentry *)dentry_p;
	__u32 start = used & KW_DATA_MASK;
	int done = 0;

	if (!r || !dentry || used > KW_DATA_MASK)
		return used;
	used = start;
	for (int i = 0; i < KW_MAX_DEPTH; i++) {
		struct dentry *parent = BPF_CORE_READ(dentry, d_parent);

		if (dentry == parent) {
			done = 1;
			break;
		}
		if (used - start > KW_PATH_MAX - KW_NAME_MAX || used > KW_DATA_MASK)
			break;
		used = bound(used);
		long n = bpf_probe_read_kernel_str(&r->data[used], KW_NAME_MAX, BPF_CORE_READ(dentry, d_name.name));
		if (n <= 1)
			break;
		n &= KW_NAME_MAX * 2 - 1;
		used += n;
		r->data[(used - 1) & (KW_DATA_SZ - 1)] = '/';
		dentry = parent;
	}
	if (!done)
		r->rflags |= KW_R_TRUNC;
	r->off[slot & 7] = start;
	r->len[slot & 7] = used - start;
	r->fs_dev[slot & 7] = BPF_CORE_READ((struct dentry *)dentry_p, d_sb, s_dev);
	r->fs_off[slot & 7] = start;
	r->fs_len[slot & 7] = used - start;
	r->foreign |= 1 << (slot & 7);
	return used;
}

static __always_inline __u32 func_str(struct kw_raw *r, __u32 used, __u32 i, const void *s, int user, __u32 max)
{
	struct kw_call_data *c = (void *)r->data;
	long n = -1;

	used = bound(used);
	if (!user)
		n = bpf_probe_read_kernel_str(&r->data[used], max, s);
	if (n < 0)
		n = bpf_probe_read_user_str(&r->data[used], max, s);
	if (n < 1)
		return used;
	if (n >= max)
		c->cut = 1;
	r->off[i & 7] = used;
	r->len[i & 7] = n - 1;
	return used + n - 1;
}

/* Reads what argument i (value v, kind kind) points at into the record; returns data used. */
__noinline int func_arg(__u32 used, __u32 i, __u32 kind, __u64 v)
{
	struct kw_raw *r = this_raw();

	if (!r || !v || kind == KW_FA_SKIP || i >= KW_FUNC_ARGS)
		return used;
	struct kw_call_data *c = (void *)r->data;
	if (used > KW_FUNC_DATA - KW_PATH_MAX || used > KW_DATA_MASK) {
		c->cut = 1; /* no room left in the kept record for another string or walk */
		return used;
	}
	/* i < KW_FUNC_ARGS, but the verifier of a global function must see a bound the compiler
	 * cannot drop */
	asm volatile("%[i] &= 7" : [i] "+r"(i));
	__u64 *n = c->n[i];
	switch (kind) {
	case KW_FA_STR:
	case KW_FA_USTR:
		return func_str(r, used, i, (void *)v, kind == KW_FA_USTR, KW_FUNC_STR);
	case KW_FA_FILENAME:
		return func_str(r, used, i, BPF_CORE_READ((struct filename *)v, name), 0, KW_PATH_MAX);
	case KW_FA_QSTR:
		return func_str(r, used, i, BPF_CORE_READ((struct qstr *)v, name), 0, KW_NAME_MAX);
	case KW_FA_DENTRY: {
		struct dentry *d = (void *)v;
		struct inode *ino = BPF_CORE_READ(d, d_inode);
		n[0] = ino ? BPF_CORE_READ(ino, i_ino) : 0;
		n[1] = BPF_CORE_READ(d, d_sb, s_dev);
		return walk_dentry(used, i, v);
	}
	case KW_FA_FILE:
	case KW_FA_PATH: {
		struct path *p = kind == KW_FA_FILE ? (void *)v + bpf_core_field_offset(struct file, f_path) : (void *)v;
		struct dentry *d = BPF_CORE_READ(p, dentry);
		struct inode *ino = BPF_CORE_READ(d, d_inode);
		n[0] = ino ? BPF_CORE_READ(ino, i_ino) : 0;
		n[1] = BPF_CORE_READ(d, d_sb, s_dev);
		if (kind == KW_FA_FILE)
			n[2] = BPF_CORE_READ((struct file *)v, f_flags);
		return walk_path(used, i, (__u64)d, (__u64)BPF_CORE_READ(p, mnt));
	}
	case KW_FA_INODE: {
		struct inode *ino = (void *)v;
		n[0] = BPF_CORE_READ(ino, i_ino);
		n[1] = BPF_CORE_READ(ino, i_sb, s_dev);
		n[2] = BPF_CORE_READ(ino, i_mode) | (__u64)BPF_CORE_READ(ino, __i_nlink) << 32;
		n[3] = BPF_CORE_READ(ino, i_size);
		return used;
	}
	case KW_FA_TASK: {
		struct task_struct *t = (void *)v;
		n[0] = BPF_CORE_READ(t, tgid);
		n[1] = BPF_CORE_READ(t, pid);
		return func_str(r, used, i, &t->comm, 0, KW_COMM_LEN);
	}
	case KW_FA_SOCK: {
		struct sock *sk = (void *)v;
		n[0] = BPF_CORE_READ(sk, __sk_common.skc_family);
		n[1] = BPF_CORE_READ(sk, __sk_common.skc_num);
		n[2] = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
		return used;
	}
	}
	return used;
}

/*
 * The entry's work once the raw arguments are in the record: integer clauses, what the
 * arguments point at, string clauses, then the record is kept for the return. 1: kept.
 */
__noinline int func_capture(__u32 slot)
{
	struct kw_raw *r = this_raw();
	__u32 k = slot;
	struct kw_func_spec *sp = bpf_map_lookup_elem(&func_specs, &k);

	if (!r || !sp)
		return 0;
	struct kw_call_data *c = (void *)r->data;
	for (int w = 0; w < KW_FUNC_WHERE; w++) {
		if (w >= sp->n_where)
			break;
		struct kw_func_where *fw = &sp->w[w];
		if (!fw->is_str && fw->arg < KW_FUNC_ARGS && !fw_int_holds(fw, c->a[fw->arg & 7]))
			return 0;
	}
	__u32 used = sizeof(struct kw_call_data);
	for (int i = 0; i < KW_FUNC_ARGS; i++) {
		if (i >= sp->nargs)
			break;
		used = func_arg(used, i, sp->kind[i], c->a[i]);
	}
	for (int w = 0; w < KW_FUNC_WHERE; w++) {
		if (w >= sp->n_where)
			break;
		struct kw_func_where *fw = &sp->w[w];
		if (fw->is_str && fw->arg < KW_FUNC_ARGS && !fw_str_holds(r, fw, sp->kind[fw->arg & 7]))
			return 0;
	}
	/* the caller's cwd (slot 7, past the arguments'): the process may be gone when it is read */
	if (used <= KW_FUNC_DATA - KW_PATH_MAX) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		used = walk_path(used, KW_S_CALL_CWD, (__u64)BPF_CORE_READ(task, fs, pwd.dentry),
				 (__u64)BPF_CORE_READ(task, fs, pwd.mnt));
	}
	c->used = used;
	__u64 key = (__u64)r->tid << 32 | slot;
	if (bpf_map_update_elem(&func_pend, &key, r, BPF_ANY)) {
		count_lost(KW_LOST_UNTRACKED); /* its return cannot be reported */
		return 0;
	}
	return 1;
}

/* The return: the kept record, with ret and the duration, if the return clauses hold. */
__noinline int func_finish(__u32 slot, __u64 ret)
{
	struct kw_raw *r = this_raw();
	__u64 key = (__u64)(__u32)bpf_get_current_pid_tgid() << 32 | slot;
	struct kw_func_pend *p = bpf_map_lookup_elem(&func_pend, &key);
	__u32 k = slot;
	struct kw_func_spec *sp = bpf_map_lookup_elem(&func_specs, &k);

	if (!r || !p || !sp)
		return 0;
	int err = bpf_probe_read_kernel(r, KW_FUNC_REC, p);
	bpf_map_delete_elem(&func_pend, &key);
	if (err)
		return 0;
	for (int w = 0; w < KW_FUNC_WHERE; w++) {
		if (w >= sp->n_where)
			break;
		struct kw_func_where *fw = &sp->w[w];
		if (fw->arg == KW_FW_RET && !fw_int_holds(fw, ret))
			return 0;
	}
	struct kw_call_data *c = (void *)r->data;
	c->ret = fw_norm(ret, sp->ret_size, sp->ret_signed);
	c->duration_ns = bpf_ktime_get_ns() - c->t0;
	return submit(r, c->used);
}

/* --stacks: a call's own stacks, taken at its entry, put into the record by submit(). */
static __always_inline void func_stacks(void *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), zero = 0;
	struct kw_stacks *z = bpf_map_lookup_elem(&stack_zero, &zero);

	if (!cfg_stacks || !z || bpf_map_update_elem(&stacks, &tid, z, BPF_ANY))
		return;
	struct kw_stacks *s = bpf_map_lookup_elem(&stacks, &tid);
	if (!s)
		return;
	s->ktime = bpf_ktime_get_boot_ns();
	s->flags = KW_STK_KDEEP;
	if (cfg_stacks & KW_STK_KERNEL) {
		long n = bpf_get_stack(ctx, s->k, sizeof(s->k), 0);
		s->kn = n < 0 ? n : (__u64)n / 8;
	}
	if (cfg_stacks & KW_STK_USER) {
		long n = bpf_get_stack(ctx, s->u, sizeof(s->u), BPF_F_USER_STACK);
		/* no bpf_find_vma here: a callback in these programs keeps them from loading before
		 * 5.13 even when never called, so user space names the frames from /proc/PID/maps */
		s->un = n < 0 ? n : (__u64)n / 8;
	}
}

static __always_inline int func_enter(void *ctx, __u32 slot, __u8 attach, __u64 *a)
{
	if (!task_wanted())
		return 0;
	struct kw_raw *r = new_raw(KW_CALL, KW_P_NONE);
	if (!r)
		return 0;
	struct kw_call_data *c = (void *)r->data;
	for (int i = 0; i < KW_FUNC_ARGS; i++)
		c->a[i] = a[i];
	__builtin_memset(c->n, 0, sizeof(c->n));
	c->slot = slot;
	c->attach = attach;
	c->cut = 0;
	c->ret = 0;
	c->duration_ns = 0;
	r->op = slot;
	c->t0 = bpf_ktime_get_ns();
	if (func_capture(slot))
		func_stacks(ctx);
	return 0;
}

/* fentry/fexit: ctx is the arguments as u64s, the return value after them (fexit). */
static __always_inline int func_fentry(__u64 *ctx, __u32 slot)
{
	__u64 a[KW_FUNC_ARGS] = {};

	bpf_probe_read_kernel(a, sizeof(a), ctx);
	return func_enter(ctx, slot, KW_CA_FENTRY, a);
}

static __always_inline int func_fexit(__u64 *ctx, __u32 slot)
{
	__u32 k = slot;
	struct kw_func_spec *sp = bpf_map_lookup_elem(&func_specs, &k);
	__u64 w[13] = {};

	if (!sp)
		return 0;
	bpf_probe_read_kernel(w, sizeof(w), ctx);
	__u32 n = sp->nargs;
	if (n > 12)
		return 0;
	func_finish(slot, w[n]);
	return 0; /* fexit programs must return 0 */
}

#if defined(__TARGET_ARCH_x86)
#define KW_PARM6(x) (((struct pt_regs *)(x))->r9)
#elif defined(__TARGET_ARCH_arm64)
#define KW_PARM6(x) (((struct user_pt_regs *)(x))->regs[5])
#endif

static __always_inline int func_kprobe(struct pt_regs *ctx, __u32 slot)
{
	__u64 a[KW_FUNC_ARGS] = { PT_REGS_PARM1(ctx), PT_REGS_PARM2(ctx), PT_REGS_PARM3(ctx),
				  PT_REGS_PARM4(ctx), PT_REGS_PARM5(ctx), KW_PARM6(ctx) };

	return func_enter(ctx, slot, KW_CA_KPROBE, a);
}

/* The programs of one slot: the target is set by user space (set_attach_target, attach_kprobe). */
#define KW_FUNC_PROGS(N)                                                                           \
	SEC("fentry") int kw_func_fe##N(__u64 *ctx) { return func_fentry(ctx, N); }                \
	SEC("fexit") int kw_func_fx##N(__u64 *ctx) { return func_fexit(ctx, N); }                  \
	SEC("kprobe") int kw_func_kp##N(struct pt_regs *ctx) { return func_kprobe(ctx, N); }       \
	SEC("kretprobe") int kw_func_krp##N(struct pt_regs *ctx) { func_finish(N, PT_REGS_RC(ctx)); return 0; }

KW_FUNC_PROGS(0)
KW_FUNC_PROGS(1)
KW_FUNC_PROGS(2)
KW_FUNC_PROGS(3)
KW_FUNC_PROGS(4)
KW_FUNC_PROGS(5)
KW_FUNC_PROGS(6)
KW_FUNC_PROGS(7)

#endif
