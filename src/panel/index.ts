// The event panel's host side, registered by PanelManager itself:
//   - `kwitness.events` webview panels, one per trace (trace-panel.ts; serializer for reloads,
//     retained while hidden), with export to JSON Lines / CSV (export.ts);
//   - the read-only FileSystemProvider for `kwitness://<hostId>/abs/path` (host-file-system.ts);
//   - commands `kwitness.openPath` (open-path.ts) and `kwitness.showKernelSymbol` (symbol-view.ts);
//   - a user stack frame's source opened from the workspace (open-source.ts).
//
// Command arguments (for the tree, the palette and the extension-host tests):
//   kwitness.openPath(hostId: string, path: string | Uint8Array)        plain path or exact bytes
//   kwitness.openPath({ hostId: string, pathB64: string })              exact bytes, base64
//     -> resolves to { uri: string, gone: boolean } (the document opened; gone = parent listing)
//   kwitness.showKernelSymbol(hostId: string, symbol: string, probe?: string)
//   kwitness.showKernelSymbol({ hostId, symbol, probe? })
//     -> resolves to the vscode.WebviewPanel of the symbol view
import * as vscode from 'vscode';

import { Disposable, toDisposable, type IDisposable } from '../core/lifecycle';
import type { HostRef, TraceHandle } from '../core/trace-api';
import { validateViewState, type PanelViewState } from '../contract';
import type { PanelDeps } from './deps';
import { FS_SCHEME, HostFileSystem } from './host-file-system';
import { makeNonce, renderPanelHtml } from './html';
import { PathOpener } from './open-path';
import { openSource } from './open-source';
import { SYMBOL_VIEW_TYPE, SymbolViews } from './symbol-view';
import { EVENTS_VIEW_TYPE, TracePanel, type TracePanelHost } from './trace-panel';
import { traceTitle } from './title';

export { EVENTS_VIEW_TYPE, FS_SCHEME, SYMBOL_VIEW_TYPE };
export type { PanelDeps, PanelLog } from './deps';

const LOCAL: HostRef = { id: 'local', label: 'This Machine', kind: 'local' };

export class PanelManager extends Disposable implements TracePanelHost {
  private readonly panels = new Map<string, TracePanel>();
  private readonly traces = new Map<string, TraceHandle>();
  private readonly hosts = new Map<string, HostRef>([['local', LOCAL]]);
  private readonly webviewRoot: vscode.Uri;
  private readonly opener: PathOpener;
  private readonly symbols: SymbolViews;
  /** The panel whose Restart is starting a trace (showTrace binds the new trace to it). */
  private restarting: TracePanel | null = null;

  constructor(context: vscode.ExtensionContext, readonly deps: PanelDeps) {
    super();
    this.webviewRoot = vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview');
    const hostRef = (id: string) => this.hostRef(id);
    this.opener = new PathOpener(deps.files, hostRef, deps.log);
    this.symbols = this._register(new SymbolViews(deps.agent, hostRef, this.webviewRoot, deps.startTrace && ((host, func, sink) => this.probeFunction(host, func, sink)), (m) => deps.log.info(m)));
    const fsp = this._register(new HostFileSystem(deps.files, hostRef));
    this._register(vscode.workspace.registerFileSystemProvider(FS_SCHEME, fsp, { isReadonly: true, isCaseSensitive: true }));
    this._register(vscode.window.registerWebviewPanelSerializer(EVENTS_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state) => this.restore(panel, state),
    }));
    this._register(vscode.commands.registerCommand('kwitness.openPath', (a?: unknown, b?: unknown) => this.opener.command(a, b)));
    this._register(vscode.commands.registerCommand('kwitness.showKernelSymbol', (a?: unknown, b?: unknown, c?: unknown) => this.symbols.command(a, b, c)));
    this._register(toDisposable(() => {
      for (const p of this.panels.values()) p.dispose();
      this.panels.clear();
    }));
  }

  /** A Kernel Symbol view's probe waiting for its trace (showTrace hands it over). */
  private probing: ((trace: TraceHandle) => void) | null = null;

  /**
   * Probe This Function: a trace of `func` started like the commands start one (its event panel
   * opens); startTrace calls showTrace synchronously, which hands the trace to `sink` too.
   */
  probeFunction(host: HostRef, func: string, sink: (trace: TraceHandle) => void): Promise<unknown> {
    this.probing = sink;
    try {
      return this.deps.startTrace!(host, { families: [], funcs: [func] });
    } finally {
      this.probing = null;
    }
  }

  /** Opens (or reveals) the panel of a trace. Call it as soon as the trace exists: events are kept from then on. */
  showTrace(trace: TraceHandle): void {
    const sink = this.probing;
    this.probing = null;
    sink?.(trace);
    this.hosts.set(trace.host.id, trace.host);
    this.traces.set(trace.id, trace);
    const existing = this.panels.get(trace.id);
    if (existing) {
      existing.panel.reveal();
      return;
    }
    // A restart: the new trace takes over the panel that asked for it (one tab per scope).
    const old = this.restarting;
    if (old && !old.isDisposed && this.panels.get(old.traceId) === old) {
      this.restarting = null;
      this.panels.delete(old.traceId);
      old.dispose();
      this.bind(old.panel, trace, null, old.traceId);
      old.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(EVENTS_VIEW_TYPE, traceTitle(trace), vscode.ViewColumn.Active, this.webviewOptions());
    this.bind(panel, trace, null);
  }

  /**
   * A trace that came back after a reload (attached again to its lingering agent): its restored
   * panel, if VS Code restores one, binds to it. A panel restored before the trace came back is
   * bound again now.
   */
  adoptTrace(trace: TraceHandle): void {
    this.hosts.set(trace.host.id, trace.host);
    this.traces.set(trace.id, trace);
    const old = this.panels.get(trace.id);
    if (!old || old.isLive) return;
    const { panel, restoredState } = old;
    this.panels.delete(trace.id);
    old.dispose();
    this.bind(panel, trace, restoredState);
  }

  /**
   * Restart: the same host and scope again. startTrace creates the trace and calls showTrace
   * synchronously, which binds it to this panel; a start that fails before that leaves the
   * panel with its ended trace, and the webview is told so.
   */
  restart(tp: TracePanel): void {
    const scope = tp.restartScope;
    if (!scope || this.restarting) return;
    this.restarting = tp;
    let started: Promise<unknown>;
    try {
      started = this.deps.startTrace!(scope.host, scope.options);
    } finally {
      this.restarting = null;
    }
    void started.catch((e) => {
      this.deps.log.warn(`panel: restart on ${scope.host.label} failed: ${(e as Error).message}`);
      if (!tp.isDisposed) tp.resendState();
    });
  }

  private bind(panel: vscode.WebviewPanel, trace: TraceHandle | null, state: PanelViewState | null, restartOf?: string): void {
    const tp = new TracePanel(this, panel, trace, state, restartOf);
    this.panels.set(tp.traceId, tp);
    const sub = panel.onDidDispose(() => {
      sub.dispose();
      if (this.panels.get(tp.traceId) === tp) this.panels.delete(tp.traceId);
      tp.dispose();
    });
  }

  private restore(panel: vscode.WebviewPanel, raw: unknown): void {
    const v = validateViewState(raw);
    if (!v.ok) {
      this.deps.log.warn(`panel: not restoring a Kernel Witness panel: ${v.error}`);
      panel.dispose();
      return;
    }
    const old = this.panels.get(v.value.traceId);
    if (old) old.panel.dispose();
    this.bind(panel, this.traces.get(v.value.traceId) ?? null, v.value);
  }

  private webviewOptions(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    // Retained while hidden: switching tabs must be instant and keep selection, scroll, filters
    // and every event (recreating it replayed up to the whole backlog into a fresh page). The cost
    // is the hidden renderer's memory, which the panel's cap bounds.
    return { enableScripts: true, localResourceRoots: [this.webviewRoot], enableFindWidget: false, retainContextWhenHidden: true };
  }

  configureWebview(webview: vscode.Webview): void {
    webview.options = { enableScripts: true, localResourceRoots: [this.webviewRoot] };
  }

  panelHtml(webview: vscode.Webview, title: string): string {
    return renderPanelHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.webviewRoot, 'panel.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.webviewRoot, 'panel.css')).toString(),
      title,
    });
  }

  hostRef(id: string): HostRef {
    return this.hosts.get(id) ?? { id, label: id, kind: id === 'local' ? 'local' : 'ssh' };
  }

  /** Makes a host known (label for messages) without a trace, e.g. for tests or the tree. */
  registerHost(host: HostRef): void {
    this.hosts.set(host.id, host);
  }

  /** Opens a path of a host in an editor; a deleted path opens its parent directory's listing. */
  openPath(hostId: string, bytes: Uint8Array): Promise<{ uri: vscode.Uri; gone: boolean }> {
    return this.opener.open(hostId, bytes);
  }

  showKernelSymbol(hostId: string, symbol: string, probe: string): Promise<vscode.WebviewPanel> {
    return this.symbols.show(hostId, symbol, probe);
  }

  openSource(src: string, line: number): Promise<vscode.Uri | undefined> {
    return openSource(src, line, this.deps.log);
  }
}

export type { IDisposable };
