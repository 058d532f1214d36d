// `kwitness-agent replay` (native/replay.c): a recorded wire stream played back like a trace, the
// source that lets the benchmarks measure a watch's journal at rates the kernel path cannot
// produce here. A real recording (this kernel's unlink events) is made first; then: the replay
// writes its ready record, then exactly --count events cycling through the recording, byte for
// byte except the two timestamps (stamped when written), and stays quiet until stdin closes; a
// set rate is honoured (a lower bound on the time taken, never a race); a watch with --replay
// journals exactly --max-events of them and ends itself; bad recordings give one line.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KIND as K, WIRE_LAYOUT as L } from '../../src/core/wire/layout';
import { LocalTarget, sleep } from './suite';
import { splitFrames, wallNs } from './watch-wire';

const target = new LocalTarget();
const SAFETY_MS = 120000; // a loaded machine's safety net, not a speed claim
const KIND = { unlink: K.KW_UNLINK, ready: K.KW_READY };
const TS = [L.kw_hdr.fields.ktime_ns[0], L.kw_hdr.size + L.kw_proc.fields.wall_ns[0]];
let work: string;
let recording: string;
let recorded: Buffer[]; // the recording's unlink records

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs the agent; stdin stays open until `closeWhen` says the output is complete, then closes. */
function agent(args: string[], closeWhen: (out: Buffer) => boolean = () => true): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(target.agentPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let size = 0;
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), SAFETY_MS);
    const check = () => {
      if (closeWhen(Buffer.concat(out, size))) child.stdin.end();
    };
    child.stdout.on('data', (d: Buffer) => {
      out.push(d);
      size += d.length;
      check();
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
    check();
  });
}

/** The record without its two timestamps (what a replay must keep byte for byte). */
function untimed(rec: Buffer): Buffer {
  const c = Buffer.from(rec);
  for (const off of TS) c.writeBigUInt64LE(0n, off);
  return c;
}

const kind = (rec: Buffer) => rec.readUInt16LE(L.kw_hdr.fields.kind[0]);
const events = (out: Buffer) => splitFrames(out, 'replay output', true).filter((r) => kind(r) === KIND.unlink);

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'kw-replay-'));
  const dir = path.join(work, 'storm');
  fs.mkdirSync(dir);
  recording = path.join(work, 'recording.wire');
  const fd = fs.openSync(recording, 'w');
  const trace = spawn(target.agentPath, ['trace', 'unlink', '--format', 'wire', '--path-prefix', dir], { stdio: ['pipe', fd, 'inherit'] });
  fs.closeSync(fd);
  const frames = () => splitFrames(fs.readFileSync(recording), 'recording', true);
  for (const t0 = Date.now(); !frames().some((r) => kind(r) === KIND.ready); await sleep(50)) {
    if (Date.now() - t0 > SAFETY_MS) assert.fail('the recording trace never became ready');
  }
  for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(dir, `f${i}`), '');
  for (let i = 0; i < 40; i++) fs.unlinkSync(path.join(dir, `f${i}`));
  for (const t0 = Date.now(); frames().filter((r) => kind(r) === KIND.unlink).length < 40; await sleep(50)) {
    if (Date.now() - t0 > SAFETY_MS) assert.fail('the recording never held the 40 unlinks');
  }
  trace.stdin!.end();
  await new Promise((r) => trace.on('close', r));
  recorded = frames().filter((r) => kind(r) === KIND.unlink);
});

after(async () => {
  fs.rmSync(work, { recursive: true, force: true });
  await target.dispose();
});

describe('replay', () => {
  it('writes the ready record, then exactly --count events cycling through the recording, stamped now, then waits for stdin', async () => {
    const t0 = wallNs();
    const r = await agent(['replay', recording, '--count', '100'], (out) => events(out).length >= 100);
    assert.equal(r.code, 0, r.stderr);
    const recs = splitFrames(r.stdout, 'replay output');
    assert.equal(kind(recs[0]), KIND.ready, 'the ready record first');
    const evs = recs.slice(1);
    assert.equal(evs.length, 100, 'exactly --count events, nothing more while stdin stayed open');
    evs.forEach((e, i) => {
      assert.deepEqual(untimed(e), untimed(recorded[i % recorded.length]), `event ${i} is the recording's event ${i % recorded.length}`);
      assert.ok(e.readBigUInt64LE(TS[1]) >= t0, `event ${i} is stamped with the time it was written`);
    });
    assert.match(r.stderr, /^replay: 100 events in [\d.]+ s .*offered 0\/s\), at most \d+ ms behind the schedule\n$/);
  });

  it('keeps a set rate: at 2,000/s the 600th event is written no earlier than 0.2995 s after the start', async () => {
    const before = wallNs(); // earlier than the replay's own start: a lower bound that load can only lengthen
    const r = await agent(['replay', recording, '--count', '600', '--rate', '2000'], (out) => events(out).length >= 600);
    assert.equal(r.code, 0, r.stderr);
    const walls = events(r.stdout).map((e) => e.readBigUInt64LE(TS[1]));
    assert.equal(walls.length, 600);
    // the schedule puts event k (0-based) at (k+1)/2000 s after the start: event 599 at 0.3 s
    assert.ok(walls[599] - before >= 299_500_000n, `the 600th came ${Number(walls[599] - before) / 1e6} ms after the start`);
    assert.ok(walls.every((w, i) => i === 0 || w >= walls[i - 1]), 'stamped in order');
  });

  it('bad recordings and arguments: one line naming the cause', async () => {
    const noReady = path.join(work, 'events-only.wire');
    fs.writeFileSync(noReady, Buffer.concat(recorded.map((rec) => Buffer.concat([Buffer.from(Uint32Array.of(rec.length).buffer), rec]))));
    const cases: Array<[string[], number, RegExp]> = [
      [['replay', path.join(work, 'missing.wire')], 1, /^kwitness-agent: replay: cannot read .*missing\.wire: No such file or directory$/],
      [['replay', noReady], 1, /^kwitness-agent: replay: .*events-only\.wire holds no ready record: record one with `kwitness-agent trace FAMILIES --format wire > FILE`/],
      [['replay', recording, '--rate', 'fast'], 2, /^kwitness-agent: replay: --rate needs a whole number$/],
      [['replay', recording, '--count', '0'], 2, /^kwitness-agent: replay: --count needs a whole number above 0$/],
      [['replay'], 2, /^kwitness-agent: replay: which recording\?/],
    ];
    for (const [args, code, cause] of cases) {
      const r = await agent(args);
      assert.equal(r.code, code, `${args.join(' ')}: exit ${r.code}; ${r.stderr}`);
      assert.equal(r.stdout.length, 0);
      const lines = r.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, JSON.stringify(r.stderr));
      assert.match(lines[0], cause);
    }
  });

  it('a watch with --replay journals exactly --max-events of the recording and ends itself', async () => {
    const dir = path.join(work, 'watch');
    const started = await agent(['watch', 'start', '--dir', dir, '--id', 'w-replay', '--service', 'daemon', '--max-events', '5000', '--replay', recording, '--', 'unlink']);
    assert.equal(started.code, 0, started.stderr);
    const pid = (JSON.parse(started.stdout.toString()) as { pid: number }).pid;
    const gone = () => {
      try {
        const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        return st[st.lastIndexOf(')') + 2] === 'Z';
      } catch {
        return true;
      }
    };
    for (const t0 = Date.now(); !gone(); await sleep(50)) {
      if (Date.now() - t0 > SAFETY_MS) assert.fail('the replayed watch did not end at --max-events');
    }
    const st = JSON.parse((await agent(['watch', 'status', '--dir', dir])).stdout.toString()) as { state: string; events: number; lost: number; note: string };
    assert.equal(st.state, 'stopped');
    assert.equal(st.events, 5000);
    assert.equal(st.lost, 0);
    assert.match(st.note, /--max-events 5000 reached/);
    const read = await agent(['watch', 'read', '--dir', dir]);
    assert.equal(events(read.stdout).length, 5000, 'watch read gives them all back');
    assert.equal((await agent(['watch', 'stop', '--dir', dir])).code, 0);
    assert.ok(!fs.existsSync(dir), 'stop removed the watch dir');
    const bad = await agent(['watch', 'start', '--dir', dir, '--id', 'w-bad', '--replay', path.join(work, 'missing.wire'), '--', 'unlink']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^kwitness-agent: watch start: --replay: cannot read the recording '.*missing\.wire': No such file or directory \(see kwitness-agent --help\)\n$/);
  });
});
