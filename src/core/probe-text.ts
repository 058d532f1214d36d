// The probe report's io_uring coverage as one line, for the CLI and the Hosts tree. No vscode import (src/core).
import type { ProbeReport } from './events';

/** "unlink, rmdir, mkdir, rename, open (filename_*)" or "…; not covered on this kernel: rename". */
export function describeIoUring(r: NonNullable<ProbeReport['io_uring']>): string {
  const ops = Object.entries(r);
  const covered = ops.filter(([, fn]) => fn).map(([op, fn]) => `${op} (${fn})`);
  const missing = ops.filter(([, fn]) => !fn).map(([op]) => op);
  return [covered.join(', '), missing.length ? `not covered on this kernel: ${missing.join(', ')}` : ''].filter(Boolean).join('; ') || 'none';
}
