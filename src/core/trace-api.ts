// The seam between trace sessions (src/core/session, src/extension) and their consumers (the
// event panel in src/panel, the CLI). Interfaces only: both sides code against these.
import type { Family, KwEvent, ProbeChoice, ProbeReport } from './events';
import type { IDisposable } from './lifecycle';

/** A target host. id 'local' is This Machine; others are ~/.ssh/config aliases or user-added names. */
export interface HostRef {
  id: string;
  label: string;
  kind: 'local' | 'ssh';
}

export type TraceState =
  | { kind: 'connecting' }
  | { kind: 'deploying' }
  | { kind: 'starting' }
  | { kind: 'running'; probes: ProbeChoice[] }
  | { kind: 'disconnected'; reason: string } // connection dropped; resumable, events kept
  | { kind: 'stopped'; reason?: string }
  | { kind: 'failed'; message: string };

export interface TraceOptions {
  families: Family[];
  pathPrefixes?: string[];
  pid?: number;
  comm?: string;
  uid?: number;
  cgroup?: string;
  failedOnly?: boolean;
  attach?: 'auto' | 'fentry' | 'kprobe' | 'tracepoint';
  ringbufKb?: number;
}

/** One running (or ended) trace. Events arrive in batches, never one callback per event. */
export interface TraceHandle extends IDisposable {
  readonly id: string;
  readonly host: HostRef;
  readonly options: TraceOptions;
  readonly state: TraceState;
  /** Exact count of events the agent reported lost so far. */
  readonly lostTotal: number;
  onDidReceiveEvents(listener: (batch: readonly KwEvent[]) => void): IDisposable;
  onDidChangeState(listener: (state: TraceState) => void): IDisposable;
  onDidReportLost(listener: (total: number) => void): IDisposable;
  /** Reconnect after 'disconnected' (events already received are kept by consumers). */
  resume(): Promise<void>;
  /** Ends the agent on the target (stdin EOF + signal) and detaches every BPF program. */
  stop(): Promise<void>;
}

/** Reads files and directories on a host (SFTP for ssh hosts, fs for local). */
export interface HostFiles {
  stat(host: HostRef, path: Uint8Array): Promise<{ type: 'file' | 'dir' | 'symlink' | 'other'; size: number; mtimeMs: number }>;
  readFile(host: HostRef, path: Uint8Array): Promise<Uint8Array>;
  readDirectory(host: HostRef, path: Uint8Array): Promise<Array<{ name: Uint8Array; type: 'file' | 'dir' | 'symlink' | 'other' }>>;
}

/** Runs the agent's one-shot subcommands on a host (probe, btf FUNC) and reads /proc/kallsyms. */
export interface HostAgent {
  probe(host: HostRef): Promise<ProbeReport>;
  /** `kwitness-agent btf FUNC` output: the prototype as C text. */
  btf(host: HostRef, func: string): Promise<string>;
  /** `kwitness-agent ksym NAME`-like lookup: address and module from /proc/kallsyms (root). */
  ksym(host: HostRef, name: string): Promise<{ address: string; module: string | null } | null>;
}
