// A trace started through the real command (host id + options, as the tree and other extensions
// call it) on the loopback ssh host: the agent is deployed over SSH and runs under that sshd,
// a deletion by a named process arrives as an event with that process, its exe and the absolute
// path; kwitness.stopTrace ends the agent and its BPF programs.
import * as assert from 'assert';
import * as cp from 'child_process';
import * as vscode from 'vscode';
import { after, before, describe, it } from 'mocha';
import type { KwEvent, UnlinkEvent } from '../../../src/core/events';
import type { KernelWitnessApi } from '../../../src/extension';
import { agentsUnder, bpfProgsOf } from '../driver/target';

const alias = process.env.KW_TEST_SSH_ALIAS ?? '';
const sshConfig = process.env.KWITNESS_SSH_CONFIG ?? '';
const dir = process.env.KW_TEST_TARGET_DIR ?? '';
const sshdPid = Number(process.env.KW_TEST_SSHD_PID ?? 0);

function onTarget(cmd: string): void {
  cp.execFileSync('ssh', ['-F', sshConfig, alias, cmd], { encoding: 'utf8', timeout: 20_000 });
}

async function until<T>(what: string, ms: number, f: () => T | undefined): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a trace on the ssh host, started by command', function () {
  this.timeout(90_000);
  let api: KernelWitnessApi;
  let traceId: string | undefined;
  const events: KwEvent[] = [];
  const sub = `${dir}/exthost-trace-${process.pid}`;

  before(async () => {
    assert.ok(alias && sshConfig && dir && sshdPid, 'run.sh must set KW_TEST_SSH_ALIAS, KWITNESS_SSH_CONFIG, KW_TEST_TARGET_DIR, KW_TEST_SSHD_PID');
    api = (await vscode.extensions.getExtension<KernelWitnessApi>('kwitness.kwitness')!.activate());
    onTarget(`mkdir -p ${sub} && cp /bin/rm ${sub}/kw-deleter-eh`);
  });

  after(async () => {
    if (traceId) await api.stopTrace(traceId).catch(() => undefined);
  });

  it('kwitness.startUnlinkTrace(hostId, options) resolves once the agent runs under the target sshd', async () => {
    const t0 = Date.now();
    traceId = await vscode.commands.executeCommand<string | undefined>('kwitness.startUnlinkTrace', alias, { comm: 'kw-deleter-eh' });
    if (!traceId) {
      // The command shows errors to the user; the API throws them: get the cause for the report.
      const why = await api.startTrace(alias, { families: ['unlink'], comm: 'kw-deleter-eh' }).then(
        (h) => { void api.stopTrace(h.id); return 'api.startTrace worked though'; }, (e: Error) => e.message);
      assert.fail(`the command returned no trace id: ${why}`);
    }
    const s = api.sessions().find((x) => x.id === traceId);
    assert.ok(s, 'the trace id is not among api.sessions()');
    assert.strictEqual(s.state.kind, 'running');
    s.onDidReceiveEvents((batch) => events.push(...batch));
    assert.ok(agentsUnder(sshdPid).length > 0, 'no kwitness-agent process under the test sshd');
    console.log(`      trace running ${Date.now() - t0} ms after the command (deploy + attach over SSH)`);
  });

  it('a deletion by a named process arrives with its comm, exe, absolute path and ancestry', async () => {
    assert.ok(traceId, 'needs the running trace');
    onTarget(`echo gone > ${sub}/victim.txt && cd ${sub} && ./kw-deleter-eh victim.txt`);
    const ev = await until('the unlink event', 5_000, () =>
      events.find((e): e is UnlinkEvent => e.type === 'unlink' && e.path === `${sub}/victim.txt`));
    assert.strictEqual(ev.comm, 'kw-deleter-eh');
    assert.strictEqual(ev.exe, `${sub}/kw-deleter-eh`);
    assert.strictEqual(ev.ret, 0);
    assert.strictEqual(ev.last_link, true);
    assert.strictEqual(ev.uid, 0);
    assert.ok(ev.ancestors.some((a) => a.comm === 'sshd'), `no sshd among the ancestors: ${JSON.stringify(ev.ancestors.map((a) => a.comm))}`);
    const others = events.filter((e) => e.comm !== 'kw-deleter-eh');
    assert.deepStrictEqual(others.map((e) => e.comm), [], 'the comm filter let other processes through');
  });

  it('a path-prefix trace reports only deletions under that prefix', async () => {
    const seen: KwEvent[] = [];
    let h;
    try {
      h = await api.startTrace(alias, { families: ['unlink'], pathPrefixes: [`${sub}/in`] });
    } catch (e) {
      assert.fail(`api.startTrace with pathPrefixes failed: ${(e as Error).message}`);
    }
    try {
      h.onDidReceiveEvents((b) => seen.push(...b));
      onTarget(`mkdir -p ${sub}/in ${sub}/out && : > ${sub}/in/a && : > ${sub}/out/b && rm ${sub}/out/b ${sub}/in/a`);
      await until('the event under the prefix', 5_000, () => seen.find((e) => e.type === 'unlink' && e.path === `${sub}/in/a`));
      await new Promise((r) => setTimeout(r, 500));
      const outside = seen.filter((e) => !('path' in e) || !e.path.startsWith(`${sub}/in/`));
      assert.deepStrictEqual(outside.map((e) => ('path' in e ? e.path : e.type)), [], 'events outside the prefix');
    } finally {
      await api.stopTrace(h.id);
    }
  });

  it('kwitness.stopTrace ends the agent and detaches its BPF programs', async () => {
    assert.ok(traceId, 'needs the running trace');
    const pids = agentsUnder(sshdPid).map((p) => p.pid);
    assert.ok(pids.length > 0);
    await vscode.commands.executeCommand('kwitness.stopTrace', traceId);
    assert.strictEqual(api.sessions().find((x) => x.id === traceId)?.state.kind, 'stopped');
    await until('the agent to exit', 10_000, () => (agentsUnder(sshdPid).length === 0 ? true : undefined));
    assert.deepStrictEqual(bpfProgsOf(pids), [], 'BPF programs of the stopped agent are still loaded');
    traceId = undefined;
  });
});
