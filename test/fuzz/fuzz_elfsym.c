// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fuzz_elfsym.c: libFuzzer target for the stack-frame symbolizer (native/elfsym.c,
 * gopclntab.c, dwarfline.c): the input is the whole file, as a traced process's binary could be. It is
 * written to a memfd (elfsym reads through a file descriptor) and opened; then lookups at
 * offsets spread over the file and at offsets taken from the input. Besides ASan/UBSan
 * findings, a crash is: a refusal without a reason, a build id that is not lowercase hex of
 * at most 128 digits, a hit without a name, a name of 4096 bytes or more.
 * Seeds: small synthetic files and -g C programs (`elfsym-unit --seeds`), /bin/true, the unit test's C and Go
 * programs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "elfsym.h"

static int fd = -1;

static void die(const char *why)
{
	fprintf(stderr, "fuzz_elfsym: %s\n", why);
	abort();
}

static void check_hit(const struct elfsym_hit *h)
{
	if (!h->name || !h->name[0])
		die("a hit without a name");
	if (strnlen(h->name, 1 << 16) >= 4096)
		die("a name longer than the cap");
	if (h->file && strnlen(h->file, 1 << 27) >= (1 << 27))
		die("an unterminated file name");
}

static void lookup(const struct elfsym *es, uint64_t off)
{
	struct elfsym_hit h;

	memset(&h, 0xa5, sizeof(h));
	if (elfsym_lookup(es, off, &h))
		check_hit(&h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct elfsym *es;
	const char *id;
	size_t n;

	if (fd < 0) {
		fd = memfd_create("fuzz-elfsym", MFD_CLOEXEC);
		if (fd < 0)
			die("memfd_create failed");
	}
	if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		die("cannot write the memfd");
	memset(err, 0, sizeof(err));
	es = elfsym_open(fd, err, sizeof(err));
	if (!es) {
		if (!err[0] || strnlen(err, sizeof(err)) == sizeof(err))
			die("refused without a reason");
		return 0;
	}
	id = elfsym_build_id(es);
	n = strlen(id);
	if (n > 128 || n % 2)
		die("build id of odd or excessive length");
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			die("build id not lowercase hex");
	{
		struct elfsym_stats st;

		elfsym_stats(es, &st);
		if (!st.note || strlen(st.note) > 255)
			die("bad note");
	}
	/* offsets over the file, the synthetic seeds' .text, and ones the input spells */
	for (uint64_t i = 0; i <= 16; i++)
		lookup(es, size * i / 16);
	for (uint64_t o = 0x200; o < 0x300; o += 5)
		lookup(es, o);
	for (size_t i = 0; i + 8 <= size && i < 256; i += 24) {
		uint64_t o;

		memcpy(&o, data + i, 8);
		lookup(es, o);
		lookup(es, o & 0xfffff);
	}
	lookup(es, UINT64_MAX);
	elfsym_close(es);
	return 0;
}
