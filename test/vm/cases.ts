// Event cases only the guest kernels can show, in the agent suite's table format
// (test/agent/suite.ts AgentCase); test/vm/matrix.ts runs them after test/agent/cases.ts.
//
// io_uring: IORING_OP_UNLINKAT / RENAMEAT / MKDIRAT / OPENAT do their work without any unlink,
// rename, mkdir or open system call (the kernel runs them in an io_uring worker, iou-wrk-*, a thread of the
// submitter), so syscall tracepoints cannot see them, while fentry and kprobe mode must: the agent
// reports them from fexit/kretprobe of do_unlinkat, do_rmdir, do_renameat2, do_mkdirat and
// do_filp_open (O_CREAT or writing), which 7.x renamed (filename_unlinkat, ..., do_file_open): the
// expected probe is the name the guest's kernel has (/proc/kallsyms). The trigger is test/vm/trigger/kw-iouring.c, static with liburing;
// 'io_uring-OP' is a Target.has() feature checked with `kw-iouring --check OP` (OPENAT 5.6,
// UNLINKAT/RENAMEAT 5.11, MKDIRAT 5.15).
import type { AgentCase, CaseContext } from '../agent/suite';
import { need } from '../agent/suite';

const inode = (ctx: CaseContext, key: string) => {
  const [dev, ino] = need(ctx, key).split(':').map(Number);
  return { dev, ino };
};

export const IOURING = '/tmp/kw/kw-iouring';

/** io_uring's entry points as 6.x names them, and as 7.x renamed them (same arguments). */
const RENAMED: Record<string, string> = {
  do_unlinkat: 'filename_unlinkat', do_rmdir: 'filename_rmdir', do_mkdirat: 'filename_mkdirat',
  do_renameat2: 'filename_renameat2', do_filp_open: 'do_file_open',
};
/** Setup lines naming, for each entry point, the one this guest's kernel has (kfn_<6.x name>=<its name>). */
const KERNEL_NAMES = Object.entries(RENAMED)
  .map(([old, renamed]) => `echo "kfn_${old}=$(grep -qE ' [tT] ${renamed}$' /proc/kallsyms && echo ${renamed} || echo ${old})"`)
  .join('\n');

/**
 * The exit hook that reports a call made without a syscall, per attach mode (auto: fentry where
 * it works), under the name this kernel gives the function: the agent must hook it by that name.
 */
const kcallProbe = (ctx: CaseContext, old: string) => {
  const fn = need(ctx, `kfn_${old}`);
  return ctx.mode === 'fentry' ? `fexit:${fn}` : ctx.mode === 'kprobe' ? `kretprobe:${fn}` : new RegExp(`^(fexit|kretprobe):${fn}$`);
};

const IOURING_CASES: AgentCase[] = [
  {
    name: 'io_uring IORING_OP_UNLINKAT (no unlink syscall) is caught',
    families: ['unlink'],
    modes: ['fentry', 'kprobe'],
    needs: ['io_uring-unlink'],
    scope: 'dir',
    setup: () => `echo data > "$D/ring"\nkw_stat ring "$D/ring"`,
    trigger: () => `${IOURING} unlink "$D/ring"`,
    expect: (ctx) => [{ type: 'unlink', op: 'unlink', path: `${ctx.dir}/ring`, ...inode(ctx, 'ring'), last_link: true, ret: 0, uid: 0,
      exe: IOURING, probe: kcallProbe(ctx, 'do_unlinkat') }],
  },
  {
    name: 'io_uring IORING_OP_UNLINKAT with AT_REMOVEDIR is an rmdir',
    families: ['unlink'],
    modes: ['fentry', 'kprobe'],
    needs: ['io_uring-rmdir'],
    scope: 'dir',
    setup: () => `mkdir "$D/ringdir"\nkw_stat ringdir "$D/ringdir"`,
    trigger: () => `${IOURING} rmdir "$D/ringdir"`,
    expect: (ctx) => [{ type: 'unlink', op: 'rmdir', path: `${ctx.dir}/ringdir`, ...inode(ctx, 'ringdir'), ret: 0, uid: 0,
      exe: IOURING, probe: kcallProbe(ctx, 'do_rmdir') }],
  },
  {
    name: 'io_uring unlink of a relative name resolves against the submitter\'s cwd; a failed one carries the errno',
    families: ['unlink'],
    modes: ['fentry', 'kprobe'],
    needs: ['io_uring-unlink'],
    scope: 'dir',
    setup: () => `touch "$D/rel"`,
    trigger: () => `cd "$D" && ${IOURING} unlink rel && ${IOURING} unlink missing; true`,
    ordered: true,
    expect: (ctx) => [
      { type: 'unlink', op: 'unlink', path: `${ctx.dir}/rel`, last_link: true, ret: 0, exe: IOURING },
      { type: 'unlink', op: 'unlink', path: `${ctx.dir}/missing`, ret: -2, exe: IOURING, probe: kcallProbe(ctx, 'do_unlinkat') },
    ],
  },
  {
    name: 'io_uring IORING_OP_RENAMEAT over an existing file: unlink of the victim, create of the new name',
    families: ['unlink', 'create'],
    modes: ['fentry', 'kprobe'],
    needs: ['io_uring-rename'],
    scope: 'dir',
    setup: () => `echo old > "$D/victim"; echo new > "$D/src"; kw_stat victim "$D/victim"; kw_stat src "$D/src"`,
    trigger: () => `${IOURING} rename "$D/src" "$D/victim"`,
    expect: (ctx) => [
      { type: 'unlink', op: 'rename', path: `${ctx.dir}/victim`, old_path: `${ctx.dir}/src`, last_link: true, ...inode(ctx, 'victim'),
        ret: 0, exe: IOURING, probe: kcallProbe(ctx, 'do_renameat2') },
      { type: 'create', op: 'rename', path: `${ctx.dir}/victim`, old_path: `${ctx.dir}/src`, ...inode(ctx, 'src'),
        ret: 0, exe: IOURING, probe: kcallProbe(ctx, 'do_renameat2') },
    ],
  },
  {
    name: 'io_uring IORING_OP_MKDIRAT (no mkdir syscall) is caught',
    families: ['create'],
    modes: ['fentry', 'kprobe'],
    needs: ['io_uring-mkdir'],
    scope: 'dir',
    trigger: () => `${IOURING} mkdir "$D/ringmk"\nkw_stat ringmk "$D/ringmk"`,
    expect: (ctx) => [{ type: 'create', op: 'mkdir', path: `${ctx.dir}/ringmk`, ...inode(ctx, 'ringmk'), ret: 0, uid: 0,
      exe: IOURING, probe: kcallProbe(ctx, 'do_mkdirat') }],
  },
  {
    name: 'io_uring IORING_OP_OPENAT with O_CREAT: an event for the new file, none for the existing one',
    families: ['create'],
    modes: ['fentry', 'kprobe'],
    needs: ['io_uring-open'],
    scope: 'dir',
    setup: () => `touch "$D/ringold"`,
    trigger: () => `${IOURING} open "$D/ringnew"\n${IOURING} open "$D/ringold"\nkw_stat ringnew "$D/ringnew"`,
    expect: (ctx) => [{ type: 'create', op: 'open', path: `${ctx.dir}/ringnew`, ...inode(ctx, 'ringnew'), ret: 0, uid: 0,
      exe: IOURING, probe: kcallProbe(ctx, 'do_filp_open') }],
  },
  {
    // kw-iouring's open is O_CREAT|O_WRONLY: of an existing file a write, of a new one a create
    name: 'io_uring IORING_OP_OPENAT of an existing file for writing is a write; the file it creates is not',
    families: ['write'],
    modes: ['fentry', 'kprobe'],
    needs: ['io_uring-open'],
    scope: 'dir',
    setup: () => `echo data > "$D/ringold"\nkw_stat ringold "$D/ringold"`,
    trigger: () => `${IOURING} open "$D/ringold"\n${IOURING} open "$D/ringnew"`,
    expect: (ctx) => [{ type: 'write', op: 'open_write', path: `${ctx.dir}/ringold`, ...inode(ctx, 'ringold'), ret: 0, uid: 0,
      exe: IOURING, probe: kcallProbe(ctx, 'do_filp_open') }],
  },
];

export const VM_CASES: AgentCase[] = IOURING_CASES.map((c) => ({
  ...c,
  setup: (ctx: CaseContext) => [KERNEL_NAMES, c.setup?.(ctx)].filter(Boolean).join('\n'),
}));
