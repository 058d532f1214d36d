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

static void set_options(uint8_t o)
{
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
