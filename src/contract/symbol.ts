// The message contract between the Kernel Symbol view's host side (src/panel/symbol-probe.ts) and
// its script (webview/src/symbol.ts): the view's own live probe of its function ("Probe This
// Function"). Both builds import it; no `vscode` or DOM import. Every message names the view's
// symbol, so a message for another view's page is recognisably stale. Handlers are written as
// Handlers<Map> (messages.ts): an unhandled message is a compile error; every incoming message
// is validated at runtime on both sides.
import { DURATION_BUCKETS, type CallStatsSnapshot } from '../core/call-stats';
import { isKernelSymbol } from '../core/kernel-symbol';
import type { MessageOf } from './messages';

/** What the view's probe is doing. */
export type SymbolProbeState = 'idle' | 'starting' | 'running' | 'stopped' | 'failed';
export const SYMBOL_PROBE_STATES: readonly SymbolProbeState[] = ['idle', 'starting', 'running', 'stopped', 'failed'];

// ---------------------------------------------------------------- host -> symbol view
export interface HostToSymbolMap {
  /**
   * The probe's state, after `ready` and on every change. `func`: the function probed (the
   * kernel's name, which may differ from the view's symbol); `message`: why it failed or stopped,
   * or how it was attached.
   */
  probe: { symbol: string; state: SymbolProbeState; func: string; message: string; canProbe: boolean };
  /** The counts of the running (or last) probe, at most a few times a second. */
  stats: { symbol: string; stats: CallStatsSnapshot };
}

// ---------------------------------------------------------------- symbol view -> host
export interface SymbolToHostMap {
  /** The script loaded (or reloaded): send the state and the counts. */
  ready: { symbol: string };
  /** Probe This Function: a trace of this function, its calls in the event panel and counted here. */
  startProbe: { symbol: string };
  stopProbe: { symbol: string };
}

export type HostToSymbol = MessageOf<HostToSymbolMap>;
export type SymbolToHost = MessageOf<SymbolToHostMap>;

export type SymbolValidated<T> = { ok: true; value: T } | { ok: false; error: string };

const MAX_MESSAGE = 2048;

function symbolOf(o: Record<string, unknown>, what: string): string {
  const s = o.symbol;
  if (typeof s !== 'string' || !isKernelSymbol(s)) throw new Error(`${what}.symbol is not a kernel symbol name`);
  return s;
}

function only(o: Record<string, unknown>, keys: readonly string[], what: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new Error(`${what}: unexpected field '${k.slice(0, 40)}'`);
}

function asObject(x: unknown, what: string): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new Error(`${what} is not an object`);
  return x as Record<string, unknown>;
}

/** Checks an untrusted message from the symbol view's script; never throws. */
export function validateSymbolViewMessage(x: unknown): SymbolValidated<SymbolToHost> {
  try {
    const o = asObject(x, 'message');
    const type = o.type;
    if (type !== 'ready' && type !== 'startProbe' && type !== 'stopProbe') {
      return { ok: false, error: `unknown message type ${JSON.stringify(typeof type === 'string' ? type.slice(0, 40) : typeof type)}` };
    }
    only(o, ['type', 'symbol'], type);
    return { ok: true, value: { type, symbol: symbolOf(o, type) } };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

function count(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${what} must be a non-negative number`);
  return v;
}

/** Checks a message from the host in the script (it came through postMessage: checked all the same); never throws. */
export function validateSymbolHostMessage(x: unknown): SymbolValidated<HostToSymbol> {
  try {
    const o = asObject(x, 'message');
    if (o.type === 'probe') {
      only(o, ['type', 'symbol', 'state', 'func', 'message', 'canProbe'], 'probe');
      const state = o.state;
      if (typeof state !== 'string' || !(SYMBOL_PROBE_STATES as readonly string[]).includes(state)) throw new Error('probe.state is not a probe state');
      if (typeof o.func !== 'string' || (o.func !== '' && !isKernelSymbol(o.func))) throw new Error('probe.func is not a kernel function name');
      if (typeof o.message !== 'string' || o.message.length > MAX_MESSAGE) throw new Error(`probe.message must be a string of at most ${MAX_MESSAGE} characters`);
      if (typeof o.canProbe !== 'boolean') throw new Error('probe.canProbe must be a boolean');
      return { ok: true, value: { type: 'probe', symbol: symbolOf(o, 'probe'), state: state as SymbolProbeState, func: o.func, message: o.message, canProbe: o.canProbe } };
    }
    if (o.type === 'stats') {
      only(o, ['type', 'symbol', 'stats'], 'stats');
      const s = asObject(o.stats, 'stats.stats');
      only(s, ['calls', 'errors', 'buckets', 'totalNs', 'maxNs'], 'stats.stats');
      const b = s.buckets;
      if (!Array.isArray(b) || b.length !== DURATION_BUCKETS) throw new Error(`stats.buckets must be ${DURATION_BUCKETS} counts`);
      const stats: CallStatsSnapshot = {
        calls: count(s.calls, 'stats.calls'),
        errors: count(s.errors, 'stats.errors'),
        buckets: b.map((v, i) => count(v, `stats.buckets[${i}]`)),
        totalNs: count(s.totalNs, 'stats.totalNs'),
        maxNs: count(s.maxNs, 'stats.maxNs'),
      };
      return { ok: true, value: { type: 'stats', symbol: symbolOf(o, 'stats'), stats } };
    }
    return { ok: false, error: 'unknown message type' };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}
