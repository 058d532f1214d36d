// Command handlers. Each accepts a tree node, a host id / trace id string, or nothing (then it
// asks with a QuickPick), so the same command works from the palette, the tree and tests.
import { traceWhat } from '../core/guard';
import * as vscode from 'vscode';

import { KwError, errorMessage } from '../core/errors';
import { parseHostSpec } from '../core/ssh/config';
import type { HostManager } from '../core/host/host';
import type { HostRef } from '../core/trace-api';
import type { HostsNode, HostsTreeProvider } from './hosts-tree';
import { TraceRegistry, describeState } from './traces';
import { readTrustedSettings } from './trusted-settings';
import { count } from '../core/plural';

export const COMMAND_IDS = {
  startUnlinkTrace: 'kwitness.startUnlinkTrace',
  startCreateTrace: 'kwitness.startCreateTrace',
  startWriteTrace: 'kwitness.startWriteTrace',
  startExecTrace: 'kwitness.startExecTrace',
  stopTrace: 'kwitness.stopTrace',
  resumeTrace: 'kwitness.resumeTrace',
  addHost: 'kwitness.addHost',
  removeHost: 'kwitness.removeHost',
  refreshHosts: 'kwitness.refreshHosts',
  showHostCapabilities: 'kwitness.showHostCapabilities',
} as const;

export interface CommandDeps {
  hosts: HostManager;
  traces: TraceRegistry;
  tree: HostsTreeProvider;
  log: vscode.LogOutputChannel;
}

function isNode(x: unknown): x is HostsNode {
  return typeof x === 'object' && x !== null && 'type' in x && typeof (x as { type: unknown }).type === 'string';
}

/** Resolves a host argument (node, id, HostRef) or asks. undefined = the user cancelled. */
export async function pickHost(deps: Pick<CommandDeps, 'hosts'>, arg: unknown, title: string): Promise<HostRef | undefined> {
  if (isNode(arg)) {
    if (arg.type === 'host') return arg.host;
    return deps.hosts.ref(arg.hostId);
  }
  if (typeof arg === 'string' && arg) return deps.hosts.ref(arg);
  if (typeof arg === 'object' && arg !== null && typeof (arg as HostRef).id === 'string') return deps.hosts.ref((arg as HostRef).id);
  const items = deps.hosts.list().map((h) => {
    const st = deps.hosts.existing(h.id)?.state;
    return { label: h.label, description: h.kind === 'local' ? 'this machine' : h.id !== h.label ? h.id : undefined, detail: st?.kind === 'connected' ? `connected · ${st.privilege}` : undefined, host: h };
  });
  if (!items.length) {
    void vscode.window.showInformationMessage('Kernel Witness: no hosts yet. Add one with "Kernel Witness: Add Host" or in ~/.ssh/config.');
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(items, { title, placeHolder: 'Pick a host', ignoreFocusOut: true });
  return pick?.host;
}

async function pickTrace(deps: CommandDeps, arg: unknown, filter: (kind: string) => boolean, title: string): Promise<string | undefined> {
  if (isNode(arg) && arg.type === 'trace') return arg.traceId;
  if (typeof arg === 'string' && deps.traces.get(arg)) return arg;
  if (typeof arg === 'object' && arg !== null && typeof (arg as { id?: unknown }).id === 'string' && deps.traces.get((arg as { id: string }).id)) return (arg as { id: string }).id;
  const items = deps.traces
    .list()
    .filter((s) => filter(s.state.kind))
    .map((s) => ({ label: `${traceWhat(s.options)} on ${s.host.label}`, description: describeState(s.state), detail: count(s.eventCount, 'event'), id: s.id }));
  if (!items.length) {
    void vscode.window.showInformationMessage('Kernel Witness: no matching trace.');
    return undefined;
  }
  if (items.length === 1) return items[0].id;
  return (await vscode.window.showQuickPick(items, { title }))?.id;
}

/** The user's own kwitness.hosts (a workspace's value never counts: see trusted-settings.ts). */
function userHosts(): string[] {
  return readTrustedSettings(vscode.workspace.getConfiguration('kwitness')).hosts;
}

/** Returns [id, handler] pairs; the composition root registers them. (The Start commands live in
 * watch-commands.ts, beside the scope questions.) */
export function commandHandlers(deps: CommandDeps): Array<[string, (...args: unknown[]) => unknown]> {
  return [
    [
      COMMAND_IDS.stopTrace,
      async (arg?: unknown) => {
        const id = await pickTrace(deps, arg, (k) => k !== 'stopped' && k !== 'failed', 'Stop which trace?');
        if (id) await deps.traces.stop(id);
        return id;
      },
    ],
    [
      COMMAND_IDS.resumeTrace,
      async (arg?: unknown) => {
        const id = await pickTrace(deps, arg, (k) => k === 'disconnected' || k === 'failed', 'Resume which trace?');
        if (id) await deps.traces.resume(id).catch(() => undefined);
        return id;
      },
    ],
    [
      COMMAND_IDS.addHost,
      async (arg?: unknown) => {
        let spec = typeof arg === 'string' ? arg : undefined;
        spec ??= await vscode.window.showInputBox({
          title: 'Kernel Witness: Add Host',
          prompt: 'user@host[:port], or a Host alias from ~/.ssh/config',
          placeHolder: 'root@192.0.2.10',
          ignoreFocusOut: true,
          validateInput: (v) => {
            try {
              parseHostSpec(v);
              return undefined;
            } catch (e) {
              return errorMessage(e);
            }
          },
        });
        if (!spec) return undefined;
        spec = spec.trim();
        try {
          parseHostSpec(spec);
        } catch (e) {
          void vscode.window.showErrorMessage(`Kernel Witness: ${errorMessage(e)}`);
          return undefined;
        }
        if (deps.hosts.list().some((h) => h.id === spec)) {
          void vscode.window.showInformationMessage(`Kernel Witness: ${spec} is already in the list.`);
          return spec;
        }
        await vscode.workspace.getConfiguration('kwitness').update('hosts', [...userHosts(), spec], vscode.ConfigurationTarget.Global);
        deps.log.info(`added host ${spec}`);
        deps.hosts.refresh();
        return spec;
      },
    ],
    [
      COMMAND_IDS.removeHost,
      async (arg?: unknown) => {
        let id: string | undefined;
        if (isNode(arg) && arg.type === 'host') id = arg.host.id;
        else if (typeof arg === 'string') id = arg;
        else {
          const list = userHosts();
          if (!list.length) {
            void vscode.window.showInformationMessage('Kernel Witness: no hosts were added in settings (hosts from ~/.ssh/config are edited there).');
            return undefined;
          }
          id = await vscode.window.showQuickPick(list, { title: 'Remove which host?' });
        }
        if (!id) return undefined;
        const list = userHosts();
        if (!list.includes(id)) {
          void vscode.window.showErrorMessage(`Kernel Witness: ${id} was not added in settings${id === 'local' ? '' : '; hosts from ~/.ssh/config are removed by editing that file'}.`);
          return undefined;
        }
        for (const s of deps.traces.forHost(id)) await deps.traces.stop(s.id);
        await vscode.workspace.getConfiguration('kwitness').update('hosts', list.filter((h) => h !== id), vscode.ConfigurationTarget.Global);
        deps.hosts.drop(id);
        deps.log.info(`removed host ${id}`);
        return id;
      },
    ],
    [
      COMMAND_IDS.refreshHosts,
      () => {
        // Ended traces leave the tree; failed or idle connections without traces are forgotten so
        // the next expand connects and probes again.
        for (const s of deps.traces.list()) if (s.state.kind === 'stopped' || s.state.kind === 'failed') deps.traces.forget(s.id);
        for (const h of deps.hosts.list()) {
          const c = deps.hosts.existing(h.id);
          if (c && c.state.kind !== 'connected' && c.state.kind !== 'connecting' && !deps.traces.forHost(h.id).length) deps.hosts.drop(h.id);
        }
        deps.tree.reprobe();
        deps.hosts.refresh();
      },
    ],
    [
      COMMAND_IDS.showHostCapabilities,
      async (arg?: unknown) => {
        const host = await pickHost(deps, arg, 'Show capabilities of…');
        if (!host) return undefined;
        try {
          const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Kernel Witness: probing ${host.label}` }, () => deps.hosts.probe(host));
          const doc = await vscode.workspace.openTextDocument({ language: 'json', content: JSON.stringify({ host: host.label, ...report }, null, 2) + '\n' });
          await vscode.window.showTextDocument(doc, { preview: true });
          deps.tree.refresh();
          return report;
        } catch (e) {
          const msg = errorMessage(e);
          deps.log.error(`${host.label}: ${msg}`);
          void vscode.window.showErrorMessage(`Kernel Witness: ${msg}`);
          if (e instanceof KwError) return undefined;
          throw e;
        }
      },
    ],
  ];
}
