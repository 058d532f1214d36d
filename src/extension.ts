// Kernel Witness: the composition root. activate() builds every service once and registers each
// through one helper that pushes it to context.subscriptions, so teardown is structural.
import * as path from 'path';
import * as vscode from 'vscode';

import { HostManager } from './core/host/host';
import type { HostPrompts } from './core/host/host';
import type { TraceSession } from './core/session/trace-session';
import type { HostRef, TraceHandle, TraceOptions } from './core/trace-api';
import { PanelManager } from './panel/index';
import { commandHandlers } from './extension/commands';
import { HostsTreeProvider } from './extension/hosts-tree';
import { VsCodePrompts } from './extension/prompts';
import { TraceRegistry } from './extension/traces';
import { WatchRegistry } from './extension/watches';
import { pickHost } from './extension/commands';
import { watchCommandHandlers } from './extension/watch-commands';
import { guardCommandHandlers } from './extension/guard-commands';
import { PROBE_FUNCTION_COMMAND, probeFunctionHandler } from './extension/probe-function';
import { affectsTrustedSettings, readTrustedSettings } from './extension/trusted-settings';

/**
 * What activate() returns in the extension-host tests only. It hands out root on every host
 * (runAsRoot, startTrace) and lets its caller answer host-key and password questions, so no
 * other extension may get it: outside ExtensionMode.Test activate() returns undefined.
 */
export interface KernelWitnessApi {
  readonly hosts: HostManager;
  readonly tree: HostsTreeProvider;
  readonly watches: WatchRegistry;
  listHosts(): HostRef[];
  sessions(): readonly TraceSession[];
  /** Starts a trace without UI prompts for the host (errors are thrown, not shown). */
  startTrace(hostId: string, options: TraceOptions): Promise<TraceHandle>;
  stopTrace(id: string): Promise<void>;
  /** Answers host-key / passphrase / password questions instead of the user (tests); undefined restores the UI. */
  setPrompts(p: Partial<HostPrompts> | undefined): void;
}

let leaveAll: (() => Promise<void>) | undefined;

export function activate(context: vscode.ExtensionContext): KernelWitnessApi | undefined {
  const register = <T extends vscode.Disposable | { dispose(): unknown }>(d: T): T => {
    context.subscriptions.push(d);
    return d;
  };

  const log = register(vscode.window.createOutputChannel('Kernel Witness', { log: true }));
  const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('kwitness');
  const prompts = new VsCodePrompts();
  // hosts, ssh config, known_hosts, sudo password lifetime: the user's values only (never a
  // workspace's), re-read whenever they change
  let trusted = readTrustedSettings(config());

  const hosts = register(
    new HostManager({
      sshConfigFile: trusted.sshConfigFile,
      knownHostsFile: trusted.knownHostsFile,
      agentDir: path.join(context.extensionPath, 'dist', 'agent'),
      prompts,
      log: (l) => log.info(l),
      sshDebug: () => config().get<boolean>('sshDebug', false),
      userHosts: () => trusted.hosts,
      sudoPasswordIdleMs: () => trusted.sudoPasswordIdleMinutes * 60_000,
      includeLocal: process.platform === 'linux',
      timeoutMs: Math.max(1, config().get<number>('connectTimeoutSeconds', 20)) * 1000,
      maxFileReadMB: () => config().get<number>('maxFileReadMB'),
    }),
  );
  const traces = register(new TraceRegistry(hosts, log, context.workspaceState));
  const panels = register(
    new PanelManager(context, {
      files: hosts,
      agent: hosts,
      log: { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error(m) },
      startTrace: (host, options) => traces.start(host, options),
    }),
  );
  traces.viewer = panels;
  // traces an earlier window (a reload, a closed tab) left running come back into their panels
  traces.reattachLeftRunning();
  const watches = register(new WatchRegistry(hosts, context.globalState, log, () => config().get<number>('watchPollSeconds', 30)));
  watches.viewer = panels;
  const tree = register(new HostsTreeProvider(hosts, traces, () => trusted.hosts, watches));
  register(vscode.window.createTreeView('kwitness.hosts', { treeDataProvider: tree, showCollapseAll: true }));
  for (const [id, handler] of commandHandlers({ hosts, traces, tree, log })) register(vscode.commands.registerCommand(id, handler));
  const watchDeps = {
    hosts,
    watches,
    state: context.globalState,
    pickHost: (arg: unknown, title: string) => pickHost({ hosts }, arg, title),
    startTrace: (host: HostRef, options: TraceOptions) => traces.start(host, options).then((s) => s.id, () => undefined),
  };
  for (const [id, handler] of watchCommandHandlers(watchDeps)) register(vscode.commands.registerCommand(id, handler));
  for (const [id, handler] of guardCommandHandlers({ hosts, watches })) register(vscode.commands.registerCommand(id, handler));
  register(vscode.commands.registerCommand(PROBE_FUNCTION_COMMAND, probeFunctionHandler({ hosts, pickHost: watchDeps.pickHost, startTrace: watchDeps.startTrace, log })));
  register(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!affectsTrustedSettings(e)) return;
      const before = trusted;
      trusted = readTrustedSettings(config());
      if (trusted.sshConfigFile !== before.sshConfigFile || trusted.knownHostsFile !== before.knownHostsFile) {
        log.info(`settings changed: ssh config ${trusted.sshConfigFile}, known_hosts ${trusted.knownHostsFile ?? 'from the ssh config'} (used from the next connection on)`);
      }
      hosts.reconfigure({ sshConfigFile: trusted.sshConfigFile, knownHostsFile: trusted.knownHostsFile }); // refreshes the tree
    }),
  );
  leaveAll = () => traces.leaveAll();
  log.info(`activated (ssh config ${hosts.env.sshConfigFile}, known_hosts ${hosts.env.knownHostsFile ?? 'from the ssh config (UserKnownHostsFile) or ~/.ssh/known_hosts'})`);

  if (context.extensionMode !== vscode.ExtensionMode.Test) return undefined;
  return {
    hosts,
    tree,
    watches,
    listHosts: () => hosts.list(),
    sessions: () => traces.list(),
    startTrace: (hostId, options) => traces.start(hosts.ref(hostId), options, { silent: true }),
    stopTrace: (id) => traces.stop(id),
    setPrompts: (p) => (prompts.override = p),
  };
}

/**
 * Window close / reload / uninstall: traces are left running on their hosts for
 * kwitness.trace.keepRunningSeconds (the next window of this workspace attaches to them again);
 * with 0 every agent is ended (stdin EOF + signal) before the host exits.
 */
export async function deactivate(): Promise<void> {
  await leaveAll?.();
  leaveAll = undefined;
}
