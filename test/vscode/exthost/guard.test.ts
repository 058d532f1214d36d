// Guards in the real extension host, against the loopback ssh host (this machine, whose kernel
// refuses BPF LSM and fmod_ret): the host's capabilities say a guard cannot run and why, Protect
// From Deletion on a kwitness:// file refuses to start with that cause, leaves no watch, no BPF
// program and the file as deletable as before. (Guards that refuse calls are proven in the VM
// guests: test/vm/matrix.ts.)
import * as assert from 'assert';
import * as cp from 'child_process';
import * as vscode from 'vscode';
import { before, describe, it } from 'mocha';
import type { KernelWitnessApi } from '../../../src/extension';
import type { HostsNode } from '../../../src/extension/hosts-tree';

const alias = process.env.KW_TEST_SSH_ALIAS ?? '';
const sshConfig = process.env.KWITNESS_SSH_CONFIG ?? '';
const dir = process.env.KW_TEST_TARGET_DIR ?? '';

function onTarget(cmd: string): string {
  return cp.execFileSync('ssh', ['-F', sshConfig, alias, cmd], { encoding: 'utf8', timeout: 60_000 });
}

describe('guards on a host whose kernel refuses them', function () {
  this.timeout(180_000);
  let api: KernelWitnessApi;
  const sub = `${dir}/exthost-guard-${process.pid}`;
  const victim = `${sub}/disk.img`;

  before(async () => {
    assert.ok(alias && sshConfig && dir, 'run.sh must set KW_TEST_SSH_ALIAS, KWITNESS_SSH_CONFIG, KW_TEST_TARGET_DIR');
    api = (await vscode.extensions.getExtension<KernelWitnessApi>('kwitness.kwitness')!.activate());
    onTarget(`mkdir -p ${sub} && echo data > ${victim}`);
  });

  it("the host's capabilities say a guard cannot run here, and why", async () => {
    const report = await api.hosts.get(alias).refreshProbe();
    assert.strictEqual(report.guard?.mechanism, null, JSON.stringify(report.guard));
    const host = api.tree.getChildren().find((n) => n.type === 'host' && n.host.id === alias)!;
    const node = api.tree.getChildren(host).find((n): n is Extract<HostsNode, { type: 'info' }> => n.type === 'info' && n.key === 'guard');
    assert.ok(node, 'the host shows a Guard line');
    assert.match(node.value, /^not available: the kernel refuses both mechanisms: BPF LSM \(.+\) and fmod_ret/);
  });

  it('Protect From Deletion refuses to start with that cause and leaves nothing behind', async () => {
    const host = api.hosts.ref(alias);
    const uri = vscode.Uri.from({ scheme: 'kwitness', authority: alias, path: victim });
    const id = await vscode.commands.executeCommand<string | undefined>('kwitness.protectFromDeletion', uri, { confirm: 'Guard' });
    assert.strictEqual(id, undefined, 'no guard started');
    assert.ok(!(await api.watches.refresh(host)).some((w) => w.status.families.includes('guard')), 'no guard watch is left listed, not even a failed one');
    // the same start through the registry: the cause, in one line
    await assert.rejects(
      api.watches.start(host, { options: { families: [], guard: { denyDelete: [victim] } }, name: 'exthost guard' }),
      (e: Error) => /guard: the kernel refuses both mechanisms/.test(e.message) && !e.message.includes('\n'),
    );
    for (const w of (await api.watches.refresh(host)).filter((x) => x.name === 'exthost guard')) await api.watches.stop(host, w.id);
    assert.strictEqual(onTarget("sudo -n bpftool prog show 2>/dev/null | grep -cE 'name kw_(lsm|fmr)_' || true").trim(), '0', 'a guard program is attached');
    onTarget(`rm ${victim} && rmdir ${sub}`); // as deletable as before
  });
});
