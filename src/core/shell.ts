// POSIX shell quoting for commands sent to a remote `sh -c` (ssh exec has no argv, only a string).

/** Quotes one argument for a POSIX shell; safe for any string. */
export function shq(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_\-+=.,/:@%]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Quotes and joins an argv. */
export function shJoin(argv: readonly string[]): string {
  return argv.map(shq).join(' ');
}

/**
 * Shell text that sets `$name` to the exact bytes given (any bytes but NUL), using only ASCII in
 * the command itself: printf with octal escapes, plus a sentinel so trailing newlines survive $(...).
 */
export function shAssignBytes(name: string, bytes: Uint8Array): string {
  let fmt = '';
  for (const b of bytes) fmt += `\\${b.toString(8).padStart(3, '0')}`;
  return `${name}=$(printf '${fmt}x'); ${name}=\${${name}%x}`;
}
