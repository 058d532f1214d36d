// What a user of `npm run demo` sees at the printed URL: the workbench with Kernel Witness
// (installed from the VSIX), This Machine listed and ready to trace — expanded it shows the
// attach modes that load here; Start Unlink Trace on it shows a deletion made by a named process.
//   node demo-ui.js URL OUT_DIR     (prints 'N passed, N failed')
import * as cp from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Steps, Workbench } from '../driver/workbench';

async function main(): Promise<number> {
  const [url, out] = process.argv.slice(2);
  if (!url || !out) throw new Error('usage: demo-ui.js URL OUT_DIR');
  const wb = await Workbench.open({ url }, out);
  const steps = new Steps(async (name) => { await wb.screenshot(`FAIL-demo-${name.replace(/\W+/g, '_')}`); });
  const hosts = wb.pane('Hosts');
  await steps.step('demo: This Machine is listed and its capabilities show the attach modes that load here', async () => {
    await wb.openViewContainer('Kernel Witness', 'Hosts');
    const local = wb.row(hosts, 'This Machine');
    await local.waitFor({ timeout: 30_000 });
    await wb.expand(local);
    await hosts.locator('.monaco-list-row', { hasText: 'Attach modes' }).filter({ hasText: /unlink: (tracepoint|kprobe|fentry)/ }).first()
      .waitFor({ timeout: 30_000 });
    // nothing on screen that is not about the product (e.g. a 'port is available' toast)
    const toasts = await wb.page.locator('.notification-toast').allInnerTexts();
    const foreign = toasts.filter((t) => !/Kernel Witness|kwitness/i.test(t));
    if (foreign.length) throw new Error(`notifications not about the product: ${foreign.join(' | ')}`);
  });
  await steps.step('demo: Start Unlink Trace on This Machine shows a deletion by a named process', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kw-demo-'));
    try {
      fs.copyFileSync('/bin/rm', path.join(dir, 'kw-demo-rm'));
      fs.chmodSync(path.join(dir, 'kw-demo-rm'), 0o755);
      fs.writeFileSync(path.join(dir, 'victim'), 'x');
      await wb.runCommand('Kernel Witness: Start Unlink Trace');
      await wb.pick('This Machine');
      await wb.pick(/Everything on/);
      const panel = await wb.webview('#state.running', /unlink/, 60_000);
      await panel.locator('#f-glob input').fill(`${dir}/**`);
      cp.execFileSync(path.join(dir, 'kw-demo-rm'), [path.join(dir, 'victim')]);
      await panel.locator('.vt-row', { hasText: `${dir}/victim` }).filter({ visible: true }).filter({ hasText: 'kw-demo-rm' }).first().waitFor({ timeout: 60_000 });
      await wb.screenshot('demo-unlink-this-machine');
      await wb.runCommand('Kernel Witness: Stop Trace');
      await panel.locator('#state.stopped').waitFor({ timeout: 60_000 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  await wb.close();
  console.log(steps.summary());
  return steps.failed ? 1 : 0;
}

main().then((c) => process.exit(c), (e) => {
  console.log(`demo-ui: ${(e as Error)?.stack ?? e}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
