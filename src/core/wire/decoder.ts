// Decoder of the agent's `--format wire` stream (defined by bpf/kwitness_wire.h) into the
// AgentRecord objects of events.ts, exactly as `--format json` would print them.
//
// Stateful: push() takes chunks as they come off a pipe or SSH channel, in any split; a frame cut
// across chunks waits in one reusable buffer. It never throws on bad input: a malformed frame
// becomes an AgentErrorRecord and decoding continues with the next frame; only a frame length
// that makes the stream impossible to resynchronise stops decoding (one error record, then
// nothing more).
//
// Speed (goal >= 200,000 events/s on one core): one DataView per push, offsets from the layout
// table resolved once at module load, strings through one fatal TextDecoder with an ASCII fast
// path, objects built as literals of a fixed shape; bytes that are not UTF-8 fall back to a
// U+FFFD printable form plus the exact bytes in base64 (X_b64), as events.ts defines.
// No vscode import (src/core).
import type { AgentErrorRecord, AgentRecord, KwEventType, Ancestor, CallArgValue, CommandLine, Family, PodRef, FileOp, AttachMode, InodeNumber, KernelFrame, PathSource, ProbeChoice, UserFrame } from '../events';
import { CALL_ATTACH, CALL_FLAG, FILE_FLAG, FLAG, FRAME_FIXED, FRAME_FLAG, FRAME_MIN, FRAME_PREFIX, KIND, LOST_REC_V1_SIZE, OP, PROC_FLAG, STACK_HEAD, VERDICT, WIRE_LAYOUT as L } from './layout';

const H = L.kw_hdr.fields;
const P = L.kw_proc.fields;
const FR = L.kw_file_rec.fields;
const EX = L.kw_exec_rec.fields;
const XT = L.kw_exit_rec.fields;
const RD = L.kw_ready_rec.fields;
const LS = L.kw_lost_rec.fields;
const ER = L.kw_error_rec.fields;
/** KW_F_PATH_SRC_* >> 11; 0: an older agent's record, no path_source. */
const PATH_SOURCES: ReadonlyArray<PathSource | undefined> = [undefined, 'kernel', 'name', 'user'];
const GP = L.kw_gap_rec.fields;
const CU = L.kw_cursor_rec.fields;
const WE = L.kw_watch_end_rec.fields;
const RS = L.kw_resumed_rec.fields;
const CR = L.kw_call_rec.fields;

// The process part sits at the same offset in every process record (checked by the layout test).
const PROC = FR.proc[0];
if (EX.proc[0] !== PROC || XT.proc[0] !== PROC || CR.proc[0] !== PROC) throw new Error('wire layout: kw_proc offset differs between records');

const HDR_SIZE = L.kw_hdr.size;
/** Largest frame accepted; anything bigger means the stream is corrupt (records are < 1 MiB). */
export const MAX_FRAME = 16 << 20;

const OP_NAMES: (FileOp | undefined)[] = [];
OP_NAMES[OP.KW_OP_UNLINK] = 'unlink';
OP_NAMES[OP.KW_OP_RMDIR] = 'rmdir';
OP_NAMES[OP.KW_OP_RENAME] = 'rename';
OP_NAMES[OP.KW_OP_OPEN] = 'open';
OP_NAMES[OP.KW_OP_MKDIR] = 'mkdir';
OP_NAMES[OP.KW_OP_MKNOD] = 'mknod';
OP_NAMES[OP.KW_OP_LINK] = 'link';
OP_NAMES[OP.KW_OP_SYMLINK] = 'symlink';
OP_NAMES[OP.KW_OP_OPEN_WRITE] = 'open_write';
OP_NAMES[OP.KW_OP_TRUNCATE] = 'truncate';
OP_NAMES[OP.KW_OP_EXCHANGE] = 'exchange';
OP_NAMES[OP.KW_OP_WRITE] = 'write';

const TWO32 = 4294967296;
/** A u64 whose high word is below this is at most 2^53-1 (Number.MAX_SAFE_INTEGER). */
const TWO21 = 2097152;

// strSlot() cache slots: the process strings, then (comm, exe) per ancestor level.
const SLOT_COMM = 0;
const SLOT_EXE = 1;
const SLOT_CWD = 2;
const SLOT_CGROUP = 3;
const SLOT_CONTAINER = 4;
const SLOT_PROBE = 5;
const SLOT_ANC = 6;
const SLOT_ANC_MAX = 16;
/** Container runtime, name and the process's pod (5 slots; a busy container repeats them). */
const SLOT_POD = SLOT_ANC + 2 * SLOT_ANC_MAX;
/** A call's function and return type, then (name, type) per argument: the same for every call of a function. */
const SLOT_FUNC = SLOT_POD + 5;
const SLOT_ARGS = SLOT_FUNC + 2;
/** BPF trampolines pass at most 12 arguments; room for more (kprobes read more from the stack). */
const SLOT_ARGS_MAX = 16;
/** The largest errno an ERR_PTR carries (include/linux/err.h MAX_ERRNO). */
const MAX_ERRNO = 4095n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** cmdSlot() slots: the process's command line, then one per ancestor (up to SLOT_ANC_MAX). */
const CMD_SELF = 0;
const CMD_ANC = 1;

/** A decoded command line (CommandLine of events.ts), shared by records with the same bytes. */
interface Cmd {
  args: string[];
  b64?: (string | null)[];
  truncated: boolean;
}

/** Thrown inside the decoder only; push() turns it into an error record. */
class BadFrame extends Error {}

export class WireDecoder {
  /** Bytes of an incomplete frame carried over to the next push (reused, grows as needed). */
  private pending = new Uint8Array(64 * 1024);
  private pendingLen = 0;
  private broken = false;
  /** Byte offset in the whole stream of the frame being decoded (for error messages). */
  private streamPos = 0;

  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });

  // Cursor over the frame being decoded.
  private u8: Uint8Array = new Uint8Array(0);
  private dv: DataView = new DataView(new ArrayBuffer(0));
  private pos = 0;
  private end = 0;
  /** Base64 of the last string read when it was not valid UTF-8, else undefined. */
  private b64: string | undefined;
  /** n_anc, flags and pflags of the process record being decoded. */
  private ancN = 0;
  private procFlags = 0;
  private procPflags = 0;
  /** cmdSlot() cache: per slot, the last bytes and what they decoded to. */
  private readonly cmdBytes: (Uint8Array | undefined)[] = [];
  private readonly cmdVal: (Cmd | null)[] = [];
  /** strSlot() cache: per slot, the last bytes, their string and base64 (see SLOT_*). */
  private readonly slotBytes: (Uint8Array | undefined)[] = [];
  private readonly slotStr: string[] = [];
  private readonly slotB64: (string | undefined)[] = [];

  // wall_ns -> ISO 8601 caches: hi word -> (seconds, remainder) and seconds -> ISO prefix.
  private hiCache = -1;
  private hiSec = 0;
  private hiRem = 0;
  private secCache = -1;
  private secPrefix = '';

  /** Decodes every complete frame in what has arrived so far. Never throws. */
  push(chunk: Uint8Array): AgentRecord[] {
    const out: AgentRecord[] = [];
    if (this.broken || chunk.byteLength === 0) return out;
    let data: Uint8Array;
    if (this.pendingLen === 0) {
      data = chunk;
    } else {
      this.reserve(this.pendingLen + chunk.byteLength);
      this.pending.set(chunk, this.pendingLen);
      this.pendingLen += chunk.byteLength;
      data = this.pending.subarray(0, this.pendingLen);
    }
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const n = data.byteLength;
    let off = 0;
    while (n - off >= FRAME_PREFIX) {
      const flen = dv.getUint32(off, true);
      if (flen < HDR_SIZE || flen > MAX_FRAME) {
        out.push(this.error(`wire: bad frame length ${flen} at stream offset ${this.streamPos}; the stream cannot be resynchronised, decoding stopped`));
        this.broken = true;
        this.pendingLen = 0;
        return out;
      }
      if (n - off - FRAME_PREFIX < flen) break;
      this.record(data, dv, off + FRAME_PREFIX, flen, out);
      off += FRAME_PREFIX + flen;
      this.streamPos += FRAME_PREFIX + flen;
    }
    const rest = n - off;
    if (rest === 0) {
      this.pendingLen = 0;
    } else if (data === chunk) {
      this.reserve(rest);
      this.pending.set(chunk.subarray(off), 0);
      this.pendingLen = rest;
    } else if (off > 0) {
      this.pending.copyWithin(0, off, this.pendingLen);
      this.pendingLen = rest;
    }
    return out;
  }

  /** Bytes received that do not yet form a complete frame. */
  get pendingBytes(): number {
    return this.pendingLen;
  }

  private reserve(size: number): void {
    if (size <= this.pending.byteLength) return;
    let cap = this.pending.byteLength;
    while (cap < size) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.pending.subarray(0, this.pendingLen));
    this.pending = next;
  }

  private error(message: string, wallTime?: string): AgentErrorRecord {
    return { type: 'error', time: wallTime ?? new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z'), message };
  }

  private record(u8: Uint8Array, dv: DataView, at: number, size: number, out: AgentRecord[]): void {
    const kind = dv.getUint16(at + H.kind[0], true);
    const hsize = dv.getUint32(at + H.size[0], true);
    if (hsize !== size) {
      out.push(this.error(`wire: record kind ${kind} at stream offset ${this.streamPos}: header size ${hsize} != frame length ${size}`));
      return;
    }
    this.u8 = u8;
    this.dv = dv;
    this.end = at + size;
    try {
      const r = this.decode(kind, at, size);
      if (r === undefined) return; // unknown kind: skipped, as the header allows
      if (this.pos !== this.end) throw new BadFrame(`${this.end - this.pos} bytes left over after the last field`);
      out.push(r);
    } catch (e) {
      if (!(e instanceof BadFrame)) throw e;
      out.push(this.error(`wire: bad record kind ${kind} (${size} bytes) at stream offset ${this.streamPos}: ${e.message}`));
    }
  }

  private need(at: number, size: number, fixed: number): void {
    if (size < fixed) throw new BadFrame(`shorter than its fixed part (${fixed} bytes)`);
    this.pos = at + fixed;
  }

  private u64(at: number): number {
    return this.dv.getUint32(at + 4, true) * TWO32 + this.dv.getUint32(at, true);
  }

  /** A u64 kept exact as events.ts's InodeNumber: a number up to 2^53-1, else decimal digits. */
  private u64Exact(at: number): InodeNumber {
    const hi = this.dv.getUint32(at + 4, true);
    const lo = this.dv.getUint32(at, true);
    if (hi < TWO21) return hi * TWO32 + lo;
    return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
  }

  /** CLOCK_REALTIME ns (u64 at `at`) -> 2026-11-21T23:59:59.123456789Z, exact to the ns. */
  private time(at: number): string {
    const lo = this.dv.getUint32(at, true);
    const hi = this.dv.getUint32(at + 4, true);
    if (hi !== this.hiCache) {
      // hi * 2^32 = hiSec * 1e9 + hiRem, computed exactly once per ~4.3 s of wall time.
      const big = BigInt(hi) << 32n;
      this.hiSec = Number(big / 1000000000n);
      this.hiRem = Number(big % 1000000000n);
      this.hiCache = hi;
    }
    const r = this.hiRem + lo; // < 1e9 + 2^32: exact
    const carry = Math.floor(r / 1e9);
    const sec = this.hiSec + carry;
    const ns = r - carry * 1e9;
    if (sec !== this.secCache) {
      this.secPrefix = new Date(sec * 1000).toISOString().slice(0, 20); // "YYYY-MM-DDTHH:MM:SS."
      this.secCache = sec;
    }
    const digits = String(ns);
    return this.secPrefix + '000000000'.slice(digits.length) + digits + 'Z';
  }

  /** Reads one `u32 len, bytes` string; sets this.b64 when the bytes are not valid UTF-8. */
  private str(): string {
    const s = this.strStart();
    const e = this.pos;
    this.b64 = undefined;
    return s === e ? '' : this.decodeBytes(s, e);
  }

  /**
   * str() for fields that repeat from record to record (comm, exe, cwd, cgroup, probe, the
   * ancestors): when the bytes equal the previous record's bytes in the same slot, the string
   * decoded then is reused (a byte compare is much cheaper than a decode and an allocation).
   */
  private strSlot(slot: number): string {
    const s = this.strStart();
    const e = this.pos;
    const n = e - s;
    const u8 = this.u8;
    if (sameBytes(this.slotBytes[slot], u8, s, n)) {
      this.b64 = this.slotB64[slot];
      return this.slotStr[slot];
    }
    this.b64 = undefined;
    const str = n === 0 ? '' : this.decodeBytes(s, e);
    this.slotBytes[slot] = u8.slice(s, e);
    this.slotStr[slot] = str;
    this.slotB64[slot] = this.b64;
    return str;
  }

  /**
   * A command line string (NUL separated; no final NUL = cut; empty = unknown) as a Cmd, reused
   * while a slot sees the same bytes (a busy process and its parents repeat theirs).
   */
  private cmdSlot(slot: number): Cmd | null {
    const s = this.strStart();
    const e = this.pos;
    const n = e - s;
    const u8 = this.u8;
    if (slot < CMD_ANC + SLOT_ANC_MAX && sameBytes(this.cmdBytes[slot], u8, s, n)) return this.cmdVal[slot];
    let val: Cmd | null = null;
    if (n > 0) {
      const truncated = u8[e - 1] !== 0;
      const args: string[] = [];
      let b64: (string | null)[] | undefined;
      for (let a = s; a < e; ) {
        let z = a;
        while (z < e && u8[z] !== 0) z++;
        this.b64 = undefined;
        args.push(z === a ? '' : this.decodeBytes(a, z));
        if (this.b64 !== undefined) {
          b64 ??= [];
          b64[args.length - 1] = this.b64;
        }
        a = z + 1;
      }
      if (b64) for (let i = 0; i < args.length; i++) b64[i] ??= null;
      val = { args, truncated, ...(b64 ? { b64 } : {}) };
    }
    if (slot < CMD_ANC + SLOT_ANC_MAX) {
      this.cmdBytes[slot] = u8.slice(s, e);
      this.cmdVal[slot] = val;
    }
    return val;
  }

  /** Namespace, name and uid strings as a PodRef (undefined when the uid is empty); slots from `slot` when given. */
  private pod(slot: number | undefined): PodRef | undefined {
    const ns = slot === undefined ? this.str() : this.strSlot(slot);
    const name = slot === undefined ? this.str() : this.strSlot(slot + 1);
    const uid = slot === undefined ? this.str() : this.strSlot(slot + 2);
    return uid ? { namespace: ns, name, uid } : undefined;
  }

  /** Bounds-checks the next string, moves pos past it, returns where its bytes start. */
  private strStart(): number {
    const pos = this.pos;
    if (pos + 4 > this.end) throw new BadFrame(`string length runs past the record end`);
    const n = this.dv.getUint32(pos, true);
    const s = pos + 4;
    if (n > this.end - s) throw new BadFrame(`string of ${n} bytes runs past the record end`);
    this.pos = s + n;
    return s;
  }

  private decodeBytes(s: number, e: number): string {
    const u8 = this.u8;
    if (e - s <= 24) {
      // ASCII fast path for the many short names (comm, probe, short paths).
      let i = s;
      while (i < e && u8[i] < 0x80) i++;
      if (i === e) return String.fromCharCode.apply(null, u8.subarray(s, e) as unknown as number[]);
    }
    const bytes = u8.subarray(s, e);
    try {
      return this.utf8.decode(bytes);
    } catch {
      const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      this.b64 = buf.toString('base64');
      return buf.toString('utf8'); // invalid sequences become U+FFFD
    }
  }

  private decode(kind: number, at: number, size: number): AgentRecord | undefined {
    switch (kind) {
      case KIND.KW_UNLINK:
      case KIND.KW_CREATE:
      case KIND.KW_WRITE:
      case KIND.KW_DENIED:
        return this.fileRecord(kind, at, size);
      case KIND.KW_EXEC:
        return this.execRecord(at, size);
      case KIND.KW_EXIT:
        return this.exitRecord(at, size);
      case KIND.KW_CALL:
        return this.callRecord(at, size);
      case KIND.KW_READY:
        return this.readyRecord(at, size);
      case KIND.KW_LOST: {
        // older agents' records end before `untracked` (journals keep them): 0 there
        const full = size >= L.kw_lost_rec.size;
        this.need(at, size, full ? L.kw_lost_rec.size : LOST_REC_V1_SIZE);
        return {
          type: 'lost',
          time: this.time(at + LS.wall_ns[0]),
          count: this.u64(at + LS.count[0]),
          total: this.u64(at + LS.total[0]),
          unjudged: this.u64(at + LS.unjudged[0]),
          unjudged_total: this.u64(at + LS.unjudged_total[0]),
          untracked: full ? this.u64(at + LS.untracked[0]) : 0,
          untracked_total: full ? this.u64(at + LS.untracked_total[0]) : 0,
        };
      }
      case KIND.KW_ERROR: {
        this.need(at, size, L.kw_error_rec.size);
        const time = this.time(at + ER.wall_ns[0]);
        return { type: 'error', time, message: this.str() };
      }
      case KIND.KW_GAP: {
        this.need(at, size, L.kw_gap_rec.size);
        const time = this.time(at + GP.wall_ns[0]);
        const from = this.time(at + GP.from_wall_ns[0]);
        const to = this.time(at + GP.to_wall_ns[0]);
        return { type: 'gap', time, from, to, reason: this.str() };
      }
      case KIND.KW_CURSOR:
        this.need(at, size, L.kw_cursor_rec.size);
        return { type: 'cursor', cursor: this.u64(at + CU.cursor[0]), skipped: this.u64(at + CU.skipped[0]) };
      case KIND.KW_WATCH_END:
        this.need(at, size, L.kw_watch_end_rec.size);
        return { type: 'watch_end', time: this.time(at + WE.wall_ns[0]), next_cursor: this.u64(at + WE.next_cursor[0]) };
      case KIND.KW_RESUMED:
        this.need(at, size, L.kw_resumed_rec.size);
        return {
          type: 'resumed',
          time: this.time(at + RS.wall_ns[0]),
          next_event: this.u64(at + RS.next_event[0]),
          not_kept: this.u64(at + RS.not_kept[0]),
          away_ms: Math.floor(this.u64(at + RS.away_ns[0]) / 1e6),
          pid: this.dv.getUint32(at + RS.pid[0], true),
          start_time: this.dv.getBigUint64(at + RS.start_ticks[0], true).toString(),
        };
      default:
        this.pos = this.end;
        return undefined;
    }
  }

  private ancestors(n: number, withCmd: boolean): Ancestor[] {
    const list: Ancestor[] = new Array(n);
    for (let i = 0; i < n; i++) {
      if (this.pos + 4 > this.end) throw new BadFrame(`ancestor ${i} of ${n} runs past the record end`);
      const pid = this.dv.getUint32(this.pos, true);
      this.pos += 4;
      const cached = i < SLOT_ANC_MAX;
      const comm = cached ? this.strSlot(SLOT_ANC + 2 * i) : this.str();
      const commB64 = this.b64;
      const exe = cached ? this.strSlot(SLOT_ANC + 2 * i + 1) : this.str();
      const a: Ancestor = { pid, comm, exe };
      if (commB64 !== undefined) a.comm_b64 = commB64;
      if (this.b64 !== undefined) a.exe_b64 = this.b64;
      if (withCmd) setCmd(a, this.cmdSlot(cached ? CMD_ANC + i : Number.MAX_SAFE_INTEGER));
      list[i] = a;
    }
    return list;
  }

  /**
   * The process fields and the six leading strings (comm, exe, cwd, cgroup, container, probe)
   * that every process record has, as a fresh object of one fixed shape.
   */
  private proc(at: number, flags: number, type: KwEventType): Record<string, unknown> {
    const dv = this.dv;
    const p = at + PROC;
    const comm = this.strSlot(SLOT_COMM);
    const commB64 = this.b64;
    const exe = this.strSlot(SLOT_EXE);
    const exeB64 = this.b64;
    const cwd = this.strSlot(SLOT_CWD);
    const cwdB64 = this.b64;
    const cgroup = this.strSlot(SLOT_CGROUP);
    const cgroupB64 = this.b64;
    const containerStr = this.strSlot(SLOT_CONTAINER);
    const probe = this.strSlot(SLOT_PROBE);
    const o = {
      type,
      time: this.time(p + P.wall_ns[0]),
      ktime_ns: this.u64(at + H.ktime_ns[0]),
      pid: dv.getUint32(p + P.pid[0], true),
      tid: dv.getUint32(p + P.tid[0], true),
      ppid: dv.getUint32(p + P.ppid[0], true),
      uid: dv.getUint32(p + P.uid[0], true),
      gid: dv.getUint32(p + P.gid[0], true),
      comm,
      exe,
      cwd,
      ancestors: [] as Ancestor[],
      cgroup,
      container: flags & FLAG.KW_F_CONTAINER ? containerStr : null,
      ret: dv.getInt32(p + P.ret[0], true),
      probe,
    } as Record<string, unknown>;
    this.ancN = dv.getUint32(p + P.n_anc[0], true);
    this.procFlags = flags;
    this.procPflags = dv.getUint32(p + P.pflags[0], true);
    if (commB64 !== undefined) o.comm_b64 = commB64;
    if (exeB64 !== undefined) o.exe_b64 = exeB64;
    if (cwdB64 !== undefined) o.cwd_b64 = cwdB64;
    if (cgroupB64 !== undefined) o.cgroup_b64 = cgroupB64;
    return o;
  }

  private finish(o: Record<string, unknown>): AgentRecord {
    const withCmd = (this.procFlags & FLAG.KW_F_CMDLINE) !== 0;
    if (withCmd) setCmd(o as CommandLine, this.cmdSlot(CMD_SELF));
    if (this.procFlags & FLAG.KW_F_PODINFO) {
      const runtime = this.strSlot(SLOT_POD);
      const containerName = this.strSlot(SLOT_POD + 1);
      const pod = this.pod(SLOT_POD + 2);
      const pathPod = this.pod(undefined);
      if (runtime) o.runtime = runtime;
      if (containerName) o.container_name = containerName;
      if (pod) o.pod = pod;
      if (pathPod && o.type !== 'exec' && o.type !== 'exit' && o.type !== 'call') o.path_pod = pathPod;
    }
    const n = this.ancN;
    if (n > (this.end - this.pos) / (withCmd ? 16 : 12)) throw new BadFrame(`${n} ancestors exceed the record`);
    o.ancestors = this.ancestors(n, withCmd);
    if (this.procPflags & PROC_FLAG.KW_PF_STACKS) this.stacks(o);
    return o as unknown as AgentRecord;
  }

  /**
   * The STACK TAIL (kwitness_wire.h) into kstack/ustack (and kstack_error/ustack_error when the
   * kernel could not take one), keyed exactly as the agent's json prints them (native/emit.c
   * json_frames): sym and off with KW_FR_SYM; module for a kernel frame of a module; file,
   * file_off and a non-empty build_id for a user frame with KW_FR_FILE; src and line with
   * KW_FR_LINE; inferred with KW_FR_INFERRED.
   */
  private stacks(o: Record<string, unknown>): void {
    const dv = this.dv;
    const at = this.pos;
    if (at + STACK_HEAD > this.end) throw new BadFrame('the stack tail runs past the record end');
    const kerr = dv.getInt32(at, true);
    const uerr = dv.getInt32(at + 4, true);
    const kn = dv.getUint32(at + 8, true);
    const un = dv.getUint32(at + 12, true);
    this.pos = at + STACK_HEAD;
    if (kn + un > (this.end - this.pos) / FRAME_MIN) throw new BadFrame(`${kn} kernel and ${un} user frames exceed the record`);
    const k: KernelFrame[] = new Array(kn);
    for (let i = 0; i < kn; i++) k[i] = this.frame(false) as KernelFrame;
    o.kstack = k;
    if (kerr !== 0) o.kstack_error = kerr;
    const u: UserFrame[] = new Array(un);
    for (let i = 0; i < un; i++) u[i] = this.frame(true);
    o.ustack = u;
    if (uerr !== 0) o.ustack_error = uerr;
  }

  /** One frame of the stack tail (its size was checked against the record by stacks()). */
  private frame(user: boolean): UserFrame {
    const dv = this.dv;
    const at = this.pos;
    if (at + FRAME_FIXED > this.end) throw new BadFrame('a stack frame runs past the record end');
    const f: UserFrame = { addr: '0x' + dv.getBigUint64(at, true).toString(16) };
    const off = this.u64(at + 8);
    const fileOff = this.u64(at + 16);
    const line = dv.getUint32(at + 24, true);
    const flags = dv.getUint32(at + 28, true);
    this.pos = at + FRAME_FIXED;
    const sym = this.str();
    const symB64 = this.b64;
    const obj = this.str();
    const objB64 = this.b64;
    const buildId = this.str();
    const buildIdB64 = this.b64;
    const src = this.str();
    const srcB64 = this.b64;
    if (flags & FRAME_FLAG.KW_FR_SYM) {
      f.sym = sym;
      if (symB64 !== undefined) f.sym_b64 = symB64;
      f.off = off;
    }
    if (!user && obj !== '') {
      const kf = f as KernelFrame;
      kf.module = obj;
      if (objB64 !== undefined) kf.module_b64 = objB64;
    }
    if (user && flags & FRAME_FLAG.KW_FR_FILE) {
      f.file = obj;
      if (objB64 !== undefined) f.file_b64 = objB64;
      f.file_off = fileOff;
      if (buildId !== '') {
        f.build_id = buildId;
        if (buildIdB64 !== undefined) f.build_id_b64 = buildIdB64;
      }
    }
    if (flags & FRAME_FLAG.KW_FR_LINE) {
      f.src = src;
      if (srcB64 !== undefined) f.src_b64 = srcB64;
      f.line = line;
    }
    if (flags & FRAME_FLAG.KW_FR_INFERRED) f.inferred = true;
    return f;
  }

  private fileRecord(kind: number, at: number, size: number): AgentRecord {
    this.need(at, size, L.kw_file_rec.size);
    const dv = this.dv;
    const flags = dv.getUint16(at + H.flags[0], true);
    const opNum = this.u8[at + FR.op[0]];
    const op = OP_NAMES[opNum];
    if (op === undefined) throw new BadFrame(`unknown op ${opNum}`);
    // a write on an open file is refused by a guard; it is never an event of its own (the agent's emitters agree)
    if (opNum === OP.KW_OP_WRITE && kind !== KIND.KW_DENIED) throw new BadFrame('op write on an event that is not a guard\'s refusal');
    const verdict = this.u8[at + FR.verdict[0]];
    if (kind === KIND.KW_DENIED && verdict !== VERDICT.KW_VERDICT_DENIED && verdict !== VERDICT.KW_VERDICT_WOULD_DENY) throw new BadFrame(`unknown verdict ${verdict}`);
    const type = kind === KIND.KW_UNLINK ? 'unlink' : kind === KIND.KW_WRITE ? 'write' : kind === KIND.KW_CREATE ? 'create'
      : verdict === VERDICT.KW_VERDICT_WOULD_DENY ? 'would-deny' : 'denied';
    const o = this.proc(at, flags, type);
    o.op = op;
    o.path = this.str();
    if (this.b64 !== undefined) o.path_b64 = this.b64;
    if (flags & FLAG.KW_F_PATH_TRUNC) o.path_truncated = true;
    if (flags & FLAG.KW_F_NAME_UNREADABLE) o.name_unreadable = true;
    o.dev = dv.getUint32(at + FR.dev[0], true);
    o.ino = this.u64Exact(at + FR.ino[0]);
    const oldPath = this.str();
    if (flags & FLAG.KW_F_OLD_PATH) {
      o.old_path = oldPath;
      if (this.b64 !== undefined) o.old_path_b64 = this.b64;
    }
    const target = this.str();
    if (flags & FLAG.KW_F_TARGET) {
      o.target = target;
      if (this.b64 !== undefined) o.target_b64 = this.b64;
    }
    if (kind === KIND.KW_UNLINK) o.last_link = (flags & FLAG.KW_F_LAST_LINK) !== 0;
    if (kind === KIND.KW_DENIED) o.rule = dv.getUint32(at + FR.rule[0], true);
    const src = PATH_SOURCES[(flags & FLAG.KW_F_PATH_SRC_MASK) >> 11];
    if (src) o.path_source = src;
    if (flags & FLAG.KW_F_NAMED) {
      o.named = this.str();
      if (this.b64 !== undefined) o.named_b64 = this.b64;
    }
    if (flags & FLAG.KW_F_PROC_PATH) {
      o.proc_path = this.str();
      if (this.b64 !== undefined) o.proc_path_b64 = this.b64;
    }
    if (flags & FLAG.KW_F_PATH_NOT_ON_HOST) o.path_on_host = false;
    const fflags = this.u8[at + FR.fflags[0]];
    if (fflags & FILE_FLAG.KW_FF_REAL_PATH) {
      o.real_path = this.str();
      if (this.b64 !== undefined) o.real_path_b64 = this.b64;
      o.layer = fflags & FILE_FLAG.KW_FF_LOWER ? 'lower' : 'upper';
    }
    return this.finish(o);
  }

  private execRecord(at: number, size: number): AgentRecord {
    this.need(at, size, L.kw_exec_rec.size);
    const flags = this.dv.getUint16(at + H.flags[0], true);
    const argc = this.dv.getUint32(at + EX.argc[0], true);
    const o = this.proc(at, flags, 'exec');
    o.filename = this.str();
    if (this.b64 !== undefined) o.filename_b64 = this.b64;
    const interp = this.str();
    const interpB64 = this.b64;
    if (argc > (this.end - this.pos) / 4) throw new BadFrame(`argc ${argc} exceeds the record`);
    const argv: string[] = new Array(argc);
    let argvB64: (string | null)[] | undefined;
    for (let i = 0; i < argc; i++) {
      argv[i] = this.str();
      if (this.b64 !== undefined) {
        argvB64 ??= new Array<string | null>(argc).fill(null);
        argvB64[i] = this.b64;
      }
    }
    o.argv = argv;
    if (argvB64) o.argv_b64 = argvB64;
    o.argv_truncated = (flags & FLAG.KW_F_ARGV_TRUNC) !== 0;
    o.interpreter = flags & FLAG.KW_F_INTERP ? interp : null;
    if (flags & FLAG.KW_F_INTERP && interpB64 !== undefined) o.interpreter_b64 = interpB64;
    return this.finish(o);
  }

  private exitRecord(at: number, size: number): AgentRecord {
    this.need(at, size, L.kw_exit_rec.size);
    const flags = this.dv.getUint16(at + H.flags[0], true);
    const o = this.proc(at, flags, 'exit');
    o.exit_code = this.dv.getInt32(at + XT.exit_code[0], true);
    o.signal = this.dv.getUint32(at + XT.signal[0], true);
    o.duration_ns = this.u64(at + XT.duration_ns[0]);
    return this.finish(o);
  }

  /**
   * KW_CALL: one call of a probed kernel function. `ret` as events.ts CallEvent says (from the
   * s64 and cflags), the arguments' JSON texts parsed into `args` (a value that is not JSON is a
   * bad frame), their C types into `arg_types`, both keyed by parameter name in their order.
   */
  private callRecord(at: number, size: number): AgentRecord {
    this.need(at, size, L.kw_call_rec.size);
    const dv = this.dv;
    const flags = dv.getUint16(at + H.flags[0], true);
    const nArgs = dv.getUint32(at + CR.n_args[0], true);
    const attachNum = this.u8[at + CR.attach[0]];
    const attach = attachNum === CALL_ATTACH.KW_CA_FENTRY ? 'fentry' : attachNum === CALL_ATTACH.KW_CA_KPROBE ? 'kprobe' : undefined;
    if (attach === undefined) throw new BadFrame(`unknown attach mode ${attachNum}`);
    const cflags = this.u8[at + CR.cflags[0]];
    const o = this.proc(at, flags, 'call');
    o.ret = this.callRet(at + CR.ret[0], cflags);
    o.func = this.strSlot(SLOT_FUNC);
    if (this.b64 !== undefined) o.func_b64 = this.b64;
    o.attach = attach;
    o.ret_type = this.strSlot(SLOT_FUNC + 1);
    if (nArgs > (this.end - this.pos) / 12) throw new BadFrame(`n_args ${nArgs} exceeds the record`);
    const args: Record<string, CallArgValue> = {};
    const types: Record<string, string> = {};
    for (let i = 0; i < nArgs; i++) {
      const slotted = i < SLOT_ARGS_MAX;
      const name = slotted ? this.strSlot(SLOT_ARGS + 2 * i) : this.str();
      const type = slotted ? this.strSlot(SLOT_ARGS + 2 * i + 1) : this.str();
      const text = this.str();
      if (this.b64 !== undefined) throw new BadFrame(`argument ${i} (${name}): its value is not UTF-8 text`);
      let value: CallArgValue;
      try {
        value = JSON.parse(text) as CallArgValue;
      } catch {
        throw new BadFrame(`argument ${i} (${name}): its value is not JSON`);
      }
      if (Object.prototype.hasOwnProperty.call(args, name)) throw new BadFrame(`argument ${i}: a second parameter named ${name}`);
      // own properties, as JSON.parse makes them (a key "__proto__" must not become a prototype)
      Object.defineProperty(args, name, { value, enumerable: true, writable: true, configurable: true });
      Object.defineProperty(types, name, { value: type, enumerable: true, writable: true, configurable: true });
    }
    o.args = args;
    o.arg_types = types;
    o.duration_ns = this.u64(at + CR.duration_ns[0]);
    if (cflags & CALL_FLAG.KW_CF_ARGS_CUT) o.args_truncated = true;
    return this.finish(o);
  }

  /** kw_call_rec.ret as CallEvent.ret: null (void), a number, "0x..." (a pointer), or digits (native/func_event.c func_json_ret). */
  private callRet(at: number, cflags: number): number | string | null {
    if (cflags & CALL_FLAG.KW_CF_VOID) return null;
    const dv = this.dv;
    const lo = dv.getUint32(at, true);
    const hi = dv.getUint32(at + 4, true);
    if (cflags & CALL_FLAG.KW_CF_RET_PTR) {
      // an ERR_PTR is -errno and NULL is 0 (as the agent's json prints them); any other pointer
      // in hex, as the stacks' addresses are
      if (hi === 0xffffffff && lo >= 0x100000000 - Number(MAX_ERRNO)) return lo - 0x100000000;
      if (hi === 0 && lo === 0) return 0;
      return '0x' + dv.getBigUint64(at, true).toString(16);
    }
    if (cflags & CALL_FLAG.KW_CF_RET_UNSIGNED) return this.u64Exact(at);
    // the common small values without a BigInt
    if (hi === 0 && lo < 0x80000000) return lo;
    if (hi === 0xffffffff && lo >= 0x80000000) return lo - 0x100000000;
    const v = dv.getBigInt64(at, true);
    return v >= -MAX_SAFE && v <= MAX_SAFE ? Number(v) : v.toString();
  }

  private readyRecord(at: number, size: number): AgentRecord {
    this.need(at, size, L.kw_ready_rec.size);
    const time = this.time(at + RD.wall_ns[0]);
    const n = this.dv.getUint32(at + RD.n_probes[0], true);
    const agent_version = this.str();
    const kernel = this.str();
    const arch = this.str();
    if (n > (this.end - this.pos) / 12) throw new BadFrame(`n_probes ${n} exceeds the record`);
    const probes: ProbeChoice[] = [];
    for (let i = 0; i < n; i++) {
      const family = this.str() as Family;
      const probe = this.str();
      const mode = this.str() as AttachMode;
      probes.push({ family, probe, mode });
    }
    return { type: 'ready', time, agent_version, kernel, arch, probes };
  }
}

/** The CommandLine fields of events.ts from a decoded command line (null: unknown). */
function setCmd(o: CommandLine, c: Cmd | null): void {
  o.cmdline = c ? c.args : null;
  if (c?.b64) o.cmdline_b64 = c.b64;
  if (c?.truncated) o.cmdline_truncated = true;
}

/** prev equals u8[s, s + n) (a byte compare is much cheaper than a decode and an allocation). */
function sameBytes(prev: Uint8Array | undefined, u8: Uint8Array, s: number, n: number): boolean {
  if (prev === undefined || prev.length !== n) return false;
  let i = 0;
  while (i < n && prev[i] === u8[s + i]) i++;
  return i === n;
}
