// The paths a user types for a trace or a watch ("/var/lib/kubelet/pods/*/volumes, /tmp") as the
// agent's filters: a path with a wildcard is a pattern (--path-glob, matched by the agent after
// the kernel narrowed it to the pattern's fixed directory), any other a prefix (--path-prefix,
// matched in the kernel). No vscode import (src/core).
import type { TraceOptions } from './trace-api';

/** At most this many prefixes and patterns in all (the kernel's prefix slots). */
export const MAX_PATHS = 8;

/** `*`, `?` or `[`: fnmatch wildcards. */
export const isGlob = (p: string): boolean => /[*?[]/.test(p);

/** A comma-separated answer as paths (trimmed, empties dropped). */
export function parsePathList(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

/** Why the paths cannot be used, or undefined. */
export function checkPaths(paths: readonly string[]): string | undefined {
  const bad = paths.find((p) => !p.startsWith('/'));
  if (bad !== undefined) return `"${bad}" is not absolute: paths and patterns start with /`;
  if (paths.length > MAX_PATHS) return `at most ${MAX_PATHS} paths and patterns`;
  return undefined;
}

/** The filters for those paths; an empty list means the whole host. */
export function pathFilters(paths: readonly string[]): Pick<TraceOptions, 'pathPrefixes' | 'pathGlobs'> {
  const globs = paths.filter(isGlob);
  const prefixes = paths.filter((p) => !isGlob(p));
  return { pathPrefixes: prefixes.length ? prefixes : undefined, pathGlobs: globs.length ? globs : undefined };
}
