// This Machine's files through node's fs, under the rules of file-policy.ts. No vscode import.
import * as fs from 'fs';

import { kindOfEntry, kindOfMode } from '../file-kinds';
import type { HostDirEntry, HostFileStat } from '../trace-api';
import { FileAccessError, checkReadable, hostPath, readChunked, type FileBackend } from './file-policy';


// O_NONBLOCK: should the path have become a FIFO since it was checked, open() returns at once
// instead of waiting for a writer; O_NOCTTY: a terminal never becomes ours.
const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY;

export class LocalFiles implements FileBackend {
  constructor(private readonly label: string) {}

  private failed(e: unknown, p: Uint8Array): FileAccessError {
    const code = (e as NodeJS.ErrnoException).code;
    const mapped = code === 'ENOENT' || code === 'ENOTDIR' ? 'ENOENT' : code === 'EACCES' || code === 'EPERM' ? 'EACCES' : code === 'EISDIR' ? 'EISDIR' : 'EIO';
    return new FileAccessError(mapped, `${hostPath(this.label, p)}: ${(e as Error).message}`);
  }

  async stat(p: Uint8Array): Promise<HostFileStat> {
    const b = Buffer.from(p);
    const own = await fs.promises.lstat(b).catch((e) => {
      throw this.failed(e, p);
    });
    if (!own.isSymbolicLink()) return { type: kindOfMode(own.mode), symlink: false, size: own.size, mtimeMs: own.mtimeMs };
    const target = await fs.promises.stat(b).catch(() => undefined); // dangling or looping: the link itself
    return target
      ? { type: kindOfMode(target.mode), symlink: true, size: target.size, mtimeMs: target.mtimeMs }
      : { type: 'symlink', symlink: true, size: own.size, mtimeMs: own.mtimeMs };
  }

  async list(p: Uint8Array): Promise<HostDirEntry[]> {
    const entries = await fs.promises.readdir(Buffer.from(p), { withFileTypes: true, encoding: 'buffer' }).catch((e) => {
      throw this.failed(e, p);
    });
    return entries.map((e) => ({ name: new Uint8Array(e.name), type: kindOfEntry(e) }));
  }

  async read(p: Uint8Array, maxBytes: number): Promise<Uint8Array> {
    const fh = await fs.promises.open(Buffer.from(p), OPEN_FLAGS).catch((e) => {
      throw this.failed(e, p);
    });
    try {
      const st = await fh.stat();
      checkReadable(hostPath(this.label, p), kindOfMode(st.mode), st.size, maxBytes);
      return new Uint8Array(await readChunked(st.size, async (pos, buf, off, len) => (await fh.read(buf, off, len, pos)).bytesRead));
    } catch (e) {
      throw e instanceof FileAccessError ? e : this.failed(e, p);
    } finally {
      await fh.close();
    }
  }
}
