// Watches on a host: traps that run on the target without us (issue 11). The agent does the
// work there (`kwitness-agent watch start|status|list|read|stop`, native/watch.c): a supervisor
// that outlives the SSH session, restarts a crashed tracer and journals every record durably
// under <installRoot>/watches/<id>/. This file is the client side the CLI and the extension
// share: it turns those subcommands into typed calls and a cursor-numbered record stream.
// No vscode import (src/core).
import { formatBytes, quotaArg } from '../guard';
import { randomBytes } from 'crypto';

import type { AgentRecord } from '../events';
import { KwError, classifyAgentFailure } from '../errors';
import type { HostConnection } from '../host/host';
import { agentTraceParts } from '../session/trace-session';
import type { TraceOptions } from '../trace-api';
import { WireDecoder } from '../wire/decoder';

export type WatchState = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

/** What to watch and how much the target may spend on it. */
export interface WatchSpec {
  options: TraceOptions;
  /** A name for people ("disk.img of vm-7"); the id stays the key. */
  name?: string;
  /** Journal size cap (MiB); the oldest records go first and are counted. */
  maxMb?: number;
  /** Free space the journal never eats into (MiB). */
  keepFreeMb?: number;
  /** Runs on the target for each event (`/bin/sh -c`, the event as JSON on stdin, rate-limited). */
  onHit?: string;
  /** Stop by itself at this time (seconds since the epoch) or after this many events. */
  until?: number;
  maxEvents?: number;
  /**
   * How the watch runs on the target: 'auto' (default) as a systemd unit where systemd is PID 1,
   * else as a detached daemon; 'systemd' insists on a unit; 'daemon' never uses one.
   */
  service?: 'auto' | 'systemd' | 'daemon';
  /** Also after a reboot: an enabled systemd unit (needs systemd on the target). */
  persistent?: boolean;
  /** The unit's MemoryMax (MiB) and CPUQuota (percent of one CPU). */
  memoryMaxMb?: number;
  cpuQuotaPct?: number;
}

/** A watch as `watch status` reports it (the agent's status.json). */
export interface WatchStatus {
  id: string;
  name?: string | null;
  state: WatchState;
  /** The supervisor's pid while it runs, else null. */
  pid: number | null;
  worker_pid?: number | null;
  started: string;
  families: string[];
  args: string[];
  events: number;
  lost: number;
  unjudged?: number;
  /** Calls the kernel's table of calls in flight had no room for (events never seen). */
  untracked?: number;
  dropped_cap: number;
  dropped_space: number;
  gaps: number;
  restarts: number;
  first_cursor: number;
  next_cursor: number;
  last_event: string | null;
  journal_bytes: number;
  error: string | null;
  note: string | null;
  /** The systemd unit the watch runs as (kwitness-watch-ID.service), null for a daemon. */
  unit?: string | null;
  /** An enabled unit: it starts again after a reboot. */
  persistent?: boolean;
}

/** One line of `kwitness watch list`: the fields a person scans first, then the rest. */
export interface WatchSummary {
  id: string;
  name: string | null;
  state: WatchState;
  pid: number | null;
  events: number;
  lost: number;
  started: string;
  last_event: string | null;
  filter: string;
  status: WatchStatus;
}

/** What `watch start` answers once the watch's tracer is attached and journaling. */
export interface WatchStarted {
  id: string;
  host: string;
  state: WatchState;
  /** The supervisor's pid. */
  pid: number;
  dir: string;
  /** The systemd unit it runs as, or null (a detached daemon). */
  unit: string | null;
  persistent: boolean;
}

/** A journaled record with its cursor (`watch show --since CURSOR` continues after it). */
export type JournalRecord = AgentRecord & { cursor?: number };

export interface ReadOptions {
  since?: number;
  limit?: number;
  follow?: boolean;
  fromNs?: bigint;
  toNs?: bigint;
  pathPrefixes?: string[];
}

export interface WatchReader {
  /** Resolves when the agent's read ended: the cursor to continue from, and how it ended. */
  readonly done: Promise<{ nextCursor: number; ended: 'end' | 'stopped' | 'closed' }>;
  /** Ends a --follow read (closes the agent's stdin). */
  stop(): void;
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A fresh watch id: short, sortable by start time, safe as a directory name. */
export function newWatchId(now = Date.now()): string {
  return `w${now.toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function checkWatchId(id: string): string {
  if (!ID_RE.test(id) || id.includes('..')) throw new KwError('bad-input', `watch id "${id}" is not valid (letters, digits, . _ -; from 'kwitness watch list')`);
  return id;
}

/** The filter of a watch as one line ("unlink,create under /var/lib/x, comm kubelet"). */
export function describeFilter(families: readonly string[], args: readonly string[]): string {
  const parts = [families.join(',')];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const v = args[i + 1];
    if (a === '--path-prefix') parts.push(`under ${v}`), i++;
    else if (a === '--path-glob') parts.push(`matching ${v}`), i++;
    else if (a === '--comm') parts.push(`comm ${v}`), i++;
    else if (a === '--pid') parts.push(`pid ${v}`), i++;
    else if (a === '--uid') parts.push(`uid ${v}`), i++;
    else if (a === '--cgroup') parts.push(`cgroup ${v}`), i++;
    else if (a === '--failed-only') parts.push('failed only');
    else if (a === '--stacks') parts.push(`${v} stacks`), i++;
    else if (a === '--deny-delete') parts.push(`no deletes of ${v}`), i++;
    else if (a === '--deny-write') parts.push(`no writes into ${v}`), i++;
    else if (a === '--quota') {
      const q = quotaArg(v ?? '');
      parts.push(Number.isFinite(q.bytes) ? `quota ${formatBytes(q.bytes)} on ${q.path}` : `quota ${v}`);
      i++;
    } else if (a === '--audit-only') parts.push('audit only');
  }
  return parts.join(', ');
}

export class WatchClient {
  constructor(private readonly conn: HostConnection) {}

  get root(): string {
    return `${this.conn.installRoot}/watches`;
  }

  dirOf(id: string): string {
    return `${this.root}/${checkWatchId(id)}`;
  }

  /** Starts a watch; resolves once its tracer is attached and journaling (or fails with the cause). */
  async start(spec: WatchSpec, id = newWatchId()): Promise<WatchStarted> {
    const trace = agentTraceParts(spec.options); // checked before anything runs
    const args = ['watch', 'start', '--dir', this.dirOf(id), '--id', id];
    if (spec.name !== undefined) args.push('--name', spec.name);
    const num = (flag: string, v: number | undefined, min: number): void => {
      if (v === undefined) return;
      if (!Number.isInteger(v) || v < min) throw new KwError('bad-input', `${flag} must be an integer >= ${min}, got ${v}`);
      args.push(flag, String(v));
    };
    num('--max-mb', spec.maxMb, 1);
    num('--keep-free-mb', spec.keepFreeMb, 0);
    num('--until', spec.until, 1);
    num('--max-events', spec.maxEvents, 1);
    num('--memory-max-mb', spec.memoryMaxMb, 16);
    num('--cpu-quota', spec.cpuQuotaPct, 1);
    if (spec.service !== undefined) args.push('--service', spec.service);
    if (spec.persistent) args.push('--persistent');
    if (spec.onHit !== undefined) args.push('--on-hit', spec.onHit);
    args.push('--', trace.families, ...trace.filters);
    const r = await this.conn.runAgent(args, 120000);
    if (r.code !== 0) throw this.failure(r.stderr, r.code, `start watch ${id}`);
    const out = parseJsonLine<Omit<WatchStarted, 'host'>>(r.stdout.toString('utf8'), 'watch start');
    return { ...out, unit: out.unit ?? null, persistent: out.persistent ?? false, host: this.conn.ref.label };
  }

  async status(id: string): Promise<WatchStatus> {
    const r = await this.conn.runAgent(['watch', 'status', '--dir', this.dirOf(id)]);
    if (r.code !== 0) throw this.failure(r.stderr, r.code, `watch ${id}`);
    return parseJsonLine<WatchStatus>(r.stdout.toString('utf8'), 'watch status');
  }

  async list(): Promise<WatchSummary[]> {
    const r = await this.conn.runAgent(['watch', 'list', '--root', this.root]);
    if (r.code !== 0) throw this.failure(r.stderr, r.code, 'list watches');
    const all = parseJsonLine<WatchStatus[]>(r.stdout.toString('utf8'), 'watch list');
    return all.map((s) => ({
      id: s.id,
      name: s.name ?? null,
      state: s.state,
      pid: s.pid,
      events: s.events,
      lost: s.lost,
      started: s.started,
      last_event: s.last_event,
      filter: describeFilter(s.families, s.args),
      status: s,
    }));
  }

  /** Stops the watch; its files go too unless `keep`. Resolves with the final status. */
  async stop(id: string, keep = false): Promise<WatchStatus> {
    const r = await this.conn.runAgent(['watch', 'stop', '--dir', this.dirOf(id), ...(keep ? ['--keep'] : [])], 120000);
    if (r.code !== 0) throw this.failure(r.stderr, r.code, `stop watch ${id}`);
    return parseJsonLine<WatchStatus>(r.stdout.toString('utf8'), 'watch stop');
  }

  /**
   * Reads the journal from `since` (records get their cursor), then, with `follow`, what comes
   * next until stop() or the watch ends. Records reach `onRecord` in journal order.
   */
  async read(id: string, o: ReadOptions, onRecord: (r: JournalRecord) => void): Promise<WatchReader> {
    const args = ['watch', 'read', '--dir', this.dirOf(id)];
    if (o.since !== undefined) args.push('--since', String(o.since));
    if (o.limit !== undefined) args.push('--limit', String(o.limit));
    if (o.fromNs !== undefined) args.push('--from-ns', String(o.fromNs));
    if (o.toNs !== undefined) args.push('--to-ns', String(o.toNs));
    for (const p of o.pathPrefixes ?? []) args.push('--path-prefix', p);
    if (o.follow) args.push('--follow');
    const agent = await this.conn.spawnAgent(args);
    const numbering = new CursorNumbering();
    const decoder = new WireDecoder();
    let stderr = '';
    let ended: 'end' | 'stopped' | 'closed' = 'closed';
    agent.proc.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-8192)));
    agent.proc.stdout.on('data', (chunk: Buffer) => {
      for (const rec of decoder.push(chunk)) {
        const r = numbering.take(rec);
        if (rec.type === 'watch_end') ended = 'end';
        if (r) onRecord(r);
      }
    });
    let stopped = false;
    const done = agent.proc.exited.then((x) => {
      if (stopped && ended === 'closed') ended = 'stopped';
      if (x.code !== 0 && !stopped) throw this.failure(stderr.replace(/^kwitness-pid \d+\n/m, ''), x.code, `read watch ${id}`);
      return { nextCursor: numbering.next, ended };
    });
    return {
      done,
      stop: () => {
        stopped = true;
        agent.proc.stdin.end();
      },
    };
  }

  private failure(stderr: string, code: number | null, what: string): Error {
    const line = stderr.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('kwitness-pid ')).pop() ?? '';
    if (/(^|: )no watch at /.test(line)) return new KwError('bad-input', `${this.conn.ref.label}: ${what}: no such watch (see 'kwitness watch list --host ${this.conn.ref.label}')`);
    if (/already running/.test(line)) return new KwError('bad-input', `${this.conn.ref.label}: ${what}: ${line}`);
    if (/unknown command|usage: kwitness-agent/i.test(line) && !/watch/.test(line)) {
      return new KwError('agent-failed', `${this.conn.ref.label}: ${what}: the agent on the host has no watch support; update the extension`);
    }
    const e = classifyAgentFailure(this.conn.ref.label, stderr, code);
    return line ? new KwError(e.code, `${this.conn.ref.label}: ${what}: ${line}`) : e;
  }
}

/**
 * Gives journal records their cursors: a cursor record sets the next one, every other record
 * (gap, lost and ready included: they are journaled too) takes one. The protocol's own records
 * (cursor, watch_end) are not passed on, except watch_end so a reader knows it saw everything.
 */
export class CursorNumbering {
  next = 0;
  skipped = 0;
  take(r: AgentRecord): JournalRecord | undefined {
    if (r.type === 'cursor') {
      this.next = r.cursor;
      this.skipped += r.skipped;
      return undefined;
    }
    if (r.type === 'watch_end') {
      this.next = r.next_cursor;
      return r;
    }
    return { ...r, cursor: this.next++ };
  }
}

function parseJsonLine<T>(text: string, what: string): T {
  const line = text.split('\n').map((l) => l.trim()).filter(Boolean).pop();
  try {
    return JSON.parse(line ?? '') as T;
  } catch {
    throw new KwError('agent-failed', `${what}: the agent printed no JSON (${(line ?? '').slice(0, 200) || 'nothing'})`);
  }
}
