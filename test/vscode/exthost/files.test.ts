// The kwitness:// FileSystemProvider and the path links, against the REAL loopback sshd the
// suite started (host alias $KW_TEST_SSH_ALIAS from $KWITNESS_SSH_CONFIG) and This Machine.
// Files are made on the target with ssh(1), the way an unrelated process would, then read back
// through the extension.
import * as assert from 'assert';
import * as cp from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as vscode from 'vscode';
import { before, describe, it } from 'mocha';

const alias = process.env.KW_TEST_SSH_ALIAS ?? '';
const sshConfig = process.env.KWITNESS_SSH_CONFIG ?? '';
const dir = process.env.KW_TEST_TARGET_DIR ?? '';

/** Runs a shell command on the ssh test host through OpenSSH's client. */
function onTarget(cmd: string): string {
  return cp.execFileSync('ssh', ['-F', sshConfig, alias, cmd], { encoding: 'utf8', timeout: 20_000 });
}

function kwUri(host: string, absPath: string): vscode.Uri {
  return vscode.Uri.from({ scheme: 'kwitness', authority: host, path: absPath });
}

async function editorShowing(uri: vscode.Uri, timeoutMs = 10_000): Promise<vscode.TextEditor> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ed = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
    if (ed) return ed;
    if (Date.now() > deadline) {
      const open = vscode.window.visibleTextEditors.map((e) => e.document.uri.toString());
      throw new Error(`no editor shows ${uri.toString()} (visible: ${JSON.stringify(open)})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Asserts a rejection with a vscode.FileSystemError of `code` whose message matches `re`. */
async function rejectsFs(p: Thenable<unknown>, code: string, re: RegExp): Promise<void> {
  await assert.rejects(Promise.resolve(p), (e: unknown) => {
    assert.ok(e instanceof vscode.FileSystemError, `not a FileSystemError: ${String(e)}`);
    assert.strictEqual(e.code, code, e.message);
    assert.match(e.message, re);
    return true;
  });
}

describe('kwitness:// files on real targets', () => {
  before(async () => {
    assert.ok(alias && sshConfig && dir, 'KW_TEST_SSH_ALIAS, KWITNESS_SSH_CONFIG and KW_TEST_TARGET_DIR must be set by run.sh');
    await vscode.extensions.getExtension('kwitness.kwitness')?.activate();
  });

  it('reads a file on the ssh host over SFTP (workspace.fs)', async () => {
    const p = `${dir}/exthost-read-${process.pid}.txt`;
    const text = `written on the target by ssh at ${new Date().toISOString()}\n`;
    onTarget(`printf %s '${text.trim()}' > ${p} && echo >> ${p}`);
    const bytes = await vscode.workspace.fs.readFile(kwUri(alias, p));
    assert.strictEqual(Buffer.from(bytes).toString('utf8'), text);
    const st = await vscode.workspace.fs.stat(kwUri(alias, p));
    assert.strictEqual(st.type, vscode.FileType.File);
    assert.strictEqual(st.size, Buffer.byteLength(text));
  });

  it('lists a directory on the ssh host', async () => {
    const sub = `${dir}/exthost-list-${process.pid}`;
    onTarget(`mkdir -p ${sub}/inner && : > ${sub}/a.txt`);
    const entries = await vscode.workspace.fs.readDirectory(kwUri(alias, sub));
    const m = new Map(entries);
    assert.strictEqual(m.get('a.txt'), vscode.FileType.File);
    assert.strictEqual(m.get('inner'), vscode.FileType.Directory);
  });

  it('a missing path is FileNotFound, not a hang or a generic error', async () => {
    await assert.rejects(
      Promise.resolve(vscode.workspace.fs.stat(kwUri(alias, `${dir}/does-not-exist-${process.pid}`))),
      (e: unknown) => e instanceof vscode.FileSystemError && e.code === 'FileNotFound',
    );
  });

  it('reads a file on This Machine (host id local)', async () => {
    const bytes = await vscode.workspace.fs.readFile(kwUri('local', '/etc/hostname'));
    assert.strictEqual(Buffer.from(bytes).toString('utf8'), fs.readFileSync('/etc/hostname', 'utf8'));
  });

  it('kwitness.openPath opens a remote file: the editor shows its content from the target', async () => {
    const p = `${dir}/exthost-open-${process.pid}.txt`;
    onTarget(`echo 'content that lives only on the target' > ${p}`);
    const r = await vscode.commands.executeCommand<{ uri: string; gone: boolean }>('kwitness.openPath', alias, p);
    assert.ok(r, 'kwitness.openPath returned nothing (it showed an error)');
    assert.strictEqual(r.gone, false);
    const ed = await editorShowing(vscode.Uri.parse(r.uri));
    assert.strictEqual(ed.document.uri.scheme, 'kwitness');
    assert.strictEqual(ed.document.getText(), 'content that lives only on the target\n');
  });

  it('kwitness.openPath on a deleted path shows its parent directory as it is now', async () => {
    const sub = `${dir}/exthost-gone-${process.pid}`;
    onTarget(`mkdir -p ${sub} && echo x > ${sub}/deleted.txt && echo y > ${sub}/survivor.txt && rm ${sub}/deleted.txt`);
    const r = await vscode.commands.executeCommand<{ uri: string; gone: boolean }>('kwitness.openPath', { hostId: alias, pathB64: Buffer.from(`${sub}/deleted.txt`).toString('base64') });
    assert.ok(r, 'kwitness.openPath returned nothing');
    assert.strictEqual(r.gone, true);
    const uri = vscode.Uri.parse(r.uri);
    assert.strictEqual(uri.path, sub, 'the listing is not of the parent directory');
    const text = (await editorShowing(uri)).document.getText();
    assert.match(text, /deleted\.txt is gone on kw-loopback|deleted\.txt is gone/);
    assert.match(text, /survivor\.txt/);
    assert.doesNotMatch(text, /^-\s+deleted\.txt$/m);
  });

  it('a link to a file: stat is SymbolicLink|File with the target\'s size, reading gives the target', async () => {
    const p = `${dir}/exthost-link-${process.pid}`;
    onTarget(`echo linked > ${p}.txt && ln -sf ${p}.txt ${p}`);
    const st = await vscode.workspace.fs.stat(kwUri(alias, p));
    assert.strictEqual(st.type, vscode.FileType.SymbolicLink | vscode.FileType.File);
    assert.strictEqual(st.size, 7);
    assert.strictEqual(Buffer.from(await vscode.workspace.fs.readFile(kwUri(alias, p))).toString(), 'linked\n');
  });

  it('a link to /dev/zero: stat says a link to a non-file, reading and clicking fail with the kind named, the extension host lives on', async () => {
    const p = `${dir}/exthost-zero-${process.pid}`;
    onTarget(`ln -sf /dev/zero ${p}`);
    const st = await vscode.workspace.fs.stat(kwUri(alias, p));
    assert.strictEqual(st.type, vscode.FileType.SymbolicLink | vscode.FileType.Unknown);
    await rejectsFs(vscode.workspace.fs.readFile(kwUri(alias, p)), 'Unavailable', /is a character device; only regular files are opened/);
    // The click: kwitness.openPath shows the error instead of opening an editor.
    const r = await vscode.commands.executeCommand('kwitness.openPath', alias, p);
    assert.strictEqual(r, undefined);
    const after = await vscode.workspace.fs.readFile(kwUri('local', '/etc/hostname'));
    assert.strictEqual(Buffer.from(after).toString('utf8'), fs.readFileSync('/etc/hostname', 'utf8'));
    assert.ok(process.memoryUsage().rss < 2 * 1024 * 1024 * 1024, 'the extension host grew past 2 GiB');
  });

  it('a FIFO is refused without being opened; the next read on the same host works', async () => {
    const p = `${dir}/exthost-fifo-${process.pid}`;
    const ok = `${dir}/exthost-after-fifo-${process.pid}.txt`;
    onTarget(`rm -f ${p} && mkfifo ${p} && echo after > ${ok}`);
    await rejectsFs(vscode.workspace.fs.readFile(kwUri(alias, p)), 'Unavailable', /is a FIFO \(named pipe\)/);
    // no reader on it: a writer that does not wait gets ENXIO
    assert.throws(() => fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK), (e: NodeJS.ErrnoException) => e.code === 'ENXIO');
    assert.strictEqual(Buffer.from(await vscode.workspace.fs.readFile(kwUri(alias, ok))).toString(), 'after\n');
  });

  it('kwitness.maxFileReadMB caps reads, naming the size and the setting', async () => {
    const p = `${dir}/exthost-big-${process.pid}.bin`;
    onTarget(`head -c 2097152 /dev/urandom > ${p}`);
    const cfg = vscode.workspace.getConfiguration('kwitness');
    await cfg.update('maxFileReadMB', 1, vscode.ConfigurationTarget.Global);
    try {
      await rejectsFs(vscode.workspace.fs.readFile(kwUri(alias, p)), 'Unavailable', /is 2 MB, more than the 1 MB that kwitness\.maxFileReadMB allows/);
    } finally {
      await cfg.update('maxFileReadMB', undefined, vscode.ConfigurationTarget.Global);
    }
    assert.strictEqual((await vscode.workspace.fs.readFile(kwUri(alias, p))).length, 2097152);
  });

  it('kwitness://user@host:port of a host nobody added is NoPermissions, and nothing dials it', async () => {
    let accepted = 0;
    const server = net.createServer((s) => {
      accepted++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      for (const host of [`root@127.0.0.1:${port}`, `127.0.0.1:${port}`]) {
        await rejectsFs(vscode.workspace.fs.readFile(kwUri(host, '/etc/passwd')), 'NoPermissions', /is not one of your hosts/);
        await rejectsFs(vscode.workspace.fs.stat(kwUri(host, '/etc/passwd')), 'NoPermissions', /is not one of your hosts/);
      }
      const r = await vscode.commands.executeCommand('kwitness.openPath', `root@127.0.0.1:${port}`, '/etc/passwd');
      assert.strictEqual(r, undefined, 'openPath opened something for an unknown host');
      assert.strictEqual(accepted, 0, 'a TCP connection was made to a host nobody added');
    } finally {
      server.close();
    }
  });

  it('kwitness.showKernelSymbol looks the symbol up on the ssh host (kallsyms + BTF)', async () => {
    const panel = await vscode.commands.executeCommand<vscode.WebviewPanel>('kwitness.showKernelSymbol', alias, 'vfs_unlink', 'tracepoint:syscalls:sys_exit_unlinkat');
    assert.ok(panel, 'no symbol panel');
    assert.strictEqual(panel.viewType, 'kwitness.symbol');
    const addr = /<th>Address<\/th><td><code>([^<]*)<\/code>/.exec(panel.webview.html);
    assert.ok(addr, `no address in the symbol view:\n${panel.webview.html.slice(0, 2000)}`);
    const kallsyms = fs.readFileSync('/proc/kallsyms', 'utf8');
    const line = kallsyms.split('\n').find((l) => / T vfs_unlink$/.test(l) || / t vfs_unlink$/.test(l));
    assert.ok(line, 'vfs_unlink not in /proc/kallsyms');
    assert.strictEqual(addr[1].replace(/^0x/, '').replace(/^0+/, ''), line.split(' ')[0].replace(/^0+/, ''));
    assert.match(panel.webview.html, /vfs_unlink\(|int vfs_unlink/);
    panel.dispose();
  });
});
