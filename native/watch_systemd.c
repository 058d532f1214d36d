// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * watch_systemd.c: a watch as a systemd service, where systemd runs (issue 11). A watch started
 * from an SSH session on a systemd host should not live in that session's scope: systemd-logind
 * may end it with the session, and nobody would restart a supervisor that crashed. So there the
 * supervisor runs as a unit of the system manager:
 *
 *   transient   `systemd-run --unit kwitness-watch-ID.service --collect` (gone after a reboot)
 *   persistent  /etc/systemd/system/kwitness-watch-ID.service, enabled (starts at every boot)
 *
 * Both are Type=notify (the start returns once the first worker's ready record is journaled,
 * the same promise as the double-fork start), Restart=on-failure with the supervisor's own
 * "gave up" exit statuses (1, 2) excluded, KillMode=mixed (SIGTERM to the supervisor only, which
 * stops its worker itself), MemoryMax/CPUQuota limits. ExecStart never carries user text: it is
 * `DIR/kwitness-agent watch start --args-file DIR/start.args`, a copy of this binary (a later
 * upload may replace or remove the one that started the watch) reading its exact arguments,
 * NUL-separated, from a file. DIR and the id are restricted to [A-Za-z0-9_./-], so neither
 * systemd's specifiers (%) nor its variable expansion ($) can touch them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include "watch.h"

#define UNIT_DIR "/etc/systemd/system"

static bool safe_chars(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '.' || *s == '-' || *s == '/'))
			return false;
	return true;
}

/* A program in the usual system directories (sudo and systemd give a short PATH anyway). */
static bool find_program(const char *name, char *out, size_t n)
{
	static const char *const dirs[] = { "/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(out, n, "%s/%s", dirs[i], name);
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

bool systemd_available(char *why, size_t n)
{
	struct stat st;
	char p[256];

	/* sd_booted(): this directory exists only when systemd is PID 1 */
	if (stat("/run/systemd/system", &st) || !S_ISDIR(st.st_mode)) {
		snprintf(why, n, "systemd is not running on this host (no /run/systemd/system)");
		return false;
	}
	if (!find_program("systemd-run", p, sizeof(p)) || !find_program("systemctl", p, sizeof(p))) {
		snprintf(why, n, "systemd runs here but systemd-run or systemctl is missing");
		return false;
	}
	if (geteuid() != 0) {
		snprintf(why, n, "a systemd watch needs root (run the agent through sudo)");
		return false;
	}
	return true;
}

bool systemd_unit_name(const struct watch_opts *o, char *out, size_t n)
{
	if (!safe_chars(o->id) || strchr(o->id, '/') || !safe_chars(o->dir) || strlen(o->id) > 200)
		return false;
	snprintf(out, n, "kwitness-watch-%s.service", o->id);
	return true;
}

/*
 * Runs argv[0] (found in the system directories) with stdin and stdout on /dev/null; its exit
 * status, or -1. The last line it wrote on stderr goes to err.
 */
static int run_quiet(char *const argv[], char *err, size_t n)
{
	char prog[256];
	int ep[2];

	if (n)
		err[0] = 0;
	if (!find_program(argv[0], prog, sizeof(prog))) {
		snprintf(err, n, "%s not found", argv[0]);
		return -1;
	}
	if (pipe2(ep, O_CLOEXEC))
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(ep[0]), close(ep[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0), dup2(null, 1), dup2(ep[1], 2);
		execv(prog, argv);
		dprintf(2, "cannot run %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	close(ep[1]);
	char buf[4096];
	size_t got = 0;
	for (;;) {
		ssize_t r = read(ep[0], buf + got, sizeof(buf) - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += r;
		if (got == sizeof(buf) - 1) { /* keep the tail */
			memmove(buf, buf + got / 2, got - got / 2);
			got -= got / 2;
		}
	}
	close(ep[0]);
	buf[got] = 0;
	while (got && (buf[got - 1] == '\n' || buf[got - 1] == ' '))
		buf[--got] = 0;
	const char *last = strrchr(buf, '\n');
	last = last ? last + 1 : buf;
	if (n) {
		size_t len = strlen(last) < n - 1 ? strlen(last) : n - 1;
		memcpy(err, last, len);
		err[len] = 0;
	}
	int ws;
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
}

/* This very binary as DIR/kwitness-agent (written beside, synced, renamed into place). */
static int copy_self(const char *dir)
{
	char tmp[4200], dst[4200], buf[65536];
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), out;
	ssize_t r;

	if (in < 0)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s/kwitness-agent.tmp", dir);
	snprintf(dst, sizeof(dst), "%s/kwitness-agent", dir);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((r = read(in, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < r;) {
			ssize_t w = write(out, buf + off, r - off);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				r = -1;
				goto done;
			}
			off += w;
		}
done:
	close(in);
	if (r < 0 || fsync(out) || close(out) || rename(tmp, dst)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* DIR/start.args: every argument of the supervisor's `watch start`, each ending in a NUL. */
static int write_start_args(const struct watch_opts *o, const char *unit)
{
	struct buf b = { 0 };
	char num[32];
#define ARG(s) buf_put(&b, (s), strlen(s) + 1)
#define NUM(flag, v)                                                    \
	do {                                                            \
		snprintf(num, sizeof(num), "%llu", (unsigned long long)(v)); \
		ARG(flag), ARG(num);                                    \
	} while (0)
	ARG("--foreground");
	ARG("--unit"), ARG(unit);
	if (o->persistent)
		ARG("--persistent");
	ARG("--dir"), ARG(o->dir);
	ARG("--id"), ARG(o->id);
	if (o->name)
		ARG("--name"), ARG(o->name);
	NUM("--max-mb", o->max_mb);
	NUM("--keep-free-mb", o->keep_free_mb);
	NUM("--memory-max-mb", o->memory_max_mb);
	NUM("--cpu-quota", o->cpu_quota_pct);
	if (o->on_hit)
		ARG("--on-hit"), ARG(o->on_hit);
	if (o->until_s)
		NUM("--until", o->until_s);
	if (o->max_events)
		NUM("--max-events", o->max_events);
	ARG("--");
	ARG(o->families);
	for (int i = 0; i < o->n_filters; i++)
		ARG(o->filters[i]);
#undef ARG
#undef NUM
	int rc = b.p ? write_file_atomic(o->dir, "start.args", b.p, b.len) : -1;
	free(b.p);
	return rc;
}

int watch_args_file(const char *path, int *argc, char ***argv)
{
	struct buf b = { 0 };

	if (read_small_file(path, &b) || !b.len || b.p[b.len - 1]) {
		free(b.p);
		return -1;
	}
	int n = 0;
	for (size_t i = 0; i < b.len; i++)
		n += !b.p[i];
	char **v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -1;
	int k = 0;
	for (size_t i = 0; i < b.len; i += strlen(b.p + i) + 1)
		v[k++] = b.p + i; /* b.p stays allocated for the life of the process */
	*argc = k;
	*argv = v;
	return 0;
}

static char notify_socket[sizeof(((struct sockaddr_un *)0)->sun_path)];

void systemd_notify_init(void)
{
	const char *e = getenv("NOTIFY_SOCKET");

	if (e && strlen(e) < sizeof(notify_socket))
		snprintf(notify_socket, sizeof(notify_socket), "%s", e);
	unsetenv("NOTIFY_SOCKET"); /* not for the worker or on-hit commands */
}

/* "READY=1" to the service manager ($NOTIFY_SOCKET, a path or an abstract '@name'). */
void systemd_notify(const char *state)
{
	const char *e = notify_socket;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	size_t n;

	if ((e[0] != '/' && e[0] != '@') || (n = strlen(e)) >= sizeof(a.sun_path))
		return;
	memcpy(a.sun_path, e, n);
	if (a.sun_path[0] == '@')
		a.sun_path[0] = 0;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&a,
	       offsetof(struct sockaddr_un, sun_path) + n);
	close(fd);
}

/* Removes a persistent unit's file and tells systemd; stops nothing. */
static void remove_unit_file(const char *unit)
{
	char path[512], err[256];

	char *dis[] = { "systemctl", "disable", "--quiet", (char *)unit, NULL };
	run_quiet(dis, err, sizeof(err));
	snprintf(path, sizeof(path), UNIT_DIR "/%s", unit);
	unlink(path);
	char *rel[] = { "systemctl", "daemon-reload", NULL };
	run_quiet(rel, err, sizeof(err));
}

static int write_unit_file(const struct watch_opts *o, const char *unit)
{
	struct buf b = { 0 };
	char path[512];

	buf_printf(&b,
		   "# Written by kwitness-agent: the watch %s (kwitness watch stop removes it)\n"
		   "[Unit]\n"
		   "Description=Kernel Witness watch %s\n"
		   "RequiresMountsFor=%s\n"
		   "StartLimitIntervalSec=600\n"
		   "StartLimitBurst=5\n"
		   "\n[Service]\n"
		   "Type=notify\n"
		   "NotifyAccess=main\n"
		   "ExecStart=%s/kwitness-agent watch start --args-file %s/start.args\n"
		   "Restart=on-failure\n"
		   "RestartSec=5\n"
		   "RestartPreventExitStatus=1 2\n"
		   "TimeoutStartSec=300\n"
		   "KillMode=mixed\n"
		   "MemoryMax=%lluM\n"
		   "CPUQuota=%llu%%\n"
		   "\n[Install]\n"
		   "WantedBy=multi-user.target\n",
		   o->id, o->id, o->dir, o->dir, o->dir, (unsigned long long)o->memory_max_mb,
		   (unsigned long long)o->cpu_quota_pct);
	snprintf(path, sizeof(path), UNIT_DIR "/%s", unit);
	int rc = b.p ? write_file_atomic(UNIT_DIR, unit, b.p, b.len) : -1;
	free(b.p);
	if (rc == 0)
		chmod(path, 0644);
	return rc;
}

/* The supervisor's answer to its start, written by notify_start() (see supervisor.c). */
static void read_start_result(const char *dir, char *msg, size_t n, int *code)
{
	char p[4200];
	struct buf b = { 0 };

	msg[0] = 0;
	*code = 1;
	snprintf(p, sizeof(p), "%s/start.result", dir);
	if (read_small_file(p, &b) || !b.len) {
		free(b.p);
		return;
	}
	b.p[strcspn(b.p, "\n")] = 0;
	if (b.p[0] == 'E') {
		char *sp = strchr(b.p, ' ');
		*code = atoi(b.p + 1) == WATCH_EXIT_USAGE ? WATCH_EXIT_USAGE : 1;
		snprintf(msg, n, "%s", sp ? sp + 1 : b.p);
	}
	free(b.p);
}

int systemd_watch_start(struct watch_opts *o, const char *unit)
{
	char err[512], mem[64], cpu[64], desc[300], exe[4300], args[4300], path[4300];

	if (copy_self(o->dir))
		return fprintf(stderr, "kwitness-agent: cannot copy the agent into %s: %s\n", o->dir, strerror(errno)), 1;
	if (write_start_args(o, unit))
		return fprintf(stderr, "kwitness-agent: cannot write to watch dir %s: %s\n", o->dir, strerror(errno)), 1;
	snprintf(path, sizeof(path), "%s/start.result", o->dir);
	unlink(path);
	snprintf(exe, sizeof(exe), "%s/kwitness-agent", o->dir);
	snprintf(args, sizeof(args), "%s/start.args", o->dir);
	int rc;
	if (o->persistent) {
		if (write_unit_file(o, unit))
			return fprintf(stderr, "kwitness-agent: cannot write " UNIT_DIR "/%s: %s\n", unit, strerror(errno)), 1;
		char *rel[] = { "systemctl", "daemon-reload", NULL };
		run_quiet(rel, err, sizeof(err));
		char *en[] = { "systemctl", "enable", "--now", "--quiet", (char *)unit, NULL };
		rc = run_quiet(en, err, sizeof(err));
	} else {
		snprintf(mem, sizeof(mem), "MemoryMax=%lluM", (unsigned long long)o->memory_max_mb);
		snprintf(cpu, sizeof(cpu), "CPUQuota=%llu%%", (unsigned long long)o->cpu_quota_pct);
		snprintf(desc, sizeof(desc), "--description=Kernel Witness watch %s", o->id);
		char unit_arg[300];
		snprintf(unit_arg, sizeof(unit_arg), "--unit=%s", unit);
		char *run[] = { "systemd-run", unit_arg, desc, "--collect", "--quiet",
				"-p", "Type=notify", "-p", "NotifyAccess=main", "-p", "Restart=on-failure",
				"-p", "RestartSec=5", "-p", "RestartPreventExitStatus=1 2", "-p", "TimeoutStartSec=300",
				"-p", "KillMode=mixed", "-p", mem, "-p", cpu,
				"--", exe, "watch", "start", "--args-file", args, NULL };
		rc = run_quiet(run, err, sizeof(err));
	}
	if (rc != 0) {
		char msg[600];
		int code;
		read_start_result(o->dir, msg, sizeof(msg), &code);
		if (o->persistent)
			remove_unit_file(unit);
		char *rf[] = { "systemctl", "reset-failed", (char *)unit, NULL };
		char ignored[64];
		run_quiet(rf, ignored, sizeof(ignored));
		if (msg[0])
			fprintf(stderr, "kwitness-agent: %s\n", msg);
		else
			fprintf(stderr, "kwitness-agent: systemd could not start %s: %s (see %s/agent.log)\n", unit,
				err[0] ? err : "no reason given", o->dir);
		return code;
	}
	pid_t rec = 0, pid = supervisor_alive(o->dir, &rec, NULL, 0);
	print_start_answer(o, pid ? pid : rec, unit);
	return 0;
}

void systemd_unit_retire(const char *unit)
{
	remove_unit_file(unit);
}

int systemd_watch_stop(const char *unit, bool persistent, char *note, size_t n)
{
	char err[512], ignored[64];

	char *stop[] = { "systemctl", "stop", (char *)unit, NULL };
	int rc = run_quiet(stop, err, sizeof(err));
	if (rc == 5) /* "not loaded": it ended already (and was collected, or retired itself) */
		rc = 0;
	if (rc != 0)
		snprintf(note, n, "systemctl stop %s: %s", unit, err[0] ? err : "failed");
	if (persistent)
		remove_unit_file(unit);
	char *rf[] = { "systemctl", "reset-failed", (char *)unit, NULL };
	run_quiet(rf, ignored, sizeof(ignored));
	return rc;
}
