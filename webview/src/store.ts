// Compact, columnar storage for up to `cap` events (1,000,000 by default) in the webview.
//
// Numbers live in typed-array columns; every string field is interned (reference-counted, so a
// dropped event releases its names), which makes repeated comms, exes, cgroups and ancestry
// chains cost 4 bytes per event. Whatever does not fit a column (argv, *_b64 twins, exit codes,
// odd shapes, the file's pod `path_pod`) goes into one interned JSON "extra" string. The pod and
// container of the acting process are per-process fields in the interned 'cmd' JSON: the pod
// columns and filters read them from there and add nothing per event. The call's stacks
// (`--stacks`: kstack, ustack and their errors), once checked (validateStacks), are one interned
// JSON in the 'stack' column: the events that came the same way share it, and the stack groups
// read their signature from it (stackSignatureOf). A call of a probed kernel function keeps what
// every call of that function shares (func, attach, ret_type, arg_types; once checked,
// validateCallShape) as one interned JSON in the 'call' column, its duration in a number column
// (exit events' too), its arguments in 'extra'. `get(seq)` rebuilds the exact event.
// Events are addressed by a global sequence number; the store is a ring: beyond `cap` the oldest
// are dropped and counted in `dropped`.
import type { KwEvent, KwEventType, PodRef, StackFields } from '../../src/core/events';
import { isCallShapeKey, validateCallShape, type CallShape } from '../../src/contract/validate';
import { validateStacks } from '../../src/contract/validate';
import { stackSignature } from '../../src/core/stacks';
import { podRef } from './pods';

// codes live only in this store's columns (never saved): the file events first, in sort order
// (a guard's refusals, denied and would-deny, are file events too; they come last so the others keep their codes)
export const TYPES: readonly KwEventType[] = ['unlink', 'create', 'write', 'exec', 'exit', 'denied', 'would-deny', 'call'];
/** Code of a call of a probed kernel function in the `type` column. */
export const CALL_TYPE = TYPES.indexOf('call');
const OPS = ['', 'unlink', 'rmdir', 'rename', 'open', 'mkdir', 'mknod', 'link', 'symlink', 'open_write', 'truncate', 'exchange', 'write'] as const;

/** Reference-counted string table. Id 0 is the empty string and is never freed. */
export class Interner {
  private map = new Map<string, number>();
  strs: string[] = [''];
  private refs = new Uint32Array(1024);
  private free: number[] = [];

  intern(s: string): number {
    if (s === '') return 0;
    let id = this.map.get(s);
    if (id === undefined) {
      id = this.free.length ? this.free.pop()! : this.strs.length;
      if (id >= this.refs.length) {
        const r = new Uint32Array(this.refs.length * 2);
        r.set(this.refs);
        this.refs = r;
      }
      this.strs[id] = s;
      this.map.set(s, id);
      this.generation++;
    }
    this.refs[id]++;
    return id;
  }
  release(id: number): void {
    if (id === 0) return;
    if (--this.refs[id] === 0) {
      this.map.delete(this.strs[id]);
      this.strs[id] = '';
      this.free.push(id);
      this.generation++;
    }
  }
  /** Changes whenever an id gets a new string: per-id caches must be dropped then. */
  generation = 0;
  get size(): number {
    return this.strs.length;
  }
  clear(): void {
    this.map.clear();
    this.strs = [''];
    this.refs = new Uint32Array(1024);
    this.free = [];
    this.generation++;
  }
}

const TIME_RE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{9})Z$/;
const I32 = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= -2147483648 && v <= 2147483647;
const U32 = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 4294967295;
const F64 = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Presence bits for optional columns. */
const HAS_OP = 1, HAS_PATH = 2, HAS_DEV = 4, HAS_INO = 8, HAS_CONTAINER = 16, HAS_TIME = 32, HAS_DUR = 64;

export type StrColumn = 'comm' | 'exe' | 'cwd' | 'path' | 'cgroup' | 'container' | 'probe' | 'ancestors' | 'cmd' | 'extra' | 'stack' | 'call';
const STR_COLUMNS: readonly StrColumn[] = ['comm', 'exe', 'cwd', 'path', 'cgroup', 'container', 'probe', 'ancestors', 'cmd', 'extra', 'stack', 'call'];
/**
 * The fields that belong to the process, not the event (events.ts CommandLine, ContainerFields):
 * one interned JSON per process in the 'cmd' column, not one per event in 'extra'.
 */
const CMD_KEYS = new Set(['cmdline', 'cmdline_b64', 'cmdline_truncated', 'runtime', 'container_name', 'pod']);
/** The call's stacks (events.ts StackFields): the 'stack' column when they pass validateStacks, else 'extra' as they came. */
const STACK_KEYS = new Set(['kstack', 'ustack', 'kstack_error', 'ustack_error']);

export class EventStore {
  readonly strings = new Interner();
  cap: number;
  private capacity = 0;
  private start = 0;
  size = 0;
  firstSeq = 0;
  nextSeq = 0;
  /** Events dropped because the cap was reached (since the last clear). */
  dropped = 0;

  type = new Uint8Array(0);
  op = new Uint8Array(0);
  has = new Uint8Array(0);
  pid = new Int32Array(0);
  tid = new Int32Array(0);
  ppid = new Int32Array(0);
  uid = new Uint32Array(0);
  gid = new Uint32Array(0);
  ret = new Int32Array(0);
  ktime = new Float64Array(0);
  tsec = new Float64Array(0);
  tns = new Uint32Array(0);
  dev = new Float64Array(0);
  ino = new Float64Array(0);
  /** duration_ns of calls and exits (HAS_DUR). */
  dur = new Float64Array(0);
  str: Record<StrColumn, Uint32Array>;

  constructor(cap: number) {
    this.cap = Math.max(1, Math.floor(cap));
    this.str = {} as Record<StrColumn, Uint32Array>;
    for (const c of STR_COLUMNS) this.str[c] = new Uint32Array(0);
  }

  private grow(): void {
    const n = Math.min(this.cap, Math.max(4096, this.capacity * 2));
    const move = <T extends Uint8Array | Int32Array | Uint32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      for (let i = 0; i < this.size; i++) b[i] = a[(this.start + i) % this.capacity];
      return b;
    };
    this.type = move(this.type, (k) => new Uint8Array(k));
    this.op = move(this.op, (k) => new Uint8Array(k));
    this.has = move(this.has, (k) => new Uint8Array(k));
    this.pid = move(this.pid, (k) => new Int32Array(k));
    this.tid = move(this.tid, (k) => new Int32Array(k));
    this.ppid = move(this.ppid, (k) => new Int32Array(k));
    this.uid = move(this.uid, (k) => new Uint32Array(k));
    this.gid = move(this.gid, (k) => new Uint32Array(k));
    this.ret = move(this.ret, (k) => new Int32Array(k));
    this.ktime = move(this.ktime, (k) => new Float64Array(k));
    this.tsec = move(this.tsec, (k) => new Float64Array(k));
    this.tns = move(this.tns, (k) => new Uint32Array(k));
    this.dev = move(this.dev, (k) => new Float64Array(k));
    this.ino = move(this.ino, (k) => new Float64Array(k));
    this.dur = move(this.dur, (k) => new Float64Array(k));
    for (const c of STR_COLUMNS) this.str[c] = move(this.str[c], (k) => new Uint32Array(k));
    this.capacity = n;
    this.start = 0;
  }

  /** Physical slot of a retained seq, or -1. */
  slot(seq: number): number {
    if (seq < this.firstSeq || seq >= this.nextSeq) return -1;
    return (this.start + (seq - this.firstSeq)) % this.capacity;
  }

  /** Called with the oldest event's seq just before the cap drops it (its fields still readable). */
  onDrop: ((seq: number) => void) | null = null;

  private dropOldest(): void {
    this.onDrop?.(this.firstSeq);
    const p = this.start;
    for (const c of STR_COLUMNS) this.strings.release(this.str[c][p]);
    this.start = (this.start + 1) % this.capacity;
    this.size--;
    this.firstSeq++;
    this.dropped++;
  }

  /** Appends events[from, to); returns the seq of the first one. */
  add(events: readonly KwEvent[], from = 0, to = events.length): number {
    const first = this.nextSeq;
    for (let i = from; i < to; i++) {
      const ev = events[i];
      if (this.size >= this.cap) this.dropOldest();
      else if (this.size === this.capacity) this.grow();
      const p = (this.start + this.size) % this.capacity;
      this.put(p, ev);
      this.size++;
      this.nextSeq++;
    }
    return first;
  }

  private put(p: number, ev: KwEvent): void {
    // One pass over the event's own keys, no copies or deletes (this runs 1,000,000 times).
    const e = ev as unknown as Record<string, unknown>;
    const strs = this.strings;
    const S = this.str;
    const pathKey = ev.type === 'exec' ? 'filename' : 'path';
    const isCall = ev.type === 'call';
    let extra: Record<string, unknown> | null = null;
    let has = 0;
    let type = 255;
    this.pid[p] = 0; this.tid[p] = 0; this.ppid[p] = 0; this.uid[p] = 0; this.gid[p] = 0; this.ret[p] = 0;
    this.ktime[p] = 0; this.op[p] = 0; this.tsec[p] = 0; this.tns[p] = 0;
    S.comm[p] = 0; S.exe[p] = 0; S.cwd[p] = 0; S.path[p] = 0; S.cgroup[p] = 0; S.container[p] = 0; S.probe[p] = 0; S.ancestors[p] = 0;
    let cmd: Record<string, unknown> | null = null;
    let stack: Record<string, unknown> | null = null;
    let call: Record<string, unknown> | null = null;
    this.dur[p] = 0;
    for (const k in e) {
      const v = e[k];
      let kept = true;
      if (CMD_KEYS.has(k)) {
        (cmd ??= {})[k] = v;
        continue;
      }
      switch (k) {
        case 'type': type = TYPES.indexOf(v as KwEventType); kept = type >= 0; if (!kept) type = 255; break;
        case 'pid': if ((kept = I32(v))) this.pid[p] = v as number; break;
        case 'tid': if ((kept = I32(v))) this.tid[p] = v as number; break;
        case 'ppid': if ((kept = I32(v))) this.ppid[p] = v as number; break;
        case 'uid': if ((kept = U32(v))) this.uid[p] = v as number; break;
        case 'gid': if ((kept = U32(v))) this.gid[p] = v as number; break;
        case 'ret':
          // a call's return value may be a pointer, a 64-bit number or null (void): exact in extra,
          // its sign in the column so that the result filters and the sort still read it
          if ((kept = I32(v))) this.ret[p] = v as number;
          else this.ret[p] = typeof v === 'number' && v < 0 ? -2147483648 : typeof v === 'number' && v > 0 ? 2147483647 : 0;
          break;
        case 'duration_ns': if ((kept = F64(v))) { this.dur[p] = v as number; has |= HAS_DUR; } break;
        case 'ktime_ns': if ((kept = F64(v))) this.ktime[p] = v as number; break;
        case 'dev': if ((kept = F64(v))) { this.dev[p] = v as number; has |= HAS_DEV; } break;
        // an inode above 2^53-1 is a string (events.ts InodeNumber): kept exact in extra
        case 'ino': if ((kept = F64(v))) { this.ino[p] = v as number; has |= HAS_INO; } break;
        case 'op': {
          const i = OPS.indexOf(v as (typeof OPS)[number]);
          if ((kept = i > 0)) { this.op[p] = i; has |= HAS_OP; }
          break;
        }
        case 'time': {
          const m = typeof v === 'string' ? TIME_RE.exec(v) : null;
          if (m) {
            this.tsec[p] = Date.parse(m[1] + 'Z') / 1000;
            this.tns[p] = Number(m[2]);
            has |= HAS_TIME;
          } else {
            // Another time format stays in extra verbatim; the columns only serve sorting.
            kept = false;
            const ms = Date.parse(String(v));
            if (Number.isFinite(ms)) { this.tsec[p] = Math.floor(ms / 1000); this.tns[p] = (ms % 1000) * 1e6; }
          }
          break;
        }
        case 'comm': if ((kept = typeof v === 'string')) S.comm[p] = strs.intern(v as string); break;
        case 'exe': if ((kept = typeof v === 'string')) S.exe[p] = strs.intern(v as string); break;
        case 'cwd': if ((kept = typeof v === 'string')) S.cwd[p] = strs.intern(v as string); break;
        case 'cgroup': if ((kept = typeof v === 'string')) S.cgroup[p] = strs.intern(v as string); break;
        case 'probe': if ((kept = typeof v === 'string')) S.probe[p] = strs.intern(v as string); break;
        case 'container':
          if (typeof v === 'string' && v !== '') { S.container[p] = strs.intern(v); has |= HAS_CONTAINER; } else kept = v === null;
          break;
        case 'ancestors': if ((kept = Array.isArray(v))) S.ancestors[p] = strs.intern(JSON.stringify(v)); break;
        default:
          if (k === pathKey && typeof v === 'string') { S.path[p] = strs.intern(v); has |= HAS_PATH; }
          else if (STACK_KEYS.has(k)) (stack ??= {})[k] = v; // checked below, as a whole
          else if (isCall && isCallShapeKey(k)) (call ??= {})[k] = v; // likewise
          else kept = false;
      }
      if (!kept) (extra ??= {})[k] = v;
    }
    this.type[p] = type;
    S.cmd[p] = cmd ? strs.intern(JSON.stringify(cmd)) : 0;
    S.stack[p] = 0;
    if (stack) {
      // stacks the panel cannot render stay in the event as they came (exports keep them), ungrouped
      const json = JSON.stringify(stack);
      if (this.stackValid(json, stack)) S.stack[p] = strs.intern(json);
      else Object.assign((extra ??= {}), stack);
    }
    S.call[p] = 0;
    if (call) {
      // a shape the panel cannot render stays in the event as it came
      const json = JSON.stringify(call);
      if (this.shapeValid(json, call)) S.call[p] = strs.intern(json);
      else Object.assign((extra ??= {}), call);
    }
    S.extra[p] = extra ? strs.intern(JSON.stringify(extra)) : 0;
    this.has[p] = has;
  }

  /** validateCallShape results by the shape's JSON: every call of a function has the same (bounded by size). */
  private readonly validShapes = new Map<string, boolean>();
  private validShapesChars = 0;
  private shapeValid(json: string, shape: Record<string, unknown>): boolean {
    let ok = this.validShapes.get(json);
    if (ok === undefined) {
      ok = validateCallShape(shape).ok;
      if (this.validShapesChars > 8_000_000) {
        this.validShapes.clear();
        this.validShapesChars = 0;
      }
      this.validShapes.set(json, ok);
      this.validShapesChars += json.length;
    }
    return ok;
  }

  /** validateStacks results by the stacks' JSON: a code path repeats, its check need not (bounded by size). */
  private readonly validStacks = new Map<string, boolean>();
  private validStacksChars = 0;
  private stackValid(json: string, stack: Record<string, unknown>): boolean {
    let ok = this.validStacks.get(json);
    if (ok === undefined) {
      ok = validateStacks(stack).ok;
      if (this.validStacksChars > 8_000_000) {
        this.validStacks.clear();
        this.validStacksChars = 0;
      }
      this.validStacks.set(json, ok);
      this.validStacksChars += json.length;
    }
    return ok;
  }

  typeOf(seq: number): KwEventType | string {
    const p = this.slot(seq);
    const t = this.type[p];
    return t === 255 ? String(this.extraOf(seq).type) : TYPES[t];
  }
  /** The file operation; for a call, the function it called. */
  opOf(seq: number): string {
    const p = this.slot(seq);
    if (this.has[p] & HAS_OP) return OPS[this.op[p]];
    if (this.type[p] === CALL_TYPE) return this.callOf(seq)?.func ?? '';
    return typeof this.extraOf(seq).op === 'string' ? String(this.extraOf(seq).op) : '';
  }
  private callCache = new Map<number, unknown>();
  /** A call's checked shape (func, attach, ret_type, arg_types), or null (not a call, or not renderable). */
  callOf(seq: number): CallShape | null {
    const id = this.str.call[this.slot(seq)];
    return id === 0 ? null : (this.parsed(id, this.callCache, '{}') as CallShape);
  }
  /** duration_ns of a call or an exit, else NaN. */
  durationOf(seq: number): number {
    const p = this.slot(seq);
    return this.has[p] & HAS_DUR ? this.dur[p] : NaN;
  }
  s(col: StrColumn, seq: number): string {
    return this.strings.strs[this.str[col][this.slot(seq)]];
  }
  hasPath(seq: number): boolean {
    return (this.has[this.slot(seq)] & HAS_PATH) !== 0;
  }
  container(seq: number): string | null {
    const p = this.slot(seq);
    return this.has[p] & HAS_CONTAINER ? this.strings.strs[this.str.container[p]] : null;
  }

  /** The acting process's Kubernetes pod, or null (not in a pod, or an agent that did not say). */
  podOf(seq: number): PodRef | null {
    return podRef(this.cmdOf(seq).pod);
  }
  /** The pod whose directory under /var/lib/kubelet/pods/ held the event's file, or null. */
  pathPodOf(seq: number): PodRef | null {
    return podRef(this.extraOf(seq).path_pod);
  }
  /** The acting process's container name ('' when unknown). */
  containerNameOf(seq: number): string {
    const v = this.cmdOf(seq).container_name;
    return typeof v === 'string' ? v : '';
  }

  private extraCache = new Map<number, Record<string, unknown>>();
  private extraGen = -1;
  /** The parsed extra fields (cached per interned string). */
  extraOf(seq: number): Record<string, unknown> {
    return this.parsed(this.str.extra[this.slot(seq)], this.extraCache, '{}') as Record<string, unknown>;
  }
  private ancCache = new Map<number, unknown>();
  ancestorsOf(seq: number): Array<{ pid: number; comm: string; exe: string; comm_b64?: string; exe_b64?: string }> {
    const id = this.str.ancestors[this.slot(seq)];
    return id === 0 ? [] : (this.parsed(id, this.ancCache, '[]') as Array<{ pid: number; comm: string; exe: string }>);
  }
  private stackCache = new Map<number, unknown>();
  /** The event's stacks, checked ({} when it has none). */
  stackOf(seq: number): StackFields {
    return this.parsed(this.str.stack[this.slot(seq)], this.stackCache, '{}') as StackFields;
  }
  /** Intern id of the event's stacks (0: none): the events with the same id came the same way. */
  stackId(seq: number): number {
    return this.str.stack[this.slot(seq)];
  }
  private sigCache = new Map<number, string>();
  private sigGen = -1;
  /** The signature of stacks `id` (src/core/stacks.ts stackSignature; '' for 0: no stacks). */
  signatureOfId(id: number): string {
    if (id === 0) return '';
    if (this.sigGen !== this.strings.generation) {
      this.sigCache.clear();
      this.sigGen = this.strings.generation;
    }
    let s = this.sigCache.get(id);
    if (s === undefined) {
      s = stackSignature(JSON.parse(this.strings.strs[id]) as StackFields) ?? '';
      if (this.sigCache.size > 50000) this.sigCache.clear();
      this.sigCache.set(id, s);
    }
    return s;
  }
  /** The code path the event came by ('' when it has no stacks). */
  stackSignatureOf(seq: number): string {
    return this.signatureOfId(this.str.stack[this.slot(seq)]);
  }
  private cmdCache = new Map<number, unknown>();
  /** The command line fields of the event ({} when it has none: an older agent). */
  cmdOf(seq: number): Record<string, unknown> {
    return this.parsed(this.str.cmd[this.slot(seq)], this.cmdCache, '{}') as Record<string, never>;
  }
  private parsed(id: number, cache: Map<number, unknown>, empty: string): unknown {
    if (this.extraGen !== this.strings.generation) {
      this.extraCache.clear();
      this.ancCache.clear();
      this.cmdCache.clear();
      this.stackCache.clear();
      this.callCache.clear();
      this.extraGen = this.strings.generation;
    }
    let v = cache.get(id);
    if (v === undefined) {
      v = JSON.parse(id === 0 ? empty : this.strings.strs[id]);
      if (cache.size > 50000) cache.clear();
      cache.set(id, v);
    }
    return v;
  }

  /** Wall time as the agent printed it (ISO 8601, ns, UTC). */
  timeOf(seq: number): string {
    const p = this.slot(seq);
    if (!(this.has[p] & HAS_TIME)) return String(this.extraOf(seq).time ?? '');
    const iso = new Date(this.tsec[p] * 1000).toISOString().slice(0, 19);
    return `${iso}.${String(this.tns[p]).padStart(9, '0')}Z`;
  }

  /** The exact event as received. */
  get(seq: number): KwEvent {
    const p = this.slot(seq);
    if (p < 0) throw new Error(`event ${seq} is no longer retained`);
    const extra = this.extraOf(seq);
    const has = this.has[p];
    const o: Record<string, unknown> = {};
    o.type = this.type[p] === 255 ? extra.type : TYPES[this.type[p]];
    o.time = this.timeOf(seq);
    o.ktime_ns = this.ktime[p];
    o.pid = this.pid[p];
    o.tid = this.tid[p];
    o.ppid = this.ppid[p];
    o.uid = this.uid[p];
    o.gid = this.gid[p];
    o.comm = this.s('comm', seq);
    o.exe = this.s('exe', seq);
    o.cwd = this.s('cwd', seq);
    Object.assign(o, this.cmdOf(seq));
    o.ancestors = this.ancestorsOf(seq);
    o.cgroup = this.s('cgroup', seq);
    o.container = has & HAS_CONTAINER ? this.s('container', seq) : null;
    o.ret = this.ret[p];
    o.probe = this.s('probe', seq);
    if (has & HAS_OP) o.op = OPS[this.op[p]];
    if (has & HAS_PATH) o[o.type === 'exec' ? 'filename' : 'path'] = this.s('path', seq);
    if (has & HAS_DEV) o.dev = this.dev[p];
    if (has & HAS_INO) o.ino = this.ino[p];
    if (has & HAS_DUR) o.duration_ns = this.dur[p];
    Object.assign(o, this.callOf(seq));
    for (const [k, v] of Object.entries(extra)) o[k] = v;
    Object.assign(o, this.stackOf(seq));
    return o as unknown as KwEvent;
  }

  clear(): void {
    this.capacity = 0;
    this.start = 0;
    this.size = 0;
    this.firstSeq = this.nextSeq;
    this.dropped = 0;
    this.strings.clear();
    this.grow();
  }

  /** Changes the cap; drops the oldest events beyond it (counted in `dropped`). */
  setCap(cap: number): void {
    this.cap = Math.max(1, Math.floor(cap));
    while (this.size > this.cap) this.dropOldest();
  }
}
