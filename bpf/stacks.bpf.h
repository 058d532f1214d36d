/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * stacks.bpf.h: --stacks kernel,user. The stacks of a call are taken where the call starts (the
 * system call's entry: one raw tracepoint on sys_enter for every family, so no entry program
 * changes), kept per thread, deepened on the kernel side by the first file system hook that sees
 * the call (stack_deepen), and copied into the record at submit() (stack_put). Records of calls
 * with no system call of their own (io_uring) carry none.
 * Part of kwitness.bpf.c, included by record.bpf.h before submit(): it uses task_wanted().
 */
#ifndef KW_STACKS_BPF_H
#define KW_STACKS_BPF_H

const volatile __u8 cfg_stacks = 0;      /* KW_STK_KERNEL | KW_STK_USER */
const volatile __u8 cfg_page_shift = 12; /* user space's page size, for a vma's file offset */

#define KW_STACK_NRS 1024 /* system call numbers a stack_nrs index can be */

/* Which system calls start a traced call (user space fills it for the families it traces). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KW_STACK_NRS);
	__type(key, __u32);
	__type(value, __u8);
} stack_nrs SEC(".maps");

/* Per thread: the stacks of its current call (user space sizes it; 1 entry when --stacks is off). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct kw_stacks);
} stacks SEC(".maps");

/* A zeroed source for new `stacks` entries (2 KiB cannot come from the BPF stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kw_stacks);
} stack_zero SEC(".maps");

/* One bpf_find_vma question: the mapping that holds addr. */
struct kw_vma_q {
	__u64 addr, start, end, off, ino;
	__u32 dev;
	__u32 found;
};

static long stack_vma_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct kw_vma_q *q = data;
	struct file *f = BPF_CORE_READ(vma, vm_file);

	q->found = 1;
	q->start = BPF_CORE_READ(vma, vm_start);
	q->end = BPF_CORE_READ(vma, vm_end);
	q->ino = 0;
	q->dev = 0;
	if (!f)
		return 0; /* anonymous memory: JIT code, a stack; user space names it by address only */
	struct inode *ino = BPF_CORE_READ(f, f_inode);
	q->ino = BPF_CORE_READ(ino, i_ino);
	q->dev = kw_inode_dev(ino);
	q->off = (BPF_CORE_READ(vma, vm_pgoff) << cfg_page_shift) - q->start;
	return 0;
}

/* One address's mapping: q is the last answer, reused while addresses stay in it. */
static __always_inline void stack_vma_of(struct task_struct *task, struct kw_vma_q *q, __u64 a)
{
	if (q->found && a >= q->start && a < q->end)
		return;
	q->found = 0;
	q->ino = 0;
	q->addr = a;
	if (bpf_find_vma(task, a, stack_vma_cb, q, 0))
		q->found = 0;
}

/*
 * Names, for each user frame, the file and offset it is in while the mapping still exists. The
 * first address nothing maps ends the stack: a frame pointer walk through code built without
 * frame pointers goes astray there, and what follows is noise not worth a lookup each.
 */
static __always_inline void stack_vmas(struct kw_stacks *s)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct kw_vma_q q = {};

	if (s->flags & KW_STK_SP) {
		stack_vma_of(task, &q, s->sp_ret);
		s->sp_ret_off = q.ino ? s->sp_ret + q.off : 0;
		s->sp_ret_ino = q.ino;
		s->sp_ret_dev = q.found ? q.dev : KW_STK_UNMAPPED;
	}
	/* unrolled: a loop around a callback helper is a "back-edge" to 6.1's verifier */
#pragma unroll
	for (int i = 0; i < KW_STACK_MAX; i++) {
		if (i >= s->un)
			break;
		stack_vma_of(task, &q, s->u[i]);
		s->ufile_off[i] = q.ino ? s->u[i] + q.off : 0;
		s->ufile_ino[i] = q.ino;
		s->ufile_dev[i] = q.found ? q.dev : KW_STK_UNMAPPED;
		if (!q.found) {
			s->un = i + 1;
			break;
		}
	}
	s->flags |= KW_STK_VMA;
}

static __always_inline int stack_enter(struct bpf_raw_tracepoint_args *ctx, int with_vmas)
{
	__u32 nr = (__u32)ctx->args[1], zero = 0;
	__u8 *want = bpf_map_lookup_elem(&stack_nrs, &nr);

	if (!want || !*want || !task_wanted())
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct kw_stacks *s = bpf_map_lookup_elem(&stacks, &tid);
	if (!s) {
		struct kw_stacks *z = bpf_map_lookup_elem(&stack_zero, &zero);
		if (!z || bpf_map_update_elem(&stacks, &tid, z, BPF_ANY))
			return 0;
		s = bpf_map_lookup_elem(&stacks, &tid);
		if (!s)
			return 0;
	}
	s->ktime = bpf_ktime_get_boot_ns();
	s->nr = nr;
	s->flags = 0;
	s->kn = 0;
	s->un = 0;
	if (cfg_stacks & KW_STK_KERNEL) {
		long n = bpf_get_stack(ctx, s->k, sizeof(s->k), 0);
		s->kn = n < 0 ? n : (__u64)n / 8;
	}
	if (cfg_stacks & KW_STK_USER) {
		long n = bpf_get_stack(ctx, s->u, sizeof(s->u), BPF_F_USER_STACK);
		s->un = n < 0 ? n : (__u64)n / 8;
		struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
#if defined(__TARGET_ARCH_x86)
		/* the return address a frameless wrapper's call pushed */
		if (!bpf_probe_read_user(&s->sp_ret, 8, (void *)PT_REGS_SP_CORE(regs)))
			s->flags |= KW_STK_SP;
#else
		/* the link register holds it */
		s->sp_ret = PT_REGS_RET_CORE(regs);
		s->flags |= KW_STK_SP;
#endif
		if (with_vmas)
			stack_vmas(s);
	}
	return 0;
}

/* Two builds of one program: bpf_find_vma (5.17+) where it loads, else user space reads maps. */
SEC("raw_tp/sys_enter")
int kw_stack_enter_vma(struct bpf_raw_tracepoint_args *ctx) { return stack_enter(ctx, 1); }
SEC("raw_tp/sys_enter")
int kw_stack_enter(struct bpf_raw_tracepoint_args *ctx) { return stack_enter(ctx, 0); }

/*
 * A hook inside the call (a file system's, the VFS's): its kernel stack shows the path the call
 * took (vfs_unlink, ext4_unlink, ...), which the system call's entry could not. The first wins.
 */
static __always_inline void stack_deepen(void *ctx)
{
	if (!(cfg_stacks & KW_STK_KERNEL))
		return;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct kw_stacks *s = bpf_map_lookup_elem(&stacks, &tid);
	if (!s || (s->flags & KW_STK_KDEEP))
		return;
	long n = bpf_get_stack(ctx, s->k, sizeof(s->k), 0);
	if (n > 0) {
		s->kn = (__u64)n / 8;
		s->flags |= KW_STK_KDEEP;
	}
}

/* submit(): the thread's stacks go into an event record, once. */
static __always_inline __u32 stack_put(struct kw_raw *r, __u32 used)
{
	if (!cfg_stacks || r->hdr.kind >= KW_RAW_FORK || r->hdr.kind == KW_EXIT || used > KW_DATA_MASK)
		return used;
	if (r->probe >= KW_P_FX_DO_UNLINKAT && r->probe <= KW_P_KRP_DO_FILP_OPEN)
		return used; /* io_uring: no system call of its own, so any stacks held are another call's */
	__u32 tid = r->tid;
	struct kw_stacks *s = bpf_map_lookup_elem(&stacks, &tid);
	if (!s)
		return used;
	if (bpf_probe_read_kernel(&r->data[bound(used)], sizeof(*s), s))
		return used;
	r->stacks = 1;
	r->stk_off = used;
	bpf_map_delete_elem(&stacks, &tid);
	return used + sizeof(*s);
}

#endif
