// Stack frames as text (`--stacks`, events.ts StackFields), said once for the CLI and the panel:
// one line per frame, and a stack's signature (the code path, without the addresses that differ
// from process to process) to count the events that came the same way. No vscode, node or DOM
// import: the webview bundles it too.
import type { KernelFrame, StackFields, UserFrame } from './events';

/**
 * How a name is made safe for where it goes: the panel's visibleField (escapes, exact bytes from
 * the X_b64 twin), the terminal's quoting. Names come from the traced host's binaries: attacker-controlled.
 */
export type Escape = (printable: string, b64: string | undefined) => string;

/** The last component of a path ("/usr/lib/x86_64-linux-gnu/libc.so.6" -> "libc.so.6"). */
export function baseName(p: string): string {
  const t = p.replace(/\/+$/, '');
  return t.slice(t.lastIndexOf('/') + 1) || p;
}

function symText(f: KernelFrame | UserFrame, esc: Escape): string {
  return `${esc(f.sym ?? '', f.sym_b64)}${f.off ? `+0x${f.off.toString(16)}` : ''}`;
}

/** `sym+0xoff [module]`; the raw address when the function is unknown. */
export function kernelFrameText(f: KernelFrame, esc: Escape): string {
  const at = f.sym !== undefined ? symText(f, esc) : f.addr;
  return f.module !== undefined ? `${at} [${esc(f.module, f.module_b64)}]` : at;
}

/**
 * `sym+0xoff  file.go:42` when the source position is known, else `sym+0xoff (libc.so.6)` (the
 * mapped file's base name); the raw address when the function is unknown.
 */
export function userFrameText(f: UserFrame, esc: Escape): string {
  const at = f.sym !== undefined ? symText(f, esc) : f.addr;
  // escaped first, then cut: an escape never holds a '/'
  if (f.src !== undefined && f.line !== undefined) return `${at}  ${baseName(esc(f.src, f.src_b64))}:${f.line}`;
  if (f.file !== undefined) return `${at} (${baseName(esc(f.file, f.file_b64))})`;
  return at;
}

/** What a frame is in a signature: its function, else its place in its file, else its address. */
function frameKey(f: KernelFrame | UserFrame): string {
  if (f.sym !== undefined && f.sym !== '') return f.sym;
  const u = f as UserFrame;
  if (u.file !== undefined && u.file_off !== undefined) return `${baseName(u.file)}+0x${u.file_off.toString(16)}`;
  return f.addr;
}

/**
 * The code path an event came by, as one string: the user frames then the kernel frames (each
 * innermost first) by function name (a frame without one by file offset or address), so the same
 * path in two processes (other addresses: ASLR) has the same signature. null: no stacks.
 */
export function stackSignature(e: StackFields): string | null {
  if (e.kstack === undefined && e.ustack === undefined) return null;
  const part = (label: string, frames: ReadonlyArray<KernelFrame | UserFrame> | undefined, err: number | undefined): string | null => {
    if (frames === undefined) return null;
    return `${label}: ${frames.length ? frames.map(frameKey).join(' < ') : err ? `(error ${err})` : '(no frames)'}`;
  };
  const sig = [part('user', e.ustack, e.ustack_error), part('kernel', e.kstack, e.kstack_error)].filter((p) => p !== null).join(' | ');
  // a filter value and a saved state hold it: a very deep stack of long names keeps its start
  // and a hash of the whole (a collision would merge two groups, nothing worse)
  return sig.length <= MAX_SIGNATURE ? sig : `${sig.slice(0, MAX_SIGNATURE - 16)}… #${fnv1a(sig)}`;
}

/** Longest stack signature (characters); longer ones are cut and hashed. */
export const MAX_SIGNATURE = 4096;

/** FNV-1a over the UTF-16 units, 32 bits, as 8 hex digits. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}
