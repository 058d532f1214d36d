// Property test of the TypeScript wire decoder (src/core/wire/decoder.ts), with a small seeded
// generator (no dependency): for random valid record streams, the same streams mutated, and
// random frames built around a plausible header,
//   - push() never throws; bad bytes come out as typed error records only;
//   - every record that comes out has the events.ts shape (inode numbers exact);
//   - the output does not depend on how the stream is cut into chunks;
//   - valid streams round-trip exactly through the encoder;
//   - the decoder never holds more than twice the bytes it was given, and yields at most one
//     record per 20 bytes (a frame is at least a u32 length and a 16-byte header);
//   - no input takes long (a generous bound: a safety net against loops, not a timing test).
// Runs for KW_FUZZ_PROPERTY_SECONDS (test/fuzz/run.sh passes its budget), seeded by
// KW_FUZZ_SEED (printed; set it to replay a failure).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isInodeNumber, type AgentRecord, type Ancestor, type FileOp } from '../../src/core/events';
import { MAX_FRAME, WireDecoder } from '../../src/core/wire/decoder';
import { encodeRecords } from '../../src/core/wire/encoder';

const SECONDS = Number(process.env.KW_FUZZ_PROPERTY_SECONDS ?? 5);
const SEED = Number(process.env.KW_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const SLOW_MS = 5000;

/** xorshift32: small, seedable, good enough to pick bytes. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  u32(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return n <= 1 ? 0 : this.u32() % n;
  }
  chance(p: number): boolean {
    return this.u32() / 2 ** 32 < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
}

// ------------------------------------------------------------------ valid records

const OPS: FileOp[] = ['unlink', 'rmdir', 'rename', 'exchange', 'open', 'mkdir', 'mknod', 'link', 'symlink', 'open_write', 'truncate'];
const PIECES = ['/', 'tmp', 'a b', 'é', '✓', '😀', '\n', '\x1b[31m', '<script>', '..', '.', '"', '\\', '\u0000', 'x'.repeat(40)];

/** A name as bytes, then in the events.ts form: printable string plus base64 when not UTF-8. */
function name(g: Rng, max = 6): { s: string; b64?: string } {
  const parts: Uint8Array[] = [];
  for (let i = g.int(max + 1); i > 0; i--) {
    parts.push(g.chance(0.15) ? g.bytes(1 + g.int(3)) : Buffer.from(g.pick(PIECES)));
  }
  const bytes = Buffer.concat(parts);
  const s = bytes.toString('utf8');
  return Buffer.from(s, 'utf8').equals(bytes) ? { s } : { s, b64: bytes.toString('base64') };
}

/** Sets key (and key_b64 when needed) on o. */
function named(o: Record<string, unknown>, key: string, n: { s: string; b64?: string }): void {
  o[key] = n.s;
  if (n.b64 !== undefined) o[`${key}_b64`] = n.b64;
}

function validUtf8(g: Rng): string {
  let s = '';
  for (let i = g.int(5); i > 0; i--) s += g.pick(PIECES);
  return s;
}

function time(g: Rng): string {
  const ms = g.int(4102444800) * 1000; // 1970 .. 2100
  return new Date(ms).toISOString().slice(0, 20) + String(g.int(1e9)).padStart(9, '0') + 'Z';
}

function ino(g: Rng): number | string {
  const v = g.pick([0n, 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n + 5n, 2n ** 64n - 1n, g.u64(), BigInt(g.u32())]);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/** CommandLine fields: unknown (null) or 1..4 arguments without NUL bytes, maybe cut. */
function commandLine(g: Rng, o: Record<string, unknown>): void {
  if (g.chance(0.1)) {
    o.cmdline = null;
    return;
  }
  const args: string[] = [];
  const b64: (string | null)[] = [];
  for (let i = 1 + g.int(4); i > 0; i--) {
    let n = name(g, 3);
    while (Buffer.from(n.b64 ?? '', 'base64').includes(0) || n.s.includes('\0')) n = name(g, 3);
    args.push(n.s);
    b64.push(n.b64 ?? null);
  }
  o.cmdline = args;
  if (b64.some((x) => x !== null)) o.cmdline_b64 = b64;
  if (g.chance(0.2) && args[args.length - 1] !== '') o.cmdline_truncated = true;
}

function ancestors(g: Rng, withCmd: boolean): Ancestor[] {
  const list: Ancestor[] = [];
  for (let i = g.int(g.chance(0.1) ? 20 : 4); i > 0; i--) {
    const a = { pid: g.u32() } as Record<string, unknown>;
    named(a, 'comm', name(g, 2));
    named(a, 'exe', name(g));
    if (withCmd) commandLine(g, a);
    list.push(a as unknown as Ancestor);
  }
  return list;
}

function processFields(g: Rng, type: string): Record<string, unknown> {
  const o: Record<string, unknown> = {
    type,
    time: time(g),
    ktime_ns: g.int(2 ** 31) * g.int(2 ** 22),
    pid: g.u32(),
    tid: g.u32(),
    ppid: g.u32(),
    uid: g.u32(),
    gid: g.u32(),
  };
  named(o, 'comm', name(g, 2));
  named(o, 'exe', name(g));
  named(o, 'cwd', name(g));
  // records of older agents carry no command lines (no KW_F_CMDLINE)
  const withCmd = g.chance(0.8);
  if (withCmd) commandLine(g, o);
  o.ancestors = ancestors(g, withCmd);
  named(o, 'cgroup', name(g));
  o.container = g.chance(0.3) ? 'ab'.repeat(32) : null;
  o.ret = g.chance(0.7) ? 0 : -1 - g.int(133);
  o.probe = validUtf8(g);
  if (g.chance(0.3)) {
    // container runtime and name, the pod (each only when known: the decoder omits empty ones)
    if (g.chance(0.8)) o.runtime = g.pick(['containerd', 'docker', 'cri-o', 'podman']);
    if (g.chance(0.6)) o.container_name = 'c' + validUtf8(g);
    if (g.chance(0.6)) o.pod = podRef(g);
  }
  return o;
}

function podRef(g: Rng): Record<string, string> {
  return { namespace: g.chance(0.9) ? 'ns' + validUtf8(g) : '', name: g.chance(0.9) ? 'p' + validUtf8(g) : '', uid: '0123abcd-' + g.int(1e6) };
}

function record(g: Rng): AgentRecord {
  const kind = g.int(9);
  if (kind <= 1 || kind === 8) {
    const o = processFields(g, kind === 0 ? 'unlink' : kind === 1 ? 'create' : 'write');
    o.op = g.pick(OPS);
    named(o, 'path', name(g));
    if (g.chance(0.2)) o.path_pod = podRef(g);
    if (g.chance(0.2)) o.path_truncated = true;
    if (g.chance(0.1)) o.name_unreadable = true;
    o.dev = g.u32();
    o.ino = ino(g);
    if (g.chance(0.3)) named(o, 'old_path', name(g));
    if (kind === 0) o.last_link = g.chance(0.5);
    else if (kind === 1 && g.chance(0.3)) named(o, 'target', name(g));
    return o as unknown as AgentRecord;
  }
  if (kind === 2) {
    const o = processFields(g, 'exec');
    named(o, 'filename', name(g));
    const argv: string[] = [];
    const raw: (string | null)[] = [];
    for (let i = g.int(g.chance(0.05) ? 300 : 6); i > 0; i--) {
      const n = name(g, 3);
      argv.push(n.s);
      raw.push(n.b64 ?? null);
    }
    o.argv = argv;
    if (raw.some((x) => x !== null)) o.argv_b64 = raw;
    o.argv_truncated = g.chance(0.2);
    if (g.chance(0.3)) named(o, 'interpreter', name(g));
    else o.interpreter = null;
    return o as unknown as AgentRecord;
  }
  if (kind === 3) {
    const o = processFields(g, 'exit');
    o.exit_code = g.int(256);
    o.signal = g.int(65);
    o.duration_ns = g.int(2 ** 31) * g.int(2 ** 22);
    return o as unknown as AgentRecord;
  }
  if (kind === 4) return { type: 'lost', time: time(g), count: g.int(2 ** 31), total: g.int(2 ** 31) * g.int(2 ** 22), unjudged: g.int(2 ** 31), unjudged_total: g.int(2 ** 31) * g.int(2 ** 22), untracked: g.int(2 ** 31), untracked_total: g.int(2 ** 31) * g.int(2 ** 22) };
  if (kind === 5) return { type: 'error', time: time(g), message: validUtf8(g) };
  if (kind === 7) {
    return { type: 'resumed', time: time(g), next_event: g.int(2 ** 31) * g.int(2 ** 22), not_kept: g.int(2 ** 31), away_ms: g.int(2 ** 31), pid: g.u32() >>> 0, start_time: String(g.int(2 ** 31) * g.int(2 ** 22)) };
  }
  const probes = [];
  for (let i = g.int(5); i > 0; i--) probes.push({ family: g.pick(['unlink', 'create', 'write', 'exec'] as const), probe: validUtf8(g), mode: g.pick(['fentry', 'kprobe', 'tracepoint'] as const) });
  return { type: 'ready', time: time(g), agent_version: validUtf8(g), kernel: validUtf8(g), arch: 'x86_64', probes };
}

// ------------------------------------------------------------------ bad bytes

/** Values a length or count field is most likely to break on. */
function edgyU32(g: Rng, near: number): number {
  return g.pick([0, 1, 3, 4, 15, 16, 17, near - 1, near, near + 1, 0x7fffffff, 0xffffffff, MAX_FRAME, MAX_FRAME + 1, g.u32()]) >>> 0;
}

function mutate(g: Rng, src: Uint8Array): Uint8Array {
  let b = Buffer.from(src);
  for (let k = 1 + g.int(6); k > 0; k--) {
    const at = g.int(b.length + 1);
    switch (g.int(7)) {
      case 0: // flip a bit
        if (b.length) b[Math.min(at, b.length - 1)] ^= 1 << g.int(8);
        break;
      case 1: // set a byte
        if (b.length) b[Math.min(at, b.length - 1)] = g.u32() & 0xff;
        break;
      case 2: // a u32 field (length, count, size) to an edge value
        if (at + 4 <= b.length) b.writeUInt32LE(edgyU32(g, b.length - at), at);
        break;
      case 3: // insert bytes
        b = Buffer.concat([b.subarray(0, at), g.bytes(1 + g.int(16)), b.subarray(at)]);
        break;
      case 4: // delete bytes
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + g.int(16)))]);
        break;
      case 5: {
        // duplicate a range
        const e = Math.min(b.length, at + g.int(64));
        b = Buffer.concat([b.subarray(0, e), b.subarray(at, e), b.subarray(e)]);
        break;
      }
      default: // cut the stream
        b = b.subarray(0, at);
    }
  }
  return b;
}

/** A frame with a consistent length and header, a kind the decoder knows (mostly), random body. */
function randomFrame(g: Rng): Uint8Array {
  const body = g.bytes(g.int(g.chance(0.1) ? 2000 : 200));
  const size = 16 + body.length;
  const f = Buffer.alloc(4 + size);
  f.writeUInt32LE(size, 0);
  f.writeUInt16LE(g.chance(0.9) ? 1 + g.int(11) : g.u32() & 0xffff, 4);
  f.writeUInt16LE(g.u32() & 0xffff, 6);
  f.writeUInt32LE(g.chance(0.95) ? size : g.u32(), 8);
  Buffer.from(g.bytes(8)).copy(f, 12);
  Buffer.from(body).copy(f, 20);
  // plausible small counts and string lengths now and then
  for (let k = g.int(8); k > 0; k--) {
    const at = 20 + g.int(Math.max(1, body.length - 4));
    if (at + 4 <= f.length) f.writeUInt32LE(g.int(g.chance(0.5) ? 8 : 64), at);
  }
  return f;
}

// ------------------------------------------------------------------ the properties

const TYPES = new Set(['unlink', 'create', 'write', 'exec', 'exit', 'ready', 'lost', 'error', 'gap', 'cursor', 'watch_end', 'resumed']);
const ISO_NS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;

/** Problems with one decoded record's shape (empty when it is an events.ts record). */
function shapeProblems(r: AgentRecord): string[] {
  const o = r as unknown as Record<string, unknown>;
  const p: string[] = [];
  const u32 = (k: string) => (typeof o[k] === 'number' && Number.isInteger(o[k]) && (o[k] as number) >= 0 && (o[k] as number) <= 0xffffffff) || p.push(`${k} not u32`);
  const str = (k: string) => typeof o[k] === 'string' || p.push(`${k} not a string`);
  const num = (k: string) => (typeof o[k] === 'number' && Number.isFinite(o[k]) && (o[k] as number) >= 0) || p.push(`${k} not a number >= 0`);
  if (!TYPES.has(o.type as string)) return [`unknown type ${String(o.type)}`];
  if (r.type === 'cursor') {
    num('cursor');
    num('skipped');
    return p;
  }
  if (typeof o.time !== 'string' || (r.type !== 'error' && !ISO_NS.test(o.time))) p.push(`time ${String(o.time)}`);
  if (r.type === 'gap') {
    str('reason');
    for (const k of ['from', 'to']) if (typeof o[k] !== 'string' || !ISO_NS.test(o[k] as string)) p.push(`${k} ${String(o[k])}`);
  }
  if (r.type === 'watch_end') num('next_cursor');
  if (r.type === 'resumed') {
    for (const k of ['next_event', 'not_kept', 'away_ms']) num(k);
    u32('pid');
    if (typeof o.start_time !== 'string' || !/^\d+$/.test(o.start_time)) p.push(`start_time ${String(o.start_time)}`);
  }
  if (r.type === 'error') str('message');
  if (r.type === 'lost') {
    num('count');
    num('total');
    num('unjudged');
    num('unjudged_total');
  }
  if (r.type === 'ready') {
    str('agent_version');
    if (!Array.isArray(o.probes)) p.push('probes not an array');
  }
  if (r.type === 'unlink' || r.type === 'create' || r.type === 'write' || r.type === 'exec' || r.type === 'exit') {
    ['pid', 'tid', 'ppid', 'uid', 'gid'].forEach(u32);
    num('ktime_ns');
    ['comm', 'exe', 'cwd', 'cgroup', 'probe'].forEach(str);
    if (!Number.isInteger(o.ret)) p.push('ret not an integer');
    if (o.container !== null) str('container');
    if (!Array.isArray(o.ancestors) || !(o.ancestors as Ancestor[]).every((a) => typeof a.pid === 'number' && typeof a.comm === 'string' && typeof a.exe === 'string')) p.push('bad ancestors');
  }
  if (r.type === 'unlink' || r.type === 'create' || r.type === 'write') {
    if (!OPS.includes(o.op as FileOp)) p.push(`op ${String(o.op)}`);
    str('path');
    u32('dev');
    if (!isInodeNumber(o.ino)) p.push(`ino ${String(o.ino)} not an InodeNumber`);
  }
  if (r.type === 'exec') {
    if (!Array.isArray(o.argv) || !(o.argv as unknown[]).every((a) => typeof a === 'string')) p.push('argv');
    if (o.argv_b64 !== undefined && (!Array.isArray(o.argv_b64) || (o.argv_b64 as unknown[]).length !== (o.argv as unknown[]).length)) p.push('argv_b64');
  }
  if (r.type === 'exit') {
    u32('signal');
    num('duration_ns');
  }
  return p;
}

/** Error records carry the decoder's clock: compare them by message only. */
function comparable(rs: AgentRecord[]): unknown[] {
  return rs.map((r) => (r.type === 'error' && r.message.startsWith('wire: ') ? { type: 'error', message: r.message } : r));
}

/** Decodes `bytes` cut into random chunks, checking the per-push properties; returns the records. */
function decodeChecked(g: Rng, bytes: Uint8Array, what: string): AgentRecord[] {
  const d = new WireDecoder();
  const got: AgentRecord[] = [];
  let fed = 0;
  const t0 = Date.now();
  for (let off = 0; off < bytes.length; ) {
    const n = 1 + g.int(g.chance(0.3) ? 8 : 4096);
    const chunk = bytes.subarray(off, off + n);
    let out: AgentRecord[] = [];
    assert.doesNotThrow(() => {
      out = d.push(chunk);
    }, `${what}: push threw`);
    got.push(...out);
    fed += chunk.length;
    off += n;
    // The carry-over buffer is private; its size is what this property is about.
    const held = (d as unknown as { pending: Uint8Array }).pending.byteLength;
    assert.ok(held <= Math.max(64 * 1024, 2 * fed), `${what}: decoder holds ${held} bytes after ${fed} were pushed`);
  }
  assert.ok(got.length <= bytes.length / 20 + 1, `${what}: ${got.length} records from ${bytes.length} bytes`);
  const ms = Date.now() - t0;
  assert.ok(ms < SLOW_MS, `${what}: ${ms} ms for ${bytes.length} bytes`);
  for (const r of got) {
    const p = shapeProblems(r);
    assert.deepEqual(p, [], `${what}: ${JSON.stringify(r).slice(0, 300)}`);
  }
  return got;
}

/** Runs `one(g, i)` for a share of the time budget; each case gets its own seed for replay. */
function forAWhile(share: number, one: (g: Rng, i: number, tag: string) => void): number {
  const until = Date.now() + SECONDS * 1000 * share;
  let i = 0;
  do {
    const seed = (SEED + i * 0x9e3779b1) >>> 0;
    one(new Rng(seed), i, `seed ${SEED} case ${i} (case seed ${seed})`);
    i++;
  } while (Date.now() < until || i < 50);
  return i;
}

describe(`wire decoder properties (${SECONDS} s, KW_FUZZ_SEED=${SEED})`, () => {
  it('valid streams: exact round trip, for any cut into chunks', (t) => {
    const n = forAWhile(0.3, (g, _i, tag) => {
      const recs: AgentRecord[] = [];
      for (let k = 1 + g.int(8); k > 0; k--) recs.push(record(g));
      const bytes = encodeRecords(recs);
      const a = decodeChecked(g, bytes, tag);
      assert.deepEqual(a, recs, tag);
    });
    t.diagnostic(`${n} streams`);
  });

  it('mutated valid streams: only typed records, the same for every chunking', (t) => {
    let errors = 0;
    const n = forAWhile(0.4, (g, _i, tag) => {
      const recs: AgentRecord[] = [];
      for (let k = 1 + g.int(5); k > 0; k--) recs.push(record(g));
      const bytes = mutate(g, encodeRecords(recs));
      const a = decodeChecked(g, bytes, tag);
      const b = decodeChecked(g, bytes, tag);
      assert.deepEqual(comparable(a), comparable(b), `${tag}: output depends on chunking`);
      errors += a.filter((r) => r.type === 'error').length;
    });
    t.diagnostic(`${n} streams, ${errors} error records`);
    assert.ok(errors > 0, 'no mutation ever produced an error record: the mutator is broken');
  });

  it('random frames around a plausible header: only typed records, the same for every chunking', (t) => {
    let decoded = 0;
    const n = forAWhile(0.3, (g, _i, tag) => {
      const frames: Uint8Array[] = [];
      for (let k = 1 + g.int(6); k > 0; k--) frames.push(randomFrame(g));
      const bytes = Buffer.concat(frames);
      const a = decodeChecked(g, bytes, tag);
      const b = decodeChecked(g, bytes, tag);
      assert.deepEqual(comparable(a), comparable(b), `${tag}: output depends on chunking`);
      decoded += a.filter((r) => r.type !== 'error').length;
    });
    t.diagnostic(`${n} streams, ${decoded} records decoded from random bodies`);
  });

  it('a frame claiming the largest length, arriving slowly, is held at its size only', () => {
    const d = new WireDecoder();
    const head = Buffer.alloc(20);
    head.writeUInt32LE(MAX_FRAME, 0);
    head.writeUInt16LE(1, 4);
    head.writeUInt32LE(MAX_FRAME, 8);
    assert.deepEqual(d.push(head), []);
    const chunk = new Uint8Array(4096);
    for (let fed = head.length; fed < 1 << 20; fed += chunk.length) {
      assert.deepEqual(d.push(chunk), []);
      const held = (d as unknown as { pending: Uint8Array }).pending.byteLength;
      assert.ok(held <= Math.max(64 * 1024, 2 * (fed + chunk.length)), `holds ${held} after ${fed}`);
    }
  });
});
