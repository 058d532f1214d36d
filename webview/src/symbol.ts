// The Kernel Symbol view's script: its live probe. Probe This Function and Stop post to the host
// (src/panel/symbol-probe.ts); the host sends the probe's state and its counts, drawn here as
// text and a log2 histogram of the calls' durations (SVG built with createElementNS, text by
// textContent only). Talks to the host only through the typed contract src/contract/symbol.ts,
// every incoming message checked.
import { DURATION_BUCKETS, bucketLabel, type CallStatsSnapshot } from '../../src/core/call-stats';
import { formatDuration } from '../../src/core/calls';
import { dispatch, type Handlers } from '../../src/contract/messages';
import { validateSymbolHostMessage, type HostToSymbolMap, type SymbolProbeState, type SymbolToHost } from '../../src/contract/symbol';

interface VsCodeApi {
  postMessage(msg: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();
const post = (m: SymbolToHost): void => vscode.postMessage(m);

const symbol = document.body.dataset.symbol ?? '';
const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const startBtn = byId<HTMLButtonElement>('probe-start');
const stopBtn = byId<HTMLButtonElement>('probe-stop');
const stateEl = byId<HTMLSpanElement>('probe-state');
const countsEl = byId<HTMLDivElement>('probe-counts');
const histEl = byId<HTMLDivElement>('probe-histogram');

let state: SymbolProbeState = 'idle';

startBtn.addEventListener('click', () => {
  if (state === 'starting' || state === 'running') return;
  startBtn.disabled = true; // until the host says what became of it
  post({ type: 'startProbe', symbol });
});
stopBtn.addEventListener('click', () => {
  stopBtn.disabled = true;
  post({ type: 'stopProbe', symbol });
});

const STATE_TEXT: Record<SymbolProbeState, string> = {
  idle: '',
  starting: 'starting…',
  running: 'probing',
  stopped: 'stopped',
  failed: 'failed',
};

function showState(m: HostToSymbolMap['probe']): void {
  state = m.state;
  const busy = m.state === 'starting' || m.state === 'running';
  startBtn.hidden = busy;
  startBtn.disabled = !m.canProbe;
  startBtn.textContent = m.state === 'stopped' || m.state === 'failed' ? 'Probe Again' : 'Probe This Function';
  if (!m.canProbe) startBtn.title = 'This window cannot start a trace of this function';
  stopBtn.hidden = !busy;
  stopBtn.disabled = false;
  const what = STATE_TEXT[m.state];
  const func = m.func && m.func !== symbol ? ` ${m.func}` : '';
  stateEl.textContent = [what && `${what}${func}`, m.message].filter(Boolean).join(': ');
  stateEl.className = m.state === 'failed' ? 'fail' : 'muted';
  document.body.dataset.probe = m.state;
}

const n = (x: number): string => x.toLocaleString('en-US');

function showStats(s: CallStatsSnapshot): void {
  countsEl.hidden = false;
  const share = s.calls ? (100 * s.errors) / s.calls : 0;
  const pct = s.errors ? ` (${share.toFixed(share < 0.1 ? 2 : 1)}%)` : '';
  const parts = [
    ['calls', `${n(s.calls)} ${s.calls === 1 ? 'call' : 'calls'}`],
    ['errors', `${n(s.errors)} ${s.errors === 1 ? 'error' : 'errors'}${pct}`],
  ];
  if (s.calls) parts.push(['mean', `mean ${formatDuration(s.totalNs / s.calls)}`], ['max', `max ${formatDuration(s.maxNs)}`]);
  countsEl.replaceChildren();
  parts.forEach(([id, text], i) => {
    if (i) countsEl.append(' · ');
    const span = document.createElement('span');
    span.id = `probe-${id}`;
    span.textContent = text;
    if (id === 'errors' && s.errors) span.className = 'fail';
    countsEl.append(span);
  });
  drawHistogram(s.buckets);
}

const SVG = 'http://www.w3.org/2000/svg';
const BAR_W = 34;
const PLOT_H = 110;
const TOP = 14;
const LABEL_H = 16;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** Bars for the buckets from the first to the last that counted something (at least 8 wide). */
function drawHistogram(buckets: readonly number[]): void {
  const used = buckets.map((c, i) => (c > 0 ? i : -1)).filter((i) => i >= 0);
  if (!used.length) {
    histEl.hidden = true;
    histEl.replaceChildren();
    return;
  }
  let lo = used[0];
  let hi = used[used.length - 1];
  while (hi - lo < 7) {
    if (lo > 0) lo--;
    if (hi - lo < 7 && hi < DURATION_BUCKETS - 1) hi++;
    if (lo === 0 && hi === DURATION_BUCKETS - 1) break;
  }
  const max = Math.max(...buckets.slice(lo, hi + 1));
  const cols = hi - lo + 1;
  const w = cols * BAR_W;
  const h = TOP + PLOT_H + LABEL_H;
  const root = svg('svg', { id: 'probe-hist-svg', viewBox: `0 0 ${w} ${h}`, width: '100%', height: h, preserveAspectRatio: 'xMinYMin meet', role: 'img' });
  const title = svg('title', {});
  title.textContent = 'How long the calls took (log2 buckets of the duration)';
  root.append(title);
  root.append(svg('line', { x1: 0, y1: TOP + PLOT_H + 0.5, x2: w, y2: TOP + PLOT_H + 0.5, class: 'hist-axis' }));
  for (let i = lo; i <= hi; i++) {
    const c = buckets[i];
    const x = (i - lo) * BAR_W;
    const bh = c ? Math.max(2, Math.round((PLOT_H * c) / max)) : 0;
    const g = svg('g', { class: 'hist-bucket', 'data-bucket': i, 'data-count': c });
    const tip = svg('title', {});
    tip.textContent = `${n(c)} ${c === 1 ? 'call' : 'calls'} took ${bucketLabel(i)} to ${bucketLabel(i + 1)}`;
    g.append(tip);
    if (c) {
      g.append(svg('rect', { class: 'hist-bar', x: x + 3, y: TOP + PLOT_H - bh, width: BAR_W - 6, height: bh }));
      const count = svg('text', { class: 'hist-count', x: x + BAR_W / 2, y: TOP + PLOT_H - bh - 3, 'text-anchor': 'middle' });
      count.textContent = c >= 10000 ? `${Math.round(c / 1000)}k` : String(c);
      g.append(count);
    }
    const label = svg('text', { class: 'hist-label', x: x + BAR_W / 2, y: TOP + PLOT_H + LABEL_H - 3, 'text-anchor': 'middle' });
    label.textContent = bucketLabel(i);
    g.append(label);
    root.append(g);
  }
  histEl.hidden = false;
  histEl.replaceChildren(root);
}

const handlers: Handlers<HostToSymbolMap> = {
  probe: (m) => showState(m),
  stats: (m) => showStats(m.stats),
};

window.addEventListener('message', (e: MessageEvent) => {
  const v = validateSymbolHostMessage(e.data);
  if (!v.ok || v.value.symbol !== symbol) return;
  dispatch(handlers, v.value);
});

post({ type: 'ready', symbol });
