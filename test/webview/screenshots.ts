// Screenshots of the panel in VS Code's default dark and light themes -> docs/panel-{dark,light,hc}.png,
// the same with the summary and the timeline open -> docs/summary-{dark,light,hc}.png,
// and of the Kernel Symbol view (sample lookup) -> docs/symbol-dark.png.
// Runs the built bundle in Chromium like the component tests, fed with the recorded agent output.
// Usage: node out/test/webview/screenshots.js   (after scripts/build.sh)
import fs from 'node:fs';
import path from 'node:path';
import { initTrace, loadJsonl, ROOT, settle, startRig } from './harness';

async function main(): Promise<void> {
  const rig = await startRig();
  try {
    const recs = loadJsonl('recorded.jsonl').filter((r) => ['unlink', 'create', 'exec', 'exit'].includes(String(r.type)));
    fs.mkdirSync(path.join(ROOT, 'docs'), { recursive: true });
    for (const theme of ['dark', 'light', 'hc'] as const) {
      const { page, context } = await rig.newPage({ theme, width: 1500, height: 640 });
      await initTrace(page, 'shot', recs, {
        title: 'Unlink, Create, Exec — This Machine',
        lostTotal: 3,
        state: { kind: 'running', probes: [
          { family: 'unlink', probe: 'tracepoint:syscalls:sys_exit_unlinkat', mode: 'tracepoint' },
          { family: 'create', probe: 'tracepoint:syscalls:sys_exit_openat', mode: 'tracepoint' },
          { family: 'exec', probe: 'tracepoint:sched:sched_process_exec', mode: 'tracepoint' },
        ] },
      });
      const exec = recs.findIndex((r) => r.type === 'exec');
      await page.locator('.vt-row').nth(exec).locator('.vt-cell').first().click();
      await settle(page, 300);
      const file = path.join(ROOT, 'docs', `panel-${theme}.png`);
      await page.screenshot({ path: file });
      console.log(`screenshots: wrote ${path.relative(ROOT, file)}`);
      // the summary beside the table: who did most of what is in view
      await page.click('#summary-toggle');
      await page.click('#timeline-toggle');
      await settle(page, 300);
      const sum = path.join(ROOT, 'docs', `summary-${theme}.png`);
      await page.screenshot({ path: sum });
      console.log(`screenshots: wrote ${path.relative(ROOT, sum)}`);
      await page.click('#summary-toggle');
      await page.click('#timeline-toggle');
      if (theme === 'dark') {
        await page.setViewportSize({ width: 900, height: 380 });
        await page.goto(`${rig.origin}/symbol.html`);
        await page.waitForLoadState('load');
        const sym = path.join(ROOT, 'docs', 'symbol-dark.png');
        await page.screenshot({ path: sym });
        console.log(`screenshots: wrote ${path.relative(ROOT, sym)}`);
      }
      await context.close();
    }
  } finally {
    await rig.close();
  }
}

main().catch((e) => {
  console.error(`screenshots: ${(e as Error).message}`);
  process.exit(1);
});
