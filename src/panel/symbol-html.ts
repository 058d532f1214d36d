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

/** The view's script (its live probe): loaded by nonce, from the webview's own folder. */
export interface SymbolScript {
  nonce: string;
  scriptUri: string;
}

/**
 * The page. With `script`, it has a Probe This Function section that the script (webview/src/
 * symbol.ts) brings to life; without, it is static (no script may run: CSP default-src 'none').
 */
export function renderSymbolHtml(info: SymbolInfo | null, symbol: string, cspSource: string, styleUri: string, loading = false, script?: SymbolScript): string {
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
  const csp = script ? `default-src 'none'; style-src ${e(cspSource)}; script-src 'nonce-${e(script.nonce)}';` : `default-src 'none'; style-src ${e(cspSource)};`;
  const probe = script && !loading ? `<section id="probe" class="probe" aria-label="Live probe of ${e(symbol)}">
<div class="probe-bar"><button id="probe-start" type="button" title="Trace every call of this function on ${e(info?.hostLabel ?? 'this host')}: the calls appear in an event panel, counted here">Probe This Function</button>
<button id="probe-stop" type="button" hidden>Stop</button> <span id="probe-state" class="muted" role="status"></span></div>
<div id="probe-counts" class="probe-counts" hidden></div>
<div id="probe-histogram" class="probe-histogram" hidden></div>
</section>
<script nonce="${e(script.nonce)}" src="${e(script.scriptUri)}"></script>` : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="${e(styleUri)}">
<title>${e(symbol)}</title></head>
<body class="symbol" data-symbol="${e(symbol)}"><h2><code>${e(symbol)}</code></h2>
${loading ? '<p class="muted">Looking up /proc/kallsyms, BTF and attach modes…</p>' : `${probe}\n<table class="sym">${rows.join('\n')}</table>`}
</body></html>`;
}
