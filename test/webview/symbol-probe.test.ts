// The Kernel Symbol view's live probe in real Chromium: the page the host renders (with the built
// symbol.js by nonce, under its CSP), Probe This Function and Stop as contract messages, the
// probe's state, the counts and the log2 histogram of durations drawn from what the host sends,
// and messages that do not pass the contract's check ignored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { posted, startRig, type Rig } from './harness';
import { CallStats } from '../../src/core/call-stats';
import type { CallEvent } from '../../src/core/events';

let rig: Rig;
before(async () => { rig = await startRig(); });
after(async () => { await rig?.close(); });

async function open(): Promise<Page> {
  return (await rig.newPage({ path: '/symbol-live.html' })).page;
}
async function send(page: Page, m: unknown): Promise<void> {
  await page.evaluate(`window.__kw.send(${JSON.stringify(m)})`);
  await page.evaluate('new Promise(r => setTimeout(r, 30))');
}
const probe = (state: string, message = '', canProbe = true) => ({ type: 'probe', symbol: 'vfs_unlink', state, func: 'vfs_unlink', message, canProbe });

/** Counts as the host computes them (src/core/call-stats.ts) for calls of these durations and returns. */
function statsOf(calls: Array<[number, number]>) {
  const s = new CallStats();
  s.add(calls.map(([d, ret]) => ({ type: 'call', duration_ns: d, ret }) as unknown as CallEvent));
  return s.snapshot();
}

test('Probe This Function: the button asks the host, then shows running with Stop; Stop asks to stop', async () => {
  const page = await open();
  assert.deepEqual((await posted(page)).filter((m) => m.type === 'ready'), [{ type: 'ready', symbol: 'vfs_unlink' }]);
  const start = page.locator('#probe-start');
  assert.equal(await start.textContent(), 'Probe This Function');
  assert.equal(await page.locator('#probe-stop').isVisible(), false);
  await start.click();
  assert.deepEqual((await posted(page)).filter((m) => m.type === 'startProbe'), [{ type: 'startProbe', symbol: 'vfs_unlink' }]);
  assert.equal(await start.isDisabled(), true, 'one press, one trace');
  await send(page, probe('starting', 'starting a trace of vfs_unlink…'));
  assert.equal(await start.isVisible(), false);
  await send(page, probe('running', 'probed by fentry'));
  assert.equal(await page.textContent('#probe-state'), 'probing: probed by fentry');
  await page.locator('#probe-stop').click();
  assert.deepEqual((await posted(page)).filter((m) => m.type === 'stopProbe'), [{ type: 'stopProbe', symbol: 'vfs_unlink' }]);
  await send(page, probe('stopped'));
  assert.equal(await start.textContent(), 'Probe Again');
  assert.equal(await start.isDisabled(), false);
  assert.equal(await page.locator('#probe-stop').isVisible(), false);
  // a failure is said as the host words it (the agent's own line)
  await send(page, probe('failed', "node7: func:vfs_unlink: cannot be probed (nearest: vfs_rmdir)"));
  assert.equal(await page.textContent('#probe-state'), "failed: node7: func:vfs_unlink: cannot be probed (nearest: vfs_rmdir)");
  assert.equal(await page.locator('#probe-state.fail').count(), 1);
  await send(page, probe('idle', '', false));
  assert.equal(await start.isDisabled(), true, 'a window that cannot start traces offers no probe');
  assert.deepEqual(await page.evaluate('window.__kw.cspViolations'), []);
  await page.close();
});

test('counts and the histogram: calls, errors with their share, mean, max; one bar per log2 bucket that counted', async () => {
  const page = await open();
  await send(page, probe('running', 'probed by fentry'));
  const calls: Array<[number, number]> = [
    ...Array.from({ length: 30 }, (): [number, number] => [3000, 0]), // 2048..4095 ns: bucket 11
    ...Array.from({ length: 10 }, (): [number, number] => [5000, -2]), // bucket 12, failed
    [1_500_000, 0], // bucket 20
  ];
  await send(page, { type: 'stats', symbol: 'vfs_unlink', stats: statsOf(calls) });
  assert.equal(await page.textContent('#probe-calls'), '41 calls');
  assert.equal(await page.textContent('#probe-errors'), '10 errors (24.4%)');
  assert.equal(await page.locator('#probe-errors.fail').count(), 1);
  assert.equal(await page.textContent('#probe-max'), 'max 1.5 ms');
  assert.equal(await page.textContent('#probe-mean'), 'mean 40.0 µs');
  const bars = await page.$$eval('#probe-hist-svg .hist-bucket', (gs) => gs.map((g) => [Number(g.getAttribute('data-bucket')), Number(g.getAttribute('data-count')), g.querySelector('rect') ? Number(g.querySelector('rect')!.getAttribute('height')) : 0]));
  assert.deepEqual(bars.map(([b]) => b), [11, 12, 13, 14, 15, 16, 17, 18, 19, 20], 'from the first to the last bucket that counted');
  assert.deepEqual(bars.filter(([, c]) => c > 0).map(([b, c]) => [b, c]), [[11, 30], [12, 10], [20, 1]]);
  const h = Object.fromEntries(bars.map(([b, , hh]) => [b, hh]));
  assert.equal(h[11], 110, 'the biggest bucket fills the plot');
  assert.equal(h[12], Math.round((110 * 10) / 30));
  assert.equal(h[20], 4);
  assert.equal(h[15], 0, 'an empty bucket has no bar');
  const labels = await page.locator('#probe-hist-svg .hist-label').allTextContents();
  assert.deepEqual([labels[0], labels[1], labels[9]], ['2 µs', '4 µs', '1 ms']);
  assert.equal(await page.locator('#probe-hist-svg .hist-bucket').first().locator('title').textContent(), '30 calls took 2 µs to 4 µs');
  // new counts replace the old drawing
  await send(page, { type: 'stats', symbol: 'vfs_unlink', stats: statsOf([[100, 0]]) });
  assert.equal(await page.textContent('#probe-calls'), '1 call');
  assert.equal(await page.textContent('#probe-errors'), '0 errors');
  assert.equal(await page.locator('#probe-hist-svg .hist-bar').count(), 1);
  assert.equal(await page.locator('#probe-hist-svg').count(), 1);
  await page.close();
});

test('messages that fail the contract\'s check, or name another symbol, change nothing', async () => {
  const page = await open();
  await send(page, probe('running', 'probed by fentry'));
  const before = await page.textContent('#probe-state');
  const good = statsOf([[100, 0]]);
  await send(page, { ...probe('failed', 'x'), symbol: 'vfs_rmdir' });
  await send(page, { ...probe('failed', 'x'), extra: 1 });
  await send(page, { ...probe('exploded', 'x') });
  await send(page, { ...probe('failed', '<img src=x onerror="window.__kw.pwned++">'), func: 'not a name' });
  await send(page, { type: 'stats', symbol: 'vfs_unlink', stats: { ...good, buckets: good.buckets.slice(1) } });
  await send(page, { type: 'stats', symbol: 'vfs_unlink', stats: { ...good, calls: -1 } });
  await send(page, { type: 'other', symbol: 'vfs_unlink' });
  assert.equal(await page.textContent('#probe-state'), before);
  assert.equal(await page.locator('#probe-counts').isVisible(), false, 'no counts were taken');
  // names from the host are text, never markup
  await send(page, probe('failed', '<img src=x onerror="window.__kw.pwned++">'));
  assert.equal(await page.locator('img').count(), 0);
  assert.equal(await page.evaluate('window.__kw.pwned'), 0);
  assert.deepEqual(await page.evaluate('window.__kw.cspViolations'), []);
  await page.close();
});
