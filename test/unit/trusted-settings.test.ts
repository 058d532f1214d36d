// The settings that decide whom we trust are read from the user's value only: a workspace or
// folder value (a cloned repository's .vscode/settings.json) never counts, even when the VS Code
// host hands it over. package.json marks them "scope": "machine". The real extension host check
// is test/vscode/exthost/trusted-settings.test.ts.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

import { TRUSTED_SETTING_KEYS, affectsTrustedSettings, readTrustedSettings, userValue } from '../../src/extension/trusted-settings';

interface Layers {
  defaultValue?: unknown;
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/** What WorkspaceConfiguration.inspect() returns in a host that does NOT filter by scope. */
function config(values: Record<string, Layers>) {
  return {
    inspect<T>(key: string) {
      const v = values[key];
      return v ? ({ key: `kwitness.${key}`, ...v } as { key: string; defaultValue?: T; globalValue?: T; workspaceValue?: T; workspaceFolderValue?: T }) : undefined;
    },
  };
}

const PLANTED = {
  hosts: { defaultValue: [], workspaceValue: ['evil@attacker.example'], workspaceFolderValue: ['evil2'] },
  sshConfigFile: { defaultValue: '', workspaceValue: './.ssh-config-from-the-repo' },
  knownHostsFile: { defaultValue: '', workspaceFolderValue: './known_hosts-from-the-repo' },
  sudoPasswordIdleMinutes: { defaultValue: 15, workspaceValue: 100000 },
};

test('trusted settings: workspace and folder values are ignored (hosts, ssh config, known_hosts, sudo idle)', () => {
  const s = readTrustedSettings(config(PLANTED), {}, '/home/u');
  assert.deepEqual(s, { hosts: [], sshConfigFile: '/home/u/.ssh/config', knownHostsFile: undefined, sudoPasswordIdleMinutes: 15 });
});

test('trusted settings: the user value counts (with ~ expanded), env overrides the files', () => {
  const layers = {
    hosts: { ...PLANTED.hosts, globalValue: ['me@box', 'alias'] },
    sshConfigFile: { ...PLANTED.sshConfigFile, globalValue: '~/work/ssh_config' },
    knownHostsFile: { ...PLANTED.knownHostsFile, globalValue: '/etc/kw/known_hosts' },
    sudoPasswordIdleMinutes: { ...PLANTED.sudoPasswordIdleMinutes, globalValue: 0 },
  };
  assert.deepEqual(readTrustedSettings(config(layers), {}, '/home/u'), {
    hosts: ['me@box', 'alias'],
    sshConfigFile: '/home/u/work/ssh_config',
    knownHostsFile: '/etc/kw/known_hosts',
    sudoPasswordIdleMinutes: 0,
  });
  const env = { KWITNESS_SSH_CONFIG: '/env/cfg', KWITNESS_KNOWN_HOSTS: '/env/kh' };
  const s = readTrustedSettings(config(layers), env, '/home/u');
  assert.deepEqual([s.sshConfigFile, s.knownHostsFile], ['/env/cfg', '/env/kh']);
});

test('trusted settings: values of the wrong type fall back to the defaults', () => {
  const s = readTrustedSettings(
    config({ hosts: { globalValue: 'not-a-list' }, sshConfigFile: { globalValue: 42 }, sudoPasswordIdleMinutes: { globalValue: -3 } }),
    {},
    '/h',
  );
  assert.deepEqual(s, { hosts: [], sshConfigFile: '/h/.ssh/config', knownHostsFile: undefined, sudoPasswordIdleMinutes: 15 });
  assert.deepEqual(readTrustedSettings(config({ hosts: { globalValue: ['ok', 7, '', null] } }), {}, '/h').hosts, ['ok']);
  assert.equal(userValue(config({}), 'nothing'), undefined);
});

test('trusted settings: every one is machine-scoped in package.json, and a change of any is noticed', () => {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8'));
  const props = pkg.contributes.configuration.properties as Record<string, { scope?: string; default?: unknown }>;
  for (const k of TRUSTED_SETTING_KEYS) {
    assert.ok(props[`kwitness.${k}`], `package.json lacks kwitness.${k}`);
    assert.equal(props[`kwitness.${k}`].scope, 'machine', `kwitness.${k} must be machine-scoped`);
  }
  assert.equal(props['kwitness.sudoPasswordIdleMinutes'].default, 15);
  for (const k of TRUSTED_SETTING_KEYS) assert.equal(affectsTrustedSettings({ affectsConfiguration: (s: string) => s === `kwitness.${k}` }), true, k);
  assert.equal(affectsTrustedSettings({ affectsConfiguration: (s: string) => s === 'kwitness.batchMs' }), false);
});
