// The --stacks cases (issue 13, "Stacks"): the call's kernel and user stacks, named on the target.
// Victims (test/agent/trigger/): kw-stack-victim, static C with frame pointers, deletes through
// main -> cleanup_volume -> delete_it -> unlink; kw-stack-victim-go, a stripped Go program, through
// main.main -> main.cleanupVolume -> main.deleteIt -> os.Remove (only .gopclntab names it).
// They sit next to kw-trigger ($T) on every target (test/vm copies them into the guests).
//
// A victim exits right after its unlink. Where the kernel ties each user frame to its file at the
// call (ready: stacks mode "vma", bpf_find_vma, 5.17+), that is the proof that short-lived
// processes are named. Older kernels ("maps") are named from /proc/PID/maps when the record is
// read, so there the victim stays alive a moment (LINGER_MS) — the documented limit of that mode.
import type { KwEvent } from '../../src/core/events';
import type { AgentCase, CaseContext } from './suite';

const VICTIM = '"${T%/*}/kw-stack-victim"'; // no dirname: an exec of its own would count
const VICTIM_GO = '"${T%/*}/kw-stack-victim-go"';

function stackMode(ctx: CaseContext): string | undefined {
  return (ctx.ready?.probes ?? []).find((p) => (p.family as string) === 'stacks')?.mode;
}

/** How long a victim stays after its unlink: 0 where frames are tied to files in the kernel. */
const linger = (ctx: CaseContext): number => (stackMode(ctx) === 'vma' ? 0 : 1500);

const syms = (frames: { sym?: string; addr: string }[] | undefined): string[] => (frames ?? []).map((f) => f.sym ?? f.addr);

/** Problems unless `want` appears in `got` in this order (other frames may come between). */
function inOrder(what: string, got: string[], want: (string | RegExp)[]): string[] {
  let at = 0;
  for (const w of want) {
    const i = got.findIndex((g, k) => k >= at && (typeof w === 'string' ? g === w : w.test(g)));
    if (i < 0) return [`${what}: no ${String(w)} after frame ${at} in [${got.join(' < ')}]`];
    at = i + 1;
  }
  return [];
}

/** The frames of the call inside the kernel: the VFS where a hook inside the call deepened the stack. */
function kernelChecks(e: KwEvent, ctx: CaseContext, deep: string): string[] {
  const k = syms(e.kstack);
  const p: string[] = [];
  if (e.kstack_error !== undefined) p.push(`kstack_error ${e.kstack_error}`);
  if (!k.length) return [...p, 'kstack is empty'];
  // every stack ends in the system call's entry; a kprobe's on 5.10 stops earlier (its unwinder
  // loses the frames above do_unlinkat and hands over one stray address), so there the call's own
  // frames must be there instead
  const entry = ctx.mode === 'kprobe' ? /^(do_unlinkat|filename_unlinkat)$/ : /^(do_syscall_64|entry_SYSCALL_64.*|el0_svc.*|invoke_syscall)$/;
  if (!k.some((s) => entry.test(s))) p.push(`kstack has no ${entry.source}: [${k.join(' < ')}]`);
  // the tracer's own frames (the BPF program, the tracepoint/kprobe machinery) are dropped
  if (/^(bpf_|__bpf_|trace_call_bpf|kprobe_)/.test(k[0])) p.push(`kstack starts with the tracer's frame ${k[0]}`);
  const hooked = (ctx.ready?.probes ?? []).some((x) => x.family === 'unlink' && (x.mode === 'fentry' || x.mode === 'kprobe'));
  if ((hooked || /^ext[234]/.test(ctx.vars.fstype ?? '')) && !k.includes(deep)) p.push(`kstack has no ${deep} (a hook inside the call should deepen it): [${k.join(' < ')}]`);
  return p;
}

export const STACK_CASES: AgentCase[] = [
  {
    name: 'stacks: a C chain main > cleanup_volume > delete_it > unlink, by name',
    families: ['unlink'],
    args: () => ['--stacks', 'kernel,user'],
    setup: () => `echo data > "$D/disk.img"\necho "fstype=$(stat -f -c %T "$D")"`,
    trigger: (ctx) => `${VICTIM} "$D/disk.img" ${linger(ctx)}`,
    expect: (ctx) => [{ type: 'unlink', op: 'unlink', path: `${ctx.dir}/disk.img`, comm: 'kw-stack-victim', ret: 0 }],
    check: (events, ctx) => {
      const e = events[0];
      if (!e) return ['no event'];
      const u = syms(e.ustack);
      const p = [
        ...kernelChecks(e, ctx, 'vfs_unlink'),
        ...inOrder('ustack', u, [/unlink/, 'delete_it', 'cleanup_volume', 'main']),
      ];
      if (e.ustack_error !== undefined) p.push(`ustack_error ${e.ustack_error}`);
      const f = (e.ustack ?? []).find((x) => x.sym === 'cleanup_volume');
      if (f && !(f.file ?? '').endsWith('/kw-stack-victim')) p.push(`cleanup_volume's file is ${f.file}`);
      if (f && typeof f.file_off !== 'number') p.push('cleanup_volume has no file_off');
      // the wrapper keeps no frame: delete_it is the return address found at the stack pointer
      const d = (e.ustack ?? []).find((x) => x.sym === 'delete_it');
      if (d && !d.inferred) p.push('delete_it is not marked inferred (the frame pointer walk cannot see it)');
      if (!/^[0-9a-f]{40}$/.test(f?.build_id ?? '')) p.push(`build_id ${f?.build_id}`);
      return p;
    },
  },
  {
    name: 'stacks: a stripped Go program names its frames from .gopclntab, with file:line',
    families: ['unlink'],
    args: () => ['--stacks', 'user'],
    setup: () => `echo data > "$D/volume.raw"`,
    trigger: (ctx) => `${VICTIM_GO} "$D/volume.raw" ${linger(ctx)}`,
    expect: (ctx) => [{ type: 'unlink', path: `${ctx.dir}/volume.raw`, ret: 0 }],
    check: (events) => {
      const e = events[0];
      if (!e) return ['no event'];
      const p = inOrder('ustack', syms(e.ustack), ['os.Remove', 'main.deleteIt', 'main.cleanupVolume', 'main.main']);
      const d = (e.ustack ?? []).find((x) => x.sym === 'main.deleteIt');
      if (d && !(d.src?.endsWith('main.go') && (d.line ?? 0) > 0)) p.push(`main.deleteIt at ${d.src}:${d.line}, not main.go:N`);
      if (!Array.isArray(e.kstack) || e.kstack.length) p.push(`kstack should be [] with --stacks user: ${JSON.stringify(e.kstack)?.slice(0, 200)}`);
      return p;
    },
  },
  {
    name: 'stacks: an exec carries the exec path in the kernel and its caller in user space',
    families: ['exec'],
    // the caller's frames are in the image the exec replaced: each agent (json, wire: two
    // processes) finds that file by a rate-limited scan of other processes, racing the victim, so
    // whether the inferred frame could be named (and kept) may differ between them
    parityIgnore: ['ustack'],
    args: () => ['--stacks', 'kernel,user'],
    trigger: () => `${VICTIM} /nonexistent-kw-stack 2>/dev/null; true`,
    expect: () => [{ type: 'exec', comm: 'kw-stack-victim', ret: 0 }],
    check: (events, ctx) => {
      const e = events.find((x) => x.type === 'exec');
      if (!e) return ['no exec event'];
      const k = syms(e.kstack);
      const p: string[] = [];
      if (!k.some((s) => /exec/.test(s))) p.push(`exec kstack has no exec function: [${k.join(' < ')}]`);
      // the caller's frames are in the image the exec replaced: only the kernel's answer at the
      // call can name them; from /proc/PID/maps they would be named after the new image, so
      // "maps" mode leaves them as addresses
      const named = (e.ustack ?? []).filter((f) => f.sym !== undefined);
      if (stackMode(ctx) === 'vma' && !named.some((f) => /exec/.test(f.sym ?? ''))) p.push(`exec ustack has no execve caller: [${syms(e.ustack).join(' < ')}]`);
      if (stackMode(ctx) !== 'vma' && named.length) p.push(`exec ustack named from the new image's maps: [${syms(e.ustack).join(' < ')}]`);
      return p;
    },
  },
];
