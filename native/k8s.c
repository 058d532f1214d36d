// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * k8s.c: who a container is, and which pod, from what the node itself holds. No API server, no
 * CRI call: a node that answers "kubelet deleted it" must also answer "the disk of which pod".
 *
 *   runtime         the cgroup path's pattern: docker-<id>.scope or /docker/<id> (docker),
 *                   cri-containerd-<id>.scope (containerd), crio-<id>.scope (cri-o),
 *                   libpod-<id>.scope (podman)
 *   pod uid         the cgroup path: kubepods-…-pod<uid, '_' for '-'>.slice (systemd driver) or
 *                   /kubepods/…/pod<uid>/ (cgroupfs driver)
 *   pod, namespace  /var/log/pods/<namespace>_<pod>_<uid>/ (kubelet's log directory per pod)
 *   container name  /var/log/containers/<pod>_<namespace>_<container>-<id>.log (kubelet's links);
 *                   docker: "Name" in /var/lib/docker/containers/<id>/config.v2.json;
 *                   podman: "names" in /var/lib/containers/storage/overlay-containers/containers.json
 *   path_pod        a path under /var/lib/kubelet/pods/<uid>/ belongs to that pod
 *
 * Pods are remembered for the whole trace (a scan at start, again on a miss at most every
 * second): emptyDir teardown happens exactly when a pod goes away, and its log directory with it.
 * KW_NODE_ROOT (tests) puts /var/log and /var/lib under another directory.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "agent.h"
#include "k8s.h"

#define POD_MAX 4096
#define CTR_MAX 4096

struct pod {
	char uid[K8S_UID_LEN + 1];
	char ns[K8S_NAME_LEN + 1], name[K8S_NAME_LEN + 1];
};
static struct pod pods[POD_MAX];
static size_t n_pods;
static uint64_t pods_scanned_ns;

struct ctr {
	char id[65];
	char name[K8S_NAME_LEN + 1];
	char pod_ns[K8S_NAME_LEN + 1], pod_name[K8S_NAME_LEN + 1];
	uint64_t looked_ns; /* when the files were read (a miss is retried after a second) */
	bool found;
};
static struct ctr ctrs[CTR_MAX];
static size_t n_ctrs, next_ctr;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static const char *node_root(void)
{
	const char *r = getenv("KW_NODE_ROOT");
	return r ? r : "";
}

static void copy_n(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

/* /var/log/pods/<namespace>_<pod>_<uid>: kubelet's names (DNS labels have no '_') */
static void scan_pods(void)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/var/log/pods", node_root());
	DIR *d = opendir(dir);
	struct dirent *de;

	pods_scanned_ns = now_ns();
	if (!d)
		return;
	while ((de = readdir(d))) {
		const char *a = strchr(de->d_name, '_'), *b = a ? strrchr(de->d_name, '_') : NULL;
		if (!a || b == a || strlen(b + 1) > K8S_UID_LEN)
			continue;
		bool known = false;
		for (size_t i = 0; i < n_pods && !known; i++)
			known = !strcmp(pods[i].uid, b + 1);
		if (known || n_pods == POD_MAX)
			continue;
		struct pod *p = &pods[n_pods++];
		proc_generation++; /* json's cached process parts may name this pod now */
		copy_n(p->uid, sizeof(p->uid), b + 1, strlen(b + 1));
		copy_n(p->ns, sizeof(p->ns), de->d_name, a - de->d_name);
		copy_n(p->name, sizeof(p->name), a + 1, b - a - 1);
	}
	closedir(d);
}

static const struct pod *pod_by_uid(const char *uid)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n_pods; i++)
			if (!strcmp(pods[i].uid, uid))
				return &pods[i];
		if (pass || now_ns() - pods_scanned_ns < 1000000000ull)
			break;
		scan_pods(); /* a pod made since the last scan */
	}
	return NULL;
}

void k8s_init(void)
{
	scan_pods();
}

/* The pod uid a cgroup path names, '_' (systemd's escape) turned back into '-'. */
static bool pod_uid_of(const char *cg, char uid[K8S_UID_LEN + 1])
{
	const char *p = cg;

	while ((p = strstr(p, "pod"))) {
		bool at_start = p == cg || p[-1] == '/' || p[-1] == '-';
		const char *s = p + 3;
		size_t n = strspn(s, "0123456789abcdef-_");
		p = s;
		if (!at_start || n < 32 || n > K8S_UID_LEN || (s[n] && s[n] != '/' && s[n] != '.'))
			continue;
		for (size_t i = 0; i < n; i++)
			uid[i] = s[i] == '_' ? '-' : s[i];
		uid[n] = 0;
		return true;
	}
	return false;
}

const char *k8s_runtime(const char *cg)
{
	if (strstr(cg, "cri-containerd-"))
		return "containerd";
	if (strstr(cg, "crio-"))
		return "cri-o";
	if (strstr(cg, "libpod-") || strstr(cg, "libpod_parent"))
		return "podman";
	if (strstr(cg, "docker-") || strstr(cg, "/docker/"))
		return "docker";
	return "";
}

/* `"key":"value"` after `from` in a JSON text: value copied (no escapes in names we care about). */
static bool json_string_after(const char *text, const char *from, const char *key, char *out, size_t cap)
{
	const char *k = strstr(from ? from : text, key);
	if (!k)
		return false;
	const char *q = strchr(k + strlen(key), '"');
	if (!q)
		return false;
	const char *e = strchr(q + 1, '"');
	if (!e)
		return false;
	copy_n(out, cap, q + 1, e - q - 1);
	return true;
}

static char *slurp(const char *path, size_t max)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char *b = malloc(max + 1);
	size_t n = b ? fread(b, 1, max, f) : 0;
	fclose(f);
	if (b)
		b[n] = 0;
	return b;
}

static void lookup_ctr(struct ctr *c, const char *runtime)
{
	char path[4096];
	const char *root = node_root();

	/* Kubernetes: /var/log/containers/<pod>_<namespace>_<container>-<id>.log */
	snprintf(path, sizeof(path), "%s/var/log/containers", root);
	DIR *d = opendir(path);
	if (d) {
		struct dirent *de;
		char tail[80];
		snprintf(tail, sizeof(tail), "-%s.log", c->id);
		while ((de = readdir(d))) {
			size_t l = strlen(de->d_name), tl = strlen(tail);
			if (l <= tl || strcmp(de->d_name + l - tl, tail))
				continue;
			const char *a = strchr(de->d_name, '_');
			const char *b = a ? strchr(a + 1, '_') : NULL;
			if (!b || b >= de->d_name + l - tl)
				continue;
			copy_n(c->pod_name, sizeof(c->pod_name), de->d_name, a - de->d_name);
			copy_n(c->pod_ns, sizeof(c->pod_ns), a + 1, b - a - 1);
			copy_n(c->name, sizeof(c->name), b + 1, de->d_name + l - tl - b - 1);
			c->found = true;
			break;
		}
		closedir(d);
	}
	if (c->found)
		return;
	if (!strcmp(runtime, "docker")) {
		snprintf(path, sizeof(path), "%s/var/lib/docker/containers/%s/config.v2.json", root, c->id);
		char *j = slurp(path, 1 << 20);
		char name[K8S_NAME_LEN + 1];
		if (j && json_string_after(j, NULL, "\"Name\":", name, sizeof(name))) {
			copy_n(c->name, sizeof(c->name), name[0] == '/' ? name + 1 : name, strlen(name[0] == '/' ? name + 1 : name));
			c->found = true;
		}
		free(j);
	} else if (!strcmp(runtime, "podman")) {
		snprintf(path, sizeof(path), "%s/var/lib/containers/storage/overlay-containers/containers.json", root);
		char *j = slurp(path, 8 << 20);
		char key[80];
		snprintf(key, sizeof(key), "\"id\":\"%s\"", c->id);
		const char *at = j ? strstr(j, key) : NULL;
		if (at && json_string_after(j, at, "\"names\":[", c->name, sizeof(c->name)))
			c->found = true;
		free(j);
	}
}

void k8s_identify(const char *cg, const char *container_id, struct k8s_who *w)
{
	memset(w, 0, sizeof(*w));
	w->runtime = container_id ? k8s_runtime(cg) : "";
	char uid[K8S_UID_LEN + 1];
	if (pod_uid_of(cg, uid)) {
		const struct pod *p = pod_by_uid(uid);
		snprintf(w->pod_uid, sizeof(w->pod_uid), "%s", uid);
		if (p) {
			snprintf(w->pod_ns, sizeof(w->pod_ns), "%s", p->ns);
			snprintf(w->pod_name, sizeof(w->pod_name), "%s", p->name);
		}
	}
	if (!container_id)
		return;
	struct ctr *c = NULL;
	for (size_t i = 0; i < n_ctrs && !c; i++)
		if (!strcmp(ctrs[i].id, container_id))
			c = &ctrs[i];
	uint64_t now = now_ns();
	if (!c) {
		c = &ctrs[n_ctrs < CTR_MAX ? n_ctrs++ : (next_ctr++ % CTR_MAX)];
		memset(c, 0, sizeof(*c));
		snprintf(c->id, sizeof(c->id), "%s", container_id);
		lookup_ctr(c, w->runtime);
		c->looked_ns = now;
		if (c->found)
			proc_generation++;
	} else if (!c->found && now - c->looked_ns > 1000000000ull) {
		lookup_ctr(c, w->runtime); /* its log link may appear a moment after it started */
		c->looked_ns = now;
		if (c->found)
			proc_generation++;
	}
	if (c->found) {
		snprintf(w->container_name, sizeof(w->container_name), "%s", c->name);
		if (!w->pod_name[0] && c->pod_name[0]) {
			snprintf(w->pod_ns, sizeof(w->pod_ns), "%s", c->pod_ns);
			snprintf(w->pod_name, sizeof(w->pod_name), "%s", c->pod_name);
		}
	}
}

bool k8s_path_pod(const char *path, size_t n, struct k8s_pod *out)
{
	static const char pfx[] = "/var/lib/kubelet/pods/";
	size_t pl = sizeof(pfx) - 1;

	memset(out, 0, sizeof(*out));
	if (n <= pl || memcmp(path, pfx, pl))
		return false;
	const char *u = path + pl;
	size_t ul = 0;
	while (pl + ul < n && u[ul] != '/')
		ul++;
	if (ul < 32 || ul > K8S_UID_LEN)
		return false;
	copy_n(out->uid, sizeof(out->uid), u, ul);
	const struct pod *p = pod_by_uid(out->uid);
	if (p) {
		snprintf(out->ns, sizeof(out->ns), "%s", p->ns);
		snprintf(out->name, sizeof(out->name), "%s", p->name);
	}
	return true;
}
