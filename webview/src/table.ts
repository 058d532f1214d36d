// Our own virtualized table: a fixed pool of row elements (as many as fit the viewport, plus
// two) is re-filled on scroll; only visible rows exist in the DOM. Cells get text through
// textContent only. Past ~8,000,000 px of content (≈ 360,000 rows) the scrollbar is scaled so
// that 1,000,000+ rows stay reachable within browser element-size limits.
import { el } from './dom';

export const ROW_H = 22;
const MAX_PX = 8_000_000;

export interface CellContent {
  text: string;
  /** Rendered as a link (a path the user can open). */
  link?: boolean;
  /** Extra CSS class (e.g. 'fail'). */
  cls?: string;
}

export interface TableColumn {
  id: string;
  label: string;
  /** Width in characters of the cell font (monospace), so columns follow the editor font size. */
  width: number;
  /** Takes the remaining width. */
  grow?: boolean;
  /** Too long for the column: cut at the start ("…/volumes/disk.img"), the end being what matters. */
  keepEnd?: boolean;
}

export interface TableSource {
  rowCount(): number;
  cell(row: number, col: string): CellContent;
  isSelected(row: number): boolean;
}

export interface TableEvents {
  onSelect(row: number): void;
  onLink(row: number, col: string): void;
  onSort(col: string): void;
  onKey(e: KeyboardEvent): void;
  /** `user` is false when the position is the one scrollToRow() set (not the user's doing). */
  onScroll(firstRow: number, user: boolean): void;
}

export class VirtualTable {
  readonly root: HTMLDivElement;
  private header: HTMLDivElement;
  private layer: HTMLDivElement;
  private spacer: HTMLDivElement;
  private fontProbe: HTMLSpanElement;
  private pool: HTMLDivElement[] = [];
  /** Display row shown by each pooled element (-1 = none; -2 = new, never filled). */
  private poolRow: number[] = [];
  private columns: TableColumn[] = [];
  private viewH = 0;
  private renderQueued = false;
  private programmaticTop = -1;
  sortCol = '';
  sortDesc = false;

  constructor(private readonly src: TableSource, private readonly ev: TableEvents) {
    this.root = el('div', 'vt');
    this.root.tabIndex = 0;
    this.root.setAttribute('role', 'grid');
    this.header = el('div', 'vt-header');
    this.header.setAttribute('role', 'row');
    this.layer = el('div', 'vt-layer');
    this.spacer = el('div', 'vt-spacer');
    this.root.append(this.header, this.layer, this.spacer);
    this.root.addEventListener('scroll', () => this.queueRender(), { passive: true });
    this.root.addEventListener('keydown', (e) => this.ev.onKey(e));
    this.header.addEventListener('click', (e) => {
      const h = (e.target as HTMLElement).closest('.vt-hcell') as HTMLElement | null;
      const i = h ? Array.prototype.indexOf.call(this.header.children, h) : -1;
      if (i >= 0) this.ev.onSort(this.columns[i].id);
    });
    this.layer.addEventListener('click', (e) => {
      const rowEl = (e.target as HTMLElement).closest('.vt-row') as HTMLDivElement | null;
      if (!rowEl) return;
      const row = this.poolRow[this.pool.indexOf(rowEl)];
      if (row === undefined || row < 0) return;
      const cellEl = (e.target as HTMLElement).closest('.vt-cell') as HTMLElement | null;
      const ci = cellEl ? Array.prototype.indexOf.call(rowEl.children, cellEl) : -1;
      this.ev.onSelect(row);
      if (ci >= 0 && cellEl!.classList.contains('link') && (e.target as HTMLElement).classList.contains('vt-text')) this.ev.onLink(row, this.columns[ci].id);
      this.root.focus({ preventScroll: true });
    });
    // A hidden 40-character sample of the cell font: when the user changes the editor font or its
    // size, its width changes and the columns are laid out again.
    this.fontProbe = el('span', 'vt-text vt-probe');
    this.fontProbe.textContent = '0123456789'.repeat(4);
    this.layer.append(this.fontProbe);
    const ro = new ResizeObserver(() => this.layout());
    ro.observe(this.root);
    ro.observe(this.fontProbe);
  }

  setColumns(cols: TableColumn[]): void {
    this.columns = cols;
    this.header.replaceChildren();
    for (const c of cols) {
      const h = el('div', 'vt-hcell');
      h.setAttribute('role', 'columnheader');
      const label = el('span');
      label.textContent = c.label;
      const arrow = el('span', 'vt-sort');
      h.append(label, arrow);
      this.header.append(h);
    }
    for (const r of this.pool) r.remove();
    this.pool = [];
    this.poolRow = [];
    this.layout();
  }

  /** Width of one character of the cell font (the editor font and size vary, and change live). */
  private charPx(): number {
    const w = this.fontProbe.getBoundingClientRect().width / 40;
    return w > 0 ? w : 8;
  }

  private layout(): void {
    const ch = this.charPx();
    const px = (c: TableColumn) => Math.ceil(c.width * ch) + 12;
    const fixed = this.columns.reduce((a, c) => a + px(c), 0);
    const avail = this.root.clientWidth;
    const extra = Math.max(0, avail - fixed - 2);
    // the room left is shared by the growing columns (the path, a call's arguments)
    const grows = this.columns.filter((c) => c.grow).length;
    const widths = this.columns.map((c) => px(c) + (c.grow ? Math.floor(extra / grows) : 0));
    this.root.style.setProperty('--vt-cols', widths.map((w) => `${w}px`).join(' '));
    this.root.style.setProperty('--vt-width', `${widths.reduce((a, b) => a + b, 0)}px`);
    this.viewH = this.root.clientHeight;
    const bodyH = Math.max(ROW_H, this.viewH - ROW_H);
    this.layer.style.height = `${bodyH}px`;
    this.spacer.style.marginTop = `${-bodyH}px`;
    const need = Math.ceil(bodyH / ROW_H) + 2;
    while (this.pool.length < need) {
      const r = el('div', 'vt-row');
      r.setAttribute('role', 'row');
      for (let i = 0; i < this.columns.length; i++) {
        const c = el('div', 'vt-cell');
        c.setAttribute('role', 'gridcell');
        c.append(el('span', 'vt-text'));
        r.append(c);
      }
      this.layer.append(r);
      this.pool.push(r);
      this.poolRow.push(-2);
    }
    while (this.pool.length > need) {
      this.pool.pop()!.remove();
      this.poolRow.pop();
    }
    this.render(true);
  }

  private contentH(n: number): number {
    return Math.min(n * ROW_H, MAX_PX);
  }

  /** Fractional first visible row for the current scrollTop. */
  private firstRowF(n: number): number {
    const bodyH = this.viewH - ROW_H;
    const full = n * ROW_H;
    if (full <= MAX_PX) return this.root.scrollTop / ROW_H;
    const maxScroll = MAX_PX - bodyH;
    const maxFirst = n - bodyH / ROW_H;
    return maxScroll > 0 ? (Math.min(this.root.scrollTop, maxScroll) / maxScroll) * maxFirst : 0;
  }

  firstVisibleRow(): number {
    return Math.floor(this.firstRowF(this.src.rowCount()));
  }
  visibleRowCount(): number {
    return Math.max(1, Math.floor((this.viewH - ROW_H) / ROW_H));
  }

  scrollToRow(row: number, align: 'top' | 'nearest' = 'nearest'): void {
    const n = this.src.rowCount();
    const bodyH = this.viewH - ROW_H;
    const first = this.firstRowF(n);
    const vis = bodyH / ROW_H;
    let target = first;
    if (align === 'top') target = row;
    else if (row < first) target = row;
    else if (row + 1 > first + vis) target = row + 1 - vis;
    else return;
    target = Math.max(0, Math.min(target, Math.max(0, n - vis)));
    // The spacer must be tall enough before scrollTop is set, or the browser clamps it.
    this.spacer.style.height = `${this.contentH(n)}px`;
    const full = n * ROW_H;
    if (full <= MAX_PX) this.root.scrollTop = target * ROW_H;
    else {
      const maxScroll = MAX_PX - bodyH;
      const maxFirst = n - vis;
      this.root.scrollTop = maxFirst > 0 ? (target / maxFirst) * maxScroll : 0;
    }
    this.programmaticTop = this.root.scrollTop;
    this.render(true);
  }

  queueRender(): void {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.render(false);
    });
  }

  /** Fills the pooled rows. `force` re-reads every cell (data changed), else only rows that moved. */
  render(force: boolean): void {
    const n = this.src.rowCount();
    this.spacer.style.height = `${this.contentH(n)}px`;
    for (let i = 0; i < this.columns.length; i++) {
      const arrow = this.header.children[i]?.lastElementChild as HTMLElement | undefined;
      if (arrow) arrow.textContent = this.columns[i].id === this.sortCol ? (this.sortDesc ? '▼' : '▲') : '';
    }
    const f = this.firstRowF(n);
    const first = Math.floor(f);
    const offset = (f - first) * ROW_H;
    for (let k = 0; k < this.pool.length; k++) {
      const r = this.pool[k];
      const row = first + k;
      r.style.transform = `translateY(${k * ROW_H - offset}px)`;
      if (row >= n) {
        if (this.poolRow[k] !== -1) {
          // A spare row: hidden and emptied, so no stale event text lingers in the DOM.
          r.style.visibility = 'hidden';
          r.classList.remove('selected');
          for (const cellEl of Array.from(r.children) as HTMLElement[]) {
            (cellEl.firstChild as HTMLElement).textContent = '';
            cellEl.title = '';
            cellEl.className = 'vt-cell';
          }
          this.poolRow[k] = -1;
        }
        continue;
      }
      r.style.visibility = '';
      const sel = this.src.isSelected(row);
      r.classList.toggle('selected', sel);
      r.setAttribute('aria-selected', String(sel));
      if (!force && this.poolRow[k] === row) continue;
      this.poolRow[k] = row;
      r.classList.toggle('odd', row % 2 === 1);
      for (let i = 0; i < this.columns.length; i++) {
        const c = this.src.cell(row, this.columns[i].id);
        const cellEl = r.children[i] as HTMLElement;
        const span = cellEl.firstChild as HTMLElement;
        if (span.textContent !== c.text) {
          span.textContent = c.text;
          cellEl.title = c.text;
        }
        const cls = `vt-cell${this.columns[i].keepEnd ? ' keep-end' : ''}${c.link && c.text ? ' link' : ''}${c.cls ? ' ' + c.cls : ''}`;
        if (cellEl.className !== cls) cellEl.className = cls;
      }
    }
    this.ev.onScroll(first, this.root.scrollTop !== this.programmaticTop);
  }
}
