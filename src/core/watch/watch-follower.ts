// Shows a watch like a live trace: its journal from the start (or a cursor), then what comes next,
// as a TraceHandle the event panel already knows how to show. Stopping a follower stops only the
// reading here; the watch keeps running on the target (WatchClient.stop ends it).
// No vscode import (src/core).
import { nameRule, quotaArg } from '../guard';
import type { GapRecord, KwEvent } from '../events';
import { isKwEvent } from '../events';
import { errorMessage } from '../errors';
import type { HostConnection } from '../host/host';
import { Disposable, Emitter, IDisposable } from '../lifecycle';
import type { HostRef, TraceHandle, TraceOptions, TraceState } from '../trace-api';
import { JournalRecord, WatchClient, WatchReader, WatchStatus } from './watch-client';
import { parseStacksArg } from '../session/trace-session';

export interface FollowOptions {
  /** First cursor to read (default 0: the whole journal). */
  since?: number;
  batchMs?: number;
  log?: (line: string) => void;
  /** Each gap in the journal (the agent was down): the panel's owner may show it. */
  onGap?: (g: GapRecord) => void;
  /** Every record with its cursor, in journal order (notifications, "new since you looked"). */
  onRecord?: (r: JournalRecord) => void;
}

export class WatchFollower extends Disposable implements TraceHandle {
  readonly id: string;
  readonly options: TraceOptions;
  readonly label: string;
  private _state: TraceState = { kind: 'connecting' };
  private _lost = 0;
  private reader: WatchReader | undefined;
  private pending: KwEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The cursor after the last record seen: where a resume continues. */
  nextCursor: number;
  gaps = 0;
  private readonly _onEvents = this._register(new Emitter<readonly KwEvent[]>());
  private readonly _onState = this._register(new Emitter<TraceState>());
  private readonly _onLost = this._register(new Emitter<number>());

  constructor(
    private readonly conn: HostConnection,
    readonly watchId: string,
    status: Pick<WatchStatus, 'families' | 'args'> & { name?: string | null },
    private readonly o: FollowOptions = {},
  ) {
    super();
    this.id = `watch:${conn.ref.id}:${watchId}`;
    this.label = `watch "${status.name ?? watchId}"`;
    this.nextCursor = o.since ?? 0;
    const valuesOf = (flag: string): string[] | undefined => {
      const v = status.args.flatMap((a, i) => (a === flag && status.args[i + 1] ? [status.args[i + 1]] : []));
      return v.length ? v : undefined;
    };
    if (status.families.includes('guard')) {
      // a guard's watch: its rules, in the order its denied records index them
      const quotas = (valuesOf('--quota') ?? []).map(quotaArg);
      this.label = `guard "${status.name ?? watchId}"`;
      this.options = { families: [], guard: { denyDelete: valuesOf('--deny-delete'), denyWrite: valuesOf('--deny-write'), quotas: quotas.length ? quotas : undefined, auditOnly: status.args.includes('--audit-only') || undefined } };
    } else {
      // what the watch records, as far as titles tell it (its other filters are in describeFilter)
      const stacks = valuesOf('--stacks')?.[0];
      let choice: TraceOptions['stacks'];
      try {
        choice = stacks === undefined ? undefined : parseStacksArg(stacks);
      } catch {
        choice = undefined; // a later agent's value: the events still say what they carry
      }
      this.options = { families: status.families as TraceOptions['families'], pathPrefixes: valuesOf('--path-prefix'), pathGlobs: valuesOf('--path-glob'), ...(choice ? { stacks: choice } : {}) };
    }
  }

  get host(): HostRef {
    return this.conn.ref;
  }
  get state(): TraceState {
    return this._state;
  }
  get lostTotal(): number {
    return this._lost;
  }

  onDidReceiveEvents(listener: (batch: readonly KwEvent[]) => void): IDisposable {
    return this._onEvents.event(listener);
  }
  onDidChangeState(listener: (state: TraceState) => void): IDisposable {
    return this._onState.event(listener);
  }
  onDidReportLost(listener: (total: number) => void): IDisposable {
    return this._onLost.event(listener);
  }

  /** Reads the journal from the cursor on and keeps following until stop() or the watch ends. */
  async start(): Promise<void> {
    this.setState({ kind: 'connecting' });
    try {
      const client = new WatchClient(this.conn);
      this.reader = await client.read(this.watchId, { since: this.nextCursor, follow: true }, (r) => this.take(r));
      this.setState({ kind: 'running', probes: [] });
      void this.reader.done.then(
        (end) => {
          this.flush();
          this.nextCursor = end.nextCursor;
          this.reader = undefined;
          if (this._state.kind === 'running') this.setState(end.ended === 'end' ? { kind: 'stopped' } : { kind: 'disconnected', reason: 'the connection to the host ended' });
        },
        (e) => {
          this.flush();
          this.reader = undefined;
          this.setState({ kind: 'failed', message: errorMessage(e) });
        },
      );
    } catch (e) {
      this.setState({ kind: 'failed', message: errorMessage(e) });
      throw e;
    }
  }

  resume(): Promise<void> {
    return this.start();
  }

  /** Stops following (the watch itself goes on on the target). */
  async stop(): Promise<void> {
    const r = this.reader;
    this.reader = undefined;
    if (r) {
      r.stop();
      await r.done.catch(() => undefined);
    }
    this.flush();
    this.setState({ kind: 'stopped' });
  }

  override dispose(): void {
    this.reader?.stop();
    if (this.timer) clearTimeout(this.timer);
    super.dispose();
  }

  private take(r: JournalRecord): void {
    if (r.cursor !== undefined) this.nextCursor = r.cursor + 1;
    this.o.onRecord?.(r);
    if (isKwEvent(r)) {
      nameRule(r, this.options.guard);
      this.pending.push(r);
      this.timer ??= setTimeout(() => this.flush(), this.o.batchMs ?? 50);
    } else if (r.type === 'lost' && r.count > 0) {
      this._lost += r.count; // each restarted agent counts from 0: the journal's lost is the sum
      this._onLost.fire(this._lost);
    } else if (r.type === 'gap') {
      this.gaps++;
      this.o.log?.(`watch ${this.watchId}: not watching from ${r.from} to ${r.to}: ${r.reason}`);
      this.o.onGap?.(r);
    }
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending.length) return;
    const batch = this.pending;
    this.pending = [];
    this._onEvents.fire(batch);
  }

  private setState(s: TraceState): void {
    this._state = s;
    this._onState.fire(s);
  }
}
