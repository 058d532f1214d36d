// The webview -> host message validators: accept exactly the contract, reject everything else
// with a one-line reason (the webview renders attacker-controlled names; treat it as untrusted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateStacks, validateViewState, validateWebviewMessage, CONTRACT_VERSION, EMPTY_FILTERS } from '../../src/contract';

const ok = (m: unknown) => {
  const v = validateWebviewMessage(m);
  assert.ok(v.ok, v.ok ? '' : v.error);
  return v.ok ? v.value : undefined;
};
const bad = (m: unknown, re: RegExp) => {
  const v = validateWebviewMessage(m);
  assert.equal(v.ok, false, `accepted ${JSON.stringify(m)}`);
  if (!v.ok) {
    assert.match(v.error, re);
    assert.ok(!v.error.includes('\n'), 'one line');
  }
};

test('accepts every message of the contract', () => {
  assert.deepEqual(ok({ type: 'ready', traceId: null, contract: CONTRACT_VERSION }), { type: 'ready', traceId: null, contract: 1 });
  assert.deepEqual(ok({ type: 'openPath', traceId: 't', hostId: 'local', pathB64: Buffer.from('/tmp/\xff', 'latin1').toString('base64'), field: 'path' }),
    { type: 'openPath', traceId: 't', hostId: 'local', pathB64: 'L3RtcC//', field: 'path' });
  ok({ type: 'showKernelSymbol', traceId: 't', hostId: 'h', symbol: 'vfs_unlink', probe: 'fentry:vfs_unlink' });
  ok({ type: 'showKernelSymbol', traceId: 't', hostId: 'h', symbol: 'do_unlinkat.cold', probe: '' });
  ok({ type: 'exportBegin', traceId: 't', format: 'csv', count: 10 });
  ok({ type: 'exportChunk', traceId: 't', exportId: 1, data: 'a,b\n', last: true });
  ok({ type: 'stopTrace', traceId: 't' });
  ok({ type: 'resumeTrace', traceId: 't' });
  ok({ type: 'restartTrace', traceId: 't' });
});

test('rejects unknown types, extra fields and wrong shapes', () => {
  bad(null, /not an object/);
  bad([], /not an object/);
  bad({ type: 'runShell', cmd: 'rm -rf /' }, /unknown message type "runShell"/);
  bad({ type: '__proto__' }, /unknown message type/);
  bad({ type: 'toString' }, /unknown message type/);
  bad({ type: 'stopTrace', traceId: 't', extra: 1 }, /unexpected field 'extra'/);
  bad({ type: 'stopTrace', traceId: '' }, /traceId is empty/);
  bad({ type: 'stopTrace', traceId: 5 }, /traceId must be a string/);
  bad({ type: 'restartTrace', traceId: 't', options: { families: ['exec'] } }, /unexpected field 'options'/);
  bad({ type: 'openPath', traceId: 't', hostId: 'h', pathB64: 'not base64!', field: 'path' }, /pathB64 is not non-empty base64/);
  bad({ type: 'openPath', traceId: 't', hostId: 'h', pathB64: '', field: 'path' }, /pathB64/);
  bad({ type: 'openPath', traceId: 't', hostId: 'h', pathB64: 'L3Rt', field: 'etc' }, /field must be one of/);
  bad({ type: 'openPath', traceId: 't', hostId: 'h', pathB64: 'A'.repeat(70000), field: 'path' }, /longer than 65536/);
  bad({ type: 'showKernelSymbol', traceId: 't', hostId: 'h', symbol: 'vfs_unlink; rm -rf /', probe: '' }, /not a kernel symbol name/);
  bad({ type: 'showKernelSymbol', traceId: 't', hostId: 'h', symbol: '../../etc/passwd', probe: '' }, /not a kernel symbol name/);
  bad({ type: 'showKernelSymbol', traceId: 't', hostId: 'h', symbol: 'x', probe: 'a\nb' }, /control characters/);
  bad({ type: 'exportBegin', traceId: 't', format: 'xlsx', count: 1 }, /format must be one of jsonl, csv/);
  bad({ type: 'exportBegin', traceId: 't', format: 'csv', count: -1 }, /count must be an integer/);
  bad({ type: 'exportChunk', traceId: 't', exportId: 0, data: '', last: true }, /exportId/);
  bad({ type: 'exportChunk', traceId: 't', exportId: 1, data: '', last: 'yes' }, /last must be a boolean/);
  bad({ type: 'ready', traceId: null, contract: 1.5 }, /contract must be an integer/);
});

test('view state from the serializer is checked too', () => {
  const good = {
    contract: CONTRACT_VERSION, traceId: 't', hostId: 'local', title: 'x', filters: { ...EMPTY_FILTERS, pid: '42' },
    columns: ['time', 'path'], sort: { column: 'path', descending: true }, scrollRow: 10, detailsOpen: true,
  };
  const v = validateViewState(good);
  assert.ok(v.ok);
  assert.equal(validateViewState({ ...good, contract: 0 }).ok, false);
  const c = validateViewState({ ...good, columns: ['time', 'evil'] });
  assert.ok(!c.ok && /columns/.test(c.error));
  const s = validateViewState({ ...good, sort: { column: 'nope', descending: false } });
  assert.ok(!s.ok && /sort.column/.test(s.error));
  const f = validateViewState({ ...good, filters: { ...EMPTY_FILTERS, type: 'boom' } });
  assert.ok(!f.ok && /filters.type/.test(f.error));
});

test('view state: the pod, namespace and container filters are checked, and absent in an older state means off', () => {
  const state = (filters: unknown) => ({
    contract: CONTRACT_VERSION, traceId: 't', hostId: 'local', title: 'x', filters,
    columns: ['time', 'pod', 'path_pod'], sort: { column: 'pod', descending: false }, scrollRow: 0, detailsOpen: true,
  });
  const v = validateViewState(state({ ...EMPTY_FILTERS, pod: 'shop/cart-*', namespace: 'shop', container: 'api' }));
  assert.ok(v.ok && v.value.filters.pod === 'shop/cart-*' && v.value.filters.namespace === 'shop' && v.value.filters.container === 'api');
  assert.deepEqual(v.ok && v.value.columns, ['time', 'pod', 'path_pod']);
  // saved by a panel from before these filters existed
  const { pod: _p, namespace: _n, container: _c, ...older } = EMPTY_FILTERS;
  const o = validateViewState(state(older));
  assert.ok(o.ok, o.ok ? '' : o.error);
  assert.deepEqual(o.ok && o.value.filters, EMPTY_FILTERS);
  const bad = validateViewState(state({ ...EMPTY_FILTERS, pod: 42 }));
  assert.ok(!bad.ok && /filters.pod must be a string/.test(bad.error));
  const long = validateViewState(state({ ...EMPTY_FILTERS, namespace: 'x'.repeat(300) }));
  assert.ok(!long.ok && /filters.namespace is longer/.test(long.error));
});

test('openSource: a source position of a user stack frame, checked', () => {
  assert.deepEqual(ok({ type: 'openSource', traceId: 't', src: '/home/u/src/victim/main.go', line: 42 }), { type: 'openSource', traceId: 't', src: '/home/u/src/victim/main.go', line: 42 });
  bad({ type: 'openSource', traceId: 't', src: '/x/main.go', line: 0 }, /line must be an integer in \[1,/);
  bad({ type: 'openSource', traceId: 't', src: '/x/main.go', line: 1.5 }, /line must be an integer/);
  bad({ type: 'openSource', traceId: 't', src: '', line: 1 }, /src is empty/);
  bad({ type: 'openSource', traceId: 't', src: '/x/a\nb.go', line: 1 }, /control characters/);
  bad({ type: 'openSource', traceId: 't', src: 'x'.repeat(9000), line: 1 }, /src is longer than 8192/);
  bad({ type: 'openSource', traceId: 't', src: '/x/main.go', line: 1, hostId: 'h' }, /unexpected field 'hostId'/);
});

const KFRAME = { addr: '0xffffffff81234567', sym: 'vfs_unlink', off: 18, module: 'xfs' };
const UFRAME = { addr: '0x401234', sym: 'del\ufffd', sym_b64: 'ZGVs/w==', off: 20, file: '/opt/victim', file_off: 4660, build_id: 'a1b2', inferred: true };
const GOFRAME = { addr: '0x4a5b6c', sym: 'main.deleteIt', off: 44, file: '/opt/gov', file_off: 1, src: '/home/u/main.go', line: 42 };

test('validateStacks accepts what the agent sends: kernel and user frames, inferred, non-UTF-8 names, errors', () => {
  const e = { type: 'unlink', pid: 1, kstack: [KFRAME, { addr: '0x0' }], ustack: [UFRAME, GOFRAME], ustack_error: -14 };
  const v = validateStacks(e);
  assert.ok(v.ok, v.ok ? '' : v.error);
  assert.deepEqual(v.ok && v.value, { kstack: [KFRAME, { addr: '0x0' }], ustack: [UFRAME, GOFRAME], ustack_error: -14 });
  const none = validateStacks({ type: 'unlink', pid: 1 });
  assert.deepEqual(none.ok && none.value, {}, 'an event without stacks: nothing');
  const empty = validateStacks({ kstack: [], kstack_error: -14, ustack: [] });
  assert.ok(empty.ok);
  assert.ok(validateStacks({ kstack: Array.from({ length: 130 }, () => KFRAME) }).ok, '130 frames');
});

test('validateStacks rejects bad frames with a one-line reason', () => {
  const no = (e: Record<string, unknown>, re: RegExp) => {
    const v = validateStacks(e);
    assert.equal(v.ok, false, `accepted ${JSON.stringify(e).slice(0, 200)}`);
    if (!v.ok) {
      assert.match(v.error, re);
      assert.ok(!v.error.includes('\n'));
    }
  };
  no({ kstack: Array.from({ length: 131 }, () => KFRAME) }, /kstack has 131 frames, more than 130/);
  no({ ustack: 'unlink < main' }, /ustack must be an array of frames/);
  no({ kstack: [null] }, /kstack\[0\] is not an object/);
  no({ kstack: [{ ...KFRAME, addr: 18446744073709551615 }] }, /kstack\[0\]\.addr must be a string/);
  no({ kstack: [{ ...KFRAME, addr: '0xFFFF' }] }, /addr must be 0x and 1 to 16 lowercase hex digits/);
  no({ kstack: [{ ...KFRAME, addr: '0x1ffffffffffffffff' }] }, /addr is longer than 18/);
  no({ kstack: [KFRAME, { ...KFRAME, sym: 7 }] }, /kstack\[1\]\.sym must be a string/);
  no({ kstack: [{ ...KFRAME, file: '/x' }] }, /kstack\[0\]: unexpected field 'file'/);
  no({ ustack: [{ ...UFRAME, module: 'x' }] }, /ustack\[0\]: unexpected field 'module'/);
  no({ ustack: [{ ...UFRAME, off: -1 }] }, /off must be a non-negative integer/);
  no({ ustack: [{ addr: '0x1', off: 3 }] }, /off without sym/);
  no({ ustack: [{ ...GOFRAME, line: undefined }] }, /src and line come together/);
  no({ ustack: [{ ...GOFRAME, line: -1 }] }, /line must be an integer/);
  no({ ustack: [{ ...UFRAME, inferred: false }] }, /inferred must be true/);
  no({ ustack: [{ ...UFRAME, sym_b64: 'not base64!' }] }, /sym_b64 is not base64/);
  no({ ustack: [{ addr: '0x1', file_b64: 'AAAA' }] }, /file_b64 without file/);
  no({ ustack: [{ ...UFRAME, build_id: 'XYZ' }] }, /build_id must be lowercase hex/);
  no({ ustack: [{ ...UFRAME, sym: 'x'.repeat(9000) }] }, /sym is longer than 8192/);
  no({ kstack_error: -14 }, /kstack_error without kstack/);
  no({ kstack: [], kstack_error: 14 }, /kstack_error must be an integer in \[-2147483648, -1\]/);
});

test('view state: the stack filter (a signature) is kept, bounded, and absent in an older state', () => {
  const state = (filters: unknown) => ({
    contract: CONTRACT_VERSION, traceId: 't', hostId: 'local', title: 'x', filters,
    columns: ['time', 'path'], sort: { column: 'time', descending: false }, scrollRow: 0, detailsOpen: true,
  });
  const v = validateViewState(state({ ...EMPTY_FILTERS, stack: 'user: unlink < main | kernel: vfs_unlink' }));
  assert.ok(v.ok && v.value.filters.stack === 'user: unlink < main | kernel: vfs_unlink');
  const off = validateViewState(state({ ...EMPTY_FILTERS, stack: '' }));
  assert.ok(off.ok && !('stack' in off.value.filters));
  const long = validateViewState(state({ ...EMPTY_FILTERS, stack: 'x'.repeat(5000) }));
  assert.ok(!long.ok && /filters.stack is longer than 4096/.test(long.error));
  const wrong = validateViewState(state({ ...EMPTY_FILTERS, stack: ['a'] }));
  assert.ok(!wrong.ok && /filters.stack must be a string/.test(wrong.error));
});
