// All trace sessions of the window: start (with a progress notification, the panel opened at
// once), stop, resume, and stop-all on deactivation so no agent survives the window.
import * as vscode from 'vscode';

import { Disposable, Emitter } from '../core/lifecycle';
import { errorMessage } from '../core/errors';
import type { HostManager } from '../core/host/host';
import { decoderFor, DEFAULT_FORMAT } from '../core/session/decoders';
import { TraceSession } from '../core/session/trace-session';
import type { HostRef, TraceHandle, TraceOptions, TraceState } from '../core/trace-api';

export interface TraceViewer {
  showTrace(trace: TraceHandle): void;
}

export class TraceRegistry extends Disposable {
  private readonly sessions = new Map<string, TraceSession>();
  private readonly _onDidChange = this._register(new Emitter<TraceSession | undefined>());
  readonly onDidChange = this._onDidChange.event;
  viewer: TraceViewer | undefined;

  constructor(
    private readonly hosts: HostManager,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
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
    const batchMs = Math.max(10, vscode.workspace.getConfiguration('kwitness').get<number>('batchMs', 50));
    let s: TraceSession;
    try {
      s = new TraceSession(this.hosts.get(host), options, { format: DEFAULT_FORMAT, decoderFor, batchMs, log: (l) => this.log.info(l) });
    } catch (e) {
      // bad options (e.g. a relative path prefix): one clear line, nothing started
      if (!opts.silent) void vscode.window.showErrorMessage(`Kernel Witness: ${errorMessage(e)}`);
      throw e;
    }
    this.sessions.set(s.id, s);
    s.onDidChangeState((st) => {
      this.log.info(`${host.label}: trace ${s.id} ${describeState(st)}`);
      this._onDidChange.fire(s);
    });
    this._onDidChange.fire(s);
    this.viewer?.showTrace(s);
    const title = `Kernel Witness: ${options.families.join(', ')} trace on ${host.label}`;
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
    this.sessions.delete(id);
    s.dispose();
    this._onDidChange.fire(undefined);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.list().map((s) => s.stop().catch(() => undefined)));
  }

  override dispose(): void {
    for (const s of this.sessions.values()) s.dispose(); // dispose() ends running agents (stdin EOF + signal)
    this.sessions.clear();
    super.dispose();
  }
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
