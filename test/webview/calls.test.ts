// The built panel with calls of probed kernel functions (`trace func:NAME`, issue 13 part 2):
// a trace of functions shows the call's columns (Function, Args, Return with the errno, Duration),
// the details pane lists every argument with its type and fields (a path opens the file, the
// function opens the Kernel Symbol view), the type, text, path and result filters know calls,
// hostile names stay inert, and an event exactly as received comes back out (export).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { initTrace, panel, posted, settle, startRig, type Rig } from './harness';

let rig: Rig;
before(async () => { rig = await startRig(); });
after(async () => { await rig?.close(); });

const proc = {
  ktime_ns: 1, tid: 4242, ppid: 1, uid: 0, gid: 0, exe: '/usr/bin/rm', cwd: '/tmp/x', cmdline: ['rm', '-f', 'disk.img'],
  ancestors: [{ pid: 1, comm: 'systemd', exe: '/usr/lib/systemd/systemd' }], cgroup: '/', container: null,
};
const shape = { probe: 'fentry:vfs_unlink', func: 'vfs_unlink', attach: 'fentry', ret_type: 'int', arg_types: { dir: 'struct inode *', dentry: 'struct dentry *' } };
const dentry = (name: string, dir = '/tmp/x') => ({ addr: '0xffff888107654321', name, path: `${dir}/${name}`, ino: 123, dev: 2049 });
const DIR = { addr: '0xffff888101234000', path: '/tmp/x', ino: 12, dev: 2049, mode: '040755', nlink: 2, size: 4096 };
const HOSTILE = '<img src=x onerror="window.__kw.pwned++">\u001b[2J\u202e';

const CALLS = [
  { ...proc, ...shape, type: 'call', time: '2026-12-03T12:00:01.000000000Z', pid: 4242, comm: 'rm', ret: 0, args: { dir: DIR, dentry: dentry('disk.img') }, duration_ns: 3200 },
  { ...proc, ...shape, type: 'call', time: '2026-12-03T12:00:02.000000000Z', pid: 4243, comm: 'rm', ret: -2, args: { dir: DIR, dentry: dentry('gone.img') }, duration_ns: 850 },
  {
    ...proc, type: 'call', time: '2026-12-03T12:00:03.000000000Z', pid: 77, comm: 'cat', probe: 'kprobe:do_filp_open', func: 'do_filp_open', attach: 'kprobe',
    ret_type: 'struct file *', arg_types: { dfd: 'int', pathname: 'struct filename *', op: 'const struct open_flags *' },
    ret: '0xffff888112345678', args: { dfd: -100, pathname: { addr: '0xffff8881', name: '/etc/shadow' }, op: '0xffffc900001bfd2c' }, duration_ns: 1_500_000,
  },
  {
    ...proc, type: 'call', time: '2026-12-03T12:00:04.000000000Z', pid: 78, comm: HOSTILE, probe: 'kprobe:do_filp_open', func: 'do_filp_open', attach: 'kprobe',
    ret_type: 'struct file *', arg_types: { dfd: 'int', pathname: 'struct filename *', op: 'const struct open_flags *' },
    ret: -13, args: { dfd: 3, pathname: { addr: '0xffff8882', name: HOSTILE }, op: null }, duration_ns: 2_000_000_000, args_truncated: true,
  },
  { ...proc, type: 'call', time: '2026-12-03T12:00:05.000000000Z', pid: 79, comm: 'sync', probe: 'fentry:sync_filesystem', func: 'sync_filesystem', attach: 'fentry', ret_type: 'void', arg_types: {}, ret: null, args: {}, duration_ns: 42 },
];
const FUNC_INIT = { funcs: ['vfs_unlink', 'do_filp_open', 'sync_filesystem'], families: [], title: 'Calls of vfs_unlink, do_filp_open, sync_filesystem — This Machine' };

const rows = (page: Page) => panel<number>(page, 'p.rows');
const heads = async (page: Page) => (await page.locator('.vt-hcell').allTextContents()).map((h) => h.replace(/[▲▼]/g, ''));
async function cells(page: Page, row: number): Promise<string[]> {
  return page.locator('.vt-row').nth(row).locator('.vt-cell').allTextContents();
}
async function selectRow(page: Page, i: number): Promise<string> {
  await page.locator('.vt-row').nth(i).locator('.vt-cell').first().click();
  await settle(page, 50);
  return (await page.textContent('#details'))!;
}
async function setSelect(page: Page, id: string, value: string): Promise<void> {
  await page.evaluate(`(() => { const s = document.querySelector('#${id}'); s.value = ${JSON.stringify(value)}; s.dispatchEvent(new Event('change')); })()`);
  await settle(page);
}

test('a trace of functions: the call columns, one row per call with its function, arguments, return and duration', async () => {
  const page = (await rig.newPage()).page;
  await initTrace(page, 'tc1', CALLS, FUNC_INIT);
  assert.equal(await rows(page), 5);
  assert.deepEqual(await heads(page), ['Time (UTC)', 'Process', 'User', 'Function', 'Args', 'Return', 'Duration']);
  await panel(page, 'p.scrollToRow(0)');
  await settle(page, 50);
  assert.deepEqual(await cells(page, 0), ['12:00:01.000000', 'rm 4242', 'root (0)', 'vfs_unlink', 'dir=/tmp/x ino 12, dentry="disk.img" /tmp/x/disk.img', '0', '3.2 µs']);
  assert.deepEqual(await cells(page, 1), ['12:00:02.000000', 'rm 4243', 'root (0)', 'vfs_unlink', 'dir=/tmp/x ino 12, dentry="gone.img" /tmp/x/gone.img', '-2 ENOENT', '850 ns']);
  assert.deepEqual((await cells(page, 2)).slice(3), ['do_filp_open', 'dfd=-100, pathname="/etc/shadow", op=0xffffc900001bfd2c', '0xffff888112345678', '1.5 ms']);
  assert.deepEqual((await cells(page, 3)).slice(3), ['do_filp_open', 'dfd=3, pathname="<img src=x onerror="window.__kw.pwned++">\\e[2J\\u202e", op=NULL …', '-13 EACCES', '2.00 s']);
  assert.deepEqual((await cells(page, 4)).slice(3), ['sync_filesystem', '', 'void', '42 ns']);
  // a failed call stands out; the function is a link
  assert.equal(await page.locator('.vt-row').nth(1).locator('.vt-cell.fail').count(), 1);
  assert.equal(await page.locator('.vt-row').nth(0).locator('.vt-cell.fail').count(), 0);
  assert.equal(await page.locator('.vt-row').nth(0).locator('.vt-cell.link').count(), 1);
  assert.equal(await page.locator('img').count(), 0);
  assert.equal(await page.evaluate('window.__kw.pwned'), 0);
  // the Function cell opens the Kernel Symbol view of that function
  await page.locator('.vt-row').nth(2).locator('.vt-cell.link .vt-text').click();
  await settle(page, 50);
  const sym = (await posted(page)).filter((m) => m.type === 'showKernelSymbol');
  assert.deepEqual(sym, [{ type: 'showKernelSymbol', traceId: 'tc1', hostId: 'local', symbol: 'do_filp_open', probe: 'kprobe:do_filp_open' }]);
  // every event comes back exactly as it came (what export writes)
  for (let i = 0; i < CALLS.length; i++) assert.deepEqual(await panel(page, `p.event(p.seqAt(${i}))`), CALLS[i]);
  assert.deepEqual(await page.evaluate('window.__kw.cspViolations'), []);
  await page.close();
});

test('a trace of files and functions adds the call columns to the usual ones; they can be taken away', async () => {
  const page = (await rig.newPage()).page;
  const unlink = { ...proc, type: 'unlink', time: '2026-12-03T12:00:00.500000000Z', pid: 4242, comm: 'rm', ret: 0, probe: 'fentry:vfs_unlink', op: 'unlink', path: '/tmp/x/disk.img', dev: 2049, ino: 123, last_link: true };
  await initTrace(page, 'tc2', [unlink, CALLS[0], CALLS[1]], { funcs: ['vfs_unlink'], families: ['unlink'] });
  assert.deepEqual(await heads(page), ['Time (UTC)', 'Type', 'Process', 'User', 'Exe', 'Path', 'Result', 'Function', 'Args', 'Return', 'Duration', 'Container']);
  await panel(page, 'p.scrollToRow(0)');
  await settle(page, 50);
  const c = await cells(page, 0);
  assert.equal(c[1], 'unlink');
  assert.deepEqual(c.slice(7, 11), ['', '', '', ''], 'a file event has no call cells');
  assert.equal((await cells(page, 2))[1], 'call · vfs_unlink');
  assert.equal((await cells(page, 2))[6], '-2 ENOENT', 'Result of a call: its return value');
  await page.locator('#columns').click();
  await page.locator('#columns-popover vscode-checkbox[data-col="args"]').click();
  await settle(page, 50);
  assert.ok(!(await heads(page)).includes('Args'));
  // a trace without functions leaves the columns as they are
  const page2 = (await rig.newPage()).page;
  await initTrace(page2, 'tc3', [unlink]);
  assert.deepEqual(await heads(page2), ['Time (UTC)', 'Type', 'Process', 'User', 'Exe', 'Path', 'Result', 'Container']);
  await page.close();
  await page2.close();
});

test('details of a call: function link, each argument with its type and fields, a path opens the file, return and duration', async () => {
  const page = (await rig.newPage()).page;
  await initTrace(page, 'tc4', CALLS, FUNC_INIT);
  await panel(page, 'p.scrollToRow(0)');
  await settle(page, 50);
  const text = await selectRow(page, 1);
  assert.ok(text.startsWith('Call'), text);
  assert.match(text, /functionvfs_unlink/);
  assert.match(text, /returned-2 ENOENT \(int\)/);
  assert.match(text, /took850 ns \(850 ns\)/);
  assert.match(text, /probed byfentry \+ fexit \(BPF trampolines\)/);
  const args = page.locator('#call-args > li');
  assert.equal(await args.count(), 2);
  assert.deepEqual(await page.locator('#call-args > li > .arg-name').allTextContents(), ['dir', 'dentry']);
  assert.deepEqual((await page.locator('#call-args > li > .arg-type').allTextContents()).map((t) => t.trim()), ['struct inode *', 'struct dentry *']);
  const dentryFields = await args.nth(1).locator('dt').allTextContents();
  assert.deepEqual(dentryFields, ['addr', 'name', 'path', 'ino', 'dev']);
  assert.ok(!text.includes('arg_types'), 'the types are shown beside the arguments, not as a raw field');
  // the dentry's path opens the file on the host, exact bytes, as every path does
  await args.nth(1).locator('a', { hasText: '/tmp/x/gone.img' }).click();
  const open = (await posted(page)).filter((m) => m.type === 'openPath');
  assert.deepEqual(open, [{ type: 'openPath', traceId: 'tc4', hostId: 'local', pathB64: Buffer.from('/tmp/x/gone.img').toString('base64'), field: 'arg_path' }]);
  // the function opens the Kernel Symbol view
  await page.locator('#details a', { hasText: 'vfs_unlink' }).first().click();
  const sym = (await posted(page)).filter((m) => m.type === 'showKernelSymbol');
  assert.deepEqual(sym, [{ type: 'showKernelSymbol', traceId: 'tc4', hostId: 'local', symbol: 'vfs_unlink', probe: '' }]);
  // hostile argument text is inert; the cut is said; a void function returned nothing
  const hostile = await selectRow(page, 3);
  assert.ok(hostile.includes('"<img src=x onerror="window.__kw.pwned++">\\e[2J\\u202e"'), hostile);
  assert.match(hostile, /cuta string or path of an argument was longer than the agent keeps/);
  assert.match(hostile, /probed bykprobe \+ kretprobe/);
  assert.equal(await page.locator('#details img').count(), 0);
  assert.equal(await page.evaluate('window.__kw.pwned'), 0);
  const v = await selectRow(page, 4);
  assert.match(v, /returnedvoid \(void\)/);
  assert.match(v, /argumentsnone/);
  await page.close();
});

test('filters know calls: the type, the function and argument text, paths of arguments, failed calls', async () => {
  const page = (await rig.newPage()).page;
  const unlink = { ...proc, type: 'unlink', time: '2026-12-03T12:00:00.500000000Z', pid: 1, comm: 'rm', ret: 0, probe: 'fentry:vfs_unlink', op: 'unlink', path: '/srv/other', dev: 1, ino: 2, last_link: true };
  await initTrace(page, 'tc5', [unlink, ...CALLS], { funcs: ['vfs_unlink'], families: ['unlink'] });
  assert.equal(await rows(page), 6);
  await setSelect(page, 'f-type', 'call');
  assert.equal(await rows(page), 5);
  await setSelect(page, 'f-type', '');
  const text = async (t: string) => {
    await page.locator('#f-text input').fill(t);
    await settle(page);
    return rows(page);
  };
  assert.equal(await text('do_filp_open'), 2, 'the function');
  assert.equal(await text('gone.img'), 1, 'an argument');
  assert.equal(await text('/etc/shadow'), 1, 'an argument object field');
  assert.equal(await text(''), 6);
  await page.locator('#f-glob input').fill('/tmp/x/*.img');
  await settle(page);
  // the two vfs_unlink calls by their dentry's path; the call without a path argument is judged by its exe
  assert.equal(await rows(page), 2);
  await page.locator('#f-glob input').fill('/usr/bin/*');
  await settle(page);
  assert.equal(await rows(page), 3, 'calls whose arguments carry no path: by exe');
  await page.locator('#f-glob input').fill('');
  await settle(page);
  await setSelect(page, 'f-result', 'failed');
  const failed = await panel<string[]>(page, 'Array.from({ length: p.rows }, (_, i) => String(p.event(p.seqAt(i)).ret))');
  assert.deepEqual(failed, ['-2', '-13']);
  await setSelect(page, 'f-result', 'ok');
  assert.equal(await rows(page), 4, 'the unlink, a 0, a pointer, a void');
  await page.close();
});

test('sorting by duration and by function; a bad argument shape is said, not rendered', async () => {
  const page = (await rig.newPage()).page;
  const bad = { ...CALLS[0], time: '2026-12-03T12:00:06.000000000Z', pid: 5, args: { dir: [1, 2], dentry: { nested: { deeper: 1 } } } };
  await initTrace(page, 'tc6', [...CALLS, bad], FUNC_INIT);
  await page.locator('.vt-hcell', { hasText: 'Duration' }).click();
  await settle(page);
  const durations = await panel<number[]>(page, 'Array.from({ length: p.rows }, (_, i) => p.event(p.seqAt(i)).duration_ns)');
  assert.deepEqual(durations, [42, 850, 3200, 3200, 1_500_000, 2_000_000_000]);
  await page.locator('.vt-hcell', { hasText: 'Function' }).click();
  await settle(page);
  const funcs = await panel<string[]>(page, 'Array.from({ length: p.rows }, (_, i) => p.event(p.seqAt(i)).func)');
  assert.deepEqual(funcs.slice(0, 2), ['do_filp_open', 'do_filp_open']);
  assert.equal(funcs[5], 'vfs_unlink');
  await page.locator('.vt-hcell', { hasText: 'Time' }).click();
  await settle(page);
  await panel(page, 'p.scrollToRow(0)');
  await settle(page, 50);
  assert.match((await cells(page, 5))[4], /^\(not shown: call\.args\.dir is not a number, string, boolean or null\)$/);
  const d = await selectRow(page, 5);
  assert.match(d, /argumentsnot shown: call\.args\.dir is not a number/);
  assert.deepEqual(await panel(page, 'p.event(p.seqAt(5))'), bad, 'the event itself is kept as it came');
  await page.close();
});

test('a name that is not UTF-8: its exact bytes shown escaped, in the row and the details, and its path opened by those bytes', async () => {
  const page = (await rig.newPage()).page;
  const raw = Buffer.concat([Buffer.from('/tmp/x/'), Buffer.from([0xff]), Buffer.from('.img')]);
  const weird = {
    ...CALLS[0], args: {
      dir: DIR,
      dentry: { addr: '0x2', name: '\ufffd.img', name_b64: Buffer.from([0xff, 0x2e, 0x69, 0x6d, 0x67]).toString('base64'), path: '/tmp/x/\ufffd.img', path_b64: raw.toString('base64'), ino: 5, dev: 2049 },
    },
  };
  await initTrace(page, 'tc7', [weird], FUNC_INIT);
  await panel(page, 'p.scrollToRow(0)');
  await settle(page, 50);
  assert.equal((await cells(page, 0))[4], 'dir=/tmp/x ino 12, dentry="\\xff.img" /tmp/x/\\xff.img');
  await selectRow(page, 0);
  const dentry = page.locator('#call-args > li').nth(1);
  assert.deepEqual(await dentry.locator('dt').allTextContents(), ['addr', 'name', 'path', 'ino', 'dev'], 'the _b64 twins are not fields of their own');
  await dentry.locator('a', { hasText: '/tmp/x/\\xff.img' }).click();
  const open = (await posted(page)).filter((m) => m.type === 'openPath');
  assert.deepEqual(open, [{ type: 'openPath', traceId: 'tc7', hostId: 'local', pathB64: raw.toString('base64'), field: 'arg_path' }]);
  assert.deepEqual(await panel(page, 'p.event(p.seqAt(0))'), weird);
  await page.close();
});
