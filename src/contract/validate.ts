// Runtime validation of everything the webview sends to the host. The webview renders
// attacker-controlled names, so the host treats its messages as untrusted input: exact shapes,
// bounded sizes, no unknown types or fields. Each failure is one line naming the cause.
import {
  COLUMN_IDS, CONTRACT_VERSION, PATH_FIELDS,
  type ColumnId, type PanelFilters, type PanelViewState, type WebviewToHost, type WebviewToHostMap,
} from './messages';
import { isKernelSymbol } from '../core/kernel-symbol';
import { MAX_STACK_FRAMES, type KernelFrame, type StackFields, type UserFrame } from '../core/events';
import { MAX_SIGNATURE } from '../core/stacks';

export type Validated<T> = { ok: true; value: T } | { ok: false; error: string };

class Invalid extends Error {}

const MAX_ID = 256;
/** PATH_MAX is 4096 bytes; base64 of that is 5464 chars. Leave room for long resolved paths. */
const MAX_PATH_B64 = 65536;
const MAX_CHUNK = 16 * 1024 * 1024;
/** A source file name of a stack frame: a path (PATH_MAX bytes), with room for escapes. */
const MAX_SOURCE = 8192;
const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

function obj(x: unknown, what: string): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new Invalid(`${what} is not an object`);
  return x as Record<string, unknown>;
}
function onlyKeys(o: Record<string, unknown>, keys: readonly string[], what: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new Invalid(`${what}: unexpected field '${k.slice(0, 40)}'`);
}
function str(o: Record<string, unknown>, k: string, what: string, max: number): string {
  const v = o[k];
  if (typeof v !== 'string') throw new Invalid(`${what}.${k} must be a string`);
  if (v.length > max) throw new Invalid(`${what}.${k} is longer than ${max} characters`);
  return v;
}
function id(o: Record<string, unknown>, k: string, what: string): string {
  const v = str(o, k, what, MAX_ID);
  if (v === '') throw new Invalid(`${what}.${k} is empty`);
  return v;
}
function bool(o: Record<string, unknown>, k: string, what: string): boolean {
  const v = o[k];
  if (typeof v !== 'boolean') throw new Invalid(`${what}.${k} must be a boolean`);
  return v;
}
function int(o: Record<string, unknown>, k: string, what: string, min: number, max: number): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new Invalid(`${what}.${k} must be an integer in [${min}, ${max}]`);
  return v;
}
function oneOf<T extends string>(o: Record<string, unknown>, k: string, what: string, allowed: readonly T[]): T {
  const v = o[k];
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw new Invalid(`${what}.${k} must be one of ${allowed.join(', ')}`);
  return v as T;
}

type Checkers = { [K in keyof WebviewToHostMap]: (o: Record<string, unknown>, w: string) => WebviewToHostMap[K] };

const checkers: Checkers = {
  ready(o, w) {
    onlyKeys(o, ['type', 'traceId', 'contract'], w);
    const traceId = o.traceId === null ? null : id(o, 'traceId', w);
    return { traceId, contract: int(o, 'contract', w, 0, 1_000_000) };
  },
  openPath(o, w) {
    onlyKeys(o, ['type', 'traceId', 'hostId', 'pathB64', 'field'], w);
    const pathB64 = str(o, 'pathB64', w, MAX_PATH_B64);
    if (pathB64 === '' || !B64.test(pathB64) || pathB64.length % 4 !== 0) throw new Invalid(`${w}.pathB64 is not non-empty base64`);
    return { traceId: id(o, 'traceId', w), hostId: id(o, 'hostId', w), pathB64, field: oneOf(o, 'field', w, PATH_FIELDS) };
  },
  showKernelSymbol(o, w) {
    onlyKeys(o, ['type', 'traceId', 'hostId', 'symbol', 'probe'], w);
    const symbol = str(o, 'symbol', w, 128);
    if (!isKernelSymbol(symbol)) throw new Invalid(`${w}.symbol is not a kernel symbol name`);
    const probe = str(o, 'probe', w, 256);
    if (/[\u0000-\u001f\u007f]/.test(probe)) throw new Invalid(`${w}.probe contains control characters`);
    return { traceId: id(o, 'traceId', w), hostId: id(o, 'hostId', w), symbol, probe };
  },
  openSource(o, w) {
    onlyKeys(o, ['type', 'traceId', 'src', 'line'], w);
    const src = str(o, 'src', w, MAX_SOURCE);
    if (src.trim() === '' || /[\u0000-\u001f\u007f]/.test(src)) throw new Invalid(`${w}.src is empty or contains control characters`);
    return { traceId: id(o, 'traceId', w), src, line: int(o, 'line', w, 1, 2 ** 31) };
  },
  exportBegin(o, w) {
    onlyKeys(o, ['type', 'traceId', 'format', 'count'], w);
    return { traceId: id(o, 'traceId', w), format: oneOf(o, 'format', w, ['jsonl', 'csv'] as const), count: int(o, 'count', w, 0, 100_000_000) };
  },
  exportChunk(o, w) {
    onlyKeys(o, ['type', 'traceId', 'exportId', 'data', 'last'], w);
    return { traceId: id(o, 'traceId', w), exportId: int(o, 'exportId', w, 1, Number.MAX_SAFE_INTEGER), data: str(o, 'data', w, MAX_CHUNK), last: bool(o, 'last', w) };
  },
  stopTrace(o, w) {
    onlyKeys(o, ['type', 'traceId'], w);
    return { traceId: id(o, 'traceId', w) };
  },
  resumeTrace(o, w) {
    onlyKeys(o, ['type', 'traceId'], w);
    return { traceId: id(o, 'traceId', w) };
  },
  restartTrace(o, w) {
    onlyKeys(o, ['type', 'traceId'], w);
    return { traceId: id(o, 'traceId', w) };
  },
};

/** Checks an untrusted message from the webview; never throws. */
export function validateWebviewMessage(x: unknown): Validated<WebviewToHost> {
  try {
    const o = obj(x, 'message');
    const type = o.type;
    if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(checkers, type)) {
      return { ok: false, error: `unknown message type ${JSON.stringify(typeof type === 'string' ? type.slice(0, 40) : typeof type)}` };
    }
    const k = type as keyof WebviewToHostMap;
    const body = (checkers[k] as (o: Record<string, unknown>, w: string) => object)(o, k);
    return { ok: true, value: { type: k, ...body } as WebviewToHost };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, error: e.message };
    throw e;
  }
}

function filters(x: unknown): PanelFilters {
  const o = obj(x, 'state.filters');
  const w = 'state.filters';
  const ancestor = o.ancestor === undefined ? 0 : int(o, 'ancestor', w, 0, 2 ** 32);
  // a state saved before the pod filters existed has none of them: absent means off
  const optStr = (k: string, max: number) => (o[k] === undefined ? '' : str(o, k, w, max));
  return {
    text: str(o, 'text', w, 4096),
    type: oneOf(o, 'type', w, ['', 'unlink', 'create', 'write', 'exec', 'exit', 'denied', 'would-deny'] as const),
    pid: str(o, 'pid', w, 32),
    comm: str(o, 'comm', w, 256),
    uid: str(o, 'uid', w, 256),
    pathGlob: str(o, 'pathGlob', w, 4096),
    failedOnly: bool(o, 'failedOnly', w),
    ...(o.okOnly === undefined ? {} : { okOnly: bool(o, 'okOnly', w) }),
    ...(typeof o.timeFrom === 'number' && typeof o.timeTo === 'number' && Number.isFinite(o.timeFrom) && Number.isFinite(o.timeTo) && o.timeFrom < o.timeTo
      ? { timeFrom: o.timeFrom, timeTo: o.timeTo } : {}),
    ancestor,
    pod: optStr('pod', 512),
    namespace: optStr('namespace', 256),
    container: optStr('container', 256),
    ...(o.stack === undefined || o.stack === '' ? {} : { stack: str(o, 'stack', w, MAX_SIGNATURE) }),
  };
}

/** Checks a saved webview state handed back by the panel serializer (it came from the webview). */
export function validateViewState(x: unknown): Validated<PanelViewState> {
  try {
    const o = obj(x, 'state');
    const w = 'state';
    if (o.contract !== CONTRACT_VERSION) throw new Invalid(`state is from contract ${String(o.contract).slice(0, 20)}, expected ${CONTRACT_VERSION}`);
    const cols = o.columns;
    if (!Array.isArray(cols) || cols.length === 0 || cols.length > COLUMN_IDS.length || !cols.every((c) => (COLUMN_IDS as readonly unknown[]).includes(c))) {
      throw new Invalid('state.columns must be a non-empty list of known columns');
    }
    const sort = obj(o.sort, 'state.sort');
    return {
      ok: true,
      value: {
        contract: CONTRACT_VERSION,
        traceId: id(o, 'traceId', w),
        hostId: id(o, 'hostId', w),
        title: str(o, 'title', w, 512),
        filters: filters(o.filters),
        columns: cols as ColumnId[],
        sort: { column: oneOf(sort, 'column', 'state.sort', COLUMN_IDS), descending: bool(sort, 'descending', 'state.sort') },
        scrollRow: int(o, 'scrollRow', w, 0, 2 ** 32),
        detailsOpen: bool(o, 'detailsOpen', w),
      },
    };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, error: e.message };
    throw e;
  }
}

// ---------------------------------------------------------------- stacks of an event
// Events come from the host (the agent's records, decoded there), not from the webview; the
// panel still checks the stacks it renders and groups (events.ts StackFields): names from the
// traced host's binaries are attacker-controlled, and a stack is the one part of an event that
// grows with its depth. Checked where the webview stores an event (webview/src/store.ts).

const KERNEL_FRAME_KEYS = ['addr', 'sym', 'sym_b64', 'off', 'module', 'module_b64', 'src', 'src_b64', 'line', 'inferred'];
const USER_FRAME_KEYS = ['addr', 'sym', 'sym_b64', 'off', 'file', 'file_b64', 'file_off', 'build_id', 'build_id_b64', 'src', 'src_b64', 'line', 'inferred'];
/** A name of a frame (a C++ or Go symbol can be long; a path is at most PATH_MAX bytes). */
const MAX_NAME = 8192;

function frame(x: unknown, user: boolean, w: string): KernelFrame & UserFrame {
  const o = obj(x, w);
  onlyKeys(o, user ? USER_FRAME_KEYS : KERNEL_FRAME_KEYS, w);
  const addr = str(o, 'addr', w, 18);
  if (!/^0x[0-9a-f]{1,16}$/.test(addr)) throw new Invalid(`${w}.addr must be 0x and 1 to 16 lowercase hex digits`);
  for (const k of ['sym', 'module', 'file', 'src']) if (o[k] !== undefined) str(o, k, w, MAX_NAME);
  for (const k of ['sym_b64', 'module_b64', 'file_b64', 'src_b64', 'build_id_b64']) {
    if (o[k] === undefined) continue;
    if (o[k.slice(0, -4)] === undefined) throw new Invalid(`${w}.${k} without ${k.slice(0, -4)}`);
    const b = str(o, k, w, 2 * MAX_NAME);
    if (!B64.test(b) || b.length % 4 !== 0) throw new Invalid(`${w}.${k} is not base64`);
  }
  if (o.build_id !== undefined && !/^[0-9a-f]{0,256}$/.test(str(o, 'build_id', w, 256))) throw new Invalid(`${w}.build_id must be lowercase hex`);
  for (const k of ['off', 'file_off']) {
    const v = o[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) throw new Invalid(`${w}.${k} must be a non-negative integer`);
  }
  if (o.off !== undefined && o.sym === undefined) throw new Invalid(`${w}.off without sym`);
  if (o.line !== undefined) int(o, 'line', w, 0, 2 ** 32 - 1);
  if ((o.line === undefined) !== (o.src === undefined)) throw new Invalid(`${w}: src and line come together`);
  if (o.inferred !== undefined && o.inferred !== true) throw new Invalid(`${w}.inferred must be true when present`);
  return o as unknown as KernelFrame & UserFrame;
}

function frames(x: unknown, user: boolean, w: string): Array<KernelFrame & UserFrame> {
  if (!Array.isArray(x)) throw new Invalid(`${w} must be an array of frames`);
  if (x.length > MAX_STACK_FRAMES) throw new Invalid(`${w} has ${x.length} frames, more than ${MAX_STACK_FRAMES}`);
  return x.map((f, i) => frame(f, user, `${w}[${i}]`));
}

/**
 * Checks the stack fields of an event (any other field is ignored): kstack/ustack arrays of at
 * most MAX_STACK_FRAMES frames of the right shape, errors negative integers. Returns them alone
 * (the fields absent from the event stay absent); never throws.
 */
export function validateStacks(e: Readonly<Record<string, unknown>>): Validated<StackFields> {
  try {
    const out: StackFields = {};
    if (e.kstack !== undefined) out.kstack = frames(e.kstack, false, 'kstack');
    if (e.ustack !== undefined) out.ustack = frames(e.ustack, true, 'ustack');
    for (const k of ['kstack_error', 'ustack_error'] as const) {
      if (e[k] === undefined) continue;
      if (e[k.slice(0, 6)] === undefined) throw new Invalid(`${k} without ${k.slice(0, 6)}`);
      out[k] = int(e as Record<string, unknown>, k, 'event', -(2 ** 31), -1);
    }
    return { ok: true, value: out };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, error: e.message };
    throw e;
  }
}
