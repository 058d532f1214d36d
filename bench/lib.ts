// Shared pieces of the benchmark runner (bench/run.ts): statistics, /proc readings (CPU time,
// peak RSS), process helpers, and the row type every section returns for the one table.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const ARCH = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
export const BUILT_AGENT = process.env.KW_AGENT ?? path.join(ROOT, 'dist', 'agent', `kwitness-agent-${ARCH}`);
/**
 * The agent every section runs: a private copy of the build taken when the run starts
 * (snapshotAgent), so a rebuild of dist/agent meanwhile changes nothing mid-run.
 */
export const agent = { path: BUILT_AGENT, dir: path.dirname(BUILT_AGENT) };

export function snapshotAgent(): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kwb-agent-'));
  const file = path.join(dir, `kwitness-agent-${ARCH}`);
  fs.copyFileSync(BUILT_AGENT, file);
  fs.chmodSync(file, 0o755);
  agent.path = file;
  agent.dir = dir;
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
export const LOADGEN = path.join(ROOT, 'build', 'kw-loadgen');
export const CLI = path.join(ROOT, 'dist', 'cli.js');
export const KW_CACHE = process.env.KW_CACHE ?? '/var/tmp/kwitness';

export interface BenchConfig {
  quick: boolean;
  runs: number;
  /** sections to run (p1..p8) */
  only: Set<string>;
  log: (line: string) => void;
}

/** One line of the final table. */
export interface Row {
  section: string; // P1 .. P7
  what: string;
  /** median, or the single figure */
  value: number;
  min?: number;
  max?: number;
  unit: string;
  /** ratio to the baseline (untraced) where one applies */
  ratio?: number;
  goal?: string;
  /** undefined when the figure has no goal */
  pass?: boolean;
  note?: string;
}

export interface Stats {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function stats(xs: number[]): Stats {
  if (xs.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, min: s[0], max: s[s.length - 1], n: s.length };
}

/** Nearest-rank percentile of an already sorted array. */
export function pct(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux

/** utime + stime of a process in ms (0 when it is gone). */
export function cpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** A field of /proc/PID/status in kB (VmHWM, VmRSS), or 0. */
export function statusKb(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export function ppidOf(pid: number): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(f.slice(f.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}

/** Pids whose /proc/PID/exe resolves to `exe` (optionally only children of `parent`). */
export function pidsOfExe(exe: string, parent?: number): number[] {
  let real = exe;
  try {
    real = fs.realpathSync(exe);
  } catch {
    /* replaced meanwhile: running copies show as "<path> (deleted)" */
  }
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const l = fs.readlinkSync(`/proc/${d}/exe`);
      if (l !== real && l !== `${real} (deleted)`) continue;
    } catch {
      continue;
    }
    const pid = Number(d);
    if (parent === undefined || ppidOf(pid) === parent) out.push(pid);
  }
  return out;
}

/**
 * Watches the peak RSS (VmHWM) of every process running `exe` (children of `parent` when
 * given), polling every `everyMs`: VmHWM only grows, so the last reading before a process exits
 * is its peak up to that moment.
 */
export class PeakRss {
  private timer: NodeJS.Timeout;
  private peaks = new Map<number, number>();
  constructor(
    private exe: string,
    private parent?: number,
    everyMs = 100,
  ) {
    this.timer = setInterval(() => this.poll(), everyMs);
  }
  poll(): void {
    for (const pid of pidsOfExe(this.exe, this.parent)) {
      const kb = statusKb(pid, 'VmHWM');
      if (kb > (this.peaks.get(pid) ?? 0)) this.peaks.set(pid, kb);
    }
  }
  /** Peak RSS in kB of each process seen. */
  stop(): number[] {
    clearInterval(this.timer);
    return [...this.peaks.values()];
  }
}

export function loadAvg(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}

export function machine(): Record<string, string | number> {
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  return {
    nproc: os.cpus().length,
    cpu,
    mem_gib: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    bpftrace: spawnSync('bpftrace', ['--version'], { encoding: 'utf8' }).stdout?.trim() || 'absent',
    loadavg_start: loadAvg(),
  };
}

/** Runs `cmd args` to the end; resolves with stdout, rejects with a one-line cause. */
export function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env: opts.env ?? process.env, cwd: opts.cwd });
    let out = '';
    let err = '';
    p.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    p.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${path.basename(cmd)} ${args.join(' ')} exited ${code}: ${err.trim().split('\n').pop()}`))));
    if (opts.input !== undefined) {
      p.stdin!.on('error', () => undefined); // a child that exits without reading: its exit code tells
      p.stdin!.end(opts.input);
    }
  });
}

/** Waits for a child to close; SIGKILL after `ms`. */
export async function waitClose(p: ChildProcess, ms = 10000): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const closed = new Promise<void>((r) => p.once('close', () => r()));
  await Promise.race([closed, sleep(ms).then(() => p.kill('SIGKILL'))]);
  await closed;
}

/** Boot-time clock (what the agent's ktime_ns uses) minus the monotonic clock (process.hrtime), in ns. */
export async function bootOffsetNs(): Promise<bigint> {
  return BigInt((await run(LOADGEN, ['clocks'])).trim());
}

/** Now on CLOCK_BOOTTIME in ns, as a number (exact below 2^53 ns of uptime). */
export function bootNowNs(offset: bigint): number {
  return Number(process.hrtime.bigint() + offset);
}

export function fmt(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return String(n);
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Figures with a sensible number of digits for the table. */
export function fmtAuto(n: number): string {
  if (Number.isInteger(n)) return fmt(n, 0);
  const a = Math.abs(n);
  return fmt(n, a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3);
}
