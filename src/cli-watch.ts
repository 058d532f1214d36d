// `kwitness watch …`: watches from the command line, on the same core as the extension
// (src/core/watch). The parsing of shared flags stays in cli.ts; this file gets it ready-made.
//   kwitness watch start FAMILIES --host H [filters] [--name N] [--max-mb N] [--keep-free-mb N]
//         [--on-hit CMD] [--until TIME] [--max-events N] [--persistent] [--service auto|systemd|daemon]
//         [--memory-max-mb N] [--cpu-quota PCT] [--json]
//   kwitness watch list --host H [--json]
//   kwitness watch show ID --host H [--since CURSOR] [--limit N] [--json]
//   kwitness watch follow ID --host H [--since CURSOR] [--json]
//   kwitness watch stop ID --host H [--keep] [--json]
import type { KwEvent } from './core/events';
import { isKwEvent } from './core/events';
import { KwError } from './core/errors';
import type { HostManager } from './core/host/host';
import type { TraceOptions } from './core/trace-api';
import { JournalRecord, WatchClient, WatchSummary } from './core/watch/watch-client';

export interface WatchCliInput {
  sub: string;
  /** Positional arguments after the subcommand. */
  positional: string[];
  host: string | undefined;
  json: boolean;
  /** Parsed trace filters (start only); throws on bad input. */
  traceOptions: () => TraceOptions;
  value: (flag: string) => string | undefined;
  int: (flag: string) => number | undefined;
  has: (flag: string) => boolean;
  formatEvent: (e: KwEvent) => string;
}

export async function watchCommand(w: WatchCliInput, hosts: HostManager): Promise<number> {
  if (!w.host) throw new KwError('bad-input', `watch ${w.sub}: --host HOST is required (an ~/.ssh/config alias, user@host[:port], or local)`);
  const conn = hosts.get(w.host);
  const client = new WatchClient(conn);
  const out = (s: string): void => void process.stdout.write(s + '\n');
  switch (w.sub) {
    case 'start': {
      const options = w.traceOptions();
      const service = w.value('service');
      if (service !== undefined && service !== 'auto' && service !== 'systemd' && service !== 'daemon') {
        throw new KwError('bad-input', `watch start: --service must be auto, systemd or daemon, got "${service}"`);
      }
      const started = await client.start({
        options,
        name: w.value('name'),
        maxMb: w.int('max-mb'),
        keepFreeMb: w.int('keep-free-mb'),
        onHit: w.value('on-hit'),
        until: parseUntil(w.value('until')),
        maxEvents: w.int('max-events'),
        service,
        persistent: w.has('persistent'),
        memoryMaxMb: w.int('memory-max-mb'),
        cpuQuotaPct: w.int('cpu-quota'),
      });
      if (w.json) out(JSON.stringify({ id: started.id, host: started.host, state: started.state, pid: started.pid, unit: started.unit, persistent: started.persistent }));
      else {
        const how = started.unit ? `systemd unit ${started.unit}${started.persistent ? ', starts again after a reboot' : ''}` : 'a detached daemon';
        out(`watch ${started.id} running on ${started.host} as ${how} (agent pid ${started.pid}); 'kwitness watch show ${started.id} --host ${w.host}' reads it`);
      }
      return 0;
    }
    case 'list': {
      noPositional(w, 'list');
      const all = await client.list();
      if (w.json) out(JSON.stringify(all.map(({ status: _s, ...rest }) => rest)));
      else if (!all.length) out(`no watches on ${conn.ref.label}`);
      else for (const s of all) out(summaryLine(s));
      return 0;
    }
    case 'show':
    case 'follow': {
      const id = oneId(w);
      const since = w.int('since');
      let printed = 0;
      const reader = await client.read(id, { since, limit: w.int('limit'), follow: w.sub === 'follow' }, (r) => {
        const line = w.json ? jsonLine(r) : textLine(r, w.formatEvent);
        if (line !== undefined) {
          out(line);
          printed++;
        }
      });
      const onSignal = (): void => reader.stop();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const end = await reader.done;
        if (!w.json) process.stderr.write(`kwitness: ${printed} records; next: --since ${end.nextCursor}\n`);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      return 0;
    }
    case 'stop': {
      const id = oneId(w);
      const st = await client.stop(id, w.has('keep'));
      if (w.json) out(JSON.stringify(st));
      else out(`watch ${id} stopped: ${st.events} events, ${st.lost} lost${w.has('keep') ? '; its journal was kept' : ''}`);
      return 0;
    }
    default:
      throw new KwError('bad-input', `watch: unknown subcommand "${w.sub}" (start, list, show, follow, stop)`);
  }
}

function noPositional(w: WatchCliInput, sub: string): void {
  if (w.positional.length) throw new KwError('bad-input', `watch ${sub}: unexpected argument "${w.positional[0]}"`);
}

function oneId(w: WatchCliInput): string {
  if (w.positional.length !== 1) throw new KwError('bad-input', `watch ${w.sub}: give exactly one watch ID (see 'kwitness watch list')`);
  return w.positional[0];
}

/** --until: seconds since the epoch, or an ISO 8601 time. */
export function parseUntil(v: string | undefined, now = Date.now()): number | undefined {
  if (v === undefined) return undefined;
  const secs = /^\d+$/.test(v) ? Number(v) : Math.floor(Date.parse(v) / 1000);
  if (!Number.isFinite(secs)) throw new KwError('bad-input', `--until must be seconds since the epoch or an ISO 8601 time, got "${v}"`);
  if (secs * 1000 <= now) throw new KwError('bad-input', `--until ${v} is in the past`);
  return secs;
}

function summaryLine(s: WatchSummary): string {
  const name = s.name ? ` "${s.name}"` : '';
  const last = s.last_event ? `last ${s.last_event}` : 'no events yet';
  const why = s.status.error ? ` (${s.status.error})` : s.status.note ? ` (${s.status.note})` : '';
  const untracked = s.status.untracked ? ` (+${s.status.untracked} calls never seen: too many in flight)` : '';
  return `${s.id}${name}\t${s.state}${why}\t${s.events} events, ${s.lost} lost${untracked}\t${last}\t${s.filter}`;
}

/** The same shape as `trace --json`, plus the record's cursor; journal markers are not printed. */
function jsonLine(r: JournalRecord): string | undefined {
  if (r.type === 'watch_end' || r.type === 'cursor') return undefined;
  return JSON.stringify(r);
}

function textLine(r: JournalRecord, formatEvent: (e: KwEvent) => string): string | undefined {
  const c = r.cursor === undefined ? '' : `#${r.cursor} `;
  if (isKwEvent(r)) return c + formatEvent(r);
  switch (r.type) {
    case 'gap':
      return `${c}-- gap: not watching from ${r.from} to ${r.to}: ${r.reason}`;
    case 'lost':
      return r.count > 0 ? `${c}-- ${r.count} events lost (ring buffer full)` : undefined;
    case 'error':
      return `${c}-- agent: ${r.message}`;
    default:
      return undefined;
  }
}
