// The timeline: events per second per type over the whole trace (every retained event, not only
// the filtered ones: it is the map the range filter is chosen on), drawn as stacked columns on a
// canvas, with the seconds in which the agent reported lost events marked. Counting is O(1) per
// event (one map entry per second); drawing aggregates the seconds into at most one column per
// pixel. A drag selects a time range (timeline-view wiring in main.ts turns it into a filter).
import type { EventStore } from './store';
import { TYPES } from './store';

export class TimelineCounts {
  /** Whole seconds (UTC epoch) -> events per type (TYPES order). */
  readonly perSec = new Map<number, Uint32Array>();
  /** Seconds in which lost events were reported (the newest event's second when the report came). */
  readonly lostSecs = new Set<number>();
  first = Infinity;
  last = -Infinity;
  total = 0;
  version = 0;

  constructor(private readonly store: EventStore) {}

  private bump(seq: number, by: number): void {
    const p = this.store.slot(seq);
    if (p < 0) return;
    const sec = this.store.tsec[p];
    if (!sec) return; // no wall time: not placeable
    const t = this.store.type[p];
    let c = this.perSec.get(sec);
    if (!c) {
      if (by < 0) return;
      c = new Uint32Array(TYPES.length);
      this.perSec.set(sec, c);
    }
    c[t] = Math.max(0, c[t] + by);
    if (by > 0) {
      if (sec < this.first) this.first = sec;
      if (sec > this.last) this.last = sec;
    } else if (c.every((x) => x === 0)) {
      this.perSec.delete(sec);
      if (sec === this.first) {
        // the cap drops the oldest first: the new first second is found once per emptied second
        let f = Infinity;
        for (const k of this.perSec.keys()) if (k < f) f = k;
        this.first = f;
      }
    }
    this.total += by;
    this.version++;
  }

  add(seq: number): void { this.bump(seq, 1); }
  remove(seq: number): void { this.bump(seq, -1); }

  /** A lost report arrived: mark the second of the newest event. */
  markLost(): void {
    if (this.last > -Infinity) {
      this.lostSecs.add(this.last);
      this.version++;
    }
  }

  reset(): void {
    this.perSec.clear();
    this.lostSecs.clear();
    this.first = Infinity;
    this.last = -Infinity;
    this.total = 0;
    this.version++;
  }

  /**
   * The counts in `cols` equal slices of [from, to) seconds: per column the per-type sums, and
   * whether a lost report fell in it.
   */
  columns(cols: number, from: number, to: number): { sums: Uint32Array[]; lost: boolean[]; max: number } {
    const sums = Array.from({ length: cols }, () => new Uint32Array(TYPES.length));
    const lost = new Array<boolean>(cols).fill(false);
    const w = (to - from) / cols;
    let max = 0;
    const col = (sec: number) => Math.min(cols - 1, Math.max(0, Math.floor((sec - from) / w)));
    for (const [sec, c] of this.perSec) {
      const s = sums[col(sec)];
      for (let t = 0; t < c.length; t++) s[t] += c[t];
    }
    for (const s of sums) {
      let n = 0;
      for (const x of s) n += x;
      if (n > max) max = n;
    }
    for (const sec of this.lostSecs) if (sec >= from && sec < to) lost[col(sec)] = true;
    return { sums, lost, max };
  }
}

/** Colours per type from the theme's chart palette (VS Code's --vscode-charts-*). */
const TYPE_COLOR_VARS = ['--vscode-charts-red', '--vscode-charts-green', '--vscode-charts-yellow', '--vscode-charts-blue', '--vscode-charts-purple', '--vscode-charts-orange', '--vscode-charts-orange', '--vscode-terminal-ansiCyan'];
const FALLBACK = ['#f14c4c', '#89d185', '#cca700', '#3794ff', '#b180d7', '#d18616', '#d18616', '#29b8db'];

export interface TimeRange {
  from: number; // seconds, UTC epoch, inclusive
  to: number;   // exclusive
}

/** Draws the strip: stacked columns, lost marks, the selected range, the time at both ends. */
export function drawTimeline(canvas: HTMLCanvasElement, t: TimelineCounts, range: TimeRange | null, drag: [number, number] | null): { from: number; to: number } | null {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, canvas.clientWidth), h = Math.max(1, canvas.clientHeight);
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const g = canvas.getContext('2d');
  if (!g) return null;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  if (t.perSec.size === 0) return null;
  const from = t.first, to = Math.max(t.last + 1, t.first + 1);
  const cols = Math.max(1, Math.min(Math.floor(w), to - from));
  const { sums, lost, max } = t.columns(cols, from, to);
  const style = getComputedStyle(document.body);
  const colors = TYPE_COLOR_VARS.map((v, i) => style.getPropertyValue(v).trim() || FALLBACK[i]);
  const cw = w / cols;
  const top = 6; // room for the lost marks
  for (let c = 0; c < cols; c++) {
    let y = h;
    for (let k = 0; k < TYPES.length; k++) {
      const n = sums[c][k];
      if (!n) continue;
      const bh = Math.max(1, ((h - top) * n) / max);
      g.fillStyle = colors[k];
      g.fillRect(c * cw, y - bh, Math.max(1, cw - (cw > 3 ? 1 : 0)), bh);
      y -= bh;
    }
    if (lost[c]) {
      // the theme's text colour: unlike the type colours, never mistaken for a kind of event
      g.fillStyle = style.getPropertyValue('--vscode-foreground').trim() || '#cccccc';
      g.fillRect(c * cw, 0, Math.max(2, cw), 4);
    }
  }
  const x = (sec: number) => ((sec - from) / (to - from)) * w;
  const shade = (x0: number, x1: number) => {
    g.fillStyle = style.getPropertyValue('--vscode-editor-selectionBackground').trim() || '#264f78';
    g.globalAlpha = 0.45;
    g.fillRect(Math.min(x0, x1), 0, Math.max(2, Math.abs(x1 - x0)), h); // a keyboard cursor is 2 px
    g.globalAlpha = 1;
  };
  if (drag) shade(drag[0], drag[1]);
  else if (range) shade(x(range.from), x(range.to));
  return { from, to };
}
