// Guard commands on a file or folder (Explorer, editor tab, kwitness:// and Remote-SSH resources):
// Protect From Deletion, Block Writes Here, Set Quota…. Each says exactly what will be refused
// and how to undo it before anything starts, then runs the guard as a watch on the host (it keeps
// guarding when this window closes; Stop in the Hosts view ends it) and opens it in the panel,
// where each refusal is a row, and a notification says who was refused.
import * as vscode from 'vscode';

import { errorMessage } from '../core/errors';
import { describeGuard, formatBytes, guardTitle, parseBytes, type GuardRules } from '../core/guard';
import type { HostManager } from '../core/host/host';
import type { HostRef } from '../core/trace-api';
import { resourceOf } from './watch-commands';
import type { WatchRegistry } from './watches';

export const GUARD_COMMAND_IDS = {
  protectFromDeletion: 'kwitness.protectFromDeletion',
  blockWritesHere: 'kwitness.blockWritesHere',
  setQuota: 'kwitness.setQuota',
} as const;

export interface GuardCommandDeps {
  hosts: HostManager;
  watches: WatchRegistry;
}

/** The choice a caller (a test, another extension) makes instead of the confirmation: `{ confirm: 'Guard' | 'Audit Only', size?: '10G' }`. */
interface Preset {
  confirm?: 'Guard' | 'Audit Only';
  size?: string;
}

export function guardCommandHandlers(deps: GuardCommandDeps): Array<[string, (...args: unknown[]) => unknown]> {
  const resource = (uri: unknown, what: string) => resourceOf(uri, deps.hosts, what);

  const start = async (host: HostRef, rules: GuardRules, preset: Preset | undefined): Promise<string | undefined> => {
    // exactly what will be refused, and how it ends, before anything runs
    const detail = [
      ...describeGuard(rules).map((l) => `• ${l[0].toUpperCase()}${l.slice(1)}.`),
      '',
      `It runs on ${host.label} until you stop it, also when this window closes: Stop it in the Kernel Witness Hosts view (or "kwitness watch stop ID --host ${host.id}").`,
      'Every refusal is reported with the process that tried. "Audit Only" refuses nothing and reports what it would have refused.',
      'Needs BPF LSM or BPF trampolines on the host (Show Host Capabilities); where neither works, it does not start and says why.',
    ].join('\n');
    const choice = preset?.confirm ?? (await vscode.window.showWarningMessage(`Guard ${host.label}?`, { modal: true, detail }, 'Guard', 'Audit Only'));
    if (choice !== 'Guard' && choice !== 'Audit Only') return undefined;
    const g: GuardRules = { ...rules, auditOnly: choice === 'Audit Only' || undefined };
    const name = guardTitle(g);
    const before = new Set((deps.watches.cached(host.id)?.watches ?? []).map((w) => w.id));
    try {
      const id = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Kernel Witness: starting ${name} on ${host.label}` }, () =>
        deps.watches.start(host, { options: { families: [], guard: g }, name }),
      );
      const w = deps.watches.cached(host.id)?.watches.find((x) => x.id === id);
      if (w) await deps.watches.open(host, w);
      void vscode.window.showInformationMessage(`Kernel Witness: ${name} is on for ${host.label}. You are told here whenever it ${g.auditOnly ? 'would refuse' : 'refuses'} something.`);
      return id;
    } catch (e) {
      void vscode.window.showErrorMessage(`Kernel Witness: ${name} did not start on ${host.label}: ${errorMessage(e)}`);
      // a guard that could not start leaves no failed entry behind on the host: its reason is in this message
      const failed = (await deps.watches.refresh(host).catch(() => [])).filter((w) => !before.has(w.id) && w.name === name && w.state === 'failed' && w.events === 0);
      for (const w of failed) await deps.watches.stop(host, w.id).catch(() => undefined);
      return undefined;
    }
  };

  const presetOf = (extra: unknown): Preset | undefined => (typeof extra === 'object' && extra !== null ? (extra as Preset) : undefined);

  return [
    [
      GUARD_COMMAND_IDS.protectFromDeletion,
      async (uri?: unknown, extra?: unknown) => {
        const r = resource(uri, 'Protect From Deletion');
        return r && start(r.host, { denyDelete: [r.path] }, presetOf(extra));
      },
    ],
    [
      GUARD_COMMAND_IDS.blockWritesHere,
      async (uri?: unknown, extra?: unknown) => {
        const r = resource(uri, 'Block Writes Here');
        return r && start(r.host, { denyWrite: [r.path] }, presetOf(extra));
      },
    ],
    [
      GUARD_COMMAND_IDS.setQuota,
      async (uri?: unknown, extra?: unknown) => {
        const r = resource(uri, 'Set Quota');
        if (!r) return undefined;
        const preset = presetOf(extra);
        const size =
          preset?.size ??
          (await vscode.window.showInputBox({
            title: `Quota for ${r.path} on ${r.host.label}`,
            prompt: 'The most its files may hold in all (e.g. 10G, 512M); writes past it fail with "Disk quota exceeded"',
            value: '10G',
            validateInput: (v) => (parseBytes(v) === undefined ? 'a size: a number with K, M, G or T (powers of 1024), or bytes' : undefined),
          }));
        const bytes = size === undefined ? undefined : parseBytes(size);
        if (bytes === undefined) return undefined;
        const t = await start(r.host, { quotas: [{ path: r.path, bytes }] }, preset);
        if (t) void vscode.window.setStatusBarMessage(`Kernel Witness: quota ${formatBytes(bytes)} on ${r.path}`, 5000);
        return t;
      },
    ],
  ];
}
