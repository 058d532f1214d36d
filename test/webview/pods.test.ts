// The built panel in real Chromium answering "who deleted the disk of pod X": the Pod and File's
// pod columns, the pod/namespace/container filters, "filter by this" clicks, CSV export, and
// host-only events never matched by a pod filter. Fed by the fake host (harness.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { initTrace, panel, posted, send, settle, startRig, type Rig } from './harness';

let rig: Rig;
before(async () => { rig = await startRig(); });
after(async () => { await rig?.close(); });

const VM = { namespace: 'vms', name: 'virt-launcher-vm1-x2x', uid: '9c5b94b1-35ad-49bb-b118-8e8fc24abf80' };
const DISK = `/var/lib/kubelet/pods/${VM.uid}/volumes/kubernetes.io~empty-dir/data/disk.img`;

/**
 * 68 events: page-helpers' makeEvent(0..65), where i % 11 == 0 (6 events) run in pod shop/cart-7d9f,
 * container 'api'; then the node's kubelet (no pod) deleting the VM's disk (66), and a process of
 * the VM's own pod, container 'compute' (67). Everything else is host-only.
 */
async function feed(page: Page, traceId: string): Promise<void> {
  const evs = (await page.evaluate('Array.from({ length: 68 }, (_, i) => window.__kw.makeEvent(i < 66 ? i : i === 66 ? 3 : 6))')) as Array<Record<string, unknown>>;
  Object.assign(evs[66], { comm: 'kubelet', exe: '/usr/bin/kubelet', pid: 777, path: DISK, path_pod: VM });
  Object.assign(evs[67], { pid: 778, path: '/tmp/vm-scratch', container: 'c0ffee00112233445566', runtime: 'containerd', container_name: 'compute', pod: VM });
  await initTrace(page, traceId, evs);
}

async function typeInto(page: Page, id: string, text: string): Promise<void> {
  await page.locator(`#${id} input`).fill(text);
  await settle(page);
}
const rows = (page: Page) => panel<number>(page, 'p.rows');
const headers = (page: Page) => page.locator('.vt-hcell').allTextContents();

/** The texts of one column in the rows the table has elements for (from the top when scrolled there). */
async function column(page: Page, label: string): Promise<string[]> {
  const i = (await headers(page)).findIndex((h) => h.replace(/[▲▼]$/, '') === label);
  assert.ok(i >= 0, `no column ${label}`);
  const n = Math.min(await rows(page), await page.locator('.vt-row').count());
  const out: string[] = [];
  for (let r = 0; r < n; r++) out.push((await page.locator('.vt-row').nth(r).locator('.vt-cell').nth(i).textContent()) ?? '');
  return out;
}

/** The shown rows' events (through the test hook), to check what a filter let through. */
function shown(page: Page): Promise<Array<Record<string, unknown>>> {
  return panel(page, 'Array.from({ length: p.rows }, (_, i) => p.event(p.seqAt(i)))');
}

test('Pod and File\'s pod columns: hidden until chosen, next to Container, the file\'s pod only where it adds something', async () => {
  const { page } = await rig.newPage();
  await feed(page, 'kc');
  let heads = await headers(page);
  assert.ok(!heads.includes('Pod') && !heads.includes("File's pod"), `default columns: ${heads.join(' | ')}`);
  await page.locator('#columns').click();
  await page.locator('#columns-popover vscode-checkbox[data-col="pod"]').click();
  await page.locator('#columns-popover vscode-checkbox[data-col="path_pod"]').click();
  await page.keyboard.press('Escape');
  await settle(page, 50);
  heads = (await headers(page)).map((h) => h.replace(/[▲▼]$/, ''));
  const c = heads.indexOf('Container');
  assert.deepEqual(heads.slice(c, c + 3), ['Container', 'Pod', "File's pod"]);
  await typeInto(page, 'f-pod', 'virt-launcher-*');
  assert.equal(await rows(page), 2);
  // the kubelet acts from the node: no pod, no container; the disk was the VM pod's
  assert.deepEqual(await column(page, 'Pod'), ['', 'vms/virt-launcher-vm1-x2x']);
  assert.deepEqual(await column(page, "File's pod"), ['vms/virt-launcher-vm1-x2x', '']);
  assert.deepEqual(await column(page, 'Container'), ['', 'compute']);
  assert.deepEqual((await shown(page)).map((e) => e.comm), ['kubelet', 'make']);
  await page.close();
});

test('filters by pod and by namespace; host-only events are never matched', async () => {
  const { page } = await rig.newPage();
  await feed(page, 'kf');
  assert.equal(await rows(page), 68);
  await typeInto(page, 'f-pod', 'cart-7d9f');
  assert.equal(await rows(page), 6);
  assert.ok((await shown(page)).every((e) => (e.pod as { name: string }).name === 'cart-7d9f'));
  await typeInto(page, 'f-pod', 'vms/virt-launcher-vm1-x2x');
  assert.deepEqual((await shown(page)).map((e) => e.pid), [777, 778]);
  // a glob that matches any pod: every event with a pod, not one of the 60 host-only ones
  await typeInto(page, 'f-pod', '*');
  assert.equal(await rows(page), 8);
  assert.ok((await shown(page)).every((e) => e.pod !== undefined || e.path_pod !== undefined), 'a host-only event matched a pod filter');
  await typeInto(page, 'f-pod', '');
  await typeInto(page, 'f-ns', 'shop');
  assert.equal(await rows(page), 6);
  await typeInto(page, 'f-ns', 'sho');
  assert.equal(await rows(page), 0); // a namespace is exact
  await typeInto(page, 'f-ns', 'vms');
  assert.equal(await rows(page), 2);
  await typeInto(page, 'f-ns', '');
  await typeInto(page, 'f-container', 'compute');
  assert.deepEqual((await shown(page)).map((e) => e.pid), [778]);
  await typeInto(page, 'f-container', '3f4e5d'); // the start of the cart pod's container id
  assert.equal(await rows(page), 6);
  await typeInto(page, 'f-container', '');
  assert.equal(await rows(page), 68);
  // the filters are saved with the view state
  await typeInto(page, 'f-ns', 'vms');
  await settle(page, 300);
  const state = JSON.parse((await page.evaluate('sessionStorage.getItem("kwState")')) as string) as { filters: Record<string, unknown> };
  assert.equal(state.filters.namespace, 'vms');
  await page.close();
});

test('clicking a namespace, a pod or a container in the details pane, or a Pod cell, filters on it', async () => {
  const { page } = await rig.newPage();
  await feed(page, 'kd');
  await typeInto(page, 'f-comm', 'kubelet');
  await page.locator('.vt-row').first().locator('.vt-cell').first().click();
  await settle(page, 50);
  assert.match((await page.textContent('#details'))!, /path of podvms\/virt-launcher-vm1-x2x \(9c5b94b1-35ad-49bb-b118-8e8fc24abf80\) — the file was in this pod's directory/);
  await page.locator('#details a', { hasText: /^vms$/ }).click();
  await settle(page);
  assert.equal(await page.locator('#f-ns input').inputValue(), 'vms');
  await typeInto(page, 'f-comm', '');
  assert.equal(await rows(page), 2);
  await typeInto(page, 'f-ns', '');
  // the pod's name: exactly this pod
  await page.locator('#details a', { hasText: /^virt-launcher-vm1-x2x$/ }).click();
  await settle(page);
  assert.equal(await page.locator('#f-pod input').inputValue(), 'vms/virt-launcher-vm1-x2x');
  assert.equal(await rows(page), 2);
  await typeInto(page, 'f-pod', '');
  // a container's process: its container name filters on the container
  await typeInto(page, 'f-pod', 'cart');
  await page.locator('.vt-row').first().locator('.vt-cell').first().click();
  await settle(page, 50);
  await typeInto(page, 'f-pod', '');
  await page.locator('#details a', { hasText: /^api$/ }).click();
  await settle(page);
  assert.equal(await page.locator('#f-container input').inputValue(), 'api');
  assert.equal(await rows(page), 6);
  await typeInto(page, 'f-container', '');
  // a Pod cell
  await page.locator('#columns').click();
  await page.locator('#columns-popover vscode-checkbox[data-col="pod"]').click();
  await page.keyboard.press('Escape');
  await panel(page, 'p.scrollToRow(0)');
  await settle(page, 50);
  const pods = await column(page, 'Pod');
  const podCol = (await headers(page)).findIndex((h) => h.replace(/[▲▼]$/, '') === 'Pod');
  await page.locator('.vt-row').nth(pods.indexOf('shop/cart-7d9f')).locator('.vt-cell').nth(podCol).locator('.vt-text').click();
  await settle(page);
  assert.equal(await page.locator('#f-pod input').inputValue(), 'shop/cart-7d9f');
  assert.equal(await rows(page), 6);
  await page.close();
});

test('CSV export has the container name and both pods', async () => {
  const { page } = await rig.newPage();
  await feed(page, 'ke');
  await typeInto(page, 'f-ns', 'vms');
  await page.locator('#export-csv').click();
  await send(page, { type: 'exportAccepted', traceId: 'ke', exportId: 1, format: 'csv' });
  await settle(page, 100);
  const csv = (await posted(page)).filter((m) => m.type === 'exportChunk').map((c) => c.data).join('');
  const [head, ...lines] = csv.trimEnd().split('\n').map((l) => l.split(','));
  assert.equal(lines.length, 2);
  const get = (l: string[], c: string) => l[head.indexOf(c)];
  assert.deepEqual(lines.map((l) => [get(l, 'comm'), get(l, 'container_name'), get(l, 'pod_name'), get(l, 'path_pod_namespace'), get(l, 'path_pod_uid')]), [
    ['kubelet', '', '', 'vms', VM.uid],
    ['make', 'compute', 'virt-launcher-vm1-x2x', '', ''],
  ]);
  await page.close();
});
