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

/**
 * A command line that every login shell sshd may hand it to (sh, bash, dash, zsh, fish, tcsh)
 * parses into the same `/bin/sh -c SCRIPT`, so SCRIPT is always POSIX shell. Inside single
 * quotes fish still treats `\'` and `\\` as escapes and csh cannot hold a newline, so a script
 * with any of `'`, `\`, a newline, `!` (csh history) or a non-printable/non-ASCII byte travels
 * base64-encoded and is decoded by /bin/sh itself: then the login shell only sees
 * [A-Za-z0-9+/=] inside single quotes, which all of them take literally.
 */
export function viaBinSh(script: string): string {
  if (/^[\x20-\x7e]*$/.test(script) && !/['\\!]/.test(script)) return `exec /bin/sh -c '${script}'`;
  const b64 = Buffer.from(script, 'utf8').toString('base64');
  return `exec /bin/sh -c 'eval "$(echo ${b64} | base64 -d)"'`;
}
