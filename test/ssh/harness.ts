// Test fixtures for the ssh suite: a private OpenSSH sshd on 127.0.0.1 (own host key, own
// authorized_keys per user, random free port, everything under a temp dir), throwaway local
// users with or without sudo, an ssh-agent, and a clearly-named FAKE agent binary used only for
// deployment/privilege mechanics (the real agent is exercised in agent-over-ssh.test.ts).
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { knownHostsName } from '../../src/core/ssh/known-hosts';

export function sh(cmd: string, opts: cp.ExecSyncOptions = {}): string {
  return cp.execSync(cmd, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts }) as string;
}

export function tempDir(prefix: string): string {
  // Short and under /tmp: sshd refuses nothing here, but unix sockets need short paths.
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export function keygen(file: string, passphrase = ''): string {
  sh(`ssh-keygen -q -t ed25519 -N '${passphrase}' -C kwitness-test -f ${file}`);
  return fs.readFileSync(file + '.pub', 'utf8');
}

export interface SshdOptions {
  /** sshd_config lines placed BEFORE the defaults (in sshd_config the first value wins). */
  config?: string[];
  /** Path to run sshd as (a symlink to /usr/sbin/sshd): sshd names its PAM service after it. */
  binary?: string;
}

export class Sshd {
  proc: cp.ChildProcess | undefined;
  readonly logFile: string;
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly binary: string,
  ) {
    this.logFile = path.join(dir, 'sshd.log');
  }

  static async start(dir: string, name: string, opts: SshdOptions = {}): Promise<Sshd> {
    const d = path.join(dir, name);
    fs.mkdirSync(path.join(d, 'keys'), { recursive: true });
    const s = new Sshd(d, await freePort(), opts.binary ?? '/usr/sbin/sshd');
    s.newHostKey();
    fs.writeFileSync(
      path.join(d, 'sshd_config'),
      [
        ...(opts.config ?? []),
        `Port ${s.port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${d}/host_ed25519`,
        'PidFile none',
        `AuthorizedKeysFile ${d}/keys/%u`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        'UsePAM no',
        'StrictModes no',
        'AllowTcpForwarding yes',
        'LogLevel DEBUG1',
        'Subsystem sftp internal-sftp',
        '',
      ].join('\n'),
    );
    await s.run();
    return s;
  }

  /** The host key's public half as it appears in a .pub file: [type, base64]. */
  hostKeyPub(file = 'host_ed25519.pub'): [string, string] {
    const [type, b64] = fs.readFileSync(path.join(this.dir, file), 'utf8').trim().split(/\s+/);
    return [type, b64];
  }

  newHostKey(): void {
    fs.rmSync(path.join(this.dir, 'host_ed25519'), { force: true });
    fs.rmSync(path.join(this.dir, 'host_ed25519.pub'), { force: true });
    sh(`ssh-keygen -q -t ed25519 -N '' -f ${this.dir}/host_ed25519`);
  }

  authorize(user: string, pubKey: string): void {
    fs.appendFileSync(path.join(this.dir, 'keys', user), pubKey);
  }

  private async run(): Promise<void> {
    fs.mkdirSync('/run/sshd', { recursive: true });
    this.proc = cp.spawn(this.binary, ['-D', '-f', path.join(this.dir, 'sshd_config'), '-E', this.logFile], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (await canConnect(this.port)) return;
      if (this.proc.exitCode !== null) break;
      await sleep(50);
    }
    throw new Error(`sshd did not start on ${this.port}: ${fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8').slice(-2000) : ''}`);
  }

  /** Restarts on the same port (e.g. after newHostKey()). */
  async restart(): Promise<void> {
    await this.stop();
    await this.run();
  }

  /** Pids of the per-connection sshd processes (descendants of the listener). */
  connectionPids(): number[] {
    const out: number[] = [];
    const walk = (pid: number): void => {
      let kids: string;
      try {
        kids = sh(`pgrep -P ${pid}`);
      } catch {
        return;
      }
      for (const k of kids.split('\n').filter(Boolean).map(Number)) {
        let comm: string;
        try {
          comm = fs.readFileSync(`/proc/${k}/comm`, 'utf8').trim();
        } catch {
          continue; // it ended between pgrep and here: nothing left to kill
        }
        if (comm === 'sshd' || comm === path.basename(this.binary).slice(0, 15)) {
          out.push(k);
          walk(k);
        }
      }
    };
    if (this.proc?.pid) walk(this.proc.pid);
    return out;
  }

  /** Kills every per-connection sshd process: the connections drop as if the server crashed. */
  killConnections(): number {
    const pids = this.connectionPids();
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    return pids.length;
  }

  log(): string {
    return fs.readFileSync(this.logFile, 'utf8');
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    try {
      this.killConnections();
    } catch {
      /* the listener below still ends, and its connections with it */
    }
    const done = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await Promise.race([done, sleep(3000)]);
    if (p.exitCode === null) p.kill('SIGKILL');
    this.proc = undefined;
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `fn` until it returns something truthy. The limit is a safety net for a broken build,
 * not a claim about speed: a loaded machine must never fail a test by being slow (how fast
 * something happened is printed by the tests and judged by the benchmarks).
 */
export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 60000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}

export type SudoKind = 'nopasswd' | 'password' | 'none';

/** A throwaway local user (removed by removeUsers); `shell` is its login shell (default /bin/sh). */
export function makeUser(name: string, home: string, sudo: SudoKind, password?: string, shell = '/bin/sh'): void {
  try {
    sh(`userdel -r ${name}`);
  } catch {
    /* not there */
  }
  sh(`useradd -M -d ${home} -s ${shell} ${name}`);
  fs.mkdirSync(home, { recursive: true });
  sh(`chown ${name}: ${home}`);
  // sshd (UsePAM no) refuses locked accounts ('!'); '*' = no password login but not locked.
  if (password) sh(`chpasswd`, { input: `${name}:${password}\n`, stdio: ['pipe', 'pipe', 'pipe'] });
  else sh(`usermod -p '*' ${name}`);
  const rule = sudo === 'nopasswd' ? `${name} ALL=(ALL) NOPASSWD: ALL\n` : sudo === 'password' ? `${name} ALL=(ALL) ALL\n` : '';
  if (rule) {
    const f = `/etc/sudoers.d/kwitness-test-${name}`;
    fs.writeFileSync(f, rule, { mode: 0o440 });
    sh(`visudo -cf ${f}`);
  }
}

export function removeUser(name: string): void {
  fs.rmSync(`/etc/sudoers.d/kwitness-test-${name}`, { force: true });
  try {
    sh(`pkill -KILL -u ${name}`);
  } catch {
    /* none */
  }
  try {
    sh(`userdel ${name}`);
  } catch {
    /* gone */
  }
}

export class SshAgent {
  readonly sock: string;
  private proc: cp.ChildProcess;
  constructor(dir: string) {
    this.sock = path.join(dir, 'agent.sock');
    this.proc = cp.spawn('ssh-agent', ['-D', '-a', this.sock], { stdio: 'ignore' });
  }
  async add(keyFile: string): Promise<void> {
    for (let i = 0; i < 50 && !fs.existsSync(this.sock); i++) await sleep(50);
    sh(`ssh-add -q ${keyFile}`, { env: { ...process.env, SSH_AUTH_SOCK: this.sock } });
  }
  stop(): void {
    this.proc.kill('SIGTERM');
  }
}

/**
 * A FAKE agent (shell script) with a unique nonce, so its sha256 is new and the first deploy
 * really uploads. It answers `probe`, reports its uid in `trace` and waits for stdin EOF like the
 * real agent does. Used only to test deployment/privilege mechanics.
 */
let fakeAgents = 0;
export function fakeAgentDir(dir: string, padKb = 256): string {
  const d = path.join(dir, `fake-agent-${process.pid}-${++fakeAgents}`);
  fs.mkdirSync(d, { recursive: true });
  const arch = os.arch() === 'arm64' ? 'aarch64' : 'x86_64';
  const script = `#!/bin/sh
# FAKE kwitness-agent for the ssh suite (nonce ${Math.random()})
now() { date -u +%Y-%m-%dT%H:%M:%S.000000000Z; }
case "$1" in
probe) printf '{"agent_version":"fake","kernel":"%s","arch":"%s","btf":true,"lockdown":"none","lsm":["capability"],"lsm_bpf":false,"families":{"unlink":["tracepoint"],"create":["tracepoint"],"write":["tracepoint"],"exec":["tracepoint"]},"uid":%s}\\n' "$(uname -r)" "$(uname -m)" "$(id -u)" ;;
trace) printf '{"type":"ready","time":"%s","agent_version":"fake","kernel":"%s","arch":"%s","probes":[{"family":"unlink","probe":"fake","mode":"tracepoint"}]}\\n' "$(now)" "$(uname -r)" "$(uname -m)"
       printf '{"type":"error","time":"%s","message":"uid=%s"}\\n' "$(now)" "$(id -u)"
       cat >/dev/null; exit 0 ;;
btf) echo "int $2(void);" ;;
*) echo "fake agent: unknown command $1" >&2; exit 2 ;;
esac
exit 0
# padding so the upload has a measurable size:
# ${'x'.repeat(padKb * 1024)}
`;
  fs.writeFileSync(path.join(d, `kwitness-agent-${arch}`), script, { mode: 0o755 });
  return d;
}

/**
 * A fresh sshd in `dir` that lets root in with a new key, the ssh config naming it `t-root`, and
 * a known_hosts that already pins its host key: what the tests of the real agent over ssh share.
 */
export async function rootTarget(dir: string): Promise<{ sshd: Sshd; sshConfig: string; knownHosts: string }> {
  const sshd = await Sshd.start(dir, 'target');
  sshd.authorize('root', keygen(path.join(dir, 'id')));
  const sshConfig = path.join(dir, 'ssh_config');
  fs.writeFileSync(sshConfig, `Host t-root\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User root\n  IdentityFile ${dir}/id\n  IdentitiesOnly yes\n`);
  const knownHosts = path.join(dir, 'known_hosts');
  const [type, b64] = fs.readFileSync(path.join(sshd.dir, 'host_ed25519.pub'), 'utf8').trim().split(/\s+/);
  fs.writeFileSync(knownHosts, `${knownHostsName('127.0.0.1', sshd.port)} ${type} ${b64}\n`);
  return { sshd, sshConfig, knownHosts };
}
