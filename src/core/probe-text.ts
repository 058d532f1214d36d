// The probe report's io_uring coverage and guard mechanism as one line each, for the CLI and the Hosts tree. No vscode import (src/core).
import type { ProbeReport } from './events';

/** "unlink, rmdir, mkdir, rename, open (filename_*)" or "…; not covered on this kernel: rename". */
export function describeIoUring(r: NonNullable<ProbeReport['io_uring']>): string {
  const ops = Object.entries(r);
  const covered = ops.filter(([, fn]) => fn).map(([op, fn]) => `${op} (${fn})`);
  const missing = ops.filter(([, fn]) => !fn).map(([op]) => op);
  return [covered.join(', '), missing.length ? `not covered on this kernel: ${missing.join(', ')}` : ''].filter(Boolean).join('; ') || 'none';
}

/** "BPF LSM", "fmod_ret (BPF LSM not used: …)" or "not available: …". */
export function describeGuardCapability(g: NonNullable<ProbeReport['guard']>): string {
  if (g.mechanism === 'lsm') return 'BPF LSM';
  if (g.mechanism === 'fmod_ret') return `fmod_ret on security_* functions${g.note ? ` (${g.note})` : ''}`;
  return `not available: ${g.note ?? 'unknown'}`;
}
