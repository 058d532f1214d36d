// Becoming root on a host: already root, `sudo -n` (NOPASSWD), or `sudo -k -S -p ''` with the
// password written to the command's stdin (works with sudo and sudo-rs). The password is never
// put in argv, a log line or a setting; `-k` makes sudo always read it, so it can never leak
// into the command's own stdin from a cached timestamp. How long it is kept in memory is the
// caller's business (HostConnection: ExpiringSecret). No vscode import.
import { KwError } from '../errors';
import { shq } from '../shell';
import { Runner, runToEnd } from './runner';

export type Privilege = { kind: 'root' } | { kind: 'sudo' } | { kind: 'sudo-password'; password: string };
/** How a connection becomes root, without the password itself (that lives in a short-lived cache). */
export type RootMethod = { kind: Privilege['kind'] };

export interface PrivilegedCommand {
  command: string;
  /** Bytes to write to stdin before anything else (the sudo password line). */
  stdinPrefix?: Buffer;
}

/** Wraps a POSIX shell script so it runs as root with `priv`. */
export function asRoot(priv: Privilege, script: string): PrivilegedCommand {
  const inner = `sh -c ${shq(script)}`;
  switch (priv.kind) {
    case 'root':
      return { command: inner };
    case 'sudo':
      return { command: `sudo -n -- ${inner}` };
    case 'sudo-password':
      return { command: `sudo -k -S -p '' -- ${inner}`, stdinPrefix: Buffer.from(priv.password + '\n') };
  }
}

export function describePrivilege(p: RootMethod): string {
  return p.kind === 'root' ? 'root' : p.kind === 'sudo' ? 'sudo (no password)' : 'sudo (password)';
}

const NOT_ALLOWED = /not in the sudoers|may not run sudo|is not allowed to|not allowed to execute|unknown user|not permitted to/i;
const WRONG_PW = /incorrect password|sorry, try again|authentication fail|no password was provided/i;
const NO_SUDO_BIN = /sudo: (command )?not found|sudo: not found|No such file or directory/i;

/**
 * Finds how to become root on `host`. `askPassword` is called at most once, only when sudo
 * needs a password; it returns undefined when the user cancels.
 */
export async function detectPrivilege(runner: Runner, host: string, user: string, askPassword: () => Promise<string | undefined>): Promise<Privilege> {
  const id = await runToEnd(runner, 'id -u', undefined, 20000);
  if (id.code === 0 && id.stdout.toString().trim() === '0') return { kind: 'root' };
  const n = await runToEnd(runner, 'sudo -n -- true', undefined, 20000);
  if (n.code === 0) return { kind: 'sudo' };
  if (n.code === 127 || NO_SUDO_BIN.test(n.stderr)) {
    throw new KwError('no-sudo', `${host}: ${user} is not root and sudo is not installed; log in as root (User root in ~/.ssh/config) or install sudo and allow ${user} to use it`);
  }
  if (NOT_ALLOWED.test(n.stderr)) throw noSudo(host, user, n.stderr);
  const password = await askPassword();
  if (password === undefined) {
    throw new KwError('cancelled', `${host}: sudo needs ${user}'s password and none was given; enter it when asked, or allow passwordless sudo (NOPASSWD)`);
  }
  return verifySudoPassword(runner, host, user, password);
}

/** Checks `password` with `sudo -k -S id -u`; throws wrong-password / no-sudo with what to do. */
export async function verifySudoPassword(runner: Runner, host: string, user: string, password: string): Promise<Privilege> {
  if (password.includes('\n')) throw new KwError('bad-input', `${host}: a sudo password cannot contain a newline`);
  const wrapped = asRoot({ kind: 'sudo-password', password }, 'id -u');
  const r = await runToEnd(runner, wrapped.command, wrapped.stdinPrefix, 30000);
  if (r.code === 0 && r.stdout.toString().trim() === '0') return { kind: 'sudo-password', password };
  if (NOT_ALLOWED.test(r.stderr)) throw noSudo(host, user, r.stderr);
  if (WRONG_PW.test(r.stderr)) {
    throw new KwError('wrong-password', `${host}: sudo rejected the password for ${user}; try again with the right password (the one ${user} logs in with)`);
  }
  throw new KwError('no-sudo', `${host}: sudo failed for ${user}: ${firstLine(r.stderr) || `exit ${r.code}`}; log in as root or fix sudo for ${user}`);
}

function noSudo(host: string, user: string, stderr: string): KwError {
  return new KwError('no-sudo', `${host}: ${user} may not use sudo (${firstLine(stderr)}); log in as root or add ${user} to sudoers`);
}

function firstLine(s: string): string {
  return s.split('\n').map((l) => l.trim()).filter(Boolean)[0] ?? '';
}
