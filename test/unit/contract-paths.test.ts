// Byte paths in kwitness:// URIs (exact round trip, inert display), parents, the listing shown for a
// deleted path, and kernel-symbol helpers of the panel host (src/panel/paths.ts, no vscode).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeUriPath, elixirUrl, encodeUriPath, goneListing, kallsymsCandidates, parentOf, utf8OrNull } from '../../src/panel/paths';

const b = (s: string, enc: BufferEncoding = 'utf8') => Uint8Array.from(Buffer.from(s, enc));

test('encodeUriPath keeps UTF-8 readable and round-trips any bytes exactly', () => {
  assert.equal(encodeUriPath(b('/home/ü/ファイル.txt')), '/home/ü/ファイル.txt');
  assert.equal(encodeUriPath(b('/tmp/a%20b')), '/tmp/a%2520b');
  assert.equal(encodeUriPath(b('/tmp/\xff\xfe', 'latin1')), '/tmp/%FF%FE');
  assert.equal(encodeUriPath(b('/tmp/a\nb\x1b[31m')), '/tmp/a%0Ab%1B[31m');
  assert.equal(encodeUriPath(b('/tmp/\u202Etxt.exe')), '/tmp/%E2%80%AEtxt.exe');
  assert.equal(encodeUriPath(b('/tmp/\xc0\xaf', 'latin1')), '/tmp/%C0%AF'); // overlong '/' is not UTF-8
  assert.equal(encodeUriPath(b('/tmp/\xed\xa0\x80', 'latin1')), '/tmp/%ED%A0%80'); // surrogate
  // Exhaustive round trip over every byte value, alone and in pairs with a high byte.
  for (let x = 1; x < 256; x++) {
    for (const bytes of [Uint8Array.of(0x2f, x), Uint8Array.of(0x2f, x, 0xe2, 0x82, 0xac), Uint8Array.of(0x2f, 0xe2, x)]) {
      assert.deepEqual(decodeUriPath(encodeUriPath(bytes)), bytes, `bytes ${[...bytes]}`);
    }
  }
});

test('utf8OrNull, parentOf', () => {
  assert.equal(utf8OrNull(b('/a/b')), '/a/b');
  assert.equal(utf8OrNull(b('/a/\xff', 'latin1')), null);
  assert.deepEqual(parentOf(b('/a/b/c.txt')), b('/a/b'));
  assert.deepEqual(parentOf(b('/a/b/')), b('/a'));
  assert.deepEqual(parentOf(b('/a')), b('/'));
  assert.deepEqual(parentOf(b('/')), b('/'));
});

test('the listing of a deleted path says it is gone and lists the directory inertly', () => {
  const text = goneListing('web1', b('/srv/app/config.yml'), b('/srv/app'), [
    { name: b('z.log'), type: 'file' }, { name: b('cache'), type: 'dir' }, { name: b('evil\nname\xff', 'latin1'), type: 'file' },
  ]);
  assert.equal(text, [
    '# /srv/app/config.yml is gone on web1: it was deleted or renamed.',
    '# /srv/app now holds 3 entries:',
    '',
    'd  cache/',
    '-  evil%0Aname%FF',
    '-  z.log',
    '',
  ].join('\n'));
});

test('kernel symbols: elixir links per release, kallsyms names per arch', () => {
  assert.equal(elixirUrl('6.1.0-13-amd64', 'vfs_unlink'), 'https://elixir.bootlin.com/linux/v6.1/A/ident/vfs_unlink');
  assert.equal(elixirUrl('6.18.0', 'sys_unlinkat'), 'https://elixir.bootlin.com/linux/v6.18/A/ident/sys_unlinkat');
  assert.equal(elixirUrl('', 'x'), null);
  assert.deepEqual(kallsymsCandidates('sys_unlinkat', 'x86_64').slice(0, 2), ['__x64_sys_unlinkat', '__arm64_sys_unlinkat']);
  assert.equal(kallsymsCandidates('sys_unlinkat', 'aarch64')[0], '__arm64_sys_unlinkat');
  assert.deepEqual(kallsymsCandidates('vfs_unlink', 'x86_64')[0], 'vfs_unlink');
});
