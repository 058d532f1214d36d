// This Machine (host id `local`): the core runs the real agent through child_process as root,
// the same deployment path as SSH hosts; and a full disk on the target is a clear error.
import assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';

import { isKwError } from '../../src/core/errors';
import type { KwEvent } from '../../src/core/events';
import { HostManager, HostPrompts, LOCAL_HOST } from '../../src/core/host/host';
import { decoderFor } from '../../src/core/session/decoders';
import { TraceSession } from '../../src/core/session/trace-session';
import { sh, tempDir, waitFor } from './harness';

const ROOT = path.resolve(__dirname, '../../..');
const prompts: HostPrompts = { confirmHostKey: async () => false, passphrase: async () => undefined, password: async () => undefined, sudoPassword: async () => undefined };
let dir: string;
let mounted: string | undefined;

function manager(installRoot?: string): HostManager {
  return new HostManager({ sshConfigFile: '/nonexistent', knownHostsFile: '/nonexistent', agentDir: path.join(ROOT, 'dist', 'agent'), prompts, log: () => undefined, includeLocal: true, installRoot });
}

before(() => {
  dir = tempDir('kw-local-');
});
after(() => {
  if (mounted) sh(`umount ${mounted}`);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('This Machine: listed first, trace unlink with the real agent, stop proves the agent is gone', async () => {
  const m = manager();
  try {
    assert.deepEqual(m.list()[0], LOCAL_HOST);
    const work = path.join(dir, 'work');
    fs.mkdirSync(work);
    const s = new TraceSession(m.get('local'), { families: ['unlink', 'create'], pathPrefixes: [work] }, { format: 'wire', decoderFor });
    const got: KwEvent[] = [];
    s.onDidReceiveEvents((b) => got.push(...b));
    await s.start();
    assert.equal((await m.get('local').connect()).privilege.kind, 'root');
    fs.writeFileSync(path.join(work, 'new-file'), 'x');
    fs.unlinkSync(path.join(work, 'new-file'));
    await waitFor('the create and the unlink', () => got.filter((e) => e.type !== 'exec' && e.type !== 'exit' && e.type !== 'call' && e.path === path.join(work, 'new-file')).length >= 2);
    const mine = got.filter((e) => (e.type === 'create' || e.type === 'unlink') && e.path === path.join(work, 'new-file'));
    assert.deepEqual(mine.map((e) => e.type), ['create', 'unlink']);
    assert.equal(mine[1].pid, process.pid, 'the unlink is attributed to this test process');
    const pid = s.agentPid!;
    await s.stop();
    assert.equal(s.verifiedGone, true);
    assert.equal(fs.existsSync(`/proc/${pid}`), false);
    s.dispose();
  } finally {
    m.dispose();
  }
});

test('disk full on the target: deployment fails with disk-full naming the cause and the fix', async () => {
  const full = path.join(dir, 'full');
  fs.mkdirSync(full);
  sh(`mount -t tmpfs -o size=256k kwtest-full ${full}`);
  mounted = full;
  const m = manager(path.join(full, 'kwitness'));
  try {
    await assert.rejects(m.get('local').deploy(), (e: unknown) => {
      assert.ok(isKwError(e), String(e));
      assert.equal(e.code, 'disk-full', e.message);
      assert.match(e.message, /^This Machine: the disk holding the agent's install directory is full \(.*No space left on device\); free some space/);
      return true;
    });
    // nothing half-written is left behind
    const sha = fs.readdirSync(path.join(full, 'kwitness'))[0];
    assert.deepEqual(fs.readdirSync(path.join(full, 'kwitness', sha)), []);
  } finally {
    m.dispose();
  }
});

test('installing a new agent build prunes older ones, keeping the newest other build and any build that runs', async () => {
  const root = path.join(dir, 'prune-root');
  const hex = (c: string) => c.repeat(64);
  const old = ['a', 'b', 'c', 'd'].map((c, i) => {
    const d = path.join(root, hex(c));
    fs.mkdirSync(d, { recursive: true });
    fs.copyFileSync('/bin/sleep', path.join(d, 'kwitness-agent'));
    const t = new Date(Date.now() - (10 - i) * 60000); // a oldest ... d newest
    fs.utimesSync(d, t, t);
    return d;
  });
  fs.mkdirSync(path.join(root, 'not-a-build')); // not ours to remove
  fs.chmodSync(root, 0o755);
  // build 'b' is running
  const busy = cp.spawn(path.join(old[1], 'kwitness-agent'), ['30']);
  const m = manager(root);
  try {
    // build b counts as running once the process executes it, not when spawn() returns
    await waitFor('build b running', () => { try { return fs.readlinkSync(`/proc/${busy.pid}/exe`) === path.join(old[1], 'kwitness-agent'); } catch { return false; } });
    const d = await m.get('local').deploy();
    assert.equal(d.uploaded, true);
    const left = fs.readdirSync(root).sort();
    assert.deepEqual(left, [hex('b'), hex('d'), path.basename(path.dirname(d.remotePath)), 'not-a-build'].sort(),
      'kept: the running build b, the newest other build d, the new one; removed: a and c');
    // the next session's deploy of the same build uploads nothing and removes nothing
    const m2 = manager(root);
    try {
      assert.equal((await m2.get('local').deploy()).uploaded, false);
    } finally {
      m2.dispose();
    }
    assert.deepEqual(fs.readdirSync(root).sort(), left);
  } finally {
    busy.kill('SIGKILL');
    m.dispose();
  }
});
