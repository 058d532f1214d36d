// The agent's event cases (issue 2, "Proof"): trigger something on the target, expect exactly
// these events. Runner: suite.ts (runCase). Shared with test/vm/, which runs them in Debian guests
// (busybox + bash, no python/node: cases that need them are skipped there).
//
// In scripts: $D = the case's own dir (absolute), $T = kw-trigger (test/agent/trigger),
// $CG2 = the cgroup v2 mount; `kw_stat NAME PATH` prints NAME=DEV:INO:NLINK for expectations.
import type { KwEvent } from '../../src/core/events';
import { absPath, bytesOf, need, positive, pred, shq, startsWith, type AgentCase, type CaseContext, type Want } from './suite';
import { WRITE_CASES } from './write-cases';
import { NAMESPACE_CASES } from './namespace-cases';
import { STACK_CASES } from './stack-cases';
import { FUNC_CASES } from './func-cases';

/** dev/ino of a `kw_stat` line. */
function inode(ctx: CaseContext, key: string): { dev: number; ino: number } {
  const [dev, ino] = need(ctx, key).split(':').map(Number);
  return { dev, ino };
}

/**
 * Does this run name removed files from the kernel's own dentry? fentry and kprobe hook
 * security_inode_unlink on every file system; the tracepoint mode has only ext4's
 * ext4_unlink_enter. By what the agent attached (ready) and where the case dir lives (fstype=).
 */
function kernelNames(ctx: CaseContext): boolean {
  return hooked(ctx, 'unlink') || /^ext[234]/.test(ctx.vars.fstype ?? '');
}

/** The agent attached fentry or kprobe hooks for this family (they see the dentry a call made, moved or removed). */
function hooked(ctx: CaseContext, family: 'unlink' | 'create'): boolean {
  return (ctx.ready?.probes ?? []).some((p) => p.family === family && (p.mode === 'fentry' || p.mode === 'kprobe'));
}

const ok = { ret: 0 };
/** The program's absolute path; busybox guests (test/vm) run applets from /bin/busybox. */
const exeOf = (name: string) => new RegExp(`^/(usr/)?(s?bin|lib)/(.*\\b${name}|busybox)$`);
/** The trigger's shell as first ancestor: the process tree is right. */
const parentIsRoot = (ctx: CaseContext): Want => startsWith([{ pid: ctx.rootPid, comm: 'bash', exe: exeOf('bash') }]);
const trig = (ctx: CaseContext) => ({ comm: 'kw-trigger', exe: ctx.trigger });

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** Names that must survive the trip byte for byte. */
export const HOSTILE_NAMES: Array<{ label: string; bytes: Uint8Array }> = [
  { label: 'newline', bytes: Buffer.from('new\nline') },
  { label: 'ESC', bytes: Buffer.from('esc\x1b[31mred') },
  { label: '<script>', bytes: Buffer.from('<script>alert(1)<script>') },
  { label: 'invalid UTF-8', bytes: Uint8Array.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0xc3, 0x28]) },
  { label: '255-byte name', bytes: Buffer.from('n'.repeat(255)) },
  { label: 'quote and backslash', bytes: Buffer.from(`q"\\'`) },
];

export const CASES: AgentCase[] = [
  {
    name: 'rm (coreutils, unlinkat) of a file',
    families: ['unlink'],
    setup: () => `echo data > "$D/a"\nkw_stat a "$D/a"`,
    trigger: () => `rm "$D/a"`,
    expect: (ctx) => [
      {
        type: 'unlink',
        op: 'unlink',
        path: `${ctx.dir}/a`,
        comm: 'rm',
        exe: exeOf('rm'),
        ...inode(ctx, 'a'),
        last_link: true,
        ret: 0,
        uid: 0,
        gid: 0,
        cwd: absPath,
        probe: /unlink/,
        ppid: ctx.rootPid,
        ancestors: parentIsRoot(ctx),
        cgroup: absPath,
        container: null,
      },
    ],
  },
  {
    name: 'rm -rf of a tree',
    families: ['unlink'],
    setup: () => `mkdir -p "$D/t/s1/s2"; touch "$D/t/f1" "$D/t/s1/f2" "$D/t/s1/s2/f3"`,
    trigger: () => `rm -rf "$D/t"`,
    expect: (ctx) => [
      ...['t/f1', 't/s1/f2', 't/s1/s2/f3'].map((p) => ({ type: 'unlink', op: 'unlink', path: `${ctx.dir}/${p}`, comm: 'rm', last_link: true, ...ok })),
      ...['t/s1/s2', 't/s1', 't'].map((p) => ({ type: 'unlink', op: 'rmdir', path: `${ctx.dir}/${p}`, comm: 'rm', last_link: true, ...ok })),
    ],
  },
  {
    name: 'Python os.unlink and os.rmdir (unlink, rmdir syscalls), relative and absolute',
    families: ['unlink'],
    needs: ['python3'],
    setup: () => `touch "$D/a"; mkdir "$D/d"`,
    trigger: () => `cd "$D" && python3 -c 'import os, sys; os.unlink(sys.argv[1]); os.rmdir("d")' "$D/a"`,
    ordered: true,
    expect: (ctx) => [
      { type: 'unlink', op: 'unlink', path: `${ctx.dir}/a`, comm: /^python/, exe: /python/, probe: /unlink|vfs_unlink/, last_link: true, ...ok },
      { type: 'unlink', op: 'rmdir', path: `${ctx.dir}/d`, comm: /^python/, probe: /rmdir/, cwd: ctx.dir, last_link: true, ...ok },
    ],
  },
  {
    name: 'Node fs.unlinkSync (unlink syscall)',
    families: ['unlink'],
    needs: ['node'],
    setup: () => `touch "$D/a"`,
    trigger: () => `node -e 'require("fs").unlinkSync(process.argv[1])' "$D/a"`,
    expect: (ctx) => [{ type: 'unlink', op: 'unlink', path: `${ctx.dir}/a`, exe: /\/node$/, last_link: true, ...ok }],
  },
  {
    name: 'busybox rm (unlink syscall)',
    families: ['unlink'],
    needs: ['busybox'],
    setup: () => `touch "$D/a"`,
    trigger: () => `busybox rm "$D/a"`,
    expect: (ctx) => [{ type: 'unlink', op: 'unlink', path: `${ctx.dir}/a`, comm: 'busybox', exe: /busybox/, last_link: true, ...ok }],
  },
  {
    name: 'unlinkat and rmdir-at with a dirfd from another directory (cwd /)',
    families: ['unlink'],
    setup: () => `mkdir -p "$D/sub/dd" "$D/other"; touch "$D/sub/a"`,
    trigger: () => `cd "$D/other" && "$T" unlinkat-dirfd "$D/sub" a && "$T" rmdirat-dirfd "$D/sub" dd`,
    ordered: true,
    expect: (ctx) => [
      { type: 'unlink', op: 'unlink', path: `${ctx.dir}/sub/a`, cwd: '/', ...trig(ctx), last_link: true, ...ok },
      { type: 'unlink', op: 'rmdir', path: `${ctx.dir}/sub/dd`, cwd: '/', ...trig(ctx), last_link: true, ...ok },
    ],
  },
  {
    name: 'relative paths from a changed cwd (./a, ../b, sub/../c)',
    families: ['unlink'],
    setup: () => `mkdir -p "$D/w/sub"; touch "$D/w/a" "$D/b" "$D/w/c"`,
    trigger: () => `cd "$D/w" && "$T" unlink ./a && "$T" unlink ../b && "$T" unlink sub/../c`,
    ordered: true,
    expect: (ctx) => ['w/a', 'b', 'w/c'].map((p) => ({ type: 'unlink', op: 'unlink', path: `${ctx.dir}/${p}`, cwd: `${ctx.dir}/w`, last_link: true, ...ok })),
  },
  {
    name: 'hard links: last_link false, then true',
    families: ['unlink'],
    setup: () => `echo x > "$D/a"; ln "$D/a" "$D/b"; kw_stat a "$D/a"`,
    trigger: () => `rm "$D/a"; rm "$D/b"`,
    ordered: true,
    expect: (ctx) => [
      { type: 'unlink', op: 'unlink', path: `${ctx.dir}/a`, last_link: false, ...inode(ctx, 'a'), ...ok },
      { type: 'unlink', op: 'unlink', path: `${ctx.dir}/b`, last_link: true, ...inode(ctx, 'a'), ...ok },
    ],
  },
  {
    name: 'rename over an existing file (unlink of the victim, create of the new name)',
    families: ['unlink', 'create'],
    setup: () => `echo old > "$D/victim"; echo new > "$D/src"; kw_stat victim "$D/victim"; kw_stat src "$D/src"`,
    trigger: () => `"$T" rename "$D/src" "$D/victim"`,
    expect: (ctx) => [
      { type: 'unlink', op: 'rename', path: `${ctx.dir}/victim`, old_path: `${ctx.dir}/src`, last_link: true, ...inode(ctx, 'victim'), ...trig(ctx), ...ok },
      { type: 'create', op: 'rename', path: `${ctx.dir}/victim`, old_path: `${ctx.dir}/src`, ...trig(ctx), ...ok },
    ],
  },
  {
    name: 'rename to a new name: create only, no unlink',
    families: ['unlink', 'create'],
    setup: () => `touch "$D/src"`,
    trigger: () => `mv "$D/src" "$D/dst"`,
    expect: (ctx) => [{ type: 'create', op: 'rename', path: `${ctx.dir}/dst`, old_path: `${ctx.dir}/src`, comm: 'mv', ...ok }],
  },
  {
    name: 'renameat2 RENAME_EXCHANGE: one exchange with both names, nothing deleted',
    families: ['unlink', 'create'],
    setup: () => `echo a > "$D/a"; echo b > "$D/b"; kw_stat a "$D/a"; kw_stat b "$D/b"`,
    trigger: () => `"$T" rename-exchange "$D/a" "$D/b"`,
    expect: (ctx) => [
      // path holds the file that was at old_path: its inode (when this kernel shows one)
      { type: 'create', op: 'exchange', path: `${ctx.dir}/b`, old_path: `${ctx.dir}/a`, last_link: undefined, ...trig(ctx), ...ok },
    ],
    check: (events, ctx) => {
      const e = events.find((x) => x.type === 'create');
      if (!e || !('ino' in e) || e.ino === 0) return [];
      const a = inode(ctx, 'a');
      return e.ino === a.ino && e.dev === a.dev ? [] : [`exchange: ino ${e.ino} dev ${e.dev}, want the file now at the new name (${a.ino}, ${a.dev})`];
    },
  },
  {
    // The syscalls:* tracepoints ignore 32-bit syscalls: a 32-bit program (or int $0x80 from a
    // 64-bit one, as here) would delete unseen without bpf/ia32.bpf.h.
    name: '32-bit (ia32) syscalls: unlink, rename, creat, mkdir, rmdir and a failed unlink, like the 64-bit ones',
    families: ['unlink', 'create'],
    needs: ['ia32'],
    setup: () => `echo a > "$D/a"; echo b > "$D/b"`,
    trigger: () => `"$T" ia32 unlink "$D/a"; "$T" ia32 rename "$D/b" "$D/c"; "$T" ia32 creat "$D/n"; "$T" ia32 mkdir "$D/m"; "$T" ia32 rmdir "$D/m"; "$T" ia32 unlink "$D/missing"; true`,
    ordered: true,
    expect: (ctx) => [
      { type: 'unlink', op: 'unlink', path: `${ctx.dir}/a`, last_link: true, ...trig(ctx), ...ok },
      { type: 'create', op: 'rename', path: `${ctx.dir}/c`, old_path: `${ctx.dir}/b`, ...trig(ctx), ...ok },
      { type: 'create', op: 'open', path: `${ctx.dir}/n`, ...trig(ctx), ...ok },
      { type: 'create', op: 'mkdir', path: `${ctx.dir}/m`, ...trig(ctx), ...ok },
      { type: 'unlink', op: 'rmdir', path: `${ctx.dir}/m`, ...trig(ctx), ...ok },
      { type: 'unlink', op: 'unlink', path: `${ctx.dir}/missing`, ...trig(ctx), ret: -2 },
    ],
    check: (events) => {
      // named by the kernel's entry point for the 32-bit call, and the kernel's path
      // (the kretprobe on that entry point where kprobes are used, else the raw tracepoint)
      const want = /^(raw_tracepoint:sys_exit|kretprobe):__ia32_(compat_)?sys_(unlink|rename|creat|mkdir|rmdir)$/;
      return events.filter((e) => !want.test(e.probe)).map((e) => `${e.type} ${'path' in e ? e.path : ''}: probe ${e.probe}, want an ia32 one`);
    },
  },
  {
    name: 'renameat2 RENAME_NOREPLACE: a plain rename; refused over an existing name, nothing deleted',
    families: ['unlink', 'create'],
    setup: () => `touch "$D/src" "$D/taken"`,
    trigger: () => `"$T" rename-noreplace "$D/src" "$D/dst"; "$T" rename-noreplace "$D/dst" "$D/taken"; true`,
    ordered: true,
    expect: (ctx) => [
      { type: 'create', op: 'rename', path: `${ctx.dir}/dst`, old_path: `${ctx.dir}/src`, ...trig(ctx), ...ok },
      { type: 'create', op: 'rename', path: `${ctx.dir}/taken`, old_path: `${ctx.dir}/dst`, ...trig(ctx), ret: -17 },
    ],
  },
  {
    name: 'an empty name (unlinkat(dirfd, "")) and a bad pointer (EFAULT) are flagged name_unreadable, never the directory',
    families: ['unlink'],
    setup: () => `mkdir "$D/dir"`,
    trigger: () => `"$T" unlinkat-empty "$D/dir"; cd "$D/dir" && "$T" unlink-badptr; true`,
    ordered: true,
    expect: (ctx) => [
      { type: 'unlink', op: 'unlink', path: '', name_unreadable: true, last_link: false, ret: -2, ...trig(ctx) },
      { type: 'unlink', op: 'unlink', path: '', name_unreadable: true, last_link: false, ret: -14, cwd: `${ctx.dir}/dir`, ...trig(ctx) },
    ],
  },
  {
    name: 'a second thread rewrites the name during the call: every unlink names the file that went (2,000 races)',
    families: ['unlink'],
    trigger: () => `"$T" race-unlink "$D" 2000 && echo "fstype=$(stat -f -c %T "$D")"`,
    // each agent reads the caller's spelling (named) after the call, while the other thread flips it
    parityIgnore: ['named'],
    // which file went is known afterwards; the check holds each event to it (kernelNames)
    expect: () => Array.from({ length: 2000 }, () => ({ type: 'unlink', op: 'unlink', path: /\/[vw]\d{5}$/, last_link: true, ...ok })),
    check: (events, ctx) => {
      const removed = new Set(need(ctx, 'removed').split(',').map((n) => `${ctx.dir}/${n}`));
      const p: string[] = [];
      if (removed.size !== 2000) p.push(`the trigger reported ${removed.size} removed files, want 2000`);
      const wrong = events.filter((e) => 'path' in e && !removed.has(e.path));
      if (kernelNames(ctx)) {
        // the kernel's own name of each removed file: never the spelling the other thread made
        if (wrong.length) p.push(`${wrong.length} of ${events.length} events name a file that is still there, e.g. ${JSON.stringify(wrong.slice(0, 3).map((e) => 'path' in e && e.path))}`);
        const notKernel = events.filter((e) => 'path_source' in e && e.path_source !== 'kernel');
        if (notKernel.length) p.push(`${notKernel.length} events have path_source ${'path_source' in notKernel[0] ? notKernel[0].path_source : '?'}, want kernel`);
      } else {
        // no hook names the file here (tracepoint mode off ext4): a wrong name must say where it came from
        const unflagged = wrong.filter((e) => !('path_source' in e) || e.path_source !== 'user');
        if (unflagged.length) p.push(`${unflagged.length} wrong names not flagged path_source user`);
      }
      return p;
    },
  },
  {
    name: "'..' after a symlink, '//' and '/./': the path is the file the kernel removed; the caller's spelling is kept in named",
    families: ['unlink'],
    setup: () => `mkdir -p "$D/real/sub"; ln -s "$D/real/sub" "$D/link"; touch "$D/real/f" "$D/a" "$D/b" "$D/f"`,
    // unlink(link/../f) removes real/f (the kernel follows link, then '..'); $D/f, the lexical reading, stays
    trigger: () => `"$T" unlink "$D/link/../f" && "$T" unlink "$D//a" && "$T" unlink "$D/./b" && echo "fstype=$(stat -f -c %T "$D")" && test -e "$D/f" && ! test -e "$D/real/f"`,
    ordered: true,
    expect: (ctx) => [
      { type: 'unlink', op: 'unlink', path: pred(`${ctx.dir}/real/f (or ${ctx.dir}/f flagged user)`, (v) => v === `${ctx.dir}/real/f` || v === `${ctx.dir}/f`), ...trig(ctx), ...ok },
      { type: 'unlink', op: 'unlink', path: `${ctx.dir}/a`, ...trig(ctx), ...ok },
      { type: 'unlink', op: 'unlink', path: `${ctx.dir}/b`, ...trig(ctx), ...ok },
    ],
    check: (events, ctx) => {
      const [f, a, b] = events as Array<KwEvent & { path: string; named?: string; path_source?: string }>;
      const p: string[] = [];
      if (!f || !a || !b) return ['fewer than 3 events'];
      if (kernelNames(ctx)) {
        if (f.path !== `${ctx.dir}/real/f` || f.named !== `${ctx.dir}/f` || f.path_source !== 'kernel')
          p.push(`link/../f: path ${f.path} named ${f.named} source ${f.path_source}; want ${ctx.dir}/real/f named ${ctx.dir}/f source kernel`);
        for (const e of [a, b]) if ('named' in e || e.path_source !== 'kernel') p.push(`${e.path}: named ${e.named} source ${e.path_source}; want no named (same file), source kernel`);
      } else {
        for (const e of [f, a, b]) if (e.path_source !== 'user') p.push(`${e.path}: source ${e.path_source}, want user (no hook names the file here)`);
      }
      return p;
    },
  },
  {
    name: "a --path-prefix judged on what the kernel removed: '//', '/./' and a symlink spelling inside, '..' out of it",
    families: ['unlink'],
    setup: () => `mkdir -p "$D/in" "$D/out"; ln -s "$D/in" "$D/alias"; touch "$D/in/a" "$D/in/b" "$D/in/c" "$D/out/x" "$D/in/y"`,
    args: (ctx) => ['--path-prefix', `${ctx.dir}/in`],
    trigger: () =>
      `"$T" unlink "$D//in/a" && "$T" unlink "$D/./in/b" && "$T" unlink "$D/alias/c" && "$T" unlink "$D/in/../out/x" && "$T" unlink "$D/in/y" && echo "fstype=$(stat -f -c %T "$D")"`,
    ordered: true,
    // without a hook the spelling decides: $D/alias/c is then outside (the check says which applies)
    expect: (ctx) => [
      ...['a', 'b'].map((n) => ({ type: 'unlink', op: 'unlink', path: `${ctx.dir}/in/${n}`, ...ok })),
      ...(kernelNames(ctx) ? [{ type: 'unlink', op: 'unlink', path: `${ctx.dir}/in/c`, named: `${ctx.dir}/alias/c`, path_source: 'kernel', ...ok }] : []),
      { type: 'unlink', op: 'unlink', path: `${ctx.dir}/in/y`, ...ok },
    ],
  },
  {
    name: 'the directory a thread works in is renamed between two of its unlinks: the second names the new path',
    families: ['unlink'],
    setup: () => `mkdir "$D/old"; touch "$D/old/a" "$D/old/b"`,
    trigger: () => `"$T" cwd-renamed "$D/old" "$D/new"`,
    ordered: true,
    expect: (ctx) => [
      { type: 'unlink', op: 'unlink', path: `${ctx.dir}/old/a`, cwd: `${ctx.dir}/old`, ...trig(ctx), ...ok },
      { type: 'unlink', op: 'unlink', path: `${ctx.dir}/new/b`, cwd: `${ctx.dir}/new`, ...trig(ctx), ...ok },
    ],
  },
  {
    name: 'mkdir and rename through a symlinked directory: the kernel-made paths where hooks see them (fentry, kprobe), else the spelling flagged user',
    families: ['create'],
    setup: () => `mkdir -p "$D/real"; ln -s "$D/real" "$D/alias"; touch "$D/real/src"`,
    trigger: () => `"$T" mkdir "$D/alias/d" && "$T" rename "$D/alias/src" "$D/alias/dst"`,
    ordered: true,
    expect: (ctx) => {
      const kernel = (n: string) => ({ path: `${ctx.dir}/real/${n}`, named: `${ctx.dir}/alias/${n}`, path_source: 'kernel' });
      const spelled = (n: string) => ({ path: `${ctx.dir}/alias/${n}`, path_source: 'user' });
      // a new directory's dentry comes from d_instantiate, which tmpfs on 7.x no longer calls
      // (d_make_persistent): there the spelling, flagged as such, is the honest answer
      const either = (n: string) =>
        pred(`${JSON.stringify(kernel(n))} or ${JSON.stringify(spelled(n))}`, (e) => {
          const o = e as Record<string, unknown>;
          const k = kernel(n), u = spelled(n);
          return (o.path === k.path && o.named === k.named && o.path_source === 'kernel') || (o.path === u.path && !('named' in o) && o.path_source === 'user');
        });
      const hooks = hooked(ctx, 'create');
      return [
        hooks ? { type: 'create', op: 'mkdir', $self: either('d'), ...trig(ctx), ...ok } : { type: 'create', op: 'mkdir', ...spelled('d'), ...trig(ctx), ...ok },
        // the renamed file's dentry, moved by d_move, is named on every kernel with the rename hook
        { type: 'create', op: 'rename', ...(hooks ? kernel('dst') : spelled('dst')), old_path: `${ctx.dir}/alias/src`, ...trig(ctx), ...ok },
      ];
    },
  },
  {
    name: "an exec from a non-leader thread leaves no entry behind: a new thread with its old id sees no phantom",
    families: ['exec', 'create'],
    setup: () => `touch "$D/file"`,
    // the new thread's read-only open meets whatever the exec left under its id (an event of
    // op 0, which the agent refuses with an error record, before the fix)
    trigger: () => `"$T" thread-exec "$D/file"`,
    ordered: true,
    expect: (ctx) => [
      { type: 'exec', exe: ctx.trigger, argv: [ctx.trigger, 'thread-exec', `${ctx.dir}/file`], ...ok },
      { type: 'exec', exe: ctx.trigger, argv: [ctx.trigger, 'reuse-tid', need(ctx, 'old_tid'), `${ctx.dir}/file`], pid: Number(need(ctx, 'pid')), tid: Number(need(ctx, 'pid')), ...ok },
    ],
    check: (_events, ctx) => (need(ctx, 'reused') === '1' ? [] : [`the old thread id ${need(ctx, 'old_tid')} was taken by another process before the trigger could reuse it: nothing was proven`]),
  },
  {
    name: 'a full table of calls in flight (--pending-max 2): 6 opens blocked at once, 2 events, 4 counted untracked, exactly',
    families: ['write'],
    scope: 'all',
    allowLost: true,
    // a copy by its own name: --comm keeps every other process's calls out of the tiny table
    setup: () => `cp "$T" "$D/kwpend"; "$T" mknod "$D/fifo" >/dev/null`,
    args: () => ['--comm', 'kwpend', '--pending-max', '2'],
    trigger: () => `"$D/kwpend" fifo-writers "$D/fifo" 6`,
    expect: (ctx) => [1, 2].map(() => ({ type: 'write', op: 'open_write', path: `${ctx.dir}/fifo`, comm: 'kwpend', ...ok })),
    check: (_events, ctx, run) => {
      const p: string[] = [];
      if (need(ctx, 'opened') !== '6') p.push(`the trigger opened ${need(ctx, 'opened')} of 6 writers`);
      if (run.untrackedTotal !== 4) p.push(`untracked_total ${run.untrackedTotal}, want 4 (6 blocked opens, a table of 2)`);
      const sum = run.lostRecords.reduce((s, r) => s + r.untracked, 0);
      if (sum !== run.untrackedTotal) p.push(`untracked counts add up to ${sum}, last total says ${run.untrackedTotal}`);
      if (run.lostTotal !== 0) p.push(`lost ${run.lostTotal}: the ring buffer had room, nothing else may be counted there`);
      return p;
    },
  },
  {
    name: 'O_CREAT on a new file vs an existing one (event only for the new one)',
    families: ['create'],
    setup: () => `touch "$D/exists"`,
    trigger: () => `"$T" creat "$D/new"\n"$T" creat "$D/exists"\n: > "$D/exists"\n: > "$D/new2"`,
    expect: (ctx) => [
      { type: 'create', op: 'open', path: `${ctx.dir}/new`, ...trig(ctx), probe: /open/, ...ok },
      { type: 'create', op: 'open', path: `${ctx.dir}/new2`, comm: 'bash', pid: ctx.rootPid, ...ok },
    ],
    check: (events, ctx) => {
      const e = events.find((x) => 'path' in x && x.path === `${ctx.dir}/new`);
      return e && 'ino' in e && e.ino === 0 ? ['create of a new file carries ino 0'] : [];
    },
  },
  {
    name: 'creat(2) and openat2(2) with O_CREAT',
    families: ['create'],
    trigger: () => `"$T" creat-syscall "$D/c"\n"$T" openat2 "$D/o2"\n"$T" openat2 "$D/o2"`,
    expect: (ctx) => [
      { type: 'create', op: 'open', path: `${ctx.dir}/c`, probe: /creat|open/, ...trig(ctx), ...ok },
      { type: 'create', op: 'open', path: `${ctx.dir}/o2`, probe: /openat2|open/, ...trig(ctx), ...ok },
    ],
  },
  {
    name: 'an unlink from a second thread: pid is the process, tid the thread',
    families: ['unlink'],
    setup: () => `touch "$D/a"`,
    trigger: () => `"$T" thread-unlink "$D/a"`,
    expect: (ctx) => [{ type: 'unlink', path: `${ctx.dir}/a`, pid: Number(need(ctx, 'pid')), tid: Number(need(ctx, 'tid')), ...trig(ctx), ...ok }],
  },
  {
    name: 'a path longer than PATH_MAX (relative unlink deep down) is flagged path_truncated',
    families: ['unlink'],
    // 24 levels of 200-byte names: ~4.9 KB, more than PATH_MAX, so walk down one name at a time
    setup: () => `cd "$D"; for i in $(seq 1 24); do n=$(printf "%0200d" $i); mkdir "$n"; cd "$n"; done; touch leaf; echo "deep=$PWD"`,
    trigger: () => `cd "$D"; for i in $(seq 1 24); do cd "$(printf "%0200d" $i)" || exit 1; done; "$T" unlink leaf`,
    expect: (ctx) => [
      {
        type: 'unlink',
        op: 'unlink',
        path_truncated: true,
        path: pred('a cut form of the real path', (v) => {
          const real = `${need(ctx, 'deep')}/leaf`;
          return typeof v === 'string' && v.length < real.length && (real.startsWith(v) || real.endsWith(v.replace(/^(\.\.\.|…)/, '')));
        }),
        ...ok,
      },
    ],
  },
  {
    name: 'mkdir, mknod, link, symlink',
    families: ['create'],
    setup: () => `touch "$D/exists"`,
    trigger: () => `mkdir "$D/dir"\n"$T" mknod "$D/fifo"\n"$T" link "$D/exists" "$D/hard"\n"$T" symlink "../some target" "$D/sym"\nkw_stat dir "$D/dir"; kw_stat fifo "$D/fifo"; kw_stat hard "$D/hard"; kw_stat sym "$D/sym"`,
    ordered: true,
    expect: (ctx) => [
      { type: 'create', op: 'mkdir', path: `${ctx.dir}/dir`, comm: 'mkdir', ...inode(ctx, 'dir'), ...ok },
      { type: 'create', op: 'mknod', path: `${ctx.dir}/fifo`, ...trig(ctx), ...inode(ctx, 'fifo'), ...ok },
      { type: 'create', op: 'link', path: `${ctx.dir}/hard`, ...trig(ctx), ...inode(ctx, 'hard'), ...ok },
      { type: 'create', op: 'symlink', path: `${ctx.dir}/sym`, target: '../some target', ...trig(ctx), ...inode(ctx, 'sym'), ...ok },
    ],
  },
  {
    name: 'a failed unlink (ENOENT) and a failed rmdir (ENOTEMPTY) carry the errno',
    families: ['unlink'],
    setup: () => `mkdir -p "$D/full/x"`,
    trigger: () => `"$T" unlink "$D/missing"; "$T" rmdir "$D/full"; true`,
    ordered: true,
    expect: (ctx) => [
      { type: 'unlink', op: 'unlink', path: `${ctx.dir}/missing`, ret: -2, last_link: false },
      { type: 'unlink', op: 'rmdir', path: `${ctx.dir}/full`, ret: -39, last_link: false },
    ],
  },
  {
    name: 'unlink on another mount (/dev/shm tmpfs): absolute path across mount points',
    families: ['unlink'],
    needs: ['/dev/shm'],
    setup: () => `mkdir -p /dev/shm/kw-$$; echo "shm=/dev/shm/kw-$$"; touch /dev/shm/kw-$$/a`,
    trigger: (ctx) => `cd ${need(ctx, 'shm')} && rm ./a && cd / && rmdir ${need(ctx, 'shm')}`,
    ordered: true,
    expect: (ctx) => [
      { type: 'unlink', op: 'unlink', path: `${need(ctx, 'shm')}/a`, cwd: need(ctx, 'shm'), ...ok },
      { type: 'unlink', op: 'rmdir', path: need(ctx, 'shm'), ...ok },
    ],
  },
  // ---- exec ----
  {
    name: 'relative exec: cd /bin && ./true reports the absolute exe',
    families: ['exec'],
    trigger: () => `cd /bin && ./true`,
    expect: (ctx) => [
      {
        type: 'exec',
        filename: './true',
        exe: exeOf('true'),
        argv: ['./true'],
        argv_truncated: false,
        interpreter: null,
        comm: 'true',
        ppid: ctx.rootPid,
        ancestors: parentIsRoot(ctx),
        ...ok,
      },
    ],
  },
  {
    name: 'fexecve and execveat with a dirfd',
    families: ['exec'],
    needs: ['/usr/bin/echo', '/bin/true'],
    trigger: () => `"$T" fexecve /bin/true true fexec\ncd / && "$T" execveat-dirfd /usr/bin ./echo echo hi`,
    ordered: true,
    expect: (ctx) => [
      { type: 'exec', filename: ctx.trigger, exe: ctx.trigger, argv: [ctx.trigger, 'fexecve', '/bin/true', 'true', 'fexec'], ...ok },
      // comm is the kernel's: the file's name where it names fexecve'd processes after the file
      // (here, Debian 6.1+), the fd number from "/dev/fd/3" on older kernels (Debian 5.10)
      { type: 'exec', exe: exeOf('true'), argv: ['true', 'fexec'], comm: /^(true|\d+)$/, interpreter: null, ...ok },
      { type: 'exec', filename: ctx.trigger, exe: ctx.trigger, ...ok },
      { type: 'exec', filename: './echo', exe: exeOf('echo'), argv: ['echo', 'hi'], comm: 'echo', ...ok },
    ],
  },
  {
    name: 'failed execs: ENOENT and EACCES carry the errno and the filename',
    families: ['exec'],
    setup: () => `printf '#!/bin/sh\\nexit 0\\n' > "$D/noexec"; chmod 644 "$D/noexec"`,
    trigger: () => `"$T" exec "$D/missing"; "$T" exec "$D/noexec"; true`,
    ordered: true,
    expect: (ctx) => [
      { type: 'exec', filename: ctx.trigger, exe: ctx.trigger, ...ok },
      { type: 'exec', filename: `${ctx.dir}/missing`, argv: [`${ctx.dir}/missing`], ret: -2, comm: 'kw-trigger' },
      { type: 'exec', filename: ctx.trigger, exe: ctx.trigger, ...ok },
      { type: 'exec', filename: `${ctx.dir}/noexec`, argv: [`${ctx.dir}/noexec`], ret: -13, comm: 'kw-trigger' },
    ],
  },
  {
    name: 'a shebang script reports its interpreter',
    families: ['exec'],
    setup: () => `printf '#!/bin/sh\\nexit 0\\n' > "$D/script.sh"; chmod 755 "$D/script.sh"`,
    trigger: () => `"$D/script.sh" arg1`,
    expect: (ctx) => [
      {
        type: 'exec',
        filename: `${ctx.dir}/script.sh`,
        // the file that really ran: dash on Debian, busybox where /bin/sh links to it (test/vm guests)
        interpreter: /^\/(usr\/)?bin\/((da)?sh|busybox)$/,
        exe: pred('the script or its interpreter, absolute', (v) => v === `${ctx.dir}/script.sh` || (typeof v === 'string' && /^\/(usr\/)?bin\/(da|ba|busybox)?sh$|busybox$/.test(v))),
        argv: pred('argv with the script path and arg1 last', (v) => Array.isArray(v) && v.includes(`${ctx.dir}/script.sh`) && v[v.length - 1] === 'arg1'),
        ...ok,
      },
    ],
  },
  {
    name: 'a #! script run through a symlink (npm -> npm-cli.js): exe is the script the kernel ran, filename what was passed',
    families: ['exec'],
    setup: () => `mkdir -p "$D/lib/tool" "$D/bin"; printf '#!/bin/sh\nexit 0\n' > "$D/lib/tool/cli.sh"; chmod 755 "$D/lib/tool/cli.sh"; ln -s ../lib/tool/cli.sh "$D/bin/tool"`,
    trigger: () => `"$D/bin/tool" arg1 && cd "$D/bin" && ./tool arg2`,
    ordered: true,
    expect: (ctx) =>
      ['arg1', 'arg2'].map((a, i) => ({
        type: 'exec',
        filename: i === 0 ? `${ctx.dir}/bin/tool` : './tool',
        exe: `${ctx.dir}/lib/tool/cli.sh`,
        interpreter: /^\/(usr\/)?bin\/((da)?sh|busybox)$/,
        argv: pred(`argv ending in ${a}`, (v) => Array.isArray(v) && v[v.length - 1] === a),
        ...ok,
      })),
  },
  {
    name: 'exit events: exit code, signal, duration',
    families: ['exec'],
    types: ['exec', 'exit'],
    // kill sleep only once it sleeps: its exec is over (the comm changes inside execve, before the
    // exec completes: a SIGKILL then fails the exec with EFAULT, a different, truthful event) and it
    // waits in its nanosleep (state S; an exec in progress runs or waits uninterruptibly).
    // Read with builtins only.
    trigger: () => `/bin/sh -c 'exit 3'\n/bin/sleep 5 & p=$!\nfor ((i = 0; i < 100000; i++)); do read -r c < /proc/$p/comm; read -r st < /proc/$p/stat; s=\${st##*) }; [ "$c" = sleep ] && [ "\${s%% *}" = S ] && break; done\nkill -9 $p; wait $p; true`,
    expect: () => [
      { type: 'exec', filename: '/bin/sh', ...ok },
      { type: 'exit', comm: /sh$/, exit_code: 3, signal: 0, duration_ns: positive },
      { type: 'exec', filename: '/bin/sleep', ...ok },
      { type: 'exit', comm: 'sleep', signal: 9, duration_ns: positive },
    ],
  },
  {
    name: 'argv: 3 KiB complete, 100 KiB truncated',
    families: ['exec'],
    trigger: () => `/bin/true $(printf 'a%.0s' $(seq 1 3000))\n/bin/true $(for i in $(seq 1 1000); do printf '%0100d ' $i; done)`,
    expect: () => [
      { type: 'exec', filename: /\/seq$/, ...ok },
      { type: 'exec', filename: '/bin/true', argv: ['/bin/true', 'a'.repeat(3000)], argv_truncated: false, ...ok },
      { type: 'exec', filename: /\/seq$/, ...ok },
      {
        type: 'exec',
        filename: '/bin/true',
        argv_truncated: true,
        argv: pred('a prefix of the 1000 args, at least 4 KiB', (v) => {
          if (!Array.isArray(v) || v[0] !== '/bin/true') return false;
          const args = v.slice(1) as string[];
          const full = Array.from({ length: 1000 }, (_, i) => String(i + 1).padStart(100, '0'));
          const joined = args.join(' ');
          return joined.length >= 4000 && full.join(' ').startsWith(joined.replace(/ [^ ]*$/, '')) && args.length < 1000;
        }),
        ...ok,
      },
    ],
  },
  {
    name: '1,000 short-lived /bin/true: 1,000 exec and 1,000 exit events',
    families: ['exec'],
    types: ['exec', 'exit'],
    timeoutMs: 30000,
    trigger: () => `for ((i = 0; i < 1000; i++)); do /bin/true; done`,
    expect: () => [
      ...Array.from({ length: 1000 }, () => ({ type: 'exec', filename: '/bin/true', exe: exeOf('true'), argv: ['/bin/true'], comm: 'true', ...ok })),
      ...Array.from({ length: 1000 }, () => ({ type: 'exit', comm: 'true', exit_code: 0, signal: 0 })),
    ],
    check: (events) => {
      const execPids = new Set(events.filter((e) => e.type === 'exec').map((e) => e.pid));
      const exitPids = new Set(events.filter((e) => e.type === 'exit').map((e) => e.pid));
      const p: string[] = [];
      if (execPids.size !== 1000) p.push(`${execPids.size} distinct exec pids, want 1000`);
      for (const pid of exitPids) if (!execPids.has(pid)) p.push(`exit of pid ${pid} without its exec`);
      return p.slice(0, 5);
    },
  },
  // ---- process context ----
  {
    name: 'a process in a freshly made cgroup reports its cgroup v2 path',
    families: ['unlink'],
    needs: ['cgroup2'],
    scope: 'dir',
    setup: () => `touch "$D/a" "$D/b"`,
    trigger: () =>
      [
        `cg=kw-test-$$-$RANDOM; mkdir "$CG2/$cg"; echo "cg=/$cg"`,
        `(echo $BASHPID > "$CG2/$cg/cgroup.procs" && exec "$T" unlink "$D/a")`,
        `"$T" unlink "$D/b"`,
        `for i in 1 2 3 4 5 6 7 8 9 10; do rmdir "$CG2/$cg" 2>/dev/null && break; sleep 0.1; done`,
      ].join('\n'),
    ordered: true,
    expect: (ctx) => [
      { type: 'unlink', path: `${ctx.dir}/a`, cgroup: need(ctx, 'cg'), container: null, ...ok },
      { type: 'unlink', path: `${ctx.dir}/b`, cgroup: pred(`not ${need(ctx, 'cg')}`, (v) => typeof v === 'string' && v !== need(ctx, 'cg')), ...ok },
    ],
  },
  {
    name: 'ancestry is kept for a parent that already exited',
    families: ['unlink'],
    scope: 'dir',
    setup: () => `touch "$D/a"`,
    trigger: () => `"$T" orphan "$D/a"\nfor i in $(seq 1 100); do [ -e "$D/a" ] || break; sleep 0.05; done`,
    expect: (ctx) => [
      {
        type: 'unlink',
        path: `${ctx.dir}/a`,
        pid: Number(need(ctx, 'child')),
        comm: 'kw-trigger',
        ancestors: startsWith([
          { pid: Number(need(ctx, 'parent')), comm: 'kw-trigger', exe: ctx.trigger },
          { pid: ctx.rootPid, comm: 'bash' },
        ]),
        ...ok,
      },
    ],
  },
  {
    name: 'command lines: the acting process, its ancestors, and a process from before the trace',
    families: ['unlink'],
    scope: 'dir',
    // started before the agent: its command line comes from /proc, read when the agent starts
    setup: () => `touch "$D/a" "$D/pre"\n"$T" unlink-after "$D/go" "$D/pre" < /dev/null > "$D/pre.out" 2>&1 &\nfor i in $(seq 1 100); do [ -s "$D/pre.out" ] && break; sleep 0.02; done`,
    // "; true": a shell may exec its last simple command in place (bash and busybox do), leaving no sh ancestor
    trigger: () => `sh -c "\\"$T\\" unlink \\"$D/a\\"; true"\ntouch "$D/go"\nfor i in $(seq 1 200); do [ -e "$D/pre" ] || break; sleep 0.05; done`,
    expect: (ctx) => [
      {
        type: 'unlink',
        path: `${ctx.dir}/a`,
        cmdline: [ctx.trigger, 'unlink', `${ctx.dir}/a`],
        ancestors: startsWith([{ comm: 'sh', cmdline: ['sh', '-c', `"${ctx.trigger}" unlink "${ctx.dir}/a"; true`] }, { pid: ctx.rootPid, comm: 'bash' }]),
        ...ok,
      },
      { type: 'unlink', path: `${ctx.dir}/pre`, comm: 'kw-trigger', cmdline: [ctx.trigger, 'unlink-after', `${ctx.dir}/go`, `${ctx.dir}/pre`], ...ok },
    ],
    check: (events) => events.filter((e) => e.cmdline_truncated).map((e) => `${e.type} ${'path' in e ? e.path : ''}: cmdline_truncated set`),
  },
  {
    name: 'ancestors: 8 levels (7 nested shells, then the trigger shell)',
    families: ['unlink'],
    setup: () => `touch "$D/a"`,
    trigger: () => {
      let script = `"$T" unlink "$D/a"; true`;
      for (let i = 0; i < 7; i++) script = `bash -c ${shq(script)}; true`;
      return `export D T\n${script}`;
    },
    expect: (ctx) => [
      {
        type: 'unlink',
        path: `${ctx.dir}/a`,
        ...trig(ctx),
        ancestors: startsWith([...Array.from({ length: 7 }, () => ({ comm: 'bash', exe: exeOf('bash'), pid: positive })), { pid: ctx.rootPid, comm: 'bash' }]),
        ...ok,
      },
    ],
  },
  {
    name: 'hostile names survive byte for byte (newline, ESC, <script>, invalid UTF-8, 255 bytes)',
    families: ['unlink', 'create'],
    trigger: () => HOSTILE_NAMES.map((n) => `"$T" creat-hex "$(printf %s "$D/" | od -An -tx1 | tr -d ' \\n')${hex(n.bytes)}" && "$T" unlink-hex "$(printf %s "$D/" | od -An -tx1 | tr -d ' \\n')${hex(n.bytes)}"`).join('\n'),
    ordered: true,
    expect: (ctx) =>
      HOSTILE_NAMES.flatMap((n) => {
        const full = Buffer.concat([Buffer.from(`${ctx.dir}/`), Buffer.from(n.bytes)]);
        const valid = Buffer.from(full.toString('utf8'), 'utf8').equals(full);
        const pathWant = valid ? { path: full.toString('utf8'), path_b64: undefined } : { path: /\ufffd/, path_b64: full.toString('base64') };
        return [
          { type: 'create', op: 'open', $self: bytesOf('path', full), ...pathWant, ...ok },
          { type: 'unlink', op: 'unlink', $self: bytesOf('path', full), ...pathWant, last_link: true, ...ok },
        ];
      }),
  },
  // ---- filters (in the kernel): scope 'all' = every event the agent delivered counts ----
  {
    name: 'filter --path-prefix (two prefixes; siblings and look-alike dirs excluded)',
    families: ['unlink', 'create'],
    scope: 'all',
    args: (ctx) => ['--path-prefix', `${ctx.dir}/in/`, '--path-prefix', `${ctx.dir}/in2/`],
    setup: () => `mkdir -p "$D/in/sub" "$D/in2" "$D/out" "$D/inx"; touch "$D/in/a" "$D/in/sub/b" "$D/in2/c" "$D/out/d" "$D/inx/e"`,
    trigger: () => `rm -r "$D/in/sub" "$D/in2/c" "$D/out/d" "$D/inx/e"; cd "$D/in" && rm a && touch new && mkdir "$D/out/nd"`,
    expect: (ctx) => [
      { type: 'unlink', op: 'unlink', path: `${ctx.dir}/in/sub/b`, ...ok },
      { type: 'unlink', op: 'rmdir', path: `${ctx.dir}/in/sub`, ...ok },
      { type: 'unlink', op: 'unlink', path: `${ctx.dir}/in2/c`, ...ok },
      { type: 'unlink', op: 'unlink', path: `${ctx.dir}/in/a`, ...ok },
      { type: 'create', op: 'open', path: `${ctx.dir}/in/new`, comm: 'touch', ...ok },
    ],
  },
  {
    name: 'filter --path-glob (the kernel narrows to the fixed dir, the agent matches; a matched dir counts with its contents)',
    families: ['unlink', 'create'],
    scope: 'all',
    args: (ctx) => ['--path-glob', `${ctx.dir}/pods/*/vol/*.img`],
    setup: () =>
      `mkdir -p "$D/pods/a/vol/sub" "$D/pods/b/vol/x.img" "$D/pods/c/other"; touch "$D/pods/a/vol/disk.img" "$D/pods/a/vol/disk.txt" "$D/pods/c/other/disk.img" "$D/pods/b/vol/x.img/inner" "$D/pods/a/vol/sub/deep.img" "$D/out.img"`,
    trigger: () =>
      `rm "$D/pods/a/vol/disk.img" "$D/pods/a/vol/disk.txt" "$D/pods/c/other/disk.img" "$D/pods/b/vol/x.img/inner" "$D/pods/a/vol/sub/deep.img" "$D/out.img"; touch "$D/pods/b/vol/new.img" "$D/pods/b/vol/new.txt"`,
    expect: (ctx) => [
      { type: 'unlink', op: 'unlink', path: `${ctx.dir}/pods/a/vol/disk.img`, ...ok },
      { type: 'unlink', op: 'unlink', path: `${ctx.dir}/pods/b/vol/x.img/inner`, ...ok },
      { type: 'create', op: 'open', path: `${ctx.dir}/pods/b/vol/new.img`, comm: 'touch', ...ok },
    ],
  },
  {
    name: 'filter --pid (only that process)',
    families: ['unlink'],
    scope: 'all',
    setup: () => `touch "$D/a" "$D/b"\n"$T" unlink-after "$D/go" "$D/a" > "$D/bg.out" 2>&1 < /dev/null &\nfor i in $(seq 1 100); do [ -s "$D/bg.out" ] && break; sleep 0.02; done; cat "$D/bg.out"`,
    args: (ctx) => ['--pid', need(ctx, 'pid')],
    trigger: () => `rm "$D/b"; touch "$D/go"; for i in $(seq 1 200); do [ -e "$D/a" ] || break; sleep 0.02; done`,
    expect: (ctx) => [{ type: 'unlink', path: `${ctx.dir}/a`, pid: Number(need(ctx, 'pid')), comm: 'kw-trigger', ...ok }],
  },
  {
    name: 'filter --comm (only processes of that name)',
    families: ['unlink'],
    scope: 'all',
    setup: () => `cp "$T" "$D/kwcommx"; touch "$D/a" "$D/b"`,
    args: () => ['--comm', 'kwcommx'],
    trigger: () => `rm "$D/a"; "$D/kwcommx" unlink "$D/b"`,
    expect: (ctx) => [{ type: 'unlink', path: `${ctx.dir}/b`, comm: 'kwcommx', exe: `${ctx.dir}/kwcommx`, ...ok }],
  },
  {
    name: 'filter --uid (only that user)',
    families: ['unlink'],
    scope: 'dir',
    setup: () => `cp "$T" "$D/trig"; chmod 755 "$D/trig"; touch "$D/a" "$D/b"`,
    args: () => ['--uid', '65534'],
    trigger: () => `rm "$D/a"; "$D/trig" asuid 65534 "$D/trig" unlink "$D/b"`,
    expect: (ctx) => [{ type: 'unlink', path: `${ctx.dir}/b`, uid: 65534, gid: 65534, ...ok }],
  },
  {
    name: 'filter --failed-only',
    families: ['unlink'],
    setup: () => `touch "$D/a"`,
    args: () => ['--failed-only'],
    trigger: () => `rm "$D/a"; "$T" unlink "$D/nope"; true`,
    expect: (ctx) => [{ type: 'unlink', path: `${ctx.dir}/nope`, ret: -2 }],
  },
  {
    name: 'filter --cgroup (only processes in that cgroup)',
    families: ['unlink'],
    needs: ['cgroup2'],
    scope: 'all',
    setup: () => `cg=kw-filt-$$-$RANDOM; mkdir "$CG2/$cg"; echo "cg=/$cg"; touch "$D/a" "$D/b"`,
    args: (ctx) => ['--cgroup', need(ctx, 'cg')],
    trigger: (ctx) =>
      [
        `(echo $BASHPID > "$CG2${need(ctx, 'cg')}/cgroup.procs" && exec "$T" unlink "$D/a")`,
        `"$T" unlink "$D/b"`,
        `for i in 1 2 3 4 5 6 7 8 9 10; do rmdir "$CG2${need(ctx, 'cg')}" 2>/dev/null && break; sleep 0.1; done`,
      ].join('\n'),
    expect: (ctx) => [{ type: 'unlink', path: `${ctx.dir}/a`, cgroup: need(ctx, 'cg'), ...ok }],
  },
  {
    name: 'lost events with a tiny ring buffer: lost + delivered = expected, exactly',
    families: ['unlink'],
    scope: 'all',
    allowLost: true,
    timeoutMs: 20000,
    setup: () => `"$T" mkfiles "$D" 20000 >/dev/null`,
    args: (ctx) => ['--path-prefix', `${ctx.dir}/`, '--ringbuf-kb', '64'], // the smallest it takes
    // the agents are stopped while the storm runs, so the ring fills on any machine, loaded or not
    trigger: () => withAgentsStopped(`"$T" unlink-many "$D" 20000`),
    check: (events, ctx, run) => {
      const p: string[] = [];
      const delivered = events.filter((e: KwEvent) => e.type === 'unlink' && e.path.startsWith(`${ctx.dir}/f`)).length;
      if (delivered + run.lostTotal !== 20000) p.push(`delivered ${delivered} + lost ${run.lostTotal} = ${delivered + run.lostTotal}, want 20000`);
      if (run.lostTotal === 0) p.push('nothing was lost although the agent did not read its 64 KiB ring during 20,000 unlinks');
      const sum = run.lostRecords.reduce((s, r) => s + r.count, 0);
      if (sum !== run.lostTotal) p.push(`lost counts add up to ${sum}, last total says ${run.lostTotal}`);
      return p;
    },
  },
  {
    name: "lost counts only matching events: drops the path filter could not judge are counted apart",
    families: ['unlink'],
    scope: 'all',
    allowLost: true,
    timeoutMs: 20000,
    setup: () => `mkdir "$D/in" "$D/out"; "$T" mkfiles "$D/in" 5000 >/dev/null; "$T" mkfiles "$D/out" 100 >/dev/null`,
    args: (ctx) => ['--path-prefix', `${ctx.dir}/in`, '--ringbuf-kb', '64'],
    // './gN' outside the prefix: the kernel cannot rule a '.' component out, user space would.
    // Names of no file (ENOENT): a removed file's name would come from its dentry, which the
    // kernel judges itself (the 'judged on what the kernel removed' case)
    trigger: () =>
      withAgentsStopped(`"$T" unlink-many "$D/in" 5000\ncd "$D/out" && for i in $(seq 0 99); do "$T" unlink ./g$i >/dev/null; done`),
    allowFail: true,
    check: (events, ctx, run) => {
      const p: string[] = [];
      const delivered = events.filter((e: KwEvent) => e.type === 'unlink' && e.path.startsWith(`${ctx.dir}/in/f`)).length;
      const outside = events.filter((e: KwEvent) => e.type === 'unlink' && !e.path.startsWith(`${ctx.dir}/in/`));
      if (outside.length) p.push(`${outside.length} events outside the prefix delivered, e.g. ${outside[0].type === 'unlink' ? outside[0].path : ''}`);
      if (delivered + run.lostTotal !== 5000) p.push(`delivered ${delivered} + lost ${run.lostTotal} = ${delivered + run.lostTotal}, want 5000`);
      if (run.lostTotal === 0) p.push('nothing was lost although the agent did not read its ring');
      if (run.unjudgedTotal < 100) p.push(`unjudged ${run.unjudgedTotal}: the 100 './g' unlinks outside the prefix were dropped with a full ring and must be counted apart`);
      return p;
    },
  },
  // ---- write (opens for writing): write-cases.ts ----
  ...WRITE_CASES,
  ...NAMESPACE_CASES,
  ...STACK_CASES,
  ...FUNC_CASES,
];

/**
 * Runs `script` while this case's agents are stopped (SIGSTOP): they read nothing from their ring
 * buffer meanwhile, so a storm overflows it deterministically, however fast or loaded the machine.
 * The agents are found by their --path-prefix argument, which names this case's directory (a scan
 * of /proc: the guests' busybox has no pgrep). This shell's own command line holds the script with
 * "$D" unexpanded, so it never matches.
 */
function withAgentsStopped(script: string): string {
  const agents = `$(for p in /proc/[0-9]*; do case "$(tr '\\0' ' ' < $p/cmdline 2>/dev/null)" in *"path-prefix $D/"*) echo \${p#/proc/};; esac; done)`;
  return [
    `agents=${agents}; [ -n "$agents" ] || { echo "no agent runs with --path-prefix $D/" >&2; exit 1; }`,
    `kill -STOP $agents`,
    `( ${script} ); rc=$?`,
    `kill -CONT $agents`,
    `exit $rc`,
  ].join('\n');
}
