// The filtered, sorted list of rows the table shows: sequence numbers into the EventStore.
// Filters run over interned ids with per-id memo tables, so a 1,000,000-event rebuild touches
// each distinct string once. With the default sort (time, i.e. arrival order) new events are
// appended incrementally; any other sort is rebuilt (throttled by the caller).
import type { ColumnId, PanelFilters } from '../../src/contract/messages';
import type { PodRef } from '../../src/core/events';
import { CALL_TYPE, EventStore, TYPES, type StrColumn } from './store';
import { argPaths } from '../../src/core/calls';
import { argsLabel } from './format';
import { globToRegExp } from './glob';
import { PodMatch, containerLabel, containerNameIn, podIn, podLabel, shownPathPod } from './pods';

const EXEC = TYPES.indexOf('exec');

export class RowFilter {
  private typeCode = -1;
  private pid = -1;
  private uids: Set<number> | null = null;
  private comm = '';
  private text = '';
  private textPid = -1;
  private glob: RegExp | null = null;
  private failedOnly = false;
  private okOnly = false;
  private timeFrom = -Infinity;
  private timeTo = Infinity;
  private ancestor = 0;
  /** A stack signature (PanelFilters.stack), '' = off. */
  private stack = '';
  private pods: PodMatch;
  readonly active: boolean;
  // Per-intern-id memo: 0 unknown, 1 match, 2 no match.
  private memoText = new Int8Array(0);
  private memoComm = new Int8Array(0);
  private memoGlob = new Int8Array(0);
  private memoAnc = new Int8Array(0);
  // the pod filters: over the per-process 'cmd' JSON (pod, container name), the 'extra' JSON
  // (path_pod) and the container id, each distinct string judged once
  private memoPod = new Int8Array(0);
  private memoPathPod = new Int8Array(0);
  private memoCname = new Int8Array(0);
  private memoCid = new Int8Array(0);
  private memoStack = new Int8Array(0);
  private gen = -1;

  constructor(f: PanelFilters, users: Record<string, string>) {
    this.typeCode = f.type === '' ? -1 : TYPES.indexOf(f.type);
    const pid = f.pid.trim();
    this.pid = /^\d+$/.test(pid) ? Number(pid) : pid === '' ? -1 : -2;
    const uid = f.uid.trim();
    if (uid !== '') {
      this.uids = new Set();
      if (/^\d+$/.test(uid)) this.uids.add(Number(uid));
      for (const [k, v] of Object.entries(users)) if (v === uid) this.uids.add(Number(k));
    }
    this.comm = f.comm.trim().toLowerCase();
    this.text = f.text.trim().toLowerCase();
    this.textPid = /^\d+$/.test(this.text) ? Number(this.text) : -1;
    this.glob = f.pathGlob.trim() ? globToRegExp(f.pathGlob.trim()) : null;
    this.failedOnly = f.failedOnly;
    this.okOnly = f.okOnly === true && !f.failedOnly;
    if (typeof f.timeFrom === 'number' && typeof f.timeTo === 'number') {
      this.timeFrom = f.timeFrom;
      this.timeTo = f.timeTo;
    }
    this.ancestor = f.ancestor;
    this.stack = f.stack ?? '';
    this.pods = new PodMatch(f);
    this.active = this.typeCode >= 0 || this.pid !== -1 || this.uids !== null || this.comm !== '' || this.text !== '' || this.glob !== null || this.failedOnly || this.okOnly || this.timeTo !== Infinity || this.ancestor > 0
      || this.pods.byPod || this.pods.byContainer || this.stack !== '';
  }

  private memo(store: EventStore): void {
    if (this.gen !== store.strings.generation || this.memoText.length < store.strings.size) {
      const n = store.strings.size + 1024;
      this.memoText = new Int8Array(n);
      this.memoComm = new Int8Array(n);
      this.memoGlob = new Int8Array(n);
      this.memoAnc = new Int8Array(n);
      this.memoPod = new Int8Array(n);
      this.memoPathPod = new Int8Array(n);
      this.memoCname = new Int8Array(n);
      this.memoCid = new Int8Array(n);
      this.memoStack = new Int8Array(n);
      this.gen = store.strings.generation;
    }
  }

  private strMatch(store: EventStore, memo: Int8Array, id: number, f: (s: string) => boolean): boolean {
    let m = memo[id];
    if (m === 0) {
      m = f(store.strings.strs[id]) ? 1 : 2;
      memo[id] = m;
    }
    return m === 1;
  }

  test(store: EventStore, seq: number): boolean {
    if (!this.active) return true;
    const p = store.slot(seq);
    if (p < 0) return false;
    if (this.typeCode >= 0 && store.type[p] !== this.typeCode) return false;
    if (this.pid !== -1 && store.pid[p] !== this.pid) return false;
    if (this.uids && !this.uids.has(store.uid[p])) return false;
    if (this.failedOnly && !(store.ret[p] < 0)) return false;
    if (this.okOnly && store.ret[p] < 0) return false;
    if (this.timeTo !== Infinity) {
      const t = store.tsec[p] + store.tns[p] / 1e9;
      if (!(t >= this.timeFrom && t < this.timeTo)) return false;
    }
    this.memo(store);
    const S = store.str;
    if (this.comm && !this.strMatch(store, this.memoComm, S.comm[p], (s) => s.toLowerCase().includes(this.comm))) return false;
    if (this.glob) {
      const g = this.glob;
      if (store.type[p] === CALL_TYPE) {
        // a call: the paths of its arguments (a dentry's, a file's), else the caller's exe
        const paths = argPaths(store.extraOf(seq).args);
        if (paths.length ? !paths.some((x) => g.test(x)) : !this.strMatch(store, this.memoGlob, S.exe[p], (s) => g.test(s))) return false;
      } else {
        const id = store.type[p] === EXEC || S.path[p] === 0 ? S.exe[p] : S.path[p];
        if (!this.strMatch(store, this.memoGlob, id, (s) => g.test(s))) return false;
      }
    }
    if (this.ancestor > 0 && store.pid[p] !== this.ancestor) {
      const a = this.ancestor;
      if (!this.strMatch(store, this.memoAnc, S.ancestors[p], (s) => s !== '' && (JSON.parse(s) as Array<{ pid: number }>).some((x) => x.pid === a))) return false;
    }
    const m = this.pods;
    if (m.byPod
      && !this.strMatch(store, this.memoPod, S.cmd[p], (s) => m.pod(podIn(s, 'pod')))
      && !this.strMatch(store, this.memoPathPod, S.extra[p], (s) => m.pod(podIn(s, 'path_pod')))) return false;
    if (m.byContainer
      && !this.strMatch(store, this.memoCname, S.cmd[p], (s) => m.containerName(containerNameIn(s)))
      && !this.strMatch(store, this.memoCid, S.container[p], (s) => m.containerId(s))) return false;
    if (this.stack !== '') {
      const id = S.stack[p];
      if (id === 0) return false;
      let m = this.memoStack[id];
      if (m === 0) this.memoStack[id] = m = store.signatureOfId(id) === this.stack ? 1 : 2;
      if (m !== 1) return false;
    }
    if (this.text) {
      if (this.textPid >= 0 && (store.pid[p] === this.textPid || store.ppid[p] === this.textPid)) return true;
      const t = this.text;
      const hit = (s: string) => s.toLowerCase().includes(t);
      // the stacks too: a function name finds the events that passed through it
      // a call's function ('call') and its arguments ('extra') too
      const cols: StrColumn[] = ['comm', 'exe', 'path', 'cwd', 'container', 'cgroup', 'probe', 'extra', 'cmd', 'ancestors', 'stack', 'call'];
      let any = false;
      for (const c of cols) if (this.strMatch(store, this.memoText, S[c][p], hit)) { any = true; break; }
      if (!any && !store.typeOf(seq).includes(t) && !store.opOf(seq).includes(t)) return false;
    }
    return true;
  }
}

/** A numeric sort key per row; strings sort by their rank among the distinct strings present. */
function sortKeys(store: EventStore, rows: Float64Array, n: number, col: ColumnId): Float64Array {
  const keys = new Float64Array(n);
  const strCol = (c: StrColumn, fallback?: StrColumn) => {
    const ids = store.str[c];
    const fb = fallback ? store.str[fallback] : null;
    const idOf = (p: number) => (ids[p] === 0 && fb ? fb[p] : ids[p]);
    const distinct = new Set<number>();
    for (let i = 0; i < n; i++) distinct.add(idOf(store.slot(rows[i])));
    const sorted = [...distinct].sort((a, b) => {
      const x = store.strings.strs[a], y = store.strings.strs[b];
      return x < y ? -1 : x > y ? 1 : 0;
    });
    const rank = new Map<number, number>();
    sorted.forEach((id, r) => rank.set(id, r));
    for (let i = 0; i < n; i++) keys[i] = rank.get(idOf(store.slot(rows[i])))!;
  };
  // columns whose text is derived (from the per-process JSON and more): ranked by that text
  const labelCol = (labelOf: (seq: number) => string) => {
    const labels = new Array<string>(n);
    for (let i = 0; i < n; i++) labels[i] = labelOf(rows[i]);
    const rank = new Map<string, number>();
    [...new Set(labels)].sort().forEach((l, r) => rank.set(l, r));
    for (let i = 0; i < n; i++) keys[i] = rank.get(labels[i])!;
  };
  const podText = (p: PodRef | null) => (p ? podLabel(p) : '');
  switch (col) {
    case 'time':
      for (let i = 0; i < n; i++) { const p = store.slot(rows[i]); keys[i] = store.tsec[p] * 1e9 + store.tns[p]; }
      break;
    case 'ktime':
      for (let i = 0; i < n; i++) keys[i] = store.ktime[store.slot(rows[i])];
      break;
    case 'type':
      for (let i = 0; i < n; i++) { const p = store.slot(rows[i]); keys[i] = store.type[p] * 16 + store.op[p]; }
      break;
    case 'process':
    case 'ppid':
      for (let i = 0; i < n; i++) { const p = store.slot(rows[i]); keys[i] = col === 'ppid' ? store.ppid[p] : store.pid[p]; }
      if (col === 'process') { strCol('comm'); const k2 = new Float64Array(keys); for (let i = 0; i < n; i++) keys[i] = k2[i] * 4294967296 + store.pid[store.slot(rows[i])]; }
      break;
    case 'user':
      for (let i = 0; i < n; i++) keys[i] = store.uid[store.slot(rows[i])];
      break;
    case 'result':
      for (let i = 0; i < n; i++) keys[i] = store.ret[store.slot(rows[i])];
      break;
    case 'exe': strCol('exe'); break;
    case 'path': strCol('path', 'exe'); break;
    case 'cwd': strCol('cwd'); break;
    case 'cgroup': strCol('cgroup'); break;
    case 'probe': strCol('probe'); break;
    case 'container': labelCol((seq) => containerLabel(store.containerNameOf(seq), store.container(seq))); break;
    case 'pod': labelCol((seq) => podText(store.podOf(seq))); break;
    case 'path_pod': labelCol((seq) => podText(shownPathPod(store.podOf(seq), store.pathPodOf(seq)))); break;
    case 'func': labelCol((seq) => store.callOf(seq)?.func ?? ''); break;
    case 'args': labelCol((seq) => argsLabel(store, seq)); break;
    // the sign of a pointer or a 64-bit value is in the column (store.ts): an exact order is not needed
    case 'return':
      for (let i = 0; i < n; i++) { const p = store.slot(rows[i]); keys[i] = store.type[p] === CALL_TYPE ? store.ret[p] : -1e300; }
      break;
    case 'duration':
      for (let i = 0; i < n; i++) { const d = store.durationOf(rows[i]); keys[i] = Number.isNaN(d) ? -1 : d; }
      break;
  }
  return keys;
}

/** Told of every row the view takes in, and of a rebuild (the summary counts them). */
export interface RowListener {
  added(seq: number): void;
  cleared(): void;
}

export class RowView {
  rows = new Float64Array(1024);
  listener: RowListener | null = null;
  /** Rows [start, end) of `rows` are live. */
  private start = 0;
  private end = 0;
  /** Events up to (excluding) this seq have been considered. */
  upto = 0;

  get length(): number {
    return this.end - this.start;
  }

  /** Seq at display index i (ascending storage; `descending` flips the index). */
  at(i: number, descending: boolean): number {
    return descending ? this.rows[this.end - 1 - i] : this.rows[this.start + i];
  }

  indexOf(seq: number, descending: boolean, sortedBySeq: boolean): number {
    let i = -1;
    if (sortedBySeq) {
      let lo = this.start, hi = this.end - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const v = this.rows[mid];
        if (v === seq) { i = mid; break; }
        if (v < seq) lo = mid + 1; else hi = mid - 1;
      }
    } else {
      for (let k = this.start; k < this.end; k++) if (this.rows[k] === seq) { i = k; break; }
    }
    if (i < 0) return -1;
    return descending ? this.end - 1 - i : i - this.start;
  }

  private push(seq: number): void {
    if (this.end === this.rows.length) {
      const live = this.end - this.start;
      const bigger = new Float64Array(Math.max(1024, live * 2));
      bigger.set(this.rows.subarray(this.start, this.end));
      this.rows = bigger;
      this.start = 0;
      this.end = live;
    }
    this.rows[this.end++] = seq;
    this.listener?.added(seq);
  }

  /** Arrival order views: forgets the oldest row if it is `seq` (the store is dropping it). */
  takeOldest(seq: number): boolean {
    if (this.end > this.start && this.rows[this.start] === seq) {
      this.start++;
      return true;
    }
    return false;
  }

  /** Every live row's seq, in storage order. */
  forEach(f: (seq: number) => void): void {
    for (let i = this.start; i < this.end; i++) f(this.rows[i]);
  }

  /** Appends matching events in [upto, limit) (arrival order views only). */
  append(store: EventStore, filter: RowFilter, limit: number): number {
    let added = 0;
    for (let seq = Math.max(this.upto, store.firstSeq); seq < limit; seq++) {
      if (filter.test(store, seq)) { this.push(seq); added++; }
    }
    this.upto = Math.max(this.upto, limit);
    return added;
  }

  /** Forgets rows older than the store's oldest retained event (arrival order views only). */
  trimDropped(store: EventStore): void {
    while (this.start < this.end && this.rows[this.start] < store.firstSeq) this.start++;
  }

  /** Full rebuild: filter everything up to `limit`, then sort when the column is not time. */
  rebuild(store: EventStore, filter: RowFilter, limit: number, sort: ColumnId): void {
    this.rows = new Float64Array(Math.max(1024, store.size));
    this.start = 0;
    this.end = 0;
    this.listener?.cleared();
    this.upto = store.firstSeq;
    this.append(store, filter, limit);
    if (sort !== 'time' && this.length > 1) {
      const n = this.length;
      const live = this.rows.subarray(0, n);
      const keys = sortKeys(store, live, n, sort);
      const idx = new Uint32Array(n);
      for (let i = 0; i < n; i++) idx[i] = i;
      idx.sort((a, b) => keys[a] - keys[b] || a - b);
      const sorted = new Float64Array(this.rows.length);
      for (let i = 0; i < n; i++) sorted[i] = live[idx[i]];
      this.rows = sorted;
    }
  }
}
