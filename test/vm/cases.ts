// Event cases only the guest kernels can show, in the agent suite's table format
// (test/agent/suite.ts AgentCase); test/vm/matrix.ts runs them after test/agent/cases.ts.
//
// io_uring: IORING_OP_UNLINKAT removes a file without any unlink/unlinkat/rmdir system call (the
// kernel does it in an io_uring worker), so syscall tracepoints cannot see it, while fentry and
// kprobe on the VFS path (vfs_unlink / do_unlinkat) must. The trigger is test/vm/trigger/
// kw-iouring-unlink.c, static with liburing; 'io_uring-unlinkat' is a Target.has() feature checked
// with `kw-iouring-unlink --check` (mainline >= 5.11; Debian's 5.10 has the 5.10.y backport).
import type { AgentCase, CaseContext } from '../agent/suite';
import { need } from '../agent/suite';

const inode = (ctx: CaseContext, key: string) => {
  const [dev, ino] = need(ctx, key).split(':').map(Number);
  return { dev, ino };
};

export const IOURING = '/tmp/kw/kw-iouring-unlink';

export const VM_CASES: AgentCase[] = [
  {
    name: 'io_uring IORING_OP_UNLINKAT (no unlink syscall) is caught',
    families: ['unlink'],
    modes: ['fentry', 'kprobe'],
    needs: ['io_uring-unlinkat'],
    scope: 'dir',
    setup: () => `echo data > "$D/ring"\nkw_stat ring "$D/ring"`,
    trigger: () => `${IOURING} "$D/ring"`,
    expect: (ctx) => [{ type: 'unlink', op: 'unlink', path: `${ctx.dir}/ring`, ...inode(ctx, 'ring'), last_link: true, ret: 0, uid: 0 }],
  },
  {
    name: 'io_uring IORING_OP_UNLINKAT with AT_REMOVEDIR is an rmdir',
    families: ['unlink'],
    modes: ['fentry', 'kprobe'],
    needs: ['io_uring-unlinkat'],
    scope: 'dir',
    setup: () => `mkdir "$D/ringdir"\nkw_stat ringdir "$D/ringdir"`,
    trigger: () => `${IOURING} "$D/ringdir" rmdir`,
    expect: (ctx) => [{ type: 'unlink', op: 'rmdir', path: `${ctx.dir}/ringdir`, ...inode(ctx, 'ringdir'), ret: 0, uid: 0 }],
  },
];
