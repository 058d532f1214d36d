// The read-only `kwitness://<hostId>/abs/path` file system: a thin FileSystemProvider over
// HostFiles (src/core/host/remote-files.ts decides which hosts, which files and how much may be
// read), plus the generated listing documents (`?listing`, `?gone=<b64>`).
import * as vscode from 'vscode';

import type { FileKind } from '../core/file-kinds';
import type { HostFiles, HostRef } from '../core/trace-api';
import { decodeUriPath, dirListing, encodeUriPath, goneListing, isAbsolute } from './paths';

export const FS_SCHEME = 'kwitness';
const LISTING_TTL_MS = 5000;

function fileType(kind: FileKind): vscode.FileType {
  return kind === 'file' ? vscode.FileType.File : kind === 'dir' ? vscode.FileType.Directory : kind === 'symlink' ? vscode.FileType.SymbolicLink : vscode.FileType.Unknown;
}

/**
 * The FileSystemError for a failure of HostFiles; its message is the one line the host side
 * wrote (it names the host, the path and the cause).
 */
export function toFileSystemError(e: unknown, uri: vscode.Uri): Error {
  const err = e as { code?: unknown; message?: unknown };
  const message = String(err?.message ?? e);
  switch (err?.code) {
    case 'ENOENT': return vscode.FileSystemError.FileNotFound(uri);
    case 'EISDIR': return vscode.FileSystemError.FileIsADirectory(uri);
    case 'EACCES':
    case 'EUNKNOWNHOST': return vscode.FileSystemError.NoPermissions(message);
    case 'ENOTREG':
    case 'EFBIG':
    case 'ETIMEDOUT': return vscode.FileSystemError.Unavailable(message);
  }
  return e instanceof Error ? e : new Error(message);
}

export class HostFileSystem implements vscode.FileSystemProvider {
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;
  private readonly listings = new Map<string, { text: Uint8Array; at: number }>();

  constructor(
    private readonly files: HostFiles,
    private readonly hostRef: (id: string) => HostRef,
  ) {}

  private target(uri: vscode.Uri): { host: HostRef; path: Uint8Array } {
    const bytes = decodeUriPath(uri.path || '/');
    if (!isAbsolute(bytes)) throw vscode.FileSystemError.FileNotFound(uri);
    return { host: this.hostRef(uri.authority), path: bytes };
  }

  /** Runs one HostFiles call for `uri`, its failure as a FileSystemError. */
  private async call<T>(uri: vscode.Uri, run: (host: HostRef, path: Uint8Array) => Promise<T>): Promise<T> {
    const { host, path } = this.target(uri);
    try {
      return await run(host, path);
    } catch (e) {
      throw toFileSystemError(e, uri);
    }
  }

  /** Listing documents (`?listing` or `?gone=<b64>`) are generated text. */
  private async listing(uri: vscode.Uri): Promise<Uint8Array | null> {
    const q = new URLSearchParams(uri.query);
    if (!q.has('listing') && !q.has('gone')) return null;
    const key = uri.toString();
    const hit = this.listings.get(key);
    if (hit && Date.now() - hit.at < LISTING_TTL_MS) return hit.text;
    const gone = q.get('gone');
    const text = await this.call(uri, async (host, dir) => {
      const entries = await this.files.readDirectory(host, dir);
      return gone ? goneListing(host.label, Buffer.from(gone, 'base64'), dir, entries) : dirListing(host.label, dir, entries);
    });
    const bytes = Buffer.from(text, 'utf8');
    this.listings.set(key, { text: bytes, at: Date.now() });
    return bytes;
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    const listing = await this.listing(uri);
    if (listing) return { type: vscode.FileType.File, ctime: 0, mtime: Date.now(), size: listing.length, permissions: vscode.FilePermission.Readonly };
    const st = await this.call(uri, (host, path) => this.files.stat(host, path));
    // Like VS Code's own disk provider: the target's type, marked as reached through a link.
    const type = fileType(st.type) | (st.symlink ? vscode.FileType.SymbolicLink : 0);
    return { type, ctime: st.mtimeMs, mtime: st.mtimeMs, size: st.size, permissions: vscode.FilePermission.Readonly };
  }

  async readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
    const entries = await this.call(uri, (host, path) => this.files.readDirectory(host, path));
    return entries.map((e) => [encodeUriPath(e.name), fileType(e.type)]);
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return (await this.listing(uri)) ?? this.call(uri, (host, path) => this.files.readFile(host, path));
  }

  createDirectory(uri: vscode.Uri): void { throw vscode.FileSystemError.NoPermissions(uri); }
  writeFile(uri: vscode.Uri): void { throw vscode.FileSystemError.NoPermissions(uri); }
  delete(uri: vscode.Uri): void { throw vscode.FileSystemError.NoPermissions(uri); }
  rename(uri: vscode.Uri): void { throw vscode.FileSystemError.NoPermissions(uri); }

  dispose(): void {
    this.emitter.dispose();
  }
}
