// An independent witness for the agent's file and exec events: `strace -f -xx -y` output,
// turned into the events the agent should have reported (issue "Truthful attribution", Proof).
// strace reads each call's arguments from the caller at the call, under ptrace; its paths are the
// caller's spelling, joined to the directory strace decodes for the dirfd (-y) or to the cwd this
// parser tracks (chdir/fchdir, inherited over clone/fork), and normalised lexically: the agent's
// `named ?? path` is the same spelling.
/** One call as the agent would report it; `key` identifies it for matching. */
export interface Witnessed {
  tid: number;
  type: 'unlink' | 'create' | 'exec';
  op: string;
  path: string;
  oldPath?: string;
  argv?: string[];
  /** 'ok' or the errno name (ENOENT ...). */
  result: string;
  line: string;
}

export function witnessKey(w: Pick<Witnessed, 'tid' | 'type' | 'op' | 'path' | 'oldPath' | 'result'>): string {
  return `${w.tid}|${w.type}|${w.op}|${JSON.stringify(w.path)}|${JSON.stringify(w.oldPath ?? '')}|${w.result}`;
}

/** The syscalls the witness traces (pass to strace -e trace=). */
export const TRACED = [
  'unlink', 'unlinkat', 'rmdir', 'rename', 'renameat', 'renameat2', 'mkdir', 'mkdirat', 'mknod', 'mknodat',
  'symlink', 'symlinkat', 'link', 'linkat', 'execve', 'execveat', 'chdir', 'fchdir', 'clone', 'clone3', 'fork', 'vfork',
];

/** "\x2f\x74" (strace -xx) -> the bytes, as a latin1-safe JS string of the UTF-8 text. */
function unhex(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === 'x') {
      bytes.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (s[i] === '\\') {
      const esc: Record<string, number> = { n: 10, t: 9, r: 13, '"': 34, '\\': 92, v: 11, f: 12 };
      bytes.push(esc[s[i + 1]] ?? s.charCodeAt(i + 1));
      i += 1;
    } else {
      bytes.push(s.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Splits "a, [b, c], {d}, e<f, g>" at top-level commas. */
function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0, quoted = false, cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      cur += c;
      if (c === '\\') cur += s[++i];
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    else if ('[{(<'.includes(c)) depth++;
    else if (']})>'.includes(c)) depth--;
    if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** A quoted string argument, or undefined (NULL, a truncated string). */
function str(arg: string | undefined): string | undefined {
  const m = arg === undefined ? null : /^"((?:[^"\\]|\\.)*)"(\.\.\.)?$/.exec(arg);
  return m && !m[2] ? unhex(m[1]) : undefined;
}

/** The directory a dirfd argument names: AT_FDCWD<dir> or 3<dir> (-y); undefined for bare AT_FDCWD. */
function fdDir(arg: string | undefined): string | undefined {
  const m = arg === undefined ? null : /^(?:AT_FDCWD|\d+)<(.*)>$/.exec(arg);
  return m ? unhex(m[1]) : undefined;
}

/** The lexical normalisation the agent applies to a spelling (native/out.c path_normalize). */
export function normalize(p: string): string {
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return '/' + out.join('/');
}

function join(dir: string | undefined, name: string): string | undefined {
  if (name.startsWith('/')) return normalize(name);
  return dir === undefined ? undefined : normalize(`${dir}/${name}`);
}

/**
 * Parses strace output (-f -xx -y; one file). `rootCwd`: the cwd of the first process. Returns
 * the calls the agent should report, plus the thread ids strace saw (the workload's threads).
 */
export function parseStrace(text: string, rootCwd: string): { calls: Witnessed[]; tids: Set<number>; unresolved: string[] } {
  const pending = new Map<number, string>();
  const cwd = new Map<number, string>();
  const parentOf = new Map<number, number>();
  const lines: Array<{ tid: number; call: string }> = [];
  for (const raw of text.split('\n')) {
    const m = /^(\d+)\s+(.*)$/.exec(raw);
    if (!m) continue;
    const tid = Number(m[1]);
    let rest = m[2];
    if (rest.startsWith('---') || rest.startsWith('+++')) continue;
    const unfinished = / <unfinished \.\.\.>$/.exec(rest);
    if (unfinished) {
      pending.set(tid, rest.slice(0, unfinished.index));
      continue;
    }
    const resumed = /^<\.\.\. \w+ resumed>(.*)$/.exec(rest);
    if (resumed) {
      rest = (pending.get(tid) ?? '') + resumed[1];
      pending.delete(tid);
    }
    lines.push({ tid, call: rest });
  }
  // children and their parents first: a child's first line may come before its parent's clone returned
  for (const { tid, call } of lines) {
    const m = /^(clone3?|fork|vfork)\(.*\)\s+=\s+(\d+)/.exec(call);
    if (m && Number(m[2]) > 0) parentOf.set(Number(m[2]), tid);
  }
  const cwdOf = (tid: number): string | undefined => {
    if (cwd.has(tid)) return cwd.get(tid);
    const p = parentOf.get(tid);
    const c = p === undefined ? (cwd.size === 0 ? rootCwd : undefined) : cwdOf(p);
    if (c !== undefined) cwd.set(tid, c);
    return c;
  };
  const calls: Witnessed[] = [];
  const tids = new Set<number>();
  const unresolved: string[] = [];
  for (const { tid, call } of lines) {
    tids.add(tid);
    const m = /^(\w+)\((.*)\)\s+=\s+(-?\d+|\?)(?:\s+(E[A-Z0-9]+))?/.exec(call);
    if (!m) continue;
    const [, name, argText, retText, errName] = m;
    if (retText === '?') continue; // the process ended inside the call (an exec that replaced it is 0)
    const result = Number(retText) < 0 ? errName ?? 'E?' : 'ok';
    const a = splitArgs(argText);
    const here = cwdOf(tid);
    const add = (type: Witnessed['type'], op: string, p: string | undefined, oldPath?: string | undefined, argv?: string[]) => {
      if (p === undefined) {
        unresolved.push(call);
        return;
      }
      calls.push({ tid, type, op, path: p, ...(oldPath !== undefined ? { oldPath } : {}), ...(argv ? { argv } : {}), result, line: call });
    };
    const at = (dfdArg: string | undefined, nameArg: string | undefined): string | undefined => {
      const n = str(nameArg);
      if (n === undefined) return undefined;
      const dir = fdDir(dfdArg) ?? (dfdArg === 'AT_FDCWD' ? here : undefined);
      return join(dir, n);
    };
    switch (name) {
      case 'chdir': if (result === 'ok') { const p = join(here, str(a[0]) ?? ''); if (p) cwd.set(tid, p); } break;
      case 'fchdir': if (result === 'ok') { const p = fdDir(a[0]); if (p) cwd.set(tid, p); } break;
      case 'unlink': add('unlink', 'unlink', join(here, str(a[0]) ?? '')); break;
      case 'rmdir': add('unlink', 'rmdir', join(here, str(a[0]) ?? '')); break;
      case 'unlinkat': add('unlink', (a[2] ?? '').includes('AT_REMOVEDIR') ? 'rmdir' : 'unlink', at(a[0], a[1])); break;
      case 'rename': add('create', 'rename', join(here, str(a[1]) ?? ''), join(here, str(a[0]) ?? '')); break;
      case 'renameat': add('create', 'rename', at(a[2], a[3]), at(a[0], a[1])); break;
      case 'renameat2': add('create', (a[4] ?? '').includes('RENAME_EXCHANGE') ? 'exchange' : 'rename', at(a[2], a[3]), at(a[0], a[1])); break;
      case 'mkdir': add('create', 'mkdir', join(here, str(a[0]) ?? '')); break;
      case 'mkdirat': add('create', 'mkdir', at(a[0], a[1])); break;
      case 'mknod': add('create', 'mknod', join(here, str(a[0]) ?? '')); break;
      case 'mknodat': add('create', 'mknod', at(a[0], a[1])); break;
      case 'symlink': add('create', 'symlink', join(here, str(a[1]) ?? '')); break;
      case 'symlinkat': add('create', 'symlink', at(a[1], a[2])); break;
      case 'link': add('create', 'link', join(here, str(a[1]) ?? ''), join(here, str(a[0]) ?? '')); break;
      case 'linkat': add('create', 'link', at(a[2], a[3]), at(a[0], a[1])); break;
      case 'execve':
      case 'execveat': {
        const f = str(name === 'execve' ? a[0] : a[1]);
        const arr = name === 'execve' ? a[1] : a[2];
        const argv = arr && arr.startsWith('[') && !arr.endsWith('...]') ? splitArgs(arr.slice(1, -1)).map((x) => str(x) ?? '') : undefined;
        add('exec', 'exec', f, undefined, argv);
        break;
      }
    }
  }
  return { calls, tids, unresolved };
}
