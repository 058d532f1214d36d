import assert from 'node:assert/strict';
import { test } from 'node:test';

import { SshConfig, parseHostSpec } from '../../src/core/ssh/config';

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

test('ssh config: Match blocks other than "Match all" never apply', () => {
  const c = SshConfig.parse('Match exec "true"\n  User nope\nMatch all\n  Port 2022\n', opts);
  const r = c.resolve('h');
  assert.equal(r.user, 'me');
  assert.equal(r.port, 2022);
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
