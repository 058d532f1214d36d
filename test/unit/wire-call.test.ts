// KW_CALL (kind 14, `trace func:NAME`): a call record built byte by byte at the offsets that
// bpf/kwitness_wire.h documents for struct kw_call_rec (independent of the decoder's layout
// table), decoded into the CallEvent that the agent's json prints for it; the json line and the
// wire frame give the same object; the return value in each of its forms (int, errno, pointer,
// ERR_PTR, unsigned, void, beyond 2^53); the encoder round-trips; bad records become error
// records, never a throw.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentErrorRecord, AgentRecord, CallEvent } from '../../src/core/events';
import { JsonLinesDecoder } from '../../src/core/session/json-lines';
import { WireDecoder } from '../../src/core/wire/decoder';
import { encodeRecord, encodeRecords, isoToNs } from '../../src/core/wire/encoder';

type Fixed = Array<[number, 1 | 2 | 4 | 8 | -4 | -8, number | bigint]>;

/** One frame: the 88-byte fixed part from [offset, width, value], then length-prefixed strings and raw parts. */
type Tail = Array<string | Buffer | ['u32', number] | ['raw', Buffer]>;

function frame(fields: Fixed, tail: Tail, fixedSize = 88): Buffer {
  const parts: Buffer[] = [];
  for (const t of tail) {
    if (Array.isArray(t) && t[0] === 'raw') {
      parts.push(t[1]);
    } else if (Array.isArray(t)) {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(t[1]);
      parts.push(b);
    } else {
      const bytes = typeof t === 'string' ? Buffer.from(t, 'utf8') : t;
      const len = Buffer.alloc(4);
      len.writeUInt32LE(bytes.length);
      parts.push(len, bytes);
    }
  }
  const strings = Buffer.concat(parts);
  const fixed = Buffer.alloc(fixedSize);
  for (const [off, width, v] of fields) {
    if (width === 1) fixed.writeUInt8(Number(v), off);
    else if (width === 2) fixed.writeUInt16LE(Number(v), off);
    else if (width === 4) fixed.writeUInt32LE(Number(v), off);
    else if (width === -4) fixed.writeInt32LE(Number(v), off);
    else if (width === -8) fixed.writeBigInt64LE(BigInt(v), off);
    else fixed.writeBigUInt64LE(BigInt(v), off);
  }
  const size = fixedSize + strings.length;
  fixed.writeUInt32LE(size, 4); // kw_hdr.size
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32LE(size);
  return Buffer.concat([prefix, fixed, strings]);
}

const WALL = isoToNs('2026-12-03T10:00:01.123456789Z');
const KW_F_CMDLINE = 1 << 8;
const KW_PF_STACKS = 1;

interface Call {
  flags?: number;
  pflags?: number;
  ret: bigint;
  duration: bigint;
  attach: number;
  cflags: number;
  nArgs: number;
  nAnc?: number;
}

/** kw_hdr, kw_proc (pid 4242, ret 0: the call's own ret is kw_call_rec.ret) and kw_call_rec's own fields. */
function callFields(c: Call): Fixed {
  return [
    [0, 2, 14], // kind KW_CALL
    [2, 2, c.flags ?? KW_F_CMDLINE],
    [8, 8, 987654321n], // ktime_ns
    [16, 8, WALL], // proc.wall_ns
    [24, 8, 77n], // proc.cgroup_id
    [32, 4, 4242], // pid
    [36, 4, 4243], // tid
    [40, 4, 100], // ppid
    [44, 4, 1000], // uid
    [48, 4, 1000], // gid
    [52, -4, 0], // proc.ret
    [56, 4, c.nAnc ?? 1], // n_anc
    [60, 4, c.pflags ?? 0], // pflags
    [64, -8, c.ret], // ret (s64)
    [72, 8, c.duration], // duration_ns
    [80, 4, c.nArgs], // n_args
    [84, 1, c.attach], // attach
    [85, 1, c.cflags], // cflags
  ];
}

const cmd = (...args: string[]) => Buffer.from(args.map((a) => `${a}\0`).join(''));
const PROC = ['rm', '/usr/bin/rm', '/tmp/x', '/user.slice/user-1000.slice', '', 'fentry:vfs_unlink'];
const DIR = '{"addr":"0xffff888101234000","ino":12,"dev":2049,"mode":"040755","nlink":2,"size":4096}';
const DENTRY = '{"addr":"0xffff888107654321","name":"disk.img","path":"/tmp/x/disk.img","ino":123,"dev":2049}';

/** vfs_unlink(idmap, dir, dentry, delegated_inode) returning -2, by rm, with one ancestor. */
function handCall(c: Partial<Call> = {}, tail: Tail = []): Buffer {
  return frame(callFields({ ret: -2n, duration: 3200n, attach: 1, cflags: 0, nArgs: 4, ...c }), [
    ...PROC,
    'vfs_unlink',
    'int',
    'idmap', 'struct mnt_idmap *', '"0xffffffff83a5c0e0"',
    'dir', 'struct inode *', DIR,
    'dentry', 'struct dentry *', DENTRY,
    'delegated_inode', 'struct inode **', 'null',
    cmd('rm', '-f', '/tmp/x/disk.img'), // PROCESS TAIL: cmdline, then the ancestors
    ['u32', 100], 'bash', '/usr/bin/bash', cmd('bash'),
    ...tail,
  ]);
}

/** What `kwitness-agent trace func:vfs_unlink --format json` prints for that call. */
const JSON_LINE =
  '{"type":"call","time":"2026-12-03T10:00:01.123456789Z","ktime_ns":987654321,"pid":4242,"tid":4243,"ppid":100,"uid":1000,"gid":1000,' +
  '"comm":"rm","exe":"/usr/bin/rm","cwd":"/tmp/x","cmdline":["rm","-f","/tmp/x/disk.img"],' +
  '"ancestors":[{"pid":100,"comm":"bash","exe":"/usr/bin/bash","cmdline":["bash"]}],"cgroup":"/user.slice/user-1000.slice","container":null,' +
  '"ret":-2,"probe":"fentry:vfs_unlink","func":"vfs_unlink","attach":"fentry","ret_type":"int",' +
  `"args":{"idmap":"0xffffffff83a5c0e0","dir":${DIR},"dentry":${DENTRY},"delegated_inode":null},` +
  '"arg_types":{"idmap":"struct mnt_idmap *","dir":"struct inode *","dentry":"struct dentry *","delegated_inode":"struct inode **"},' +
  '"duration_ns":3200}';

const expected: CallEvent = JSON.parse(JSON_LINE) as CallEvent;

function decodeAll(bytes: Uint8Array): AgentRecord[] {
  return new WireDecoder().push(bytes);
}

function one(bytes: Uint8Array): CallEvent {
  const got = decodeAll(bytes);
  assert.equal(got.length, 1, JSON.stringify(got));
  assert.equal(got[0].type, 'call', JSON.stringify(got[0]));
  return got[0] as CallEvent;
}

describe('KW_CALL: a hand-built call record', () => {
  it('decodes into the CallEvent the agent json prints (args in parameter order, arg_types beside them)', () => {
    const e = one(handCall());
    assert.deepEqual(e, expected);
    assert.deepEqual(Object.keys(e.args), ['idmap', 'dir', 'dentry', 'delegated_inode'], 'parameter order');
    assert.deepEqual(Object.keys(e.arg_types), Object.keys(e.args));
  });

  it('the json line and the wire frame give the same object', () => {
    const fromJson = new JsonLinesDecoder().push(Buffer.from(JSON_LINE + '\n'));
    assert.deepEqual(fromJson, decodeAll(handCall()));
  });

  it('ret: int, ERR_PTR, pointer, NULL pointer, unsigned beyond 2^53, signed beyond 2^53, void', () => {
    const ret = (r: bigint, cflags: number) => one(handCall({ ret: r, cflags })).ret;
    assert.equal(ret(0n, 0), 0);
    assert.equal(ret(-2n, 0), -2);
    assert.equal(ret(2n ** 31n, 0), 2 ** 31);
    assert.equal(ret(-(2n ** 31n) - 1n, 0), -(2 ** 31) - 1);
    assert.equal(ret(2n ** 53n - 1n, 0), Number.MAX_SAFE_INTEGER);
    assert.equal(ret(-(2n ** 53n) + 1n, 0), -Number.MAX_SAFE_INTEGER);
    assert.equal(ret(2n ** 53n, 0), '9007199254740992', 'beyond 2^53-1: digits');
    assert.equal(ret(-(2n ** 63n), 0), '-9223372036854775808');
    // KW_CF_RET_UNSIGNED (4): the bits as a u64
    assert.equal(ret(-1n, 4), '18446744073709551615');
    assert.equal(ret(5n, 4), 5);
    // KW_CF_RET_PTR (2): hex, but an ERR_PTR (-4095..-1) is -errno
    assert.equal(ret(BigInt.asIntN(64, 0xffff888101234400n), 2), '0xffff888101234400');
    assert.equal(ret(0n, 2), 0, 'NULL: 0, as the agent json prints it');
    assert.equal(ret(-2n, 2), -2);
    assert.equal(ret(-4095n, 2), -4095);
    assert.equal(ret(-4096n, 2), '0xfffffffffffff000');
    // KW_CF_VOID (1): null whatever the field holds
    assert.equal(ret(7n, 1), null);
  });

  it('attach 2 is kprobe; KW_CF_ARGS_CUT sets args_truncated; without it the key is absent', () => {
    const k = one(handCall({ attach: 2, cflags: 8 }));
    assert.equal(k.attach, 'kprobe');
    assert.equal(k.args_truncated, true);
    assert.equal('args_truncated' in one(handCall()), false);
  });

  it('a call with no arguments, and stacks after the process tail (KW_PF_STACKS)', () => {
    const stackTail = Buffer.alloc(16); // kerr, uerr, kn = 0, un = 0
    const b = frame(callFields({ ret: 0n, duration: 10n, attach: 1, cflags: 1, nArgs: 0, nAnc: 0, pflags: KW_PF_STACKS }), [...PROC.slice(0, 5), 'fentry:sync_filesystem', 'sync_filesystem', 'void', cmd('sync'), ['raw', stackTail]]);
    const e = one(b);
    assert.deepEqual(e.args, {});
    assert.deepEqual(e.arg_types, {});
    assert.equal(e.ret, null);
    assert.deepEqual(e.kstack, []);
    assert.deepEqual(e.ustack, []);
  });

  it('a parameter named __proto__ stays an own key (as JSON.parse makes it), no prototype change', () => {
    const b = frame(callFields({ ret: 0n, duration: 1n, attach: 1, cflags: 0, nArgs: 1, nAnc: 0 }), [...PROC, 'f', 'int', '__proto__', 'int', '5', cmd('x')]);
    const e = one(b);
    assert.equal(Object.getPrototypeOf(e.args), Object.prototype);
    assert.deepEqual(Object.keys(e.args), ['__proto__']);
    assert.equal(Object.getOwnPropertyDescriptor(e.args, '__proto__')?.value, 5);
  });
});

/** A call in every form its ret and flags take. */
const forms: CallEvent[] = [
  expected,
  { ...expected, ret: null, ret_type: 'void', attach: 'kprobe', args_truncated: true },
  { ...expected, ret: '0xffff888101234400', ret_type: 'struct file *' },
  { ...expected, ret: -12, ret_type: 'struct file *' },
  { ...expected, ret: '18446744073709551615', ret_type: 'unsigned long' },
  { ...expected, ret: '-9223372036854775808', ret_type: 'long' },
  { ...expected, args: {}, arg_types: {}, kstack: [{ addr: '0xffffffff81234567', sym: 'vfs_unlink', off: 18 }], ustack: [] },
  { ...expected, func: 'f\ufffd', func_b64: Buffer.from([0x66, 0xff]).toString('base64') },
];

describe('KW_CALL: encoder round trips', () => {

  it('decode(encode(call)) is the call, for every form of ret', () => {
    for (const f of forms) assert.deepEqual(decodeAll(encodeRecord(f)), [f], JSON.stringify(f.ret));
  });

  it('the encoder writes the bytes the hand-built frame has', () => {
    const hand = handCall();
    hand.writeBigUInt64LE(0n, 4 + 24); // proc.cgroup_id: events.ts has no field for it, the encoder writes 0
    assert.deepEqual(Buffer.from(encodeRecord(expected)), hand);
  });

  it('every split point of a stream of calls gives the same records', () => {
    const stream = encodeRecords(forms);
    const whole = decodeAll(stream);
    assert.deepEqual(whole, forms);
    for (let cut = 1; cut < stream.length; cut += 7) {
      const d = new WireDecoder();
      assert.deepEqual([...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))], whole);
    }
  });
});

describe('KW_CALL: bad records become error records', () => {
  const good = handCall();
  const errs = (b: Buffer): string[] => decodeAll(Buffer.concat([b, good])).map((r) => (r.type === 'error' ? (r as AgentErrorRecord).message : r.type));

  it('an unknown attach mode', () => {
    const b = Buffer.from(good);
    b.writeUInt8(3, 4 + 84);
    const got = errs(b);
    assert.match(got[0], /unknown attach mode 3/);
    assert.equal(got[1], 'call', 'decoding goes on');
  });

  it('n_args beyond what the record holds', () => {
    const b = Buffer.from(good);
    b.writeUInt32LE(0x40000000, 4 + 80);
    assert.match(errs(b)[0], /n_args 1073741824 exceeds the record/);
  });

  it('n_args one more than the strings there are: a string runs past the end', () => {
    const b = Buffer.from(good);
    b.writeUInt32LE(5, 4 + 80);
    assert.match(errs(b)[0], /runs past the record end|exceed/);
  });

  it('a value that is not JSON, and one that is not UTF-8', () => {
    const notJson = frame(callFields({ ret: 0n, duration: 1n, attach: 1, cflags: 0, nArgs: 1, nAnc: 0 }), [...PROC, 'f', 'int', 'x', 'int', '{"a":', cmd('x')]);
    assert.match(errs(notJson)[0], /argument 0 \(x\): its value is not JSON/);
    const notUtf8 = frame(callFields({ ret: 0n, duration: 1n, attach: 1, cflags: 0, nArgs: 1, nAnc: 0 }), [...PROC, 'f', 'char *', 's', 'char *', Buffer.from([0x22, 0xff, 0x22]), cmd('x')]);
    assert.match(errs(notUtf8)[0], /not UTF-8/);
  });

  it('two parameters of one name', () => {
    const b = frame(callFields({ ret: 0n, duration: 1n, attach: 1, cflags: 0, nArgs: 2, nAnc: 0 }), [...PROC, 'f', 'int', 'a', 'int', '1', 'a', 'int', '2', cmd('x')]);
    assert.match(errs(b)[0], /a second parameter named a/);
  });

  it('shorter than its fixed part (an older reader\'s 80 bytes), and bytes left over', () => {
    const short = frame([[0, 2, 14]], [], 80);
    assert.match(errs(short)[0], /shorter than its fixed part \(88 bytes\)/);
    const extra = handCall({}, ['junk']);
    assert.match(errs(extra)[0], /left over/);
  });

  it('never throws on random corruption of call records', () => {
    const base = Buffer.concat([good, Buffer.from(encodeRecord(forms[6])), good]);
    let seed = 4242;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let errors = 0;
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(base);
      for (let k = 0; k < 1 + rand(4); k++) b[rand(b.length)] = rand(256);
      const d = new WireDecoder();
      assert.doesNotThrow(() => {
        for (let off = 0; off < b.length; off += 1 + rand(60)) errors += d.push(b.subarray(off, off + 1 + rand(60))).filter((r) => r.type === 'error').length;
      });
    }
    assert.ok(errors > 0, 'the corruption was seen');
  });
});
