// Reading a target's files (HostFiles of src/core/host/remote-files.ts) over a REAL OpenSSH sshd
// on 127.0.0.1, as a login user whose sudo needs a password: a path is named by whoever can
// create files on the target, so a link to /dev/zero, a FIFO, a socket or a huge file must fail
// with one clear line, leave the connection usable, and never ask for the sudo password.
// Also: a host nobody added is never dialled; a stuck SFTP request ends at the deadline.
import assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { FileAccessError } from '../../src/core/host/file-policy';
import { HostManager, HostPrompts } from '../../src/core/host/host';
import { SshRunner } from '../../src/core/host/runner';
import { knownHostsName } from '../../src/core/ssh/known-hosts';
import type { HostRef } from '../../src/core/trace-api';
import { Sshd, freePort, keygen, makeUser, removeUser, tempDir } from './harness';

const USER = 'kwt-files';
const MB = 1024 * 1024;

let dir: string;
let files: string; // the directory the target's "other users" fill
let sshd: Sshd;
let sshConfig: string;
let knownHosts: string;
let capMB = 1;
const sudoAsked: string[] = [];
const prompts: HostPrompts = {
  confirmHostKey: async () => false,
  passphrase: async () => undefined,
  password: async () => undefined,
  sudoPassword: async (host) => {
    sudoAsked.push(host);
    return undefined;
  },
};
const managers: HostManager[] = [];

function manager(extra: { fileTimeoutMs?: number } = {}): HostManager {
  const m = new HostManager({
    sshConfigFile: sshConfig,
    knownHostsFile: knownHosts,
    agentDir: dir,
    prompts,
    log: () => undefined,
    timeoutMs: 15000,
    includeLocal: false,
    maxFileReadMB: () => capMB,
    ...extra,
  });
  managers.push(m);
  return m;
}

const b = (p: string) => Buffer.from(p);
const at = (name: string) => path.join(files, name);
const nonUtf8 = (name: string) => Buffer.concat([b(files + '/'), Buffer.from([0xff, 0xfe]), b(name)]);

function rejectsWith(code: string, re?: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof FileAccessError, `not a FileAccessError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), 'one-line message');
    return true;
  };
}

/** True when nobody has the FIFO open for reading (a non-blocking writer gets ENXIO exactly then). */
function fifoHasNoReader(p: Buffer | string): boolean {
  try {
    fs.closeSync(fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    return false;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENXIO') return true;
    throw e;
  }
}

let target: HostRef;
let m: HostManager;

before(async () => {
  dir = tempDir('kw-files-');
  fs.chmodSync(dir, 0o755);
  sshd = await Sshd.start(dir, 'target');
  const pub = keygen(path.join(dir, 'id_plain'));
  makeUser(USER, path.join(dir, 'home'), 'password', 'kw-files-pw-1234');
  sshd.authorize(USER, pub);
  sshConfig = path.join(dir, 'ssh_config');
  fs.writeFileSync(sshConfig, ['Host t-files', '  HostName 127.0.0.1', `  Port ${sshd.port}`, `  User ${USER}`, `  IdentityFile ${dir}/id_plain`, '  IdentitiesOnly yes', ''].join('\n'));
  knownHosts = path.join(dir, 'known_hosts');
  const [type, key] = fs.readFileSync(path.join(sshd.dir, 'host_ed25519.pub'), 'utf8').trim().split(/\s+/);
  fs.writeFileSync(knownHosts, `${knownHostsName('127.0.0.1', sshd.port)} ${type} ${key}\n`);

  // What another user of the target leaves lying around (made by root, readable by USER).
  files = path.join(dir, 'files');
  fs.mkdirSync(files, { mode: 0o755 });
  fs.writeFileSync(at('plain.txt'), 'plain text on the target\n');
  fs.symlinkSync(at('plain.txt'), at('link-to-plain'));
  fs.symlinkSync('/dev/zero', at('zero-link'));
  cp.execFileSync('mkfifo', ['-m', '0644', at('pipe')]);
  for (const name of ['big.bin', 'at-cap.bin']) {
    const data = Buffer.alloc(name === 'big.bin' ? MB + MB / 2 : MB);
    for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
    fs.writeFileSync(at(name), data);
  }
  fs.symlinkSync('/dev/zero', nonUtf8('zero-link'));
  cp.execFileSync('sh', ['-c', 'mkfifo -m 0644 "$1/$(printf "\\377\\376")pipe"', 'sh', files]); // argv strings would become UTF-8
  fs.copyFileSync(at('big.bin'), nonUtf8('big.bin'));
  fs.writeFileSync(nonUtf8('plain.txt'), 'bytes under a name that is not UTF-8\n');

  m = manager();
  target = m.ref('t-files');
  assert.equal(target.kind, 'ssh');
});

after(async () => {
  for (const x of managers) x.dispose();
  await sshd?.stop();
  removeUser(USER);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('files on an ssh target', () => {
  test('a file and a link to it read exactly; stat follows the link and says it is one; no sudo prompt', async () => {
    const st = await m.stat(target, b(at('plain.txt')));
    assert.deepEqual([st.type, st.symlink, st.size], ['file', false, 25]);
    const lst = await m.stat(target, b(at('link-to-plain')));
    assert.deepEqual([lst.type, lst.symlink, lst.size], ['file', true, 25]);
    assert.equal(Buffer.from(await m.readFile(target, b(at('link-to-plain')))).toString(), 'plain text on the target\n');
    assert.equal(Buffer.from(await m.readFile(target, b(at('plain.txt')))).toString(), 'plain text on the target\n');
    // Reading needs the login connection only: no privilege detection, so no sudo prompt.
    assert.deepEqual(sudoAsked, []);
    assert.equal(m.get(target).state.kind, 'idle', 'reading a file ran the connect/privilege steps');
  });

  test('a link to /dev/zero: stat says a link to a character device, readFile refuses it, the connection reads on', async () => {
    const st = await m.stat(target, b(at('zero-link')));
    assert.deepEqual([st.type, st.symlink], ['char-device', true]);
    await assert.rejects(m.readFile(target, b(at('zero-link'))), rejectsWith('ENOTREG', /^t-files: ".*\/zero-link" is a character device; only regular files are opened$/));
    await assert.rejects(m.readFile(target, b('/dev/zero')), rejectsWith('ENOTREG', /character device/));
    assert.ok(process.memoryUsage().rss < 1024 * MB, 'the test process grew past 1 GiB');
    assert.equal(Buffer.from(await m.readFile(target, b(at('plain.txt')))).toString(), 'plain text on the target\n');
  });

  test('a FIFO is refused without ever being opened; the next read on the same connection works at once', async () => {
    await assert.rejects(m.readFile(target, b(at('pipe'))), rejectsWith('ENOTREG', /pipe" is a FIFO \(named pipe\)/));
    assert.ok(fifoHasNoReader(at('pipe')), 'sftp-server has the FIFO open: it was opened');
    assert.equal(Buffer.from(await m.readFile(target, b(at('plain.txt')))).toString(), 'plain text on the target\n');
  });

  test('a unix socket is refused naming it', async () => {
    const sock = at('app.sock');
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      fs.chmodSync(sock, 0o666);
      await assert.rejects(m.readFile(target, b(sock)), rejectsWith('ENOTREG', /app\.sock" is a socket/));
    } finally {
      server.close();
    }
  });

  test('a file over kwitness.maxFileReadMB is refused naming its size and the cap; at the cap it reads exactly', async () => {
    capMB = 1;
    await assert.rejects(
      m.readFile(target, b(at('big.bin'))),
      rejectsWith('EFBIG', /big\.bin" is 1\.5 MB, more than the 1 MB that kwitness\.maxFileReadMB allows; raise that setting to open it$/),
    );
    assert.ok(Buffer.from(await m.readFile(target, b(at('at-cap.bin')))).equals(fs.readFileSync(at('at-cap.bin'))));
    capMB = 2;
    assert.ok(Buffer.from(await m.readFile(target, b(at('big.bin')))).equals(fs.readFileSync(at('big.bin'))));
    capMB = 1;
  });

  test('names that are not UTF-8 (read through the shell) follow the same rules', async () => {
    const st = await m.stat(target, nonUtf8('zero-link'));
    assert.deepEqual([st.type, st.symlink], ['char-device', true]);
    await assert.rejects(m.readFile(target, nonUtf8('zero-link')), rejectsWith('ENOTREG', /character device/));
    await assert.rejects(m.readFile(target, nonUtf8('pipe')), rejectsWith('ENOTREG', /FIFO/));
    assert.ok(fifoHasNoReader(nonUtf8('pipe')), 'the shell opened the FIFO');
    await assert.rejects(m.readFile(target, nonUtf8('big.bin')), rejectsWith('EFBIG', /1\.5 MB, more than the 1 MB/));
    assert.equal(Buffer.from(await m.readFile(target, nonUtf8('plain.txt'))).toString(), 'bytes under a name that is not UTF-8\n');
    const kinds = new Map((await m.readDirectory(target, b(files))).map((e) => [Buffer.from(e.name).toString('latin1'), e.type]));
    assert.equal(kinds.get('\xff\xfepipe'), 'fifo');
    assert.equal(kinds.get('\xff\xfezero-link'), 'symlink');
    assert.equal(kinds.get('pipe'), 'fifo');
    assert.equal(kinds.get('plain.txt'), 'file');
    assert.deepEqual(sudoAsked, []);
  });

  test('a host nobody added (user@host:port, any user or port) is refused without a TCP connection', async () => {
    const port = await freePort();
    let accepted = 0;
    const server = net.createServer((s) => {
      accepted++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    try {
      for (const id of [`${USER}@127.0.0.1:${port}`, `root@127.0.0.1:${port}`, `127.0.0.1:${port}`, `root@127.0.0.1:${sshd.port}`]) {
        const host: HostRef = { id, label: id, kind: 'ssh' };
        await assert.rejects(m.readFile(host, b('/etc/passwd')), rejectsWith('EUNKNOWNHOST', /is not one of your hosts \(This Machine, ~\/\.ssh\/config, kwitness\.hosts\); add it with Add Host/));
        await assert.rejects(m.stat(host, b('/etc/passwd')), rejectsWith('EUNKNOWNHOST'));
        await assert.rejects(m.readDirectory(host, b('/')), rejectsWith('EUNKNOWNHOST'));
        assert.equal(m.existing(id), undefined);
      }
      assert.equal(accepted, 0, 'a TCP connection was made to a host nobody added');
    } finally {
      server.close();
    }
  });

  test('an SFTP request that never gets an answer ends at the deadline; the next read gets a fresh session', async () => {
    const quick = manager({ fileTimeoutMs: 2000 });
    const host = quick.ref('t-files');
    const runner = await quick.get(host).login();
    assert.ok(runner instanceof SshRunner);
    // Block the target's sftp-server the way a FIFO would if it were opened: it answers one
    // request at a time, so everything queued behind this open() waits for a writer.
    const sftp = await runner.conn.sftp();
    cp.execFileSync('mkfifo', ['-m', '0644', at('stuck-pipe')]);
    sftp.open(at('stuck-pipe'), 'r', () => undefined);
    try {
      await assert.rejects(quick.readFile(host, b(at('plain.txt'))), rejectsWith('ETIMEDOUT', /plain\.txt": SFTP lstat got no answer within 2 s; the SFTP session was closed/));
      assert.equal(Buffer.from(await quick.readFile(host, b(at('plain.txt')))).toString(), 'plain text on the target\n');
      assert.notEqual(await runner.conn.sftp(), sftp, 'the stuck session is still handed out');
    } finally {
      fifoHasNoReader(at('stuck-pipe')); // a writer completes the stuck open(): the old sftp-server may go
    }
  });
});
