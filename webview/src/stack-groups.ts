// Events by the code path they came by (`--stacks`): how many share a stack signature
// (src/core/stacks.ts), and the groups of the events in view. DOM-free (unit-tested in Node).
// Both walk the store's 'stack' column of intern ids: each distinct stack is judged once.
import type { EventStore } from './store';

export interface StackGroup {
  /** The stack signature (PanelFilters.stack filters on it). */
  signature: string;
  count: number;
  /** The group's earliest and latest event by wall time (seqs into the store). */
  first: number;
  last: number;
}

export interface StackGroups {
  /** Most events first; equal counts by signature. */
  groups: StackGroup[];
  /** Events looked at that carry no stacks (a trace without --stacks, or stacks the panel could not read). */
  without: number;
  /** Events looked at. */
  total: number;
}

/** a happened before b (wall time, then arrival). */
function earlier(store: EventStore, a: number, b: number): boolean {
  const pa = store.slot(a), pb = store.slot(b);
  const sa = store.tsec[pa], sb = store.tsec[pb];
  if (sa !== sb) return sa < sb;
  const na = store.tns[pa], nb = store.tns[pb];
  return na !== nb ? na < nb : a < b;
}

/** Groups the events `each` visits by stack signature. */
export function groupByStack(store: EventStore, each: (visit: (seq: number) => void) => void): StackGroups {
  // per distinct stack first (cheap: an id compare), then merged by signature (addresses aside)
  const byId = new Map<number, StackGroup>();
  let without = 0;
  let total = 0;
  each((seq) => {
    total++;
    const id = store.stackId(seq);
    if (id === 0) {
      without++;
      return;
    }
    const g = byId.get(id);
    if (!g) {
      byId.set(id, { signature: '', count: 1, first: seq, last: seq });
      return;
    }
    g.count++;
    if (earlier(store, seq, g.first)) g.first = seq;
    if (earlier(store, g.last, seq)) g.last = seq;
  });
  const bySig = new Map<string, StackGroup>();
  for (const [id, g] of byId) {
    const signature = store.signatureOfId(id);
    const s = bySig.get(signature);
    if (!s) {
      bySig.set(signature, { ...g, signature });
      continue;
    }
    s.count += g.count;
    if (earlier(store, g.first, s.first)) s.first = g.first;
    if (earlier(store, s.last, g.last)) s.last = g.last;
  }
  const groups = [...bySig.values()].sort((a, b) => b.count - a.count || (a.signature < b.signature ? -1 : a.signature > b.signature ? 1 : 0));
  return { groups, without, total };
}

/** How many events the store holds whose stacks have this signature (0 for ''). */
export function countSameStack(store: EventStore, signature: string): number {
  if (signature === '') return 0;
  const col = store.str.stack;
  const memo = new Map<number, boolean>();
  let n = 0;
  for (let seq = store.firstSeq; seq < store.nextSeq; seq++) {
    const id = col[store.slot(seq)];
    if (id === 0) continue;
    let m = memo.get(id);
    if (m === undefined) memo.set(id, (m = store.signatureOfId(id) === signature));
    if (m) n++;
  }
  return n;
}
