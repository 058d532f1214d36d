// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kwitness.bpf.c: the kernel half of the agent. Tracepoint mode (works on every BTF kernel
 * >= 5.8): syscall enter/exit pairs stash arguments per thread and emit on return, so failed
 * calls carry their errno; sched_process_{fork,exec,exit} feed exec events and the user-space
 * pid table. Paths are emitted as dentry walks (leaf first) that user space reverses and joins.
 */
#define __KW_BPF__
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "kwitness.h"
#include "core_fixes.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AT_FDCWD -100
#define O_CREAT 0100
#define O_ACCMODE 03
#define O_WRONLY 01
#define O_TRUNC 01000
#define O_PATH 010000000
/* vfsmount.mnt_flags of the kernel's own mounts (pipes, sockets, memfd, anonymous inodes) */
#define MNT_INTERNAL 0x4000
/* task_struct.flags: an io_uring worker thread (include/linux/sched.h; the bit has not moved) */
#define KW_PF_IO_WORKER 0x00000010
#define S_IFMT 00170000
#define S_IFDIR 0040000

/* The parts, in order: each uses what the ones before it define. */
#include "record.bpf.h"
#include "path.bpf.h"
#include "file.bpf.h"
#include "inode_hooks.bpf.h"
#include "io_uring.bpf.h"
#include "syscalls.bpf.h"
#include "ia32.bpf.h"
#include "process.bpf.h"
#include "guard.bpf.h"
#include "func.bpf.h"
