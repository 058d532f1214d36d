// One trace = one TraceSession: runs `kwitness-agent trace ...` as root on a host, decodes its
// stream, delivers events in batches (every batchMs), tracks lost totals and state. Stop = stdin
// EOF, then signals, then proof that the agent's pid is gone. A dropped connection becomes
// 'disconnected'; resume() reconnects (and kills a leftover agent if one survived). Signals by pid
// go only to the very agent this session started (pid + start time, checked on the target). No vscode.
//
// Memory stays bounded when the host side falls behind: the agent's output is paused while
// MAX_PENDING events wait for the next batch, or while a consumer holds the input (the CLI when
// its stdout is full). Then the SSH window (or the pipe) fills, the agent blocks on write, its
// ring buffer fills and the kernel counts what it cannot keep: losses are reported as `lost`,
// never made silently on the host.
//
// With `lingerS` the agent outlives its client (`trace --linger`, native/linger.c): a window that
// reloads or a connection that drops leaves it tracing, and a session made by `reattach()` (or
// resume()) comes back through `kwitness-agent attach ID --from N`, N being the events received
// so far: the agent replays what it still holds and says exactly how many it could not keep.
import type { AgentRecord, Family, KwEvent } from '../events';
import { FAMILIES, isKwEvent } from '../events';
import { Disposable, Emitter, IDisposable } from '../lifecycle';
import { KwError, classifyAgentFailure, errorMessage, isKwError } from '../errors';
import type { HostRef, StackChoice, TraceHandle, TraceOptions, TraceState } from '../trace-api';
import { MAX_PATHS } from '../path-scope';
import { guardArgs, nameRule } from '../guard';
import { checkFuncs, checkWhere } from '../calls';
import type { HostConnection } from '../host/host';
import type { AgentIdentity } from '../host/deploy';
import type { ProcessHandle } from '../host/runner';
import { JsonLinesDecoder, RecordDecoder } from './json-lines';

export type StreamFormat = 'wire' | 'json';

export interface SessionConfig {
  batchMs?: number;
  format?: StreamFormat;
  /** Makes the decoder for `format` (wire decoder injected by the composition roots). */
  decoderFor?: (format: StreamFormat) => RecordDecoder;
  log?: (line: string) => void;
  /** Called with every non-event record (ready, lost, error) — CLI/tests. */
  onRecord?: (r: AgentRecord) => void;
  /**
   * The agent exits when its stdin stays silent this long (default 60 s; 0 = never): the session
   * writes a newline every heartbeatS / 4 s, so a client that went to sleep or lost the network
   * without a FIN does not leave the agent running on the host.
   */
  heartbeatS?: number;
  /**
   * Keep the agent tracing this long (seconds) after the client went away, for a later attach
   * (a reloaded window, a resumed connection). 0 or undefined: it stops with its client.
   */
  lingerS?: number;
  /** What a lingering agent keeps for the next client, in MiB (agent default 64). */
  backlogMb?: number;
}

/** Exit code of `kwitness-agent attach` when no trace of that id runs on the host (native/linger.h). */
export const ATTACH_NO_TRACE = 3;

/** How a comeback went: what the agent kept, and for how long nobody listened. */
export interface ResumeInfo {
  awayMs: number;
  notKept: number;
}

function newSessionId(): string {
  // a lingering trace is found by this name on its host, from any window: unique, not per-window
  return `t${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export const DEFAULT_HEARTBEAT_S = 60;

/** `kwitness-agent trace` arguments for `o`; throws on bad options. */
export function agentTraceArgs(o: TraceOptions, format: StreamFormat): string[] {
  const { families, filters } = agentTraceParts(o);
  return ['trace', families, '--format', format, ...filters];
}

/**
 * The families argument ("unlink,create") and the filter flags of a trace, checked: what a
 * trace and a watch (`watch start -- FAMILIES FILTERS`) both pass to the agent.
 */
export function agentTraceParts(o: TraceOptions): { families: string; filters: string[] } {
  if (o.guard) {
    // a guard: its rules in the families' place (the agent's `trace guard ...`, args.c)
    if (o.families.length || o.funcs?.length || o.where?.length || o.pathPrefixes?.length || o.pathGlobs?.length || o.pid !== undefined || o.comm !== undefined || o.uid !== undefined || o.cgroup !== undefined || o.failedOnly) {
      throw new KwError('bad-input', 'a guard takes rules, not trace families or filters');
    }
    if (stacksArg(o.stacks)) throw new KwError('bad-input', 'a guard takes no stacks (--stacks is a trace option)');
    return { families: 'guard', filters: guardArgs(o.guard) };
  }
  const funcs = [...new Set(o.funcs ?? [])];
  if (!o.families.length && !funcs.length) throw new KwError('bad-input', 'a trace needs at least one family (unlink, create, write, exec) or kernel function (func:NAME)');
  for (const f of o.families) if (!FAMILIES.includes(f)) throw new KwError('bad-input', `unknown trace family "${f}" (expected unlink, create, write or exec)`);
  const badFunc = checkFuncs(funcs);
  if (badFunc) throw new KwError('bad-input', badFunc);
  if (o.where?.length && !funcs.length) throw new KwError('bad-input', '--where filters calls of kernel functions: name one with func:NAME');
  if (funcs.length && !o.families.length && (o.pathPrefixes?.length || o.pathGlobs?.length)) {
    throw new KwError('bad-input', 'a trace of kernel functions alone has no paths to filter: use --where on an argument (e.g. dentry == "disk.img")');
  }
  const args: string[] = [];
  for (const w of checkWhere(o.where ?? [])) args.push('--where', w);
  for (const p of o.pathPrefixes ?? []) {
    if (!p.startsWith('/')) throw new KwError('bad-input', `path prefix "${p}" must be absolute`);
    args.push('--path-prefix', p);
  }
  for (const g of o.pathGlobs ?? []) {
    if (!g.startsWith('/')) throw new KwError('bad-input', `path pattern "${g}" must be absolute`);
    args.push('--path-glob', g);
  }
  if ((o.pathPrefixes?.length ?? 0) + (o.pathGlobs?.length ?? 0) > MAX_PATHS) throw new KwError('bad-input', `at most ${MAX_PATHS} path prefixes and patterns in all`);
  const int = (name: string, v: number | undefined, flag: string): void => {
    if (v === undefined) return;
    if (!Number.isInteger(v) || v < 0) throw new KwError('bad-input', `${name} must be a non-negative integer, got ${v}`);
    args.push(flag, String(v));
  };
  int('pid', o.pid, '--pid');
  if (o.comm !== undefined) {
    if (!o.comm || Buffer.byteLength(o.comm) > 15) throw new KwError('bad-input', `comm "${o.comm}" must be 1 to 15 bytes (the kernel's TASK_COMM_LEN)`);
    args.push('--comm', o.comm);
  }
  int('uid', o.uid, '--uid');
  if (o.cgroup !== undefined) args.push('--cgroup', o.cgroup);
  if (o.failedOnly) args.push('--failed-only');
  if (o.attach && o.attach !== 'auto') args.push('--attach', o.attach);
  int('ringbuf size (KiB)', o.ringbufKb, '--ringbuf-kb');
  const stacks = stacksArg(o.stacks);
  if (stacks) args.push('--stacks', stacks);
  return { families: [...new Set<Family>(o.families), ...funcs.map((f) => `func:${f}`)].join(','), filters: args };
}

/** The value of `--stacks` for a choice ("kernel,user", "kernel", "user"), undefined for none. */
export function stacksArg(s: StackChoice | undefined): string | undefined {
  if (!s) return undefined;
  const parts = [s.kernel ? 'kernel' : '', s.user ? 'user' : ''].filter(Boolean);
  return parts.length ? parts.join(',') : undefined;
}

/**
 * `--stacks` as typed (CLI, a watch's arguments): kernel, user, or both comma separated, in any
 * order; throws a one-line error naming the bad part.
 */
export function parseStacksArg(v: string): StackChoice {
  const s: StackChoice = { kernel: false, user: false };
  for (const p of v.split(',').map((x) => x.trim())) {
    if (p === 'kernel') s.kernel = true;
    else if (p === 'user') s.user = true;
    else throw new KwError('bad-input', `--stacks: expected kernel, user or kernel,user, got "${v}"${p === '' ? '' : ` ("${p}" is neither)`}`);
  }
  return s;
}

/** Events waiting for the next batch before the agent's output is paused (a few tens of MB). */
export const MAX_PENDING = 65536;

export class TraceSession extends Disposable implements TraceHandle {
  readonly id: string;
  private _state: TraceState = { kind: 'connecting' };
  private _lost = 0;
  private _unjudged = 0;
  private _untracked = 0;
  private readonly _onEvents = this._register(new Emitter<readonly KwEvent[]>());
  private readonly _onState = this._register(new Emitter<TraceState>());
  private readonly _onLost = this._register(new Emitter<number>());
  private pending: KwEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private proc: ProcessHandle | undefined;
  private agent: AgentIdentity | undefined;
  private stopRequested = false;
  private stderrTail = '';
  private running: Promise<void> | undefined;
  private closeSub: IDisposable | undefined;
  private holds = 0;
  private beat: NodeJS.Timeout | undefined;
  private inputPaused = false;
  /** Events delivered so far (all batches). */
  eventCount = 0;
  /** Set by stop(): true when the agent's pid was checked and is gone from the host. */
  verifiedGone: boolean | undefined;
  /** Events decoded from the agent, replays included: where an attach continues (--from). */
  private received = 0;
  /** Events a lingering agent dropped from its backlog before a client came back (exact). */
  private notKept = 0;
  /** The agent runs on without us (a lingering trace): the next start attaches instead. */
  private attachNext = false;
  /** The last comeback (reattach or resume of a lingering trace). */
  lastResume: ResumeInfo | undefined;
  private readonly _onResumed = this._register(new Emitter<ResumeInfo>());
  readonly onDidResume = this._onResumed.event;

  constructor(
    private readonly conn: HostConnection,
    readonly options: TraceOptions,
    private readonly cfg: SessionConfig = {},
    /** The id of a lingering trace on the host to attach to, instead of starting one. */
    attachTo?: string,
    /** What people call it (titles), when it is not just "a trace". */
    readonly label?: string,
  ) {
    super();
    this.id = attachTo ?? newSessionId();
    this.attachNext = attachTo !== undefined;
    agentTraceArgs(options, cfg.format ?? 'json'); // validate early
    const hb = cfg.heartbeatS;
    if (hb !== undefined && !(Number.isInteger(hb) && hb >= 0 && hb <= 86400)) {
      throw new KwError('bad-input', `heartbeat must be 0 (off) to 86400 seconds, got ${hb}`);
    }
    const ls = cfg.lingerS;
    if (ls !== undefined && !(Number.isInteger(ls) && ls >= 0 && ls <= 86400)) {
      throw new KwError('bad-input', `keep-running time must be 0 (off) to 86400 seconds, got ${ls}`);
    }
  }

  /** True when the agent keeps tracing without a client (and this session can come back to it). */
  get lingers(): boolean {
    return (this.cfg.lingerS ?? 0) > 0;
  }

  get host(): HostRef {
    return this.conn.ref;
  }
  get state(): TraceState {
    return this._state;
  }
  /**
   * Events the agent reported lost, the calls it could not follow (pending table full: each may
   * have been an event, untrackedTotal), plus those a lingering agent could not keep for us.
   */
  get lostTotal(): number {
    return this._lost + this.notKept + this._untracked;
  }
  /** Of lostTotal: calls the kernel could not follow because its pending table was full. */
  get untrackedTotal(): number {
    return this._untracked;
  }
  /** Events dropped before the agent could finish --path-prefix on them: at most this many more may have matched. */
  get unjudgedLostTotal(): number {
    return this._unjudged;
  }
  /** The agent's pid on the target while it runs. */
  get agentPid(): number | undefined {
    return this.agent?.pid;
  }
  /** The agent's pid and start time on the target while it runs. */
  get agentIdentity(): AgentIdentity | undefined {
    return this.agent;
  }

  onDidReceiveEvents(listener: (batch: readonly KwEvent[]) => void): IDisposable {
    return this._onEvents.event(listener);
  }
  onDidChangeState(listener: (state: TraceState) => void): IDisposable {
    return this._onState.event(listener);
  }
  onDidReportLost(listener: (total: number) => void): IDisposable {
    return this._onLost.event(listener);
  }

  private log(l: string): void {
    this.cfg.log?.(`[${this.conn.ref.label} ${this.id}] ${l}`);
  }

  /**
   * Stops reading the agent's output until every hold is released (reference counted), e.g. while
   * the consumer's own output is full. The agent then blocks and its ring buffer counts losses.
   */
  holdInput(): void {
    this.holds++;
    this.updateFlow();
  }

  releaseInput(): void {
    if (this.holds > 0) this.holds--;
    this.updateFlow();
  }

  /** True while the agent's output is not being read (a hold, or a full pending batch). */
  get isInputPaused(): boolean {
    return this.inputPaused;
  }

  private updateFlow(): void {
    // once stopping, read everything: an agent blocked on a full pipe could not see its stdin EOF
    const pause = !this.stopRequested && (this.holds > 0 || this.pending.length >= MAX_PENDING);
    if (pause === this.inputPaused) return;
    this.inputPaused = pause;
    const out = this.proc?.stdout;
    if (!out) return;
    if (pause) out.pause();
    else out.resume();
  }

  private setState(s: TraceState): void {
    this._state = s;
    this._onState.fire(s);
  }

  /** Connects, deploys and starts the agent; resolves once it reported `ready`. */
  start(): Promise<void> {
    if (this.isDisposed) return Promise.reject(new KwError('cancelled', 'trace already disposed'));
    this.running ??= this.runVerified().finally(() => (this.running = undefined));
    return this.running;
  }

  /** The start script refuses an installed agent whose hash changed: redeploy once and retry. */
  private async runVerified(): Promise<void> {
    try {
      await this.run(true);
    } catch (e) {
      if (!isKwError(e, 'agent-corrupt') || this.stopRequested) throw e;
      this.log(`${errorMessage(e)}: redeploying once`);
      this.conn.invalidateDeployment();
      await this.run(false);
    }
  }

  private async run(mayRetry = false): Promise<void> {
    this.stopRequested = false;
    this.stderrTail = '';
    const format = this.cfg.format ?? 'json';
    const decoder = this.cfg.decoderFor?.(format) ?? new JsonLinesDecoder();
    try {
      this.setState({ kind: 'connecting' });
      const ready = await this.conn.connect();
      this.setState({ kind: 'deploying' });
      const heartbeatS = this.cfg.heartbeatS ?? DEFAULT_HEARTBEAT_S;
      const attaching = this.attachNext;
      const args = attaching ? ['attach', this.id, '--from', String(this.received)] : agentTraceArgs(this.options, format);
      if (!attaching && heartbeatS > 0) args.push('--heartbeat-timeout', String(heartbeatS));
      if (!attaching && this.lingers) {
        args.push('--linger', String(this.cfg.lingerS), '--session', this.id);
        if (this.cfg.backlogMb) args.push('--backlog-mb', String(this.cfg.backlogMb));
      }
      if (attaching) this.log(`attaching to the running trace from event ${this.received}`);
      const agent = await this.conn.spawnAgent(args);
      if (this.stopRequested) {
        agent.proc.stdin.end();
        agent.proc.signal('TERM');
        this.setState({ kind: 'stopped', reason: 'stopped before start' });
        return;
      }
      this.setState({ kind: 'starting' });
      this.proc = agent.proc;
      void agent.identity.then((id) => {
        // attached: that pid is the relay; the agent's own comes in the resumed record
        if (id !== undefined && !attaching) {
          this.agent = id;
          this.log(`agent pid ${id.pid}, started at tick ${id.startTime} (${agent.deployment.remotePath})`);
        }
      });
      this.closeSub?.dispose();
      this.closeSub = ready.runner.onDidClose((why) => this.onDropped(why));
      this.inputPaused = false;
      this.timer = setInterval(() => this.flush(), this.cfg.batchMs ?? 50);
      await new Promise<void>((resolve, reject) => {
        let isReady = false;
        agent.proc.stdout.on('data', (chunk: Buffer) => {
          for (const r of decoder.push(chunk)) {
            if (isKwEvent(r)) {
              this.received++;
              nameRule(r, this.options.guard);
              // records already decoded from this chunk are kept; reading stops after it
              if (this.pending.push(r) === MAX_PENDING) this.updateFlow();
              continue;
            }
            if (r.type === 'resumed') {
              this.onResumed(r);
              continue;
            }
            if (r.type === 'error' && r.message.startsWith('taken over:')) {
              this.onTakenOver(agent.proc);
              continue;
            }
            this.cfg.onRecord?.(r);
            if (r.type === 'ready') {
              isReady = true;
              if (heartbeatS > 0) {
                const stdin = agent.proc.stdin;
                this.beat = setInterval(() => {
                  if (!stdin.writableEnded && !stdin.destroyed) stdin.write('\n');
                }, Math.max(250, (heartbeatS * 1000) / 4));
              }
              this.setState(attaching && this.lastResume ? { kind: 'running', probes: r.probes, resumed: this.lastResume } : { kind: 'running', probes: r.probes });
              this.log(`running: ${r.probes.map((p) => `${p.family}=${p.mode}`).join(' ')}`);
              resolve();
            } else if (r.type === 'lost') {
              this._lost = r.total;
              this._unjudged = r.unjudged_total;
              this._untracked = r.untracked_total;
              this._onLost.fire(this.lostTotal);
            } else if (r.type === 'error') {
              this.log(`agent: ${r.message}`);
            }
          }
        });
        this.updateFlow(); // a hold taken before the agent started
        agent.proc.stderr.on('data', (chunk: Buffer) => {
          this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-8192);
        });
        void agent.proc.exited.then((x) => {
          this.flush();
          if (this.timer) clearInterval(this.timer);
          this.timer = undefined;
          if (this.beat) clearInterval(this.beat);
          this.beat = undefined;
          this.proc = undefined;
          this.closeSub?.dispose();
          this.closeSub = undefined;
          if (this.stopRequested) {
            this.setState({ kind: 'stopped' });
            resolve();
          } else if (this.takenOver) {
            resolve();
          } else if (attaching && x.code === ATTACH_NO_TRACE) {
            // the agent ended while nobody was attached (--linger ran out, or it was stopped)
            this.attachNext = false;
            const why = `the trace ended on ${this.conn.ref.label} while no window was attached (it keeps running ${this.cfg.lingerS ?? '?'} s without one)`;
            this.setState({ kind: 'stopped', reason: why });
            if (isReady) resolve();
            else reject(new KwError('agent-failed', why));
          } else if (ready.runner.isClosed) {
            this.onDropped('connection lost');
            if (!isReady) reject(new KwError('disconnected', `${this.conn.ref.label}: the connection dropped while the trace was starting; Resume to retry`));
          } else if (!isReady) {
            const err = classifyAgentFailure(this.conn.ref.label, this.stderrTail, x.code);
            if (!(mayRetry && err.code === 'agent-corrupt')) this.setState({ kind: 'failed', message: err.message });
            reject(err);
          } else {
            const why = this.stderrTail.trim().split('\n').filter((l) => !l.startsWith('kwitness-pid')).pop();
            this.setState({ kind: 'failed', message: `${this.conn.ref.label}: the agent exited (code ${x.code ?? x.signal})${why ? `: ${why}` : ''}` });
          }
        });
      });
    } catch (e) {
      if (mayRetry && isKwError(e, 'agent-corrupt')) throw e;
      if (this._state.kind !== 'failed' && this._state.kind !== 'disconnected' && this._state.kind !== 'stopped') {
        this.setState({ kind: 'failed', message: errorMessage(e) });
      }
      throw e;
    }
  }

  private onResumed(r: { next_event: number; not_kept: number; away_ms: number; pid: number; start_time: string }): void {
    this.received = r.next_event;
    this.notKept += r.not_kept;
    this.agent = { pid: r.pid, startTime: r.start_time };
    this.lastResume = { awayMs: r.away_ms, notKept: r.not_kept };
    this.log(`attached to agent pid ${r.pid} after ${(r.away_ms / 1000).toFixed(1)} s away: replay from event ${r.next_event}, ${r.not_kept} not kept`);
    if (r.not_kept) this._onLost.fire(this.lostTotal);
    this._onResumed.fire(this.lastResume);
  }

  private takenOver = false;

  /** Another client (another window) attached to our agent: that one has the trace now. */
  private onTakenOver(proc: ProcessHandle): void {
    this.takenOver = true;
    this.attachNext = false;
    if (this.beat) clearInterval(this.beat);
    this.beat = undefined;
    proc.detach();
    this.log('another client attached to this trace; it continues there');
    this.setState({ kind: 'stopped', reason: 'continued in another window' });
  }

  /**
   * Lets go of a lingering agent without stopping it (a window closing or reloading): it traces
   * on alone for lingerS and a later session attaches with `reattach`. Others are stopped.
   */
  leave(): Promise<void> {
    const p = this.proc;
    if (!this.lingers || !p || this.stopRequested) return this.stop();
    this.stopRequested = true; // the exit that follows (if any) is not a failure
    if (this.beat) clearInterval(this.beat);
    this.beat = undefined;
    p.detach();
    this.log(`left running on the host (it waits ${this.cfg.lingerS} s for a window to come back)`);
    return Promise.resolve();
  }

  private onDropped(why: string): void {
    if (this.stopRequested || this._state.kind === 'disconnected' || this._state.kind === 'stopped') return;
    // a lingering agent traces on: the next resume attaches to it and loses nothing it kept
    if (this.lingers && this._state.kind === 'running') this.attachNext = true;
    this.flush();
    this.log(`disconnected: ${why}`);
    this.setState({ kind: 'disconnected', reason: why });
  }

  private flush(): void {
    if (!this.pending.length) return;
    const batch = this.pending;
    this.pending = [];
    this.eventCount += batch.length;
    this._onEvents.fire(batch);
    this.updateFlow();
  }

  /** Reconnects after 'disconnected' (or a failure): a leftover agent from before is killed first. */
  async resume(): Promise<void> {
    if (this._state.kind === 'running' || this._state.kind === 'starting' || this.running) return;
    if (this.attachNext) {
      await this.start();
      return;
    }
    const old = this.agent;
    this.agent = undefined;
    if (old !== undefined) {
      try {
        if ((await this.conn.signalAgent(old, 'TERM')) === 'signalled') this.log(`previous agent ${old.pid} survived the drop; sent it SIGTERM`);
      } catch (e) {
        this.log(`resume: ${errorMessage(e)}`);
      }
    }
    await this.start();
  }

  /** Ends the agent (stdin EOF, then SIGTERM, then SIGKILL) and proves its pid is gone. */
  async stop(): Promise<void> {
    // the agent exiting releases its hold on the sudo password; the checks below still need it
    const release = this.conn.holdSudoPassword();
    try {
      await this.stopAndVerify();
    } finally {
      release();
    }
  }

  private async stopAndVerify(): Promise<void> {
    this.stopRequested = true;
    const p = this.proc;
    if (!p) {
      if (this._state.kind !== 'failed') this.setState({ kind: 'stopped', reason: this._state.kind === 'disconnected' ? 'stopped while disconnected' : undefined });
      await this.running?.catch(() => undefined);
      return;
    }
    this.updateFlow();
    if (this.beat) clearInterval(this.beat);
    this.beat = undefined;
    // 'q' stops a lingering agent (EOF alone would leave it tracing for the next client)
    if (!p.stdin.writableEnded && !p.stdin.destroyed) p.stdin.write('q\n');
    p.stdin.end();
    const exitedWithin = (ms: number): Promise<boolean> =>
      Promise.race([p.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
    if (!(await exitedWithin(1500))) {
      this.log('agent still running 1.5 s after stdin EOF; sending SIGTERM');
      p.signal('TERM');
      if (!(await exitedWithin(3000))) {
        this.log('agent still running after SIGTERM; sending SIGKILL');
        p.signal('KILL');
        if (this.agent !== undefined) await this.conn.signalAgent(this.agent, 'KILL').catch((e) => this.log(errorMessage(e)));
        await exitedWithin(3000);
      }
    }
    await this.running?.catch(() => undefined);
    const id = this.agent;
    const pid = id?.pid;
    if (id !== undefined && this.conn.runner && !this.conn.runner.isClosed) {
      for (let i = 0; i < 20; i++) {
        if (!(await this.conn.agentAlive(id).catch(() => true))) {
          this.verifiedGone = true;
          this.log(`stopped; agent pid ${pid} is gone`);
          break;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      if (!this.verifiedGone) {
        this.verifiedGone = false;
        this.setState({ kind: 'failed', message: `${this.conn.ref.label}: agent pid ${pid} is still running after stop; kill it as root` });
      }
    }
    if (this._state.kind !== 'failed' && this._state.kind !== 'stopped') this.setState({ kind: 'stopped' });
  }

  override dispose(): void {
    if (this.proc && !this.stopRequested) void this.leave().catch(() => undefined);
    if (this.timer) clearInterval(this.timer);
    if (this.beat) clearInterval(this.beat);
    this.closeSub?.dispose();
    super.dispose();
  }
}
