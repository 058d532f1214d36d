// Hosts: the list (This Machine, ~/.ssh/config aliases, user-added names) and one
// HostConnection per host that owns its runner (local or SSH), how it becomes root, where its
// agent is installed, and its probe report. HostManager implements HostAgent and HostFiles for
// the panel. Shared by the extension and the CLI; no vscode import.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import type { ProbeReport } from '../events';
import { Disposable, Emitter } from '../lifecycle';
import { KwError, classifyAgentFailure, errorMessage } from '../errors';
import { shAssignBytes, shq } from '../shell';
import type { HostAgent, HostFiles, HostRef } from '../trace-api';
import { SshConfig } from '../ssh/config';
import { SshConnection, SshPrompts } from '../ssh/connection';
import { KnownHosts } from '../ssh/known-hosts';
import { AGENT_HASH_MISMATCH, AgentIdentity, Deployment, Platform, agentCheckScript, agentStartScript, deployAgent, detectPlatform, localAgent, parseAgentAnnouncement } from './deploy';
import { Privilege, RootMethod, asRoot, describePrivilege, detectPrivilege, verifySudoPassword } from './privilege';
import { LocalRunner, ProcessHandle, RunResult, Runner, SshRunner, runToEnd } from './runner';
import { DEFAULT_SUDO_PASSWORD_IDLE_MINUTES, ExpiringSecret } from './secret-cache';

export const LOCAL_HOST: HostRef = { id: 'local', label: 'This Machine', kind: 'local' };

export interface HostPrompts extends SshPrompts {
  sudoPassword(host: string, user: string): Promise<string | undefined>;
}

export interface HostEnvironment {
  sshConfigFile: string;
  /** Explicit known_hosts (tests, CLI --known-hosts, setting); undefined = UserKnownHostsFile from the ssh config, else ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  /** Directory holding kwitness-agent-<arch> builds. */
  agentDir: string;
  prompts: HostPrompts;
  log: (line: string) => void;
  sshDebug?: () => boolean;
  extraIdentities?: string[];
  timeoutMs?: number;
  /** Host names added by the user (settings). */
  userHosts?: () => string[];
  /** Offer This Machine (default: on Linux). */
  includeLocal?: boolean;
  /** Install directory on targets (default /var/lib/kwitness; tests point it at a tiny tmpfs). */
  installRoot?: string;
  /**
   * How long a sudo password stays in memory after its last use (ms; 0 = only during the
   * operation that asked for it; default 15 min). It is always dropped when the host's
   * connection closes. Read at each use, so a changed setting applies without a reload.
   */
  sudoPasswordIdleMs?: () => number;
}

export function defaultSshConfigFile(): string {
  return process.env.KWITNESS_SSH_CONFIG || path.join(os.homedir(), '.ssh', 'config');
}
/** KWITNESS_KNOWN_HOSTS when set; else undefined (the ssh config decides, like OpenSSH). */
export function defaultKnownHostsFile(): string | undefined {
  return process.env.KWITNESS_KNOWN_HOSTS || undefined;
}

export type HostState =
  | { kind: 'idle'; lastError?: string }
  | { kind: 'connecting'; step: string }
  | { kind: 'connected'; privilege: string; platform: Platform }
  | { kind: 'failed'; message: string; code: string };

export interface Ready {
  runner: Runner;
  /** How this connection becomes root; a sudo password itself is kept apart, for a limited time. */
  privilege: RootMethod;
  platform: Platform;
  /** The login user on the host. */
  user: string;
}

export interface AgentProcess {
  proc: ProcessHandle;
  /** The agent's pid and start time on the target, once the start script announced them (undefined if it never did). */
  identity: Promise<AgentIdentity | undefined>;
  deployment: Deployment;
}

/** What signalAgent() found: the agent got the signal, or it was already gone. */
export type SignalOutcome = 'signalled' | 'gone';

export class HostConnection extends Disposable {
  private readonly _onDidChangeState = this._register(new Emitter<HostState>());
  readonly onDidChangeState = this._onDidChangeState.event;
  private _state: HostState = { kind: 'idle' };
  private readyP: Promise<Ready> | undefined;
  private ready: Ready | undefined;
  private deployP: Promise<Deployment> | undefined;
  private readonly sudoPassword: ExpiringSecret;
  private askingSudo: Promise<string> | undefined;
  private probeReport: ProbeReport | undefined;
  /** Stats of the last deployment (tests/benchmarks). */
  lastDeployment: Deployment | undefined;

  constructor(
    readonly ref: HostRef,
    private readonly env: HostEnvironment,
    /** Key passphrases entered in this session (shared by all hosts: asked once per key). */
    private readonly passphrases = new Map<string, string>(),
  ) {
    super();
    this.sudoPassword = new ExpiringSecret(() => env.sudoPasswordIdleMs?.() ?? DEFAULT_SUDO_PASSWORD_IDLE_MINUTES * 60_000);
    if (env.installRoot !== undefined && !/^\/[A-Za-z0-9_.\/-]+$/.test(env.installRoot)) {
      throw new KwError('bad-input', `install root "${env.installRoot}" must be an absolute path of [A-Za-z0-9_./-]`);
    }
  }

  get state(): HostState {
    return this._state;
  }
  get probe(): ProbeReport | undefined {
    return this.probeReport;
  }
  get runner(): Runner | undefined {
    return this.ready?.runner;
  }
  /** True while a sudo password for this host is in memory (tests, diagnostics). */
  get keepsSudoPassword(): boolean {
    return this.sudoPassword.get() !== undefined;
  }

  private setState(s: HostState): void {
    this._state = s;
    this._onDidChangeState.fire(s);
  }

  /** Connects (if needed), finds the platform and how to become root. */
  connect(): Promise<Ready> {
    if (this.ready) {
      if (!this.ready.runner.isClosed) return Promise.resolve(this.ready);
      this.onRunnerClosed(this.ready.runner, 'connection closed'); // closed before its close handler was attached
    }
    if (!this.readyP) {
      this.readyP = this.doConnect().then(
        (r) => {
          this.ready = r;
          this.setState({ kind: 'connected', privilege: describePrivilege(r.privilege), platform: r.platform });
          return r;
        },
        (e) => {
          this.readyP = undefined;
          this.setState({ kind: 'failed', message: errorMessage(e), code: e instanceof KwError ? e.code : 'error' });
          throw e;
        },
      );
    }
    return this.readyP;
  }

  private async doConnect(): Promise<Ready> {
    this.setState({ kind: 'connecting', step: 'connecting' });
    let runner: Runner;
    let user: string;
    if (this.ref.kind === 'local') {
      runner = new LocalRunner();
      user = os.userInfo().username;
    } else {
      const cfg = SshConfig.load(this.env.sshConfigFile);
      const target = cfg.resolve(this.ref.id);
      user = target.user;
      this.env.log(`${this.ref.label}: connecting to ${target.user}@${target.hostName}:${target.port}${target.proxyJump.length ? ` via ${target.proxyJump.map((j) => j.alias).join(' → ')}` : ''}`);
      const conn = await SshConnection.connect(target, {
        knownHosts: this.env.knownHostsFile ? new KnownHosts(this.env.knownHostsFile) : undefined,
        prompts: this.env.prompts,
        log: this.env.log,
        debug: this.env.sshDebug?.() ?? false,
        timeoutMs: this.env.timeoutMs,
        extraIdentities: this.env.extraIdentities,
        passphraseCache: this.passphrases,
      });
      runner = new SshRunner(conn);
    }
    try {
      this.setState({ kind: 'connecting', step: 'checking platform' });
      const platform = await detectPlatform(runner, this.ref.label);
      this.setState({ kind: 'connecting', step: 'checking privileges' });
      // a new connection always asks again: the password never outlives the connection it was given for
      this.sudoPassword.clear();
      const privilege = await detectPrivilege(runner, this.ref.label, user, () => this.env.prompts.sudoPassword(this.ref.label, user));
      if (privilege.kind === 'sudo-password') this.sudoPassword.set(privilege.password);
      runner.onDidClose((why) => this.onRunnerClosed(runner, why));
      return { runner, privilege: { kind: privilege.kind }, platform, user };
    } catch (e) {
      runner.dispose();
      throw e;
    }
  }

  /**
   * Runs `fn` with a live connection and how to become root on it. The sudo password (if any) is
   * held for as long as `fn` runs; when it expired since the last use, the user is asked again
   * (once, however many operations wait) and the answer is checked before it is used.
   */
  private async withRoot<T>(fn: (r: Ready, priv: Privilege) => Promise<T>): Promise<T> {
    const release = this.sudoPassword.hold();
    try {
      const r = await this.connect();
      if (r.privilege.kind !== 'sudo-password') return await fn(r, { kind: r.privilege.kind });
      const password = this.sudoPassword.get() ?? (await (this.askingSudo ??= this.askSudoAgain(r).finally(() => (this.askingSudo = undefined))));
      return await fn(r, { kind: 'sudo-password', password });
    } finally {
      release();
    }
  }

  private async askSudoAgain(r: Ready): Promise<string> {
    this.env.log(`${this.ref.label}: the sudo password was dropped after being unused; asking again`);
    const password = await this.env.prompts.sudoPassword(this.ref.label, r.user);
    if (password === undefined) throw new KwError('cancelled', `${this.ref.label}: sudo needs ${r.user}'s password and none was given; enter it when asked, or allow passwordless sudo (NOPASSWD)`);
    await verifySudoPassword(r.runner, this.ref.label, r.user, password);
    this.sudoPassword.set(password);
    return password;
  }

  private onRunnerClosed(runner: Runner, why: string): void {
    if (this.ready?.runner !== runner) return;
    this.ready = undefined;
    this.readyP = undefined;
    this.deployP = undefined;
    this.sudoPassword.clear();
    runner.dispose();
    this.env.log(`${this.ref.label}: connection closed (${why})`);
    if (!this.isDisposed) this.setState({ kind: 'idle', lastError: `disconnected: ${why}` });
  }

  /** Installs the agent if needed (once per connection). */
  deploy(): Promise<Deployment> {
    if (!this.deployP) {
      this.deployP = this.withRoot(async (r, priv) => {
        const agent = localAgent(this.env.agentDir, r.platform.arch, this.ref.label);
        const d = await deployAgent(r.runner, priv, agent, this.ref.label, this.env.log, this.env.installRoot);
        this.lastDeployment = d;
        return d;
      });
      this.deployP.catch(() => (this.deployP = undefined));
    }
    return this.deployP;
  }

  /**
   * Starts `kwitness-agent ARGS` as root (hash verified first); stdin stays open. A sudo password
   * stays held until the agent exits, so stopping it never has to ask again.
   */
  async spawnAgent(args: readonly string[]): Promise<AgentProcess> {
    const release = this.sudoPassword.hold();
    try {
      const d = await this.deploy();
      const proc = await this.withRoot(async (r, priv) => {
        const w = asRoot(priv, agentStartScript(d.sha256, args, this.env.installRoot));
        const p = await r.runner.spawn(w.command);
        if (w.stdinPrefix) p.stdin.write(w.stdinPrefix);
        return p;
      });
      void proc.exited.then(release);
      const identity = new Promise<AgentIdentity | undefined>((resolve) => {
        let buf = '';
        const onData = (chunk: Buffer): void => {
          buf += chunk.toString('utf8');
          const id = parseAgentAnnouncement(buf);
          if (id) {
            proc.stderr.off('data', onData);
            resolve(id);
          } else if (buf.length > 65536) buf = buf.slice(-1024);
        };
        proc.stderr.on('data', onData);
        void proc.exited.then(() => resolve(undefined));
      });
      return { proc, identity, deployment: d };
    } catch (e) {
      release();
      throw e;
    }
  }

  /** Runs a one-shot agent subcommand (probe, btf) to completion. */
  async runAgent(args: readonly string[], timeoutMs = 60000): Promise<RunResult> {
    const release = this.sudoPassword.hold(); // deploy + run: one password question at most
    try {
      for (let attempt = 1; ; attempt++) {
        const d = await this.deploy();
        const res = await this.withRoot((r, priv) => {
          const w = asRoot(priv, agentStartScript(d.sha256, args, this.env.installRoot));
          return runToEnd(r.runner, w.command, w.stdinPrefix, timeoutMs);
        });
        if (res.code !== AGENT_HASH_MISMATCH || attempt > 1) return res;
        this.env.log(`${this.ref.label}: the installed agent failed its hash check; redeploying`);
        this.invalidateDeployment();
      }
    } finally {
      release();
    }
  }

  /** Keeps the sudo password (if one is kept) until the returned function is called: one operation, one question. */
  holdSudoPassword(): () => void {
    return this.sudoPassword.hold();
  }

  /** Forgets the deployment of this connection: the next start checks (and uploads) again. */
  invalidateDeployment(): void {
    this.deployP = undefined;
  }

  /** Runs a shell script as root. */
  async runAsRoot(script: string, timeoutMs = 30000): Promise<RunResult> {
    return this.withRoot((r, priv) => {
      const w = asRoot(priv, script);
      return runToEnd(r.runner, w.command, w.stdinPrefix, timeoutMs);
    });
  }

  /** True while the agent `id` still runs on the host (a reused pid does not count; needs a live connection). */
  async agentAlive(id: AgentIdentity): Promise<boolean> {
    const r = await this.runAsRoot(agentCheckScript(id, this.env.installRoot));
    if (r.code !== 0) throw new KwError('agent-failed', `${this.ref.label}: cannot check agent pid ${id.pid}: ${r.stderr.trim() || `exit ${r.code}`}`);
    return r.stdout.toString().trim() === 'ours';
  }

  /**
   * Signals the agent `id` as root, but only if that pid is still the agent we started: its exe
   * is an installed agent and its start time matches (checked and signalled in one script on the
   * target). A pid that now belongs to another process is refused with a not-our-agent error.
   */
  async signalAgent(id: AgentIdentity, signal: 'TERM' | 'KILL'): Promise<SignalOutcome> {
    const r = await this.runAsRoot(agentCheckScript(id, this.env.installRoot, signal));
    const out = r.stdout.toString().trim();
    if (r.code === 0 && out === `signalled ${signal}`) return 'signalled';
    if (r.code === 0 && out === 'gone') return 'gone';
    const other = /^other (.*) (\d*)$/.exec(out);
    if (r.code === 0 && other) {
      throw new KwError(
        'not-our-agent',
        `${this.ref.label}: refusing to send SIG${signal} to pid ${id.pid}: it is now ${other[1] || 'another process'} (started at tick ${other[2] || '?'}), not the kwitness agent started at tick ${id.startTime}; our agent is gone and the pid was reused`,
      );
    }
    throw new KwError('agent-failed', `${this.ref.label}: cannot signal agent pid ${id.pid}: ${r.stderr.trim() || out || `exit ${r.code}`}`);
  }

  async refreshProbe(): Promise<ProbeReport> {
    const r = await this.runAgent(['probe'], 120000);
    const text = r.stdout.toString('utf8').trim();
    let report: ProbeReport | undefined;
    try {
      report = JSON.parse(text.split('\n').pop() ?? '') as ProbeReport;
    } catch {
      /* below */
    }
    if (!report) throw classifyAgentFailure(this.ref.label, r.stderr || text, r.code);
    this.probeReport = report;
    this._onDidChangeState.fire(this._state);
    return report;
  }

  /** Drops the connection (traces on it see 'disconnected'). */
  disconnect(): void {
    const r = this.ready?.runner;
    if (r) this.onRunnerClosed(r, 'disconnected by user');
  }

  override dispose(): void {
    this.ready?.runner.dispose();
    this.ready = undefined;
    this.sudoPassword.clear();
    super.dispose();
  }
}

export class HostManager extends Disposable implements HostAgent, HostFiles {
  private readonly hosts = new Map<string, HostConnection>();
  private readonly passphrases = new Map<string, string>();
  private readonly _onDidChange = this._register(new Emitter<HostConnection | undefined>());
  /** Fires with the host whose state changed, or undefined when the list changed. */
  readonly onDidChange = this._onDidChange.event;

  constructor(readonly env: HostEnvironment) {
    super();
  }

  /** This Machine (on Linux) + ~/.ssh/config aliases (no wildcards) + user-added hosts. */
  list(): HostRef[] {
    const out: HostRef[] = [];
    if (this.env.includeLocal ?? process.platform === 'linux') out.push(LOCAL_HOST);
    const seen = new Set<string>(['local']);
    let cfgHosts: string[] = [];
    try {
      cfgHosts = SshConfig.load(this.env.sshConfigFile).hosts();
    } catch (e) {
      this.env.log(`ssh config: ${errorMessage(e)}`);
    }
    for (const h of [...cfgHosts, ...(this.env.userHosts?.() ?? [])]) {
      if (seen.has(h)) continue;
      seen.add(h);
      out.push({ id: h, label: h, kind: 'ssh' });
    }
    return out;
  }

  ref(id: string): HostRef {
    if (id === 'local') return LOCAL_HOST;
    return this.list().find((h) => h.id === id) ?? { id, label: id, kind: 'ssh' };
  }

  get(host: HostRef | string): HostConnection {
    const ref = typeof host === 'string' ? this.ref(host) : host;
    let c = this.hosts.get(ref.id);
    if (!c) {
      c = new HostConnection(ref, this.env, this.passphrases);
      const conn = c;
      c.onDidChangeState(() => this._onDidChange.fire(conn));
      this.hosts.set(ref.id, c);
    }
    return c;
  }

  existing(id: string): HostConnection | undefined {
    return this.hosts.get(id);
  }

  /** Forgets a host's connection (Remove Host / Refresh). */
  drop(id: string): void {
    const c = this.hosts.get(id);
    if (c) {
      this.hosts.delete(id);
      c.dispose();
    }
    this._onDidChange.fire(undefined);
  }

  refresh(): void {
    this._onDidChange.fire(undefined);
  }

  /** New ssh config / known_hosts files (settings changed): used from the next connection on. */
  reconfigure(files: Pick<HostEnvironment, 'sshConfigFile' | 'knownHostsFile'>): void {
    // connections share this.env, so every host sees the change
    this.env.sshConfigFile = files.sshConfigFile;
    this.env.knownHostsFile = files.knownHostsFile;
    this._onDidChange.fire(undefined);
  }

  // HostAgent
  probe(host: HostRef): Promise<ProbeReport> {
    return this.get(host).refreshProbe();
  }
  async btf(host: HostRef, func: string): Promise<string> {
    if (!/^[A-Za-z_][A-Za-z0-9_.]{0,127}$/.test(func)) throw new KwError('bad-input', `"${func}" is not a kernel function name`);
    const r = await this.get(host).runAgent(['btf', func]);
    if (r.code !== 0) throw classifyAgentFailure(host.label, r.stderr, r.code);
    return r.stdout.toString('utf8');
  }
  async ksym(host: HostRef, name: string): Promise<{ address: string; module: string | null } | null> {
    if (!/^[A-Za-z_][A-Za-z0-9_.]{0,127}$/.test(name)) throw new KwError('bad-input', `"${name}" is not a kernel symbol name`);
    const r = await this.get(host).runAsRoot(`awk -v n=${name} '$3 == n { print $1, ($4 == "" ? "-" : $4); exit }' /proc/kallsyms`);
    const line = r.stdout.toString().trim();
    if (!line) return null;
    const [address, mod] = line.split(' ');
    return { address, module: mod === '-' ? null : mod.replace(/^\[|\]$/g, '') };
  }

  // HostFiles: fs for This Machine, SFTP (as the login user) for SSH hosts.
  async stat(host: HostRef, p: Uint8Array): Promise<{ type: 'file' | 'dir' | 'symlink' | 'other'; size: number; mtimeMs: number }> {
    if (host.kind === 'local') {
      const st = await fs.promises.lstat(Buffer.from(p));
      return { type: fileType(st), size: st.size, mtimeMs: st.mtimeMs };
    }
    const pathText = utf8Exact(p);
    if (pathText === undefined) return this.execStat(host, p);
    const sftp = await this.sftp(host);
    return new Promise((resolve, reject) =>
      sftp.lstat(pathText, (err, st) => {
        if (err) return reject(sftpError(err, pathText));
        resolve({ type: st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other', size: st.size, mtimeMs: st.mtime * 1000 });
      }),
    );
  }
  async readFile(host: HostRef, p: Uint8Array): Promise<Uint8Array> {
    if (host.kind === 'local') return new Uint8Array(await fs.promises.readFile(Buffer.from(p)));
    const pathText = utf8Exact(p);
    if (pathText === undefined) return this.execRead(host, p);
    const sftp = await this.sftp(host);
    return new Promise((resolve, reject) => sftp.readFile(pathText, (err, data) => (err ? reject(sftpError(err, pathText)) : resolve(new Uint8Array(data)))));
  }
  async readDirectory(host: HostRef, p: Uint8Array): Promise<Array<{ name: Uint8Array; type: 'file' | 'dir' | 'symlink' | 'other' }>> {
    if (host.kind === 'local') {
      const entries = await fs.promises.readdir(Buffer.from(p), { withFileTypes: true, encoding: 'buffer' });
      return entries.map((e) => ({ name: new Uint8Array(e.name as unknown as Buffer), type: e.isDirectory() ? 'dir' : e.isFile() ? 'file' : e.isSymbolicLink() ? 'symlink' : 'other' }));
    }
    const pathText = utf8Exact(p);
    if (pathText === undefined) return this.execList(host, p);
    const sftp = await this.sftp(host);
    const list = await new Promise<Array<{ name: Uint8Array; type: 'file' | 'dir' | 'symlink' | 'other' }>>((resolve, reject) =>
      sftp.readdir(pathText, (err, list) => {
        if (err) return reject(sftpError(err, pathText));
        resolve(
          list.map((e) => {
            const mode = e.attrs.mode ?? 0;
            const t = mode & 0o170000;
            return { name: new Uint8Array(Buffer.from(e.filename, 'utf8')), type: t === 0o040000 ? 'dir' : t === 0o100000 ? 'file' : t === 0o120000 ? 'symlink' : 'other' };
          }),
        );
      }),
    );
    // SFTP hands names over as UTF-8 text: a listing with a name that was not valid UTF-8 (shown
    // as U+FFFD) is read again through the shell, which keeps the exact bytes.
    return list.some((e) => Buffer.from(e.name).includes(Buffer.from('\uFFFD'))) ? this.execList(host, p) : list;
  }

  // Names that are not valid UTF-8 cannot travel through ssh2's SFTP (it encodes paths as UTF-8
  // text), so these go through the login shell with the path given as octal escapes.
  private async execAsUser(host: HostRef, script: string): Promise<RunResult> {
    const r = await this.get(host).connect();
    return runToEnd(r.runner, `sh -c ${shq(script)}`, undefined, 60000);
  }

  private async execStat(host: HostRef, p: Uint8Array): Promise<{ type: 'file' | 'dir' | 'symlink' | 'other'; size: number; mtimeMs: number }> {
    const r = await this.execAsUser(
      host,
      `${shAssignBytes('f', p)}; if [ -L "$f" ]; then t=symlink; elif [ -d "$f" ]; then t=dir; elif [ -f "$f" ]; then t=file; elif [ -e "$f" ]; then t=other; else echo missing; exit 2; fi; echo "$t $(stat -c '%s %Y' "$f")"`,
    );
    const [t, size, mtime] = r.stdout.toString().trim().split(' ');
    if (r.code !== 0 || !size) throw fsError(r.code === 2 ? 'ENOENT' : /denied/i.test(r.stderr) ? 'EACCES' : 'EIO', `${printableBytes(p)}: ${r.stderr.trim() || 'no such file or directory'}`);
    return { type: t as 'file' | 'dir' | 'symlink' | 'other', size: Number(size), mtimeMs: Number(mtime) * 1000 };
  }

  private async execRead(host: HostRef, p: Uint8Array): Promise<Uint8Array> {
    const r = await this.execAsUser(host, `${shAssignBytes('f', p)}; [ -e "$f" ] || exit 2; exec cat -- "$f"`);
    if (r.code !== 0) throw fsError(r.code === 2 ? 'ENOENT' : /denied/i.test(r.stderr) ? 'EACCES' : 'EIO', `${printableBytes(p)}: ${r.stderr.trim() || 'no such file'}`);
    return new Uint8Array(r.stdout);
  }

  private async execList(host: HostRef, p: Uint8Array): Promise<Array<{ name: Uint8Array; type: 'file' | 'dir' | 'symlink' | 'other' }>> {
    const r = await this.execAsUser(
      host,
      `${shAssignBytes('d', p)}; [ -d "$d" ] || exit 2; cd -- "$d" || exit 3; for f in * .[!.]* ..?*; do if [ -L "$f" ]; then t=l; elif [ -d "$f" ]; then t=d; elif [ -f "$f" ]; then t=f; elif [ -e "$f" ]; then t=o; else continue; fi; printf '%s/%s\\0' "$t" "$f"; done`,
    );
    if (r.code !== 0) throw fsError(r.code === 2 ? 'ENOENT' : 'EACCES', `${printableBytes(p)}: ${r.stderr.trim() || 'not a readable directory'}`);
    const out: Array<{ name: Uint8Array; type: 'file' | 'dir' | 'symlink' | 'other' }> = [];
    let start = 0;
    const buf = r.stdout;
    for (let i = 0; i < buf.length; i++) {
      if (buf[i] !== 0) continue;
      const rec = buf.subarray(start, i);
      start = i + 1;
      const t = String.fromCharCode(rec[0]);
      out.push({ name: new Uint8Array(rec.subarray(2)), type: t === 'd' ? 'dir' : t === 'f' ? 'file' : t === 'l' ? 'symlink' : 'other' });
    }
    return out;
  }

  private async sftp(host: HostRef) {
    const r = await this.get(host).connect();
    if (!(r.runner instanceof SshRunner)) throw new KwError('bad-input', `${host.label}: not an SSH host`);
    return r.runner.conn.sftp();
  }

  override dispose(): void {
    for (const c of this.hosts.values()) c.dispose();
    this.hosts.clear();
    this.passphrases.clear();
    super.dispose();
  }
}

function fileType(st: fs.Stats): 'file' | 'dir' | 'symlink' | 'other' {
  return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
}

/** The path as text when its bytes are exactly valid UTF-8, else undefined. */
function utf8Exact(p: Uint8Array): string | undefined {
  const text = Buffer.from(p).toString('utf8');
  return Buffer.from(text, 'utf8').equals(Buffer.from(p)) ? text : undefined;
}

function printableBytes(p: Uint8Array): string {
  return JSON.stringify(Buffer.from(p).toString('utf8'));
}

function fsError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

function sftpError(err: Error & { code?: number }, p: string): Error {
  const e = new Error(`${p}: ${err.message}`) as Error & { code?: string };
  e.code = err.code === 2 ? 'ENOENT' : err.code === 3 ? 'EACCES' : 'EIO';
  return e;
}
