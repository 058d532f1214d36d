// One SSH connection (ssh2) to a resolved host, possibly through ProxyJump hops or a
// ProxyCommand. A promise that settles on ready / timeout / error; hostVerifier ALWAYS set
// (known_hosts, host certificates through @cert-authority); host key algorithms already pinned
// for the host are preferred; keepalives; auth order agent → keys (encrypted ones ask for the
// passphrase once per session) → password → keyboard-interactive (each prompt shown as the
// server words it); ssh2's debug routed to the log when asked. No vscode import.
// The host certificate shim must be loaded before ssh2 itself (see ssh2-host-certs.ts).
import { HOST_CERT_ALGORITHMS, acceptCertificateInKex, defaultHostKeyAlgorithms, hostCertSupportProblem } from './ssh2-host-certs';
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
import { isCertificateType } from './host-certificate';
import { KeyboardInteractiveAnswerer, KeyboardInteractiveQuestion } from './keyboard-interactive';
import { KnownHosts, fingerprintSha256, keyTypeOfBlob, knownHostsName } from './known-hosts';
import { ProxyCommandStream } from './proxy-command';

export type { KeyboardInteractiveQuestion } from './keyboard-interactive';

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
  /**
   * keyboard-interactive prompts other than the account password (one-time codes, ...), shown
   * with the server's wording; hide what is typed unless `echo`. Resolve to one answer per
   * prompt, undefined when declined; reject (one line) when they cannot be asked at all.
   * Without this method such prompts fail the login with a clear error.
   */
  keyboardInteractive?(q: KeyboardInteractiveQuestion): Promise<string[] | undefined>;
}

/** Byte counters of what carries the connection (a TCP socket or a ProxyCommand's pipes). */
export interface TransportCounters {
  readonly bytesWritten: number;
  readonly bytesRead: number;
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
    /** The transport to the first hop: a TCP socket or a ProxyCommand (it carries every byte of a jumped connection too). */
    readonly socket: TransportCounters,
    /** A ProxyCommand this connection started; ended after the SSH connection is. */
    proxy?: ProxyCommandStream,
  ) {
    super();
    client.on('close', () => this.markClosed('connection closed'));
    client.on('error', (e) => this.markClosed(errorMessage(e)));
    if (proxy) this._register(toDisposable(() => proxy.kill()));
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

  /** Opens a connection to `target` (through its ProxyJump hops or ProxyCommand, each hop verified the same way). */
  static async connect(target: ResolvedHost, opts: SshConnectOptions): Promise<SshConnection> {
    const hops = hopChain(target);
    let prev: SshConnection | undefined;
    const opened: SshConnection[] = [];
    try {
      for (const hop of hops) {
        let stream: Duplex;
        let socket: TransportCounters;
        let proxy: ProxyCommandStream | undefined;
        if (prev) {
          stream = await forwardOut(prev, hop);
          socket = prev.socket;
        } else if (hop.proxyCommand) {
          (opts.log ?? (() => undefined))(`${hop.alias}: ProxyCommand ${hop.proxyCommand}`);
          proxy = new ProxyCommandStream(hop.proxyCommand, opts.log ?? (() => undefined));
          stream = proxy;
          socket = proxy;
        } else {
          const tcp = await tcpConnect(hop, opts.timeoutMs ?? target.connectTimeoutMs ?? 20000);
          stream = tcp;
          socket = tcp;
        }
        const c = await handshake(hop, stream, socket, opts, proxy);
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

/**
 * The hops to open, outermost first: the first jump host's own ProxyJump/ProxyCommand apply
 * (OpenSSH reaches it with its own config); later hops are reached through the previous one.
 */
function hopChain(target: ResolvedHost): ResolvedHost[] {
  if (!target.proxyJump.length) return [target];
  const [first, ...rest] = target.proxyJump;
  return [...hopChain(first), ...rest, target];
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

/** Host key algorithms in OpenSSH's order for a host: certificate ones first when a CA is listed, then the types already pinned, then the rest. */
export function orderHostKeyAlgorithms(pinned: { keyTypes: string[]; certAuthority: boolean }, base = defaultHostKeyAlgorithms()): string[] {
  const plainType = (alg: string): string => (alg.startsWith('rsa-sha2-') ? 'ssh-rsa' : alg);
  const first: string[] = pinned.certAuthority && !hostCertSupportProblem ? [...HOST_CERT_ALGORITHMS] : [];
  const last: string[] = [];
  for (const a of base) (pinned.keyTypes.includes(plainType(a)) ? first : last).push(a);
  return [...first, ...last];
}

function handshake(h: ResolvedHost, stream: Duplex, socket: TransportCounters, opts: SshConnectOptions, proxy?: ProxyCommandStream): Promise<SshConnection> {
  const log = opts.log ?? (() => undefined);
  const client = new Client();
  const conn = new SshConnection(h, client, socket, proxy);
  const budget = opts.timeoutMs ?? h.connectTimeoutMs ?? 20000;
  const passCache = opts.passphraseCache ?? new Map<string, string>();
  const home = os.homedir();
  const knownHosts =
    opts.knownHosts ??
    new KnownHosts(h.userKnownHostsFiles?.[0] ?? path.join(home, '.ssh', 'known_hosts'), [
      ...(h.userKnownHostsFiles ? h.userKnownHostsFiles.slice(1) : [path.join(home, '.ssh', 'known_hosts2')]),
      ...(h.globalKnownHostsFiles ?? ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']),
    ]);
  // OpenSSH looks a HostKeyAlias up as is, a host name as [host]:port off port 22; a certificate must name the alias or host name.
  const khName = h.hostKeyAlias ?? knownHostsName(h.hostName, h.port);
  const principal = h.hostKeyAlias ?? h.hostName;
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
      let verdict;
      try {
        verdict = knownHosts.verifyName(khName, key, principal);
      } catch (e) {
        failure = new KwError('bad-input', `cannot read ${knownHosts.file}: ${errorMessage(e)}`);
        return done(false);
      }
      const fp = fingerprintSha256(key);
      if (verdict.kind === 'known-by-ca') {
        const problem = acceptCertificateInKex(client, key);
        if (problem) {
          failure = new KwError('host-key-unknown', `${where(h)}: the host certificate is signed by a trusted CA, but ${problem}; remove the @cert-authority line for it to connect with its plain key`);
          return done(false);
        }
        log(`host certificate "${verdict.keyId}" for ${principal} accepted: its CA is listed in ${verdict.file}:${verdict.line}`);
        return done(true);
      }
      if (verdict.kind === 'known') {
        if (isCertificateType(keyTypeOfBlob(key))) {
          // OpenSSH's fallback: the certificate is not acceptable, but the key it certifies is pinned
          const problem = acceptCertificateInKex(client, key);
          if (problem) {
            failure = new KwError('host-key-unknown', `${where(h)}: the host presented a certificate and ${problem}; remove the @cert-authority line for ${khName} to connect with its pinned plain key`);
            return done(false);
          }
          log(`host certificate for ${principal} not accepted by any @cert-authority line, but the key it certifies is pinned: connecting`);
        }
        return done(true);
      }
      if (verdict.kind === 'bad-certificate') {
        failure = new KwError('host-key-unknown', `${where(h)}: ${verdict.reason}; check the @cert-authority line for ${khName} in ${knownHosts.file} and the host's certificate (ssh-keygen -L)`);
        return done(false);
      }
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
      const q: HostKeyQuestion = { host: principal, port: h.port, keyType: keyTypeOfBlob(key), fingerprint: fp, otherTypes: verdict.otherTypes };
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
            knownHosts.appendName(khName, key, { hash: h.hashKnownHosts });
            log(`pinned ${q.keyType} ${fp} for ${khName}${h.hashKnownHosts ? ' (hashed)' : ''} in ${knownHosts.file}`);
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

    // keyboard-interactive: the password only for THE password prompt, once; every other prompt goes to the user.
    const answerer = new KeyboardInteractiveAnswerer(h.user, principal, askPassword, (q) => {
      if (!opts.prompts.keyboardInteractive) {
        return Promise.reject(new Error(`the server asks "${q.prompts[0].prompt.trim()}" (keyboard-interactive) and nothing here can show that prompt`));
      }
      return prompting(() => opts.prompts.keyboardInteractive!(q));
    });
    const keyboardInteractive = (name: string, instructions: string, _lang: string, prompts: Array<{ prompt: string; echo?: boolean }>, finish: (answers: string[]) => void): void => {
      const asked = prompts.map((p) => ({ prompt: p.prompt, echo: p.echo === true }));
      answerer.answer(name, instructions, asked).then(
        (answers) => {
          if (answers) return finish(answers);
          failure = new KwError('auth-failed', `${where(h)}: the keyboard-interactive prompt "${asked.map((p) => p.prompt.trim()).join('", "')}" was not answered`);
          finish(asked.map(() => ''));
        },
        (e) => {
          failure = new KwError('auth-failed', `${where(h)}: ${errorMessage(e)}`);
          finish(asked.map(() => ''));
        },
      );
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
            tried.push('keyboard-interactive');
            return { type: 'keyboard-interactive', username: h.user, prompt: keyboardInteractive };
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
    // A ProxyCommand that is gone explains the lost connection better than ssh2 can.
    const noteProxyEnd = (): void => {
      const proxyEnd = proxy?.describeEnd();
      if (proxyEnd && !failure) failure = new KwError('unreachable', `${where(h)}: ProxyCommand "${proxy!.command}" ${proxyEnd}; check the ProxyCommand in your ssh config`);
    };
    client.on('error', (e: Error & { level?: string }) => {
      noteProxyEnd();
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
    client.on('close', () => {
      noteProxyEnd();
      fail(failure ?? new KwError('unreachable', `${where(h)}: the server closed the connection during the handshake; check sshd's log there`));
    });

    const hostKeyAlgorithms = (): string[] => {
      try {
        return orderHostKeyAlgorithms(knownHosts.pinned(khName));
      } catch {
        return defaultHostKeyAlgorithms(); // unreadable known_hosts: the hostVerifier reports it
      }
    };
    const keepalive = opts.keepaliveMs ?? h.serverAliveIntervalMs ?? 15000;
    const cfg: ConnectConfig = {
      sock: stream as unknown as ConnectConfig['sock'],
      username: h.user,
      hostVerifier: hostVerifier as unknown as ConnectConfig['hostVerifier'],
      algorithms: { serverHostKey: hostKeyAlgorithms() as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
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
