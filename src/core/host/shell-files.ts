// An SSH host's files through the login shell, for paths whose bytes are not valid UTF-8 (ssh2's
// SFTP can only carry UTF-8 text). The path travels as octal escapes; the rules of
// file-policy.ts hold here too: stat follows links, only a regular file is read, at most the size
// its stat reported (`head -c`), and the command is killed at the deadline. No vscode import.
import { isKwError } from '../errors';
import { kindOfLetter, kindOfMode } from '../file-kinds';
import { shAssignBytes, shq } from '../shell';
import type { HostDirEntry, HostFileStat } from '../trace-api';
import { FileAccessError, hostPath, type FileBackend, type FileErrorCode } from './file-policy';
import { RunResult, Runner, runToEnd } from './runner';

// Exit codes of the scripts below.
const MISSING = 2;
const NOT_REGULAR = 4;

export class ShellFiles implements FileBackend {
  constructor(
    private readonly label: string,
    private readonly runner: Runner,
    private readonly timeoutMs: number,
  ) {}

  private async run(p: Uint8Array, script: string): Promise<RunResult> {
    try {
      return await runToEnd(this.runner, `sh -c ${shq(`${shAssignBytes('f', p)}; ${script}`)}`, undefined, this.timeoutMs);
    } catch (e) {
      if (isKwError(e, 'timeout')) throw new FileAccessError('ETIMEDOUT', `${hostPath(this.label, p)}: the shell did not finish within ${Math.round(this.timeoutMs / 1000)} s`);
      throw e;
    }
  }

  private failed(r: RunResult, p: Uint8Array, what: string): FileAccessError {
    const code: FileErrorCode = r.code === MISSING ? 'ENOENT' : /denied/i.test(r.stderr) ? 'EACCES' : 'EIO';
    return new FileAccessError(code, `${hostPath(this.label, p)}: ${r.stderr.trim().split('\n')[0] || what}`);
  }

  async stat(p: Uint8Array): Promise<HostFileStat> {
    // `stat -L` follows the link; when it cannot (dangling), the link itself. %f = raw mode, hex.
    const r = await this.run(
      p,
      `if [ -L "$f" ]; then l=1; elif [ -e "$f" ]; then l=0; else exit ${MISSING}; fi; ` +
        `s=$(stat -L -c '%f %s %Y' -- "$f" 2>/dev/null) || s=$(stat -c '%f %s %Y' -- "$f") || exit 3; echo "$l $s"`,
    );
    const [link, mode, size, mtime] = r.stdout.toString().trim().split(' ');
    if (r.code !== 0 || mtime === undefined) throw this.failed(r, p, 'no such file or directory');
    return { type: kindOfMode(parseInt(mode, 16)), symlink: link === '1', size: Number(size), mtimeMs: Number(mtime) * 1000 };
  }

  async list(p: Uint8Array): Promise<HostDirEntry[]> {
    // One record per entry: `ls -l`'s type letter, '/', the exact name bytes, NUL.
    const r = await this.run(
      p,
      `[ -d "$f" ] || exit ${MISSING}; cd -- "$f" || exit 3; for e in * .[!.]* ..?*; do ` +
        `if [ -L "$e" ]; then t=l; elif [ -d "$e" ]; then t=d; elif [ -f "$e" ]; then t=-; elif [ -p "$e" ]; then t=p; ` +
        `elif [ -S "$e" ]; then t=s; elif [ -c "$e" ]; then t=c; elif [ -b "$e" ]; then t=b; elif [ -e "$e" ]; then t='?'; else continue; fi; ` +
        `printf '%s/%s\\0' "$t" "$e"; done`,
    );
    if (r.code !== 0) throw this.failed(r, p, 'not a readable directory');
    const out: HostDirEntry[] = [];
    let start = 0;
    const buf = r.stdout;
    for (let i = 0; i < buf.length; i++) {
      if (buf[i] !== 0) continue;
      const rec = buf.subarray(start, i);
      start = i + 1;
      out.push({ name: new Uint8Array(rec.subarray(2)), type: kindOfLetter(String.fromCharCode(rec[0])) });
    }
    return out;
  }

  /** The shell cannot fstat what it reads: it re-checks the type just before and reads at most `statSize` bytes. */
  async read(p: Uint8Array, _maxBytes: number, statSize: number): Promise<Uint8Array> {
    const r = await this.run(p, `[ -e "$f" ] || exit ${MISSING}; [ -f "$f" ] || exit ${NOT_REGULAR}; exec head -c ${statSize} -- "$f"`);
    if (r.code === NOT_REGULAR) throw new FileAccessError('ENOTREG', `${hostPath(this.label, p)} is no longer a regular file; only regular files are opened`);
    if (r.code !== 0) throw this.failed(r, p, 'no such file');
    return new Uint8Array(r.stdout);
  }
}
