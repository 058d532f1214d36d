// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kallsyms.c: names kernel stack frames from /proc/kallsyms (the kernel's and every loaded
 * module's functions), read once, when the first kernel frame needs a name. With kptr_restrict
 * hiding the addresses (all 0) frames keep their addresses only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stacks.h"

struct ksym {
	uint64_t addr;
	uint32_t name, module; /* offsets into names */
};

static struct ksym *syms;
static size_t n_syms;
static char *names;
static size_t names_len, names_cap;
static bool loaded;
static const char *kallsyms_file = "/proc/kallsyms";

void ksym_use_file(const char *path)
{
	kallsyms_file = path;
	loaded = false;
	free(syms);
	free(names);
	syms = NULL;
	names = NULL;
	n_syms = names_len = names_cap = 0;
}

static uint32_t intern(const char *s, size_t n)
{
	if (names_len + n + 1 > names_cap) {
		size_t cap = names_cap ? names_cap * 2 : 1 << 20;
		while (cap < names_len + n + 1)
			cap *= 2;
		char *p = realloc(names, cap);
		if (!p)
			return 0;
		names = p;
		names_cap = cap;
	}
	uint32_t at = names_len;
	memcpy(names + at, s, n);
	names[at + n] = 0;
	names_len += n + 1;
	return at;
}

static int by_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void load(void)
{
	FILE *f = fopen(kallsyms_file, "re");
	char line[512];
	size_t cap = 0;
	uint32_t last_mod = 0;
	char last_mod_name[64] = "";

	loaded = true;
	if (!f)
		return;
	intern("", 0); /* offset 0: "" (the kernel itself) */
	while (fgets(line, sizeof(line), f)) {
		char *end;
		uint64_t addr = strtoull(line, &end, 16);
		if (end == line || end[0] != ' ' || !end[1] || end[2] != ' ')
			continue;
		char type = end[1];
		/* functions only: text symbols, weak ones included */
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		char *name = end + 3;
		size_t nl = strcspn(name, "\t\n");
		char *mod = name[nl] == '\t' ? name + nl + 1 : NULL;
		if (!addr)
			continue; /* kptr_restrict: no address to name */
		if (n_syms == cap) {
			size_t nc = cap ? cap * 2 : 65536;
			struct ksym *p = realloc(syms, nc * sizeof(*p));
			if (!p)
				break;
			syms = p;
			cap = nc;
		}
		uint32_t m = 0;
		if (mod && mod[0] == '[') {
			size_t ml = strcspn(mod + 1, "]\n");
			if (ml < sizeof(last_mod_name) && (strlen(last_mod_name) != ml || strncmp(last_mod_name, mod + 1, ml))) {
				memcpy(last_mod_name, mod + 1, ml);
				last_mod_name[ml] = 0;
				last_mod = intern(mod + 1, ml);
			}
			m = last_mod;
		}
		syms[n_syms++] = (struct ksym){ addr, intern(name, nl), m };
	}
	fclose(f);
	qsort(syms, n_syms, sizeof(*syms), by_addr);
}

bool ksym_lookup(uint64_t addr, struct ksym_hit *h)
{
	if (!loaded)
		load();
	if (!n_syms || addr < syms[0].addr)
		return false;
	size_t lo = 0, hi = n_syms; /* the last symbol at or below addr */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (addr - syms[lo].addr > (16u << 20))
		return false; /* far past the last name: not a function we know (JIT code, a trampoline) */
	h->name = names + syms[lo].name;
	h->module = names + syms[lo].module;
	h->off = addr - syms[lo].addr;
	return true;
}
