// Runs shell commands on a host: This Machine through child_process, SSH hosts through an exec
// channel. Both give the same ProcessHandle, so privilege, deployment and trace sessions are
// written once. Commands are ONE simple POSIX shell command (it is exec'd, so signals reach it:
// `sh -c SCRIPT`, `sudo ...`, `id -u`); ssh exec has no argv, and sshd hands the text to the
// user's login shell (maybe fish or tcsh), so it always goes through /bin/sh (viaBinSh). No vscode import.
import * as cp from 'child_process';
import type { Readable, Writable } from 'stream';

import { Disposable, Emitter, IDisposable } from '../lifecycle';
import { KwError } from '../errors';
import { viaBinSh } from '../shell';
import type { SshConnection } from '../ssh/connection';

/**
 * Secrets the CLI may be given in its environment. No command we start inherits them (the CLI
 * also deletes them from process.env at start; this is the second line for any other embedder).
 */
export const SECRET_ENV_NAMES = ['KWITNESS_SUDO_PASSWORD', 'KWITNESS_KEY_PASSPHRASE', 'KWITNESS_SSH_PASSWORD'] as const;

/** process.env without the secrets above, plus LC_ALL=C (commands' messages are parsed). */
export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C' };
  for (const name of SECRET_ENV_NAMES) delete env[name];
  return env;
}

export type SignalName = 'TERM' | 'KILL' | 'INT' | 'HUP';

export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

export interface ProcessHandle {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly exited: Promise<ExitInfo>;
  signal(sig: SignalName): void;
  /**
   * Lets go of the process without signalling it: closes our ends (stdin EOF, output no longer
   * read) and forgets it. A lingering trace goes on alone; `exited` may then never settle.
   */
  detach(): void;
}

export interface Runner extends IDisposable {
  readonly kind: 'local' | 'ssh';
  readonly isClosed: boolean;
  readonly onDidClose: (listener: (why: string) => void) => IDisposable;
  spawn(command: string): Promise<ProcessHandle>;
  /** Bytes sent to the host so far (SSH socket counter); undefined for local. */
  bytesSent(): number | undefined;
}

export class LocalRunner extends Disposable implements Runner {
  readonly kind = 'local' as const;
  private readonly _onDidClose = this._register(new Emitter<string>());
  readonly onDidClose = this._onDidClose.event;
  private readonly children = new Set<cp.ChildProcess>();
  get isClosed(): boolean {
    return this.isDisposed;
  }
  bytesSent(): undefined {
    return undefined;
  }
  async spawn(command: string): Promise<ProcessHandle> {
    if (this.isDisposed) throw new KwError('disconnected', 'This Machine: runner disposed');
    const child = cp.spawn('/bin/sh', ['-c', `exec ${command}`], { stdio: ['pipe', 'pipe', 'pipe'], env: childEnv() });
    this.children.add(child);
    const exited = new Promise<ExitInfo>((resolve) => {
      child.once('error', (e) => resolve({ code: 127, signal: `spawn failed: ${e.message}` }));
      child.once('close', (code, signal) => {
        this.children.delete(child);
        resolve({ code, signal });
      });
    });
    child.stdin.on('error', () => undefined); // EPIPE when the command exits before reading
    return {
      stdin: child.stdin,
      stdout: child.stdout,
      stderr: child.stderr,
      exited,
      signal: (sig) => {
        try {
          child.kill(`SIG${sig}` as NodeJS.Signals);
        } catch {
          /* already gone */
        }
      },
      detach: () => {
        child.stdin.end();
        child.stdout.destroy();
        child.stderr.destroy();
        child.unref();
        this.children.delete(child);
      },
    };
  }
  override dispose(): void {
    for (const c of this.children) c.stdin?.end();
    super.dispose();
  }
}

export class SshRunner extends Disposable implements Runner {
  readonly kind = 'ssh' as const;
  readonly onDidClose: Runner['onDidClose'];
  constructor(readonly conn: SshConnection) {
    super();
    this._register(conn);
    this.onDidClose = conn.onDidClose;
  }
  get isClosed(): boolean {
    return this.conn.isClosed || this.isDisposed;
  }
  bytesSent(): number {
    return this.conn.bytesSent;
  }
  async spawn(command: string): Promise<ProcessHandle> {
    const { channel: ch, exit: exited } = await this.conn.exec(viaBinSh(`LC_ALL=C; export LC_ALL; exec ${command}`));
    return {
      stdin: ch,
      stdout: ch,
      stderr: ch.stderr,
      exited,
      signal: (sig) => {
        try {
          ch.signal(sig);
        } catch {
          /* channel closed */
        }
      },
      detach: () => {
        try {
          ch.end();
          ch.close();
        } catch {
          /* channel closed */
        }
      },
    };
  }
}

export interface RunResult {
  code: number | null;
  signal: string | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs `command` to completion, feeding `stdin` (then EOF); collects output. */
export async function runToEnd(runner: Runner, command: string, stdin?: Buffer | string | Buffer[], timeoutMs = 60000): Promise<RunResult> {
  const p = await runner.spawn(command);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  p.stdout.on('data', (d: Buffer) => out.push(d));
  p.stderr.on('data', (d: Buffer) => err.push(d));
  // The exit status can arrive before the last output (a busy host, an SSH channel's exit-status
  // message ahead of its data): the result is complete only when both streams have ended too.
  const outputDone = Promise.all([streamDone(p.stdout), streamDone(p.stderr)]);
  if (stdin !== undefined) {
    for (const part of Array.isArray(stdin) ? stdin : [stdin]) p.stdin.write(part);
  }
  p.stdin.end();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      p.signal('KILL');
      reject(new KwError('timeout', `command did not finish within ${Math.round(timeoutMs / 1000)} s: ${command.slice(0, 80)}`));
    }, timeoutMs);
  });
  try {
    const r = await Promise.race([Promise.all([p.exited, outputDone]).then(([exit]) => exit), timeout]);
    return { ...r, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') };
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves once `s` has delivered all its data (end), or can deliver no more (close, error). */
function streamDone(s: Readable): Promise<void> {
  if (s.readableEnded || s.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    s.once('end', resolve);
    s.once('close', resolve);
    s.once('error', () => resolve());
  });
}
