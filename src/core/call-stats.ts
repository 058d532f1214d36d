// Live counts of a probed kernel function's calls, for the Kernel Symbol view: how many, how many
// failed (a negative errno came back, an ERR_PTR among them), and how long they took as a log2
// histogram of duration_ns. Constant memory whatever the rate. No vscode, node or DOM import (the
// webview bundles the labels).
import type { KwEvent } from './events';
import { MAX_ERRNO } from './errno';

/** Buckets of the histogram: bucket i counts durations in [2^i, 2^(i+1)) ns; the last takes all longer ones. */
export const DURATION_BUCKETS = 41; // up to 2^40 ns ≈ 18 minutes

export interface CallStatsSnapshot {
  calls: number;
  /** Calls that returned -1..-4095 (an errno, or an ERR_PTR). */
  errors: number;
  /** DURATION_BUCKETS counts (see bucketOf). */
  buckets: number[];
  totalNs: number;
  maxNs: number;
}

/** The histogram bucket of a duration: floor(log2(ns)), 0 for 0 and 1 ns, at most the last. */
export function bucketOf(ns: number): number {
  if (!(ns >= 2)) return 0;
  return Math.min(DURATION_BUCKETS - 1, Math.floor(Math.log2(ns)));
}

/** The lower bound of bucket i in a few characters: 1 ns, 512 ns, 1 µs, 33 µs, 1 ms, 2 s. */
export function bucketLabel(i: number): string {
  const ns = 2 ** i;
  if (ns < 1e3) return `${ns} ns`;
  if (ns < 1e6) return `${Math.round(ns / 1e3)} µs`;
  if (ns < 1e9) return `${Math.round(ns / 1e6)} ms`;
  return `${Math.round(ns / 1e9)} s`;
}

export function isFailedReturn(ret: unknown): boolean {
  return typeof ret === 'number' && ret < 0 && ret >= -MAX_ERRNO;
}

export class CallStats {
  calls = 0;
  errors = 0;
  totalNs = 0;
  maxNs = 0;
  readonly buckets = new Array<number>(DURATION_BUCKETS).fill(0);
  /** Bumped on every change (a view redraws only when it moved). */
  version = 0;

  /** Counts the calls in a batch (other events are ignored). */
  add(batch: readonly KwEvent[]): void {
    let n = 0;
    for (const e of batch) {
      if (e.type !== 'call') continue;
      const d = typeof e.duration_ns === 'number' && Number.isFinite(e.duration_ns) && e.duration_ns >= 0 ? e.duration_ns : 0;
      this.calls++;
      if (isFailedReturn(e.ret)) this.errors++;
      this.buckets[bucketOf(d)]++;
      this.totalNs += d;
      if (d > this.maxNs) this.maxNs = d;
      n++;
    }
    if (n) this.version++;
  }

  reset(): void {
    this.calls = 0;
    this.errors = 0;
    this.totalNs = 0;
    this.maxNs = 0;
    this.buckets.fill(0);
    this.version++;
  }

  snapshot(): CallStatsSnapshot {
    return { calls: this.calls, errors: this.errors, buckets: [...this.buckets], totalNs: this.totalNs, maxNs: this.maxNs };
  }
}
