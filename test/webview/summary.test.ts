// The built panel's summary in real Chromium (issue 17, "Pictures: Summary"): a headline that
// answers the trace's question, top bars per process, directory, user, parent, container/pod and
// operation for the rows in view, the merged process tree, a click (or Enter) on a bar filters the table, the counts
// follow the filter and the cap, and names stay text. Fed by the fake host (harness.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { initTrace, panel, send, settle, startRig, type Rig } from './harness';

let rig: Rig;
before(async () => { rig = await startRig(); });
after(async () => { await rig?.close(); });

const POD = { namespace: 'vms', name: 'virt-launcher-vm1', uid: '9c5b94b1-35ad-49bb-b118-8e8fc24abf80' };
const base = { time: '2026-12-03T07:00:00.000000000Z', ktime_ns: 1, tid: 0, gid: 0, cwd: '/', cgroup: '/', container: null, probe: 'tracepoint:syscalls:sys_exit_unlinkat', dev: 1, ino: 2, last_link: true, path_source: 'kernel' };

/** 7 deletions by kubelet under its pods dir (one failed), 3 by rm (uid 1000, in pod vms/virt-launcher-vm1) under /srv/a. */
function events(): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < 7; i++) {
    out.push({ ...base, type: 'unlink', op: i === 6 ? 'rmdir' : 'unlink', pid: 500, tid: 500, ppid: 1, uid: 0, comm: 'kubelet', exe: '/usr/bin/kubelet',
      ancestors: [{ pid: 1, comm: 'systemd', exe: '/usr/lib/systemd/systemd' }], ret: i === 5 ? -2 : 0,
      path: `/var/lib/kubelet/pods/${POD.uid}/volumes/d/f${i}` });
  }
  for (let i = 0; i < 3; i++) {
    out.push({ ...base, type: 'unlink', op: 'unlink', pid: 600 + i, tid: 600 + i, ppid: 42, uid: 1000, comm: 'rm', exe: '/usr/bin/rm',
      ancestors: [{ pid: 42, comm: 'bash<b>', exe: '/usr/bin/bash' }], ret: 0, path: `/srv/a/x${i}`,
      container: 'c0ffee00112233445566', runtime: 'containerd', container_name: 'compute', pod: POD });
  }
  return out;
}

async function openSummary(page: Page): Promise<void> {
  await page.click('#summary-toggle');
  await settle(page);
}
const headline = (page: Page) => page.textContent('#summary-headline');
const bars = (page: Page, facet: string) => page.locator(`#summary section[data-facet="${facet}"] .sum-bar`).allTextContents();

test('summary: headline, top bars per facet, and the counts of what is in view', async () => {
  const page = (await rig.newPage()).page;
  await initTrace(page, 'ts1', events());
  assert.ok(await page.locator('#summary').isHidden(), 'closed by default');
  await openSummary(page);
  const h = (await headline(page))!;
  assert.match(h, /^10 deletions by 2 programs: kubelet 70%; 1 failed$/, h);
  assert.deepEqual(await bars(page, 'process'), ['kubelet — /usr/bin/kubelet7', 'rm — /usr/bin/rm3']);
  assert.deepEqual(await bars(page, 'directory'), [`/var/lib/kubelet/pods/${POD.uid}/volumes/d7`, '/srv/a3']);
  assert.deepEqual(await bars(page, 'user'), ['root (0)7', 'user (1000)3'], 'named from the host\'s users');
  // a parent's name is text: the <b> in it makes no element
  assert.deepEqual(await bars(page, 'parent'), ['systemd (pid 1)7', 'bash<b> (pid 42)3']);
  assert.equal(await page.locator('#summary b').count(), 0);
  assert.deepEqual(await bars(page, 'container'), ['pod vms/virt-launcher-vm13']);
  assert.deepEqual(await bars(page, 'operation'), ['unlink9', 'unlink rmdir1']);
  assert.deepEqual(await bars(page, 'result'), ['ok9', 'ENOENT (-2)1']);
  // the ancestry merged into one tree: label pid, then events by it and its descendants
  assert.deepEqual(await bars(page, 'tree'), ['systemd 17', 'kubelet 5007', 'bash<b> 423', 'rm 6001', 'rm 6011', 'rm 6021']);
  const pad = (i: number) => page.locator('#summary section[data-facet="tree"] .sum-bar').nth(i).evaluate((e) => parseInt((e as unknown as { style: { paddingLeft: string } }).style.paddingLeft, 10));
  assert.ok((await pad(1)) > (await pad(0)), 'a child is indented under its parent');
  assert.equal(await panel<number>(page, 'p.summaryTotal'), 10);
  await page.close();
});

test('summary: a click on a bar filters the table, Enter on a focused bar too, and the summary counts what is left', async () => {
  const page = (await rig.newPage()).page;
  await initTrace(page, 'ts2', events());
  await openSummary(page);
  await page.locator('#summary section[data-facet="process"] .sum-bar', { hasText: 'rm — /usr/bin/rm' }).click();
  await settle(page);
  assert.equal(await panel<number>(page, 'p.rows'), 3);
  assert.equal(await page.locator('#f-comm input').inputValue(), 'rm', 'the filter shows in its field');
  assert.equal(await panel<number>(page, 'p.summaryTotal'), 3);
  assert.match((await headline(page))!, /^3 deletions under \/srv\/a by rm$/);
  // a process in the tree: it and its descendants
  await page.locator('#f-comm input').fill('');
  await settle(page);
  await page.locator('#summary section[data-facet="tree"] .sum-bar', { hasText: 'bash<b> 42' }).click();
  await settle(page);
  assert.equal(await panel<number>(page, 'p.rows'), 3, "bash's three rm children");
  assert.ok(await page.locator('#f-ancestor').isVisible(), 'the ancestor chip says so');
  await page.locator('#f-ancestor .chip-x').click();
  await settle(page);
  // clear, then the directory bar by keyboard
  await page.locator('#f-comm input').fill('');
  await settle(page);
  assert.equal(await panel<number>(page, 'p.summaryTotal'), 10);
  await page.locator('#summary section[data-facet="directory"] .sum-bar').first().focus();
  await page.keyboard.press('Enter');
  await settle(page);
  assert.equal(await panel<number>(page, 'p.rows'), 7);
  assert.equal(await page.locator('#f-glob input').inputValue(), `/var/lib/kubelet/pods/${POD.uid}/volumes/d/*`);
  assert.equal(await headline(page), `7 deletions under /var/lib/kubelet/pods/${POD.uid}/volumes/d by kubelet; 1 failed`);
  // the failed one by its result bar: the switch shows it
  await page.locator('#summary section[data-facet="result"] .sum-bar', { hasText: 'ENOENT' }).click();
  await settle(page);
  assert.equal(await panel<number>(page, 'p.rows'), 1);
  assert.equal(await page.locator('#f-result').evaluate((e) => (e as unknown as { value: string }).value), 'failed');
  await page.close();
});

test('summary: new rows are counted as they arrive; the cap drops the oldest from the counts too', async () => {
  const page = (await rig.newPage()).page;
  await initTrace(page, 'ts3', [], { config: { maxEvents: 1000 } });
  await openSummary(page);
  await page.evaluate(`window.__kw.feedGenerated('ts3', 0, 2500)`);
  await settle(page);
  assert.equal(await panel<number>(page, 'p.retained'), 1000);
  assert.equal(await panel<number>(page, 'p.summaryTotal'), 1000, 'exactly the retained rows');
  // closed and opened again: a recount gives the same
  await page.click('#summary-toggle');
  await settle(page);
  assert.equal(await panel<number>(page, 'p.summaryTotal'), -1);
  await openSummary(page);
  assert.equal(await panel<number>(page, 'p.summaryTotal'), 1000);
  await send(page, { type: 'events', traceId: 'ts3', replay: false, events: events().slice(0, 1) });
  await settle(page);
  assert.equal(await panel<number>(page, 'p.summaryTotal'), 1000, 'one in, the oldest out');
  await page.locator('#f-comm input').fill('kubelet');
  await settle(page);
  assert.equal(await panel<number>(page, 'p.summaryTotal'), 1, 'the new row is counted');
  assert.deepEqual(await bars(page, 'process'), ['kubelet — /usr/bin/kubelet1']);
  await page.close();
});
