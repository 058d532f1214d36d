// Stacks (`--stacks`) past the decoder: frame text and signatures (src/core/stacks.ts), the
// webview's store, filter and stack groups (webview/src, DOM-free, run in Node), and finding a
// frame's source file in the workspace (src/panel/source-match.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KernelFrame, KwEvent, UnlinkEvent, UserFrame } from '../../src/core/events';
import { EMPTY_FILTERS } from '../../src/contract';
import { kernelFrameText, MAX_SIGNATURE, stackSignature, userFrameText } from '../../src/core/stacks';
import { bestSourceMatch, sourceGlob } from '../../src/panel/source-match';
import { EventStore } from '../../webview/src/store';
import { RowFilter } from '../../webview/src/view';
import { countSameStack, groupByStack } from '../../webview/src/stack-groups';
import { CSV_COLUMNS, csvRow } from '../../webview/src/format';

const plain = (s: string) => s;

const base: UnlinkEvent = {
  type: 'unlink', time: '2026-12-03T10:00:00.000000000Z', ktime_ns: 1, pid: 10, tid: 10, ppid: 1, uid: 0, gid: 0, comm: 'victim', exe: '/opt/victim',
  cwd: '/', ancestors: [], cgroup: '/', container: null, ret: 0, probe: 'fentry:vfs_unlink', op: 'unlink', path: '/srv/a', dev: 1, ino: 2, last_link: true,
};
const K: KernelFrame[] = [{ addr: '0xffffffff81234567', sym: 'vfs_unlink', off: 0x12 }, { addr: '0xffffffff81200000', sym: 'do_unlinkat', off: 0x1a0 }];
/** The same code path in another process: other addresses (ASLR), same functions. */
const user = (shift: number): UserFrame[] => [
  { addr: `0x${(0x7f0000001000 + shift).toString(16)}`, sym: 'unlink', off: 11, file: '/usr/lib/libc.so.6', file_off: 0x1000 },
  { addr: `0x${(0x401000 + shift).toString(16)}`, sym: 'delete_it', off: 0x14, file: '/opt/victim', file_off: 0x1000, inferred: true },
  { addr: `0x${(0x402000 + shift).toString(16)}`, sym: 'main', off: 0x30, file: '/opt/victim', file_off: 0x2000 },
];
const OTHER: UserFrame[] = [{ addr: '0x7f0000001000', sym: 'unlink', off: 11 }, { addr: '0x403000', sym: 'rotate_logs', off: 8 }];

test('frame text: sym+0xoff [module], sym+0xoff (file) or file:line, the address without a name', () => {
  assert.equal(kernelFrameText(K[0], plain), 'vfs_unlink+0x12');
  assert.equal(kernelFrameText({ addr: '0xffffffffc0001000', sym: 'xfs_remove', off: 0x40, module: 'xfs' }, plain), 'xfs_remove+0x40 [xfs]');
  assert.equal(kernelFrameText({ addr: '0xffffffffc0001000', sym: 'entry', off: 0 }, plain), 'entry', 'no +0x0');
  assert.equal(kernelFrameText({ addr: '0xffffffff81000010' }, plain), '0xffffffff81000010');
  assert.equal(userFrameText(user(0)[0], plain), 'unlink+0xb (libc.so.6)');
  assert.equal(userFrameText({ addr: '0x4a5b6c', sym: 'main.deleteIt', off: 0x2c, file: '/opt/gov', file_off: 1, src: '/home/u/victim/main.go', line: 42 }, plain), 'main.deleteIt+0x2c  main.go:42');
  assert.equal(userFrameText({ addr: '0x7ffd1000', file: '/opt/x', file_off: 3 }, plain), '0x7ffd1000 (x)');
  assert.equal(userFrameText({ addr: '0x7ffd1000' }, plain), '0x7ffd1000');
  // the escaper sees every name, with its exact bytes when they are not UTF-8
  const seen: Array<[string, string | undefined]> = [];
  userFrameText({ addr: '0x1', sym: 'd\ufffd', sym_b64: 'ZP8=', off: 1, file: '/o/v', file_off: 0 }, (s, b) => (seen.push([s, b]), s));
  assert.deepEqual(seen, [['d\ufffd', 'ZP8='], ['/o/v', undefined]]);
});

test('signature: the functions of both stacks, not the addresses; null without stacks', () => {
  const a = stackSignature({ kstack: K, ustack: user(0) });
  assert.equal(a, 'user: unlink < delete_it < main | kernel: vfs_unlink < do_unlinkat');
  assert.equal(stackSignature({ kstack: K, ustack: user(0x10000) }), a, 'another process, other addresses: the same path');
  assert.notEqual(stackSignature({ kstack: K, ustack: OTHER }), a);
  assert.equal(stackSignature({}), null);
  assert.equal(stackSignature({ ustack: [{ addr: '0x1234', file: '/opt/x', file_off: 0x34 }, { addr: '0x99' }] }), 'user: x+0x34 < 0x99');
  assert.equal(stackSignature({ kstack: [], kstack_error: -14, ustack: [] }), 'user: (no frames) | kernel: (error -14)');
  const deep = stackSignature({ ustack: Array.from({ length: 130 }, (_, i) => ({ addr: '0x1', sym: `${'f'.repeat(100)}${i}` })) })!;
  assert.ok(deep.length <= MAX_SIGNATURE, `${deep.length}`);
  const deeper = stackSignature({ ustack: Array.from({ length: 130 }, (_, i) => ({ addr: '0x1', sym: `${'f'.repeat(100)}${i === 129 ? 'X' : i}` })) })!;
  assert.notEqual(deep, deeper, 'cut signatures still differ by their hash');
});

test('the store keeps stacks exactly, shares one string per stack, and keeps unreadable stacks in the event', () => {
  const s = new EventStore(100);
  const evs: KwEvent[] = [
    { ...base, kstack: K, ustack: user(0) },
    { ...base, pid: 11, kstack: K, ustack: user(0) },
    { ...base, kstack: [], kstack_error: -14, ustack: user(0x1000) },
    { ...base, kstack: [{ addr: 'nope' }] as unknown as KernelFrame[], ustack: [] },
    base,
  ];
  const first = s.add(evs);
  evs.forEach((e, i) => assert.deepEqual(s.get(first + i), e, `event ${i}`));
  assert.equal(s.stackId(first), s.stackId(first + 1), 'the same stacks: one interned string');
  assert.equal(s.stackId(first + 3), 0, 'stacks that fail validateStacks are not grouped ...');
  assert.deepEqual((s.extraOf(first + 3) as Record<string, unknown>).kstack, [{ addr: 'nope' }], '... but stay in the event');
  assert.equal(s.stackSignatureOf(first + 4), '');
});

test('stack groups: two events by one path, one by another; counts, first and last, and the stack filter', () => {
  const s = new EventStore(100);
  const at = (sec: number) => `2026-12-03T10:00:${String(sec).padStart(2, '0')}.000000000Z`;
  const first = s.add([
    { ...base, time: at(5), kstack: K, ustack: user(0) },
    { ...base, time: at(1), kstack: K, ustack: OTHER },
    { ...base, time: at(9), pid: 99, kstack: K, ustack: user(0x20000) }, // same path, another process
    base, // no stacks
  ]);
  const all = (visit: (seq: number) => void) => { for (let q = s.firstSeq; q < s.nextSeq; q++) visit(q); };
  const g = groupByStack(s, all);
  assert.deepEqual(g.groups.map((x) => x.count), [2, 1]);
  assert.equal(g.groups[0].signature, stackSignature({ kstack: K, ustack: user(0) }));
  assert.deepEqual([g.groups[0].first, g.groups[0].last], [first, first + 2]);
  assert.deepEqual([g.without, g.total], [1, 4]);
  assert.equal(countSameStack(s, s.stackSignatureOf(first)), 2);
  assert.equal(countSameStack(s, s.stackSignatureOf(first + 1)), 1);
  assert.equal(countSameStack(s, ''), 0);
  const f = new RowFilter({ ...EMPTY_FILTERS, stack: g.groups[0].signature }, {});
  assert.ok(f.active);
  assert.deepEqual([0, 1, 2, 3].map((i) => f.test(s, first + i)), [true, false, true, false]);
  // free text finds a function of a stack
  const t = new RowFilter({ ...EMPTY_FILTERS, text: 'rotate_logs' }, {});
  assert.deepEqual([0, 1, 2, 3].map((i) => t.test(s, first + i)), [false, true, false, false]);
});

test('source match: by file name, then the longest matching directory tail, then the shortest path', () => {
  assert.equal(sourceGlob('/home/ci/go/src/github.com/acme/vm/cmd/main.go'), '**/main.go');
  assert.equal(sourceGlob('/b/we[ir]d*.go'), '**/we?ir?d?.go', 'glob characters match any one, the name is compared after');
  assert.equal(sourceGlob('/'), null);
  const ws = ['/ws/tools/main.go', '/ws/vm/cmd/main.go', '/ws/vendor/github.com/acme/vm/cmd/main.go', '/ws/vm/cmd/main_test.go'];
  assert.equal(bestSourceMatch('/home/ci/src/github.com/acme/vm/cmd/main.go', ws), '/ws/vendor/github.com/acme/vm/cmd/main.go');
  assert.equal(bestSourceMatch('/build/vm/cmd/main.go', ws), '/ws/vm/cmd/main.go');
  assert.equal(bestSourceMatch('/elsewhere/main.go', ws), '/ws/tools/main.go', 'name only: the shortest path');
  assert.equal(bestSourceMatch('/x/other.go', ws), undefined);
  assert.equal(bestSourceMatch('/x/we?d.go', ['/ws/weird.go']), undefined, 'a glob-matched candidate must have the exact name');
  assert.equal(bestSourceMatch('C:\\b\\vm\\cmd\\main.go', ['C:\\ws\\vm\\cmd\\main.go', 'C:\\ws\\main.go']), 'C:\\ws\\vm\\cmd\\main.go');
});

test('CSV export: the stacks as frame text in two appended columns; unreadable stacks as they came', () => {
  const col = (name: string) => CSV_COLUMNS.indexOf(name as (typeof CSV_COLUMNS)[number]);
  // appended after the columns before them (older columns keep their positions), and the calls' after them
  const k = col('kstack');
  assert.deepEqual(CSV_COLUMNS.slice(k - 1, k + 3), ['layer', 'kstack', 'ustack', 'func'], 'appended: older columns keep their positions');
  const cells = (e: Record<string, unknown>) => csvRow(e).split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/);
  const row = cells({ ...base, kstack: K, ustack: user(0) });
  assert.equal(row[col('kstack')], 'vfs_unlink+0x12 < do_unlinkat+0x1a0');
  assert.equal(row[col('ustack')], 'unlink+0xb (libc.so.6) < delete_it+0x14 (victim) < main+0x30 (victim)');
  const err = cells({ ...base, kstack: [], kstack_error: -14, ustack: [] });
  assert.deepEqual([err[col('kstack')], err[col('ustack')]], ['(error -14)', '']);
  assert.deepEqual([cells(base as unknown as Record<string, unknown>)[col('kstack')]], ['']);
  assert.equal(cells({ ...base, kstack: [null] })[col('kstack')], '[null]');
});
