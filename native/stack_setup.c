// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * stack_setup.c: --stacks on the BPF side (bpf/stacks.bpf.h): which build of the sys_enter
 * program loads (with bpf_find_vma where the kernel has it, so user frames are tied to their
 * files at the call), its configuration, and the system calls that start a traced call.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/syscall.h>
#include "stacks.h"
#include "kwitness.skel.h"

static int vma_ok = -1; /* bpf_find_vma works in a raw tracepoint program here (5.17+) */

static bool find_vma_works(void)
{
	if (vma_ok < 0)
		vma_ok = libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_FUNC_find_vma, NULL) == 1;
	return vma_ok;
}

const char *stack_mode(void)
{
	return (opt.stacks & KW_STK_USER) && find_vma_works() ? "vma" : "maps";
}

bool stack_program(const struct bpf_program *p, bool *load)
{
	const char *name = bpf_program__name(p);

	if (strncmp(name, "kw_stack_enter", 14))
		return false;
	bool vma_build = !strcmp(name, "kw_stack_enter_vma");
	*load = opt.stacks && vma_build == !strcmp(stack_mode(), "vma");
	return true;
}

void stack_configure(struct kwitness *skel)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t shift = 0;

	while (page > 1 && (1L << shift) < page)
		shift++;
	skel->rodata->cfg_stacks = opt.stacks;
	skel->rodata->cfg_page_shift = shift;
	/* a thread's stacks live from its call's entry to its record: one entry per call in flight */
	bpf_map__set_max_entries(skel->maps.stacks, opt.stacks ? 4096 : 1);
}

/* The system calls whose entry starts an event of each family (the tracepoints of main.c's table). */
static const struct {
	long nr;
	unsigned fam;
} starts[] = {
#ifdef __NR_unlink
	{ __NR_unlink, KW_FAM_UNLINK },
#endif
#ifdef __NR_rmdir
	{ __NR_rmdir, KW_FAM_UNLINK },
#endif
#ifdef __NR_rename
	{ __NR_rename, KW_FAM_UNLINK | KW_FAM_CREATE },
#endif
#ifdef __NR_renameat
	{ __NR_renameat, KW_FAM_UNLINK | KW_FAM_CREATE },
#endif
#ifdef __NR_open
	{ __NR_open, KW_FAM_CREATE | KW_FAM_WRITE },
#endif
#ifdef __NR_creat
	{ __NR_creat, KW_FAM_CREATE | KW_FAM_WRITE },
#endif
#ifdef __NR_openat2
	{ __NR_openat2, KW_FAM_CREATE | KW_FAM_WRITE },
#endif
#ifdef __NR_mkdir
	{ __NR_mkdir, KW_FAM_CREATE },
#endif
#ifdef __NR_mknod
	{ __NR_mknod, KW_FAM_CREATE },
#endif
#ifdef __NR_link
	{ __NR_link, KW_FAM_CREATE },
#endif
#ifdef __NR_symlink
	{ __NR_symlink, KW_FAM_CREATE },
#endif
	{ __NR_unlinkat, KW_FAM_UNLINK }, { __NR_renameat2, KW_FAM_UNLINK | KW_FAM_CREATE },
	{ __NR_openat, KW_FAM_CREATE | KW_FAM_WRITE }, { __NR_truncate, KW_FAM_WRITE },
	{ __NR_ftruncate, KW_FAM_WRITE }, { __NR_mkdirat, KW_FAM_CREATE }, { __NR_mknodat, KW_FAM_CREATE },
	{ __NR_linkat, KW_FAM_CREATE }, { __NR_symlinkat, KW_FAM_CREATE }, { __NR_execve, KW_FAM_EXEC },
	{ __NR_execveat, KW_FAM_EXEC },
};

int stack_fill(struct kwitness *skel, char *err, size_t errsz)
{
	int fd = bpf_map__fd(skel->maps.stack_nrs);
	uint8_t on = 1;

	if (!opt.stacks)
		return 0;
	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		uint32_t nr = starts[i].nr;
		if (!(starts[i].fam & opt.families))
			continue;
		if (bpf_map_update_elem(fd, &nr, &on, BPF_ANY)) {
			snprintf(err, errsz, "--stacks: cannot mark system call %u: %s", nr, strerror(errno));
			return -1;
		}
	}
	/* read /proc/kallsyms now, not at the first event: on a slow machine that read takes
	 * longer than a short-lived process lives, and its user frames are named from its maps
	 * (where the kernel does not tie them to files: before 5.17, and func:NAME's calls) */
	if (opt.stacks & KW_STK_KERNEL) {
		struct ksym_hit h;
		ksym_lookup(0, &h);
	}
	return 0;
}
