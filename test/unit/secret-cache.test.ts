// The sudo password's lifetime (ExpiringSecret) on a hand-driven clock: dropped after the idle
// time since its last use, never while an operation holds it, at once with 0 or clear().
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ExpiringSecret, TimerClock } from '../../src/core/host/secret-cache';

/** A clock whose time moves only when the test says so. */
class ManualClock implements TimerClock {
  now = 0;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private nextId = 1;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.now + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  advance(ms: number): void {
    this.now += ms;
    for (const t of this.timers.filter((x) => x.at <= this.now).sort((a, b) => a.at - b.at)) {
      this.timers = this.timers.filter((x) => x.id !== t.id);
      t.fn();
    }
  }
  get pending(): number {
    return this.timers.length;
  }
}

const MIN = 60_000;

test('secret cache: dropped once it has been unused for the idle time, not before', () => {
  const clock = new ManualClock();
  const s = new ExpiringSecret(() => 15 * MIN, clock);
  s.set('pw');
  clock.advance(15 * MIN - 1);
  assert.equal(s.get(), 'pw');
  clock.advance(1);
  assert.equal(s.get(), undefined);
  assert.equal(clock.pending, 0);
});

test('secret cache: each use restarts the idle countdown', () => {
  const clock = new ManualClock();
  const s = new ExpiringSecret(() => 10 * MIN, clock);
  s.set('pw');
  clock.advance(9 * MIN);
  s.hold()(); // an operation used it
  clock.advance(9 * MIN);
  assert.equal(s.get(), 'pw', '18 min after set but only 9 after the last use');
  clock.advance(MIN);
  assert.equal(s.get(), undefined);
});

test('secret cache: kept however long an operation holds it (a running trace), dropped idle time after the last release', () => {
  const clock = new ManualClock();
  const s = new ExpiringSecret(() => 15 * MIN, clock);
  s.set('pw');
  const trace = s.hold();
  const probe = s.hold();
  clock.advance(24 * 60 * MIN);
  assert.equal(s.get(), 'pw');
  probe();
  probe(); // idempotent: a second call does not release the trace's hold
  clock.advance(60 * MIN);
  assert.equal(s.get(), 'pw', 'the trace still holds it');
  trace();
  clock.advance(15 * MIN - 1);
  assert.equal(s.get(), 'pw');
  clock.advance(1);
  assert.equal(s.get(), undefined);
});

test('secret cache: 0 = only while the operation that asked runs', () => {
  const clock = new ManualClock();
  const s = new ExpiringSecret(() => 0, clock);
  const release = s.hold();
  s.set('pw');
  assert.equal(s.get(), 'pw', 'usable by the operation holding it');
  release();
  assert.equal(s.get(), undefined, 'gone the moment the operation ends, without any timer');
  s.set('pw2'); // set without a hold: not kept at all
  assert.equal(s.get(), undefined);
  assert.equal(clock.pending, 0);
});

test('secret cache: clear() (the connection closed) drops it even while held; the idle setting is read at each release', () => {
  const clock = new ManualClock();
  let idle = 15 * MIN;
  const s = new ExpiringSecret(() => idle, clock);
  const release = s.hold();
  s.set('pw');
  s.clear();
  assert.equal(s.get(), undefined);
  release();
  assert.equal(clock.pending, 0);
  s.set('pw');
  idle = MIN; // the user lowered kwitness.sudoPasswordIdleMinutes
  s.hold()();
  clock.advance(MIN);
  assert.equal(s.get(), undefined);
});

test('secret cache: a huge idle time is capped, not turned into an immediate expiry by setTimeout overflow', () => {
  const clock = new ManualClock();
  const s = new ExpiringSecret(() => 1e12, clock);
  s.set('pw');
  clock.advance(2_147_483_646);
  assert.equal(s.get(), 'pw');
});
