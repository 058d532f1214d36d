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

/** What a trace's filters keep, in one line ("paths /tmp; comm kubelet; failed only"), or 'none'. */
export function describeScope(o: Omit<TraceOptions, 'families'>): string {
  const f: string[] = [];
  if (o.pathPrefixes?.length) f.push(`paths ${o.pathPrefixes.join(', ')}`);
  if (o.pathGlobs?.length) f.push(`matching ${o.pathGlobs.join(', ')}`);
  if (o.pid !== undefined) f.push(`pid ${o.pid}`);
  if (o.comm) f.push(`comm ${o.comm}`);
  if (o.uid !== undefined) f.push(`uid ${o.uid}`);
  if (o.cgroup) f.push(`cgroup ${o.cgroup}`);
  if (o.failedOnly) f.push('failed only');
  const st = stacksWords(o.stacks);
  if (st) f.push(st);
  return f.join('; ') || 'none';
}

/** "stacks" (kernel and user), "kernel stacks", "user stacks", or '' when a trace takes none. */
export function stacksWords(s: TraceOptions['stacks']): string {
  return s?.kernel && s.user ? 'stacks' : s?.kernel ? 'kernel stacks' : s?.user ? 'user stacks' : '';
}
