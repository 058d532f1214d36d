// The timeline strip's DOM and interaction: a canvas of events per second (timeline.ts counts and
// draws), its two end times and legend, a time range chosen by dragging or by keyboard. It counts
// every retained event while open (not the filtered view: the range is chosen on the whole
// trace); opening recounts what the store holds. The range itself is a filter the panel owns.
import { el } from './dom';
import type { EventStore } from './store';
import { drawTimeline, TimelineCounts, type TimeRange } from './timeline';

export interface TimelineHost {
  /** The time filter in force, if any. */
  range(): TimeRange | null;
  /** Sets (or with null clears) the time filter. */
  setRange(r: TimeRange | null): void;
}

export class TimelineStrip {
  readonly el = el('div', 'timeline');
  private readonly canvas = el('canvas', 'timeline-canvas');
  private readonly start = el('span', 'timeline-from');
  private readonly end = el('span', 'timeline-to');
  private readonly counts: TimelineCounts;
  private isOpen = false;
  private drawn = -1;
  private lastDraw = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private extent: { from: number; to: number } | null = null;
  /** A range being chosen, in canvas pixels: by the pointer, or by the keyboard's cursor. */
  private drag: [number, number] | null = null;
  private kbd: [number, number] | null = null;

  constructor(private readonly store: EventStore, private readonly host: TimelineHost) {
    this.counts = new TimelineCounts(store);
    this.el.id = 'timeline';
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', 'Events per second over the trace; drag (or arrow keys, Shift+arrow keys, Enter) to filter by time, Escape clears');
    const axis = el('div', 'timeline-axis');
    const legend = el('span', 'timeline-legend');
    for (const t of ['unlink', 'create', 'write', 'exec', 'exit', 'denied', 'call']) legend.append(el('span', `lg lg-${t}`), el('span', undefined, t));
    legend.append(el('span', 'muted', '· marks on top: events lost · drag to show only that time'));
    axis.append(this.start, legend, this.end);
    this.el.append(this.canvas, axis);
    this.listen();
    new ResizeObserver(() => { if (this.isOpen) this.draw(true); }).observe(this.canvas);
  }

  get open(): boolean {
    return this.isOpen;
  }
  /** A throttled redraw is waiting (the tests wait for none). */
  get pending(): boolean {
    return this.timer !== undefined;
  }
  /** Events counted (-1 while closed), for tests. */
  get total(): number {
    return this.isOpen ? this.counts.total : -1;
  }

  setOpen(open: boolean): void {
    this.isOpen = open;
    this.counts.reset();
    if (open) for (let seq = this.store.firstSeq; seq < this.store.nextSeq; seq++) this.counts.add(seq);
    this.drawn = -1;
    this.draw(true);
  }

  /** Newly stored events [first, store.nextSeq). */
  added(first: number): void {
    if (this.isOpen) for (let seq = first; seq < this.store.nextSeq; seq++) this.counts.add(seq);
  }
  /** The cap dropped the oldest event. */
  dropped(seq: number): void {
    if (this.isOpen) this.counts.remove(seq);
  }
  reset(): void {
    this.counts.reset();
  }
  /** The agent reported more lost events: a mark on the strip at this second. */
  lost(): void {
    if (!this.isOpen) return;
    this.counts.markLost();
    this.draw();
  }

  /** Redraws at most 4 times a second (`force`: now, for a drag, a resize or a new range). */
  draw(force = false): void {
    this.el.hidden = !this.isOpen;
    if (!this.isOpen || (!force && this.counts.version === this.drawn)) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < 250) {
      this.timer ??= setTimeout(() => { this.timer = undefined; this.draw(); }, 250 - (now - this.lastDraw));
      return;
    }
    this.lastDraw = now;
    this.drawn = this.counts.version;
    this.extent = drawTimeline(this.canvas, this.counts, this.host.range(), this.drag);
    const iso = (sec: number) => new Date(sec * 1000).toISOString().slice(11, 19);
    this.start.textContent = this.extent ? iso(this.extent.from) : '';
    this.end.textContent = this.extent ? iso(this.extent.to) : '';
  }

  private secAt(x: number): number {
    const e = this.extent!;
    const w = Math.max(1, this.canvas.clientWidth);
    return e.from + (Math.min(w, Math.max(0, x)) / w) * (e.to - e.from);
  }

  private apply(r: TimeRange | null): void {
    this.host.setRange(r); // the host redraws the strip with the range in force
  }

  private listen(): void {
    const c = this.canvas;
    c.addEventListener('pointerdown', (ev) => {
      if (!this.extent) return;
      c.setPointerCapture(ev.pointerId);
      this.drag = [ev.offsetX, ev.offsetX];
      this.draw(true);
    });
    c.addEventListener('pointermove', (ev) => {
      if (!this.drag) return;
      this.drag = [this.drag[0], ev.offsetX];
      this.draw(true);
    });
    c.addEventListener('pointerup', (ev) => {
      if (!this.drag) return;
      const [x0] = this.drag;
      this.drag = null;
      // a click without a drag clears the range
      if (Math.abs(ev.offsetX - x0) < 3) return this.apply(null);
      this.apply({ from: this.secAt(Math.min(x0, ev.offsetX)), to: this.secAt(Math.max(x0, ev.offsetX)) });
    });
    // The keyboard's drag: ←/→ move a cursor, Shift extends from where it started, Enter applies,
    // Escape clears (the strip is focusable: Tab reaches it).
    c.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') {
        this.kbd = this.drag = null;
        return this.apply(null);
      }
      if (!this.extent) return;
      const w = Math.max(1, c.clientWidth), step = Math.max(1, w / 50);
      if (ev.key === 'ArrowLeft' || ev.key === 'ArrowRight') {
        const [a, x] = this.kbd ?? [0, 0];
        const nx = Math.min(w, Math.max(0, x + (ev.key === 'ArrowRight' ? step : -step)));
        this.kbd = ev.shiftKey ? [a, nx] : [nx, nx];
        this.drag = this.kbd;
        this.draw(true);
        ev.preventDefault();
      } else if (ev.key === 'Enter' && this.kbd && Math.abs(this.kbd[1] - this.kbd[0]) >= 1) {
        const [a, b] = this.kbd;
        this.kbd = this.drag = null;
        this.apply({ from: this.secAt(Math.min(a, b)), to: this.secAt(Math.max(a, b)) });
      }
    });
    c.addEventListener('blur', () => {
      if (!this.kbd) return;
      this.kbd = this.drag = null;
      this.draw(true);
    });
  }
}
