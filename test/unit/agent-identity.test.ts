// The script that checks (and signals) a pid only when it is still the agent we started: its
// exe is an installed agent under the install root and its start time is the one the start
// script announced. Run here with /bin/sh against real processes (a `sleep` is never ours;
// a copy of sleep installed as ROOT/<sha>/kwitness-agent is ours only with the right start time).
import assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { agentCheckScript, agentStartScript, parseAgentAnnouncement } from '../../src/core/host/deploy';

function startTime(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[19];
}
const sh = (script: string): string => cp.execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8' }).trim();
const alive = (p: cp.ChildProcess): boolean => p.exitCode === null && p.signalCode === null;
const exited = (p: cp.ChildProcess): Promise<unknown> => new Promise((r) => (alive(p) ? p.once('exit', r) : r(undefined)));

test('agent identity: a process that is not an installed agent is never signalled', async () => {
  const sleeper = cp.spawn('sleep', ['600'], { stdio: 'ignore' });
  try {
    const id = { pid: sleeper.pid!, startTime: startTime(sleeper.pid!) };
    assert.match(sh(agentCheckScript(id, '/var/lib/kwitness', 'KILL')), /^other \/(usr\/)?bin\/sleep \d+$/);
    assert.match(sh(agentCheckScript(id)), /^other /);
    assert.ok(alive(sleeper), 'the sleep still runs');
  } finally {
    sleeper.kill('SIGKILL');
  }
});

test('agent identity: an installed agent with another start time (a reused pid) is refused; the right one is signalled', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kw-ident-'));
  const exe = path.join(root, 'e'.repeat(64), 'kwitness-agent');
  fs.mkdirSync(path.dirname(exe));
  fs.copyFileSync(fs.realpathSync(cp.execFileSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).trim()), exe);
  fs.chmodSync(exe, 0o755);
  const agent = cp.spawn(exe, ['600'], { stdio: 'ignore' });
  try {
    const real = startTime(agent.pid!);
    const wrong = { pid: agent.pid!, startTime: String(Number(real) - 1) };
    assert.equal(sh(agentCheckScript(wrong, root, 'KILL')), `other ${exe} ${real}`);
    assert.equal(sh(agentCheckScript(wrong, root)), `other ${exe} ${real}`);
    assert.ok(alive(agent), 'refused: still running');
    assert.equal(sh(agentCheckScript({ pid: agent.pid!, startTime: real }, '/var/lib/elsewhere', 'KILL')), `other ${exe} ${real}`, 'another install root');
    assert.equal(sh(agentCheckScript({ pid: agent.pid!, startTime: real }, root)), 'ours');
    assert.equal(sh(agentCheckScript({ pid: agent.pid!, startTime: real }, root, 'TERM')), 'signalled TERM');
    await exited(agent);
    assert.equal(agent.signalCode, 'SIGTERM');
    assert.equal(sh(agentCheckScript({ pid: agent.pid!, startTime: real }, root, 'KILL')), 'gone');
  } finally {
    if (alive(agent)) agent.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('agent identity: the start script announces pid and start time of the process that becomes the agent', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kw-ident-'));
  const sha = cp.execFileSync('sha256sum', ['/bin/sh'], { encoding: 'utf8' }).slice(0, 64);
  fs.mkdirSync(path.join(root, sha));
  fs.copyFileSync('/bin/sh', path.join(root, sha, 'kwitness-agent'));
  fs.chmodSync(path.join(root, sha, 'kwitness-agent'), 0o755);
  try {
    // the "agent" (a copy of sh) prints its own pid and start time: they must be what was announced
    const r = cp.spawnSync('/bin/sh', ['-c', agentStartScript(sha, ['-c', 'echo $$; cut -d" " -f22 /proc/$$/stat'], root)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const id = parseAgentAnnouncement(r.stderr);
    assert.ok(id, r.stderr);
    assert.deepEqual([String(id.pid), id.startTime], r.stdout.trim().split('\n'));
    assert.equal(parseAgentAnnouncement('kwitness-pid 12\n'), undefined, 'an announcement without start time is not an identity');
    assert.throws(() => agentCheckScript({ pid: 1, startTime: '1; rm -rf /' }), /not an agent identity/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
