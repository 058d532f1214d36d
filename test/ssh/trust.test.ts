// Hardening over a REAL sshd on 127.0.0.1 with the real agent: users whose login shell is fish or
// tcsh can probe, deploy and trace; a sudo password does not outlive its connection (nor its idle
// time); secrets given to the CLI never reach the environment of sudo or the agent; a pid is
// signalled only when it is still the agent we started. Run as root (creates kwt-fish, kwt-tcsh,
// kwt-pwc).
import assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { isKwError } from '../../src/core/errors';
import type { KwEvent, UnlinkEvent } from '../../src/core/events';
import { HostManager, HostPrompts } from '../../src/core/host/host';
import { decoderFor } from '../../src/core/session/decoders';
import { TraceSession } from '../../src/core/session/trace-session';
import { knownHostsName } from '../../src/core/ssh/known-hosts';
import { Sshd, keygen, makeUser, removeUser, sh, sleep, tempDir } from './harness';

const ROOT = path.resolve(__dirname, '../../..');
const AGENT_DIR = path.join(ROOT, 'dist', 'agent');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const TCSH_PW = 'kw-tcsh-Pw-2718';
const PWC_PW = 'kw-pwc-Pw-3141';
const USERS: Array<[name: string, shell: string, sudo: 'nopasswd' | 'password', password?: string]> = [
  ['kwt-fish', '/usr/bin/fish', 'nopasswd'],
  ['kwt-tcsh', '/usr/bin/tcsh', 'password', TCSH_PW],
  ['kwt-pwc', '/bin/sh', 'password', PWC_PW],
];

let dir: string;
let A: Sshd;
let sshConfig: string;
let knownHosts: string;
let work: string;

interface Counted extends HostPrompts {
  sudoAsked: number;
}

function prompts(sudo?: string): Counted {
  const p: Counted = {
    sudoAsked: 0,
    confirmHostKey: async () => false,
    passphrase: async () => undefined,
    password: async () => undefined,
    sudoPassword: async () => {
      p.sudoAsked++;
      return sudo;
    },
  };
  return p;
}

function manager(p: HostPrompts, extra: { sudoIdleMs?: number; installRoot?: string } = {}): HostManager {
  return new HostManager({
    sshConfigFile: sshConfig,
    knownHostsFile: knownHosts,
    agentDir: AGENT_DIR,
    prompts: p,
    log: () => undefined,
    includeLocal: false,
    timeoutMs: 20000,
    installRoot: extra.installRoot,
    sudoPasswordIdleMs: extra.sudoIdleMs === undefined ? undefined : () => extra.sudoIdleMs!,
  });
}

async function waitFor<T>(what: string, fn: () => T | undefined | false, ms = 10000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - t0 > ms) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}

function startTimeOf(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[19];
}

function ppidOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[1]);
}

/** The running kwitness-agent whose command line holds `marker`. */
function agentWith(marker: string): number | undefined {
  for (const p of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x)).map(Number)) {
    try {
      if (fs.readlinkSync(`/proc/${p}/exe`).endsWith('/kwitness-agent') && fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker)) return p;
    } catch {
      /* gone or a kernel thread */
    }
  }
  return undefined;
}

/** `pid` and its ancestors up to (not including) the first one `stop` accepts: [pid, comm, environ]. */
function chainUpTo(pid: number, stop: (pid: number, comm: string) => boolean): Array<{ pid: number; comm: string; environ: string }> {
  const out: Array<{ pid: number; comm: string; environ: string }> = [];
  for (let p = pid; p > 1; p = ppidOf(p)) {
    const comm = fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim();
    if (stop(p, comm)) return out;
    out.push({ pid: p, comm, environ: fs.readFileSync(`/proc/${p}/environ`, 'latin1') });
  }
  assert.fail(`never reached the stop process above ${pid}: ${JSON.stringify(out.map((x) => x.comm))}`);
}

/** The real trace check of agent-over-ssh.test.ts for one host: rm by relative path → the event with the absolute path. */
async function traceUnlinkOnce(m: HostManager, host: string, name: string): Promise<TraceSession> {
  const s = new TraceSession(m.get(host), { families: ['unlink'], pathPrefixes: [work] }, { format: 'wire', decoderFor, batchMs: 50 });
  const got: KwEvent[] = [];
  s.onDidReceiveEvents((b) => got.push(...b));
  await s.start();
  assert.equal(s.state.kind, 'running');
  fs.writeFileSync(path.join(work, name), 'x');
  sh(`rm ../${name}`, { cwd: path.join(work, 'sub') });
  const ev = await waitFor('the unlink event', () => got.find((e): e is UnlinkEvent => e.type === 'unlink' && e.path === path.join(work, name)));
  assert.equal(ev.comm, 'rm');
  assert.equal(ev.ret, 0);
  return s;
}

before(async () => {
  assert.ok(fs.existsSync(AGENT_DIR), `the real agent is not built (${AGENT_DIR}); run scripts/build.sh`);
  for (const shell of ['/usr/bin/fish', '/usr/bin/tcsh']) assert.ok(fs.existsSync(shell), `${shell} missing: run scripts/setup.sh (it installs fish and tcsh for the tests)`);
  dir = tempDir('kw-trust-');
  fs.chmodSync(dir, 0o755);
  work = path.join(dir, 'work');
  fs.mkdirSync(path.join(work, 'sub'), { recursive: true });
  A = await Sshd.start(dir, 'target');
  const pub = keygen(path.join(dir, 'id'));
  A.authorize('root', pub);
  const hosts: string[] = [];
  const host = (alias: string, user: string): string =>
    `Host ${alias}\n  HostName 127.0.0.1\n  Port ${A.port}\n  User ${user}\n  IdentityFile ${dir}/id\n  IdentitiesOnly yes\n  UserKnownHostsFile ${dir}/known_hosts\n`;
  hosts.push(host('t-root', 'root'));
  for (const [name, shell, sudo, pw] of USERS) {
    makeUser(name, path.join(dir, 'home', name), sudo, pw, shell);
    A.authorize(name, pub);
    hosts.push(host(`t-${name.slice(4)}`, name));
  }
  sshConfig = path.join(dir, 'ssh_config');
  fs.writeFileSync(sshConfig, hosts.join(''));
  knownHosts = path.join(dir, 'known_hosts');
  const [type, b64] = fs.readFileSync(path.join(A.dir, 'host_ed25519.pub'), 'utf8').trim().split(/\s+/);
  fs.writeFileSync(knownHosts, `${knownHostsName('127.0.0.1', A.port)} ${type} ${b64}\n`);
});

after(async () => {
  await A?.stop();
  for (const [name] of USERS) removeUser(name);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('login shells that are not POSIX', () => {
  for (const [name, shell] of USERS.slice(0, 2)) {
    const alias = `t-${name.slice(4)}`;
    test(`${name} (login shell ${shell}): the old command form breaks there; probe, deploy and an unlink trace work`, async () => {
      assert.equal(sh(`getent passwd ${name}`).trim().split(':').pop(), shell);
      // what we used to send: the user's shell cannot parse it (so this test can fail)
      const old = cp.spawnSync('ssh', ['-F', sshConfig, '-o', 'BatchMode=yes', alias, 'LC_ALL=C; export LC_ALL; exec id -u'], { encoding: 'utf8', timeout: 20000 });
      assert.match(old.stderr, /Unsupported use of '='|Command not found/, `old form through ${shell}: ${old.stdout} ${old.stderr}`);

      const p = prompts(name === 'kwt-tcsh' ? TCSH_PW : undefined);
      const m = manager(p);
      try {
        const c = m.get(alias);
        const r = await c.connect();
        assert.equal(r.privilege.kind, name === 'kwt-tcsh' ? 'sudo-password' : 'sudo');
        const report = await c.refreshProbe();
        assert.equal(report.kernel, sh('uname -r').trim());
        assert.ok(c.lastDeployment, 'deployed');
        const s = await traceUnlinkOnce(m, alias, `victim-${name}`);
        await s.stop();
        assert.equal(s.verifiedGone, true);
        s.dispose();
        assert.equal(p.sudoAsked, name === 'kwt-tcsh' ? 1 : 0);
      } finally {
        m.dispose();
      }
    });
  }
});

describe('the sudo password does not outlive its connection', () => {
  test('asked again after the connection closes: by disconnect, and by the server dropping it', async () => {
    const p = prompts(PWC_PW);
    const m = manager(p);
    try {
      const c = m.get('t-pwc');
      const id = async (): Promise<string> => (await c.runAsRoot('id -u')).stdout.toString().trim();
      assert.equal(await id(), '0');
      assert.equal(await id(), '0');
      assert.equal(p.sudoAsked, 1, 'kept while the connection is up');
      assert.equal(c.keepsSudoPassword, true);
      c.disconnect();
      assert.equal(c.keepsSudoPassword, false, 'dropped with the connection');
      assert.equal(await id(), '0');
      assert.equal(p.sudoAsked, 2, 'a second run after disconnect asks again');
      assert.ok(A.killConnections() > 0);
      await waitFor('the drop noticed', () => c.state.kind === 'idle');
      assert.equal(c.keepsSudoPassword, false, 'dropped with the connection');
      assert.equal(await id(), '0');
      assert.equal(p.sudoAsked, 3, 'asked again after the server dropped the connection');
    } finally {
      m.dispose();
    }
  });

  test('idle time 0: every operation asks (and checks the answer); a running trace holds it, so Stop asks nothing', async () => {
    const answers = [PWC_PW, PWC_PW, 'wrong-one', PWC_PW];
    const p = prompts();
    p.sudoPassword = async () => {
      p.sudoAsked++;
      return answers.shift();
    };
    const m = manager(p, { sudoIdleMs: 0 });
    try {
      const c = m.get('t-pwc');
      assert.equal((await c.runAsRoot('id -u')).stdout.toString().trim(), '0');
      assert.equal((await c.runAsRoot('id -u')).stdout.toString().trim(), '0');
      assert.equal(p.sudoAsked, 2);
      assert.equal(c.keepsSudoPassword, false, 'not kept after the operation');
      await assert.rejects(c.runAsRoot('id -u'), (e) => isKwError(e, 'wrong-password') && /sudo rejected the password for kwt-pwc/.test(e.message));
      const s = await traceUnlinkOnce(m, 't-pwc', 'victim-idle0');
      assert.equal(p.sudoAsked, 4, 'deploy + start asked once');
      await s.stop();
      assert.equal(s.verifiedGone, true, 'stop checked the agent as root without asking');
      assert.equal(p.sudoAsked, 4);
      assert.equal(c.keepsSudoPassword, false, 'dropped once the trace ended');
      s.dispose();
    } finally {
      m.dispose();
    }
  });
});

describe('CLI secrets never reach sudo or the agent', () => {
  async function runCli(args: string[], opts: { asUser?: string; marker: string }) {
    const argv = [CLI, 'trace', 'unlink', '--path-prefix', opts.marker, ...args];
    const cmd = opts.asUser ? 'runuser' : process.execPath;
    const child = cp.spawn(cmd, opts.asUser ? ['-u', opts.asUser, '--', process.execPath, ...argv] : argv, {
      env: { ...process.env, KWITNESS_SUDO_PASSWORD: PWC_PW, KWITNESS_SSH_PASSWORD: 'kw-ssh-secret-1', KWITNESS_KEY_PASSPHRASE: 'kw-key-secret-2' },
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: '/',
    });
    const run = { child, err: '', exited: new Promise<number | null>((r) => child.on('exit', (c) => r(c))) };
    child.stdout.resume();
    child.stderr.on('data', (d) => (run.err += d));
    return run;
  }

  function assertClean(chain: Array<{ pid: number; comm: string; environ: string }>): void {
    for (const p of chain) {
      for (const secret of [PWC_PW, 'kw-ssh-secret-1', 'kw-key-secret-2', 'KWITNESS_SUDO_PASSWORD']) {
        assert.ok(!p.environ.includes(secret), `${p.comm} (pid ${p.pid}) has ${secret === 'KWITNESS_SUDO_PASSWORD' ? secret : 'a secret'} in /proc/${p.pid}/environ`);
      }
    }
  }

  test('This Machine as a sudo-password user: no process between the CLI and the agent (sudo included) has the secrets', { timeout: 180_000 }, async () => {
    const marker = path.join(work, 'cli-local');
    fs.mkdirSync(marker);
    const run = await runCli(['--host', 'local'], { asUser: 'kwt-pwc', marker });
    let cliPid = 0;
    try {
      await waitFor('tracing', () => run.err.includes('kwitness: tracing') || run.child.exitCode !== null, 60000);
      assert.match(run.err, /kwitness: tracing/);
      const agent = await waitFor('the agent process', () => agentWith(marker));
      const chain = chainUpTo(agent, (p) => fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(CLI) && (cliPid = p) > 0);
      assert.ok(chain.some((p) => p.comm === 'sudo'), `sudo is among the checked processes: ${chain.map((p) => p.comm).join(' < ')}`);
      assertClean(chain);
      console.log(`# checked /proc/PID/environ of ${chain.map((p) => p.comm).join(' < ')} < kwitness CLI`);
      process.kill(cliPid, 'SIGINT'); // the CLI itself: runuser does not pass SIGINT on
      assert.equal(await run.exited, 0, run.err);
      assert.match(run.err, /stopped \(agent gone from the host\)/);
    } finally {
      if (run.child.exitCode === null) {
        if (cliPid) process.kill(cliPid, 'SIGKILL');
        run.child.kill('SIGKILL');
      }
    }
  });

  test('over ssh to the sudo-password user: the password reaches sudo only on stdin, nothing in any environment', { timeout: 180_000 }, async () => {
    const marker = path.join(work, 'cli-ssh');
    fs.mkdirSync(marker);
    const run = await runCli(['--host', 't-pwc', '--ssh-config', sshConfig, '--known-hosts', knownHosts], { marker });
    try {
      await waitFor('tracing', () => run.err.includes('kwitness: tracing') || run.child.exitCode !== null, 60000);
      assert.match(run.err, /kwitness: tracing/);
      const agent = await waitFor('the agent process', () => agentWith(marker));
      const chain = chainUpTo(agent, (_, comm) => comm === 'sshd');
      assert.ok(chain.some((p) => p.comm === 'sudo'), chain.map((p) => p.comm).join(' < '));
      assertClean(chain);
      run.child.kill('SIGINT');
      assert.equal(await run.exited, 0, run.err);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  });
});

describe('signals by pid go only to our own agent', () => {
  test('a pid that is not our agent (a sleep; an installed agent with another start time) is refused and keeps running', async () => {
    const installRoot = path.join(dir, 'install-root');
    const fakeExe = path.join(installRoot, 'f'.repeat(64), 'kwitness-agent');
    fs.mkdirSync(path.dirname(fakeExe), { recursive: true });
    fs.copyFileSync(fs.realpathSync('/bin/sleep'), fakeExe);
    fs.chmodSync(fakeExe, 0o755);
    const sleeper = cp.spawn('sleep', ['600'], { stdio: 'ignore' });
    const lookalike = cp.spawn(fakeExe, ['600'], { stdio: 'ignore' });
    const m = manager(prompts(), { installRoot });
    try {
      const c = m.get('t-root');
      const notOurs = /refusing to send SIGKILL to pid \d+: it is now .* not the kwitness agent started at tick \d+; our agent is gone and the pid was reused/;
      await assert.rejects(c.signalAgent({ pid: sleeper.pid!, startTime: startTimeOf(sleeper.pid!) }, 'KILL'), (e) => isKwError(e, 'not-our-agent') && notOurs.test(e.message) && !e.message.includes('\n'));
      const real = startTimeOf(lookalike.pid!);
      const stale = { pid: lookalike.pid!, startTime: String(Number(real) - 100) };
      await assert.rejects(c.signalAgent(stale, 'KILL'), (e) => isKwError(e, 'not-our-agent') && e.message.includes(fakeExe));
      assert.equal(await c.agentAlive(stale), false, 'a reused pid is not our agent alive');
      assert.equal(sleeper.exitCode ?? sleeper.signalCode, null, 'the sleep still runs');
      assert.equal(lookalike.exitCode ?? lookalike.signalCode, null, 'the look-alike still runs');
      // the same pid with the start time it really has is ours: signalled
      assert.equal(await c.agentAlive({ pid: lookalike.pid!, startTime: real }), true);
      assert.equal(await c.signalAgent({ pid: lookalike.pid!, startTime: real }, 'KILL'), 'signalled');
      await waitFor('the look-alike killed', () => lookalike.signalCode === 'SIGKILL');
      assert.equal(await c.signalAgent({ pid: lookalike.pid!, startTime: real }, 'KILL'), 'gone');
    } finally {
      sleeper.kill('SIGKILL');
      lookalike.kill('SIGKILL');
      m.dispose();
    }
  });

  test('a started trace records the agent pid with its real start time', async () => {
    const m = manager(prompts());
    try {
      const s = await traceUnlinkOnce(m, 't-root', 'victim-identity');
      const id = await waitFor('the agent identity', () => s.agentIdentity);
      assert.ok(fs.readlinkSync(`/proc/${id.pid}/exe`).endsWith('/kwitness-agent'));
      assert.equal(id.startTime, startTimeOf(id.pid));
      await s.stop();
      assert.equal(s.verifiedGone, true);
      s.dispose();
    } finally {
      m.dispose();
    }
  });
});
