// The stream from one trace to one panel webview, without vscode (unit-tested in Node):
// a bounded backlog of the latest events, the ready handshake (init, backlog replay in slices,
// replayDone), then live batches every `batchMs` — one message per tick (split only beyond
// `maxBatch` events), never one per event. Every message carries the trace id.
import type { KwEvent } from '../core/events';
import { Disposable, toDisposable } from '../core/lifecycle';
import type { TraceHandle } from '../core/trace-api';
import type { HostToWebview, HostToWebviewMap } from '../contract';

/** Fixed-size ring of the latest events. */
export class Backlog {
  private buf: KwEvent[] = [];
  private head = 0;
  constructor(readonly cap: number) {}
  push(events: readonly KwEvent[]): void {
    for (const e of events) {
      if (this.buf.length < this.cap) this.buf.push(e);
      else {
        this.buf[this.head] = e;
        this.head = (this.head + 1) % this.cap;
      }
    }
  }
  snapshot(): KwEvent[] {
    return this.head === 0 ? this.buf.slice() : this.buf.slice(this.head).concat(this.buf.slice(0, this.head));
  }
  get size(): number {
    return this.buf.length;
  }
}

export interface FeedOptions {
  traceId: string;
  /** null for a panel restored after a reload whose trace no longer exists. */
  trace: TraceHandle | null;
  backlog: number;
  batchMs: number;
  maxBatch?: number;
  replaySlice?: number;
  post(m: HostToWebview): PromiseLike<unknown>;
  /** The `init` message, built when a webview says ready (current state, lost total, users). */
  init(): { type: 'init' } & HostToWebviewMap['init'];
}

export class TraceFeed extends Disposable {
  private ready = false;
  private replaying = false;
  private gen = 0;
  private pending: KwEvent[] = [];
  private readonly backlog: Backlog;
  /** Every event the trace delivered since the panel was bound. */
  received = 0;
  /** Messages posted (for tests and the log). */
  posted = 0;

  constructor(private readonly o: FeedOptions) {
    super();
    this.backlog = new Backlog(Math.max(1, Math.floor(o.backlog)));
    const t = o.trace;
    if (!t) return;
    this._register(t.onDidReceiveEvents((batch) => {
      this.received += batch.length;
      this.backlog.push(batch);
      if (this.ready || this.replaying) for (const e of batch) this.pending.push(e);
    }));
    this._register(t.onDidChangeState((state) => this.send({ type: 'state', traceId: o.traceId, state })));
    this._register(t.onDidReportLost((total) => this.send({ type: 'lost', traceId: o.traceId, total, untracked: t.untrackedTotal ?? 0 })));
    const timer = setInterval(() => this.flush(), Math.max(10, o.batchMs));
    // The tick must not keep a process alive on its own (the CLI, tests); the trace does that.
    timer.unref?.();
    this._register(toDisposable(() => clearInterval(timer)));
  }

  get live(): boolean {
    return this.ready;
  }

  private post(m: HostToWebview): PromiseLike<unknown> {
    this.posted++;
    return this.o.post(m);
  }

  /** A message for a listening webview; dropped while none listens (init carries the latest state). */
  send(m: HostToWebview): void {
    if (this.ready) void this.post(m);
  }

  /** Sends what arrived since the last tick as one batch. */
  flush(): void {
    if (!this.ready || this.pending.length === 0) return;
    const all = this.pending;
    this.pending = [];
    const max = this.o.maxBatch ?? 20000;
    for (let i = 0; i < all.length; i += max) {
      void this.post({ type: 'events', traceId: this.o.traceId, events: all.slice(i, i + max), replay: false });
    }
  }

  /** The webview (re)loaded and said `ready`: init, the backlog, replayDone, then live batches. */
  async start(): Promise<void> {
    // A later `ready` supersedes a replay still in flight.
    const gen = ++this.gen;
    this.ready = false;
    this.replaying = true;
    // Snapshot and pending reset together, synchronously: each event is either replayed or
    // pending (flushed after replayDone), never both and never neither.
    const snap = this.backlog.snapshot();
    this.pending = [];
    const slice = this.o.replaySlice ?? 5000;
    await this.post(this.o.init());
    for (let i = 0; i < snap.length; i += slice) {
      if (this.isDisposed || gen !== this.gen) return;
      await this.post({ type: 'events', traceId: this.o.traceId, events: snap.slice(i, i + slice), replay: true });
    }
    if (this.isDisposed || gen !== this.gen) return;
    await this.post({ type: 'replayDone', traceId: this.o.traceId, received: this.received, retained: snap.length });
    if (this.isDisposed || gen !== this.gen) return;
    this.replaying = false;
    this.ready = true;
    // State and lost changes during the replay were not sent (send() needs `ready`) and `init`
    // carried them as they were before the replay: bring the webview up to date now.
    const t = this.o.trace;
    if (t) {
      void this.post({ type: 'state', traceId: this.o.traceId, state: t.state });
      void this.post({ type: 'lost', traceId: this.o.traceId, total: t.lostTotal, untracked: t.untrackedTotal ?? 0 });
    }
    this.flush();
  }

  /** The webview is gone (hidden without retainContextWhenHidden, or closed): stop until the next ready. */
  detach(): void {
    this.gen++;
    this.ready = false;
    this.replaying = false;
    this.pending = [];
  }
}
