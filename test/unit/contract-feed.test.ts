// The trace -> panel stream (src/panel/feed.ts): handshake, bounded replay, 50 ms batches, no
// event lost or duplicated across a replay, stale replays abandoned, nothing sent while hidden.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KwEvent } from '../../src/core/events';
import { Emitter } from '../../src/core/lifecycle';
import type { TraceHandle, TraceState } from '../../src/core/trace-api';
import type { HostToWebview } from '../../src/contract';
import { TraceFeed } from '../../src/panel/feed';

function fakeTrace() {
  const events = new Emitter<readonly KwEvent[]>();
  const state = new Emitter<TraceState>();
  const lost = new Emitter<number>();
  const t = {
    id: 'T', host: { id: 'local', label: 'This Machine', kind: 'local' }, options: { families: ['unlink'] },
    state: { kind: 'running', probes: [] }, lostTotal: 0,
    onDidReceiveEvents: events.event, onDidChangeState: state.event, onDidReportLost: lost.event,
    resume: async () => undefined, stop: async () => undefined, dispose: () => undefined,
  } as unknown as TraceHandle;
  return { t, events, state, lost };
}
const ev = (i: number) => ({ type: 'exec', pid: i } as unknown as KwEvent);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rig(opts: { backlog?: number; slow?: number } = {}) {
  const f = fakeTrace();
  const sent: HostToWebview[] = [];
  const feed = new TraceFeed({
    traceId: 'T', trace: f.t, backlog: opts.backlog ?? 1000, batchMs: 50, replaySlice: 4,
    post: (m) => { sent.push(m); return opts.slow ? sleep(opts.slow) : Promise.resolve(true); },
    init: () => ({ type: 'init', traceId: 'T', host: f.t.host, title: 't', state: f.t.state, lostTotal: 0, config: { maxEvents: 10 }, users: {}, live: true }),
  });
  const pids = (filter: (m: HostToWebview) => boolean = () => true) =>
    sent.filter((m) => m.type === 'events' && filter(m)).flatMap((m) => (m as { events: KwEvent[] }).events.map((e) => e.pid));
  return { ...f, sent, feed, pids };
}

test('nothing is sent before ready; ready gets init, the backlog in slices, replayDone, then live', async () => {
  const r = rig();
  for (let i = 0; i < 10; i++) r.events.fire([ev(i)]);
  r.state.fire({ kind: 'stopped' });
  await sleep(80);
  assert.equal(r.sent.length, 0);
  await r.feed.start();
  assert.deepEqual(r.sent.map((m) => m.type), ['init', 'events', 'events', 'events', 'replayDone', 'state', 'lost']);
  assert.ok(r.sent.every((m) => (m as { traceId: string }).traceId === 'T'));
  assert.deepEqual(r.pids((m) => (m as { replay: boolean }).replay), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  r.events.fire([ev(10)]);
  r.lost.fire(7);
  await sleep(80);
  assert.deepEqual(r.pids((m) => !(m as { replay: boolean }).replay), [10]);
  assert.ok(r.sent.some((m) => m.type === 'lost' && m.total === 7));
  r.feed.dispose();
});

test('a flood becomes one message per tick, never one per event', async () => {
  const r = rig();
  await r.feed.start();
  const before = r.sent.length;
  for (let i = 0; i < 5000; i++) r.events.fire([ev(i)]);
  await sleep(70);
  const batches = r.sent.slice(before).filter((m) => m.type === 'events');
  assert.equal(batches.length, 1);
  assert.equal((batches[0] as { events: KwEvent[] }).events.length, 5000);
  r.feed.dispose();
});

test('events arriving during a slow replay are neither lost nor duplicated', async () => {
  const r = rig({ slow: 15 });
  for (let i = 0; i < 20; i++) r.events.fire([ev(i)]);
  const p = r.feed.start();
  for (let i = 20; i < 40; i++) { r.events.fire([ev(i)]); await sleep(3); }
  await p;
  await sleep(80);
  assert.deepEqual(r.pids(), Array.from({ length: 40 }, (_, i) => i));
  r.feed.dispose();
});

test('a second ready abandons the first replay; hidden panels get nothing', async () => {
  const r = rig({ slow: 10 });
  for (let i = 0; i < 12; i++) r.events.fire([ev(i)]);
  const first = r.feed.start();
  await sleep(12);
  const mark = r.sent.length;
  const second = r.feed.start();
  await Promise.all([first, second]);
  const after = r.sent.slice(mark);
  assert.deepEqual(after.map((m) => m.type), ['init', 'events', 'events', 'events', 'replayDone', 'state', 'lost']);
  assert.equal(r.sent.filter((m) => m.type === 'replayDone').length, 1);
  r.feed.detach();
  const n = r.sent.length;
  r.events.fire([ev(99)]);
  r.state.fire({ kind: 'stopped' });
  await sleep(80);
  assert.equal(r.sent.length, n);
  r.feed.dispose();
});

test('a state change and losses during a slow replay reach the webview after replayDone', async () => {
  const r = rig({ slow: 20 });
  for (let i = 0; i < 10; i++) r.events.fire([ev(i)]);
  (r.t as { state: TraceState }).state = { kind: 'starting' };
  const replay = r.feed.start();
  await sleep(30); // init is out, the replay is in flight: the trace starts running and loses events
  (r.t as { state: TraceState }).state = { kind: 'running', probes: [] };
  r.state.fire({ kind: 'running', probes: [] });
  (r.t as { lostTotal: number }).lostTotal = 5;
  r.lost.fire(5);
  await replay;
  try {
    const types = r.sent.map((m) => m.type);
    const done = types.indexOf('replayDone');
    const st = r.sent.slice(done).find((m) => m.type === 'state') as { state: TraceState } | undefined;
    const lo = r.sent.slice(done).find((m) => m.type === 'lost') as { total: number } | undefined;
    assert.equal(st?.state.kind, 'running');
    assert.equal(lo?.total, 5);
  } finally {
    r.feed.dispose();
  }
});

test('the backlog keeps only the latest events', async () => {
  const r = rig({ backlog: 5 });
  for (let i = 0; i < 12; i++) r.events.fire([ev(i)]);
  await r.feed.start();
  assert.deepEqual(r.pids(), [7, 8, 9, 10, 11]);
  assert.equal(r.feed.received, 12);
  const done = r.sent.find((m) => m.type === 'replayDone') as { received: number; retained: number };
  assert.deepEqual([done.received, done.retained], [12, 5]);
  r.feed.dispose();
});
