// Watch journal throughput (issue 11): how fast a firehose `kwitness-agent watch` journals, and
// what journaling costs next to a plain `trace --format wire > /dev/null`.
//
//   npm run bench -- --only p8               (the section 'P8 watch journal' of the full bench)
//   node out/bench/journal.js [--files N] [--storms K] [--runs R] [--seconds S]  (root; scripts/build.sh and
//   make -C test/agent/trigger first)
//
// Method, per run, the two variants interleaved (trace first in odd runs, watch first in even):
//   - N empty files in K dirs on /dev/shm (tmpfs: the generator is not the disk), created before
//     tracing starts; then K `kw-trigger unlink-many` at once (the firehose), unlink family with
//     --path-prefix on the storm root.
//   - trace: `trace unlink --format wire --path-prefix R` with stdout = /dev/null; ready once it
//     holds as many BPF links as a reference trace had when it printed its ready record.
//   - watch: `watch start` with DIR under /var/tmp (the root file system, a real disk with
//     fdatasync), --max-mb 4096 so nothing is capped.
//   Reported: the storm's wall time (the traced workload's view: overhead = watch / trace), the
//   agent CPU (trace: the agent; watch: worker + supervisor, after both went idle), and for the
//   watch the events journaled and lost, the journal rate = journaled / (last journal write - storm
//   start), and the supervisor's CPU per event (its capacity per core = 1 / that).
//
// The journal alone (the storm above cannot produce 100,000 unlinks/s on 2 shared vCPUs: the
// generator, the BPF programs and the tracer share them): a recording of the storm's own events
// (`trace --format wire > FILE`) is played back into a watch (`watch start --replay FILE
// --replay-rate R --max-events N`, native/replay.c) at a set rate, and as fast as it takes them.
// Reported per rate: the rate achieved (N / the time from the watch's ready answer until its
// supervisor exited, the journal synced and closed), how far the replay ever fell behind its schedule (backpressure from
// a journal that cannot keep up), and lost. Kept up = every event journaled, none lost, never
// more than 1 s behind.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUILT_AGENT, ROOT, cpuMs, fmt, loadAvg, sleep, stats, waitClose, type BenchConfig, type Row } from './lib';

const TRIGGER = path.join(ROOT, 'build', 'kw-trigger');

interface Opts {
  files: number;
  storms: number;
  runs: number;
  seconds?: number; // per replay rate
}

function parse(argv: string[]): Opts {
  const o: Opts = { files: 200000, storms: 2, runs: 3, seconds: 10 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = Number(argv[++i]);
    if (!Number.isInteger(v) || v < 1) throw new Error(`${k} needs a positive integer`);
    if (k === '--files') o.files = v;
    else if (k === '--storms') o.storms = v;
    else if (k === '--runs') o.runs = v;
    else if (k === '--seconds') o.seconds = v;
    else throw new Error(`unknown option ${k} (--files N --storms K --runs R --seconds S)`);
  }
  return o;
}

function links(pid: number): number {
  let n = 0;
  try {
    for (const fd of fs.readdirSync(`/proc/${pid}/fdinfo`)) {
      try {
        if (/^link_id:/m.test(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))) n++;
      } catch {
        /* closed meanwhile */
      }
    }
  } catch {
    /* gone */
  }
  return n;
}

async function until(what: string, cond: () => boolean, ms = 120000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Waits until the summed CPU of pids stays the same for 500 ms (the backlog is processed). */
async function idle(pids: number[]): Promise<number> {
  let last = -1;
  let same = 0;
  for (let i = 0; i < 1200 && same < 5; i++) {
    const now = pids.reduce((s, p) => s + cpuMs(p), 0);
    same = now === last ? same + 1 : 0;
    last = now;
    await sleep(100);
  }
  return last;
}

function agentJson(args: string[]): Record<string, unknown> {
  return JSON.parse(execFileSync(BUILT_AGENT, args, { encoding: 'utf8' })) as Record<string, unknown>;
}

/** The reference link count: a trace with the same arguments, at its ready record. */
async function readyLinks(root: string): Promise<number> {
  const c = spawn(BUILT_AGENT, ['trace', 'unlink', '--format', 'wire', '--path-prefix', root], { stdio: ['pipe', 'pipe', 'ignore'] });
  let got = 0;
  c.stdout!.on('data', (d: Buffer) => (got += d.length));
  await until('the reference trace ready', () => got > 0);
  const n = links(c.pid!);
  c.stdin!.end();
  await waitClose(c);
  return n;
}

function mkStorm(root: string, o: Opts): string[] {
  const dirs: string[] = [];
  for (let k = 0; k < o.storms; k++) {
    const d = path.join(root, `s${k}`);
    fs.mkdirSync(d, { recursive: true });
    execFileSync(TRIGGER, ['mkfiles', d, String(Math.floor(o.files / o.storms))]);
    dirs.push(d);
  }
  return dirs;
}

async function storm(dirs: string[], per: number): Promise<{ t0: number; ms: number }> {
  const t0 = Date.now();
  const h0 = process.hrtime.bigint();
  const ps: ChildProcess[] = dirs.map((d) => spawn(TRIGGER, ['unlink-many', d, String(per)], { stdio: 'ignore' }));
  const codes = await Promise.all(ps.map((p) => new Promise<number | null>((r) => p.on('close', r))));
  if (codes.some((c) => c !== 0)) throw new Error(`a storm failed: ${codes.join(',')}`);
  return { t0, ms: Number(process.hrtime.bigint() - h0) / 1e6 };
}

interface Result {
  storm_ms: number;
  cpu_ms: number;
  journaled?: number;
  lost?: number;
  journal_rate?: number;
  sup_us_per_event?: number;
  journal_bytes?: number;
}

async function runTrace(root: string, o: Opts, wantLinks: number): Promise<Result> {
  const dirs = mkStorm(root, o);
  const devnull = fs.openSync('/dev/null', 'w');
  const c = spawn(BUILT_AGENT, ['trace', 'unlink', '--format', 'wire', '--path-prefix', root], { stdio: ['pipe', devnull, 'ignore'] });
  fs.closeSync(devnull);
  await until('trace ready', () => links(c.pid!) >= wantLinks);
  await sleep(200); // the ready record follows the last attach within milliseconds (proc scan)
  const cpu0 = cpuMs(c.pid);
  const s = await storm(dirs, Math.floor(o.files / o.storms));
  const cpu1 = await idle([c.pid!]);
  c.stdin!.end();
  await waitClose(c, 30000);
  return { storm_ms: s.ms, cpu_ms: cpu1 - cpu0 };
}

async function runWatch(root: string, o: Opts): Promise<Result> {
  const dirs = mkStorm(root, o);
  const wdir = fs.mkdtempSync('/var/tmp/kw-bench-journal-');
  const dir = path.join(wdir, 'w');
  try {
    // a daemon everywhere: on a systemd host the unit's CPUQuota would cap the figure
    const st = agentJson(['watch', 'start', '--dir', dir, '--id', 'bench', '--service', 'daemon', '--max-mb', '4096', '--keep-free-mb', '256', '--', 'unlink', '--path-prefix', root]);
    const sup = st.pid as number;
    const worker = agentJson(['watch', 'status', '--dir', dir]).worker_pid as number;
    const cpu0 = cpuMs(sup) + cpuMs(worker);
    const sup0 = cpuMs(sup);
    const s = await storm(dirs, Math.floor(o.files / o.storms));
    const cpu1 = await idle([sup, worker]);
    const sup1 = cpuMs(sup);
    // the journal as written: its records and the time of its last write
    const jdir = path.join(dir, 'journal');
    let journaled = 0;
    let lastWriteMs = 0;
    let bytes = 0;
    for (const f of fs.readdirSync(jdir)) {
      const p = path.join(jdir, f);
      const buf = fs.readFileSync(p);
      bytes += buf.length;
      lastWriteMs = Math.max(lastWriteMs, Number(fs.statSync(p, { bigint: true }).mtimeNs / 1000n) / 1000);
      for (let pos = 0; pos + 4 <= buf.length; ) {
        const len = buf.readUInt32LE(pos);
        if (buf.readUInt16LE(pos + 4) === 1) journaled++;
        pos += 4 + len;
      }
    }
    let status = agentJson(['watch', 'status', '--dir', dir]);
    for (let i = 0; i < 100 && status.events !== journaled; i++) {
      await sleep(100); // status.json lags the journal by up to a second
      status = agentJson(['watch', 'status', '--dir', dir]);
    }
    agentJson(['watch', 'stop', '--dir', dir]);
    const span = Math.max(1, lastWriteMs - s.t0);
    return {
      storm_ms: s.ms,
      cpu_ms: cpu1 - cpu0,
      journaled,
      lost: status.lost as number,
      journal_rate: journaled / (span / 1000),
      sup_us_per_event: ((sup1 - sup0) * 1000) / Math.max(1, journaled),
      journal_bytes: bytes,
    };
  } finally {
    fs.rmSync(wdir, { recursive: true, force: true });
  }
}

/** A recording of real unlink events: a storm of `files` files traced in wire format into a file. */
async function record(base: string, wantLinks: number, files: number): Promise<string> {
  const root = path.join(base, 'rec');
  const dirs = mkStorm(root, { files, storms: 1, runs: 1 });
  const file = path.join(base, 'recording.wire');
  const fd = fs.openSync(file, 'w');
  const c = spawn(BUILT_AGENT, ['trace', 'unlink', '--format', 'wire', '--path-prefix', root], { stdio: ['pipe', fd, 'ignore'] });
  fs.closeSync(fd);
  await until('the recording trace ready', () => links(c.pid!) >= wantLinks);
  await sleep(200);
  await storm(dirs, files);
  await idle([c.pid!]);
  c.stdin!.end();
  await waitClose(c, 30000);
  fs.rmSync(root, { recursive: true, force: true });
  return file;
}

/** A live process that is not a zombie (this machine's PID 1 does not reap orphans). */
function alive(pid: number): boolean {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export interface ReplayResult {
  offered: number; // events/s; 0 = as fast as the journal takes them
  count: number;
  journaled: number;
  lost: number;
  elapsed_ms: number;
  achieved: number; // events/s
  behind_ms: number; // the most the replay ever was behind its schedule
  kept_up: boolean;
}

/** The journal alone: the recording played into a firehose watch at `offered` events/s until `count` events. */
async function runReplay(recording: string, offered: number, count: number): Promise<ReplayResult> {
  const wdir = fs.mkdtempSync('/var/tmp/kw-bench-replay-');
  const dir = path.join(wdir, 'w');
  try {
    const st = agentJson(['watch', 'start', '--dir', dir, '--id', 'bench-replay', '--service', 'daemon', '--max-mb', '4096', '--keep-free-mb', '256',
      '--max-events', String(count), '--replay', recording, '--replay-rate', String(offered), '--', 'unlink']);
    const h0 = process.hrtime.bigint(); // the start answers once the worker's ready record is journaled: the replay begins
    const sup = st.pid as number;
    await until('the replayed watch to end', () => !alive(sup), 600000);
    const elapsed = Number(process.hrtime.bigint() - h0) / 1e6;
    const status = agentJson(['watch', 'status', '--dir', dir]);
    const log = fs.readFileSync(path.join(dir, 'agent.log'), 'utf8');
    const m = /replay: (\d+) events in [\d.]+ s .*at most (\d+) ms behind/.exec(log);
    agentJson(['watch', 'stop', '--dir', dir]);
    const journaled = status.events as number;
    const lost = status.lost as number;
    const behind = m ? Number(m[2]) : NaN;
    return {
      offered, count, journaled, lost, elapsed_ms: elapsed, achieved: journaled / (elapsed / 1000), behind_ms: behind,
      kept_up: journaled === count && lost === 0 && behind <= 1000 && (offered === 0 || elapsed <= (count / offered) * 1000 + 1000),
    };
  } finally {
    fs.rmSync(wdir, { recursive: true, force: true });
  }
}

/** The recording replayed at each rate, `runs` times (the last rate 0: unpaced). */
async function measureReplay(o: Opts, seconds: number, rates: number[], log: (l: string) => void): Promise<ReplayResult[]> {
  const base = fs.mkdtempSync('/dev/shm/kw-bench-replay-');
  const out: ReplayResult[] = [];
  try {
    const recording = await record(base, await readyLinks(base), 20000);
    log(`  recording: ${fmt(fs.statSync(recording).size / 2 ** 20, 1)} MiB of real unlink records, replayed ${seconds} s per rate into a watch journaling to ${fs.realpathSync('/var/tmp')}`);
    for (let r = 0; r < o.runs; r++) {
      for (const rate of rates) {
        const res = await runReplay(recording, rate, rate ? rate * seconds : 200000 * seconds);
        out.push(res);
        log(`  run ${r + 1} replay ${rate ? `${fmt(rate)}/s` : 'unpaced'}: journaled ${fmt(res.journaled)} of ${fmt(res.count)} in ${fmt(res.elapsed_ms)} ms = ${fmt(res.achieved)}/s, at most ${res.behind_ms} ms behind, lost ${res.lost}${res.kept_up ? ', kept up' : ', DID NOT keep up'}`);
      }
    }
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
  return out;
}

/** Both variants, interleaved; the medians. */
async function measure(o: Opts, log: (l: string) => void): Promise<{ trace: Result[]; watch: Result[] }> {
  const base = fs.mkdtempSync('/dev/shm/kw-bench-journal-');
  const trace: Result[] = [];
  const watch: Result[] = [];
  try {
    const wantLinks = await readyLinks(base);
    for (let r = 0; r < o.runs; r++) {
      const order: Array<'trace' | 'watch'> = r % 2 ? ['watch', 'trace'] : ['trace', 'watch'];
      for (const v of order) {
        const root = path.join(base, `${v}-${r}`);
        const res = v === 'trace' ? await runTrace(root, o, wantLinks) : await runWatch(root, o);
        (v === 'trace' ? trace : watch).push(res);
        log(
          `  run ${r + 1} ${v.padEnd(5)} storm ${fmt(res.storm_ms)} ms (${fmt(o.files / (res.storm_ms / 1000))} unlinks/s), agent CPU ${fmt(res.cpu_ms)} ms` +
            (res.journaled !== undefined
              ? `; journaled ${fmt(res.journaled)}, lost ${fmt(res.lost ?? 0)}, ${fmt(res.journal_rate ?? 0)} events/s journaled, supervisor ${(res.sup_us_per_event ?? 0).toFixed(2)} µs/event, ${fmt((res.journal_bytes ?? 0) / 2 ** 20, 1)} MiB`
              : ''),
        );
        fs.rmSync(root, { recursive: true, force: true });
      }
    }
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
  return { trace, watch };
}

/** Section P8 of `npm run bench`: the journal's rate, its share of P1's overhead, its CPU. */
export async function journal(cfg: BenchConfig): Promise<{ rows: Row[]; json: Record<string, unknown> }> {
  const o: Opts = { files: cfg.quick ? 40000 : 200000, storms: 2, runs: Math.min(cfg.runs, 3) };
  cfg.log(`  ${o.files} unlinks in ${o.storms} parallel storms on /dev/shm, ${o.runs} runs; the journal on ${fs.realpathSync('/var/tmp')}`);
  const { trace, watch } = await measure(o, cfg.log);
  const replay = await measureReplay(o, cfg.quick ? 3 : 10, [100000, 200000, 0], cfg.log);
  const st = (xs: number[]) => stats(xs);
  const rate = st(watch.map((x) => x.journal_rate ?? 0));
  const wall = st(watch.map((x, i) => x.storm_ms / trace[i].storm_ms));
  const sup = st(watch.map((x) => x.sup_us_per_event ?? 0));
  const lost = watch.reduce((n, x) => n + (x.lost ?? 0), 0);
  const rows: Row[] = [
    {
      section: 'P8', what: 'watch journal: events journaled per second (firehose)', value: rate.median, min: rate.min, max: rate.max, unit: 'ev/s', goal: '>= 100,000/s', pass: rate.median >= 100000,
      note: `equals the storm's own rate when the storm is the limit; ${lost} lost in all runs`,
    },
    { section: 'P8', what: "watch journal's share of P1: storm wall time, watch / trace > /dev/null", value: wall.median, min: wall.min, max: wall.max, unit: 'x', note: 'the traced workload sees this' },
    { section: 'P8', what: 'watch supervisor CPU per journaled event', value: sup.median, min: sup.min, max: sup.max, unit: 'µs', note: `${fmt(1e6 / Math.max(sup.median, 1e-9))} events/s per core` },
    ...replayRows(replay),
  ];
  return { rows, json: { files: o.files, storms: o.storms, runs: o.runs, trace, watch, replay } };
}

/** One row per replay rate: the achieved rate's median, kept up in every run or not. */
function replayRows(replay: ReplayResult[]): Row[] {
  const rates = [...new Set(replay.map((r) => r.offered))];
  return rates.map((rate) => {
    const rs = replay.filter((r) => r.offered === rate);
    const a = stats(rs.map((r) => r.achieved));
    const kept = rs.every((r) => r.kept_up);
    return {
      section: 'P8',
      what: rate ? `watch journal, a recording replayed at ${fmt(rate)}/s (the journal alone)` : 'watch journal, a recording replayed as fast as it is taken',
      value: a.median, min: a.min, max: a.max, unit: 'ev/s',
      goal: rate ? `kept up (>= 100,000/s)` : '>= 100,000/s',
      pass: rate ? kept && rate >= 100000 : a.median >= 100000 && kept,
      note: `${rs.map((r) => `${fmt(r.journaled)} journaled, ${r.lost} lost, <= ${r.behind_ms} ms behind`).join('; ')}`,
    };
  });
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  console.log(`journal bench: ${o.files} unlinks in ${o.storms} parallel storms on /dev/shm, ${o.runs} runs, load ${loadAvg()}`);
  const { trace, watch } = await measure(o, (l) => console.log(l));
  const med = (xs: number[]) => stats(xs).median;
  const tStorm = med(trace.map((x) => x.storm_ms));
  const wStorm = med(watch.map((x) => x.storm_ms));
  const tCpu = med(trace.map((x) => x.cpu_ms));
  const wCpu = med(watch.map((x) => x.cpu_ms));
  const rate = med(watch.map((x) => x.journal_rate ?? 0));
  const sup = med(watch.map((x) => x.sup_us_per_event ?? 0));
  console.log('');
  console.log(`journal rate (median): ${fmt(rate)} events/s journaled (goal >= 100,000/s: ${rate >= 100000 ? 'met' : 'not met'})`);
  console.log(`supervisor: ${sup.toFixed(2)} µs CPU per event -> ${fmt(1e6 / sup)} events/s per core`);
  console.log(`storm wall, watch vs trace > /dev/null: ${fmt(wStorm)} vs ${fmt(tStorm)} ms (${(wStorm / tStorm).toFixed(2)}x)`);
  console.log(`agent CPU, watch (worker + supervisor) vs trace: ${fmt(wCpu)} vs ${fmt(tCpu)} ms (${(wCpu / tCpu).toFixed(2)}x)`);
  console.log(`lost in the watch runs: ${watch.map((x) => x.lost).join(', ')}; load ${loadAvg()}`);
  console.log('');
  console.log('the journal alone: a recording of those unlinks replayed into a watch');
  const replay = await measureReplay(o, o.seconds ?? 10, [100000, 200000, 0], (l) => console.log(l));
  for (const r of replayRows(replay)) console.log(`${r.what}: ${fmt(r.value)}/s (median), ${r.pass ? 'kept up' : 'NOT kept up'}; ${r.note}`);
}

// standalone (node out/bench/journal.js); imported by bench/run.ts as a section
if (require.main === module) {
  main().catch((e: Error) => {
    console.error(`journal bench: ${e.message}`);
    process.exit(1);
  });
}
