// kw-loadgen: event generators for the benchmarks (bench/run.ts). Plain syscalls, no libc
// buffering on the hot path, so the generator itself costs as little as possible.
//
//   kw-loadgen churn DIR SECONDS      create+unlink DIR/c<i> as fast as possible for SECONDS;
//                                     prints "<ops> <elapsed_ns>" (ops = files created = unlinked)
//   kw-loadgen paced DIR RATE SECONDS one create+unlink every 1/RATE s for SECONDS (0 = until
//                                     stdin reaches EOF); prints "<ops> <elapsed_ns>"
//   kw-loadgen forkexec N PROG        fork + execve(PROG) N times, waiting for each;
//                                     prints "<n> <elapsed_ns> <cpu_ns>" (cpu: user+sys of this
//                                     process and its children, i.e. what the storm cost)
//   kw-loadgen clocks                 prints CLOCK_BOOTTIME - CLOCK_MONOTONIC in ns
// Exit status 0 on success, 1 when a syscall failed (the cause is printed), 2 on bad usage.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int usage(void)
{
	fputs("usage: kw-loadgen churn DIR SECONDS | paced DIR RATE SECONDS | forkexec N PROG | clocks\n", stderr);
	return 2;
}

static long num(const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < 0) {
		fprintf(stderr, "kw-loadgen: not a non-negative integer: %s\n", s);
		exit(2);
	}
	return v;
}

static int one_op(int dfd, long i)
{
	char name[32];
	snprintf(name, sizeof name, "c%ld", i);
	int fd = openat(dfd, name, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "kw-loadgen: create %s: %s\n", name, strerror(errno));
		return -1;
	}
	close(fd);
	if (unlinkat(dfd, name, 0) < 0) {
		fprintf(stderr, "kw-loadgen: unlink %s: %s\n", name, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	const char *cmd = argv[1];
	if (!strcmp(cmd, "clocks") && argc == 2) {
		long long m = now_ns(CLOCK_MONOTONIC), b = now_ns(CLOCK_BOOTTIME), m2 = now_ns(CLOCK_MONOTONIC);
		printf("%lld\n", b - (m + m2) / 2);
		return 0;
	}
	if (!strcmp(cmd, "churn") && argc == 4) {
		int dfd = open(argv[2], O_DIRECTORY | O_RDONLY | O_CLOEXEC);
		if (dfd < 0) {
			fprintf(stderr, "kw-loadgen: %s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		long long t0 = now_ns(CLOCK_MONOTONIC), end = t0 + num(argv[3]) * 1000000000LL, t = t0;
		long i = 0;
		while (t < end) {
			for (int k = 0; k < 256; k++, i++)
				if (one_op(dfd, i) < 0)
					return 1;
			t = now_ns(CLOCK_MONOTONIC);
		}
		printf("%ld %lld\n", i, t - t0);
		return 0;
	}
	if (!strcmp(cmd, "paced") && argc == 5) {
		int dfd = open(argv[2], O_DIRECTORY | O_RDONLY | O_CLOEXEC);
		if (dfd < 0) {
			fprintf(stderr, "kw-loadgen: %s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		long rate = num(argv[3]), secs = num(argv[4]);
		if (rate <= 0)
			return usage();
		long long period = 1000000000LL / rate, t0 = now_ns(CLOCK_MONOTONIC), next = t0;
		long i = 0;
		for (;;) {
			long long t = now_ns(CLOCK_MONOTONIC);
			if (secs && t - t0 >= secs * 1000000000LL)
				break;
			if (!secs) {
				struct pollfd p = { .fd = 0, .events = POLLIN };
				if (poll(&p, 1, 0) > 0) {
					char b[64];
					if (read(0, b, sizeof b) <= 0)
						break;
				}
			}
			if (one_op(dfd, i++) < 0)
				return 1;
			next += period;
			long long wait = next - now_ns(CLOCK_MONOTONIC);
			if (wait > 0) {
				struct timespec ts = { wait / 1000000000LL, wait % 1000000000LL };
				nanosleep(&ts, NULL);
			}
		}
		printf("%ld %lld\n", i, now_ns(CLOCK_MONOTONIC) - t0);
		return 0;
	}
	if (!strcmp(cmd, "forkexec") && argc == 4) {
		long n = num(argv[2]);
		char *const args[] = { argv[3], NULL };
		char *const env[] = { NULL };
		long long t0 = now_ns(CLOCK_MONOTONIC);
		for (long i = 0; i < n; i++) {
			pid_t p = fork();
			if (p < 0) {
				fprintf(stderr, "kw-loadgen: fork: %s\n", strerror(errno));
				return 1;
			}
			if (p == 0) {
				execve(argv[3], args, env);
				_exit(127);
			}
			int st;
			if (waitpid(p, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
				fprintf(stderr, "kw-loadgen: %s did not exit 0 (status %d)\n", argv[3], st);
				return 1;
			}
		}
		long long el = now_ns(CLOCK_MONOTONIC) - t0, cpu = 0;
		struct rusage ru;
		for (int who = 0; who < 2; who++) {
			getrusage(who ? RUSAGE_CHILDREN : RUSAGE_SELF, &ru);
			cpu += (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
			       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
		}
		printf("%ld %lld %lld\n", n, el, cpu);
		return 0;
	}
	return usage();
}
