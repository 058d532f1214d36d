// The kernel functions a host can probe by name: what `kwitness-agent funcs` prints (one JSON
// object a line: every function BTF describes, vmlinux and modules, whether tracefs lists it in
// available_filter_functions, and the names a newer kernel changed), read defensively: a line
// that is not one of those objects is skipped and counted, never trusted. No vscode import.
import { isFuncName } from './calls';

export interface KernelFunction {
  name: string;
  /** The module whose BTF describes it; '' for the kernel itself. */
  module: string;
  /** The C prototype from BTF ("int vfs_unlink(struct mnt_idmap *idmap, ...)"); '' when unknown. */
  proto: string;
  /** tracefs lists it (available_filter_functions): a probe can attach. False: inlined, notrace, or hidden. */
  traceable: boolean;
  /** This kernel calls it by another name now (7.x's filename_unlinkat for do_unlinkat): probe that one. */
  renamedTo?: string;
}

export interface KernelFunctionList {
  functions: KernelFunction[];
  /** Lines that were not a function (shown in the log, never offered). */
  skipped: number;
}

/** A module name as the kernel spells them. */
const MODULE = /^[A-Za-z0-9_-]{0,64}$/;
const MAX_PROTO = 4096;

/** Parses `kwitness-agent funcs` output; sorted by name (modules' functions after the kernel's of the same name). */
export function parseFunctionList(text: string): KernelFunctionList {
  const functions: KernelFunction[] = [];
  let skipped = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    let o: Record<string, unknown>;
    try {
      const v: unknown = JSON.parse(line);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error();
      o = v as Record<string, unknown>;
    } catch {
      skipped++;
      continue;
    }
    const name = o.name;
    const module = o.module ?? '';
    const proto = o.proto ?? '';
    if (typeof name !== 'string' || !isFuncName(name) || typeof module !== 'string' || !MODULE.test(module) || typeof proto !== 'string') {
      skipped++;
      continue;
    }
    const f: KernelFunction = { name, module, proto: proto.slice(0, MAX_PROTO).replace(/[\u0000-\u001f\u007f]+/g, ' '), traceable: o.traceable === true };
    if (o.renamed_to !== undefined) {
      if (typeof o.renamed_to !== 'string' || !isFuncName(o.renamed_to) || o.renamed_to === name) {
        skipped++;
        continue;
      }
      f.renamedTo = o.renamed_to;
    }
    functions.push(f);
  }
  functions.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.module < b.module ? -1 : a.module > b.module ? 1 : 0));
  return { functions, skipped };
}

/**
 * What probing `f` means: the name to ask the agent for (the new name of a renamed function), or
 * why it cannot be probed.
 */
export function probeTarget(f: KernelFunction, all?: readonly KernelFunction[]): { name: string } | { refused: string } {
  if (f.renamedTo !== undefined) {
    const now = all?.find((x) => x.name === f.renamedTo && x.renamedTo === undefined);
    if (now && !now.traceable) return { refused: `${f.name} is called ${f.renamedTo} in this kernel, and ${notTraceable(now)}` };
    return { name: f.renamedTo };
  }
  if (!f.traceable) return { refused: notTraceable(f) };
  return { name: f.name };
}

function notTraceable(f: KernelFunction): string {
  return `${f.name} cannot be probed here: the kernel does not list it in tracefs available_filter_functions (inlined, marked notrace, or its module hides it)`;
}

/** How a function is offered in a picker: its name (old → new for a renamed one), module, prototype, and why not. */
export function functionPickText(f: KernelFunction): { label: string; description: string; detail: string } {
  const label = f.renamedTo !== undefined ? `${f.name} → ${f.renamedTo}` : f.name;
  const marks = [f.module ? `[${f.module}]` : '', f.renamedTo === undefined && !f.traceable ? 'not traceable' : ''].filter(Boolean);
  const detail = f.renamedTo !== undefined ? `renamed in this kernel: probes ${f.renamedTo}` : f.proto;
  return { label, description: marks.join(' '), detail };
}

/**
 * What a choice of functions probes: the names to pass (renamed ones by their new name, each
 * once), and the ones refused with their reasons.
 */
export function chooseFunctions(chosen: readonly KernelFunction[], all?: readonly KernelFunction[]): { funcs: string[]; refused: string[] } {
  const funcs: string[] = [];
  const refused: string[] = [];
  for (const f of chosen) {
    const t = probeTarget(f, all);
    if ('refused' in t) refused.push(t.refused);
    else if (!funcs.includes(t.name)) funcs.push(t.name);
  }
  return { funcs, refused };
}
