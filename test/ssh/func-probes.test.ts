// Probing kernel functions by name (issue 13 part 2) with the REAL agent over a real sshd on
// 127.0.0.1: `kwitness-agent funcs` through the same deploy/root path as `probe` (listed once per
// host and installed agent), a misspelt function refused with the agent's own line (nearest
// names) as a usage error, and — where this kernel lets a function be probed — a call of
// vfs_unlink decoded from the wire with its dentry, its return value and its duration.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';

import type { CallEvent, KwEvent } from '../../src/core/events';
import { isKwError } from '../../src/core/errors';
import { HostManager, HostPrompts } from '../../src/core/host/host';
import { decoderFor } from '../../src/core/session/decoders';
import { TraceSession } from '../../src/core/session/trace-session';
import { Sshd, rootTarget, sh, tempDir, waitFor } from './harness';

const ROOT = path.resolve(__dirname, '../../..');
const AGENT_DIR = process.env.KWITNESS_AGENT_DIR ?? path.join(ROOT, 'dist', 'agent');
let dir: string;
let A: Sshd;
let sshConfig: string;
let knownHosts: string;
let work: string;

const prompts: HostPrompts = {
  confirmHostKey: async () => false,
  passphrase: async () => undefined,
  password: async () => undefined,
  sudoPassword: async () => undefined,
};

function manager(log: string[] = []): HostManager {
  return new HostManager({ sshConfigFile: sshConfig, knownHostsFile: knownHosts, agentDir: AGENT_DIR, prompts, log: (l) => log.push(l), includeLocal: false });
}

before(async () => {
  assert.ok(fs.existsSync(AGENT_DIR), `the real agent is not built (${AGENT_DIR}); run scripts/build.sh`);
  dir = tempDir('kw-sshfunc-');
  fs.chmodSync(dir, 0o755);
  work = path.join(dir, 'work');
  fs.mkdirSync(work, { recursive: true });
  ({ sshd: A, sshConfig, knownHosts } = await rootTarget(dir));
});

after(async () => {
  await A?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('kwitness-agent funcs over ssh: the kernel\'s functions with prototypes, listed once per host and agent', async () => {
  const m = manager();
  try {
    const ref = m.ref('t-root');
    const t0 = Date.now();
    const list = await m.funcs(ref);
    const ms = Date.now() - t0;
    const f = list.functions.find((x) => x.name === 'vfs_unlink' && x.module === '');
    assert.ok(f, 'vfs_unlink is listed');
    assert.match(f.proto, /^int vfs_unlink\(.*struct dentry \*dentry/);
    assert.equal(list.skipped, 0, 'every line the agent printed was a function');
    assert.ok(list.functions.length > 10000, `${list.functions.length} functions`);
    // the second time: the same list, without running the agent again
    const t1 = Date.now();
    assert.equal(await m.funcs(ref), list);
    console.log(`# ${list.functions.length} functions listed in ${ms} ms; asked again: ${Date.now() - t1} ms`);
  } finally {
    m.dispose();
  }
});

test('a misspelt function: the agent\'s line, with the nearest names, as a usage error', async () => {
  const m = manager();
  const s = new TraceSession(m.get('t-root'), { families: [], funcs: ['vfs_unlnk'] }, { format: 'wire', decoderFor, batchMs: 50 });
  try {
    await assert.rejects(s.start(), (e: unknown) => {
      assert.ok(isKwError(e, 'bad-input'), String(e));
      assert.match((e as Error).message, /^t-root: func:vfs_unlnk: no such kernel function in this kernel's BTF \(nearest: [^)]*vfs_unlink/);
      return true;
    });
    assert.equal(s.state.kind, 'failed');
  } finally {
    s.dispose();
    m.dispose();
  }
});

test('a call of vfs_unlink, decoded from the wire: the dentry\'s name and path, ret 0, a duration (where this kernel can probe it)', async (t) => {
  const m = manager();
  const s = new TraceSession(m.get('t-root'), { families: [], funcs: ['vfs_unlink'], where: [`dentry == "kw-func-victim"`] }, { format: 'wire', decoderFor, batchMs: 50 });
  const got: KwEvent[] = [];
  s.onDidReceiveEvents((b) => got.push(...b));
  try {
    try {
      await s.start();
    } catch (e) {
      // a kernel without fentry on this function and without kprobes (some sandboxes) says so
      if (/cannot probe it/.test((e as Error).message)) {
        t.skip(`this kernel cannot probe vfs_unlink: ${(e as Error).message}`);
        return;
      }
      throw e;
    }
    fs.writeFileSync(path.join(work, 'other'), 'x');
    fs.writeFileSync(path.join(work, 'kw-func-victim'), 'x');
    sh(`rm ${path.join(work, 'other')} ${path.join(work, 'kw-func-victim')}`);
    const call = await waitFor('the call', () => got.find((e): e is CallEvent => e.type === 'call'));
    assert.equal(call.func, 'vfs_unlink');
    assert.equal(call.comm, 'rm');
    assert.equal(call.ret, 0);
    assert.ok(call.duration_ns > 0);
    const dentry = call.args.dentry as { name?: string; path?: string };
    assert.equal(dentry.name, 'kw-func-victim');
    assert.equal(dentry.path, path.join(work, 'kw-func-victim'));
    assert.equal(call.arg_types.dentry, 'struct dentry *');
    assert.equal(got.filter((e) => e.type === 'call').length, 1, 'the other file did not pass --where');
    await s.stop();
  } finally {
    s.dispose();
    m.dispose();
  }
});
