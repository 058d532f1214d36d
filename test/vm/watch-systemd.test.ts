// Watches on a host that runs systemd (issue 11), in the harness's real Debian 12 guest
// (`--image disk`: systemd as PID 1), driven by the real CLI (dist/cli.js) over SSH:
//   - a watch runs as a transient unit with its limits; SIGKILL of its supervisor is answered by
//     systemd with a restart, and the journal says how long nobody was watching (a gap);
//   - the deletion by a renamed copy of rm is journaled with that process;
//   - a --persistent watch is an enabled unit: it records events after a reboot and after a
//     power loss (qemu killed), with the downtime as gaps, nothing journaled before lost;
//   - stop leaves no unit, no unit file, no agent process, no watch files.
import assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';

import { freePort, tempDir } from '../ssh/harness';
import { repoRoot, startVm, type Vm } from './vm';

const ROOT = repoRoot();
const WATCHES = '/var/lib/kwitness/watches';
let vm: Vm | undefined;
let dir: string;
let sshConfig: string;

interface Cli {
  code: number;
  out: string;
  err: string;
}

/** The CLI as a user runs it (a new process and SSH connection each time). */
function cli(args: string[]): Promise<Cli> {
  return new Promise((resolve) => {
    cp.execFile(
      process.execPath,
      [path.join(ROOT, 'dist', 'cli.js'), 'watch', ...args, '--host', 'vm-root', '--ssh-config', sshConfig, '--known-hosts', vm!.knownHostsPath, '--timeout', '120'],
      { timeout: 600000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, out: String(stdout), err: String(stderr) }),
    );
  });
}

async function cliOk(args: string[]): Promise<string> {
  const r = await cli(args);
  assert.equal(r.code, 0, `kwitness watch ${args.join(' ')}: ${r.err}`);
  return r.out;
}

async function guest(cmd: string): Promise<string> {
  const r = await vm!.ssh(cmd);
  assert.equal(r.code, 0, `guest: ${cmd}: ${r.stderr}`);
  return r.stdout.trim();
}

function jsonLines(text: string): Array<Record<string, unknown>> {
  return text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Polls (each try is a round trip into an emulated guest) until fn gives a value; the limit is a safety net. */
async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 300000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function status(id: string): Promise<Record<string, unknown> | undefined> {
  const r = await cli(['list', '--json']);
  if (r.code !== 0) return undefined;
  const w = (JSON.parse(r.out.trim() || '[]') as Array<Record<string, unknown>>).find((x) => x.id === id);
  return w;
}

async function show(id: string): Promise<Array<Record<string, unknown>>> {
  return jsonLines(await cliOk(['show', id, '--json']));
}

/** Nothing of the watch is left in the guest. */
async function assertNothingLeft(id: string, unit: string): Promise<void> {
  assert.equal(await guest(`systemctl list-units --all --plain --no-legend '${unit}' | wc -l`), '0', `unit ${unit} is gone`);
  assert.equal(await guest(`test -e /etc/systemd/system/${unit} && echo yes || echo no`), 'no', 'no unit file');
  assert.equal(await guest(`test -e ${WATCHES}/${id} && echo yes || echo no`), 'no', 'the watch files are removed');
  assert.equal(await agentProcesses(id), 0, 'no agent process is left');
}

/** Processes running the watch's copy of the agent (supervisor and tracer; "(deleted)" once its dir is gone). */
async function agentProcesses(id: string): Promise<number> {
  const exes = await guest(`for p in /proc/[0-9]*; do readlink "$p/exe" 2>/dev/null; done; true`);
  return exes.split('\n').filter((e) => e.startsWith(`${WATCHES}/${id}/kwitness-agent`)).length;
}

before(async () => {
  dir = tempDir('kw-vm-systemd-');
  vm = await startVm({ kernel: '6.1', image: 'disk', name: `watch-sd-${process.pid}`, port: await freePort() });
  console.log(`# systemd guest ${vm.kver} (${vm.accel}) booted in ${vm.bootSeconds} s on port ${vm.port}`);
  sshConfig = path.join(dir, 'ssh_config');
  fs.writeFileSync(sshConfig, `Host vm-root\n  HostName 127.0.0.1\n  Port ${vm.port}\n  User root\n  IdentityFile ${vm.keyPath}\n  IdentitiesOnly yes\n`);
  await guest('mkdir -p /srv/kw && cp /usr/bin/rm /usr/local/bin/kw-eraser');
});

after(async () => {
  await vm?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('systemd guest: a watch is a transient unit with limits; systemd restarts a killed supervisor, the gap is journaled; stop leaves nothing', async () => {
  const started = JSON.parse((await cliOk(['start', 'unlink', '--path-prefix', '/srv/kw/t/', '--name', 'transient', '--json'])).trim()) as { id: string; pid: number; unit: string | null; persistent: boolean };
  const unit = `kwitness-watch-${started.id}.service`;
  assert.equal(started.unit, unit, 'where systemd runs, the watch is its unit');
  assert.equal(started.persistent, false);
  let stopped = false;
  try {
    const props = Object.fromEntries(
      (await guest(`systemctl show -p ActiveState,Type,Restart,MemoryMax,CPUQuotaPerSecUSec,KillMode,MainPID,FragmentPath ${unit}`)).split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)),
    );
    assert.equal(props.ActiveState, 'active');
    assert.equal(props.Type, 'notify');
    assert.equal(props.Restart, 'on-failure');
    assert.equal(props.MemoryMax, String(512 * 1024 * 1024));
    assert.equal(props.CPUQuotaPerSecUSec, '1s');
    assert.equal(props.KillMode, 'mixed');
    assert.equal(Number(props.MainPID), started.pid, 'the supervisor is the unit\'s main process');
    assert.match(props.FragmentPath, /^\/run\/systemd\/transient\//, 'a transient unit: gone after a reboot');

    await guest('mkdir -p /srv/kw/t && echo a > /srv/kw/t/before.img && kw-eraser /srv/kw/t/before.img');
    await until('the first deletion in the journal', async () => (await show(started.id)).find((e) => e.path === '/srv/kw/t/before.img'));

    // the supervisor dies as if the OOM killer took it: systemd starts it again (Restart=on-failure)
    await guest(`kill -KILL ${started.pid}`);
    const restarted = await until('a new supervisor started by systemd', async () => {
      const pid = Number(await guest(`systemctl show -p MainPID --value ${unit}`));
      const st = await status(started.id);
      return pid > 0 && pid !== started.pid && st?.state === 'running' && st.pid === pid ? pid : undefined;
    });
    await guest('echo b > /srv/kw/t/after.img && kw-eraser /srv/kw/t/after.img');
    const recs = await until('the deletion after the restart', async () => {
      const all = await show(started.id);
      return all.some((e) => e.path === '/srv/kw/t/after.img') ? all : undefined;
    });
    const events = recs.filter((e) => e.type === 'unlink');
    assert.deepEqual(events.map((e) => e.path), ['/srv/kw/t/before.img', '/srv/kw/t/after.img'], 'both deletions, once each, in order');
    for (const e of events) {
      assert.equal(e.comm, 'kw-eraser');
      assert.equal(e.exe, '/usr/local/bin/kw-eraser');
    }
    const gap = recs.find((r) => r.type === 'gap');
    assert.ok(gap, `a gap record covers the time the supervisor was down: ${JSON.stringify(recs.map((r) => r.type))}`);
    assert.equal(gap.reason, 'watch restarted after a crash or reboot', 'same boot, not stopped: the supervisor died');
    const cursors = recs.map((r) => r.cursor as number);
    assert.deepEqual(cursors, cursors.map((_, i) => cursors[0] + i), 'cursors continue without a hole');
    const st = await status(started.id);
    assert.equal(st?.events, 2);
    assert.equal(st?.lost, 0);
    assert.ok(restarted > 0);

    assert.equal(await agentProcesses(started.id), 2, 'the supervisor and its tracer run the copy in the watch dir');
    const final = JSON.parse((await cliOk(['stop', started.id, '--json'])).trim()) as Record<string, unknown>;
    stopped = true;
    assert.equal(final.state, 'stopped');
    assert.equal(final.events, 2);
    await assertNothingLeft(started.id, unit);
  } finally {
    if (!stopped) await cli(['stop', started.id]);
  }
});

test('systemd guest: a --persistent watch records after a reboot and after a power loss, gaps for the downtime; stop removes the unit', async () => {
  const started = JSON.parse((await cliOk(['start', 'unlink', '--persistent', '--path-prefix', '/srv/kw/p/', '--name', 'persistent', '--json'])).trim()) as { id: string; unit: string; persistent: boolean };
  const unit = `kwitness-watch-${started.id}.service`;
  assert.equal(started.unit, unit);
  assert.equal(started.persistent, true);
  let stopped = false;
  try {
    assert.equal(await guest(`systemctl is-enabled ${unit}`), 'enabled');
    assert.equal(await guest(`systemctl show -p FragmentPath --value ${unit}`), `/etc/systemd/system/${unit}`);

    await guest('mkdir -p /srv/kw/p && echo 1 > /srv/kw/p/one.img && kw-eraser /srv/kw/p/one.img');
    const first = await until('the deletion before the reboot', async () => (await show(started.id)).find((e) => e.path === '/srv/kw/p/one.img'));
    const bootBefore = await vm!.bootId();
    await vm!.reboot();
    assert.notEqual(await vm!.bootId(), bootBefore, 'the guest really rebooted');
    await until('the watch running again after the reboot', async () => (await status(started.id))?.state === 'running');
    const deletedBy = BigInt(await guest('echo 2 > /srv/kw/p/two.img && kw-eraser /srv/kw/p/two.img && date +%s%N'));
    await until('the deletion after the reboot', async () => (await show(started.id)).find((e) => e.path === '/srv/kw/p/two.img'));

    // power loss: qemu killed, no shutdown at all. The journal promises what it has synced
    // (status.json's synced_until_ns, guest clock): wait until that covers the deletion.
    await until('the journal synced past the second deletion', async () => {
      const st = JSON.parse(await guest(`cat ${WATCHES}/${started.id}/status.json`)) as { synced_until_ns: number };
      return BigInt(st.synced_until_ns) >= deletedBy;
    });
    await vm!.powerCycle();
    await until('the watch running again after the power loss', async () => (await status(started.id))?.state === 'running');
    await guest('echo 3 > /srv/kw/p/three.img && kw-eraser /srv/kw/p/three.img');
    const recs = await until('the deletion after the power loss', async () => {
      const all = await show(started.id);
      return all.some((e) => e.path === '/srv/kw/p/three.img') ? all : undefined;
    });
    const events = recs.filter((e) => e.type === 'unlink');
    assert.deepEqual(events.map((e) => e.path), ['/srv/kw/p/one.img', '/srv/kw/p/two.img', '/srv/kw/p/three.img'], 'every deletion, once, in order');
    for (const e of events) assert.equal(e.comm, 'kw-eraser');
    assert.equal(events[0].cursor, first.cursor, 'cursors are stable across reboots');
    const gaps = recs.filter((r) => r.type === 'gap');
    assert.equal(gaps.length, 2, `one gap per downtime: ${JSON.stringify(gaps)}`);
    assert.equal(gaps[0].reason, 'watch restarted after the host rebooted');
    assert.equal(gaps[1].reason, 'watch restarted after the host crashed or lost power');
    // each gap lies between the events around its downtime
    const at = (r: Record<string, unknown>): number => recs.indexOf(r);
    assert.ok(at(events[0]) < at(gaps[0]) && at(gaps[0]) < at(events[1]) && at(events[1]) < at(gaps[1]) && at(gaps[1]) < at(events[2]));
    const st = await status(started.id);
    assert.equal(st?.events, 3);

    const final = JSON.parse((await cliOk(['stop', started.id, '--json'])).trim()) as Record<string, unknown>;
    stopped = true;
    assert.equal(final.state, 'stopped');
    await assertNothingLeft(started.id, unit);
    const enabled = await vm!.ssh(`systemctl is-enabled ${unit}`);
    assert.notEqual(enabled.code, 0, 'not enabled any more');
  } finally {
    if (!stopped) await cli(['stop', started.id]);
  }
});

test('systemd guest: a --persistent watch that reaches --max-events disables and removes its own unit; its journal stays readable', async () => {
  const started = JSON.parse((await cliOk(['start', 'unlink', '--persistent', '--max-events', '1', '--path-prefix', '/srv/kw/m/', '--json'])).trim()) as { id: string; unit: string };
  const unit = `kwitness-watch-${started.id}.service`;
  let stopped = false;
  try {
    assert.equal(await guest(`systemctl is-enabled ${unit}`), 'enabled');
    await guest('mkdir -p /srv/kw/m && echo 1 > /srv/kw/m/only.img && kw-eraser /srv/kw/m/only.img');
    const st = await until('the watch stopped by its own terms', async () => {
      const s = await status(started.id);
      return s?.state === 'stopped' ? s : undefined;
    });
    assert.equal(st.events, 1);
    const note = (JSON.parse(await guest(`cat ${WATCHES}/${started.id}/status.json`)) as { note: string }).note;
    assert.equal(note, 'stopped: --max-events 1 reached; its systemd unit was disabled and removed');
    assert.equal(await guest(`test -e /etc/systemd/system/${unit} && echo yes || echo no`), 'no', 'no unit file: the next boot starts nothing');
    assert.notEqual((await vm!.ssh(`systemctl is-enabled ${unit}`)).code, 0, 'not enabled');
    assert.deepEqual((await show(started.id)).filter((e) => e.type === 'unlink').map((e) => e.path), ['/srv/kw/m/only.img'], 'the journal is still there to read');
    const final = JSON.parse((await cliOk(['stop', started.id, '--json'])).trim()) as Record<string, unknown>;
    stopped = true;
    assert.equal(final.note, note, 'stop finds the unit gone and says nothing worse');
    await assertNothingLeft(started.id, unit);
  } finally {
    if (!stopped) await cli(['stop', started.id]);
  }
});
