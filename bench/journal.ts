// Watch journal throughput (issue 11): how fast a firehose `kwitness-agent watch` journals, and
// what journaling costs next to a plain `trace --format wire > /dev/null`.
//
//   npm run bench -- --only p8               (the section 'P8 watch journal' of the full bench)
//   node out/bench/journal.js [--files N] [--storms K] [--runs R]      (root; scripts/build.sh and
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
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUILT_AGENT, ROOT, cpuMs, fmt, loadAvg, sleep, stats, waitClose, type BenchConfig, type Row } from './lib';

const TRIGGER = path.join(ROOT, 'build', 'kw-trigger');

interface Opts {
  files: number;
  storms: number;
  runs: number;
}

function parse(argv: string[]): Opts {
  const o: Opts = { files: 200000, storms: 2, runs: 3 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = Number(argv[++i]);
    if (!Number.isInteger(v) || v < 1) throw new Error(`${k} needs a positive integer`);
    if (k === '--files') o.files = v;
    else if (k === '--storms') o.storms = v;
    else if (k === '--runs') o.runs = v;
    else throw new Error(`unknown option ${k} (--files N --storms K --runs R)`);
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
  ];
  return { rows, json: { files: o.files, storms: o.storms, runs: o.runs, trace, watch } };
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
}

// standalone (node out/bench/journal.js); imported by bench/run.ts as a section
if (require.main === module) {
  main().catch((e: Error) => {
    console.error(`journal bench: ${e.message}`);
    process.exit(1);
  });
}
