// Run by the extension host of a code-server where Kernel Witness is INSTALLED from the VSIX (so
// its ExtensionMode is Production), with a tiny empty extension as the "extension under
// development" that only hosts this module. Checks that the installed extension activates fully
// and exports nothing: no other extension can get its HostManager (root on every host, prompt
// overrides). Writes { passed, failed, failures } to $KW_EXTHOST_RESULTS like exthost/index.ts.
import * as fs from 'fs';
import * as vscode from 'vscode';

export async function run(): Promise<void> {
  const checks: Array<[string, () => Promise<string | undefined>]> = [];
  let ext: vscode.Extension<unknown> | undefined;
  let exported: unknown = 'not activated';
  checks.push(['the installed (not under development) kwitness.kwitness is present', async () => {
    ext = vscode.extensions.getExtension('kwitness.kwitness');
    if (!ext) return 'not found';
    return /[/\\]kwitness\.kwitness-[^/\\]+$/.test(ext.extensionPath) ? undefined : `loaded from ${ext.extensionPath}, not from the extensions dir`;
  }]);
  checks.push(['it activates and registers its commands', async () => {
    if (!ext) return 'no extension';
    exported = await ext.activate();
    if (!ext.isActive) return 'not active';
    const cmds = new Set(await vscode.commands.getCommands(true));
    const missing = ['kwitness.startUnlinkTrace', 'kwitness.stopTrace', 'kwitness.addHost'].filter((c) => !cmds.has(c));
    return missing.length ? `commands not registered: ${missing.join(', ')}` : undefined;
  }]);
  checks.push(['outside test mode it exports nothing (activate() and extension.exports are undefined)', async () => {
    if (exported !== undefined) return `activate() gave ${typeof exported} with keys ${Object.keys(exported as object).join(', ')}`;
    return ext?.exports === undefined ? undefined : `exports has keys ${Object.keys(ext.exports as object).join(', ')}`;
  }]);
  let passed = 0;
  const failures: string[] = [];
  for (const [name, check] of checks) {
    const why = await check().catch((e: Error) => `threw ${e.message}`);
    if (why === undefined) passed++;
    else failures.push(`${name}: ${why}`);
    console.log(`${why === undefined ? 'ok  ' : 'FAIL'} prodmode: ${name}${why ? ` (${why})` : ''}`);
  }
  const summary = { passed, failed: failures.length, failures };
  if (process.env.KW_EXTHOST_RESULTS) fs.writeFileSync(process.env.KW_EXTHOST_RESULTS, JSON.stringify(summary, null, 2));
  console.log(`${passed} passed, ${failures.length} failed`);
  if (failures.length) throw new Error(`${failures.length} production-mode checks failed`);
}
