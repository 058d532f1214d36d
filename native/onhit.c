// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * onhit.c: --on-hit CMD, `/bin/sh -c CMD` per journaled event with the event as one JSON object
 * on stdin. It must never hold up the journal: the JSON goes into a memfd (stdin of the command,
 * so no pipe can fill up), fork+exec returns at once, children are reaped by the supervisor's
 * SIGCHLD handling (onhit_reaped). Bounded: a token bucket (burst 10, one per second) decides
 * which events run it, the rest are counted as suppressed; at most 16 commands at once; each
 * runs in its own process group, killed as a whole after 30 s.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "watch.h"

#define HIT_BURST 10.0
#define HIT_PER_S 1.0
#define HIT_MAX_CHILDREN 16
#define HIT_TIMEOUT_NS (30ull * 1000000000ull)

static const char *hit_cmd, *hit_id, *hit_dir;
static double tokens = HIT_BURST;
static uint64_t refilled_ns;
static uint64_t runs, suppressed, failed;
static struct buf js;

static struct kid {
	pid_t pid;        /* the shell, also the process group id; 0 = free slot */
	uint64_t started; /* monotonic ns */
	bool reaped, killed;
} kids[HIT_MAX_CHILDREN];

void onhit_init(const char *cmd, const char *watch_id, const char *dir)
{
	hit_cmd = cmd && *cmd ? cmd : NULL;
	hit_id = watch_id;
	hit_dir = dir;
	refilled_ns = mono_now_ns();
}

void onhit_counts(uint64_t *r, uint64_t *s, uint64_t *f)
{
	*r = runs;
	*s = suppressed;
	*f = failed;
}

void onhit_restore(uint64_t r, uint64_t s, uint64_t f)
{
	runs = r;
	suppressed = s;
	failed = f;
}

static struct kid *free_slot(void)
{
	for (int i = 0; i < HIT_MAX_CHILDREN; i++)
		if (!kids[i].pid)
			return &kids[i];
	return NULL;
}

static bool take_token(void)
{
	uint64_t now = mono_now_ns();

	tokens += (double)(now - refilled_ns) / 1e9 * HIT_PER_S;
	if (tokens > HIT_BURST)
		tokens = HIT_BURST;
	refilled_ns = now;
	if (tokens < 1.0)
		return false;
	tokens -= 1.0;
	return true;
}

void onhit_event(const uint8_t *rec, uint32_t len, uint64_t cursor)
{
	if (!hit_cmd)
		return;
	struct kid *k = free_slot();
	if (!k || !take_token()) {
		suppressed++;
		return;
	}
	js.len = 0;
	if (!wire_event_json(&js, rec, len)) {
		failed++;
		return;
	}
	js.len--; /* the closing brace: add the watch's own fields */
	buf_printf(&js, ",\"cursor\":%llu,\"watch\":", (unsigned long long)cursor);
	json_escape(&js, hit_id, strlen(hit_id));
	buf_puts(&js, "}\n");

	int mfd = memfd_create("kwitness-hit", MFD_CLOEXEC);
	if (mfd < 0 || write(mfd, js.p, js.len) != (ssize_t)js.len || lseek(mfd, 0, SEEK_SET) != 0) {
		if (mfd >= 0)
			close(mfd);
		failed++;
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		setpgid(0, 0);
		int null = open("/dev/null", O_RDWR);
		dup2(mfd, 0);
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		setenv("KWITNESS_WATCH_ID", hit_id, 1);
		setenv("KWITNESS_WATCH_DIR", hit_dir, 1);
		execl("/bin/sh", "sh", "-c", hit_cmd, (char *)NULL);
		_exit(127);
	}
	close(mfd);
	if (pid < 0) {
		failed++;
		return;
	}
	setpgid(pid, pid); /* also here: no window where a kill(-pid) misses it */
	*k = (struct kid){ .pid = pid, .started = mono_now_ns() };
	runs++;
}

bool onhit_reaped(pid_t pid, int wstatus)
{
	for (int i = 0; i < HIT_MAX_CHILDREN; i++) {
		if (kids[i].pid != pid || kids[i].reaped)
			continue;
		kids[i].reaped = true;
		if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
			failed++;
		return true;
	}
	return false;
}

void onhit_tick(void)
{
	uint64_t now = mono_now_ns();

	for (int i = 0; i < HIT_MAX_CHILDREN; i++) {
		struct kid *k = &kids[i];
		if (!k->pid)
			continue;
		if (!k->killed && now - k->started > HIT_TIMEOUT_NS) {
			kill(-k->pid, SIGKILL); /* the command and whatever it started in its group */
			k->killed = true;
		}
		/* the slot frees once the shell is reaped and nothing of its group is left */
		if (k->reaped && kill(-k->pid, 0) < 0 && errno == ESRCH)
			k->pid = 0;
	}
}

void onhit_stop(void)
{
	uint64_t deadline = mono_now_ns() + 2000000000ull;
	bool any;

	for (int i = 0; i < HIT_MAX_CHILDREN; i++)
		if (kids[i].pid)
			kill(-kids[i].pid, SIGTERM);
	do {
		any = false;
		for (int i = 0; i < HIT_MAX_CHILDREN; i++) {
			struct kid *k = &kids[i];
			int ws;
			if (!k->pid)
				continue;
			if (!k->reaped && waitpid(k->pid, &ws, WNOHANG) == k->pid)
				onhit_reaped(k->pid, ws);
			if (k->reaped && kill(-k->pid, 0) < 0 && errno == ESRCH)
				k->pid = 0;
			else
				any = true;
		}
		if (any)
			usleep(50000);
	} while (any && mono_now_ns() < deadline);
	for (int i = 0; i < HIT_MAX_CHILDREN; i++) {
		if (!kids[i].pid)
			continue;
		kill(-kids[i].pid, SIGKILL);
		if (!kids[i].reaped)
			waitpid(kids[i].pid, NULL, 0);
		kids[i].pid = 0;
	}
}
