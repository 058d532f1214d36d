import assert from 'node:assert/strict';
import { test } from 'node:test';

import { SshConfig, SshConfigOptions, parseHostSpec } from '../../src/core/ssh/config';

const HOME = '/home/u';
const files: Record<string, string> = {
  '/home/u/.ssh/config': `
# defaults come last in OpenSSH style but Host * can be anywhere; first value wins
Host web web-alias
  HostName 10.0.0.5
  User deploy
  Port 2202
  IdentityFile ~/.ssh/web_key
  IdentityFile %d/.ssh/second_%h
  IdentitiesOnly yes

Host db
  HostName db.internal
  ProxyJump bastion
  IdentityAgent ~/agent.sock

Host bastion
  HostName=bastion.example.org
  User = jumper

Host *.corp !skip.corp
  User corpuser

Host quoted
  HostName "q.example"

# an Include inside "Host quoted" would apply to that host only (OpenSSH): end the block first
Match all
Include conf.d/*.conf

Host *
  User fallback
  Port 22
  ServerAliveInterval 5
`,
  '/home/u/.ssh/conf.d/a.conf': 'Host included\n  HostName inc.example\n',
  '/home/u/.ssh/conf.d/b.conf': 'Host other-included\n',
};
const opts = {
  home: HOME,
  localUser: 'me',
  readFile: (f: string) => {
    if (!(f in files)) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return files[f];
  },
  readDir: (d: string) => (d === '/home/u/.ssh/conf.d' ? ['b.conf', 'a.conf', 'README'] : []),
};

test('ssh config: lists hosts without wildcards or negations, includes Included files', () => {
  const c = SshConfig.load('/home/u/.ssh/config', opts);
  assert.deepEqual(c.hosts(), ['web', 'web-alias', 'db', 'bastion', 'quoted', 'included', 'other-included']);
});

test('ssh config: first value wins, IdentityFile accumulates with token expansion, Host * defaults apply', () => {
  const c = SshConfig.load('/home/u/.ssh/config', opts);
  const w = c.resolve('web-alias');
  assert.equal(w.hostName, '10.0.0.5');
  assert.equal(w.user, 'deploy');
  assert.equal(w.port, 2202);
  assert.deepEqual(w.identityFiles, ['/home/u/.ssh/web_key', '/home/u/.ssh/second_10.0.0.5']);
  assert.equal(w.identitiesOnly, true);
  assert.equal(w.serverAliveIntervalMs, 5000);
  const inc = c.resolve('included');
  assert.equal(inc.hostName, 'inc.example');
  assert.equal(inc.user, 'fallback');
  assert.equal(inc.port, 22);
  assert.equal(inc.identityFilesExplicit, false);
});

test('ssh config: ProxyJump resolves the jump host through the config, IdentityAgent expands ~', () => {
  const c = SshConfig.load('/home/u/.ssh/config', opts);
  const d = c.resolve('db');
  assert.equal(d.identityAgent, '/home/u/agent.sock');
  assert.equal(d.proxyJump.length, 1);
  assert.equal(d.proxyJump[0].hostName, 'bastion.example.org');
  assert.equal(d.proxyJump[0].user, 'jumper');
});

test('ssh config: wildcard and negated patterns match like OpenSSH', () => {
  const c = SshConfig.load('/home/u/.ssh/config', opts);
  assert.equal(c.resolve('a.corp').user, 'corpuser');
  assert.equal(c.resolve('skip.corp').user, 'fallback');
  assert.equal(c.resolve('quoted').hostName, 'q.example');
});

test('ssh config: user@host:port on the command line overrides the config', () => {
  const c = SshConfig.load('/home/u/.ssh/config', opts);
  const r = c.resolve('root@web:2999');
  assert.equal(r.user, 'root');
  assert.equal(r.port, 2999);
  assert.equal(r.hostName, '10.0.0.5');
  assert.deepEqual(parseHostSpec('[::1]:22'), { user: undefined, host: '::1', port: '22' });
});

test('ssh config: a missing file is an empty config; bad values give one-line errors naming the cause', () => {
  assert.deepEqual(SshConfig.load('/nope', opts).hosts(), []);
  assert.throws(() => SshConfig.parse('Host x\n  Port banana\n', opts).resolve('x'), /bad Port "banana" for host x/);
  assert.throws(() => SshConfig.parse('Host\n', opts), /Host needs at least one pattern/);
  assert.throws(() => SshConfig.parse('Host x\n  HostName "unterminated\n', opts), /unterminated quote/);
  assert.throws(() => SshConfig.parse('Host a\n ProxyJump a\n', opts).resolve('a'), /longer than 8 hops/);
});

test('ssh config: UserKnownHostsFile (tokens, several files) and StrictHostKeyChecking', () => {
  const c = SshConfig.parse('Host a\n  UserKnownHostsFile ~/kh1 %d/kh2_%h\n  StrictHostKeyChecking accept-new\nHost b\n  StrictHostKeyChecking yes\nHost c\n  StrictHostKeyChecking no\n', opts);
  const a = c.resolve('a');
  assert.deepEqual(a.userKnownHostsFiles, ['/home/u/kh1', '/home/u/kh2_a']);
  assert.equal(a.strictHostKeyChecking, 'accept-new');
  assert.equal(c.resolve('b').strictHostKeyChecking, 'yes');
  // "no" never means "accept a CHANGED key" here: it only pins new ones without asking
  assert.equal(c.resolve('c').strictHostKeyChecking, 'accept-new');
  assert.equal(c.resolve('d').strictHostKeyChecking, 'ask');
  assert.equal(c.resolve('d').userKnownHostsFiles, undefined);
});

/** A config from `text` with an in-memory system file and a recorder for Match exec commands. */
function cfg(text: string, extra: { system?: string; exec?: (cmd: string) => boolean; files?: Record<string, string> } = {}): { c: SshConfig; ran: string[] } {
  const ran: string[] = [];
  const all: Record<string, string> = { ...files, ...(extra.files ?? {}), ...(extra.system !== undefined ? { '/etc/ssh/ssh_config': extra.system } : {}) };
  const o: SshConfigOptions = {
    ...opts,
    readFile: (f) => {
      if (!(f in all)) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return all[f];
    },
    readDir: (d) => Object.keys(all).filter((f) => f.startsWith(d + '/')).map((f) => f.slice(d.length + 1)),
    systemFile: '/etc/ssh/ssh_config',
    runExec: (cmd) => {
      ran.push(cmd);
      return extra.exec ? extra.exec(cmd) : true;
    },
  };
  return { c: SshConfig.parse(text, o, '/home/u/.ssh/config'), ran };
}

test('ssh config: Match host / originalhost / user / localuser / all, in file order with the values obtained so far', () => {
  const { c } = cfg(`
Host box
  HostName Box.Example.ORG
Match host *.example.org user root
  Port 2201
Match host *.example.org
  Port 2202
Match originalhost box !localuser me
  User never
Match originalhost box localuser me
  IdentityFile ~/.ssh/box_key
Match all
  User fallback
`);
  const r = c.resolve('root@box');
  assert.equal(r.hostName, 'box.example.org'); // lower-cased like OpenSSH
  assert.equal(r.port, 2201);
  assert.deepEqual(r.identityFiles, ['/home/u/.ssh/box_key']);
  const d = c.resolve('box');
  assert.equal(d.port, 2202); // user is "me" (local) until a User line says otherwise
  assert.equal(d.user, 'fallback');
  assert.equal(c.resolve('other').port, 22);
});

test('ssh config: Match exec runs the command with tokens, only when the earlier criteria matched; negation works', () => {
  const { c, ran } = cfg(`
Host h1
  HostName 10.1.1.1
  User alice
Match host nothing exec "never-run %h"
  Port 1
Match exec "probe %h %p %r %n %u %%"
  Port 2
Match !exec "false-thing"
  IdentityFile /k/%h
`, { exec: (cmd) => !cmd.startsWith('false') });
  const r = c.resolve('h1');
  assert.equal(r.port, 2);
  assert.deepEqual(ran, ['probe 10.1.1.1 22 alice h1 me %', 'false-thing']);
  assert.deepEqual(r.identityFiles, ['/k/10.1.1.1']);
  assert.throws(() => cfg('Match exec "x %Z"\n  Port 3\n').c.resolve('a'), /config:1: Match exec token %Z is not supported/);
});

test('ssh config: an unsupported Match criterion is one error naming it, unless an earlier criterion already failed', () => {
  const text = 'Match host web address 10.0.0.0/8\n  Port 2200\n';
  assert.throws(() => cfg(text).c.resolve('web'), (e: Error) => /\/home\/u\/\.ssh\/config:1: Match address is not supported \(supported: all, canonical, final, exec, host/.test(e.message) && !e.message.includes('\n'));
  assert.equal(cfg(text).c.resolve('db').port, 22);
  assert.throws(() => cfg('Match tagged x\n').c.resolve('a'), /Match tagged is not supported/);
  assert.throws(() => cfg('Match all host x\n'), /Match all cannot be combined/);
  assert.throws(() => cfg('Match host\n'), /Match host needs an argument/);
  assert.throws(() => cfg('Match\n'), /Match needs at least one criterion/);
});

test('ssh config: Match final / canonical apply in a second pass, where Host lines see the HostName', () => {
  const { c } = cfg(`
Host short
  HostName Long.Example.COM
Match final host long.example.com
  User finaluser
Match canonical
  Port 2022
Host long.example.com
  IdentityFile /k/long
`);
  const r = c.resolve('short');
  assert.equal(r.user, 'finaluser');
  assert.equal(r.port, 2022);
  assert.deepEqual(r.identityFiles, ['/k/long']);
  // without "Match final" there is no second pass
  assert.equal(cfg('Host s\n  HostName x\nMatch canonical\n  Port 9\n').c.resolve('s').port, 22);
  assert.throws(() => cfg('Host s\n  CanonicalizeHostname yes\n  CanonicalDomains example.com\n').c.resolve('s'), /config:2: CanonicalizeHostname yes with CanonicalDomains \(example\.com\) is not supported/);
  // CanonicalizeHostname without domains changes no name but re-reads the config like OpenSSH
  assert.equal(cfg('Host s\n  CanonicalizeHostname yes\nMatch canonical\n  Port 7\n').c.resolve('s').port, 7);
});

test('ssh config: /etc/ssh/ssh_config is read after the user file; the first obtained value wins; its hosts are not listed', () => {
  const { c } = cfg('Host web\n  User mine\n', {
    system: 'Include ssh_config.d/*.conf\nHost *\n  User sysuser\n  Port 2222\n  HashKnownHosts yes\nHost sysonly\n  HostName sys.example\n',
    files: { '/etc/ssh/ssh_config.d/a.conf': 'Host web\n  ServerAliveInterval 7\n' },
  });
  const w = c.resolve('web');
  assert.equal(w.user, 'mine');
  assert.equal(w.port, 2222);
  assert.equal(w.hashKnownHosts, true);
  assert.equal(w.serverAliveIntervalMs, 7000); // relative Include in the system file: under /etc/ssh
  assert.equal(c.resolve('sysonly').hostName, 'sys.example');
  assert.deepEqual(c.hosts(), ['web']);
  assert.equal(cfg('Host a\n').c.resolve('a').hashKnownHosts, false);
  assert.throws(() => cfg('', { system: 'Include ~/x\n' }), /may not start with ~ in the system file/);
  // the default system file can be replaced (tests) or switched off
  const prev = process.env.KWITNESS_SYSTEM_SSH_CONFIG;
  try {
    process.env.KWITNESS_SYSTEM_SSH_CONFIG = 'none';
    assert.equal(SshConfig.parse('', { ...opts, readFile: () => 'Host *\n  Port 9\n' }).resolve('x').port, 22);
    process.env.KWITNESS_SYSTEM_SSH_CONFIG = '/some/sys';
    assert.equal(SshConfig.parse('', { ...opts, readFile: (f) => (f === '/some/sys' ? 'Host *\n  Port 9\n' : '') }).resolve('x').port, 9);
  } finally {
    if (prev === undefined) delete process.env.KWITNESS_SYSTEM_SSH_CONFIG;
    else process.env.KWITNESS_SYSTEM_SSH_CONFIG = prev;
  }
});

test('ssh config: an Include inside a Host block applies only to that host, even its own Host blocks', () => {
  const { c } = cfg('Host a\n  Include inc.conf\nHost *\n  User dflt\n', { files: { '/home/u/.ssh/inc.conf': 'Port 2001\nHost *\n  User fromInclude\n' } });
  assert.equal(c.resolve('a').port, 2001);
  assert.equal(c.resolve('a').user, 'fromInclude');
  assert.equal(c.resolve('b').port, 22);
  assert.equal(c.resolve('b').user, 'dflt');
});

test('ssh config: ProxyCommand with %h %p %r %n %% expanded; none = direct; the first of ProxyJump/ProxyCommand wins', () => {
  const { c } = cfg(`
Host pc
  HostName Target.Example
  User bob
  Port 2200
  ProxyCommand nc -X connect -x proxy:3128 %h %p # r=%r n=%n 100%%
Host pc-none
  ProxyCommand none
Host jump-first
  ProxyJump bastion
  ProxyCommand nc %h %p
Host cmd-first
  ProxyCommand nc %h %p
  ProxyJump bastion
Host *
  ProxyCommand ssh -W %h:%p gateway
`);
  assert.equal(c.resolve('pc').proxyCommand, 'nc -X connect -x proxy:3128 target.example 2200 # r=bob n=pc 100%');
  assert.equal(c.resolve('pc-none').proxyCommand, undefined);
  assert.equal(c.resolve('pc-none').proxyJump.length, 0);
  assert.equal(c.resolve('jump-first').proxyCommand, undefined);
  assert.equal(c.resolve('jump-first').proxyJump[0].alias, 'bastion');
  assert.equal(c.resolve('cmd-first').proxyCommand, 'nc cmd-first 22');
  assert.equal(c.resolve('cmd-first').proxyJump.length, 0);
  assert.equal(c.resolve('other').proxyCommand, 'ssh -W other:22 gateway');
  assert.throws(() => cfg('Host x\n  ProxyCommand nc %h %k\n').c.resolve('x'), /config:2: ProxyCommand token %k is not supported/);
  assert.throws(() => cfg('Host x\n  ProxyCommand -\n').c.resolve('x'), /ProxyCommand - .* is not supported/);
  assert.throws(() => cfg('Host x\n  ProxyCommand nc %h %p\n  ProxyUseFdpass yes\n').c.resolve('x'), /config:3: ProxyUseFdpass yes is not supported/);
});

test('ssh config: CertificateFile is one clear error (ssh2 cannot use user certificates), never silently ignored', () => {
  assert.throws(
    () => cfg('Host x\n  IdentityFile ~/.ssh/id\n  CertificateFile ~/.ssh/id-cert.pub\n').c.resolve('x'),
    (e: Error) => /^\/home\/u\/\.ssh\/config:3: CertificateFile ~\/\.ssh\/id-cert\.pub is set for x, but ssh2, .* cannot sign in with user certificates/.test(e.message) && !e.message.includes('\n'),
  );
});

test('ssh config: names are lower-cased like OpenSSH (HostName, HostKeyAlias); Host patterns match the name as typed', () => {
  const { c } = cfg('Host Web\n  HostName WEB.Example.Org\n  HostKeyAlias MyAlias\nHost web\n  Port 2\n');
  const r = c.resolve('Web');
  assert.equal(r.hostName, 'web.example.org');
  assert.equal(r.hostKeyAlias, 'myalias');
  assert.equal(r.port, 22); // "Host web" does not match "Web" (OpenSSH matches Host case-sensitively)
  assert.equal(c.resolve('web').port, 2);
  assert.equal(c.resolve('UPPER.example').hostName, 'upper.example');
});

test('ssh config: GlobalKnownHostsFile and HashKnownHosts', () => {
  const { c } = cfg('Host a\n  GlobalKnownHostsFile /etc/kh1 %d/kh2\n  HashKnownHosts yes\n');
  assert.deepEqual(c.resolve('a').globalKnownHostsFiles, ['/etc/kh1', '/home/u/kh2']);
  assert.equal(c.resolve('a').hashKnownHosts, true);
  assert.equal(c.resolve('b').globalKnownHostsFiles, undefined);
});
