// Secrets given to the CLI in its environment are read once and removed, and no process we
// start inherits them (the ssh suite checks /proc/PID/environ of the real sudo and agent).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { takeEnvSecrets } from '../../src/cli';
import { LocalRunner, childEnv, runToEnd } from '../../src/core/host/runner';

test('CLI secrets: read once, then gone from the environment', () => {
  const env: NodeJS.ProcessEnv = { KWITNESS_SUDO_PASSWORD: 'sudo-pw', KWITNESS_KEY_PASSPHRASE: 'key-pp', KWITNESS_SSH_PASSWORD: 'ssh-pw', PATH: '/bin' };
  assert.deepEqual(takeEnvSecrets(env), { sudoPassword: 'sudo-pw', keyPassphrase: 'key-pp', sshPassword: 'ssh-pw' });
  assert.deepEqual(env, { PATH: '/bin' });
  assert.deepEqual(takeEnvSecrets(env), { sudoPassword: undefined, keyPassphrase: undefined, sshPassword: undefined });
});

test('local commands never inherit a secret variable, even when an embedder left one in process.env', async () => {
  const saved = { ...process.env };
  process.env.KWITNESS_SUDO_PASSWORD = 'leak-1';
  process.env.KWITNESS_SSH_PASSWORD = 'leak-2';
  process.env.KWITNESS_KEY_PASSPHRASE = 'leak-3';
  const runner = new LocalRunner();
  try {
    assert.equal(childEnv().KWITNESS_SUDO_PASSWORD, undefined);
    const r = await runToEnd(runner, 'env');
    assert.equal(r.code, 0);
    assert.doesNotMatch(r.stdout.toString(), /KWITNESS_(SUDO|SSH)_PASSWORD|KWITNESS_KEY_PASSPHRASE|leak-/);
    assert.match(r.stdout.toString(), /^LC_ALL=C$/m);
  } finally {
    runner.dispose();
    for (const k of ['KWITNESS_SUDO_PASSWORD', 'KWITNESS_SSH_PASSWORD', 'KWITNESS_KEY_PASSPHRASE']) if (!(k in saved)) delete process.env[k];
  }
});
