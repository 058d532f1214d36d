// Typed failures. Every message names the cause AND what to do about it, on one line, because
// it ends up in a VS Code notification or on the CLI's stderr as is.

export type KwErrorCode =
  | 'bad-input'
  | 'unreachable'
  | 'timeout'
  | 'auth-failed'
  | 'host-key-unknown'
  | 'host-key-changed'
  | 'host-key-revoked'
  | 'no-sudo'
  | 'sudo-password-required'
  | 'wrong-password'
  | 'not-linux'
  | 'unsupported-arch'
  | 'agent-missing'
  | 'agent-corrupt'
  | 'no-btf'
  | 'kernel-too-old'
  | 'not-root'
  | 'disk-full'
  | 'agent-failed'
  | 'disconnected'
  | 'not-our-agent'
  | 'cancelled';

export class KwError extends Error {
  constructor(
    readonly code: KwErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'KwError';
  }
}

export function isKwError(e: unknown, code?: KwErrorCode): e is KwError {
  return e instanceof KwError && (code === undefined || e.code === code);
}

/** A one-line message for any thrown value. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0];
  return String(e).split('\n')[0];
}

/**
 * Maps what the agent (or the shell around it) printed on stderr when it could not run to a
 * typed error. `host` is the label shown to the user.
 */
export function classifyAgentFailure(host: string, stderr: string, exitCode: number | null): KwError {
  const text = stderr.trim();
  const line = lastMeaningfulLine(text) || `exit code ${exitCode}`;
  const lower = text.toLowerCase();
  if (lower.includes('no space left on device') || lower.includes('disk quota exceeded')) {
    return new KwError('disk-full', `${host}: the disk holding the agent's install directory is full (${line}); free some space on the target (about 2 MB) and retry`);
  }
  if (lower.includes('no btf:')) {
    return new KwError('no-btf', `${host}: the kernel has no BTF (${line}); use a kernel built with CONFIG_DEBUG_INFO_BTF=y (the default of most distributions since 2020)`);
  }
  if (lower.includes('too old')) {
    return new KwError('kernel-too-old', `${host}: the kernel is too old for the agent (${line}); Kernel Witness needs Linux 5.8 or newer (BPF ring buffer)`);
  }
  if (lower.includes('agent hash mismatch') || lower.includes('upload corrupted')) {
    return new KwError('agent-corrupt', `${host}: ${line}; the agent copy on the target is not the expected build: Refresh Hosts and start again to redeploy`);
  }
  if (lower.includes('not root:')) {
    return new KwError('not-root', `${host}: the agent lacks privileges (${line}); it must run as root (log in as root or allow sudo)`);
  }
  if (/no (\w+ )?attach mode for family/.test(lower)) {
    return new KwError('agent-failed', `${host}: ${line.replace(/^kwitness-agent: /, '')}; pick another attach mode (auto) or another family`);
  }
  // a function the kernel's BTF does not have or cannot probe, a --where it cannot bind (`trace
  // func:NAME`): the agent's own line says which and what it has instead ("nearest: vfs_unlink,
  // vfs_rmdir"). The last such line: a rename note ("this kernel names it ...") may come before.
  const func = [...text.matchAll(/^kwitness-agent: ((?:func:\S*|--where)[: ].*)$/gm)].pop();
  if (func) return new KwError('bad-input', `${host}: ${func[1].trim()}`);
  if (exitCode === 127 || lower.includes('not found') && lower.includes('sh:')) {
    return new KwError('agent-failed', `${host}: a basic tool is missing on the target (${line}); it needs a POSIX shell with sha256sum, stat, mktemp and head`);
  }
  return new KwError('agent-failed', `${host}: the agent failed: ${line.replace(/^kwitness-agent: /, '')}`);
}

function lastMeaningfulLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('kwitness-pid '));
  return lines.length ? lines[lines.length - 1] : '';
}
