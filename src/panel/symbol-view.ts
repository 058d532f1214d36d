// The Kernel Symbol view (`kwitness.symbol`): one page per host and symbol with its kallsyms
// address, its BTF prototype and a link to its source, looked up on the traced host, and its own
// live probe: Probe This Function starts a trace of the function (the calls go to the event
// panel) and the view counts them — calls, errors, a histogram of how long they took — until
// Stop (symbol-probe.ts; messages through the typed contract src/contract/symbol.ts).
import * as vscode from 'vscode';

import { isKernelSymbol } from '../core/kernel-symbol';
import type { HostAgent, HostRef, TraceHandle } from '../core/trace-api';
import { makeNonce } from './html';
import { kallsymsCandidates } from './paths';
import { renderSymbolHtml, type SymbolInfo } from './symbol-html';
import { SymbolProbe } from './symbol-probe';

/** Starts a trace of a kernel function on a host; `sink` gets it as soon as it exists. */
export type StartFuncTrace = (host: HostRef, func: string, sink: (trace: TraceHandle) => void) => Promise<unknown>;

export const SYMBOL_VIEW_TYPE = 'kwitness.symbol';

/** kallsyms address and BTF prototype of `symbol` on `host` (each part best effort, its error kept). */
export async function lookupSymbol(agent: HostAgent, host: HostRef, symbol: string, probe: string): Promise<SymbolInfo> {
  const info: SymbolInfo = { hostLabel: host.label, symbol, resolved: null, probe, ksym: null, prototype: null, report: null };
  try {
    info.report = await agent.probe(host);
  } catch (e) {
    info.reportError = (e as Error).message;
  }
  for (const cand of kallsymsCandidates(symbol, info.report?.arch ?? '')) {
    try {
      const k = await agent.ksym(host, cand);
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
      info.prototype = (await agent.btf(host, name)).trim();
      info.btfError = undefined;
      break;
    } catch (e) {
      info.btfError = (e as Error).message;
    }
  }
  return info;
}

export class SymbolViews {
  private readonly panels = new Map<string, vscode.WebviewPanel>();
  private readonly probes = new Map<string, SymbolProbe>();

  constructor(
    private readonly agent: HostAgent,
    private readonly hostRef: (id: string) => HostRef,
    private readonly webviewRoot: vscode.Uri,
    /** Undefined where this window cannot start traces: the view then has no probe button. */
    private readonly startTrace?: StartFuncTrace,
    private readonly log?: (message: string) => void,
  ) {}

  /** The live probe of an open view (tests, diagnostics). */
  probeOf(hostId: string, symbol: string): SymbolProbe | undefined {
    return this.probes.get(`${hostId}\u0000${symbol}`);
  }

  /**
   * `kwitness.showKernelSymbol(hostId, symbol, probe?)` or `({ hostId, symbol, probe? })`;
   * resolves to the view's WebviewPanel.
   */
  command(a: unknown, b: unknown, c: unknown): Promise<vscode.WebviewPanel | undefined> | undefined {
    let hostId: unknown = a, symbol: unknown = b, probe: unknown = c;
    if (typeof a === 'object' && a !== null) ({ hostId, symbol, probe } = a as Record<string, unknown>);
    if (typeof hostId !== 'string' || typeof symbol !== 'string' || !isKernelSymbol(symbol)) {
      void vscode.window.showErrorMessage('Kernel Witness: showKernelSymbol needs a host id and a kernel symbol name, e.g. (\'local\', \'vfs_unlink\').');
      return undefined;
    }
    return this.show(hostId, symbol, typeof probe === 'string' ? probe : '');
  }

  async show(hostId: string, symbol: string, probe: string): Promise<vscode.WebviewPanel> {
    const host = this.hostRef(hostId);
    const key = `${hostId}\u0000${symbol}`;
    const styleUri = (wv: vscode.Webview) => wv.asWebviewUri(vscode.Uri.joinPath(this.webviewRoot, 'panel.css')).toString();
    let panel = this.panels.get(key);
    if (panel) {
      panel.reveal();
      return panel;
    }
    // the script runs only the view's probe (counts and a histogram); the lookup is static HTML
    panel = vscode.window.createWebviewPanel(SYMBOL_VIEW_TYPE, `${symbol} — ${host.label}`, vscode.ViewColumn.Beside, {
      enableScripts: true, localResourceRoots: [this.webviewRoot],
    });
    const view = panel;
    this.panels.set(key, view);
    let resolved: string | null = null;
    const start = this.startTrace;
    const live = new SymbolProbe({
      symbol,
      target: () => resolved ?? symbol,
      post: (m) => void view.webview.postMessage(m),
      // the trace's event panel opens over this view: bring the live counts back to the front
      // (without taking the focus), the rows stay one tab away
      start: start && ((func, sink) => start(host, func, sink).finally(() => view.reveal(undefined, true))),
      log: this.log,
    });
    this.probes.set(key, live);
    const sub = view.webview.onDidReceiveMessage((m) => live.onMessage(m));
    view.onDidDispose(() => {
      sub.dispose();
      live.dispose(); // the trace itself runs on in its event panel (Stop is there too)
      this.probes.delete(key);
      this.panels.delete(key);
    });
    const script = (wv: vscode.Webview) => ({ nonce: makeNonce(), scriptUri: wv.asWebviewUri(vscode.Uri.joinPath(this.webviewRoot, 'symbol.js')).toString() });
    view.webview.html = renderSymbolHtml(null, symbol, view.webview.cspSource, styleUri(view.webview), true);
    const info = await lookupSymbol(this.agent, host, symbol, probe);
    resolved = info.resolved;
    if (this.panels.get(key) === view) {
      live.reloaded();
      view.webview.html = renderSymbolHtml(info, symbol, view.webview.cspSource, styleUri(view.webview), false, live.canProbe ? script(view.webview) : undefined);
    }
    return view;
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.dispose();
    this.panels.clear();
  }
}
