// The write family's cases (issue 11, "Watch Who Changes This"): an existing file opened for
// writing, or truncated, is a `write` event; an open that creates the file stays a `create`; a
// read-only open is nothing. Part of CASES (cases.ts), so they run here in tracepoint mode and in the VM matrix in
// every mode. $D, $T and kw_stat as in cases.ts; `$T open FLAGS PATH` is openat(2) with FLAGS.
// Scope 'dir' (or 'all' with a path filter): a non-interactive bash opens /dev/tty for writing
// at start (ENXIO without a terminal), a true write event of the harness's shell, not the case's.
import { need, type AgentCase, type CaseContext } from './suite';

function inode(ctx: CaseContext, key: string): { dev: number; ino: number } {
  const [dev, ino] = need(ctx, key).split(':').map(Number);
  return { dev, ino };
}

const ok = { ret: 0 };
const trig = (ctx: CaseContext) => ({ comm: 'kw-trigger', exe: ctx.trigger });
const write = (path: string) => ({ type: 'write', op: 'open_write', path });

export const WRITE_CASES: AgentCase[] = [
  {
    name: 'write: O_WRONLY, O_RDWR, O_TRUNC, O_APPEND of an existing file; a read-only open and a new file give nothing',
    families: ['write'],
    scope: 'dir',
    setup: () => `echo data > "$D/f"\nkw_stat f "$D/f"`,
    trigger: () =>
      [
        `"$T" open wronly "$D/f"`,
        `"$T" open rdonly "$D/f"`,
        `"$T" open rdwr "$D/f"`,
        `"$T" open rdonly,trunc "$D/f"`,
        `"$T" open wronly,append "$D/f"`,
        // created by this open: a create, and the create family is off
        `"$T" open creat,wronly "$D/new"`,
      ].join('\n'),
    ordered: true,
    expect: (ctx) =>
      Array.from({ length: 4 }, () => ({
        ...write(`${ctx.dir}/f`),
        ...trig(ctx),
        ...inode(ctx, 'f'),
        probe: /openat/,
        uid: 0,
        ppid: ctx.rootPid,
        ...ok,
      })),
  },
  {
    name: 'write vs create: O_CREAT that makes the file is a create, of an existing file a write (shell > and >>)',
    families: ['create', 'write'],
    scope: 'dir',
    setup: () => `touch "$D/old"`,
    trigger: () => `"$T" open creat,wronly "$D/new"\n"$T" open creat,wronly "$D/old"\n: > "$D/old"\necho more >> "$D/new"`,
    ordered: true,
    expect: (ctx) => [
      { type: 'create', op: 'open', path: `${ctx.dir}/new`, ...trig(ctx), ...ok },
      { ...write(`${ctx.dir}/old`), ...trig(ctx), ...ok },
      { ...write(`${ctx.dir}/old`), comm: 'bash', pid: ctx.rootPid, ...ok },
      { ...write(`${ctx.dir}/new`), comm: 'bash', pid: ctx.rootPid, ...ok },
    ],
  },
  {
    name: 'write: creat(2) and openat2(2) of an existing file',
    families: ['write'],
    scope: 'dir',
    setup: () => `touch "$D/c" "$D/o2"`,
    trigger: () => `"$T" creat-syscall "$D/c"\n"$T" openat2 "$D/o2"`,
    ordered: true,
    expect: (ctx) => [
      { ...write(`${ctx.dir}/c`), probe: /creat|open/, ...trig(ctx), ...ok },
      { ...write(`${ctx.dir}/o2`), probe: /openat2|open/, ...trig(ctx), ...ok },
    ],
  },
  {
    name: 'write: failed opens for writing carry the errno (EISDIR, ENOENT, EACCES as uid 65534)',
    families: ['write'],
    scope: 'dir',
    setup: () => `mkdir "$D/dir"; echo x > "$D/ro"; chmod 644 "$D/ro"; cp "$T" "$D/trig"; chmod 755 "$D/trig"`,
    trigger: () =>
      [
        `"$T" open wronly "$D/dir"`,
        `"$T" open rdwr "$D/missing"`,
        // O_CREAT that fails, with the create family off: reported as the write it asked for
        `"$T" open creat,wronly "$D/nodir/x"`,
        `"$D/trig" asuid 65534 "$D/trig" open wronly "$D/ro"`,
        `true`,
      ].join('\n'),
    ordered: true,
    expect: (ctx) => [
      { ...write(`${ctx.dir}/dir`), ret: -21, ...trig(ctx) },
      { ...write(`${ctx.dir}/missing`), ret: -2, ...trig(ctx) },
      { ...write(`${ctx.dir}/nodir/x`), ret: -2, ...trig(ctx) },
      { ...write(`${ctx.dir}/ro`), ret: -13, uid: 65534, gid: 65534, exe: `${ctx.dir}/trig` },
    ],
  },
  {
    name: 'write: truncate(2) by name and ftruncate(2) by fd of an existing file; failed truncates carry the errno',
    families: ['write'],
    scope: 'dir',
    setup: () => `echo 0123456789 > "$D/f"; mkdir "$D/dir"\nkw_stat f "$D/f"`,
    trigger: () => `"$T" truncate "$D/f" 4\n"$T" ftruncate "$D/f" 2\n"$T" truncate "$D/missing" 0; "$T" truncate "$D/dir" 0; true`,
    ordered: true,
    expect: (ctx) => [
      // the inode of truncate(path) comes from the ctime tracepoints (6.13+): not asserted here
      { type: 'write', op: 'truncate', path: `${ctx.dir}/f`, probe: /truncate/, ...trig(ctx), ...ok },
      { ...write(`${ctx.dir}/f`), ...inode(ctx, 'f'), ...trig(ctx), ...ok },
      { type: 'write', op: 'truncate', path: `${ctx.dir}/f`, probe: /ftruncate/, ...inode(ctx, 'f'), ...trig(ctx), ...ok },
      { type: 'write', op: 'truncate', path: `${ctx.dir}/missing`, ret: -2, ...trig(ctx) },
      { type: 'write', op: 'truncate', path: `${ctx.dir}/dir`, ret: -21, ...trig(ctx) },
    ],
  },
  {
    name: 'write: --failed-only keeps the refused open only',
    families: ['write'],
    scope: 'dir',
    setup: () => `touch "$D/f"; mkdir "$D/dir"`,
    args: () => ['--failed-only'],
    trigger: () => `"$T" open wronly "$D/f"\n"$T" open wronly "$D/dir"; true`,
    expect: (ctx) => [{ ...write(`${ctx.dir}/dir`), ret: -21, ...trig(ctx) }],
  },
  {
    name: 'write: filter --path-prefix (a directory; siblings and a look-alike excluded, relative names included)',
    families: ['write'],
    scope: 'all',
    args: (ctx) => ['--path-prefix', `${ctx.dir}/in`],
    setup: () => `mkdir "$D/in" "$D/out" "$D/inx"; touch "$D/in/a" "$D/out/b" "$D/inx/c"`,
    trigger: () =>
      [
        `"$T" open wronly "$D/in/a"`,
        `"$T" open wronly "$D/out/b"`,
        `"$T" open wronly "$D/inx/c"`,
        `"$T" open wronly "$D/out/nope"; "$T" open wronly "$D/in/nope"`,
        `cd "$D/in" && "$T" open rdwr a`,
        `true`,
      ].join('\n'),
    expect: (ctx) => [
      { ...write(`${ctx.dir}/in/a`), ...trig(ctx), ...ok },
      { ...write(`${ctx.dir}/in/nope`), ...trig(ctx), ret: -2 },
      { ...write(`${ctx.dir}/in/a`), ...trig(ctx), cwd: `${ctx.dir}/in`, ...ok },
    ],
  },
  {
    // what Watch Who Changes This on a file asks the agent for: its path as the prefix, three families
    name: 'write: --path-prefix naming a file: its writes, deletion, re-creation and renames away and back, nothing of its look-alikes',
    families: ['unlink', 'create', 'write'],
    scope: 'all',
    args: (ctx) => ['--path-prefix', `${ctx.dir}/f`],
    setup: () => `touch "$D/f" "$D/f2" "$D/fx"`,
    trigger: () =>
      [
        `"$T" open wronly "$D/f2"`,
        `"$T" open wronly "$D/fx"`,
        `"$T" open wronly "$D/f"`,
        `rm "$D/f"`,
        `"$T" open creat,wronly "$D/f"`,
        // a new inode at the same path: the filter follows the path, not the old inode
        `"$T" open wronly,trunc "$D/f"`,
        // renamed away (a create of the new name, found by its old name), changed there, back
        `mv "$D/f" "$D/g"`,
        `"$T" open wronly "$D/g"`,
        `mv "$D/g" "$D/f"`,
      ].join('\n'),
    ordered: true,
    expect: (ctx) => [
      { ...write(`${ctx.dir}/f`), ...trig(ctx), ...ok },
      { type: 'unlink', op: 'unlink', path: `${ctx.dir}/f`, comm: 'rm', ...ok },
      { type: 'create', op: 'open', path: `${ctx.dir}/f`, ...trig(ctx), ...ok },
      { ...write(`${ctx.dir}/f`), ...trig(ctx), ...ok },
      { type: 'create', op: 'rename', path: `${ctx.dir}/g`, old_path: `${ctx.dir}/f`, comm: 'mv', ...ok },
      { type: 'create', op: 'rename', path: `${ctx.dir}/f`, old_path: `${ctx.dir}/g`, comm: 'mv', ...ok },
    ],
  },
];
