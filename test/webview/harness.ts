// Component-test rig: serves the BUILT webview (dist/webview) on 127.0.0.1 inside the exact
// page the extension serves (src/panel/html.ts, same CSP), and drives it in Debian's Chromium
// through playwright-core, headless, with XDG dirs in a temp folder so nothing lands in $HOME.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { makeNonce, renderPanelHtml } from '../../src/panel/html';
import { renderSymbolHtml, type SymbolInfo } from '../../src/panel/symbol-html';
import { THEMES, type ThemeName } from './themes';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
const DIST = path.join(ROOT, 'dist', 'webview');
const HELPERS = path.join(ROOT, 'test', 'webview', 'page-helpers.js');

export const SAMPLE_SYMBOL: SymbolInfo = {
  hostLabel: 'web1 <prod>', symbol: 'sys_unlinkat', resolved: '__x64_sys_unlinkat', probe: 'tracepoint:syscalls:sys_exit_unlinkat',
  ksym: { address: 'ffffffff8a4c2f30', module: null },
  prototype: 'long __x64_sys_unlinkat(const struct pt_regs *regs);',
  report: { agent_version: '0.1.0', kernel: '6.1.0-13-amd64', arch: 'x86_64', btf: true, lockdown: 'none', lsm: ['lockdown', 'capability', 'bpf'], lsm_bpf: true,
    families: { unlink: ['fentry', 'kprobe', 'tracepoint'], create: ['kprobe', 'tracepoint'], write: ['kprobe', 'tracepoint'], exec: ['tracepoint'] } },
};

/** A function the Kernel Symbol view can probe (its live page: /symbol-live.html). */
export const LIVE_SYMBOL: SymbolInfo = {
  ...SAMPLE_SYMBOL, symbol: 'vfs_unlink', resolved: 'vfs_unlink', probe: 'fentry:vfs_unlink', ksym: { address: 'ffffffff8a4c1000', module: null },
  prototype: 'int vfs_unlink(struct mnt_idmap *idmap, struct inode *dir, struct dentry *dentry, struct inode **delegated_inode);',
};

export interface Rig {
  origin: string;
  browser: Browser;
  close(): Promise<void>;
  /** `path`: the page to open (default the event panel, /panel.html); it must say ready. */
  newPage(opts?: { theme?: ThemeName; width?: number; height?: number; path?: string }): Promise<{ page: Page; context: BrowserContext }>;
}

export async function startRig(): Promise<Rig> {
  for (const f of ['panel.js', 'panel.css', 'symbol.js']) {
    if (!fs.existsSync(path.join(DIST, f))) throw new Error(`dist/webview/${f} is missing: run scripts/build.sh (or node webview/build.mjs) first`);
  }
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/panel.html') {
      const origin = `http://${req.headers.host}`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(renderPanelHtml({ cspSource: origin, nonce: makeNonce(), scriptUri: `${origin}/panel.js`, styleUri: `${origin}/panel.css`, title: 'Kernel Witness' }));
      return;
    }
    if (url.pathname === '/symbol.html') {
      // The Kernel Symbol view with a sample lookup (the host renders it the same way).
      const origin = `http://${req.headers.host}`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(renderSymbolHtml(SAMPLE_SYMBOL, SAMPLE_SYMBOL.symbol, origin, `${origin}/panel.css`));
      return;
    }
    if (url.pathname === '/symbol-live.html') {
      // The same view with its live probe (Probe This Function): the built symbol.js by nonce.
      const origin = `http://${req.headers.host}`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(renderSymbolHtml(LIVE_SYMBOL, LIVE_SYMBOL.symbol, origin, `${origin}/panel.css`, false, { nonce: makeNonce(), scriptUri: `${origin}/symbol.js` }));
      return;
    }
    const name = path.basename(url.pathname);
    const file = path.join(DIST, name);
    if (!/^(panel|symbol)\.(js|css|js\.map)$/.test(name) || !fs.existsSync(file)) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': name.endsWith('.css') ? 'text/css' : 'text/javascript' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kw-webview-'));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    env: { ...process.env, HOME: tmp, XDG_CONFIG_HOME: path.join(tmp, 'config'), XDG_CACHE_HOME: path.join(tmp, 'cache') },
  });
  return {
    origin,
    browser,
    async newPage(opts = {}) {
      const context = await browser.newContext({ viewport: { width: opts.width ?? 1400, height: opts.height ?? 760 } });
      const page = await context.newPage();
      await page.addInitScript({ path: HELPERS });
      const theme = THEMES[opts.theme ?? 'dark'];
      await page.addInitScript(`(() => {
        const vars = ${JSON.stringify(theme.vars)};
        const apply = () => {
          if (document.documentElement) for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
          if (document.body) document.body.classList.add(${JSON.stringify(theme.bodyClass)});
        };
        document.addEventListener('DOMContentLoaded', apply);
        apply();
      })();`);
      await page.goto(`${origin}${opts.path ?? '/panel.html'}`);
      await page.waitForFunction('window.__kw && window.__kw.posted.some(m => m.type === "ready")');
      return { page, context };
    },
    async close() {
      await browser.close();
      await new Promise<void>((r) => server.close(() => r()));
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** Plays the host's part of the handshake: init, the given backlog, replayDone. */
export async function initTrace(page: Page, traceId: string, events: unknown[] = [], extra: Record<string, unknown> = {}): Promise<void> {
  const init = {
    type: 'init', traceId, host: { id: 'local', label: 'This Machine', kind: 'local' }, title: 'Unlink, Create, Exec — This Machine',
    state: { kind: 'running', probes: [{ family: 'unlink', probe: 'tracepoint:syscalls:sys_exit_unlinkat', mode: 'tracepoint' }] },
    lostTotal: 0, config: { maxEvents: 1_000_000 }, users: { '0': 'root', '1000': 'user' }, live: true, ...extra,
  };
  await page.evaluate(`(async () => {
    const kw = window.__kw;
    kw.send(${JSON.stringify(init)});
    const evs = ${JSON.stringify(events)};
    for (let i = 0; i < evs.length; i += 2000) kw.send({ type: 'events', traceId: ${JSON.stringify(traceId)}, events: evs.slice(i, i + 2000), replay: true });
    kw.send({ type: 'replayDone', traceId: ${JSON.stringify(traceId)}, received: evs.length, retained: evs.length });
    await kw.flush();
  })()`);
  await settle(page);
}

/** Waits until pending timers and two animation frames have run (rebuilds are throttled). */
export async function settle(page: Page, ms = 350): Promise<void> {
  await page.waitForTimeout(Math.min(ms, 150));
  // Then until the panel has nothing pending (debounced filters, throttled rebuilds, a queued
  // frame), so a loaded machine makes the tests slower, not flaky.
  // (A function, not a string: Playwright runs it without eval, which the page's CSP forbids.)
  await page.waitForFunction(() => {
    const p = (globalThis as unknown as { kwPanel?: { busy: boolean } }).kwPanel;
    return p !== undefined && !p.busy;
    // a safety net, not a speed claim: 1M events on a 2-core machine under a full CI run took > 60 s
  }, undefined, { timeout: 300_000, polling: 20 });
  await page.evaluate('new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))');
}

export async function send(page: Page, msg: unknown): Promise<void> {
  await page.evaluate(`window.__kw.send(${JSON.stringify(msg)})`);
  await settle(page, 50);
}

export async function posted(page: Page): Promise<Array<Record<string, unknown>>> {
  return (await page.evaluate('window.__kw.posted')) as Array<Record<string, unknown>>;
}

export async function panel<T>(page: Page, expr: string): Promise<T> {
  return (await page.evaluate(`(() => { const p = window.kwPanel; return ${expr}; })()`)) as T;
}

export function loadJsonl(name: string): Array<Record<string, unknown>> {
  return fs.readFileSync(path.join(ROOT, 'test', 'webview', 'fixtures', name), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}
