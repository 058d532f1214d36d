// What a watch or a trace records, asked step by step: families, paths (prefixes or patterns),
// then optional narrowing (comm, pid, uid, container/cgroup, failed only), whether to capture the
// call's stacks, and how long it lasts
// (a trace may keep running on the host after this window: then it is a watch; a watch may come
// back after a reboot), then a name for a watch. Every answer defaults to the last one given for the same host (kept in the workspace
// state), so setting the same trap again is Enter, Enter, Enter. All of it runs in the kernel
// or the agent on the target (src/core/session/trace-session.ts agentTraceArgs).
import * as vscode from 'vscode';

import type { Family } from '../core/events';
import { FAMILIES } from '../core/events';
import { checkPaths, describeScope, parsePathList, pathFilters } from '../core/path-scope';
import type { HostRef, TraceOptions } from '../core/trace-api';

const LAST_KEY = 'kwitness.lastWatchScope';
/** Per host, which row of the quick Start commands' question was chosen last (it comes first). */
const QUICK_KEY = 'kwitness.lastQuickScope';

/** The optional step's answers that become trace options (stacks is no narrowing, but is asked there too). */
type Narrowing = Pick<TraceOptions, 'comm' | 'pid' | 'uid' | 'cgroup' | 'failedOnly' | 'stacks'>;

export interface WatchScope {
  families: Family[];
  paths: string[];
  narrowing: Narrowing;
  /** An enabled systemd unit on the target: the watch starts again after a reboot. */
  persistent: boolean;
  /** (Start Trace…) keep it running on the host without this window: a watch. Implied by persistent. */
  keep?: boolean;
  name?: string;
}

type Remembered = Omit<WatchScope, 'name'>;

/** A watch always runs without the window; a trace only when the user picks that. */
export type ScopeFor = 'watch' | 'trace';

const FAMILY_HELP: Record<Family, string> = {
  unlink: 'deletions, rmdir, rename over a file',
  create: 'new files, directories, links',
  write: 'existing files opened for writing, truncated',
  exec: 'programs run',
};

/** One optional narrowing step: its quick-pick row and, for a value, how to ask and check it. */
interface Step {
  key: keyof Narrowing | 'persistent' | 'keep';
  label: string;
  detail: string;
  ask?: { prompt: string; placeHolder: string; check: (v: string) => string | undefined };
}

const isUint = (max: number) => (v: string) => (/^\d+$/.test(v.trim()) && Number(v) <= max ? undefined : `a whole number 0..${max}`);

const STEPS: Step[] = [
  { key: 'comm', label: 'Only a process name (comm)…', detail: 'the kernel compares the first 15 bytes, e.g. kubelet', ask: { prompt: 'process name', placeHolder: 'kubelet', check: (v) => (v.trim() ? undefined : 'a process name') } },
  { key: 'pid', label: 'Only one process (pid)…', detail: 'its threads included', ask: { prompt: 'process id', placeHolder: '2211', check: isUint(2 ** 31 - 1) } },
  { key: 'uid', label: 'Only one user (uid)…', detail: 'the real uid of the process', ask: { prompt: 'user id', placeHolder: '1000', check: isUint(0xfffffffe) } },
  { key: 'cgroup', label: 'Only one container or service (cgroup)…', detail: 'a cgroup v2 path: the container, pod or systemd unit and everything under it', ask: { prompt: 'cgroup path', placeHolder: '/sys/fs/cgroup/system.slice/docker-….scope', check: (v) => (v.trim().startsWith('/') ? undefined : 'an absolute cgroup path') } },
  { key: 'failedOnly', label: 'Only failed attempts', detail: 'e.g. a delete that was refused' },
  { key: 'stacks', label: 'Capture stacks (kernel + user)', detail: "each event carries the call's kernel and user stack, named on the host: why it happened, not just who (costs a stack walk per event)" },
  { key: 'keep', label: 'Keep running on the host after I disconnect', detail: 'a watch: it journals on the host; reopen it from the Hosts view' },
  { key: 'persistent', label: 'Keep it after a reboot', detail: 'an enabled systemd unit on the host (hosts with systemd only)' },
];

/** Lets the user pick files or folders on the host (an open dialog over its files); their absolute paths. */
export type BrowseHost = (host: HostRef) => Promise<string[] | undefined>;

/**
 * The paths step: an input box whose folder button opens a picker over the host's files; what
 * is picked is added to what was typed, in a fresh box (a box shown again after another quick
 * input took its place lost the first Enter). undefined = cancelled.
 */
async function askPaths(title: string, value: string, browse?: () => Promise<string[] | undefined>): Promise<string[] | undefined> {
  for (;;) {
    const r = await pathsBox(title, value, browse !== undefined);
    if (!r || r.kind === 'accept') return r?.paths;
    const typed = parsePathList(r.value);
    const picked = (await browse!().catch(() => undefined)) ?? [];
    value = [...typed, ...picked.filter((p) => !typed.includes(p))].join(', ');
  }
}

type PathsAnswer = { kind: 'accept'; paths: string[] } | { kind: 'browse'; value: string };

function pathsBox(title: string, value: string, withBrowse: boolean): Promise<PathsAnswer | undefined> {
  const box = vscode.window.createInputBox();
  box.title = title;
  box.value = value;
  box.placeholder = '/var/lib/kubelet/pods/*/volumes/*/*/disk.img, /tmp';
  box.ignoreFocusOut = true;
  const pick: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('folder-opened'), tooltip: 'Pick files or folders on the host' };
  if (withBrowse) box.buttons = [pick];
  const check = (): string | undefined => (box.validationMessage = checkPaths(parsePathList(box.value)));
  check();
  return new Promise((resolve) => {
    let done = false;
    const finish = (v: PathsAnswer | undefined): void => {
      if (done) return;
      done = true;
      resolve(v);
      box.dispose();
    };
    box.onDidChangeValue(check);
    box.onDidAccept(() => {
      if (!check()) finish({ kind: 'accept', paths: parsePathList(box.value) });
    });
    box.onDidTriggerButton(() => finish({ kind: 'browse', value: box.value }));
    box.onDidHide(() => finish(undefined));
    box.show();
  });
}

function remembered(state: vscode.Memento): Record<string, Remembered> {
  return state.get<Record<string, Remembered>>(LAST_KEY) ?? {};
}

/** Asks what a watch (or trace) on `host` records; `preset` answers fixed by the caller are not asked. undefined = cancelled. */
export async function askWatchScope(
  host: HostRef,
  state: vscode.Memento,
  preset: Partial<WatchScope> = {},
  kind: ScopeFor = 'watch',
  browse?: BrowseHost,
): Promise<WatchScope | undefined> {
  const last = remembered(state)[host.id];
  const title = (step: string): string => `${kind === 'watch' ? 'Watch' : 'Trace'} on ${host.label}: ${step}`;

  let families = preset.families;
  if (!families) {
    const chosen = new Set<Family>(last?.families ?? ['unlink']);
    const picks = await vscode.window.showQuickPick(
      FAMILIES.map((f) => ({ label: f, picked: chosen.has(f), description: FAMILY_HELP[f] })),
      { title: title('what to record'), canPickMany: true, ignoreFocusOut: true },
    );
    if (!picks?.length) return undefined;
    families = picks.map((p) => p.label as Family);
  }

  let paths = preset.paths;
  if (!paths) {
    paths = await askPaths(title('under which paths? (comma-separated, * ? [..] patterns allowed; empty = the whole host)'), (last?.paths ?? []).join(', '), browse && (() => browse(host)));
    if (!paths) return undefined;
  }

  const before: Remembered = last ?? { families, paths, narrowing: {}, persistent: false };
  const wasOn = (k: Step['key']): boolean =>
    k === 'persistent' ? before.persistent : k === 'keep' ? before.keep === true : before.narrowing?.[k] !== undefined && before.narrowing?.[k] !== false;
  const picked = await vscode.window.showQuickPick(
    STEPS.filter((s) => s.key !== 'keep' || kind === 'trace').map((s) => ({ label: s.label, detail: s.detail, picked: wasOn(s.key), step: s })),
    { title: title('narrow it down, or capture stacks (optional; Enter with nothing picked records everything)'), canPickMany: true, ignoreFocusOut: true },
  );
  if (!picked) return undefined;
  const narrowing: Narrowing = {};
  let persistent = false;
  let keep = kind === 'watch';
  for (const { step } of picked) {
    if (step.key === 'persistent') persistent = keep = true;
    else if (step.key === 'keep') keep = true;
    else if (step.key === 'failedOnly') narrowing.failedOnly = true;
    else if (step.key === 'stacks') narrowing.stacks = { kernel: true, user: true };
    else if (step.ask) {
      const prev = before.narrowing?.[step.key];
      const v = await vscode.window.showInputBox({
        title: title(step.ask.prompt),
        value: prev === undefined ? '' : String(prev),
        placeHolder: step.ask.placeHolder,
        ignoreFocusOut: true,
        validateInput: step.ask.check,
      });
      if (v === undefined) return undefined;
      if (step.key === 'pid' || step.key === 'uid') narrowing[step.key] = Number(v.trim());
      else narrowing[step.key] = v.trim();
    }
  }

  // a name helps find a watch again later; a trace lives in this window's panel
  const name = keep ? await vscode.window.showInputBox({ title: title('a name for the watch (optional)'), value: preset.name ?? '', ignoreFocusOut: true }) : '';
  if (name === undefined) return undefined;
  const scope: WatchScope = { families, paths, narrowing, persistent, keep, name: name || undefined };
  const keepAsked = kind === 'trace' ? keep : before.keep;
  void state.update(LAST_KEY, { ...remembered(state), [host.id]: { families, paths, narrowing, persistent, keep: keepAsked } satisfies Remembered });
  return scope;
}

/** The trace options a scope stands for (what the agent's watch runs). */
export function scopeOptions(scope: Pick<WatchScope, 'families' | 'paths' | 'narrowing'>): TraceOptions {
  return { families: scope.families, ...pathFilters(scope.paths), ...scope.narrowing };
}

type QuickChoice = 'last' | 'everything' | 'paths' | 'more';

/**
 * The question of the one-family Start commands (Start Unlink Trace, …): one quick pick whose
 * rows are "as last time" (the host's remembered paths and narrowing), "everything on the host",
 * "only under paths…" (the paths box, with its folder button) and "choose the scope…" (every
 * step of askWatchScope, the family fixed). The row chosen last for the host comes first, so the
 * usual start stays one Enter. undefined = cancelled.
 */
export async function askQuickScope(host: HostRef, family: Family, state: vscode.Memento, browse?: BrowseHost): Promise<WatchScope | undefined> {
  const last = remembered(state)[host.id];
  const lastText = last ? describeScope(scopeOptions(last)) : 'none';
  const rows: Array<vscode.QuickPickItem & { choice: QuickChoice }> = [];
  if (lastText !== 'none') rows.push({ label: '$(history) As last time', description: lastText, choice: 'last' });
  rows.push({ label: `$(globe) Everything on ${host.label}`, description: 'every process, every path', choice: 'everything' });
  rows.push({ label: '$(folder) Only under paths…', description: 'folders, files or * ? [..] patterns; checked in the kernel', choice: 'paths' });
  rows.push({ label: '$(filter) Choose the scope…', description: 'paths, process, user, container, failed only, stacks, keep running on the host', choice: 'more' });
  const before = state.get<Record<string, QuickChoice>>(QUICK_KEY)?.[host.id];
  const choice = await pickRow(`Trace ${family} on ${host.label}: what to record?`, rows, rows.find((r) => r.choice === before));
  if (!choice) return undefined;
  void state.update(QUICK_KEY, { ...state.get<Record<string, QuickChoice>>(QUICK_KEY), [host.id]: choice });
  const families = [family];
  const bare: WatchScope = { families, paths: [], narrowing: {}, persistent: false, keep: false };
  switch (choice) {
    case 'everything':
      return bare;
    case 'last':
      // the remembered paths and narrowing, for this command's family; a trace in this window
      return { ...bare, paths: last!.paths, narrowing: last!.narrowing ?? {} };
    case 'paths': {
      const paths = await askPaths(`Trace ${family} on ${host.label}: under which paths? (comma-separated, * ? [..] patterns allowed)`, (last?.paths ?? []).join(', '), browse && (() => browse(host)));
      if (!paths) return undefined;
      void state.update(LAST_KEY, { ...remembered(state), [host.id]: { families: last?.families ?? families, paths, narrowing: {}, persistent: false, keep: last?.keep } satisfies Remembered });
      return { ...bare, paths };
    }
    case 'more':
      return askWatchScope(host, state, { families }, 'trace', browse);
    default:
      return undefined;
  }
}

/** A single-choice quick pick that starts on `active` (showQuickPick always starts on the first row). */
function pickRow<T extends vscode.QuickPickItem & { choice: C }, C>(title: string, rows: T[], active: T | undefined): Promise<C | undefined> {
  const qp = vscode.window.createQuickPick<T>();
  qp.title = title;
  qp.items = rows;
  if (active) qp.activeItems = [active];
  qp.ignoreFocusOut = true;
  return new Promise((resolve) => {
    let done = false;
    const finish = (v: C | undefined): void => {
      if (done) return;
      done = true;
      resolve(v);
      qp.dispose();
    };
    qp.onDidAccept(() => finish(qp.selectedItems[0]?.choice ?? qp.activeItems[0]?.choice));
    qp.onDidHide(() => finish(undefined));
    qp.show();
  });
}
