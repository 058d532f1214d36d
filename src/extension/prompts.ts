// The questions only the user can answer, asked the VS Code way: a modal with the host key's
// SHA256 fingerprint, password input boxes for passphrases and sudo, and one input box per
// keyboard-interactive prompt (one-time codes), worded by the server, hidden unless it allows echo.
// Answers live in memory only (passphrases for the session; a sudo password until it goes unused
// or its connection closes); nothing goes to settings or logs.
import * as vscode from 'vscode';

import type { HostPrompts } from '../core/host/host';

export class VsCodePrompts implements HostPrompts {
  /** Extension-host tests may answer instead of the user (api.setPrompts). */
  override: Partial<HostPrompts> | undefined;

  async confirmHostKey(q: Parameters<HostPrompts['confirmHostKey']>[0]): Promise<boolean> {
    if (this.override?.confirmHostKey) return this.override.confirmHostKey(q);
    const trust = 'Trust and Connect';
    const detail =
      `${q.keyType} key fingerprint:\n${q.fingerprint}\n\n` +
      (q.otherTypes.length ? `This host is already known with other key types (${q.otherTypes.join(', ')}).\n\n` : '') +
      'Compare it with the fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub). On accept it is added to known_hosts.';
    const pick = await vscode.window.showWarningMessage(`The authenticity of host ${q.host}:${q.port} can't be established.`, { modal: true, detail }, trust);
    return pick === trust;
  }

  async passphrase(keyFile: string): Promise<string | undefined> {
    if (this.override?.passphrase) return this.override.passphrase(keyFile);
    return vscode.window.showInputBox({ title: 'Kernel Witness: SSH key passphrase', prompt: `Passphrase for ${keyFile}`, password: true, ignoreFocusOut: true });
  }

  async password(user: string, host: string): Promise<string | undefined> {
    if (this.override?.password) return this.override.password(user, host);
    return vscode.window.showInputBox({ title: 'Kernel Witness: SSH password', prompt: `Password for ${user}@${host}`, password: true, ignoreFocusOut: true });
  }

  /** keyboard-interactive prompts (one-time codes, ...) exactly as the server words them, one input box each. */
  async keyboardInteractive(q: Parameters<NonNullable<HostPrompts['keyboardInteractive']>>[0]): Promise<string[] | undefined> {
    if (this.override?.keyboardInteractive) return this.override.keyboardInteractive(q);
    const title = `Kernel Witness: ${q.name.trim() || 'SSH authentication'} (${q.user}@${q.host})`;
    const answers: string[] = [];
    for (const p of q.prompts) {
      const a = await vscode.window.showInputBox({ title, prompt: [q.instructions.trim(), p.prompt.trim()].filter(Boolean).join(' — '), password: !p.echo, ignoreFocusOut: true });
      if (a === undefined) return undefined;
      answers.push(a);
    }
    return answers;
  }

  async sudoPassword(host: string, user: string): Promise<string | undefined> {
    if (this.override?.sudoPassword) return this.override.sudoPassword(host, user);
    return vscode.window.showInputBox({
      title: 'Kernel Witness: sudo password',
      prompt: `The agent runs as root: sudo password for ${user} on ${host} (kept in memory only, forgotten when the connection closes or after kwitness.sudoPasswordIdleMinutes unused)`,
      password: true,
      ignoreFocusOut: true,
    });
  }
}
