// The panel's one glob syntax (path filter, pod and namespace filters), DOM-free.

/** Glob to RegExp: `**` any run, `*` within one component, `?` one char. A glob without a leading `/` matches anywhere. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') { re += '.*'; i++; } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(glob.startsWith('/') ? `^${re}$` : `(^|/)${re}$`, 's');
}

/** True when a filter value uses glob syntax rather than plain text. */
export function hasWildcard(s: string): boolean {
  return /[*?]/.test(s);
}
