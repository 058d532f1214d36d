// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fuzz_record.c: libFuzzer target for the agent's record builder (native/enrich.c + emit.c):
 * raw ring buffer samples as the kernel would hand them to handle_event(), in sequences (the
 * per-thread path cache and the pid table carry state from one to the next), written as json
 * or wire. Besides ASan/UBSan findings, an output the TypeScript side would reject is a crash:
 * json lines must be valid JSON keeping "ino" exact (check.h), wire frames must decode.
 *
 * Input: byte 0 = options (bit 0 wire, bit 1 --path-prefix /tmp, bit 2 a second prefix
 * /a/b), then samples, each a u16 length (LE) and that many bytes (the last one may be short).
 * Pids, tids and cgroup ids are folded into small ranges so samples meet each other in the
 * tables (and the tables stay small over millions of runs).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent.h"
#include "stacks.h"
#include "func.h"
#include "check.h"

volatile sig_atomic_t stop; /* agent.h (main.c in the agent) */

static void fold(struct kw_raw *r, size_t n)
{
	if (n < KW_RAW_FIXED)
		return;
	r->pid &= 1023;
	r->tid &= 1023;
	r->ppid &= 1023;
	for (int i = 0; i < KW_ANC_BPF; i++)
		r->anc[i] &= 1023;
	r->cgroup_id &= 255;
}

/*
 * Two probed functions whose arguments are of every kind the entry reads (func_event.c), as
 * func.c would describe them from BTF: a call record (KW_CALL, slot 0 or 1) gets them all.
 */
static int64_t enum_vals[] = { 0, 1, -2 };
static char *enum_names[] = { "ZERO", "ONE", "MINUS_TWO" };
static struct func_desc descs[2] = {
	{ .name = "vfs_unlink", .probe = "fentry:vfs_unlink", .ret_type = "int", .ret = { VF_INT, 4, 1 }, .nargs = 6,
	  .kind = { KW_FA_STR, KW_FA_DENTRY, KW_FA_FILE, KW_FA_INODE, KW_FA_FILENAME, KW_FA_TASK },
	  .arg_name = { "s", "dentry", "file", "inode", "name", "task" },
	  .arg_type = { "const char *", "struct dentry *", "struct file *", "struct inode *", "struct filename *", "struct task_struct *" } },
	{ .name = "kmalloc_thing", .probe = "kprobe:kmalloc_thing", .ret_type = "void *", .ret = { VF_PTR, 8, 0 }, .nargs = 6,
	  .kind = { KW_FA_SKIP, KW_FA_SKIP, KW_FA_SOCK, KW_FA_PATH, KW_FA_QSTR, KW_FA_USTR },
	  .arg_name = { "n", "how", "sk", "path", "q", "ubuf" },
	  .arg_type = { "unsigned long", "enum how", "struct sock *", "const struct path *", "const struct qstr *", "char *" },
	  .arg = { { VF_INT, 8, 0 }, { VF_ENUM, 4, 1, 3, enum_vals, enum_names } } },
};

static void set_options(uint8_t o)
{
	func_describe(0, &descs[0]);
	func_describe(1, &descs[1]);
	opts_reset(&opt);
	opt.families = KW_FAM_UNLINK | KW_FAM_CREATE | KW_FAM_EXEC;
	opt.wire = o & 1;
	if (o & 2)
		opt.prefix[opt.n_prefix++] = strdup("/tmp");
	if (o & 4)
		opt.prefix[opt.n_prefix++] = strdup("/a/b");
}

static void check_output(void)
{
	const char *err = opt.wire ? wire_frames_check((const unsigned char *)out.p, out.len)
				   : json_lines_check(out.p, out.len);
	if (err) {
		fprintf(stderr, "fuzz_record: %s\n--- output (%zu bytes) ---\n%.*s\n", err, out.len,
			(int)(out.len < 4096 ? out.len : 4096), out.p ? out.p : "");
		abort();
	}
	out.len = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	set_options(data[0]);
	stacks_use_files(false); /* a fuzzed record's frames must not open this machine's files */
	size_t i = 1;
	while (i < size) {
		size_t n = 0;
		if (size - i >= 2) {
			n = data[i] | data[i + 1] << 8;
			i += 2;
		}
		if (n > size - i)
			n = size - i;
		/* exactly n bytes on the heap: ASan sees any read past the sample */
		struct kw_raw *r = malloc(n ? n : 1);
		if (!r)
			return 0;
		memcpy(r, data + i, n);
		fold(r, n);
		handle_event(NULL, r, n);
		free(r);
		check_output();
		i += n;
		if (n == 0 && size - i < 2)
			break;
	}
	return 0;
}
