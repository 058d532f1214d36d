// The `trace func:NAME` cases (issue 13, "Any kernel function, by name"): calls of kernel
// functions named on the command line, arguments read by their BTF types, the return value and
// the duration, --where run in the kernel. They need fentry or kprobe (modes), so this machine's
// kernel (neither) skips them and test/vm runs them in every guest in both modes and auto.
import type { KwEvent } from '../../src/core/events';
import type { AgentCase, CaseContext } from './suite';

type Obj = Record<string, unknown>;
const args = (e: KwEvent): Obj => ((e as unknown as { args?: Obj }).args ?? {});
const field = (e: KwEvent, k: string): unknown => (e as unknown as Obj)[k];

/** The attach mode the call came through: the forced one, or under auto the best one (fentry). */
function modeChecks(e: KwEvent, ctx: CaseContext): string[] {
  const p: string[] = [];
  const attach = field(e, 'attach');
  if (ctx.mode !== 'auto' && attach !== ctx.mode) p.push(`attach ${String(attach)}, asked for ${ctx.mode}`);
  if (field(e, 'probe') !== `${String(attach)}:${String(field(e, 'func'))}`) p.push(`probe ${String(field(e, 'probe'))} is not attach:func`);
  const d = field(e, 'duration_ns');
  if (typeof d !== 'number' || d <= 0) p.push(`duration_ns ${String(d)}`);
  return p;
}

// the io_uring-era names changed in 7.0 (filename_unlinkat); either is asked for as do_unlinkat
const UNLINKAT = /^(do_unlinkat|filename_unlinkat)$/;

/**
 * A func case: calls only, in fentry and kprobe mode (auto picks one of them), json and wire side
 * by side (this machine's kernel runs neither mode, so the guests prove their parity), the
 * duration left out of it (each agent times the call with its own programs).
 */
function funcCase(c: Omit<AgentCase, 'families' | 'types' | 'formats' | 'modes'>): AgentCase {
  return { families: [], types: ['call'], formats: ['json', 'wire'], modes: ['fentry', 'kprobe'], ...c, parityIgnore: ['duration_ns', ...(c.parityIgnore ?? [])] };
}

export const FUNC_CASES: AgentCase[] = [
  funcCase({
    name: 'func: vfs_unlink names the removed file from its dentry, ret 0',
    funcs: ['vfs_unlink'],
    setup: () => `mkdir "$D/vol"\necho data > "$D/vol/disk.img"`,
    trigger: () => `rm "$D/vol/disk.img"`,
    expect: () => [{ type: 'call', func: 'vfs_unlink', ret: 0, comm: 'rm' }],
    check: (events, ctx) => {
      const e = events[0];
      if (!e) return ['no call'];
      const a = args(e);
      const d = a.dentry as Obj | undefined;
      const dir = a.dir as Obj | undefined;
      const p = modeChecks(e, ctx);
      if (d?.name !== 'disk.img') p.push(`dentry.name ${JSON.stringify(d?.name)}`);
      if (d?.path !== `${ctx.dir}/vol/disk.img`) p.push(`dentry.path ${JSON.stringify(d?.path)}, not ${ctx.dir}/vol/disk.img`);
      if (typeof d?.ino !== 'number' || !(d.ino as number)) p.push(`dentry.ino ${JSON.stringify(d?.ino)}`);
      if (typeof dir?.ino !== 'number' || dir?.mode !== '040755') p.push(`dir ${JSON.stringify(dir)} (an inode: ino, mode 040755)`);
      const types = field(e, 'arg_types') as Obj | undefined;
      if (types?.dentry !== 'struct dentry *' || types?.dir !== 'struct inode *') p.push(`arg_types ${JSON.stringify(types)}`);
      if (field(e, 'ret_type') !== 'int') p.push(`ret_type ${String(field(e, 'ret_type'))}`);
      return p;
    },
  }),
  funcCase({
    name: 'func: do_unlinkat (7.x: filename_unlinkat) of a missing file returns -2 with the name',
    funcs: ['do_unlinkat'],
    allowFail: true,
    trigger: () => `rm "$D/missing.img"`,
    expect: () => [{ type: 'call', func: UNLINKAT, ret: -2, comm: 'rm' }],
    check: (events, ctx) => {
      const e = events[0];
      if (!e) return ['no call'];
      const p = modeChecks(e, ctx);
      const n = args(e).name as Obj | undefined;
      if (n?.name !== `${ctx.dir}/missing.img`) p.push(`name.name ${JSON.stringify(n?.name)}: the kernel's copy of the caller's name`);
      if (args(e).dfd !== -100) p.push(`dfd ${JSON.stringify(args(e).dfd)}, not AT_FDCWD (-100)`);
      const ready = (ctx.ready?.probes ?? []).filter((x) => (x.family as string) === 'func');
      if (ready.length !== 1 || !UNLINKAT.test(ready[0].probe.replace(/^\w+:/, ''))) p.push(`ready func probes ${JSON.stringify(ready)}`);
      return p;
    },
  }),
  funcCase({
    name: 'func: --where on a name and on ret runs in the kernel: only the matching calls come',
    funcs: ['vfs_unlink', 'do_unlinkat'],
    args: () => ['--where', 'dentry == "keep.me"', '--where', 'ret < 0'],
    allowFail: true,
    setup: () => `echo a > "$D/other.txt"\necho b > "$D/keep.me"`,
    // every call of vfs_unlink but keep.me's, and every do_unlinkat that succeeded, is dropped;
    // vfs_unlink has a dentry and returns 0 here, so `ret < 0` drops it too: no vfs_unlink call
    trigger: () => `rm "$D/other.txt"\nrm "$D/keep.me"\nrm "$D/never-was"`,
    expect: (ctx) => [{ type: 'call', func: UNLINKAT, ret: -2, args: { name: { name: `${ctx.dir}/never-was` } } }],
  }),
  funcCase({
    name: 'func: --where on a dentry name alone keeps that call only, ret 0',
    funcs: ['vfs_unlink'],
    args: () => ['--where', 'dentry == "keep.me"'],
    setup: () => `echo a > "$D/other.txt"\necho b > "$D/keep.me"`,
    trigger: () => `rm "$D/other.txt" "$D/keep.me"`,
    expect: (ctx) => [{ type: 'call', func: 'vfs_unlink', ret: 0, args: { dentry: { name: 'keep.me', path: `${ctx.dir}/keep.me` } } }],
  }),
  funcCase({
    name: 'func: --stacks on a call: the kernel path into vfs_unlink and the C chain above it',
    funcs: ['vfs_unlink'],
    args: () => ['--stacks', 'kernel,user'],
    setup: () => `echo data > "$D/disk.img"`,
    // the victim stays 1.5 s: a call's user frames are named from /proc/PID/maps (no bpf_find_vma
    // in these programs: its callback keeps them from loading before 5.13)
    trigger: () => `"\${T%/*}/kw-stack-victim" "$D/disk.img" 1500`,
    expect: () => [{ type: 'call', func: 'vfs_unlink', ret: 0, comm: 'kw-stack-victim' }],
    check: (events, ctx) => {
      const e = events[0];
      if (!e) return ['no call'];
      const k = (e.kstack ?? []).map((f) => f.sym ?? f.addr);
      // 5.10's unwinder loses the frames above a kprobe's function and hands over one stray
      // address (the documented limit of --stacks there, docs/stacks.md): the function itself only
      const shortKprobe = field(e, 'attach') === 'kprobe' && /^5\.10\./.test(ctx.ready?.kernel ?? '');
      const u = (e.ustack ?? []).map((f) => f.sym ?? f.addr);
      const p: string[] = [];
      // a kprobe's (and older trampolines') return address is inside the probed function itself;
      // newer kernels unwind a trampoline from the caller, which then comes first
      if (k[0] !== 'vfs_unlink' && !UNLINKAT.test(k[0] ?? '')) p.push(`kstack starts at ${k[0]}, not vfs_unlink or its caller: [${k.join(' < ')}]`);
      if (!shortKprobe && !k.some((s) => UNLINKAT.test(s))) p.push(`kstack has no do_unlinkat/filename_unlinkat: [${k.join(' < ')}]`);
      const at = (s: string) => u.indexOf(s);
      if (at('cleanup_volume') < 0 || at('main') < at('cleanup_volume')) p.push(`ustack has no cleanup_volume < main: [${u.join(' < ')}]`);
      if (!/unlink/.test(u[0] ?? '')) p.push(`ustack starts at ${u[0]}, not in unlink: [${u.join(' < ')}]`);
      return p;
    },
  }),
  funcCase({
    name: "func: a module's function by name (loop's lo_ioctl): losetup attaches and detaches a file",
    funcs: ['lo_ioctl'],
    // the module's own BTF (5.10's Debian kernel has none: there `funcs` lists no loop function)
    needs: ['/sys/kernel/btf/loop', 'losetup', '/dev/loop7'],
    setup: () => `dd if=/dev/zero of="$D/img" bs=1024 count=64 2>/dev/null`,
    trigger: () => `losetup /dev/loop7 "$D/img"\nlosetup -d /dev/loop7`,
    check: (events, ctx) => {
      const cmds = events.filter((e) => field(e, 'func') === 'lo_ioctl' && field(e, 'ret') === 0).map((e) => args(e).cmd);
      const p: string[] = [];
      // LOOP_SET_FD 0x4c00 (or LOOP_CONFIGURE 0x4c0a), LOOP_CLR_FD 0x4c01
      if (!cmds.includes(0x4c00) && !cmds.includes(0x4c0a)) p.push(`no lo_ioctl LOOP_SET_FD/LOOP_CONFIGURE returning 0: cmds ${JSON.stringify(cmds)}`);
      if (!cmds.includes(0x4c01)) p.push(`no lo_ioctl LOOP_CLR_FD returning 0: cmds ${JSON.stringify(cmds)}`);
      if (events[0]) p.push(...modeChecks(events[0], ctx));
      const t = (events[0] ? field(events[0], 'arg_types') : {}) as Obj;
      if (t?.cmd !== 'unsigned int') p.push(`cmd's type ${JSON.stringify(t?.cmd)}, not unsigned int (from the module's BTF)`);
      return p;
    },
  }),
];
