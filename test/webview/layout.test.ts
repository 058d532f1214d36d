// The panel's layout at the widths an editor column really has (issue 17, "a layout that fits"):
// Summary and Details beside the table in a wide panel, below it in a narrow one (side by side,
// or stacked when very narrow), the table keeping room for rows, and the room given back when
// both panes are closed. Measured from the built panel's boxes in real Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { initTrace, panel, settle, startRig, type Rig } from './harness';

let rig: Rig;
before(async () => { rig = await startRig(); });
after(async () => { await rig?.close(); });

interface Box { x: number; y: number; width: number; height: number }
const base = { time: '2026-12-03T07:00:00.000000000Z', ktime_ns: 1, tid: 0, gid: 0, cwd: '/', cgroup: '/', container: null,
  probe: 'tracepoint:syscalls:sys_exit_unlinkat', dev: 1, ino: 2, last_link: true, path_source: 'kernel', type: 'unlink', op: 'unlink',
  ppid: 1, uid: 0, comm: 'rm', exe: '/usr/bin/rm', ancestors: [], ret: 0 };
const events = Array.from({ length: 40 }, (_, i) => ({ ...base, pid: 100 + i, tid: 100 + i, path: `/srv/data/f${i}` }));

async function box(page: Page, sel: string): Promise<Box> {
  const b = await page.locator(sel).boundingBox();
  assert.ok(b, `${sel} has a box`);
  return b;
}

/** A panel of that size with a row selected, both panes open. */
async function openBoth(width: number, height: number): Promise<Page> {
  const page = (await rig.newPage({ width, height })).page;
  await initTrace(page, `lay${width}`, events);
  await page.locator('.vt-row', { hasText: '/srv/data/f39' }).first().locator('.vt-cell').first().click();
  await page.click('#summary-toggle');
  await settle(page);
  assert.ok(await page.locator('#details').isVisible(), 'details open by default');
  assert.ok(await page.locator('#summary').isVisible(), 'summary opened');
  return page;
}

/** A button's label as shown: the visible text of its parts. */
const label = (page: Page, sel: string) => page.locator(sel).evaluate((b) => {
  type N = { nodeType: number; textContent: string | null; checkVisibility?: () => boolean };
  const parts = Array.from(b.childNodes as unknown as ArrayLike<N>).filter((n) => n.nodeType === 3 || n.checkVisibility?.() === true);
  return parts.map((n) => n.textContent).join(' ').replace(/\s+/g, ' ').trim();
});
const panelRows = (page: Page) => panel<number>(page, 'p.rows');
const rowsShown = (page: Page) => page.locator('.vt-row').filter({ visible: true }).count();

test('layout: a wide panel puts Summary and Details beside the table', async () => {
  const page = await openBoth(1400, 700);
  const t = await box(page, '.vt'), s = await box(page, '#summary'), d = await box(page, '#details');
  assert.ok(s.x >= t.x + t.width - 1 && d.x >= s.x + s.width - 1, `panes right of the table: table ${JSON.stringify(t)}, summary ${JSON.stringify(s)}, details ${JSON.stringify(d)}`);
  assert.ok(t.width >= 1400 - s.width - d.width - 2 && t.width >= 700, `the table keeps the rest of the width: ${t.width}`);
  assert.ok(s.width <= 330 && d.width <= 370, `the panes keep their widths: ${s.width}, ${d.width}`);
  assert.ok(Math.abs(s.height - t.height) <= 24, 'full height beside it');
  await page.context().close();
});

test('layout: a narrow panel puts them below the table, side by side, and the table keeps its width and rows', async () => {
  const page = await openBoth(520, 700);
  const t = await box(page, '.vt'), s = await box(page, '#summary'), d = await box(page, '#details');
  assert.ok(t.width >= 518, `the table has the whole width: ${t.width}`);
  assert.ok(s.y >= t.y + t.height - 1 && d.y >= t.y + t.height - 1, `panes below the table: table ${JSON.stringify(t)}, summary ${JSON.stringify(s)}, details ${JSON.stringify(d)}`);
  assert.ok(Math.abs(s.y - d.y) <= 1 && d.x >= s.x + s.width - 1, 'side by side');
  assert.ok(s.width >= 200 && d.width >= 200, `each pane readable: ${s.width}, ${d.width}`);
  assert.ok(t.height >= 140, `the table keeps room for rows: ${t.height}`);
  assert.ok(await rowsShown(page) >= 10, 'at least ten rows in sight');
  // the details still show the selected row's fields
  assert.match(await page.locator('#details').innerText(), /\/srv\/data\/f39\b/);

  // one pane closed: the other takes the bottom's whole width
  await page.click('#summary-toggle');
  await settle(page);
  const d1 = await box(page, '#details');
  assert.ok(d1.width >= 518 && d1.y >= t.y + 100, `details alone below the table across it: ${JSON.stringify(d1)}`);
  // both closed: the table takes the whole panel back
  await page.click('#details-toggle');
  await settle(page);
  assert.ok(await page.locator('#side').isHidden(), 'no empty strip left');
  const t2 = await box(page, '.vt'), m = await box(page, '.main');
  assert.ok(t2.height >= m.height - 2, `the table fills the main area again: ${t2.height} of ${m.height}`);
  await page.context().close();
});

test('layout: a very narrow panel stacks the two panes under the table', async () => {
  const page = await openBoth(400, 900);
  const t = await box(page, '.vt'), s = await box(page, '#summary'), d = await box(page, '#details');
  assert.ok(s.y >= t.y + t.height - 1 && d.y >= s.y + s.height - 1, `table, summary, details from the top: ${JSON.stringify([t, s, d])}`);
  assert.ok(s.width >= 398 && d.width >= 398, 'each across the panel');
  assert.ok(t.height >= 140, `the table keeps room for rows: ${t.height}`);
  await page.context().close();
});

test('layout: a path too long for its column is cut at its start, so the file name stays in sight', async () => {
  const page = (await rig.newPage({ width: 1000, height: 400 })).page;
  const long = '/var/lib/kubelet/pods/9c5b94b1-35ad-49bb-b118-8e8fc24abf80/volumes/kubernetes.io~empty-dir/cache/disk.img';
  await initTrace(page, 'keepend', [{ ...base, pid: 7, tid: 7, path: long }, { ...base, pid: 8, tid: 8, path: '/srv/f' }]);
  await page.click('#details-toggle');
  await settle(page);
  const geom = (text: string) => page.locator('.vt-row', { hasText: text }).first().locator('.vt-cell.keep-end.link').last().evaluate((cell) => {
    const span = cell.firstElementChild!;
    const c = cell.getBoundingClientRect(), s = span.getBoundingClientRect();
    return { cellLeft: c.left, cellRight: c.right, textLeft: s.left, textRight: s.right, text: span.textContent };
  });
  const g = await geom('disk.img');
  assert.equal(g.text, long, 'the whole path stays the cell\'s text (search, copy, tests)');
  assert.ok(g.textRight <= g.cellRight + 1, `its end is in sight: ${JSON.stringify(g)}`);
  assert.ok(g.textLeft < g.cellLeft - 20, `its start is cut: ${JSON.stringify(g)}`);
  const s = await geom('/srv/f');
  assert.ok(Math.abs(s.textLeft - s.cellLeft) <= 8, `a short path stays left-aligned: ${JSON.stringify(s)}`);
  await page.context().close();
});

test('layout: a narrow panel folds the per-field filters behind "More filters", which counts the ones in use', async () => {
  const wide = (await rig.newPage({ width: 1400, height: 500 })).page;
  await initTrace(wide, 'fold-wide', events);
  assert.equal(await wide.locator('#f-more').isVisible(), false, 'a wide panel shows every field');
  assert.ok(await wide.locator('#f-comm').isVisible());
  assert.equal(await label(wide, '#export-csv'), 'Export CSV');
  await wide.context().close();

  const page = (await rig.newPage({ width: 520, height: 700 })).page;
  await initTrace(page, 'fold', events);
  const filtersH = async () => (await box(page, '.filters')).height;
  const folded = await filtersH();
  assert.equal(await page.locator('#f-comm').isVisible(), false, 'folded');
  assert.ok(await page.locator('#f-text').isVisible() && await page.locator('#f-type').isVisible() && await page.locator('#f-result').isVisible(), 'search, type and result stay');
  assert.equal(await label(page, '#export-csv'), 'CSV', 'labels lose a word');
  assert.equal(await page.locator('#export-csv').getAttribute('aria-label'), 'Export CSV', 'but not their name');
  await page.click('#f-more');
  assert.equal(await page.locator('#f-more').getAttribute('aria-expanded'), 'true');
  assert.ok(await page.locator('#f-comm').isVisible(), 'unfolded');
  assert.ok(await filtersH() > folded + 20, 'the fields take their rows again');
  await page.locator('#f-comm input').fill('rm');
  await page.locator('#f-pid input').fill('130');
  await settle(page);
  await page.click('#f-more');
  assert.equal(await page.locator('#f-comm').isVisible(), false);
  assert.equal((await page.locator('#f-more').innerText()).trim(), 'More filters (2)');
  assert.equal(await panelRows(page), 1, 'folded filters still apply');
  await page.context().close();
});
