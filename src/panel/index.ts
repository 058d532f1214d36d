// The event panel's host side: everything panel-related, registered by PanelManager itself.
//   - `kwitness.events` webview panels, one per trace (serializer for reloads; no
//     retainContextWhenHidden): ready handshake, bounded backlog replay, batches every 50 ms,
//     trace id on every message, every incoming message validated (src/contract).
//   - the read-only FileSystemProvider for `kwitness://<hostId>/abs/path` over HostFiles;
//   - commands `kwitness.openPath` and `kwitness.showKernelSymbol` (`kwitness.symbol` view);
//   - export to JSON Lines / CSV through a save dialog.
//
// Command arguments (for the tree, the palette and the extension-host tests):
//   kwitness.openPath(hostId: string, path: string | Uint8Array)        plain path or exact bytes
//   kwitness.openPath({ hostId: string, pathB64: string })              exact bytes, base64
//     -> resolves to { uri: string, gone: boolean } (the document opened; gone = parent listing)
//   kwitness.showKernelSymbol(hostId: string, symbol: string, probe?: string)
//   kwitness.showKernelSymbol({ hostId, symbol, probe? })
//     -> resolves to the vscode.WebviewPanel of the symbol view
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { isKernelSymbol } from '../core/kernel-symbol';
import { Disposable, toDisposable, type IDisposable } from '../core/lifecycle';
import type { HostAgent, HostFiles, HostRef, TraceHandle, TraceState } from '../core/trace-api';
import {
  CONTRACT_VERSION, dispatch, validateViewState, validateWebviewMessage,
  type ExportFormat, type Handlers, type HostToWebview, type PanelViewState, type WebviewToHostMap,
} from '../contract';
import { TraceFeed } from './feed';
import { makeNonce, renderPanelHtml } from './html';
import {
  decodeUriPath, dirListing, encodeUriPath, goneListing, isAbsolute, kallsymsCandidates, parentOf, printable, utf8OrNull,
} from './paths';
import { renderSymbolHtml, type SymbolInfo } from './symbol-html';

export const EVENTS_VIEW_TYPE = 'kwitness.events';
export const SYMBOL_VIEW_TYPE = 'kwitness.symbol';
export const FS_SCHEME = 'kwitness';

export interface PanelLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface PanelDeps {
  files: HostFiles;
  agent: HostAgent;
  log: PanelLog;
}

const LOCAL: HostRef = { id: 'local', label: 'This Machine', kind: 'local' };
const FLUSH_MS = 50;

/** Settings (contributed in package.json): kwitness.maxEvents, kwitness.batchMs, kwitness.panel.backlog. */
function setting(key: 'maxEvents' | 'batchMs' | 'panel.backlog', fallback: number): number {
  const v = vscode.workspace.getConfiguration('kwitness').get<number>(key, fallback);
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

function traceTitle(t: { host: HostRef; options: { families: string[] } }): string {
  const fams = t.options.families.map((f) => f[0].toUpperCase() + f.slice(1)).join(', ');
  return `${fams} — ${t.host.label}`;
}

/** One `kwitness.events` panel bound to one trace (or to a trace that ended before a reload). */
class TracePanel extends Disposable {
  private readonly feed: TraceFeed;
  private users: Record<string, string> = {};
  private exportSeq = 0;
  private exports = new Map<number, { uri: vscode.Uri; format: ExportFormat; fd?: fs.promises.FileHandle; parts: string[]; lines: number; chain: Promise<void> }>();
  readonly traceId: string;
  readonly host: HostRef;
  private title: string;

  constructor(
    private readonly mgr: PanelManager,
    readonly panel: vscode.WebviewPanel,
    private readonly trace: TraceHandle | null,
    restored: PanelViewState | null,
  ) {
    super();
    this.traceId = trace?.id ?? restored!.traceId;
    this.host = trace?.host ?? mgr.hostRef(restored!.hostId);
    this.title = trace ? traceTitle(trace) : restored!.title;
    this.feed = this._register(new TraceFeed({
      traceId: this.traceId,
      trace,
      backlog: Math.max(1000, setting('panel.backlog', 200_000)),
      batchMs: setting('batchMs', FLUSH_MS),
      post: (m) => panel.webview.postMessage(m),
      init: () => ({
        type: 'init', traceId: this.traceId, host: this.host, title: this.title, state: this.state(),
        lostTotal: this.trace?.lostTotal ?? 0, config: { maxEvents: Math.max(1000, Math.floor(setting('maxEvents', 1_000_000))) },
        users: this.users, live: this.trace !== null,
      }),
    }));
    panel.title = this.title;
    mgr.configureWebview(panel.webview);
    this._register(panel.webview.onDidReceiveMessage((m) => this.onMessage(m)));
    panel.webview.html = mgr.panelHtml(panel.webview, this.title);
    this._register(panel.onDidChangeViewState(() => {
      // Without retainContextWhenHidden a hidden webview is destroyed; it says `ready` again when shown.
      if (!panel.visible) this.feed.detach();
    }));
    // User names come from the host's /etc/passwd; a restored panel whose trace is gone does not
    // open a connection just for that.
    if (trace || this.host.kind === 'local') void this.loadUsers();
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
    exportBegin: (m) => void this.exportBegin(m.format, m.count),
    exportChunk: (m) => this.exportChunk(m.exportId, m.data, m.last),
    stopTrace: () => {
      void this.trace?.stop().catch((e) => vscode.window.showErrorMessage(`Kernel Witness: stop failed: ${(e as Error).message}`));
    },
    resumeTrace: () => {
      if (this.trace?.state.kind !== 'disconnected') return;
      void this.trace.resume().catch((e) => vscode.window.showErrorMessage(`Kernel Witness: reconnect failed: ${(e as Error).message}`));
    },
  };

  private async exportBegin(format: ExportFormat, count: number): Promise<void> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    const ext = format === 'csv' ? 'csv' : 'jsonl';
    const base = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
    const uri = await vscode.window.showSaveDialog({
      title: `Export ${count} events`,
      defaultUri: vscode.Uri.joinPath(base, `kwitness-${this.host.id.replace(/[^A-Za-z0-9._-]/g, '_')}-${stamp}.${ext}`),
      filters: format === 'csv' ? { CSV: ['csv'] } : { 'JSON Lines': ['jsonl', 'ndjson'] },
    });
    const exportId = ++this.exportSeq;
    if (!uri) {
      this.post({ type: 'exportResult', traceId: this.traceId, exportId, ok: false, message: 'Export cancelled.' });
      return;
    }
    const job = { uri, format, parts: [] as string[], lines: 0, chain: Promise.resolve(), fd: undefined as fs.promises.FileHandle | undefined };
    try {
      if (uri.scheme === 'file') job.fd = await fs.promises.open(uri.fsPath, 'w');
    } catch (e) {
      this.post({ type: 'exportResult', traceId: this.traceId, exportId, ok: false, message: `Export failed: ${(e as Error).message}` });
      return;
    }
    this.exports.set(exportId, job);
    this.post({ type: 'exportAccepted', traceId: this.traceId, exportId, format });
  }

  private exportChunk(exportId: number, data: string, last: boolean): void {
    const job = this.exports.get(exportId);
    if (!job) return this.mgr.deps.log.warn(`panel: export chunk for unknown export ${exportId}`);
    job.lines += (data.match(/\n/g) ?? []).length;
    job.chain = job.chain.then(async () => {
      if (job.fd) await job.fd.write(data);
      else job.parts.push(data);
      if (!last) return;
      this.exports.delete(exportId);
      if (job.fd) await job.fd.close();
      else await vscode.workspace.fs.writeFile(job.uri, Buffer.from(job.parts.join(''), 'utf8'));
      const records = job.format === 'csv' ? Math.max(0, job.lines - 1) : job.lines;
      const msg = `Exported ${records} events to ${job.uri.scheme === 'file' ? job.uri.fsPath : job.uri.toString()}`;
      this.post({ type: 'exportResult', traceId: this.traceId, exportId, ok: true, message: msg });
      void vscode.window.showInformationMessage(`Kernel Witness: ${msg}`);
    }).catch((e) => {
      this.exports.delete(exportId);
      void job.fd?.close().catch(() => undefined);
      this.post({ type: 'exportResult', traceId: this.traceId, exportId, ok: false, message: `Export failed: ${(e as Error).message}` });
    });
  }

  override dispose(): void {
    for (const job of this.exports.values()) void job.fd?.close().catch(() => undefined);
    this.exports.clear();
    super.dispose();
  }
}

/** Read-only `kwitness://<hostId>/abs/path` over HostFiles (SFTP for ssh hosts, fs for local). */
class HostFileSystem implements vscode.FileSystemProvider {
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;
  private listings = new Map<string, { text: Uint8Array; at: number }>();

  constructor(private readonly mgr: PanelManager) {}

  private target(uri: vscode.Uri): { host: HostRef; path: Uint8Array } {
    const bytes = decodeUriPath(uri.path || '/');
    if (!isAbsolute(bytes)) throw vscode.FileSystemError.FileNotFound(uri);
    return { host: this.mgr.hostRef(uri.authority), path: bytes };
  }

  private mapError(e: unknown, uri: vscode.Uri): Error {
    const err = e as { code?: unknown; message?: string };
    const msg = String(err?.message ?? e);
    if (err?.code === 'ENOENT' || err?.code === 2 || /no such file/i.test(msg)) return vscode.FileSystemError.FileNotFound(uri);
    if (err?.code === 'EACCES' || err?.code === 'EPERM' || err?.code === 3 || /permission denied/i.test(msg)) return vscode.FileSystemError.NoPermissions(uri);
    return e instanceof Error ? e : new Error(msg);
  }

  /** Listing documents (`?listing` or `?gone=<b64>`) are generated text. */
  private async listing(uri: vscode.Uri): Promise<Uint8Array | null> {
    const q = new URLSearchParams(uri.query);
    if (!q.has('listing') && !q.has('gone')) return null;
    const key = uri.toString();
    const hit = this.listings.get(key);
    if (hit && Date.now() - hit.at < 5000) return hit.text;
    const { host, path: dir } = this.target(uri);
    const entries = await this.mgr.deps.files.readDirectory(host, dir).catch((e) => { throw this.mapError(e, uri); });
    const gone = q.get('gone');
    const text = gone ? goneListing(host.label, Buffer.from(gone, 'base64'), dir, entries) : dirListing(host.label, dir, entries);
    const bytes = Buffer.from(text, 'utf8');
    this.listings.set(key, { text: bytes, at: Date.now() });
    return bytes;
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const listing = await this.listing(uri);
    if (listing) return { type: vscode.FileType.File, ctime: 0, mtime: Date.now(), size: listing.length, permissions: vscode.FilePermission.Readonly };
    const { host, path: p } = this.target(uri);
    try {
      const st = await this.mgr.deps.files.stat(host, p);
      const type = st.type === 'dir' ? vscode.FileType.Directory : st.type === 'file' ? vscode.FileType.File : st.type === 'symlink' ? vscode.FileType.SymbolicLink : vscode.FileType.Unknown;
      return { type, ctime: st.mtimeMs, mtime: st.mtimeMs, size: st.size, permissions: vscode.FilePermission.Readonly };
    } catch (e) {
      throw this.mapError(e, uri);
    }
  }

  async readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
    const { host, path: p } = this.target(uri);
    try {
      const entries = await this.mgr.deps.files.readDirectory(host, p);
      return entries.map((e) => [encodeUriPath(e.name), e.type === 'dir' ? vscode.FileType.Directory : e.type === 'file' ? vscode.FileType.File : e.type === 'symlink' ? vscode.FileType.SymbolicLink : vscode.FileType.Unknown]);
    } catch (e) {
      throw this.mapError(e, uri);
    }
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const listing = await this.listing(uri);
    if (listing) return listing;
    const { host, path: p } = this.target(uri);
    try {
      return await this.mgr.deps.files.readFile(host, p);
    } catch (e) {
      throw this.mapError(e, uri);
    }
  }

  createDirectory(uri: vscode.Uri): void { throw vscode.FileSystemError.NoPermissions(uri); }
  writeFile(uri: vscode.Uri): void { throw vscode.FileSystemError.NoPermissions(uri); }
  delete(uri: vscode.Uri): void { throw vscode.FileSystemError.NoPermissions(uri); }
  rename(uri: vscode.Uri): void { throw vscode.FileSystemError.NoPermissions(uri); }

  dispose(): void {
    this.emitter.dispose();
  }
}

export class PanelManager extends Disposable {
  private readonly panels = new Map<string, TracePanel>();
  private readonly traces = new Map<string, TraceHandle>();
  private readonly hosts = new Map<string, HostRef>([['local', LOCAL]]);
  private readonly symbolPanels = new Map<string, vscode.WebviewPanel>();
  private readonly webviewRoot: vscode.Uri;

  constructor(context: vscode.ExtensionContext, readonly deps: PanelDeps) {
    super();
    this.webviewRoot = vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview');
    const fsp = new HostFileSystem(this);
    this._register(fsp);
    this._register(vscode.workspace.registerFileSystemProvider(FS_SCHEME, fsp, { isReadonly: true, isCaseSensitive: true }));
    this._register(vscode.window.registerWebviewPanelSerializer(EVENTS_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state) => this.restore(panel, state),
    }));
    this._register(vscode.commands.registerCommand('kwitness.openPath', (a?: unknown, b?: unknown) => this.openPathCommand(a, b)));
    this._register(vscode.commands.registerCommand('kwitness.showKernelSymbol', (a?: unknown, b?: unknown, c?: unknown) => this.symbolCommand(a, b, c)));
    this._register(toDisposable(() => {
      for (const p of this.panels.values()) p.dispose();
      this.panels.clear();
      for (const p of this.symbolPanels.values()) p.dispose();
      this.symbolPanels.clear();
    }));
  }

  /** Opens (or reveals) the panel of a trace. Call it as soon as the trace exists: events are kept from then on. */
  showTrace(trace: TraceHandle): void {
    this.hosts.set(trace.host.id, trace.host);
    this.traces.set(trace.id, trace);
    const existing = this.panels.get(trace.id);
    if (existing) {
      existing.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(EVENTS_VIEW_TYPE, traceTitle(trace), vscode.ViewColumn.Active, this.webviewOptions());
    this.bind(panel, trace, null);
  }

  private bind(panel: vscode.WebviewPanel, trace: TraceHandle | null, state: PanelViewState | null): void {
    const tp = new TracePanel(this, panel, trace, state);
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
    return { enableScripts: true, localResourceRoots: [this.webviewRoot], enableFindWidget: false };
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

  // ---------------------------------------------------------------- openPath
  private async openPathCommand(a: unknown, b: unknown): Promise<{ uri: string; gone: boolean } | undefined> {
    let hostId: string | undefined;
    let bytes: Uint8Array | undefined;
    if (typeof a === 'object' && a !== null && !(a instanceof Uint8Array)) {
      const o = a as { hostId?: unknown; pathB64?: unknown; path?: unknown };
      hostId = typeof o.hostId === 'string' ? o.hostId : undefined;
      if (typeof o.pathB64 === 'string') bytes = Buffer.from(o.pathB64, 'base64');
      else if (typeof o.path === 'string') bytes = Buffer.from(o.path, 'utf8');
    } else if (typeof a === 'string') {
      hostId = a;
      if (typeof b === 'string') bytes = Buffer.from(b, 'utf8');
      else if (b instanceof Uint8Array) bytes = b;
    }
    if (!hostId) {
      void vscode.window.showErrorMessage('Kernel Witness: openPath needs a host id and a path (hostId, path) or ({ hostId, pathB64 }).');
      return undefined;
    }
    if (!bytes) {
      const typed = await vscode.window.showInputBox({ title: `Open a path on ${this.hostRef(hostId).label}`, prompt: 'Absolute path' });
      if (!typed) return undefined;
      bytes = Buffer.from(typed, 'utf8');
    }
    try {
      const r = await this.openPath(hostId, bytes);
      return { uri: r.uri.toString(), gone: r.gone };
    } catch (e) {
      void vscode.window.showErrorMessage(`Kernel Witness: ${(e as Error).message}`);
      return undefined;
    }
  }

  private remoteAuthority(hostId: string): string | null {
    const want = `ssh-remote+${hostId}`;
    if (vscode.env.remoteName !== 'ssh-remote') return null;
    return (vscode.workspace.workspaceFolders ?? []).some((f) => f.uri.scheme === 'vscode-remote' && f.uri.authority === want) ? want : null;
  }

  kwitnessUri(hostId: string, bytes: Uint8Array, query = ''): vscode.Uri {
    return vscode.Uri.from({ scheme: FS_SCHEME, authority: hostId, path: encodeUriPath(bytes), query });
  }

  /** Opens a path of a host in an editor; a deleted path opens its parent directory's listing. */
  async openPath(hostId: string, bytes: Uint8Array): Promise<{ uri: vscode.Uri; gone: boolean }> {
    if (!isAbsolute(bytes)) throw new Error(`not an absolute path: ${printable(bytes)}`);
    const host = this.hostRef(hostId);
    let st: Awaited<ReturnType<HostFiles['stat']>> | null = null;
    try {
      st = await this.deps.files.stat(host, bytes);
    } catch (e) {
      this.deps.log.info(`panel: stat ${printable(bytes)} on ${host.label}: ${(e as Error).message}`);
    }
    if (!st) {
      // Gone: show what its nearest existing ancestor directory holds now.
      let dir = parentOf(bytes);
      for (let i = 0; i < 64; i++) {
        const ok = await this.deps.files.stat(host, dir).then((s) => s.type === 'dir', () => false);
        if (ok || dir.length === 1) break;
        dir = parentOf(dir);
      }
      const uri = this.kwitnessUri(hostId, dir, `gone=${encodeURIComponent(Buffer.from(bytes).toString('base64'))}`);
      await vscode.commands.executeCommand('vscode.open', uri, { preview: true });
      void vscode.window.showWarningMessage(`${printable(bytes)} is gone on ${host.label} (deleted or renamed); showing ${printable(dir)}.`);
      return { uri, gone: true };
    }
    if (st.type === 'dir') {
      const uri = this.kwitnessUri(hostId, bytes, 'listing');
      await vscode.commands.executeCommand('vscode.open', uri, { preview: true });
      return { uri, gone: false };
    }
    const text = utf8OrNull(bytes);
    let uri: vscode.Uri;
    const remote = this.remoteAuthority(hostId);
    if (host.id === 'local' && text !== null && vscode.env.remoteName === undefined) uri = vscode.Uri.file(text);
    else if (remote && text !== null) uri = vscode.Uri.from({ scheme: 'vscode-remote', authority: remote, path: text });
    else uri = this.kwitnessUri(hostId, bytes);
    await vscode.commands.executeCommand('vscode.open', uri, { preview: true });
    return { uri, gone: false };
  }

  // ---------------------------------------------------------------- kernel symbols
  private symbolCommand(a: unknown, b: unknown, c: unknown): Promise<vscode.WebviewPanel | undefined> | undefined {
    let hostId: unknown = a, symbol: unknown = b, probe: unknown = c;
    if (typeof a === 'object' && a !== null) ({ hostId, symbol, probe } = a as Record<string, unknown>);
    if (typeof hostId !== 'string' || typeof symbol !== 'string' || !isKernelSymbol(symbol)) {
      void vscode.window.showErrorMessage('Kernel Witness: showKernelSymbol needs a host id and a kernel symbol name, e.g. (\'local\', \'vfs_unlink\').');
      return undefined;
    }
    return this.showKernelSymbol(hostId, symbol, typeof probe === 'string' ? probe : '');
  }

  async showKernelSymbol(hostId: string, symbol: string, probe: string): Promise<vscode.WebviewPanel> {
    const host = this.hostRef(hostId);
    const key = `${hostId}\u0000${symbol}`;
    const styleUri = (wv: vscode.Webview) => wv.asWebviewUri(vscode.Uri.joinPath(this.webviewRoot, 'panel.css')).toString();
    let panel = this.symbolPanels.get(key);
    if (panel) {
      panel.reveal();
      return panel;
    }
    panel = vscode.window.createWebviewPanel(SYMBOL_VIEW_TYPE, `${symbol} — ${host.label}`, vscode.ViewColumn.Beside, {
      enableScripts: false, localResourceRoots: [this.webviewRoot],
    });
    this.symbolPanels.set(key, panel);
    panel.onDidDispose(() => this.symbolPanels.delete(key));
    panel.webview.html = renderSymbolHtml(null, symbol, panel.webview.cspSource, styleUri(panel.webview), true);
    const info = await this.lookupSymbol(host, symbol, probe);
    if (this.symbolPanels.get(key) === panel) panel.webview.html = renderSymbolHtml(info, symbol, panel.webview.cspSource, styleUri(panel.webview));
    return panel;
  }

  async lookupSymbol(host: HostRef, symbol: string, probe: string): Promise<SymbolInfo> {
    const info: SymbolInfo = { hostLabel: host.label, symbol, resolved: null, probe, ksym: null, prototype: null, report: null };
    try {
      info.report = await this.deps.agent.probe(host);
    } catch (e) {
      info.reportError = (e as Error).message;
    }
    for (const cand of kallsymsCandidates(symbol, info.report?.arch ?? '')) {
      try {
        const k = await this.deps.agent.ksym(host, cand);
        if (k) {
          info.ksym = k;
          info.resolved = cand;
          break;
        }
      } catch (e) {
        info.ksymError = (e as Error).message;
        break;
      }
    }
    for (const name of [...new Set([info.resolved ?? symbol, symbol])]) {
      try {
        info.prototype = (await this.deps.agent.btf(host, name)).trim();
        info.btfError = undefined;
        break;
      } catch (e) {
        info.btfError = (e as Error).message;
      }
    }
    return info;
  }
}

export type { IDisposable };
