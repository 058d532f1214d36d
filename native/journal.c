// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * journal.c: the segment files of a watch (see journal.h). The writer appends whole frames with
 * write() and cuts off whatever a failed write left, so a segment only ever ends in a partial
 * frame when the process died inside write(); journal_open() cuts that torn tail. Durability is
 * the caller's rhythm: journal_sync() or journal_sync_fd() at most once a second, and at rotation
 * (through j->retire when set, so a slow disk does not hold up the writer).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "journal.h"
#include "kwitness_wire.h"

#define SEG_MIN (64ull << 10)
#define READ_CHUNK (256u << 10)

void seg_path(char *out, size_t n, const char *jdir, uint64_t first)
{
	snprintf(out, n, "%s/seg-%016" PRIx64 ".kwj", jdir, first);
}

static int seg_cmp(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

int journal_list(const char *jdir, struct seg **segs, size_t *n)
{
	DIR *d = opendir(jdir);
	struct dirent *e;
	size_t cap = 0;

	*segs = NULL;
	*n = 0;
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char *end;
		if (strncmp(e->d_name, "seg-", 4) || strlen(e->d_name) != 4 + 16 + 4 || strcmp(e->d_name + 20, ".kwj"))
			continue;
		uint64_t first = strtoull(e->d_name + 4, &end, 16);
		if (end != e->d_name + 20)
			continue;
		struct stat st;
		if (fstatat(dirfd(d), e->d_name, &st, 0))
			continue; /* deleted meanwhile */
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			struct seg *p = realloc(*segs, cap * sizeof(**segs));
			if (!p) {
				closedir(d);
				free(*segs);
				*segs = NULL;
				errno = ENOMEM;
				return -1;
			}
			*segs = p;
		}
		(*segs)[(*n)++] = (struct seg){ first, (uint64_t)st.st_size };
	}
	closedir(d);
	if (*n)
		qsort(*segs, *n, sizeof(**segs), seg_cmp);
	return 0;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

uint32_t frame_whole(const uint8_t *p, size_t avail)
{
	if (avail < 4)
		return 0;
	uint32_t len = le32(p);
	if (len < sizeof(struct kw_hdr) || len > JOURNAL_MAX_FRAME || avail - 4 < len)
		return 0;
	if (le32(p + 4 + offsetof(struct kw_hdr, size)) != len)
		return 0;
	return len;
}

uint16_t rec_kind(const uint8_t *rec)
{
	return rec[0] | rec[1] << 8;
}

uint64_t rec_wall(const uint8_t *rec)
{
	/* every kind so far has a wall_ns right after the header (kw_proc starts with it) */
	return le32(rec + offsetof(struct kw_hdr, size)) >= 24 ? le64(rec + 16) : 0;
}

bool kind_is_event(uint16_t kind)
{
	return kind == KW_UNLINK || kind == KW_CREATE || kind == KW_WRITE || kind == KW_DENIED || kind == KW_EXEC ||
	       kind == KW_EXIT;
}

/*
 * Walks a segment's frames: the byte length of its whole frames (where a torn tail starts),
 * their count, and the wall time of the last one.
 */
static int seg_walk(const char *path, uint64_t *good, uint64_t *count, uint64_t *last_wall)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	*good = *count = 0;
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_size == 0) {
		close(fd);
		return 0;
	}
	const uint8_t *m = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -1;
	size_t pos = 0, size = st.st_size;
	uint32_t len;
	while ((len = frame_whole(m + pos, size - pos))) {
		*last_wall = rec_wall(m + pos + 4);
		(*count)++;
		pos += 4 + len;
	}
	*good = pos;
	munmap((void *)m, size);
	return 0;
}

static int add_seg(struct journal *j, uint64_t first, uint64_t bytes)
{
	if (j->n_segs == j->cap_segs) {
		size_t cap = j->cap_segs ? j->cap_segs * 2 : 64;
		struct seg *p = realloc(j->segs, cap * sizeof(*p));
		if (!p)
			return -1;
		j->segs = p;
		j->cap_segs = cap;
	}
	j->segs[j->n_segs++] = (struct seg){ first, bytes };
	return 0;
}

static void sync_dir(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
}

static int open_seg(struct journal *j, uint64_t first, bool create)
{
	char p[PATH_MAX + 32];

	seg_path(p, sizeof(p), j->jdir, first);
	j->fd = open(p, O_WRONLY | O_APPEND | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0), 0600);
	if (j->fd < 0)
		return -1;
	if (create)
		sync_dir(j->jdir); /* the new name must survive a crash too */
	return 0;
}

int journal_open(struct journal *j, const char *dir, uint64_t cap_bytes, uint64_t *torn, char *err, size_t errn)
{
	struct seg *segs = NULL;
	size_t n = 0;

	memset(j, 0, sizeof(*j));
	j->fd = -1;
	*torn = 0;
	snprintf(j->jdir, sizeof(j->jdir), "%s/journal", dir);
	j->cap_bytes = cap_bytes;
	j->seg_max = cap_bytes / 8 < SEG_MIN ? SEG_MIN : cap_bytes / 8 > JOURNAL_SEG_MAX ? JOURNAL_SEG_MAX : cap_bytes / 8;
	if (mkdir(j->jdir, 0700) && errno != EEXIST) {
		snprintf(err, errn, "cannot create %s: %s", j->jdir, strerror(errno));
		return -1;
	}
	if (journal_list(j->jdir, &segs, &n)) {
		snprintf(err, errn, "cannot read %s: %s", j->jdir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (add_seg(j, segs[i].first, segs[i].bytes))
			goto oom;
		j->total_bytes += segs[i].bytes;
	}
	free(segs);
	if (!j->n_segs) {
		if (add_seg(j, 0, 0))
			goto oom;
		if (open_seg(j, 0, true))
			goto io;
		return 0;
	}
	/* the last segment: cut a torn tail, count its records */
	struct seg *last = &j->segs[j->n_segs - 1];
	char p[PATH_MAX + 32];
	uint64_t good, count;
	seg_path(p, sizeof(p), j->jdir, last->first);
	if (seg_walk(p, &good, &count, &j->last_wall))
		goto io;
	if (good < last->bytes) {
		int fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || ftruncate(fd, good) || fdatasync(fd)) {
			if (fd >= 0)
				close(fd);
			goto io;
		}
		close(fd);
		*torn = last->bytes - good;
		j->total_bytes -= last->bytes - good;
		last->bytes = good;
	}
	j->next_cursor = last->first + count;
	/* an empty last segment: the last record's time is in the one before */
	for (size_t i = j->n_segs - 1; !j->last_wall && i > 0; i--) {
		uint64_t g2, c2;
		seg_path(p, sizeof(p), j->jdir, j->segs[i - 1].first);
		seg_walk(p, &g2, &c2, &j->last_wall);
	}
	if (open_seg(j, last->first, false))
		goto io;
	return 0;
oom:
	free(segs);
	snprintf(err, errn, "out of memory");
	return -1;
io:
	snprintf(err, errn, "cannot open the journal in %s: %s", j->jdir, strerror(errno));
	return -1;
}

/* Writes len bytes to the current segment; on failure cuts the segment back and returns -1. */
static int write_all(struct journal *j, const uint8_t *p, size_t len)
{
	struct seg *cur = &j->segs[j->n_segs - 1];
	size_t done = 0;

	while (done < len) {
		ssize_t w = write(j->fd, p + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : ENOSPC;
			if (done && ftruncate(j->fd, cur->bytes) == 0)
				done = 0;
			cur->bytes += done; /* what could not be cut stays counted */
			j->total_bytes += done;
			errno = e;
			return -1;
		}
		done += w;
	}
	cur->bytes += len;
	j->total_bytes += len;
	j->dirty = true;
	return 0;
}

static int rotate(struct journal *j)
{
	if (j->fd >= 0) {
		/* a finished segment is made durable (here or by retire) before it is forgotten */
		if (!j->dirty) {
			close(j->fd);
		} else if (j->retire) {
			j->retire(j->fd);
		} else {
			fdatasync(j->fd);
			close(j->fd);
		}
		j->fd = -1;
	}
	j->dirty = false;
	if (add_seg(j, j->next_cursor, 0)) {
		errno = ENOMEM;
		return -1;
	}
	if (open_seg(j, j->next_cursor, true)) {
		int e = errno;
		j->n_segs--;
		/* keep appending to the previous segment rather than losing records */
		open_seg(j, j->segs[j->n_segs - 1].first, false);
		errno = e;
		return -1;
	}
	return 0;
}

static void enforce_cap(struct journal *j, uint64_t *dropped_cap)
{
	while (j->total_bytes > j->cap_bytes && j->n_segs > 1) {
		char p[PATH_MAX + 32];
		seg_path(p, sizeof(p), j->jdir, j->segs[0].first);
		if (unlink(p) && errno != ENOENT)
			break;
		*dropped_cap += j->segs[1].first - j->segs[0].first;
		j->total_bytes -= j->segs[0].bytes;
		memmove(j->segs, j->segs + 1, (j->n_segs - 1) * sizeof(*j->segs));
		j->n_segs--;
	}
}

int journal_append(struct journal *j, const uint8_t *p, size_t len, uint64_t *written, uint64_t *dropped_cap)
{
	size_t chunk = 0, pos = 0;
	uint64_t chunk_recs = 0;
	int rc = 0;

	*written = 0;
	if (j->fd < 0 && open_seg(j, j->segs[j->n_segs - 1].first, false))
		return -1;
	while (pos < len) {
		uint32_t flen = frame_whole(p + pos, len - pos);
		if (!flen)
			break; /* callers pass whole frames only */
		uint64_t cur = j->segs[j->n_segs - 1].bytes;
		if (cur + (pos - chunk) > 0 && cur + (pos - chunk) + 4 + flen > j->seg_max) {
			if (pos > chunk) {
				if (write_all(j, p + chunk, pos - chunk)) {
					rc = -1;
					goto out;
				}
				j->next_cursor += chunk_recs;
				*written += chunk_recs;
			}
			chunk = pos;
			chunk_recs = 0;
			/* when no new segment can be made, the old one grows past seg_max rather than
			 * records being dropped */
			(void)rotate(j);
		}
		pos += 4 + flen;
		chunk_recs++;
	}
	if (pos > chunk) {
		if (write_all(j, p + chunk, pos - chunk)) {
			rc = -1;
			goto out;
		}
		j->next_cursor += chunk_recs;
		*written += chunk_recs;
	}
	if (pos) {
		uint32_t flen;
		const uint8_t *q = p, *last = NULL;
		while (q < p + pos && (flen = frame_whole(q, p + pos - q))) {
			last = q;
			q += 4 + flen;
		}
		if (last)
			j->last_wall = rec_wall(last + 4);
	}
out:
	enforce_cap(j, dropped_cap);
	return rc;
}

int journal_sync(struct journal *j)
{
	if (!j->dirty || j->fd < 0)
		return 0;
	j->dirty = false;
	return fdatasync(j->fd);
}

int journal_sync_fd(struct journal *j)
{
	if (!j->dirty || j->fd < 0)
		return -1;
	int fd = fcntl(j->fd, F_DUPFD_CLOEXEC, 0);
	if (fd >= 0)
		j->dirty = false;
	return fd;
}

uint64_t journal_first_cursor(const struct journal *j)
{
	return j->n_segs ? j->segs[0].first : j->next_cursor;
}

void journal_close(struct journal *j)
{
	journal_sync(j);
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	free(j->segs);
	j->segs = NULL;
	j->n_segs = j->cap_segs = 0;
}

/* ---- reader ---- */

void jreader_init(struct jreader *r, const char *jdir, uint64_t since)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->jdir, sizeof(r->jdir), "%s", jdir);
	r->fd = -1;
	r->cursor = since;
}

void jreader_close(struct jreader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	free(r->buf);
	r->buf = NULL;
	r->buf_len = r->buf_pos = r->buf_cap = 0;
}

/*
 * Opens the segment holding r->cursor (or the first one after it, counting the records between
 * as skipped). 1 opened, 0 no segment yet, -1 error.
 */
static int open_at_cursor(struct jreader *r, uint64_t *skipped)
{
	for (int tries = 0; tries < 100; tries++) {
		struct seg *segs;
		size_t n;
		if (journal_list(r->jdir, &segs, &n))
			return errno == ENOENT ? 0 : -1;
		if (!n) {
			free(segs);
			return 0;
		}
		size_t k = 0;
		if (r->cursor < segs[0].first) {
			*skipped += segs[0].first - r->cursor;
			r->cursor = segs[0].first;
		}
		for (size_t i = 0; i < n; i++)
			if (segs[i].first <= r->cursor)
				k = i;
		char p[PATH_MAX + 32];
		seg_path(p, sizeof(p), r->jdir, segs[k].first);
		uint64_t first = segs[k].first;
		free(segs);
		r->fd = open(p, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0) {
			if (errno == ENOENT)
				continue; /* deleted by the cap meanwhile: look again */
			return -1;
		}
		r->seg_first = first;
		r->off = 0;
		r->buf_len = r->buf_pos = 0;
		return 1;
	}
	errno = EAGAIN;
	return -1;
}

/* The next whole frame of the open segment: its length (record at *rec), 0 at its end for now. */
static int64_t read_frame(struct jreader *r, const uint8_t **rec)
{
	for (;;) {
		size_t have = r->buf_len - r->buf_pos;
		uint32_t len = frame_whole(r->buf + r->buf_pos, have);
		if (r->buf && len) {
			*rec = r->buf + r->buf_pos + 4;
			r->buf_pos += 4 + len;
			r->off += 4 + len;
			return len;
		}
		/* need more bytes: at least the frame's length when it is known and sane */
		size_t want = READ_CHUNK;
		if (have >= 4) {
			uint32_t fl = r->buf[r->buf_pos] | r->buf[r->buf_pos + 1] << 8 | r->buf[r->buf_pos + 2] << 16 |
				      (uint32_t)r->buf[r->buf_pos + 3] << 24;
			if (fl < sizeof(struct kw_hdr) || fl > JOURNAL_MAX_FRAME || have >= 4 + (size_t)fl) {
				/* garbage or a header that disagrees: a torn tail, cut at the next start;
				 * read it afresh next time */
				r->buf_len = r->buf_pos = 0;
				return 0;
			}
			if (4 + (size_t)fl > want)
				want = 4 + fl;
		}
		memmove(r->buf, r->buf + r->buf_pos, have);
		r->buf_len = have;
		r->buf_pos = 0;
		if (r->buf_cap < want + READ_CHUNK) {
			uint8_t *p = realloc(r->buf, want + READ_CHUNK);
			if (!p) {
				errno = ENOMEM;
				return -1;
			}
			r->buf = p;
			r->buf_cap = want + READ_CHUNK;
		}
		ssize_t n = pread(r->fd, r->buf + have, r->buf_cap - have, r->off + have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			/* the bytes of a partial frame may still change (a writer mid-write, or a torn
			 * tail cut and rewritten): read them again next time */
			r->buf_len = r->buf_pos = 0;
			return 0;
		}
		r->buf_len += n;
	}
}

int jreader_next(struct jreader *r, const uint8_t **rec, uint32_t *len, uint64_t *cursor, uint64_t *skipped)
{
	*skipped = 0;
	for (;;) {
		if (r->fd < 0) {
			int o = open_at_cursor(r, skipped);
			if (o <= 0)
				return o;
		}
		const uint8_t *p;
		int64_t n = read_frame(r, &p);
		if (n < 0)
			return -1;
		if (n > 0) {
			uint64_t c = r->seg_first + r->idx;
			r->idx++;
			if (c < r->cursor)
				continue; /* before the wanted cursor: positioning */
			r->cursor = c + 1;
			*rec = p;
			*len = n;
			*cursor = c;
			return 1;
		}
		/* end of this segment for now: final only once a later segment exists (the writer
		 * finishes a segment before it starts the next), so read it once more after seeing one */
		struct seg *segs;
		size_t ns;
		if (journal_list(r->jdir, &segs, &ns))
			return errno == ENOENT ? 0 : -1;
		uint64_t next = UINT64_MAX;
		for (size_t i = 0; i < ns; i++)
			if (segs[i].first > r->seg_first && segs[i].first < next)
				next = segs[i].first;
		free(segs);
		if (next == UINT64_MAX)
			return 0;
		if (!r->final) {
			r->final = true;
			continue;
		}
		/* done with it: on to the next segment */
		if (r->cursor < next) {
			if (r->seg_first + r->idx < next)
				*skipped += next - (r->seg_first + r->idx > r->cursor ? r->seg_first + r->idx : r->cursor);
			r->cursor = next;
		}
		close(r->fd);
		r->fd = -1;
		r->idx = 0;
		r->final = false;
	}
}
