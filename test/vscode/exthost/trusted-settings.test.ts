// Settings that decide whom we trust, in the real extension host. run.sh planted a
// .vscode/settings.json in the opened folder (as a cloned repository would) that adds a host,
// points kwitness.sshConfigFile at a config with another host and kwitness.knownHostsFile at its
// own known_hosts: none of it may count. A user-level change must apply without a reload.
// KWITNESS_SSH_CONFIG / KWITNESS_KNOWN_HOSTS (set by the rig) win over the settings, so the
// tests take them out of this extension host's environment (the extension's own process.env)
// while they look at the file settings, and put them back after.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { after, before, describe, it } from 'mocha';
import type { KernelWitnessApi } from '../../../src/extension';

const planted = process.env.KW_TEST_PLANTED_DIR ?? '';
const alias = process.env.KW_TEST_SSH_ALIAS ?? '';

async function until<T>(what: string, ms: number, f: () => T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('trusted settings: only the user decides which hosts and keys count', function () {
  this.timeout(60_000);
  let api: KernelWitnessApi;
  const saved = { KWITNESS_SSH_CONFIG: process.env.KWITNESS_SSH_CONFIG, KWITNESS_KNOWN_HOSTS: process.env.KWITNESS_KNOWN_HOSTS };
  const mine = fs.mkdtempSync(path.join(os.tmpdir(), 'kw-user-settings-'));
  const cfg = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('kwitness');
  /** Host ids in the Hosts tree's top level (what the user sees). */
  const treeHosts = (): string[] =>
    api.tree.getChildren().flatMap((n) => (n.type === 'host' ? [n.host.id] : []));

  before(async () => {
    assert.ok(planted && alias, 'run.sh must set KW_TEST_PLANTED_DIR and KW_TEST_SSH_ALIAS');
    api = (await vscode.extensions.getExtension<KernelWitnessApi>('kwitness.kwitness')!.activate())!;
    assert.ok(api, 'activate() returned no API in test mode');
  });

  after(async () => {
    for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
    for (const key of ['hosts', 'sshConfigFile', 'knownHostsFile']) await cfg().update(key, undefined, vscode.ConfigurationTarget.Global);
    // the rig's ssh host is back for whatever runs later
    await until(`${alias} listed again`, 10_000, () => (api.listHosts().some((h) => h.id === alias) ? true : undefined));
    fs.rmSync(mine, { recursive: true, force: true });
  });

  it('the planted .vscode/settings.json is live, yet its hosts, ssh config and known_hosts are ignored', async () => {
    // the file really is in force: a harmless window-scoped setting from it applies
    assert.strictEqual(cfg().get('panel.backlog'), 123457, 'the planted workspace settings.json is not in force (run.sh)');
    const seen = ['hosts', 'sshConfigFile', 'knownHostsFile'].map((k) => `${k}: workspaceValue ${JSON.stringify(cfg().inspect(k)?.workspaceValue)}`);
    console.log(`      VS Code ${vscode.version} reports for the planted machine-scoped keys: ${seen.join('; ')}`);
    for (const hosts of [api.listHosts().map((h) => h.id), treeHosts()]) {
      assert.ok(!hosts.includes('kw-planted-host'), `the workspace's kwitness.hosts entry is listed: ${hosts}`);
      assert.ok(!hosts.includes('kw-planted-cfg'), `a host of the workspace's ssh config is listed: ${hosts}`);
      assert.ok(hosts.includes(alias), `the user's ssh host ${alias} is missing: ${hosts}`);
    }
    // without the rig's env overrides the file settings decide: still not the planted ones
    delete process.env.KWITNESS_SSH_CONFIG;
    delete process.env.KWITNESS_KNOWN_HOSTS;
    await cfg().update('hosts', ['kw-user-added'], vscode.ConfigurationTarget.Global); // any change re-reads them all
    await until('the user-added host in the tree', 10_000, () => (treeHosts().includes('kw-user-added') ? true : undefined));
    assert.ok(!treeHosts().includes('kw-planted-cfg') && !treeHosts().includes('kw-planted-host'), `planted hosts listed: ${treeHosts()}`);
    assert.notStrictEqual(api.hosts.env.sshConfigFile, path.join(planted, 'ssh_config'));
    assert.strictEqual(api.hosts.env.sshConfigFile, path.join(os.homedir(), '.ssh', 'config'));
    assert.strictEqual(api.hosts.env.knownHostsFile, undefined, 'known_hosts from the workspace');
  });

  it('a user-level change of hosts, ssh config and known_hosts applies without a reload', async () => {
    const userCfg = path.join(mine, 'ssh_config');
    fs.writeFileSync(userCfg, 'Host kw-user-cfg-host\n  HostName 127.0.0.1\n');
    const userKh = path.join(mine, 'known_hosts');
    await cfg().update('sshConfigFile', userCfg, vscode.ConfigurationTarget.Global);
    await until('the host of the user ssh config in the tree', 10_000, () => (treeHosts().includes('kw-user-cfg-host') ? true : undefined));
    assert.strictEqual(api.hosts.env.sshConfigFile, userCfg);
    await cfg().update('knownHostsFile', userKh, vscode.ConfigurationTarget.Global);
    await until('the user known_hosts in use', 10_000, () => (api.hosts.env.knownHostsFile === userKh ? true : undefined));
    await cfg().update('hosts', ['kw-user-added', 'kw-user-added-2'], vscode.ConfigurationTarget.Global);
    await until('the second user host', 10_000, () => (treeHosts().includes('kw-user-added-2') ? true : undefined));
    const where = cfg().inspect('sshConfigFile');
    assert.strictEqual(where?.globalValue, userCfg, 'the value was written as a user (machine) setting');
    assert.ok(!treeHosts().includes('kw-planted-cfg'));
  });
});
