// The pages the panel host serves: CSP, nonce, escaping (src/panel/html.ts, symbol-html.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNonce, panelCsp, renderPanelHtml } from '../../src/panel/html';
import { renderSymbolHtml } from '../../src/panel/symbol-html';

test('panel page: default-src none, script by nonce only, escaped title', () => {
  const nonce = makeNonce();
  assert.match(nonce, /^[A-Za-z0-9+/]{24}$/);
  assert.notEqual(nonce, makeNonce());
  const raw = renderPanelHtml({ cspSource: 'https://x.vscode-cdn.net', nonce, scriptUri: 'https://x/panel.js', styleUri: 'https://x/panel.css', title: '<img src=x onerror=alert(1)>' });
  const html = raw.replace(/&#39;/g, "'"); // attribute values are entity-encoded
  assert.ok(html.includes(`script-src 'nonce-${nonce}'`));
  assert.ok(panelCsp('S', 'N').startsWith("default-src 'none'; style-src S; script-src 'nonce-N'"));
  assert.ok(!html.includes('<img'));
  assert.ok(!/unsafe-inline|unsafe-eval/.test(html));
  assert.equal((html.match(/<script/g) ?? []).length, 1);
  assert.ok(!/<[a-z][^>]*\son[a-z]+=/i.test(html), 'no inline handlers');
});

test('symbol page: no script, every value escaped, elixir link for the release', () => {
  const html = renderSymbolHtml({
    hostLabel: 'web<b>1</b>', symbol: 'vfs_unlink', resolved: 'vfs_unlink', probe: 'fentry:vfs_unlink',
    ksym: { address: 'ffffffff81234560', module: null }, prototype: 'int vfs_unlink(struct mnt_idmap *, struct inode *, struct dentry *, struct inode **);',
    report: { agent_version: '0.1.0', kernel: '6.1.0-13-amd64', arch: 'x86_64', btf: true, lockdown: 'none', lsm: ['lockdown', 'bpf'], lsm_bpf: true,
      families: { unlink: ['fentry', 'tracepoint'], create: ['tracepoint'], write: ['tracepoint'], exec: ['tracepoint'] } },
  }, 'vfs_unlink', 'https://x', 'https://x/panel.css');
  assert.ok(!/<script/i.test(html));
  assert.ok(html.includes("default-src 'none'"));
  assert.ok(html.includes('web&#60;b&#62;1&#60;/b&#62;'));
  assert.ok(html.includes('href="https://elixir.bootlin.com/linux/v6.1/A/ident/vfs_unlink"'));
  assert.ok(html.includes('ffffffff81234560'));
  assert.ok(html.includes('vmlinux (built in)'));
  assert.ok(html.includes('struct dentry *'));
  assert.match(html, /class="ok">✓ fentry/);
  assert.match(html, /class="no">✗ kprobe/);
});

test('webview sources never write HTML from strings', () => {
  const fs = require('node:fs') as typeof import('node:fs');
  const path = require('node:path') as typeof import('node:path');
  const dir = path.resolve(__dirname, '../../../webview/src');
  const files = fs.readdirSync(dir).filter((f: string) => f.endsWith('.ts'));
  assert.ok(files.length >= 6);
  for (const f of files) {
    const src = fs.readFileSync(path.join(dir, f), 'utf8');
    assert.ok(!/innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment|\.srcdoc|new Function|eval\(/.test(src), `${f} builds HTML or code from strings`);
  }
});
