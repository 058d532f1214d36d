// The REAL agent deployed and run over a real sshd on 127.0.0.1 against this machine's kernel:
// events with absolute paths, upload once per build (measured), a killed connection leaves no
// agent process and no BPF program behind (the time it took is printed), resume after the drop, the CLI.
import assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';

import type { KwEvent, UnlinkEvent } from '../../src/core/events';
import { HostManager, HostPrompts } from '../../src/core/host/host';
import { INSTALL_ROOT, localAgent } from '../../src/core/host/deploy';
import { decoderFor } from '../../src/core/session/decoders';
import { TraceSession } from '../../src/core/session/trace-session';
import { Sshd, rootTarget, sh, sleep, tempDir, waitFor } from './harness';

const ROOT = path.resolve(__dirname, '../../..');
const AGENT_DIR = path.join(ROOT, 'dist', 'agent');
let dir: string;
let A: Sshd;
let sshConfig: string;
let knownHosts: string;
let work: string;

const prompts: HostPrompts = {
  confirmHostKey: async () => false,
  passphrase: async () => undefined,
  password: async () => undefined,
  sudoPassword: async () => undefined,
};

function manager(): HostManager {
  return new HostManager({ sshConfigFile: sshConfig, knownHostsFile: knownHosts, agentDir: AGENT_DIR, prompts, log: () => undefined, includeLocal: false });
}

function session(m: HostManager): TraceSession {
  return new TraceSession(m.get('t-root'), { families: ['unlink'], pathPrefixes: [work] }, { format: 'wire', decoderFor, batchMs: 50 });
}

function collect(s: TraceSession): KwEvent[] {
  const got: KwEvent[] = [];
  s.onDidReceiveEvents((b) => got.push(...b));
  return got;
}

/** Ids of the BPF programs `pid` holds open (prog_id in /proc/PID/fdinfo: prog and link fds). */
function progIdsHeldBy(pid: number): number[] {
  const ids = new Set<number>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fdinfo`)) {
    try {
      const m = /^prog_id:\s*(\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
      if (m) ids.add(Number(m[1]));
    } catch {
      /* fd closed meanwhile */
    }
  }
  return [...ids];
}

/** Which of `ids` are still loaded in the kernel (bpftool prog show). */
function stillLoaded(ids: number[]): number[] {
  const loaded = new Set((JSON.parse(sh('bpftool prog show --json')) as Array<{ id: number }>).map((p) => p.id));
  return ids.filter((id) => loaded.has(id));
}

/** `kwitness trace ARGS --host t-root` (dist/cli.js) with stderr collected; stdout left to the test. */
function startCli(args: string[]) {
  const child = cp.spawn(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'trace', ...args, '--host', 't-root', '--ssh-config', sshConfig, '--known-hosts', knownHosts], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // 'close', not 'exit': the exit code can come before the last stdout/stderr bytes are read
  const run = { child, err: '', exited: new Promise<number | null>((r) => child.on('close', (c) => r(c))) };
  child.stderr.on('data', (d) => (run.err += d));
  return run;
}

before(async () => {
  assert.ok(fs.existsSync(AGENT_DIR), `the real agent is not built (${AGENT_DIR}); run scripts/build.sh`);
  dir = tempDir('kw-sshagent-');
  fs.chmodSync(dir, 0o755);
  work = path.join(dir, 'work');
  fs.mkdirSync(path.join(work, 'sub'), { recursive: true });
  ({ sshd: A, sshConfig, knownHosts } = await rootTarget(dir));
});

after(async () => {
  await A?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('deploy + trace unlink over ssh: rm gives an event with the absolute path; the second start uploads nothing', async () => {
  const arch = sh('uname -m').trim();
  const agent = localAgent(AGENT_DIR, arch);
  // force a real first upload of this build
  fs.rmSync(path.join(INSTALL_ROOT, agent.sha256), { recursive: true, force: true });

  const m1 = manager();
  const m2 = manager();
  try {
    const c1 = m1.get('t-root');
    await c1.connect();
    const b0 = c1.runner!.bytesSent()!;
    const s1 = session(m1);
    const got = collect(s1);
    const t0 = Date.now();
    await s1.start();
    const startMs1 = Date.now() - t0;
    const sent1 = c1.runner!.bytesSent()! - b0;
    assert.equal(c1.lastDeployment?.uploaded, true);
    assert.equal(s1.state.kind, 'running');

    // relative path from another cwd: the event must carry the absolute path
    fs.writeFileSync(path.join(work, 'victim.txt'), 'x');
    sh('rm ../victim.txt', { cwd: path.join(work, 'sub') });
    const ev = await waitFor('the unlink event', () => got.find((e): e is UnlinkEvent => e.type === 'unlink' && e.path === path.join(work, 'victim.txt')));
    assert.equal(ev.comm, 'rm');
    assert.equal(ev.op, 'unlink');
    assert.ok(ev.exe.endsWith('/rm'), ev.exe);
    assert.equal(ev.ret, 0);
    await s1.stop();
    assert.equal(s1.verifiedGone, true);
    s1.dispose();

    const c2 = m2.get('t-root');
    await c2.connect();
    const b2 = c2.runner!.bytesSent()!;
    const s2 = session(m2);
    const t2 = Date.now();
    await s2.start();
    const startMs2 = Date.now() - t2;
    const sent2 = c2.runner!.bytesSent()! - b2;
    assert.equal(c2.lastDeployment?.uploaded, false);
    assert.equal(c2.lastDeployment?.uploadedBytes, 0);
    assert.ok(sent2 < 16384, `second start sent ${sent2} bytes; the agent is ${agent.size}`);
    assert.ok(sent1 > agent.size, `first start sent ${sent1} bytes, agent is ${agent.size}`);
    console.log(`# agent ${agent.size} bytes: first start ${startMs1} ms / ${sent1} bytes sent (deploy ${c1.lastDeployment?.ms} ms); second start ${startMs2} ms / ${sent2} bytes sent (deploy check ${c2.lastDeployment?.ms} ms)`);
    await s2.stop();
    s2.dispose();
  } finally {
    m1.dispose();
    m2.dispose();
  }
});

test('killing the SSH connection mid-trace: no agent process and no BPF program remain; resume works', async () => {
  const m = manager();
  try {
    const s = session(m);
    const got = collect(s);
    await s.start();
    const pid = await waitFor('the agent pid', () => s.agentPid);
    const progs = progIdsHeldBy(pid);
    assert.ok(progs.length > 0, 'the running agent holds BPF programs (so the check below means something)');
    assert.deepEqual(stillLoaded(progs), progs);
    const states: string[] = [];
    s.onDidChangeState((st) => states.push(st.kind));

    const killed = A.killConnections();
    assert.ok(killed > 0);
    const t0 = Date.now();
    await waitFor('agent process gone', () => !fs.existsSync(`/proc/${pid}`));
    await waitFor('its BPF programs unloaded', () => stillLoaded(progs).length === 0);
    const goneMs = Date.now() - t0;
    await waitFor('state disconnected', () => s.state.kind === 'disconnected');
    console.log(`# connection killed: agent and its ${progs.length} BPF programs gone after ${goneMs} ms; session state ${s.state.kind}`);

    await s.resume();
    assert.equal(s.state.kind, 'running');
    const pid2 = await waitFor('the new agent pid', () => s.agentPid);
    assert.notEqual(pid2, pid);
    const progs2 = progIdsHeldBy(pid2);
    assert.ok(progs2.length > 0);
    fs.writeFileSync(path.join(work, 'after-resume'), 'x');
    fs.unlinkSync(path.join(work, 'after-resume'));
    await waitFor('an event after resume', () => got.find((e) => e.type === 'unlink' && e.path === path.join(work, 'after-resume')));
    await s.stop();
    assert.equal(s.verifiedGone, true);
    assert.deepEqual(stillLoaded(progs2), []);
    assert.deepEqual(states.slice(0, 1), ['disconnected']);
    s.dispose();
  } finally {
    m.dispose();
  }
});

test('CLI: kwitness trace unlink --host over ssh --json prints the event and stops cleanly on SIGINT', async () => {
  const run = startCli(['unlink', '--path-prefix', work, '--json']);
  const { child, exited } = run;
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  try {
    await waitFor('ready', () => out.includes('"type":"ready"'));
    fs.writeFileSync(path.join(work, 'cli-victim'), 'x');
    sh(`rm ${path.join(work, 'cli-victim')}`);
    await waitFor('event line', () => out.split('\n').some((l) => l.includes('"type":"unlink"')));
    const ev = JSON.parse(out.split('\n').find((l) => l.includes('"type":"unlink"'))!) as UnlinkEvent;
    assert.equal(ev.path, path.join(work, 'cli-victim'));
    child.kill('SIGINT');
    assert.equal(await exited, 0, run.err);
    assert.match(run.err, /1 events, 0 lost; stopped \(agent gone from the host\)/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('CLI: a reader that stops reading holds the agent over ssh; the agent counts the losses, none are silent', async () => {
  const flood = path.join(work, 'flood');
  fs.mkdirSync(flood);
  // text output: ready and lost notes go to stderr, which is read; stdout (events) is not read at first
  const run = startCli(['create,unlink', '--path-prefix', flood, '--ringbuf-kb', '256']);
  const { child, exited } = run;
  child.stdout.pause();
  try {
    await waitFor('tracing', () => run.err.includes('kwitness: tracing'));
    const n = 40000; // 80,000 events: far more than the pipe, the SSH window and a 256 KiB ring hold
    const py = 'import os,sys\nd=sys.argv[1]\nfor i in range(int(sys.argv[2])):\n p=d+"/f"+str(i)\n os.close(os.open(p,os.O_CREAT|os.O_WRONLY,0o644))\n os.unlink(p)\n';
    cp.execFileSync('python3', ['-c', py, flood, String(n)]);
    await sleep(1000); // the agent's own lost records wait in the same stalled stream
    const hwmKb = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]);
    // now read: everything the agent kept arrives, then stop
    let lines = 0;
    child.stdout.on('data', (d: Buffer) => {
      for (let k = d.indexOf(10); k >= 0; k = d.indexOf(10, k + 1)) lines++;
    });
    child.stdout.resume();
    for (let last = -1, still = 0; still < 5; await sleep(200)) {
      still = lines === last ? still + 1 : 0;
      last = lines;
    }
    child.kill('SIGINT');
    assert.equal(await exited, 0, run.err);
    const m = /kwitness: (\d+) events, (\d+) lost; stopped/.exec(run.err);
    assert.ok(m, run.err);
    const [delivered, lost] = [Number(m[1]), Number(m[2])];
    assert.ok(lost > 0, `the stalled reader reached the agent: ${lost} lost`);
    assert.equal(delivered, lines, 'every delivered event was printed');
    assert.equal(delivered + lost, 2 * n, `delivered ${delivered} + lost ${lost} = the ${2 * n} creates and unlinks`);
    assert.ok(hwmKb < 200 * 1024, `CLI peak RSS ${Math.round(hwmKb / 1024)} MiB while stalled`);
    const unjudged = /besides the lost events, (\d+) dropped/.exec(run.err)?.[1] ?? '0';
    console.log(`# stalled reader: ${delivered} delivered + ${lost} lost = ${2 * n} (and ${unjudged} other processes' events the path filter could not judge); CLI peak RSS ${Math.round(hwmKb / 1024)} MiB`);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test('a client that freezes with the connection up (SIGSTOP, like a laptop lid): the agent exits after --heartbeat, nothing left', async () => {
  const quiet = path.join(work, 'quiet');
  fs.mkdirSync(quiet);
  const run = startCli(['unlink', '--path-prefix', quiet, '--heartbeat', '3']);
  const { child, exited } = run;
  child.stdout.resume();
  try {
    await waitFor('tracing', () => run.err.includes('kwitness: tracing'));
    const agentPid = await waitFor('the agent process', () =>
      fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).find((p) => {
        try {
          return fs.readlinkSync(`/proc/${p}/exe`).includes('kwitness-agent') && fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(quiet);
        } catch {
          return false;
        }
      }),
    );
    const progs = progIdsHeldBy(agentPid);
    assert.ok(progs.length > 0);
    await sleep(4000); // heartbeats keep it alive past the timeout while the client runs
    assert.ok(fs.existsSync(`/proc/${agentPid}`), 'the agent still runs while the client sends heartbeats');
    child.kill('SIGSTOP');
    const t0 = Date.now();
    await waitFor('the agent gone after the client froze', () => !fs.existsSync(`/proc/${agentPid}`));
    await waitFor('its BPF programs unloaded', () => stillLoaded(progs).length === 0);
    const goneMs = Date.now() - t0;
    child.kill('SIGCONT');
    // the client wakes up to an agent that ended, and says why
    assert.equal(await exited, 1, run.err);
    assert.match(run.err, /nothing from the client on stdin for 3 s/);
    console.log(`# frozen client: agent and its ${progs.length} BPF programs gone ${goneMs} ms after SIGSTOP (--heartbeat 3)`);
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  }
});
