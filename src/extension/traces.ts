// All trace sessions of the window: start (with a progress notification, the panel opened at
// once), stop, resume. A trace outlives its window for kwitness.trace.keepRunningSeconds: on
// deactivation (a reload, a closed tab) it is left running on the host, remembered in the
// workspace state, and the next activation of this workspace attaches to it again (the agent
// replays what it kept, and says how many it could not). Stop is the only way to end it sooner.
import { traceWhat } from '../core/guard';
import * as vscode from 'vscode';

import { Disposable, Emitter } from '../core/lifecycle';
import { errorMessage } from '../core/errors';
import type { HostManager } from '../core/host/host';
import { decoderFor, DEFAULT_FORMAT } from '../core/session/decoders';
import { TraceSession, type SessionConfig } from '../core/session/trace-session';
import type { HostRef, TraceHandle, TraceOptions, TraceState } from '../core/trace-api';

export interface TraceViewer {
  showTrace(trace: TraceHandle): void;
  /** A trace came back after a reload: bind it to its restored panel, if there is one. */
  adoptTrace(trace: TraceHandle): void;
}

/** What the workspace remembers of a trace left running on its host. */
interface LeftTrace {
  id: string;
  host: HostRef;
  options: TraceOptions;
  lingerS: number;
  backlogMb: number;
}

const LEFT_KEY = 'kwitness.tracesLeftRunning';

export class TraceRegistry extends Disposable {
  private readonly sessions = new Map<string, TraceSession>();
  private readonly _onDidChange = this._register(new Emitter<TraceSession | undefined>());
  readonly onDidChange = this._onDidChange.event;
  viewer: TraceViewer | undefined;

  constructor(
    private readonly hosts: HostManager,
    private readonly log: vscode.LogOutputChannel,
    /** The workspace's memory of traces left running (workspaceState). */
    private readonly memory?: vscode.Memento,
  ) {
    super();
  }

  private left(): LeftTrace[] {
    return this.memory?.get<LeftTrace[]>(LEFT_KEY, []) ?? [];
  }

  private remember(s: TraceSession): void {
    if (!this.memory || !s.lingers) return;
    const cfg = keepRunning();
    const all = this.left().filter((t) => t.id !== s.id);
    all.push({ id: s.id, host: s.host, options: s.options, lingerS: cfg.lingerS, backlogMb: cfg.backlogMb });
    void this.memory.update(LEFT_KEY, all);
  }

  private forgetLeft(id: string): void {
    if (!this.memory || !this.left().some((t) => t.id === id)) return;
    void this.memory.update(LEFT_KEY, this.left().filter((t) => t.id !== id));
  }

  /** Tracks a session: tree refresh, log, and the workspace's memory of it while it runs. */
  private track(s: TraceSession): void {
    this.sessions.set(s.id, s);
    s.onDidChangeState((st) => {
      this.log.info(`${s.host.label}: trace ${s.id} ${describeState(st)}`);
      if (st.kind === 'running') this.remember(s);
      else if (st.kind === 'stopped' || st.kind === 'failed') this.forgetLeft(s.id);
      this._onDidChange.fire(s);
    });
    s.onDidResume((r) => {
      const away = `${Math.round(r.awayMs / 1000)} s`;
      this.log.info(`${s.host.label}: trace ${s.id} attached again after ${away} without a window; ${r.notKept} events could not be kept`);
    });
    this._onDidChange.fire(s);
  }

  /**
   * Activation: attach again to the traces this workspace left running (a reload, a closed tab).
   * Each comes back into its restored panel (or the tree); one that ended meanwhile says so.
   */
  reattachLeftRunning(): void {
    for (const t of this.left()) {
      if (this.sessions.has(t.id)) continue;
      let s: TraceSession;
      try {
        s = new TraceSession(this.hosts.get(t.host), t.options, this.sessionConfig({ lingerS: t.lingerS, backlogMb: t.backlogMb }), t.id);
      } catch (e) {
        this.log.warn(`not reattaching trace ${t.id} on ${t.host.label}: ${errorMessage(e)}`);
        this.forgetLeft(t.id);
        continue;
      }
      this.track(s);
      this.viewer?.adoptTrace(s);
      this.log.info(`${t.host.label}: attaching again to trace ${t.id} left running by an earlier window`);
      void s.start().catch((e) => this.log.warn(`${t.host.label}: trace ${t.id}: ${errorMessage(e)}`));
    }
  }

  private sessionConfig(linger: { lingerS: number; backlogMb: number }): SessionConfig {
    const batchMs = Math.max(10, vscode.workspace.getConfiguration('kwitness').get<number>('batchMs', 50));
    return { format: DEFAULT_FORMAT, decoderFor, batchMs, log: (l) => this.log.info(l), ...linger };
  }

  list(): TraceSession[] {
    return [...this.sessions.values()];
  }
  forHost(hostId: string): TraceSession[] {
    return this.list().filter((s) => s.host.id === hostId);
  }
  get(id: string): TraceSession | undefined {
    return this.sessions.get(id);
  }

  /** Starts a trace; resolves when the agent reported ready. Failures are shown and rethrown. */
  async start(host: HostRef, options: TraceOptions, opts: { silent?: boolean } = {}): Promise<TraceSession> {
    let s: TraceSession;
    try {
      s = new TraceSession(this.hosts.get(host), options, this.sessionConfig(keepRunning()));
    } catch (e) {
      // bad options (e.g. a relative path prefix): one clear line, nothing started
      if (!opts.silent) void vscode.window.showErrorMessage(`Kernel Witness: ${errorMessage(e)}`);
      throw e;
    }
    this.track(s);
    this.viewer?.showTrace(s);
    const title = `Kernel Witness: ${traceWhat(options)} on ${host.label}`;
    try {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
        const sub = s.onDidChangeState((st) => progress.report({ message: describeState(st) }));
        const cancel = token.onCancellationRequested(() => void s.stop());
        progress.report({ message: describeState(s.state) });
        try {
          await s.start();
        } finally {
          sub.dispose();
          cancel.dispose();
        }
      });
      return s;
    } catch (e) {
      const msg = errorMessage(e);
      this.log.error(`${host.label}: ${msg}`);
      if (!opts.silent) void vscode.window.showErrorMessage(`Kernel Witness: ${msg}`);
      if (s.state.kind !== 'disconnected') {
        // keep failed traces out of the tree (their panel, if any, shows the failure)
        this.sessions.delete(s.id);
        s.dispose();
        this._onDidChange.fire(undefined);
      }
      throw e;
    }
  }

  async stop(id: string): Promise<void> {
    const s = this.sessions.get(id);
    if (!s) return;
    await s.stop();
    this._onDidChange.fire(s);
  }

  async resume(id: string): Promise<void> {
    const s = this.sessions.get(id);
    if (!s) return;
    try {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Kernel Witness: resuming trace on ${s.host.label}` }, () => s.resume());
    } catch (e) {
      void vscode.window.showErrorMessage(`Kernel Witness: ${errorMessage(e)}`);
      throw e;
    } finally {
      this._onDidChange.fire(s);
    }
  }

  /** Forgets ended traces (their panels keep the events they received). */
  forget(id: string): void {
    const s = this.sessions.get(id);
    if (!s) return;
    this.forgetLeft(id);
    this.sessions.delete(id);
    s.dispose();
    this._onDidChange.fire(undefined);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.list().map((s) => s.stop().catch(() => undefined)));
  }

  /** The window goes away: lingering traces are left running for the next window, others stopped. */
  async leaveAll(): Promise<void> {
    await Promise.all(this.list().map((s) => s.leave().catch(() => undefined)));
  }

  override dispose(): void {
    for (const s of this.sessions.values()) s.dispose(); // dispose() leaves lingering agents running, stops the rest
    this.sessions.clear();
    super.dispose();
  }
}

/** kwitness.trace.keepRunningSeconds and kwitness.trace.backlogMB (0 seconds: a trace ends with its window). */
function keepRunning(): { lingerS: number; backlogMb: number } {
  const c = vscode.workspace.getConfiguration('kwitness');
  const n = (v: unknown, d: number, lo: number, hi: number): number => (typeof v === 'number' && Number.isFinite(v) ? Math.min(hi, Math.max(lo, Math.floor(v))) : d);
  return { lingerS: n(c.get('trace.keepRunningSeconds'), 300, 0, 86400), backlogMb: n(c.get('trace.backlogMB'), 64, 1, 4096) };
}

export function describeState(st: TraceState): string {
  switch (st.kind) {
    case 'connecting':
      return 'connecting…';
    case 'deploying':
      return 'deploying the agent…';
    case 'starting':
      return 'starting the agent…';
    case 'running':
      return `running (${st.probes.map((p) => p.mode).filter((m, i, a) => a.indexOf(m) === i).join(', ')})`;
    case 'disconnected':
      return `disconnected: ${st.reason}`;
    case 'stopped':
      return st.reason ? `stopped (${st.reason})` : 'stopped';
    case 'failed':
      return `failed: ${st.message}`;
  }
}
