// The Hosts tree (view kwitness.hosts): This Machine, ~/.ssh/config aliases and user-added hosts
// with their connection state (spinner while connecting); expanded: kernel, arch, BTF, LSM,
// attach modes (from `kwitness-agent probe`), the host's traces, each with an inline Stop, and
// its watches (traps running on the host without this window; extension/watches.ts).
import { traceWhat } from '../core/guard';
import * as vscode from 'vscode';

import { Disposable } from '../core/lifecycle';
import { errorMessage } from '../core/errors';
import type { HostConnection, HostManager } from '../core/host/host';
import { FAMILIES } from '../core/events';
import { describeGuardCapability, describeIoUring } from '../core/probe-text';
import { describeScope } from '../core/path-scope';
import type { HostRef } from '../core/trace-api';
import type { TraceSession } from '../core/session/trace-session';
import { TraceRegistry, describeState } from './traces';
import type { WatchRegistry } from './watches';
import { count } from '../core/plural';

export type HostsNode =
  | { type: 'host'; host: HostRef; userAdded: boolean }
  | { type: 'info'; hostId: string; key: string; label: string; value: string; icon?: string; tooltip?: string }
  | { type: 'trace'; hostId: string; traceId: string }
  | { type: 'watch'; hostId: string; watchId: string };

export class HostsTreeProvider extends Disposable implements vscode.TreeDataProvider<HostsNode> {
  private readonly _onDidChangeTreeData = this._register(new vscode.EventEmitter<HostsNode | undefined>());
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private readonly probing = new Map<string, Promise<void>>();
  private readonly probeErrors = new Map<string, string>();
  /** Trace nodes are reused so a single row can be refreshed (VS Code matches elements by identity). */
  private readonly traceNodes = new Map<string, Extract<HostsNode, { type: 'trace' }>>();
  private readonly shownCounts = new Map<string, string>();

  constructor(
    private readonly hosts: HostManager,
    private readonly traces: TraceRegistry,
    private readonly userHosts: () => string[],
    private readonly watches?: WatchRegistry,
  ) {
    super();
    if (watches) this._register(watches.onDidChange(() => this.refresh()));
    this._register(hosts.onDidChange(() => this.refresh()));
    this._register(traces.onDidChange(() => this.refresh()));
    // Event and lost counts of running traces change without state changes: refresh those rows.
    const timer = setInterval(() => this.refreshCounts(), 1000);
    timer.unref?.(); // never what keeps a process alive
    this._register({ dispose: () => clearInterval(timer) });
  }

  private refreshCounts(): void {
    for (const s of this.traces.list()) {
      const node = this.traceNodes.get(s.id);
      if (!node) continue;
      const key = `${s.eventCount}/${s.lostTotal}`;
      if (this.shownCounts.get(s.id) !== key) this._onDidChangeTreeData.fire(node);
    }
  }

  refresh(): void {
    this._onDidChangeTreeData.fire(undefined);
  }

  /** Forgets probe results/errors so the next expand probes again. */
  reprobe(): void {
    this.probeErrors.clear();
    this.refresh();
  }

  getChildren(el?: HostsNode): HostsNode[] {
    if (!el) {
      const user = new Set(this.userHosts());
      return this.hosts.list().map((h) => this.node({ type: 'host', host: h, userAdded: user.has(h.id) && h.kind === 'ssh' }));
    }
    if (el.type !== 'host') return [];
    const conn = this.hosts.get(el.host);
    const out: HostsNode[] = [];
    const report = conn.probe;
    const id = el.host.id;
    if (report) {
      const info = (key: string, label: string, value: string, icon?: string, tooltip?: string): void => {
        out.push(this.node({ type: 'info', hostId: id, key, label, value, icon, tooltip }));
      };
      info('kernel', 'Kernel', report.kernel, 'server-environment');
      info('arch', 'Arch', report.arch, 'chip');
      info('btf', 'BTF', report.btf ? 'yes' : 'no', report.btf ? 'pass' : 'warning');
      info('lsm', 'LSM', `${report.lsm.join(', ') || 'none'}${report.lsm_bpf ? ' (bpf LSM on)' : ''}`, 'shield', `lockdown: ${report.lockdown}`);
      const modes = FAMILIES.map((f) => `${f}: ${(report.families[f] ?? []).join('/') || 'none'}`).join(' · ');
      info('attach', 'Attach modes', modes, 'plug');
      if (report.io_uring) {
        const text = describeIoUring(report.io_uring);
        info('io_uring', 'io_uring', text, /not covered/.test(text) ? 'warning' : 'pass', 'the kernel functions through which fentry/kprobe modes see io_uring\'s file operations');
      }
      if (report.guard) {
        const text = describeGuardCapability(report.guard);
        info('guard', 'Guard', text, report.guard.mechanism ? 'shield' : 'circle-slash', 'what Protect From Deletion, Block Writes Here and Set Quota… use on this host');
      }
      if (report.error) info('error', 'Agent', report.error, 'error');
    } else if (this.probeErrors.has(id)) {
      out.push(this.node({ type: 'info', hostId: id, key: 'error', label: 'Error', value: this.probeErrors.get(id)!, icon: 'error', tooltip: this.probeErrors.get(id) }));
    } else {
      out.push(this.node({ type: 'info', hostId: id, key: 'probing', label: 'Probing', value: 'connecting and asking the agent…', icon: 'loading~spin' }));
      this.startProbe(conn);
    }
    for (const s of this.traces.forHost(id)) {
      let t = this.traceNodes.get(s.id);
      if (!t) this.traceNodes.set(s.id, (t = { type: 'trace', hostId: id, traceId: s.id }));
      out.push(t);
    }
    for (const tid of this.traceNodes.keys()) if (!this.traces.get(tid)) this.traceNodes.delete(tid);
    if (this.watches) {
      const listed = this.watches.cached(id);
      if (listed) for (const w of listed.watches) out.push({ type: 'watch', hostId: id, watchId: w.id });
      else if (report) void this.watches.refresh(el.host).catch(() => undefined); // once the host answers probes
      if (listed?.error) out.push(this.node({ type: 'info', hostId: id, key: 'watch-error', label: 'Watches', value: listed.error, icon: 'warning', tooltip: listed.error }));
    }
    return out;
  }

  private startProbe(conn: HostConnection): void {
    const id = conn.ref.id;
    if (this.probing.has(id)) return;
    const p = conn
      .refreshProbe()
      .then(
        () => undefined,
        (e) => {
          this.probeErrors.set(id, errorMessage(e));
        },
      )
      .finally(() => {
        this.probing.delete(id);
        this.refresh();
      });
    this.probing.set(id, p);
  }

  /** Waits for a running probe of `hostId` (tests). */
  async probeDone(hostId: string): Promise<void> {
    await this.probing.get(hostId);
  }

  private node(n: HostsNode): HostsNode {
    return n;
  }

  getTreeItem(n: HostsNode): vscode.TreeItem {
    if (n.type === 'host') return this.hostItem(n);
    if (n.type === 'info') {
      const item = new vscode.TreeItem(n.label, vscode.TreeItemCollapsibleState.None);
      item.id = `info:${n.hostId}:${n.key}`;
      item.description = n.value;
      item.tooltip = n.tooltip ?? `${n.label}: ${n.value}`;
      item.iconPath = n.icon ? new vscode.ThemeIcon(n.icon) : undefined;
      item.contextValue = 'info';
      return item;
    }
    if (n.type === 'watch') return this.watchItem(n);
    const s = this.traces.get(n.traceId);
    const item = new vscode.TreeItem(s ? traceWhat(s.options) : 'trace', vscode.TreeItemCollapsibleState.None);
    item.id = `trace:${n.traceId}`;
    if (s) {
      const st = s.state;
      this.shownCounts.set(s.id, `${s.eventCount}/${s.lostTotal}`);
      item.description = `${shortState(s)} · ${count(s.eventCount, 'event')}${s.lostTotal ? ` · ${s.lostTotal} lost` : ''}`;
      item.tooltip = `${describeState(st)}\nfilters: ${describeScope(s.options)}`;
      item.iconPath = new vscode.ThemeIcon(
        st.kind === 'running' ? 'pulse' : st.kind === 'disconnected' ? 'debug-disconnect' : st.kind === 'failed' ? 'error' : st.kind === 'stopped' ? 'debug-stop' : 'loading~spin',
      );
      item.contextValue = st.kind === 'running' || st.kind === 'connecting' || st.kind === 'deploying' || st.kind === 'starting' ? 'trace-running' : st.kind === 'disconnected' ? 'trace-disconnected' : 'trace-ended';
    }
    return item;
  }

  private watchItem(n: Extract<HostsNode, { type: 'watch' }>): vscode.TreeItem {
    const w = this.watches?.cached(n.hostId)?.watches.find((x) => x.id === n.watchId);
    const item = new vscode.TreeItem(w?.name ?? n.watchId, vscode.TreeItemCollapsibleState.None);
    item.id = `watch:${n.hostId}:${n.watchId}`;
    if (!w) return item;
    const fresh = this.watches!.unseen(n.hostId, w);
    const last = w.last_event ? `last ${w.last_event.slice(0, 19).replace('T', ' ')}` : 'no events yet';
    item.description = `${w.status.families.includes('guard') ? 'guard' : 'watch'}${w.status.persistent ? ' (after reboot too)' : ''} · ${w.state} · ${count(w.events, 'event')}${w.lost ? ` · ${w.lost} lost` : ''}${fresh ? ` · ${fresh} new` : ''} · ${last}`;
    item.tooltip = [
      `${w.name ?? w.id} (${w.id}): ${w.filter}`,
      `${w.state}${w.pid ? ` (agent pid ${w.pid})` : ''} since ${w.started}`,
      w.status.unit ? `runs as the systemd unit ${w.status.unit}${w.status.persistent ? ', started again at every boot' : ' (until stopped or the host reboots)'}` : 'runs as a detached daemon (until stopped or the host reboots)',
      `${count(w.events, 'event')}, ${w.lost} lost, ${count(w.status.gaps, 'gap')}, ${w.status.dropped_cap + w.status.dropped_space} dropped by the journal's limits`,
      ...(w.status.untracked ? [`${w.status.untracked} calls never seen: more were in flight at once than the agent's table holds (--pending-max)`] : []),
      ...(w.status.error ? [`error: ${w.status.error}`] : []),
      ...(w.status.note ? [w.status.note] : []),
    ].join('\n');
    // a guard refuses calls: it looks like a shield, not an eye
    const guard = w.status.families.includes('guard');
    item.iconPath = new vscode.ThemeIcon(w.state === 'running' ? (fresh ? 'bell-dot' : guard ? 'shield' : 'eye') : w.state === 'failed' ? 'error' : guard ? 'debug-stop' : 'eye-closed');
    item.contextValue = w.state === 'running' || w.state === 'starting' ? 'watch-running' : 'watch-ended';
    item.command = { command: 'kwitness.openWatch', title: 'Open Watch', arguments: [n] };
    return item;
  }

  private hostItem(n: Extract<HostsNode, { type: 'host' }>): vscode.TreeItem {
    const conn = this.hosts.existing(n.host.id);
    const st = conn?.state ?? { kind: 'idle' as const };
    const item = new vscode.TreeItem(n.host.label, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `host:${n.host.id}`;
    const baseIcon = n.host.kind === 'local' ? 'device-desktop' : 'remote';
    switch (st.kind) {
      case 'connecting':
        item.iconPath = new vscode.ThemeIcon('loading~spin');
        item.description = `${st.step}…`;
        break;
      case 'connected':
        item.iconPath = new vscode.ThemeIcon(baseIcon, new vscode.ThemeColor('testing.iconPassed'));
        item.description = `${st.platform.arch} · ${st.privilege}`;
        break;
      case 'failed':
        item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
        item.description = st.message;
        break;
      default:
        item.iconPath = new vscode.ThemeIcon(baseIcon);
        item.description = st.lastError ?? (n.host.kind === 'local' ? 'local' : undefined);
    }
    const running = this.traces.forHost(n.host.id).filter((s) => s.state.kind === 'running').length;
    if (running) item.description = `${item.description ?? ''} · ${running} trace${running > 1 ? 's' : ''}`.replace(/^ · /, '');
    item.tooltip = `${n.host.label} (${n.host.kind === 'local' ? 'this machine' : n.userAdded ? 'added in settings' : '~/.ssh/config'})${st.kind === 'failed' ? `\n${st.message}` : ''}`;
    item.contextValue = n.host.kind === 'local' ? 'host-local' : n.userAdded ? 'host-user' : 'host-ssh';
    return item;
  }
}

function shortState(s: TraceSession): string {
  const st = s.state;
  return st.kind === 'running' ? 'running' : st.kind;
}

