// The summary's counts: for the rows the table shows (the filtered view), how many events each
// process, user, container or pod, parent, directory and operation accounts for, kept
// incrementally as rows arrive (O(1) map updates per row) and recounted when the view is rebuilt.
// The view calls add/remove/reset (RowView's listener); summary-view.ts draws the bars.
//
// Keys are labels (strings) or plain numbers, never interned ids: the store frees and reuses an
// id once its last event is dropped, and a count must not move to another string then.
import type { EventStore } from './store';
import { TYPES } from './store';
import { containerLabel, podFilterValue, podLabel } from './pods';

export type Facet = 'process' | 'user' | 'container' | 'parent' | 'directory' | 'operation' | 'result';
export const FACETS: readonly Facet[] = ['process', 'directory', 'result', 'user', 'parent', 'container', 'operation'];

/** One facet's counts, with a retained example event per key (labels and filters come from it). */
export class Tally<K> {
  readonly counts = new Map<K, number>();
  bump(k: K, by: number): void {
    const n = (this.counts.get(k) ?? 0) + by;
    if (n > 0) this.counts.set(k, n);
    else this.counts.delete(k);
  }
  /** The `n` largest, biggest first (ties: the key seen first). */
  top(n: number): Array<[K, number]> {
    const all = [...this.counts];
    all.sort((a, b) => b[1] - a[1]);
    return all.slice(0, n);
  }
}

/** What one row contributes: computed once per add and once per remove, from the same row. */
export interface RowKeys {
  process: string;   // comm NUL exe
  user: number;
  container: string; // 'pod' NUL filter value NUL label, or 'ctr' NUL name-or-id NUL label; '' when none
  parent: number;    // ppid
  directory: string; // '' for process events
  operation: string; // type or type/op
  result: number;    // 0 ok, else the negative errno; NaN for exits (their result is an exit code)
  file: boolean;
  type: string;
  /** The acting process, then its ancestors (parent first): pids and "comm" labels. */
  chain: number[];
  chainLabels: string[];
}

/** One process of the merged ancestry tree: events by it and by its descendants. */
export interface TreeNode {
  pid: number;
  parent: number; // 0: a root (its parent is not known)
  label: string;
  count: number;  // events by it or any descendant
  own: number;    // events by it
}

export class Summary {
  readonly tallies = {
    process: new Tally<string>(),
    user: new Tally<number>(),
    container: new Tally<string>(),
    parent: new Tally<number>(),
    directory: new Tally<string>(),
    operation: new Tally<string>(),
    result: new Tally<number>(),
  };
  total = 0;
  failed = 0;
  /** Per event type (unlink, create, ...). */
  readonly types = new Tally<string>();
  /**
   * The deepest directory every counted file event is under ('' none yet). Removing rows never
   * deepens it again until a recount: it stays true, only less precise.
   */
  under: string | null = null;
  /** Parent pid -> "comm (pid N)" of a counted row, for the parent facet's labels. */
  readonly parentLabel = new Map<number, string>();
  /** The ancestry of the counted events merged into one tree, by pid (a reused pid shares a node). */
  readonly tree = new Map<number, TreeNode>();
  /** Bumped on every change: the view redraws only when it moved. */
  version = 0;

  constructor(private readonly store: EventStore) {}

  keysOf(seq: number): RowKeys | null {
    const s = this.store;
    const p = s.slot(seq);
    if (p < 0) return null;
    const type = s.typeOf(seq);
    const file = TYPES.indexOf(type as (typeof TYPES)[number]) >= 0 && type !== 'exec' && type !== 'exit' && type !== 'call';
    const op = s.opOf(seq);
    let directory = '';
    if (file && s.hasPath(seq)) {
      const path = s.s('path', seq);
      const i = path.lastIndexOf('/');
      directory = i <= 0 ? '/' : path.slice(0, i);
    }
    const pod = s.podOf(seq);
    const cid = s.container(seq);
    const cname = s.containerNameOf(seq);
    const container = pod
      ? `pod\0${podFilterValue(pod)}\0pod ${podLabel(pod)}`
      : cid || cname ? `ctr\0${cname || cid}\0${containerLabel(cname, cid)}` : '';
    const anc = s.ancestorsOf(seq);
    const chain = [s.pid[p], ...anc.map((a) => a.pid)];
    const chainLabels = [s.s('comm', seq), ...anc.map((a) => a.comm)];
    return {
      chain,
      chainLabels,
      process: `${s.s('comm', seq)}\0${s.s('exe', seq)}`,
      user: s.uid[p],
      container,
      parent: s.ppid[p],
      directory,
      operation: op && op !== type ? `${type} ${op}` : type,
      result: type === 'exit' ? NaN : Math.min(0, s.ret[p]),
      file,
      type,
    };
  }

  add(seq: number): void {
    const k = this.keysOf(seq);
    if (!k) return;
    this.apply(k, 1, seq);
    if (k.file && k.directory) this.under = this.under === null ? k.directory : commonDir(this.under, k.directory);
  }

  remove(seq: number): void {
    const k = this.keysOf(seq);
    if (k) this.apply(k, -1, seq);
  }

  reset(): void {
    for (const t of Object.values(this.tallies)) t.counts.clear();
    this.types.counts.clear();
    this.parentLabel.clear();
    this.tree.clear();
    this.total = 0;
    this.failed = 0;
    this.under = null;
    this.version++;
  }

  private apply(k: RowKeys, by: number, seq: number): void {
    const t = this.tallies;
    t.process.bump(k.process, by);
    t.user.bump(k.user, by);
    if (k.container) t.container.bump(k.container, by);
    t.parent.bump(k.parent, by);
    if (k.directory) t.directory.bump(k.directory, by);
    t.operation.bump(k.operation, by);
    if (!Number.isNaN(k.result)) t.result.bump(k.result, by);
    this.types.bump(k.type, by);
    for (let i = 0; i < k.chain.length; i++) {
      const pid = k.chain[i];
      let n = this.tree.get(pid);
      if (!n) {
        if (by < 0) continue;
        n = { pid, parent: k.chain[i + 1] ?? 0, label: k.chainLabels[i], count: 0, own: 0 };
        this.tree.set(pid, n);
      }
      n.count += by;
      if (i === 0) n.own += by;
      if (n.count <= 0) this.tree.delete(pid);
    }
    this.total += by;
    if (this.store.ret[this.store.slot(seq)] < 0) this.failed += by;
    if (by > 0 && !this.parentLabel.has(k.parent)) {
      const a = this.store.ancestorsOf(seq)[0];
      this.parentLabel.set(k.parent, a && a.pid === k.parent ? `${a.comm} (pid ${k.parent})` : `pid ${k.parent}`);
    }
    this.version++;
  }
}

/** The deepest directory holding both (component-wise), '/' at least. */
export function commonDir(a: string, b: string): string {
  if (a === b) return a;
  const x = a.split('/'), y = b.split('/');
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  const d = x.slice(0, i).join('/');
  return d === '' ? '/' : d;
}

const NOUN: Record<string, [string, string]> = {
  unlink: ['deletion', 'deletions'],
  create: ['creation', 'creations'],
  write: ['write', 'writes'],
  exec: ['exec', 'execs'],
  exit: ['exit', 'exits'],
  denied: ['refusal', 'refusals'],
  'would-deny': ['would-be refusal', 'would-be refusals'],
  call: ['call', 'calls'],
};

/**
 * The trace's answer in one line: "1,204 deletions under /var/lib/kubelet/pods by 2 programs:
 * kubelet 99.8%". Names come out as plain strings (the caller puts them in text nodes).
 */
export function headline(s: Summary): string {
  if (s.total === 0) return 'No events in view.';
  const n = (x: number) => x.toLocaleString('en-US');
  const types = s.types.top(2);
  const [type, count] = types[0];
  const noun = NOUN[type] ?? [type, type];
  const what = types.length === 1 || count === s.total
    ? `${n(count)} ${count === 1 ? noun[0] : noun[1]}`
    : `${n(s.total)} events (${n(count)} ${count === 1 ? noun[0] : noun[1]})`;
  const where = s.under && s.under !== '/' ? ` under ${s.under}` : '';
  const procs = s.tallies.process.counts.size;
  const [topKey, topCount] = s.tallies.process.top(1)[0];
  const comm = topKey.split('\0')[0] || '?';
  const pct = (100 * topCount) / s.total;
  const share = pct >= 99.95 && topCount !== s.total ? '>99.9' : pct.toFixed(pct >= 10 ? 0 : 1);
  const who = procs === 1 ? ` by ${comm}` : ` by ${n(procs)} programs: ${comm} ${share}%`;
  const failed = s.failed ? `; ${n(s.failed)} failed` : '';
  return `${what}${where}${who}${failed}`;
}
