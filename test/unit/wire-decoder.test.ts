// WireDecoder on hand-built frames: every record kind built byte by byte at the offsets that
// bpf/kwitness_wire.h documents (independent of the decoder's own layout table), then frames
// split at every possible point, names that are not UTF-8, malformed frames (an error record,
// never a throw), random corruption, and exact nanosecond times.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isInodeNumber, type AgentRecord, type CreateEvent, type DeniedEvent, type ExecEvent, type ExitEvent, type KernelFrame, type UnlinkEvent, type UserFrame, type WriteEvent } from '../../src/core/events';
import { WireDecoder } from '../../src/core/wire/decoder';
import { encodeRecord, encodeRecords, isoToNs } from '../../src/core/wire/encoder';

/** Builds one frame by hand: fixed part given as [offset, width, value] triples, then strings. */
type Tail = Array<string | Uint8Array | ['u32', number] | ['raw', Uint8Array]>;

function frame(fixedSize: number, fields: Array<[number, 1 | 2 | 4 | 8 | -4, number | bigint]>, tail: Tail): Buffer {
  const parts: Buffer[] = [];
  for (const t of tail) {
    if (Array.isArray(t) && t[0] === 'raw') {
      parts.push(Buffer.from(t[1]));
    } else if (Array.isArray(t)) {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(t[1]);
      parts.push(b);
    } else {
      const bytes = typeof t === 'string' ? Buffer.from(t, 'utf8') : Buffer.from(t);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(bytes.length);
      parts.push(len, bytes);
    }
  }
  const strings = Buffer.concat(parts);
  const size = fixedSize + strings.length;
  const fixed = Buffer.alloc(fixedSize);
  for (const [off, width, v] of fields) {
    if (width === 1) fixed.writeUInt8(Number(v), off);
    else if (width === 2) fixed.writeUInt16LE(Number(v), off);
    else if (width === 4) fixed.writeUInt32LE(Number(v), off);
    else if (width === -4) fixed.writeInt32LE(Number(v), off);
    else fixed.writeBigUInt64LE(BigInt(v), off);
  }
  fixed.writeUInt32LE(size, 4); // kw_hdr.size
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32LE(size);
  return Buffer.concat([prefix, fixed, strings]);
}

const WALL = isoToNs('2026-11-21T23:59:59.123456789Z');
/** kw_hdr (kind @0 u16, flags @2 u16, size @4 u32, ktime_ns @8 u64) + kw_proc at 16. */
function procFields(kind: number, flags: number, p: { pid: number; tid: number; ppid: number; uid: number; gid: number; ret: number; nAnc: number }): Array<[number, 1 | 2 | 4 | 8 | -4, number | bigint]> {
  return [
    [0, 2, kind],
    [2, 2, flags],
    [8, 8, 123456789012345n],
    [16, 8, WALL], // wall_ns
    [24, 8, 4242n], // cgroup_id
    [32, 4, p.pid],
    [36, 4, p.tid],
    [40, 4, p.ppid],
    [44, 4, p.uid],
    [48, 4, p.gid],
    [52, -4, p.ret],
    [56, 4, p.nAnc],
  ];
}

const ANC: Tail = [['u32', 100], 'bash', '/usr/bin/bash', ['u32', 1], 'systemd', '/usr/lib/systemd/systemd'];
const PROC_STRINGS = ['rm', '/usr/bin/rm', '/tmp/x', '/user.slice', '', 'tracepoint:syscalls:sys_exit_unlinkat'];

const unlinkExpected: UnlinkEvent = {
  type: 'unlink',
  time: '2026-11-21T23:59:59.123456789Z',
  ktime_ns: 123456789012345,
  pid: 200,
  tid: 201,
  ppid: 100,
  uid: 1000,
  gid: 1001,
  comm: 'rm',
  exe: '/usr/bin/rm',
  cwd: '/tmp/x',
  ancestors: [
    { pid: 100, comm: 'bash', exe: '/usr/bin/bash' },
    { pid: 1, comm: 'systemd', exe: '/usr/lib/systemd/systemd' },
  ],
  cgroup: '/user.slice',
  container: null,
  ret: 0,
  probe: 'tracepoint:syscalls:sys_exit_unlinkat',
  op: 'unlink',
  path: '/tmp/x/a b',
  dev: 0x801,
  ino: 2 ** 40 + 7,
  last_link: true,
};

function handUnlink(): Buffer {
  // kw_file_rec: ino @64 u64, dev @72 u32, op @76 u8; 88 bytes. Flags: LAST_LINK=1.
  return frame(
    88,
    [...procFields(1, 1, { pid: 200, tid: 201, ppid: 100, uid: 1000, gid: 1001, ret: 0, nAnc: 2 }), [64, 8, 2n ** 40n + 7n], [72, 4, 0x801], [76, 1, 1]],
    [...PROC_STRINGS, '/tmp/x/a b', '', '', ...ANC],
  );
}

function decodeAll(bytes: Uint8Array, chunk = bytes.length): AgentRecord[] {
  const d = new WireDecoder();
  const out: AgentRecord[] = [];
  for (let i = 0; i < bytes.length; i += chunk) out.push(...d.push(bytes.subarray(i, Math.min(bytes.length, i + chunk))));
  return out;
}

describe('WireDecoder: hand-built frames', () => {
  it('decodes an unlink record into the events.ts shape', () => {
    assert.deepEqual(decodeAll(handUnlink()), [unlinkExpected]);
  });

  it('decodes a create record: rename with old_path, container id, failed call', () => {
    // flags: CONTAINER (8) | OLD_PATH (16); op RENAME = 3; ret -17
    const f = frame(
      88,
      [...procFields(2, 8 | 16, { pid: 5, tid: 6, ppid: 4, uid: 0, gid: 0, ret: -17, nAnc: 0 }), [64, 8, 99n], [72, 4, 0x10_0003], [76, 1, 3]],
      ['mv', '/usr/bin/mv', '/', '/docker/abc', 'abc123', 'tracepoint:syscalls:sys_exit_renameat2', '/data/new', '/data/old', ''],
    );
    const [r] = decodeAll(f) as CreateEvent[];
    assert.equal(r.type, 'create');
    assert.equal(r.op, 'rename');
    assert.equal(r.ret, -17);
    assert.equal(r.container, 'abc123');
    assert.equal(r.cgroup, '/docker/abc');
    assert.equal(r.path, '/data/new');
    assert.equal(r.old_path, '/data/old');
    assert.equal(r.dev, 0x10_0003);
    assert.equal(r.ino, 99);
    assert.equal(r.target, undefined);
    assert.equal('last_link' in r, false);
    assert.deepEqual(r.ancestors, []);
  });

  it('decodes a symlink create with its target text', () => {
    const f = frame(
      88,
      [...procFields(2, 32, { pid: 5, tid: 5, ppid: 4, uid: 0, gid: 0, ret: 0, nAnc: 0 }), [64, 8, 1n], [72, 4, 1], [76, 1, 8]],
      [...PROC_STRINGS, '/d/link', '', '../target text'],
    );
    const [r] = decodeAll(f) as CreateEvent[];
    assert.equal(r.op, 'symlink');
    assert.equal(r.target, '../target text');
    assert.equal(r.old_path, undefined);
  });

  it('decodes a write record (kind 12, op 9): an existing file opened for writing, and a refused one', () => {
    // KW_WRITE = 12 with struct kw_file_rec; KW_OP_OPEN_WRITE = 9; the second one failed with EACCES
    const ok = frame(
      88,
      [...procFields(12, 0, { pid: 200, tid: 201, ppid: 100, uid: 1000, gid: 1001, ret: 0, nAnc: 2 }), [64, 8, 2n ** 40n + 7n], [72, 4, 0x801], [76, 1, 9]],
      ['vi', '/usr/bin/vim.basic', '/etc', '/user.slice', '', 'tracepoint:syscalls:sys_exit_openat', '/etc/hosts', '', '', ...ANC],
    );
    // flags: INODE_UNKNOWN (128): a failed open has no file to take dev/ino from
    const refused = frame(
      88,
      [...procFields(12, 128, { pid: 300, tid: 300, ppid: 1, uid: 65534, gid: 65534, ret: -13, nAnc: 0 }), [76, 1, 9]],
      ['sh', '/usr/bin/dash', '/', '/', '', 'tracepoint:syscalls:sys_exit_openat', '/etc/shadow', '', ''],
    );
    const { last_link: _unlinkOnly, ...fileFields } = unlinkExpected;
    const want: WriteEvent = {
      ...fileFields,
      type: 'write',
      op: 'open_write',
      comm: 'vi',
      exe: '/usr/bin/vim.basic',
      cwd: '/etc',
      probe: 'tracepoint:syscalls:sys_exit_openat',
      path: '/etc/hosts',
    };
    const [w, r] = decodeAll(Buffer.concat([ok, refused])) as WriteEvent[];
    assert.deepEqual(w, want);
    assert.equal(r.type, 'write');
    assert.equal(r.op, 'open_write');
    assert.equal(r.ret, -13);
    assert.equal(r.path, '/etc/shadow');
    assert.equal(r.ino, 0);
    assert.equal('last_link' in r || 'old_path' in r || 'target' in r, false);
  });

  it('a truncate is a write record with op 10; an op past the last one (13) is refused', () => {
    const trunc = frame(88, [...procFields(12, 0, { pid: 1, tid: 1, ppid: 0, uid: 0, gid: 0, ret: 0, nAnc: 0 }), [64, 8, 5n], [76, 1, 10]], [...PROC_STRINGS, '/var/log/x.log', '', '']);
    const bad = frame(88, [...procFields(12, 0, { pid: 1, tid: 1, ppid: 0, uid: 0, gid: 0, ret: 0, nAnc: 0 }), [76, 1, 13]], [...PROC_STRINGS, '/x', '', '']);
    const [t, e] = decodeAll(Buffer.concat([trunc, bad]));
    assert.equal(t.type, 'write');
    assert.equal((t as WriteEvent).op, 'truncate');
    assert.equal((t as WriteEvent).path, '/var/log/x.log');
    assert.equal((t as WriteEvent).ino, 5);
    assert.equal(e.type, 'error');
    assert.match((e as { message: string }).message, /unknown op 13/);
  });

  it('a guard denial is a KW_DENIED file record: rule @80, verdict @84 (denied / would-deny); another verdict is refused', () => {
    // KW_DENIED = 13; op 12 = write; ret -122 (EDQUOT); rule 3; verdict 1 = denied, 2 = would-deny
    const fields = (verdict: number): Array<[number, 1 | 2 | 4 | 8 | -4, number | bigint]> =>
      [...procFields(13, 1 << 11, { pid: 9, tid: 9, ppid: 1, uid: 0, gid: 0, ret: -122, nAnc: 0 }), [64, 8, 77n], [72, 4, 0x801], [76, 1, 12], [80, 4, 3], [84, 1, verdict]];
    const strings = [...PROC_STRINGS.slice(0, 5), 'lsm:file_permission', '/srv/vol/big', '', ''];
    const [d, w, e] = decodeAll(Buffer.concat([frame(88, fields(1), strings), frame(88, fields(2), strings), frame(88, fields(3), strings)]));
    assert.equal(d.type, 'denied');
    assert.equal((d as DeniedEvent).rule, 3);
    assert.equal((d as DeniedEvent).op, 'write');
    assert.equal((d as DeniedEvent).ret, -122);
    assert.equal((d as DeniedEvent).path, '/srv/vol/big');
    assert.equal((d as DeniedEvent).path_source, 'kernel');
    assert.equal((d as DeniedEvent).ino, 77);
    assert.equal('last_link' in d, false);
    assert.equal(w.type, 'would-deny');
    assert.equal(e.type, 'error');
    assert.match((e as { message: string }).message, /unknown verdict 3/);
  });

  it('decodes an exec record: argv with a non-UTF-8 item, interpreter, truncation flag', () => {
    // flags: ARGV_TRUNC (4) | INTERP (64); argc @64 = 3; 72 bytes
    const bad = Uint8Array.from([0x61, 0xff, 0x62]);
    const f = frame(
      72,
      [...procFields(3, 4 | 64, { pid: 7, tid: 7, ppid: 6, uid: 0, gid: 0, ret: 0, nAnc: 1 }), [64, 4, 3]],
      ['script.sh', '/usr/bin/dash', '/srv', '/', '', 'tracepoint:sched:sched_process_exec', './script.sh', '/bin/sh', '/bin/sh', './script.sh', bad, ['u32', 6], 'bash', '/usr/bin/bash'],
    );
    const [r] = decodeAll(f) as ExecEvent[];
    assert.equal(r.type, 'exec');
    assert.equal(r.filename, './script.sh');
    assert.equal(r.interpreter, '/bin/sh');
    assert.deepEqual(r.argv, ['/bin/sh', './script.sh', 'a\ufffdb']);
    assert.deepEqual(r.argv_b64, [null, null, Buffer.from(bad).toString('base64')]);
    assert.equal(r.argv_truncated, true);
    assert.deepEqual(r.ancestors, [{ pid: 6, comm: 'bash', exe: '/usr/bin/bash' }]);
  });

  it('decodes an exec without interpreter as interpreter null, argv_b64 absent', () => {
    const f = frame(72, [...procFields(3, 0, { pid: 7, tid: 7, ppid: 6, uid: 0, gid: 0, ret: -2, nAnc: 0 }), [64, 4, 1]], [...PROC_STRINGS, '/nope', '', '/nope']);
    const [r] = decodeAll(f) as ExecEvent[];
    assert.equal(r.interpreter, null);
    assert.equal(r.ret, -2);
    assert.equal('argv_b64' in r, false);
    assert.equal(r.argv_truncated, false);
  });

  it('decodes an exit record', () => {
    // duration_ns @64 u64, exit_code @72 s32, signal @76 u32; 80 bytes
    const f = frame(80, [...procFields(4, 0, { pid: 9, tid: 9, ppid: 1, uid: 0, gid: 0, ret: 0, nAnc: 0 }), [64, 8, 1500000n], [72, -4, 3], [76, 4, 9]], PROC_STRINGS);
    const [r] = decodeAll(f) as ExitEvent[];
    assert.equal(r.type, 'exit');
    assert.equal(r.exit_code, 3);
    assert.equal(r.signal, 9);
    assert.equal(r.duration_ns, 1500000);
  });

  it('decodes the journal records: gap, cursor, watch end', () => {
    const gap = frame(40, [[0, 2, 8], [16, 8, WALL], [24, 8, WALL - 5_000_000_000n], [32, 8, WALL - 1_000_000_000n]], ['agent restarted after signal 9']);
    const cur = frame(32, [[0, 2, 9], [16, 8, 2n ** 40n], [24, 8, 7n]], []);
    const end = frame(32, [[0, 2, 10], [16, 8, WALL], [24, 8, 2n ** 40n + 1n]], []);
    assert.deepEqual(decodeAll(Buffer.concat([gap, cur, end])), [
      { type: 'gap', time: '2026-11-21T23:59:59.123456789Z', from: '2026-11-21T23:59:54.123456789Z', to: '2026-11-21T23:59:58.123456789Z', reason: 'agent restarted after signal 9' },
      { type: 'cursor', cursor: 2 ** 40, skipped: 7 },
      { type: 'watch_end', time: '2026-11-21T23:59:59.123456789Z', next_cursor: 2 ** 40 + 1 },
    ]);
  });

  it('decodes the resumed record of an attach (start time beyond 2^53 stays exact as digits)', () => {
    const r = frame(64, [[0, 2, 11], [16, 8, WALL], [24, 8, 1234n], [32, 8, 56n], [40, 8, 12_345_678_901n], [48, 8, 2n ** 60n + 3n], [56, 4, 4242]], []);
    assert.deepEqual(decodeAll(r), [
      { type: 'resumed', time: '2026-11-21T23:59:59.123456789Z', next_event: 1234, not_kept: 56, away_ms: 12345, pid: 4242, start_time: String(2n ** 60n + 3n) },
    ]);
  });

  it('decodes ready, lost and error records', () => {
    const ready = frame(32, [[0, 2, 5], [16, 8, WALL], [24, 4, 2]], ['0.1.0', '6.18.0', 'x86_64', 'unlink', 'tracepoint:syscalls:sys_exit_unlink', 'tracepoint', 'exec', 'tracepoint:sched:sched_process_exec', 'tracepoint']);
    const lost = frame(72, [[0, 2, 6], [16, 8, WALL], [24, 8, 17n], [32, 8, 2n ** 50n], [40, 8, 3n], [48, 8, 9n], [56, 8, 4n], [64, 8, 2n ** 40n]], []);
    const err = frame(24, [[0, 2, 7], [16, 8, WALL]], ['probe x detached']);
    assert.deepEqual(decodeAll(Buffer.concat([ready, lost, err])), [
      {
        type: 'ready',
        time: '2026-11-21T23:59:59.123456789Z',
        agent_version: '0.1.0',
        kernel: '6.18.0',
        arch: 'x86_64',
        probes: [
          { family: 'unlink', probe: 'tracepoint:syscalls:sys_exit_unlink', mode: 'tracepoint' },
          { family: 'exec', probe: 'tracepoint:sched:sched_process_exec', mode: 'tracepoint' },
        ],
      },
      { type: 'lost', time: '2026-11-21T23:59:59.123456789Z', count: 17, total: 2 ** 50, unjudged: 3, unjudged_total: 9, untracked: 4, untracked_total: 2 ** 40 },
      { type: 'error', time: '2026-11-21T23:59:59.123456789Z', message: 'probe x detached' },
    ]);
  });

  it('keeps names as bytes: newline, ESC, <script>, invalid UTF-8, 255-byte name', () => {
    const names: Uint8Array[] = [
      Buffer.from('/t/a\nb'),
      Buffer.from('/t/\x1b[31mred'),
      Buffer.from('/t/<script>alert(1)</script>'),
      Uint8Array.from([0x2f, 0x74, 0x2f, 0xc3, 0x28, 0x80, 0xfe]),
      Buffer.from('/t/' + 'n'.repeat(255)),
      Buffer.from('/t/é✓😀'),
    ];
    for (const name of names) {
      const f = frame(88, [...procFields(1, 0, { pid: 1, tid: 1, ppid: 0, uid: 0, gid: 0, ret: 0, nAnc: 0 }), [76, 1, 1]], [...PROC_STRINGS, name, '', '']);
      const [r] = decodeAll(f) as UnlinkEvent[];
      const valid = Buffer.from(Buffer.from(name).toString('utf8'), 'utf8').equals(Buffer.from(name));
      if (valid) {
        assert.equal(r.path, Buffer.from(name).toString('utf8'));
        assert.equal(r.path_b64, undefined);
      } else {
        assert.ok(r.path.includes('\ufffd'));
        assert.deepEqual(Buffer.from(r.path_b64!, 'base64'), Buffer.from(name));
      }
    }
  });

  it('decodes the 56-byte lost record of older agents (journals keep them): untracked 0', () => {
    const old = frame(56, [[0, 2, 6], [16, 8, WALL], [24, 8, 5n], [32, 8, 6n], [40, 8, 7n], [48, 8, 8n]], []);
    assert.deepEqual(decodeAll(old), [{ type: 'lost', time: '2026-11-21T23:59:59.123456789Z', count: 5, total: 6, unjudged: 7, unjudged_total: 8, untracked: 0, untracked_total: 0 }]);
  });

  it('decodes an exchange (op 11): a create with both names, no last_link', () => {
    const f = frame(88, [...procFields(2, 1 << 4, { pid: 1, tid: 1, ppid: 0, uid: 0, gid: 0, ret: 0, nAnc: 0 }), [76, 1, 11]], [...PROC_STRINGS, '/t/b', '/t/a', '']);
    const [r] = decodeAll(f) as CreateEvent[];
    assert.equal(r.type, 'create');
    assert.equal(r.op, 'exchange');
    assert.equal(r.path, '/t/b');
    assert.equal(r.old_path, '/t/a');
    assert.equal('last_link' in r, false);
  });

  it('sets name_unreadable only from KW_F_NAME_UNREADABLE (the path is empty then)', () => {
    const f = frame(88, [...procFields(1, 1 << 10, { pid: 1, tid: 1, ppid: 0, uid: 0, gid: 0, ret: -14, nAnc: 0 }), [76, 1, 1]], [...PROC_STRINGS, '', '', '']);
    const [r] = decodeAll(f) as UnlinkEvent[];
    assert.equal(r.name_unreadable, true);
    assert.equal(r.path, '');
    const g = frame(88, [...procFields(1, 0, { pid: 1, tid: 1, ppid: 0, uid: 0, gid: 0, ret: 0, nAnc: 0 }), [76, 1, 1]], [...PROC_STRINGS, '/t/a', '', '']);
    assert.equal('name_unreadable' in (decodeAll(g)[0] as UnlinkEvent), false);
  });

  it('path_source from the 2-bit field (absent for 0: an older agent), named only with KW_F_NAMED and read after target', () => {
    const rec = (flags: number, tail: string[]) =>
      decodeAll(frame(88, [...procFields(1, flags, { pid: 1, tid: 1, ppid: 0, uid: 0, gid: 0, ret: 0, nAnc: 1 }), [76, 1, 1]], [...PROC_STRINGS, ...tail, ...ANC.slice(0, 3)]))[0] as UnlinkEvent;
    const k = rec((1 << 11) | (1 << 13), ['/real/f', '', '', '/t/link/../f']);
    assert.equal(k.path_source, 'kernel');
    assert.equal(k.path, '/real/f');
    assert.equal(k.named, '/t/link/../f');
    assert.equal(k.ancestors[0].comm, 'bash', 'named is read before the ancestors, not as one of them');
    assert.equal(rec(2 << 11, ['/t/a', '', '']).path_source, 'name');
    const u = rec(3 << 11, ['/t/a', '', '']);
    assert.equal(u.path_source, 'user');
    assert.equal('named' in u, false);
    assert.equal('path_source' in rec(0, ['/t/a', '', '']), false);
    // and back: the encoder writes what the decoder reads
    assert.deepEqual(decodeAll(encodeRecord(k))[0], k);
  });

  it('proc_path only with KW_F_PROC_PATH, read after named; path_on_host false only from KW_F_PATH_NOT_ON_HOST', () => {
    const rec = (flags: number, tail: string[]) =>
      decodeAll(frame(88, [...procFields(1, flags, { pid: 1, tid: 1, ppid: 0, uid: 0, gid: 0, ret: 0, nAnc: 1 }), [76, 1, 1]], [...PROC_STRINGS, ...tail, ...ANC.slice(0, 3)]))[0] as UnlinkEvent;
    const both = rec((1 << 11) | (1 << 13) | (1 << 14), ['/srv/data/f', '', '', '/data/./f', '/data/f']);
    assert.equal(both.path, '/srv/data/f');
    assert.equal(both.named, '/data/./f');
    assert.equal(both.proc_path, '/data/f');
    assert.equal(both.ancestors[0].comm, 'bash', 'proc_path is read before the ancestors');
    const only = rec((3 << 11) | (1 << 14), ['/var/lib/x/merged/f', '', '', '/f']);
    assert.equal(only.proc_path, '/f');
    assert.equal('named' in only, false);
    assert.equal('path_on_host' in only, false);
    const away = rec((3 << 11) | (1 << 15), ['/tmp/own', '', '']);
    assert.equal(away.path_on_host, false);
    assert.equal('proc_path' in away, false);
    for (const r of [both, only, away]) assert.deepEqual(decodeAll(encodeRecord(r))[0], r, 'the encoder writes what the decoder reads');
    // an overlay file's layer: fflags (byte 77) and one more string after proc_path
    const layered = (fflags: number) => {
      const f = frame(88, [...procFields(1, (3 << 11) | (1 << 14), { pid: 1, tid: 1, ppid: 0, uid: 0, gid: 0, ret: 0, nAnc: 1 }), [76, 1, 1], [77, 1, fflags]],
        [...PROC_STRINGS, '/m/data/a', '', '', '/data/a', '/l/data/a', ...ANC.slice(0, 3)]);
      return decodeAll(f)[0] as UnlinkEvent;
    };
    const low = layered(3);
    assert.equal(low.real_path, '/l/data/a');
    assert.equal(low.layer, 'lower');
    assert.equal(low.ancestors[0].comm, 'bash', 'real_path is read before the ancestors');
    assert.equal(layered(1).layer, 'upper');
    assert.deepEqual(decodeAll(encodeRecord(low))[0], low);
  });

  it('sets path_truncated only from KW_F_PATH_TRUNC', () => {
    const f = frame(88, [...procFields(1, 2, { pid: 1, tid: 1, ppid: 0, uid: 0, gid: 0, ret: 0, nAnc: 0 }), [76, 1, 2]], [...PROC_STRINGS, '/very/long', '', '']);
    const [r] = decodeAll(f) as UnlinkEvent[];
    assert.equal(r.path_truncated, true);
    assert.equal(r.op, 'rmdir');
    assert.equal(r.last_link, false);
  });
});

describe('WireDecoder: streams', () => {
  const records: AgentRecord[] = [
    unlinkExpected,
    { ...unlinkExpected, type: 'create', op: 'symlink', target: 't\u00e9', last_link: undefined } as unknown as CreateEvent,
    {
      ...unlinkExpected,
      type: 'exec',
      filename: 'x',
      argv: ['x', ''],
      argv_truncated: false,
      interpreter: null,
      comm: '\ufffd',
      comm_b64: Buffer.from([0xff]).toString('base64'),
    } as unknown as ExecEvent,
    { type: 'lost', time: '2026-01-01T00:00:00.000000000Z', count: 1, total: 1, unjudged: 2, unjudged_total: 2, untracked: 0, untracked_total: 0 },
    { ...unlinkExpected, type: 'write', op: 'open_write', ret: -21, last_link: undefined } as unknown as WriteEvent,
  ].map((r) => {
    const o = { ...r } as Record<string, unknown>;
    for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
    if (o.type !== 'unlink' && o.type !== 'create' && o.type !== 'write') {
      delete o.op;
      delete o.path;
      delete o.dev;
      delete o.ino;
      delete o.last_link;
    }
    return o as unknown as AgentRecord;
  });
  const stream = encodeRecords(records);

  it('round-trips encoder -> decoder', () => {
    assert.deepEqual(decodeAll(stream), records);
  });

  it('gives the same records for every split point and chunk size', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new WireDecoder();
      const got = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
      assert.deepEqual(got, records, `split at ${cut}`);
      assert.equal(d.pendingBytes, 0);
    }
    for (const size of [1, 2, 3, 5, 7, 64, 1000]) assert.deepEqual(decodeAll(stream, size), records, `chunks of ${size}`);
  });

  it('does not keep references into caller chunks (they may be reused)', () => {
    const d = new WireDecoder();
    const buf = Buffer.from(stream);
    const cut = 37;
    const a = d.push(buf.subarray(0, cut));
    buf.fill(0, 0, cut); // the caller reuses its buffer
    const b = d.push(buf.subarray(cut));
    assert.deepEqual([...a, ...b], records);
  });

  it('repeated fields (reused from the previous record when equal) stay exact when they change', () => {
    const bad = (b: number) => ({ comm: '\ufffd', comm_b64: Buffer.from([b]).toString('base64') });
    const variants: Array<Partial<UnlinkEvent>> = [
      { comm: 'aaa' },
      { comm: 'aab' }, // same length, last byte differs
      { comm: 'aab' },
      bad(0xff),
      bad(0xfe), // same printable form, other bytes
      bad(0xfe),
      { comm: '' },
      { comm: 'aaa', ancestors: [{ pid: 1, comm: 'x', exe: '/a' }, { pid: 2, comm: 'y', exe: '/b' }] },
      { comm: 'aaa', ancestors: [{ pid: 1, comm: 'x', exe: '/c' }] },
      { comm: 'aaa', ancestors: [{ pid: 3, comm: 'z', exe: '/c', exe_b64: undefined }, { pid: 2, comm: 'y', exe: '/b' }] },
    ];
    const rs = variants.map((v, i) => {
      const o = { ...unlinkExpected, ...v, ino: i } as Record<string, unknown>;
      for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
      for (const a of o.ancestors as Array<Record<string, unknown>>) for (const k of Object.keys(a)) if (a[k] === undefined) delete a[k];
      return o as unknown as UnlinkEvent;
    });
    assert.deepEqual(decodeAll(encodeRecords(rs)), rs);
    assert.deepEqual(decodeAll(encodeRecords(rs), 13), rs);
  });

  it('handles a frame larger than the initial carry-over buffer', () => {
    const big: ExecEvent = { ...(records[2] as ExecEvent), argv: Array.from({ length: 2000 }, (_, i) => `arg-${i}-${'y'.repeat(60)}`) };
    const bytes = encodeRecord(big);
    assert.ok(bytes.length > 128 * 1024);
    assert.deepEqual(decodeAll(bytes, 4096), [big]);
  });
});

describe('WireDecoder: bad input becomes error records', () => {
  const good = Buffer.from(handUnlink());

  it('a header size that disagrees with the frame length: error, then decoding goes on', () => {
    const bad = Buffer.from(good);
    bad.writeUInt32LE(bad.readUInt32LE(8) + 1, 8); // kw_hdr.size
    const got = decodeAll(Buffer.concat([bad, good]));
    assert.equal(got.length, 2);
    assert.equal(got[0].type, 'error');
    assert.match((got[0] as { message: string }).message, /header size \d+ != frame length/);
    assert.deepEqual(got[1], unlinkExpected);
  });

  it('a string running past the record end', () => {
    const bad = Buffer.from(good);
    bad.writeUInt32LE(0xfffff, 4 + 88); // first string (comm) length
    const got = decodeAll(Buffer.concat([bad, good]));
    assert.equal(got[0].type, 'error');
    assert.match((got[0] as { message: string }).message, /runs past the record end/);
    assert.deepEqual(got[1], unlinkExpected);
  });

  it('an unknown op, trailing bytes, a record shorter than its fixed part', () => {
    const badOp = Buffer.from(good);
    badOp.writeUInt8(99, 4 + 76);
    const trailing = frame(56, [[0, 2, 6], [16, 8, WALL]], ['junk']);
    const short = frame(16, [[0, 2, 6]], []);
    const got = decodeAll(Buffer.concat([badOp, trailing, short, good]));
    assert.deepEqual(got.map((r) => r.type), ['error', 'error', 'error', 'unlink']);
    assert.match((got[0] as { message: string }).message, /unknown op 99/);
    assert.match((got[1] as { message: string }).message, /left over/);
    assert.match((got[2] as { message: string }).message, /shorter than its fixed part/);
  });

  it('skips records of unknown kinds (forward compatibility)', () => {
    const future = frame(24, [[0, 2, 250]], ['whatever']);
    assert.deepEqual(decodeAll(Buffer.concat([future, good])), [unlinkExpected]);
  });

  it('an impossible frame length stops decoding with one error record', () => {
    const junk = Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3]);
    const d = new WireDecoder();
    const got = d.push(Buffer.concat([good, junk]));
    assert.deepEqual(got.map((r) => r.type), ['unlink', 'error']);
    assert.match((got[1] as { message: string }).message, /bad frame length/);
    assert.deepEqual(d.push(good), []);
  });

  it('never throws on random corruption of a valid stream', () => {
    const base = Buffer.concat([good, Buffer.from(encodeRecords([{ type: 'lost', time: '2026-01-01T00:00:00Z', count: 1, total: 2, unjudged: 0, unjudged_total: 4, untracked: 0, untracked_total: 0 }])), good]);
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(base);
      for (let k = 0; k < 1 + rand(4); k++) b[rand(b.length)] = rand(256);
      const d = new WireDecoder();
      assert.doesNotThrow(() => {
        for (let off = 0; off < b.length; off += 1 + rand(50)) d.push(b.subarray(off, off + 1 + rand(50)));
      });
    }
  });
});

describe('WireDecoder: times', () => {
  it('keeps nanoseconds exact across second and 2^32 ns boundaries', () => {
    const cases = ['2026-11-21T23:59:59.999999999Z', '2026-11-22T00:00:00.000000000Z', '1970-01-01T00:00:00.000000001Z', '2038-01-19T03:14:08.000000007Z'];
    // plus times around a change of the high 32-bit word of the ns count
    const hi = (isoToNs(cases[0]) >> 32n) + 1n;
    const edge = hi << 32n;
    const extra = [edge - 1n, edge, edge + 1n].map((ns) => {
      const sec = ns / 1000000000n;
      const frac = (ns % 1000000000n).toString().padStart(9, '0');
      return new Date(Number(sec) * 1000).toISOString().slice(0, 20) + frac + 'Z';
    });
    for (const t of [...cases, ...extra]) {
      const [r] = decodeAll(encodeRecord({ type: 'lost', time: t, count: 0, total: 0, unjudged: 0, unjudged_total: 0, untracked: 0, untracked_total: 0 }));
      assert.equal(r.type === 'lost' && r.time, t);
    }
  });
});

describe('WireDecoder: inode numbers stay exact (events.ts InodeNumber)', () => {
  // overlayfs with xino: a lower layer's inode carries the layer in bit 63.
  const BIG = 2n ** 63n + 5n;
  const unlinkWithIno = (ino: bigint) =>
    frame(88, [...procFields(1, 1, { pid: 200, tid: 201, ppid: 100, uid: 1000, gid: 1001, ret: 0, nAnc: 2 }), [64, 8, ino], [72, 4, 0x801], [76, 1, 1]], [...PROC_STRINGS, '/tmp/x/a b', '', '', ...ANC]);

  it('ino 2^63+5: the same exact value from the wire frame and from the json line', () => {
    const [wire] = decodeAll(unlinkWithIno(BIG)) as UnlinkEvent[];
    assert.equal(wire.ino, '9223372036854775813');
    // The json line as native/emit.c prints it (test/fuzz/record_unit.c checks the C side).
    const line = JSON.stringify({ ...unlinkExpected, ino: 0 }).replace('"ino":0', '"ino":"9223372036854775813"');
    const json = JSON.parse(line) as UnlinkEvent;
    assert.deepEqual(wire, json);
    assert.equal(BigInt(wire.ino), BIG);
    assert.ok(isInodeNumber(wire.ino));
  });

  it('numbers up to 2^53-1, digits from 2^53 on; both round-trip through the encoder', () => {
    const cases: Array<[bigint, number | string]> = [
      [0n, 0],
      [2n ** 32n - 1n, 2 ** 32 - 1],
      [2n ** 53n - 1n, Number.MAX_SAFE_INTEGER],
      [2n ** 53n, '9007199254740992'],
      [2n ** 64n - 1n, '18446744073709551615'],
    ];
    for (const [ino, want] of cases) {
      const [r] = decodeAll(unlinkWithIno(ino)) as UnlinkEvent[];
      assert.strictEqual(r.ino, want, `ino ${ino}`);
      assert.ok(isInodeNumber(r.ino));
      assert.deepEqual(decodeAll(encodeRecord(r)), [r]);
    }
  });

  it('isInodeNumber refuses what JSON.parse or a careless writer could give', () => {
    for (const bad of [2 ** 53, -1, 1.5, '42', '9007199254740991', '09007199254740992', '18446744073709551616', '', null, 12n]) {
      assert.equal(isInodeNumber(bad), false, String(bad));
    }
  });
});

describe('WireDecoder: the stack tail (--stacks, KW_PF_STACKS in kw_proc.pflags)', () => {
  // STACK TAIL of bpf/kwitness_wire.h, after the ancestors: s32 kerr, s32 uerr, u32 kn, u32 un, then
  // per frame u64 addr, u64 off, u64 file_off, u32 line, u32 flags (SYM 1, FILE 2, INFERRED 4,
  // LINE 8), str sym, str obj, str build_id, str src. Built here byte by byte.
  interface RawFrame { addr: bigint; off?: bigint; fileOff?: bigint; line?: number; flags: number; sym?: string | Uint8Array; obj?: string; buildId?: string; src?: string }
  const str = (v: string | Uint8Array = ''): Buffer => {
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v);
    const n = Buffer.alloc(4);
    n.writeUInt32LE(b.length);
    return Buffer.concat([n, b]);
  };
  function tail(kerr: number, uerr: number, k: RawFrame[], u: RawFrame[], counts?: [number, number]): ['raw', Uint8Array] {
    const head = Buffer.alloc(16);
    head.writeInt32LE(kerr, 0);
    head.writeInt32LE(uerr, 4);
    head.writeUInt32LE(counts?.[0] ?? k.length, 8);
    head.writeUInt32LE(counts?.[1] ?? u.length, 12);
    const frames = [...k, ...u].map((f) => {
      const fixed = Buffer.alloc(32);
      fixed.writeBigUInt64LE(f.addr, 0);
      fixed.writeBigUInt64LE(f.off ?? 0n, 8);
      fixed.writeBigUInt64LE(f.fileOff ?? 0n, 16);
      fixed.writeUInt32LE(f.line ?? 0, 24);
      fixed.writeUInt32LE(f.flags, 28);
      return Buffer.concat([fixed, str(f.sym), str(f.obj), str(f.buildId), str(f.src)]);
    });
    return ['raw', Buffer.concat([head, ...frames])];
  }
  const PFLAGS = 60; // kw_hdr (16) + kw_proc.pflags (44)
  const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';
  const BUILD_ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
  const badSym = Uint8Array.from([0x64, 0x65, 0x6c, 0xff, 0x21]); // "del\xff!": not UTF-8
  const KERNEL: RawFrame[] = [
    { addr: 0xffffffff81234567n, off: 0x12n, flags: 1, sym: 'vfs_unlink' },
    { addr: 0xffffffffc0a01000n, off: 0x3a0n, flags: 1, sym: 'nfs_unlink', obj: 'nfs' },
    { addr: 0xffffffff81000010n, flags: 0 }, // no name: the address alone
  ];
  const USER: RawFrame[] = [
    { addr: 0x7f12_3456_789an, off: 11n, fileOff: 0xf789an, flags: 1 | 2, sym: 'unlink', obj: LIBC, buildId: BUILD_ID },
    { addr: 0x401234n, off: 0x14n, fileOff: 0x1234n, flags: 1 | 2 | 4, sym: badSym, obj: '/opt/victim' }, // read at the stack pointer
    { addr: 0x4a5b6cn, off: 0x2cn, fileOff: 0xa5b6cn, line: 42, flags: 1 | 2 | 8, sym: 'main.deleteIt', obj: '/opt/gov', src: '/home/u/src/victim/main.go' },
    { addr: 0x7ffd00001000n, fileOff: 0x99n, flags: 0, obj: 'ignored without FILE' },
  ];
  const wantK: KernelFrame[] = [
    { addr: '0xffffffff81234567', sym: 'vfs_unlink', off: 0x12 },
    { addr: '0xffffffffc0a01000', sym: 'nfs_unlink', off: 0x3a0, module: 'nfs' },
    { addr: '0xffffffff81000010' },
  ];
  const wantU: UserFrame[] = [
    { addr: '0x7f123456789a', sym: 'unlink', off: 11, file: LIBC, file_off: 0xf789a, build_id: BUILD_ID },
    { addr: '0x401234', sym: 'del\ufffd!', sym_b64: Buffer.from(badSym).toString('base64'), off: 0x14, file: '/opt/victim', file_off: 0x1234, inferred: true },
    { addr: '0x4a5b6c', sym: 'main.deleteIt', off: 0x2c, file: '/opt/gov', file_off: 0xa5b6c, src: '/home/u/src/victim/main.go', line: 42 },
    { addr: '0x7ffd00001000' },
  ];
  const unlinkWith = (t: ['raw', Uint8Array], pflags = 1): Buffer =>
    frame(88, [...procFields(1, 1, { pid: 200, tid: 201, ppid: 100, uid: 1000, gid: 1001, ret: 0, nAnc: 2 }), [PFLAGS, 4, pflags], [64, 8, 2n ** 40n + 7n], [72, 4, 0x801], [76, 1, 1]],
      [...PROC_STRINGS, '/tmp/x/a b', '', '', ...ANC, t]);

  it('kernel and user frames, after the ancestors, keyed as the agent json prints them', () => {
    const [r] = decodeAll(unlinkWith(tail(0, 0, KERNEL, USER))) as UnlinkEvent[];
    assert.deepEqual(r, { ...unlinkExpected, kstack: wantK, ustack: wantU });
    assert.equal('kstack_error' in r || 'ustack_error' in r, false);
    // the encoder writes the same bytes back (pflags set, the tail after the ancestors)
    assert.deepEqual(decodeAll(encodeRecord(r)), [r]);
    // byte for byte in the tail (the last frame loses what its flags did not vouch for)
    const enc = Buffer.from(encodeRecord(r));
    const want = Buffer.from(tail(0, 0, KERNEL, [...USER.slice(0, 3), { addr: 0x7ffd00001000n, flags: 0 }])[1]);
    assert.deepEqual(enc.subarray(enc.length - want.length), want);
    assert.equal(enc.readUInt32LE(4 + PFLAGS), 1, 'pflags = KW_PF_STACKS');
  });

  it('a stack the kernel could not take: its errno, an empty array, the other stack still there', () => {
    const [r] = decodeAll(unlinkWith(tail(-14, 0, [], USER.slice(0, 1)))) as UnlinkEvent[];
    assert.deepEqual(r.kstack, []);
    assert.equal(r.kstack_error, -14);
    assert.deepEqual(r.ustack, wantU.slice(0, 1));
    assert.equal('ustack_error' in r, false);
    const [u] = decodeAll(unlinkWith(tail(0, -2, KERNEL.slice(0, 1), []))) as UnlinkEvent[];
    assert.deepEqual(u.ustack, []);
    assert.equal(u.ustack_error, -2);
    for (const e of [r, u]) assert.deepEqual(decodeAll(encodeRecord(e)), [e]);
  });

  it('without KW_PF_STACKS (an older agent, a trace without --stacks) no stack keys; with it, both even when empty', () => {
    const [plain] = decodeAll(handUnlink()) as UnlinkEvent[];
    assert.equal('kstack' in plain || 'ustack' in plain, false);
    assert.equal(encodeRecord(plain).length, handUnlink().length, 'no tail is written for an event without stacks');
    const [empty] = decodeAll(unlinkWith(tail(0, 0, [], []))) as UnlinkEvent[];
    assert.deepEqual([empty.kstack, empty.ustack], [[], []]);
  });

  it('an exec carries its stacks after argv and the ancestors', () => {
    const f = frame(72, [...procFields(3, 0, { pid: 7, tid: 7, ppid: 6, uid: 0, gid: 0, ret: 0, nAnc: 1 }), [PFLAGS, 4, 1], [64, 4, 2]],
      ['sh', '/usr/bin/dash', '/', '/', '', 'tracepoint:sched:sched_process_exec', '/bin/ls', '', 'ls', '-l', ['u32', 6], 'bash', '/usr/bin/bash', tail(0, 0, KERNEL.slice(0, 1), USER.slice(0, 1))]);
    const [r] = decodeAll(f) as ExecEvent[];
    assert.deepEqual(r.argv, ['ls', '-l']);
    assert.deepEqual(r.ancestors, [{ pid: 6, comm: 'bash', exe: '/usr/bin/bash' }]);
    assert.deepEqual(r.kstack, wantK.slice(0, 1));
    assert.deepEqual(r.ustack, wantU.slice(0, 1));
    assert.deepEqual(decodeAll(encodeRecord(r)), [r]);
  });

  it('frame counts beyond what the record holds are a bad frame (an error record), and decoding goes on', () => {
    const huge = unlinkWith(tail(0, 0, KERNEL, USER, [0xffffffff, 0]));
    const tooMany = unlinkWith(tail(0, 0, KERNEL, USER, [KERNEL.length, USER.length + 1]));
    const cut = unlinkWith(tail(0, 0, KERNEL, USER)).subarray(0, -4); // the last frame's src length gone
    cut.writeUInt32LE(cut.length - 4, 0);
    cut.writeUInt32LE(cut.length - 4, 8);
    const noHead = unlinkWith(['raw', Buffer.alloc(12)]); // pflags says a tail, only 12 of its 16 bytes
    const got = decodeAll(Buffer.concat([huge, tooMany, cut, noHead, handUnlink()]));
    assert.deepEqual(got.map((r) => r.type), ['error', 'error', 'error', 'error', 'unlink']);
    const msg = (i: number) => (got[i] as { message: string }).message;
    assert.match(msg(0), /4294967295 kernel and 0 user frames exceed the record/);
    assert.match(msg(1), /3 kernel and 5 user frames exceed the record|runs past the record end/);
    assert.match(msg(2), /runs past the record end/);
    assert.match(msg(3), /stack tail runs past the record end/);
    assert.deepEqual(got[4], unlinkExpected);
  });

  it('never throws on random corruption of records with stacks', () => {
    const base = Buffer.concat([unlinkWith(tail(0, 0, KERNEL, USER)), unlinkWith(tail(-14, -2, [], []))]);
    let seed = 777;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(base);
      // mostly in the tails (where the counts and lengths are), sometimes anywhere
      for (let k = 0; k < 1 + rand(4); k++) b[rand(3) ? base.length - 1 - rand(700) : rand(b.length)] = rand(256);
      assert.doesNotThrow(() => decodeAll(b, 1 + rand(100)));
    }
  });

  it('round-trips through every split point with a stack-carrying record in the stream', () => {
    const [withStacks] = decodeAll(unlinkWith(tail(0, -14, KERNEL, []))) as UnlinkEvent[];
    const stream = encodeRecords([unlinkExpected, withStacks, unlinkExpected]);
    for (const size of [1, 3, 7, 64]) assert.deepEqual(decodeAll(stream, size), [unlinkExpected, withStacks, unlinkExpected], `chunks of ${size}`);
  });
});
