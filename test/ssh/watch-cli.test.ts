// `kwitness watch …` (dist/cli.js) over a real sshd on 127.0.0.1 with the real agent: a watch
// set on a directory keeps running on the target after the CLI has exited and every SSH
// connection to it was killed; a deletion by a renamed copy of rm is in its journal when a new
// CLI connects later, with the right process; follow sees new events live; stop leaves no
// supervisor, no tracer, no BPF program and no files. Unknown ids give one clear line.
import assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';

import { INSTALL_ROOT } from '../../src/core/host/deploy';
import { Sshd, rootTarget, sh, tempDir, waitFor } from './harness';

const ROOT = path.resolve(__dirname, '../../..');
let dir: string;
let A: Sshd;
let sshConfig: string;
let knownHosts: string;
let work: string;

function cli(args: string[]): { code: number; out: string; err: string } {
  const r = cp.spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'watch', ...args, '--host', 't-root', '--ssh-config', sshConfig, '--known-hosts', knownHosts], {
    encoding: 'utf8',
    timeout: 180000,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function jsonLines(text: string): Array<Record<string, unknown>> {
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

function bpfProgsOf(pid: number): number[] {
  const ids = new Set<number>();
  try {
    for (const fd of fs.readdirSync(`/proc/${pid}/fdinfo`)) {
      const m = /prog_id:\s*(\d+)/.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (m) ids.add(Number(m[1]));
    }
  } catch {
    /* gone */
  }
  return [...ids];
}

/** True while `pid` runs; a zombie (ended, not yet reaped by an init that does not reap) is gone. */
function running(pid: number): boolean {
  try {
    return !/^State:\s*Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** Pids of processes whose parent is `pid` (the supervisor's tracer). */
function childrenOf(pid: number): number[] {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((p) => {
    try {
      return Number(fs.readFileSync(`/proc/${p}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]) === pid;
    } catch {
      return false;
    }
  });
}

before(async () => {
  dir = tempDir('kw-watchcli-');
  fs.chmodSync(dir, 0o755);
  work = path.join(dir, 'work');
  fs.mkdirSync(work);
  ({ sshd: A, sshConfig, knownHosts } = await rootTarget(dir));
});

after(async () => {
  await A?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('a watch outlives the CLI and its SSH connections; a later CLI reads the deletion with the right process; stop leaves nothing', async () => {
  const victim = path.join(work, 'disk.img');
  fs.writeFileSync(victim, 'data');
  const deleter = path.join(dir, 'kw-deleter');
  fs.copyFileSync('/bin/rm', deleter);
  fs.chmodSync(deleter, 0o755);

  const start = cli(['start', 'unlink', '--path-prefix', work, '--name', 'disk watch', '--json']);
  assert.equal(start.code, 0, start.err);
  const started = JSON.parse(start.out.trim()) as { id: string; host: string; state: string; pid: number };
  assert.equal(started.state, 'running');
  assert.ok(started.pid > 0 && running(started.pid), 'the watch supervisor runs on the target');
  const watchDir = path.join(INSTALL_ROOT, 'watches', started.id);
  let stopped = false;
  try {
    // nothing of ours holds the target now: the CLI exited; kill whatever sshd sessions remain
    A.killConnections();
    const tracer = await waitFor('the watch tracer with BPF programs', () => childrenOf(started.pid).find((p) => bpfProgsOf(p).length > 0));
    const progs = bpfProgsOf(tracer);

    cp.execFileSync(deleter, [victim]);

    // a new CLI (a new connection) finds the event in the journal
    const ev = await waitFor('the deletion in the journal', () => {
      const r = cli(['show', started.id, '--json']);
      assert.equal(r.code, 0, r.err);
      return jsonLines(r.out).find((e) => e.type === 'unlink' && e.path === victim);
    });
    assert.equal(ev.comm, 'kw-deleter');
    assert.equal(ev.exe, deleter);
    assert.equal(typeof ev.cursor, 'number');
    assert.equal(ev.ret, 0);

    const list = cli(['list', '--json']);
    assert.equal(list.code, 0, list.err);
    const mine = (JSON.parse(list.out.trim()) as Array<Record<string, unknown>>).find((w) => w.id === started.id);
    assert.ok(mine, `watch list has ${started.id}: ${list.out}`);
    assert.equal(mine.name, 'disk watch');
    assert.equal(mine.state, 'running');
    assert.equal(mine.pid, started.pid);
    assert.ok((mine.events as number) >= 1);
    assert.equal(mine.lost, 0);
    assert.match(String(mine.filter), new RegExp(`unlink, under ${work.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    for (const k of ['started', 'last_event']) assert.ok(mine[k], `${k} in watch list`);

    // follow from after that event: a new deletion arrives live
    const follow = cp.spawn(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'watch', 'follow', started.id, '--since', String((ev.cursor as number) + 1), '--json', '--host', 't-root', '--ssh-config', sshConfig, '--known-hosts', knownHosts], { stdio: ['ignore', 'pipe', 'pipe'] });
    let followed = '';
    let followErr = '';
    follow.stdout.on('data', (d) => (followed += d));
    follow.stderr.on('data', (d) => (followErr += d));
    const followClosed = new Promise<number | null>((r) => follow.on('close', (c) => r(c)));
    try {
      const second = path.join(work, 'second.img');
      fs.writeFileSync(second, 'x');
      // the follower may still be connecting: deletions made before it reads are in the journal too
      cp.execFileSync(deleter, [second]);
      await waitFor('the live deletion in follow', () => jsonLines(followed).find((e) => e.type === 'unlink' && e.path === second));
      assert.ok(!jsonLines(followed).some((e) => e.path === victim), 'follow --since skips what was read before');
    } finally {
      follow.kill('SIGINT');
    }
    assert.equal(await followClosed, 0, followErr);

    const stop = cli(['stop', started.id, '--json']);
    assert.equal(stop.code, 0, stop.err);
    stopped = true;
    const final = JSON.parse(stop.out.trim()) as Record<string, unknown>;
    assert.ok((final.events as number) >= 2, `final status counts both deletions: ${stop.out}`);
    assert.equal(running(started.pid), false, 'the supervisor is gone');
    assert.equal(running(tracer), false, 'the tracer is gone');
    const loaded = new Set((JSON.parse(sh('bpftool prog show --json')) as Array<{ id: number }>).map((p) => p.id));
    assert.deepEqual(progs.filter((id) => loaded.has(id)), [], 'no BPF program of the watch is left');
    assert.equal(fs.existsSync(watchDir), false, 'its files are removed');
  } finally {
    if (!stopped) cli(['stop', started.id]);
  }
});

test('unknown watch ids and bad ids: one clear line, nothing started', () => {
  const r = cli(['show', 'w-no-such-watch']);
  assert.notEqual(r.code, 0);
  assert.match(r.err, /no such watch/);
  const bad = cli(['stop', '../etc']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /watch id "\.\.\/etc" is not valid/);
  const past = cli(['start', 'unlink', '--until', '2001-01-01T00:00:00Z']);
  assert.equal(past.code, 2);
  assert.match(past.err, /--until .* is in the past/);
  const service = cli(['start', 'unlink', '--service', 'cron']);
  assert.equal(service.code, 2);
  assert.match(service.err, /--service must be auto, systemd or daemon, got "cron"/);
  if (!fs.existsSync('/run/systemd/system')) {
    // this machine has no systemd as PID 1: a watch that must survive a reboot cannot be promised
    const persistent = cli(['start', 'unlink', '--persistent', '--path-prefix', work]);
    assert.equal(persistent.code, 1, persistent.err);
    assert.match(persistent.err, /--persistent \(a watch that survives a reboot\): systemd is not running on this host \(no \/run\/systemd\/system\)/);
    const list = cli(['list', '--json']);
    const mine = (JSON.parse(list.out.trim()) as Array<{ filter: string }>).filter((w) => w.filter.includes(work));
    assert.deepEqual(mine, [], 'nothing was started');
  }
});
