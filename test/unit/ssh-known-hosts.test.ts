import assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { orderHostKeyAlgorithms } from '../../src/core/ssh/connection';
import { hostCertificateProblem, parseHostCertificate } from '../../src/core/ssh/host-certificate';
import { KnownHosts, fingerprintSha256, hashHostName, hostFieldMatches, keyTypeOfBlob, knownHostsName } from '../../src/core/ssh/known-hosts';
import { HOST_CERT_ALGORITHMS } from '../../src/core/ssh/ssh2-host-certs';

function blob(type: string, seed: string): Buffer {
  const t = Buffer.from(type);
  const k = crypto.createHash('sha256').update(seed).digest();
  const b = Buffer.alloc(4 + t.length + 4 + k.length);
  b.writeUInt32BE(t.length, 0);
  t.copy(b, 4);
  b.writeUInt32BE(k.length, 4 + t.length);
  k.copy(b, 8 + t.length);
  return b;
}

function hashed(name: string): string {
  const salt = crypto.randomBytes(20);
  return `|1|${salt.toString('base64')}|${crypto.createHmac('sha1', salt).update(name).digest('base64')}`;
}

test('known_hosts: names, fingerprints and key types', () => {
  assert.equal(knownHostsName('h', 22), 'h');
  assert.equal(knownHostsName('h', 2222), '[h]:2222');
  const b = blob('ssh-ed25519', 'a');
  assert.equal(keyTypeOfBlob(b), 'ssh-ed25519');
  assert.match(fingerprintSha256(b), /^SHA256:[A-Za-z0-9+/]{43}$/);
});

test('known_hosts: plain, pattern, negated and hashed host fields', () => {
  assert.ok(hostFieldMatches('a,b,[c]:2222', '[c]:2222'));
  assert.ok(!hostFieldMatches('a,b', 'c'));
  assert.ok(hostFieldMatches('*.example.org,!bad.example.org', 'x.example.org'));
  assert.ok(!hostFieldMatches('*.example.org,!bad.example.org', 'bad.example.org'));
  assert.ok(hostFieldMatches(hashed('[127.0.0.1]:2022'), '[127.0.0.1]:2022'));
  assert.ok(!hostFieldMatches(hashed('[127.0.0.1]:2022'), '[127.0.0.1]:2023'));
});

test('known_hosts: known, unknown, changed, revoked; append pins with [host]:port', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kw-kh-'));
  try {
    const file = path.join(dir, 'sub', 'known_hosts');
    const kh = new KnownHosts(file);
    const k1 = blob('ssh-ed25519', 'one');
    const k2 = blob('ssh-ed25519', 'two');
    const k3 = blob('ecdsa-sha2-nistp256', 'three');
    assert.deepEqual(kh.verify('127.0.0.1', 2022, k1), { kind: 'unknown', otherTypes: [] });
    kh.append('127.0.0.1', 2022, k1);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.match(fs.readFileSync(file, 'utf8'), /^\[127\.0\.0\.1\]:2022 ssh-ed25519 [A-Za-z0-9+/=]+\n$/);
    assert.deepEqual(kh.verify('127.0.0.1', 2022, k1), { kind: 'known' });
    const changed = kh.verify('127.0.0.1', 2022, k2);
    assert.equal(changed.kind, 'changed');
    assert.deepEqual(kh.verify('127.0.0.1', 2022, k3), { kind: 'unknown', otherTypes: ['ssh-ed25519'] });
    assert.deepEqual(kh.verify('127.0.0.1', 22, k1), { kind: 'unknown', otherTypes: [] });
    // hashed entry, marker lines, comments and junk
    fs.appendFileSync(file, `# comment\n${hashed('hashed.example')} ssh-ed25519 ${k2.toString('base64')}\n@cert-authority * ssh-ed25519 ${k1.toString('base64')}\n@revoked * ${'ecdsa-sha2-nistp256'} ${k3.toString('base64')}\njunk\n`);
    assert.deepEqual(kh.verify('hashed.example', 22, k2), { kind: 'known' });
    assert.equal(kh.verify('hashed.example', 22, k1).kind, 'changed');
    assert.equal(kh.verify('anything', 22, k3).kind, 'revoked');
    // @cert-authority lines are not host keys: k1 is still unknown for another host
    assert.equal(kh.verify('other', 22, k1).kind, 'unknown');
    // append adds the newline the file lacked
    fs.appendFileSync(file, 'x ssh-ed25519 AAAA');
    kh.append('new', 22, k1);
    assert.match(fs.readFileSync(file, 'utf8'), /AAAA\nnew ssh-ed25519 /);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('known_hosts: HashKnownHosts pins |1|salt|hash lines that match only that name; OpenSSH finds them', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kw-kh-'));
  try {
    const file = path.join(dir, 'known_hosts');
    const kh = new KnownHosts(file);
    const k = blob('ssh-ed25519', 'hashed');
    kh.appendName('[host.example]:2222', k, { hash: true });
    const text = fs.readFileSync(file, 'utf8');
    assert.match(text, /^\|1\|[A-Za-z0-9+/=]{28}\|[A-Za-z0-9+/=]{28} ssh-ed25519 [A-Za-z0-9+/=]+\n$/);
    assert.ok(!text.includes('host.example'));
    assert.deepEqual(kh.verifyName('[host.example]:2222', k, 'host.example'), { kind: 'known' });
    assert.equal(kh.verifyName('host.example', k, 'host.example').kind, 'unknown');
    assert.match(hashHostName('x', Buffer.alloc(20)), /^\|1\|AAAAAAAAAAAAAAAAAAAAAAAAAAA=\|/);
    assert.deepEqual(kh.pinned('[host.example]:2222'), { keyTypes: ['ssh-ed25519'], certAuthority: false });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('host key algorithms: a CA puts certificate algorithms first, pinned types come before the others', () => {
  const base = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  assert.deepEqual(orderHostKeyAlgorithms({ keyTypes: [], certAuthority: false }, base), base);
  assert.deepEqual(orderHostKeyAlgorithms({ keyTypes: ['ssh-rsa'], certAuthority: false }, base), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519', 'ecdsa-sha2-nistp256']);
  assert.deepEqual(orderHostKeyAlgorithms({ keyTypes: ['ecdsa-sha2-nistp256'], certAuthority: true }, base).slice(0, 5), [...HOST_CERT_ALGORITHMS, 'ecdsa-sha2-nistp256']);
});

/** ssh-keygen made keys and certificates (real OpenSSH output, not hand-built blobs). */
function certFixture(dir: string): { ca: Record<string, Buffer>; host: Buffer; cert: (name: string, ca: string, args: string) => Buffer } {
  const sh = (c: string): string => cp.execSync(c, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const pub = (f: string): Buffer => Buffer.from(fs.readFileSync(path.join(dir, f), 'utf8').trim().split(/\s+/)[1], 'base64');
  for (const [n, t] of [['ca_ed', 'ed25519'], ['ca_ec', 'ecdsa'], ['ca_rsa', 'rsa'], ['ca_other', 'ed25519'], ['host', 'ed25519']]) sh(`ssh-keygen -q -t ${t} -N '' -f ${n}`);
  return {
    ca: { ed: pub('ca_ed.pub'), ec: pub('ca_ec.pub'), rsa: pub('ca_rsa.pub'), other: pub('ca_other.pub') },
    host: pub('host.pub'),
    cert: (name, ca, args) => {
      fs.copyFileSync(path.join(dir, 'host.pub'), path.join(dir, `${name}.pub`));
      sh(`ssh-keygen -q -s ${ca} -I ${name} ${args} ${name}.pub`);
      return pub(`${name}-cert.pub`);
    },
  };
}

test('host certificates: accepted for a listed CA, the right principal and time; refused otherwise, with the reason', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kw-cert-'));
  try {
    const f = certFixture(dir);
    const good = f.cert('good', 'ca_ed', '-h -n host.example,127.0.0.1 -V -5m:+1h');
    const byEc = f.cert('by_ec', 'ca_ec', '-h -n host.example -V -5m:+1h');
    const byRsa = f.cert('by_rsa', 'ca_rsa', '-h -n host.example -V -5m:+1h');
    const other = f.cert('other', 'ca_other', '-h -n host.example');
    const wrongName = f.cert('wrong_name', 'ca_ed', '-h -n elsewhere.example');
    const expired = f.cert('expired', 'ca_ed', '-h -n host.example -V 20200101:20200102');
    const userCert = f.cert('user', 'ca_ed', '-n host.example');
    const noPrincipals = f.cert('nop', 'ca_ed', '-h');

    const parsed = parseHostCertificate(good);
    assert.equal(parsed.certType, 'ssh-ed25519-cert-v01@openssh.com');
    assert.deepEqual(parsed.publicKey, f.host);
    assert.deepEqual(parsed.principals, ['host.example', '127.0.0.1']);
    assert.equal(parsed.signatureValid, true);
    assert.equal(parseHostCertificate(byRsa).signatureAlgorithm, 'rsa-sha2-512');
    for (const c of [byEc, byRsa]) assert.equal(parseHostCertificate(c).signatureValid, true);
    // one flipped bit in the signed part: the CA signature no longer verifies
    const tampered = Buffer.from(good);
    tampered[60] ^= 1;
    assert.match(hostCertificateProblem(parseHostCertificate(tampered), 'host.example', Date.now() / 1000)!, /CA signature .* does not verify/);
    assert.throws(() => parseHostCertificate(good.subarray(0, 50)), /malformed host certificate/);

    const file = path.join(dir, 'known_hosts');
    const b64 = (b: Buffer): string => b.toString('base64');
    fs.writeFileSync(file, [
      `@cert-authority *.example,[127.0.0.1]:* ssh-ed25519 ${b64(f.ca.ed)}`,
      `@cert-authority host.example ecdsa-sha2-nistp256 ${b64(f.ca.ec)}`,
      `@cert-authority host.example ssh-rsa ${b64(f.ca.rsa)}`,
      '',
    ].join('\n'));
    const kh = new KnownHosts(file);
    for (const c of [good, byEc, byRsa]) assert.equal(kh.verifyName('host.example', c, 'host.example').kind, 'known-by-ca');
    assert.equal(kh.verifyName('[127.0.0.1]:2222', good, '127.0.0.1').kind, 'known-by-ca');
    const bad = (c: Buffer, name = 'host.example', principal = 'host.example'): string => {
      const v = kh.verifyName(name, c, principal);
      assert.equal(v.kind, 'bad-certificate', JSON.stringify(v));
      return (v as { reason: string }).reason;
    };
    assert.match(bad(other), /^host certificate "other" rejected: its CA key \(SHA256:.*\) is not in an @cert-authority line for host\.example$/);
    assert.match(bad(wrongName), /"host\.example" is not one of its principals \(elsewhere\.example\)/);
    assert.match(bad(expired), /it expired \(valid until 2020-01-0/);
    assert.match(bad(userCert), /not a host certificate/);
    assert.match(bad(noPrincipals), /lists no principals/);
    // the CA is listed for *.example, not for this name
    assert.match(bad(good, 'host.other', 'host.other'), /not in an @cert-authority line for host\.other/);
    // valid window: not yet valid
    const later = f.cert('later', 'ca_ed', '-h -n host.example -V +1d:+2d');
    assert.match(bad(later), /not valid yet/);
    // a plain pin of the certified key still counts (OpenSSH falls back to it), a @revoked CA never does
    fs.appendFileSync(file, `host.example ssh-ed25519 ${b64(f.host)}\n`);
    assert.equal(kh.verifyName('host.example', other, 'host.example').kind, 'known');
    fs.appendFileSync(file, `@revoked * ssh-ed25519 ${b64(f.ca.ed)}\n`);
    assert.equal(kh.verifyName('host.example', good, 'host.example').kind, 'revoked');
    assert.deepEqual(kh.pinned('host.example'), { keyTypes: ['ssh-ed25519'], certAuthority: true });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
