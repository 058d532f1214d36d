// kw-iouring-unlink PATH [rmdir]: removes PATH through io_uring (IORING_OP_UNLINKAT), so that no
// unlink/unlinkat/rmdir system call is made: the kernel does the work in io_uring's context.
// The agent must still see it in fentry/kprobe mode (vfs_unlink / do_unlinkat), while syscall
// tracepoints cannot. Static (liburing.a) so it runs in the test guests.
// --check: exit 0 when this kernel can do it, 3 when not. Prints one key=value line. Exit: 0 done, 1 the unlink failed (errno printed),
// 3 this kernel cannot do it (no io_uring, or no IORING_OP_UNLINKAT: mainline 5.11; Debian's 5.10
// has it through the 5.10.y io_uring backport), 2 usage.
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "rmdir") != 0)) {
		fputs("usage: kw-iouring-unlink PATH [rmdir] | kw-iouring-unlink --check\n", stderr);
		return 2;
	}
	int check_only = strcmp(argv[1], "--check") == 0;
	struct io_uring ring;
	int rc = io_uring_queue_init(4, &ring, 0);
	if (rc < 0) {
		printf("unsupported=io_uring_setup errno=%d (%s)\n", -rc, strerror(-rc));
		return 3;
	}
	struct io_uring_probe *probe = io_uring_get_probe_ring(&ring);
	if (!probe || !io_uring_opcode_supported(probe, IORING_OP_UNLINKAT)) {
		printf("unsupported=IORING_OP_UNLINKAT\n");
		return 3;
	}
	io_uring_free_probe(probe);
	if (check_only) {
		printf("supported=IORING_OP_UNLINKAT\n");
		return 0;
	}
	struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
	io_uring_prep_unlinkat(sqe, AT_FDCWD, argv[1], argc == 3 ? AT_REMOVEDIR : 0);
	rc = io_uring_submit(&ring);
	if (rc != 1) {
		printf("unlinkat=fail submit=%d\n", rc);
		return 1;
	}
	struct io_uring_cqe *cqe;
	rc = io_uring_wait_cqe(&ring, &cqe);
	if (rc < 0) {
		printf("unlinkat=fail wait errno=%d\n", -rc);
		return 1;
	}
	int res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	io_uring_queue_exit(&ring);
	if (res < 0) {
		printf("unlinkat=fail errno=%d pid=%d\n", -res, (int)getpid());
		return 1;
	}
	printf("unlinkat=ok pid=%d\n", (int)getpid());
	return 0;
}
