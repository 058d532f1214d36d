// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hostpath.c: names a file that a process in another mount namespace touched (a container, a
 * systemd service's private /tmp, an `unshare -m` with a bind mount) where the host sees it.
 *
 * The kernel sends such a walk with the file's file system (s_dev) and its path from that file
 * system's root (kw_raw.fs_*). The host's mounts (the agent's /proc/self/mountinfo) say where
 * that file system, or a directory of it, is mounted: the host's name is that mount point plus
 * the rest of the path. A container's overlay root is mounted on the host (docker's
 * .../merged, containerd's .../rootfs) and its volumes are directories of the host's own file
 * systems, so nearly every file has a host name; a file system only the container mounts (its
 * own tmpfs) has none, and then the caller keeps the process's view and says so.
 *
 * The table is read once and again only when the host's mounts changed since (mountinfo polls
 * POLLPRI on a change), so a lookup that misses costs one poll(2), not a reread.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "agent.h"

struct hmount {
	uint32_t id, major, minor;
	char *root, *point; /* unescaped, NUL-terminated */
	size_t root_n, point_n;
	bool overlay;
	char *upper;        /* overlay: upperdir, unescaped (NULL: none, a read-only overlay) */
	char *lowers;       /* overlay: lowerdir as mounted ("a:b", '\:' for a colon in a name) */
};

static struct hmount *mounts;
static size_t n_mounts;
static int mi_fd = -2; /* -2: not opened yet; -1: cannot */
static const char *mi_path = "/proc/self/mountinfo";

/* mountinfo escapes space, tab, newline and backslash as \ooo: undo it in place. */
static size_t unescape(char *s)
{
	size_t i = 0, o = 0;

	while (s[i]) {
		if (s[i] == '\\' && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' &&
		    s[i + 3] >= '0' && s[i + 3] <= '7') {
			s[o++] = (char)((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 | (s[i + 3] - '0'));
			i += 4;
		} else {
			s[o++] = s[i++];
		}
	}
	s[o] = 0;
	return o;
}

static void forget(void)
{
	for (size_t i = 0; i < n_mounts; i++) {
		free(mounts[i].root);
		free(mounts[i].point);
		free(mounts[i].upper);
		free(mounts[i].lowers);
	}
	free(mounts);
	mounts = NULL;
	n_mounts = 0;
}

/* A super option's value ("upperdir=" in "rw,lowerdir=/l,upperdir=/u"), unescaped; NULL: absent. */
static char *option(const char *opts, const char *key)
{
	size_t kn = strlen(key);

	for (const char *o = opts; o && *o; o = strchr(o, ',') ? strchr(o, ',') + 1 : NULL) {
		if (strncmp(o, key, kn))
			continue;
		const char *v = o + kn, *end = strchr(v, ',');
		size_t n = end ? (size_t)(end - v) : strlen(v);
		char *s = strndup(v, n);
		if (s)
			unescape(s);
		return s;
	}
	return NULL;
}

/* One line: "ID PARENT MAJ:MIN ROOT POINT OPTS ... - TYPE SOURCE SUPEROPTS". */
static void add_line(char *line, size_t *cap)
{
	unsigned id, parent, major, minor;
	int used = 0;

	if (sscanf(line, "%u %u %u:%u %n", &id, &parent, &major, &minor, &used) != 4 || !used)
		return;
	char *root = line + used, *sp = strchr(root, ' ');
	if (!sp)
		return;
	*sp = 0;
	char *point = sp + 1;
	sp = strchr(point, ' ');
	if (sp)
		*sp = 0;
	/* after the optional fields: " - TYPE SOURCE SUPEROPTS" */
	char *dash = sp ? strstr(sp + 1, " - ") : NULL;
	char *type = dash ? dash + 3 : NULL, *src = type ? strchr(type, ' ') : NULL;
	char *opts = src ? strchr(src + 1, ' ') : NULL;
	if (src)
		*src = 0;
	if (n_mounts == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct hmount *m = realloc(mounts, nc * sizeof(*m));
		if (!m)
			return;
		mounts = m;
		*cap = nc;
	}
	struct hmount *m = &mounts[n_mounts];
	m->id = id;
	m->major = major;
	m->minor = minor;
	m->root = strdup(root);
	m->point = strdup(point);
	if (!m->root || !m->point) {
		free(m->root);
		free(m->point);
		return;
	}
	m->root_n = unescape(m->root);
	m->point_n = unescape(m->point);
	m->overlay = type && !strcmp(type, "overlay");
	m->upper = m->lowers = NULL;
	if (m->overlay && opts) {
		m->upper = option(opts + 1, "upperdir=");
		m->lowers = option(opts + 1, "lowerdir=");
	}
	n_mounts++;
}

static void load(void)
{
	struct buf b = { 0 };
	char chunk[8192];
	size_t cap = 0;
	ssize_t n;

	forget();
	if (mi_fd < 0 || lseek(mi_fd, 0, SEEK_SET) < 0)
		return;
	while ((n = read(mi_fd, chunk, sizeof(chunk))) > 0)
		buf_put(&b, chunk, (size_t)n);
	for (char *line = b.p, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		add_line(line, &cap);
	}
	free(b.p);
}

/* The host's mounts changed since the last read (or were never read). */
static bool changed(void)
{
	if (mi_fd == -2) {
		mi_fd = open(mi_path, O_RDONLY | O_CLOEXEC);
		return true;
	}
	if (mi_fd < 0)
		return false;
	struct pollfd p = { .fd = mi_fd, .events = POLLPRI };
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLPRI | POLLERR));
}

/*
 * The best host mount of (major, minor) that holds `fsp`: the one mounting the highest
 * directory (the file system's own root over a bind mount of a directory of it), then the
 * shortest mount point, then the oldest mount.
 */
static const struct hmount *best(uint32_t major, uint32_t minor, const char *fsp, size_t n)
{
	const struct hmount *b = NULL;

	for (size_t i = 0; i < n_mounts; i++) {
		const struct hmount *m = &mounts[i];
		size_t rn = m->root_n == 1 && m->root[0] == '/' ? 0 : m->root_n;

		if (m->major != major || m->minor != minor)
			continue;
		if (rn && (n < rn || memcmp(fsp, m->root, rn) || (n > rn && fsp[rn] != '/')))
			continue;
		if (b) {
			size_t brn = b->root_n == 1 && b->root[0] == '/' ? 0 : b->root_n;
			if (rn > brn || (rn == brn && (m->point_n > b->point_n ||
						       (m->point_n == b->point_n && m->id > b->id))))
				continue;
		}
		b = m;
	}
	return b;
}

bool hostpath_map(uint32_t kdev, const char *fsp, size_t n, struct buf *out)
{
	uint32_t major = kdev >> 20, minor = kdev & 0xfffff;
	const struct hmount *m;

	if (!n || fsp[0] != '/')
		return false;
	m = best(major, minor, fsp, n);
	if (!m && changed()) {
		load();
		m = best(major, minor, fsp, n);
	}
	if (!m)
		return false;
	size_t rn = m->root_n == 1 && m->root[0] == '/' ? 0 : m->root_n;
	size_t start = out->len;
	bool at_root = m->point_n == 1 && m->point[0] == '/';
	const char *rest = fsp + rn;
	size_t rest_n = n - rn;
	if (!at_root) {
		buf_put(out, m->point, m->point_n);
		if (rest_n == 1)
			rest_n = 0; /* the mounted directory itself: no trailing '/' */
	}
	buf_put(out, rest, rest_n);
	if (out->len == start)
		buf_put(out, "/", 1);
	return true;
}

/*
 * The mount a host path is on: the longest mount point that is the path or one of its parents
 * (the later mount of two on one point, which hides the earlier).
 */
static const struct hmount *mount_of(const char *p, size_t n)
{
	const struct hmount *b = NULL;

	for (size_t i = 0; i < n_mounts; i++) {
		const struct hmount *m = &mounts[i];
		bool root = m->point_n == 1 && m->point[0] == '/';
		if (!root && (n < m->point_n || memcmp(p, m->point, m->point_n) || (n > m->point_n && p[m->point_n] != '/')))
			continue;
		size_t len = root ? 0 : m->point_n;
		size_t blen = b ? (b->point_n == 1 && b->point[0] == '/' ? 0 : b->point_n) : 0;
		if (!b || len > blen || (len == blen && m->id > b->id))
			b = m;
	}
	return b;
}

bool hostpath_overlay(const char *p, size_t n, bool removed, struct buf *out, bool *lower)
{
	const struct hmount *m = mount_of(p, n);
	struct buf rel = { 0 };
	bool ok = false;

	if (!m || !m->overlay || (m->root_n != 1 || m->root[0] != '/'))
		return false;
	size_t off = m->point_n == 1 && m->point[0] == '/' ? 0 : m->point_n;
	buf_put(&rel, p + off, n - off);
	if (!rel.len)
		buf_put(&rel, "/", 1);
	*lower = false;
	if (removed && m->lowers) {
		/* the layers top first; a name with ':' in it is written '\:' */
		const char *s = m->lowers;
		while (*s && !ok) {
			struct buf dir = { 0 };
			for (; *s && *s != ':'; s++) {
				if (*s == '\\' && s[1])
					s++;
				buf_put(&dir, s, 1);
			}
			if (*s == ':')
				s++;
			buf_put(&dir, rel.p, rel.len);
			struct stat st;
			if (dir.len && lstat(dir.p, &st) == 0) {
				buf_put(out, dir.p, dir.len);
				*lower = ok = true;
			}
			free(dir.p);
		}
	}
	if (!ok && m->upper) {
		buf_puts(out, m->upper);
		buf_put(out, rel.p, rel.len);
		ok = true;
	}
	free(rel.p);
	return ok;
}

void hostpath_use_mountinfo(const char *path)
{
	mi_path = path;
	if (mi_fd >= 0)
		close(mi_fd);
	mi_fd = -2;
	forget();
}
