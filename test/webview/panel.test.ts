// Component tests of the BUILT event panel (dist/webview) in real Chromium, fed by a fake host
// that speaks the message contract. See harness.ts and page-helpers.js.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { initTrace, loadJsonl, panel, posted, send, settle, startRig, type Rig } from './harness';

let rig: Rig;
before(async () => { rig = await startRig(); });
after(async () => { await rig?.close(); });

async function fresh(): Promise<Page> {
  return (await rig.newPage()).page;
}
async function gen(page: Page, traceId: string, from: number, n: number): Promise<void> {
  await page.evaluate(`window.__kw.feedGenerated(${JSON.stringify(traceId)}, ${from}, ${n})`);
  await settle(page);
}
async function typeInto(page: Page, id: string, text: string): Promise<void> {
  const input = page.locator(`#${id} input`);
  await input.fill(text);
  await settle(page);
}
const rows = (page: Page) => panel<number>(page, 'p.rows');

test('loads under the CSP, says ready, no violations', async () => {
  const page = await fresh();
  const ready = (await posted(page)).find((m) => m.type === 'ready');
  assert.deepEqual(ready, { type: 'ready', traceId: null, contract: 1 });
  await initTrace(page, 't1');
  await gen(page, 't1', 0, 300);
  assert.equal(await rows(page), 300);
  assert.match((await page.textContent('#count'))!, /^300 rows$/);
  assert.deepEqual(await page.evaluate('window.__kw.cspViolations'), []);
  // Only the visible rows exist in the DOM.
  const domRows = await page.locator('.vt-row').count();
  assert.ok(domRows > 10 && domRows < 60, `pooled rows: ${domRows}`);
  await page.close();
});

test('per-column filters and free-text search', async () => {
  const page = await fresh();
  await initTrace(page, 'tf');
  await gen(page, 'tf', 0, 3000);
  // Type filter through the vscode-single-select.
  await page.evaluate(`(() => { const s = document.querySelector('#f-type'); s.value = 'exec'; s.dispatchEvent(new Event('change')); })()`);
  await settle(page);
  assert.equal(await rows(page), 1000);
  await page.evaluate(`(() => { const s = document.querySelector('#f-type'); s.value = ''; s.dispatchEvent(new Event('change')); })()`);
  await settle(page);
  assert.equal(await rows(page), 3000);
  await typeInto(page, 'f-pid', '1007');
  assert.equal(await rows(page), 1); // pid = 1000 + i % 5000
  await typeInto(page, 'f-pid', '');
  await typeInto(page, 'f-comm', 'PYTH');
  assert.equal(await rows(page), 3000 / 8);
  await typeInto(page, 'f-comm', '');
  await typeInto(page, 'f-uid', 'root');
  assert.equal(await rows(page), Math.ceil(3000 / 7));
  await typeInto(page, 'f-uid', '');
  await typeInto(page, 'f-glob', '/tmp/w42/*');
  assert.equal(await rows(page), 20); // unlink/create events with i % 100 == 42 -> 30, minus exec (i%3==2) -> 20
  await typeInto(page, 'f-glob', '');
  const result = (v: string) => page.evaluate(`(() => { const s = document.querySelector('#f-result'); s.value = ${JSON.stringify(v)}; s.dispatchEvent(new Event('change')); })()`);
  await result('failed');
  await settle(page);
  assert.equal(await rows(page), Math.ceil(3000 / 13));
  await result('ok');
  await settle(page);
  assert.equal(await rows(page), 3000 - Math.ceil(3000 / 13), 'succeeded: every row the failed switch leaves out');
  await result('');
  await settle(page);
  assert.equal(await rows(page), 3000);
  await typeInto(page, 'f-text', 'file-2999.txt');
  assert.equal(await rows(page), 0); // 2999 % 3 == 2: an exec, no such path
  await typeInto(page, 'f-text', 'file-2998.txt');
  assert.equal(await rows(page), 1);
  await typeInto(page, 'f-text', '--n=2999');
  assert.equal(await rows(page), 1); // argv is searched too
  assert.match((await page.textContent('#count'))!, /^1 row of 3,000$/);
  await page.close();
});

test('sorting by a column header, both directions', async () => {
  const page = await fresh();
  await initTrace(page, 'ts');
  await gen(page, 'ts', 0, 2000);
  await page.locator('.vt-hcell', { hasText: 'Process' }).click();
  await settle(page);
  const asc = await panel<Array<[string, number]>>(page, `Array.from({length: 2000}, (_, i) => { const e = p.event(p.seqAt(i)); return [e.comm, e.pid]; })`);
  for (let i = 1; i < asc.length; i++) {
    const [c0, p0] = asc[i - 1], [c1, p1] = asc[i];
    assert.ok(c0 < c1 || (c0 === c1 && p0 <= p1), `row ${i}: ${c0}/${p0} before ${c1}/${p1}`);
  }
  await page.locator('.vt-hcell', { hasText: 'Process' }).click();
  await settle(page);
  const first = await panel<string>(page, 'p.event(p.seqAt(0)).comm');
  assert.equal(first, 'touch'); // the largest comm first
  assert.match((await page.locator('.vt-hcell', { hasText: 'Process' }).textContent())!, /▼/);
  await page.close();
});

test('pause keeps counting, resume shows what arrived', async () => {
  const page = await fresh();
  await initTrace(page, 'tp');
  await gen(page, 'tp', 0, 100);
  await page.locator('#pause').click();
  await gen(page, 'tp', 100, 250);
  assert.equal(await rows(page), 100);
  assert.equal(await panel<number>(page, 'p.received'), 350);
  assert.match((await page.textContent('#paused'))!, /paused · 250 new/);
  assert.equal((await page.textContent('#pause'))!.trim(), 'Resume');
  await page.locator('#pause').click();
  await settle(page);
  assert.equal(await rows(page), 350);
  // Clear empties the table: no pooled row keeps an old event's text.
  await page.locator('#clear').click();
  await settle(page);
  assert.equal(await rows(page), 0);
  assert.deepEqual((await page.locator('.vt-row .vt-text').allTextContents()).filter((t) => t !== ''), []);
  assert.equal((await page.textContent('#paused'))!.trim(), '');
  await page.close();
});

test('lost badge shows the exact total; stale messages are dropped', async () => {
  const page = await fresh();
  await initTrace(page, 'tl');
  assert.equal((await page.textContent('#lost'))!.trim(), '0');
  await send(page, { type: 'lost', traceId: 'tl', total: 123457 });
  assert.equal((await page.textContent('#lost'))!.trim(), '123457');
  await send(page, { type: 'lost', traceId: 'other-trace', total: 9 });
  await send(page, { type: 'events', traceId: 'other-trace', events: [{ type: 'exec' }], replay: false });
  assert.equal((await page.textContent('#lost'))!.trim(), '123457');
  assert.equal(await rows(page), 0);
  assert.ok(await page.locator('.lost-wrap.has-lost').count());
  await page.close();
});

test("details pane: where the path came from, and the caller's spelling when the kernel's path differs", async () => {
  const page = await fresh();
  await initTrace(page, 'tn');
  const base = { time: '2026-12-02T17:00:00.000000000Z', ktime_ns: 1, pid: 7, tid: 7, ppid: 1, uid: 0, gid: 0, comm: 'rm', exe: '/usr/bin/rm', cwd: '/t', ancestors: [], cgroup: '/', container: null, ret: 0, probe: 'fentry:security_inode_unlink', op: 'unlink', dev: 1, ino: 2, last_link: true };
  await send(page, {
    type: 'events', traceId: 'tn', replay: false, events: [
      { ...base, type: 'unlink', path: '/t/real/f', path_source: 'kernel', named: '/t/f' },
      { ...base, type: 'unlink', path: '/t/ghost', path_source: 'user' },
    ],
  });
  await settle(page, 50);
  await panel(page, 'p.scrollToRow(0)');
  await settle(page, 50);
  await page.locator('.vt-row').nth(0).locator('.vt-cell').first().click();
  await settle(page, 50);
  let text = (await page.textContent('#details'))!;
  assert.ok(text.includes('named as/t/f'), `details lack the spelling: ${text}`);
  assert.ok(text.includes('path fromthe kernel: the file it acted on'), `details lack the source: ${text}`);
  // the spelling is text, never a link that would open whatever it leads to now
  assert.equal(await page.locator('#details a', { hasText: '/t/f' }).count(), 0);
  await page.locator('.vt-row').nth(1).locator('.vt-cell').first().click();
  await settle(page, 50);
  text = (await page.textContent('#details'))!;
  assert.ok(text.includes("path fromthe caller's memory, read after the call"), `details lack the warning: ${text}`);
  assert.ok(!text.includes('named as'), 'a path without a differing spelling shows none');
  await page.close();
});

test("details pane: a container's file by its host path (a link) with the process's view; a file not on the host is text", async () => {
  const page = await fresh();
  await initTrace(page, 'tp');
  const base = { time: '2026-12-03T07:00:00.000000000Z', ktime_ns: 1, pid: 9, tid: 9, ppid: 1, uid: 0, gid: 0, comm: 'rm', exe: '/var/lib/c/merged/usr/bin/rm', cwd: '/var/lib/c/merged/data', ancestors: [], cgroup: '/', container: null, ret: 0, probe: 'tracepoint:syscalls:sys_exit_unlinkat', op: 'unlink', dev: 1, ino: 2, last_link: true };
  await send(page, {
    type: 'events', traceId: 'tp', replay: false, events: [
      { ...base, type: 'unlink', path: '/var/lib/c/merged/data/f', path_source: 'kernel', proc_path: '/data/f', real_path: '/var/lib/c/lower/data/f', layer: 'lower' },
      { ...base, type: 'unlink', path: '/tmp/own', path_source: 'kernel', path_on_host: false },
    ],
  });
  await settle(page, 50);
  await panel(page, 'p.scrollToRow(0)');
  await settle(page, 50);
  await page.locator('.vt-row').nth(0).locator('.vt-cell').first().click();
  await settle(page, 50);
  let text = (await page.textContent('#details'))!;
  assert.ok(text.includes('in the process/data/f'), `details lack the process's view: ${text}`);
  assert.ok(text.includes('lived in (image layer)/var/lib/c/lower/data/f'), `details lack the layer: ${text}`);
  assert.equal(await page.locator('#details a', { hasText: '/var/lib/c/merged/data/f' }).count(), 1, 'the host path opens on the host');
  assert.equal(await page.locator('#details a', { hasText: /^\/data\/f$/ }).count(), 0, "the process's view is text");
  await page.locator('.vt-row').nth(1).locator('.vt-cell').first().click();
  await settle(page, 50);
  text = (await page.textContent('#details'))!;
  assert.ok(text.includes('on the hostno: the file lives on a file system only'), `details do not say the file is not on the host: ${text}`);
  assert.equal(await page.locator('#details a', { hasText: '/tmp/own' }).count(), 0, 'a path the host does not have is never a link');
  assert.ok(text.includes('/tmp/own'), 'the path is still shown');
  await page.close();
});

test('cap drops the oldest and says so', async () => {
  const page = await fresh();
  await initTrace(page, 'tc', [], { config: { maxEvents: 1000 } });
  await gen(page, 'tc', 0, 2500);
  assert.equal(await panel<number>(page, 'p.retained'), 1000);
  assert.equal(await panel<number>(page, 'p.dropped'), 1500);
  assert.equal(await rows(page), 1000);
  assert.equal(await panel<string>(page, 'p.event(p.seqAt(0)).path'), '/tmp/w0/file-1500.txt');
  assert.match((await page.textContent('#dropped'))!, /1,500 oldest dropped \(cap 1,000\)/);
  await page.close();
});

test('details pane: every field, argv, command lines, ancestry filter, probe to kernel symbol', async () => {
  const page = await fresh();
  await initTrace(page, 'td');
  await gen(page, 'td', 0, 30);
  await panel(page, 'p.scrollToRow(0)'); // the live view follows the tail; look at the top
  await settle(page, 50);
  // Row 5 is an exec (5 % 3 == 2).
  await page.locator('.vt-row').nth(5).locator('.vt-cell').first().click();
  await settle(page, 50);
  const text = (await page.textContent('#details'))!;
  for (const s of ['argv', '--n=5', 'ppid', '905', 'cgroup', '/user.slice/user-1000.slice/session-1.scope', 'tracepoint:sched:sched_process_exec', 'Ancestry: this process and 2 ancestors', 'systemd (1)']) {
    assert.ok(text.includes(s), `details lack ${s}`);
  }
  // the process's command line, and each ancestor's under it (quoted like a shell would)
  assert.ok(text.includes('cmdlinecc1 --job=5'), `details lack the command line: ${text}`);
  assert.ok(text.includes(`bash -c 'make all'`), 'details lack the ancestor\'s command line');
  assert.ok(text.includes('/sbin/init'), 'details lack the init command line');
  await page.locator('#details a', { hasText: 'tracepoint:sched:sched_process_exec' }).click();
  const sym = (await posted(page)).find((m) => m.type === 'showKernelSymbol');
  assert.deepEqual(sym, { type: 'showKernelSymbol', traceId: 'td', hostId: 'local', symbol: 'sched_process_exec', probe: 'tracepoint:sched:sched_process_exec' });
  // Clicking an ancestor filters on it and its descendants.
  await page.locator('#details .ancestry a', { hasText: 'bash (905)' }).click();
  await settle(page);
  assert.equal(await rows(page), 1); // events 5 only among 0..29 have ppid 905 ... and their own pid never is 905
  assert.match((await page.textContent('#f-ancestor'))!, /descendants of pid 905/);
  await page.locator('#f-ancestor .chip-x').click();
  await settle(page);
  assert.equal(await rows(page), 30);
  // free text finds the script's option: only python3 /srv/cleaner.py --mode nightly (i % 8 == 3)
  await typeInto(page, 'f-text', 'nightly');
  assert.equal(await rows(page), 4);
  // The selected exec (row 5) is not among them: its details stay, saying the filters hide it.
  assert.match((await page.textContent('#details-hidden-note'))!, /Not in the table: the filters hide this event/);
  assert.ok((await page.textContent('#details'))!.includes('--n=5'), 'the details still show what was being read');
  await typeInto(page, 'f-text', '');
  assert.equal(await page.locator('#details-hidden-note').count(), 0, 'back in the table: no note');
  await typeInto(page, 'f-text', 'nightly');
  await page.locator('#details-hidden-note a', { hasText: 'Close it' }).click();
  await settle(page, 50);
  assert.match((await page.textContent('#details'))!, /Select an event to see every field/);
  await page.close();
});

test('details pane: container runtime, name and pod; the pod that owned a deleted path', async () => {
  const page = await fresh();
  await initTrace(page, 'tk');
  // event 0 is an unlink by a container's process; here, of a file in another pod's volume
  await page.evaluate(`(() => {
    const e = window.__kw.makeEvent(0);
    e.path = '/var/lib/kubelet/pods/9c5b94b1-35ad-49bb-b118-8e8fc24abf80/volumes/kubernetes.io~empty-dir/data/disk.img';
    e.path_pod = { namespace: 'vms', name: 'virt-launcher-vm1-x2x', uid: '9c5b94b1-35ad-49bb-b118-8e8fc24abf80' };
    window.__kw.send({ type: 'events', traceId: 'tk', events: [e], replay: false });
  })()`);
  await settle(page);
  await page.locator('.vt-row').first().locator('.vt-cell').first().click();
  await settle(page, 50);
  const text = (await page.textContent('#details'))!;
  for (const s of ['podshop/cart-7d9f (1b4e28ba-2fa1-11d2-883f-0016d3cca427)', 'container_nameapi', 'runtimecontainerd', 'path of podvms/virt-launcher-vm1-x2x (9c5b94b1-35ad-49bb-b118-8e8fc24abf80)']) {
    assert.ok(text.includes(s), `details lack ${s}: ${text}`);
  }
  // free text finds the pod by name
  await gen(page, 'tk', 1, 32);
  await typeInto(page, 'f-text', 'cart-7d9f');
  assert.equal(await rows(page), 3); // events 0, 11, 22 run in the container
  await page.close();
});

test('keyboard navigation moves the selection and scrolls', async () => {
  const page = await fresh();
  await initTrace(page, 'tk');
  await gen(page, 'tk', 0, 5000);
  await panel(page, 'p.scrollToRow(0)');
  await settle(page, 50);
  await page.locator('.vt-row').nth(0).locator('.vt-cell').first().click();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await settle(page, 50);
  assert.equal(await panel<number>(page, 'p.selected'), await panel<number>(page, 'p.seqAt(2)'));
  await page.keyboard.press('End');
  await settle(page, 50);
  assert.equal(await panel<number>(page, 'p.selected'), await panel<number>(page, 'p.seqAt(4999)'));
  assert.ok((await panel<number>(page, 'p.firstVisibleRow()')) > 4900);
  await page.keyboard.press('Home');
  await settle(page, 50);
  assert.equal(await panel<number>(page, 'p.firstVisibleRow()'), 0);
  await page.close();
});

test('column chooser adds and removes columns', async () => {
  const page = await fresh();
  await initTrace(page, 'tcol');
  await page.locator('#columns').click();
  await page.locator('#columns-popover vscode-checkbox[data-col="cwd"]').click();
  await page.locator('#columns-popover vscode-checkbox[data-col="container"]').click();
  await settle(page, 50);
  const heads = await page.locator('.vt-hcell').allTextContents();
  assert.ok(heads.some((h) => h.startsWith('Cwd')));
  assert.ok(!heads.some((h) => h.startsWith('Container')));
  await page.close();
});

test('links post the exact bytes, including invalid UTF-8', async () => {
  const page = await fresh();
  const hostile = loadJsonl('hostile.jsonl');
  await initTrace(page, 'tb', hostile);
  // Row 4 has path bytes ff fe (not UTF-8): the cell shows escapes, the click posts the bytes.
  const cell = page.locator('.vt-row').nth(4).locator('.vt-cell.link .vt-text').last();
  assert.equal(await cell.textContent(), '/tmp/hostile/bad-\\xff\\xfe-name');
  await cell.click();
  const open = (await posted(page)).filter((m) => m.type === 'openPath').pop()!;
  assert.equal(open.pathB64, hostile[4].path_b64);
  assert.equal(Buffer.from(String(open.pathB64), 'base64').toString('latin1'), '/tmp/hostile/bad-\xff\xfe-name');
  assert.equal(open.field, 'path');
  assert.equal(open.hostId, 'local');
  // exe column: plain UTF-8 name -> its UTF-8 bytes.
  await page.locator('.vt-row').nth(1).locator('.vt-cell.link .vt-text').first().click();
  const open2 = (await posted(page)).filter((m) => m.type === 'openPath').pop()!;
  assert.equal(Buffer.from(String(open2.pathB64), 'base64').toString('utf8'), '/tmp/<b>bold</b>');
  assert.equal(open2.field, 'exe');
  // Exec: the relative filename is resolved against the caller's cwd.
  await page.locator('.vt-row').nth(6).locator('.vt-cell.link .vt-text').last().click();
  const open3 = (await posted(page)).filter((m) => m.type === 'openPath').pop()!;
  assert.equal(Buffer.from(String(open3.pathB64), 'base64').toString('utf8'), '/tmp/hostile/./run<svg onload=alert(4)>');
  await page.close();
});

test('hostile names render literally and inertly', async () => {
  const page = await fresh();
  const hostile = loadJsonl('hostile.jsonl');
  await initTrace(page, 'th', hostile);
  for (let i = 0; i < hostile.length; i++) {
    await page.locator('.vt-row').nth(i).locator('.vt-cell').first().click();
    await settle(page, 30);
  }
  const tags = await page.evaluate('window.__kw.allTags()') as string[];
  const allowed = /^(html|head|body|meta|link|title|script|style|div|span|a|dl|dt|dd|ol|li|h3|button|slot|input|label|svg|path|ul|canvas|section|vscode-[a-z-]+)$/;
  assert.deepEqual(tags.filter((t) => !allowed.test(t)), [], `unexpected elements: ${tags.join(' ')}`);
  assert.equal(await page.locator('img, b, svg[onload]').count(), 0);
  assert.equal(await page.evaluate('document.querySelectorAll("script").length'), 1);
  assert.equal(await page.evaluate('window.__kw.pwned'), 0);
  const cells = await page.locator('.vt-row .vt-text').allTextContents();
  const all = cells.join('|');
  assert.ok(all.includes('/tmp/hostile/<img src=x onerror="window.__kw.pwned=1">'), 'markup shown literally');
  assert.ok(all.includes('/tmp/hostile/line1\\nline2'), 'newline escaped');
  assert.ok(all.includes('evil\\e[31mred'), 'ESC escaped');
  assert.ok(all.includes('/tmp/hostile/\\u202etxt.exe'), 'RTL override escaped');
  assert.ok(all.includes('/tmp/hostile/a\\\\x41'), 'backslash doubled so escapes cannot be faked');
  assert.ok(!/[\u0000-\u001f\u202e]/.test(all), 'no raw control or bidi characters reach the DOM');
  await page.locator('.vt-row').nth(6).locator('.vt-cell').first().click(); // the exec
  await settle(page, 30);
  const details = (await page.textContent('#details'))!;
  assert.ok(details.includes('\\e]0;title\\x07'), 'argv escapes in the details pane');
  assert.deepEqual(await page.evaluate('window.__kw.cspViolations'), []);
  await page.close();
});

test('state survives a reload: filters, columns, sort, scroll, trace id', async () => {
  const { page } = await rig.newPage();
  const backlog = await page.evaluate('Array.from({ length: 3000 }, (_, i) => window.__kw.makeEvent(i))') as unknown[];
  await initTrace(page, 'tr', backlog);
  await typeInto(page, 'f-comm', 'git');
  await page.locator('.vt-hcell', { hasText: 'Path' }).click();
  await page.locator('#columns').click();
  await page.locator('#columns-popover vscode-checkbox[data-col="ppid"]').click();
  await panel(page, 'p.scrollToRow(200)');
  await settle(page, 400);
  await page.reload();
  await page.waitForFunction('window.__kw.posted.some(m => m.type === "ready")');
  const ready = (await posted(page)).find((m) => m.type === 'ready');
  assert.deepEqual(ready, { type: 'ready', traceId: 'tr', contract: 1 });
  // The host answers with init and replays its backlog; the saved view applies to it.
  await initTrace(page, 'tr', backlog);
  assert.equal(await rows(page), 375); // comm git: i % 8 == 7
  assert.equal(await page.locator('#f-comm input').inputValue(), 'git');
  assert.match((await page.locator('.vt-hcell', { hasText: 'Path' }).textContent())!, /▲/);
  assert.ok((await page.locator('.vt-hcell').allTextContents()).some((h) => h.startsWith('PPID')));
  assert.equal(await panel<number>(page, 'p.firstVisibleRow()'), 200);
  // A different trace in the same panel starts with clean filters.
  await initTrace(page, 'other', backlog);
  assert.equal(await rows(page), 3000);
  assert.equal(await page.locator('#f-comm input').inputValue(), '');
  await page.close();
});

test('export streams the filtered rows as CSV and JSON Lines', async () => {
  const page = await fresh();
  const hostile = loadJsonl('hostile.jsonl');
  await initTrace(page, 'te', hostile);
  await page.locator('#export-csv').click();
  const begin = (await posted(page)).find((m) => m.type === 'exportBegin');
  assert.deepEqual(begin, { type: 'exportBegin', traceId: 'te', format: 'csv', count: hostile.length });
  await send(page, { type: 'exportAccepted', traceId: 'te', exportId: 1, format: 'csv' });
  await settle(page, 100);
  const chunks = (await posted(page)).filter((m) => m.type === 'exportChunk');
  assert.equal(chunks.at(-1)!.last, true);
  const csv = chunks.map((c) => c.data).join('');
  assert.equal(csv.trimEnd().split(/\r?\n(?=(?:[^"]*"[^"]*")*[^"]*$)/).length, hostile.length + 1); // header + records (quoted newlines kept)
  assert.ok(csv.startsWith('time,ktime_ns,type,op,pid,'));
  assert.ok(csv.includes(',<img src=x onerror=alert(1)>,'), 'markup is data, not a formula: unchanged');
  assert.ok(csv.includes('"/tmp/hostile/line1\nline2"'), 'newlines quoted');
  assert.ok(csv.includes(`"'=HYPERLINK(""http://x"")"`), 'formula neutralised with a leading quote');
  assert.ok(csv.includes(',/tmp/hostile/+cmd|calc,'), 'a path starting with / is left as is');
  await typeInto(page, 'f-text', 'bold');
  await page.locator('#export-jsonl').click();
  await send(page, { type: 'exportAccepted', traceId: 'te', exportId: 2, format: 'jsonl' });
  await settle(page, 100);
  const j = (await posted(page)).filter((m) => m.type === 'exportChunk' && m.exportId === 2).map((c) => c.data).join('');
  const lines = j.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 1);
  assert.deepEqual(lines[0], hostile[1]); // lossless round trip through the columnar store
  await page.close();
});

test('1,000,000 events: retained, virtualized, frame times printed', async () => {
  const { page } = await rig.newPage({ width: 1400, height: 800 });
  await initTrace(page, 'tm');
  const ms = (await page.evaluate(`window.__kw.feedGenerated('tm', 0, 1000000)`)) as number;
  await settle(page, 500);
  assert.equal(await rows(page), 1_000_000);
  assert.equal(await panel<number>(page, 'p.retained'), 1_000_000);
  const heap = (await page.evaluate('performance.memory ? performance.memory.usedJSHeapSize : 0')) as number;
  const ingest = await panel<number>(page, 'p.ingestMs');
  const deltas = (await page.evaluate('window.__kw.scrollBench(600)')) as number[];
  const sorted = [...deltas].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(1);
  console.log(`# 1M events: fed in ${ms.toFixed(0)} ms incl. generating them in the page (${Math.round(1e6 / (ms / 1000)).toLocaleString('en-US')} events/s); webview store+filter ${ingest.toFixed(0)} ms (${Math.round(1e6 / (ingest / 1000)).toLocaleString('en-US')} events/s); JS heap ${(heap / 1048576).toFixed(0)} MiB`);
  console.log(`# scroll top->bottom over ${deltas.length} frames: frame time p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`);
  assert.ok((await panel<number>(page, 'p.firstVisibleRow()')) > 999_900, 'the scroll reached the last rows');
  const last = await page.locator('.vt-row .vt-text').allTextContents();
  assert.ok(last.some((t) => t.includes('file-999999.txt')), 'last rows rendered');
  const domRows = await page.locator('.vt-row').count();
  assert.ok(domRows < 60, `only visible rows in the DOM (${domRows})`);
  let t0 = Date.now();
  await page.locator('.vt-hcell', { hasText: 'Path' }).click();
  await page.waitForFunction('document.querySelector(".vt-hcell:nth-child(6)").textContent.includes("▲")', undefined, { timeout: 300_000 });
  console.log(`# sort 1M rows by path: ${Date.now() - t0} ms`);
  t0 = Date.now();
  await typeInto(page, 'f-glob', '/tmp/w7/**');
  console.log(`# path-glob filter over 1M rows: ${Date.now() - t0} ms from typing to the new rows on screen (incl. 120 ms debounce)`);
  assert.equal(await rows(page), 6667); // i % 100 == 7 and not exec: 10000 minus every third
  await page.close();
});

test('recorded agent output (real kernel, tracepoints): rows, results, lost total, exact bytes', async () => {
  const page = await fresh();
  const recs = loadJsonl('recorded.jsonl');
  const events = recs.filter((r) => ['unlink', 'create', 'exec', 'exit'].includes(String(r.type)));
  const lost = recs.filter((r) => r.type === 'lost').pop()!;
  await initTrace(page, 'trec', events, { lostTotal: lost.total });
  assert.equal(await rows(page), events.length);
  assert.equal((await page.textContent('#lost'))!.trim(), String(lost.total));
  // The store gives back exactly what the agent printed.
  for (let i = 0; i < events.length; i++) assert.deepEqual(await panel(page, `p.event(p.seqAt(${i}))`), events[i]);
  const texts = await page.locator('.vt-row .vt-text').allTextContents();
  assert.ok(texts.includes('unlink · rmdir'));
  assert.ok(texts.includes('ENOENT (-2)'), 'failed rm shows its errno');
  assert.ok(texts.includes('exit 3'), 'exit status of the traced shell');
  const bad = events.findIndex((e) => typeof e.path_b64 === 'string');
  await page.locator('.vt-row').nth(bad).locator('.vt-cell.link .vt-text').last().click();
  const open = (await posted(page)).filter((m) => m.type === 'openPath').pop()!;
  assert.equal(open.pathB64, events[bad].path_b64);
  // A relative symlink target opens relative to the link's directory.
  const ln = events.findIndex((e) => e.op === 'symlink');
  await page.locator('.vt-row').nth(ln).locator('.vt-cell').first().click();
  await page.locator('#details a', { hasText: /^a\.txt$/ }).click();
  const target = (await posted(page)).filter((m) => m.type === 'openPath').pop()!;
  assert.equal(Buffer.from(String(target.pathB64), 'base64').toString(), '/tmp/kw-rec/a.txt');
  assert.equal(target.field, 'target');
  await typeInto(page, 'f-comm', 'kwrec-sh');
  assert.equal(await rows(page), events.filter((e) => e.comm === 'kwrec-sh').length);
  await page.close();
});

test('trace state in the header; stop and reconnect post their messages', async () => {
  const page = await fresh();
  await initTrace(page, 'tsd');
  assert.match((await page.textContent('#state'))!, /running · unlink: tracepoint/);
  assert.equal(await page.locator('#resume').isVisible(), false);
  await send(page, { type: 'state', traceId: 'tsd', state: { kind: 'running', probes: [
    { family: 'unlink', probe: 'tracepoint:syscalls:sys_exit_unlink', mode: 'tracepoint' },
    { family: 'unlink', probe: 'tracepoint:syscalls:sys_exit_unlinkat', mode: 'tracepoint' },
    { family: 'unlink', probe: 'fentry:vfs_rename', mode: 'fentry' },
    { family: 'exec', probe: 'tracepoint:sched:sched_process_exec', mode: 'tracepoint' },
  ] } });
  assert.equal((await page.textContent('#state'))!, 'running · unlink: tracepoint+fentry, exec: tracepoint');
  await send(page, { type: 'state', traceId: 'tsd', state: { kind: 'disconnected', reason: 'connection reset\n\u001b[2J' } });
  assert.equal((await page.textContent('#state'))!, 'disconnected: connection reset\\n\\e[2J');
  await page.locator('#resume').click();
  await page.locator('#stop').click();
  const types = (await posted(page)).map((m) => m.type);
  assert.ok(types.includes('resumeTrace') && types.includes('stopTrace'));
  await send(page, { type: 'state', traceId: 'tsd', state: { kind: 'stopped', reason: 'user' } });
  assert.match((await page.textContent('#state'))!, /stopped: user/);
  assert.equal(await page.locator('#stop').getAttribute('disabled'), '');
  await page.close();
});

test('Stop shows at once; the events still on their way are kept and counted', async () => {
  const page = await fresh();
  await initTrace(page, 'tss');
  await gen(page, 'tss', 0, 5);
  await page.locator('#stop').click();
  // before the host answers: the header says so and Stop cannot be chosen twice
  assert.equal((await page.textContent('#state'))!, 'stopping…');
  assert.equal(await page.locator('#stop').getAttribute('disabled'), '');
  assert.equal((await posted(page)).filter((m) => m.type === 'stopTrace').length, 1);
  // the agent's last output (events from before Stop) arrives after the click
  await gen(page, 'tss', 5, 3);
  await settle(page, 50);
  assert.equal((await page.textContent('#state'))!, 'stopping… · 3 events from before Stop arrived after it, kept');
  assert.equal(await rows(page), 8);
  await send(page, { type: 'state', traceId: 'tss', state: { kind: 'stopped' } });
  assert.equal((await page.textContent('#state'))!, 'stopped · 3 events from before Stop arrived after it, kept');
  await page.close();

  // a stop that failed: the host says the trace still runs, and Stop can be chosen again
  const p2 = await fresh();
  await initTrace(p2, 'tsf');
  await p2.locator('#stop').click();
  await send(p2, { type: 'state', traceId: 'tsf', state: { kind: 'running', probes: [{ family: 'unlink', probe: 'tracepoint:syscalls:sys_exit_unlinkat', mode: 'tracepoint' }] } });
  assert.match((await p2.textContent('#state'))!, /^running · unlink: tracepoint$/);
  assert.equal(await p2.locator('#stop').getAttribute('disabled'), null);
  await p2.close();
});

test('an ended trace: Pause disabled, Restart starts the same scope in this panel and keeps its filters', async () => {
  const page = await fresh();
  await initTrace(page, 'tr1', [], { restartable: true });
  await gen(page, 'tr1', 0, 6);
  assert.equal(await page.locator('#restart').isVisible(), false, 'no Restart while it runs');
  await typeInto(page, 'f-comm', 'rm');
  const kept = await rows(page);
  assert.ok(kept > 0 && kept < 6, `the filter keeps some rows: ${kept}`);
  await send(page, { type: 'state', traceId: 'tr1', state: { kind: 'stopped' } });
  assert.equal(await page.locator('#pause').getAttribute('disabled'), '', 'nothing left to pause');
  assert.ok(await page.locator('#restart').isVisible(), 'Restart once it ended');
  await page.locator('#restart').click();
  assert.equal((await page.textContent('#state'))!, 'restarting…');
  assert.equal(await page.locator('#restart').getAttribute('disabled'), '', 'not twice');
  assert.deepEqual((await posted(page)).filter((m) => m.type === 'restartTrace'), [{ type: 'restartTrace', traceId: 'tr1' }]);
  // the host binds the new trace to this panel: its init names the one it restarts
  await initTrace(page, 'tr2', [], { restartable: true, restartOf: 'tr1' });
  assert.match((await page.textContent('#state'))!, /^running/);
  assert.equal(await page.locator('#restart').isVisible(), false);
  assert.equal(await page.inputValue('#f-comm input'), 'rm', 'the filters stay');
  assert.equal(await rows(page), 0, 'a new trace: the old rows are gone');
  await gen(page, 'tr2', 0, 6);
  assert.equal(await rows(page), kept, 'and the filter applies to the new rows');
  // another trace (no restartOf) starts with empty filters
  await initTrace(page, 'other', [], { restartable: true });
  assert.equal(await page.inputValue('#f-comm input'), '');
  // a restart that could not begin: the host repeats the ended state, and Restart is offered again
  await send(page, { type: 'state', traceId: 'other', state: { kind: 'failed', message: 'no BTF' } });
  await page.locator('#restart').click();
  await send(page, { type: 'state', traceId: 'other', state: { kind: 'failed', message: 'no BTF' } });
  assert.equal(await page.locator('#restart').getAttribute('disabled'), null);
  assert.match((await page.textContent('#state'))!, /^failed: no BTF/);
  // a watch's follower (not restartable) never offers it
  await initTrace(page, 'w1', [], { restartable: false });
  await send(page, { type: 'state', traceId: 'w1', state: { kind: 'stopped' } });
  assert.equal(await page.locator('#restart').isVisible(), false);
  await page.close();
});

test('a live flood of 100,000 events/s in 50 ms batches: frame times printed', async () => {
  const { page } = await rig.newPage({ width: 1400, height: 800 });
  await initTrace(page, 'tfl');
  const r = (await page.evaluate(`window.__kw.floodBench('tfl', 3, 100000, 0)`)) as { deltas: number[]; wallMs: number; events: number };
  await settle(page, 300);
  assert.equal(await rows(page), r.events);
  assert.ok((await panel<number>(page, 'p.firstVisibleRow()')) > r.events - 60, 'the table followed the tail');
  const sorted = [...r.deltas].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(1);
  console.log(`# flood: ${r.events.toLocaleString('en-US')} events in ${(r.wallMs / 1000).toFixed(1)} s (100,000/s offered), ${r.deltas.length} frames: p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`);
  await page.close();
});

test('Kernel Symbol view: static page under its CSP, no script, elixir link', async () => {
  const { page } = await rig.newPage();
  await page.goto(`${rig.origin}/symbol.html`);
  assert.equal(await page.locator('script').count(), 0);
  assert.deepEqual(await page.evaluate('window.__kw.cspViolations'), []);
  const text = (await page.textContent('body'))!;
  for (const s of ['web1 <prod>', '__x64_sys_unlinkat', 'ffffffff8a4c2f30', 'vmlinux (built in)', 'const struct pt_regs *regs', '6.1.0-13-amd64']) {
    assert.ok(text.includes(s), `symbol view lacks ${s}`);
  }
  assert.equal(await page.locator('a').getAttribute('href'), 'https://elixir.bootlin.com/linux/v6.1/A/ident/sys_unlinkat');
  // Styles from the webview origin applied (the CSP allowed them): the table header is muted.
  assert.notEqual(await page.evaluate('getComputedStyle(document.querySelector(".sym th")).textAlign'), 'center');
  await page.close();
});

test("a guard's refusals: their own row style, result text and type filter; the rule in the details", async () => {
  const page = await fresh();
  await initTrace(page, 'tg');
  const base = { time: '2026-12-03T13:00:00.000000000Z', ktime_ns: 1, pid: 9, tid: 9, ppid: 1, uid: 0, gid: 0, comm: 'rm', exe: '/usr/bin/rm', cwd: '/', ancestors: [], cgroup: '/', container: null, probe: 'lsm:path_unlink', dev: 1, ino: 2, path_source: 'kernel' };
  await send(page, {
    type: 'events', traceId: 'tg', replay: false, events: [
      { ...base, type: 'denied', op: 'unlink', path: '/data/disk.img', ret: -1, rule: 0, rule_kind: 'deny-delete', rule_path: '/data/disk.img' },
      { ...base, type: 'would-deny', op: 'write', path: '/srv/vol/big', ret: -122, rule: 1, rule_kind: 'quota', rule_path: '/srv/vol', quota_bytes: 1048576 },
      { ...base, type: 'unlink', op: 'unlink', path: '/tmp/other', ret: 0, last_link: true },
    ],
  });
  await settle(page, 50);
  await panel(page, 'p.scrollToRow(0)');
  await settle(page, 50);
  const cls = async (i: number) => (await page.locator('.vt-row').nth(i).locator('.vt-cell').first().getAttribute('class')) ?? '';
  assert.match(await cls(0), /guard-denied/);
  assert.match(await cls(1), /guard-would/);
  assert.doesNotMatch(await cls(2), /guard-/);
  const rowText = async (i: number) => (await page.locator('.vt-row').nth(i).textContent()) ?? '';
  assert.match(await rowText(0), /refused: EPERM/);
  assert.match(await rowText(1), /would be refused: EDQUOT/);
  // the denied rows' own colour differs from a plain row's in this theme
  const bg = async (i: number) => page.locator('.vt-row').nth(i).locator('.vt-cell').nth(1).evaluate((e) => (globalThis as unknown as { getComputedStyle(x: unknown): { backgroundColor: string } }).getComputedStyle(e).backgroundColor);
  assert.notEqual(await bg(0), await bg(2));
  await page.evaluate(`(() => { const s = document.querySelector('#f-type'); s.value = 'denied'; s.dispatchEvent(new Event('change')); })()`);
  await settle(page);
  assert.equal(await rows(page), 1);
  await page.locator('.vt-row').nth(0).locator('.vt-cell').first().click();
  await settle(page, 50);
  const text = (await page.textContent('#details'))!;
  assert.ok(text.includes('rule_kinddeny-delete') && text.includes('rule_path/data/disk.img'), `details lack the rule: ${text}`);
  await page.close();
});
