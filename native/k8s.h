/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* k8s.h: container runtime and name, Kubernetes pod of a process or of a path (k8s.c). */
#ifndef KW_K8S_H
#define KW_K8S_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define K8S_NAME_LEN 253 /* a DNS subdomain */
#define K8S_UID_LEN 36

struct k8s_pod {
	char uid[K8S_UID_LEN + 1];
	char ns[K8S_NAME_LEN + 1], name[K8S_NAME_LEN + 1]; /* "" when the node no longer knows */
};

/* What a process's cgroup says: each field "" when unknown. */
struct k8s_who {
	const char *runtime;                 /* docker, containerd, cri-o, podman */
	char container_name[K8S_NAME_LEN + 1];
	char pod_ns[K8S_NAME_LEN + 1], pod_name[K8S_NAME_LEN + 1];
	char pod_uid[K8S_UID_LEN + 1];
};

void k8s_init(void);                  /* the pods the node knows now */
const char *k8s_runtime(const char *cgroup_path);
/* container_id: from container_id() (proc.c), or NULL when the process is in none */
void k8s_identify(const char *cgroup_path, const char *container_id, struct k8s_who *w);
/* A path under /var/lib/kubelet/pods/<uid>/: true and the pod (names "" if unknown). */
bool k8s_path_pod(const char *path, size_t n, struct k8s_pod *out);

#endif
