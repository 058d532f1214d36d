// Runtime validation of everything the webview sends to the host. The webview renders
// attacker-controlled names, so the host treats its messages as untrusted input: exact shapes,
// bounded sizes, no unknown types or fields. Each failure is one line naming the cause.
import {
  COLUMN_IDS, CONTRACT_VERSION, PATH_FIELDS,
  type ColumnId, type PanelFilters, type PanelViewState, type WebviewToHost, type WebviewToHostMap,
} from './messages';
import { isKernelSymbol } from '../core/kernel-symbol';
import { MAX_STACK_FRAMES, type CallArgValue, type CallAttach, type KernelFrame, type StackFields, type UserFrame } from '../core/events';
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
    type: oneOf(o, 'type', w, ['', 'unlink', 'create', 'write', 'exec', 'exit', 'denied', 'would-deny', 'call'] as const),
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

// ---------------------------------------------------------------- a call of a probed function
// The same reasoning as for stacks: a call's arguments are the traced host's data (names of
// files, strings from the caller's memory), so the panel checks their shape before it renders
// them (webview/src/store.ts, details.ts): a bounded number of parameters, each value a
// primitive or a flat object of primitives.

/** Parameters a call may carry (BPF trampolines pass at most 12). */
export const MAX_CALL_ARGS = 16;
const PARAM = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_VALUE = 8192;

/** The parts every call of one function shares (one interned JSON per function in the store). */
export interface CallShape {
  func: string;
  func_b64?: string;
  attach: CallAttach;
  ret_type: string;
  arg_types: Record<string, string>;
}

const SHAPE_KEYS = ['func', 'func_b64', 'attach', 'ret_type', 'arg_types'];

/** Checks func, attach, ret_type and arg_types (any other field is ignored); never throws. */
export function validateCallShape(e: Readonly<Record<string, unknown>>): Validated<CallShape> {
  try {
    const w = 'call';
    const func = str(e as Record<string, unknown>, 'func', w, 256);
    if (e.func_b64 !== undefined) {
      const b = str(e as Record<string, unknown>, 'func_b64', w, 512);
      if (!B64.test(b) || b.length % 4 !== 0) throw new Invalid('call.func_b64 is not base64');
    } else if (!isKernelSymbol(func)) throw new Invalid('call.func is not a kernel function name');
    const attach = oneOf(e as Record<string, unknown>, 'attach', w, ['fentry', 'kprobe'] as const);
    const retType = str(e as Record<string, unknown>, 'ret_type', w, 512);
    const types = obj(e.arg_types, 'call.arg_types');
    const names = Object.keys(types);
    if (names.length > MAX_CALL_ARGS) throw new Invalid(`call has ${names.length} parameters, more than ${MAX_CALL_ARGS}`);
    for (const n of names) {
      if (!PARAM.test(n)) throw new Invalid(`call.arg_types: ${JSON.stringify(n.slice(0, 40))} is not a parameter name`);
      str(types, n, 'call.arg_types', 512);
    }
    const out: CallShape = { func, attach, ret_type: retType, arg_types: types as Record<string, string> };
    if (e.func_b64 !== undefined) out.func_b64 = e.func_b64 as string;
    return { ok: true, value: out };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, error: err.message };
    throw err;
  }
}

/** The keys of a call's shape (what validateCallShape reads). */
export function isCallShapeKey(k: string): boolean {
  return SHAPE_KEYS.includes(k);
}

function primitive(v: unknown, w: string): void {
  if (v === null || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Invalid(`${w} is not a finite number`);
    return;
  }
  if (typeof v === 'string') {
    if (v.length > MAX_VALUE) throw new Invalid(`${w} is longer than ${MAX_VALUE} characters`);
    return;
  }
  throw new Invalid(`${w} is not a number, string, boolean or null`);
}

/**
 * Checks a call's arguments against its parameter names (the same, in the same order): each a
 * primitive or a flat object of at most 16 primitive fields. Never throws.
 */
export function validateCallArgs(args: unknown, argTypes: Readonly<Record<string, string>>): Validated<Record<string, CallArgValue>> {
  try {
    const a = obj(args, 'call.args');
    const names = Object.keys(a);
    const want = Object.keys(argTypes);
    if (names.length !== want.length || names.some((n, i) => n !== want[i])) throw new Invalid('call.args and call.arg_types name other parameters');
    for (const n of names) {
      const v = a[n];
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
        const fields = Object.keys(v);
        if (fields.length > 16) throw new Invalid(`call.args.${n} has more than 16 fields`);
        for (const f of fields) {
          if (!PARAM.test(f) || f.length > 64) throw new Invalid(`call.args.${n}: ${JSON.stringify(f.slice(0, 40))} is not a field name`);
          primitive((v as Record<string, unknown>)[f], `call.args.${n}.${f}`);
        }
      } else primitive(v, `call.args.${n}`);
    }
    return { ok: true, value: a as Record<string, CallArgValue> };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, error: err.message };
    throw err;
  }
}
