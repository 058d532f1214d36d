// What the panel's host side needs from the rest of the extension (given by activate()).
import type { HostAgent, HostFiles } from '../core/trace-api';

export interface PanelLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface PanelDeps {
  files: HostFiles;
  agent: HostAgent;
  log: PanelLog;
}
