// A trace panel's title: which families, what scope, on which host, started when. Several
// panels of the same kind are common (a trace restarted, two scopes side by side), and their tabs
// must tell them apart at a glance. Pure (no vscode): unit-tested.
import type { HostRef, TraceOptions } from '../core/trace-api';
import { guardTitle } from '../core/guard';
import { stacksWords } from '../core/path-scope';

export interface TitledTrace {
  host: HostRef;
  options: Pick<TraceOptions, 'families' | 'funcs' | 'where' | 'guard' | 'pathPrefixes' | 'pathGlobs' | 'comm' | 'pid' | 'uid' | 'failedOnly' | 'stacks'>;
  /** A watch's name: it says what the trace is for better than its scope. */
  label?: string;
}

/** "Unlink under /srv/data — build-01 · 09:31" (the time the panel opened, local, to the minute). */
export function traceTitle(t: TitledTrace, started?: Date): string {
  const funcs = t.options.funcs ?? [];
  // "Unlink, Create", "Calls of vfs_unlink", "Unlink + calls of vfs_unlink"
  const calls = funcs.length ? `calls of ${funcs.join(', ')}` : '';
  const famList = t.options.families.map((f) => f[0].toUpperCase() + f.slice(1)).join(', ');
  const fams = famList && calls ? `${famList} + ${calls}` : famList || calls[0]?.toUpperCase() + calls.slice(1);
  const g = t.options.guard && guardTitle(t.options.guard);
  const guard = g && g[0].toUpperCase() + g.slice(1); // "Guard: disk.img"
  // a watch's name says what it is for; that it takes stacks still shows (its events are heavier)
  const st = stacksWords(t.options.stacks);
  const what = guard ? (t.label ? `${guard} ${t.label}` : guard) : t.label ? `${fams} ${t.label}${st ? ` with ${st}` : ''}` : `${fams}${scopeText(t.options)}`;
  const at = started ? ` · ${pad(started.getHours())}:${pad(started.getMinutes())}` : '';
  return `${what} — ${t.host.label}${at}`;
}

/** The scope in a few words: the first path (and how many more), then process, pid, uid, failed-only, stacks. */
export function scopeText(o: TitledTrace['options']): string {
  const parts: string[] = [];
  const more = (n: number) => (n > 1 ? ` +${n - 1}` : '');
  if (o.where?.length) parts.push(`where ${o.where.join(' && ')}`);
  if (o.pathPrefixes?.length) parts.push(`under ${short(o.pathPrefixes[0])}${more(o.pathPrefixes.length)}`);
  else if (o.pathGlobs?.length) parts.push(`matching ${short(o.pathGlobs[0])}${more(o.pathGlobs.length)}`);
  if (o.comm) parts.push(`by ${o.comm}`);
  if (o.pid !== undefined) parts.push(`pid ${o.pid}`);
  if (o.uid !== undefined) parts.push(`uid ${o.uid}`);
  if (o.failedOnly) parts.push('failed only');
  const st = stacksWords(o.stacks);
  if (st) parts.push(`with ${st}`);
  return parts.length ? ` ${parts.join(', ')}` : '';
}

/** A long path keeps its start and its last component: tabs have little room. */
function short(p: string): string {
  if (p.length <= 40) return p;
  const last = p.slice(p.lastIndexOf('/', p.length - 2));
  return last.length >= 30 ? `…${last.slice(-30)}` : `${p.slice(0, 38 - last.length)}…${last}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
