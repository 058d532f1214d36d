// Hosts: the list (This Machine, ~/.ssh/config aliases, user-added names) and one
// HostConnection per host that owns its runner (local or SSH), how it becomes root, where its
// agent is installed, and its probe report. HostManager implements HostAgent and HostFiles for
// the panel (files: remote-files.ts). Shared by the extension and the CLI; no vscode import.
import * as os from 'os';
import * as path from 'path';

import type { ProbeReport } from '../events';
import { Disposable, Emitter } from '../lifecycle';
import { KwError, classifyAgentFailure, errorMessage } from '../errors';
import { isKernelSymbol } from '../kernel-symbol';
import { parseFunctionList, type KernelFunctionList } from '../kernel-funcs';
import type { HostAgent, HostDirEntry, HostFileStat, HostFiles, HostRef } from '../trace-api';
import { SshConfig } from '../ssh/config';
import { SshConnection, SshPrompts } from '../ssh/connection';
import { KnownHosts } from '../ssh/known-hosts';
import { AGENT_HASH_MISMATCH, AgentIdentity, Deployment, INSTALL_ROOT, Platform, agentCheckScript, agentStartScript, deployAgent, detectPlatform, localAgent, parseAgentAnnouncement } from './deploy';
import { Privilege, RootMethod, asRoot, describePrivilege, detectPrivilege, verifySudoPassword } from './privilege';
import { maxReadBytes } from './file-policy';
import { HostFileAccess } from './remote-files';
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
  /** The largest file read from a host, in MB (setting kwitness.maxFileReadMB; default 50). */
  maxFileReadMB?: () => number | undefined;
  /** Deadline of one file request (default 30 s; tests shorten it). */
  fileTimeoutMs?: number;
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
  private loginP: Promise<Runner> | undefined;
  private loginRunner: Runner | undefined;
  private loginUser = '';
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
  /** Where agent builds (and watches, under watches/) live on the target. */
  get installRoot(): string {
    return this.env.installRoot ?? INSTALL_ROOT;
  }
  /** True while a sudo password for this host is in memory (tests, diagnostics). */
  get keepsSudoPassword(): boolean {
    return this.sudoPassword.get() !== undefined;
  }

  private setState(s: HostState): void {
    this._state = s;
    this._onDidChangeState.fire(s);
  }

  /**
   * The connection as the login user, nothing more: no platform check, no privilege detection,
   * so never a sudo prompt (file access needs only this). connect() builds on the same runner.
   */
  login(): Promise<Runner> {
    if (this.loginRunner) {
      if (!this.loginRunner.isClosed) return Promise.resolve(this.loginRunner);
      this.onRunnerClosed(this.loginRunner, 'connection closed'); // closed before its close handler ran
    }
    if (!this.loginP) {
      const p = this.openRunner().then(
        (runner) => {
          if (this.loginP !== p) {
            runner.dispose(); // disconnected or disposed meanwhile
            throw new KwError('disconnected', `${this.ref.label}: disconnected while connecting`);
          }
          this.loginRunner = runner;
          runner.onDidClose((why) => this.onRunnerClosed(runner, why));
          return runner;
        },
        (e) => {
          if (this.loginP === p) this.loginP = undefined;
          throw e;
        },
      );
      this.loginP = p;
    }
    return this.loginP;
  }

  private async openRunner(): Promise<Runner> {
    if (this.ref.kind === 'local') {
      this.loginUser = os.userInfo().username;
      return new LocalRunner();
    }
    const cfg = SshConfig.load(this.env.sshConfigFile);
    const target = cfg.resolve(this.ref.id);
    this.loginUser = target.user;
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
    return new SshRunner(conn);
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
    const runner = await this.login();
    const user = this.loginUser;
    try {
      this.setState({ kind: 'connecting', step: 'checking platform' });
      const platform = await detectPlatform(runner, this.ref.label);
      this.setState({ kind: 'connecting', step: 'checking privileges' });
      // a new connection always asks again: the password never outlives the connection it was given for
      this.sudoPassword.clear();
      const privilege = await detectPrivilege(runner, this.ref.label, user, () => this.env.prompts.sudoPassword(this.ref.label, user));
      if (privilege.kind === 'sudo-password') this.sudoPassword.set(privilege.password);
      return { runner, privilege: { kind: privilege.kind }, platform, user };
    } catch (e) {
      // The login connection stays (files may be read over it; login() watches it close); the next connect() asks again.
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
    if (this.loginRunner !== runner) return;
    this.loginRunner = undefined;
    this.loginP = undefined;
    this.ready = undefined;
    this.readyP = undefined;
    this.deployP = undefined;
    this.funcsCache = undefined;
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

  private funcsCache: { sha256: string; list: Promise<KernelFunctionList> } | undefined;

  /**
   * `kwitness-agent funcs`: the kernel functions the host's BTF describes. Asked once per
   * installed agent (its sha256) and connection: a closed connection may mean a reboot into
   * another kernel.
   */
  async kernelFunctions(): Promise<KernelFunctionList> {
    const d = await this.deploy();
    if (this.funcsCache?.sha256 !== d.sha256) {
      const list = this.runAgent(['funcs'], 180000).then((r) => {
        if (r.code !== 0) throw classifyAgentFailure(this.ref.label, r.stderr, r.code);
        const l = parseFunctionList(r.stdout.toString('utf8'));
        if (l.skipped) this.env.log(`${this.ref.label}: kwitness-agent funcs: ${l.skipped} lines were not a function, skipped`);
        if (!l.functions.length) throw new KwError('agent-failed', `${this.ref.label}: the agent listed no kernel functions (${r.stderr.trim().split('\n').pop() || 'no BTF?'})`);
        return l;
      });
      const entry = { sha256: d.sha256, list };
      this.funcsCache = entry;
      list.catch(() => {
        if (this.funcsCache === entry) this.funcsCache = undefined;
      });
    }
    return this.funcsCache.list;
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
    const r = this.loginRunner;
    if (r) this.onRunnerClosed(r, 'disconnected by user');
  }

  override dispose(): void {
    this.loginRunner?.dispose();
    this.loginRunner = undefined;
    this.loginP = undefined;
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

  private readonly files: HostFileAccess;

  constructor(readonly env: HostEnvironment) {
    super();
    this.files = new HostFileAccess({
      known: (id) => this.known(id),
      login: (host) => this.get(host).login(),
      maxReadBytes: () => maxReadBytes(env.maxFileReadMB?.()),
      timeoutMs: env.fileTimeoutMs,
    });
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
    return this.known(id) ?? { id, label: id, kind: 'ssh' };
  }

  /** The host when the user has it (This Machine, ~/.ssh/config, added hosts); else undefined. */
  known(id: string): HostRef | undefined {
    return this.list().find((h) => h.id === id);
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
    if (!isKernelSymbol(func)) throw new KwError('bad-input', `"${func}" is not a kernel function name`);
    const r = await this.get(host).runAgent(['btf', func]);
    if (r.code !== 0) throw classifyAgentFailure(host.label, r.stderr, r.code);
    return r.stdout.toString('utf8');
  }
  funcs(host: HostRef): Promise<KernelFunctionList> {
    return this.get(host).kernelFunctions();
  }
  async ksym(host: HostRef, name: string): Promise<{ address: string; module: string | null } | null> {
    if (!isKernelSymbol(name)) throw new KwError('bad-input', `"${name}" is not a kernel symbol name`);
    const r = await this.get(host).runAsRoot(`awk -v n=${name} '$3 == n { print $1, ($4 == "" ? "-" : $4); exit }' /proc/kallsyms`);
    const line = r.stdout.toString().trim();
    if (!line) return null;
    const [address, mod] = line.split(' ');
    return { address, module: mod === '-' ? null : mod.replace(/^\[|\]$/g, '') };
  }

  // HostFiles (remote-files.ts): only hosts in list(), over the login connection only.
  stat(host: HostRef, p: Uint8Array): Promise<HostFileStat> {
    return this.files.stat(host, p);
  }
  readFile(host: HostRef, p: Uint8Array): Promise<Uint8Array> {
    return this.files.readFile(host, p);
  }
  readDirectory(host: HostRef, p: Uint8Array): Promise<HostDirEntry[]> {
    return this.files.readDirectory(host, p);
  }

  override dispose(): void {
    for (const c of this.hosts.values()) c.dispose();
    this.hosts.clear();
    this.passphrases.clear();
    super.dispose();
  }
}

