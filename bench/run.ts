// npm run bench [-- --quick] [--runs N] [--only p1,p3,...]
// Runs every benchmark of issue 7 in one invocation, prints one table and writes
// bench/results.json. Needs root (BPF, sshd), scripts/build.sh done, bpftrace for the
// comparison rows (skipped when absent). Sections (see each file's header for the method):
//   bench/overhead.ts  P1 overhead vs untraced and bpftrace, P2 completeness, P7 footprint
//   bench/ssh.ts       P3 throughput, P4 latency, P5 start time (loopback sshd)
//   bench/panel.ts     P6 webview frame time and memory (Chromium)
//   bench/journal.ts   P8 a firehose watch's journal: rate, share of P1's overhead, CPU per event
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUILT_AGENT, CLI, LOADGEN, ROOT, fmtAuto, loadAvg, machine, snapshotAgent, type BenchConfig, type Row } from './lib';
import { journal } from './journal';
import { overhead } from './overhead';
import { panel } from './panel';
import { overSsh } from './ssh';

const ALL = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8'];

function parse(argv: string[]): BenchConfig {
  let quick = false;
  let runs: number | undefined;
  let only = new Set(ALL);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') quick = true;
    else if (a === '--runs') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) fail(`--runs needs a positive integer, got "${argv[i]}"`);
      runs = v;
    } else if (a === '--only') {
      const v = (argv[++i] ?? '').split(',').map((s) => s.trim().toLowerCase());
      for (const s of v) if (!ALL.includes(s)) fail(`--only: unknown section "${s}" (p1..p8)`);
      only = new Set(v);
    } else if (a === '-h' || a === '--help') {
      console.log('usage: npm run bench -- [--quick] [--runs N] [--only p1,p2,...,p8]');
      process.exit(0);
    } else fail(`unknown option "${a}"`);
  }
  return { quick, runs: runs ?? (quick ? 2 : 5), only, log: (l) => console.log(l) };
}

function fail(msg: string): never {
  console.error(`bench: ${msg}`);
  process.exit(2);
}

function table(rows: Row[]): string {
  const head = ['P', 'measurement', 'median', 'min-max', 'unit', 'x untraced', 'goal', 'ok', 'notes'];
  const body = rows.map((r) => [
    r.section,
    r.what,
    fmtAuto(r.value),
    r.min !== undefined && r.max !== undefined ? `${fmtAuto(r.min)}-${fmtAuto(r.max)}` : '',
    r.unit,
    r.ratio !== undefined ? `${r.ratio.toFixed(2)}x` : '',
    r.goal ?? '',
    r.pass === undefined ? '' : r.pass ? 'yes' : 'NO',
    r.note ?? '',
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const right = new Set([2, 3, 5]);
  const line = (cells: string[]): string => cells.map((c, i) => (right.has(i) ? c.padStart(w[i]) : c.padEnd(w[i]))).join('  ').trimEnd();
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const cfg = parse(process.argv.slice(2));
  if (process.getuid?.() !== 0) fail('needs root (BPF programs, a private sshd); run it as root or with sudo -E');
  for (const [f, how] of [
    [BUILT_AGENT, 'scripts/build.sh (make -C native)'],
    [LOADGEN, 'make -C bench/loadgen'],
    [CLI, 'scripts/build.sh'],
    [path.join(ROOT, 'build', 'kw-trigger'), 'make -C test/agent/trigger'],
    [path.join(ROOT, 'out', 'bench', 'unlink-storm', 'storm.js'), 'scripts/build.sh (tsc)'],
  ]) {
    if (!fs.existsSync(f)) fail(`${path.relative(ROOT, f)} is missing; run ${how}`);
  }
  const dropAgent = snapshotAgent();
  process.on('exit', dropAgent);
  const m = machine();
  const t0 = Date.now();
  console.log(`Kernel Witness benchmarks${cfg.quick ? ' (--quick)' : ''}: ${m.nproc} CPUs (${m.cpu}), ${m.mem_gib} GiB, kernel ${m.kernel}, node ${m.node}, ${m.bpftrace}`);
  console.log(`load average at start: ${m.loadavg_start}; ${cfg.runs} runs per figure; sections ${[...cfg.only].join(',')}`);
  const rows: Row[] = [];
  const results: Record<string, unknown> = {};
  const errors: string[] = [];
  const out = path.join(ROOT, 'bench', 'results.json');
  const save = (extra: Record<string, unknown> = {}): void =>
    fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), quick: cfg.quick, runs: cfg.runs, machine: m, rows, errors, sections: results, ...extra }, null, 2) + '\n');
  const section = async (name: string, wanted: string[], fn: () => Promise<{ rows: Row[]; json: Record<string, unknown> }>): Promise<void> => {
    if (!wanted.some((s) => cfg.only.has(s))) return;
    const ts = Date.now();
    console.log(`\n[${name}] load ${loadAvg()}`);
    try {
      const r = await fn();
      rows.push(...r.rows.filter((row) => cfg.only.has(row.section.toLowerCase())));
      results[name] = { ...r.json, seconds: (Date.now() - ts) / 1000, loadavg_end: loadAvg() };
      save({ partial: true }); // a run cut short still leaves what it measured
    } catch (e) {
      const msg = `${name}: ${(e as Error).message}`;
      errors.push(msg);
      console.log(`  FAILED ${msg}`);
    }
  };
  await section('overhead', ['p1', 'p2', 'p7'], () => overhead(cfg));
  await section('ssh', ['p3', 'p4', 'p5'], () => overSsh(cfg));
  await section('panel', ['p6'], () => panel(cfg));
  await section('journal', ['p8'], () => journal(cfg));

  const order = (r: Row): number => ALL.indexOf(r.section.toLowerCase());
  rows.sort((a, b) => order(a) - order(b));
  const loadEnd = loadAvg();
  const secs = (Date.now() - t0) / 1000;
  console.log(`\n${table(rows)}`);
  console.log(`\nload average at start ${m.loadavg_start}, at end ${loadEnd}; ${secs.toFixed(0)} s in all${errors.length ? `; FAILED: ${errors.join('; ')}` : ''}`);
  save({ loadavg_end: loadEnd, seconds: secs });
  console.log(`wrote ${path.relative(process.cwd(), out) || out}`);
  process.exit(errors.length ? 1 : 0);
}

main().catch((e) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
