/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * journal.h: a watch's durable record of wire frames, DIR/journal/seg-<first cursor, 16 hex>.kwj.
 *
 * Each segment is a run of frames exactly as `trace --format wire` writes them (u32 len +
 * record). Records are numbered by a cursor (0, 1, 2, ... over the watch's life): a segment's
 * name is the cursor of its first record, so a record's cursor is its segment's name plus its
 * index there. Only the writer (the supervisor) appends, rotates and deletes; readers take no
 * lock and cope with a segment deleted under them (the cap deletes oldest first).
 */
#ifndef KW_JOURNAL_H
#define KW_JOURNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JOURNAL_SEG_MAX (8ull << 20) /* rotate at 8 MiB (smaller when the cap is tiny) */
#define JOURNAL_MAX_FRAME (16u << 20) /* a longer frame means corruption (records are < 1 MiB) */

struct seg {
	uint64_t first; /* cursor of its first record */
	uint64_t bytes;
};

/* Segments of a journal dir, sorted by first cursor (malloc'd into *segs). -1 + errno on error. */
int journal_list(const char *jdir, struct seg **segs, size_t *n);
void seg_path(char *out, size_t n, const char *jdir, uint64_t first);

/* A frame at p (avail bytes): its record length when whole and sane, else 0. */
uint32_t frame_whole(const uint8_t *p, size_t avail);
/* Fields every record kind has at the same place. */
uint16_t rec_kind(const uint8_t *rec);
uint64_t rec_wall(const uint8_t *rec); /* wall_ns at offset 16 (all kinds up to KW_GAP) */
bool kind_is_event(uint16_t kind);     /* unlink, create, write, exec, exit */

/* ---- writer ---- */
struct journal {
	char jdir[PATH_MAX];
	int fd;              /* the last segment, appended to */
	struct seg *segs;
	size_t n_segs, cap_segs;
	uint64_t next_cursor; /* cursor of the next record appended */
	uint64_t total_bytes;
	uint64_t seg_max, cap_bytes;
	uint64_t last_wall;   /* wall_ns of the last record in the journal, 0 if none */
	bool dirty;           /* appended since the last sync */
	/* takes a finished segment's fd at rotation, to sync and close it (else done inline) */
	void (*retire)(int fd);
};

/*
 * Opens (creating) DIR/journal: truncates the last segment's torn tail (a frame running past EOF
 * or whose kw_hdr.size disagrees with its length), finds next_cursor and last_wall. *torn gets
 * the bytes cut. -1 with a message in err.
 */
int journal_open(struct journal *j, const char *dir, uint64_t cap_bytes, uint64_t *torn, char *err, size_t errn);
/*
 * Appends whole frames (len bytes at p), rotating segments as needed, then enforces the cap
 * (deleting oldest segments; their record count is added to *dropped_cap). *written gets the
 * records that reached the file. -1 + errno when a write failed: the failed part is cut off
 * again, so the file never keeps a partial frame.
 */
int journal_append(struct journal *j, const uint8_t *p, size_t len, uint64_t *written, uint64_t *dropped_cap);
int journal_sync(struct journal *j);   /* fdatasync when dirty */
/* A dup of the current segment's fd to sync elsewhere when it is dirty (then clean), else -1. */
int journal_sync_fd(struct journal *j);
uint64_t journal_first_cursor(const struct journal *j);
void journal_close(struct journal *j);

/* ---- journal_sync.c: fdatasync in a thread, in order ---- */
void syncer_start(void);
void syncer_submit(int fd, uint64_t mark); /* takes fd; mark: what the sync makes durable */
uint64_t syncer_done(void);                /* the mark of the last finished sync */
bool syncer_idle(void);
void syncer_drain(void);                   /* waits until every submitted sync is done */

/* ---- reader ---- */
struct jreader {
	char jdir[PATH_MAX];
	int fd;              /* the segment being read, -1 none */
	uint64_t seg_first;  /* its first cursor */
	uint64_t idx;        /* index in it of the next frame */
	bool final;          /* a later segment exists: this one grows no more */
	uint64_t cursor;     /* the lowest cursor still wanted (next record delivered is >= it) */
	uint64_t off;        /* file offset of the next frame */
	uint8_t *buf;        /* read-ahead: buf[buf_pos] is the byte at file offset off */
	size_t buf_len, buf_pos, buf_cap;
};

void jreader_init(struct jreader *r, const char *jdir, uint64_t since);
/*
 * The next record: 1 (rec/len/cursor set; *skipped = records before it that the cap deleted
 * since the previous one), 0 nothing more for now, -1 + errno on a read error.
 */
int jreader_next(struct jreader *r, const uint8_t **rec, uint32_t *len, uint64_t *cursor, uint64_t *skipped);
void jreader_close(struct jreader *r);

#endif
