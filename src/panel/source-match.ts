// Finding a stack frame's source file (events.ts UserFrame src: the path it was built from, on
// the machine that built it) in the local workspace: by its name, then by how much of its
// directory matches. Pure (no vscode): unit-tested; open-source.ts does the searching and opening.

function parts(p: string): string[] {
  return p.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
}

/**
 * The glob that finds candidates with vscode.workspace.findFiles: any file named like the last
 * component of `src`, glob characters in it matched by `?` (the exact name is compared after).
 * null when `src` names no file.
 */
export function sourceGlob(src: string): string | null {
  const base = parts(src).pop();
  if (base === undefined || base === '..') return null;
  return `**/${base.replace(/[*?[\]{}!]/g, '?')}`;
}

/**
 * The candidate (a workspace path) that is most likely `src`: same file name, then the longest
 * run of matching trailing directories (github.com/x/y/cmd/main.go beats another main.go), then
 * the shortest path. undefined when none has the name.
 */
export function bestSourceMatch(src: string, candidates: readonly string[]): string | undefined {
  const want = parts(src);
  const name = want[want.length - 1];
  if (name === undefined) return undefined;
  let best: string | undefined;
  let bestScore = 0;
  for (const c of candidates) {
    const got = parts(c);
    let n = 0;
    while (n < want.length && n < got.length && want[want.length - 1 - n] === got[got.length - 1 - n]) n++;
    if (n === 0) continue;
    if (n > bestScore || (n === bestScore && best !== undefined && c.length < best.length)) {
      best = c;
      bestScore = n;
    }
  }
  return best;
}
