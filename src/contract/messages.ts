// THE message contract between the event panel's host side (src/panel) and its webview
// (webview/). Both builds import this folder; nothing here may import `vscode` or the DOM.
//
// Every message is `{ type: K, ...Map[K] }` and carries the trace id it belongs to, so a
// message that outlives its trace (a panel re-bound to a new trace, a webview reloaded from an
// old state) is recognisably stale and dropped by the receiver.
//
// Handlers are written as a `Handlers<Map>` object: a mapped type with one required member per
// message, so adding a message without handling it is a compile error on both sides.
import type { KwEvent, KwEventType } from '../core/events';
import type { HostRef, TraceState } from '../core/trace-api';

/** Bumped whenever a message changes shape; a webview restored from another version starts fresh. */
export const CONTRACT_VERSION = 1;

export type ExportFormat = 'jsonl' | 'csv';

/** Settings the host passes to the webview (VS Code settings under `kwitness.panel.*`). */
export interface PanelConfig {
  /** Events retained in the webview; the oldest are dropped beyond this (and counted). */
  maxEvents: number;
}

// ---------------------------------------------------------------- host -> webview
export interface HostToWebviewMap {
  /** First answer to `ready`: what this panel shows. Followed by the backlog replay. */
  init: {
    traceId: string;
    host: HostRef;
    title: string;
    state: TraceState;
    lostTotal: number;
    config: PanelConfig;
    /** uid -> user name on the traced host (from its /etc/passwd, best effort). */
    users: Record<string, string>;
    /** False when the panel was restored after a reload and its trace no longer exists. */
    live: boolean;
    /** Once it ended, the same scope can be started again in this panel (not a watch's follower). */
    restartable?: boolean;
    /** This panel's previous trace, when this one is its restart: the filters stay. */
    restartOf?: string;
    /**
     * What the trace records: its families and the kernel functions it probes (`func:NAME`).
     * A trace with functions shows the call columns (Function, Args, Return, Duration).
     * Absent for a panel restored after its trace ended.
     */
    families?: string[];
    funcs?: string[];
  };
  /** A batch of events (the host batches every ~50 ms; `replay` marks backlog after `ready`). */
  events: { traceId: string; events: KwEvent[]; replay: boolean };
  /** End of the backlog replay; `received` counts every event the host got for this trace. */
  replayDone: { traceId: string; received: number; retained: number };
  state: { traceId: string; state: TraceState };
  /** Total of events the agent reported lost for this trace; `untracked` of them: pending table full. */
  lost: { traceId: string; total: number; untracked?: number };
  /** The user picked a file for an export: stream it with `exportChunk` under this id. */
  exportAccepted: { traceId: string; exportId: number; format: ExportFormat };
  /** The export finished, failed, or was cancelled in the save dialog. */
  exportResult: { traceId: string; exportId: number; ok: boolean; message: string };
}

// ---------------------------------------------------------------- webview -> host
export interface WebviewToHostMap {
  /** The webview loaded (or reloaded); `traceId` is null on a fresh panel, else its saved trace. */
  ready: { traceId: string | null; contract: number };
  /** Open a path of the traced host; `pathB64` is the exact bytes (never the printable form). */
  openPath: { traceId: string; hostId: string; pathB64: string; field: PathField };
  /**
   * Open the Kernel Symbol view for a kernel function: the function behind a probe, or a frame of
   * a kernel stack (then `probe` is '').
   */
  showKernelSymbol: { traceId: string; hostId: string; symbol: string; probe: string };
  /**
   * A user stack frame's source position (events.ts UserFrame src, line; Go binaries): open that
   * file of the local workspace at that line, found by its name and as much of its directory as
   * matches (the traced host's build path is not this machine's). Said in the status bar when
   * the workspace has no such file.
   */
  openSource: { traceId: string; src: string; line: number };
  /** Ask for a save dialog; the host answers exportAccepted or exportResult (cancelled). */
  exportBegin: { traceId: string; format: ExportFormat; count: number };
  /** One piece of an accepted export (text, already formatted); `last` closes the file. */
  exportChunk: { traceId: string; exportId: number; data: string; last: boolean };
  /** Stop button in the panel header. */
  stopTrace: { traceId: string };
  /** Reconnect button, shown while the trace is 'disconnected'. */
  resumeTrace: { traceId: string };
  /** Restart button of an ended trace: the same host and scope, in this panel. */
  restartTrace: { traceId: string };
}

/** `arg_path`: the path of a probed function's argument (a dentry's, a file's). */
export type PathField = 'path' | 'old_path' | 'exe' | 'cwd' | 'filename' | 'interpreter' | 'ancestor_exe' | 'target' | 'arg_path';
export const PATH_FIELDS: readonly PathField[] = ['path', 'old_path', 'exe', 'cwd', 'filename', 'interpreter', 'ancestor_exe', 'target', 'arg_path'];

export type MessageOf<M> = { [K in keyof M]: { type: K } & M[K] }[keyof M];
export type HostToWebview = MessageOf<HostToWebviewMap>;
export type WebviewToHost = MessageOf<WebviewToHostMap>;

/** One handler per message type; missing one is a compile error. */
export type Handlers<M> = { [K in keyof M]: (msg: { type: K } & M[K]) => void };

/** Calls the handler for `msg.type` (typed so the lookup cannot pick the wrong handler). */
export function dispatch<M>(handlers: Handlers<M>, msg: MessageOf<M>): void {
  const h = handlers[msg.type as keyof M] as (m: MessageOf<M>) => void;
  h(msg);
}

// ---------------------------------------------------------------- persisted webview state
export type ColumnId =
  | 'time' | 'type' | 'process' | 'user' | 'exe' | 'path' | 'result' | 'func' | 'args' | 'return' | 'duration' | 'container' | 'pod' | 'path_pod'
  | 'ppid' | 'cwd' | 'cgroup' | 'probe' | 'ktime';
/** Also the order in which shown columns appear (the pod columns sit next to the container). */
export const COLUMN_IDS: readonly ColumnId[] = [
  'time', 'type', 'process', 'user', 'exe', 'path', 'result', 'func', 'args', 'return', 'duration', 'container', 'pod', 'path_pod', 'ppid', 'cwd', 'cgroup', 'probe', 'ktime',
];
export const DEFAULT_COLUMNS: readonly ColumnId[] = ['time', 'type', 'process', 'user', 'exe', 'path', 'result', 'container'];
/** The columns of a call of a probed kernel function (shown once a trace probes functions). */
export const CALL_COLUMNS: readonly ColumnId[] = ['func', 'args', 'return', 'duration'];
/** A trace of kernel functions alone: who called, what, with what, what came back, how long. */
export const CALLS_ONLY_COLUMNS: readonly ColumnId[] = ['time', 'process', 'user', 'func', 'args', 'return', 'duration'];

export interface PanelFilters {
  /** Free text, matched case-insensitively against every text field (argv too). */
  text: string;
  /** '' = all, else an event type. */
  type: '' | KwEventType;
  /** Exact pid ('' = any). */
  pid: string;
  /** Substring of comm, case-insensitive. */
  comm: string;
  /** Exact uid or user name. */
  uid: string;
  /** Glob on the path (exe for exec events): `*` within a component, `**` across, `?` one char. */
  pathGlob: string;
  failedOnly: boolean;
  /** Only calls that succeeded (ret >= 0); never together with failedOnly. Absent in older states: off. */
  okOnly?: boolean;
  /** A time range chosen on the timeline: events with from <= time < to (seconds, UTC epoch). */
  timeFrom?: number;
  timeTo?: number;
  /** Events of this process or any descendant of it (set by clicking an ancestor); 0 = off. */
  ancestor: number;
  /**
   * Kubernetes pod, of the acting process or of the file (the pod whose directory held it), so
   * that "who touched pod X" finds X's own processes and the node's (kubelet, a CSI driver) alike.
   * With a `/` or a wildcard: a glob on namespace/name (`shop/cart-7d9f` exactly, `shop/*`,
   * `cart-*`); else a case-insensitive substring of namespace/name, or a prefix of the pod uid.
   */
  pod: string;
  /** Kubernetes namespace of either pod (as `pod`): exact, case-insensitive, or a glob with `*`/`?`. */
  namespace: string;
  /** Container of the acting process: substring of its name (case-insensitive) or prefix of its id. */
  container: string;
  /**
   * Events that came by this code path: their stack signature (src/core/stacks.ts) is exactly
   * this. Set from the details pane's stack groups; '' or absent = off.
   */
  stack?: string;
}

export const EMPTY_FILTERS: PanelFilters = {
  text: '', type: '', pid: '', comm: '', uid: '', pathGlob: '', failedOnly: false, ancestor: 0, pod: '', namespace: '', container: '',
};

/** What the webview stores with setState (and what the panel serializer gets back after a reload). */
export interface PanelViewState {
  contract: number;
  traceId: string;
  hostId: string;
  title: string;
  filters: PanelFilters;
  columns: ColumnId[];
  sort: { column: ColumnId; descending: boolean };
  scrollRow: number;
  detailsOpen: boolean;
  /** The summary pane is open (absent in states saved before it existed: closed). */
  summaryOpen?: boolean;
  /** The timeline strip is shown (absent: hidden). */
  timelineOpen?: boolean;
}
