// The window's view of watches (issue 11): what runs on each connected host (listed in the Hosts
// tree), opening one in the event panel (history, then live), and being told about hits: while
// a window is connected, the first new event of a watch raises one notification that answers
// the question in one line, with Open. What the user has seen (opened) is remembered per watch,
// so "N new since you looked" survives a reload; a notification alone does not count as seen.
import * as vscode from 'vscode';

import type { KwEvent } from '../core/events';
import { isKwEvent } from '../core/events';
import { errorMessage } from '../core/errors';
import type { HostManager } from '../core/host/host';
import { Disposable, Emitter } from '../core/lifecycle';
import type { HostRef } from '../core/trace-api';
import { WatchClient, WatchSpec, WatchSummary } from '../core/watch/watch-client';
import { WatchFollower } from '../core/watch/watch-follower';
import { oneLine } from '../core/watch/one-line';
import type { TraceViewer } from './traces';

const SEEN_KEY = 'kwitness.watchSeen';

export class WatchRegistry extends Disposable {
  private readonly lists = new Map<string, { at: number; watches: WatchSummary[]; error?: string }>();
  private readonly followers = new Map<string, WatchFollower>();
  /** Per watch, the cursor up to which this window has raised a notification. */
  private readonly notified = new Map<string, number>();
  private readonly _onDidChange = this._register(new Emitter<string | undefined>());
  readonly onDidChange = this._onDidChange.event;
  viewer: TraceViewer | undefined;
  private polling = false;

  constructor(
    private readonly hosts: HostManager,
    private readonly state: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
    pollSeconds: () => number,
  ) {
    super();
    // Hosts this window already talks to are asked now and then; none is connected just for this.
    const tick = (): void => {
      const s = Math.max(5, pollSeconds());
      timer = setTimeout(() => void this.pollConnected().finally(tick), s * 1000);
      timer.unref?.();
    };
    let timer: NodeJS.Timeout | undefined;
    tick();
    this._register({ dispose: () => timer && clearTimeout(timer) });
  }

  /** Cached watches of a host (undefined: not asked yet). */
  cached(hostId: string): { watches: WatchSummary[]; error?: string } | undefined {
    return this.lists.get(hostId);
  }

  /** Asks the host for its watches (connecting if needed) and tells the tree. */
  async refresh(host: HostRef): Promise<WatchSummary[]> {
    try {
      const watches = await new WatchClient(this.hosts.get(host)).list();
      this.lists.set(host.id, { at: Date.now(), watches });
      this._onDidChange.fire(host.id);
      await this.notifyNew(host, watches);
      return watches;
    } catch (e) {
      this.lists.set(host.id, { at: Date.now(), watches: [], error: errorMessage(e) });
      this._onDidChange.fire(host.id);
      throw e;
    }
  }

  async start(host: HostRef, spec: WatchSpec): Promise<string> {
    const r = await new WatchClient(this.hosts.get(host)).start(spec);
    this.log.info(`${host.label}: watch ${r.id} running (supervisor pid ${r.pid})`);
    this.setSeen(host.id, r.id, 0);
    await this.refresh(host).catch(() => undefined);
    return r.id;
  }

  async stop(host: HostRef, id: string): Promise<void> {
    const f = this.followers.get(`${host.id}/${id}`);
    if (f) await f.stop();
    const st = await new WatchClient(this.hosts.get(host)).stop(id);
    this.log.info(`${host.label}: watch ${id} stopped: ${st.events} events, ${st.lost} lost`);
    void this.state.update(SEEN_KEY, { ...this.seenAll(), [`${host.id}/${id}`]: undefined });
    await this.refresh(host).catch(() => undefined);
  }

  /** Opens the watch in the event panel: its whole journal, then live. */
  async open(host: HostRef, w: Pick<WatchSummary, 'id' | 'status'>): Promise<WatchFollower> {
    const key = `${host.id}/${w.id}`;
    this.followers.get(key)?.dispose();
    const f = new WatchFollower(this.hosts.get(host), w.id, w.status, {
      since: 0,
      batchMs: 50,
      log: (l) => this.log.info(`${host.label}: ${l}`),
      onRecord: (r) => {
        if (r.cursor !== undefined && r.cursor >= this.seen(host.id, w.id)) this.setSeen(host.id, w.id, r.cursor + 1);
      },
    });
    this.followers.set(key, f);
    this._register({ dispose: () => f.dispose() });
    this.viewer?.showTrace(f);
    await f.start();
    this._onDidChange.fire(host.id);
    return f;
  }

  /** New events since the user last looked (the tree's "N new"). */
  unseen(hostId: string, w: WatchSummary): number {
    return Math.max(0, w.status.next_cursor - Math.max(this.seen(hostId, w.id), w.status.first_cursor));
  }

  private async pollConnected(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const h of this.hosts.list()) {
        const c = this.hosts.existing(h.id);
        if (c?.state.kind !== 'connected' || !this.lists.has(h.id)) continue;
        await this.refresh(h).catch((e) => this.log.warn(`${h.label}: listing watches: ${errorMessage(e)}`));
      }
    } finally {
      this.polling = false;
    }
  }

  /** One notification per watch with events the user has not seen, naming the first new one. */
  private async notifyNew(host: HostRef, watches: WatchSummary[]): Promise<void> {
    for (const w of watches) {
      const key = `${host.id}/${w.id}`;
      // on screen already; a guard's refusals are told even then: something was just stopped
      if (this.followers.has(key) && this.followers.get(key)!.state.kind === 'running' && !w.status.families.includes('guard')) continue;
      // from what the user has seen (opened), or this window already told about
      const seen = Math.max(this.seen(host.id, w.id), this.notified.get(key) ?? 0);
      if (w.events === 0 || w.status.next_cursor <= seen) continue;
      let first: KwEvent | undefined;
      let count = 0;
      const reader = await new WatchClient(this.hosts.get(host)).read(w.id, { since: seen, limit: 1000 }, (r) => {
        if (isKwEvent(r)) {
          count++;
          first ??= r;
        }
      });
      const end = await reader.done;
      // told, not seen: another window (or this one after a reload) tells again until someone
      // opens the watch; a window left behind by a closed browser tab cannot swallow the news
      this.notified.set(key, end.nextCursor);
      if (!first) continue;
      const more = count > 1 ? ` (+${count - 1} more)` : '';
      // not awaited: a notification stays until the user acts, and listing must not wait for that
      void vscode.window.showInformationMessage(`Kernel Witness: ${w.name ?? w.id} on ${host.label}: ${oneLine(first)}${more}`, 'Open').then((pick) => {
        if (pick === 'Open') this.open(host, w).catch((e) => vscode.window.showErrorMessage(`Kernel Witness: ${errorMessage(e)}`));
      });
    }
  }

  private seenAll(): Record<string, number | undefined> {
    return this.state.get<Record<string, number | undefined>>(SEEN_KEY) ?? {};
  }
  private seen(hostId: string, id: string): number {
    return this.seenAll()[`${hostId}/${id}`] ?? 0;
  }
  private setSeen(hostId: string, id: string, cursor: number): void {
    void this.state.update(SEEN_KEY, { ...this.seenAll(), [`${hostId}/${id}`]: cursor });
    this._onDidChange.fire(hostId);
  }
}
