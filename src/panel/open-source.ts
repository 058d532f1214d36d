// A user stack frame's source position (the panel's openSource message): the file of the local
// workspace that is most likely the one the traced binary was built from, opened at the line.
import * as vscode from 'vscode';

import type { PanelLog } from './deps';
import { bestSourceMatch, sourceGlob } from './source-match';

/** Candidates looked at per search (a name like main.go is common in a large workspace). */
const MAX_CANDIDATES = 500;

/** Opens `src` at `line` (1-based); says in the status bar when the workspace has no such file. Resolves to the document's uri. */
export async function openSource(src: string, line: number, log: PanelLog): Promise<vscode.Uri | undefined> {
  const glob = sourceGlob(src);
  const name = src.slice(src.lastIndexOf('/') + 1);
  if (glob === null || !vscode.workspace.workspaceFolders?.length) {
    vscode.window.setStatusBarMessage(`Kernel Witness: ${glob === null ? `"${src}" names no file` : `no workspace folder is open to find ${name} in`}`, 8000);
    return undefined;
  }
  const found = await vscode.workspace.findFiles(glob, '**/node_modules/**', MAX_CANDIDATES);
  const byPath = new Map(found.map((u) => [u.fsPath, u]));
  const best = bestSourceMatch(src, [...byPath.keys()]);
  if (best === undefined) {
    vscode.window.setStatusBarMessage(`Kernel Witness: ${name} (${src}:${line}) is not in the workspace`, 8000);
    log.info(`panel: source ${src}:${line} not found in the workspace (${found.length} files named like it)`);
    return undefined;
  }
  const uri = byPath.get(best)!;
  const at = new vscode.Position(Math.max(0, line - 1), 0);
  await vscode.window.showTextDocument(uri, { selection: new vscode.Range(at, at), preview: true });
  return uri;
}
