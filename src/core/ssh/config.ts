// ssh_config the way OpenSSH reads it, for the options Kernel Witness honours: the user's file
// (~/.ssh/config) then the system file (/etc/ssh/ssh_config), Include (globs; relative to ~/.ssh,
// or /etc/ssh in the system file), Host blocks (patterns, negation, wildcards; matched against
// the name as typed, case-sensitively like OpenSSH), Match blocks (all, host, originalhost, user,
// localuser, exec, canonical, final; any other criterion is an error naming it), evaluated in
// file order with the values obtained so far. For each keyword the FIRST value obtained wins,
// except IdentityFile, which accumulates. Options: HostName, User, Port, IdentityFile,
// IdentitiesOnly, IdentityAgent, ProxyJump, ProxyCommand, HostKeyAlias, ConnectTimeout,
// ServerAliveInterval, UserKnownHostsFile, GlobalKnownHostsFile, StrictHostKeyChecking,
// HashKnownHosts. Options that would change how or where we connect and that we cannot honour
// (CertificateFile, ProxyUseFdpass, CanonicalizeHostname with CanonicalDomains) are one clear
// error naming the option, never silently ignored. Host names are lower-cased like OpenSSH's.
// No vscode import.
import * as cp from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { KwError } from '../errors';

/** A Host or Match line, or the top of a file; `parent` is the block an Include sat in. */
interface Block {
  kind: 'top' | 'host' | 'match';
  parent: Block | null;
  patterns: string[];
  criteria: Criterion[];
  file: string;
  line: number;
}

interface Criterion {
  negate: boolean;
  attr: string; // lower-case
  arg?: string;
}

interface Entry {
  block: Block;
  key: string; // lower-case keyword
  args: string[];
  /** The value as written after the keyword (ProxyCommand takes the rest of the line verbatim). */
  raw: string;
  file: string;
  line: number;
}

type Item = { block: Block } | { entry: Entry };

/** Where an obtained value came from, for error messages. */
interface Obtained {
  args: string[];
  raw: string;
  where: string;
}

export const MATCH_CRITERIA = ['all', 'canonical', 'final', 'exec', 'host', 'originalhost', 'user', 'localuser'];

export interface SshConfigOptions {
  /** Home directory for ~ and relative Include paths (default os.homedir()). */
  home?: string;
  /** Local user name (default os.userInfo().username). */
  localUser?: string;
  /** File reader (tests); default fs.readFileSync. */
  readFile?: (file: string) => string;
  /** Directory lister for Include globs; default fs.readdirSync. */
  readDir?: (dir: string) => string[];
  /** The system-wide file read after the user's; null = none. Default: $KWITNESS_SYSTEM_SSH_CONFIG, else /etc/ssh/ssh_config. */
  systemFile?: string | null;
  /** Runs a `Match exec` command; true = exit status 0. Default: `sh -c` with stdin/stdout closed. */
  runExec?: (command: string) => boolean;
}

/** Everything needed to open a connection to one host. */
export interface ResolvedHost {
  /** The name the user typed / the alias in the config. */
  alias: string;
  /** Lower-cased like OpenSSH's (used for known_hosts and principals). */
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
  /** ProxyCommand with its tokens expanded; its stdin/stdout carry the connection. Undefined = direct TCP (or ProxyJump). */
  proxyCommand?: string;
  /** HostKeyAlias (lower-cased): looked up in known_hosts as is, without the port. */
  hostKeyAlias?: string;
  connectTimeoutMs?: number;
  serverAliveIntervalMs?: number;
  /** UserKnownHostsFile entries (tokens expanded); undefined = OpenSSH's default ~/.ssh/known_hosts. */
  userKnownHostsFiles?: string[];
  /** GlobalKnownHostsFile entries; undefined = /etc/ssh/ssh_known_hosts. */
  globalKnownHostsFiles?: string[];
  /** StrictHostKeyChecking: yes = refuse unknown keys, accept-new = pin them silently, ask (default) = ask. Changed keys are always refused. */
  strictHostKeyChecking: 'yes' | 'ask' | 'accept-new';
  /** HashKnownHosts: pin new keys with a hashed host name. */
  hashKnownHosts: boolean;
}

export function defaultSystemSshConfigFile(): string | null {
  const env = process.env.KWITNESS_SYSTEM_SSH_CONFIG;
  if (env !== undefined) return env === '' || env.toLowerCase() === 'none' ? null : env;
  return process.platform === 'win32' ? null : '/etc/ssh/ssh_config';
}

export class SshConfig {
  private readonly items: Item[] = [];
  /** Host blocks of the user's file (the system file's hosts are not listed). */
  private readonly userHostBlocks: Block[] = [];
  private readonly home: string;
  private readonly localUser: string;
  private readonly readFile: (file: string) => string;
  private readonly readDir: (dir: string) => string[];
  private readonly runExec: (command: string) => boolean;

  private constructor(opts: SshConfigOptions) {
    this.home = opts.home ?? os.homedir();
    this.localUser = opts.localUser ?? safeUserName();
    this.readFile = opts.readFile ?? ((f) => fs.readFileSync(f, 'utf8'));
    this.readDir = opts.readDir ?? ((d) => fs.readdirSync(d));
    this.runExec = opts.runExec ?? runInShell;
  }

  /** Parses `file` (and its Includes), then the system file. A missing file is an empty config. */
  static load(file: string, opts: SshConfigOptions = {}): SshConfig {
    const c = new SshConfig(opts);
    const text = c.readOptional(file);
    if (text !== undefined) c.parseFile(text, file, null, 0, false);
    c.loadSystem(opts);
    return c;
  }

  /** Parses `text` as the user's file (tests), then the system file. */
  static parse(text: string, opts: SshConfigOptions = {}, file = '<config>'): SshConfig {
    const c = new SshConfig(opts);
    c.parseFile(text, file, null, 0, false);
    c.loadSystem(opts);
    return c;
  }

  private loadSystem(opts: SshConfigOptions): void {
    const sys = opts.systemFile === undefined ? defaultSystemSshConfigFile() : opts.systemFile;
    if (!sys) return;
    const text = this.readOptional(sys);
    if (text !== undefined) this.parseFile(text, sys, null, 0, true);
  }

  private readOptional(file: string): string | undefined {
    try {
      return this.readFile(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw new KwError('bad-input', `cannot read ssh config ${file}: ${(e as Error).message}`);
    }
  }

  private parseFile(text: string, file: string, includedFrom: Block | null, depth: number, system: boolean): void {
    if (depth > 16) throw new KwError('bad-input', `${file}: Include nested too deeply (loop?)`);
    let block: Block = { kind: 'top', parent: includedFrom, patterns: [], criteria: [], file, line: 0 };
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const where = `${file}:${i + 1}`;
      const split = splitLine(lines[i], where);
      if (!split) continue;
      const { words, raw } = split;
      const key = words[0].toLowerCase();
      const args = words.slice(1);
      if (key === 'host') {
        if (!args.length) throw new KwError('bad-input', `${where}: Host needs at least one pattern`);
        block = { kind: 'host', parent: includedFrom, patterns: args, criteria: [], file, line: i + 1 };
        this.items.push({ block });
        if (!system) this.userHostBlocks.push(block);
        continue;
      }
      if (key === 'match') {
        block = { kind: 'match', parent: includedFrom, patterns: [], criteria: parseMatch(args, where), file, line: i + 1 };
        this.items.push({ block });
        continue;
      }
      if (key === 'include') {
        for (const pat of args) {
          for (const f of this.expandInclude(pat, system, where)) {
            const sub = this.readOptional(f);
            if (sub !== undefined) this.parseFile(sub, f, block, depth + 1, system);
          }
        }
        continue;
      }
      if (!args.length) throw new KwError('bad-input', `${where}: ${words[0]} needs a value`);
      this.items.push({ entry: { block, key, args, raw, file, line: i + 1 } });
    }
  }

  private expandInclude(pattern: string, system: boolean, where: string): string[] {
    if (system && pattern.startsWith('~')) throw new KwError('bad-input', `${where}: Include path ${pattern} may not start with ~ in the system file`);
    let p = expandTilde(pattern, this.home);
    if (!path.isAbsolute(p)) p = system ? path.join('/etc/ssh', p) : path.join(this.home, '.ssh', p);
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
    return names.filter((n) => globMatch(base, n, false)).sort().map((n) => path.join(dir, n));
  }

  /** Host aliases named in the user's config, without wildcard or negated patterns, in file order. */
  hosts(): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const b of this.userHostBlocks) {
      for (const p of b.patterns) {
        if (p.startsWith('!') || /[*?]/.test(p)) continue;
        if (!seen.has(p.toLowerCase())) {
          seen.add(p.toLowerCase());
          out.push(p);
        }
      }
    }
    return out;
  }

  /** Resolves `spec` ([user@]host[:port] accepted) into connection parameters. */
  resolve(spec: string, depth = 0): ResolvedHost {
    if (depth > 8) throw new KwError('bad-input', `ProxyJump chain for ${spec} is longer than 8 hops (loop?)`);
    const parsed = parseHostSpec(spec);
    const alias = parsed.host;
    const st = new Evaluation(this, alias, this.localUser);
    // user@host and host:port count as obtained first, like ssh's command line
    if (parsed.user !== undefined) st.obtain('user', { args: [parsed.user], raw: parsed.user, where: 'the host name' });
    if (parsed.port !== undefined) st.obtain('port', { args: [parsed.port], raw: parsed.port, where: 'the host name' });
    st.pass(this.items, false);
    const canon = (st.first('canonicalizehostname') ?? 'no').toLowerCase();
    if (canon === 'yes' || canon === 'always') {
      const domains = st.obtained('canonicaldomains');
      if (domains) {
        throw new KwError('bad-input', `${st.where('canonicalizehostname')}: CanonicalizeHostname ${canon} with CanonicalDomains (${domains.args.join(' ')}) is not supported: Kernel Witness does not look names up in DNS; set CanonicalizeHostname no for ${alias} or use the full name`);
      }
    }
    if (st.wantFinal || canon === 'yes' || canon === 'always') {
      // OpenSSH's second pass: the name is now the (lower-cased) HostName; what was obtained stays.
      st.setHostName(st.currentHost().toLowerCase());
      st.pass(this.items, true);
    }
    return this.build(st, alias, depth);
  }

  private build(st: Evaluation, alias: string, depth: number): ResolvedHost {
    const cert = st.obtained('certificatefile');
    if (cert) {
      throw new KwError('bad-input', `${cert.where}: CertificateFile ${cert.raw} is set for ${alias}, but ssh2, the SSH library Kernel Witness uses, cannot sign in with user certificates (mscdex/ssh2 issue 551); remove CertificateFile for this host and authorize the plain key`);
    }
    const fdpass = st.obtained('proxyusefdpass');
    if (fdpass && fdpass.args[0].toLowerCase() === 'yes') {
      throw new KwError('bad-input', `${fdpass.where}: ProxyUseFdpass yes is not supported (the ProxyCommand's stdin/stdout carry the connection); set ProxyUseFdpass no for ${alias}`);
    }
    const hostName = st.currentHost().toLowerCase();
    const portText = st.first('port') ?? '22';
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
      throw new KwError('bad-input', `ssh config: bad Port "${portText}" for host ${alias}`);
    }
    const user = st.first('user') ?? this.localUser;
    const known = { hostName, port, user, alias };
    const tokens = (s: string): string => expandTilde(s, this.home).replace(/%(.)/g, (m, c: string) => this.token(c, known) ?? m);
    const explicit = st.all('identityfile').map((a) => tokens(a[0]));
    const identityFiles = explicit.length
      ? explicit
      : ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk'].map((n) => path.join(this.home, '.ssh', n));
    const identitiesOnly = (st.first('identitiesonly') ?? 'no').toLowerCase() === 'yes';
    const agentCfg = st.first('identityagent');
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
    const jumpText = st.jump && st.jump.toLowerCase() !== 'none' ? st.jump : undefined;
    const proxyJump: ResolvedHost[] = [];
    if (jumpText) {
      for (const hop of jumpText.split(',')) proxyJump.push(this.resolve(hop.trim(), depth + 1));
    }
    let proxyCommand: string | undefined;
    if (!jumpText && st.proxyCommand && st.proxyCommand.raw.toLowerCase() !== 'none') {
      const o = st.proxyCommand;
      if (o.raw === '-') throw new KwError('bad-input', `${o.where}: ProxyCommand - (an already connected stdin/stdout) is not supported; give a command or use ProxyJump`);
      proxyCommand = o.raw.replace(/%(.)/g, (_m, c: string) => {
        const v = 'hnpr%'.includes(c) ? this.token(c, known) : undefined;
        if (v === undefined) throw new KwError('bad-input', `${o.where}: ProxyCommand token %${c} is not supported (%h %n %p %r %% are)`);
        return v;
      });
    }
    const num = (kw: string, name: string): number | undefined => {
      const v = st.first(kw);
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new KwError('bad-input', `ssh config: bad ${name} "${v}" for host ${alias}`);
      return n * 1000;
    };
    const files = (kw: string): string[] | undefined => {
      const o = st.obtained(kw);
      return o && o.args[0].toLowerCase() !== 'none' ? o.args.map(tokens) : undefined;
    };
    const strictText = (st.first('stricthostkeychecking') ?? 'ask').toLowerCase();
    // 'no'/'off' would accept changed keys in OpenSSH; we never do: they behave like accept-new.
    const strict = strictText === 'yes' ? 'yes' : strictText === 'accept-new' || strictText === 'no' || strictText === 'off' ? 'accept-new' : 'ask';
    const alias2 = st.first('hostkeyalias');
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
      proxyCommand,
      hostKeyAlias: alias2 === undefined ? undefined : alias2.toLowerCase(),
      connectTimeoutMs: num('connecttimeout', 'ConnectTimeout'),
      serverAliveIntervalMs: num('serveraliveinterval', 'ServerAliveInterval'),
      userKnownHostsFiles: files('userknownhostsfile'),
      globalKnownHostsFiles: files('globalknownhostsfile'),
      strictHostKeyChecking: strict,
      hashKnownHosts: (st.first('hashknownhosts') ?? 'no').toLowerCase() === 'yes',
    };
  }

  /** The value of a %token (%h %p %r %n %u %d %l %L %i %C %%), or undefined for an unknown one. */
  token(c: string, t: { hostName: string; port: number; user: string; alias: string; jump?: string; keyAlias?: string }): string | undefined {
    switch (c) {
      case '%': return '%';
      case 'h': return t.hostName;
      case 'p': return String(t.port);
      case 'r': return t.user;
      case 'n': return t.alias;
      case 'u': return this.localUser;
      case 'd': return this.home;
      case 'k': return t.keyAlias ?? t.hostName;
      case 'j': return t.jump ?? '';
      case 'l': return os.hostname();
      case 'L': return os.hostname().split('.')[0];
      case 'i': return String(safeUid());
      case 'C': return crypto.createHash('sha1').update(`${os.hostname()}${t.hostName}${t.port}${t.user}${t.jump ?? ''}`).digest('hex');
      default: return undefined;
    }
  }

  /** Runs a Match exec command (tokens already expanded). */
  exec(command: string): boolean {
    return this.runExec(command);
  }
}

/** The options obtained while walking the config for one host (one or two passes). */
class Evaluation {
  private readonly firsts = new Map<string, Obtained>();
  private readonly lists = new Map<string, string[][]>();
  jump: string | undefined;
  proxyCommand: Obtained | undefined;
  wantFinal = false;
  private finalPass = false;
  private hostForHostLines: string;
  private results = new Map<Block, boolean>();

  constructor(
    private readonly cfg: SshConfig,
    readonly alias: string,
    private readonly localUser: string,
  ) {
    this.hostForHostLines = alias;
  }

  obtain(key: string, o: Obtained): void {
    if (!this.firsts.has(key)) this.firsts.set(key, o);
  }
  obtained(key: string): Obtained | undefined {
    return this.firsts.get(key);
  }
  first(key: string): string | undefined {
    return this.firsts.get(key)?.args[0];
  }
  where(key: string): string {
    return this.firsts.get(key)?.where ?? 'ssh config';
  }
  all(key: string): string[][] {
    return this.lists.get(key) ?? [];
  }

  /** The host name as OpenSSH's Match sees it: HostName (with %h) if obtained, else the alias. */
  currentHost(): string {
    const hn = this.first('hostname');
    if (hn === undefined) return this.alias;
    return this.finalPass ? hn : hn.replace(/%([h%])/g, (_m, c: string) => (c === 'h' ? this.alias : '%'));
  }

  setHostName(h: string): void {
    this.firsts.set('hostname', { args: [h], raw: h, where: 'the canonical host name' });
    this.hostForHostLines = h;
  }

  pass(items: Item[], finalPass: boolean): void {
    this.finalPass = finalPass;
    this.results = new Map();
    for (const it of items) {
      if ('block' in it) {
        const b = it.block;
        this.results.set(b, b.parent && !this.active(b.parent) ? false : this.evaluate(b));
        continue;
      }
      const e = it.entry;
      if (!this.active(e.block)) continue;
      const o: Obtained = { args: e.args, raw: e.raw, where: `${e.file}:${e.line}` };
      if (e.key === 'identityfile') {
        this.lists.set(e.key, [...this.all(e.key), e.args]);
      } else if (e.key === 'proxyjump') {
        if (e.args[0].toLowerCase() === 'none') this.jump ??= 'none';
        else if (this.jump === undefined && this.proxyCommand === undefined) {
          this.jump = e.args.join(' ');
          this.proxyCommand = { args: ['none'], raw: 'none', where: o.where };
        }
      } else if (e.key === 'proxycommand') {
        this.proxyCommand ??= o;
      } else {
        this.obtain(e.key, o);
      }
    }
  }

  private active(b: Block): boolean {
    const own = b.kind === 'top' ? true : (this.results.get(b) ?? false);
    return own && (b.parent === null || this.active(b.parent));
  }

  private evaluate(b: Block): boolean {
    if (b.kind === 'top') return true;
    if (b.kind === 'host') return hostPatternsMatch(b.patterns, this.hostForHostLines);
    let result = true;
    for (const c of b.criteria) {
      const where = `${b.file}:${b.line}`;
      let r: boolean;
      switch (c.attr) {
        case 'all':
          r = true;
          break;
        case 'canonical':
        case 'final':
          if (c.attr === 'final' && !c.negate) this.wantFinal = true;
          r = this.finalPass;
          break;
        case 'host':
          r = patternListMatches(c.arg!, this.currentHost(), true);
          break;
        case 'originalhost':
          r = patternListMatches(c.arg!, this.alias, true);
          break;
        case 'user':
          r = patternListMatches(c.arg!, this.first('user') ?? this.localUser, false);
          break;
        case 'localuser':
          r = patternListMatches(c.arg!, this.localUser, false);
          break;
        case 'exec': {
          if (!result) continue; // OpenSSH skips the command when an earlier criterion failed
          const cmd = this.expandExec(c.arg!, where);
          r = this.cfg.exec(cmd);
          break;
        }
        default:
          // An unknown criterion only matters when the block could still apply.
          if (!result) continue;
          throw new KwError('bad-input', `${where}: Match ${c.attr} is not supported (supported: ${MATCH_CRITERIA.join(', ')}); rewrite this Match block or move it into a file Kernel Witness does not read`);
      }
      if (r === c.negate) result = false;
    }
    return result;
  }

  private expandExec(command: string, where: string): string {
    const port = Number(this.first('port') ?? '22');
    const t = {
      hostName: this.currentHost(),
      port,
      user: this.first('user') ?? this.localUser,
      alias: this.alias,
      jump: this.jump && this.jump !== 'none' ? this.jump : '',
      keyAlias: this.first('hostkeyalias'),
    };
    return command.replace(/%(.)/g, (_m, c: string) => {
      const v = this.cfg.token(c, t);
      if (v === undefined) throw new KwError('bad-input', `${where}: Match exec token %${c} is not supported`);
      return v;
    });
  }
}

/** Parses the criteria of a Match line (`host a,b`, `host=a`, `!exec "cmd"`, `all`). */
function parseMatch(args: string[], where: string): Criterion[] {
  const out: Criterion[] = [];
  for (let i = 0; i < args.length; i++) {
    let word = args[i];
    if (word.startsWith('#')) break;
    const negate = word.startsWith('!');
    if (negate) word = word.slice(1);
    let attr = word.toLowerCase();
    let arg: string | undefined;
    const eq = word.indexOf('=');
    if (eq > 0) {
      attr = word.slice(0, eq).toLowerCase();
      arg = word.slice(eq + 1);
    }
    if (attr === 'all') {
      if (out.some((c) => c.attr !== 'canonical' && c.attr !== 'final') || (i + 1 < args.length && !args[i + 1].startsWith('#'))) {
        throw new KwError('bad-input', `${where}: Match all cannot be combined with other criteria`);
      }
      out.push({ negate, attr });
      continue;
    }
    if (attr === 'canonical' || attr === 'final') {
      out.push({ negate, attr });
      continue;
    }
    if (arg === undefined) {
      arg = args[++i];
      if (arg === undefined || arg.startsWith('#')) throw new KwError('bad-input', `${where}: Match ${attr} needs an argument`);
    }
    out.push({ negate, attr, arg });
  }
  if (!out.length) throw new KwError('bad-input', `${where}: Match needs at least one criterion`);
  return out;
}

/** Host line: any positive pattern matches and no negated one does (case-sensitive, like OpenSSH). */
function hostPatternsMatch(patterns: string[], host: string): boolean {
  let positive = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), host, false)) return false;
    } else if (globMatch(p, host, false)) positive = true;
  }
  return positive;
}

/** A comma-separated pattern list with negation (Match host/user, known_hosts). */
function patternListMatches(list: string, text: string, caseInsensitive: boolean): boolean {
  let positive = false;
  for (const p of list.split(',')) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), text, caseInsensitive)) return false;
    } else if (globMatch(p, text, caseInsensitive)) positive = true;
  }
  return positive;
}

/** ssh-style pattern match: `*` and `?`; case-insensitive unless told otherwise (host names). */
export function globMatch(pattern: string, text: string, caseInsensitive = true): boolean {
  const re = new RegExp(
    '^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$',
    caseInsensitive ? 'is' : 's',
  );
  return re.test(text);
}

/**
 * OpenSSH runs Match exec through the shell with stdin and stdout on /dev/null. Synchronous like
 * ssh's own config reading; a command that hangs is cut off after 30 s (an error).
 */
function runInShell(command: string): boolean {
  const shell = process.env.SHELL && path.isAbsolute(process.env.SHELL) ? process.env.SHELL : '/bin/sh';
  const opts: cp.SpawnSyncOptions = { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30000, windowsHide: true };
  const r = process.platform === 'win32' ? cp.spawnSync(command, { ...opts, shell: true }) : cp.spawnSync(shell, ['-c', command], opts);
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') throw new KwError('bad-input', `Match exec "${command}" did not finish within 30 s; make the command return quickly`);
  if (r.error) throw new KwError('bad-input', `Match exec "${command}" could not run: ${r.error.message}`);
  return r.status === 0;
}

/** Splits a config line into words: `Key value`, `Key=value`, "quoted words", # comments; `raw` is the text after the keyword. */
function splitLine(line: string, where: string): { words: string[]; raw: string } | undefined {
  const s = line.trim();
  if (!s || s.startsWith('#')) return undefined;
  const words: string[] = [];
  // keyword, optionally followed by '=' (with optional whitespace)
  const m = /^([A-Za-z][A-Za-z0-9]*)\s*(?:=\s*|\s+|$)/.exec(s);
  if (!m) throw new KwError('bad-input', `${where}: cannot parse "${s}"`);
  words.push(m[1]);
  let i = m[0].length;
  const raw = s.slice(i);
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
  return { words, raw };
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

function safeUid(): number {
  try {
    return os.userInfo().uid;
  } catch {
    return -1;
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
