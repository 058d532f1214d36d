// Drives a real VS Code workbench (code-server) in Debian's Chromium through playwright-core:
// command palette, quick picks, the activity bar, tree views, context menus, webviews, editors.
// Selectors are those of VS Code 1.139's DOM; each helper waits with a timeout and fails with a
// message that names what it waited for.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium, type Browser, type FrameLocator, type Locator, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export interface LaunchOptions {
  /** http://127.0.0.1:PORT */
  url: string;
  /** Folder to open (absolute path on the server). */
  folder?: string;
  /** Extra query parameters (e.g. the extension-host test payload). */
  query?: Record<string, string>;
  /** Called before page.goto (exposeFunction must happen first). */
  beforeGoto?: (page: Page) => Promise<void>;
  viewport?: { width: number; height: number };
}

export async function launchBrowser(): Promise<Browser> {
  // Chromium writes ~/.config/chromium and ~/.cache/dconf even with a temporary profile: keep
  // them in TMPDIR (set per run by run.sh). Playwright refuses --user-data-dir in args; launch()
  // uses a fresh temporary profile anyway.
  const tmp = os.tmpdir();
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    env: { ...process.env, XDG_CONFIG_HOME: tmp, XDG_CACHE_HOME: tmp },
  });
}

export function workbenchUrl(opts: LaunchOptions): string {
  const q = new URLSearchParams();
  if (opts.folder) q.set('folder', opts.folder);
  for (const [k, v] of Object.entries(opts.query ?? {})) q.set(k, v);
  const s = q.toString();
  return s ? `${opts.url}/?${s}` : `${opts.url}/`;
}

export class Workbench {
  private constructor(readonly browser: Browser, readonly page: Page, readonly outDir: string) {}

  static async open(opts: LaunchOptions, outDir: string): Promise<Workbench> {
    fs.mkdirSync(outDir, { recursive: true });
    const browser = await launchBrowser();
    const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1600, height: 1000 } });
    const page = await context.newPage();
    if (opts.beforeGoto) await opts.beforeGoto(page);
    await page.goto(workbenchUrl(opts));
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    return new Workbench(browser, page, outDir);
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
  }

  async screenshot(name: string): Promise<string> {
    const file = path.join(this.outDir, name.endsWith('.png') ? name : `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** The activity-bar entry whose aria-label starts with `title`. */
  activityItem(title: string): Locator {
    return this.page.locator(`.activitybar .action-item a[aria-label^="${title}"]`).first();
  }

  /**
   * Shows a view container by clicking its activity-bar icon, unless its pane `paneName` is
   * already visible (a click on the icon of the open container would close the side bar).
   */
  async openViewContainer(title: string, paneName: string, timeout = 90_000): Promise<void> {
    const item = this.activityItem(title);
    await item.waitFor({ timeout }).catch(() => {
      throw new Error(`activity bar has no "${title}" entry (extension not registered?)`);
    });
    const pane = this.pane(paneName);
    if (!(await pane.isVisible().catch(() => false))) await item.click();
    await pane.waitFor({ state: 'visible', timeout: 15_000 });
  }

  /** The pane (a view inside a side-bar container) whose header shows `name`. */
  pane(name: string): Locator {
    return this.page.locator('.pane', { has: this.page.locator('.pane-header', { hasText: name }) }).first();
  }

  /** A tree/list row of `pane` whose text contains `text` (string or RegExp). */
  row(pane: Locator, text: string | RegExp): Locator {
    return pane.locator('.monaco-list-row', { hasText: text }).first();
  }

  /** Expands a collapsed tree row (clicking its twistie). */
  async expand(row: Locator): Promise<void> {
    if ((await row.getAttribute('aria-expanded')) === 'false') {
      await row.locator('.monaco-tl-twistie').click();
    }
    await waitUntil(async () => (await row.getAttribute('aria-expanded')) === 'true', 10_000, 'tree row to expand');
  }

  /** Runs a command through the real command palette (F1), by its visible label. */
  async runCommand(label: string): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.page.locator('.monaco-workbench').click({ position: { x: 700, y: 5 } }).catch(() => undefined);
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${label}`);
    const row = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 }).catch(() => {
      throw new Error(`command palette has no "${label}"`);
    });
    await row.click();
  }

  /** Picks the quick-pick row containing `text` (after a command asked for something). */
  async pick(text: string | RegExp, timeout = 20_000): Promise<void> {
    const row = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: text }).first();
    await row.waitFor({ state: 'visible', timeout }).catch(async () => {
      const rows = await this.page.locator('.quick-input-widget .monaco-list-row').allInnerTexts().catch(() => []);
      throw new Error(`quick pick has no row matching ${String(text)}; rows: ${JSON.stringify(rows)}`);
    });
    await row.click();
  }

  async quickInputHidden(timeout = 10_000): Promise<void> {
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout });
  }

  /** Opens the context menu of `target` and clicks the entry `label`. */
  async contextMenu(target: Locator, label: string | RegExp): Promise<void> {
    await target.click({ button: 'right' });
    // VS Code renders context menus in a shadow root; playwright's CSS engine pierces it.
    const item = this.page.locator('.context-view .action-item .action-label', { hasText: label }).first();
    await item.waitFor({ state: 'visible', timeout: 10_000 }).catch(async () => {
      const items = await this.page.locator('.context-view .action-item .action-label').allInnerTexts().catch(() => []);
      throw new Error(`context menu has no ${String(label)}; entries: ${JSON.stringify(items)}`);
    });
    // Choose the entry with the keyboard, as the menu's own focus shows it: mouse clicks on
    // VS Code's web context menu were unreliable here (closed the menu without running the
    // entry about one time in three).
    const focused = this.page.locator('.context-view .action-item.focused .action-label').first();
    const n = await this.page.locator('.context-view .action-item .action-label').count();
    for (let i = 0; i <= n; i++) {
      await this.page.keyboard.press('ArrowDown');
      const t = await focused.innerText({ timeout: 2_000 }).catch(() => '');
      if (typeof label === 'string' ? t.includes(label) : label.test(t)) {
        await this.page.keyboard.press('Enter');
        await this.page.locator('.context-view .monaco-menu').first().waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
        return;
      }
    }
    throw new Error(`could not focus the context-menu entry ${String(label)}`);
  }

  /** An editor tab whose label contains `text`. */
  tab(text: string | RegExp): Locator {
    return this.page.locator('.tabs-container .tab', { hasText: text }).first();
  }

  /** The visible text editor's rendered lines. */
  editorText(): Locator {
    return this.page.locator('.editor-instance .monaco-editor .view-lines').first();
  }

  /**
   * The content frame of a visible webview. A webview is two nested iframes: iframe.webview
   * (VS Code's host page) > iframe#active-frame (the extension's HTML). Hidden webviews keep
   * their iframe in the DOM, so only a visible one is taken; `has` narrows it to the one whose
   * content contains that selector (with that text, when given).
   */
  async webview(has: string, hasText?: string | RegExp, timeout = 30_000): Promise<FrameLocator> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const frames = this.page.locator('iframe.webview.ready');
      const n = await frames.count();
      for (let i = 0; i < n; i++) {
        const f = frames.nth(i);
        if (!(await f.isVisible().catch(() => false))) continue;
        const inner = f.contentFrame().frameLocator('#active-frame');
        const want = hasText === undefined ? inner.locator(has) : inner.locator(has, { hasText });
        if ((await want.count().catch(() => 0)) > 0) {
          // Pinned by VS Code's id for that webview (its iframe's name): nth(i) would point at
          // another webview as soon as one is added or removed before it in the DOM.
          const name = await f.getAttribute('name').catch(() => null);
          return name ? this.page.frameLocator(`iframe.webview.ready[name="${name}"]`).frameLocator('#active-frame') : inner;
        }
      }
      if (Date.now() > deadline) {
        throw new Error(`no visible webview containing ${has}${hasText === undefined ? '' : ` with text ${String(hasText)}`} within ${timeout} ms`);
      }
      await sleep(200);
    }
  }

  /** Labels of the active editor tab in each group, for messages when a panel went out of sight. */
  async activeTabs(): Promise<string[]> {
    return this.page.locator('.tabs-container .tab.active').allInnerTexts().then((t) => t.map((s) => s.replace(/\s+/g, ' ').trim()), () => []);
  }

  /** Text of every visible notification toast. */
  async notifications(): Promise<string[]> {
    return this.page.locator('.notifications-toasts .notification-toast').allInnerTexts().catch(() => []);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitUntil(cond: () => Promise<boolean>, timeout: number, what: string): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await cond().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** A tiny sequential step runner: prints ok/FAIL per step and the final 'N passed, N failed'. */
export class Steps {
  passed = 0;
  failed = 0;
  private readonly t0 = Date.now();
  constructor(private readonly onFail?: (name: string) => Promise<void>) {}

  async step(name: string, fn: () => Promise<void>): Promise<boolean> {
    const s = Date.now();
    try {
      await fn();
      this.passed++;
      console.log(`ok   ${name} (${Date.now() - s} ms)`);
      return true;
    } catch (e) {
      this.failed++;
      const msg = String((e as Error)?.message ?? e).split('\n').slice(0, 8).join('\n     ');
      console.log(`FAIL ${name} (${Date.now() - s} ms): ${msg}`);
      if (this.onFail) await this.onFail(name).catch(() => undefined);
      return false;
    }
  }

  skip(name: string, why: string): void {
    this.failed++;
    console.log(`FAIL ${name}: not run (${why})`);
  }

  summary(): string {
    return `${this.passed} passed, ${this.failed} failed`;
  }

  elapsed(): string {
    return `${((Date.now() - this.t0) / 1000).toFixed(1)}s`;
  }
}
