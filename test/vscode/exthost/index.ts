// The module `extensionTestsPath` points at: VS Code calls run() inside the extension host once
// the extension under development is loaded. Runs every *.test.js next to it with mocha and
// writes a summary to $KW_EXTHOST_RESULTS (the env reaches the extension host through
// code-server), which the driver (test/vscode/driver/exthost.ts) prints.
import * as fs from 'fs';
import * as path from 'path';
import Mocha = require('mocha');

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, reporter: 'spec' });
  for (const f of fs.readdirSync(__dirname).sort()) {
    if (f.endsWith('.test.js')) mocha.addFile(path.join(__dirname, f));
  }
  const resultsFile = process.env.KW_EXTHOST_RESULTS;
  let passed = 0;
  const failures: string[] = [];
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failed) => {
      const summary = { passed, failed, failures };
      if (resultsFile) fs.writeFileSync(resultsFile, JSON.stringify(summary, null, 2));
      console.log(`${passed} passed, ${failed} failed`);
      if (failed > 0) reject(new Error(`${failed} extension-host tests failed`));
      else resolve();
    });
    runner.on('pass', () => { passed++; });
    runner.on('fail', (t, err: Error) => {
      failures.push(`${t.fullTitle()}: ${String(err?.message ?? err).split('\n')[0]}`);
    });
  });
}
