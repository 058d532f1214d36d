// The rules every file read on a host follows, whatever carries it (fs, SFTP, the shell), and the
// one error type they fail with. A path on a target is named by whoever can create files there,
// so a click must never open a FIFO (open(2) blocks the single sftp-server), never read a device
// (/dev/zero never ends), never read more than the user allowed, and never wait forever.
// No vscode import.
import { describeKind, type FileKind } from '../file-kinds';
import type { HostDirEntry, HostFileStat } from '../trace-api';

/** errno-style codes (the provider maps them to FileSystemError kinds); ENOTREG and EUNKNOWNHOST are ours. */
export type FileErrorCode = 'ENOENT' | 'EACCES' | 'EISDIR' | 'EIO' | 'ENOTREG' | 'EFBIG' | 'ETIMEDOUT' | 'EUNKNOWNHOST';

export class FileAccessError extends Error {
  constructor(
    readonly code: FileErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FileAccessError';
  }
}

/** One way to reach a host's files: node's fs, SFTP, or the login shell. */
export interface FileBackend {
  /** Follows links (a dangling one is reported as type 'symlink'). */
  stat(p: Uint8Array): Promise<HostFileStat>;
  list(p: Uint8Array): Promise<HostDirEntry[]>;
  /**
   * Reads a path whose stat passed checkReadable: where it can, checks the OPENED file against
   * the rules again (it may have been swapped since) and reads it by that size, else by `statSize`.
   */
  read(p: Uint8Array, maxBytes: number, statSize: number): Promise<Uint8Array>;
}

/** Reads never wait longer than this for one answer: a safety net, not a way to decide anything. */
export const FILE_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_READ_MB = 50;
export const MAX_READ_SETTING = 'kwitness.maxFileReadMB';
const MB = 1024 * 1024;

/** `host: "path"`, how every message names a file (bytes that are not UTF-8 show as U+FFFD). */
export function hostPath(label: string, p: Uint8Array | string): string {
  return `${label}: ${JSON.stringify(typeof p === 'string' ? p : Buffer.from(p).toString('utf8'))}`;
}

/** The path as text when its bytes are exactly valid UTF-8, else undefined. */
export function utf8Exact(p: Uint8Array): string | undefined {
  const text = Buffer.from(p).toString('utf8');
  return Buffer.from(text, 'utf8').equals(Buffer.from(p)) ? text : undefined;
}

export function maxReadBytes(megabytes: number | undefined): number {
  const mb = typeof megabytes === 'number' && Number.isFinite(megabytes) && megabytes > 0 ? megabytes : DEFAULT_MAX_READ_MB;
  return Math.floor(mb * MB);
}

function megabytes(bytes: number): string {
  const mb = bytes / MB;
  return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB`;
}

/**
 * Throws unless `kind` and `size` may be read: a regular file of at most `maxBytes`. Called on
 * the stat before anything is opened, and again on the opened file (it may have been swapped).
 * `where` is hostPath().
 */
export function checkReadable(where: string, kind: FileKind, size: number, maxBytes: number): void {
  if (kind === 'dir') throw new FileAccessError('EISDIR', `${where} is a directory`);
  if (kind !== 'file') throw new FileAccessError('ENOTREG', `${where} is ${describeKind(kind)}; only regular files are opened`);
  if (size > maxBytes) {
    throw new FileAccessError('EFBIG', `${where} is ${megabytes(size)}, more than the ${megabytes(maxBytes)} that ${MAX_READ_SETTING} allows; raise that setting to open it`);
  }
}

/**
 * Rejects with ETIMEDOUT (`message()`) when `p` has not settled within `ms`; `onTimeout` runs
 * first (e.g. to close a session that is stuck).
 */
export function withTimeout<T>(p: Promise<T>, ms: number, message: () => string, onTimeout?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new FileAccessError('ETIMEDOUT', message()));
    }, ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Reads `len` bytes at `pos` into buf[off..]; resolves the count read, 0 at end of file. */
export type ReadAt = (pos: number, buf: Buffer, off: number, len: number) => Promise<number>;

const CHUNK = 256 * 1024;
const IN_FLIGHT = 4;

/**
 * Reads a file of `size` bytes (its fstat'd size, already checked against the cap) in chunks, a
 * few at a time. Never reads past `size`: a file that grows is cut at the size it had, one that
 * shrinks ends where its end was found.
 */
export async function readChunked(size: number, readAt: ReadAt): Promise<Buffer> {
  const buf = Buffer.alloc(size);
  let end = size;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < end) {
      const start = next;
      const stop = Math.min(start + CHUNK, end);
      next = stop;
      for (let pos = start; pos < stop; ) {
        const n = await readAt(pos, buf, pos, stop - pos);
        if (n <= 0) {
          end = Math.min(end, pos);
          break;
        }
        pos += n;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, Math.ceil(size / CHUNK)) }, worker));
  return buf.subarray(0, end);
}
