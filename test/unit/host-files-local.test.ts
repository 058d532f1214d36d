// The file rules of src/core/host (file-policy.ts, local-files.ts, remote-files.ts) on This
// Machine's real file system: links followed, only regular files opened (a FIFO is never opened,
// /dev/zero never read), the size cap, unknown hosts refused. The same rules over a real sshd:
// test/ssh/files.test.ts.
import assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';

import { KIND_LETTER, describeKind, kindOfLetter, kindOfMode, type FileKind } from '../../src/core/file-kinds';
import { FileAccessError, checkReadable, maxReadBytes, readChunked, withTimeout } from '../../src/core/host/file-policy';
import { HostManager, HostPrompts, LOCAL_HOST } from '../../src/core/host/host';

const prompts: HostPrompts = { confirmHostKey: async () => false, passphrase: async () => undefined, password: async () => undefined, sudoPassword: async () => undefined };
const MB = 1024 * 1024;

let dir: string;
let m: HostManager;
let capMB = 1;
const b = (p: string) => Buffer.from(p);

function code(c: string, re?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof FileAccessError, `not a FileAccessError: ${String(e)}`);
    assert.equal(e.code, c, e.message);
    if (re) assert.match(e.message, re);
    return true;
  };
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kw-files-'));
  m = new HostManager({ sshConfigFile: path.join(dir, 'no-config'), agentDir: dir, prompts, log: () => undefined, includeLocal: true, maxFileReadMB: () => capMB });
});

after(() => {
  m.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('file kinds: every S_IFMT from real files, ls letters both ways, words for messages', () => {
  cp.execFileSync('mkfifo', [path.join(dir, 'kinds-fifo')]);
  const seen: Record<string, FileKind> = {
    '/etc/hostname': kindOfMode(fs.statSync('/etc/hostname').mode),
    '/tmp': kindOfMode(fs.statSync('/tmp').mode),
    '/dev/zero': kindOfMode(fs.statSync('/dev/zero').mode),
    fifo: kindOfMode(fs.statSync(path.join(dir, 'kinds-fifo')).mode),
    '/proc/self': kindOfMode(fs.lstatSync('/proc/self').mode),
  };
  assert.deepEqual(seen, { '/etc/hostname': 'file', '/tmp': 'dir', '/dev/zero': 'char-device', fifo: 'fifo', '/proc/self': 'symlink' });
  assert.equal(kindOfMode(0o140755), 'socket');
  assert.equal(kindOfMode(0o060660), 'block-device');
  assert.equal(kindOfMode(0), 'other');
  for (const [kind, letter] of Object.entries(KIND_LETTER)) assert.equal(kindOfLetter(letter), kind);
  assert.equal(kindOfLetter('x'), 'other');
  assert.equal(describeKind('char-device'), 'a character device');
  assert.equal(describeKind('fifo'), 'a FIFO (named pipe)');
});

test('checkReadable: one line naming the path, the kind or the size, and the setting', () => {
  assert.throws(() => checkReadable('h: "/p"', 'fifo', 0, MB), code('ENOTREG', /^h: "\/p" is a FIFO \(named pipe\); only regular files are opened$/));
  assert.throws(() => checkReadable('h: "/d"', 'dir', 0, MB), code('EISDIR'));
  assert.throws(
    () => checkReadable('h: "/big"', 'file', 3 * MB + MB / 2, 2 * MB),
    code('EFBIG', /^h: "\/big" is 3\.5 MB, more than the 2 MB that kwitness\.maxFileReadMB allows; raise that setting to open it$/),
  );
  checkReadable('h: "/ok"', 'file', MB, MB);
  assert.equal(maxReadBytes(undefined), 50 * MB);
  assert.equal(maxReadBytes(-3), 50 * MB);
  assert.equal(maxReadBytes(0.5), MB / 2);
});

test('readChunked: reads exactly the size, in order, with short reads; a file that shrank ends at its end', async () => {
  const src = Buffer.from(Array.from({ length: 1_000_003 }, (_, i) => (i * 7) & 0xff));
  let calls = 0;
  const short = await readChunked(src.length, async (pos, buf, off, len) => {
    calls++;
    const n = Math.min(len, 100_000, src.length - pos); // never more than 100 kB per answer
    src.copy(buf, off, pos, pos + n);
    return n;
  });
  assert.ok(short.equals(src));
  assert.ok(calls >= 11);
  const shrunk = await readChunked(src.length, async (pos, buf, off, len) => {
    const n = Math.max(0, Math.min(len, 300_000 - pos));
    src.copy(buf, off, pos, pos + n);
    return n;
  });
  assert.ok(shrunk.equals(src.subarray(0, 300_000)));
  assert.equal((await readChunked(0, async () => assert.fail('a 0-byte file is not read'))).length, 0);
});

test('withTimeout: a promise that never settles rejects with ETIMEDOUT after the cleanup ran', async () => {
  let cleaned = false;
  await assert.rejects(
    withTimeout(new Promise(() => undefined), 50, () => 'stuck: no answer', () => (cleaned = true)),
    code('ETIMEDOUT', /^stuck: no answer$/),
  );
  assert.ok(cleaned);
  assert.equal(await withTimeout(Promise.resolve(7), 50, () => 'never'), 7);
});

test('This Machine: a file and a link to it read exactly; stat follows the link and says it is one', async () => {
  const f = path.join(dir, 'plain.txt');
  fs.writeFileSync(f, 'plain bytes\n');
  fs.symlinkSync(f, path.join(dir, 'link-to-plain'));
  fs.symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'dangling'));
  const st = await m.stat(LOCAL_HOST, b(f));
  assert.deepEqual([st.type, st.symlink, st.size], ['file', false, 12]);
  const lst = await m.stat(LOCAL_HOST, b(path.join(dir, 'link-to-plain')));
  assert.deepEqual([lst.type, lst.symlink, lst.size], ['file', true, 12]);
  assert.equal(Buffer.from(await m.readFile(LOCAL_HOST, b(path.join(dir, 'link-to-plain')))).toString(), 'plain bytes\n');
  const dst = await m.stat(LOCAL_HOST, b(path.join(dir, 'dangling')));
  assert.deepEqual([dst.type, dst.symlink], ['symlink', true]);
  await assert.rejects(m.readFile(LOCAL_HOST, b(path.join(dir, 'dangling'))), code('ENOTREG', /is a symbolic link/));
  await assert.rejects(m.readFile(LOCAL_HOST, b(path.join(dir, 'missing'))), code('ENOENT'));
  await assert.rejects(m.readFile(LOCAL_HOST, b(dir)), code('EISDIR'));
});

test('This Machine: a link to /dev/zero is a link to a character device and is never read', async () => {
  const z = path.join(dir, 'zero-link');
  fs.symlinkSync('/dev/zero', z);
  const st = await m.stat(LOCAL_HOST, b(z));
  assert.deepEqual([st.type, st.symlink], ['char-device', true]);
  await assert.rejects(m.readFile(LOCAL_HOST, b(z)), code('ENOTREG', /zero-link" is a character device; only regular files are opened/));
  await assert.rejects(m.readFile(LOCAL_HOST, b('/dev/zero')), code('ENOTREG', /character device/));
});

test('This Machine: a FIFO is refused without being opened (no reader ever appears on it)', async () => {
  const fifo = path.join(dir, 'pipe');
  cp.execFileSync('mkfifo', [fifo]);
  await assert.rejects(m.readFile(LOCAL_HOST, b(fifo)), code('ENOTREG', /pipe" is a FIFO \(named pipe\)/));
  // A writer that does not wait gets ENXIO exactly when nobody has the FIFO open for reading.
  assert.throws(() => fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK), (e: NodeJS.ErrnoException) => e.code === 'ENXIO');
  const entries = await m.readDirectory(LOCAL_HOST, b(dir));
  assert.equal(entries.find((e) => Buffer.from(e.name).toString() === 'pipe')?.type, 'fifo');
});

test('This Machine: a file over kwitness.maxFileReadMB is refused naming both sizes; raising the cap reads it exactly', async () => {
  const big = path.join(dir, 'big.bin');
  const data = Buffer.alloc(MB + MB / 2);
  for (let i = 0; i < data.length; i += 4096) data.writeUInt32LE(i, i);
  fs.writeFileSync(big, data);
  capMB = 1;
  await assert.rejects(m.readFile(LOCAL_HOST, b(big)), code('EFBIG', /big\.bin" is 1\.5 MB, more than the 1 MB that kwitness\.maxFileReadMB allows/));
  capMB = 2;
  assert.ok(Buffer.from(await m.readFile(LOCAL_HOST, b(big))).equals(data));
  capMB = 1;
});

test('hosts nobody added are refused before any I/O, whatever kind the caller claims', async () => {
  for (const host of [{ id: 'evil', label: 'evil', kind: 'local' as const }, { id: 'root@127.0.0.1:1', label: 'x', kind: 'ssh' as const }]) {
    await assert.rejects(m.readFile(host, b('/etc/hostname')), code('EUNKNOWNHOST', /is not one of your hosts/));
    await assert.rejects(m.stat(host, b('/etc/hostname')), code('EUNKNOWNHOST'));
    await assert.rejects(m.readDirectory(host, b('/')), code('EUNKNOWNHOST'));
    assert.equal(m.existing(host.id), undefined, 'a connection object was made for an unknown host');
  }
  const noLocal = new HostManager({ sshConfigFile: path.join(dir, 'no-config'), agentDir: dir, prompts, log: () => undefined, includeLocal: false });
  await assert.rejects(noLocal.readFile(LOCAL_HOST, b('/etc/hostname')), code('EUNKNOWNHOST'));
  noLocal.dispose();
});
