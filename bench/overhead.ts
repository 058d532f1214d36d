// P1 overhead, P2 completeness, P7 footprint: the agent on this machine, no SSH in the way.
//   P1a  rm -rf of 100,000 files in 100 dirs: bench/unlink-storm (run as a child process with
//        --json) does untraced / agent json / agent wire / bpftrace, interleaved rounds; we
//        watch the agent's peak RSS meanwhile (P7).
//   P1b  fork+exec storm: 10,000 x /bin/true (kw-loadgen forkexec), untraced / agent json /
//        agent wire (exec family) / bpftrace on sched_process_exec printing pid, ppid, comm,
//        filename; interleaved rounds like P1a.
//   P2   delivered/expected from P1a/P1b, and a deliberately tiny ring buffer (--ringbuf-kb 64,
//        --pid of the rm) under rm -rf: the agent's final lost total + delivered must equal
//        expected exactly.
//   P7   binary size; peak RSS (VmHWM) of every agent process during P1/P2.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AgentRecord } from '../src/core/events';
import { WireDecoder } from '../src/core/wire/decoder';
import { LOADGEN, agent, PeakRss, ROOT, cpuMs, sleep, stats, waitClose, type BenchConfig, type Row } from './lib';

const TRIGGER = path.join(ROOT, 'build', 'kw-trigger');
const STORM = path.join(ROOT, 'out', 'bench', 'unlink-storm', 'storm.js');

type Variant = 'untraced' | 'agent-json' | 'agent-wire' | 'bpftrace';

interface StormVariant {
  wall_ms: { median: number; min: number; max: number };
  ratio: number;
  rm_cpu_ms?: { median: number; min: number; max: number };
  cpu_ratio?: number;
  tracer_cpu_ms: { median: number; min: number; max: number };
  delivered: number;
  expected: number;
  lost: number;
}

export interface OverheadResult {
  rows: Row[];
  json: Record<string, unknown>;
}

/** Every agent RSS peak seen in this section (kB). */
const agentPeaks: number[] = [];

async function unlinkStorm(cfg: BenchConfig, files: number, dirs: number): Promise<Record<string, StormVariant> | undefined> {
  const out = path.join(fs.mkdtempSync('/tmp/kw-bench-'), 'storm.json');
  const child = spawn(process.execPath, [STORM, '--runs', String(cfg.runs), '--files', String(files), '--dirs', String(dirs), '--json', out], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KW_AGENT: agent.path, KW_TRIGGER: TRIGGER },
  });
  const rss = new PeakRss(agent.path, child.pid);
  let err = '';
  let rest = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    const lines = (rest + d).split('\n');
    rest = lines.pop()!;
    for (const l of lines) if (l.trim()) cfg.log(`    storm| ${l}`);
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  agentPeaks.push(...rss.stop());
  try {
    if (code !== 0) throw new Error(`bench/unlink-storm exited ${code}: ${err.trim().split('\n').pop()}`);
    return (JSON.parse(fs.readFileSync(out, 'utf8')) as { summary: Record<string, StormVariant> }).summary;
  } finally {
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- tracers of our own

interface Tracer {
  proc: ChildProcess;
  ready: Promise<void>;
  /** records delivered that `match` accepted */
  count(): number;
  lost(): number;
  stop(): Promise<void>;
}

/** The agent, `match` selecting the records that count as delivered. */
function startAgent(args: string[], format: 'json' | 'wire', match: (r: AgentRecord) => boolean, jsonPrefilter?: RegExp): Tracer {
  const proc = spawn(agent.path, ['trace', ...args, '--format', format], { stdio: ['pipe', 'pipe', 'pipe'] });
  let n = 0;
  let lost = 0;
  let onReady!: () => void;
  let stderr = '';
  const ready = new Promise<void>((res, rej) => {
    onReady = res;
    proc.on('exit', (code) => rej(new Error(`agent exited ${code} before ready: ${stderr.trim().split('\n').pop()}`)));
  });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const onRecord = (r: AgentRecord): void => {
    if (r.type === 'ready') onReady();
    else if (r.type === 'lost') lost = r.total;
    else if (match(r)) n++;
  };
  if (format === 'wire') {
    const dec = new WireDecoder();
    proc.stdout!.on('data', (d: Buffer) => {
      for (const r of dec.push(d)) onRecord(r);
    });
  } else {
    // A consumer of the JSON lines parses every line (a regex would flatter json over wire).
    let rest = '';
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      const lines = (rest + d).split('\n');
      rest = lines.pop()!;
      for (const l of lines) if (l && (!jsonPrefilter || jsonPrefilter.test(l) || l.startsWith('{"type":"lost"') || l.startsWith('{"type":"ready"'))) onRecord(JSON.parse(l) as AgentRecord);
    });
  }
  return {
    proc,
    ready,
    count: () => n,
    lost: () => lost,
    stop: async () => {
      proc.stdin!.end();
      await waitClose(proc);
    },
  };
}

const BPFTRACE_EXEC = 'tracepoint:sched:sched_process_exec { printf("%d %d %s %s\\n", pid, curtask->real_parent->tgid, comm, str(args->filename)); }';

function startBpftraceExec(parent: () => number): Tracer {
  const proc = spawn('bpftrace', ['-B', 'line', '-e', BPFTRACE_EXEC], { stdio: ['ignore', 'pipe', 'pipe'] });
  let n = 0;
  let lost = 0;
  let onReady!: () => void;
  const ready = new Promise<void>((res, rej) => {
    onReady = res;
    proc.on('exit', (code) => rej(new Error(`bpftrace exited ${code}`)));
  });
  let rest = '';
  const lostRe = /Lost (\d+) events/;
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    const lines = (rest + d).split('\n');
    rest = lines.pop()!;
    for (const l of lines) {
      if (l.startsWith('Attaching')) onReady();
      const f = l.split(' ');
      if (f.length >= 4 && Number(f[1]) === parent()) n++;
      const m = lostRe.exec(l);
      if (m) lost += Number(m[1]);
    }
  });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    const m = lostRe.exec(d);
    if (m) lost += Number(m[1]);
  });
  return {
    proc,
    ready,
    count: () => n,
    lost: () => lost,
    stop: async () => {
      proc.kill('SIGINT');
      await waitClose(proc);
    },
  };
}

/** Waits until `count()` reaches `expected` or stays still for 2 s. */
async function drain(count: () => number, expected: number): Promise<void> {
  let last = -1;
  let still = 0;
  while (count() < expected && still < 20) {
    await sleep(100);
    const c = count();
    still = c === last ? still + 1 : 0;
    last = c;
  }
}

// ---------------------------------------------------------------- P1b exec storm

interface ExecSample {
  wallMs: number;
  /** user+sys of the storm (generator and its /bin/true children): includes the probes' in-kernel cost */
  cpuMs: number;
  delivered: number;
  lost: number;
  tracerCpuMs: number;
}

async function execOnce(v: Variant, n: number): Promise<ExecSample> {
  let genPid = -1;
  let tracer: Tracer | undefined;
  const isGen = (r: AgentRecord): boolean => r.type === 'exec' && r.ppid === genPid;
  if (v === 'agent-json') tracer = startAgent(['exec'], 'json', isGen, /^\{"type":"exec"/);
  else if (v === 'agent-wire') tracer = startAgent(['exec'], 'wire', isGen);
  else if (v === 'bpftrace') tracer = startBpftraceExec(() => genPid);
  const rss = tracer && v !== 'bpftrace' ? new PeakRss(agent.path, process.pid) : undefined;
  if (tracer) {
    await tracer.ready;
    await sleep(300);
  }
  const cpu0 = cpuMs(tracer?.proc.pid);
  const gen = spawn(LOADGEN, ['forkexec', String(n), '/bin/true'], { stdio: ['ignore', 'pipe', 'pipe'] });
  genPid = gen.pid!;
  let out = '';
  gen.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const code = await new Promise<number | null>((r) => gen.on('close', r));
  if (code !== 0) throw new Error(`kw-loadgen forkexec exited ${code}`);
  const [, el, cpuNs] = out.trim().split(' ').map(Number);
  const wallMs = el / 1e6;
  const stormCpuMs = cpuNs / 1e6;
  if (!tracer) return { wallMs, cpuMs: stormCpuMs, delivered: n, lost: 0, tracerCpuMs: 0 };
  await drain(tracer.count, n);
  const cpu = cpuMs(tracer.proc.pid) - cpu0;
  if (rss) rss.poll();
  await tracer.stop();
  if (rss) agentPeaks.push(...rss.stop());
  return { wallMs, cpuMs: stormCpuMs, delivered: tracer.count(), lost: tracer.lost(), tracerCpuMs: cpu };
}

// ---------------------------------------------------------------- P2 tiny ring buffer

function makeTree(base: string, files: number, dirs: number): void {
  fs.mkdirSync(base);
  const per = Math.ceil(files / dirs);
  let left = files;
  for (let d = 0; d < dirs; d++) {
    const dir = path.join(base, `d${d}`);
    fs.mkdirSync(dir);
    const k = Math.min(per, left);
    left -= k;
    if (k > 0) {
      const r = spawnSync(TRIGGER, ['mkfiles', dir, String(k)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`kw-trigger mkfiles ${dir}: ${r.stdout}${r.stderr}`);
    }
  }
}

async function tinyRingOnce(work: string, i: number, files: number, dirs: number, by: 'pid' | 'prefix'): Promise<{ delivered: number; lost: number; expected: number }> {
  const base = path.join(work, `tiny-${i}`);
  makeTree(base, files, dirs);
  const expected = files + dirs + 1;
  // The rm's pid is fixed before it runs (sh waits for a line, then execs rm), so the agent can
  // filter on it in the kernel: every record in the stream and every failed reservation is the rm's.
  const rm = spawn('sh', ['-c', 'read go && exec rm -rf "$0"', base], { stdio: ['pipe', 'ignore', 'ignore'] });
  // by 'prefix': --path-prefix on the tree instead (a filter the kernel side can only pre-check)
  const filter = by === 'pid' ? ['--pid', String(rm.pid)] : ['--path-prefix', base];
  const tracer = startAgent(['unlink', '--ringbuf-kb', '64', ...filter], 'wire', (r) => r.type === 'unlink');
  const rss = new PeakRss(agent.path, process.pid);
  await tracer.ready;
  await sleep(200);
  rm.stdin!.end('go\n');
  await new Promise((r) => rm.on('close', r));
  await drain(tracer.count, expected);
  await tracer.stop(); // the agent reports its final lost total on the way out
  agentPeaks.push(...rss.stop());
  return { delivered: tracer.count(), lost: tracer.lost(), expected };
}

// ---------------------------------------------------------------- section

export async function overhead(cfg: BenchConfig): Promise<OverheadResult> {
  const rows: Row[] = [];
  const json: Record<string, unknown> = {};
  const files = cfg.quick ? 20000 : 100000;
  const dirs = 100;
  const execN = cfg.quick ? 2000 : 10000;
  const haveBpftrace = spawnSync('bpftrace', ['--version']).status === 0;

  if (cfg.only.has('p1') || cfg.only.has('p2') || cfg.only.has('p7')) {
    // ---- P1a
    cfg.log(`  P1a rm -rf ${files} files in ${dirs} dirs, ${cfg.runs} runs per variant (bench/unlink-storm)`);
    const storm = await unlinkStorm(cfg, files, dirs);
    if (storm) {
      json.unlink_storm = { files, dirs, runs: cfg.runs, summary: storm };
      const base = storm.untraced.wall_ms;
      const bt = storm.bpftrace;
      for (const v of ['untraced', 'agent-json', 'agent-wire', 'bpftrace'] as Variant[]) {
        const s = storm[v];
        if (!s) continue;
        const agent = v.startsWith('agent');
        rows.push({
          section: 'P1',
          what: `rm -rf ${files / 1000}k files: ${v}`,
          value: s.wall_ms.median,
          min: s.wall_ms.min,
          max: s.wall_ms.max,
          unit: 'ms',
          ratio: s.wall_ms.median / base.median,
          goal: agent ? `<= 1.10x${bt ? ', < bpftrace' : ''}` : undefined,
          pass: agent ? s.ratio <= 1.1 && (!bt || s.ratio < bt.ratio) : undefined,
          note: [s.rm_cpu_ms ? `rm CPU ${Math.round(s.rm_cpu_ms.median)} ms = ${(s.cpu_ratio ?? NaN).toFixed(2)}x` : '', v === 'untraced' ? '' : `tracer CPU ${Math.round(s.tracer_cpu_ms.median)} ms`].filter(Boolean).join('; '),
        });
      }
      for (const v of ['agent-json', 'agent-wire', 'bpftrace'] as Variant[]) {
        const s = storm[v];
        if (!s) continue;
        rows.push({
          section: 'P2',
          what: `rm -rf delivered/expected: ${v}`,
          value: (100 * s.delivered) / s.expected,
          unit: '%',
          goal: v === 'bpftrace' ? undefined : '100%',
          pass: v === 'bpftrace' ? undefined : s.delivered === s.expected,
          note: `${s.delivered}/${s.expected}, lost ${s.lost}`,
        });
      }
    }

    // ---- P1b
    const variants: Variant[] = ['untraced', 'agent-json', 'agent-wire'];
    if (haveBpftrace) variants.push('bpftrace');
    cfg.log(`  P1b fork+exec ${execN} x /bin/true, ${cfg.runs} runs per variant (${variants.join(', ')})`);
    const samples: Record<string, ExecSample[]> = Object.fromEntries(variants.map((v) => [v, []]));
    for (let round = 0; round < cfg.runs; round++) {
      for (let k = 0; k < variants.length; k++) {
        const v = variants[(k + round) % variants.length];
        const s = await execOnce(v, execN);
        samples[v].push(s);
        cfg.log(`    round ${round + 1} ${v.padEnd(10)} ${s.wallMs.toFixed(0).padStart(6)} ms  storm cpu ${s.cpuMs.toFixed(0).padStart(5)} ms  delivered ${s.delivered}/${execN}  lost ${s.lost}  tracer cpu ${s.tracerCpuMs.toFixed(0)} ms`);
      }
    }
    const base = stats(samples.untraced.map((s) => s.wallMs));
    const baseCpu = stats(samples.untraced.map((s) => s.cpuMs));
    const btRatio = haveBpftrace ? stats(samples.bpftrace.map((s) => s.wallMs)).median / base.median : undefined;
    const execJson: Record<string, unknown> = {};
    for (const v of variants) {
      const w = stats(samples[v].map((s) => s.wallMs));
      const ratio = w.median / base.median;
      const agent = v.startsWith('agent');
      const delivered = samples[v].reduce((a, s) => a + s.delivered, 0);
      const lost = samples[v].reduce((a, s) => a + s.lost, 0);
      const expected = execN * samples[v].length;
      const cpu = stats(samples[v].map((s) => s.tracerCpuMs));
      const sc = stats(samples[v].map((s) => s.cpuMs));
      execJson[v] = { wall_ms: w, ratio, storm_cpu_ms: sc, cpu_ratio: sc.median / baseCpu.median, tracer_cpu_ms: cpu, delivered, expected, lost, runs: samples[v] };
      rows.push({
        section: 'P1',
        what: `fork+exec ${execN / 1000}k /bin/true: ${v}`,
        value: w.median,
        min: w.min,
        max: w.max,
        unit: 'ms',
        ratio,
        goal: agent ? `<= 1.10x${btRatio ? ', < bpftrace' : ''}` : undefined,
        pass: agent ? ratio <= 1.1 && (btRatio === undefined || ratio < btRatio) : undefined,
        note: `storm CPU ${Math.round(sc.median)} ms = ${(sc.median / baseCpu.median).toFixed(2)}x${v === 'untraced' ? '' : `; tracer CPU ${Math.round(cpu.median)} ms`}`,
      });
      if (v !== 'untraced') {
        rows.push({
          section: 'P2',
          what: `exec delivered/expected: ${v}`,
          value: (100 * delivered) / expected,
          unit: '%',
          goal: agent ? '100%' : undefined,
          pass: agent ? delivered === expected : undefined,
          note: `${delivered}/${expected}, lost ${lost}`,
        });
      }
    }
    json.exec_storm = { n: execN, runs: cfg.runs, summary: execJson };

    // ---- P2 tiny ring buffer
    const tinyFiles = cfg.quick ? 10000 : 50000;
    cfg.log(`  P2 tiny ring buffer (--ringbuf-kb 64), rm -rf ${tinyFiles} files, ${cfg.runs} runs`);
    const work = fs.mkdtempSync('/tmp/kwt');
    const tiny: Array<{ delivered: number; lost: number; expected: number }> = [];
    try {
      for (let i = 0; i < cfg.runs; i++) {
        const t = await tinyRingOnce(work, i, tinyFiles, dirs, 'pid');
        tiny.push(t);
        cfg.log(`    run ${i + 1} (--pid): delivered ${t.delivered} + lost ${t.lost} = ${t.delivered + t.lost} (expected ${t.expected})`);
      }
      const px = await tinyRingOnce(work, cfg.runs, tinyFiles, dirs, 'prefix');
      cfg.log(`    once with --path-prefix: delivered ${px.delivered} + lost ${px.lost} = ${px.delivered + px.lost} (expected ${px.expected})`);
      json.tiny_ring_prefix = px;
      rows.push({
        section: 'P2',
        what: 'tiny ring, --path-prefix: lost+delivered-expected',
        value: px.delivered + px.lost - px.expected,
        unit: 'events',
        note: `${px.delivered} delivered + ${px.lost} lost vs ${px.expected} expected (0 = exact)`,
      });
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
    const exact = tiny.filter((t) => t.delivered + t.lost === t.expected).length;
    const lostShare = stats(tiny.map((t) => (100 * t.lost) / t.expected));
    json.tiny_ring = { ringbuf_kb: 64, files: tinyFiles, dirs, runs: tiny };
    rows.push({
      section: 'P2',
      what: `tiny ring (64 KiB): runs with lost+delivered = expected`,
      value: exact,
      unit: `of ${tiny.length}`,
      goal: 'all',
      pass: exact === tiny.length,
      note: `lost ${lostShare.median.toFixed(1)}% (${lostShare.min.toFixed(1)}-${lostShare.max.toFixed(1)}) of ${tinyFiles + dirs + 1}`,
    });
  }

  // ---- P7
  const size = fs.statSync(agent.path).size;
  rows.push({ section: 'P7', what: 'agent binary size (static)', value: size / 2 ** 20, unit: 'MiB', goal: '<= 2 MiB', pass: size <= 2 * 2 ** 20, note: `${size} bytes` });
  if (agentPeaks.length) {
    const p = stats(agentPeaks.map((kb) => kb / 1024));
    rows.push({ section: 'P7', what: `agent peak RSS (VmHWM) in P1/P2, ${p.n} agents`, value: p.max, min: p.min, max: p.max, unit: 'MiB', goal: '<= 20 MiB', pass: p.max <= 20, note: `median ${p.median.toFixed(1)} MiB` });
  }
  json.footprint = { agent_bytes: size, agent_peak_rss_kb: agentPeaks };
  return { rows, json };
}
