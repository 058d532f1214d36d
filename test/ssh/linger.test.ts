// A trace outlives its window (issue 11 item 3) over a real sshd on 127.0.0.1, as root and through
// sudo with a password: TraceSession with lingerS. A killed connection leaves the agent tracing;
// resume() attaches (`kwitness-agent attach --from N`) and gets the events of the gap exactly once;
// a new session (what a reloaded window makes from the workspace's memory) attaches by id and gets
// everything the agent kept; leave() (a closing window) lets go without stopping; stop() ends it
// with its pid proven gone. Every wait is for a condition, with a safety net.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { KwEvent } from '../../src/core/events';
import { HostManager, type HostPrompts } from '../../src/core/host/host';
import { decoderFor } from '../../src/core/session/decoders';
import { TraceSession, type SessionConfig } from '../../src/core/session/trace-session';
import type { TraceOptions } from '../../src/core/trace-api';
import { Sshd, makeUser, removeUser, rootTarget, sh, tempDir, waitFor } from './harness';

const ROOT = path.resolve(__dirname, '../../..');
const AGENT_DIR = path.join(ROOT, 'dist', 'agent');
const SUDO_USER = 'kwt-linger';
const SUDO_PW = 'linger-pw-5678';
let dir: string;
let A: Sshd;
let sshConfig: string;
let knownHosts: string;

const prompts: HostPrompts = {
  confirmHostKey: async () => false,
  passphrase: async () => undefined,
  password: async () => undefined,
  sudoPassword: async () => SUDO_PW,
};

function manager(): HostManager {
  return new HostManager({ sshConfigFile: sshConfig, knownHostsFile: knownHosts, agentDir: AGENT_DIR, prompts, log: () => undefined, includeLocal: false });
}

const LINGER: SessionConfig = { format: 'wire', decoderFor, batchMs: 50, lingerS: 120 };

function collect(s: TraceSession): KwEvent[] {
  const got: KwEvent[] = [];
  s.onDidReceiveEvents((b) => got.push(...b));
  return got;
}

function unlinkFiles(d: string, names: string[]): void {
  fs.mkdirSync(d, { recursive: true });
  for (const n of names) fs.writeFileSync(path.join(d, n), 'x');
  for (const n of names) fs.unlinkSync(path.join(d, n));
}

const pathsOf = (evs: KwEvent[]): string[] => evs.map((e) => ('path' in e ? String(e.path) : ''));
/** Running (a zombie is not: this machine's PID 1 may never reap an orphan that exited). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

before(async () => {
  assert.ok(fs.existsSync(AGENT_DIR), `the real agent is not built (${AGENT_DIR}); run scripts/build.sh`);
  dir = tempDir('kw-sshlinger-');
  fs.chmodSync(dir, 0o755);
  ({ sshd: A, sshConfig, knownHosts } = await rootTarget(dir));
  makeUser(SUDO_USER, path.join(dir, 'home'), 'password', SUDO_PW);
  A.authorize(SUDO_USER, fs.readFileSync(path.join(dir, 'id.pub'), 'utf8'));
  fs.appendFileSync(sshConfig, ['Host t-sudo', '  HostName 127.0.0.1', `  Port ${A.port}`, `  User ${SUDO_USER}`, `  IdentityFile ${dir}/id`, '  IdentitiesOnly yes', ''].join('\n'));
});

after(async () => {
  await A?.stop();
  removeUser(SUDO_USER);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

for (const hostId of ['t-root', 't-sudo']) {
  describe(`a trace outlives its connection (${hostId === 't-root' ? 'root' : 'sudo with a password'})`, () => {
    test('killed connection: the agent traces on; resume attaches and gets the gap exactly once, in order', async () => {
      const work = path.join(dir, `work-${hostId}-1`);
      fs.mkdirSync(work, { recursive: true });
      const options: TraceOptions = { families: ['unlink'], pathPrefixes: [work] };
      const m = manager();
      try {
        const s = new TraceSession(m.get(hostId), options, LINGER);
        const got = collect(s);
        await s.start();
        const pid = await waitFor('the agent pid', () => s.agentPid);
        unlinkFiles(path.join(work, 'a'), ['f0', 'f1']);
        await waitFor('2 events', () => got.length >= 2);

        assert.ok(A.killConnections() > 0);
        await waitFor('state disconnected', () => s.state.kind === 'disconnected');
        unlinkFiles(path.join(work, 'b'), ['f0', 'f1', 'f2']);
        assert.ok(alive(pid), 'the agent is still tracing after its connection died');

        await s.resume();
        assert.equal(s.state.kind, 'running');
        await waitFor('the 3 events of the gap', () => got.length >= 5);
        assert.equal(s.agentPid, pid, 'the same agent, attached again');
        assert.deepEqual(s.lastResume?.notKept, 0);
        unlinkFiles(path.join(work, 'c'), ['f0']);
        await waitFor('a live event after the resume', () => got.length >= 6);
        assert.deepEqual(pathsOf(got), [...['a/f0', 'a/f1', 'b/f0', 'b/f1', 'b/f2', 'c/f0'].map((p) => path.join(work, p))]);
        assert.equal(s.lostTotal, 0);

        await s.stop();
        assert.equal(s.verifiedGone, true, 'stop ends the agent itself, not just the relay');
        assert.ok(!alive(pid));
        assert.ok(!fs.existsSync(`/run/kwitness/traces/${s.id}.sock`));
        s.dispose();
      } finally {
        m.dispose();
      }
    });

    test('a reloaded window: leave() lets go, a new session attaches by id and gets everything; a second window takes over', async () => {
      const work = path.join(dir, `work-${hostId}-2`);
      fs.mkdirSync(work, { recursive: true });
      const options: TraceOptions = { families: ['unlink'], pathPrefixes: [work] };
      const m1 = manager();
      const m2 = manager();
      const m3 = manager();
      try {
        const s1 = new TraceSession(m1.get(hostId), options, LINGER);
        const got1 = collect(s1);
        await s1.start();
        const pid = await waitFor('the agent pid', () => s1.agentPid);
        unlinkFiles(path.join(work, 'a'), ['f0', 'f1']);
        await waitFor('2 events', () => got1.length >= 2);
        // the window goes away: its extension host lets go and its connections close
        await s1.leave();
        s1.dispose();
        m1.dispose();
        unlinkFiles(path.join(work, 'b'), ['f0']);

        // the next window of the workspace: a session made from the remembered id
        const s2 = new TraceSession(m2.get(hostId), options, LINGER, s1.id);
        const got2 = collect(s2);
        await s2.start();
        await waitFor('the whole trace replayed', () => got2.length >= 3);
        assert.equal(s2.agentPid, pid);
        assert.deepEqual(pathsOf(got2), ['a/f0', 'a/f1', 'b/f0'].map((p) => path.join(work, p)));
        assert.equal(s2.state.kind, 'running');
        assert.ok(s2.state.kind === 'running' && s2.state.resumed, 'the running state says it came back');

        // a third window attaches: the second is told and stops as "continued in another window"
        const s3 = new TraceSession(m3.get(hostId), options, LINGER, s1.id);
        const got3 = collect(s3);
        await s3.start();
        await waitFor('s2 taken over', () => s2.state.kind === 'stopped' && s2.state.reason === 'continued in another window');
        unlinkFiles(path.join(work, 'c'), ['f0']);
        await waitFor('the live event in the third window', () => got3.length >= 4);
        assert.equal(got2.length, 3, 'the taken-over window gets nothing more');
        assert.ok(alive(pid), 'a takeover does not stop the agent');

        await s3.stop();
        assert.equal(s3.verifiedGone, true);
        s2.dispose();
        s3.dispose();
      } finally {
        m2.dispose();
        m3.dispose();
      }
    });
  });
}

test('attaching to a trace that ended says so in one line and leaves the session stopped', async () => {
  const m = manager();
  try {
    const s = new TraceSession(m.get('t-root'), { families: ['unlink'] }, LINGER, 'tnosuch-000000');
    await assert.rejects(s.start(), /the trace ended on t-root while no window was attached/);
    assert.equal(s.state.kind, 'stopped');
    s.dispose();
  } finally {
    m.dispose();
  }
  assert.equal(sh('pgrep -fc "kwitness-agen[t] attach" || true').trim(), '0', 'no relay left running');
});
