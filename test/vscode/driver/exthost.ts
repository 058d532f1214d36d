// Runs the extension-host tests (mocha, test/vscode/exthost/) INSIDE a real VS Code extension
// host: opens code-server's workbench with the `payload` query parameter that VS Code's own web
// integration tests use (extensionDevelopmentPath + extensionTestsPath as vscode-remote URIs).
// The server must run with `--vscode-option enable-smoke-test-driver`, else a built workbench
// ignores the payload. The extension host calls run() of the tests module; when it settles the
// workbench calls window.codeAutomationExit(code), exposed here.
//
// env: KW_CS_URL (http://127.0.0.1:PORT), KW_CS_FOLDER, KW_EXT_DEV (extension folder),
//      KW_EXT_TESTS (compiled index.js), KW_EXTHOST_RESULTS (json written by the runner),
//      KW_OUT (screenshots), KW_TIMEOUT_MS
import * as fs from 'fs';
import * as path from 'path';
import * as util from 'util';
import { Workbench } from './workbench';

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`exthost: environment variable ${name} is not set`);
  return v;
}

async function main(): Promise<number> {
  const url = need('KW_CS_URL');
  const authority = new URL(url).host; // code-server's remote authority is host:port
  const remote = (p: string) => `vscode-remote://${authority}${p}`;
  const results = need('KW_EXTHOST_RESULTS');
  const out = process.env.KW_OUT || path.resolve('test-results/vscode');
  const timeoutMs = Number(process.env.KW_TIMEOUT_MS || 180_000);
  const verbose = !!process.env.KW_VERBOSE;
  const t0 = Date.now();
  let exit!: (code: number) => void;
  const exited = new Promise<number>((r) => { exit = r; });
  const payload = JSON.stringify([
    ['extensionDevelopmentPath', remote(need('KW_EXT_DEV'))],
    ['extensionTestsPath', remote(need('KW_EXT_TESTS'))],
    ['skipWelcome', 'true'],
    ['skipReleaseNotes', 'true'],
  ]);
  const wb = await Workbench.open({
    url,
    folder: process.env.KW_CS_FOLDER,
    query: { payload },
    beforeGoto: async (page) => {
      // Extension-host console output arrives as (type, [format, ...args]).
      await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
        const line = util.format(...(args ?? []));
        if (verbose) console.log(`[exthost ${type}] ${line}`);
        else if (type === 'error') console.log(`[exthost error] ${line.split('\n')[0]}`);
        else if (!/^(Resolving|Resolved|Creating a socket|Updating additional|Ignoring fetching|\[)/.test(line)) console.log(line);
      });
      await page.exposeFunction('codeAutomationExit', (code: number) => exit(code));
      page.on('pageerror', (e) => console.log(`[pageerror] ${e.message}`));
    },
  }, out);
  const code = await Promise.race([exited, new Promise<number>((r) => setTimeout(() => r(-1), timeoutMs))]);
  if (code === -1) {
    console.log(`exthost: no codeAutomationExit within ${timeoutMs} ms (is the server running with enable-smoke-test-driver?)`);
    await wb.screenshot('exthost-timeout').catch(() => undefined);
  }
  await wb.close();
  console.log(`exthost: exit code ${code} after ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  if (fs.existsSync(results)) {
    const r = JSON.parse(fs.readFileSync(results, 'utf8')) as { passed: number; failed: number; failures: string[] };
    for (const f of r.failures) console.log(`FAIL ${f}`);
    console.log(`${r.passed} passed, ${r.failed} failed`);
    return code === 0 && r.failed === 0 && r.passed > 0 ? 0 : 1;
  }
  console.log('exthost: the test runner wrote no results');
  console.log('0 passed, 1 failed');
  return 1;
}

main().then((c) => process.exit(c), (e) => {
  console.log(`exthost: ${(e as Error)?.stack ?? e}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
