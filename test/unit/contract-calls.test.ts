// Calls of probed kernel functions in the webview's store (webview/src, DOM-free), run in Node:
// every form of a call comes back exactly; what all calls of a function share is interned once
// (the 'call' column) and checked once; a shape or arguments the panel cannot render stay as they
// came and are said, not rendered; the cells, the filters and the CSV export know calls; the
// contract's filters and view state accept them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallEvent, KwEvent } from '../../src/core/events';
import { CALL_COLUMNS, COLUMN_IDS, EMPTY_FILTERS, validateCallArgs, validateCallShape, validateViewState, validateWebviewMessage } from '../../src/contract';
import { EventStore } from '../../webview/src/store';
import { RowFilter } from '../../webview/src/view';
import { CSV_COLUMNS, cellText, csvRow } from '../../webview/src/format';

const base = {
  time: '2026-12-03T12:00:01.123456789Z', ktime_ns: 5, pid: 4242, tid: 4242, ppid: 1, uid: 0, gid: 0, comm: 'rm', exe: '/usr/bin/rm', cwd: '/tmp/x',
  ancestors: [{ pid: 1, comm: 'systemd', exe: '/sbin/init' }], cgroup: '/', container: null, probe: 'fentry:vfs_unlink',
};
const call = (over: Partial<CallEvent>): CallEvent => ({
  ...base, type: 'call', func: 'vfs_unlink', attach: 'fentry', ret_type: 'int', ret: 0,
  args: { dir: { addr: '0x1', path: '/tmp/x', ino: 12, dev: 2049 }, dentry: { addr: '0x2', name: 'disk.img', path: '/tmp/x/disk.img', ino: 123, dev: 2049 } },
  arg_types: { dir: 'struct inode *', dentry: 'struct dentry *' }, duration_ns: 3200, ...over,
});
const CALLS: CallEvent[] = [
  call({}),
  call({ ret: -2, duration_ns: 850 }),
  call({ ret: '0xffff888112345678', ret_type: 'struct file *', func: 'do_filp_open', probe: 'kprobe:do_filp_open', attach: 'kprobe', args: { dfd: -100, pathname: { addr: '0x3', name: '/etc/shadow' } }, arg_types: { dfd: 'int', pathname: 'struct filename *' } }),
  call({ ret: null, ret_type: 'void', args: {}, arg_types: {}, func: 'sync_filesystem', args_truncated: true }),
  call({ ret: '18446744073709551615', ret_type: 'u64' }),
  call({ ret: '-9223372036854775808', ret_type: 'long' }),
  call({ ret: -5_000_000_000, ret_type: 'long' }),
  call({ kstack: [{ addr: '0xffffffff81234567', sym: 'vfs_unlink', off: 18 }], ustack: [], cmdline: ['rm', 'x'] }),
];

test('every form of a call comes back exactly (ret as number, pointer, digits, null; stacks; cmdline)', () => {
  const s = new EventStore(100);
  const first = s.add(CALLS);
  CALLS.forEach((e, i) => assert.deepEqual(s.get(first + i), e, JSON.stringify(e.ret)));
  // and an exit's duration, now in the duration column, as well
  const exit = { ...base, type: 'exit', ret: 0, exit_code: 0, signal: 0, duration_ns: 7 } as unknown as KwEvent;
  assert.deepEqual(s.get(s.add([exit])), exit);
});

test('what every call of a function shares is interned once; the arguments are per call', () => {
  const s = new EventStore(1000);
  const many = Array.from({ length: 200 }, (_, i) => call({ ret: -(i % 3), duration_ns: i, args: { dir: { addr: '0x1', ino: i }, dentry: { addr: '0x2', name: `f${i}` } } }));
  const first = s.add(many);
  const ids = new Set(many.map((_, i) => s.str.call[s.slot(first + i)]));
  assert.equal(ids.size, 1);
  assert.ok([...ids][0] !== 0);
  assert.deepEqual(s.callOf(first), { func: 'vfs_unlink', attach: 'fentry', ret_type: 'int', arg_types: { dir: 'struct inode *', dentry: 'struct dentry *' } });
  assert.equal(s.opOf(first), 'vfs_unlink');
  assert.equal(s.durationOf(first + 7), 7);
  // the result filters read the sign of the return value
  const failed = new RowFilter({ ...EMPTY_FILTERS, failedOnly: true }, {});
  assert.equal(many.filter((_, i) => failed.test(s, first + i)).length, 133);
});

test('a shape the panel cannot check stays in the event as it came (no call column), arguments checked when shown', () => {
  const s = new EventStore(100);
  const badShape = call({ func: 'not a symbol!' });
  const badArgs = call({ args: { dir: [1], dentry: { a: { b: 1 } } } as unknown as CallEvent['args'] });
  const first = s.add([badShape, badArgs]);
  assert.equal(s.str.call[s.slot(first)], 0);
  assert.equal(s.callOf(first), null);
  assert.deepEqual(s.get(first), badShape);
  assert.equal(cellText(s, first, 'func', {}).text, '');
  assert.notEqual(s.callOf(first + 1), null);
  assert.deepEqual(s.get(first + 1), badArgs);
  assert.match(cellText(s, first + 1, 'args', {}).text, /^\(not shown: call\.args\.dir is not a number, string, boolean or null\)$/);
});

test('cells: function, arguments, return with errno, duration; nothing for other events', () => {
  const s = new EventStore(100);
  const first = s.add([...CALLS, { ...base, type: 'unlink', ret: -13, op: 'unlink', path: '/a', dev: 1, ino: 2, last_link: true } as KwEvent]);
  const cell = (i: number, c: Parameters<typeof cellText>[2]) => cellText(s, first + i, c, {});
  assert.deepEqual(cell(0, 'args').text, 'dir=/tmp/x ino 12, dentry="disk.img" /tmp/x/disk.img');
  assert.deepEqual(cell(1, 'return'), { text: '-2 ENOENT', failed: true });
  assert.deepEqual(cell(1, 'result'), { text: '-2 ENOENT', failed: true });
  assert.deepEqual(cell(2, 'return'), { text: '0xffff888112345678', failed: false });
  assert.equal(cell(3, 'return').text, 'void');
  assert.equal(cell(3, 'args').text, ' …', 'no arguments, but the cut is said');
  assert.equal(cell(4, 'return').text, '18446744073709551615');
  assert.equal(cell(6, 'return').text, '-5000000000');
  assert.equal(cell(0, 'duration').text, '3.2 µs');
  assert.equal(cell(2, 'func').text, 'do_filp_open');
  assert.equal(cell(0, 'type').text, 'call · vfs_unlink');
  assert.deepEqual([cell(8, 'func').text, cell(8, 'args').text, cell(8, 'return').text, cell(8, 'duration').text], ['', '', '', '']);
  assert.equal(cell(8, 'result').text, 'EACCES (-13)');
});

test('text and path filters: the function, the arguments, the paths of the arguments', () => {
  const s = new EventStore(100);
  const first = s.add(CALLS);
  const count = (f: Partial<typeof EMPTY_FILTERS>) => {
    const r = new RowFilter({ ...EMPTY_FILTERS, ...f }, {});
    return CALLS.filter((_, i) => r.test(s, first + i)).length;
  };
  assert.equal(count({ type: 'call' }), CALLS.length);
  assert.equal(count({ type: 'unlink' }), 0);
  assert.equal(count({ text: 'do_filp' }), 1);
  assert.equal(count({ text: 'shadow' }), 1);
  assert.equal(count({ text: 'sync_filesystem' }), 1);
  assert.equal(count({ pathGlob: '/tmp/x/*.img' }), 6, 'the vfs_unlink calls by their dentry');
  assert.equal(count({ pathGlob: '/usr/bin/rm' }), 2, 'calls without a path argument by exe');
});

test('CSV: the call columns appended; ret as it came, errno only for -4095..-1', () => {
  const col = (n: string) => CSV_COLUMNS.indexOf(n as (typeof CSV_COLUMNS)[number]);
  assert.deepEqual(CSV_COLUMNS.slice(-7), ['func', 'attach', 'args', 'arg_types', 'ret_type', 'duration_ns', 'args_truncated']);
  const cells = (e: CallEvent) => csvRow(e as unknown as Record<string, unknown>).split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/);
  const r = cells(CALLS[1]);
  assert.equal(r.length, CSV_COLUMNS.length);
  assert.deepEqual([r[col('ret')], r[col('errno')], r[col('func')], r[col('duration_ns')]], ['-2', 'ENOENT', 'vfs_unlink', '850']);
  assert.equal(r[col('args')], '"{""dir"":{""addr"":""0x1"",""path"":""/tmp/x"",""ino"":12,""dev"":2049},""dentry"":{""addr"":""0x2"",""name"":""disk.img"",""path"":""/tmp/x/disk.img"",""ino"":123,""dev"":2049}}"');
  assert.deepEqual([cells(CALLS[3])[col('ret')], cells(CALLS[3])[col('args_truncated')]], ['', 'true']);
  assert.deepEqual([cells(CALLS[6])[col('ret')], cells(CALLS[6])[col('errno')]], ['-5000000000', '']);
});

test('contract: call columns and the call type filter in a saved state; arg_path in openPath; shape and args checks', () => {
  for (const c of CALL_COLUMNS) assert.ok(COLUMN_IDS.includes(c));
  const state = { contract: 1, traceId: 't', hostId: 'local', title: 'x', filters: { ...EMPTY_FILTERS, type: 'call' }, columns: ['time', ...CALL_COLUMNS], sort: { column: 'duration', descending: true }, scrollRow: 0, detailsOpen: true };
  const v = validateViewState(state);
  assert.ok(v.ok, v.ok ? '' : v.error);
  assert.equal(validateViewState({ ...state, filters: { ...EMPTY_FILTERS, type: 'calls' } }).ok, false);
  const open = validateWebviewMessage({ type: 'openPath', traceId: 't', hostId: 'local', pathB64: Buffer.from('/tmp/x').toString('base64'), field: 'arg_path' });
  assert.ok(open.ok);
  assert.equal(validateCallShape({ func: 'vfs_unlink', attach: 'uprobe', ret_type: 'int', arg_types: {} }).ok, false);
  assert.equal(validateCallShape({ func: 'vfs_unlink', attach: 'fentry', ret_type: 'int', arg_types: { 'a b': 'int' } }).ok, false);
  assert.equal(validateCallShape({ func: 'vfs_unlink', attach: 'fentry', ret_type: 'int', arg_types: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`a${i}`, 'int'])) }).ok, false);
  assert.equal(validateCallShape({ func: 'f\ufffd', func_b64: 'Zv8=', attach: 'kprobe', ret_type: 'int', arg_types: {} }).ok, true, 'a name that is not UTF-8, with its bytes');
  assert.equal(validateCallArgs({ a: 1 }, { b: 'int' }).ok, false, 'other parameter names');
  assert.equal(validateCallArgs({ a: 1, b: 2 }, { b: 'int', a: 'int' }).ok, false, 'another order');
  assert.equal(validateCallArgs({ a: 'x'.repeat(9000) }, { a: 'char *' }).ok, false);
  assert.equal(validateCallArgs({ a: { f: Infinity } }, { a: 'struct x *' }).ok, false);
  assert.equal(validateCallArgs({ a: { addr: '0x1', ino: '18446744073709551615' }, b: null, c: true }, { a: 'struct inode *', b: 'void *', c: 'bool' }).ok, true);
});
