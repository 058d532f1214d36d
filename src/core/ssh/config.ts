// ~/.ssh/config, the subset Kernel Witness honours: Host blocks (patterns, negation, wildcards),
// `Match all`, Include (globs, relative to ~/.ssh), HostName, User, Port, IdentityFile,
// IdentitiesOnly, ProxyJump, IdentityAgent, HostKeyAlias, ConnectTimeout,
// ServerAliveInterval. OpenSSH semantics: for each keyword the FIRST value that applies wins,
// except IdentityFile, which accumulates. No vscode import.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { KwError } from '../errors';

interface Entry {
  /** The Host/Match condition this line sits under; null = applies to every host. */
  cond: Condition | null;
  key: string; // lower-case keyword
  args: string[];
  file: string;
  line: number;
}

type Condition = { kind: 'host'; patterns: string[] } | { kind: 'never' } | { kind: 'all' };

export interface SshConfigOptions {
  /** Home directory for ~ and relative Include paths (default os.homedir()). */
  home?: string;
  /** Local user name (default os.userInfo().username). */
  localUser?: string;
  /** File reader (tests); default fs.readFileSync. */
  readFile?: (file: string) => string;
  /** Directory lister for Include globs; default fs.readdirSync. */
  readDir?: (dir: string) => string[];
}

/** Everything needed to open a connection to one host. */
export interface ResolvedHost {
  /** The name the user typed / the alias in the config. */
  alias: string;
  hostName: string;
  port: number;
  user: string;
  identityFiles: string[];
  /** True when IdentityFile entries were given explicitly (else the OpenSSH default names). */
  identityFilesExplicit: boolean;
  identitiesOnly: boolean;
  /** Socket of the ssh-agent to use; undefined = none. */
  identityAgent?: string;
  /** Jump hosts, outermost first. */
  proxyJump: ResolvedHost[];
  /** Name to look up in known_hosts (HostKeyAlias or HostName). */
  hostKeyAlias?: string;
  connectTimeoutMs?: number;
  serverAliveIntervalMs?: number;
  /** UserKnownHostsFile entries (tokens expanded); undefined = OpenSSH's default ~/.ssh/known_hosts. */
  userKnownHostsFiles?: string[];
  /** StrictHostKeyChecking: yes = refuse unknown keys, accept-new = pin them silently, ask (default) = ask. Changed keys are always refused. */
  strictHostKeyChecking: 'yes' | 'ask' | 'accept-new';
}

export class SshConfig {
  private readonly entries: Entry[] = [];
  private readonly hostConds: Condition[] = [];
  private readonly home: string;
  private readonly localUser: string;
  private readonly readFile: (file: string) => string;
  private readonly readDir: (dir: string) => string[];

  private constructor(opts: SshConfigOptions) {
    this.home = opts.home ?? os.homedir();
    this.localUser = opts.localUser ?? safeUserName();
    this.readFile = opts.readFile ?? ((f) => fs.readFileSync(f, 'utf8'));
    this.readDir = opts.readDir ?? ((d) => fs.readdirSync(d));
  }

  /** Parses `file` (and its Includes). A missing file is an empty config. */
  static load(file: string, opts: SshConfigOptions = {}): SshConfig {
    const c = new SshConfig(opts);
    let text: string;
    try {
      text = c.readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return c;
      throw new KwError('bad-input', `cannot read ssh config ${file}: ${(e as Error).message}`);
    }
    c.parse(text, file, null, 0);
    return c;
  }

  static parse(text: string, opts: SshConfigOptions = {}, file = '<config>'): SshConfig {
    const c = new SshConfig(opts);
    c.parse(text, file, null, 0);
    return c;
  }

  private parse(text: string, file: string, includeCond: Condition | null, depth: number): void {
    if (depth > 16) throw new KwError('bad-input', `${file}: Include nested too deeply (loop?)`);
    let cond: Condition | null = includeCond;
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const where = `${file}:${i + 1}`;
      const words = splitLine(lines[i], where);
      if (!words.length) continue;
      const key = words[0].toLowerCase();
      const args = words.slice(1);
      if (key === 'host') {
        if (!args.length) throw new KwError('bad-input', `${where}: Host needs at least one pattern`);
        cond = { kind: 'host', patterns: args };
        this.hostConds.push(cond);
        continue;
      }
      if (key === 'match') {
        // Only `Match all` is evaluated; other criteria (exec, user, ...) are treated as not matching.
        cond = args.length === 1 && args[0].toLowerCase() === 'all' ? { kind: 'all' } : { kind: 'never' };
        continue;
      }
      if (key === 'include') {
        for (const pat of args) {
          for (const f of this.expandInclude(pat)) {
            let sub: string;
            try {
              sub = this.readFile(f);
            } catch {
              continue; // OpenSSH ignores missing Include files
            }
            this.parse(sub, f, cond, depth + 1);
          }
        }
        continue;
      }
      if (!args.length) throw new KwError('bad-input', `${where}: ${words[0]} needs a value`);
      this.entries.push({ cond, key, args, file, line: i + 1 });
    }
  }

  private expandInclude(pattern: string): string[] {
    let p = expandTilde(pattern, this.home);
    if (!path.isAbsolute(p)) p = path.join(this.home, '.ssh', p);
    if (!/[*?]/.test(p)) return [p];
    const dir = path.dirname(p);
    const base = path.basename(p);
    if (/[*?]/.test(dir)) return []; // globs in directory parts: not supported
    let names: string[];
    try {
      names = this.readDir(dir);
    } catch {
      return [];
    }
    return names.filter((n) => globMatch(base, n)).sort().map((n) => path.join(dir, n));
  }

  /** Host aliases named in the config, without wildcard or negated patterns, in file order. */
  hosts(): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const c of this.hostConds) {
      if (c.kind !== 'host') continue;
      for (const p of c.patterns) {
        if (p.startsWith('!') || /[*?]/.test(p)) continue;
        if (!seen.has(p.toLowerCase())) {
          seen.add(p.toLowerCase());
          out.push(p);
        }
      }
    }
    return out;
  }

  /** All values of `keyword` that apply to `alias`, in file order. */
  private values(alias: string, keyword: string): string[][] {
    const k = keyword.toLowerCase();
    return this.entries.filter((e) => e.key === k && condMatches(e.cond, alias)).map((e) => e.args);
  }

  private first(alias: string, keyword: string): string | undefined {
    const v = this.values(alias, keyword);
    return v.length ? v[0][0] : undefined;
  }

  /** Resolves `alias` ([user@]host[:port] accepted) into connection parameters. */
  resolve(spec: string, depth = 0): ResolvedHost {
    if (depth > 8) throw new KwError('bad-input', `ProxyJump chain for ${spec} is longer than 8 hops (loop?)`);
    const parsed = parseHostSpec(spec);
    const alias = parsed.host;
    const hostNameRaw = this.first(alias, 'HostName') ?? alias;
    const hostName = hostNameRaw.replace(/%h/g, alias);
    const portText = parsed.port ?? this.first(alias, 'Port') ?? '22';
    const port = Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new KwError('bad-input', `ssh config: bad Port "${portText}" for host ${alias}`);
    }
    const user = parsed.user ?? this.first(alias, 'User') ?? this.localUser;
    const tokens = (s: string): string =>
      expandTilde(s, this.home).replace(/%(.)/g, (m, c: string) => {
        switch (c) {
          case '%': return '%';
          case 'd': return this.home;
          case 'u': return this.localUser;
          case 'h': return hostName;
          case 'n': return alias;
          case 'r': return user;
          case 'p': return String(port);
          default: return m;
        }
      });
    const explicit = this.values(alias, 'IdentityFile').map((a) => tokens(a[0]));
    const identityFiles = explicit.length
      ? explicit
      : ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk'].map((n) => path.join(this.home, '.ssh', n));
    const identitiesOnly = (this.first(alias, 'IdentitiesOnly') ?? 'no').toLowerCase() === 'yes';
    const agentCfg = this.first(alias, 'IdentityAgent');
    // Default agent: SSH_AUTH_SOCK; on Windows without it, the OpenSSH for Windows agent pipe.
    const defaultAgent = process.env.SSH_AUTH_SOCK || (process.platform === 'win32' ? '\\\\.\\pipe\\openssh-ssh-agent' : undefined);
    let identityAgent: string | undefined = defaultAgent;
    if (agentCfg !== undefined) {
      if (agentCfg.toLowerCase() === 'none') identityAgent = undefined;
      else if (agentCfg === 'SSH_AUTH_SOCK') identityAgent = defaultAgent;
      else if (agentCfg.toLowerCase() === 'pageant') identityAgent = 'pageant';
      else if (agentCfg.startsWith('$')) identityAgent = process.env[agentCfg.slice(1)] || undefined;
      else identityAgent = tokens(agentCfg);
    }
    const jumpText = this.first(alias, 'ProxyJump');
    const proxyJump: ResolvedHost[] = [];
    if (jumpText && jumpText.toLowerCase() !== 'none') {
      for (const hop of jumpText.split(',')) proxyJump.push(this.resolve(hop.trim(), depth + 1));
    }
    const num = (kw: string): number | undefined => {
      const v = this.first(alias, kw);
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new KwError('bad-input', `ssh config: bad ${kw} "${v}" for host ${alias}`);
      return n * 1000;
    };
    const ukh = this.values(alias, 'UserKnownHostsFile')[0];
    const strictText = (this.first(alias, 'StrictHostKeyChecking') ?? 'ask').toLowerCase();
    // 'no'/'off' would accept changed keys in OpenSSH; we never do: they behave like accept-new.
    const strict = strictText === 'yes' ? 'yes' : strictText === 'accept-new' || strictText === 'no' || strictText === 'off' ? 'accept-new' : 'ask';
    return {
      alias,
      hostName,
      port,
      user,
      identityFiles,
      identityFilesExplicit: explicit.length > 0,
      identitiesOnly,
      identityAgent,
      proxyJump,
      hostKeyAlias: this.first(alias, 'HostKeyAlias'),
      connectTimeoutMs: num('ConnectTimeout'),
      serverAliveIntervalMs: num('ServerAliveInterval'),
      userKnownHostsFiles: ukh && ukh[0].toLowerCase() !== 'none' ? ukh.map(tokens) : undefined,
      strictHostKeyChecking: strict,
    };
  }
}

function condMatches(cond: Condition | null, alias: string): boolean {
  if (cond === null || cond.kind === 'all') return true;
  if (cond.kind === 'never') return false;
  let positive = false;
  for (const p of cond.patterns) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), alias)) return false;
    } else if (globMatch(p, alias)) positive = true;
  }
  return positive;
}

/** ssh-style pattern match: `*` and `?`, case-insensitive like OpenSSH host matching. */
export function globMatch(pattern: string, text: string): boolean {
  const re = new RegExp(
    '^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$',
    'i',
  );
  return re.test(text);
}

/** Splits a config line into words: `Key value`, `Key=value`, "quoted words", # comments. */
function splitLine(line: string, where: string): string[] {
  const words: string[] = [];
  let i = 0;
  const s = line.trim();
  if (!s || s.startsWith('#')) return words;
  // keyword, optionally followed by '=' (with optional whitespace)
  const m = /^([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+|$)/.exec(s);
  if (!m) throw new KwError('bad-input', `${where}: cannot parse "${s}"`);
  words.push(m[1]);
  i = m[0].length;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i])) i++;
    if (i >= s.length) break;
    if (s[i] === '#') break;
    if (s[i] === '"') {
      const end = s.indexOf('"', i + 1);
      if (end < 0) throw new KwError('bad-input', `${where}: unterminated quote`);
      words.push(s.slice(i + 1, end));
      i = end + 1;
    } else {
      let j = i;
      while (j < s.length && !/\s/.test(s[j])) j++;
      words.push(s.slice(i, j));
      i = j;
    }
  }
  return words;
}

function expandTilde(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return p;
}

function safeUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'root';
  }
}

/** `[user@]host[:port]` (also `[v6addr]:port`). */
export function parseHostSpec(spec: string): { user?: string; host: string; port?: string } {
  let rest = spec.trim();
  if (!rest) throw new KwError('bad-input', 'empty host name');
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  let port: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (v6) return { user, host: v6[1], port: v6[2] };
  const c = rest.lastIndexOf(':');
  if (c >= 0 && rest.indexOf(':') === c) {
    port = rest.slice(c + 1);
    rest = rest.slice(0, c);
  }
  if (!rest || /\s/.test(rest)) throw new KwError('bad-input', `bad host name "${spec}"`);
  return { user, host: rest, port };
}
