// The Kernel Symbol view (`kwitness.symbol`): one static page per host and symbol with its
// kallsyms address, its BTF prototype and a link to its source, looked up on the traced host.
import * as vscode from 'vscode';

import { isKernelSymbol } from '../core/kernel-symbol';
import type { HostAgent, HostRef } from '../core/trace-api';
import { kallsymsCandidates } from './paths';
import { renderSymbolHtml, type SymbolInfo } from './symbol-html';

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

  constructor(
    private readonly agent: HostAgent,
    private readonly hostRef: (id: string) => HostRef,
    private readonly webviewRoot: vscode.Uri,
  ) {}

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
    panel = vscode.window.createWebviewPanel(SYMBOL_VIEW_TYPE, `${symbol} — ${host.label}`, vscode.ViewColumn.Beside, {
      enableScripts: false, localResourceRoots: [this.webviewRoot],
    });
    this.panels.set(key, panel);
    panel.onDidDispose(() => this.panels.delete(key));
    panel.webview.html = renderSymbolHtml(null, symbol, panel.webview.cspSource, styleUri(panel.webview), true);
    const info = await lookupSymbol(this.agent, host, symbol, probe);
    if (this.panels.get(key) === panel) panel.webview.html = renderSymbolHtml(info, symbol, panel.webview.cspSource, styleUri(panel.webview));
    return panel;
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.dispose();
    this.panels.clear();
  }
}
