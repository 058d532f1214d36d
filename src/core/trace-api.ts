// The seam between trace sessions (src/core/session, src/extension) and their consumers (the
// event panel in src/panel, the CLI). Interfaces only: both sides code against these.
import type { Family, KwEvent, ProbeChoice, ProbeReport } from './events';
import type { FileKind } from './file-kinds';
import type { GuardRules } from './guard';
import type { IDisposable } from './lifecycle';
import type { KernelFunctionList } from './kernel-funcs';

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
  | { kind: 'running'; probes: ProbeChoice[]; resumed?: { awayMs: number; notKept: number } } // resumed: attached again to a trace that ran on without a client
  | { kind: 'disconnected'; reason: string } // connection dropped; resumable, events kept
  | { kind: 'stopped'; reason?: string }
  | { kind: 'failed'; message: string };

export interface TraceOptions {
  /** What to trace; empty for a guard, and may be empty when `funcs` names functions. */
  families: Family[];
  /**
   * Kernel functions to probe by name (`func:NAME` beside the families; at most 8): one call
   * event per call that returned (events.ts CallEvent). Names as BTF has them (C identifiers).
   */
  funcs?: string[];
  /**
   * Conditions on the probed functions' calls, all of which must hold (`--where`): `ARG OP VALUE`
   * with ARG a parameter name or `ret`, OP == != < <= > >=, VALUE an integer or a double-quoted
   * string (src/core/calls.ts parseWhere). Needs `funcs`.
   */
  where?: string[];
  /** A guard (`kwitness-agent guard`): refuses what its rules say and reports each refusal; the filters below do not apply. */
  guard?: GuardRules;
  pathPrefixes?: string[];
  /**
   * Shell-style patterns (fnmatch with FNM_PATHNAME: `*`, `?` and `[...]` stop at `/`) matching
   * the path or one of its parents. The kernel filters on each pattern's fixed directory; the
   * agent finishes the match.
   */
  pathGlobs?: string[];
  pid?: number;
  comm?: string;
  uid?: number;
  cgroup?: string;
  failedOnly?: boolean;
  attach?: 'auto' | 'fentry' | 'kprobe' | 'tracepoint';
  ringbufKb?: number;
  /**
   * Take the call's stacks with every event (`--stacks kernel|user|kernel,user`; off when absent
   * or both false): events then carry kstack/ustack (events.ts StackFields). Costs a stack walk
   * and its naming per event.
   */
  stacks?: StackChoice;
}

/** Which stacks a trace takes (TraceOptions.stacks). */
export interface StackChoice {
  kernel: boolean;
  user: boolean;
}

/** One running (or ended) trace. Events arrive in batches, never one callback per event. */
export interface TraceHandle extends IDisposable {
  readonly id: string;
  readonly host: HostRef;
  readonly options: TraceOptions;
  /** What people call it when it is not just "a trace" (a watch's name); titles use it. */
  readonly label?: string;
  readonly state: TraceState;
  /** Count of events the agent reported lost so far, every reason (untrackedTotal included). */
  readonly lostTotal: number;
  /** Of lostTotal: calls the kernel could not follow, its pending table full (each may have been an event). */
  readonly untrackedTotal?: number;
  onDidReceiveEvents(listener: (batch: readonly KwEvent[]) => void): IDisposable;
  onDidChangeState(listener: (state: TraceState) => void): IDisposable;
  onDidReportLost(listener: (total: number) => void): IDisposable;
  /** Reconnect after 'disconnected' (events already received are kept by consumers). */
  resume(): Promise<void>;
  /** Ends the agent on the target (stdin EOF + signal) and detaches every BPF program. */
  stop(): Promise<void>;
}

/** What `stat` says about a path: the kind, size and time of what it leads to (links followed). */
export interface HostFileStat {
  /** The target's kind; 'symlink' only for a link whose target is missing. */
  type: FileKind;
  /** The path itself is a symbolic link. */
  symlink: boolean;
  size: number;
  mtimeMs: number;
}

/** One directory entry (links not followed: a link is listed as 'symlink'). */
export interface HostDirEntry {
  name: Uint8Array;
  type: FileKind;
}

/**
 * Reads files and directories on a host as the login user (SFTP for ssh hosts, fs for local).
 * Only hosts the user added are read; only regular files are opened, up to a size cap.
 */
export interface HostFiles {
  stat(host: HostRef, path: Uint8Array): Promise<HostFileStat>;
  readFile(host: HostRef, path: Uint8Array): Promise<Uint8Array>;
  readDirectory(host: HostRef, path: Uint8Array): Promise<HostDirEntry[]>;
}

/** Runs the agent's one-shot subcommands on a host (probe, btf FUNC) and reads /proc/kallsyms. */
export interface HostAgent {
  probe(host: HostRef): Promise<ProbeReport>;
  /** `kwitness-agent btf FUNC` output: the prototype as C text. */
  btf(host: HostRef, func: string): Promise<string>;
  /** `kwitness-agent ksym NAME`-like lookup: address and module from /proc/kallsyms (root). */
  ksym(host: HostRef, name: string): Promise<{ address: string; module: string | null } | null>;
  /**
   * `kwitness-agent funcs`: every function the host's BTF describes (vmlinux and modules), whether
   * it can be probed, and the names a newer kernel changed (src/core/kernel-funcs.ts).
   */
  funcs?(host: HostRef): Promise<KernelFunctionList>;
}
