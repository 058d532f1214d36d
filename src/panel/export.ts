// Export of a panel's events: the webview asks (exportBegin), the user picks a file in a save
// dialog, the webview streams the rows (exportChunk ... last) and they go to disk in order.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vscode from 'vscode';

import type { ExportFormat, HostToWebviewMap } from '../contract';
import type { PanelLog } from './deps';

interface ExportJob {
  uri: vscode.Uri;
  format: ExportFormat;
  /** Open file for `file:` targets; other schemes are collected and written at the end. */
  fd?: fs.promises.FileHandle;
  parts: string[];
  lines: number;
  chain: Promise<void>;
}

/** The panel's answers to an export, without the trace id (the panel adds it). */
export type ExportReply =
  | ({ type: 'exportAccepted' } & Omit<HostToWebviewMap['exportAccepted'], 'traceId'>)
  | ({ type: 'exportResult' } & Omit<HostToWebviewMap['exportResult'], 'traceId'>);

export class PanelExports {
  private seq = 0;
  private readonly jobs = new Map<number, ExportJob>();

  constructor(
    private readonly hostId: string,
    private readonly reply: (m: ExportReply) => void,
    private readonly log: PanelLog,
  ) {}

  async begin(format: ExportFormat, count: number): Promise<void> {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    const ext = format === 'csv' ? 'csv' : 'jsonl';
    const base = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
    const uri = await vscode.window.showSaveDialog({
      title: `Export ${count} events`,
      defaultUri: vscode.Uri.joinPath(base, `kwitness-${this.hostId.replace(/[^A-Za-z0-9._-]/g, '_')}-${stamp}.${ext}`),
      filters: format === 'csv' ? { CSV: ['csv'] } : { 'JSON Lines': ['jsonl', 'ndjson'] },
    });
    const exportId = ++this.seq;
    if (!uri) {
      this.reply({ type: 'exportResult', exportId, ok: false, message: 'Export cancelled.' });
      return;
    }
    const job: ExportJob = { uri, format, parts: [], lines: 0, chain: Promise.resolve() };
    try {
      if (uri.scheme === 'file') job.fd = await fs.promises.open(uri.fsPath, 'w');
    } catch (e) {
      this.reply({ type: 'exportResult', exportId, ok: false, message: `Export failed: ${(e as Error).message}` });
      return;
    }
    this.jobs.set(exportId, job);
    this.reply({ type: 'exportAccepted', exportId, format });
  }

  chunk(exportId: number, data: string, last: boolean): void {
    const job = this.jobs.get(exportId);
    if (!job) return this.log.warn(`panel: export chunk for unknown export ${exportId}`);
    job.lines += (data.match(/\n/g) ?? []).length;
    job.chain = job.chain.then(async () => {
      if (job.fd) await job.fd.write(data);
      else job.parts.push(data);
      if (!last) return;
      this.jobs.delete(exportId);
      if (job.fd) await job.fd.close();
      else await vscode.workspace.fs.writeFile(job.uri, Buffer.from(job.parts.join(''), 'utf8'));
      const records = job.format === 'csv' ? Math.max(0, job.lines - 1) : job.lines;
      const msg = `Exported ${records} events to ${job.uri.scheme === 'file' ? job.uri.fsPath : job.uri.toString()}`;
      this.reply({ type: 'exportResult', exportId, ok: true, message: msg });
      void vscode.window.showInformationMessage(`Kernel Witness: ${msg}`);
    }).catch((e) => {
      this.jobs.delete(exportId);
      void job.fd?.close().catch(() => undefined);
      this.reply({ type: 'exportResult', exportId, ok: false, message: `Export failed: ${(e as Error).message}` });
    });
  }

  dispose(): void {
    for (const job of this.jobs.values()) void job.fd?.close().catch(() => undefined);
    this.jobs.clear();
  }
}
