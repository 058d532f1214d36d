// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * stacks.c: the names of an event's stack frames (struct kw_stacks from bpf/stacks.bpf.h ->
 * struct ev_stacks). Kernel frames by kallsyms.c. A user frame is first turned into (file,
 * offset in it): by the kernel itself at the call (KW_STK_VMA: bpf_find_vma, 5.17+), so a process
 * that has ended since still gets names, else by /proc/PID/maps now. The file is then found by
 * its (device, inode): /proc/PID/map_files/ of the process while it lives (the very file it
 * mapped, even if deleted since or inside a container), else the event's executable, else any
 * live process that maps it. Files are read once (elfsym.c) and kept in a small cache.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "stacks.h"
#include "elfsym.h"

static bool use_files = true;

void stacks_use_files(bool on)
{
	use_files = on;
}

/* ---- one process's mappings, from /proc/PID/maps ---- */
struct mapping {
	uint64_t start, end, pgoff, ino;
	uint32_t major, minor;
	uint32_t path; /* offset into the maps' path text */
};

struct pmaps {
	uint32_t pid;
	size_t n, cap;
	struct mapping *m;
	struct buf paths;
};

#define KW_PMAPS_KEEP 8
static struct pmaps pm[KW_PMAPS_KEEP];
static unsigned pm_next;

static bool maps_read(struct pmaps *p, uint32_t pid)
{
	char fn[64], line[4096 + 128];

	p->pid = pid;
	p->n = 0;
	p->paths.len = 0;
	snprintf(fn, sizeof(fn), "/proc/%u/maps", pid);
	FILE *f = fopen(fn, "re");
	if (!f) {
		p->pid = 0;
		return false;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e, off, ino;
		unsigned maj, min;
		char perm[8];
		int at = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &s, &e, perm, &off, &maj, &min, &ino, &at) < 7)
			continue;
		if (perm[2] != 'x')
			continue; /* frames are in code */
		if (p->n == p->cap) {
			size_t nc = p->cap ? p->cap * 2 : 64;
			struct mapping *m = realloc(p->m, nc * sizeof(*m));
			if (!m)
				break;
			p->m = m;
			p->cap = nc;
		}
		char *path = line + at;
		path[strcspn(path, "\n")] = 0;
		p->m[p->n++] = (struct mapping){ s, e, off, ino, maj, min, (uint32_t)p->paths.len };
		buf_put(&p->paths, path, strlen(path) + 1);
	}
	fclose(f);
	return true;
}

/* The process's mappings (fresh ones when `refresh`: an address was not in the kept ones). */
static struct pmaps *maps_of(uint32_t pid, bool refresh)
{
	for (unsigned i = 0; i < KW_PMAPS_KEEP; i++)
		if (pm[i].pid == pid)
			return refresh ? (maps_read(&pm[i], pid) ? &pm[i] : NULL) : &pm[i];
	struct pmaps *p = &pm[pm_next++ % KW_PMAPS_KEEP];
	return maps_read(p, pid) ? p : NULL;
}

void stacks_forget(uint32_t pid)
{
	for (unsigned i = 0; i < KW_PMAPS_KEEP; i++)
		if (pm[i].pid == pid)
			pm[i].pid = 0;
}

static const struct mapping *maps_find(const struct pmaps *p, uint64_t addr)
{
	for (size_t i = 0; p && i < p->n; i++)
		if (addr >= p->m[i].start && addr < p->m[i].end)
			return &p->m[i];
	return NULL;
}

/* ---- ELF files by (device, inode) ---- */
struct fobj {
	uint32_t major, minor;
	uint64_t ino;
	struct elfsym *es; /* NULL: could not be read (err says why) */
	char *path;
	uint64_t used;     /* LRU clock */
};

#define KW_FOBJ_KEEP 64
static struct fobj fobj[KW_FOBJ_KEEP];
static uint64_t fobj_clock;

static struct fobj *fobj_find(uint32_t major, uint32_t minor, uint64_t ino)
{
	for (int i = 0; i < KW_FOBJ_KEEP; i++)
		if (fobj[i].ino == ino && fobj[i].major == major && fobj[i].minor == minor && fobj[i].path) {
			fobj[i].used = ++fobj_clock;
			return &fobj[i];
		}
	return NULL;
}

/* Heap the kept files' tables may hold in all: the least recently used go first past it. */
#define KW_FOBJ_BUDGET (96u << 20)

static size_t fobj_mem(const struct fobj *f)
{
	struct elfsym_stats st;

	if (!f->es)
		return 0;
	elfsym_stats(f->es, &st);
	return st.mem;
}

static void fobj_drop(struct fobj *f)
{
	elfsym_close(f->es);
	free(f->path);
	memset(f, 0, sizeof(*f));
}

static struct fobj *fobj_add(uint32_t major, uint32_t minor, uint64_t ino, int fd, const char *path)
{
	struct fobj *v = &fobj[0];
	char err[128];
	struct stat st;

	for (int i = 1; i < KW_FOBJ_KEEP; i++)
		if (fobj[i].used < v->used)
			v = &fobj[i];
	fobj_drop(v);
	/* only a regular file is read: a device another process mapped is not a program */
	bool reg = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	*v = (struct fobj){ major, minor, ino, reg ? elfsym_open(fd, err, sizeof(err)) : NULL, strdup(path), ++fobj_clock };
	size_t total = 0;
	for (int i = 0; i < KW_FOBJ_KEEP; i++)
		total += fobj_mem(&fobj[i]);
	while (total > KW_FOBJ_BUDGET) {
		struct fobj *old = NULL;
		for (int i = 0; i < KW_FOBJ_KEEP; i++)
			if (&fobj[i] != v && fobj[i].es && (!old || fobj[i].used < old->used))
				old = &fobj[i];
		if (!old)
			break;
		total -= fobj_mem(old);
		fobj_drop(old);
	}
	return v;
}

static bool same_file(int fd, uint32_t major, uint32_t minor, uint64_t ino)
{
	struct stat st;
	return fstat(fd, &st) == 0 && st.st_ino == ino && major(st.st_dev) == major && minor(st.st_dev) == minor;
}

/* Opens the file of mapping m of process pid through map_files (the mapped file itself). */
static int open_mapped(uint32_t pid, const struct mapping *m)
{
	char fn[96];
	snprintf(fn, sizeof(fn), "/proc/%u/map_files/%llx-%llx", pid, (unsigned long long)m->start,
		 (unsigned long long)m->end);
	return open(fn, O_RDONLY | O_CLOEXEC);
}

/* Any live process's mapping of the file: for libraries of a process that is gone (libc). */
static struct fobj *fobj_from_any(uint32_t major, uint32_t minor, uint64_t ino)
{
	static struct {
		uint32_t major, minor;
		uint64_t ino;
	} tried[64];
	static unsigned n_tried;
	static uint64_t last_scan_ns;
	for (unsigned i = 0; i < n_tried && i < 64; i++)
		if (tried[i].ino == ino && tried[i].major == major && tried[i].minor == minor)
			return NULL; /* asked before: nobody maps it */
	/* a scan reads every process's maps: at most ten a second, however many new files come */
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	if (now - last_scan_ns < 100000000ull)
		return NULL;
	last_scan_ns = now;
	tried[n_tried++ % 64] = (typeof(tried[0])){ major, minor, ino };
	DIR *d = opendir("/proc");
	struct dirent *de;
	struct fobj *found = NULL;
	struct pmaps scan = { 0 };
	int budget = 4096;
	while (d && !found && budget-- > 0 && (de = readdir(d))) {
		uint32_t pid = strtoul(de->d_name, NULL, 10);
		if (!pid || !maps_read(&scan, pid))
			continue;
		for (size_t i = 0; i < scan.n; i++) {
			const struct mapping *m = &scan.m[i];
			if (m->ino != ino || m->major != major || m->minor != minor)
				continue;
			int fd = open_mapped(pid, m);
			if (fd >= 0 && same_file(fd, major, minor, ino))
				found = fobj_add(major, minor, ino, fd, scan.paths.p + m->path);
			if (fd >= 0)
				close(fd);
			break;
		}
	}
	if (d)
		closedir(d);
	free(scan.m);
	free(scan.paths.p);
	return found;
}

/* The file (device, inode) that process pid mapped: cached, else opened by one of the ways above. */
static struct fobj *fobj_get(uint32_t pid, uint32_t major, uint32_t minor, uint64_t ino, struct sv exe)
{
	struct fobj *f = fobj_find(major, minor, ino);
	if (f)
		return f;
	struct pmaps *p = maps_of(pid, false);
	for (int pass = 0; pass < 2 && p; pass++) {
		for (size_t i = 0; i < p->n; i++) {
			const struct mapping *m = &p->m[i];
			if (m->ino != ino || m->major != major || m->minor != minor)
				continue;
			int fd = open_mapped(pid, m);
			if (fd < 0)
				break;
			f = fobj_add(major, minor, ino, fd, p->paths.p + m->path);
			close(fd);
			return f;
		}
		p = pass ? NULL : maps_of(pid, true);
	}
	if (exe.n && exe.n < 4096) {
		char path[4096];
		memcpy(path, exe.p, exe.n);
		path[exe.n] = 0;
		/* O_NONBLOCK: whatever now sits at that name (a FIFO) must not hold the agent */
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		if (fd >= 0 && same_file(fd, major, minor, ino))
			f = fobj_add(major, minor, ino, fd, path);
		if (fd >= 0)
			close(fd);
		if (f)
			return f;
	}
	return fobj_from_any(major, minor, ino);
}

/* ---- frames ---- */
static void name_user(struct frame *fr, struct fobj *f, bool ret_addr)
{
	struct elfsym_hit h;

	fr->obj = sv_c(f->path);
	fr->flags |= KW_FR_FILE;
	if (!f->es)
		return;
	fr->build_id = sv_c(elfsym_build_id(f->es));
	/* a return address is just past its call, which may be the function's last instruction */
	uint64_t at = ret_addr && fr->file_off ? fr->file_off - 1 : fr->file_off;
	if (!elfsym_lookup(f->es, at, &h))
		return;
	fr->sym = sv_c(h.name);
	fr->off = h.off + (at != fr->file_off);
	fr->flags |= KW_FR_SYM;
	if (h.file && h.line) {
		fr->src = sv_c(h.file);
		fr->line = h.line;
		fr->flags |= KW_FR_LINE;
	}
}

/* Frame i's file and offset, from the kernel's answer or from the process's maps now. */
static struct fobj *user_file(const struct kw_stacks *s, uint32_t pid, struct sv exe, uint64_t addr, uint64_t koff,
			      uint64_t kino, uint32_t kdev, uint64_t *file_off)
{
	if (!use_files)
		return NULL;
	if (s->flags & KW_STK_VMA) {
		if (!kino)
			return NULL; /* anonymous memory (JIT code): the address is all there is */
		*file_off = koff;
		return fobj_get(pid, kdev >> 20, kdev & 0xfffff, kino, exe);
	}
	struct pmaps *p = maps_of(pid, false);
	const struct mapping *m = maps_find(p, addr);
	if (!m && p)
		m = maps_find(p = maps_of(pid, true), addr);
	if (!m || !m->ino)
		return NULL;
	*file_off = addr - m->start + m->pgoff;
	return fobj_get(pid, m->major, m->minor, m->ino, exe);
}

/*
 * The tracer's own frames at the top of a kernel stack (the BPF program and what ran it: the
 * tracepoint, kprobe or trampoline machinery): dropped, so the stack starts where the kernel was.
 */
static bool tracer_frame(const struct frame *f)
{
	static const char *const pfx[] = { "bpf_", "__bpf_", "trace_call_bpf", "__traceiter_", "perf_trace_",
					   "kprobe_", "opt_pre_handler", "optimized_callback", "aggr_pre_handler",
					   "ftrace_", "arch_ftrace", "syscall_trace_enter", "trace_sys_enter",
					   "rethook_", "fprobe_", "__kprobe", "pre_handler_kretprobe" };
	if (!(f->flags & KW_FR_SYM))
		return false;
	if (f->obj.n == 3 && !memcmp(f->obj.p, "bpf", 3))
		return true;
	for (size_t i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++)
		if (!strncmp(f->sym.p, pfx[i], strlen(pfx[i])))
			return true;
	return false;
}

bool stacks_resolve(const struct kw_raw *r, size_t data_sz, struct sv exe, struct ev_stacks *out)
{
	struct kw_stacks s;

	if (!r->stacks || (size_t)r->stk_off + sizeof(s) > data_sz)
		return false;
	memcpy(&s, r->data + r->stk_off, sizeof(s)); /* unaligned in the record */
	memset(out, 0, offsetof(struct ev_stacks, k));
	out->kerr = s.kn < 0 ? s.kn : 0;
	out->uerr = s.un < 0 ? s.un : 0;
	uint32_t kn = s.kn > 0 ? (uint32_t)s.kn : 0, un = s.un > 0 ? (uint32_t)s.un : 0;
	if (kn > KW_STACK_MAX)
		kn = KW_STACK_MAX;
	if (un > KW_STACK_MAX)
		un = KW_STACK_MAX;
	for (uint32_t i = 0; i < kn; i++) {
		struct frame *fr = &out->k[out->kn++];
		struct ksym_hit h;
		memset(fr, 0, sizeof(*fr));
		fr->addr = s.k[i];
		if (ksym_lookup(i ? fr->addr - 1 : fr->addr, &h)) {
			fr->sym = sv_c(h.name);
			fr->obj = sv_c(h.module);
			fr->off = h.off + (i != 0);
			fr->flags = KW_FR_SYM;
		}
		if (out->kn == 1 && tracer_frame(fr))
			out->kn--; /* still at the top: the tracer's own */
	}
	/* a frame pointer walk through code built without them ends in 0 or an address nothing maps,
	 * and what follows is noise */
	for (uint32_t i = 0; i < un; i++)
		if (!s.u[i] || ((s.flags & KW_STK_VMA) && s.ufile_dev[i] == KW_STK_UNMAPPED)) {
			un = i;
			break;
		}
	for (uint32_t i = 0; i < un; i++) {
		struct frame *fr = &out->u[out->un++];
		memset(fr, 0, sizeof(*fr));
		fr->addr = s.u[i];
		/* an exec's caller ran in the image the exec replaced: /proc/PID/maps shows the new one */
		if (!(s.flags & KW_STK_VMA) && r->hdr.kind == KW_EXEC)
			continue;
		struct fobj *f = user_file(&s, r->pid, exe, fr->addr, s.ufile_off[i], s.ufile_ino[i], s.ufile_dev[i], &fr->file_off);
		if (f)
			name_user(fr, f, i != 0);
		/*
		 * Frame 0 is where the system call was made: in a wrapper that keeps no frame (libc's
		 * unlink, Go's Syscall6), the frame pointer walk goes from there to the wrapper's
		 * caller's caller. The word at the stack pointer is then the return address into the
		 * caller: taken when it names code in a file and is not the next frame already.
		 */
		if (i == 0 && (s.flags & KW_STK_SP) && s.sp_ret && (un < 2 || s.sp_ret != s.u[1])) {
			struct frame cand = { .addr = s.sp_ret, .flags = KW_FR_INFERRED };
			struct fobj *cf = user_file(&s, r->pid, exe, s.sp_ret, s.sp_ret_off, s.sp_ret_ino, s.sp_ret_dev, &cand.file_off);
			if (cf) {
				name_user(&cand, cf, true);
				if ((cand.flags & KW_FR_SYM) && out->un < KW_STACK_MAX + 1)
					out->u[out->un++] = cand;
			}
		}
	}
	return true;
}
