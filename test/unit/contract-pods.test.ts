// Kubernetes attribution in the webview's store, filters, sort and CSV (webview/src, DOM-free):
// pods and containers kept per process (not per event), the pod/namespace/container filters
// matching the actor's pod or the file's pod, host-only events never matched by them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KwEvent, PodRef } from '../../src/core/events';
import { EMPTY_FILTERS, type ColumnId, type PanelFilters } from '../../src/contract';
import { EventStore } from '../../webview/src/store';
import { RowFilter, RowView } from '../../webview/src/view';
import { CSV_COLUMNS, cellText, csvRow } from '../../webview/src/format';

const CART: PodRef = { namespace: 'shop', name: 'cart-7d9f', uid: '1b4e28ba-2fa1-11d2-883f-0016d3cca427' };
const ESHOP: PodRef = { namespace: 'eshop', name: 'cart-7d9f-2', uid: '2c5f39cb-0000-4000-8000-000000000002' };
const VM: PodRef = { namespace: 'vms', name: 'virt-launcher-vm1-x2x', uid: '9c5b94b1-35ad-49bb-b118-8e8fc24abf80' };
const GONE: PodRef = { namespace: '', name: '', uid: '77777777-aaaa-4bbb-8ccc-dddddddddddd' };
const CID = '3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c';

const base = {
  time: '2026-11-21T23:59:59.123456789Z', ktime_ns: 1, pid: 10, tid: 10, ppid: 1, uid: 0, gid: 0, comm: 'rm', exe: '/usr/bin/rm',
  cwd: '/', ancestors: [], cgroup: '/', container: null, ret: 0, probe: 'fentry:vfs_unlink', op: 'unlink' as const, dev: 1, ino: 2, last_link: true,
};
const inPod = (pod: PodRef, name: string, id = CID) => ({ container: id, runtime: 'containerd', container_name: name, pod });
const diskOf = (p: PodRef) => `/var/lib/kubelet/pods/${p.uid}/volumes/kubernetes.io~empty-dir/data/disk.img`;

// 0: host rm, host file        1: cart's api deletes its own file   2: eshop's worker
// 3: kubelet (host) deletes the VM's disk   4: cart's api deletes the VM's disk
// 5: a process of a pod the node forgot     6: a docker container without a pod or name
const events: KwEvent[] = [
  { ...base, type: 'unlink', path: '/tmp/a' },
  { ...base, type: 'unlink', path: diskOf(CART), path_pod: CART, ...inPod(CART, 'api') },
  { ...base, type: 'unlink', path: '/tmp/b', ...inPod(ESHOP, 'worker', 'aa11bb22cc33') },
  { ...base, type: 'unlink', comm: 'kubelet', path: diskOf(VM), path_pod: VM },
  { ...base, type: 'unlink', path: diskOf(VM), path_pod: VM, ...inPod(CART, 'api') },
  { ...base, type: 'unlink', path: '/tmp/c', ...inPod(GONE, 'old') },
  { ...base, type: 'unlink', path: '/tmp/d', container: 'dd44ee55ff66aabb' },
];

function store(): EventStore {
  const s = new EventStore(100);
  s.add(events);
  return s;
}
/** The indexes (into `events`) of the rows a filter keeps. */
function matches(s: EventStore, f: Partial<PanelFilters>): number[] {
  const v = new RowView();
  v.rebuild(s, new RowFilter({ ...EMPTY_FILTERS, ...f }, {}), s.nextSeq, 'time');
  return Array.from({ length: v.length }, (_, i) => v.at(i, false) - s.firstSeq);
}

test('pods, container names and the file\'s pod come back exactly, and cost nothing per event', () => {
  const s = store();
  events.forEach((e, i) => assert.deepEqual(s.get(s.firstSeq + i), e));
  // 5,000 execs by one pod's process, each with its own argv (a per-event 'extra' string): the
  // pod is still one interned string, not one copy inside every event's extra
  const many = new EventStore(10_000);
  const { op: _op, path: _path, path_pod: _pp, dev: _dev, ino: _ino, last_link: _ll, ...proc } = events[1] as Extract<KwEvent, { type: 'unlink' }>;
  for (let i = 0; i < 5000; i++) {
    many.add([{ ...proc, type: 'exec', filename: '/bin/sh', argv: ['sh', `-c${i}`], argv_truncated: false, interpreter: null }]);
  }
  assert.equal(many.strings.strs.filter((x) => x.includes('-c4999')).length, 1, 'argv is per event');
  const withPod = many.strings.strs.filter((x) => x.includes('"pod"'));
  assert.equal(withPod.length, 1, `interned strings naming the pod: ${withPod.length}`);
  assert.deepEqual(many.podOf(many.firstSeq + 4999), CART);
  assert.equal(many.containerNameOf(many.firstSeq + 4999), 'api');
});

test('the pod filter: text, exact namespace/name, glob, uid; either the actor\'s pod or the file\'s', () => {
  const s = store();
  assert.deepEqual(matches(s, {}), [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(matches(s, { pod: 'cart-7d9f' }), [1, 2, 4]); // text: eshop/cart-7d9f-2 contains it
  assert.deepEqual(matches(s, { pod: 'CART-7D9F' }), [1, 2, 4]); // case-insensitive
  assert.deepEqual(matches(s, { pod: 'shop/cart-7d9f' }), [1, 4]); // with a '/': exactly that pod
  assert.deepEqual(matches(s, { pod: 'shop/*' }), [1, 4]);
  assert.deepEqual(matches(s, { pod: 'cart-*' }), [1, 2, 4]);
  // who deleted the VM's disk: the node's kubelet and cart's process, found through path_pod
  assert.deepEqual(matches(s, { pod: 'vms/virt-launcher-vm1-x2x' }), [3, 4]);
  assert.deepEqual(matches(s, { pod: '9c5b94b1' }), [3, 4]); // a uid prefix
  assert.deepEqual(matches(s, { pod: GONE.uid }), [5]); // a pod the node forgot, by its uid
  assert.deepEqual(matches(s, { pod: 'nosuchpod' }), []);
});

test('the namespace filter: exact or glob; with the pod filter both must hold for the same pod', () => {
  const s = store();
  assert.deepEqual(matches(s, { namespace: 'shop' }), [1, 4]); // not eshop: exact
  assert.deepEqual(matches(s, { namespace: 'SHOP' }), [1, 4]);
  assert.deepEqual(matches(s, { namespace: '*shop' }), [1, 2, 4]);
  assert.deepEqual(matches(s, { namespace: 'vms' }), [3, 4]);
  assert.deepEqual(matches(s, { namespace: 'vms', pod: 'cart' }), []); // 4: cart is in shop, the VM's pod is not cart
  assert.deepEqual(matches(s, { namespace: 'vms', pod: 'virt-launcher' }), [3, 4]);
});

test('the container filter: part of the name or the start of the id, of the acting process', () => {
  const s = store();
  assert.deepEqual(matches(s, { container: 'API' }), [1, 4]);
  assert.deepEqual(matches(s, { container: 'aa11' }), [2]);
  assert.deepEqual(matches(s, { container: 'dd44ee' }), [6]); // no name, no pod: by id
  assert.deepEqual(matches(s, { container: 'e55' }), []); // an id matches from its start only
  assert.deepEqual(matches(s, { container: 'api', pod: 'virt' }), [4]);
});

test('host-only events never match a pod, namespace or container filter, not even a match-all glob', () => {
  const s = new EventStore(10);
  s.add([events[0], { ...events[0], path: '/var/lib/kubelet/pods/not-a-pod-dir/x' } as KwEvent]);
  for (const f of [{ pod: '*' }, { pod: '**' }, { pod: 'a' }, { namespace: '*' }, { container: 'a' }, { pod: '-' }]) {
    assert.deepEqual(matches(s, f), [], JSON.stringify(f));
  }
});

test('cells and sort: Pod, File\'s pod only when it tells something new, Container name else short id', () => {
  const s = store();
  const cells = (col: ColumnId) => events.map((_, i) => cellText(s, s.firstSeq + i, col, {}).text);
  assert.deepEqual(cells('pod'), ['', 'shop/cart-7d9f', 'eshop/cart-7d9f-2', '', 'shop/cart-7d9f', GONE.uid, '']);
  // 1's file is in its own pod: the Pod column already says it
  assert.deepEqual(cells('path_pod'), ['', '', '', 'vms/virt-launcher-vm1-x2x', 'vms/virt-launcher-vm1-x2x', '', '']);
  assert.deepEqual(cells('container'), ['', 'api', 'worker', '', 'api', 'old', 'dd44ee55ff66']);
  const sorted = (col: ColumnId) => {
    const v = new RowView();
    v.rebuild(s, new RowFilter(EMPTY_FILTERS, {}), s.nextSeq, col);
    return Array.from({ length: v.length }, (_, i) => cellText(s, v.at(i, false), col, {}).text);
  };
  assert.deepEqual(sorted('pod'), ['', '', '', GONE.uid, 'eshop/cart-7d9f-2', 'shop/cart-7d9f', 'shop/cart-7d9f']);
  assert.deepEqual(sorted('container'), ['', '', 'api', 'api', 'dd44ee55ff66', 'old', 'worker']);
  assert.deepEqual(sorted('path_pod').slice(-2), ['vms/virt-launcher-vm1-x2x', 'vms/virt-launcher-vm1-x2x']);
});

test('CSV export carries runtime, container name, the pod and the file\'s pod, after the older columns', () => {
  const s = store();
  const col = (name: string) => CSV_COLUMNS.indexOf(name as (typeof CSV_COLUMNS)[number]);
  assert.equal(col('time'), 0);
  assert.ok(col('pod_namespace') > col('ancestors'), 'appended after the columns that existed');
  const row = (i: number) => csvRow(s.get(s.firstSeq + i) as unknown as Record<string, unknown>).split(',');
  const r4 = row(4);
  assert.equal(r4.length, CSV_COLUMNS.length);
  assert.deepEqual(
    ['runtime', 'container_name', 'pod_namespace', 'pod_name', 'pod_uid', 'path_pod_namespace', 'path_pod_name', 'path_pod_uid'].map((c) => r4[col(c)]),
    ['containerd', 'api', 'shop', 'cart-7d9f', CART.uid, 'vms', 'virt-launcher-vm1-x2x', VM.uid],
  );
  const r0 = row(0);
  assert.deepEqual(['pod_name', 'pod_uid', 'path_pod_uid', 'container_name'].map((c) => r0[col(c)]), ['', '', '', '']);
});
