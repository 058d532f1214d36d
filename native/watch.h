/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * watch.h: `kwitness-agent watch ...`, a trace that outlives the session that started it.
 *
 *   watch.c        the subcommands (start, status, list, stop) and their checks
 *   supervisor.c   the detached process: runs `trace` as a worker, journals its frames,
 *                  restarts it, enforces the cap and the free-space floor, writes status.json
 *   watch_state.c  DIR's small files: status.json / meta.json, the pid file, a JSON key scanner
 *   watch_read.c   `watch read`: journaled frames back out, with cursors
 *   watch_systemd.c  the supervisor as a systemd unit (transient or persistent) where systemd runs
 *   onhit.c        --on-hit: a rate-limited command per event; wire_json.c: the event as JSON
 *   journal.c      the segment files
 *
 * DIR layout: meta.json, status.json, supervisor.pid, supervisor.lock (flock held by the
 * supervisor), agent.log(.1) (the worker's stderr and the supervisor's notes), journal/; for
 * a systemd watch also kwitness-agent (this binary's copy the unit runs), start.args (its
 * arguments) and start.result (the supervisor's answer to its start).
 */
#ifndef KW_WATCH_H
#define KW_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "agent.h"

int cmd_watch(int argc, char **argv); /* argv[0] is the subcommand */

#define WATCH_EXIT_USAGE 2
#define WATCH_LOG_MAX (1u << 20) /* agent.log is rotated once past this */

struct watch_opts {
	char dir[4096];     /* absolute */
	const char *id, *name;
	uint64_t max_mb, keep_free_mb;
	const char *on_hit;
	uint64_t until_s;    /* 0: none */
	uint64_t max_events; /* 0: none */
	bool foreground;
	const char *service;        /* auto (systemd where it runs), systemd, daemon */
	bool persistent;            /* a systemd unit enabled at boot */
	const char *unit;           /* the systemd unit this supervisor runs in (NULL: none) */
	uint64_t memory_max_mb, cpu_quota_pct; /* the unit's MemoryMax and CPUQuota */
	const char *families;  /* as given: "unlink,create" */
	char **filters;        /* trace filter arguments after FAMILIES */
	int n_filters;
	uint64_t started_ns;   /* the watch's first start (kept across restarts of DIR) */
	const char *replay;    /* the worker replays this recording instead of tracing (benchmarks; replay.c) */
	uint64_t replay_rate;  /* its events per second (0: as fast as the journal takes them) */
};

/* What status.json says (the supervisor's view); lost = lost_base + worker_lost. */
struct watch_status {
	const char *state;  /* starting, running, stopping, stopped, failed */
	pid_t pid, worker_pid; /* 0: null */
	uint64_t events, lost_base, unjudged_base, worker_lost, worker_unjudged;
	uint64_t untracked_base, worker_untracked; /* calls the kernel's table of calls in flight could not take */
	uint64_t dropped_cap, dropped_space, gaps, restarts;
	uint64_t first_cursor, next_cursor, last_event_ns, journal_bytes;
	uint64_t on_hit_runs, on_hit_suppressed, on_hit_failed;
	uint64_t synced_until_ns; /* every event up to this wall time is in the journal, fsynced */
	char error[512], note[512]; /* "" = null */
};

/* ---- watch_state.c ---- */
uint64_t wall_now_ns(void);
void boot_id(char *out, size_t n); /* /proc/sys/kernel/random/boot_id: which boot of the host this is */
uint64_t mono_now_ns(void);
void status_json(struct buf *b, const struct watch_opts *o, const struct watch_status *s);
int write_file_atomic(const char *dir, const char *name, const void *data, size_t len);
int read_small_file(const char *path, struct buf *b); /* whole file, NUL-terminated */
void meta_json(struct buf *b, const struct watch_opts *o);
/* `watch start`'s answer on stdout: {"id","state":"running","pid","dir"} (+ "unit","persistent") */
void print_start_answer(const struct watch_opts *o, pid_t pid, const char *unit);
void json_str_array(struct buf *b, char **items, int n);
void json_families(struct buf *b, const char *families);

/* A top-level member of a JSON object text: its raw value (span into js). */
bool json_get(const char *js, const char *key, const char **val, size_t *len);
uint64_t json_u64(const char *js, const char *key, uint64_t def);
bool json_is_str(const char *js, const char *key, const char *s); /* the member is that exact string */
/* js with a top-level member's value replaced by raw (added at the end when absent). */
void json_patch(struct buf *out, const char *js, const char *key, const char *raw);

/* supervisor.pid: "PID STARTTIME BOOT_ID EXE" (start time = field 22 of /proc/PID/stat). */
int pidfile_write(const char *dir);
/* The live supervisor of DIR (its pid), 0 when none: the pid file's process must still have the
 * recorded start time, boot id and executable. *recorded gets the file's pid (0 if no file). */
pid_t supervisor_alive(const char *dir, pid_t *recorded, char *exe, size_t exen);
bool proc_is_exe(pid_t pid, const char *exe); /* /proc/PID/exe is exe (maybe " (deleted)") */

/* ---- supervisor.c ---- */
/*
 * Runs the watch until it stops; returns the exit status. ready_fd (-1 in the foreground) gets
 * "OK PID\n" once the first worker's ready record is journaled, or "E<exit> message\n".
 */
int supervisor_run(struct watch_opts *o, int ready_fd);

/* ---- watch_systemd.c ---- */
bool systemd_available(char *why, size_t n);                 /* PID 1 is systemd, we are root */
bool systemd_unit_name(const struct watch_opts *o, char *out, size_t n); /* false: id/dir unsafe */
int systemd_watch_start(struct watch_opts *o, const char *unit); /* prints the start's answer */
int systemd_watch_stop(const char *unit, bool persistent, char *note, size_t n);
void systemd_unit_retire(const char *unit); /* a persistent unit disabled, its file removed */
int watch_args_file(const char *path, int *argc, char ***argv); /* DIR/start.args -> argv */
void systemd_notify_init(void);        /* takes $NOTIFY_SOCKET away from the environment */
void systemd_notify(const char *state); /* "READY=1", "STOPPING=1" (nothing outside systemd) */

/* ---- watch_read.c ---- */
int cmd_watch_read(int argc, char **argv);

/* ---- onhit.c ---- */
void onhit_init(const char *cmd, const char *watch_id, const char *dir);
void onhit_event(const uint8_t *rec, uint32_t len, uint64_t cursor); /* an event was journaled */
bool onhit_reaped(pid_t pid, int wstatus);                         /* true: it was an on-hit child */
void onhit_tick(void);                                             /* kills commands over 30 s */
void onhit_stop(void);                                             /* ends them all (bounded) */
void onhit_counts(uint64_t *runs, uint64_t *suppressed, uint64_t *failed);
void onhit_restore(uint64_t runs, uint64_t suppressed, uint64_t failed);

/* ---- wire_json.c ---- */
/* One event record (unlink, create, write, exec, exit) as a JSON object; false if it is not one. */
bool wire_event_json(struct buf *b, const uint8_t *rec, uint32_t len);

#endif
