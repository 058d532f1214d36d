// The settings that decide whom we trust and what we keep: which hosts exist, which ssh config
// and known_hosts files say where they are and what their keys are, how long a sudo password is
// kept. A cloned repository's .vscode/settings.json must not be able to redirect a host or
// pre-pin a key, so only the user's own value counts: package.json gives them "scope": "machine"
// AND they are read here from inspect()'s globalValue/defaultValue, never get() (which merges in
// workspace and folder values whenever a VS Code host does not filter them by scope).
// Only `import type` from vscode: unit-tested in plain Node.
import * as os from 'os';
import * as path from 'path';
import type * as vscode from 'vscode';

import { DEFAULT_SUDO_PASSWORD_IDLE_MINUTES } from '../core/host/secret-cache';

/** The keys below `kwitness.` that are read this way; a change of any re-reads them all. */
export const TRUSTED_SETTING_KEYS = ['hosts', 'sshConfigFile', 'knownHostsFile', 'sudoPasswordIdleMinutes'] as const;

export interface TrustedSettings {
  /** Host names the user added (Add Host). */
  hosts: string[];
  /** ssh config file: env KWITNESS_SSH_CONFIG, else the user's setting, else ~/.ssh/config. */
  sshConfigFile: string;
  /** known_hosts: env KWITNESS_KNOWN_HOSTS, else the user's setting, else undefined (the ssh config decides). */
  knownHostsFile: string | undefined;
  sudoPasswordIdleMinutes: number;
}

type Inspectable = Pick<vscode.WorkspaceConfiguration, 'inspect'>;

/** The user's (or the default) value of `key`; workspace and folder values are ignored. */
export function userValue<T>(config: Inspectable, key: string): T | undefined {
  const i = config.inspect<T>(key);
  return i?.globalValue !== undefined ? i.globalValue : i?.defaultValue;
}

function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p;
}

/** Reads the trusted settings of the `kwitness` section (`config`) plus the env overrides. */
export function readTrustedSettings(config: Inspectable, env: NodeJS.ProcessEnv = process.env, home = os.homedir()): TrustedSettings {
  const text = (key: string): string | undefined => {
    const v = userValue<unknown>(config, key);
    return typeof v === 'string' && v.trim() ? expandHome(v.trim(), home) : undefined;
  };
  const hosts = userValue<unknown>(config, 'hosts');
  const idle = userValue<unknown>(config, 'sudoPasswordIdleMinutes');
  return {
    hosts: Array.isArray(hosts) ? hosts.filter((h): h is string => typeof h === 'string' && h.length > 0) : [],
    sshConfigFile: env.KWITNESS_SSH_CONFIG || text('sshConfigFile') || path.join(home, '.ssh', 'config'),
    knownHostsFile: env.KWITNESS_KNOWN_HOSTS || text('knownHostsFile'),
    sudoPasswordIdleMinutes: typeof idle === 'number' && Number.isFinite(idle) && idle >= 0 ? idle : DEFAULT_SUDO_PASSWORD_IDLE_MINUTES,
  };
}

/** True when a configuration change touches any trusted setting. */
export function affectsTrustedSettings(e: Pick<vscode.ConfigurationChangeEvent, 'affectsConfiguration'>): boolean {
  return TRUSTED_SETTING_KEYS.some((k) => e.affectsConfiguration(`kwitness.${k}`));
}
