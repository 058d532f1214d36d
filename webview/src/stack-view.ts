// The stack groups in the details pane: one row per code path the events in view came by (their
// stack signature), with how many and when; a click filters the table to that path.
// createElement/textContent only: the signatures are names from the traced host's binaries.
import { el } from './dom';
import { visible } from './text';
import type { StackGroups } from './stack-groups';
import type { EventStore } from './store';

/** Rows drawn at most (the rest: fewer events each, said in one line). */
const MAX_ROWS = 300;

export interface StackGroupActions {
  /** A group was clicked: show only its events (the current group again: all of them). */
  pick(signature: string): void;
  /** Count again (what arrived since, other filters). */
  refresh(): void;
  /** Back to the selected event's details. */
  close(): void;
}

function linkButton(text: string, title: string, onClick: () => void): HTMLElement {
  const a = el('a', 'link', text);
  a.href = '#';
  a.title = title;
  a.setAttribute('role', 'button');
  a.addEventListener('click', (e) => { e.preventDefault(); onClick(); });
  return a;
}

/** hh:mm:ss.mmm of an event (UTC, as the table's time column). */
function clock(store: EventStore, seq: number): string {
  return store.timeOf(seq).slice(11, 23);
}

export function renderStackGroups(root: HTMLElement, store: EventStore, g: StackGroups, current: string, act: StackGroupActions): void {
  const withStack = g.total - g.without;
  const head = el('h3', undefined, `Stacks: ${g.groups.length.toLocaleString('en-US')} ${g.groups.length === 1 ? 'code path' : 'code paths'}`);
  const note = el('div', 'muted', withStack === 0
    ? 'No event in view carries a stack (a trace with stacks: Start Trace…, "Capture stacks").'
    : `${withStack.toLocaleString('en-US')} events in view carry a stack${g.without ? `, ${g.without.toLocaleString('en-US')} do not` : ''}. Other filters apply; click a path to show only its events.`);
  const tools = el('div', 'stack-tools');
  tools.append(linkButton('Refresh', 'Count again', act.refresh), ' · ', linkButton('Back to the event', 'Show the selected event', act.close));
  const table = el('table', 'stack-groups');
  table.id = 'stack-groups';
  const hr = el('tr');
  hr.append(el('th', 'sg-count', 'Events'), el('th', undefined, 'Code path (user | kernel, innermost first); first and last'));
  table.append(el('thead'));
  table.tHead!.append(hr);
  const body = el('tbody');
  for (const grp of g.groups.slice(0, MAX_ROWS)) {
    const tr = el('tr', grp.signature === current ? 'stack-group current' : 'stack-group');
    tr.tabIndex = 0;
    tr.setAttribute('role', 'button');
    tr.setAttribute('aria-pressed', String(grp.signature === current));
    const shown = visible(grp.signature);
    tr.title = `${shown}\n\n${grp.signature === current ? 'Shown alone: click again to show every path' : 'Click to show only these events'}`;
    const main = el('td');
    // a few lines of the path (the tooltip has all of it), then when
    main.append(el('div', 'sg-sig', shown), el('div', 'sg-when muted', `first ${clock(store, grp.first)} · last ${clock(store, grp.last)}`));
    tr.append(el('td', 'sg-count', grp.count.toLocaleString('en-US')), main);
    const pick = () => act.pick(grp.signature);
    tr.addEventListener('click', pick);
    tr.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); pick(); } });
    body.append(tr);
  }
  table.append(body);
  const out: Node[] = [head, note, tools];
  if (g.groups.length) out.push(table);
  if (g.groups.length > MAX_ROWS) out.push(el('div', 'muted', `… and ${(g.groups.length - MAX_ROWS).toLocaleString('en-US')} more paths, fewer events each`));
  root.replaceChildren(...out);
}
