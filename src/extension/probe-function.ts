// Kernel Witness: Probe Kernel Function… — a host (the tree's, or asked), the host's kernel
// functions (`kwitness-agent funcs`, listed once per host and installed agent) in a QuickPick
// (module, prototype; those the kernel cannot probe shown but refused with the reason; a renamed
// one probes its new name), several at once, then an optional --where condition, then a trace of
// those functions in the event panel ("Calls of vfs_unlink — HOST").
import * as vscode from 'vscode';

import { MAX_FUNCS, checkWhere, splitWhereLine } from '../core/calls';
import { errorMessage } from '../core/errors';
import type { HostManager } from '../core/host/host';
import { chooseFunctions, functionPickText, type KernelFunction } from '../core/kernel-funcs';
import type { HostRef, TraceOptions } from '../core/trace-api';

export const PROBE_FUNCTION_COMMAND = 'kwitness.probeKernelFunction';

export interface ProbeFunctionDeps {
  hosts: Pick<HostManager, 'funcs'>;
  pickHost(arg: unknown, title: string): Promise<HostRef | undefined>;
  /** Starts a trace into the panel (errors shown there); its id, or undefined. */
  startTrace(host: HostRef, options: TraceOptions): Promise<string | undefined>;
  log: vscode.LogOutputChannel;
}

interface FunctionItem extends vscode.QuickPickItem {
  f: KernelFunction;
}

/**
 * `kwitness.probeKernelFunction(hostOrNode?, { funcs, where }?)`: with functions given (tests,
 * other extensions) it starts at once; else it asks. Resolves to the trace id, or undefined.
 */
export function probeFunctionHandler(deps: ProbeFunctionDeps): (arg?: unknown, extra?: unknown) => Promise<string | undefined> {
  return async (arg, extra) => {
    const host = await deps.pickHost(arg, 'Probe a kernel function on…');
    if (!host) return undefined;
    if (typeof extra === 'object' && extra !== null && Array.isArray((extra as { funcs?: unknown }).funcs)) {
      const e = extra as { funcs: string[]; where?: string[] };
      return deps.startTrace(host, { families: [], funcs: e.funcs, ...(e.where?.length ? { where: e.where } : {}) });
    }
    let all: KernelFunction[];
    try {
      all = (await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Kernel Witness: listing the kernel functions of ${host.label}` },
        () => deps.hosts.funcs(host),
      )).functions;
    } catch (e) {
      deps.log.error(`${host.label}: kwitness-agent funcs: ${errorMessage(e)}`);
      void vscode.window.showErrorMessage(`Kernel Witness: ${errorMessage(e)}`);
      return undefined;
    }
    const funcs = await pickFunctions(host, all);
    if (!funcs) return undefined;
    const whereLine = await vscode.window.showInputBox({
      title: `Kernel Witness: calls of ${funcs.join(', ')} on ${host.label}`,
      prompt: 'Only the calls for which this holds (optional; Enter for every call). ARGUMENT OPERATOR VALUE, joined by &&: a parameter name or ret, == != < <= > >=, an integer, an errno or enum name (-ENOENT), or a "string" (== or != only)',
      placeHolder: 'e.g. ret < 0 && dentry == "disk.img"',
      ignoreFocusOut: true,
      validateInput: (v) => {
        try {
          checkWhere(splitWhereLine(v));
          return undefined;
        } catch (e) {
          return errorMessage(e);
        }
      },
    });
    if (whereLine === undefined) return undefined;
    const where = splitWhereLine(whereLine);
    return deps.startTrace(host, { families: [], funcs, ...(where.length ? { where } : {}) });
  };
}

/** The QuickPick of the host's functions, several at once; refused ones are said and the pick asked again. */
async function pickFunctions(host: HostRef, all: readonly KernelFunction[]): Promise<string[] | undefined> {
  const items: FunctionItem[] = all.map((f) => ({ ...functionPickText(f), f }));
  let picked = new Set<FunctionItem>();
  for (;;) {
    for (const it of items) it.picked = picked.has(it);
    const chosen = await vscode.window.showQuickPick(items, {
      title: `Kernel Witness: probe kernel functions on ${host.label} (at most ${MAX_FUNCS})`,
      placeHolder: `Type to find a function among ${all.length.toLocaleString('en-US')}; pick one or more`,
      canPickMany: true,
      matchOnDescription: true,
      matchOnDetail: true,
      ignoreFocusOut: true,
    });
    if (!chosen || chosen.length === 0) return undefined;
    const { funcs, refused } = chooseFunctions(chosen.map((c) => c.f), all);
    // asked again: the ones that can be probed stay picked
    picked = new Set(chosen.filter((c) => chooseFunctions([c.f], all).refused.length === 0));
    if (refused.length) {
      void vscode.window.showWarningMessage(`Kernel Witness: ${refused.join('; ')}`);
      continue;
    }
    if (funcs.length > MAX_FUNCS) {
      void vscode.window.showWarningMessage(`Kernel Witness: at most ${MAX_FUNCS} kernel functions per trace; ${funcs.length} were picked`);
      continue;
    }
    return funcs;
  }
}
