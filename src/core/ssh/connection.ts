// One SSH connection (ssh2) to a resolved host, possibly through ProxyJump hops. A promise that
// settles on ready / timeout / error; hostVerifier ALWAYS set (known_hosts); keepalives; auth
// order agent → keys (encrypted ones ask for the passphrase once per session) → password;
// ssh2's debug routed to the log when asked. No vscode import.
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { BaseAgent, Client, ClientChannel, SFTPWrapper, createAgent, utils as sshUtils } from 'ssh2';
import type { AuthenticationType, ConnectConfig } from 'ssh2';
import type { Duplex } from 'stream';

import { Disposable, Emitter, toDisposable } from '../lifecycle';
import { KwError, errorMessage } from '../errors';
import type { ResolvedHost } from './config';
import { KnownHosts, fingerprintSha256, keyTypeOfBlob } from './known-hosts';

export interface HostKeyQuestion {
  host: string;
  port: number;
  keyType: string;
  fingerprint: string;
  /** Key types already pinned for this host (a different type is offered now). */
  otherTypes: string[];
}

/** Questions only the user can answer. Returning undefined/false means "declined". */
export interface SshPrompts {
  confirmHostKey(q: HostKeyQuestion): Promise<boolean>;
  passphrase(keyFile: string): Promise<string | undefined>;
  password(user: string, host: string): Promise<string | undefined>;
}

export interface SshConnectOptions {
  /** Known hosts to verify against; undefined = the host's UserKnownHostsFile, else ~/.ssh/known_hosts (+ /etc/ssh/ssh_known_hosts). */
  knownHosts?: KnownHosts;
  prompts: SshPrompts;
  log?: (line: string) => void;
  /** Route ssh2's debug output to `log`. */
  debug?: boolean;
  /** TCP connect + handshake budget, not counting time spent in prompts (default 20 s). */
  timeoutMs?: number;
  /** Keepalive interval (default: ServerAliveInterval or 15 s); 3 missed ones drop the connection. */
  keepaliveMs?: number;
  /** Identity files tried before the config's (CLI --identity). */
  extraIdentities?: string[];
  /** Passphrases entered in this session, by key file (asked once per session). */
  passphraseCache?: Map<string, string>;
}

export class SshConnection extends Disposable {
  private readonly _onDidClose = this._register(new Emitter<string>());
  /** Fires once when the connection ends for any reason (the argument says why). */
  readonly onDidClose = this._onDidClose.event;
  private closed = false;
  private sftpPromise: Promise<SFTPWrapper> | undefined;
  private sftpSession: SFTPWrapper | undefined;

  /** Use SshConnection.connect(); the constructor only wires an already created ssh2 Client. */
  constructor(
    readonly target: ResolvedHost,
    readonly client: Client,
    /** The TCP socket to the first hop (it carries every byte of a jumped connection too). */
    readonly socket: net.Socket,
  ) {
    super();
    client.on('close', () => this.markClosed('connection closed'));
    client.on('error', (e) => this.markClosed(errorMessage(e)));
    this._register(toDisposable(() => client.end()));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Bytes sent/received on the TCP socket (the first hop's when jumping: it carries everything). */
  get bytesSent(): number {
    return this.socket.bytesWritten;
  }
  get bytesReceived(): number {
    return this.socket.bytesRead;
  }

  private markClosed(why: string): void {
    if (this.closed) return;
    this.closed = true;
    this._onDidClose.fire(why);
  }

  /** Keeps `d` alive as long as this connection (jump hosts). */
  own(d: { dispose(): void }): void {
    this._register(d);
  }

  /**
   * Starts `command`. The exit status is captured inside ssh2's callback, synchronously: a fast
   * command's exit-status can arrive in the same packet batch as the exec reply.
   */
  exec(command: string): Promise<{ channel: ClientChannel; exit: Promise<{ code: number | null; signal: string | null }> }> {
    if (this.closed) return Promise.reject(new KwError('disconnected', `${this.target.alias}: the SSH connection is closed; reconnect (Refresh Hosts) and retry`));
    return new Promise((resolve, reject) => {
      this.client.exec(command, (err, ch) => {
        if (err) return reject(new KwError('disconnected', `${this.target.alias}: cannot start a command over SSH: ${err.message}`));
        let info = { code: null as number | null, signal: null as string | null };
        ch.once('exit', (code: number | null, signal?: string) => {
          info = { code: code ?? null, signal: signal ?? null };
        });
        const exit = new Promise<{ code: number | null; signal: string | null }>((res) => ch.once('close', () => res(info)));
        ch.on('error', () => undefined);
        resolve({ channel: ch, exit });
      });
    });
  }

  sftp(): Promise<SFTPWrapper> {
    if (this.sftpPromise) return this.sftpPromise;
    const p = new Promise<SFTPWrapper>((resolve, reject) => {
      this.client.sftp((err, s) => {
        if (err) return reject(new KwError('agent-failed', `${this.target.alias}: SFTP is not available: ${err.message}; enable the sftp subsystem in sshd_config`));
        // A session the server ended (or closeSftp closed) is never handed out again.
        s.once('end', () => this.forgetSftp(p));
        s.once('close', () => this.forgetSftp(p));
        this.sftpSession = s;
        resolve(s);
      });
    });
    p.catch(() => this.forgetSftp(p));
    this.sftpPromise = p;
    return p;
  }

  /** Closes an SFTP session that stopped answering; the next sftp() starts a new one. */
  closeSftp(s: SFTPWrapper): void {
    if (this.sftpSession === s) this.sftpPromise = undefined;
    s.end();
  }

  private forgetSftp(p: Promise<SFTPWrapper>): void {
    if (this.sftpPromise === p) this.sftpPromise = undefined;
  }

  /** Opens a connection to `target` (through its ProxyJump hops, each verified the same way). */
  static async connect(target: ResolvedHost, opts: SshConnectOptions): Promise<SshConnection> {
    const hops = [...target.proxyJump, target];
    let prev: SshConnection | undefined;
    const opened: SshConnection[] = [];
    try {
      for (const hop of hops) {
        let stream: Duplex;
        let socket: net.Socket;
        if (!prev) {
          socket = await tcpConnect(hop, opts.timeoutMs ?? target.connectTimeoutMs ?? 20000);
          stream = socket;
        } else {
          stream = await forwardOut(prev, hop);
          socket = prev.socket;
        }
        const c = await handshake(hop, stream, socket, opts);
        if (prev) c.own(prev); // the hop lives as long as what goes through it
        opened.push(c);
        prev = c;
      }
      return prev!;
    } catch (e) {
      for (const c of opened.reverse()) c.dispose();
      throw e;
    }
  }
}

function where(h: ResolvedHost): string {
  return `${h.user}@${h.hostName}:${h.port}${h.alias !== h.hostName ? ` (${h.alias})` : ''}`;
}

function tcpConnect(h: ResolvedHost, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: h.hostName, port: h.port });
    const t = setTimeout(() => {
      s.destroy();
      reject(new KwError('unreachable', `${where(h)}: no TCP connection within ${Math.round(timeoutMs / 1000)} s; check that the host is up and the address/port in ~/.ssh/config are right`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.setNoDelay(true);
      resolve(s);
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      reject(socketError(h, e));
    });
  });
}

function socketError(h: ResolvedHost, e: NodeJS.ErrnoException): KwError {
  switch (e.code) {
    case 'ECONNREFUSED':
      return new KwError('unreachable', `${where(h)}: connection refused; is sshd running there and is the Port right?`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new KwError('unreachable', `${where(h)}: cannot resolve host name "${h.hostName}"; check HostName in ~/.ssh/config or DNS`);
    default:
      return new KwError('unreachable', `${where(h)}: host unreachable (${e.code ?? e.message}); check the network path to it`);
  }
}

function forwardOut(via: SshConnection, h: ResolvedHost): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    via.client.forwardOut('127.0.0.1', 0, h.hostName, h.port, (err, ch) => {
      if (err) reject(new KwError('unreachable', `${where(h)}: the jump host ${via.target.alias} cannot reach it (${err.message}); check ProxyJump and that the jump host may forward TCP`));
      else resolve(ch);
    });
  });
}

interface KeyCandidate {
  file: string;
  data: Buffer;
}

function handshake(h: ResolvedHost, stream: Duplex, socket: net.Socket, opts: SshConnectOptions): Promise<SshConnection> {
  const log = opts.log ?? (() => undefined);
  const client = new Client();
  const conn = new SshConnection(h, client, socket);
  const budget = opts.timeoutMs ?? h.connectTimeoutMs ?? 20000;
  const passCache = opts.passphraseCache ?? new Map<string, string>();
  const knownHosts =
    opts.knownHosts ??
    new KnownHosts(h.userKnownHostsFiles?.[0] ?? path.join(os.homedir(), '.ssh', 'known_hosts'), [...(h.userKnownHostsFiles?.slice(1) ?? []), '/etc/ssh/ssh_known_hosts']);
  let failure: KwError | undefined; // a specific reason recorded before ssh2 reports a generic one
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  const tried: string[] = [];
  const badPassphrase: string[] = [];

  return new Promise<SshConnection>((resolve, reject) => {
    const fail = (e: KwError): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      conn.dispose();
      stream.destroy();
      reject(e);
    };
    const armTimer = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => fail(new KwError('timeout', `${where(h)}: no SSH handshake within ${Math.round(budget / 1000)} s; the host or network is too slow or not an SSH server`)), budget);
    };
    // Time spent waiting for the user does not count against the budget.
    const prompting = async <T>(p: () => Promise<T>): Promise<T> => {
      if (timer) clearTimeout(timer);
      try {
        return await p();
      } finally {
        if (!settled) armTimer();
      }
    };

    const hostVerifier = (key: Buffer, done: (ok: boolean) => void): void => {
      const name = h.hostKeyAlias ?? h.hostName;
      let verdict;
      try {
        verdict = knownHosts.verify(name, h.port, key);
      } catch (e) {
        failure = new KwError('bad-input', `cannot read ${knownHosts.file}: ${errorMessage(e)}`);
        return done(false);
      }
      const fp = fingerprintSha256(key);
      if (verdict.kind === 'known') return done(true);
      if (verdict.kind === 'revoked') {
        failure = new KwError('host-key-revoked', `${where(h)}: the host key ${fp} is marked @revoked in ${verdict.file}:${verdict.line}; refusing to connect`);
        return done(false);
      }
      if (verdict.kind === 'changed') {
        failure = new KwError(
          'host-key-changed',
          `${where(h)}: HOST KEY CHANGED: the ${verdict.knownType} key is now ${fp}, not the one pinned in ${verdict.file}:${verdict.line}; someone may be intercepting the connection. If the host was really reinstalled, remove that line (ssh-keygen -R) and connect again`,
        );
        return done(false);
      }
      const q: HostKeyQuestion = { host: name, port: h.port, keyType: keyTypeOfBlob(key), fingerprint: fp, otherTypes: verdict.otherTypes };
      if (h.strictHostKeyChecking === 'yes') {
        failure = new KwError('host-key-unknown', `${where(h)}: the host key ${fp} is not in ${knownHosts.file} and StrictHostKeyChecking is yes; add it there (ssh-keyscan, after checking the fingerprint) to connect`);
        return done(false);
      }
      const decide = h.strictHostKeyChecking === 'accept-new' ? () => Promise.resolve(true) : () => opts.prompts.confirmHostKey(q);
      prompting(decide).then(
        (ok) => {
          if (!ok) {
            failure = new KwError('host-key-unknown', `${where(h)}: the host key ${fp} is not in ${knownHosts.file} and was not accepted; verify the fingerprint and accept it to connect`);
            return done(false);
          }
          try {
            knownHosts.append(name, h.port, key);
            log(`pinned ${q.keyType} ${fp} for ${name}:${h.port} in ${knownHosts.file}`);
          } catch (e) {
            log(`could not append to ${knownHosts.file}: ${errorMessage(e)}`);
          }
          done(true);
        },
        (e) => {
          failure = new KwError('host-key-unknown', `${where(h)}: host key confirmation failed: ${errorMessage(e)}`);
          done(false);
        },
      );
    };

    // Auth order: agent, then keys (CLI --identity first), then password.
    const keyFiles = [...(opts.extraIdentities ?? []), ...h.identityFiles];
    const keys: KeyCandidate[] = [];
    for (const f of keyFiles) {
      try {
        keys.push({ file: f, data: fs.readFileSync(f) });
      } catch (e) {
        if (h.identityFilesExplicit || opts.extraIdentities?.includes(f)) log(`identity ${f}: ${errorMessage(e)}`);
      }
    }
    const steps: Array<'agent' | KeyCandidate | 'password' | 'keyboard-interactive'> = [];
    // IdentitiesOnly: the agent may only offer keys whose public half matches an IdentityFile.
    const agent = h.identityAgent ? (h.identitiesOnly ? filteredAgent(h.identityAgent, keyFiles, log) : h.identityAgent) : undefined;
    if (agent) steps.push('agent');
    steps.push(...keys, 'password', 'keyboard-interactive');
    let password: string | undefined;
    let passwordAsked = false;
    const askPassword = async (): Promise<string | undefined> => {
      if (!passwordAsked) {
        passwordAsked = true;
        password = await prompting(() => opts.prompts.password(h.user, h.hostName));
      }
      return password;
    };

    const authHandler = (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next: (m: unknown) => void): void => {
      const allowed = (m: string): boolean => methodsLeft === null || methodsLeft.includes(m as AuthenticationType);
      const advance = async (): Promise<unknown> => {
        while (steps.length) {
          const s = steps.shift()!;
          if (s === 'agent') {
            if (!allowed('publickey')) continue;
            tried.push('agent');
            return { type: 'agent', username: h.user, agent };
          }
          if (s === 'password') {
            if (!allowed('password')) continue;
            const pw = await askPassword();
            if (pw === undefined) continue;
            tried.push('password');
            return { type: 'password', username: h.user, password: pw };
          }
          if (s === 'keyboard-interactive') {
            if (!allowed('keyboard-interactive') || allowed('password') && tried.includes('password')) continue;
            const pw = await askPassword();
            if (pw === undefined) continue;
            tried.push('keyboard-interactive');
            return {
              type: 'keyboard-interactive',
              username: h.user,
              prompt: (_n: string, _i: string, _l: string, prompts: unknown[], finish: (answers: string[]) => void) => finish(prompts.map(() => pw)),
            };
          }
          if (!allowed('publickey')) continue;
          let parsed = sshUtils.parseKey(s.data, passCache.get(s.file));
          if (parsed instanceof Error && /passphrase|encrypted/i.test(parsed.message)) {
            const pp = passCache.get(s.file) ?? (await prompting(() => opts.prompts.passphrase(s.file)));
            if (pp === undefined) continue;
            parsed = sshUtils.parseKey(s.data, pp);
            if (parsed instanceof Error) {
              badPassphrase.push(s.file);
              log(`identity ${s.file}: wrong passphrase (${parsed.message})`);
              continue;
            }
            passCache.set(s.file, pp);
          } else if (parsed instanceof Error) {
            log(`identity ${s.file}: not a usable private key (${parsed.message})`);
            continue;
          }
          tried.push(`key ${s.file}`);
          return { type: 'publickey', username: h.user, key: s.data, passphrase: passCache.get(s.file) };
        }
        return false;
      };
      advance().then(next, (e) => {
        failure = new KwError('auth-failed', `${where(h)}: authentication aborted: ${errorMessage(e)}`);
        next(false);
      });
    };

    client.once('ready', () => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      log(`connected to ${where(h)} (auth: ${tried[tried.length - 1] ?? 'none'})`);
      resolve(conn);
    });
    client.on('error', (e: Error & { level?: string }) => {
      if (failure) return fail(failure);
      if (e.level === 'client-authentication') {
        const extra = badPassphrase.length ? `; wrong passphrase for ${badPassphrase.join(', ')}` : '';
        return fail(
          new KwError(
            'auth-failed',
            `${where(h)}: authentication failed (tried: ${tried.join(', ') || 'nothing usable'}${extra}); add your public key to ~${h.user}/.ssh/authorized_keys there, load it into ssh-agent, or fix User/IdentityFile in ~/.ssh/config`,
          ),
        );
      }
      if (e.level === 'client-timeout') return fail(new KwError('timeout', `${where(h)}: SSH handshake timed out; the host is too slow or not an SSH server`));
      const code = (e as NodeJS.ErrnoException).code;
      if (code) return fail(socketError(h, e as NodeJS.ErrnoException));
      fail(new KwError('unreachable', `${where(h)}: SSH failed: ${e.message}`));
    });
    client.on('close', () => fail(failure ?? new KwError('unreachable', `${where(h)}: the server closed the connection during the handshake; check sshd's log there`)));

    const keepalive = opts.keepaliveMs ?? h.serverAliveIntervalMs ?? 15000;
    const cfg: ConnectConfig = {
      sock: stream as unknown as ConnectConfig['sock'],
      username: h.user,
      hostVerifier: hostVerifier as unknown as ConnectConfig['hostVerifier'],
      authHandler: authHandler as unknown as ConnectConfig['authHandler'],
      keepaliveInterval: keepalive,
      keepaliveCountMax: 3,
      readyTimeout: 2_147_483_647, // our own timer (armTimer) excludes prompt time
      debug: opts.debug ? (s: string) => log(`ssh2[${h.alias}]: ${s}`) : undefined,
    };
    armTimer();
    try {
      client.connect(cfg);
    } catch (e) {
      fail(new KwError('bad-input', `${where(h)}: ${errorMessage(e)}`));
    }
  });
}

/** Public key blobs (base64) of the identity files: from `file.pub`, else from an unencrypted key. */
function publicBlobs(files: string[]): Set<string> {
  const out = new Set<string>();
  for (const f of files) {
    for (const candidate of [`${f}.pub`, f]) {
      let data: Buffer;
      try {
        data = fs.readFileSync(candidate);
      } catch {
        continue;
      }
      const k = sshUtils.parseKey(data);
      const key = Array.isArray(k) ? k[0] : k;
      if (key && !(key instanceof Error)) {
        out.add(key.getPublicSSH().toString('base64'));
        break;
      }
    }
  }
  return out;
}

/** An ssh-agent that only offers the keys named by IdentityFile (OpenSSH's IdentitiesOnly). */
function filteredAgent(sock: string, files: string[], log: (l: string) => void): BaseAgent {
  const inner = createAgent(sock);
  const allowed = publicBlobs(files);
  const agent = Object.create(inner) as BaseAgent;
  agent.getIdentities = (cb) =>
    inner.getIdentities((err, keys) => {
      if (err || !keys) return cb(err ?? new Error('no keys'), keys);
      const kept = keys.filter((k) => {
        const parsed = Buffer.isBuffer(k) ? sshUtils.parseKey(k) : k;
        return !(parsed instanceof Error) && allowed.has((Array.isArray(parsed) ? parsed[0] : parsed).getPublicSSH().toString('base64'));
      });
      log(`ssh-agent: ${kept.length} of ${keys.length} keys match IdentityFile (IdentitiesOnly)`);
      cb(undefined, kept);
    });
  return agent;
}

export type { ClientChannel, SFTPWrapper };
