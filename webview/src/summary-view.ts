// The summary pane: the headline and, per facet, the top bars of the rows in view. Each bar is a
// button (Tab reaches it, Enter or a click filters the table by it); names are text nodes only.
import { el } from './dom';
import { errnoName, visible } from './text';
import { FACETS, headline, type Facet, type Summary, type TreeNode } from './summary';

const TITLES: Record<Facet, string> = {
  process: 'Process',
  directory: 'Directory',
  user: 'User',
  parent: 'Parent',
  container: 'Container / pod',
  operation: 'Operation',
  result: 'Result',
};

/** A click on a bar: the facet and its key (comm NUL exe, uid, "pod ns/name", directory, ...); 'tree': a pid. */
export type OnPick = (facet: Facet | 'tree', key: string | number) => void;

/** How many processes the tree shows (the busiest branches first). */
export const TREE_MAX = 40;

export const TOP_N = 5;

export function renderSummary(root: HTMLElement, s: Summary, users: Record<string, string>, pick: OnPick): void {
  const head = el('div', 'sum-headline', visible(headline(s)));
  head.id = 'summary-headline';
  const parts: HTMLElement[] = [head];
  for (const f of FACETS) {
    const tally = s.tallies[f] as { counts: Map<string | number, number>; top(n: number): Array<[string | number, number]> };
    if (tally.counts.size === 0) continue;
    const sec = el('section', 'sum-facet');
    sec.dataset.facet = f;
    const more = tally.counts.size > TOP_N ? ` · ${tally.counts.size.toLocaleString('en-US')}` : '';
    sec.append(el('h3', undefined, `${TITLES[f]}${more}`));
    const top = tally.top(TOP_N);
    const max = top[0][1];
    for (const [key, n] of top) {
      const b = el('button', 'sum-bar');
      b.type = 'button';
      const label = labelOf(f, key, s, users);
      b.title = `${label}: ${n.toLocaleString('en-US')} of ${s.total.toLocaleString('en-US')} — filter the table by it`;
      const fill = el('span', 'sum-fill');
      fill.style.width = `${Math.max(1, Math.round((100 * n) / max))}%`;
      b.append(fill, el('span', 'sum-label', label), el('span', 'sum-count', n.toLocaleString('en-US')));
      b.addEventListener('click', () => pick(f, key));
      sec.append(b);
    }
    parts.push(sec);
  }
  if (s.tree.size) parts.push(treeSection(s, pick));
  root.replaceChildren(...parts);
}

/**
 * The ancestry of the events in view as one tree (who spawned what), busiest branch first, each
 * process with the events by it and its descendants; a click shows that process and its
 * descendants only.
 */
function treeSection(s: Summary, pick: OnPick): HTMLElement {
  const sec = el('section', 'sum-facet sum-tree');
  sec.dataset.facet = 'tree';
  sec.append(el('h3', undefined, `Process tree · ${s.tree.size.toLocaleString('en-US')}`));
  const kids = new Map<number, TreeNode[]>();
  const roots: TreeNode[] = [];
  for (const n of s.tree.values()) {
    if (n.parent && s.tree.has(n.parent)) (kids.get(n.parent) ?? kids.set(n.parent, []).get(n.parent)!).push(n);
    else roots.push(n);
  }
  const byCount = (a: TreeNode, b: TreeNode) => b.count - a.count || a.pid - b.pid;
  let shown = 0;
  const walk = (n: TreeNode, depth: number) => {
    if (shown >= TREE_MAX) return;
    shown++;
    const b = el('button', 'sum-bar sum-node');
    b.type = 'button';
    b.style.paddingLeft = `${4 + depth * 14}px`;
    const own = n.own && n.own !== n.count ? ` (${n.own.toLocaleString('en-US')} its own)` : '';
    b.title = `${visible(n.label)} (pid ${n.pid}): ${n.count.toLocaleString('en-US')} events by it and its descendants${own} — show only these`;
    b.append(el('span', 'sum-label', `${visible(n.label)} ${n.pid}`), el('span', 'sum-count', n.count.toLocaleString('en-US')));
    b.addEventListener('click', () => pick('tree', n.pid));
    sec.append(b);
    for (const c of (kids.get(n.pid) ?? []).sort(byCount)) walk(c, depth + 1);
  };
  for (const r of roots.sort(byCount)) walk(r, 0);
  if (shown < s.tree.size) sec.append(el('div', 'muted', `${(s.tree.size - shown).toLocaleString('en-US')} more processes`));
  return sec;
}

function labelOf(f: Facet, key: string | number, s: Summary, users: Record<string, string>): string {
  switch (f) {
    case 'process': {
      const [comm, exe] = String(key).split('\0');
      return visible(exe ? `${comm} — ${exe}` : comm);
    }
    case 'user': return users[String(key)] ? `${visible(users[String(key)])} (${key})` : `uid ${key}`;
    case 'parent': return visible(s.parentLabel.get(Number(key)) ?? `pid ${key}`);
    case 'result': return Number(key) === 0 ? 'ok' : `${errnoName(Number(key))} (${key})`;
    case 'container': return visible(String(key).split('\0')[2] ?? String(key));
    default: return visible(String(key));
  }
}
