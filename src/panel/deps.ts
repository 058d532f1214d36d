// What the panel's host side needs from the rest of the extension (given by activate()).
import type { HostAgent, HostFiles, HostRef, TraceOptions } from '../core/trace-api';

export interface PanelLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface PanelDeps {
  files: HostFiles;
  agent: HostAgent;
  log: PanelLog;
  /**
   * Starts a trace like the commands do (progress, errors shown); the new trace reaches the
   * panels through showTrace, synchronously, before this resolves. Restart uses it.
   */
  startTrace?(host: HostRef, options: TraceOptions): Promise<unknown>;
}
