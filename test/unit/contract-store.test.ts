// The webview's columnar event store and row filters (webview/src, DOM-free), run in Node:
// lossless round trip of every event shape, cap and drop counting, filters and globs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KwEvent } from '../../src/core/events';
import { EMPTY_FILTERS } from '../../src/contract';
import { EventStore } from '../../webview/src/store';
import { RowFilter, RowView } from '../../webview/src/view';
import { globToRegExp } from '../../webview/src/glob';

const base = {
  time: '2026-11-21T23:59:59.123456789Z', ktime_ns: 123456789012, pid: 10, tid: 11, ppid: 1, uid: 1000, gid: 1000, comm: 'rm',
  exe: '/usr/bin/rm', cwd: '/tmp', ancestors: [{ pid: 1, comm: 'systemd', exe: '/sbin/init' }], cgroup: '/user.slice', container: null,
  ret: 0, probe: 'tracepoint:syscalls:sys_exit_unlinkat',
};
const events: KwEvent[] = [
  { ...base, type: 'unlink', op: 'unlink', path: '/tmp/a', dev: 2049, ino: 42, last_link: true },
  { ...base, type: 'unlink', op: 'rename', path: '/tmp/\ufffd', path_b64: 'L3RtcC//', old_path: '/tmp/b', dev: 1, ino: 2, last_link: false, ret: -2, container: 'abc' },
  { ...base, type: 'create', op: 'symlink', path: '/tmp/l', target: '../x', dev: 1, ino: 3, comm: 'ln', comm_b64: 'bG4=' },
  { ...base, type: 'exec', filename: './ls', argv: ['ls', '-l'], argv_b64: [null, null], argv_truncated: false, interpreter: null, uid: 4294967295 },
  { ...base, type: 'exit', exit_code: 1, signal: 0, duration_ns: 5, time: '2026-11-21T23:59:59Z', pid: -1 },
];

test('every event shape comes back exactly', () => {
  const s = new EventStore(100);
  const first = s.add(events);
  events.forEach((e, i) => assert.deepEqual(s.get(first + i), e));
});

test('an inode number above 2^53-1 (its decimal digits, events.ts InodeNumber) comes back exactly', () => {
  const s = new EventStore(10);
  const big: KwEvent = { ...base, type: 'unlink', op: 'unlink', path: '/merged/f', dev: 44, ino: '9223372036854775813', last_link: true };
  const seq = s.add([big, events[0]]);
  assert.deepEqual(s.get(seq), big);
  assert.strictEqual((s.get(seq) as { ino: unknown }).ino, '9223372036854775813');
  assert.strictEqual((s.get(seq + 1) as { ino: unknown }).ino, 42);
});

test('the cap drops the oldest, counts them and frees their strings', () => {
  const s = new EventStore(1000);
  for (let i = 0; i < 5000; i++) s.add([{ ...events[0], path: `/tmp/f${i}` } as KwEvent]);
  assert.equal(s.size, 1000);
  assert.equal(s.dropped, 4000);
  assert.equal((s.get(s.firstSeq) as { path: string }).path, '/tmp/f4000');
  assert.throws(() => s.get(0), /no longer retained/);
  // Interned strings of dropped events were released: the table does not grow with the stream.
  assert.ok(s.strings.size < 1100, `string table ${s.strings.size}`);
});

test('filters: type, failed, pid, uid names, glob, ancestor, text', () => {
  const s = new EventStore(100);
  s.add(events);
  const count = (f: Partial<typeof EMPTY_FILTERS>, users: Record<string, string> = {}) => {
    const v = new RowView();
    v.rebuild(s, new RowFilter({ ...EMPTY_FILTERS, ...f }, users), s.nextSeq, 'time');
    return v.length;
  };
  assert.equal(count({}), 5);
  assert.equal(count({ type: 'unlink' }), 2);
  assert.equal(count({ failedOnly: true }), 1);
  assert.equal(count({ pid: '10' }), 4);
  assert.equal(count({ uid: 'nobody' }, { '4294967295': 'nobody' }), 1);
  assert.equal(count({ pathGlob: '/tmp/*' }), 3);
  assert.equal(count({ pathGlob: 'rm' }), 2); // exec/exit fall back to the exe: /usr/bin/rm
  assert.equal(count({ ancestor: 1 }), 5);
  assert.equal(count({ text: '-l' }), 1); // argv
  assert.equal(count({ text: 'RENAME' }), 1); // op
});

test('globs', () => {
  assert.ok(globToRegExp('/etc/*.conf').test('/etc/a.conf'));
  assert.ok(!globToRegExp('/etc/*.conf').test('/etc/x/a.conf'));
  assert.ok(globToRegExp('/etc/**').test('/etc/x/a.conf'));
  assert.ok(globToRegExp('*.log').test('/var/log/syslog.log'));
  assert.ok(globToRegExp('/tmp/file?.txt').test('/tmp/file1.txt'));
  assert.ok(globToRegExp('/tmp/a+b(1).txt').test('/tmp/a+b(1).txt'));
});
