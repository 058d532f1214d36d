// The Kernel Symbol view's HTML (pure; no scripts at all: CSP `default-src 'none'`, styles from
// the webview origin only). Every value is HTML-escaped; links are plain https anchors that
// VS Code opens in the browser.
import type { Family, ProbeReport } from '../core/events';
import { escapeHtml } from './html';
import { elixirUrl } from './paths';

export interface SymbolInfo {
  hostLabel: string;
  symbol: string;
  /** The kallsyms name it resolved to (e.g. __x64_sys_unlinkat for sys_unlinkat). */
  resolved: string | null;
  probe: string;
  ksym: { address: string; module: string | null } | null;
  ksymError?: string;
  prototype: string | null;
  btfError?: string;
  report: ProbeReport | null;
  reportError?: string;
}

function familyOfProbe(probe: string): Family | null {
  if (/unlink|rmdir|rename/.test(probe)) return 'unlink';
  if (/exec/.test(probe)) return 'exec';
  if (/truncate/.test(probe)) return 'write';
  // the open syscalls serve create and write alike: named after create, as before
  if (/open|creat|mkdir|mknod|link|symlink/.test(probe)) return 'create';
  return null;
}

export function renderSymbolHtml(info: SymbolInfo | null, symbol: string, cspSource: string, styleUri: string, loading = false): string {
  const e = escapeHtml;
  const rows: string[] = [];
  const row = (k: string, v: string) => rows.push(`<tr><th>${e(k)}</th><td>${v}</td></tr>`);
  if (info) {
    row('Host', e(info.hostLabel));
    row('Kernel', e(info.report?.kernel ?? (info.reportError ? `unknown (${info.reportError})` : 'unknown')));
    if (info.probe) row('Probe', `<code>${e(info.probe)}</code>`);
    if (info.resolved && info.resolved !== info.symbol) row('kallsyms name', `<code>${e(info.resolved)}</code>`);
    row('Address', info.ksym ? `<code>${e(info.ksym.address)}</code>` : e(info.ksymError ?? 'not in /proc/kallsyms'));
    row('Module', info.ksym ? e(info.ksym.module ?? 'vmlinux (built in)') : '—');
    row('Prototype (BTF)', info.prototype ? `<pre>${e(info.prototype)}</pre>` : e(info.btfError ?? 'not in the kernel BTF'));
    if (info.report) {
      const fam = familyOfProbe(info.probe || info.symbol);
      const modes = (['fentry', 'kprobe', 'tracepoint'] as const).map((m) => {
        const fams = (Object.keys(info.report!.families) as Family[]).filter((f) => info.report!.families[f].includes(m));
        const here = fam ? fams.includes(fam) : fams.length > 0;
        return `<li class="${here ? 'ok' : 'no'}">${here ? '✓' : '✗'} ${e(m)}${fams.length ? ` <span class="muted">(${e(fams.join(', '))})</span>` : ''}</li>`;
      });
      row('Attach modes that load here', `<ul class="modes">${modes.join('')}</ul>`);
      row('Kernel lockdown / LSM', e(`${info.report.lockdown} / ${info.report.lsm.join(',') || '—'}`));
    }
    const url = elixirUrl(info.report?.kernel ?? '', info.symbol);
    row('Source', url ? `<a href="${e(url)}">${e(url)}</a>` : 'kernel release unknown');
  }
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${e(cspSource)};">
<link rel="stylesheet" href="${e(styleUri)}">
<title>${e(symbol)}</title></head>
<body class="symbol"><h2><code>${e(symbol)}</code></h2>
${loading ? '<p class="muted">Looking up /proc/kallsyms, BTF and attach modes…</p>' : `<table class="sym">${rows.join('\n')}</table>`}
</body></html>`;
}
