// kw-iouring OP ARGS: one file operation done through io_uring, so that no unlink/rename/mkdir/open
// system call is made: the kernel does the work in an io_uring worker. The agent must still see
// it in fentry/kprobe mode (fexit/kretprobe of do_unlinkat, do_rmdir, do_renameat2, do_mkdirat,
// do_filp_open),
// while syscall tracepoints cannot. Static (liburing.a) so it runs in the busybox test guests.
//   kw-iouring unlink PATH | rmdir PATH | mkdir PATH | rename OLD NEW | open PATH (O_CREAT|O_WRONLY)
//   kw-iouring --check OP   exit 0 when this kernel has the io_uring opcode OP needs, 3 when not
// Prints one key=value line. Exit: 0 done, 1 the operation failed (errno printed), 2 usage,
// 3 this kernel cannot do it (no io_uring, or not that opcode: OPENAT 5.6, UNLINKAT/RENAMEAT 5.11,
// MKDIRAT 5.15).
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct op {
	const char *name;
	int opcode, nargs;
};

static const struct op ops[] = {
	{ "unlink", IORING_OP_UNLINKAT, 1 },
	{ "rmdir", IORING_OP_UNLINKAT, 1 },
	{ "mkdir", IORING_OP_MKDIRAT, 1 },
	{ "rename", IORING_OP_RENAMEAT, 2 },
	{ "open", IORING_OP_OPENAT, 1 },
};

static const struct op *find_op(const char *name)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(ops[i].name, name))
			return &ops[i];
	return NULL;
}

static int usage(void)
{
	fputs("usage: kw-iouring unlink PATH | rmdir PATH | mkdir PATH | rename OLD NEW | open PATH | --check OP\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	int check_only = argc == 3 && !strcmp(argv[1], "--check");
	const struct op *op = argc >= 3 ? find_op(argv[check_only ? 2 : 1]) : NULL;

	if (!op || (!check_only && argc != 2 + op->nargs))
		return usage();
	struct io_uring ring;
	int rc = io_uring_queue_init(4, &ring, 0);
	if (rc < 0) {
		printf("unsupported=io_uring_setup errno=%d (%s)\n", -rc, strerror(-rc));
		return 3;
	}
	struct io_uring_probe *probe = io_uring_get_probe_ring(&ring);
	if (!probe || !io_uring_opcode_supported(probe, op->opcode)) {
		printf("unsupported=%s\n", op->name);
		return 3;
	}
	io_uring_free_probe(probe);
	if (check_only) {
		printf("supported=%s\n", op->name);
		return 0;
	}
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	if (!strcmp(op->name, "unlink"))
		io_uring_prep_unlinkat(sqe, AT_FDCWD, argv[2], 0);
	else if (!strcmp(op->name, "rmdir"))
		io_uring_prep_unlinkat(sqe, AT_FDCWD, argv[2], AT_REMOVEDIR);
	else if (!strcmp(op->name, "mkdir"))
		io_uring_prep_mkdirat(sqe, AT_FDCWD, argv[2], 0755);
	else if (!strcmp(op->name, "open"))
		io_uring_prep_openat(sqe, AT_FDCWD, argv[2], O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	else
		io_uring_prep_renameat(sqe, AT_FDCWD, argv[2], AT_FDCWD, argv[3], 0);
	rc = io_uring_submit(&ring);
	if (rc != 1) {
		printf("%s=fail submit=%d\n", op->name, rc);
		return 1;
	}
	struct io_uring_cqe *cqe;
	rc = io_uring_wait_cqe(&ring, &cqe);
	if (rc < 0) {
		printf("%s=fail wait errno=%d\n", op->name, -rc);
		return 1;
	}
	int res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	if (res < 0) {
		printf("%s=fail errno=%d pid=%d\n", op->name, -res, (int)getpid());
		return 1;
	}
	printf("%s=ok pid=%d\n", op->name, (int)getpid());
	return 0;
}
