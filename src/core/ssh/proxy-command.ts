// ProxyCommand: the command runs locally through the shell (like OpenSSH: `exec` in $SHELL, else
// /bin/sh; cmd.exe on Windows) and its stdin/stdout carry the SSH connection. Its stderr goes to the log; when it
// ends before the handshake is done, its exit status and last stderr line become the error.
// No vscode import.
import * as cp from 'child_process';
import * as path from 'path';
import { Duplex } from 'stream';

export class ProxyCommandStream extends Duplex {
  bytesWritten = 0;
  bytesRead = 0;
  private readonly child: cp.ChildProcessWithoutNullStreams;
  private stderrTail = '';
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private spawnError: Error | undefined;

  constructor(
    readonly command: string,
    log: (line: string) => void,
  ) {
    super();
    const shell = process.env.SHELL && path.isAbsolute(process.env.SHELL) ? process.env.SHELL : '/bin/sh';
    this.child =
      process.platform === 'win32'
        ? cp.spawn(command, { shell: true, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true }) // OpenSSH for Windows: no /bin/sh either
        : cp.spawn(shell, ['-c', `exec ${command}`], { stdio: ['pipe', 'pipe', 'pipe'] });
    const { stdout, stdin, stderr } = this.child;
    stdout.on('data', (d: Buffer) => {
      this.bytesRead += d.length;
      if (!this.push(d)) stdout.pause();
    });
    // The end of the stream is reported once the process is gone and its stderr fully read, so
    // that whoever sees the end can also say why.
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      this.push(null);
    };
    this.child.once('close', (code, signal) => {
      this.exit = { code, signal };
      end();
    });
    this.child.once('error', (e) => {
      this.spawnError = e;
      end();
    });
    stdin.on('error', () => undefined); // EPIPE once the command is gone: the 'close' above reports it
    stderr.setEncoding('utf8');
    let partial = '';
    stderr.on('data', (s: string) => {
      const lines = (partial + s).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) this.noteStderr(l, log);
    });
    stderr.on('end', () => partial && this.noteStderr(partial, log));
  }

  private noteStderr(line: string, log: (line: string) => void): void {
    const l = line.replace(/\r$/, '');
    if (!l.trim()) return;
    this.stderrTail = l.trim();
    log(`ProxyCommand: ${l}`);
  }

  /** Why the command is gone (exit status, signal, last stderr line), or undefined while it runs. */
  describeEnd(): string | undefined {
    if (this.spawnError) return `could not be started (${this.spawnError.message})`;
    if (!this.exit) return undefined;
    const how = this.exit.signal ? `was killed by ${this.exit.signal}` : `exited with status ${this.exit.code}`;
    return `${how}${this.stderrTail ? `: ${this.stderrTail}` : ''}`;
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.bytesWritten += chunk.length;
    if (this.child.stdin.destroyed) return cb();
    this.child.stdin.write(chunk, () => cb());
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.child.stdin.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.kill();
    cb(err);
  }

  /** Ends the command (SIGHUP, as OpenSSH does when it exits) unless it is already gone. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGHUP');
  }
}
