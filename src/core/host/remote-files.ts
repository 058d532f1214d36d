// HostFiles for every host: decides whether a host may be read at all (only hosts the user added),
// which way reaches the path (fs for This Machine, SFTP for UTF-8 paths on SSH hosts, the login
// shell for other bytes), and applies the read rules of file-policy.ts before anything is opened.
// It connects as the login user only: reading a file never detects privilege or asks for sudo.
// No vscode import.
import type { HostDirEntry, HostFileStat, HostFiles, HostRef } from '../trace-api';
import { FILE_TIMEOUT_MS, FileAccessError, checkReadable, hostPath, utf8Exact, type FileBackend } from './file-policy';
import { LocalFiles } from './local-files';
import { SftpFiles } from './sftp-files';
import { ShellFiles } from './shell-files';
import { SshRunner, type Runner } from './runner';

export interface HostFileAccessDeps {
  /** The host as the user added it (This Machine, ~/.ssh/config, kwitness.hosts); undefined otherwise. */
  known(id: string): HostRef | undefined;
  /** The host's connection as the login user (never asks for a sudo password). */
  login(host: HostRef): Promise<Runner>;
  /** The read cap in bytes (kwitness.maxFileReadMB), asked at every read. */
  maxReadBytes(): number;
  /** Deadline of one SFTP request or shell command (default FILE_TIMEOUT_MS). */
  timeoutMs?: number;
}

const REPLACEMENT_CHAR = Buffer.from('\uFFFD');

export class HostFileAccess implements HostFiles {
  constructor(private readonly deps: HostFileAccessDeps) {}

  private get timeoutMs(): number {
    return this.deps.timeoutMs ?? FILE_TIMEOUT_MS;
  }

  /**
   * The host as the HostManager knows it. A `kwitness://user@host:port/...` link can name any
   * address: opening a connection for it would let a link make this machine dial out (and offer
   * keys) to a host the user never chose, so anything unknown is refused before any I/O.
   */
  private known(host: HostRef): HostRef {
    const ref = this.deps.known(host.id);
    if (!ref) {
      throw new FileAccessError(
        'EUNKNOWNHOST',
        `${JSON.stringify(host.id)} is not one of your hosts (This Machine, ~/.ssh/config, kwitness.hosts); add it with Add Host to open its files`,
      );
    }
    return ref;
  }

  private async backend(host: HostRef, p: Uint8Array): Promise<{ ref: HostRef; via: FileBackend; sftp: boolean }> {
    const ref = this.known(host);
    if (ref.kind === 'local') return { ref, via: new LocalFiles(ref.label), sftp: false };
    const runner = await this.deps.login(ref);
    if (!(runner instanceof SshRunner)) throw new FileAccessError('EIO', `${ref.label}: not an SSH connection`);
    return utf8Exact(p) !== undefined
      ? { ref, via: new SftpFiles(ref.label, runner.conn, this.timeoutMs), sftp: true }
      : { ref, via: new ShellFiles(ref.label, runner, this.timeoutMs), sftp: false };
  }

  async stat(host: HostRef, p: Uint8Array): Promise<HostFileStat> {
    return (await this.backend(host, p)).via.stat(p);
  }

  async readFile(host: HostRef, p: Uint8Array): Promise<Uint8Array> {
    const { ref, via } = await this.backend(host, p);
    const max = this.deps.maxReadBytes();
    // Checked on the stat first, so a FIFO, a device or a socket is never opened at all.
    const st = await via.stat(p);
    checkReadable(hostPath(ref.label, p), st.type, st.size, max);
    return via.read(p, max, st.size);
  }

  async readDirectory(host: HostRef, p: Uint8Array): Promise<HostDirEntry[]> {
    const { ref, via, sftp } = await this.backend(host, p);
    const list = await via.list(p);
    // SFTP hands names over as UTF-8 text: a listing with a name that was not valid UTF-8 (shown
    // as U+FFFD) is read again through the shell, which keeps the exact bytes.
    if (sftp && list.some((e) => Buffer.from(e.name).includes(REPLACEMENT_CHAR))) {
      return new ShellFiles(ref.label, await this.deps.login(ref), this.timeoutMs).list(p);
    }
    return list;
  }
}
