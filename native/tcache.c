// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tcache.c: per thread, the cwd and dirfd paths of its last delivered file event. The kernel
 * skips a walk it made for the same thread's previous event (KW_R_CWD_SAME, KW_R_BASE_SAME,
 * keyed on the dentry in bpf/file.bpf.h's walk_cache) and user space reuses the path it
 * built then.
 *
 * Bounded, least recently used out: walk_cache is an LRU of 8192 threads; this cache keeps
 * twice as many (its recency differs a little: events dropped in the kernel touch only
 * walk_cache) and at most TC_MAX_BYTES of paths and entries. A process's exit drops its main
 * thread's entry (the kernel reports process exits only: other threads age out). A miss on a
 * "same" record falls back to /proc (enrich.c), exactly as it did before the entry existed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "record.h"

struct tcache {
	uint32_t tid;
	char *path[TC_NPATHS];        /* malloc'd, exact size; NULL: none cached */
	uint32_t len[TC_NPATHS];
	uint8_t unmapped;             /* bit per path: the host does not mount it (hostpath.c) */
	struct tcache *next;          /* hash chain */
	struct tcache *older, *newer; /* recency list */
};

#define TC_BUCKETS 8192
static struct tcache *tct[TC_BUCKETS];
static struct tcache *tc_newest, *tc_oldest;
static size_t tc_count, tc_bytes;

static void oom(void)
{
	fprintf(stderr, "kwitness-agent: out of memory\n");
	exit(1);
}

static void unlink_lru(struct tcache *t)
{
	if (t->older)
		t->older->newer = t->newer;
	else
		tc_oldest = t->newer;
	if (t->newer)
		t->newer->older = t->older;
	else
		tc_newest = t->older;
	t->older = t->newer = NULL;
}

static void push_newest(struct tcache *t)
{
	t->older = tc_newest;
	t->newer = NULL;
	if (tc_newest)
		tc_newest->newer = t;
	else
		tc_oldest = t;
	tc_newest = t;
}

static void drop(struct tcache *t)
{
	struct tcache **pp = &tct[t->tid % TC_BUCKETS];

	while (*pp != t)
		pp = &(*pp)->next;
	*pp = t->next;
	unlink_lru(t);
	for (int i = 0; i < TC_NPATHS; i++) {
		tc_bytes -= t->len[i];
		free(t->path[i]);
	}
	tc_bytes -= sizeof(*t);
	tc_count--;
	free(t);
}

/* Drops the least recently used entries (never `keep`) until the cache is within its bounds. */
static void shrink(const struct tcache *keep, size_t max_entries)
{
	while ((tc_count > max_entries || tc_bytes > TC_MAX_BYTES) && tc_oldest && tc_oldest != keep)
		drop(tc_oldest);
}

struct tcache *tcache_get(uint32_t tid)
{
	struct tcache *t;

	for (t = tct[tid % TC_BUCKETS]; t; t = t->next) {
		if (t->tid == tid) {
			unlink_lru(t);
			push_newest(t);
			return t;
		}
	}
	shrink(NULL, TC_MAX_ENTRIES - 1);
	t = calloc(1, sizeof(*t));
	if (!t)
		oom();
	t->tid = tid;
	t->next = tct[tid % TC_BUCKETS];
	tct[tid % TC_BUCKETS] = t;
	push_newest(t);
	tc_count++;
	tc_bytes += sizeof(*t);
	return t;
}

struct sv tcache_path(const struct tcache *t, int which)
{
	return (struct sv){ t->path[which], t->len[which] };
}

void tcache_set(struct tcache *t, int which, const char *p, size_t n)
{
	char *copy = p ? malloc(n ? n : 1) : NULL;

	if (p && !copy)
		oom();
	if (!p)
		n = 0;
	else
		memcpy(copy, p, n);
	tc_bytes -= t->len[which];
	free(t->path[which]);
	t->path[which] = copy;
	t->len[which] = n;
	tc_bytes += n;
	shrink(t, TC_MAX_ENTRIES);
}

bool tcache_unmapped(const struct tcache *t, int which)
{
	return t->unmapped >> which & 1;
}

void tcache_set_unmapped(struct tcache *t, int which, bool on)
{
	t->unmapped = (uint8_t)((t->unmapped & ~(1u << which)) | (unsigned)on << which);
}

void tcache_drop(uint32_t tid)
{
	for (struct tcache *t = tct[tid % TC_BUCKETS]; t; t = t->next) {
		if (t->tid == tid) {
			drop(t);
			return;
		}
	}
}

size_t tcache_count(void)
{
	return tc_count;
}

size_t tcache_bytes(void)
{
	return tc_bytes;
}
