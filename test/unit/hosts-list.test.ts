import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { HostManager, HostPrompts, LOCAL_HOST } from '../../src/core/host/host';
import { agentTraceArgs } from '../../src/core/session/trace-session';

const prompts: HostPrompts = { confirmHostKey: async () => false, passphrase: async () => undefined, password: async () => undefined, sudoPassword: async () => undefined };

test('hosts: This Machine first, then ~/.ssh/config aliases (no wildcards), then user-added, deduplicated', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kw-hosts-'));
  try {
    const cfg = path.join(dir, 'config');
    fs.writeFileSync(cfg, 'Host web db\n  User x\nHost *.corp bastion-?\n  User y\nHost !neg jump\n');
    let user = ['root@10.0.0.9:2222', 'web'];
    const logs: string[] = [];
    const m = new HostManager({ sshConfigFile: cfg, agentDir: dir, prompts, log: (l) => logs.push(l), userHosts: () => user, includeLocal: true });
    assert.deepEqual(m.list().map((h) => `${h.kind}:${h.id}`), ['local:local', 'ssh:web', 'ssh:db', 'ssh:jump', 'ssh:root@10.0.0.9:2222']);
    assert.deepEqual(m.list()[0], LOCAL_HOST);
    user = [];
    assert.equal(m.list().length, 4);
    assert.deepEqual(m.ref('local'), LOCAL_HOST);
    assert.deepEqual(m.ref('unknown-alias'), { id: 'unknown-alias', label: 'unknown-alias', kind: 'ssh' });
    // a broken config is logged, not fatal: This Machine and user hosts remain
    fs.writeFileSync(cfg, 'Host\n');
    user = ['h1'];
    assert.deepEqual(m.list().map((h) => h.id), ['local', 'h1']);
    assert.match(logs.join('\n'), /ssh config: .*Host needs at least one pattern/);
    const noLocal = new HostManager({ sshConfigFile: path.join(dir, 'none'), agentDir: dir, prompts, log: () => undefined, includeLocal: false });
    assert.deepEqual(noLocal.list(), []);
    m.dispose();
    noLocal.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('hosts: an install root that is not a plain absolute path is refused', () => {
  const m = new HostManager({ sshConfigFile: '/nonexistent', agentDir: '/nonexistent', prompts, log: () => undefined, installRoot: '/var/lib/kw $(reboot)' });
  assert.throws(() => m.get('local'), /install root .* must be an absolute path/);
  m.dispose();
});

test('trace options: families deduplicated, every filter passed through, bad values refused', () => {
  assert.deepEqual(agentTraceArgs({ families: ['exec', 'exec', 'unlink'], uid: 0, cgroup: '/system.slice', attach: 'tracepoint', ringbufKb: 4096 }, 'json'), [
    'trace', 'exec,unlink', '--format', 'json', '--uid', '0', '--cgroup', '/system.slice', '--attach', 'tracepoint', '--ringbuf-kb', '4096',
  ]);
  assert.throws(() => agentTraceArgs({ families: [] }, 'wire'), /at least one family/);
  assert.throws(() => agentTraceArgs({ families: ['unlink'], pid: 1.5 }, 'wire'), /pid must be a non-negative integer/);
});
