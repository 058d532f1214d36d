// Probing kernel functions by name (`kwitness-agent trace func:NAME --where EXPR`): what a user may
// ask for, checked before anything connects, and one call (events.ts CallEvent) as text: its
// arguments, its return value with the errno's name, its duration. Said once for the CLI, the
// trace session, the panel and the Kernel Symbol view. No vscode, node or DOM import (the webview
// bundles it).
import type { CallArgValue, CallEvent } from './events';
import type { Escape } from './stacks';
import { KwError } from './errors';
import { knownErrno } from './errno';

/** Functions one trace may probe (the agent's limit). */
export const MAX_FUNCS = 8;
/** --where conditions one trace may carry, all of which must hold (the agent's limit; 4 per function). */
export const MAX_WHERE = 8;
/** Longest string a --where compares with, in bytes (the agent's limit, KW_FW_STR - 1). */
const MAX_WHERE_STRING = 63;

/** A function name as BTF has it: a C identifier (no `.isra.0` clones: BTF does not describe them). */
const FUNC_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export function isFuncName(name: string): boolean {
  return FUNC_NAME.test(name);
}

/** Why these function names cannot be probed, or undefined (duplicates count once). */
export function checkFuncs(funcs: readonly string[]): string | undefined {
  for (const f of funcs) {
    if (!isFuncName(f)) return `func:${f}: not a kernel function name (a C identifier such as vfs_unlink)`;
  }
  const n = new Set(funcs).size;
  if (n > MAX_FUNCS) return `at most ${MAX_FUNCS} kernel functions per trace, got ${n}`;
  return undefined;
}

export type WhereOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

/**
 * One --where condition: a parameter (or `ret`), an operator, and an integer, a name (an errno
 * such as -ENOENT, or an enumerator of the parameter's enum type: the agent resolves it from BTF)
 * or a string.
 */
export interface WhereExpr {
  arg: string;
  op: WhereOp;
  value: { kind: 'int'; text: string; value: bigint } | { kind: 'name'; text: string } | { kind: 'string'; value: string };
}

const WHERE = /^([A-Za-z_][A-Za-z0-9_]{0,62})\s*(==|!=|<=|>=|<|>)\s*(.*)$/s;
const INT = /^-?(?:0[xX][0-9a-fA-F]{1,16}|[0-9]{1,20})$/;
const NAME = /^-?[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const EXAMPLE = 'e.g. ret < 0, ret == -ENOENT, or dentry == "disk.img"';

/**
 * `ARG OP VALUE` as the agent reads it (native/func.c bind_where): ARG a parameter name as BTF
 * has it or `ret`; OP one of == != < <= > >=; VALUE an integer (decimal, 0x hex, negative; 64
 * bits), an errno name (-ENOENT) or an enumerator of the parameter's type (the agent checks
 * those against BTF), or a double-quoted string of at most 63 bytes, taken as it is between the
 * quotes (no escapes), compared with == or != against the argument's captured name or string.
 * Throws a one-line bad-input error naming what is wrong.
 */
export function parseWhere(text: string): WhereExpr {
  const t = text.trim();
  const bad = (why: string): never => {
    throw new KwError('bad-input', `--where ${JSON.stringify(t)}: ${why}`);
  };
  const m = WHERE.exec(t);
  if (!m) return bad(`expected ARGUMENT OPERATOR VALUE (operators == != < <= > >=), ${EXAMPLE}`);
  const [, arg, op, raw] = m;
  if (raw === '') return bad(`no value after ${op}, ${EXAMPLE}`);
  if (raw.startsWith('"')) {
    if (raw.length < 2 || !raw.endsWith('"')) return bad('the string has no closing "');
    const s = raw.slice(1, -1);
    if (/[\u0000-\u001f\u007f]/.test(s)) return bad('the string has control characters');
    if (new TextEncoder().encode(s).length > MAX_WHERE_STRING) return bad(`strings of at most ${MAX_WHERE_STRING} bytes`);
    if (op !== '==' && op !== '!=') return bad('a string compares with == or != only');
    return { arg, op: op as WhereOp, value: { kind: 'string', value: s } };
  }
  if (INT.test(raw)) {
    const neg = raw.startsWith('-');
    const v = neg ? -BigInt(raw.slice(1)) : BigInt(raw);
    if (v < -(1n << 63n) || v >= 1n << 64n) return bad('the integer does not fit 64 bits');
    return { arg, op: op as WhereOp, value: { kind: 'int', text: raw, value: v } };
  }
  if (NAME.test(raw)) return { arg, op: op as WhereOp, value: { kind: 'name', text: raw } };
  return bad(`the value must be an integer (42, -2, 0x1f), an errno or enum name (-ENOENT), or a double-quoted string, got ${JSON.stringify(raw)}`);
}

/** The expression as passed to the agent: `ret < 0`, `ret == -ENOENT`, `dentry == "disk.img"`. */
export function whereText(w: WhereExpr): string {
  const v = w.value.kind === 'string' ? `"${w.value.value}"` : w.value.text;
  return `${w.arg} ${w.op} ${v}`;
}

/** Checks a trace's --where list; returns the expressions as the agent gets them. Throws bad-input. */
export function checkWhere(list: readonly string[]): string[] {
  if (list.length > MAX_WHERE) throw new KwError('bad-input', `at most ${MAX_WHERE} --where conditions, got ${list.length}`);
  return list.map((w) => whereText(parseWhere(w)));
}

/**
 * Conditions typed in one line and joined by `&&` (an input box): split where `&&` stands outside
 * a string; each part is then checked by parseWhere. Empty text: no condition.
 */
export function splitWhereLine(text: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') inStr = !inStr;
    if (!inStr && c === '&' && text[i + 1] === '&') {
      parts.push(cur);
      cur = '';
      i++;
      continue;
    }
    cur += c;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

// ------------------------------------------------------------------ a call as text

/** 850 ns, 3.2 µs, 1.5 ms, 2.04 s. */
export function formatDuration(ns: number): string {
  if (!Number.isFinite(ns) || ns < 0) return '?';
  if (ns < 1e3) return `${Math.round(ns)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(1)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

/** A `char *` (or an array of char): its value is the string itself, shown quoted. */
function isCharPointer(type: string): boolean {
  return /\bchar\s*(?:const\s*)?\*/.test(type);
}

const quoted = (s: string, esc: Escape, b64?: string) => `"${esc(s, b64)}"`;
/** An object's `X_b64` twin (the exact bytes of a name that is not UTF-8), when it has one. */
const twin = (o: Record<string, unknown>, k: string): string | undefined => (typeof o[`${k}_b64`] === 'string' ? (o[`${k}_b64`] as string) : undefined);

/**
 * One argument's value in a few words: `"disk.img" /tmp/x/disk.img` (a dentry: name and path),
 * `/tmp/x ino 12` (an inode or a file: path and inode), `bash[4242]` (a task), `"abc"` (a char *),
 * `0xffff8881…` (another pointer), NULL, 42, true, an enumerator's name. Names go through `esc`,
 * with their exact bytes when the agent sent them (`name_b64`, `path_b64`, `comm_b64`; a `char *`
 * that is not text comes as {addr, s, s_b64}).
 */
export function argText(v: unknown, type: string, esc: Escape): string {
  if (v === null) return type.includes('*') ? 'NULL' : 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return isCharPointer(type) ? quoted(v, esc) : esc(v, undefined);
  if (typeof v !== 'object' || Array.isArray(v)) return esc(JSON.stringify(v) ?? '', undefined);
  const o = v as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof o.s === 'string') parts.push(quoted(o.s, esc, twin(o, 's')));
  if (typeof o.comm === 'string' || typeof o.pid === 'number') parts.push(`${esc(String(o.comm ?? ''), twin(o, 'comm'))}[${String(o.pid ?? '?')}]`);
  if (o.family !== undefined || o.sport !== undefined || o.dport !== undefined) {
    parts.push(`${o.family !== undefined ? `${esc(String(o.family), undefined)} ` : ''}:${String(o.sport ?? '?')} → :${String(o.dport ?? '?')}`);
  }
  if (typeof o.name === 'string') parts.push(quoted(o.name, esc, twin(o, 'name')));
  if (typeof o.path === 'string') parts.push(esc(o.path, twin(o, 'path')));
  // a name says which file; without one (an inode, a file) its inode number does
  if (typeof o.name !== 'string' && (typeof o.ino === 'number' || typeof o.ino === 'string')) parts.push(`ino ${String(o.ino)}`);
  if (parts.length === 0) return typeof o.addr === 'string' ? esc(o.addr, undefined) : '{}';
  return parts.join(' ');
}

/** `dir=/tmp/x ino 12, dentry="disk.img" /tmp/x/disk.img` (parameter order). */
export function argsText(args: Readonly<Record<string, CallArgValue | unknown>>, types: Readonly<Record<string, string>>, esc: Escape): string {
  const out: string[] = [];
  for (const [k, v] of Object.entries(args)) out.push(`${esc(k, undefined)}=${argText(v, typeof types[k] === 'string' ? types[k] : '', esc)}`);
  return out.join(', ');
}

/**
 * The return value: `0`, `-2 ENOENT` (a negative errno, an ERR_PTR among them), `0xffff8881…` (a
 * pointer), `void`, digits beyond 2^53-1. `failed`: a negative errno came back.
 */
export function retInfo(ret: unknown, esc: Escape): { text: string; failed: boolean } {
  if (ret === null || ret === undefined) return { text: 'void', failed: false };
  if (typeof ret === 'number') {
    const name = knownErrno(ret);
    return { text: name ? `${ret} ${name}` : String(ret), failed: ret < 0 && ret >= -4095 };
  }
  if (typeof ret === 'string') return { text: esc(ret, undefined), failed: false };
  return { text: esc(JSON.stringify(ret) ?? '', undefined), failed: false };
}

/**
 * `rm[4242] vfs_unlink(dir=/tmp/x ino 12, dentry="disk.img" /tmp/x/disk.img) = 0  3.2 µs` (no
 * `= …` for a void function; ` [args cut]` when the agent cut a string of them).
 */
export function callText(e: Pick<CallEvent, 'comm' | 'comm_b64' | 'pid' | 'func' | 'func_b64' | 'args' | 'arg_types' | 'ret' | 'duration_ns' | 'args_truncated'>, esc: Escape): string {
  const r = e.ret === null ? '' : ` = ${retInfo(e.ret, esc).text}`;
  const cut = e.args_truncated ? ' [args cut]' : '';
  return `${esc(e.comm, e.comm_b64)}[${e.pid}] ${esc(e.func, e.func_b64)}(${argsText(e.args, e.arg_types, esc)})${cut}${r}  ${formatDuration(e.duration_ns)}`;
}

/** The paths an argument carries (a dentry's, a file's), in parameter order: what a path filter matches. */
export function argPaths(args: unknown): string[] {
  const out: string[] = [];
  if (typeof args !== 'object' || args === null) return out;
  for (const v of Object.values(args as Record<string, unknown>)) {
    if (typeof v === 'object' && v !== null && typeof (v as { path?: unknown }).path === 'string') out.push((v as { path: string }).path);
  }
  return out;
}
