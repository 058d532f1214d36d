// A trace that outlives its client (`trace --linger`, native/linger.c) on this machine's kernel:
// the client goes away (stdin EOF, SIGHUP), the agent traces on alone, and `attach --from N`
// gets every event from N on exactly once, in order, then live ones; a bounded backlog drops the
// oldest and says exactly how many; nobody back in time ends the trace and leaves nothing; a
// second client takes over from the first; 'q' stops it. Every wait is for a condition (with a
// safety net), never a race against a timer.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, describe, it } from 'node:test';
import type { AgentRecord, KwEvent, ResumedRecord } from '../../src/core/events';
import { isKwEvent } from '../../src/core/events';
import { assertReleased, bpfIdsOf } from './bpf-objects';
import { LocalTarget, sleep, type AgentProc, type Format } from './suite';

const target = new LocalTarget();
after(async () => {
  await target.dispose();
});

const SOCK_DIR = '/run/kwitness/traces';
const SAFETY_MS = 60000; // a loaded machine's safety net, not a speed claim
let n = 0;

function session(): string {
  return `kwtest-${process.pid}-${++n}`;
}

function events(a: AgentProc): KwEvent[] {
  return a.records.filter(isKwEvent);
}

function paths(a: AgentProc): string[] {
  return events(a).map((e) => ('path' in e ? String(e.path) : ''));
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (const t0 = Date.now(); !ok(); await sleep(50)) {
    if (Date.now() - t0 > SAFETY_MS) assert.fail(`timed out waiting for ${what}`);
  }
}

async function trigger(...args: string[]): Promise<void> {
  const r = await target.run([target.triggerPath, ...args].map((a) => `'${a}'`).join(' '), { timeoutMs: 120000 });
  assert.equal(r.code, 0, `kw-trigger ${args.join(' ')}: ${r.stderr}`);
}

/** Makes DIR with files f0..f<count-1> and unlinks them in order: `count` unlink events. */
async function unlinkMany(dir: string, count: number): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await trigger('mkfiles', dir, String(count));
  await trigger('unlink-many', dir, String(count));
}

async function startLingering(format: Format, dir: string, name: string, extra: string[] = []): Promise<AgentProc> {
  const a = target.startAgent(['trace', 'unlink', '--format', format, '--path-prefix', dir, '--linger', '60', '--session', name, ...extra]);
  await a.waitFor((r) => r.type === 'ready', SAFETY_MS, 'ready');
  return a;
}

function attach(format: Format, name: string, from: number): AgentProc {
  return target.startAgent(['attach', name, '--from', String(from)], format);
}

/** 'q' through the client, then the proof: both processes exit 0, no socket, no BPF object. */
async function stopThrough(client: AgentProc, trace: AgentProc, held: ReturnType<typeof bpfIdsOf>, name: string): Promise<void> {
  client.writeStdin('q\n');
  const [c, t] = await Promise.all([client.exited, trace.exited]);
  assert.deepEqual(c, { code: 0, signal: null }, `client exit; stderr: ${client.stderr}`);
  assert.deepEqual(t, { code: 0, signal: null }, `trace exit; stderr: ${trace.stderr}`);
  assert.ok(!fs.existsSync(`${SOCK_DIR}/${name}.sock`), 'the session socket is removed');
  await assertReleased(held);
}

for (const format of ['wire', 'json'] as Format[]) {
  describe(`--linger (${format}): away and back`, () => {
    it('the client goes away, the trace goes on; attach --from N replays from event N exactly once, in order, then live', async () => {
      const dir = fs.mkdtempSync(`${target.tmpdir}/linger-`);
      const name = session();
      const tr = await startLingering(format, dir, name);
      const held = bpfIdsOf(tr.pid!);
      await unlinkMany(`${dir}/a`, 3);
      await tr.waitFor(() => events(tr).length >= 3, SAFETY_MS, '3 events before leaving');
      tr.closeStdin();
      await until('the trace to say its client is gone', () => /the client is gone/.test(tr.stderr));
      assert.equal(tr.exitInfo, undefined, 'the trace runs on without its client');
      await unlinkMany(`${dir}/b`, 5);
      // the client had 3 events but claims 2: the replay starts in the middle of what was sent
      const back = attach(format, name, 2);
      await back.waitFor(() => events(back).length >= 6, SAFETY_MS, 'the 6 replayed events');
      const resumed = back.records[0] as ResumedRecord;
      assert.equal(resumed.type, 'resumed', `first record: ${JSON.stringify(back.records[0])}`);
      assert.equal(resumed.next_event, 2);
      assert.equal(resumed.not_kept, 0);
      assert.equal(resumed.pid, tr.pid, 'resumed names the tracing agent, not the relay');
      assert.ok(resumed.away_ms > 0);
      assert.ok(back.records.some((r) => r.type === 'ready'), 'a ready record follows');
      await unlinkMany(`${dir}/c`, 1);
      await back.waitFor(() => events(back).length >= 7, SAFETY_MS, 'the live event after the replay');
      assert.deepEqual(paths(back), [`${dir}/a/f2`, ...[0, 1, 2, 3, 4].map((i) => `${dir}/b/f${i}`), `${dir}/c/f0`]);
      await stopThrough(back, tr, held, name);
      assert.deepEqual(paths(back).length, 7, 'nothing more arrived');
    });
  });
}

describe('--linger: bounds, endings and takeovers', () => {
  it('a full backlog drops the oldest events and counts them exactly: not kept + replayed + lost = all', async () => {
    const dir = fs.mkdtempSync(`${target.tmpdir}/linger-cap-`);
    const name = session();
    const total = 20000; // ~0.3 KiB each on the wire: several times the 1 MiB backlog
    const tr = await startLingering('wire', dir, name, ['--backlog-mb', '1']);
    const held = bpfIdsOf(tr.pid!);
    tr.closeStdin();
    await until('the trace to say its client is gone', () => /the client is gone/.test(tr.stderr));
    await unlinkMany(`${dir}/s`, total);
    const back = attach('wire', name, 0);
    await back.waitFor((r) => r.type === 'ready', SAFETY_MS, 'ready');
    back.writeStdin('q\n'); // the final lost record comes after everything the trace saw
    await Promise.all([back.exited, tr.exited]);
    const resumed = back.records[0] as ResumedRecord;
    assert.equal(resumed.type, 'resumed');
    const replayed = events(back).length;
    const lost = back.records.filter((r): r is Extract<AgentRecord, { type: 'lost' }> => r.type === 'lost').pop()?.total ?? 0;
    assert.ok(resumed.not_kept > 0, `the 1 MiB backlog dropped nothing of ${total} events`);
    assert.ok(replayed > 0, 'the newest events were replayed');
    assert.equal(resumed.next_event, resumed.not_kept, 'the replay starts right after what was not kept');
    assert.equal(resumed.not_kept + replayed + lost, total, `not kept ${resumed.not_kept} + replayed ${replayed} + lost ${lost}`);
    if (lost === 0) {
      // the newest are what is kept: the last `replayed` unlinks, in order
      const want = Array.from({ length: replayed }, (_, i) => `${dir}/s/f${total - replayed + i}`);
      assert.deepEqual(paths(back), want);
    }
    assert.ok(!fs.existsSync(`${SOCK_DIR}/${name}.sock`));
    await assertReleased(held);
  });

  it('nobody back within --linger: the trace ends by itself, leaves nothing, and attach says it is gone (exit 3)', async () => {
    const dir = fs.mkdtempSync(`${target.tmpdir}/linger-end-`);
    const name = session();
    const tr = target.startAgent(['trace', 'unlink', '--format', 'json', '--path-prefix', dir, '--linger', '1', '--session', name]);
    await tr.waitFor((r) => r.type === 'ready', SAFETY_MS, 'ready');
    const held = bpfIdsOf(tr.pid!);
    tr.closeStdin();
    const ex = await tr.exited;
    assert.deepEqual(ex, { code: 0, signal: null }, tr.stderr);
    assert.match(tr.stderr, /no client attached within 1 s: stopping/);
    assert.ok(!fs.existsSync(`${SOCK_DIR}/${name}.sock`));
    await assertReleased(held);
    const late = attach('json', name, 0);
    const lx = await late.exited;
    assert.equal(lx.code, 3, late.stderr);
    assert.match(late.stderr, new RegExp(`no trace '${name}' is running on this host`));
  });

  it('a second client takes the trace over: the first is told why its stream ends, the second gets everything', async () => {
    const dir = fs.mkdtempSync(`${target.tmpdir}/linger-take-`);
    const name = session();
    const tr = await startLingering('wire', dir, name);
    const held = bpfIdsOf(tr.pid!);
    await unlinkMany(`${dir}/a`, 2);
    await tr.waitFor(() => events(tr).length >= 2, SAFETY_MS, '2 events');
    const other = attach('wire', name, 0);
    await tr.waitFor((r) => r.type === 'error' && /^taken over:/.test(r.message), SAFETY_MS, 'the takeover notice');
    await other.waitFor(() => events(other).length >= 2, SAFETY_MS, 'the replay in the new client');
    await unlinkMany(`${dir}/b`, 1);
    await other.waitFor(() => events(other).length >= 3, SAFETY_MS, 'the live event in the new client');
    assert.equal(events(tr).length, 2, 'the old client gets nothing after the takeover');
    assert.deepEqual(paths(other), [`${dir}/a/f0`, `${dir}/a/f1`, `${dir}/b/f0`]);
    assert.equal(other.records.filter((r) => r.type === 'ready').length, 1, 'one ready: the replay starts with the original');
    await stopThrough(other, tr, held, name);
  });

  it('SIGHUP (a hung-up terminal) leaves a lingering trace running; a plain trace still ends on it', async () => {
    const dir = fs.mkdtempSync(`${target.tmpdir}/linger-hup-`);
    const name = session();
    const tr = await startLingering('json', dir, name);
    const held = bpfIdsOf(tr.pid!);
    tr.kill('SIGHUP');
    await until('the trace to say its client is gone', () => /the client is gone \(hangup/.test(tr.stderr));
    await unlinkMany(`${dir}/a`, 1);
    const back = attach('json', name, 0);
    await back.waitFor(() => events(back).length >= 1, SAFETY_MS, 'the event seen while hung up');
    await stopThrough(back, tr, held, name);
  });

  it("a second trace with the same --session is refused with one line; 'q' on stdin stops the first", async () => {
    const dir = fs.mkdtempSync(`${target.tmpdir}/linger-dup-`);
    const name = session();
    const tr = await startLingering('json', dir, name);
    const held = bpfIdsOf(tr.pid!);
    const dup = target.startAgent(['trace', 'unlink', '--format', 'json', '--linger', '60', '--session', name]);
    const dx = await dup.exited;
    assert.equal(dx.code, 1, dup.stderr);
    assert.match(dup.stderr, new RegExp(`--session ${name}: a trace of that name is already running on this host`));
    await stopThrough(tr, tr, held, name);
  });

  it('bad --linger / --session / attach arguments: exit 2 naming the cause', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['trace', 'unlink', '--linger', '10'], /--linger needs --session/],
      [['trace', 'unlink', '--session', 'x'], /--session needs --linger/],
      [['trace', 'unlink', '--linger', '10', '--session', '../etc'], /--session: bad name/],
      [['trace', 'unlink', '--linger', '0', '--session', 'x'], /--linger: bad value/],
      [['attach'], /expected a session name/],
      [['attach', 'x', '--from', '-1'], /--from: bad value/],
    ];
    for (const [args, cause] of cases) {
      const a = target.startAgent(args);
      a.closeStdin();
      const x = await a.exited;
      assert.equal(x.code, 2, `${args.join(' ')}: exit ${x.code}, stderr ${a.stderr}`);
      assert.match(a.stderr, cause);
    }
  });
});
