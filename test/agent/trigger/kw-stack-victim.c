/*
 * kw-stack-victim: deletes a file through a known chain of calls, for the --stacks cases
 * (test/agent/stack-cases.ts): main -> cleanup_volume -> delete_it -> unlink. Built static, with
 * frame pointers and without inlining, so the user stack the kernel walks is that chain.
 * usage: kw-stack-victim FILE [LINGER_MS]   (LINGER_MS: stay alive that long after the unlink)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline)) int delete_it(const char *path)
{
	int r = unlink(path);
	__asm__ volatile("" ::: "memory"); /* keep the call a call, not a tail jump */
	return r;
}

__attribute__((noinline)) int cleanup_volume(const char *path)
{
	int r = delete_it(path);
	__asm__ volatile("" ::: "memory");
	return r;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: kw-stack-victim FILE [LINGER_MS]\n");
		return 2;
	}
	if (cleanup_volume(argv[1])) {
		perror("unlink");
		return 1;
	}
	if (argc > 2) {
		long ms = atol(argv[2]);
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	return 0;
}
