// The watch records of bpf/kwitness_wire.h (KW_GAP, KW_CURSOR, KW_WATCH_END) for the watch tests,
// read through the layout table (src/core/wire/layout.ts) like the decoder does; every other
// record goes through the real WireDecoder. Also a frame walk over the journal's segment files.
// (The product's decoder does not produce watch records yet: the lead's TypeScript side will.)
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AgentRecord } from '../../src/core/events';
import { WireDecoder } from '../../src/core/wire/decoder';
import { FRAME_PREFIX, KIND, WIRE_LAYOUT as L } from '../../src/core/wire/layout';

export interface GapRecord {
  type: 'gap';
  wall_ns: bigint;
  from_wall_ns: bigint;
  to_wall_ns: bigint;
  reason: string;
}

/** A journaled record as `watch read` delivered it, with the cursor the CURSOR records imply. */
export interface Delivered {
  cursor: number;
  kind: number;
  record: AgentRecord | GapRecord;
  bytes: Buffer; // the record (without the u32 frame length)
}

export interface ReadOutput {
  cursors: Array<{ cursor: number; skipped: number; before: number }>; // before = index in records
  records: Delivered[];
  end?: { wall_ns: bigint; next_cursor: number };
}

/**
 * Splits a wire stream into records; throws unless it is whole frames only with kw_hdr.size ==
 * frame length. lenient: stops at the first bad frame instead and reports the bytes from there.
 */
export function splitFrames(buf: Buffer, where: string, lenient = false): Buffer[] & { torn?: number } {
  const out: Buffer[] & { torn?: number } = [];
  let pos = 0;
  const bad = (msg: string) => {
    if (!lenient) throw new Error(`${where}: ${msg}`);
    out.torn = buf.length - pos;
  };
  while (pos < buf.length) {
    if (buf.length - pos < FRAME_PREFIX) {
      bad(`${buf.length - pos} stray bytes at offset ${pos}`);
      break;
    }
    const len = buf.readUInt32LE(pos);
    if (len < L.kw_hdr.size || pos + FRAME_PREFIX + len > buf.length) {
      bad(`frame at offset ${pos} (length ${len}) runs past the end (${buf.length})`);
      break;
    }
    const rec = buf.subarray(pos + FRAME_PREFIX, pos + FRAME_PREFIX + len);
    const hsize = rec.readUInt32LE(L.kw_hdr.fields.size[0]);
    if (hsize !== len) {
      bad(`frame at offset ${pos}: kw_hdr.size ${hsize} != frame length ${len}`);
      break;
    }
    out.push(rec);
    pos += FRAME_PREFIX + len;
  }
  out.torn ??= 0;
  return out;
}

const u64 = (b: Buffer, off: number) => b.readBigUInt64LE(off);

function gap(rec: Buffer): GapRecord {
  const G = L.kw_gap_rec.fields;
  const n = rec.readUInt32LE(L.kw_gap_rec.size);
  const reason = rec.subarray(L.kw_gap_rec.size + 4, L.kw_gap_rec.size + 4 + n).toString('utf8');
  if (L.kw_gap_rec.size + 4 + n !== rec.length) throw new Error(`gap record: ${rec.length - L.kw_gap_rec.size - 4 - n} bytes left over`);
  return { type: 'gap', wall_ns: u64(rec, G.wall_ns[0]), from_wall_ns: u64(rec, G.from_wall_ns[0]), to_wall_ns: u64(rec, G.to_wall_ns[0]), reason };
}

/** Decodes one record through WireDecoder (a decoding problem throws, it never passes silently). */
export function decodeRecord(dec: WireDecoder, rec: Buffer): AgentRecord | GapRecord {
  const kind = rec.readUInt16LE(L.kw_hdr.fields.kind[0]);
  if (kind === KIND.KW_GAP) return gap(rec);
  const frame = Buffer.alloc(FRAME_PREFIX + rec.length);
  frame.writeUInt32LE(rec.length, 0);
  rec.copy(frame, FRAME_PREFIX);
  const got = dec.push(frame);
  if (got.length !== 1) throw new Error(`record kind ${kind}: decoder gave ${got.length} records`);
  const r = got[0];
  if (r.type === 'error' && /^wire:/.test(r.message)) throw new Error(`record kind ${kind}: ${r.message}`);
  return r;
}

/** `watch read` output: CURSOR records set the cursor of the next record, WATCH_END ends it. */
export function decodeRead(buf: Buffer): ReadOutput {
  const dec = new WireDecoder();
  const out: ReadOutput = { cursors: [], records: [] };
  let next = -1;
  for (const rec of splitFrames(buf, 'watch read output')) {
    if (out.end) throw new Error('watch read: a record after WATCH_END');
    const kind = rec.readUInt16LE(L.kw_hdr.fields.kind[0]);
    if (kind === KIND.KW_CURSOR) {
      const C = L.kw_cursor_rec.fields;
      if (rec.length !== L.kw_cursor_rec.size) throw new Error(`cursor record of ${rec.length} bytes`);
      next = Number(u64(rec, C.cursor[0]));
      out.cursors.push({ cursor: next, skipped: Number(u64(rec, C.skipped[0])), before: out.records.length });
    } else if (kind === KIND.KW_WATCH_END) {
      const E = L.kw_watch_end_rec.fields;
      if (rec.length !== L.kw_watch_end_rec.size) throw new Error(`watch end record of ${rec.length} bytes`);
      out.end = { wall_ns: u64(rec, E.wall_ns[0]), next_cursor: Number(u64(rec, E.next_cursor[0])) };
    } else {
      if (next < 0) throw new Error('watch read: a record before the first CURSOR');
      out.records.push({ cursor: next++, kind, record: decodeRecord(dec, rec), bytes: rec });
    }
  }
  return out;
}

/** The journal's segment files, each walked frame by frame (throws on a torn or bad frame unless lenient). */
export function walkJournal(dir: string, opts: { lenient?: boolean } = {}): Array<{ first: number; file: string; bytes: number; records: Buffer[]; torn: number }> {
  const jdir = path.join(dir, 'journal');
  return fs
    .readdirSync(jdir)
    .filter((f) => /^seg-[0-9a-f]{16}\.kwj$/.test(f))
    .sort()
    .map((f) => {
      const buf = fs.readFileSync(path.join(jdir, f));
      const records = splitFrames(buf, f, opts.lenient);
      return { first: parseInt(f.slice(4, 20), 16), file: path.join(jdir, f), bytes: buf.length, records, torn: records.torn ?? 0 };
    });
}

/** Wall-clock now as CLOCK_REALTIME ns (what wall_ns fields hold). */
export function wallNs(): bigint {
  return BigInt(Date.now()) * 1000000n;
}
