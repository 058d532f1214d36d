// kw-trigger: the syscalls the agent's event suite needs that a shell cannot make (or cannot make
// exactly): unlinkat with a dirfd, fexecve, execveat, mknod, names given as raw bytes (hex), a
// process whose parent has exited, a burst of unlinks for the ring-buffer loss test.
//
// Static (cc -static) so the same file runs in the test VMs, which have only busybox + bash.
// Every subcommand prints what it did on stdout (one line, key=value) and exits 0 on success,
// 1 when the syscall failed (the errno is printed), 2 on bad usage.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void usage(void)
{
	fputs("usage: kw-trigger CMD ARGS...\n"
	      "  unlinkat-dirfd DIR NAME       unlinkat(open(DIR), NAME, 0) after chdir(\"/\")\n"
	      "  rmdirat-dirfd DIR NAME        unlinkat(open(DIR), NAME, AT_REMOVEDIR) after chdir(\"/\")\n"
	      "  unlink-hex HEX                unlink(path given as hex bytes)\n"
	      "  rmdir-hex HEX                 rmdir(path given as hex bytes)\n"
	      "  creat-hex HEX                 open(path, O_CREAT|O_WRONLY, 0644) then close\n"
	      "  creat PATH                    open(PATH, O_CREAT|O_WRONLY, 0644); prints created=0|1\n"
	      "  open FLAGS PATH               openat(AT_FDCWD, PATH, FLAGS, 0644), FLAGS a comma list of\n"
	      "                                rdonly wronly rdwr trunc creat append; prints open=ok|fail errno=N\n"
	      "  truncate PATH LEN             truncate(PATH, LEN)\n"
	      "  ftruncate PATH LEN            ftruncate(open(PATH, O_RDWR), LEN)\n"
	      "  mknod PATH                    mknod(PATH, S_IFIFO|0644)\n"
	      "  mknod-reg PATH                mknod(PATH, S_IFREG|0644)\n"
	      "  mkdir PATH | rmdir PATH | unlink PATH\n"
	      "  link OLD NEW | symlink TARGET NEW | rename OLD NEW\n"
	      "  stat PATH                     prints dev=MAJ:MIN ino=N nlink=N\n"
	      "  exec PATH [ARGV...]           execve(PATH, ARGV); on failure prints errno=N, exits 1\n"
	      "  fexecve PATH [ARGV...]        fexecve(open(PATH, O_RDONLY), ARGV)\n"
	      "  execveat-dirfd DIR NAME [ARGV...]  execveat(open(DIR), NAME, ARGV, 0) after chdir(\"/\")\n"
	      "  orphan PATH                   fork; parent prints child pid and exits; the child waits\n"
	      "                                until reparented, then unlinks PATH\n"
	      "  unlink-after GOFILE PATH...   prints pid, waits until GOFILE exists, unlinks each PATH\n"
	      "  mkfiles DIR N                 creates DIR/f0..f<N-1> (empty)\n"
	      "  unlink-many DIR N             unlinks DIR/f0..f<N-1> as fast as possible\n"
	      "  asuid UID CMD [ARGS...]       setgid(UID), setuid(UID), exec CMD\n"
	      "  creat-syscall PATH            the creat(2) syscall\n"
	      "  openat2 PATH                  openat2(AT_FDCWD, PATH, O_CREAT|O_WRONLY)\n"
	      "  thread-unlink PATH            unlink(PATH) from a second thread; prints pid= tid=\n"
	      "  ia32 unlink|rmdir|mkdir|creat PATH | ia32 rename OLD NEW\n"
	      "                                the 32-bit syscall (int $0x80, ia32 numbers) from this 64-bit\n"
	      "                                process, as a 32-bit program makes it; prints ia32=ok|fail errno=N\n"
	      "  rename-exchange A B           renameat2(A, B, RENAME_EXCHANGE)\n"
	      "  rename-noreplace A B          renameat2(A, B, RENAME_NOREPLACE)\n"
	      "  fifo-writers FIFO N           N threads open(FIFO, O_WRONLY) at once; once all N are blocked\n"
	      "                                in it, a reader opens; prints opened=N\n"
	      "  unlinkat-empty DIR            unlinkat(open(DIR), \"\", 0) (ENOENT)\n"
	      "  unlink-badptr                 unlink() of an unmapped address (EFAULT)\n"
	      "  thread-exec FILE              a second thread execs this program as reuse-tid: the exec\n"
	      "                                gives it the leader's id, its old id is free again\n"
	      "  reuse-tid TID FILE            a new thread gets id TID (ns_last_pid), opens FILE O_RDONLY;\n"
	      "                                prints reused=1 (or reused=0: another process took TID)\n"
	      "  cwd-renamed DIR NEWDIR        in one thread: chdir(DIR), unlink(\"a\"), rename(DIR, NEWDIR), unlink(\"b\")\n"
	      "  race-unlink DIR N             makes DIR/v<i> and DIR/w<i>, then unlinks one name per i from a\n"
	      "                                buffer a second thread keeps flipping between v and w; prints\n"
	      "                                removed=NAME,... (the file that went, found afterwards)\n",
	      stderr);
	exit(2);
}

static char *unhex(const char *hex)
{
	size_t n = strlen(hex);
	if (n % 2)
		usage();
	char *out = calloc(n / 2 + 1, 1);
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			usage();
		out[i] = (char)v;
	}
	return out;
}

static void *unlink_thread(void *arg)
{
	printf("tid=%ld\n", (long)syscall(SYS_gettid));
	return (void *)(long)unlink((const char *)arg);
}

static int report(const char *what, long rc);
static void usage(void);

static void exec_failed_thread(void)
{
	printf("exec=fail errno=%d\n", errno);
	fflush(stdout);
	_exit(1);
}

/* Blocks in open(FIFO, O_WRONLY) until a reader comes. */
static void *fifo_writer(void *arg)
{
	int fd = open((const char *)arg, O_WRONLY | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	return (void *)(long)(fd >= 0);
}

/* Whether thread `tid` of this process sleeps in system call `nr` (/proc/.../syscall names it
 * only while the thread is blocked). */
static int blocked_in(pid_t tid, long nr)
{
	char p[64], line[256];
	snprintf(p, sizeof p, "/proc/self/task/%d/syscall", (int)tid);
	FILE *f = fopen(p, "r");
	if (!f)
		return 0;
	int ok = fgets(line, sizeof line, f) && strtol(line, NULL, 10) == nr && line[0] != 'r';
	fclose(f);
	return ok;
}

static int fifo_writers(const char *fifo, int n)
{
	pthread_t t[64];
	if (n < 1 || n > 64)
		usage();
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, fifo_writer, (void *)fifo) != 0)
			return report("pthread", -1);
	/* every writer must be inside open() (its entry seen by the tracer) before the reader comes:
	 * a condition, polled, never a guess of how long thread start-up takes */
	for (int waited = 0;; waited++) {
		int blocked = 0;
		DIR *d = opendir("/proc/self/task");
		for (struct dirent *e; d && (e = readdir(d));) {
			pid_t tid = atoi(e->d_name);
			blocked += tid > 0 && tid != getpid() && blocked_in(tid, SYS_openat);
		}
		if (d)
			closedir(d);
		if (blocked == n)
			break;
		if (waited > 60000)
			return report("wait-blocked", -1);
		usleep(1000);
	}
	int r = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (r < 0)
		return report("open-reader", -1);
	int opened = 0;
	for (int i = 0; i < n; i++) {
		void *rc;
		pthread_join(t[i], &rc);
		opened += rc != NULL;
	}
	close(r);
	printf("opened=%d\n", opened);
	return opened != n;
}

static const char *self_exe;

/* A non-leader thread: prints its id, then execs `reuse-tid ID FILE` (argv in arg). */
static void *exec_thread(void *arg)
{
	char **av = arg;
	char tid[32];
	snprintf(tid, sizeof tid, "%ld", (long)syscall(SYS_gettid));
	printf("old_tid=%s\n", tid);
	fflush(stdout);
	char *nav[] = { av[0], "reuse-tid", tid, av[2], NULL };
	execve(self_exe, nav, environ);
	exec_failed_thread();
	return NULL;
}

struct reuse {
	pid_t want;
	const char *file;
	int got;
};

/* The new thread: when it got the wanted id, a call whose entry the tracer does not stash and
 * whose exit it watches (a read-only open) meets whatever entry was left under that id. */
static void *reuse_thread(void *arg)
{
	struct reuse *u = arg;
	u->got = (pid_t)syscall(SYS_gettid) == u->want;
	if (u->got) {
		int fd = open(u->file, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

static int reuse_tid(pid_t want, const char *file)
{
	struct reuse u = { want, file, 0 };
	/* pids are handed out in order after ns_last_pid; another process forking in between takes
	 * the id, so try again while it is still free */
	for (int i = 0; i < 100 && !u.got; i++) {
		char p[64];
		snprintf(p, sizeof p, "/proc/%d", (int)want);
		if (access(p, F_OK) == 0)
			break; /* someone else has it now */
		FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");
		if (!f)
			return report("ns_last_pid", -1);
		fprintf(f, "%d", (int)want - 1);
		if (fclose(f) != 0)
			return report("ns_last_pid", -1);
		pthread_t t;
		if (pthread_create(&t, NULL, reuse_thread, &u) != 0 || pthread_join(t, NULL) != 0)
			return report("pthread", -1);
	}
	printf("pid=%d reused=%d\n", getpid(), u.got);
	return 0;
}

static int report(const char *what, long rc)
{
	if (rc < 0) {
		int e = errno;
		printf("%s=fail errno=%d\n", what, e);
		return 1;
	}
	printf("%s=ok\n", what);
	return 0;
}

static int open_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		printf("open=fail errno=%d\n", errno);
		exit(1);
	}
	if (chdir("/") < 0)
		exit(1);
	return fd;
}

static void exec_failed(void)
{
	printf("exec=fail errno=%d\n", errno);
	fflush(stdout);
	exit(1);
}

/*
 * The attack on a tracer that reads the caller's name after the call: the kernel copies the
 * name once, a second thread rewrites it meanwhile. Both spellings name real files, so every
 * unlink succeeds and exactly one of each pair goes: what went is found afterwards, not guessed.
 */
static char race_buf[4096];
static volatile size_t race_pos;
static volatile int race_stop;

static void *race_flipper(void *arg)
{
	volatile char *b = race_buf;

	(void)arg;
	while (!race_stop) {
		b[race_pos] = 'w';
		b[race_pos] = 'v';
	}
	return NULL;
}

static int race_unlink(const char *dir, int n)
{
	char path[4096];
	pthread_t t;

	if (n < 1 || n > 99999)
		usage();
	for (int i = 0; i < n; i++)
		for (const char *c = "vw"; *c; c++) {
			snprintf(path, sizeof(path), "%s/%c%05d", dir, *c, i);
			int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
			if (fd < 0)
				return report("open", fd);
			close(fd);
		}
	snprintf(race_buf, sizeof(race_buf), "%s/v%05d", dir, 0);
	race_pos = strlen(dir) + 1;
	if (pthread_create(&t, NULL, race_flipper, NULL) != 0)
		return report("pthread", -1);
	for (int i = 0; i < n; i++) {
		/* only the digits change here; the letter is the other thread's */
		char digits[16];
		snprintf(digits, sizeof(digits), "%05d", i);
		memcpy(race_buf + race_pos + 1, digits, 5);
		if (unlink(race_buf) != 0) {
			race_stop = 1;
			return report("unlink", -1);
		}
	}
	race_stop = 1;
	pthread_join(t, NULL);
	fputs("removed=", stdout);
	for (int i = 0; i < n; i++) {
		struct stat st;
		snprintf(path, sizeof(path), "%s/v%05d", dir, i);
		int v_left = stat(path, &st) == 0;
		printf("%s%c%05d", i ? "," : "", v_left ? 'w' : 'v', i);
	}
	putchar('\n');
	return 0;
}

#if defined(__x86_64__)
/*
 * A 32-bit (ia32) syscall: int $0x80 takes the i386 syscall numbers and 32-bit pointers, from a
 * 32-bit program or, as here, from 64-bit code (the kernel runs it as a compat syscall either way,
 * and the syscalls:* tracepoints do not see it). The names live in .bss, which this static,
 * non-PIE program has below 4 GiB.
 */
static char ia32_a[4096], ia32_b[4096];

static long ia32_call(long nr, long b, long c, long d)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(b), "c"(c), "d"(d) : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

static int ia32(int argc, char **argv)
{
	/* i386 syscall numbers (arch/x86/entry/syscalls/syscall_32.tbl) */
	enum { NR_CREAT = 8, NR_UNLINK = 10, NR_RENAME = 38, NR_MKDIR = 39, NR_RMDIR = 40 };
	const char *op = argv[2];
	long ret;

	if ((unsigned long)ia32_b + sizeof(ia32_b) > 0xffffffffUL || strlen(argv[3]) >= sizeof(ia32_a) ||
	    (argc == 5 && strlen(argv[4]) >= sizeof(ia32_b))) {
		fputs("kw-trigger: ia32: names do not fit below 4 GiB\n", stderr);
		return 2;
	}
	strcpy(ia32_a, argv[3]);
	if (argc == 5)
		strcpy(ia32_b, argv[4]);
	long a = (long)(unsigned long)ia32_a, b = (long)(unsigned long)ia32_b;
	if (!strcmp(op, "unlink") && argc == 4)
		ret = ia32_call(NR_UNLINK, a, 0, 0);
	else if (!strcmp(op, "rmdir") && argc == 4)
		ret = ia32_call(NR_RMDIR, a, 0, 0);
	else if (!strcmp(op, "mkdir") && argc == 4)
		ret = ia32_call(NR_MKDIR, a, 0755, 0);
	else if (!strcmp(op, "creat") && argc == 4)
		ret = ia32_call(NR_CREAT, a, 0644, 0);
	else if (!strcmp(op, "rename") && argc == 5)
		ret = ia32_call(NR_RENAME, a, b, 0);
	else
		usage();
	if (ret < 0) {
		printf("ia32=fail errno=%ld\n", -ret);
		return 1;
	}
	if (!strcmp(op, "creat"))
		close((int)ret);
	printf("ia32=ok\n");
	return 0;
}
#endif

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	const char *cmd = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (!strcmp(cmd, "unlinkat-dirfd") && argc == 4) {
		int fd = open_dir(argv[2]);
		return report("unlinkat", unlinkat(fd, argv[3], 0));
	}
	if (!strcmp(cmd, "rmdirat-dirfd") && argc == 4) {
		int fd = open_dir(argv[2]);
		return report("unlinkat", unlinkat(fd, argv[3], AT_REMOVEDIR));
	}
	if (!strcmp(cmd, "unlink-hex") && argc == 3)
		return report("unlink", unlink(unhex(argv[2])));
	if (!strcmp(cmd, "rmdir-hex") && argc == 3)
		return report("rmdir", rmdir(unhex(argv[2])));
	if (!strcmp(cmd, "creat-hex") && argc == 3) {
		int fd = open(unhex(argv[2]), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
		return report("creat", fd);
	}
	if (!strcmp(cmd, "open") && argc == 4) {
		static const struct {
			const char *name;
			int flag;
		} names[] = { { "rdonly", O_RDONLY }, { "wronly", O_WRONLY }, { "rdwr", O_RDWR },
			      { "trunc", O_TRUNC },   { "creat", O_CREAT },   { "append", O_APPEND } };
		int flags = O_CLOEXEC;
		for (char *save, *t = strtok_r(argv[2], ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			size_t i = 0;
			while (i < sizeof(names) / sizeof(names[0]) && strcmp(t, names[i].name))
				i++;
			if (i == sizeof(names) / sizeof(names[0]))
				usage();
			flags |= names[i].flag;
		}
		int fd = openat(AT_FDCWD, argv[3], flags, 0644);
		if (fd >= 0)
			close(fd);
		return report("open", fd);
	}
	if (!strcmp(cmd, "truncate") && argc == 4)
		return report("truncate", truncate(argv[2], strtoll(argv[3], NULL, 10)));
	if (!strcmp(cmd, "ftruncate") && argc == 4) {
		int fd = open(argv[2], O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return report("open", fd);
		int rc = ftruncate(fd, strtoll(argv[3], NULL, 10));
		close(fd);
		return report("ftruncate", rc);
	}
	if (!strcmp(cmd, "creat") && argc == 3) {
		struct stat st;
		int existed = stat(argv[2], &st) == 0;
		int fd = open(argv[2], O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			return report("creat", fd);
		close(fd);
		printf("creat=ok created=%d\n", !existed);
		return 0;
	}
	if (!strcmp(cmd, "mknod") && argc == 3)
		return report("mknod", mknod(argv[2], S_IFIFO | 0644, 0));
	if (!strcmp(cmd, "mknod-reg") && argc == 3)
		return report("mknod", mknod(argv[2], S_IFREG | 0644, 0));
	if (!strcmp(cmd, "mkdir") && argc == 3)
		return report("mkdir", mkdir(argv[2], 0755));
	if (!strcmp(cmd, "rmdir") && argc == 3)
		return report("rmdir", rmdir(argv[2]));
	if (!strcmp(cmd, "unlink") && argc == 3)
		return report("unlink", unlink(argv[2]));
	if (!strcmp(cmd, "link") && argc == 4)
		return report("link", link(argv[2], argv[3]));
	if (!strcmp(cmd, "symlink") && argc == 4)
		return report("symlink", symlink(argv[2], argv[3]));
	if (!strcmp(cmd, "rename") && argc == 4)
		return report("rename", rename(argv[2], argv[3]));
	if (!strcmp(cmd, "stat") && argc == 3) {
		struct stat st;
		if (lstat(argv[2], &st) < 0)
			return report("stat", -1);
		printf("dev=%u:%u ino=%llu nlink=%lu\n", major(st.st_dev), minor(st.st_dev),
		       (unsigned long long)st.st_ino, (unsigned long)st.st_nlink);
		return 0;
	}
	if (!strcmp(cmd, "exec") && argc >= 3) {
		execve(argv[2], argv + 3 < argv + argc ? argv + 3 : (char *[]){argv[2], NULL}, environ);
		exec_failed();
	}
	if (!strcmp(cmd, "fexecve") && argc >= 3) {
		int fd = open(argv[2], O_RDONLY);
		if (fd < 0)
			exec_failed();
		fexecve(fd, argc > 3 ? argv + 3 : (char *[]){argv[2], NULL}, environ);
		exec_failed();
	}
	if (!strcmp(cmd, "execveat-dirfd") && argc >= 4) {
		int fd = open_dir(argv[2]);
		syscall(SYS_execveat, fd, argv[3], argc > 4 ? argv + 4 : (char *[]){argv[3], NULL}, environ, 0);
		exec_failed();
	}
	if (!strcmp(cmd, "orphan") && argc == 3) {
		pid_t parent = getpid();
		pid_t child = fork();
		if (child < 0)
			return report("fork", -1);
		if (child > 0) {
			printf("parent=%d child=%d\n", parent, child);
			return 0;
		}
		// The child: wait (up to 10 s) until the parent is gone, then act.
		for (int i = 0; i < 1000 && getppid() == parent; i++)
			usleep(10000);
		if (getppid() == parent)
			return 1;
		usleep(20000);
		return unlink(argv[2]) < 0;
	}
	if (!strcmp(cmd, "unlink-after") && argc >= 4) {
		printf("pid=%d\n", getpid());
		fflush(stdout);
		struct stat st;
		for (int i = 0; i < 3000 && stat(argv[2], &st) < 0; i++)
			usleep(10000);
		int rc = 0;
		for (int i = 3; i < argc; i++)
			rc |= unlink(argv[i]) < 0;
		return rc;
	}
	if ((!strcmp(cmd, "mkfiles") || !strcmp(cmd, "unlink-many")) && argc == 4) {
		int n = atoi(argv[3]);
		int dfd = open(argv[2], O_RDONLY | O_DIRECTORY);
		if (dfd < 0 || n <= 0)
			return report(cmd, -1);
		char name[32];
		int fails = 0;
		for (int i = 0; i < n; i++) {
			snprintf(name, sizeof name, "f%d", i);
			if (cmd[0] == 'm') {
				int fd = openat(dfd, name, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
				if (fd < 0)
					fails++;
				else
					close(fd);
			} else if (unlinkat(dfd, name, 0) < 0) {
				fails++;
			}
		}
		printf("%s=%d failed=%d\n", cmd, n - fails, fails);
		return fails != 0;
	}
	if (!strcmp(cmd, "creat-syscall") && argc == 3) {
		long fd = syscall(SYS_creat, argv[2], 0644);
		if (fd >= 0)
			close((int)fd);
		return report("creat", fd);
	}
	if (!strcmp(cmd, "openat2") && argc == 3) {
		struct open_how how = { .flags = O_CREAT | O_WRONLY | O_CLOEXEC, .mode = 0644 };
		long fd = syscall(SYS_openat2, AT_FDCWD, argv[2], &how, sizeof how);
		if (fd >= 0)
			close((int)fd);
		return report("openat2", fd);
	}
	if (!strcmp(cmd, "thread-unlink") && argc == 3) {
		pthread_t t;
		void *rc;
		printf("pid=%d\n", getpid());
		if (pthread_create(&t, NULL, unlink_thread, argv[2]) != 0 || pthread_join(t, &rc) != 0)
			return report("pthread", -1);
		return rc != NULL;
	}
#if defined(__x86_64__)
	if (!strcmp(cmd, "ia32") && (argc == 4 || argc == 5))
		return ia32(argc, argv);
#endif
	if (!strcmp(cmd, "rename-exchange") && argc == 4)
		return report("rename", syscall(SYS_renameat2, AT_FDCWD, argv[2], AT_FDCWD, argv[3], RENAME_EXCHANGE));
	if (!strcmp(cmd, "rename-noreplace") && argc == 4)
		return report("rename", syscall(SYS_renameat2, AT_FDCWD, argv[2], AT_FDCWD, argv[3], RENAME_NOREPLACE));
	if (!strcmp(cmd, "fifo-writers") && argc == 4)
		return fifo_writers(argv[2], atoi(argv[3]));
	if (!strcmp(cmd, "unlinkat-empty") && argc == 3) {
		int fd = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return report("open", fd);
		return report("unlinkat", unlinkat(fd, "", 0));
	}
	if (!strcmp(cmd, "cwd-renamed") && argc == 4) {
		if (chdir(argv[2]) != 0)
			return report("chdir", -1);
		if (unlink("a") != 0)
			return report("unlink", -1);
		if (rename(argv[2], argv[3]) != 0)
			return report("rename", -1);
		return report("unlink", unlink("b"));
	}
	if (!strcmp(cmd, "race-unlink") && argc == 4)
		return race_unlink(argv[2], atoi(argv[3]));
	if (!strcmp(cmd, "unlink-badptr") && argc == 2)
		return report("unlink", syscall(SYS_unlink, (const char *)8));
	if (!strcmp(cmd, "thread-exec") && argc == 3) {
		pthread_t t;
		self_exe = "/proc/self/exe";
		printf("pid=%d\n", getpid());
		if (pthread_create(&t, NULL, exec_thread, argv) != 0)
			return report("pthread", -1);
		pthread_join(t, NULL); /* the exec ends this thread (de_thread) */
		return 1;
	}
	if (!strcmp(cmd, "reuse-tid") && argc == 4)
		return reuse_tid((pid_t)atoi(argv[2]), argv[3]);
	if (!strcmp(cmd, "asuid") && argc >= 4) {
		uid_t uid = (uid_t)strtoul(argv[2], NULL, 10);
		if (setgroups(0, NULL) < 0 || setgid(uid) < 0 || setuid(uid) < 0)
			return report("setuid", -1);
		execvp(argv[3], argv + 3);
		exec_failed();
	}
	usage();
	return 2;
}
