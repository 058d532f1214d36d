// bench/unlink-storm: how much does tracing slow down a storm of deletions, and is every one of
// them reported? 100,000 files in 100 dirs, `rm -rf` of the whole tree:
//   untraced       nothing attached
//   agent-json     kwitness-agent trace unlink --format json, stdout read by a counting reader
//   agent-wire     kwitness-agent trace unlink --format wire, decoded by WireDecoder (src/core/wire)
//   bpftrace       bpftrace on sys_enter/sys_exit_unlinkat printing pid, comm, path, ret (when installed)
// all in the same run, rounds interleaved (order rotated per round), >= 5 runs each. Prints per
// variant the median wall time of rm with min-max, the ratio to untraced, tracer CPU time,
// delivered/expected events (events of the rm process; expected = files + dirs + 1) and lost.
// Then decodes one captured wire stream of the storm again, to measure the decoder alone.
//
// Usage (root, after scripts/build.sh):  npm run bench:unlink-storm -- [--runs 5] [--files 100000] [--dirs 100] [--json out.json]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AgentRecord } from '../../src/core/events';
import { WireDecoder } from '../../src/core/wire/decoder';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const ARCH = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
const AGENT = process.env.KW_AGENT ?? path.join(ROOT, 'dist', 'agent', `kwitness-agent-${ARCH}`);
const TRIGGER = process.env.KW_TRIGGER ?? path.join(ROOT, 'build', 'kw-trigger');

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v <= 0) {
    console.error(`unlink-storm: --${name} needs a positive integer, got ${process.argv[i + 1]}`);
    process.exit(2);
  }
  return v;
}
const RUNS = arg('runs', 5);
const FILES = arg('files', 100000);
const DIRS = arg('dirs', 100);
const JSON_OUT = process.argv.includes('--json') ? process.argv[process.argv.indexOf('--json') + 1] : undefined;
const EXPECTED = FILES + DIRS + 1; // every file, every dir, the top dir: one unlinkat each

type Variant = 'untraced' | 'agent-json' | 'agent-wire' | 'bpftrace';

interface Sample {
  wallMs: number;
  rmCpuMs: number;
  delivered: number;
  lost: number;
  tracerCpuMs: number;
  note?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Tracers still running, killed if the bench dies half-way (an attached bpftrace would stay). */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => process.exit(130));
function track(p: ChildProcess): ChildProcess {
  live.add(p);
  p.once('close', () => live.delete(p));
  return p;
}

function cpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    const tick = 100; // USER_HZ
    return ((Number(rest[11]) + Number(rest[12])) * 1000) / tick; // utime + stime
  } catch {
    return 0;
  }
}

function makeTree(base: string): void {
  fs.mkdirSync(base);
  const per = Math.ceil(FILES / DIRS);
  let left = FILES;
  for (let d = 0; d < DIRS; d++) {
    const dir = path.join(base, `d${d}`);
    fs.mkdirSync(dir);
    const n = Math.min(per, left);
    left -= n;
    if (n > 0) {
      const r = spawnSync(TRIGGER, ['mkfiles', dir, String(n)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`mkfiles ${dir}: ${r.stdout}${r.stderr}`);
    }
  }
  spawnSync('sync');
}

/**
 * Runs `rm -rf base` (exec'd by a bash that then prints its children's CPU times with `times`);
 * resolves with rm's pid, wall time and CPU time (user + sys: the BPF programs run in rm's
 * context, so their cost shows here, and CPU time is less disturbed by other load than wall time).
 */
function rmrf(base: string): { pid: Promise<number>; done: Promise<{ wallMs: number; cpuMs: number }> } {
  const t0 = process.hrtime.bigint();
  const child = spawn('/bin/bash', ['-c', 'rm -rf "$0" & echo $!; wait $! || exit 1; times', base], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  let resolvePid!: (p: number) => void;
  const pid = new Promise<number>((res) => (resolvePid = res));
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    out += d;
    const nl = out.indexOf('\n');
    if (nl > 0) resolvePid(Number(out.slice(0, nl)));
  });
  const done = new Promise<{ wallMs: number; cpuMs: number }>((res, rej) => {
    child.on('error', rej);
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      // times: line 1 = the shell, line 2 = its children ("0m0.012s 0m0.456s")
      const line = out.trim().split('\n')[2] ?? '';
      const secs = [...line.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
      if (code !== 0 || secs.length !== 2) rej(new Error(`rm -rf failed (exit ${code}): ${out}`));
      else res({ wallMs, cpuMs: (secs[0] + secs[1]) * 1000 });
    });
  });
  return { pid, done };
}

interface Tracer {
  proc: ChildProcess;
  ready: Promise<void>;
  /** events of pid seen so far */
  count(pid: number): number;
  lost(): number;
  stop(): Promise<void>;
  captured?: Buffer[];
}

function startAgent(format: 'json' | 'wire', capture: boolean): Tracer {
  const proc = track(spawn(AGENT, ['trace', 'unlink', '--format', format, '--attach', 'auto'], { stdio: ['pipe', 'pipe', 'pipe'] }));
  const byPid = new Map<number, number>();
  let lost = 0;
  let resolveReady!: () => void;
  let rejectReady!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.on('exit', (code) => rejectReady(new Error(`agent exited ${code} before ready: ${stderr.trim()}`)));
  const captured: Buffer[] = [];
  const onRecord = (r: AgentRecord) => {
    if (r.type === 'unlink') byPid.set(r.pid, (byPid.get(r.pid) ?? 0) + 1);
    else if (r.type === 'lost') lost = r.total;
    else if (r.type === 'ready') resolveReady();
  };
  if (format === 'wire') {
    const dec = new WireDecoder();
    proc.stdout!.on('data', (d: Buffer) => {
      if (capture) captured.push(Buffer.from(d));
      for (const r of dec.push(d)) onRecord(r);
    });
  } else {
    // Counting reader: the pid and type of each line are enough; full JSON.parse only for
    // ready/lost (what a tail -f consumer or a log shipper would do).
    let rest = '';
    const pidRe = /^\{"type":"unlink".*?"pid":(\d+),/;
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (d: string) => {
      const lines = (rest + d).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        const m = pidRe.exec(line);
        if (m) {
          const pid = Number(m[1]);
          byPid.set(pid, (byPid.get(pid) ?? 0) + 1);
        } else if (line.startsWith('{"type":"lost"') || line.startsWith('{"type":"ready"')) onRecord(JSON.parse(line) as AgentRecord);
      }
    });
  }
  return {
    proc,
    ready,
    captured: capture ? captured : undefined,
    count: (pid) => byPid.get(pid) ?? 0,
    lost: () => lost,
    stop: async () => {
      proc.stdin!.end();
      const exited = new Promise<void>((res) => proc.once('close', () => res()));
      await Promise.race([exited, sleep(10000).then(() => proc.kill('SIGKILL'))]);
      await exited;
    },
  };
}

const BPFTRACE_PROG = `
tracepoint:syscalls:sys_enter_unlinkat { @path[tid] = args->pathname; }
tracepoint:syscalls:sys_exit_unlinkat /@path[tid]/ { printf("%d %s %s %d\\n", pid, comm, str(@path[tid]), args->ret); delete(@path[tid]); }
`;

function startBpftrace(): Tracer {
  const proc = track(spawn('bpftrace', ['-B', 'line', '-e', BPFTRACE_PROG], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BPFTRACE_STRLEN: '200' } }));
  const byPid = new Map<number, number>();
  let lost = 0;
  let resolveReady!: () => void;
  const ready = new Promise<void>((res, rej) => {
    resolveReady = res;
    proc.on('exit', (code) => rej(new Error(`bpftrace exited ${code}`)));
  });
  let rest = '';
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (d: string) => {
    const lines = (rest + d).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('Attaching')) {
        resolveReady();
        continue;
      }
      const sp = line.indexOf(' ');
      const pid = Number(line.slice(0, sp));
      if (Number.isInteger(pid) && pid > 0) byPid.set(pid, (byPid.get(pid) ?? 0) + 1);
      const m = /Lost (\d+) events/.exec(line);
      if (m) lost += Number(m[1]);
    }
  });
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (d: string) => {
    const m = /Lost (\d+) events/.exec(d);
    if (m) lost += Number(m[1]);
  });
  return {
    proc,
    ready,
    count: (pid) => byPid.get(pid) ?? 0,
    lost: () => lost,
    stop: async () => {
      const exited = new Promise<void>((res) => proc.once('close', () => res()));
      proc.kill('SIGINT');
      await Promise.race([exited, sleep(10000).then(() => proc.kill('SIGKILL'))]);
      await exited;
    },
  };
}

async function runOnce(v: Variant, base: string, capture: boolean): Promise<Sample & { captured?: Buffer[] }> {
  makeTree(base);
  let tracer: Tracer | undefined;
  if (v === 'agent-json' || v === 'agent-wire') tracer = startAgent(v === 'agent-json' ? 'json' : 'wire', capture);
  else if (v === 'bpftrace') tracer = startBpftrace();
  if (tracer) {
    await tracer.ready;
    await sleep(300);
  }
  const cpu0 = cpuMs(tracer?.proc.pid);
  const rm = rmrf(base);
  const { wallMs, cpuMs: rmCpuMs } = await rm.done;
  const rmPid = await rm.pid;
  let delivered = 0;
  let lost = 0;
  if (tracer) {
    // Let the tracer drain: until everything arrived, or nothing moved for 2 s.
    let last = -1;
    let still = 0;
    while (tracer.count(rmPid) < EXPECTED && still < 20) {
      await sleep(100);
      const c = tracer.count(rmPid);
      still = c === last ? still + 1 : 0;
      last = c;
    }
    const cpu1 = cpuMs(tracer.proc.pid);
    await tracer.stop();
    delivered = tracer.count(rmPid);
    lost = tracer.lost();
    return { wallMs, rmCpuMs, delivered, lost, tracerCpuMs: cpu1 - cpu0, captured: tracer.captured };
  }
  return { wallMs, rmCpuMs, delivered: EXPECTED, lost: 0, tracerCpuMs: 0 };
}

function stats(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1] };
}

function decodeBench(chunks: Buffer[]): { events: number; mb: number; ms: number[] } {
  const bytes = chunks.reduce((s, c) => s + c.length, 0);
  const ms: number[] = [];
  let events = 0;
  for (let i = 0; i < 5; i++) {
    const dec = new WireDecoder();
    let n = 0;
    const t0 = process.hrtime.bigint();
    for (const c of chunks) n += dec.push(c).length;
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    events = n;
  }
  return { events, mb: bytes / 1e6, ms };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('unlink-storm: needs root (BPF)');
    process.exit(2);
  }
  for (const f of [AGENT, TRIGGER]) {
    if (!fs.existsSync(f)) {
      console.error(`unlink-storm: ${f} missing; run scripts/build.sh and make -C test/agent/trigger`);
      process.exit(2);
    }
  }
  const variants: Variant[] = ['untraced', 'agent-json', 'agent-wire'];
  if (spawnSync('bpftrace', ['--version']).status === 0) variants.push('bpftrace');
  const work = fs.mkdtempSync('/tmp/kw-storm-');
  const samples: Record<string, Sample[]> = Object.fromEntries(variants.map((v) => [v, []]));
  let captured: Buffer[] | undefined;
  console.log(`unlink-storm: ${FILES} files in ${DIRS} dirs, rm -rf, ${RUNS} runs per variant (${variants.join(', ')}), expected ${EXPECTED} unlinkat events per run`);
  console.log(`kernel ${spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim()}, ${require('node:os').cpus().length} CPUs, node ${process.version}`);
  try {
    for (let round = 0; round < RUNS; round++) {
      const order = variants.map((_, i) => variants[(i + round) % variants.length]);
      for (const v of order) {
        const s = await runOnce(v, path.join(work, `tree-${round}-${v}`), v === 'agent-wire' && !captured);
        if (s.captured) captured = s.captured;
        delete s.captured;
        samples[v].push(s);
        console.log(`  round ${round + 1} ${v.padEnd(10)} ${s.wallMs.toFixed(0).padStart(6)} ms  rm cpu ${s.rmCpuMs.toFixed(0).padStart(5)} ms  delivered ${s.delivered}/${EXPECTED}  lost ${s.lost}  tracer cpu ${s.tracerCpuMs.toFixed(0)} ms`);
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const base = stats(samples.untraced.map((s) => s.wallMs)).median;
  const baseCpu = stats(samples.untraced.map((s) => s.rmCpuMs)).median;
  console.log('\nvariant      rm wall ms median (min-max)  ratio  rm cpu ms median (min-max)  ratio  tracer cpu ms  delivered/expected (all runs)   lost');
  const summary: Record<string, unknown> = {};
  for (const v of variants) {
    const w = stats(samples[v].map((s) => s.wallMs));
    const cpu = stats(samples[v].map((s) => s.tracerCpuMs));
    const rc = stats(samples[v].map((s) => s.rmCpuMs));
    const delivered = samples[v].reduce((a, s) => a + s.delivered, 0);
    const lost = samples[v].reduce((a, s) => a + s.lost, 0);
    const exp = EXPECTED * samples[v].length;
    summary[v] = { wall_ms: w, ratio: w.median / base, rm_cpu_ms: rc, cpu_ratio: rc.median / baseCpu, tracer_cpu_ms: cpu, delivered, expected: exp, lost, runs: samples[v] };
    console.log(
      `${v.padEnd(12)} ${w.median.toFixed(0).padStart(6)} (${w.min.toFixed(0)}-${w.max.toFixed(0)})`.padEnd(40) +
        `${(w.median / base).toFixed(2)}x`.padStart(6) +
        `${rc.median.toFixed(0).padStart(8)} (${rc.min.toFixed(0)}-${rc.max.toFixed(0)})`.padEnd(26) +
        `${(rc.median / baseCpu).toFixed(2)}x`.padStart(7) +
        `${cpu.median.toFixed(0)}`.padStart(15) +
        `${delivered}/${exp}`.padStart(31) +
        `${lost}`.padStart(7),
    );
  }
  if (captured) {
    const d = decodeBench(captured);
    const best = Math.min(...d.ms);
    console.log(`\nWireDecoder on the captured wire stream of one storm: ${d.events} records, ${d.mb.toFixed(1)} MB, best of 5 ${best.toFixed(0)} ms = ${Math.round(d.events / (best / 1000)).toLocaleString('en-US')} records/s (median ${stats(d.ms).median.toFixed(0)} ms)`);
    summary.decoder = { records: d.events, mb: d.mb, ms: d.ms, records_per_s_best: d.events / (best / 1000) };
  }
  if (JSON_OUT) fs.writeFileSync(JSON_OUT, JSON.stringify({ files: FILES, dirs: DIRS, runs: RUNS, expected: EXPECTED, summary }, null, 2));
}

main().catch((e) => {
  console.error(`unlink-storm: ${(e as Error).message}`);
  process.exit(1);
});
