// A watch started the way a user does it from the Explorer ("Watch Who Deletes This" on a
// kwitness:// file of the loopback ssh host), in the real extension host: the watch runs on the
// target under its own supervisor (not under the SSH session), the Hosts tree lists it, a
// deletion by a renamed rm is in its journal, opening it shows that event with its process, and
// stopping it leaves no supervisor behind.
import * as assert from 'assert';
import * as cp from 'child_process';
import * as fs from 'fs';
import * as vscode from 'vscode';
import { after, before, describe, it } from 'mocha';
import type { KwEvent, UnlinkEvent } from '../../../src/core/events';
import type { KernelWitnessApi } from '../../../src/extension';
import type { HostsNode } from '../../../src/extension/hosts-tree';
import { agentsUnder } from '../driver/target';

const alias = process.env.KW_TEST_SSH_ALIAS ?? '';
const sshConfig = process.env.KWITNESS_SSH_CONFIG ?? '';
const dir = process.env.KW_TEST_TARGET_DIR ?? '';
const sshdPid = Number(process.env.KW_TEST_SSHD_PID ?? 0);

function onTarget(cmd: string): void {
  cp.execFileSync('ssh', ['-F', sshConfig, alias, cmd], { encoding: 'utf8', timeout: 60_000 });
}

/** A safety net for a broken build, not a speed claim. */
async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function running(pid: number): boolean {
  try {
    return !/^State:\s*Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

describe('a watch started from a kwitness:// file in the Explorer', function () {
  this.timeout(180_000);
  let api: KernelWitnessApi;
  let watchId: string | undefined;
  const sub = `${dir}/exthost-watch-${process.pid}`;
  const victim = `${sub}/disk.img`;

  before(async () => {
    assert.ok(alias && sshConfig && dir && sshdPid, 'run.sh must set KW_TEST_SSH_ALIAS, KWITNESS_SSH_CONFIG, KW_TEST_TARGET_DIR, KW_TEST_SSHD_PID');
    api = (await vscode.extensions.getExtension<KernelWitnessApi>('kwitness.kwitness')!.activate());
    onTarget(`mkdir -p ${sub} && cp /bin/rm ${sub}/kw-watch-rm && echo data > ${victim}`);
  });

  after(async () => {
    if (watchId) await api.watches.stop(api.hosts.ref(alias), watchId).catch(() => undefined);
  });

  it('Watch Who Deletes This on the file starts a watch that runs apart from the SSH session and shows in the Hosts tree', async () => {
    const uri = vscode.Uri.from({ scheme: 'kwitness', authority: alias, path: victim });
    watchId = await vscode.commands.executeCommand<string | undefined>('kwitness.watchWhoDeletes', uri, { name: 'exthost disk.img' });
    assert.ok(watchId, 'the command returned no watch id (its error went to a notification; see the log)');
    const listed = api.watches.cached(alias)?.watches.find((w) => w.id === watchId);
    assert.ok(listed, 'the registry lists the new watch');
    assert.strictEqual(listed.state, 'running');
    assert.strictEqual(listed.name, 'exthost disk.img');
    assert.match(listed.filter, new RegExp(`^unlink, under ${victim.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    assert.ok(listed.pid && running(listed.pid), 'its supervisor runs on the target');
    assert.ok(!agentsUnder(sshdPid).some((a) => a.pid === listed.pid), 'the supervisor is not a child of the SSH session');
    const host = api.tree.getChildren().find((n) => n.type === 'host' && n.host.id === alias)!;
    const nodes = api.tree.getChildren(host);
    const node = nodes.find((n): n is Extract<HostsNode, { type: 'watch' }> => n.type === 'watch' && n.watchId === watchId);
    assert.ok(node, `the Hosts tree shows the watch under ${alias}`);
    const item = api.tree.getTreeItem(node);
    assert.strictEqual(item.contextValue, 'watch-running');
    assert.match(String(item.description), /watch · running · 0 events/);
  });

  it('a deletion by a renamed rm is journaled; Open Watch shows it with its process; the tree counts it', async () => {
    assert.ok(watchId);
    onTarget(`${sub}/kw-watch-rm ${victim}`);
    const host = api.hosts.ref(alias);
    const events: KwEvent[] = [];
    const w = await until('the watch counts the deletion', async () => (await api.watches.refresh(host)).find((x) => x.id === watchId && x.events >= 1));
    const follower = await api.watches.open(host, w);
    follower.onDidReceiveEvents((b) => events.push(...b));
    const ev = (await until('the deletion in the panel feed', () => events.find((e) => e.type === 'unlink' && e.path === victim))) as UnlinkEvent;
    assert.strictEqual(ev.comm, 'kw-watch-rm');
    assert.strictEqual(ev.exe, `${sub}/kw-watch-rm`);
    assert.strictEqual(follower.state.kind, 'running', 'the follower goes on live after the history');
    await follower.stop();
  });

  it('Stop Watch ends its supervisor and removes it from the list', async () => {
    assert.ok(watchId);
    const host = api.hosts.ref(alias);
    const pid = api.watches.cached(alias)!.watches.find((w) => w.id === watchId)!.pid!;
    await api.watches.stop(host, watchId);
    const stopped = watchId;
    watchId = undefined;
    assert.strictEqual(running(pid), false, 'the supervisor is gone');
    assert.ok(!(await api.watches.refresh(host)).some((w) => w.id === stopped), 'the stopped watch is no longer listed');
  });
});

describe('Watch Who Changes This on a kwitness:// file', function () {
  this.timeout(180_000);
  let api: KernelWitnessApi;
  let watchId: string | undefined;
  const sub = `${dir}/exthost-change-${process.pid}`;
  const conf = `${sub}/app.conf`;

  before(async () => {
    api = (await vscode.extensions.getExtension<KernelWitnessApi>('kwitness.kwitness')!.activate());
    onTarget(`mkdir -p ${sub} && echo a=1 > ${conf}`);
  });

  after(async () => {
    if (watchId) await api.watches.stop(api.hosts.ref(alias), watchId).catch(() => undefined);
  });

  it('records a write to the file and the rename that takes it away, with the processes that did them', async () => {
    const uri = vscode.Uri.from({ scheme: 'kwitness', authority: alias, path: conf });
    watchId = await vscode.commands.executeCommand<string | undefined>('kwitness.watchWhoChanges', uri, { name: 'exthost app.conf' });
    assert.ok(watchId, 'the command returned no watch id (its error went to a notification; see the log)');
    const host = api.hosts.ref(alias);
    const listed = api.watches.cached(alias)?.watches.find((w) => w.id === watchId);
    assert.ok(listed && /^unlink,create,write, under /.test(listed.filter), `filter: ${listed?.filter}`);
    onTarget(`echo a=2 >> ${conf} && mv ${conf} ${conf}.old`);
    const w = await until('the watch counts the write and the rename', async () => (await api.watches.refresh(host)).find((x) => x.id === watchId && x.events >= 2));
    const events: KwEvent[] = [];
    const follower = await api.watches.open(host, w);
    follower.onDidReceiveEvents((b) => events.push(...b));
    const write = await until('the write in the feed', () => events.find((e) => e.type === 'write' && e.path === conf));
    assert.strictEqual(write.ret, 0);
    const renamed = await until('the rename in the feed', () => events.find((e) => 'op' in e && e.op === 'rename' && ((e as UnlinkEvent).old_path === conf || (e as UnlinkEvent).path === conf)));
    assert.strictEqual(renamed.comm, 'mv');
    await follower.stop();
    await api.watches.stop(host, watchId);
    watchId = undefined;
  });
});
