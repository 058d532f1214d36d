// The agent's event suite runner: runs the table of cases (cases.ts) against a Target, i.e. a
// machine with the agent and the trigger program on it. LocalTarget (this machine, as root) is
// here; test/vm/ adds an SSH target that runs the same cases inside Debian guests.
//
// One case run:
//   1. mkdir a unique case dir D on the target and run the case's setup script (agent not running);
//   2. start the agent twice at once, `--format json` and `--format wire` (decoded by WireDecoder),
//      with the case's families, attach mode and filters, and wait for both `ready` records;
//   3. run the trigger script; its shell prints its pid, so the runner knows the trigger's process
//      tree (pid == root or root among the event's ancestors);
//   4. wait until the expected number of events arrived (or a timeout), plus a short settle time
//      to catch extra events, then end the agents by closing stdin and wait for a clean exit;
//   5. keep the events in the case's scope ('tree', 'dir' or 'all') of the counted types and
//      compare them with the case's expected events: EXACTLY these, no more, no fewer.
// Every event in the stream is also checked against the event model (validateEvent), every
// event's probe must be one the ready record announced, and nothing may be lost.
//
// Another target (test/vm: SSH into a guest) implements Target: run() = `bash -c` there as root,
// has(), tmpdir (mode 755), agentPath/triggerPath in the guest (build/kw-trigger is static: copy
// it), and startAgent(args) = spawn the agent there and feed its bytes into an AgentStream
// (pushStdout/pushStderr/pushExit; closeStdin must reach the agent's stdin, kill a signal).
// Then: for each case, runCase(target, c, { mode, cgroup2: await cgroup2Mount(target) }) and
// fail on any entry of result.problems; skip when c.needs has a tool target.has() lacks.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  isInodeNumber,
  isKwEvent,
  rawBytes,
  type AgentRecord,
  type AttachMode,
  type Family,
  type KwEvent,
  type KwEventType,
  type LostRecord,
  type ProbeReport,
  type ReadyRecord,
} from '../../src/core/events';
import { WireDecoder } from '../../src/core/wire/decoder';

export type Format = 'json' | 'wire';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface AgentExit {
  code: number | null;
  signal: string | null;
}

/** A running agent: records parsed (json) or decoded (wire) as they arrive. */
export interface AgentProc {
  readonly format: Format;
  readonly records: AgentRecord[];
  readonly stderr: string;
  /** Host-side pid of the agent when known (LocalTarget), else undefined. */
  readonly pid: number | undefined;
  readonly exited: Promise<AgentExit>;
  readonly exitInfo: AgentExit | undefined;
  /** Resolves with the first record (already received or future) that satisfies pred. */
  waitFor(pred: (r: AgentRecord) => boolean, timeoutMs: number, what: string): Promise<AgentRecord>;
  /** Resolves when no record arrived for quietMs (or the agent exited), at most maxMs. */
  waitQuiet(quietMs: number, maxMs: number): Promise<void>;
  closeStdin(): void;
  /** Writes to the agent's stdin (heartbeats, 'q'); a no-op where the target cannot. */
  writeStdin(data: string): void;
  kill(signal: NodeJS.Signals): void;
}

export interface Target {
  readonly name: string;
  /** Absolute base temp dir on the target (mode 755, so other uids can enter). */
  readonly tmpdir: string;
  /** Path of the agent binary on the target. */
  readonly agentPath: string;
  /** Path of the kw-trigger binary on the target. */
  readonly triggerPath: string;
  /** Runs `bash -c script` on the target as root. */
  run(script: string, opts?: { input?: string; timeoutMs?: number }): Promise<RunResult>;
  startAgent(args: string[]): AgentProc;
  /** Whether a tool (python3, node, busybox, ...) or a feature ('cgroup2') is there. */
  has(tool: string): Promise<boolean>;
  dispose(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The agent process, independent of how its bytes travel (local pipe, SSH channel).

export class AgentStream implements AgentProc {
  readonly records: AgentRecord[] = [];
  private readonly stderrChunks: Buffer[] = [];
  private readonly wire = new WireDecoder();
  private lineParts: Buffer[] = [];
  private listeners: Array<() => void> = [];
  private _exit: AgentExit | undefined;
  private lastRecordAt = Date.now();
  readonly exited: Promise<AgentExit>;
  private resolveExit!: (e: AgentExit) => void;

  constructor(
    readonly format: Format,
    readonly pid: number | undefined,
    private readonly io: { closeStdin(): void; kill(signal: NodeJS.Signals): void; write?(data: string): void },
  ) {
    this.exited = new Promise((res) => (this.resolveExit = res));
  }

  get stderr(): string {
    return Buffer.concat(this.stderrChunks).toString('utf8');
  }

  get exitInfo(): AgentExit | undefined {
    return this._exit;
  }

  pushStdout(chunk: Uint8Array): void {
    const before = this.records.length;
    if (this.format === 'wire') {
      for (const r of this.wire.push(chunk)) this.records.push(r);
    } else {
      let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      let nl: number;
      while ((nl = buf.indexOf(10)) >= 0) {
        this.lineParts.push(buf.subarray(0, nl));
        const line = Buffer.concat(this.lineParts).toString('utf8');
        this.lineParts = [];
        buf = buf.subarray(nl + 1);
        if (line.trim() === '') continue;
        try {
          this.records.push(JSON.parse(line) as AgentRecord);
        } catch (e) {
          this.records.push({ type: 'error', time: '', message: `suite: bad JSON line from agent: ${JSON.stringify(line.slice(0, 300))}` });
        }
      }
      if (buf.length) this.lineParts.push(Buffer.from(buf));
    }
    if (this.records.length !== before) {
      this.lastRecordAt = Date.now();
      this.notify();
    }
  }

  pushStderr(chunk: Uint8Array): void {
    this.stderrChunks.push(Buffer.from(chunk));
  }

  pushExit(code: number | null, signal: string | null): void {
    if (this._exit) return;
    this._exit = { code, signal };
    this.resolveExit(this._exit);
    this.notify();
  }

  private notify(): void {
    const ls = this.listeners;
    this.listeners = [];
    for (const l of ls) l();
  }

  private onChange(): Promise<void> {
    return new Promise((res) => this.listeners.push(res));
  }

  async waitFor(pred: (r: AgentRecord) => boolean, timeoutMs: number, what: string): Promise<AgentRecord> {
    const deadline = Date.now() + timeoutMs;
    let seen = 0;
    for (;;) {
      for (; seen < this.records.length; seen++) if (pred(this.records[seen])) return this.records[seen];
      if (this._exit) {
        throw new Error(`${this.format} agent exited (code ${this._exit.code}, signal ${this._exit.signal}) before ${what}; stderr: ${this.stderr.trim().slice(0, 500)}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.format} agent: timed out after ${timeoutMs} ms waiting for ${what}; stderr: ${this.stderr.trim().slice(0, 500)}`);
      await Promise.race([this.onChange(), sleep(Math.min(left, 250))]);
    }
  }

  async waitQuiet(quietMs: number, maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (!this._exit && Date.now() < deadline && Date.now() - this.lastRecordAt < quietMs) await sleep(50);
  }

  closeStdin(): void {
    this.io.closeStdin();
  }

  writeStdin(data: string): void {
    this.io.write?.(data);
  }

  kill(signal: NodeJS.Signals): void {
    if (!this._exit) this.io.kill(signal);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}

// ---------------------------------------------------------------------------------------------
// This machine.

export const KW_ROOT = path.resolve(__dirname, '..', '..', '..');

export class LocalTarget implements Target {
  readonly name = 'local';
  readonly tmpdir: string;
  readonly agentPath: string;
  readonly triggerPath: string;
  private readonly children = new Set<ChildProcess>();

  constructor(opts: { agentPath?: string; triggerPath?: string } = {}) {
    const arch = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
    this.agentPath = opts.agentPath ?? process.env.KW_AGENT ?? path.join(KW_ROOT, 'dist', 'agent', `kwitness-agent-${arch}`);
    this.triggerPath = opts.triggerPath ?? process.env.KW_TRIGGER ?? path.join(KW_ROOT, 'build', 'kw-trigger');
    this.tmpdir = fs.mkdtempSync('/tmp/kw-agent-');
    fs.chmodSync(this.tmpdir, 0o755);
  }

  run(script: string, opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/bash', ['-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
      this.children.add(child);
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`local: script timed out after ${opts.timeoutMs ?? 60000} ms: ${script.slice(0, 200)}`));
      }, opts.timeoutMs ?? 60000);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        this.children.delete(child);
        resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input ?? '');
    });
  }

  /** `format`: how to read its stdout when args do not say (`attach` streams the trace's format). */
  startAgent(args: string[], format?: Format): AgentProc {
    format ??= args[args.indexOf('--format') + 1] === 'wire' && args.includes('--format') ? 'wire' : 'json';
    const child = spawn(this.agentPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.add(child);
    const agent = new AgentStream(format, child.pid, {
      closeStdin: () => child.stdin.end(),
      kill: (sig) => child.kill(sig),
      write: (data) => child.stdin.write(data),
    });
    child.stdin.on('error', () => undefined);
    child.stdout.on('data', (d: Buffer) => agent.pushStdout(d));
    child.stderr.on('data', (d: Buffer) => agent.pushStderr(d));
    child.on('error', (e) => {
      agent.pushStderr(Buffer.from(`spawn failed: ${e.message}\n`));
      agent.pushExit(127, null);
    });
    child.on('close', (code, signal) => {
      this.children.delete(child);
      agent.pushExit(code, signal);
    });
    return agent;
  }

  async has(tool: string): Promise<boolean> {
    if (tool === 'cgroup2') return (await this.run(`awk '$3=="cgroup2"{f=1} END{exit !f}' /proc/mounts`)).code === 0;
    if (tool.startsWith('/')) return (await this.run(`test -e ${shq(tool)}`)).code === 0;
    if (tool === 'overlay-root') return (await this.run(OVERLAY_ROOT_CHECK)).code === 0;
    if (tool === 'ia32') return (await this.run(IA32_CHECK(this.triggerPath))).code === 0;
    if (tool === 'nobody') return (await this.run('id -u nobody || getent passwd 65534')).code === 0;
    return (await this.run(`command -v ${shq(tool)}`)).code === 0;
  }

  async dispose(): Promise<void> {
    for (const c of this.children) c.kill('SIGKILL');
    fs.rmSync(this.tmpdir, { recursive: true, force: true });
  }
}

/** Single-quotes a string for bash. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

// ---------------------------------------------------------------------------------------------
// Matching.

/** A predicate with a description for messages. */
export interface Pred {
  (v: unknown): boolean;
  desc: string;
}
export function pred(desc: string, f: (v: unknown) => boolean): Pred {
  return Object.assign((v: unknown) => f(v), { desc });
}
/** An array whose first items match `items` (more may follow). */
export function startsWith(items: Want[]): Pred {
  return pred(`[${items.map(describeWant).join(', ')}, ...]`, (v) => Array.isArray(v) && v.length >= items.length && items.every((w, i) => matchWant(v[i], w) === null));
}
/** A byte-string field whose exact bytes (printable + X_b64) equal `bytes`; use on the event. */
export function bytesOf(field: string, bytes: Uint8Array): Pred {
  return pred(`${field} bytes = ${Buffer.from(bytes).toString('hex')}`, (e) => {
    const o = e as Record<string, unknown>;
    if (typeof o[field] !== 'string') return false;
    return Buffer.from(rawBytes(o[field] as string, o[`${field}_b64`] as string | undefined)).equals(Buffer.from(bytes));
  });
}
export const anyNumber = pred('any number', (v) => typeof v === 'number' && Number.isFinite(v));
export const positive = pred('> 0', (v) => typeof v === 'number' && v > 0);
export const absPath = pred('absolute path', (v) => typeof v === 'string' && v.startsWith('/'));

export type Want = unknown;

export function describeWant(w: Want): string {
  if (typeof w === 'function') return (w as Pred).desc ?? 'predicate';
  if (w instanceof RegExp) return String(w);
  if (Array.isArray(w)) return `[${w.map(describeWant).join(', ')}]`;
  if (w && typeof w === 'object') return `{${Object.entries(w).map(([k, v]) => `${k}: ${describeWant(v)}`).join(', ')}}`;
  return JSON.stringify(w);
}

/** null when v matches w, else the reason. Objects match by the keys of w; `$self` checks the whole value. */
export function matchWant(v: unknown, w: Want, at = ''): string | null {
  if (typeof w === 'function') return (w as Pred)(v) ? null : `${at || 'value'}: ${short(v)} is not ${describeWant(w)}`;
  if (w instanceof RegExp) return typeof v === 'string' && w.test(v) ? null : `${at}: ${short(v)} does not match ${w}`;
  if (Array.isArray(w)) {
    if (!Array.isArray(v)) return `${at}: ${short(v)} is not an array`;
    if (v.length !== w.length) return `${at}: length ${v.length} != ${w.length} (${short(v)})`;
    for (let i = 0; i < w.length; i++) {
      const r = matchWant(v[i], w[i], `${at}[${i}]`);
      if (r) return r;
    }
    return null;
  }
  if (w && typeof w === 'object') {
    if (!v || typeof v !== 'object') return `${at}: ${short(v)} is not an object`;
    for (const [k, wk] of Object.entries(w)) {
      const r = k === '$self' ? matchWant(v, wk, at || 'event') : matchWant((v as Record<string, unknown>)[k], wk, at ? `${at}.${k}` : k);
      if (r) return r;
    }
    return null;
  }
  return Object.is(v, w) ? null : `${at}: ${short(v)} != ${JSON.stringify(w)}`;
}

function short(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 200 ? s.slice(0, 200) + '…' : s;
}

export function summarize(e: KwEvent): string {
  const o = e as unknown as Record<string, unknown>;
  const what = o.path ?? o.filename ?? '';
  return `${e.type}${o.op ? '/' + o.op : ''} pid=${e.pid} comm=${JSON.stringify(e.comm)} ${JSON.stringify(what)} ret=${e.ret}${e.type === 'exit' ? ` code=${e.exit_code}` : ''}`;
}

/** Matches got against want: in order, or as a multiset (greedy). Returns the problems. */
export function matchEvents(got: KwEvent[], want: Want[], ordered: boolean): string[] {
  const problems: string[] = [];
  if (ordered) {
    for (let i = 0; i < Math.max(got.length, want.length); i++) {
      if (i >= got.length) problems.push(`missing event #${i}: ${describeWant(want[i])}`);
      else if (i >= want.length) problems.push(`unexpected event #${i}: ${summarize(got[i])}`);
      else {
        const r = matchWant(got[i], want[i]);
        if (r) problems.push(`event #${i} (${summarize(got[i])}): ${r}`);
      }
    }
  } else {
    const used = new Array<boolean>(got.length).fill(false);
    want.forEach((w, i) => {
      const j = got.findIndex((g, k) => !used[k] && matchWant(g, w) === null);
      if (j >= 0) used[j] = true;
      else {
        // Report the closest candidate's reason: the first unused event of the same type.
        const cand = got.findIndex((g, k) => !used[k] && (w as { type?: unknown }).type === g.type);
        problems.push(`missing expected #${i}: ${describeWant(w)}${cand >= 0 ? `; nearest ${summarize(got[cand])}: ${matchWant(got[cand], w)}` : ''}`);
      }
    });
    got.forEach((g, k) => {
      if (!used[k]) problems.push(`unexpected event: ${summarize(g)}`);
    });
  }
  if (problems.length > 20) problems.splice(20, problems.length - 20, `... and ${problems.length - 20} more`);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The event model, checked on every event.

const FILE_OPS = new Set(['unlink', 'rmdir', 'rename', 'exchange', 'open', 'mkdir', 'mknod', 'link', 'symlink']);
const ISO_NS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;

export function validateEvent(e: KwEvent): string[] {
  const p: string[] = [];
  const o = e as unknown as Record<string, unknown>;
  const int = (k: string, min = -Infinity) => {
    if (typeof o[k] !== 'number' || !Number.isInteger(o[k]) || (o[k] as number) < min) p.push(`${k}=${short(o[k])} is not an integer >= ${min}`);
  };
  const str = (k: string) => {
    if (typeof o[k] !== 'string') p.push(`${k}=${short(o[k])} is not a string`);
  };
  if (typeof o.time !== 'string' || !ISO_NS.test(o.time)) p.push(`time=${short(o.time)} is not ISO 8601 with ns`);
  int('ktime_ns', 1);
  int('pid', 1);
  int('tid', 1);
  int('ppid', 0);
  int('uid', 0);
  int('gid', 0);
  if (e.type !== 'call') {
    int('ret');
    if (typeof o.ret === 'number' && o.ret > 0) p.push(`ret=${o.ret} > 0`);
  }
  str('comm');
  if (typeof o.comm === 'string' && Buffer.byteLength(o.comm) > 15 && o.comm_b64 === undefined) p.push(`comm longer than 15 bytes`);
  // command lines: on the event and every ancestor, an array of strings or null (unknown)
  const cmdOk = (v: unknown) => v === null || (Array.isArray(v) && v.length > 0 && v.every((a) => typeof a === 'string'));
  if (!cmdOk(o.cmdline)) p.push(`cmdline=${short(o.cmdline)} is not a non-empty string array or null`);
  for (const a of (Array.isArray(o.ancestors) ? o.ancestors : []) as Array<Record<string, unknown>>) {
    if (!cmdOk(a.cmdline)) p.push(`ancestor ${short(a.pid)} cmdline=${short(a.cmdline)} is not a non-empty string array or null`);
  }
  str('exe');
  if (typeof o.exe === 'string' && o.exe !== '' && !o.exe.startsWith('/')) p.push(`exe=${short(o.exe)} is not absolute`);
  str('cwd');
  if (typeof o.cwd === 'string' && !o.cwd.startsWith('/')) p.push(`cwd=${short(o.cwd)} is not absolute`);
  if (!Array.isArray(o.ancestors)) p.push('ancestors is not an array');
  else
    for (const a of o.ancestors as Array<Record<string, unknown>>) {
      if (typeof a.pid !== 'number' || typeof a.comm !== 'string' || typeof a.exe !== 'string') p.push(`bad ancestor ${short(a)}`);
    }
  str('cgroup');
  if (typeof o.cgroup === 'string' && !o.cgroup.startsWith('/')) p.push(`cgroup=${short(o.cgroup)} is not a path`);
  if (o.container !== null && typeof o.container !== 'string') p.push(`container=${short(o.container)}`);
  str('probe');
  if (typeof o.probe === 'string' && !/^(fentry|fexit|kprobe|kretprobe|tracepoint|raw_tracepoint|tp_btf):/.test(o.probe)) p.push(`probe=${short(o.probe)} does not name an attach point`);
  for (const k of Object.keys(o)) {
    if (k.endsWith('_b64') && o[k] !== undefined && k !== 'argv_b64') {
      if (typeof o[k] !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(o[k] as string)) p.push(`${k} is not base64`);
      const base = k.slice(0, -4);
      if (typeof o[base] === 'string' && !(o[base] as string).includes('\ufffd')) p.push(`${k} present but ${base} has no U+FFFD (valid UTF-8 names need no b64)`);
    }
  }
  switch (e.type) {
    case 'unlink':
    case 'create':
    case 'write':
      // a write is always an open for writing or a truncate; the other file events never are
      if (e.type === 'write' ? o.op !== 'open_write' && o.op !== 'truncate' : !FILE_OPS.has(o.op as string)) p.push(`op=${short(o.op)}`);
      str('path');
      // an unreadable name: the path is unknown ('') and flagged, never the directory
      if (o.name_unreadable !== undefined && o.name_unreadable !== true) p.push(`name_unreadable=${short(o.name_unreadable)} is not true`);
      if (typeof o.path === 'string' && !o.path.startsWith('/') && !(o.name_unreadable === true && o.path === '')) p.push(`path=${short(o.path)} is not absolute`);
      if (o.name_unreadable === true && o.path !== '' && o.old_path !== '') p.push(`path=${short(o.path)}: name_unreadable, but neither path nor old_path is empty`);
      if (e.type === 'unlink' && o.op === 'exchange') p.push('an exchange is never an unlink');
      if (typeof o.path === 'string' && /(^|\/)\.\.?(\/|$)|\/\//.test(o.path)) p.push(`path=${short(o.path)} is not normalized`);
      int('dev', 0);
      if (!isInodeNumber(o.ino)) p.push(`ino=${short(o.ino)} is neither a safe integer nor the digits of one above 2^53-1`);
      if (e.type === 'unlink' && typeof o.last_link !== 'boolean') p.push(`last_link=${short(o.last_link)} is not boolean`);
      break;
    case 'exec':
      str('filename');
      if (!Array.isArray(o.argv) || !(o.argv as unknown[]).every((a) => typeof a === 'string')) p.push(`argv=${short(o.argv)} is not string[]`);
      if (typeof o.argv_truncated !== 'boolean') p.push(`argv_truncated=${short(o.argv_truncated)} is not boolean`);
      if (o.interpreter !== null && typeof o.interpreter !== 'string') p.push(`interpreter=${short(o.interpreter)}`);
      if (o.ret === 0 && typeof o.exe === 'string' && !o.exe.startsWith('/')) p.push('successful exec without absolute exe');
      break;
    case 'exit':
      int('exit_code', 0);
      int('signal', 0);
      int('duration_ns', 0);
      break;
    case 'call': {
      // a kernel function's call: ret as its type has it (a number, a "0x..." pointer, null for void)
      str('func');
      str('ret_type');
      if (o.attach !== 'fentry' && o.attach !== 'kprobe') p.push(`attach=${short(o.attach)}`);
      if (o.ret_type === 'void' ? o.ret !== null : !(typeof o.ret === 'number' ? Number.isSafeInteger(o.ret) : typeof o.ret === 'string' && /^(0x[0-9a-f]+|-?\d+)$/.test(o.ret)))
        p.push(`ret=${short(o.ret)} does not fit ret_type ${short(o.ret_type)}`);
      int('duration_ns', 0);
      const a = o.args as Record<string, unknown> | undefined, t = o.arg_types as Record<string, unknown> | undefined;
      if (!a || typeof a !== 'object' || Array.isArray(a)) p.push(`args=${short(a)} is not an object`);
      else if (!t || JSON.stringify(Object.keys(a)) !== JSON.stringify(Object.keys(t)) || !Object.values(t).every((x) => typeof x === 'string')) p.push(`arg_types=${short(t)} does not type every argument`);
      break;
    }
    default:
      p.push(`unknown type ${short((e as { type: unknown }).type)}`);
  }
  return p.map((s) => `${summarize(e)}: ${s}`);
}

// ---------------------------------------------------------------------------------------------
// Cases.

/** What a case's scripts and expectations see. */
export interface CaseContext {
  target: Target;
  /** The case's own directory on the target (absolute, exists, mode 777, empty before setup). */
  dir: string;
  /** kw-trigger on the target. */
  trigger: string;
  /** cgroup v2 mount point on the target ('' when none). */
  cgroup2: string;
  mode: AttachMode | 'auto';
  /** key=value lines printed by setup, then by the trigger (later wins). */
  vars: Record<string, string>;
  /** pid of the trigger's shell (set once the trigger ran). */
  rootPid: number;
  setupOut: RunResult;
  triggerOut: RunResult;
  /** The first agent's ready record (what it attached), once it is ready. */
  ready?: ReadyRecord;
}

/**
 * has('ia32'): 32-bit syscalls run here. The ia32 rmdir of a missing name fails with ENOENT
 * (exit 1); a kernel with IA-32 emulation off kills the trigger (SIGSEGV), a non-x86 one has no
 * such command (usage, exit 2).
 */
export const IA32_CHECK = (trigger: string): string => `${shq(trigger)} ia32 rmdir /kw-ia32-check-missing; test $? -eq 1`;

/** has('overlay-root'): an overlay mount and a root that pivot_root can leave (never an initramfs' rootfs). */
export const OVERLAY_ROOT_CHECK =
  `grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null; grep -qw overlay /proc/filesystems && ! awk '$2=="/" && $3=="rootfs"{f=1} END{exit !f}' /proc/mounts`;

export interface AgentCase {
  name: string;
  families: Family[];
  /** Kernel functions to probe (func:NAME in the families' list); their events are of type 'call'. */
  funcs?: string[];
  /** Formats to run, whatever the runner asks (cases that only guests can run prove json/wire parity there). */
  formats?: Format[];
  /** Tools/features the target must have (see Target.has), else the case is skipped. */
  needs?: string[];
  /** Extra agent arguments (filters, --ringbuf-kb ...). */
  args?: (ctx: CaseContext) => string[];
  /** bash run before the agent starts; $D = case dir, $T = kw-trigger, $CG2 = cgroup2 mount. */
  setup?: (ctx: CaseContext) => string;
  /** bash run once the agents are ready. Its processes form the 'tree' scope. */
  trigger: (ctx: CaseContext) => string;
  /** bash run after the agents stopped, before the case dir goes (unmount what setup mounted). */
  teardown?: (ctx: CaseContext) => string;
  /** The trigger may exit non-zero. */
  allowFail?: boolean;
  /**
   * Which events count: 'tree' = the trigger's process tree (default), 'dir' = file events under
   * the case dir and exec/exit events of the tree, 'all' = every event the agent delivered.
   */
  scope?: 'tree' | 'dir' | 'all';
  /** Event types that count (default: the families' own types; 'exit' only when listed). */
  types?: KwEventType[];
  /** The expected events; unordered unless ordered: true. */
  expect?: (ctx: CaseContext) => Want[];
  ordered?: boolean;
  /** Extra checks on the counted events (and the whole run); returns problems. */
  check?: (events: KwEvent[], ctx: CaseContext, run: AgentRun) => string[];
  /** Fields json and wire may disagree on: what each agent read from memory another thread rewrites (named). */
  parityIgnore?: string[];
  /** Allow `lost` records (the loss test); otherwise any loss is a failure. */
  allowLost?: boolean;
  /** How long to wait for the expected events (default 10 s). */
  timeoutMs?: number;
  /** Only with these attach modes (default: any). */
  modes?: AttachMode[];
}

export interface AgentRun {
  format: Format;
  records: AgentRecord[];
  ready?: ReadyRecord;
  /** Counted events (scope + types, trigger's own shell exec/exit removed). */
  events: KwEvent[];
  /** Last lost record's total (0 when none). */
  lostTotal: number;
  /** Last lost record's unjudged_total: drops the path filter could not judge (0 when none). */
  unjudgedTotal: number;
  /** Last lost record's untracked_total: calls the kernel could not follow, pending table full (0 when none). */
  untrackedTotal: number;
  lostRecords: LostRecord[];
  exit?: AgentExit;
  stderr: string;
}

export interface CaseResult {
  ctx: CaseContext;
  runs: AgentRun[];
  /** Problems per format, plus 'parity' for json vs wire. */
  problems: Record<string, string[]>;
  /** From starting the agents until both were ready. */
  readyMs: number;
}

const FAMILY_TYPES: Record<Family, KwEventType[]> = { unlink: ['unlink'], create: ['create'], write: ['write'], exec: ['exec'] };

/** Finds the cgroup v2 mount point on the target ('' when none). */
export async function cgroup2Mount(target: Target): Promise<string> {
  const r = await target.run(`awk '$3=="cgroup2"{print $2; exit}' /proc/mounts`);
  return r.stdout.trim();
}

export async function probeReport(target: Target): Promise<{ report?: ProbeReport; raw: RunResult }> {
  const raw = await target.run(`${shq(target.agentPath)} probe`);
  try {
    return { report: JSON.parse(raw.stdout) as ProbeReport, raw };
  } catch {
    return { raw };
  }
}

function parseVars(out: string, into: Record<string, string>): void {
  for (const line of out.split('\n')) {
    for (const m of line.matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=(\S*)/g)) into[m[1]] = m[2];
  }
}

function prelude(ctx: CaseContext): string {
  return [
    `D=${shq(ctx.dir)}; T=${shq(ctx.trigger)}; CG2=${shq(ctx.cgroup2)}`,
    // prints NAME=DEV:INO:NLINK for a path (busybox stat has -c too)
    `kw_stat() { echo "$1=$(stat -c '%d:%i:%h' "$2")"; }`,
  ].join('\n');
}

let caseSeq = 0;

export interface RunOptions {
  mode: AttachMode | 'auto';
  /** Formats to run at once (default json and wire). */
  formats?: Format[];
  cgroup2: string;
  log?: (s: string) => void;
}

/** Runs one case; never throws for agent misbehaviour (returns problems), only for harness errors. */
export async function runCase(target: Target, c: AgentCase, opts: RunOptions): Promise<CaseResult> {
  const formats = c.formats ?? opts.formats ?? ['json', 'wire'];
  const slug = c.name.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
  const dir = `${target.tmpdir}/${++caseSeq}-${slug}`;
  const ctx: CaseContext = {
    target,
    dir,
    trigger: target.triggerPath,
    cgroup2: opts.cgroup2,
    mode: opts.mode,
    vars: {},
    rootPid: -1,
    setupOut: { code: 0, stdout: '', stderr: '' },
    triggerOut: { code: 0, stdout: '', stderr: '' },
  };
  const problems: Record<string, string[]> = {};
  const runs: AgentRun[] = [];
  let want: Want[] | undefined;
  let readyMs = 0;
  const mk = await target.run(`mkdir -m 777 ${shq(dir)}`);
  if (mk.code !== 0) throw new Error(`mkdir ${dir}: ${mk.stderr}`);
  try {
    if (c.setup) {
      ctx.setupOut = await target.run(`${prelude(ctx)}\nset -e\n${c.setup(ctx)}`);
      if (ctx.setupOut.code !== 0) throw new Error(`setup failed (${ctx.setupOut.code}): ${ctx.setupOut.stderr.trim()}`);
      parseVars(ctx.setupOut.stdout, ctx.vars);
    }
    const what = [...c.families, ...(c.funcs ?? []).map((f) => `func:${f}`)].join(',');
    const args = ['trace', what, '--attach', opts.mode, ...(c.args ? c.args(ctx) : [])];
    const agents = formats.map((f) => target.startAgent([...args, '--format', f]));
    try {
      // Generous: BPF verification of long --path-prefix filters takes seconds on a busy machine
      // (that cost is the agent's to cut; here the events are under test).
      const t0 = Date.now();
      const readies: ReadyRecord[] = [];
      for (const a of agents) readies.push((await a.waitFor((r) => r.type === 'ready', 60000, 'the ready record')) as ReadyRecord);
      readyMs = Date.now() - t0;
      ctx.ready = readies[0];

      // The trigger: its shell prints its pid first; the trailing exit keeps bash from exec'ing
      // the last command in place, so the root pid only ever runs bash.
      const script = `echo "__kw_root_pid=$$" >&2\n${prelude(ctx)}\n${c.trigger(ctx)}\nkw_rc=$?\nexit $kw_rc\n`;
      ctx.triggerOut = await target.run(script, { timeoutMs: 120000 });
      const m = /__kw_root_pid=(\d+)/.exec(ctx.triggerOut.stderr);
      if (!m) throw new Error(`trigger printed no pid: ${ctx.triggerOut.stderr.slice(0, 300)}`);
      ctx.rootPid = Number(m[1]);
      ctx.triggerOut.stderr = ctx.triggerOut.stderr.replace(/__kw_root_pid=\d+\n/, '');
      parseVars(ctx.triggerOut.stdout, ctx.vars);
      if (ctx.triggerOut.code !== 0 && !c.allowFail) {
        problems.trigger = [`trigger exited ${ctx.triggerOut.code}: ${ctx.triggerOut.stderr.trim().slice(0, 500)} ${ctx.triggerOut.stdout.trim().slice(0, 300)}`];
      }

      want = c.expect ? c.expect(ctx) : undefined;
      const counted = (a: AgentProc) => selectEvents(a.records, c, ctx);
      const timeout = c.timeoutMs ?? 10000;
      for (const a of agents) {
        if (want) {
          const deadline = Date.now() + timeout;
          while (counted(a).length < want.length && Date.now() < deadline && !a.exitInfo) await sleep(50);
          await sleep(300); // settle: extra events would show here
        } else {
          await a.waitQuiet(700, timeout);
        }
      }
      for (const a of agents) a.closeStdin();
      for (const a of agents) {
        const ex = await Promise.race([a.exited, sleep(60000).then(() => undefined)]); // a safety net, not a speed claim
        if (!ex) {
          a.kill('SIGKILL');
          await a.exited;
        }
      }
      agents.forEach((a, i) => {
        const lostRecords = a.records.filter((r): r is LostRecord => r.type === 'lost');
        runs.push({
          format: a.format,
          records: a.records,
          ready: readies[i],
          events: counted(a),
          lostTotal: lostRecords.length ? lostRecords[lostRecords.length - 1].total : 0,
          unjudgedTotal: lostRecords.length ? lostRecords[lostRecords.length - 1].unjudged_total : 0,
          untrackedTotal: lostRecords.length ? lostRecords[lostRecords.length - 1].untracked_total : 0,
          lostRecords,
          exit: a.exitInfo,
          stderr: a.stderr,
        });
      });
    } finally {
      for (const a of agents) a.kill('SIGKILL');
    }
    for (const run of runs) problems[run.format] = checkRun(c, ctx, run, want);
    // With losses each agent drops different events; their counts are checked by the case.
    if (runs.length === 2 && !c.allowLost) problems.parity = parity(runs[0], runs[1], c.parityIgnore);
  } finally {
    if (c.teardown) await target.run(`${prelude(ctx)}\n${c.teardown(ctx)}`);
    await target.run(`rm -rf ${shq(dir)}`);
  }
  return { ctx, runs, problems, readyMs };
}

function inTree(e: KwEvent, root: number): boolean {
  return e.pid === root || e.ppid === root || (Array.isArray(e.ancestors) && e.ancestors.some((a) => a.pid === root));
}

export function selectEvents(records: AgentRecord[], c: AgentCase, ctx: CaseContext): KwEvent[] {
  const types = new Set<string>(c.types ?? c.families.flatMap((f) => FAMILY_TYPES[f]));
  const scope = c.scope ?? 'tree';
  const prefix = Buffer.from(ctx.dir + '/');
  return records.filter((r): r is KwEvent => {
    if (!isKwEvent(r) || !types.has(r.type)) return false;
    // The trigger's own shell (bash -c, then nothing else: see runCase) is harness, not case.
    if ((r.type === 'exec' || r.type === 'exit') && r.pid === ctx.rootPid) return false;
    if (scope === 'all') return true;
    if (scope === 'dir' && (r.type === 'unlink' || r.type === 'create' || r.type === 'write')) {
      const b = Buffer.from(rawBytes(r.path, r.path_b64));
      return b.subarray(0, prefix.length).equals(prefix);
    }
    return inTree(r, ctx.rootPid);
  });
}

/** Problems of one agent run against the case. */
/** The ready record's probes of the event families (--stacks' entry hook has a mode of its own: vma or maps). */
function attachProbes(ready: ReadyRecord): ReadyRecord['probes'] {
  return ready.probes.filter((x) => (x.family as string) !== 'stacks');
}

export function checkRun(c: AgentCase, ctx: CaseContext, run: AgentRun, want: Want[] | undefined): string[] {
  const p: string[] = [];
  const tag = (s: string) => `${run.format}: ${s}`;
  if (run.exit && (run.exit.code !== 0 || run.exit.signal)) p.push(tag(`agent did not exit cleanly on stdin EOF: code ${run.exit.code} signal ${run.exit.signal}; stderr: ${run.stderr.trim().slice(0, 300)}`));
  if (!run.exit) p.push(tag('agent did not exit on stdin EOF'));
  const ready = run.ready;
  if (ready) {
    const fams = new Set(ready.probes.map((x) => x.family));
    for (const f of c.families) if (!fams.has(f)) p.push(tag(`ready record has no probe for family ${f}`));
    if (ctx.mode === 'tracepoint') {
      for (const x of attachProbes(ready)) if (x.mode !== 'tracepoint') p.push(tag(`asked for --attach tracepoint, ready says ${x.probe} (${x.mode})`));
    } else if (ctx.mode !== 'auto') {
      // Events come from the syscall-exit tracepoints in every mode (native/README.md); a forced
      // fentry/kprobe mode adds the VFS hooks of that mode for each file family, and no other kind.
      for (const x of attachProbes(ready)) if (x.mode !== ctx.mode && x.mode !== 'tracepoint') p.push(tag(`asked for --attach ${ctx.mode}, ready says ${x.probe} (${x.mode})`));
      for (const f of c.families) {
        if (f !== 'exec' && !ready.probes.some((x) => x.family === f && x.mode === ctx.mode)) p.push(tag(`asked for --attach ${ctx.mode}, ready has no ${ctx.mode} probe for ${f}`));
      }
    }
  }
  const probes = new Set(ready?.probes.map((x) => x.probe) ?? []);
  const counted = new Set<AgentRecord>(run.events);
  let bad = 0;
  for (const r of run.records) {
    // A case that fills the ring on purpose also loses process records; the agent says so in an
    // error record (native/README.md), which is then expected rather than a problem.
    if (r.type === 'error' && !(c.allowLost && /^ring buffer full/.test(r.message))) p.push(tag(`agent error record: ${r.message}`));
    if (!isKwEvent(r)) continue;
    // The case's own events get the whole event model; other processes' events on this shared
    // machine (whatever they are doing) only the invariants that hold for every event.
    const v = counted.has(r) ? validateEvent(r) : validateEvent(r).filter((x) => /: (time|pid|tid|ret|probe|path|op|type)[= ]/.test(x) || /unknown type/.test(x));
    if (!probes.has(r.probe)) v.push(`${summarize(r)}: probe ${r.probe} is not in the ready record`);
    if (v.length && bad++ < 5) p.push(...v.map(tag));
  }
  if (bad > 5) p.push(tag(`... ${bad - 5} more events break the event model`));
  if (!c.allowLost && run.lostTotal > 0) p.push(tag(`agent lost ${run.lostTotal} events`));
  if (!c.allowLost && run.untrackedTotal > 0) p.push(tag(`agent could not follow ${run.untrackedTotal} calls (pending table full)`));
  for (const r of run.records) {
    // older agents' journals lack the field (the decoder gives 0); this agent always sends it
    if (r.type === 'lost' && (typeof r.untracked !== 'number' || typeof r.untracked_total !== 'number')) p.push(tag(`lost record without untracked counts: ${short(r)}`));
  }
  if (want) p.push(...matchEvents(run.events, want, c.ordered ?? false).map(tag));
  if (c.check) p.push(...c.check(run.events, ctx, run).map(tag));
  return p;
}

/** json and wire must carry the same events (times apart: two agents, two sets of programs). */
export function parity(a: AgentRun, b: AgentRun, ignore: string[] = []): string[] {
  const strip = (e: KwEvent) => {
    const o: Record<string, unknown> = { ...e };
    for (const k of ignore) {
      delete o[k];
      delete o[`${k}_b64`];
    }
    delete o.time;
    delete o.ktime_ns;
    if (e.type === 'exit') delete o.duration_ns;
    return JSON.stringify(o, Object.keys(o).sort());
  };
  const key = (e: KwEvent) => `${e.type}|${e.tid}|${'path' in e ? e.path : ''}|${'filename' in e ? e.filename : ''}`;
  const sa = a.events.map(strip);
  const sb = b.events.map(strip);
  if (sa.length !== sb.length) return [`parity: ${a.format} has ${sa.length} counted events, ${b.format} has ${sb.length}`];
  // Same multiset, compared in a stable order.
  const ia = a.events.map((e, i) => [key(e), sa[i]] as const).sort((x, y) => (x[0] + x[1] < y[0] + y[1] ? -1 : 1));
  const ib = b.events.map((e, i) => [key(e), sb[i]] as const).sort((x, y) => (x[0] + x[1] < y[0] + y[1] ? -1 : 1));
  const out: string[] = [];
  for (let i = 0; i < ia.length && out.length < 5; i++) {
    if (ia[i][1] === ib[i][1]) continue;
    // name the fields that differ: long records (command lines) would hide them in a prefix
    const x = JSON.parse(ia[i][1]) as Record<string, unknown>, y = JSON.parse(ib[i][1]) as Record<string, unknown>;
    const diff = [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k]));
    out.push(`parity: ${ia[i][0]}: ${diff.map((k) => `${k} ${a.format} ${JSON.stringify(x[k])?.slice(0, 200)} != ${b.format} ${JSON.stringify(y[k])?.slice(0, 200)}`).join('; ')}`);
  }
  return out;
}

export function lostSum(run: AgentRun): number {
  return run.lostRecords.reduce((s, r) => s + r.count, 0);
}

/** Ensures `value` is defined, for expectations that need trigger output. */
export function need(ctx: CaseContext, key: string): string {
  const v = ctx.vars[key];
  if (v === undefined) throw new Error(`case output has no ${key}=...: setup ${ctx.setupOut.stdout} trigger ${ctx.triggerOut.stdout}`);
  return v;
}
