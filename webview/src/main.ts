// The event panel's webview: header (counts, rate, lost badge, state), controls, the virtual
// table and the details pane. Talks to the host only through src/contract.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import type { KwEvent } from '../../src/core/events';
import type { HostRef, TraceState } from '../../src/core/trace-api';
import {
  CALL_COLUMNS, CALLS_ONLY_COLUMNS, COLUMN_IDS, CONTRACT_VERSION, DEFAULT_COLUMNS, EMPTY_FILTERS, dispatch,
  type ColumnId, type ExportFormat, type Handlers, type HostToWebview, type HostToWebviewMap, type PanelFilters,
  type PanelViewState, type PathField, type WebviewToHost,
} from '../../src/contract/messages';
import { EventStore } from './store';
import { RowFilter, RowView } from './view';
import { VirtualTable, type CellContent } from './table';
import { COLUMNS, cellText, csvRow, CSV_COLUMNS, symbolOfProbe } from './format';
import { bytesToB64, b64ToBytes, exactB64, visible, visibleField } from './text';
import { renderDetails } from './details';
import { countSameStack, groupByStack } from './stack-groups';
import { renderStackGroups } from './stack-view';
import { Summary, type Facet } from './summary';
import { renderSummary } from './summary-view';
import type { TimeRange } from './timeline';
import { TimelineStrip } from './timeline-view';
import { count } from '../../src/core/plural';
import { podFilterValue } from './pods';
import { el } from './dom';

interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();
const post = (m: WebviewToHost): void => vscode.postMessage(m);

// ------------------------------------------------------------------ state
const saved = loadSaved();
let traceId: string | null = saved?.traceId ?? null;
let host: HostRef = { id: saved?.hostId ?? '', label: saved?.hostId ?? '', kind: 'local' };
let title = saved?.title ?? 'Kernel Witness';
let traceState: TraceState = { kind: 'connecting' };
let live = true;
/** The host can start this panel's scope again once it ended (init says). */
let restartable = false;
/** Restart was chosen; the new trace's init clears it. */
let restartAsked = false;
let lostTotal = 0;
let users: Record<string, string> = {};
// a state saved before a filter existed lacks it: the empty filters fill in what is missing
let filters: PanelFilters = saved ? { ...EMPTY_FILTERS, ...saved.filters } : { ...EMPTY_FILTERS };
let columns: ColumnId[] = saved ? [...saved.columns] : [...DEFAULT_COLUMNS];
let sort: { column: ColumnId; descending: boolean } = saved ? { ...saved.sort } : { column: 'time', descending: false };
let detailsOpen = saved?.detailsOpen ?? true;
let summaryOpen = saved?.summaryOpen ?? false;
let timelineOpen = saved?.timelineOpen ?? false;
let pendingScrollRow = saved?.scrollRow ?? 0;
let received = 0;
/** `received` when Stop was chosen in this panel (-1: not asked): the header says "stopping…" at once. */
let stopAskedAt = -1;
let pausedAt = -1;
let selectedSeq = -1;
/** The details pane shows the stack groups of the rows in view instead of the selected event. */
let stackGroupsOpen = false;
let follow = true;
const store = new EventStore(1_000_000);
let filter = new RowFilter(filters, users);
const view = new RowView();
let viewDirty = false;
let rebuildTimer: ReturnType<typeof setTimeout> | undefined;
const arrivals: Array<[number, number]> = [];

function loadSaved(): PanelViewState | null {
  const s = vscode.getState() as PanelViewState | undefined;
  if (!s || typeof s !== 'object' || s.contract !== CONTRACT_VERSION) return null;
  if (!Array.isArray(s.columns) || !s.columns.every((c) => (COLUMN_IDS as readonly string[]).includes(c))) return null;
  return s;
}

let saveTimer: ReturnType<typeof setTimeout> | undefined;
function saveState(): void {
  if (saveTimer) return;
  saveTimer = setTimeout(() => {
    saveTimer = undefined;
    if (!traceId) return;
    const s: PanelViewState = {
      contract: CONTRACT_VERSION, traceId, hostId: host.id, title, filters, columns, sort,
      scrollRow: table.firstVisibleRow(), detailsOpen, summaryOpen, timelineOpen,
    };
    vscode.setState(s);
  }, 150);
}

// ------------------------------------------------------------------ DOM
function vsc(tag: string, id: string, text?: string): HTMLElement {
  const e = document.createElement(tag);
  e.id = id;
  if (text !== undefined) e.textContent = text;
  return e;
}

const app = el('div', 'app');
const header = el('div', 'hdr');
const titleEl = el('span', 'title');
titleEl.id = 'title';
const stateEl = el('span', 'state');
stateEl.id = 'state';
const countEl = el('span', 'count');
countEl.id = 'count';
const rateEl = el('span', 'rate');
rateEl.id = 'rate';
const droppedEl = el('span', 'dropped');
droppedEl.id = 'dropped';
const pausedEl = el('span', 'paused');
pausedEl.id = 'paused';
const lostEl = vsc('vscode-badge', 'lost');
lostEl.setAttribute('variant', 'counter');
const lostWrap = el('span', 'lost-wrap');
lostWrap.append(el('span', 'lost-label', 'lost'), lostEl);
lostWrap.title = 'Events the agent could not deliver (ring buffer full), exact count for this trace';
/** Of lostTotal: calls the kernel could not follow (its pending table was full); each may have been an event. */
let lostUntracked = 0;
header.append(titleEl, stateEl, countEl, rateEl, droppedEl, pausedEl, lostWrap);

const toolbar = el('div', 'toolbar');
const pauseBtn = vsc('vscode-button', 'pause', 'Pause');
const clearBtn = vsc('vscode-button', 'clear', 'Clear');
const stopBtn = vsc('vscode-button', 'stop', 'Stop');
const resumeBtn = vsc('vscode-button', 'resume', 'Reconnect');
const restartBtn = vsc('vscode-button', 'restart', 'Restart');
restartBtn.title = 'Start the same trace again (same host and scope) in this panel';
const colsBtn = vsc('vscode-button', 'columns', 'Columns');
const detailsBtn = vsc('vscode-button', 'details-toggle', 'Details');
const summaryBtn = vsc('vscode-button', 'summary-toggle', 'Summary');
const timelineBtn = vsc('vscode-button', 'timeline-toggle', 'Timeline');
timelineBtn.title = 'Events per second per type over the whole trace; drag across it to show only that time';
summaryBtn.title = 'Who did most of what is in view: top processes, directories, users, parents, containers and operations; click a bar to filter';
/** A button whose first word goes in a narrow panel ("Export CSV" -> "CSV"), so the toolbar keeps to fewer rows. */
function shortenable(id: string, first: string, rest: string): HTMLElement {
  const b = vsc('vscode-button', id);
  b.append(el('span', 'wide-only', first), rest); // the gap is the span's margin (panel.css): the button is a flex box
  b.setAttribute('aria-label', `${first} ${rest}`);
  return b;
}
const jsonlBtn = shortenable('export-jsonl', 'Export', 'JSONL');
const csvBtn = shortenable('export-csv', 'Export', 'CSV');
for (const b of [clearBtn, stopBtn, colsBtn, detailsBtn, summaryBtn, timelineBtn, jsonlBtn, csvBtn]) b.setAttribute('secondary', '');
toolbar.append(pauseBtn, clearBtn, stopBtn, resumeBtn, restartBtn, el('span', 'sep'), colsBtn, timelineBtn, summaryBtn, detailsBtn, el('span', 'sep'), jsonlBtn, csvBtn);

const filterBar = el('div', 'filters');
function textField(id: string, placeholder: string, value: string, width: string): HTMLElement {
  const f = vsc('vscode-textfield', id);
  f.setAttribute('placeholder', placeholder);
  (f as unknown as { value: string }).value = value;
  f.style.width = width;
  return f;
}
const fText = textField('f-text', 'Search all fields', filters.text, '220px');
/** A drop-down filter: [value, label] options, `value` selected. */
function selectField(id: string, options: Array<[string, string]>, value: string, width: string): HTMLElement {
  const f = vsc('vscode-single-select', id);
  for (const [v, label] of options) {
    const o = document.createElement('vscode-option');
    o.setAttribute('value', v);
    o.textContent = label;
    if (v === value) o.setAttribute('selected', '');
    f.append(o);
  }
  f.style.width = width;
  return f;
}
const fType = selectField('f-type', [['', 'All types'], ['unlink', 'unlink'], ['create', 'create'], ['write', 'write'], ['exec', 'exec'], ['exit', 'exit'], ['denied', 'denied'], ['would-deny', 'would deny'], ['call', 'call']], filters.type, '110px');
const fPid = textField('f-pid', 'pid', filters.pid, '72px');
const fComm = textField('f-comm', 'comm', filters.comm, '110px');
const fUid = textField('f-uid', 'uid / user', filters.uid, '90px');
const fGlob = textField('f-glob', 'path glob, e.g. /etc/**', filters.pathGlob, '200px');
const fPod = textField('f-pod', 'pod, e.g. shop/cart-*', filters.pod, '150px');
fPod.title = 'The pod of the process or of the file: text, or a glob on namespace/name (with / or *)';
const fNs = textField('f-ns', 'namespace', filters.namespace, '110px');
fNs.title = 'The namespace of the process\'s pod or of the file\'s pod (exact, or a glob with *)';
const fContainer = textField('f-container', 'container', filters.container, '110px');
fContainer.title = 'The container of the process: part of its name, or the start of its id';
// one switch for the call's result: a create trace flooded by EEXIST mkdirs is one click from clean
const resultOf = (f: PanelFilters) => (f.failedOnly ? 'failed' : f.okOnly ? 'ok' : '');
const fResult = selectField('f-result', [['', 'Any result'], ['ok', 'Succeeded'], ['failed', 'Failed']], resultOf(filters), '120px');
fResult.title = 'Only calls that succeeded, or only failed ones (with their errno)';
/** A filter shown as a chip with its text and a × that removes it. */
function chip(id: string, clearTitle: string): { chip: HTMLElement; text: HTMLElement; clear: HTMLElement } {
  const c = el('span', 'chip');
  c.id = id;
  const text = el('span');
  const clear = el('button', 'chip-x', '×');
  clear.title = clearTitle;
  c.append(text, clear);
  return { chip: c, text, clear };
}
const { chip: ancChip, text: ancText, clear: ancClear } = chip('f-ancestor', 'Remove the ancestor filter');
const { chip: timeChip, text: timeText, clear: timeClear } = chip('f-time', 'Remove the time range');
const { chip: stackChip, text: stackText, clear: stackClear } = chip('f-stack', 'Remove the stack filter: every code path again');
// In a narrow panel the per-field filters fold behind one button that counts the ones in use
// (panel.css); search, type and result stay in sight.
const moreFilters = vsc('vscode-button', 'f-more', 'More filters');
moreFilters.setAttribute('secondary', '');
moreFilters.setAttribute('aria-expanded', 'false');
const fieldFilters = [fPid, fComm, fUid, fGlob, fPod, fNs, fContainer];
for (const f of fieldFilters) f.classList.add('field-filter');
moreFilters.addEventListener('click', () => {
  const open = filterBar.classList.toggle('expanded');
  moreFilters.setAttribute('aria-expanded', String(open));
});
filterBar.append(fText, fType, fResult, moreFilters, ...fieldFilters, ancChip, timeChip, stackChip);

const colsPop = el('div', 'popover');
colsPop.id = 'columns-popover';
colsPop.hidden = true;
for (const id of COLUMN_IDS) {
  const cb = document.createElement('vscode-checkbox');
  cb.setAttribute('label', COLUMNS[id].label);
  cb.dataset.col = id;
  if (columns.includes(id)) cb.setAttribute('checked', '');
  colsPop.append(cb);
}

const main = el('div', 'main');
const detailsEl = el('div', 'details');
detailsEl.id = 'details';
const summaryEl = el('div', 'summary');
summaryEl.id = 'summary';
summaryEl.setAttribute('aria-label', 'Summary of the rows in view');
const statusEl = el('div', 'status');
statusEl.id = 'status';
statusEl.setAttribute('role', 'status');

// ------------------------------------------------------------------ table
const table = new VirtualTable(
  {
    rowCount: () => view.length,
    isSelected: (row) => view.at(row, sort.descending) === selectedSeq,
    cell(row, col): CellContent {
      const seq = view.at(row, sort.descending);
      const c = cellText(store, seq, col as ColumnId, users);
      // a pod cell filters on its pod, like the pod in the details pane
      // a call's function opens the Kernel Symbol view
      const link = col === 'path' || col === 'exe' || col === 'cwd' || col === 'pod' || col === 'path_pod' || col === 'func';
      // a guard's refusal stands out in every cell of its row (panel.css .guard-denied)
      const t = store.typeOf(seq);
      const guard = t === 'denied' ? 'guard-denied' : t === 'would-deny' ? 'guard-would' : '';
      return { text: c.text, link, cls: [c.failed ? 'fail' : '', guard].filter(Boolean).join(' ') || undefined };
    },
  },
  {
    onSelect(row) {
      // Picking a row stops following the tail (the row would scroll away), unless it is the last.
      follow = !sort.descending && row >= view.length - 1;
      stackGroupsOpen = false;
      select(view.at(row, sort.descending));
    },
    onLink(row, col) {
      const seq = view.at(row, sort.descending);
      if (col === 'pod' || col === 'path_pod') {
        const p = col === 'pod' ? store.podOf(seq) : store.pathPodOf(seq);
        if (p) filterBy('pod', podFilterValue(p));
        return;
      }
      if (col === 'func') {
        const c = store.callOf(seq);
        if (c && c.func_b64 === undefined && traceId) post({ type: 'showKernelSymbol', traceId, hostId: host.id, symbol: c.func, probe: store.s('probe', seq) });
        return;
      }
      openField(seq, col === 'path' ? (store.typeOf(seq) === 'exec' ? 'filename' : 'path') : (col as PathField));
    },
    onSort(col) {
      const c = col as ColumnId;
      sort = sort.column === c ? { column: c, descending: !sort.descending } : { column: c, descending: false };
      rebuildNow();
      saveState();
    },
    onKey: onTableKey,
    onScroll(first, user) {
      // Follow the tail until the user scrolls away from it; scrolling back to the end resumes.
      if (user) follow = !sort.descending && first + table.visibleRowCount() >= view.length - 1;
      saveState();
    },
  },
);
// The side panes share one box: beside the table when the panel is wide, below it when narrow
// (panel.css), hidden when both are closed so the table takes the room.
const sideEl = el('div', 'side');
sideEl.id = 'side';
sideEl.append(summaryEl, detailsEl);
main.append(table.root, sideEl);
function syncSide(): void { sideEl.hidden = summaryEl.hidden && detailsEl.hidden; }
// the timeline strip: a canvas (pictures, no text from events) and its two end times
const timeline = new TimelineStrip(store, { range: () => timeRange(), setRange: (r) => setTimeRange(r) });
app.append(header, toolbar, filterBar, colsPop, timeline.el, main, statusEl);
document.body.append(app);

/** The Columns chooser's boxes as `columns` says (after a change that did not come from them). */
function syncColumnChooser(): void {
  for (const cb of Array.from(colsPop.querySelectorAll('vscode-checkbox')) as HTMLElement[]) {
    const on = columns.includes(cb.dataset.col as ColumnId);
    cb.toggleAttribute('checked', on);
    (cb as unknown as { checked: boolean }).checked = on;
  }
}

function applyColumns(): void {
  table.setColumns(columns.map((id) => COLUMNS[id]));
  table.sortCol = sort.column;
  table.sortDesc = sort.descending;
}

// ------------------------------------------------------------------ rows
function viewLimit(): number {
  return pausedAt >= 0 ? pausedAt : store.nextSeq;
}

function rebuildNow(): void {
  clearTimeout(rebuildTimer);
  rebuildTimer = undefined;
  viewDirty = false;
  const t0 = performance.now();
  view.rebuild(store, filter, viewLimit(), sort.column);
  lastRebuildMs = performance.now() - t0;
  table.sortCol = sort.column;
  table.sortDesc = sort.descending;
  refresh();
}
let lastRebuildMs = 0;

function scheduleRebuild(): void {
  viewDirty = true;
  if (rebuildTimer) return;
  rebuildTimer = setTimeout(rebuildNow, Math.min(2000, Math.max(250, lastRebuildMs * 4)));
}

// Incoming batches are queued and stored in slices of at most INGEST_BUDGET_MS per task, so a
// big batch never blocks a frame: the browser paints between slices.
const INGEST_BUDGET_MS = 6;
const INGEST_SLICE = 500;
const ingestQueue: KwEvent[][] = [];
let ingestOffset = 0;
let ingestScheduled = false;
const ingestChannel = new MessageChannel();
ingestChannel.port1.onmessage = () => {
  ingestScheduled = false;
  ingest(INGEST_BUDGET_MS);
};
let ingestMs = 0;

function onEvents(events: KwEvent[]): void {
  received += events.length;
  arrivals.push([performance.now(), events.length]);
  if (events.length === 0) return;
  ingestQueue.push(events);
  if (!ingestScheduled) {
    ingestScheduled = true;
    ingestChannel.port2.postMessage(null);
  }
}

/** Stores queued events for up to `budgetMs` (Infinity: all of them, e.g. before pause or export). */
function ingest(budgetMs: number): void {
  if (ingestQueue.length === 0) return;
  const t0 = performance.now();
  while (ingestQueue.length && performance.now() - t0 < budgetMs) {
    const b = ingestQueue[0];
    const end = Math.min(b.length, ingestOffset + INGEST_SLICE);
    const first = store.add(b, ingestOffset, end);
    timeline.added(first);
    ingestOffset = end;
    if (end === b.length) {
      ingestQueue.shift();
      ingestOffset = 0;
    }
  }
  if (sort.column === 'time') {
    view.trimDropped(store);
    if (pausedAt < 0) view.append(store, filter, store.nextSeq);
  } else if (pausedAt < 0) scheduleRebuild();
  queueRefresh();
  ingestMs += performance.now() - t0;
  if (ingestQueue.length && !ingestScheduled) {
    ingestScheduled = true;
    ingestChannel.port2.postMessage(null);
  }
}

function dropQueued(): void {
  ingestQueue.length = 0;
  ingestOffset = 0;
}

let refreshQueued = false;
function queueRefresh(): void {
  if (refreshQueued) return;
  refreshQueued = true;
  requestAnimationFrame(() => {
    refreshQueued = false;
    refresh();
  });
}

// ------------------------------------------------------------------ summary
// Counted only while its pane is open (then incrementally, as the view takes rows in), so a
// closed summary costs the stream nothing.
const summary = new Summary(store);
let summaryDrawn = -1;
let summaryLastDraw = 0;
let summaryTimer: ReturnType<typeof setTimeout> | undefined;
// The cap drops the oldest event: in arrival order it is the view's oldest row, if shown at all.
store.onDrop = (seq) => {
  timeline.dropped(seq);
  if (sort.column === 'time' && view.takeOldest(seq) && view.listener) summary.remove(seq);
};

// ------------------------------------------------------------------ timeline
function setTimelineOpen(open: boolean): void {
  timelineOpen = open;
  timeline.setOpen(open);
  timelineBtn.toggleAttribute('secondary', !open);
}

function timeRange(): TimeRange | null {
  return typeof filters.timeFrom === 'number' && typeof filters.timeTo === 'number' ? { from: filters.timeFrom, to: filters.timeTo } : null;
}

timeClear.addEventListener('click', () => setTimeRange(null));

function setTimeRange(r: TimeRange | null): void {
  const f = { ...filters };
  delete f.timeFrom;
  delete f.timeTo;
  if (r) { f.timeFrom = r.from; f.timeTo = r.to; }
  setFilters(f);
  timeline.draw(true);
}

function setSummaryOpen(open: boolean): void {
  summaryOpen = open;
  if (open) {
    view.listener = { added: (seq) => summary.add(seq), cleared: () => summary.reset() };
    summary.reset();
    view.forEach((seq) => summary.add(seq));
  } else {
    view.listener = null;
  }
  summaryDrawn = -1;
  drawSummary();
}

/** Redraws at most 4 times a second; the last change is always drawn. */
function drawSummary(): void {
  summaryEl.hidden = !summaryOpen;
  syncSide();
  summaryBtn.toggleAttribute('secondary', !summaryOpen);
  if (!summaryOpen || summary.version === summaryDrawn) return;
  const now = performance.now();
  if (now - summaryLastDraw < 250) {
    summaryTimer ??= setTimeout(() => { summaryTimer = undefined; drawSummary(); }, 250 - (now - summaryLastDraw));
    return;
  }
  summaryLastDraw = now;
  summaryDrawn = summary.version;
  renderSummary(summaryEl, summary, users, pickFacet);
}

/** A bar was clicked: filter the table by it (the summary then counts what is left). */
function pickFacet(facet: Facet | 'tree', key: string | number): void {
  const f = { ...filters };
  switch (facet) {
    case 'tree': f.ancestor = Number(key); break;
    case 'process': f.comm = String(key).split('\0')[0]; break;
    case 'user': f.uid = String(key); break;
    case 'parent': f.ancestor = Number(key); break;
    // a directory whose name holds * or ? matches a few more rows (the glob has no escape)
    case 'directory': f.pathGlob = key === '/' ? '/*' : `${String(key)}/*`; break;
    case 'container': {
      const [kind, value] = String(key).split('\0');
      if (kind === 'pod') f.pod = value; else f.container = value;
      break;
    }
    case 'operation': f.type = String(key).split(' ')[0] as PanelFilters['type']; break;
    // an errno has no filter of its own: failed calls, the bar's errno among them
    case 'result': f.failedOnly = Number(key) < 0; f.okOnly = Number(key) === 0; break;
  }
  setFilters(f);
  syncControls();
}

function refresh(): void {
  drawSummary();
  timeline.draw();
  if (follow && !sort.descending && view.length > 0 && pendingScrollRow < 0) table.scrollToRow(view.length - 1);
  table.render(true);
  updateHeader();
  if (selectedSeq >= 0 && store.slot(selectedSeq) < 0) select(-1);
}

function updateHeader(): void {
  titleEl.textContent = visible(title);
  const ended = traceEnded();
  // Stop shows at once, even while the agent's last output (events from before Stop) still
  // arrives; how many came after the click is said, since they were kept, not dropped.
  const afterStop = stopAskedAt >= 0 ? received - stopAskedAt : 0;
  const late = afterStop > 0 ? ` · ${count(afterStop, 'event')} from before Stop arrived after it, kept` : '';
  const stopping = live && stopAskedAt >= 0 && !ended;
  stateEl.textContent = !live ? 'ended (window reloaded; events not kept)' : stopping ? `stopping…${late}` : visible(stateText(traceState)) + (ended ? late : '');
  stateEl.className = `state ${!live ? 'stopped' : stopping ? 'stopping' : traceState.kind}`;
  const shown = view.length;
  countEl.textContent = `${shown.toLocaleString('en-US')} ${shown === 1 ? 'row' : 'rows'}` + (shown !== store.size ? ` of ${store.size.toLocaleString('en-US')}` : '');
  droppedEl.textContent = store.dropped ? `${store.dropped.toLocaleString('en-US')} oldest dropped (cap ${store.cap.toLocaleString('en-US')})` : '';
  pausedEl.textContent = pausedAt >= 0 ? `paused · ${(store.nextSeq - pausedAt).toLocaleString('en-US')} new` : '';
  lostEl.textContent = String(lostTotal);
  lostWrap.classList.toggle('has-lost', lostTotal > 0);
  lostWrap.title = lostUntracked > 0
    ? `${lostTotal} lost (pending table full: ${lostUntracked}): events the agent could not deliver, and calls its kernel side could not follow because its table of calls in flight was full (each may have been an event)`
    : 'Events the agent could not deliver (ring buffer full), exact count for this trace';
  pauseBtn.textContent = pausedAt >= 0 ? 'Resume' : 'Pause';
  // nothing more will arrive once ended: Pause has nothing to hold back (Resume stays, to show what was held)
  pauseBtn.toggleAttribute('disabled', ended && pausedAt < 0);
  restartBtn.hidden = !(live && ended && restartable);
  restartBtn.toggleAttribute('disabled', restartAsked);
  if (restartAsked && !restartBtn.hidden) stateEl.textContent = 'restarting…';
  stopBtn.toggleAttribute('disabled', ended || stopping);
  resumeBtn.hidden = !live || traceState.kind !== 'disconnected';
  ancChip.hidden = filters.ancestor === 0;
  const tr = timeRange();
  timeChip.hidden = tr === null;
  if (tr) {
    const t = (sec: number) => new Date(sec * 1000).toISOString().slice(11, 23);
    timeText.textContent = `time ${t(tr.from)} – ${t(tr.to)}`;
  }
  ancText.textContent = `descendants of pid ${filters.ancestor}`;
  stackChip.hidden = !filters.stack;
  if (filters.stack) {
    const sig = visible(filters.stack);
    stackText.textContent = `stack ${sig.length > 48 ? `${sig.slice(0, 47)}…` : sig}`;
    stackChip.title = sig;
  }
}

/** Nothing more will arrive: stopped, failed, or a panel whose trace is gone. */
function traceEnded(): boolean {
  return !live || traceState.kind === 'stopped' || traceState.kind === 'failed';
}

function stateText(s: TraceState): string {
  switch (s.kind) {
    case 'running': {
      // One entry per family with the distinct modes its probes got (a family has several probes).
      const modes = new Map<string, Set<string>>();
      for (const p of s.probes) (modes.get(p.family) ?? modes.set(p.family, new Set()).get(p.family)!).add(p.mode);
      const text = `running · ${[...modes].map(([f, m]) => `${f}: ${[...m].join('+')}`).join(', ')}`;
      if (!s.resumed) return text;
      // the trace ran on without this window (a reload, a dropped connection): say what it kept
      const away = s.resumed.awayMs >= 1000 ? `${Math.round(s.resumed.awayMs / 1000)} s` : `${s.resumed.awayMs} ms`;
      const lost = s.resumed.notKept ? `; ${s.resumed.notKept.toLocaleString('en-US')} events could not be kept` : '; nothing missed';
      return `${text} · back after ${away} without a window${lost}`;
    }
    case 'disconnected': return `disconnected: ${s.reason}`;
    case 'stopped': return s.reason ? `stopped: ${s.reason}` : 'stopped';
    case 'failed': return `failed: ${s.message}`;
    default: return s.kind;
  }
}

setInterval(() => {
  const now = performance.now();
  while (arrivals.length && now - arrivals[0][0] > 2000) arrivals.shift();
  const n = arrivals.reduce((a, x) => a + x[1], 0);
  const rate = Math.round(n / 2);
  // an ended trace has no rate (its last events arriving would read as a live one)
  rateEl.textContent = traceEnded() && rate === 0 ? '' : `${count(rate, 'event')}/s`;
}, 500);

// ------------------------------------------------------------------ selection, details
function select(seq: number): void {
  selectedSeq = seq;
  table.render(false);
  showDetails();
}

function showDetails(): void {
  detailsEl.hidden = !detailsOpen;
  syncSide();
  if (!detailsOpen) return;
  if (stackGroupsOpen) {
    showStackGroups();
    return;
  }
  if (selectedSeq < 0 || store.slot(selectedSeq) < 0) {
    detailsEl.replaceChildren(el('div', 'empty', 'Select an event to see every field.'));
    return;
  }
  const ev = store.get(selectedSeq);
  renderDetails(detailsEl, ev, users, {
    open: (field, b64) => { if (traceId) post({ type: 'openPath', traceId, hostId: host.id, pathB64: b64, field }); },
    filterAncestor: (pid) => { setFilters({ ...filters, ancestor: pid }); },
    filterBy,
    symbol: (probe) => {
      const sym = symbolOfProbe(probe);
      if (sym && traceId) post({ type: 'showKernelSymbol', traceId, hostId: host.id, symbol: sym, probe });
      else status(`No kernel function behind probe ${visible(probe)}`);
    },
    // a stack frame's function: no probe behind it
    kernelSymbol: (symbol) => { if (traceId) post({ type: 'showKernelSymbol', traceId, hostId: host.id, symbol, probe: '' }); },
    openSource: (src, line) => { if (traceId) post({ type: 'openSource', traceId, src, line }); },
    groupByStack: () => { stackGroupsOpen = true; showDetails(); },
  }, countSameStack(store, store.stackSignatureOf(selectedSeq)));
  // Kept while a filter hides it (typing a filter must not lose what was being read), but never
  // passed off as a row of the table.
  if (filter.active && !filter.test(store, selectedSeq)) {
    const note = el('div', 'hidden-note', 'Not in the table: the filters hide this event. ');
    note.id = 'details-hidden-note';
    note.setAttribute('role', 'note');
    const clear = el('a', 'link', 'Close it');
    clear.setAttribute('role', 'button');
    clear.tabIndex = 0;
    const unselect = () => select(-1);
    clear.addEventListener('click', unselect);
    clear.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); unselect(); } });
    note.append(clear);
    detailsEl.prepend(note);
  }
}

/**
 * The events in view (every filter but the stack one) by the code path they came by; a snapshot,
 * counted again on Refresh and on every filter change.
 */
function showStackGroups(): void {
  ingest(Infinity);
  const others = new RowFilter({ ...filters, stack: '' }, users);
  const limit = viewLimit();
  const groups = groupByStack(store, (visit) => {
    for (let seq = store.firstSeq; seq < limit; seq++) if (others.test(store, seq)) visit(seq);
  });
  renderStackGroups(detailsEl, store, groups, filters.stack ?? '', {
    pick: (sig) => setFilters({ ...filters, stack: sig === filters.stack ? '' : sig }),
    refresh: () => showDetails(),
    close: () => { stackGroupsOpen = false; showDetails(); },
  });
}

function pathB64(ev: Record<string, unknown>, field: PathField): string | null {
  const v = ev[field];
  if (typeof v !== 'string' || v === '') return null;
  const b = exactB64(v, typeof ev[`${field}_b64`] === 'string' ? (ev[`${field}_b64`] as string) : undefined);
  if (field === 'filename' && !v.startsWith('/') && typeof ev.cwd === 'string') {
    // execve("./ls"): the file is relative to the caller's cwd.
    const cwd = b64ToBytes(exactB64(ev.cwd, typeof ev.cwd_b64 === 'string' ? ev.cwd_b64 : undefined));
    const rel = b64ToBytes(b);
    const out = new Uint8Array(cwd.length + 1 + rel.length);
    out.set(cwd);
    out[cwd.length] = 0x2f;
    out.set(rel, cwd.length + 1);
    return bytesToB64(out);
  }
  return b;
}

function openField(seq: number, field: PathField): void {
  if (!traceId) return;
  const b = pathB64(store.get(seq) as unknown as Record<string, unknown>, field);
  if (b) post({ type: 'openPath', traceId, hostId: host.id, pathB64: b, field });
}

function onTableKey(e: KeyboardEvent): void {
  const n = view.length;
  if (n === 0) return;
  let idx = selectedSeq >= 0 ? view.indexOf(selectedSeq, sort.descending, sort.column === 'time') : -1;
  const page = table.visibleRowCount();
  switch (e.key) {
    case 'ArrowDown': idx = Math.min(n - 1, idx + 1); break;
    case 'ArrowUp': idx = Math.max(0, idx < 0 ? 0 : idx - 1); break;
    case 'PageDown': idx = Math.min(n - 1, idx + page); break;
    case 'PageUp': idx = Math.max(0, idx - page); break;
    case 'Home': idx = 0; break;
    case 'End': idx = n - 1; break;
    case 'Enter':
      if (selectedSeq >= 0) openField(selectedSeq, store.typeOf(selectedSeq) === 'exec' ? 'filename' : 'path');
      e.preventDefault();
      return;
    case 'Escape': select(-1); return;
    default: return;
  }
  e.preventDefault();
  follow = !sort.descending && idx === n - 1;
  stackGroupsOpen = false;
  selectedSeq = view.at(idx, sort.descending);
  table.scrollToRow(idx);
  showDetails();
}

// ------------------------------------------------------------------ controls
function setFilters(f: PanelFilters): void {
  filters = f;
  countFieldFilters();
  filter = new RowFilter(filters, users);
  rebuildNow();
  // the selected event may have left (or come back into) the table: the details say which;
  // the stack groups count what the filters now keep
  if (selectedSeq >= 0 || stackGroupsOpen) showDetails();
  saveState();
}
/** A "filter by this" click (details pane, pod cell): sets one text filter and shows it in its field. */
function filterBy(key: 'pod' | 'namespace' | 'container', value: string): void {
  setFilters({ ...filters, [key]: value });
  syncControls();
}
/** Puts the filter values into the controls (after a filter change that did not come from them). */
function syncControls(): void {
  const set = (e: HTMLElement, v: string) => { (e as unknown as { value: string }).value = v; };
  set(fText, filters.text); set(fPid, filters.pid); set(fComm, filters.comm); set(fUid, filters.uid); set(fGlob, filters.pathGlob);
  set(fPod, filters.pod); set(fNs, filters.namespace); set(fContainer, filters.container);
  set(fType, filters.type);
  set(fResult, resultOf(filters));
  countFieldFilters();
}
/** "More filters (2)": the folded fields that hold a value. */
function countFieldFilters(): void {
  const n = [filters.pid, filters.comm, filters.uid, filters.pathGlob, filters.pod, filters.namespace, filters.container].filter((v) => v.trim() !== '').length;
  moreFilters.textContent = n ? `More filters (${n})` : 'More filters';
}
/** Typed filter values waiting for their debounce (the tests wait for 0). */
let pendingInputs = 0;
function fieldValue(e: HTMLElement): string {
  return String((e as unknown as { value: string }).value ?? '');
}
function onField(e: HTMLElement, apply: (v: string) => PanelFilters): void {
  let t: ReturnType<typeof setTimeout> | undefined;
  const go = () => {
    if (t === undefined) pendingInputs++;
    clearTimeout(t);
    t = setTimeout(() => {
      t = undefined;
      pendingInputs--;
      setFilters(apply(fieldValue(e)));
    }, 120);
  };
  e.addEventListener('input', go);
  e.addEventListener('change', go);
}
onField(fText, (v) => ({ ...filters, text: v }));
onField(fPid, (v) => ({ ...filters, pid: v }));
onField(fComm, (v) => ({ ...filters, comm: v }));
onField(fUid, (v) => ({ ...filters, uid: v }));
onField(fGlob, (v) => ({ ...filters, pathGlob: v }));
onField(fPod, (v) => ({ ...filters, pod: v }));
onField(fNs, (v) => ({ ...filters, namespace: v }));
onField(fContainer, (v) => ({ ...filters, container: v }));
fType.addEventListener('change', () => setFilters({ ...filters, type: fieldValue(fType) as PanelFilters['type'] }));
fResult.addEventListener('change', () => {
  const v = fieldValue(fResult);
  setFilters({ ...filters, failedOnly: v === 'failed', okOnly: v === 'ok' });
});
ancClear.addEventListener('click', () => setFilters({ ...filters, ancestor: 0 }));
stackClear.addEventListener('click', () => setFilters({ ...filters, stack: '' }));

pauseBtn.addEventListener('click', () => {
  ingest(Infinity); // what arrived before the click belongs to the frozen view
  if (pausedAt >= 0) {
    pausedAt = -1;
    if (sort.column === 'time') view.append(store, filter, store.nextSeq); else rebuildNow();
  } else pausedAt = store.nextSeq;
  refresh();
});
clearBtn.addEventListener('click', () => {
  dropQueued();
  store.clear();
  timeline.reset();
  select(-1);
  rebuildNow();
});
stopBtn.addEventListener('click', () => {
  if (!traceId) return;
  if (stopAskedAt < 0) stopAskedAt = received;
  post({ type: 'stopTrace', traceId });
  updateHeader();
});
resumeBtn.addEventListener('click', () => { if (traceId) post({ type: 'resumeTrace', traceId }); });
restartBtn.addEventListener('click', () => {
  if (!traceId || restartAsked) return;
  restartAsked = true;
  post({ type: 'restartTrace', traceId });
  updateHeader();
});
// The column chooser closes on Escape and on a click elsewhere.
document.addEventListener('click', (e) => {
  if (!colsPop.hidden && !colsPop.contains(e.target as Node) && e.target !== colsBtn) colsPop.hidden = true;
});
document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && !colsPop.hidden) colsPop.hidden = true; });
detailsBtn.addEventListener('click', () => { detailsOpen = !detailsOpen; showDetails(); saveState(); });
summaryBtn.addEventListener('click', () => { setSummaryOpen(!summaryOpen); saveState(); });
timelineBtn.addEventListener('click', () => { setTimelineOpen(!timelineOpen); saveState(); });
colsBtn.addEventListener('click', () => { colsPop.hidden = !colsPop.hidden; });
colsPop.addEventListener('change', (e) => {
  const cb = (e.target as HTMLElement).closest('vscode-checkbox') as HTMLElement | null;
  const id = cb?.dataset.col as ColumnId | undefined;
  if (!cb || !id) return;
  const on = Boolean((cb as unknown as { checked: boolean }).checked);
  const next = COLUMN_IDS.filter((c) => (c === id ? on : columns.includes(c)));
  if (next.length === 0) { (cb as unknown as { checked: boolean }).checked = true; return; }
  columns = next;
  applyColumns();
  saveState();
});
jsonlBtn.addEventListener('click', () => beginExport('jsonl'));
csvBtn.addEventListener('click', () => beginExport('csv'));

function status(msg: string): void {
  statusEl.textContent = msg;
}

// ------------------------------------------------------------------ export
function beginExport(format: ExportFormat): void {
  if (!traceId) return;
  ingest(Infinity);
  if (viewDirty) rebuildNow();
  post({ type: 'exportBegin', traceId, format, count: view.length });
}

async function streamExport(exportId: number, format: ExportFormat): Promise<void> {
  if (!traceId) return;
  const id = traceId;
  const rows: number[] = [];
  for (let i = 0; i < view.length; i++) rows.push(view.at(i, sort.descending));
  let buf = format === 'csv' ? CSV_COLUMNS.join(',') + '\n' : '';
  for (let i = 0; i < rows.length; i++) {
    if (store.slot(rows[i]) < 0) continue;
    const ev = store.get(rows[i]) as unknown as Record<string, unknown>;
    buf += (format === 'csv' ? csvRow(ev) : JSON.stringify(ev)) + '\n';
    if (buf.length > 4 * 1024 * 1024) {
      post({ type: 'exportChunk', traceId: id, exportId, data: buf, last: false });
      buf = '';
      status(`exporting… ${i + 1} of ${rows.length}`);
      await new Promise((r) => setTimeout(r, 0));
    }
  }
  post({ type: 'exportChunk', traceId: id, exportId, data: buf, last: true });
}

// ------------------------------------------------------------------ host messages
const handlers: Handlers<HostToWebviewMap> = {
  init(m) {
    // a restart of the trace this panel showed keeps its filters; another trace gets its own
    if (traceId !== m.traceId && !(m.restartOf !== undefined && m.restartOf === traceId)) {
      // Another trace: its own filters (columns and sort are the user's preference and stay).
      filters = { ...EMPTY_FILTERS };
      pendingScrollRow = 0;
      syncControls();
      // a trace of kernel functions shows the call's columns (the user may take them away again)
      if (m.funcs?.length) {
        const defaults = columns.length === DEFAULT_COLUMNS.length && columns.every((c, i) => c === DEFAULT_COLUMNS[i]);
        const want = defaults && !m.families?.length ? CALLS_ONLY_COLUMNS : [...columns, ...CALL_COLUMNS];
        columns = COLUMN_IDS.filter((c) => want.includes(c));
        syncColumnChooser();
        applyColumns();
      }
    }
    traceId = m.traceId;
    host = m.host;
    title = m.title;
    traceState = m.state;
    live = m.live;
    restartable = m.restartable === true;
    restartAsked = false;
    lostTotal = m.lostTotal;
    lostUntracked = 0; // the next lost message says (the host sends one after the replay)
    users = m.users;
    dropQueued();
    store.setCap(m.config.maxEvents);
    store.clear();
    timeline.reset();
    received = 0;
    stopAskedAt = -1;
    pausedAt = -1;
    selectedSeq = -1;
    stackGroupsOpen = false;
    filter = new RowFilter(filters, users);
    rebuildNow();
    showDetails();
    saveState();
  },
  events(m) {
    onEvents(m.events);
  },
  replayDone() {
    ingest(Infinity);
    if (viewDirty) rebuildNow();
    if (pendingScrollRow >= 0) {
      const row = pendingScrollRow;
      pendingScrollRow = -1;
      follow = row === 0 && view.length > 0 ? false : follow;
      if (row > 0) { follow = false; table.scrollToRow(row, 'top'); }
      else follow = true;
    }
    refresh();
  },
  state(m) {
    traceState = m.state;
    restartAsked = false; // a state of the same trace: the restart did not begin (the host said why)
    // still running after Stop was asked: the stop failed (the host said why); Stop can be chosen again
    if (m.state.kind === 'running') stopAskedAt = -1;
    updateHeader();
  },
  lost(m) {
    if (m.total > lostTotal) timeline.lost();
    lostTotal = m.total;
    lostUntracked = m.untracked ?? 0;
    updateHeader();
  },
  exportAccepted(m) {
    void streamExport(m.exportId, m.format);
  },
  exportResult(m) {
    status(m.message);
  },
};

window.addEventListener('message', (e: MessageEvent) => {
  const m = e.data as HostToWebview;
  if (!m || typeof m !== 'object' || typeof m.type !== 'string' || !Object.prototype.hasOwnProperty.call(handlers, m.type)) return;
  // Every message names its trace; anything for another trace is stale and dropped.
  if (m.type !== 'init' && m.traceId !== traceId) return;
  dispatch(handlers, m);
});

// Test hook: read-only counters for the component tests and benchmarks.
(window as unknown as { kwPanel: unknown }).kwPanel = {
  get rows() { return view.length; },
  get retained() { return store.size; },
  get received() { return received; },
  get dropped() { return store.dropped; },
  get selected() { return selectedSeq; },
  /** Time spent storing and filtering incoming events (ms), excluding message delivery and rendering. */
  get ingestMs() { return ingestMs; },
  /** True while a filter debounce, a throttled rebuild or a frame refresh is still pending. */
  get busy() { return pendingInputs > 0 || rebuildTimer !== undefined || refreshQueued || ingestQueue.length > 0 || summaryTimer !== undefined || timeline.pending; },
  /** The summary's event count (what its bars add up to), -1 while closed. */
  get summaryTotal() { return summaryOpen ? summary.total : -1; },
  /** The timeline's event count (every retained event), -1 while closed; the chosen range. */
  get timelineTotal() { return timeline.total; },
  get timeRange() { return timeRange(); },
  seqAt: (i: number) => view.at(i, sort.descending),
  event: (seq: number) => store.get(seq),
  firstVisibleRow: () => table.firstVisibleRow(),
  scrollToRow: (r: number) => { follow = false; table.scrollToRow(r, 'top'); },
};

applyColumns();
updateHeader();
showDetails();
setSummaryOpen(summaryOpen);
setTimelineOpen(timelineOpen);
void visibleField;
post({ type: 'ready', traceId, contract: CONTRACT_VERSION });
