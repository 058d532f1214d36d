// Inside the real extension host: the extension loads, activates, and what package.json
// promises (commands, view container, tree view) is really registered.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { before, describe, it } from 'mocha';

export const EXT_ID = 'kwitness.kwitness';

interface CommandContribution { command: string; title: string; category?: string }

const EXPECTED_TITLES: Record<string, string> = {
  'kwitness.startUnlinkTrace': 'Start Unlink Trace',
  'kwitness.startCreateTrace': 'Start Create Trace',
  'kwitness.startExecTrace': 'Start Exec Trace',
  'kwitness.stopTrace': 'Stop Trace',
  'kwitness.addHost': 'Add Host',
  'kwitness.removeHost': 'Remove Host',
  'kwitness.refreshHosts': 'Refresh Hosts',
  'kwitness.showHostCapabilities': 'Show Host Capabilities',
};
const ALSO_REQUIRED = ['kwitness.openPath', 'kwitness.showKernelSymbol'];

describe('Kernel Witness in a real extension host', () => {
  let ext: vscode.Extension<unknown>;

  before(async () => {
    const e = vscode.extensions.getExtension(EXT_ID);
    assert.ok(e, `extension ${EXT_ID} is not loaded`);
    ext = e;
    await ext.activate();
  });

  it('runs in the Node extension host on the server', () => {
    assert.strictEqual(typeof process.versions.node, 'string');
    assert.strictEqual(ext.extensionKind, vscode.ExtensionKind.Workspace);
    assert.ok(ext.isActive, 'extension did not activate');
    console.log(`      node ${process.versions.node}, vscode ${vscode.version}, uid ${process.getuid?.()}`);
  });

  it('package.json contributes every command with its category and title', () => {
    const cmds = (ext.packageJSON.contributes?.commands ?? []) as CommandContribution[];
    const byId = new Map(cmds.map((c) => [c.command, c]));
    for (const [id, title] of Object.entries(EXPECTED_TITLES)) {
      const c = byId.get(id);
      assert.ok(c, `package.json does not contribute ${id}`);
      assert.strictEqual(c.title, title, `${id} title`);
      assert.strictEqual(c.category, 'Kernel Witness', `${id} category`);
    }
    for (const id of ALSO_REQUIRED) assert.ok(byId.has(id), `package.json does not contribute ${id}`);
    for (const c of cmds) assert.strictEqual(c.category, 'Kernel Witness', `${c.command} has no "Kernel Witness" category`);
  });

  it('every contributed command is registered after activation', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const cmds = (ext.packageJSON.contributes?.commands ?? []) as CommandContribution[];
    assert.ok(cmds.length >= 10, `only ${cmds.length} commands contributed`);
    const missing = cmds.map((c) => c.command).filter((id) => !registered.has(id));
    assert.deepStrictEqual(missing, [], 'contributed but not registered');
  });

  it('lists This Machine and the hosts of KWITNESS_SSH_CONFIG', () => {
    const api = ext.exports as { listHosts(): Array<{ id: string; label: string; kind: string }> };
    assert.strictEqual(typeof api?.listHosts, 'function', 'activate() returned no listHosts()');
    const hosts = api.listHosts();
    assert.ok(hosts.some((h) => h.id === 'local' && h.label === 'This Machine' && h.kind === 'local'), JSON.stringify(hosts));
    const alias = process.env.KW_TEST_SSH_ALIAS;
    assert.ok(alias && hosts.some((h) => h.id === alias && h.kind === 'ssh'), `no ssh host ${alias}: ${JSON.stringify(hosts)}`);
  });

  it('contributes the activity-bar container and the Hosts tree', () => {
    const c = ext.packageJSON.contributes ?? {};
    const containers = (c.viewsContainers?.activitybar ?? []) as Array<{ id: string; title: string }>;
    assert.ok(containers.some((x) => x.id === 'kwitness' && x.title === 'Kernel Witness'), 'no activity-bar container kwitness');
    const views = (c.views?.kwitness ?? []) as Array<{ id: string; name: string }>;
    assert.ok(views.some((v) => v.id === 'kwitness.hosts' && v.name === 'Hosts'), 'no view kwitness.hosts named Hosts');
  });
});
