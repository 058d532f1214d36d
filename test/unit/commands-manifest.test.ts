// package.json ↔ code: every contributed command is registered by activate() (run against a
// recording stand-in for the `vscode` module, since unit tests have no extension host), every
// menu entry names a contributed command, titles/categories are the agreed ones, and every
// viewItem a menu keys on is produced by the tree. The real extension host re-checks the
// registration in the vscode suite.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(__dirname, '../../..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const contributed: Array<{ command: string; title: string; category?: string }> = pkg.contributes?.commands ?? [];
const ids = new Set(contributed.map((c) => c.command));

const AGREED: Record<string, string> = {
  'kwitness.startUnlinkTrace': 'Start Unlink Trace',
  'kwitness.startCreateTrace': 'Start Create Trace',
  'kwitness.startExecTrace': 'Start Exec Trace',
  'kwitness.stopTrace': 'Stop Trace',
  'kwitness.addHost': 'Add Host',
  'kwitness.removeHost': 'Remove Host',
  'kwitness.refreshHosts': 'Refresh Hosts',
  'kwitness.showHostCapabilities': 'Show Host Capabilities',
  'kwitness.probeKernelFunction': 'Probe Kernel Function…',
};

test('package.json: the agreed commands with their titles, every command in category "Kernel Witness"', () => {
  for (const [id, title] of Object.entries(AGREED)) {
    const c = contributed.find((x) => x.command === id);
    assert.ok(c, `${id} not contributed`);
    assert.equal(c.title, title);
  }
  assert.ok(ids.has('kwitness.openPath') && ids.has('kwitness.showKernelSymbol'));
  for (const c of contributed) assert.equal(c.category, 'Kernel Witness', `${c.command} category`);
  assert.equal(ids.size, contributed.length, 'duplicate command ids');
});

test('package.json: every menu entry names a contributed command; view and viewItem keys exist', () => {
  const views = new Set<string>((pkg.contributes.views?.kwitness ?? []).map((v: { id: string }) => v.id));
  assert.ok(views.has('kwitness.hosts'));
  assert.ok(pkg.contributes.viewsContainers.activitybar.some((c: { id: string; title: string }) => c.id === 'kwitness' && c.title === 'Kernel Witness'));
  const treeSource = fs.readFileSync(path.join(ROOT, 'src/extension/hosts-tree.ts'), 'utf8');
  for (const [menu, entries] of Object.entries(pkg.contributes.menus as Record<string, Array<{ command: string; when?: string }>>)) {
    for (const e of entries) {
      assert.ok(ids.has(e.command), `menu ${menu} uses ${e.command}, which is not in contributes.commands`);
      for (const m of (e.when ?? '').matchAll(/view == ([\w.]+)/g)) assert.ok(views.has(m[1]), `${menu}: unknown view ${m[1]}`);
      for (const m of (e.when ?? '').matchAll(/viewItem == ([\w-]+)/g)) assert.ok(treeSource.includes(`'${m[1]}'`), `${menu}: the tree never sets viewItem ${m[1]}`);
      if ((e.when ?? '').includes('viewItem =~ /^host-/')) assert.match(treeSource, /'host-local'/);
    }
  }
  // item-only commands are hidden from the palette
  const palette = pkg.contributes.menus.commandPalette as Array<{ command: string; when: string }>;
  for (const id of ['kwitness.openPath', 'kwitness.showKernelSymbol']) assert.ok(palette.some((p) => p.command === id && p.when === 'false'), `${id} not hidden from the palette`);
});

test('activate() registers every contributed command (and nothing undeclared)', () => {
  const registered: string[] = [];
  const pushed: unknown[] = [];
  // A recording stand-in for the vscode API: anything callable/constructible, except what we record.
  const any: unknown = new Proxy(function () {}, {
    get: (_t, k) => (k === 'then' ? undefined : k === Symbol.toPrimitive ? () => '' : any),
    apply: () => any,
    construct: () => any as object,
  });
  const vscodeStub = new Proxy(
    {
      commands: { registerCommand: (id: string) => (registered.push(id), { dispose() {} }) },
      ExtensionMode: { Production: 1, Development: 2, Test: 3 },
      workspace: new Proxy({ getConfiguration: () => ({ get: (_k: string, d: unknown) => d, inspect: () => undefined, update: async () => undefined }) }, { get: (t, k) => (k in t ? (t as Record<string | symbol, unknown>)[k] : any) }),
    },
    { get: (t, k) => (k in t ? (t as Record<string | symbol, unknown>)[k] : any) },
  );
  const M = Module as unknown as { _load: (req: string, parent: unknown, isMain: boolean) => unknown };
  const orig = M._load;
  M._load = function (req: string, parent: unknown, isMain: boolean) {
    return req === 'vscode' ? vscodeStub : orig.call(this, req, parent, isMain);
  };
  try {
    const ext = require(path.join(ROOT, 'out/src/extension.js')) as { activate(ctx: unknown): unknown };
    const ctx = { subscriptions: { push: (...d: unknown[]) => pushed.push(...d) }, extensionPath: ROOT, extensionUri: any, extensionMode: 3 /* Test */ };
    const api = ext.activate(ctx) as { listHosts(): unknown[] };
    assert.ok(api && typeof api.listHosts === 'function', 'activate returns the test API');
  } finally {
    M._load = orig;
  }
  const missing = [...ids].filter((id) => !registered.includes(id));
  assert.deepEqual(missing, [], 'contributed but not registered');
  const undeclared = registered.filter((id) => !ids.has(id));
  assert.deepEqual(undeclared, [], 'registered but not in package.json');
  assert.equal(new Set(registered).size, registered.length, 'a command registered twice');
  assert.ok(pushed.length >= registered.length, 'every registration went to context.subscriptions');
  // deactivation = disposing the subscriptions: must not throw, and must leave no timer behind
  for (const d of pushed.reverse()) (d as { dispose?: () => void }).dispose?.();
});
