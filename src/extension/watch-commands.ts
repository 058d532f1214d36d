// Commands that start something, and the watches' own: Start Unlink/Create/Write/Exec Trace (a
// host, then one question: as last time, everything, only under paths, or every step), Start
// Trace… and Start Watch… (a host, then what to record: watch-scope.ts), Watch Who
// Deletes This / Creates Files Here / Changes This from a file or folder of a kwitness://,
// vscode-remote://ssh-remote+HOST or local file:// URI, Open Watch, Stop Watch, Refresh Watches. Each takes a tree node, a URI or nothing (then it asks).
import * as vscode from 'vscode';

import type { Family } from '../core/events';
import { errorMessage } from '../core/errors';
import type { HostManager } from '../core/host/host';
import type { HostRef, TraceOptions } from '../core/trace-api';
import type { WatchSummary } from '../core/watch/watch-client';
import { decodeUriPath } from '../panel/paths';
import type { HostsNode } from './hosts-tree';
import { COMMAND_IDS } from './commands';
import { askQuickScope, askWatchScope, scopeOptions, type WatchScope } from './watch-scope';
import type { WatchRegistry } from './watches';
import { count } from '../core/plural';

export const WATCH_COMMAND_IDS = {
  startWatch: 'kwitness.startWatch',
  watchWhoDeletes: 'kwitness.watchWhoDeletes',
  watchWhoCreates: 'kwitness.watchWhoCreates',
  watchWhoChanges: 'kwitness.watchWhoChanges',
  startTrace: 'kwitness.startTrace',
  openWatch: 'kwitness.openWatch',
  stopWatch: 'kwitness.stopWatch',
  refreshWatches: 'kwitness.refreshWatches',
} as const;

export interface WatchCommandDeps {
  hosts: HostManager;
  watches: WatchRegistry;
  state: vscode.Memento;
  pickHost: (arg: unknown, title: string) => Promise<HostRef | undefined>;
  /** Starts a plain trace into the panel (TraceRegistry.start); its id, or undefined if it failed (shown already). */
  startTrace: (host: HostRef, options: TraceOptions) => Promise<string | undefined>;
}

/** The host and absolute path a resource URI names, or a reason it names none we can watch. */
export function hostPathOf(uri: vscode.Uri, hosts: HostManager): { host: HostRef; path: string } | string {
  if (uri.scheme === 'kwitness') {
    return { host: hosts.ref(uri.authority), path: Buffer.from(decodeUriPath(uri.path)).toString('utf8') };
  }
  if (uri.scheme === 'vscode-remote' && uri.authority.startsWith('ssh-remote+')) {
    const alias = decodeURIComponent(uri.authority.slice('ssh-remote+'.length));
    const known = hosts.list().find((h) => h.id === alias || h.label === alias);
    if (!known) return `the Remote-SSH host "${alias}" is not among the Kernel Witness hosts; add it with "Kernel Witness: Add Host"`;
    return { host: known, path: uri.path };
  }
  if (uri.scheme === 'file') {
    const local = hosts.list().find((h) => h.kind === 'local');
    if (!local) return 'local files can be watched only when VS Code runs on Linux';
    return { host: local, path: uri.fsPath };
  }
  return `a ${uri.scheme}: resource is not a file on a host Kernel Witness can reach`;
}

/**
 * The host and path of a command's resource argument (or the active editor's), or undefined
 * after telling the user why there is none (`what`: the command, for the message).
 */
export function resourceOf(uri: unknown, hosts: HostManager, what: string): { host: HostRef; path: string } | undefined {
  const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
  if (!target) {
    void vscode.window.showErrorMessage(`Kernel Witness: ${what}: pick a file or folder in the Explorer first`);
    return undefined;
  }
  const hp = hostPathOf(target, hosts);
  if (typeof hp === 'string') {
    void vscode.window.showErrorMessage(`Kernel Witness: ${what}: ${hp}`);
    return undefined;
  }
  return hp;
}

export function watchCommandHandlers(deps: WatchCommandDeps): Array<[string, (...args: unknown[]) => unknown]> {
  /** An open dialog over the host's files: file:// on This Machine, kwitness://HOST/ elsewhere. */
  const browse = async (host: HostRef): Promise<string[] | undefined> => {
    const local = host.kind === 'local';
    const uris = await vscode.window.showOpenDialog({
      defaultUri: local ? vscode.Uri.file('/') : vscode.Uri.from({ scheme: 'kwitness', authority: host.id, path: '/' }),
      canSelectFiles: true,
      canSelectFolders: true,
      canSelectMany: true,
      openLabel: 'Add',
      title: `Files or folders on ${host.label} to watch`,
    });
    const paths: string[] = [];
    for (const u of uris ?? []) {
      const hp = hostPathOf(u, deps.hosts);
      if (typeof hp !== 'string' && hp.host.id === host.id) paths.push(hp.path);
    }
    return paths;
  };

  const startWith = async (host: HostRef, scope: WatchScope): Promise<string | undefined> => {
    try {
      const id = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Kernel Witness: starting a watch on ${host.label}` }, () =>
        deps.watches.start(host, { options: scopeOptions(scope), name: scope.name, persistent: scope.persistent || undefined }),
      );
      const lasts = scope.persistent ? 'it keeps running when this window closes and starts again when the host reboots' : 'it keeps running when this window closes';
      void vscode.window.showInformationMessage(`Kernel Witness: watch "${scope.name ?? id}" runs on ${host.label}; ${lasts}. You are told here when it sees something.`);
      return id;
    } catch (e) {
      void vscode.window.showErrorMessage(`Kernel Witness: ${errorMessage(e)}`);
      return undefined;
    }
  };

  /** `extra.name` (other callers, tests) names the watch without asking. */
  const fromResource = (families: Family[], what: string) => async (uri?: unknown, extra?: unknown): Promise<string | undefined> => {
    const hp = resourceOf(uri, deps.hosts, what);
    if (!hp) return undefined;
    const base = hp.path.split('/').pop() || hp.path;
    const given = typeof extra === 'object' && extra !== null && typeof (extra as { name?: unknown }).name === 'string' ? (extra as { name: string }).name : undefined;
    const scope = given !== undefined ? { families, paths: [hp.path], narrowing: {}, persistent: false, name: given } : await askWatchScope(hp.host, deps.state, { families, paths: [hp.path], name: `${what.toLowerCase()}: ${base}` }, 'watch', browse);
    return scope && startWith(hp.host, scope);
  };

  const watchOf = (arg: unknown): { host: HostRef; watch: WatchSummary } | undefined => {
    const n = arg as HostsNode | undefined;
    if (!n || n.type !== 'watch') return undefined;
    const host = deps.hosts.ref(n.hostId);
    const watch = deps.watches.cached(n.hostId)?.watches.find((w) => w.id === n.watchId);
    return watch ? { host, watch } : undefined;
  };

  const pickWatch = async (arg: unknown, title: string): Promise<{ host: HostRef; watch: WatchSummary } | undefined> => {
    const direct = watchOf(arg);
    if (direct) return direct;
    const host = await deps.pickHost(arg, title);
    if (!host) return undefined;
    const all = await deps.watches.refresh(host);
    if (!all.length) {
      void vscode.window.showInformationMessage(`Kernel Witness: no watches on ${host.label}.`);
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      all.map((w) => ({ label: w.name ?? w.id, description: `${w.state} · ${count(w.events, 'event')}`, detail: w.filter, w })),
      { title },
    );
    return pick && { host, watch: pick.w };
  };

  /** A trace into this window's panel, or (the user chose to keep it running) a watch opened in the panel. */
  const startScoped = async (host: HostRef, scope: WatchScope): Promise<string | undefined> => {
    if (!scope.keep) return deps.startTrace(host, scopeOptions(scope));
    const id = await startWith(host, scope);
    const w = id && deps.watches.cached(host.id)?.watches.find((x) => x.id === id);
    if (w) await deps.watches.open(host, w).catch((e) => vscode.window.showErrorMessage(`Kernel Witness: ${errorMessage(e)}`));
    return id;
  };

  /** Start <Family> Trace: a caller that passes options (tests, other extensions) has said what to trace; a person is asked. */
  const quickStart = (family: Family) => async (arg?: unknown, extra?: unknown): Promise<string | undefined> => {
    const host = await deps.pickHost(arg, `Start ${family} trace on…`);
    if (!host) return undefined;
    if (typeof extra === 'object' && extra !== null) return deps.startTrace(host, { ...(extra as Partial<TraceOptions>), families: [family] });
    const scope = await askQuickScope(host, family, deps.state, browse);
    return scope && startScoped(host, scope);
  };

  return [
    [COMMAND_IDS.startUnlinkTrace, quickStart('unlink')],
    [COMMAND_IDS.startCreateTrace, quickStart('create')],
    [COMMAND_IDS.startWriteTrace, quickStart('write')],
    [COMMAND_IDS.startExecTrace, quickStart('exec')],
    [
      WATCH_COMMAND_IDS.startWatch,
      async (arg?: unknown) => {
        const host = await deps.pickHost(arg, 'Start a watch on…');
        const scope = host && (await askWatchScope(host, deps.state, {}, 'watch', browse));
        return host && scope ? startWith(host, scope) : undefined;
      },
    ],
    [
      // the multi-step start: what to record, then either a trace in this window or a watch
      // that keeps running on the host (opened in the panel right away, so it looks the same)
      WATCH_COMMAND_IDS.startTrace,
      async (arg?: unknown) => {
        const host = await deps.pickHost(arg, 'Start a trace on…');
        const scope = host && (await askWatchScope(host, deps.state, {}, 'trace', browse));
        return host && scope ? startScoped(host, scope) : undefined;
      },
    ],
    [WATCH_COMMAND_IDS.watchWhoDeletes, fromResource(['unlink'], 'Who deletes')],
    [WATCH_COMMAND_IDS.watchWhoCreates, fromResource(['create'], 'Who creates')],
    // a change: the name goes away (unlink, rename away or over it), a file is made there, or
    // an existing file is opened for writing; the path is the prefix (a folder: all under it)
    [WATCH_COMMAND_IDS.watchWhoChanges, fromResource(['unlink', 'create', 'write'], 'Who changes')],
    [
      WATCH_COMMAND_IDS.openWatch,
      async (arg?: unknown) => {
        const w = await pickWatch(arg, 'Open which watch?');
        if (w) await deps.watches.open(w.host, w.watch).catch((e) => vscode.window.showErrorMessage(`Kernel Witness: ${errorMessage(e)}`));
        return w?.watch.id;
      },
    ],
    [
      WATCH_COMMAND_IDS.stopWatch,
      async (arg?: unknown) => {
        const w = await pickWatch(arg, 'Stop which watch?');
        if (!w) return undefined;
        const ok = await vscode.window.showWarningMessage(
          `Stop the watch "${w.watch.name ?? w.watch.id}" on ${w.host.label}? Its ${w.watch.events} journaled events are removed from the host.`,
          { modal: true },
          'Stop Watch',
        );
        if (ok !== 'Stop Watch') return undefined;
        await deps.watches.stop(w.host, w.watch.id).catch((e) => vscode.window.showErrorMessage(`Kernel Witness: ${errorMessage(e)}`));
        return w.watch.id;
      },
    ],
    [
      WATCH_COMMAND_IDS.refreshWatches,
      async (arg?: unknown) => {
        const host = await deps.pickHost(arg, 'List the watches of…');
        if (host) await deps.watches.refresh(host).catch((e) => vscode.window.showErrorMessage(`Kernel Witness: ${errorMessage(e)}`));
      },
    ],
  ];
}
