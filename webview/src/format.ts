// Turning stored events into display strings (visible, inert) and export text.
import type { ColumnId } from '../../src/contract/messages';
import { KERNEL_SYMBOL_PATTERN } from '../../src/core/kernel-symbol';
import type { KernelFrame, UserFrame } from '../../src/core/events';
import { validateStacks } from '../../src/contract/validate';
import { kernelFrameText, userFrameText } from '../../src/core/stacks';
import { errnoName, visible, visibleField } from './text';
import { argsText, formatDuration, retInfo } from '../../src/core/calls';
import type { CallArgValue } from '../../src/core/events';
import { validateCallArgs } from '../../src/contract/validate';
import type { EventStore } from './store';
import { containerLabel, podLabel, podRef, shownPathPod } from './pods';

export interface ColumnDef {
  id: ColumnId;
  label: string;
  /** In characters of the editor font (cells are monospace); the table converts to pixels. */
  width: number;
  grow?: boolean;
  /** Paths: a long one is cut at its start, so the file name stays in sight. */
  keepEnd?: boolean;
}

export const COLUMNS: Record<ColumnId, ColumnDef> = {
  time: { id: 'time', label: 'Time (UTC)', width: 15 },
  type: { id: 'type', label: 'Type', width: 16 },
  process: { id: 'process', label: 'Process', width: 16 },
  user: { id: 'user', label: 'User', width: 10 },
  exe: { id: 'exe', label: 'Exe', width: 22, keepEnd: true },
  path: { id: 'path', label: 'Path', width: 28, grow: true, keepEnd: true },
  result: { id: 'result', label: 'Result', width: 12 },
  container: { id: 'container', label: 'Container', width: 12 },
  pod: { id: 'pod', label: 'Pod', width: 24 },
  path_pod: { id: 'path_pod', label: "File's pod", width: 24 },
  ppid: { id: 'ppid', label: 'PPID', width: 7 },
  cwd: { id: 'cwd', label: 'Cwd', width: 22, keepEnd: true },
  cgroup: { id: 'cgroup', label: 'Cgroup', width: 26 },
  probe: { id: 'probe', label: 'Probe', width: 32 },
  ktime: { id: 'ktime', label: 'ktime (ns)', width: 15 },
  func: { id: 'func', label: 'Function', width: 22 },
  args: { id: 'args', label: 'Args', width: 40, grow: true },
  return: { id: 'return', label: 'Return', width: 14 },
  duration: { id: 'duration', label: 'Duration', width: 10 },
};

/**
 * A call's arguments, checked against its parameters (validateCallArgs), with their types; null
 * when the event is no call the panel can render (then the details show the raw fields).
 */
export function callArgsOf(store: EventStore, seq: number): { args: Record<string, CallArgValue>; types: Record<string, string> } | { error: string } | null {
  const shape = store.callOf(seq);
  if (!shape) return null;
  const v = validateCallArgs(store.extraOf(seq).args, shape.arg_types);
  return v.ok ? { args: v.value, types: shape.arg_types } : { error: v.error };
}

/** The compact "name=value, …" of a call's arguments (Args column). */
export function argsLabel(store: EventStore, seq: number): string {
  const a = callArgsOf(store, seq);
  if (!a) return '';
  if ('error' in a) return `(not shown: ${visible(a.error)})`;
  return argsText(a.args, a.types, visibleField) + (store.extraOf(seq).args_truncated === true ? ' …' : '');
}

/** A call's return value with the errno's name ("-2 ENOENT", "0xffff…", "void"); '' for other events. */
export function returnLabel(store: EventStore, seq: number): { text: string; failed: boolean } {
  if (store.typeOf(seq) !== 'call') return { text: '', failed: false };
  const x = store.extraOf(seq);
  const ret = 'ret' in x ? x.ret : store.ret[store.slot(seq)];
  return retInfo(ret, visibleField);
}

function b64(extra: Record<string, unknown>, k: string): string | undefined {
  const v = extra[`${k}_b64`];
  return typeof v === 'string' ? v : undefined;
}

export function typeLabel(store: EventStore, seq: number): string {
  const t = store.typeOf(seq);
  const op = store.opOf(seq);
  return op && op !== t ? `${t} · ${op}` : t;
}

export function resultLabel(store: EventStore, seq: number): { text: string; failed: boolean } {
  const t = store.typeOf(seq);
  const p = store.slot(seq);
  if (t === 'exit') {
    const x = store.extraOf(seq);
    const sig = Number(x.signal ?? 0);
    return sig ? { text: `signal ${sig}`, failed: true } : { text: `exit ${Number(x.exit_code ?? 0)}`, failed: Number(x.exit_code ?? 0) !== 0 };
  }
  if (t === 'call') return returnLabel(store, seq);
  const ret = store.ret[p];
  // a guard's report: the call was refused with that errno, or (audit) went ahead and would have been
  if (t === 'denied') return { text: `refused: ${errnoName(ret)}`, failed: true };
  if (t === 'would-deny') return { text: `would be refused: ${errnoName(ret)}`, failed: false };
  return ret < 0 ? { text: `${errnoName(ret)} (${ret})`, failed: true } : { text: 'ok', failed: false };
}

export function userLabel(uid: number, users: Record<string, string>): string {
  const n = users[String(uid)];
  return n !== undefined ? `${n} (${uid})` : String(uid);
}

/** Visible text of a string column for one event (exact bytes when the agent sent `_b64`). */
export function visibleStr(store: EventStore, seq: number, col: 'comm' | 'exe' | 'cwd' | 'path' | 'cgroup' | 'probe' | 'container'): string {
  const raw = store.s(col, seq);
  if (raw === '') return '';
  const key = col === 'path' && store.typeOf(seq) === 'exec' ? 'filename' : col;
  return visibleField(raw, b64(store.extraOf(seq), key));
}

export function cellText(store: EventStore, seq: number, col: ColumnId, users: Record<string, string>): { text: string; failed?: boolean } {
  const p = store.slot(seq);
  if (p < 0) return { text: '' };
  switch (col) {
    case 'time': return { text: store.timeOf(seq).slice(11, 26) };
    case 'type': return { text: typeLabel(store, seq) };
    case 'process': return { text: `${visibleStr(store, seq, 'comm')} ${store.pid[p]}` };
    case 'user': return { text: userLabel(store.uid[p], users) };
    case 'exe': return { text: visibleStr(store, seq, 'exe') };
    case 'path': return { text: visibleStr(store, seq, 'path') };
    case 'result': { const r = resultLabel(store, seq); return { text: r.text, failed: r.failed }; }
    case 'container': {
      const name = store.containerNameOf(seq);
      return { text: name !== '' ? visible(containerLabel(name, null)) : visibleStr(store, seq, 'container').slice(0, 12) };
    }
    case 'pod': { const x = store.podOf(seq); return { text: x ? visible(podLabel(x)) : '' }; }
    case 'path_pod': { const x = shownPathPod(store.podOf(seq), store.pathPodOf(seq)); return { text: x ? visible(podLabel(x)) : '' }; }
    case 'ppid': return { text: String(store.ppid[p]) };
    case 'cwd': return { text: visibleStr(store, seq, 'cwd') };
    case 'cgroup': return { text: visibleStr(store, seq, 'cgroup') };
    case 'probe': return { text: visibleStr(store, seq, 'probe') };
    case 'ktime': return { text: String(store.ktime[p]) };
    case 'func': { const c = store.callOf(seq); return { text: c ? visibleField(c.func, c.func_b64) : '' }; }
    case 'args': return { text: argsLabel(store, seq) };
    case 'return': { const r = returnLabel(store, seq); return { text: r.text, failed: r.failed }; }
    case 'duration': { const d = store.durationOf(seq); return { text: Number.isNaN(d) ? '' : formatDuration(d) }; }
  }
}

const FUNCTION_PROBE = new RegExp(`^(?:fentry|fexit|kprobe|kretprobe|lsm|fmod_ret):(${KERNEL_SYMBOL_PATTERN})$`);

/** The kernel function behind a probe name, for the Kernel Symbol view (null when there is none). */
export function symbolOfProbe(probe: string): string | null {
  let m = FUNCTION_PROBE.exec(probe);
  if (m) return m[1];
  m = /^(?:tracepoint|tp|raw_tracepoint|raw_tp):syscalls:sys_(?:enter|exit)_([a-z0-9_]{1,100})$/.exec(probe);
  if (m) return `sys_${m[1]}`;
  m = /^(?:tracepoint|tp|raw_tracepoint|raw_tp):(?:[a-z0-9_]{1,64}:)?([a-z0-9_]{1,100})$/.exec(probe);
  if (m) return m[1];
  return null;
}

// ------------------------------------------------------------------ export
export const CSV_COLUMNS = [
  'time', 'ktime_ns', 'type', 'op', 'pid', 'tid', 'ppid', 'uid', 'gid', 'comm', 'exe', 'cwd', 'path', 'old_path', 'filename', 'argv',
  'cmdline', 'ret', 'errno', 'exit_code', 'signal', 'container', 'cgroup', 'probe', 'dev', 'ino', 'ancestors',
  // appended, so that the columns spreadsheets and scripts already address keep their positions
  'runtime', 'container_name', 'pod_namespace', 'pod_name', 'pod_uid', 'path_pod_namespace', 'path_pod_name', 'path_pod_uid',
  'path_source', 'named', 'proc_path', 'path_on_host', 'real_path', 'layer',
  // `--stacks`: frames innermost first, as the details pane shows them
  'kstack', 'ustack',
  // calls of probed kernel functions (`func:NAME`): args and arg_types as JSON objects
  'func', 'attach', 'args', 'arg_types', 'ret_type', 'duration_ns', 'args_truncated',
] as const;

/** Names as they are (a CSV cell is quoted as a whole). */
const asIs = (s: string): string => s;

/** One CSV cell: quoted when needed; a leading = + - @ TAB CR gets a ' so spreadsheets never run a name as a formula. */
export function csvCell(v: unknown): string {
  let s = v === undefined || v === null ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(ev: Record<string, unknown>): string {
  return CSV_COLUMNS.map((c) => {
    switch (c) {
      case 'errno': return csvCell(typeof ev.ret === 'number' && ev.ret < 0 && ev.ret >= -4095 ? errnoName(ev.ret) : '');
      case 'argv': return csvCell(Array.isArray(ev.argv) ? ev.argv.join(' ') : '');
      case 'cmdline': return csvCell(Array.isArray(ev.cmdline) ? ev.cmdline.join(' ') + (ev.cmdline_truncated === true ? ' …' : '') : '');
      case 'ancestors': return csvCell(Array.isArray(ev.ancestors) ? (ev.ancestors as Array<{ pid: number; comm: string }>).map((a) => `${a.comm}(${a.pid})`).join(' < ') : '');
      case 'pod_namespace': case 'pod_name': case 'pod_uid':
        return csvCell(podRef(ev.pod)?.[c.slice(4) as 'namespace' | 'name' | 'uid']);
      case 'path_pod_namespace': case 'path_pod_name': case 'path_pod_uid':
        return csvCell(podRef(ev.path_pod)?.[c.slice(9) as 'namespace' | 'name' | 'uid']);
      case 'kstack': case 'ustack': {
        if (ev[c] === undefined) return '';
        // stacks the panel could not read go out as they came
        const v = validateStacks({ [c]: ev[c], [`${c}_error`]: ev[`${c}_error`] });
        if (!v.ok) return csvCell(ev[c]);
        const frames: ReadonlyArray<KernelFrame | UserFrame> = v.value[c] ?? [];
        const text = (f: KernelFrame | UserFrame) => (c === 'kstack' ? kernelFrameText(f, asIs) : userFrameText(f, asIs));
        const err = v.value[`${c}_error`];
        return csvCell(frames.length ? frames.map(text).join(' < ') : err !== undefined ? `(error ${err})` : '');
      }
      case 'ktime_ns': case 'pid': case 'tid': case 'ppid': case 'uid': case 'gid': case 'ret': case 'exit_code': case 'signal': case 'dev': case 'ino': case 'duration_ns':
        return ev[c] === undefined || ev[c] === null ? '' : String(ev[c]);
      default: return csvCell(ev[c]);
    }
  }).join(',');
}
