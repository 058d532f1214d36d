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
