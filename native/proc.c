// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * proc.c: the pid table (fed by always-on fork/exec/exit records and a /proc scan at start),
 * so ancestors stay correct after parents exit; cgroup id -> path; container ids.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ftw.h>
#include <time.h>
#include "agent.h"

#define PT_BUCKETS 65536
#define PT_DEAD_KEEP 32768

static struct proc_ent *pt[PT_BUCKETS];
uint64_t proc_generation;
static uint32_t dead_ring[PT_DEAD_KEEP];
static size_t dead_head, dead_count;

struct proc_ent *proc_get(uint32_t pid)
{
	for (struct proc_ent *e = pt[pid % PT_BUCKETS]; e; e = e->next)
		if (e->pid == pid)
			return e;
	return NULL;
}

static void cmd_put(struct cmdline *c)
{
	if (c && --c->refs == 0)
		free(c);
}

/* A table copy of n bytes of arguments, at most KW_CMDLINE_KEEP (then cut: no final NUL). */
static struct cmdline *cmd_new(const char *p, size_t n)
{
	bool cut = n > KW_CMDLINE_KEEP;
	if (cut)
		n = KW_CMDLINE_KEEP;
	/* a cut copy must not end with NUL, or it would read as complete */
	while (cut && n && !p[n - 1])
		n--;
	struct cmdline *c = malloc(sizeof(*c) + n);
	if (!c)
		return NULL;
	c->refs = 1;
	c->len = n;
	memcpy(c->data, p, n);
	return c;
}

static void proc_drop(uint32_t pid)
{
	struct proc_ent **pp = &pt[pid % PT_BUCKETS];

	for (; *pp; pp = &(*pp)->next) {
		if ((*pp)->pid == pid) {
			struct proc_ent *e = *pp;
			*pp = e->next;
			free(e->exe);
			cmd_put(e->cmd);
			free(e);
			return;
		}
	}
}

struct proc_ent *proc_fork(uint32_t pid, uint32_t ppid, const char *comm)
{
	struct proc_ent *e = proc_get(pid);

	if (e)
		proc_generation++; /* a reused pid: ancestors that named it change */
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
		e->pid = pid;
		e->next = pt[pid % PT_BUCKETS];
		pt[pid % PT_BUCKETS] = e;
	}
	/* a reused pid: the old process is gone, this is a new one */
	struct proc_ent *parent = proc_get(ppid);
	char *exe = parent && parent->exe ? strdup(parent->exe) : NULL; /* before the free: parent may be e */
	struct cmdline *cmd = parent ? parent->cmd : NULL; /* a fork runs its parent's program */
	if (cmd)
		cmd->refs++;
	free(e->exe);
	e->exe = exe;
	cmd_put(e->cmd);
	e->cmd = cmd;
	e->cmd_tried = cmd != NULL;
	e->ppid = ppid;
	e->dead = false;
	e->exec_ns = 0;
	snprintf(e->comm, sizeof(e->comm), "%s", comm);
	return e;
}

void proc_exec(uint32_t pid, const char *comm, const char *exe, uint64_t ktime, const char *argv, size_t argv_n)
{
	struct proc_ent *e = proc_get(pid);

	proc_generation++;
	if (!e) {
		e = proc_fork(pid, 0, comm);
		if (!e)
			return;
	}
	snprintf(e->comm, sizeof(e->comm), "%s", comm);
	free(e->exe);
	e->exe = exe ? strdup(exe) : NULL;
	e->exec_ns = ktime;
	cmd_put(e->cmd);
	e->cmd = argv_n ? cmd_new(argv, argv_n) : NULL;
	e->cmd_tried = argv_n > 0; /* none captured (unreadable memory): /proc may still know */
}

void proc_cmdline(uint32_t pid, const char **p, size_t *n)
{
	struct proc_ent *e = proc_get(pid);

	*p = NULL;
	*n = 0;
	if (e && !e->cmd && !e->cmd_tried && !e->dead) {
		/* a process from before the trace (or one whose exec we missed): ask /proc, once */
		char fn[64], t[KW_CMDLINE_KEEP + 1];
		snprintf(fn, sizeof(fn), "/proc/%u/cmdline", pid);
		int fd = open(fn, O_RDONLY | O_CLOEXEC);
		ssize_t r = fd >= 0 ? read(fd, t, sizeof(t)) : -1;
		if (fd >= 0)
			close(fd);
		e->cmd_tried = true;
		if (r > 0) {
			e->cmd = cmd_new(t, r);
			proc_generation++; /* json's cached process parts name it now */
		}
	}
	if (e && e->cmd) {
		*p = e->cmd->data;
		*n = e->cmd->len;
	}
}

void proc_exit(uint32_t pid)
{
	struct proc_ent *e = proc_get(pid);

	if (!e || e->dead)
		return;
	e->dead = true;
	/* keep the dead for a while: they are the ancestors of their orphans */
	if (dead_count == PT_DEAD_KEEP) {
		uint32_t old = dead_ring[dead_head];
		struct proc_ent *o = proc_get(old);
		if (o && o->dead)
			proc_drop(old);
		dead_head = (dead_head + 1) % PT_DEAD_KEEP;
		dead_count--;
	}
	dead_ring[(dead_head + dead_count) % PT_DEAD_KEEP] = pid;
	dead_count++;
}

static char *read_exe(uint32_t pid)
{
	char p[64], t[4096];
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/%u/exe", pid);
	n = readlink(p, t, sizeof(t) - 1);
	if (n <= 0)
		return NULL;
	t[n] = 0;
	/* a replaced binary reads "/usr/bin/x (deleted)": keep the path */
	if (n > 10 && !strcmp(t + n - 10, " (deleted)"))
		t[n - 10] = 0;
	return strdup(t);
}

/* comm and ppid of a live process from /proc/PID/stat (comm may hold spaces and ')'). */
static void stat_fill(struct proc_ent *e, uint32_t pid)
{
	char p[64], s[512];
	snprintf(p, sizeof(p), "/proc/%u/stat", pid);
	FILE *f = fopen(p, "re");
	if (!f)
		return;
	size_t n = fread(s, 1, sizeof(s) - 1, f);
	s[n] = 0;
	fclose(f);
	char *o = strchr(s, '('), *c = strrchr(s, ')');
	unsigned ppid = 0;
	char st;
	if (o && c && c > o) {
		snprintf(e->comm, sizeof(e->comm), "%.*s", (int)(c - o - 1), o + 1);
		if (sscanf(c + 1, " %c %u", &st, &ppid) == 2)
			e->ppid = ppid;
	}
}

const char *proc_exe(uint32_t pid)
{
	struct proc_ent *e = proc_get(pid);

	if (e && e->exe)
		return e->exe;
	if (e && e->dead)
		return "";
	char *x = read_exe(pid);
	if (!x)
		return "";
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e) {
			free(x);
			return "";
		}
		e->pid = pid;
		e->next = pt[pid % PT_BUCKETS];
		pt[pid % PT_BUCKETS] = e;
		stat_fill(e, pid); /* ppid/comm from /proc too */
	}
	e->exe = x;
	return x;
}

void proc_scan(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);
		if (*end || !pid)
			continue;
		if (!proc_get(pid))
			proc_exe(pid);
		struct proc_ent *e = proc_get(pid);
		if (!e) {
			/* kernel threads have no exe: still record comm and parent */
			e = proc_fork(pid, 0, "");
			if (!e)
				continue;
			stat_fill(e, pid);
			free(e->exe);
			e->exe = strdup("");
		}
		/* now, not at its first event: a process may end before its event is read */
		const char *cp;
		size_t cn;
		proc_cmdline(pid, &cp, &cn);
	}
	closedir(d);
}

/* ---- cgroups ---- */

static char cg_mnt[4096];

struct cg_ent {
	uint64_t id;
	char *path;
	struct cg_ent *next;
};
#define CG_BUCKETS 4096
static struct cg_ent *cgt[CG_BUCKETS];
static struct timespec cg_last_scan;

static void cg_put(uint64_t id, const char *path)
{
	for (struct cg_ent *e = cgt[id % CG_BUCKETS]; e; e = e->next) {
		if (e->id == id) {
			if (strcmp(e->path, path)) {
				free(e->path);
				e->path = strdup(path);
			}
			return;
		}
	}
	struct cg_ent *e = calloc(1, sizeof(*e));
	if (!e)
		return;
	e->id = id;
	e->path = strdup(path);
	e->next = cgt[id % CG_BUCKETS];
	cgt[id % CG_BUCKETS] = e;
}

static int cg_visit(const char *fpath, const struct stat *st, int type, struct FTW *ftw)
{
	if (type != FTW_D)
		return 0;
	const char *rel = fpath + strlen(cg_mnt);
	cg_put(st->st_ino, *rel ? rel : "/");
	return 0;
}

static void cg_scan(void)
{
	clock_gettime(CLOCK_MONOTONIC, &cg_last_scan);
	if (cg_mnt[0])
		nftw(cg_mnt, cg_visit, 32, FTW_PHYS | FTW_MOUNT);
}

int cgroup_init(void)
{
	FILE *f = fopen("/proc/self/mounts", "re");
	char dev[256], dir[4096], type[64];

	if (!f)
		return -1;
	while (fscanf(f, "%255s %4095s %63s %*[^\n]", dev, dir, type) == 3) {
		if (!strcmp(type, "cgroup2")) {
			snprintf(cg_mnt, sizeof(cg_mnt), "%s", dir);
			break;
		}
	}
	fclose(f);
	cg_scan();
	return cg_mnt[0] ? 0 : -1;
}

const char *cgroup_mount(void)
{
	return cg_mnt;
}

void cgroup_learn(uint64_t id, const char *path, size_t len)
{
	char p[4096];

	if (!len || len >= sizeof(p))
		return;
	memcpy(p, path, len);
	p[len] = 0;
	cg_put(id, p);
}

/* The cgroup v2 path that /proc/PID/cgroup names, if that directory's inode is `id`: exact and
 * cheap for a process that is still alive, and it finds a cgroup made a moment ago without
 * waiting for the rate-limited rescan below. */
static const char *cg_from_pid(uint64_t id, uint32_t pid)
{
	char fn[64], line[4096], full[8192];
	struct stat st;
	const char *found = NULL;

	snprintf(fn, sizeof(fn), "/proc/%u/cgroup", pid);
	FILE *f = fopen(fn, "re");
	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(full, sizeof(full), "%s%s", cg_mnt, strcmp(line + 3, "/") ? line + 3 : "");
		if (!stat(full, &st) && (uint64_t)st.st_ino == id) {
			cg_put(id, line + 3);
			found = cgroup_path(id, 0);
		}
		break;
	}
	fclose(f);
	return found;
}

const char *cgroup_path(uint64_t id, uint32_t pid)
{
	if (pid && cg_mnt[0]) {
		for (struct cg_ent *e = cgt[id % CG_BUCKETS]; e; e = e->next)
			if (e->id == id)
				return e->path;
		const char *p = cg_from_pid(id, pid);
		if (p)
			return p;
	}
	for (int pass = 0; pass < 2; pass++) {
		for (struct cg_ent *e = cgt[id % CG_BUCKETS]; e; e = e->next)
			if (e->id == id)
				return e->path;
		if (pass)
			break;
		/* a miss: a cgroup made since the last scan; rescan, at most every 10 ms */
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		int64_t ms = (now.tv_sec - cg_last_scan.tv_sec) * 1000 +
			     (now.tv_nsec - cg_last_scan.tv_nsec) / 1000000;
		if (ms < 10)
			break;
		cg_scan();
	}
	return "";
}

static bool is_hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/*
 * docker: /docker/<id> or /system.slice/docker-<id>.scope; containerd (k8s):
 * .../cri-containerd-<id>.scope or /kubepods/.../<id>; cri-o: crio-<id>.scope;
 * podman: libpod-<id>.scope (or /libpod_parent/libpod-<id>). The id is 64 hex digits.
 */
bool container_id(const char *cg, char idout[65])
{
	const char *best = NULL;
	size_t n = strlen(cg);

	for (size_t i = 0; i + 64 <= n; i++) {
		if (i > 0 && cg[i - 1] != '/' && cg[i - 1] != '-' && cg[i - 1] != ':')
			continue;
		if (!is_hex64(cg + i))
			continue;
		char after = cg[i + 64];
		if (after && after != '/' && after != '.')
			continue;
		best = cg + i; /* the innermost one wins */
	}
	if (!best)
		return false;
	memcpy(idout, best, 64);
	idout[64] = 0;
	return true;
}
