// The guard's suite: start `kwitness-agent guard` with a case's rules on a target (this machine or
// a VM guest), try what the case tries, and check what happened to each call, what the guard
// reported, what is left on disk, and that stopping the guard leaves no BPF program and lets
// everything through again. One guard at a time: two guards on one hook would each see only the
// calls the other let through, so json and wire run one after the other.
import type { AgentRecord, DeniedEvent, GuardMechanism, ReadyRecord } from '../../src/core/events';
import { WireDecoder } from '../../src/core/wire/decoder';
import { matchEvents, shq, type Format, type Target, type Want } from './suite';

/** What a tried call must come to: success, or the errno (by strerror text) the guard gives. */
export type Outcome = 'ok' | 'EPERM' | 'EDQUOT';
// the tools' strerror text, or kw-trigger's "errno=N"
const TEXT: Record<Exclude<Outcome, 'ok'>, RegExp> = { EPERM: /Operation not permitted|errno=1\b/, EDQUOT: /Disk quota exceeded|errno=122\b/ };

export interface GuardContext {
  dir: string;
  trigger: string;
  mechanism: GuardMechanism;
}

export interface GuardCase {
  name: string;
  /** The guard's arguments (rules, --audit-only, exemptions). */
  rules: (ctx: GuardContext) => string[];
  /** bash before the guard starts; $D = the case dir, $T = kw-trigger. */
  setup: string;
  /**
   * bash while the guard runs: each call as `kw_try NAME command...`, which prints NAME=0 or
   * NAME=<exit code> and the error text. Every NAME must be in `outcomes`.
   */
  trigger: string;
  outcomes: Record<string, Outcome>;
  /** bash after the trigger, still guarded: prints KEY=VALUE lines compared with `state`. */
  probe?: string;
  state?: Record<string, string>;
  /** The denied (or would-deny) records, in any order; nothing else may be reported. */
  denied: (ctx: GuardContext) => Want[];
  /** bash once the guard stopped: each `kw_try` must now succeed (the hooks are gone). */
  after?: string;
}

export interface GuardRunOptions {
  /** --attach for the guard (auto: the best the kernel offers). */
  attach: 'auto' | GuardMechanism;
  /** What the ready record must name. */
  expect: GuardMechanism;
  formats?: Format[];
}

const PRELUDE = (ctx: GuardContext) => [
  `D=${shq(ctx.dir)}; T=${shq(ctx.trigger)}`,
  // NAME=rc plus the message on the same line, so a case sees which call said what
  `kw_try() { local n=$1; shift; local e; e=$("$@" 2>&1); local rc=$?; echo "$n=$rc $(echo "$e" | tr '\\n' ' ')"; }`,
].join('\n');

let seq = 0;

/** Problems of one case (empty: it passed); throws only for harness failures. */
export async function runGuardCase(t: Target, c: GuardCase, o: GuardRunOptions): Promise<string[]> {
  const problems: string[] = [];
  for (const format of o.formats ?? ['json', 'wire']) {
    const dir = `${t.tmpdir}/guard-${++seq}-${c.name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 30)}`;
    const ctx: GuardContext = { dir, trigger: t.triggerPath, mechanism: o.expect };
    const tag = (s: string) => `${format}: ${s}`;
    const mk = await t.run(`rm -rf ${shq(dir)}; mkdir -m 777 ${shq(dir)}\n${PRELUDE(ctx)}\nset -e\n${c.setup}`);
    if (mk.code !== 0) throw new Error(`setup failed (${mk.code}): ${mk.stderr.trim()}`);
    try {
      problems.push(...(await runOnce(t, c, o, ctx, format)).map(tag));
    } finally {
      await t.run(`rm -rf ${shq(dir)}`);
    }
  }
  return problems;
}

async function runOnce(t: Target, c: GuardCase, o: GuardRunOptions, ctx: GuardContext, format: Format): Promise<string[]> {
  const p: string[] = [];
  const agent = t.startAgent(['guard', ...c.rules(ctx), '--attach', o.attach, '--format', format]);
  let ready: ReadyRecord;
  try {
    ready = (await agent.waitFor((r) => r.type === 'ready', 60000, 'the ready record')) as ReadyRecord;
  } catch (e) {
    agent.kill('SIGKILL');
    return [`the guard did not start: ${(e as Error).message}; stderr: ${agent.stderr.trim().slice(0, 400)}`];
  }
  const modes = [...new Set(ready.probes.map((x) => x.mode))];
  if (!ready.probes.length || modes.join() !== o.expect || ready.probes.some((x) => x.family !== 'guard')) {
    p.push(`ready names ${ready.probes.map((x) => `${x.family}:${x.probe}(${x.mode})`).join(', ') || 'no probe'}; expected only guard hooks in mode ${o.expect}`);
  }
  if (format === 'json' && ready.guard?.mechanism !== o.expect) p.push(`ready.guard.mechanism is ${ready.guard?.mechanism}, expected ${o.expect}`);

  const want = c.denied(ctx);
  const run = await t.run(`${PRELUDE(ctx)}\n${c.trigger}\n${c.probe ?? ''}\ntrue`, { timeoutMs: 120000 });
  const got = new Map<string, string>();
  for (const m of run.stdout.matchAll(/^([A-Za-z0-9_]+)=(.*)$/gm)) got.set(m[1], m[2].trim());
  for (const [name, outcome] of Object.entries(c.outcomes)) {
    const line = got.get(name);
    if (line === undefined) {
      p.push(`${name}: not tried (trigger output: ${run.stdout.slice(0, 300)} ${run.stderr.slice(0, 300)})`);
      continue;
    }
    const rc = Number(line.split(' ')[0]);
    if (outcome === 'ok' ? rc !== 0 : rc === 0 || !TEXT[outcome].test(line)) p.push(`${name}: expected ${outcome}, got exit ${line}`);
  }
  for (const [k, v] of Object.entries(c.state ?? {})) {
    if (got.get(k) !== v) p.push(`state ${k}: expected ${v}, got ${got.get(k)}`);
  }

  // the reports: as many as expected (waited for, not timed), then a moment for extra ones
  const denials = () => agent.records.filter((r): r is DeniedEvent => r.type === 'denied' || r.type === 'would-deny');
  const deadline = Date.now() + 20000;
  while (denials().length < want.length && Date.now() < deadline && !agent.exitInfo) await new Promise((r) => setTimeout(r, 50));
  await agent.waitQuiet(500, 5000);
  agent.closeStdin();
  const exit = await Promise.race([agent.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 60000))]);
  if (!exit) {
    agent.kill('SIGKILL');
    p.push('the guard did not exit on stdin EOF');
  } else if (exit.code !== 0 || exit.signal) {
    p.push(`the guard exited ${exit.code} ${exit.signal ?? ''}: ${agent.stderr.trim().slice(0, 300)}`);
  }
  for (const r of agent.records as AgentRecord[]) {
    if (r.type === 'error') p.push(`error record: ${r.message}`);
    if (r.type === 'lost' && r.total > 0) p.push(`lost ${r.total} records`);
  }
  p.push(...matchEvents(denials(), want, false));
  for (const d of denials()) {
    if (!ready.probes.some((x) => x.probe === d.probe)) p.push(`${d.type} ${d.path}: probe ${d.probe} is not in the ready record`);
    if (d.path_source !== 'kernel') p.push(`${d.type} ${d.path}: path_source ${d.path_source}, expected kernel`);
  }

  // stopped: no guard program left, and what it refused now goes through
  const left = await t.run(`bpftool prog show 2>/dev/null | grep -E 'name kw_(lsm|fmr)_' || true`);
  if (left.stdout.trim()) p.push(`BPF programs left after the guard stopped: ${left.stdout.trim().slice(0, 300)}`);
  if (c.after) {
    const a = await t.run(`${PRELUDE(ctx)}\n${c.after}\ntrue`);
    for (const m of a.stdout.matchAll(/^([A-Za-z0-9_]+)=(.*)$/gm)) {
      if (!m[2].startsWith('0')) p.push(`after stop, ${m[1]} still fails: ${m[2]}`);
    }
  }
  return p;
}

/**
 * A guard as a watch (`watch start -- guard ...`): it refuses with no client attached, journals
 * each refusal (read back through the wire decoder), and `watch stop` removes every program.
 */
export async function runGuardWatch(t: Target, expect: GuardMechanism): Promise<string[]> {
  const d = `${t.tmpdir}/guard-watch-${++seq}`;
  const A = shq(t.agentPath);
  const r = await t.run(
    [
      `d=${shq(d)}; rm -rf "$d"; mkdir -p "$d/vol"; echo img > "$d/vol/disk.img"`,
      `${A} watch start --dir "$d/w" --id gw --name 'guard: disk.img' --keep-free-mb 16 --max-mb 16 -- guard --deny-delete "$d/vol/disk.img" > "$d/start.out" 2>&1; echo "start=$? $(tr '\\n' ' ' < "$d/start.out")"`,
      `rm "$d/vol/disk.img" 2>/dev/null; echo "rm=$?"`,
      // the journal has it once the worker wrote it: wait on the count, not on a timer alone
      `for i in $(seq 200); do ${A} watch status --dir "$d/w" | grep -q '"events":1,' && break; sleep 0.1; done`,
      `echo "status=$(${A} watch status --dir "$d/w" | base64 -w0)"`,
      `echo "journal=$(${A} watch read --dir "$d/w" | base64 -w0)"`,
      `${A} watch stop --dir "$d/w" >/dev/null 2>&1; echo "stop=$?"`,
      `echo "left=$(bpftool prog show 2>/dev/null | grep -cE 'name kw_(lsm|fmr)_')"`,
      `rm "$d/vol/disk.img"; echo "rm_after=$?"`,
      `rm -rf "$d"`,
    ].join('\n'),
    { timeoutMs: 120000 },
  );
  const v = new Map<string, string>();
  for (const m of r.stdout.matchAll(/^([a-z_]+)=(.*)$/gm)) v.set(m[1], m[2]);
  const p: string[] = [];
  if (!v.get('start')?.startsWith('0')) p.push(`watch start failed: ${v.get('start')} ${r.stderr.slice(0, 300)}`);
  if (v.get('rm') !== '1') p.push(`rm with the guard watching: exit ${v.get('rm')}, expected 1 (EPERM)`);
  let status: { families?: string[]; events?: number } = {};
  try {
    status = JSON.parse(Buffer.from(v.get('status') ?? '', 'base64').toString()) as typeof status;
  } catch {
    p.push(`watch status is not JSON: ${v.get('status')}`);
  }
  if (status.families?.join() !== 'guard' || status.events !== 1) p.push(`watch status: families ${status.families}, events ${status.events}; expected guard, 1`);
  const records = new WireDecoder().push(Buffer.from(v.get('journal') ?? '', 'base64'));
  const ready = records.find((x): x is ReadyRecord => x.type === 'ready');
  if (!ready || ready.probes.some((x) => x.mode !== expect)) p.push(`journal's ready record: ${JSON.stringify(ready?.probes)}; expected ${expect} hooks`);
  p.push(...matchEvents(records.filter((x): x is DeniedEvent => x.type === 'denied'), [{ type: 'denied', op: 'unlink', path: `${d}/vol/disk.img`, rule: 0, ret: -1, comm: 'rm' }], false).map((s) => `journal: ${s}`));
  if (v.get('stop') !== '0') p.push(`watch stop exited ${v.get('stop')}`);
  if (v.get('left') !== '0') p.push(`${v.get('left')} guard programs left after watch stop`);
  if (v.get('rm_after') !== '0') p.push(`rm after the guard stopped: exit ${v.get('rm_after')}`);
  return p;
}
