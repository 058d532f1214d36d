// ssh_config / known_hosts options and keyboard-interactive against REAL OpenSSH sshd instances on
// 127.0.0.1: a one-time-code prompt from PAM (pam_google_authenticator), ProxyCommand through nc
// and `ssh -W`, host certificates (ssh-keygen -s, HostCertificate, @cert-authority), Match exec,
// the system-wide config, HostKeyAlias, HashKnownHosts, lower-cased names, and pinned host key
// types being preferred. Run as root (a throwaway user kwt-otp, a PAM service file).
import assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { isKwError } from '../../src/core/errors';
import { INSTALL_ROOT } from '../../src/core/host/deploy';
import { SshConfig } from '../../src/core/ssh/config';
import { HostKeyQuestion, KeyboardInteractiveQuestion, SshConnection, SshPrompts } from '../../src/core/ssh/connection';
import { KnownHosts, hashHostName, knownHostsName } from '../../src/core/ssh/known-hosts';
import { Sshd, fakeAgentDir, freePort, keygen, makeUser, removeUser, sh, sleep, tempDir } from './harness';

const OTP_USER = 'kwt-otp';
const OTP_PASSWORD = 'kw-otp-account-pw-77';
const OTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DP'; // base32, the test's own
const PAM_SERVICE = `kwt-otp-sshd-${process.pid}`;
const CLI = path.resolve(__dirname, '../../../dist/cli.js');

let dir: string;
let A: Sshd; // plain target (ed25519 + ecdsa host keys)
let J: Sshd; // jump host for ssh -W
let sysConfig: string;
let savedSysEnv: string | undefined;
const logs: string[] = [];
const fakeAgents: string[] = [];

/** A fake agent build for CLI runs (removed from the install root afterwards). */
function fakeAgent(): string {
  const d = fakeAgentDir(dir, 1);
  fakeAgents.push(d);
  return d;
}

interface Recorded extends SshPrompts {
  hostKeys: HostKeyQuestion[];
  passwords: number;
  kbd: KeyboardInteractiveQuestion[];
}

function prompts(answers: { hostKey?: boolean; password?: string; kbd?: (q: KeyboardInteractiveQuestion) => string[] | undefined } = {}): Recorded {
  const r: Recorded = {
    hostKeys: [],
    passwords: 0,
    kbd: [],
    async confirmHostKey(q) {
      r.hostKeys.push(q);
      return answers.hostKey ?? false;
    },
    async passphrase() {
      return undefined;
    },
    async password() {
      r.passwords++;
      return answers.password;
    },
    async keyboardInteractive(q) {
      r.kbd.push(q);
      return answers.kbd?.(q);
    },
  };
  return r;
}

function writeConfig(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

function hostBlock(alias: string, lines: string[]): string {
  return [`Host ${alias}`, ...lines.map((l) => `  ${l}`), ''].join('\n');
}

function plainKeyLines(port: number): string[] {
  return ['HostName 127.0.0.1', `Port ${port}`, 'User root', `IdentityFile ${dir}/id_plain`, 'IdentitiesOnly yes'];
}

async function connect(configFile: string, alias: string, p: SshPrompts, knownHostsFile?: string): Promise<SshConnection> {
  const target = SshConfig.load(configFile).resolve(alias);
  return SshConnection.connect(target, { prompts: p, knownHosts: knownHostsFile ? new KnownHosts(knownHostsFile) : undefined, log: (l) => logs.push(l), timeoutMs: 30000 });
}

async function run(c: SshConnection, command: string): Promise<string> {
  const { channel, exit } = await c.exec(command);
  const out: Buffer[] = [];
  channel.on('data', (d: Buffer) => out.push(d));
  channel.stderr.resume();
  await exit;
  return Buffer.concat(out).toString();
}

async function rejectsWith(p: Promise<unknown>, code: string, re: RegExp): Promise<void> {
  try {
    const c = await p;
    (c as SshConnection | undefined)?.dispose?.();
  } catch (e) {
    assert.ok(isKwError(e), `expected a KwError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), 'one-line message');
    return;
  }
  assert.fail(`expected ${code}`);
}

function pinLine(name: string, s: Sshd, file = 'host_ed25519.pub'): string {
  return `${name} ${s.hostKeyPub(file).join(' ')}\n`;
}

/** RFC 6238 TOTP (SHA-1, 30 s, 6 digits), as pam_google_authenticator checks it. */
function totp(secretBase32: string, now = Date.now()): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secretBase32) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 30000)));
  const h = crypto.createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

before(async () => {
  dir = tempDir('kw-sshopt-');
  fs.chmodSync(dir, 0o755);
  const plainPub = keygen(path.join(dir, 'id_plain'));
  // the target has an ECDSA host key besides the ed25519 one
  fs.mkdirSync(path.join(dir, 'target'));
  sh(`ssh-keygen -q -t ecdsa -N '' -f ${dir}/target/host_ecdsa`);
  A = await Sshd.start(dir, 'target', { config: [`HostKey ${dir}/target/host_ecdsa`] });
  J = await Sshd.start(dir, 'jump');
  A.authorize('root', plainPub);
  J.authorize('root', plainPub);
  // the system-wide config of this suite (never this machine's /etc/ssh/ssh_config)
  sysConfig = path.join(dir, 'system_ssh_config');
  fs.writeFileSync(sysConfig, '');
  savedSysEnv = process.env.KWITNESS_SYSTEM_SSH_CONFIG;
  process.env.KWITNESS_SYSTEM_SSH_CONFIG = sysConfig;
});

after(async () => {
  if (savedSysEnv === undefined) delete process.env.KWITNESS_SYSTEM_SSH_CONFIG;
  else process.env.KWITNESS_SYSTEM_SSH_CONFIG = savedSysEnv;
  await A?.stop();
  await J?.stop();
  for (const d of fakeAgents) {
    const sha = sh(`sha256sum ${d}/kwitness-agent-* | cut -c1-64`).trim();
    fs.rmSync(path.join(INSTALL_ROOT, sha), { recursive: true, force: true });
  }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('keyboard-interactive through PAM: password, then a one-time code', () => {
  let O: Sshd;
  let cfg: string;
  let kh: string;
  const pamFile = `/etc/pam.d/${PAM_SERVICE}`;

  before(async () => {
    makeUser(OTP_USER, path.join(dir, 'home', OTP_USER), 'nopasswd', OTP_PASSWORD);
    const secret = path.join(dir, 'otp_secret');
    // pam_google_authenticator's secret file: the key, TOTP, a wide window (no clock race), codes reusable
    fs.writeFileSync(secret, `${OTP_SECRET}\n" TOTP_AUTH\n" WINDOW_SIZE 17\n`, { mode: 0o600 });
    fs.writeFileSync(
      pamFile,
      [
        'auth required pam_unix.so',
        `auth required pam_google_authenticator.so secret=${secret} user=root echo_verification_code`,
        'account required pam_permit.so',
        'session required pam_permit.so',
        'password required pam_deny.so',
        '',
      ].join('\n'),
    );
    // sshd names its PAM service after the name it runs as
    const bin = path.join(dir, PAM_SERVICE);
    fs.symlinkSync('/usr/sbin/sshd', bin);
    O = await Sshd.start(dir, 'otp', {
      binary: bin,
      config: ['UsePAM yes', 'KbdInteractiveAuthentication yes', 'PasswordAuthentication no', 'PubkeyAuthentication no', 'AuthenticationMethods keyboard-interactive'],
    });
    kh = path.join(dir, 'kh-otp');
    fs.writeFileSync(kh, pinLine(knownHostsName('127.0.0.1', O.port), O));
    cfg = writeConfig('ssh_config_otp', hostBlock('t-otp', ['HostName 127.0.0.1', `Port ${O.port}`, `User ${OTP_USER}`, `IdentityFile ${dir}/none`, 'IdentitiesOnly yes', 'IdentityAgent none']));
  });

  after(async () => {
    await O?.stop();
    fs.rmSync(pamFile, { force: true });
    removeUser(OTP_USER);
  });

  test('the code prompt is shown as sshd sent it (text + echo flag); the password answers only the password prompt', async () => {
    const p = prompts({ password: OTP_PASSWORD, kbd: (q) => q.prompts.map(() => totp(OTP_SECRET)) });
    const c = await connect(cfg, 't-otp', p, kh);
    try {
      assert.equal((await run(c, 'id -un')).trim(), OTP_USER);
      assert.equal(p.passwords, 1);
      assert.deepEqual(
        p.kbd.map((q) => q.prompts),
        [[{ prompt: 'Verification code: ', echo: true }]],
      );
      assert.ok(!logs.join('\n').includes(OTP_PASSWORD), 'password never logged');
    } finally {
      c.dispose();
    }
  });

  test('a wrong code is an authentication failure; a declined prompt says which prompt', async () => {
    await rejectsWith(connect(cfg, 't-otp', prompts({ password: OTP_PASSWORD, kbd: () => ['000000'] }), kh), 'auth-failed', /authentication failed|not answered/);
    await rejectsWith(connect(cfg, 't-otp', prompts({ password: OTP_PASSWORD, kbd: () => undefined }), kh), 'auth-failed', /keyboard-interactive prompt "Verification code:" was not answered/);
  });

  test('the CLI on a terminal (a pty from script(1)): the code prompt is shown, echoed as sshd allows, and the probe runs', async () => {
    const cmd = [process.execPath, CLI, 'probe', 't-otp', '--json', '--ssh-config', cfg, '--known-hosts', kh, '--agent-dir', fakeAgent()].join(' ');
    const child = cp.spawn('script', ['-qfec', cmd, '/dev/null'], { env: { ...process.env, KWITNESS_SSH_PASSWORD: OTP_PASSWORD }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let code = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!code && out.includes('Verification code: ')) {
        code = totp(OTP_SECRET);
        child.stdin.write(`${code}\r`);
      }
    });
    child.stderr.resume();
    const status = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    assert.equal(status, 0, out);
    assert.ok(code, 'the prompt was shown on the terminal');
    // echo_verification_code: sshd allows echo, so what was typed is shown; the password never is
    assert.match(out, new RegExp(`Verification code: ${code}`));
    assert.ok(!out.includes(OTP_PASSWORD));
    assert.match(out, /"agent_version":"fake"/);
  });

  test('the CLI without a terminal: one clear line naming the prompt (the password alone comes from the environment)', () => {
    const r = cp.spawnSync(process.execPath, [CLI, 'probe', 't-otp', '--ssh-config', cfg, '--known-hosts', kh, '--agent-dir', fakeAgent()], {
      encoding: 'utf8',
      env: { ...process.env, KWITNESS_SSH_PASSWORD: OTP_PASSWORD },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^kwitness: kwt-otp@127\.0\.0\.1:\d+ \(t-otp\): the server asks "Verification code:" \(keyboard-interactive\) and there is no terminal to answer it on; run kwitness in a terminal\n$/);
  });
});

describe('ProxyCommand', () => {
  test('through nc: %h (lower-cased) and %p expanded, the name itself never resolved', async () => {
    const kh = path.join(dir, 'kh-nc');
    fs.writeFileSync(kh, pinLine(knownHostsName('target-via-nc.invalid', A.port), A));
    // the host name does not resolve: only the ProxyCommand can reach the sshd
    const check = `sh -c 'test "$1" = target-via-nc.invalid || exit 9; exec nc 127.0.0.1 "$2"' proxy %h %p`;
    const cfg = writeConfig('ssh_config_nc', hostBlock('t-nc', ['HostName Target-Via-NC.invalid', `Port ${A.port}`, 'User root', `IdentityFile ${dir}/id_plain`, 'IdentitiesOnly yes', `ProxyCommand ${check}`]));
    const c = await connect(cfg, 't-nc', prompts(), kh);
    try {
      assert.equal((await run(c, 'echo over-nc')).trim(), 'over-nc');
      assert.ok(c.bytesSent > 0 && c.bytesReceived > 0);
      assert.ok(logs.some((l) => l.includes(`t-nc: ProxyCommand sh -c 'test "$1" = target-via-nc.invalid || exit 9; exec nc 127.0.0.1 "$2"' proxy target-via-nc.invalid ${A.port}`)));
    } finally {
      c.dispose();
    }
    // the nc process ends with the connection
    for (let i = 0; i < 200 && pgrep(`^nc 127\\.0\\.0\\.1 ${A.port}$`); i++) await sleep(50);
    assert.equal(pgrep(`^nc 127\\.0\\.0\\.1 ${A.port}$`), false, 'nc still running after dispose');
  });

  test('through `ssh -W %h:%p` on a second sshd', async () => {
    const kh = path.join(dir, 'kh-w');
    fs.writeFileSync(kh, pinLine(knownHostsName('127.0.0.1', A.port), A) + pinLine(knownHostsName('127.0.0.1', J.port), J));
    const w = `ssh -F none -i ${dir}/id_plain -o IdentitiesOnly=yes -o BatchMode=yes -o UserKnownHostsFile=${kh} -o StrictHostKeyChecking=yes -p ${J.port} -W %h:%p root@127.0.0.1`;
    const cfg = writeConfig('ssh_config_w', hostBlock('t-w', [...plainKeyLines(A.port), `ProxyCommand ${w}`]));
    const c = await connect(cfg, 't-w', prompts(), kh);
    try {
      assert.equal((await run(c, 'echo over-w')).trim(), 'over-w');
      assert.match(J.log(), new RegExp(`direct_tcpip: originator .* target 127\\.0\\.0\\.1 port ${A.port}`));
    } finally {
      c.dispose();
    }
  });

  test('a ProxyCommand that fails: its exit status and last stderr line, on one line', async () => {
    const cfg = writeConfig('ssh_config_pcfail', hostBlock('t-pcfail', [...plainKeyLines(A.port), `ProxyCommand sh -c 'echo "proxy: no route to %h" >&2; exit 7'`]));
    await rejectsWith(connect(cfg, 't-pcfail', prompts(), path.join(dir, 'kh-none')), 'unreachable', /ProxyCommand "sh -c 'echo "proxy: no route to 127\.0\.0\.1" >&2; exit 7'" exited with status 7: proxy: no route to 127\.0\.0\.1; check the ProxyCommand/);
  });
});

function pgrep(fullCommandRegex: string): boolean {
  try {
    sh(`pgrep -f '${fullCommandRegex}'`);
    return true;
  } catch {
    return false;
  }
}

describe('host certificates (@cert-authority)', () => {
  let C: Sshd;
  let kh: string;
  let cfg: string;

  /** Signs the certhost's key with `ca` for `principals` and restarts it presenting that certificate. */
  async function present(ca: string, principals: string): Promise<void> {
    fs.rmSync(path.join(C.dir, 'host_ed25519-cert.pub'), { force: true });
    sh(`ssh-keygen -q -s ${dir}/${ca} -I kw-test-${ca} -h -n ${principals} -V -1h:+1h ${C.dir}/host_ed25519.pub`);
    await C.restart();
  }

  before(async () => {
    sh(`ssh-keygen -q -t ed25519 -N '' -f ${dir}/ca_trusted`);
    sh(`ssh-keygen -q -t ed25519 -N '' -f ${dir}/ca_other`);
    C = await Sshd.start(dir, 'certhost', { config: [`HostCertificate ${dir}/certhost/host_ed25519-cert.pub`] });
    C.authorize('root', fs.readFileSync(path.join(dir, 'id_plain.pub'), 'utf8'));
    kh = path.join(dir, 'kh-ca');
    // the CA, for this host pattern; the host's plain key is NOT pinned
    fs.writeFileSync(kh, `@cert-authority [127.0.0.1]:* ${fs.readFileSync(`${dir}/ca_trusted.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ')}\n`);
    cfg = writeConfig('ssh_config_ca', hostBlock('t-ca', plainKeyLines(C.port)));
  });

  after(async () => {
    await C?.stop();
  });

  test('a host key certified by the listed CA for this host: accepted without a prompt, nothing pinned', async () => {
    await present('ca_trusted', '127.0.0.1,certhost.example');
    const p = prompts();
    const before = fs.readFileSync(kh, 'utf8');
    const c = await connect(cfg, 't-ca', p, kh);
    try {
      assert.equal((await run(c, 'echo certified')).trim(), 'certified');
      assert.equal(p.hostKeys.length, 0);
      assert.ok(logs.some((l) => /host certificate "kw-test-ca_trusted" for 127\.0\.0\.1 accepted: its CA is listed in .*kh-ca:1/.test(l)));
      assert.equal(fs.readFileSync(kh, 'utf8'), before);
      // sshd really used the certificate
      assert.match(C.log(), /ssh-ed25519-cert-v01@openssh\.com/);
    } finally {
      c.dispose();
    }
  });

  test('the bundled CLI accepts it too (the ssh2 shim is loaded before ssh2 in the bundle)', () => {
    const r = cp.spawnSync(process.execPath, [CLI, 'probe', 't-ca', '--json', '--ssh-config', cfg, '--known-hosts', kh, '--agent-dir', fakeAgent()], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).agent_version, 'fake');
  });

  test('a certificate from another CA, or for another principal: refused without a prompt, saying why (unless its key is pinned)', async () => {
    await present('ca_other', '127.0.0.1');
    const p = prompts({ hostKey: true });
    await rejectsWith(connect(cfg, 't-ca', p, kh), 'host-key-unknown', /host certificate "kw-test-ca_other" rejected: its CA key \(SHA256:[^)]+\) is not in an @cert-authority line for \[127\.0\.0\.1\]:\d+; check the @cert-authority line/);
    // OpenSSH's fallback: with the certified key itself pinned, the connection is made (no prompt either)
    const khPinned = path.join(dir, 'kh-ca-pinned');
    fs.writeFileSync(khPinned, fs.readFileSync(kh, 'utf8') + pinLine(knownHostsName('127.0.0.1', C.port), C));
    (await connect(cfg, 't-ca', p, khPinned)).dispose();
    assert.ok(logs.some((l) => /host certificate for 127\.0\.0\.1 not accepted by any @cert-authority line, but the key it certifies is pinned/.test(l)));
    await present('ca_trusted', 'someone-else.example');
    await rejectsWith(connect(cfg, 't-ca', p, kh), 'host-key-unknown', /"127\.0\.0\.1" is not one of its principals \(someone-else\.example\)/);
    assert.equal(p.hostKeys.length, 0);
  });
});

test('an ECDSA host certificate signed by an ECDSA CA (the ECDSA path through ssh2)', async () => {
  const d = path.join(dir, 'certhost-ec');
  fs.mkdirSync(d);
  sh(`ssh-keygen -q -t ecdsa -N '' -f ${dir}/ca_ec && ssh-keygen -q -t ecdsa -N '' -f ${d}/host_ecdsa`);
  sh(`ssh-keygen -q -s ${dir}/ca_ec -I kw-test-ec -h -n 127.0.0.1 ${d}/host_ecdsa.pub`);
  // its ed25519 key has no certificate: the client's first certificate algorithm it can serve is ECDSA
  const E = await Sshd.start(dir, 'certhost-ec', { config: [`HostKey ${d}/host_ecdsa`, `HostCertificate ${d}/host_ecdsa-cert.pub`] });
  try {
    E.authorize('root', fs.readFileSync(path.join(dir, 'id_plain.pub'), 'utf8'));
    const kh = path.join(dir, 'kh-ca-ec');
    fs.writeFileSync(kh, `@cert-authority [127.0.0.1]:${E.port} ${fs.readFileSync(`${dir}/ca_ec.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ')}\n`);
    const p = prompts();
    const c = await connect(writeConfig('ssh_config_ca_ec', hostBlock('t-ca-ec', plainKeyLines(E.port))), 't-ca-ec', p, kh);
    try {
      assert.equal((await run(c, 'echo ec')).trim(), 'ec');
    } finally {
      c.dispose();
    }
    assert.equal(p.hostKeys.length, 0);
    assert.ok(logs.some((l) => l.startsWith('host certificate "kw-test-ec" for 127.0.0.1 accepted')));
    assert.match(E.log(), /ecdsa-sha2-nistp256-cert-v01@openssh\.com/);
  } finally {
    await E.stop();
  }
});

describe('ssh_config and known_hosts options on a real connection', () => {
  test('/etc/ssh/ssh_config (injected) supplies what the user file does not; first obtained value wins', async () => {
    fs.writeFileSync(sysConfig, hostBlock('sys-*', [...plainKeyLines(A.port), 'User nobody-wins-here']));
    const kh = path.join(dir, 'kh-sys');
    fs.writeFileSync(kh, pinLine(knownHostsName('127.0.0.1', A.port), A));
    const cfg = writeConfig('ssh_config_sys', hostBlock('sys-only', ['User root']));
    const c = await connect(cfg, 'sys-only', prompts(), kh);
    try {
      assert.equal((await run(c, 'id -un')).trim(), 'root');
    } finally {
      c.dispose();
      fs.writeFileSync(sysConfig, '');
    }
  });

  test('Match exec decides the port: the command runs locally, with %tokens', async () => {
    const flag = path.join(dir, 'match-flag');
    const closed = await freePort();
    const kh = path.join(dir, 'kh-match');
    fs.writeFileSync(kh, pinLine(knownHostsName('127.0.0.1', A.port), A));
    const cfg = writeConfig(
      'ssh_config_match',
      [`Match originalhost m-exec exec "test -e ${flag}-%n"`, `  Port ${A.port}`, hostBlock('m-exec', ['HostName 127.0.0.1', `Port ${closed}`, 'User root', `IdentityFile ${dir}/id_plain`, 'IdentitiesOnly yes'])].join('\n'),
    );
    await rejectsWith(connect(cfg, 'm-exec', prompts(), kh), 'unreachable', new RegExp(`127\\.0\\.0\\.1:${closed} .*connection refused`));
    fs.writeFileSync(`${flag}-m-exec`, '');
    const c = await connect(cfg, 'm-exec', prompts(), kh);
    c.dispose();
  });

  test('HostKeyAlias is looked up as is (no port), lower-cased; HostName lower-cased for known_hosts', async () => {
    const kh = path.join(dir, 'kh-alias');
    // hashed pins: only the exact lower-case names match them
    fs.writeFileSync(kh, pinLine(hashHostName('kw-alias.example'), A) + pinLine(hashHostName(knownHostsName('localhost', A.port)), A));
    const cfg = writeConfig('ssh_config_alias', hostBlock('t-alias', [...plainKeyLines(A.port), 'HostKeyAlias KW-Alias.Example']) + hostBlock('T-Upper', [`HostName LocalHost`, `Port ${A.port}`, 'User root', `IdentityFile ${dir}/id_plain`, 'IdentitiesOnly yes']));
    const p = prompts();
    for (const alias of ['t-alias', 'T-Upper']) (await connect(cfg, alias, p, kh)).dispose();
    assert.equal(p.hostKeys.length, 0);
  });

  test('HashKnownHosts yes: the new key is pinned hashed, OpenSSH finds it, the second connection asks nothing', async () => {
    const kh = path.join(dir, 'kh-hash');
    const cfg = writeConfig('ssh_config_hash', hostBlock('t-hash', [...plainKeyLines(A.port), 'HashKnownHosts yes']));
    const p = prompts({ hostKey: true });
    (await connect(cfg, 't-hash', p, kh)).dispose();
    const text = fs.readFileSync(kh, 'utf8');
    assert.match(text, /^\|1\|[^|]+\|[^ ]+ ssh-ed25519 /);
    assert.ok(!text.includes('127.0.0.1'));
    assert.match(sh(`ssh-keygen -F '[127.0.0.1]:${A.port}' -f ${kh}`), /ssh-ed25519/);
    (await connect(cfg, 't-hash', p, kh)).dispose();
    assert.equal(p.hostKeys.length, 1);
  });

  test('a host known by its ECDSA key only: that type is negotiated (no prompt for the ed25519 key it also has)', async () => {
    const kh = path.join(dir, 'kh-ecdsa');
    fs.writeFileSync(kh, pinLine(knownHostsName('127.0.0.1', A.port), A, 'host_ecdsa.pub'));
    const cfg = writeConfig('ssh_config_ecdsa', hostBlock('t-ecdsa', plainKeyLines(A.port)));
    const p = prompts();
    (await connect(cfg, 't-ecdsa', p, kh)).dispose();
    assert.equal(p.hostKeys.length, 0);
  });
});
