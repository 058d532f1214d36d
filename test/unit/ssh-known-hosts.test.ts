import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';

import { KnownHosts, fingerprintSha256, hostFieldMatches, keyTypeOfBlob, knownHostsName } from '../../src/core/ssh/known-hosts';

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
