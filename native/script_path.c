// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * script_path.c: the file a #! exec really ran. The kernel opens the script through every
 * symlink in its name (/usr/bin/npm -> ../lib/node_modules/npm/bin/npm-cli.js), but only the
 * name as passed reaches user space. Resolved here, inside the process's own root (its
 * container or chroot) while it lives, else in the agent's root for a process of the host's.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "agent.h"

/* readlink of an fd: the path it names, in the agent's view; false when none */
static bool fd_path(int fd, char *out, size_t outsz)
{
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, out, outsz - 1);
	if (n <= 0 || (size_t)n >= outsz - 1)
		return false;
	out[n] = 0;
	return true;
}

bool script_path(uint32_t pid, const char *abs, bool host_root, char *out, size_t outsz)
{
	char root_link[64], root[4096];
	int rootfd, fd = -1;

	if (abs[0] != '/')
		return false;
	snprintf(root_link, sizeof(root_link), "/proc/%u/root", pid);
	rootfd = open(root_link, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd >= 0) {
		/* symlinks resolve as the process sees them: an absolute target stays in its root */
		struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
		fd = (int)syscall(SYS_openat2, rootfd, abs, &how, sizeof(how));
		bool ok = fd >= 0 && fd_path(fd, out, outsz) && fd_path(rootfd, root, sizeof(root));
		if (fd >= 0)
			close(fd);
		close(rootfd);
		if (!ok)
			return false;
		/* the agent's view of it is under the process's root: name it as the process does */
		size_t rl = strcmp(root, "/") ? strlen(root) : 0;
		if (strncmp(out, root, rl) || (out[rl] != '/' && out[rl] != 0))
			return false;
		memmove(out, out + rl, strlen(out + rl) + 1);
		if (!out[0])
			strcpy(out, "/");
		return true;
	}
	/* the process is gone: only a process of the host's own root resolves the same here */
	if (!host_root)
		return false;
	fd = open(abs, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool ok = fd_path(fd, out, outsz);
	close(fd);
	return ok;
}
