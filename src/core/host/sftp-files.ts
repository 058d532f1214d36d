// An SSH host's files over SFTP as the login user, under the rules of file-policy.ts: stat
// follows links, only a regular file is opened, it is read by its fstat'd size in chunks, and
// every request has a deadline. SFTP carries paths as UTF-8 text, so remote-files.ts sends only
// such paths here. No vscode import.
import type { SFTPWrapper, Stats } from 'ssh2';

import { kindOfMode } from '../file-kinds';
import type { SshConnection } from '../ssh/connection';
import type { HostDirEntry, HostFileStat } from '../trace-api';
import { FileAccessError, checkReadable, hostPath, readChunked, withTimeout, type FileBackend } from './file-policy';

const SFTP_NO_SUCH_FILE = 2;
const SFTP_PERMISSION_DENIED = 3;

type Callback<T> = (err: (Error & { code?: number }) | null | undefined, value: T) => void;

export class SftpFiles implements FileBackend {
  constructor(
    private readonly label: string,
    private readonly conn: SshConnection,
    private readonly timeoutMs: number,
  ) {}

  /**
   * One SFTP request with a deadline. sftp-server answers requests one at a time, so a request
   * that hangs (an open() that blocks) stalls every later one: on timeout the session is closed
   * and the next request gets a fresh one.
   */
  private call<T>(sftp: SFTPWrapper, what: string, path: string, run: (cb: Callback<T>) => void): Promise<T> {
    const answer = new Promise<T>((resolve, reject) =>
      run((err, value) => (err ? reject(this.failed(err, path)) : resolve(value))),
    );
    return withTimeout(
      answer,
      this.timeoutMs,
      () => `${hostPath(this.label, path)}: SFTP ${what} got no answer within ${Math.round(this.timeoutMs / 1000)} s; the SFTP session was closed (the next access opens a new one)`,
      () => this.conn.closeSftp(sftp),
    );
  }

  private session(): Promise<SFTPWrapper> {
    const s = Math.round(this.timeoutMs / 1000);
    return withTimeout(this.conn.sftp(), this.timeoutMs, () => `${this.label}: the SFTP session did not start within ${s} s`);
  }

  private failed(err: Error & { code?: number }, path: string): FileAccessError {
    const code = err.code === SFTP_NO_SUCH_FILE ? 'ENOENT' : err.code === SFTP_PERMISSION_DENIED ? 'EACCES' : 'EIO';
    return new FileAccessError(code, `${hostPath(this.label, path)}: ${err.message}`);
  }

  async stat(p: Uint8Array): Promise<HostFileStat> {
    const path = Buffer.from(p).toString('utf8');
    const s = await this.session();
    const own = await this.call<Stats>(s, 'lstat', path, (cb) => s.lstat(path, cb));
    const kind = kindOfMode(own.mode ?? 0);
    if (kind !== 'symlink') return { type: kind, symlink: false, size: own.size ?? 0, mtimeMs: (own.mtime ?? 0) * 1000 };
    const target = await this.call<Stats>(s, 'stat', path, (cb) => s.stat(path, cb)).catch((e) => {
      if (e instanceof FileAccessError && e.code !== 'ETIMEDOUT') return undefined; // dangling or looping: the link itself
      throw e;
    });
    const st = target ?? own;
    return { type: target ? kindOfMode(target.mode ?? 0) : 'symlink', symlink: true, size: st.size ?? 0, mtimeMs: (st.mtime ?? 0) * 1000 };
  }

  async list(p: Uint8Array): Promise<HostDirEntry[]> {
    const path = Buffer.from(p).toString('utf8');
    const s = await this.session();
    const list = await this.call<Array<{ filename: string; attrs: { mode?: number } }>>(s, 'readdir', path, (cb) => s.readdir(path, cb));
    return list.map((e) => ({ name: new Uint8Array(Buffer.from(e.filename, 'utf8')), type: kindOfMode(e.attrs.mode ?? 0) }));
  }

  async read(p: Uint8Array, maxBytes: number): Promise<Uint8Array> {
    const path = Buffer.from(p).toString('utf8');
    const s = await this.session();
    const handle = await this.call<Buffer>(s, 'open', path, (cb) => s.open(path, 'r', cb));
    try {
      const st = await this.call<Stats>(s, 'fstat', path, (cb) => s.fstat(handle, cb));
      checkReadable(hostPath(this.label, p), kindOfMode(st.mode ?? 0), st.size ?? 0, maxBytes);
      const data = await readChunked(st.size ?? 0, (pos, buf, off, len) =>
        this.call<number>(s, 'read', path, (cb) => s.read(handle, buf, off, len, pos, (err, n) => cb(err, n))),
      );
      return new Uint8Array(data);
    } finally {
      // Not awaited: the data is complete, a slow close must not hold it back.
      void this.call<void>(s, 'close', path, (cb) => s.close(handle, (err) => cb(err, undefined))).catch(() => undefined);
    }
  }
}
