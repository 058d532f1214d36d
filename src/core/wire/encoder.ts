// Encoder of AgentRecords into `--format wire` frames (bpf/kwitness_wire.h), the inverse of
// WireDecoder. The agent (C) is the real producer; this exists for tests and benchmarks that
// need hand-built frames (decoder unit tests, fuzzing, throughput). Uses the same layout table
// as the decoder, which the layout test checks against the C compiler and the BPF object.
// No vscode import (src/core).
import { isKwEvent, rawBytes, type AgentRecord, type Ancestor, type CommandLine, type FileOp, type KernelFrame, type StackFields, type UserFrame } from '../events';
import { CALL_ATTACH, CALL_FLAG, FILE_FLAG, FLAG, FRAME_FIXED, FRAME_FLAG, FRAME_PREFIX, KIND, OP, PROC_FLAG, STACK_HEAD, VERDICT, WIRE_LAYOUT as L } from './layout';

const OP_NUM: Record<FileOp, number> = {
  unlink: OP.KW_OP_UNLINK,
  rmdir: OP.KW_OP_RMDIR,
  rename: OP.KW_OP_RENAME,
  open: OP.KW_OP_OPEN,
  mkdir: OP.KW_OP_MKDIR,
  mknod: OP.KW_OP_MKNOD,
  link: OP.KW_OP_LINK,
  symlink: OP.KW_OP_SYMLINK,
  open_write: OP.KW_OP_OPEN_WRITE,
  truncate: OP.KW_OP_TRUNCATE,
  exchange: OP.KW_OP_EXCHANGE,
  write: OP.KW_OP_WRITE,
};

/** ISO 8601 with up to 9 fractional digits -> ns since the epoch, as bigint. */
export function isoToNs(iso: string): bigint {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(iso);
  if (!m) throw new Error(`not an ISO 8601 UTC time: ${iso}`);
  const ms = Date.parse(`${m[1]}Z`);
  if (Number.isNaN(ms)) throw new Error(`not an ISO 8601 UTC time: ${iso}`);
  return BigInt(ms) * 1000000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

class Writer {
  private parts: Uint8Array[] = [];
  private len = 0;
  bytes(b: Uint8Array): void {
    this.parts.push(b);
    this.len += b.byteLength;
  }
  str(printable: string, b64?: string): void {
    const b = rawBytes(printable, b64);
    const n = new Uint8Array(4);
    new DataView(n.buffer).setUint32(0, b.byteLength, true);
    this.bytes(n);
    this.bytes(b);
  }
  u32(v: number): void {
    const n = new Uint8Array(4);
    new DataView(n.buffer).setUint32(0, v, true);
    this.bytes(n);
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.len);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.byteLength;
    }
    return out;
  }
}

/** A command line as the wire carries it: u32 length, args NUL separated (no final NUL when cut). */
function cmdBytes(c: CommandLine): Uint8Array {
  const parts: Uint8Array[] = [];
  (c.cmdline ?? []).forEach((a, i) => {
    parts.push(rawBytes(a, c.cmdline_b64?.[i] ?? undefined));
    parts.push(new Uint8Array([0]));
  });
  if (c.cmdline_truncated && parts.length) parts.pop();
  const body = Buffer.concat(parts);
  const n = Buffer.alloc(4);
  n.writeUInt32LE(body.byteLength, 0);
  return Buffer.concat([n, body]);
}

/** The STACK TAIL of kwitness_wire.h for an event's kstack/ustack (either absent = empty). */
function stackTail(s: StackFields): Uint8Array {
  const w = new Writer();
  const head = new Uint8Array(STACK_HEAD);
  const hv = new DataView(head.buffer);
  const k = s.kstack ?? [];
  const u = s.ustack ?? [];
  hv.setInt32(0, s.kstack_error ?? 0, true);
  hv.setInt32(4, s.ustack_error ?? 0, true);
  hv.setUint32(8, k.length, true);
  hv.setUint32(12, u.length, true);
  w.bytes(head);
  const frame = (f: KernelFrame & UserFrame, user: boolean): void => {
    const fixed = new Uint8Array(FRAME_FIXED);
    const dv = new DataView(fixed.buffer);
    let flags = 0;
    if (f.sym !== undefined) flags |= FRAME_FLAG.KW_FR_SYM;
    if (user && f.file !== undefined) flags |= FRAME_FLAG.KW_FR_FILE;
    if (f.src !== undefined || f.line !== undefined) flags |= FRAME_FLAG.KW_FR_LINE;
    if (f.inferred) flags |= FRAME_FLAG.KW_FR_INFERRED;
    dv.setBigUint64(0, BigInt(f.addr), true);
    dv.setBigUint64(8, BigInt(f.off ?? 0), true);
    dv.setBigUint64(16, BigInt(f.file_off ?? 0), true);
    dv.setUint32(24, f.line ?? 0, true);
    dv.setUint32(28, flags, true);
    w.bytes(fixed);
    w.str(f.sym ?? '', f.sym_b64);
    if (user) w.str(f.file ?? '', f.file_b64);
    else w.str(f.module ?? '', f.module_b64);
    w.str(f.build_id ?? '', f.build_id_b64);
    w.str(f.src ?? '', f.src_b64);
  };
  for (const f of k) frame(f, false);
  for (const f of u) frame(f, true);
  return w.concat();
}

/**
 * kw_call_rec.ret and the cflags that say how to read it, for a CallEvent's ret: null -> void,
 * "0x..." -> a pointer, -4095..-1 of a pointer-returning function -> an ERR_PTR, digits beyond
 * 2^63-1 -> unsigned; anything else a signed 64-bit integer.
 */
function callRet(ret: number | string | null, retType: string): { value: bigint; cflags: number } {
  if (ret === null) return { value: 0n, cflags: CALL_FLAG.KW_CF_VOID };
  if (typeof ret === 'string' && ret.startsWith('0x')) return { value: BigInt(ret), cflags: CALL_FLAG.KW_CF_RET_PTR };
  const v = BigInt(ret);
  if (v >= 1n << 63n) return { value: v, cflags: CALL_FLAG.KW_CF_RET_UNSIGNED };
  if (retType.includes('*') && v < 0n && v >= -4095n) return { value: BigInt.asUintN(64, v), cflags: CALL_FLAG.KW_CF_RET_PTR };
  return { value: BigInt.asUintN(64, v), cflags: 0 };
}

/** One frame (u32 length prefix + record) for a record. */
export function encodeRecord(r: AgentRecord): Uint8Array {
  let fixed: Uint8Array;
  let flags = 0;
  let kind: number;
  const w = new Writer();
  const anc: Ancestor[] = 'ancestors' in r ? r.ancestors : [];
  const procStrings = () => {
    if (!('comm' in r)) return;
    w.str(r.comm, r.comm_b64);
    w.str(r.exe, r.exe_b64);
    w.str(r.cwd, r.cwd_b64);
    w.str(r.cgroup, r.cgroup_b64);
    w.str(r.container ?? '');
    w.str(r.probe);
    if (r.container !== null) flags |= FLAG.KW_F_CONTAINER;
  };
  switch (r.type) {
    case 'unlink':
    case 'create':
    case 'write':
    case 'denied':
    case 'would-deny':
      kind = r.type === 'unlink' ? KIND.KW_UNLINK : r.type === 'write' ? KIND.KW_WRITE : r.type === 'create' ? KIND.KW_CREATE : KIND.KW_DENIED;
      fixed = new Uint8Array(L.kw_file_rec.size);
      procStrings();
      w.str(r.path, r.path_b64);
      w.str(r.old_path ?? '', r.old_path_b64);
      w.str(r.type === 'create' ? (r.target ?? '') : '', r.type === 'create' ? r.target_b64 : undefined);
      if (r.type === 'unlink' && r.last_link) flags |= FLAG.KW_F_LAST_LINK;
      if (r.path_truncated) flags |= FLAG.KW_F_PATH_TRUNC;
      if (r.name_unreadable) flags |= FLAG.KW_F_NAME_UNREADABLE;
      if (r.old_path !== undefined) flags |= FLAG.KW_F_OLD_PATH;
      if (r.type === 'create' && r.target !== undefined) flags |= FLAG.KW_F_TARGET;
      if (r.path_source !== undefined) flags |= { kernel: FLAG.KW_F_PATH_SRC_KERNEL, name: FLAG.KW_F_PATH_SRC_NAME, user: FLAG.KW_F_PATH_SRC_USER }[r.path_source];
      if (r.named !== undefined) {
        flags |= FLAG.KW_F_NAMED;
        w.str(r.named, r.named_b64);
      }
      if (r.proc_path !== undefined) {
        flags |= FLAG.KW_F_PROC_PATH;
        w.str(r.proc_path, r.proc_path_b64);
      }
      if (r.path_on_host === false) flags |= FLAG.KW_F_PATH_NOT_ON_HOST;
      if (r.real_path !== undefined) w.str(r.real_path, r.real_path_b64);
      break;
    case 'exec':
      kind = KIND.KW_EXEC;
      fixed = new Uint8Array(L.kw_exec_rec.size);
      procStrings();
      w.str(r.filename, r.filename_b64);
      w.str(r.interpreter ?? '', r.interpreter_b64);
      r.argv.forEach((a, i) => w.str(a, r.argv_b64?.[i] ?? undefined));
      if (r.argv_truncated) flags |= FLAG.KW_F_ARGV_TRUNC;
      if (r.interpreter !== null) flags |= FLAG.KW_F_INTERP;
      break;
    case 'exit':
      kind = KIND.KW_EXIT;
      fixed = new Uint8Array(L.kw_exit_rec.size);
      procStrings();
      break;
    case 'call':
      kind = KIND.KW_CALL;
      fixed = new Uint8Array(L.kw_call_rec.size);
      procStrings();
      w.str(r.func, r.func_b64);
      w.str(r.ret_type);
      for (const [name, value] of Object.entries(r.args)) {
        w.str(name);
        w.str(r.arg_types[name] ?? '');
        w.str(JSON.stringify(value));
      }
      break;
    case 'ready':
      kind = KIND.KW_READY;
      fixed = new Uint8Array(L.kw_ready_rec.size);
      w.str(r.agent_version);
      w.str(r.kernel);
      w.str(r.arch);
      for (const p of r.probes) {
        w.str(p.family);
        w.str(p.probe);
        w.str(p.mode);
      }
      break;
    case 'lost':
      kind = KIND.KW_LOST;
      fixed = new Uint8Array(L.kw_lost_rec.size);
      break;
    case 'error':
      kind = KIND.KW_ERROR;
      fixed = new Uint8Array(L.kw_error_rec.size);
      w.str(r.message);
      break;
    case 'gap':
      kind = KIND.KW_GAP;
      fixed = new Uint8Array(L.kw_gap_rec.size);
      w.str(r.reason);
      break;
    case 'cursor':
      kind = KIND.KW_CURSOR;
      fixed = new Uint8Array(L.kw_cursor_rec.size);
      break;
    case 'watch_end':
      kind = KIND.KW_WATCH_END;
      fixed = new Uint8Array(L.kw_watch_end_rec.size);
      break;
    case 'resumed':
      kind = KIND.KW_RESUMED;
      fixed = new Uint8Array(L.kw_resumed_rec.size);
      break;
  }
  // command lines travel when the record has one (a record from before KW_F_CMDLINE has none)
  const withCmd = 'cmdline' in r && r.cmdline !== undefined;
  if (withCmd) {
    flags |= FLAG.KW_F_CMDLINE;
    w.bytes(cmdBytes(r));
  }
  if (isKwEvent(r) && (r.runtime !== undefined || r.container_name !== undefined || r.pod !== undefined || ('path_pod' in r && r.path_pod !== undefined))) {
    flags |= FLAG.KW_F_PODINFO;
    const pp = 'path_pod' in r ? r.path_pod : undefined;
    for (const s of [r.runtime ?? '', r.container_name ?? '', r.pod?.namespace ?? '', r.pod?.name ?? '', r.pod?.uid ?? '', pp?.namespace ?? '', pp?.name ?? '', pp?.uid ?? '']) w.str(s);
  }
  for (const a of anc) {
    w.u32(a.pid);
    w.str(a.comm, a.comm_b64);
    w.str(a.exe, a.exe_b64);
    if (withCmd) w.bytes(cmdBytes(a));
  }
  // the stack tail travels when the event has stacks (a trace with --stacks: both arrays)
  const stacks = isKwEvent(r) && r.type !== 'exit' && (r.kstack !== undefined || r.ustack !== undefined) ? r : undefined;
  if (stacks) w.bytes(stackTail(stacks));
  const dv = new DataView(fixed.buffer);
  const wall = 'time' in r ? isoToNs(r.time) : 0n;
  const H = L.kw_hdr.fields;
  const strings = w.concat();
  const size = fixed.byteLength + strings.byteLength;
  dv.setUint16(H.kind[0], kind, true);
  dv.setUint16(H.flags[0], flags, true);
  dv.setUint32(H.size[0], size, true);
  if ('ktime_ns' in r) dv.setBigUint64(H.ktime_ns[0], BigInt(r.ktime_ns), true);
  if (isKwEvent(r)) {
    const P = L.kw_proc.fields;
    const p = L.kw_file_rec.fields.proc[0];
    dv.setBigUint64(p + P.wall_ns[0], wall, true);
    dv.setUint32(p + P.pid[0], r.pid, true);
    dv.setUint32(p + P.tid[0], r.tid, true);
    dv.setUint32(p + P.ppid[0], r.ppid, true);
    dv.setUint32(p + P.uid[0], r.uid, true);
    dv.setUint32(p + P.gid[0], r.gid, true);
    dv.setInt32(p + P.ret[0], r.type === 'call' ? 0 : r.ret, true); // a call's own ret is in kw_call_rec
    dv.setUint32(p + P.n_anc[0], anc.length, true);
    dv.setUint32(p + P.pflags[0], stacks ? PROC_FLAG.KW_PF_STACKS : 0, true);
  }
  switch (r.type) {
    case 'unlink':
    case 'create':
    case 'write':
    case 'denied':
    case 'would-deny': {
      const F = L.kw_file_rec.fields;
      dv.setBigUint64(F.ino[0], BigInt(r.ino), true);
      dv.setUint32(F.dev[0], r.dev, true);
      dv.setUint8(F.op[0], OP_NUM[r.op]);
      if (r.type === 'denied' || r.type === 'would-deny') {
        dv.setUint32(F.rule[0], r.rule, true);
        dv.setUint8(F.verdict[0], r.type === 'denied' ? VERDICT.KW_VERDICT_DENIED : VERDICT.KW_VERDICT_WOULD_DENY);
      }
      if (r.real_path !== undefined) dv.setUint8(F.fflags[0], FILE_FLAG.KW_FF_REAL_PATH | (r.layer === 'lower' ? FILE_FLAG.KW_FF_LOWER : 0));
      break;
    }
    case 'exec':
      dv.setUint32(L.kw_exec_rec.fields.argc[0], r.argv.length, true);
      break;
    case 'exit': {
      const X = L.kw_exit_rec.fields;
      dv.setBigUint64(X.duration_ns[0], BigInt(r.duration_ns), true);
      dv.setInt32(X.exit_code[0], r.exit_code, true);
      dv.setUint32(X.signal[0], r.signal, true);
      break;
    }
    case 'call': {
      const C = L.kw_call_rec.fields;
      const ret = callRet(r.ret, r.ret_type);
      dv.setBigUint64(C.ret[0], ret.value, true);
      dv.setBigUint64(C.duration_ns[0], BigInt(r.duration_ns), true);
      dv.setUint32(C.n_args[0], Object.keys(r.args).length, true);
      dv.setUint8(C.attach[0], r.attach === 'kprobe' ? CALL_ATTACH.KW_CA_KPROBE : CALL_ATTACH.KW_CA_FENTRY);
      dv.setUint8(C.cflags[0], ret.cflags | (r.args_truncated ? CALL_FLAG.KW_CF_ARGS_CUT : 0));
      break;
    }
    case 'ready':
      dv.setBigUint64(L.kw_ready_rec.fields.wall_ns[0], wall, true);
      dv.setUint32(L.kw_ready_rec.fields.n_probes[0], r.probes.length, true);
      break;
    case 'lost': {
      const S = L.kw_lost_rec.fields;
      dv.setBigUint64(S.wall_ns[0], wall, true);
      dv.setBigUint64(S.count[0], BigInt(r.count), true);
      dv.setBigUint64(S.total[0], BigInt(r.total), true);
      dv.setBigUint64(S.unjudged[0], BigInt(r.unjudged), true);
      dv.setBigUint64(S.unjudged_total[0], BigInt(r.unjudged_total), true);
      dv.setBigUint64(S.untracked[0], BigInt(r.untracked), true);
      dv.setBigUint64(S.untracked_total[0], BigInt(r.untracked_total), true);
      break;
    }
    case 'error':
      dv.setBigUint64(L.kw_error_rec.fields.wall_ns[0], wall, true);
      break;
    case 'gap': {
      const G = L.kw_gap_rec.fields;
      dv.setBigUint64(G.wall_ns[0], wall, true);
      dv.setBigUint64(G.from_wall_ns[0], isoToNs(r.from), true);
      dv.setBigUint64(G.to_wall_ns[0], isoToNs(r.to), true);
      break;
    }
    case 'cursor':
      dv.setBigUint64(L.kw_cursor_rec.fields.cursor[0], BigInt(r.cursor), true);
      dv.setBigUint64(L.kw_cursor_rec.fields.skipped[0], BigInt(r.skipped), true);
      break;
    case 'watch_end':
      dv.setBigUint64(L.kw_watch_end_rec.fields.wall_ns[0], wall, true);
      dv.setBigUint64(L.kw_watch_end_rec.fields.next_cursor[0], BigInt(r.next_cursor), true);
      break;
    case 'resumed': {
      const R = L.kw_resumed_rec.fields;
      dv.setBigUint64(R.wall_ns[0], wall, true);
      dv.setBigUint64(R.next_event[0], BigInt(r.next_event), true);
      dv.setBigUint64(R.not_kept[0], BigInt(r.not_kept), true);
      dv.setBigUint64(R.away_ns[0], BigInt(r.away_ms) * 1_000_000n, true);
      dv.setBigUint64(R.start_ticks[0], BigInt(r.start_time), true);
      dv.setUint32(R.pid[0], r.pid, true);
      break;
    }
  }
  const frame = new Uint8Array(FRAME_PREFIX + size);
  new DataView(frame.buffer).setUint32(0, size, true);
  frame.set(fixed, FRAME_PREFIX);
  frame.set(strings, FRAME_PREFIX + fixed.byteLength);
  return frame;
}

/** Frames for many records, concatenated. */
export function encodeRecords(rs: readonly AgentRecord[]): Uint8Array {
  const frames = rs.map(encodeRecord);
  const out = new Uint8Array(frames.reduce((s, f) => s + f.byteLength, 0));
  let o = 0;
  for (const f of frames) {
    out.set(f, o);
    o += f.byteLength;
  }
  return out;
}
