// Opening a path of a host in an editor (`kwitness.openPath`, the panel's path links): a file
// on This Machine or in the remote workspace opens as itself, anything else as `kwitness://`;
// a directory opens as a listing, a deleted path as its nearest existing ancestor's listing.
import * as vscode from 'vscode';

import { describeKind } from '../core/file-kinds';
import type { HostFileStat, HostFiles, HostRef } from '../core/trace-api';
import type { PanelLog } from './deps';
import { FS_SCHEME } from './host-file-system';
import { encodeUriPath, isAbsolute, parentOf, printable, utf8OrNull } from './paths';

/** How many parent directories a deleted path is walked up at most. */
const MAX_ANCESTORS = 64;

export function kwitnessUri(hostId: string, bytes: Uint8Array, query = ''): vscode.Uri {
  return vscode.Uri.from({ scheme: FS_SCHEME, authority: hostId, path: encodeUriPath(bytes), query });
}

export class PathOpener {
  constructor(
    private readonly files: HostFiles,
    private readonly hostRef: (id: string) => HostRef,
    private readonly log: PanelLog,
  ) {}

  /**
   * `kwitness.openPath(hostId, path: string | Uint8Array)` or `({ hostId, pathB64 | path })`;
   * asks for the path when none is given. Resolves to { uri, gone } of the document opened.
   */
  async command(a: unknown, b: unknown): Promise<{ uri: string; gone: boolean } | undefined> {
    let hostId: string | undefined;
    let bytes: Uint8Array | undefined;
    if (typeof a === 'object' && a !== null && !(a instanceof Uint8Array)) {
      const o = a as { hostId?: unknown; pathB64?: unknown; path?: unknown };
      hostId = typeof o.hostId === 'string' ? o.hostId : undefined;
      if (typeof o.pathB64 === 'string') bytes = Buffer.from(o.pathB64, 'base64');
      else if (typeof o.path === 'string') bytes = Buffer.from(o.path, 'utf8');
    } else if (typeof a === 'string') {
      hostId = a;
      if (typeof b === 'string') bytes = Buffer.from(b, 'utf8');
      else if (b instanceof Uint8Array) bytes = b;
    }
    if (!hostId) {
      void vscode.window.showErrorMessage('Kernel Witness: openPath needs a host id and a path (hostId, path) or ({ hostId, pathB64 }).');
      return undefined;
    }
    if (!bytes) {
      const typed = await vscode.window.showInputBox({ title: `Open a path on ${this.hostRef(hostId).label}`, prompt: 'Absolute path' });
      if (!typed) return undefined;
      bytes = Buffer.from(typed, 'utf8');
    }
    try {
      const r = await this.open(hostId, bytes);
      return { uri: r.uri.toString(), gone: r.gone };
    } catch (e) {
      void vscode.window.showErrorMessage(`Kernel Witness: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** The `vscode-remote` authority when this window is a Remote-SSH window on that very host. */
  private remoteAuthority(hostId: string): string | null {
    const want = `ssh-remote+${hostId}`;
    if (vscode.env.remoteName !== 'ssh-remote') return null;
    return (vscode.workspace.workspaceFolders ?? []).some((f) => f.uri.scheme === 'vscode-remote' && f.uri.authority === want) ? want : null;
  }

  /** Opens a path of a host in an editor; a deleted path opens its parent directory's listing. */
  async open(hostId: string, bytes: Uint8Array): Promise<{ uri: vscode.Uri; gone: boolean }> {
    if (!isAbsolute(bytes)) throw new Error(`not an absolute path: ${printable(bytes)}`);
    const host = this.hostRef(hostId);
    let st: HostFileStat | null = null;
    try {
      st = await this.files.stat(host, bytes);
    } catch (e) {
      // Only a path that does not exist is "gone"; any other failure (an unknown host, no
      // permission, a timeout) is the answer.
      if ((e as { code?: unknown }).code !== 'ENOENT') throw e;
      this.log.info(`panel: stat ${printable(bytes)} on ${host.label}: ${(e as Error).message}`);
    }
    if (!st) {
      // Gone: show what its nearest existing ancestor directory holds now.
      let dir = parentOf(bytes);
      for (let i = 0; i < MAX_ANCESTORS; i++) {
        const ok = await this.files.stat(host, dir).then((s) => s.type === 'dir', () => false);
        if (ok || dir.length === 1) break;
        dir = parentOf(dir);
      }
      const uri = kwitnessUri(hostId, dir, `gone=${encodeURIComponent(Buffer.from(bytes).toString('base64'))}`);
      await vscode.commands.executeCommand('vscode.open', uri, { preview: true });
      void vscode.window.showWarningMessage(`${printable(bytes)} is gone on ${host.label} (deleted or renamed); showing ${printable(dir)}.`);
      return { uri, gone: true };
    }
    if (st.type === 'dir') {
      const uri = kwitnessUri(hostId, bytes, 'listing');
      await vscode.commands.executeCommand('vscode.open', uri, { preview: true });
      return { uri, gone: false };
    }
    if (st.type !== 'file') {
      // Said here, before an editor tries: a FIFO, a device or a socket is never opened.
      const what = st.type === 'symlink' ? 'a symbolic link whose target is missing' : describeKind(st.type);
      throw new Error(`${printable(bytes)} on ${host.label} is ${what}; only regular files and directories are opened`);
    }
    const text = utf8OrNull(bytes);
    let uri: vscode.Uri;
    const remote = this.remoteAuthority(hostId);
    if (host.id === 'local' && text !== null && vscode.env.remoteName === undefined) uri = vscode.Uri.file(text);
    else if (remote && text !== null) uri = vscode.Uri.from({ scheme: 'vscode-remote', authority: remote, path: text });
    else uri = kwitnessUri(hostId, bytes);
    await vscode.commands.executeCommand('vscode.open', uri, { preview: true });
    return { uri, gone: false };
  }
}
