// The built panel's timeline in real Chromium (issue 17, "Pictures: Timeline"): events per second
// over the whole trace, a drag across it filters the table to that time (the summary follows), the
// chip and Escape clear it, the cap's drops leave the counts, and lost reports are marked.
// Fed by the fake host (harness.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { initTrace, panel, send, settle, startRig, type Rig } from './harness';

let rig: Rig;
before(async () => { rig = await startRig(); });
after(async () => { await rig?.close(); });

const N = 3000;
/** page-helpers' events, one every 10 ms: 30 s of trace. */
const EVENTS = `Array.from({ length: ${N} }, (_, i) => Object.assign(window.__kw.makeEvent(i), { time: new Date(Date.UTC(2026, 11, 3, 7, 0, 0) + i * 10).toISOString().replace('Z', '000000Z') }))`;

async function open(page: Page, traceId: string, config?: { maxEvents: number }): Promise<Array<{ time: string }>> {
  const evs = (await page.evaluate(EVENTS)) as Array<{ time: string }>;
  await initTrace(page, traceId, evs, config ? { config } : undefined);
  await page.click('#timeline-toggle');
  await settle(page);
  return evs;
}

const secOf = (iso: string) => Date.parse(iso.slice(0, 23) + 'Z') / 1000;

test('timeline: counts every event; a drag filters the table to that time, Escape and the chip clear it', async () => {
  const page = (await rig.newPage({ width: 1200, height: 700 })).page;
  const evs = await open(page, 'tt1');
  assert.equal(await panel<number>(page, 'p.timelineTotal'), N);
  assert.match((await page.textContent('#timeline .timeline-from'))!, /^07:00:00$/);
  const box = (await page.locator('#timeline canvas').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.25, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await settle(page);
  const r = (await panel<{ from: number; to: number } | null>(page, 'p.timeRange'))!;
  assert.ok(r && r.from < r.to, 'a range was chosen');
  const want = evs.filter((e) => secOf(e.time) >= r.from && secOf(e.time) < r.to).length;
  assert.ok(want > N * 0.15 && want < N * 0.35, `a quarter of the trace, not ${want}`);
  assert.equal(await panel<number>(page, 'p.rows'), want, 'the table shows exactly the events in the range');
  assert.match((await page.textContent('#f-time'))!, /^time 07:00:0\d\.\d{3} – 07:00:\d\d\.\d{3}/);
  // the summary counts the same rows
  await page.click('#summary-toggle');
  await settle(page);
  assert.equal(await panel<number>(page, 'p.summaryTotal'), want);
  // Escape on the strip clears; so does the chip's ×
  await page.locator('#timeline canvas').focus();
  await page.keyboard.press('Escape');
  await settle(page);
  assert.equal(await panel(page, 'p.timeRange'), null);
  assert.equal(await panel<number>(page, 'p.rows'), N);
  await page.mouse.move(box.x + box.width * 0.6, box.y + 10);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.9, box.y + 10, { steps: 3 });
  await page.mouse.up();
  await settle(page);
  assert.ok((await panel<number>(page, 'p.rows')) < N);
  await page.click('#f-time .chip-x');
  await settle(page);
  assert.equal(await panel<number>(page, 'p.rows'), N);
  await page.close();
});

test('timeline: by keyboard, arrows move a cursor, Shift+arrows extend it, Enter filters to that time', async () => {
  const page = (await rig.newPage({ width: 1200, height: 700 })).page;
  const evs = await open(page, 'tt3');
  await page.locator('#timeline canvas').focus();
  for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowRight');
  for (let i = 0; i < 15; i++) await page.keyboard.press('Shift+ArrowRight');
  assert.equal(await panel(page, 'p.timeRange'), null, 'nothing applies before Enter');
  await page.keyboard.press('Enter');
  await settle(page);
  const r = (await panel<{ from: number; to: number } | null>(page, 'p.timeRange'))!;
  assert.ok(r, 'Enter applied the range');
  const want = evs.filter((e) => secOf(e.time) >= r.from && secOf(e.time) < r.to).length;
  // 10 steps of a 50th of the width in, 15 more: from 20% to 50% of the 30 s
  assert.ok(want > N * 0.25 && want < N * 0.35, `three tenths of the trace, not ${want}`);
  assert.equal(await panel<number>(page, 'p.rows'), want);
  await page.keyboard.press('Escape');
  await settle(page);
  assert.equal(await panel<number>(page, 'p.rows'), N);
  await page.close();
});

test('timeline: the cap drops the oldest from its counts; a lost report marks its second in red', async () => {
  const page = (await rig.newPage({ width: 1200, height: 700 })).page;
  await open(page, 'tt2', { maxEvents: 1000 });
  assert.equal(await panel<number>(page, 'p.retained'), 1000);
  assert.equal(await panel<number>(page, 'p.timelineTotal'), 1000, 'exactly the retained events');
  // the top 4 px of the strip are the lost marks: empty until a report
  const topRight = () => page.evaluate(`(() => { const c = document.querySelector('#timeline canvas'); const g = c.getContext('2d'); return g.getImageData(c.width - 2, 1, 1, 1).data[3]; })()`);
  assert.equal(await topRight(), 0);
  await send(page, { type: 'lost', traceId: 'tt2', total: 7 });
  await settle(page, 400);
  assert.ok((await topRight()) as number > 0, 'the newest second is marked');
  await page.close();
});
