// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * seeds.c: writes starting inputs for the fuzz targets into DIR/record/ and DIR/args/: raw
 * records of every kind and path shape the BPF programs produce (so the fuzzer starts deep in
 * the record builder, not at "short sample"), and typical command lines. Built from the same
 * headers as the agent, so the seeds follow struct kw_raw when it changes.
 * Usage: write-seeds DIR (build/fuzz/write-seeds)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "rawrec.h"

static char dir[4096];

/* Appends the record as one sample (u16 length + bytes) to a seed file's buffer. */
static void put(unsigned char *buf, size_t *len, struct rb *b)
{
	size_t n = rb_size(b);

	buf[(*len)++] = n & 0xff;
	buf[(*len)++] = n >> 8;
	memcpy(buf + *len, &b->r, n);
	*len += n;
}

static void save(const char *sub, const char *name, const void *p, size_t n)
{
	char path[8192];

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(p, 1, n, f) != n || fclose(f)) {
		fprintf(stderr, "seeds: cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static unsigned char file[1 << 20];

/* A sequence: fork note, cgroup note, unlink (cwd walk), unlink again (cwd cached),
 * unlinkat with a dirfd, rename, symlink, open via struct file, exec (script), exit. */
static void record_seeds(uint8_t options, const char *name)
{
	struct rb b;
	size_t n = 0;

	file[n++] = options;
	rb_init(&b, KW_RAW_FORK, KW_P_NONE, 300);
	b.r.ppid = 200;
	put(file, &n, &b);

	rb_init(&b, KW_RAW_CGROUP, KW_P_NONE, 300);
	b.r.cgroup_id = 9;
	rb_s(&b, KW_S_NAME, "/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope");
	put(file, &n, &b);

	rb_init(&b, KW_UNLINK, KW_P_TP_UNLINKAT, 300);
	b.r.cgroup_id = 9;
	b.r.op = KW_OP_UNLINK;
	b.r.rflags = KW_R_BASE_CWD | KW_R_INODE;
	b.r.ino = 4242;
	b.r.dev = 8 << 20 | 1;
	b.r.exit_code = (uint32_t)-100;
	rb_s(&b, KW_S_CWD, "x/tmp/");
	rb_s(&b, KW_S_NAME, "a b");
	put(file, &n, &b);

	/* --stacks: the kernel's stacks copied after the strings */
	rb_init(&b, KW_UNLINK, KW_P_TP_UNLINKAT, 300);
	b.r.op = KW_OP_UNLINK;
	b.r.rflags = KW_R_BASE_CWD | KW_R_CWD_SAME;
	rb_s(&b, KW_S_NAME, "stacked");
	{
		struct kw_stacks st = { .kn = 3, .un = 2, .flags = KW_STK_VMA | KW_STK_SP | KW_STK_KDEEP, .sp_ret = 0x401234 };
		st.k[0] = 0xffffffff81234567ull;
		st.k[1] = 0xffffffff81000000ull;
		st.k[2] = 8;
		st.u[0] = 0x401000;
		st.u[1] = 0x7f0000001000ull;
		st.ufile_ino[0] = 99;
		st.ufile_dev[1] = KW_STK_UNMAPPED;
		b.r.stacks = 1;
		b.r.stk_off = b.used;
		memcpy(b.r.data + b.used, &st, sizeof(st));
		b.used += sizeof(st);
	}
	put(file, &n, &b);

	rb_init(&b, KW_UNLINK, KW_P_TP_UNLINK, 300);
	b.r.op = KW_OP_RMDIR;
	b.r.rflags = KW_R_BASE_CWD | KW_R_CWD_SAME | KW_R_INODE;
	b.r.ino = 4243;
	rb_s(&b, KW_S_NAME, "../y/./d");
	put(file, &n, &b);

	rb_init(&b, KW_UNLINK, KW_P_TP_UNLINKAT, 300);
	b.r.op = KW_OP_UNLINK;
	b.r.rflags = KW_R_CWD_SAME;
	b.r.exit_code = 3;
	rb_s(&b, KW_S_BASE, "sub/x/tmp/");
	RB_LIT(&b, KW_S_NAME, "bad\xff\xfe\n\x1b");
	put(file, &n, &b);

	rb_init(&b, KW_UNLINK, KW_P_TP_UNLINKAT, 300);
	b.r.op = KW_OP_UNLINK;
	b.r.rflags = KW_R_CWD_SAME | KW_R_BASE_SAME;
	b.r.exit_code = 3;
	rb_s(&b, KW_S_NAME, "again");
	put(file, &n, &b);

	/* the kernel's own walk of the removed file beside the caller's spelling (named) */
	rb_init(&b, KW_UNLINK, KW_P_TP_UNLINK, 300);
	b.r.op = KW_OP_UNLINK;
	b.r.rflags = KW_R_BASE_NONE | KW_R_CWD_SAME | KW_R_INODE;
	b.r.rflags2 = KW_R2_KPATH;
	rb_s(&b, KW_S_NAME, "/t/link/../f");
	rb_s(&b, KW_S_KPATH, "f/real/t/");
	put(file, &n, &b);

	/* the kernel's name in the base directory (rm -rf), and an io_uring copy of a name */
	rb_init(&b, KW_UNLINK, KW_P_TP_UNLINKAT, 300);
	b.r.op = KW_OP_UNLINK;
	b.r.rflags = KW_R_BASE_CWD | KW_R_CWD_SAME;
	b.r.rflags2 = KW_R2_KNAME;
	rb_s(&b, KW_S_NAME, "victim");
	put(file, &n, &b);
	rb_init(&b, KW_UNLINK, KW_P_FX_DO_UNLINKAT, 300);
	b.r.op = KW_OP_UNLINK;
	b.r.rflags = KW_R_BASE_CWD | KW_R_CWD_SAME;
	b.r.rflags2 = KW_R2_NAME_COPY;
	rb_s(&b, KW_S_NAME, "ring");
	put(file, &n, &b);

	rb_init(&b, KW_CREATE, KW_P_TP_RENAMEAT2, 300);
	b.r.op = KW_OP_RENAME;
	b.r.rflags = KW_R_BASE_NONE | KW_R_OBASE_CWD | KW_R_CWD_SAME | KW_R_INODE;
	b.r.ino = 1ull << 40;
	rb_s(&b, KW_S_NAME, "/tmp/new");
	rb_s(&b, KW_S_ONAME, "old");
	put(file, &n, &b);

	/* renameat2(RENAME_EXCHANGE): a create with both names */
	rb_init(&b, KW_CREATE, KW_P_TP_RENAMEAT2, 300);
	b.r.op = KW_OP_EXCHANGE;
	b.r.rflags = KW_R_BASE_CWD | KW_R_OBASE_CWD | KW_R_CWD_SAME | KW_R_INODE;
	b.r.ino = 4244;
	rb_s(&b, KW_S_NAME, "b");
	rb_s(&b, KW_S_ONAME, "a");
	put(file, &n, &b);

	/* unlinkat(dirfd, "", 0): no name, the dirfd's walk */
	rb_init(&b, KW_UNLINK, KW_P_TP_UNLINKAT, 300);
	b.r.op = KW_OP_UNLINK;
	b.r.ret = -2;
	b.r.rflags = KW_R_CWD_SAME | KW_R_NAME_UNREAD;
	b.r.exit_code = 4;
	rb_s(&b, KW_S_BASE, "dir/tmp/");
	put(file, &n, &b);

	rb_init(&b, KW_CREATE, KW_P_TP_SYMLINKAT, 301);
	b.r.op = KW_OP_SYMLINK;
	b.r.rflags = KW_R_BASE_CWD;
	rb_s(&b, KW_S_CWD, "b/a/");
	rb_s(&b, KW_S_NAME, "link");
	rb_s(&b, KW_S_ONAME, "../target text");
	put(file, &n, &b);

	rb_init(&b, KW_CREATE, KW_P_TP_OPENAT, 301);
	b.r.op = KW_OP_OPEN;
	b.r.rflags = KW_R_BASE_ABS | KW_R_INODE | KW_R_TRUNC;
	b.r.ino = 77;
	rb_s(&b, KW_S_CWD, "b/a/");
	rb_s(&b, KW_S_BASE, "new.txt/tmp/");
	put(file, &n, &b);

	/* write family: an opened file's own path, and a refused open by name */
	rb_init(&b, KW_WRITE, KW_P_TP_OPENAT, 301);
	b.r.op = KW_OP_OPEN_WRITE;
	b.r.rflags = KW_R_BASE_ABS | KW_R_INODE;
	b.r.ino = 78;
	rb_s(&b, KW_S_CWD, "b/a/");
	rb_s(&b, KW_S_BASE, "hosts/etc/");
	put(file, &n, &b);

	rb_init(&b, KW_WRITE, KW_P_TP_OPEN, 301);
	b.r.op = KW_OP_OPEN_WRITE;
	b.r.ret = -13;
	b.r.rflags = KW_R_BASE_CWD;
	rb_s(&b, KW_S_CWD, "etc/");
	rb_s(&b, KW_S_NAME, "../etc/./shadow");
	put(file, &n, &b);

	/* guard: a refused unlink (the kernel's path), a would-be refused quota write (audit) */
	rb_init(&b, KW_DENIED, KW_P_G_PATH_UNLINK, 302);
	b.r.op = KW_OP_UNLINK;
	b.r.ret = -1;
	b.r.rflags = KW_R_NAME_UNREAD | KW_R_INODE;
	b.r.rflags2 = KW_R2_KPATH;
	b.r.ino = 79;
	rb_s(&b, KW_S_CWD, "/");
	rb_s(&b, KW_S_KPATH, "disk.img/vm/data/");
	put(file, &n, &b);

	rb_init(&b, KW_DENIED, KW_P_G_FILE_PERMISSION_FMR, 302);
	b.r.op = KW_OP_WRITE;
	b.r.ret = -122;
	b.r.exit_code = 2; /* the rule's index */
	b.r.nlink = 1;     /* --audit-only */
	b.r.rflags = KW_R_NAME_UNREAD;
	b.r.rflags2 = KW_R2_KPATH;
	rb_s(&b, KW_S_CWD, "/");
	rb_s(&b, KW_S_KPATH, "big/vol/srv/");
	put(file, &n, &b);

	rb_init(&b, KW_EXEC, KW_P_TP_SCHED_EXEC, 300);
	b.r.rflags = KW_R_SCRIPT | KW_R_ARGV_TRUNC;
	rb_s(&b, KW_S_CWD, "tmp/");
	rb_s(&b, KW_S_NAME, "/dev/fd/3/script.sh");
	rb_s(&b, KW_S_EXE, "dash/bin/usr/");
	RB_LIT(&b, KW_S_ARGV, "/bin/sh\0./script.sh\0a\xff"); /* last item cut */
	rb_s(&b, KW_S_INTERP, "/bin/sh");
	put(file, &n, &b);

	rb_init(&b, KW_EXEC, KW_P_TP_EXECVE, 300);
	b.r.ret = -2;
	rb_s(&b, KW_S_NAME, "./nope");
	RB_LIT(&b, KW_S_ARGV, "./nope\0");
	put(file, &n, &b);

	rb_init(&b, KW_RAW_EXEC_NOTE, KW_P_NONE, 301);
	rb_s(&b, KW_S_EXE, "true/bin/usr/");
	put(file, &n, &b);

	rb_init(&b, KW_EXIT, KW_P_TP_SCHED_EXIT, 300);
	b.r.exit_code = 3 << 8;
	b.r.start_ns = 1;
	rb_s(&b, KW_S_CWD, "tmp/");
	put(file, &n, &b);

	rb_init(&b, KW_RAW_EXIT_NOTE, KW_P_NONE, 301);
	put(file, &n, &b);

	/* calls of the two functions fuzz_record.c describes: every argument kind, with strings */
	for (uint8_t slot = 0; slot < 2; slot++) {
		rb_init(&b, KW_CALL, KW_P_NONE, 302);
		struct kw_call_data c = { .slot = slot, .attach = slot ? KW_CA_KPROBE : KW_CA_FENTRY, .ret = slot ? 0xffff888001234500ull : (uint64_t)-2,
					  .duration_ns = 1234 };
		for (int i = 0; i < KW_FUNC_ARGS; i++)
			c.a[i] = 0xffff888000001000ull + i, c.n[i][0] = 12 + i, c.n[i][1] = 8 << 20 | 1;
		c.a[1] = slot ? 1 : c.a[1];
		memcpy(b.r.data, &c, sizeof(c));
		b.used = sizeof(c);
		rb_s(&b, 0, slot ? "" : "hello");
		rb_s(&b, 1, "disk.img/vol/tmp/");
		rb_s(&b, 2, "f/tmp/");
		RB_LIT(&b, 4, "na\xffme");
		rb_s(&b, 5, "kworker/0:1");
		rb_s(&b, KW_S_CALL_CWD, "tmp/");
		b.r.foreign = 1 << 1;
		b.r.fs_dev[1] = 8 << 20 | 1;
		b.r.fs_off[1] = b.r.off[1];
		b.r.fs_len[1] = b.r.len[1];
		put(file, &n, &b);
	}

	save("record", name, file, n);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: write-seeds DIR\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	char sub[8192];
	for (int i = 0; i < 2; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", dir, i ? "args" : "record");
		mkdir(dir, 0755);
		if (mkdir(sub, 0755) && errno != EEXIST) {
			fprintf(stderr, "seeds: cannot create %s: %s\n", sub, strerror(errno));
			return 1;
		}
	}
	record_seeds(0, "json");
	record_seeds(1, "wire");
	record_seeds(2, "json-prefix");
	record_seeds(7, "wire-prefixes");

	/* NUL-separated arguments ("\0" "0": an argument "0", not an octal escape) */
#define LINE(s) { s, sizeof(s) - 1 }
	static const struct {
		const char *s;
		size_t n;
	} lines[] = {
		LINE("unlink,create,exec"),
		LINE("write,unlink\0--path-prefix\0/etc/hosts\0--failed-only"),
		LINE("unlink\0--format\0wire\0--path-prefix\0/tmp/../var//log/\0--path-prefix\0/"),
		LINE("create\0--pid\0" "123\0--uid\0" "0\0--comm\0a-very-long-process-name\0--failed-only"),
		LINE("exec\0--attach\0tracepoint\0--ringbuf-kb\0" "128\0--argv-max\0" "16384\0--heartbeat-timeout\0" "60\0-v"),
		LINE("unlink,exec\0--cgroup\0/system.slice\0--format\0json\0--verbose"),
		LINE("unlink,,create,unlink\0--pid\0" "18446744073709551617"),
		LINE("create\0--path-glob\0/var/lib/*/pods/[a-z]?/x\0--path-prefix\0/var/lib\0--path-glob\0/*"),
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char name[32];
		snprintf(name, sizeof(name), "line%zu", i);
		save("args", name, lines[i].s, lines[i].n);
	}
	return 0;
}
