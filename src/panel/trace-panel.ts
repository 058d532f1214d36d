// One `kwitness.events` webview panel bound to one trace (or to a trace that ended before a
// reload): ready handshake and backlog replay through TraceFeed, every incoming message validated
// and routed to one handler per type, user names from the host's /etc/passwd.
import * as vscode from 'vscode';

import { Disposable } from '../core/lifecycle';
import type { HostRef, TraceHandle, TraceState } from '../core/trace-api';
import {
  CONTRACT_VERSION, dispatch, validateWebviewMessage,
  type Handlers, type HostToWebview, type PanelViewState, type WebviewToHostMap,
} from '../contract';
import type { PanelDeps } from './deps';
import { PanelExports } from './export';
import { TraceFeed } from './feed';
import { traceTitle } from './title';

export const EVENTS_VIEW_TYPE = 'kwitness.events';
const FLUSH_MS = 50;

/** What a panel needs from the PanelManager that owns it. */
export interface TracePanelHost {
  readonly deps: PanelDeps;
  hostRef(id: string): HostRef;
  configureWebview(webview: vscode.Webview): void;
  panelHtml(webview: vscode.Webview, title: string): string;
  openPath(hostId: string, bytes: Uint8Array): Promise<unknown>;
  showKernelSymbol(hostId: string, symbol: string, probe: string): Promise<unknown>;
  /** A user stack frame's source file, from the workspace, at a line (1-based). */
  openSource(src: string, line: number): Promise<unknown>;
  /** Starts the panel's scope again and binds the new trace to this panel. */
  restart(panel: TracePanel): void;
}

/** Settings (contributed in package.json): kwitness.maxEvents, kwitness.batchMs, kwitness.panel.backlog. */
function setting(key: 'maxEvents' | 'batchMs' | 'panel.backlog', fallback: number): number {
  const v = vscode.workspace.getConfiguration('kwitness').get<number>(key, fallback);
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

export class TracePanel extends Disposable {
  private readonly feed: TraceFeed;
  private readonly exports: PanelExports;
  private users: Record<string, string> = {};
  readonly traceId: string;
  readonly host: HostRef;
  private title: string;

  constructor(
    private readonly mgr: TracePanelHost,
    readonly panel: vscode.WebviewPanel,
    private readonly trace: TraceHandle | null,
    readonly restoredState: PanelViewState | null,
    /** The trace this panel showed before, when this one is its restart (the filters stay). */
    restartOf?: string,
  ) {
    super();
    const restored = restoredState;
    this.traceId = trace?.id ?? restored!.traceId;
    this.host = trace?.host ?? mgr.hostRef(restored!.hostId);
    this.title = trace ? traceTitle(trace, new Date()) : restored!.title;
    this.exports = this._register(new PanelExports(this.host.id, (m) => this.post({ ...m, traceId: this.traceId }), mgr.deps.log));
    this.feed = this._register(new TraceFeed({
      traceId: this.traceId,
      trace,
      backlog: Math.max(1000, setting('panel.backlog', 200_000)),
      batchMs: setting('batchMs', FLUSH_MS),
      post: (m) => panel.webview.postMessage(m),
      init: () => ({
        type: 'init', traceId: this.traceId, host: this.host, title: this.title, state: this.state(),
        lostTotal: this.trace?.lostTotal ?? 0, config: { maxEvents: Math.max(1000, Math.floor(setting('maxEvents', 1_000_000))) },
        users: this.users, live: this.trace !== null, restartable: this.restartScope !== null, restartOf,
        ...(trace ? { families: [...trace.options.families], funcs: [...(trace.options.funcs ?? [])] } : {}),
      }),
    }));
    panel.title = this.title;
    mgr.configureWebview(panel.webview);
    this._register(panel.webview.onDidReceiveMessage((m) => this.onMessage(m)));
    panel.webview.html = mgr.panelHtml(panel.webview, this.title);
    // The webview is retained while hidden (index.ts), so a hidden panel keeps receiving batches.
    // Were it ever recreated (a restored panel VS Code revived without that option), it says
    // `ready` again and the feed starts over from the backlog.
    // User names come from the host's /etc/passwd; a restored panel whose trace is gone does not
    // open a connection just for that.
    if (trace || this.host.kind === 'local') void this.loadUsers();
  }

  /** What Restart starts again: a trace's host and options (a watch's follower has none of its own). */
  get restartScope(): { host: HostRef; options: TraceHandle['options'] } | null {
    const t = this.trace;
    return t && t.label === undefined && this.mgr.deps.startTrace ? { host: t.host, options: t.options } : null;
  }

  /** Tells the webview the trace's state again (a restart that could not begin leaves it as it was). */
  resendState(): void {
    this.feed.send({ type: 'state', traceId: this.traceId, state: this.state() });
  }

  /** Bound to a trace (not a panel restored after its trace ended). */
  get isLive(): boolean {
    return this.trace !== null;
  }

  private async loadUsers(): Promise<void> {
    try {
      const text = Buffer.from(await this.mgr.deps.files.readFile(this.host, Buffer.from('/etc/passwd'))).toString('utf8');
      for (const line of text.split('\n')) {
        const f = line.split(':');
        if (f.length >= 3 && /^\d+$/.test(f[2])) this.users[f[2]] ??= f[0];
      }
    } catch (e) {
      this.mgr.deps.log.info(`panel: no user names for ${this.host.label}: ${(e as Error).message}`);
    }
  }

  /** Answers to the webview's own requests (it is listening: it just asked). */
  private post(m: HostToWebview): void {
    void this.panel.webview.postMessage(m);
  }

  private state(): TraceState {
    return this.trace?.state ?? { kind: 'stopped', reason: 'the window was reloaded' };
  }

  private onMessage(raw: unknown): void {
    const v = validateWebviewMessage(raw);
    if (!v.ok) {
      this.mgr.deps.log.warn(`panel: dropped a message from the webview: ${v.error}`);
      return;
    }
    const m = v.value;
    if (m.type !== 'ready' && m.traceId !== this.traceId) {
      this.mgr.deps.log.info(`panel: dropped a stale ${m.type} for trace ${m.traceId}`);
      return;
    }
    dispatch(this.handlers, m);
  }

  private readonly handlers: Handlers<WebviewToHostMap> = {
    ready: (m) => {
      if (m.contract !== CONTRACT_VERSION) this.mgr.deps.log.warn(`panel: webview speaks contract ${m.contract}, host ${CONTRACT_VERSION}`);
      void this.feed.start();
    },
    openPath: (m) => {
      if (m.hostId !== this.host.id) return this.mgr.deps.log.warn(`panel: openPath for host ${m.hostId} from a ${this.host.id} panel dropped`);
      void this.mgr.openPath(this.host.id, Buffer.from(m.pathB64, 'base64')).catch((e) => vscode.window.showErrorMessage(`Kernel Witness: ${(e as Error).message}`));
    },
    showKernelSymbol: (m) => {
      if (m.hostId !== this.host.id) return;
      void this.mgr.showKernelSymbol(this.host.id, m.symbol, m.probe);
    },
    openSource: (m) => {
      void this.mgr.openSource(m.src, m.line).catch((e) => vscode.window.showErrorMessage(`Kernel Witness: ${(e as Error).message}`));
    },
    exportBegin: (m) => void this.exports.begin(m.format, m.count),
    exportChunk: (m) => this.exports.chunk(m.exportId, m.data, m.last),
    stopTrace: () => {
      const t = this.trace;
      void t?.stop().catch((e) => {
        // the panel shows "stopping…" from the click on: tell it the trace still runs
        this.resendState();
        void vscode.window.showErrorMessage(`Kernel Witness: stop failed: ${(e as Error).message}`);
      });
    },
    restartTrace: () => {
      const st = this.trace?.state.kind;
      if (st === 'stopped' || st === 'failed') this.mgr.restart(this);
      else this.resendState();
    },
    resumeTrace: () => {
      if (this.trace?.state.kind !== 'disconnected') return;
      void this.trace.resume().catch((e) => vscode.window.showErrorMessage(`Kernel Witness: reconnect failed: ${(e as Error).message}`));
    },
  };
}
