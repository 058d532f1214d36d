// The built panel with `--stacks` events (issue 13, "why, not just who"): both stacks in the
// details pane, a kernel frame to the Kernel Symbol view, a source position to the workspace,
// hostile frame names as inert text, and the events grouped by the code path they came by.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { initTrace, panel, posted, send, settle, startRig, type Rig } from './harness';

let rig: Rig;
before(async () => { rig = await startRig(); });
after(async () => { await rig?.close(); });

const base = {
  time: '2026-12-03T10:00:00.000000000Z', ktime_ns: 1, pid: 4242, tid: 4242, ppid: 1, uid: 0, gid: 0, comm: 'kw-stack-victim', exe: '/opt/kw-stack-victim',
  cwd: '/srv', ancestors: [{ pid: 1, comm: 'systemd', exe: '/usr/lib/systemd/systemd' }], cgroup: '/', container: null, ret: 0,
  probe: 'fentry:vfs_unlink', op: 'unlink', dev: 2049, ino: 7, last_link: true,
};
const KSTACK = [
  { addr: '0xffffffff81234567', sym: 'vfs_unlink', off: 0x12 },
  { addr: '0xffffffffc0a01000', sym: 'xfs_remove', off: 0x40, module: 'xfs' },
  { addr: '0xffffffff81000010' },
];
/** The same code path at other addresses (another process: ASLR) when shifted. */
const ustack = (shift: number) => [
  { addr: `0x${(0x7f0000001000 + shift).toString(16)}`, sym: 'unlink', off: 11, file: '/usr/lib/x86_64-linux-gnu/libc.so.6', file_off: 0x1000, build_id: 'a1b2c3' },
  { addr: `0x${(0x401000 + shift).toString(16)}`, sym: 'delete_it', off: 0x14, file: '/opt/kw-stack-victim', file_off: 0x1000, inferred: true },
  { addr: `0x${(0x4a5b6c + shift).toString(16)}`, sym: 'main.deleteIt', off: 0x2c, file: '/opt/gov', file_off: 0xa5b6c, src: '/home/ci/victim/main.go', line: 42 },
];
const HOSTILE = '<img src=x onerror="window.__kw.pwned++">\u001b[2J\u202e';
const EVENTS = [
  { ...base, type: 'unlink', path: '/srv/disk.img', kstack: KSTACK, ustack: ustack(0) },
  { ...base, type: 'unlink', path: '/srv/other.img', pid: 4343, tid: 4343, kstack: KSTACK, ustack: ustack(0x10000) },
  {
    ...base, type: 'unlink', path: '/var/log/old.log', comm: 'logrotate', kstack: [...KSTACK, { addr: '0xffffffff81000020', sym: 'd\ufffd', sym_b64: 'ZP8=', off: 1 }],
    ustack: [{ addr: '0x403000', sym: HOSTILE, off: 8, file: '/usr/sbin/logrotate', file_off: 0x3000 }], ustack_error: undefined,
  },
];

async function selectRow(page: Page, i: number): Promise<string> {
  await panel(page, 'p.scrollToRow(0)');
  await settle(page, 50);
  await page.locator('.vt-row').nth(i).locator('.vt-cell').first().click();
  await settle(page, 50);
  return (await page.textContent('#details'))!;
}
const rows = (page: Page) => panel<number>(page, 'p.rows');

test('stacks in the details pane: one line per frame, kernel frames to the symbol view, a source line to the workspace', async () => {
  const page = (await rig.newPage()).page;
  await initTrace(page, 'ts1');
  await send(page, { type: 'events', traceId: 'ts1', replay: false, events: EVENTS });
  await settle(page, 50);
  const text = await selectRow(page, 0);
  const frames = async (id: string) => (await page.locator(`#details #${id} li`).allTextContents()).map((t) => t.trim());
  assert.ok(text.includes('Kernel stack (3 frames)'), text);
  assert.deepEqual(await frames('kstack'), ['vfs_unlink+0x12', 'xfs_remove+0x40 [xfs]', '0xffffffff81000010']);
  assert.ok(text.includes('User stack (3 frames)'), text);
  assert.deepEqual(await frames('ustack'), ['unlink+0xb (libc.so.6)', 'delete_it+0x14 (kw-stack-victim) (from stack pointer)', 'main.deleteIt+0x2c  main.go:42']);
  assert.equal(await page.locator('#ustack .inferred').count(), 1, 'the frame found at the stack pointer is marked');
  assert.match((await page.textContent('#stack-share'))!, /2 events in this panel share this stack/);
  // the stack fields are sections, never raw rows of the event
  assert.ok(!text.includes('"addr"'), 'no stack JSON in the fields');
  // a named kernel frame is a link to the Kernel Symbol view; the unnamed one is text
  assert.equal(await page.locator('#kstack a').count(), 2);
  await page.locator('#kstack a', { hasText: 'xfs_remove+0x40' }).click();
  let sym = (await posted(page)).filter((m) => m.type === 'showKernelSymbol');
  assert.deepEqual(sym, [{ type: 'showKernelSymbol', traceId: 'ts1', hostId: 'local', symbol: 'xfs_remove', probe: '' }]);
  await page.locator('#kstack a', { hasText: 'vfs_unlink+0x12' }).click();
  sym = (await posted(page)).filter((m) => m.type === 'showKernelSymbol');
  assert.equal(sym[1].symbol, 'vfs_unlink');
  // a frame with its source position opens the file from the workspace; one without is text
  assert.equal(await page.locator('#ustack a').count(), 1);
  await page.locator('#ustack a', { hasText: 'main.go:42' }).click();
  const src = (await posted(page)).filter((m) => m.type === 'openSource');
  assert.deepEqual(src, [{ type: 'openSource', traceId: 'ts1', src: '/home/ci/victim/main.go', line: 42 }]);
  await page.close();
});

test('hostile frame names are inert text; a kernel name that is not UTF-8 is no link', async () => {
  const page = (await rig.newPage()).page;
  await initTrace(page, 'ts2');
  await send(page, { type: 'events', traceId: 'ts2', replay: false, events: EVENTS });
  await settle(page, 50);
  const text = await selectRow(page, 2);
  assert.ok(text.includes('<img src=x onerror="window.__kw.pwned++">\\e[2J\\u202e+0x8 (logrotate)'), text);
  assert.equal(await page.locator('#details img').count(), 0);
  assert.equal(await page.evaluate('window.__kw.pwned'), 0);
  assert.deepEqual((await page.locator('#kstack li').allTextContents()).slice(-1), ['d\\xff+0x1']);
  assert.equal(await page.locator('#kstack a', { hasText: 'd\\xff' }).count(), 0);
  assert.match((await page.textContent('#stack-share'))!, /No other event in this panel has this stack/);
  await page.close();
});

test('group by stack: two events by one code path, one by another; a group filters the table', async () => {
  const page = (await rig.newPage()).page;
  await initTrace(page, 'ts3');
  // the three events with stacks, and one of a trace without them
  await send(page, { type: 'events', traceId: 'ts3', replay: false, events: [...EVENTS, { ...base, type: 'unlink', path: '/srv/plain' }] });
  await settle(page, 50);
  assert.equal(await rows(page), 4);
  await selectRow(page, 1);
  await page.locator('#group-by-stack').click();
  await settle(page, 50);
  const groups = page.locator('#stack-groups tbody tr');
  assert.equal(await groups.count(), 2);
  assert.deepEqual(await page.locator('#stack-groups td.sg-count').allTextContents(), ['2', '1']);
  assert.match((await groups.nth(0).locator('.sg-sig').textContent())!, /^user: unlink < delete_it < main\.deleteIt \| kernel: vfs_unlink < xfs_remove < 0xffffffff81000010$/);
  assert.match((await page.textContent('#details'))!, /3 events in view carry a stack, 1 do not/);
  // a group shows only its events, and says so in a chip; the groups stay, that one marked
  await groups.nth(0).click();
  await settle(page);
  assert.equal(await rows(page), 2);
  const paths = await panel<string[]>(page, 'Array.from({ length: p.rows }, (_, i) => p.event(p.seqAt(i)).path)');
  assert.deepEqual(paths, ['/srv/disk.img', '/srv/other.img']);
  assert.equal(await page.locator('#f-stack').isVisible(), true);
  assert.match((await page.textContent('#f-stack'))!, /stack user: unlink < delete_it/);
  assert.deepEqual(await page.locator('#stack-groups td.sg-count').allTextContents(), ['2', '1'], 'the groups count the other filters only');
  assert.equal(await page.locator('#stack-groups tr.current').count(), 1);
  // the other group, then the chip's × : every row again
  await groups.nth(1).click();
  await settle(page);
  assert.equal(await rows(page), 1);
  await page.locator('#f-stack .chip-x').click();
  await settle(page);
  assert.equal(await rows(page), 4);
  assert.equal(await page.locator('#f-stack').isVisible(), false);
  // another filter narrows the groups too
  await page.locator('#f-comm input').fill('logrotate');
  await settle(page);
  assert.deepEqual(await page.locator('#stack-groups td.sg-count').allTextContents(), ['1']);
  await page.locator('#details a', { hasText: 'Back to the event' }).click();
  await settle(page, 50);
  assert.ok((await page.textContent('#details'))!.includes('Kernel stack'), 'the selected event again');
  assert.deepEqual(await page.evaluate('window.__kw.cspViolations'), []);
  await page.close();
});
