// `kwitness-agent watch` (issue 11, "Watches that wait") against the real agent on this machine's
// kernel, as root: a detached supervisor runs `trace` as its worker and journals every frame.
// Each test has its own tmp DIR; nothing waits on a timer racing the agent: every wait is for a
// condition (status.json fields, journaled records, processes gone), the timeouts are safety
// nets. Storms are paused with SIGSTOP (while files are left) when a kill must land mid-storm.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import type { KwEvent, LostRecord, ReadyRecord } from '../../src/core/events';
import { KW_ROOT, sleep } from './suite';
import { isoToNs } from '../../src/core/wire/encoder';
import { decodeRead, walkJournal, wallNs, type Delivered, type GapRecord, type ReadOutput } from './watch-wire';
import type { WatchStatus } from '../../src/core/watch/watch-client';

const arch = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
const AGENT = process.env.KW_AGENT ?? path.join(KW_ROOT, 'dist', 'agent', `kwitness-agent-${arch}`);
const TRIGGER = process.env.KW_TRIGGER ?? path.join(KW_ROOT, 'build', 'kw-trigger');
const LONG = 180000; // safety net for a loaded 2-core machine, not a speed claim

interface Run {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs the agent to its end (stdin closed at once). */
function agent(args: string[], timeoutMs = LONG): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(AGENT, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kwitness-agent ${args.join(' ')}: no end after ${timeoutMs} ms; stderr: ${err}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end();
  });
}

async function ok(args: string[]): Promise<string> {
  const r = await agent(args);
  assert.equal(r.code, 0, `kwitness-agent ${args.join(' ')}: exit ${r.code}: ${r.stderr.trim()}`);
  return r.stdout.toString();
}

/** One line on stderr naming the cause, the exit code, nothing on stdout. */
async function fails(args: string[], code: number, cause: RegExp): Promise<void> {
  const r = await agent(args);
  assert.equal(r.code, code, `exit ${r.code} (want ${code}); stderr: ${r.stderr}`);
  assert.equal(r.stdout.length, 0, `stdout: ${r.stdout.toString()}`);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `stderr must be one line: ${JSON.stringify(r.stderr)}`);
  assert.match(lines[0], cause);
}

/** status.json: the client's type plus the agent's own extra fields. */
type Status = WatchStatus & { on_hit_runs: number; on_hit_suppressed: number };

async function status(dir: string): Promise<Status> {
  return JSON.parse(await ok(['watch', 'status', '--dir', dir])) as Status;
}

async function waitStatus(dir: string, what: string, pred: (s: Status) => boolean, timeoutMs = LONG): Promise<Status> {
  const deadline = Date.now() + timeoutMs;
  let s = await status(dir);
  while (!pred(s)) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}; status: ${JSON.stringify(s)}`);
    if (s.state === 'failed' && !/fail/.test(what)) assert.fail(`watch failed while waiting for ${what}: ${s.error}`);
    await sleep(100);
    s = await status(dir);
  }
  return s;
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = LONG): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

async function read(dir: string, args: string[] = []): Promise<ReadOutput> {
  const r = await agent(['watch', 'read', '--dir', dir, ...args]);
  assert.equal(r.code, 0, `watch read: exit ${r.code}: ${r.stderr}`);
  return decodeRead(r.stdout);
}

/** Reads on (--since the last END) until a delivered record satisfies pred; returns everything read. */
async function readUntil(dir: string, what: string, pred: (d: Delivered) => boolean, timeoutMs = LONG): Promise<Delivered[]> {
  const all: Delivered[] = [];
  let since = 0;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const o = await read(dir, ['--since', String(since)]);
    all.push(...o.records);
    assert.ok(o.end, 'watch read ends with WATCH_END');
    since = o.end.next_cursor;
    if (o.records.some(pred)) return all;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what} in the journal`);
    await sleep(200);
  }
}

const isEvent = (d: Delivered): d is Delivered & { record: KwEvent } => d.kind >= 1 && d.kind <= 4;
const isGap = (d: Delivered): d is Delivered & { record: GapRecord } => d.record.type === 'gap';
const unlinkOf = (p: string) => (d: Delivered) => isEvent(d) && d.record.type === 'unlink' && d.record.path === p;

function alive(pid: number): boolean {
  try {
    return !/^State:\s*Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

function bpfProgsOf(pid: number): Set<number> {
  const progs = new Set<number>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fdinfo`)) {
    try {
      const m = /^prog_id:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (m) progs.add(Number(m[1]));
    } catch {
      /* closed meanwhile */
    }
  }
  return progs;
}

function liveProgs(): Map<number, string> {
  const list = JSON.parse(execFileSync('bpftool', ['-j', 'prog', 'show'], { encoding: 'utf8' }) || '[]') as Array<{ id: number; name?: string }>;
  return new Map(list.map((p) => [p.id, p.name ?? '']));
}

// ---------------------------------------------------------------------------------------------
// Per-test scratch space, cleaned up whatever happens.

const roots: string[] = [];
const mounts: string[] = [];
const children = new Set<ChildProcess>();

function scratch(): string {
  const d = fs.mkdtempSync('/tmp/kw-watch-');
  roots.push(d);
  return d;
}

after(async () => {
  for (const c of children) {
    try {
      c.kill('SIGCONT');
      c.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const r of roots) {
    for (const d of [r, ...(fs.existsSync(r) ? fs.readdirSync(r).map((n) => path.join(r, n)) : [])]) {
      if (fs.existsSync(path.join(d, 'meta.json'))) await agent(['watch', 'stop', '--dir', d]).catch(() => undefined);
    }
  }
  for (const m of mounts.reverse()) {
    try {
      execFileSync('umount', ['-l', m]);
    } catch {
      /* not mounted */
    }
  }
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

function trigger(args: string[]): ChildProcess {
  const c = spawn(TRIGGER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(c);
  c.on('close', () => children.delete(c));
  return c;
}

/** p, or 'timeout' after ms (the timer does not outlive p). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)));
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

function exited(c: ChildProcess): Promise<number | null> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve(c.exitCode) : new Promise((r) => c.on('close', (code) => r(code)));
}

/** n empty files f0..f<n-1> in dir (created before the watch: only unlinks are traced). */
function mkfiles(dir: string, n: number): void {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync(TRIGGER, ['mkfiles', dir, String(n)]);
}

/**
 * Starts `kw-trigger unlink-many dir n` and pauses it (SIGSTOP) once fewer than `below` files are
 * left, so what the test does next happens mid-storm. `paused` is false only when the storm
 * ended before it could be stopped (then it was not mid-storm; the test says so).
 */
async function pausedStorm(dir: string, n: number, below: number): Promise<{ storm: ChildProcess; paused: boolean; left: number }> {
  const storm = trigger(['unlink-many', dir, String(n)]);
  let left = n;
  await waitFor('the storm to start', () => {
    if (storm.exitCode !== null) return true;
    left = fs.readdirSync(dir).length;
    return left < below;
  });
  if (storm.exitCode !== null) return { storm, paused: false, left: 0 };
  storm.kill('SIGSTOP');
  return { storm, paused: true, left: fs.readdirSync(dir).length };
}

/** Every path journaled for the storm dir is unique and one of its files; returns how many. */
function checkStormPaths(records: Delivered[], dir: string, n: number): number {
  const seen = new Set<string>();
  for (const d of records) {
    if (!isEvent(d) || d.record.type !== 'unlink') continue;
    const p = d.record.path;
    if (path.dirname(p) !== dir || p.endsWith('/marker')) continue;
    const m = /^f(\d+)$/.exec(path.basename(p));
    assert.ok(m && Number(m[1]) < n, `journaled unlink of ${p} is not one of the storm's files`);
    assert.ok(!seen.has(p), `${p} journaled twice`);
    seen.add(p);
  }
  return seen.size;
}

/** A full read with nothing capped: one CURSOR at 0, then records 0, 1, 2, ..., END after the last. */
function checkContiguous(o: ReadOutput, s: Status): void {
  assert.deepEqual(o.cursors, [{ cursor: 0, skipped: 0, before: 0 }]);
  o.records.forEach((d, i) => assert.equal(d.cursor, i));
  assert.equal(o.end?.next_cursor, o.records.length);
  // status.json is written up to a second later, and a late lost record may follow the read
  assert.ok(s.next_cursor >= o.records.length, `status next_cursor ${s.next_cursor} < ${o.records.length} records read`);
}

/** Journal segments all whole, cursors continuing from one to the next; read gave their records byte for byte. */
function checkJournalMatches(dir: string, o: ReadOutput): void {
  const segs = walkJournal(dir);
  const all = segs.flatMap((s) => s.records);
  assert.ok(all.length >= o.records.length, `journal holds ${all.length} records, read gave ${o.records.length}`);
  let c = segs[0]?.first ?? 0;
  for (const s of segs) {
    assert.equal(s.first, c, `segment ${s.file} starts at cursor ${s.first}, expected ${c}`);
    c += s.records.length;
  }
  o.records.forEach((d, i) => assert.ok(all[i].equals(d.bytes), `record ${i} differs between journal and read`));
}

/** The status once it agrees with the journal on the events (status.json lags up to a second). */
function statusWithEvents(dir: string, o: ReadOutput): Promise<Status> {
  const n = o.records.filter(isEvent).length;
  return waitStatus(dir, `status.events = ${n} (as journaled)`, (s) => s.events === n);
}

// ---------------------------------------------------------------------------------------------

describe('watch: a trace that outlives its session', () => {
  it('1. start, an unlink by a renamed rm is journaled with its exe, read (plain, --since, --limit, filters, --follow), stop leaves nothing behind', { timeout: 600000 }, async (t) => {
    const root = scratch();
    const target = path.join(root, 'target');
    const dir = path.join(root, 'w');
    const rm = path.join(root, 'bin', 'kw-renamed-rm');
    fs.mkdirSync(target);
    fs.mkdirSync(path.dirname(rm));
    fs.copyFileSync('/bin/rm', rm);
    fs.chmodSync(rm, 0o755);
    fs.writeFileSync(path.join(target, 'victim'), 'x');
    fs.writeFileSync(path.join(root, 'outside'), 'x');

    const started = JSON.parse(await ok(['watch', 'start', '--dir', dir, '--id', 'w-one', '--name', 'first watch', '--', 'unlink', '--path-prefix', target]));
    assert.deepEqual(Object.keys(started).sort(), ['dir', 'id', 'pid', 'state']);
    assert.equal(started.id, 'w-one');
    assert.equal(started.state, 'running');
    assert.equal(started.dir, dir);
    const sup = started.pid as number;
    assert.ok(alive(sup), 'the supervisor runs');
    assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
    const s0 = await status(dir);
    assert.equal(s0.state, 'running');
    assert.equal(s0.pid, sup);
    assert.deepEqual(s0.families, ['unlink']);
    assert.deepEqual(s0.args, ['--path-prefix', target]);
    const worker = s0.worker_pid!;
    assert.ok(worker && alive(worker), 'the worker runs');
    assert.equal(Number(/^PPid:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${worker}/status`, 'utf8'))![1]), sup, 'the worker is the supervisor child');
    assert.equal(fs.readlinkSync(`/proc/${sup}/cwd`), '/');
    const sid = Number(fs.readFileSync(`/proc/${sup}/stat`, 'utf8').split(') ')[1].split(' ')[3]);
    assert.notEqual(sid, Number(fs.readFileSync(`/proc/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ')[3]), 'own session');
    const held = bpfProgsOf(worker);
    assert.ok(held.size > 0, 'the worker holds BPF programs');

    // a follower from the start: gets the unlink live, and WATCH_END once the watch stops
    const follower = spawn(AGENT, ['watch', 'read', '--dir', dir, '--follow'], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(follower);
    const fout: Buffer[] = [];
    follower.stdout.on('data', (d: Buffer) => fout.push(d));
    const followerDone = exited(follower);

    execFileSync(rm, [path.join(target, 'victim')]);
    execFileSync('/bin/rm', [path.join(root, 'outside')]); // not under the prefix
    const rec = await readUntil(dir, 'the unlink', unlinkOf(path.join(target, 'victim')));
    const ev = rec.find(unlinkOf(path.join(target, 'victim')))!.record as KwEvent;
    assert.equal(ev.exe, rm, 'exe is the renamed copy');
    assert.equal(ev.comm, 'kw-renamed-rm');
    assert.equal(ev.type === 'unlink' && ev.op, 'unlink');
    assert.equal(ev.ret, 0);
    await waitFor('the follower to deliver the unlink', () => decodeRead(Buffer.concat(fout)).records.some(unlinkOf(path.join(target, 'victim'))));

    const all = await read(dir);
    const s1 = await statusWithEvents(dir, all);
    assert.equal(all.records[0].record.type, 'ready');
    assert.equal(all.records.filter(isEvent).length, 1, 'only the unlink under the prefix');
    checkContiguous(all, s1);
    checkJournalMatches(dir, all);
    assert.equal(s1.last_event, ev.time);
    assert.equal(s1.gaps, 0);
    assert.equal(s1.restarts, 0);

    // --since, --limit, --path-prefix, time window
    const since1 = await read(dir, ['--since', '1']);
    assert.deepEqual(since1.cursors.map((c) => c.cursor), [1]);
    assert.ok(unlinkOf(path.join(target, 'victim'))(since1.records[0]));
    const lim = await read(dir, ['--limit', '1']);
    assert.equal(lim.records.length, 1);
    assert.equal(lim.end?.next_cursor, 1);
    const other = await read(dir, ['--path-prefix', '/nonexistent']);
    assert.equal(other.records.filter(isEvent).length, 0);
    assert.equal(other.records[0].record.type, 'ready', 'other kinds pass the path filter');
    const evNs = isoToNs(ev.time);
    const before = await read(dir, ['--to-ns', String(evNs - 1n)]);
    assert.equal(before.records.filter(isEvent).length, 0);
    assert.equal(before.records[0].record.type, 'ready');
    const win = await read(dir, ['--from-ns', String(evNs), '--to-ns', String(evNs)]);
    assert.equal(win.records.length, 1);
    assert.ok(unlinkOf(path.join(target, 'victim'))(win.records[0]));
    assert.deepEqual(win.cursors.map((c) => c.cursor), [0, 1], 'a CURSOR again where the window skipped a record');

    // stop: supervisor and worker gone, their BPF programs released, DIR removed
    const fin = JSON.parse(await ok(['watch', 'stop', '--dir', dir]));
    assert.equal(fin.state, 'stopped');
    assert.equal(fin.pid, null);
    assert.equal(fin.worker_pid, null);
    assert.equal(fin.events, 1);
    assert.ok(!alive(sup), 'supervisor gone');
    assert.ok(!alive(worker), 'worker gone');
    assert.ok(!fs.existsSync(dir), 'DIR removed');
    let left: number[] = [];
    for (let i = 0; i < 600; i++) {
      const live = liveProgs();
      left = [...held].filter((id) => live.has(id));
      if (!left.length) break;
      await sleep(100);
    }
    assert.deepEqual(left, [], 'BPF programs of the worker still loaded');
    const code = await within(followerDone, LONG);
    assert.equal(code, 0, 'the follower ends once the watch stopped');
    const fo = decodeRead(Buffer.concat(fout));
    assert.ok(fo.end, 'the follower got WATCH_END');
    assert.ok(fo.records.some(unlinkOf(path.join(target, 'victim'))));
    t.diagnostic(`follower: ${fo.records.length} records, end at cursor ${fo.end.next_cursor}`);
  });

  it('2. the worker SIGKILLed mid-storm (50,000 unlinks): restarted, a GAP covers the downtime, journal intact, delivered + lost consistent', { timeout: 900000 }, async (t) => {
    const root = scratch();
    const storm = path.join(root, 'storm');
    const dir = path.join(root, 'w');
    const N = 50000;
    mkfiles(storm, N);
    await ok(['watch', 'start', '--dir', dir, '--id', 'w-two', '--', 'unlink', '--path-prefix', storm]);
    const s0 = await status(dir);
    const oldWorker = s0.worker_pid!;

    const { storm: proc, paused, left } = await pausedStorm(storm, N, N - 5000);
    const killNs = wallNs();
    process.kill(oldWorker, 'SIGKILL');
    proc.kill('SIGCONT'); // the storm goes on while no worker runs: those unlinks fall into the gap
    const s1 = await waitStatus(dir, 'a restarted, ready worker', (s) => s.restarts === 1 && s.gaps === 1 && s.worker_pid !== oldWorker && s.worker_pid !== null);
    const readyNs = wallNs();
    assert.equal(await within(exited(proc), LONG), 0, 'the storm unlinked every file');
    fs.writeFileSync(path.join(storm, 'marker'), '');
    fs.unlinkSync(path.join(storm, 'marker'));
    await readUntil(dir, 'the marker unlink after the storm', unlinkOf(path.join(storm, 'marker')));

    const all = await read(dir);
    const s3 = await statusWithEvents(dir, all);
    checkContiguous(all, s3);
    checkJournalMatches(dir, all);
    const gaps = all.records.filter(isGap);
    assert.equal(gaps.length, 1);
    const g = gaps[0].record;
    assert.equal(g.reason, 'agent restarted after signal 9');
    assert.ok(g.from_wall_ns <= killNs, `gap from ${g.from_wall_ns} after the kill ${killNs}`);
    assert.ok(g.to_wall_ns >= killNs && g.to_wall_ns <= readyNs, `gap to ${g.to_wall_ns} not between the kill and the restarted worker`);
    const readies = all.records.filter((d) => d.record.type === 'ready');
    assert.equal(readies.length, 2);
    assert.equal(all.records[all.records.indexOf(readies[1]) - 1], gaps[0], 'the GAP comes right before the new worker ready');
    assert.equal(isoToNs((readies[1].record as ReadyRecord).time), g.to_wall_ns, 'the gap ends when the new worker was ready');
    const journaled = checkStormPaths(all.records, storm, N);
    const lostRecs = all.records.filter((d) => d.record.type === 'lost').map((d) => d.record as LostRecord);
    assert.ok(journaled + s3.lost <= N, `journaled ${journaled} + lost ${s3.lost} > ${N}`);
    assert.equal(s1.restarts, 1);
    t.diagnostic(`paused mid-storm: ${paused} (${left} files left); journaled ${journaled} of ${N} unlinks, lost ${s3.lost} (${lostRecs.length} lost records), inside the gap ${N - journaled - s3.lost}; gap ${(Number(g.to_wall_ns - g.from_wall_ns) / 1e6).toFixed(0)} ms`);
    await ok(['watch', 'stop', '--dir', dir]);
  });

  it('3. supervisor and worker SIGKILLed mid-storm, then start again: torn tail cut, GAP with reason, cursors continue', { timeout: 900000 }, async (t) => {
    const root = scratch();
    const storm = path.join(root, 'storm');
    const dir = path.join(root, 'w');
    const N = 20000;
    mkfiles(storm, N);
    const args = ['watch', 'start', '--dir', dir, '--id', 'w-three', '--', 'unlink', '--path-prefix', storm];
    const { pid: sup } = JSON.parse(await ok(args)) as { pid: number };
    const worker = (await status(dir)).worker_pid!;
    const { storm: proc, paused } = await pausedStorm(storm, N, N - 3000);
    const killNs = wallNs();
    process.kill(sup, 'SIGKILL');
    process.kill(worker, 'SIGKILL');
    proc.kill('SIGCONT'); // unlinks while nothing watches: inside the gap
    await waitFor('supervisor and worker gone', () => !alive(sup) && !alive(worker));
    const dead = await status(dir);
    assert.equal(dead.state, 'failed', 'status says failed once the supervisor is gone');
    assert.equal(dead.pid, null);
    assert.match(dead.error ?? '', /supervisor .*gone/);

    // what survived (a kill inside write() may have left a torn frame already), plus a torn frame
    const segs = walkJournal(dir, { lenient: true });
    const before = segs.reduce((n, s) => n + s.records.length, 0);
    const last = segs[segs.length - 1];
    const cut = last.torn + 24;
    const torn = Buffer.alloc(24);
    torn.writeUInt32LE(400, 0); // claims 400 bytes, has 20
    torn.writeUInt16LE(1, 4);
    fs.appendFileSync(last.file, torn);
    assert.throws(() => walkJournal(dir), /runs past the end/);

    const again = JSON.parse(await ok(args));
    assert.equal(again.state, 'running');
    assert.equal(await within(exited(proc), LONG), 0);
    fs.writeFileSync(path.join(storm, 'marker'), '');
    fs.unlinkSync(path.join(storm, 'marker'));
    await readUntil(dir, 'the marker', unlinkOf(path.join(storm, 'marker')));
    assert.match(fs.readFileSync(path.join(dir, 'agent.log'), 'utf8'), new RegExp(`cut a torn tail of ${cut} bytes`));

    const all = await read(dir);
    const s = await statusWithEvents(dir, all); // events recounted from the journal after the crash
    checkContiguous(all, s); // no hole: cursors continue across the restart
    checkJournalMatches(dir, all); // every segment whole again
    const gap = all.records[before];
    assert.ok(isGap(gap), `record ${before} (the first after the restart) is a GAP`);
    assert.equal(gap.cursor, before);
    assert.equal(gap.record.reason, 'watch restarted after a crash or reboot');
    assert.ok(gap.record.from_wall_ns <= killNs && gap.record.to_wall_ns >= killNs, 'the gap covers the kill');
    assert.equal(all.records[before + 1].record.type, 'ready');
    assert.equal(s.gaps, 1);
    const journaled = checkStormPaths(all.records, storm, N);
    assert.ok(journaled + s.lost <= N);
    t.diagnostic(`paused mid-storm: ${paused}; ${before} records before the crash, ${s.next_cursor} after; journaled ${journaled} of ${N}`);
    await ok(['watch', 'stop', '--dir', dir]);
  });

  it('4. a tiny cap (--max-mb 1): newest records kept, dropped_cap exact, journal within cap + one segment', { timeout: 900000 }, async (t) => {
    const root = scratch();
    const storm = path.join(root, 'storm');
    const dir = path.join(root, 'w');
    const N = 20000;
    mkfiles(storm, N);
    await ok(['watch', 'start', '--dir', dir, '--id', 'w-four', '--max-mb', '1', '--', 'unlink', '--path-prefix', storm]);
    const proc = trigger(['unlink-many', storm, String(N)]);
    assert.equal(await within(exited(proc), LONG), 0);
    fs.writeFileSync(path.join(storm, 'marker'), '');
    fs.unlinkSync(path.join(storm, 'marker'));
    // the marker is the newest record: once it is journaled, the storm is all in
    let o = await read(dir);
    for (let i = 0; !o.records.some(unlinkOf(path.join(storm, 'marker'))); i++) {
      if (i > 1800) assert.fail('marker never journaled');
      await sleep(100);
      o = await read(dir);
    }
    // status.json and the segment files agree once status caught up (it lags up to a second)
    let segs = walkJournal(dir);
    let s = await status(dir);
    const kept = () => segs.reduce((n, x) => n + x.records.length, 0);
    const bytes = () => segs.reduce((n, x) => n + x.bytes, 0);
    for (let i = 0; s.next_cursor !== segs[0].first + kept() || s.journal_bytes !== bytes(); i++) {
      if (i > 1800) assert.fail(`status never agreed with the journal: ${JSON.stringify(s)}`);
      await sleep(100);
      segs = walkJournal(dir);
      s = await status(dir);
    }
    o = await read(dir);
    assert.equal(s.dropped_cap, s.next_cursor - kept(), 'dropped_cap = records written - records kept');
    assert.ok(s.dropped_cap > 0);
    assert.equal(s.first_cursor, s.dropped_cap);
    const segMax = Math.max(...segs.map((x) => x.bytes));
    assert.ok(bytes() <= (1 << 20) + segMax, `journal ${bytes()} bytes > cap + one segment (${segMax})`);
    assert.deepEqual(o.cursors[0], { cursor: s.first_cursor, skipped: s.first_cursor, before: 0 }, 'CURSOR says what the cap dropped');
    assert.ok(o.records.length >= kept());
    o.records.forEach((d, i) => assert.equal(d.cursor, s.first_cursor + i));
    assert.ok(o.records.some(unlinkOf(path.join(storm, 'marker'))), 'the newest record is kept');
    const idx = o.records.filter(isEvent).map((d) => /\/f(\d+)$/.exec((d.record as KwEvent & { path: string }).path)).filter(Boolean).map((m) => Number(m![1]));
    assert.ok(idx.length > 0 && idx.every((v, i) => i === 0 || v > idx[i - 1]), 'kept unlinks are the latest, in order');
    assert.ok(idx[0] > 0, 'the oldest unlinks were dropped');
    // a reader asking for a dropped cursor is told how many it missed
    const mid = await read(dir, ['--since', '5', '--limit', '1']);
    assert.deepEqual(mid.cursors[0], { cursor: s.first_cursor, skipped: s.first_cursor - 5, before: 0 });
    t.diagnostic(`${s.next_cursor} written, ${kept()} kept in ${segs.length} segments (${bytes()} bytes), dropped_cap ${s.dropped_cap}, lost ${s.lost}`);
    await ok(['watch', 'stop', '--dir', dir]);
  });

  it('5. free-space floor on a 4 MiB tmpfs with --keep-free-mb 3: never fills it, dropped_space counted, note set', { timeout: 900000 }, async (t) => {
    const root = scratch();
    const storm = path.join(root, 'storm');
    const small = path.join(root, 'small');
    const N = 20000;
    mkfiles(storm, N);
    fs.mkdirSync(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'kw-watch-small', small]);
    mounts.push(small);
    const dir = path.join(small, 'w');
    await ok(['watch', 'start', '--dir', dir, '--id', 'w-five', '--keep-free-mb', '3', '--', 'unlink', '--path-prefix', storm]);
    const proc = trigger(['unlink-many', storm, String(N)]);
    assert.equal(await within(exited(proc), LONG), 0);
    // every storm unlink is accounted for: journaled, dropped for space, or lost in the ring
    const s = await waitStatus(dir, 'the storm accounted for', (x) => x.events + x.dropped_space + x.lost >= N);
    const free = (() => {
      const out = execFileSync('df', ['-B1', '--output=avail', small], { encoding: 'utf8' }).trim().split('\n');
      return Number(out[out.length - 1]);
    })();
    assert.ok(free >= 3 * 1024 * 1024 - 64 * 1024, `only ${free} bytes free: the floor was crossed`);
    assert.ok(s.dropped_space > 0, 'records were dropped for space');
    assert.match(s.note ?? '', new RegExp(`^journal paused: free space below 3 MiB on ${small.replace(/[/.]/g, '\\$&')}$`));
    assert.equal(s.state, 'running', 'the watch keeps running');
    const all = await read(dir);
    checkContiguous(all, await status(dir));
    checkJournalMatches(dir, all);
    t.diagnostic(`journaled ${s.events} events (${s.journal_bytes} bytes), dropped_space ${s.dropped_space}, lost ${s.lost}, ${free} bytes free after`);
    await ok(['watch', 'stop', '--dir', dir]);
  });

  it('6. clear errors: second start, unknown dirs, unwritable dir, bad usage, a worker that cannot start; list', { timeout: 600000 }, async () => {
    const root = scratch();
    const dir = path.join(root, 'w');
    const out = JSON.parse(await ok(['watch', 'start', '--dir', dir, '--id', 'w-six', '--', 'exec']));
    await fails(['watch', 'start', '--dir', dir, '--id', 'w-six', '--', 'exec'], 1, new RegExp(`^kwitness-agent: watch w-six is already running \\(pid ${out.pid}\\)$`));
    const nowhere = path.join(root, 'nowhere');
    for (const sub of [['status'], ['stop'], ['read'], ['stop', '--keep']]) {
      await fails(['watch', sub[0], '--dir', nowhere, ...sub.slice(1)], 1, new RegExp(`^kwitness-agent: no watch at ${nowhere}$`));
    }
    const ro = path.join(root, 'ro');
    fs.mkdirSync(ro);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'kw-watch-ro', ro]);
    mounts.push(ro);
    await fails(['watch', 'start', '--dir', path.join(ro, 'w'), '--id', 'x', '--', 'unlink'], 1, /^kwitness-agent: cannot create watch dir .*\/ro\/w: Read-only file system$/);
    await fails(['watch', 'start', '--dir', ro, '--id', 'x', '--', 'unlink'], 1, /^kwitness-agent: cannot write to watch dir .*\/ro: Read-only file system$/);
    await fails(['watch', 'start', '--id', 'x', '--', 'unlink'], 2, /--dir/);
    await fails(['watch', 'start', '--dir', path.join(root, 'u'), '--', 'unlink'], 2, /--id/);
    await fails(['watch', 'start', '--dir', path.join(root, 'u'), '--id', 'x', '--', 'bogus'], 2, /bogus/);
    await fails(['watch', 'start', '--dir', path.join(root, 'u'), '--id', 'x', '--', 'unlink', '--format', 'json'], 2, /--format/);
    await fails(['watch', 'start', '--dir', path.join(root, 'u'), '--id', 'x', '--max-mb', '0', '--', 'unlink'], 2, /--max-mb/);
    await fails(['watch', 'frobnicate'], 2, /frobnicate/);
    // the first worker cannot start: its own error line, the watch failed
    const bad = path.join(root, 'bad');
    await fails(['watch', 'start', '--dir', bad, '--id', 'w-bad', '--', 'unlink', '--cgroup', 'kw-no-such-cgroup'], 2, /--cgroup kw-no-such-cgroup: no such cgroup/);
    const bs = await status(bad);
    assert.equal(bs.state, 'failed');
    assert.match(bs.error ?? '', /no such cgroup/);
    // a stranger's directory is not littered
    const foreign = path.join(root, 'foreign');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'precious'), 'x');
    await fails(['watch', 'start', '--dir', foreign, '--id', 'x', '--', 'unlink'], 1, /is not a watch directory/);

    const list = JSON.parse(await ok(['watch', 'list', '--root', root])) as Status[];
    assert.deepEqual(list.map((s) => [s.id, s.state]), [['w-bad', 'failed'], ['w-six', 'running']]);
    assert.deepEqual(JSON.parse(await ok(['watch', 'list', '--root', path.join(root, 'none')])), []);
    // a supervisor killed outright: stop finds a stale pid file, cleans up and says so
    const worker = (await status(dir)).worker_pid!;
    process.kill(out.pid, 'SIGKILL');
    await waitFor('the killed supervisor and its worker gone', () => !alive(out.pid) && !alive(worker));
    const r = await agent(['watch', 'stop', '--dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const fin = JSON.parse(r.stdout.toString()) as Status;
    assert.equal(fin.state, 'failed');
    assert.equal(fin.note, `the supervisor (pid ${out.pid}) was already gone (stale pid file): cleaned up`);
    assert.ok(!fs.existsSync(dir));
    await ok(['watch', 'stop', '--dir', bad]);
    assert.ok(!fs.existsSync(bad));
    // DIR deleted under a running watch: it cannot be reached any more, so it ends by itself
    const lost = path.join(root, 'removed');
    const lo = JSON.parse(await ok(['watch', 'start', '--dir', lost, '--id', 'w-removed', '--', 'unlink', '--path-prefix', root]));
    const lw = (await status(lost)).worker_pid!;
    fs.rmSync(lost, { recursive: true, force: true });
    await waitFor('the orphaned supervisor and worker to end', () => !alive(lo.pid) && !alive(lw));
    assert.ok(fs.existsSync(path.join(foreign, 'precious')));
  });

  it('7. --on-hit: the event as JSON on stdin; a burst of 100 events runs it at most 11 times, the rest counted as suppressed', { timeout: 600000 }, async (t) => {
    const root = scratch();
    const target = path.join(root, 'target');
    const hits = path.join(root, 'hits');
    const dir = path.join(root, 'w');
    fs.mkdirSync(target);
    fs.mkdirSync(hits);
    fs.writeFileSync(path.join(target, 'one'), 'x');
    await ok(['watch', 'start', '--dir', dir, '--id', 'w-seven', '--on-hit', `cat > ${hits}/$$.tmp && mv ${hits}/$$.tmp ${hits}/$$.json`, '--', 'unlink', '--path-prefix', target]);
    const hitFiles = () => fs.readdirSync(hits).filter((f) => f.endsWith('.json'));
    execFileSync('/bin/rm', [path.join(target, 'one')]);
    await waitFor('the on-hit output', () => hitFiles().length === 1);
    const hit = JSON.parse(fs.readFileSync(path.join(hits, hitFiles()[0]), 'utf8'));
    assert.equal(hit.type, 'unlink');
    assert.equal(hit.path, path.join(target, 'one'));
    assert.equal(hit.op, 'unlink');
    assert.equal(hit.ret, 0);
    assert.equal(hit.comm, 'rm');
    assert.match(hit.exe, /\/rm$/);
    assert.equal(hit.uid, 0);
    assert.ok(hit.pid > 0 && hit.ppid > 0);
    assert.match(hit.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    assert.equal(hit.watch, 'w-seven');
    assert.equal(typeof hit.cursor, 'number');
    const s1 = await waitStatus(dir, 'the first run counted', (s) => s.on_hit_runs === 1);

    mkfiles(path.join(target, 'burst'), 100);
    execFileSync(TRIGGER, ['unlink-many', path.join(target, 'burst'), '100']);
    const s2 = await waitStatus(dir, 'the burst journaled and judged', (s) => s.events === s1.events + 100 && s.on_hit_runs + s.on_hit_suppressed === s.events);
    const runs = s2.on_hit_runs - s1.on_hit_runs;
    assert.ok(runs >= 1 && runs <= 11, `${runs} runs for a burst of 100`);
    assert.equal(s2.on_hit_suppressed - s1.on_hit_suppressed, 100 - runs);
    await waitFor('every run wrote its file', () => hitFiles().length === 1 + runs);
    for (const f of hitFiles()) {
      const h = JSON.parse(fs.readFileSync(path.join(hits, f), 'utf8'));
      assert.match(h.path, new RegExp(`^${target}/`));
    }
    t.diagnostic(`burst of 100: ${runs} runs, ${s2.on_hit_suppressed - s1.on_hit_suppressed} suppressed`);
    await ok(['watch', 'stop', '--dir', dir]);
  });

  it('9. calls the kernel could not track (--pending-max 2, 6 opens blocked at once) show as untracked in the status, kept across a restart of the supervisor', { timeout: 600000 }, async () => {
    const root = scratch();
    const dir = path.join(root, 'w');
    const fifo = path.join(root, 'fifo');
    // a copy by its own name: --comm keeps every other process's calls out of the tiny table
    const kwpend = path.join(root, 'kwpend');
    fs.copyFileSync(TRIGGER, kwpend);
    fs.chmodSync(kwpend, 0o755);
    execFileSync(TRIGGER, ['mknod', fifo]);
    await ok(['watch', 'start', '--dir', dir, '--id', 'w-nine', '--', 'write', '--comm', 'kwpend', '--pending-max', '2']);
    await waitStatus(dir, 'the worker ready', (s) => s.state === 'running');
    const out = execFileSync(kwpend, ['fifo-writers', fifo, '6'], { encoding: 'utf8' });
    assert.match(out, /opened=6/);
    const s = await waitStatus(dir, '2 events and 4 untracked', (x) => x.events === 2 && x.untracked === 4);
    assert.equal(s.lost, 0, 'the ring buffer had room: nothing else may be counted as lost');
    // a new supervisor of the same dir takes the count over from status.json and the journal
    const pid = s.pid!;
    process.kill(pid, 'SIGKILL');
    await waitFor('the supervisor gone', () => !alive(pid));
    await ok(['watch', 'start', '--dir', dir, '--id', 'w-nine', '--', 'write', '--comm', 'kwpend', '--pending-max', '2']);
    const s2 = await waitStatus(dir, 'the count kept after a restart', (x) => x.state === 'running' && x.pid !== pid);
    assert.equal(s2.untracked, 4);
    await ok(['watch', 'stop', '--dir', dir]);
  });

  it('8. --until and --max-events stop the watch by themselves; --foreground stays in the foreground', { timeout: 600000 }, async () => {
    const root = scratch();
    const target = path.join(root, 'target');
    fs.mkdirSync(target);
    const until = path.join(root, 'until');
    const at = Math.floor(Date.now() / 1000) + 3;
    await ok(['watch', 'start', '--dir', until, '--id', 'w-until', '--until', String(at), '--', 'unlink', '--path-prefix', target]);
    const su = await waitStatus(until, 'stopped by --until, supervisor gone', (s) => s.state === 'stopped' && s.pid === null);
    assert.equal(su.note, `stopped: --until ${at} reached`);
    assert.equal(su.pid, null);
    assert.ok(Date.now() >= at * 1000);
    assert.ok(!fs.existsSync(path.join(until, 'supervisor.pid')));

    const maxd = path.join(root, 'max');
    mkfiles(path.join(target, 'm'), 20);
    await ok(['watch', 'start', '--dir', maxd, '--id', 'w-max', '--max-events', '5', '--', 'unlink', '--path-prefix', target]);
    execFileSync(TRIGGER, ['unlink-many', path.join(target, 'm'), '20']);
    const sm = await waitStatus(maxd, 'stopped by --max-events, supervisor gone', (s) => s.state === 'stopped' && s.pid === null);
    assert.equal(sm.events, 5);
    assert.equal(sm.note, 'stopped: --max-events 5 reached');
    const o = await read(maxd);
    assert.equal(o.records.filter(isEvent).length, 5);
    assert.ok(o.end);
    for (const d of [until, maxd]) {
      const fin = JSON.parse(await ok(['watch', 'stop', '--dir', d]));
      assert.equal(fin.state, 'stopped');
      assert.ok(!fs.existsSync(d));
    }

    const fg = path.join(root, 'fg');
    const child = spawn(AGENT, ['watch', 'start', '--dir', fg, '--id', 'w-fg', '--foreground', '--', 'unlink', '--path-prefix', target], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let line = '';
    child.stdout.on('data', (d: Buffer) => (line += d.toString()));
    const done = exited(child);
    await waitFor('the foreground start line', () => line.includes('\n') || child.exitCode !== null);
    const started = JSON.parse(line);
    assert.equal(started.pid, child.pid, 'the supervisor is the process itself');
    assert.equal((await status(fg)).state, 'running');
    const fin = JSON.parse(await ok(['watch', 'stop', '--dir', fg, '--keep']));
    assert.equal(fin.state, 'stopped');
    assert.equal(await within(done, LONG), 0);
    assert.ok(fs.existsSync(path.join(fg, 'journal')), '--keep keeps DIR');
  });
});
