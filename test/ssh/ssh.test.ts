// The core over a REAL OpenSSH sshd on 127.0.0.1: auth methods, ProxyJump, host keys, sudo
// modes, deployment. Run as root (creates throwaway users kwt-nopw, kwt-pw, kwt-nosudo).
import assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { isKwError } from '../../src/core/errors';
import { HostManager, HostPrompts } from '../../src/core/host/host';
import { INSTALL_ROOT } from '../../src/core/host/deploy';
import { TraceSession } from '../../src/core/session/trace-session';
import { KnownHosts, knownHostsName } from '../../src/core/ssh/known-hosts';
import { SshAgent, Sshd, fakeAgentDir, freePort, keygen, makeUser, removeUser, sh, tempDir, waitFor } from './harness';

const SUDO_PW = 'kw-Test-pw-4711';
const NOSUDO_PW = 'kw-nosudo-pw-0815';
const USERS = ['kwt-nopw', 'kwt-pw', 'kwt-nosudo'];

let dir: string;
let A: Sshd; // target
let J: Sshd; // jump host
let agent: SshAgent;
let sshConfig: string;
let knownHosts: string;
let agentDir: string;
let localAgentDir: string; // a second fake build, so the deployment test below still sees a first upload
const logs: string[] = [];

interface Counted extends HostPrompts {
  calls: Record<string, number>;
  hostKeyQuestions: string[];
}

function prompts(answers: { hostKey?: boolean; passphrase?: string; sudo?: string } = {}): Counted {
  const calls: Record<string, number> = { hostKey: 0, passphrase: 0, password: 0, sudo: 0 };
  const hostKeyQuestions: string[] = [];
  return {
    calls,
    hostKeyQuestions,
    async confirmHostKey(q) {
      calls.hostKey++;
      hostKeyQuestions.push(q.fingerprint);
      return answers.hostKey ?? false;
    },
    async passphrase() {
      calls.passphrase++;
      return answers.passphrase;
    },
    async password() {
      calls.password++;
      return undefined;
    },
    async sudoPassword() {
      calls.sudo++;
      return answers.sudo;
    },
  };
}

function manager(p: HostPrompts, extra: { knownHostsFile?: string; agentDir?: string } = {}): HostManager {
  return new HostManager({
    sshConfigFile: sshConfig,
    knownHostsFile: extra.knownHostsFile ?? knownHosts,
    agentDir: extra.agentDir ?? agentDir,
    prompts: p,
    log: (l) => logs.push(l),
    timeoutMs: 15000,
    includeLocal: false,
  });
}

function pin(file: string, s: Sshd): void {
  const [type, b64] = fs.readFileSync(path.join(s.dir, 'host_ed25519.pub'), 'utf8').trim().split(/\s+/);
  fs.appendFileSync(file, `${knownHostsName('127.0.0.1', s.port)} ${type} ${b64}\n`);
}

before(async () => {
  dir = tempDir('kw-ssh-');
  fs.chmodSync(dir, 0o755);
  A = await Sshd.start(dir, 'target');
  J = await Sshd.start(dir, 'jump');
  const plainPub = keygen(path.join(dir, 'id_plain'));
  const encPub = keygen(path.join(dir, 'id_enc'), 'open sesame');
  const agentPub = keygen(path.join(dir, 'id_agent'));
  for (const s of [A, J]) {
    s.authorize('root', plainPub);
  }
  A.authorize('root', encPub);
  A.authorize('root', agentPub);
  for (const u of USERS) {
    makeUser(u, path.join(dir, 'home', u), u === 'kwt-nopw' ? 'nopasswd' : u === 'kwt-pw' ? 'password' : 'none', u === 'kwt-pw' ? SUDO_PW : u === 'kwt-nosudo' ? NOSUDO_PW : undefined);
    A.authorize(u, plainPub);
  }
  agent = new SshAgent(dir);
  await agent.add(path.join(dir, 'id_agent'));
  // public halves only: IdentitiesOnly must pick the matching agent key by them
  fs.mkdirSync(path.join(dir, 'pub-only'));
  fs.copyFileSync(path.join(dir, 'id_agent.pub'), path.join(dir, 'pub-only', 'id_agent.pub'));
  fs.copyFileSync(path.join(dir, 'id_enc.pub'), path.join(dir, 'pub-only', 'id_other.pub'));
  await agent.add(path.join(dir, 'id_plain'));
  const closed = await freePort();
  const host = (alias: string, port: number, user: string, key: string, extra: string[] = []): string =>
    [`Host ${alias}`, `  HostName 127.0.0.1`, `  Port ${port}`, `  User ${user}`, `  IdentityFile ${path.join(dir, key)}`, ...extra, ''].join('\n');
  sshConfig = path.join(dir, 'ssh_config');
  fs.writeFileSync(
    sshConfig,
    [
      host('t-root', A.port, 'root', 'id_plain', ['  IdentitiesOnly yes']),
      host('t-enc', A.port, 'root', 'id_enc', ['  IdentitiesOnly yes']),
      host('t-agent', A.port, 'root', 'no-such-key', [`  IdentityAgent ${agent.sock}`]),
      host('j-root', J.port, 'root', 'id_plain', ['  IdentitiesOnly yes']),
      host('t-jump', A.port, 'root', 'id_plain', ['  IdentitiesOnly yes', '  ProxyJump j-root']),
      host('t-nopw', A.port, 'kwt-nopw', 'id_plain', ['  IdentitiesOnly yes']),
      host('t-pw', A.port, 'kwt-pw', 'id_plain', ['  IdentitiesOnly yes']),
      host('t-nosudo', A.port, 'kwt-nosudo', 'id_plain', ['  IdentitiesOnly yes']),
      host('t-agent-only', A.port, 'root', 'pub-only/id_agent', ['  IdentitiesOnly yes', `  IdentityAgent ${agent.sock}`]),
      host('t-agent-other', A.port, 'root', 'pub-only/id_other', ['  IdentitiesOnly yes', `  IdentityAgent ${agent.sock}`]),
      host('t-badkey', A.port, 'root', 'id_agent.pub', ['  IdentitiesOnly yes']),
      host('t-closed', closed, 'root', 'id_plain', ['  IdentitiesOnly yes']),
      'Host *.wild t-*',
      '  ServerAliveInterval 10',
      '',
    ].join('\n'),
  );
  knownHosts = path.join(dir, 'known_hosts');
  pin(knownHosts, A);
  pin(knownHosts, J);
  agentDir = fakeAgentDir(dir);
  localAgentDir = fakeAgentDir(dir);
});

after(async () => {
  agent?.stop();
  await A?.stop();
  await J?.stop();
  for (const u of USERS) removeUser(u);
  for (const d of [agentDir, localAgentDir]) {
    if (!d) continue;
    // remove the fake agents' install dirs (they are not real agent builds)
    const sha = sh(`sha256sum ${d}/kwitness-agent-* | cut -c1-64`).trim();
    fs.rmSync(path.join(INSTALL_ROOT, sha), { recursive: true, force: true });
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function rejectsWith(p: Promise<unknown>, code: string, re: RegExp): Promise<Error> {
  try {
    await p;
  } catch (e) {
    assert.ok(isKwError(e), `expected a KwError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), 'one-line message');
    return e;
  }
  assert.fail(`expected ${code}`);
}

describe('authentication', () => {
  test('key auth as root: connects, knows the platform, is root', async () => {
    const m = manager(prompts());
    try {
      const c = m.get('t-root');
      const r = await c.connect();
      assert.equal(r.privilege.kind, 'root');
      assert.equal(r.platform.os, 'Linux');
      assert.equal(r.platform.arch, sh('uname -m').trim());
      assert.deepEqual(m.list().map((h) => h.id).slice(0, 3), ['t-root', 't-enc', 't-agent']);
    } finally {
      m.dispose();
    }
  });

  test('encrypted key: passphrase asked once per session, even across reconnects', async () => {
    const p = prompts({ passphrase: 'open sesame' });
    const m = manager(p);
    try {
      const c = m.get('t-enc');
      await c.connect();
      c.disconnect();
      await c.connect();
      assert.equal(p.calls.passphrase, 1);
    } finally {
      m.dispose();
    }
  });

  test('encrypted key with a wrong passphrase: auth fails naming the key', async () => {
    const m = manager(prompts({ passphrase: 'wrong' }));
    try {
      await rejectsWith(m.get('t-enc').connect(), 'auth-failed', /wrong passphrase for .*id_enc/);
    } finally {
      m.dispose();
    }
  });

  test('ssh-agent auth (IdentityAgent): the only usable key lives in our ssh-agent', async () => {
    const m = manager(prompts());
    try {
      const r = await m.get('t-agent').connect();
      assert.equal(r.privilege.kind, 'root');
      assert.match(logs.filter((l) => l.includes('connected to root@127.0.0.1:' + A.port)).join('\n'), /auth: agent/);
    } finally {
      m.dispose();
    }
  });

  test('IdentitiesOnly + IdentityAgent: only the agent key matching IdentityFile is offered', async () => {
    const m = manager(prompts());
    try {
      assert.equal((await m.get('t-agent-only').connect()).privilege.kind, 'root');
      assert.ok(logs.some((l) => /ssh-agent: 1 of 2 keys match IdentityFile/.test(l)));
      // the agent holds id_plain (authorized) too, but IdentityFile names another key: not offered
      await rejectsWith(m.get('t-agent-other').connect(), 'auth-failed', /authentication failed/);
    } finally {
      m.dispose();
    }
  });

  test('a key the server does not accept: auth-failed with what was tried and what to do', async () => {
    const m = manager(prompts());
    try {
      await rejectsWith(m.get('t-badkey').connect(), 'auth-failed', /authentication failed .*authorized_keys/);
    } finally {
      m.dispose();
    }
  });

  test('closed port: unreachable, naming the port', async () => {
    const m = manager(prompts());
    try {
      await rejectsWith(m.get('t-closed').connect(), 'unreachable', /connection refused; is sshd running/);
    } finally {
      m.dispose();
    }
  });

  test('ProxyJump through a second sshd', async () => {
    const m = manager(prompts());
    try {
      const r = await m.get('t-jump').connect();
      assert.equal(r.privilege.kind, 'root');
      // the jump sshd opened the forwarded channel to the target's port
      assert.match(J.log(), new RegExp(`direct_tcpip: originator .* target 127\\.0\\.0\\.1 port ${A.port}`));
    } finally {
      m.dispose();
    }
  });
});

describe('host keys', () => {
  test('unknown host key: asked with the SHA256 fingerprint, pinned on accept, not asked again', async () => {
    const kh = path.join(dir, 'kh-new');
    const expected = sh(`ssh-keygen -lf ${A.dir}/host_ed25519.pub -E sha256`).split(' ')[1];
    const p = prompts({ hostKey: true });
    const m = manager(p, { knownHostsFile: kh });
    try {
      await m.get('t-root').connect();
      assert.equal(p.calls.hostKey, 1);
      assert.equal(p.hostKeyQuestions[0], expected);
      assert.equal(new KnownHosts(kh).verify('127.0.0.1', A.port, Buffer.from(fs.readFileSync(`${A.dir}/host_ed25519.pub`, 'utf8').split(' ')[1], 'base64')).kind, 'known');
      // OpenSSH itself agrees with what we wrote
      assert.match(sh(`ssh-keygen -F '[127.0.0.1]:${A.port}' -f ${kh}`), /ssh-ed25519/);
      m.get('t-root').disconnect();
      await m.get('t-root').connect();
      assert.equal(p.calls.hostKey, 1);
    } finally {
      m.dispose();
    }
  });

  test('ssh config UserKnownHostsFile + StrictHostKeyChecking accept-new / yes are honoured', async () => {
    const kh = path.join(dir, 'kh-from-config');
    const cfg = path.join(dir, 'ssh_config_ukh');
    const base = `  HostName 127.0.0.1\n  Port ${A.port}\n  User root\n  IdentityFile ${dir}/id_plain\n  IdentitiesOnly yes\n  UserKnownHostsFile ${kh}\n`;
    fs.writeFileSync(cfg, `Host strict\n${base}  StrictHostKeyChecking yes\nHost acceptnew\n${base}  StrictHostKeyChecking accept-new\n`);
    const p = prompts({ hostKey: false });
    const m = new HostManager({ sshConfigFile: cfg, agentDir, prompts: p, log: () => undefined, includeLocal: false });
    try {
      await rejectsWith(m.get('strict').connect(), 'host-key-unknown', /StrictHostKeyChecking is yes/);
      assert.equal(fs.existsSync(kh), false);
      await m.get('acceptnew').connect();
      assert.match(fs.readFileSync(kh, 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${A.port} ssh-ed25519 `));
      assert.equal(p.calls.hostKey, 0);
      m.drop('strict');
      await m.get('strict').connect(); // now known in the config's UserKnownHostsFile
    } finally {
      m.dispose();
    }
  });

  test('unknown host key declined: clear error, nothing pinned', async () => {
    const kh = path.join(dir, 'kh-declined');
    const m = manager(prompts({ hostKey: false }), { knownHostsFile: kh });
    try {
      await rejectsWith(m.get('t-root').connect(), 'host-key-unknown', /not accepted; verify the fingerprint/);
      assert.equal(fs.existsSync(kh), false);
    } finally {
      m.dispose();
    }
  });

  test('regenerated host key: refused without asking, with a clear warning', async () => {
    const C = await Sshd.start(dir, 'rekeyed');
    const kh = path.join(dir, 'kh-rekey');
    pin(kh, C);
    const cfg = path.join(dir, 'ssh_config_rekey');
    fs.writeFileSync(cfg, `Host rekeyed\n  HostName 127.0.0.1\n  Port ${C.port}\n  User root\n  IdentityFile ${dir}/id_plain\n`);
    C.authorize('root', fs.readFileSync(path.join(dir, 'id_plain.pub'), 'utf8'));
    const p = prompts({ hostKey: true });
    const m = new HostManager({ sshConfigFile: cfg, knownHostsFile: kh, agentDir, prompts: p, log: () => undefined, includeLocal: false });
    try {
      await m.get('rekeyed').connect();
      m.get('rekeyed').disconnect();
      C.newHostKey();
      await C.restart();
      await rejectsWith(m.get('rekeyed').connect(), 'host-key-changed', /HOST KEY CHANGED.*ssh-keygen -R/);
      assert.equal(p.calls.hostKey, 0);
    } finally {
      m.dispose();
      await C.stop();
    }
  });
});

describe('privilege', () => {
  test('passwordless sudo user: sudo -n, commands run as uid 0', async () => {
    const p = prompts();
    const m = manager(p);
    try {
      const c = m.get('t-nopw');
      assert.equal((await c.connect()).privilege.kind, 'sudo');
      assert.equal((await c.runAsRoot('id -u')).stdout.toString().trim(), '0');
      assert.equal(p.calls.sudo, 0);
    } finally {
      m.dispose();
    }
  });

  test('password sudo user: the password goes over stdin only, commands run as uid 0', async () => {
    const p = prompts({ sudo: SUDO_PW });
    const m = manager(p);
    const before = logs.length;
    try {
      const c = m.get('t-pw');
      assert.equal((await c.connect()).privilege.kind, 'sudo-password');
      // a bigger stdin after the password line arrives intact
      assert.equal((await c.runAsRoot('id -u; cat /etc/hostname >/dev/null')).stdout.toString().trim(), '0');
      assert.equal(p.calls.sudo, 1);
      assert.ok(!logs.slice(before).some((l) => l.includes(SUDO_PW)), 'password never logged');
      assert.ok(!A.log().includes(SUDO_PW), 'password not in sshd log');
    } finally {
      m.dispose();
    }
  });

  test('password sudo user, wrong password: wrong-password error', async () => {
    const m = manager(prompts({ sudo: 'not-the-password' }));
    try {
      await rejectsWith(m.get('t-pw').connect(), 'wrong-password', /sudo rejected the password for kwt-pw/);
    } finally {
      m.dispose();
    }
  });

  test('non-root user without sudo rights: no-sudo error saying what to do', async () => {
    // the user types their right password; sudo then says they are not in sudoers
    const m = manager(prompts({ sudo: NOSUDO_PW }));
    try {
      await rejectsWith(m.get('t-nosudo').connect(), 'no-sudo', /kwt-nosudo may not use sudo .*log in as root or add kwt-nosudo to sudoers/);
    } finally {
      m.dispose();
    }
  });
});

describe('This Machine as a non-root user (extension host not running as root)', () => {
  // The core runs in a node process of that user; the sudo password (if any) arrives on stdin.
  function asUser(user: string, password: string | undefined): { priv?: string; id?: string; remote?: string; uid?: number; error?: string; message?: string } {
    const script = `
      const { HostManager } = require(${JSON.stringify(path.resolve(__dirname, '../../src/core/host/host.js'))});
      const pw = require('fs').readFileSync(0, 'utf8') || undefined;
      const m = new HostManager({ sshConfigFile: '/nonexistent', agentDir: ${JSON.stringify(localAgentDir)}, log: () => {}, includeLocal: true,
        prompts: { confirmHostKey: async () => false, passphrase: async () => undefined, password: async () => undefined, sudoPassword: async () => pw } });
      (async () => {
        const c = m.get('local');
        const r = await c.connect();
        const id = (await c.runAsRoot('id -u')).stdout.toString().trim();
        const d = await c.deploy();
        const p = await c.runAgent(['probe']);
        console.log(JSON.stringify({ priv: r.privilege.kind, id, remote: d.remotePath, uid: JSON.parse(p.stdout.toString()).uid }));
      })().catch((e) => console.log(JSON.stringify({ error: e.code, message: e.message }))).finally(() => m.dispose());`;
    const out = cp.execFileSync('runuser', ['-u', user, '--', process.execPath, '-e', script], { input: password ?? '', encoding: 'utf8', cwd: '/' });
    return JSON.parse(out.trim().split('\n').pop()!);
  }

  test('passwordless sudo: sudo -n, agent deployed root-owned and run as uid 0', () => {
    const r = asUser('kwt-nopw', undefined);
    assert.deepEqual([r.priv, r.id, r.uid], ['sudo', '0', 0], JSON.stringify(r));
    assert.equal(fs.statSync(r.remote!).uid, 0);
  });

  test('sudo with a password: right password works, wrong one is a wrong-password error', () => {
    const ok = asUser('kwt-pw', SUDO_PW);
    assert.deepEqual([ok.priv, ok.id, ok.uid], ['sudo-password', '0', 0], JSON.stringify(ok));
    const bad = asUser('kwt-pw', 'nope');
    assert.equal(bad.error, 'wrong-password', JSON.stringify(bad));
    assert.match(bad.message!, /^This Machine: sudo rejected the password for kwt-pw/);
  });

  test('no sudo rights: a no-sudo error saying what to do', () => {
    const r = asUser('kwt-nosudo', NOSUDO_PW);
    assert.equal(r.error, 'no-sudo', JSON.stringify(r));
    assert.match(r.message!, /kwt-nosudo may not use sudo/);
  });
});

describe('deployment (fake agent binary)', () => {
  test('first deploy uploads, second connection uploads nothing; root-owned 0755; tampering is repaired', async () => {
    const m1 = manager(prompts({ sudo: SUDO_PW }));
    const m2 = manager(prompts({ sudo: SUDO_PW }));
    try {
      const c1 = m1.get('t-pw');
      await c1.connect();
      const b0 = c1.runner!.bytesSent()!;
      const d1 = await c1.deploy();
      const b1 = c1.runner!.bytesSent()!;
      assert.equal(d1.uploaded, true);
      const size = fs.statSync(fs.readdirSync(agentDir).map((f) => path.join(agentDir, f))[0]).size;
      assert.equal(d1.uploadedBytes, size);
      assert.ok(b1 - b0 >= size, `socket carried the binary (${b1 - b0} >= ${size})`);
      const st = fs.statSync(d1.remotePath);
      assert.equal(st.uid, 0);
      assert.equal(st.mode & 0o7777, 0o755);
      assert.equal(fs.statSync(path.dirname(d1.remotePath)).uid, 0);
      assert.equal(fs.statSync(path.dirname(d1.remotePath)).mode & 0o7777, 0o755);

      const c2 = m2.get('t-pw');
      await c2.connect();
      const s0 = c2.runner!.bytesSent()!;
      const d2 = await c2.deploy();
      const s1 = c2.runner!.bytesSent()!;
      assert.equal(d2.uploaded, false);
      assert.ok(s1 - s0 < 8192, `second deploy sent ${s1 - s0} bytes (< 8 KiB, binary is ${size})`);
      console.log(`# deploy over ssh (sudo -S): first ${d1.ms} ms, ${b1 - b0} bytes sent; second ${d2.ms} ms, ${s1 - s0} bytes sent`);

      // a modified copy is refused by the start script's hash check, then redeployed once
      fs.appendFileSync(d1.remotePath, 'tampered');
      const before = logs.length;
      const r = await c2.runAgent(['probe']);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(logs.slice(before).some((l) => /failed its hash check; redeploying/.test(l)));
      assert.equal(c2.lastDeployment?.uploaded, true);
      assert.equal(sh(`sha256sum < ${d1.remotePath}`).slice(0, 64), d1.sha256);
      // the same for a trace session: it starts on the repaired copy
      fs.appendFileSync(d1.remotePath, 'tampered again');
      const s = new TraceSession(c2, { families: ['unlink'] }, { format: 'json' });
      await s.start();
      assert.equal(s.state.kind, 'running');
      await s.stop();
      s.dispose();
    } finally {
      m1.dispose();
      m2.dispose();
    }
  });

  test('trace session through sudo -S: agent runs as uid 0, stop ends it and proves its pid is gone', async () => {
    const m = manager(prompts({ sudo: SUDO_PW }));
    try {
      const messages: string[] = [];
      const s = new TraceSession(m.get('t-pw'), { families: ['unlink'] }, { format: 'json', onRecord: (r) => r.type === 'error' && messages.push(r.message) });
      await s.start();
      assert.equal(s.state.kind, 'running');
      const pid = await waitFor('the agent pid', () => s.agentPid);
      assert.ok(pid > 0);
      assert.ok(fs.existsSync(`/proc/${pid}`));
      await waitFor('the uid=0 message from the agent', () => messages.length > 0);
      assert.deepEqual(messages, ['uid=0']);
      await s.stop();
      assert.equal(s.state.kind, 'stopped');
      assert.equal(s.verifiedGone, true);
      assert.equal(fs.existsSync(`/proc/${pid}`), false);
      s.dispose();
    } finally {
      m.dispose();
    }
  });

  test('unsupported architecture: no build for it is a clear error', async () => {
    const empty = path.join(dir, 'no-agents');
    fs.mkdirSync(empty, { recursive: true });
    const m = manager(prompts(), { agentDir: empty });
    try {
      await rejectsWith(m.get('t-root').deploy(), 'unsupported-arch', /no agent build for x86_64|no agent build for aarch64/);
    } finally {
      m.dispose();
    }
  });
});

describe('HostFiles over ssh', () => {
  test('SFTP for UTF-8 names, the shell for names that are not UTF-8: exact bytes both ways', async () => {
    const m = manager(prompts());
    const host = m.ref('t-root');
    try {
      const d = path.join(dir, 'files');
      fs.mkdirSync(d, { recursive: true });
      const utf8 = path.join(d, 'grüße.txt');
      fs.writeFileSync(utf8, 'hello\n');
      const bad = Buffer.concat([Buffer.from(d + '/bad'), Buffer.from([0xff, 0x0a]), Buffer.from("it's\n")]);
      fs.writeFileSync(bad, 'binary name\n');
      const st = await m.stat(host, Buffer.from(utf8));
      assert.deepEqual([st.type, st.size], ['file', 6]);
      assert.equal(Buffer.from(await m.readFile(host, Buffer.from(utf8))).toString(), 'hello\n');
      const st2 = await m.stat(host, bad);
      assert.deepEqual([st2.type, st2.size], ['file', 12]);
      assert.ok(Math.abs(st2.mtimeMs - fs.statSync(bad).mtimeMs) < 1000);
      assert.equal(Buffer.from(await m.readFile(host, bad)).toString(), 'binary name\n');
      const names = (await m.readDirectory(host, Buffer.from(d))).map((e) => Buffer.from(e.name).toString('hex')).sort();
      assert.deepEqual(names, [Buffer.from('grüße.txt').toString('hex'), bad.subarray(d.length + 1).toString('hex')].sort());
      const dirStat = await m.stat(host, Buffer.from(d));
      assert.equal(dirStat.type, 'dir');
      for (const missing of [Buffer.from(d + '/nope'), Buffer.concat([Buffer.from(d + '/nope'), Buffer.from([0xfe])])]) {
        await assert.rejects(m.stat(host, missing), (e: Error & { code?: string }) => e.code === 'ENOENT');
        await assert.rejects(m.readFile(host, missing), (e: Error & { code?: string }) => e.code === 'ENOENT');
      }
    } finally {
      m.dispose();
    }
  });
});

describe('CLI over ssh', () => {
  const cli = path.resolve(__dirname, '../../../dist/cli.js');
  test('kwitness hosts lists config aliases without wildcards', () => {
    const out = cp.execFileSync(process.execPath, [cli, 'hosts', '--ssh-config', sshConfig], { encoding: 'utf8' });
    const ids = out.trim().split('\n').map((l) => l.split('\t')[0]);
    assert.ok(ids.includes('t-root') && ids.includes('t-jump'));
    assert.ok(!ids.some((i) => i.includes('*')));
  });
  test('kwitness probe over ssh with a fresh known_hosts and --accept-new-host-key', () => {
    const kh = path.join(dir, 'kh-cli');
    const out = cp.execFileSync(process.execPath, [cli, 'probe', 't-nopw', '--json', '--ssh-config', sshConfig, '--known-hosts', kh, '--accept-new-host-key', '--agent-dir', agentDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const report = JSON.parse(out);
    assert.equal(report.agent_version, 'fake');
    assert.equal(report.uid, 0);
    assert.match(fs.readFileSync(kh, 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${A.port} ssh-ed25519 `));
  });
  test('kwitness probe refuses an unknown host key without a terminal, exit 1 and one clear line', () => {
    const r = cp.spawnSync(process.execPath, [cli, 'probe', 't-root', '--ssh-config', sshConfig, '--known-hosts', path.join(dir, 'kh-none'), '--agent-dir', agentDir], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /kwitness: .*not accepted; verify the fingerprint/);
  });
});
