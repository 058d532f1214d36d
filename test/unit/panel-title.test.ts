// Panel titles tell traces apart: families, scope, host, start time (src/panel/title.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { traceTitle } from '../../src/panel/title';

const local = { id: 'local', label: 'This Machine', kind: 'local' as const };
const at = new Date(2026, 11, 3, 9, 5, 59);

test('title: families, scope, host, and the minute the panel opened', () => {
  assert.equal(traceTitle({ host: local, options: { families: ['unlink'] } }, at), 'Unlink — This Machine · 09:05');
  assert.equal(traceTitle({ host: local, options: { families: ['unlink', 'create', 'exec'] } }), 'Unlink, Create, Exec — This Machine');
  assert.equal(traceTitle({ host: local, options: { families: ['unlink'], pathPrefixes: ['/srv/data', '/tmp'] } }, at), 'Unlink under /srv/data +1 — This Machine · 09:05');
  assert.equal(traceTitle({ host: local, options: { families: ['create'], pathGlobs: ['/var/lib/*/vol/*.img'], comm: 'kubelet', uid: 0, failedOnly: true } }),
    'Create matching /var/lib/*/vol/*.img, by kubelet, uid 0, failed only — This Machine');
  assert.equal(traceTitle({ host: local, options: { families: ['exec'], pid: 0 } }), 'Exec pid 0 — This Machine', 'pid 0 is a scope too');
  // a watch's name says what it is for
  assert.equal(traceTitle({ host: local, label: 'disk.img', options: { families: ['unlink'], pathPrefixes: ['/srv'] } }), 'Unlink disk.img — This Machine');
});

test('title: a long path keeps its start and its last component', () => {
  const p = '/var/lib/kubelet/pods/9c5b94b1-35ad-49bb-b118-8e8fc24abf80/volumes/kubernetes.io~empty-dir/cache';
  const t = traceTitle({ host: local, options: { families: ['unlink'], pathPrefixes: [p] } });
  assert.match(t, /^Unlink under \/var\/lib\/kubelet\/pods\/9c5b94b1-3…\/cache — This Machine$/, t);
  const long = `/srv/${'x'.repeat(60)}`;
  assert.equal(traceTitle({ host: local, options: { families: ['unlink'], pathPrefixes: [long] } }), `Unlink under …${'x'.repeat(30)} — This Machine`);
});

test('title: a guard is named by what it guards, not by families', () => {
  assert.equal(traceTitle({ host: local, options: { families: [], guard: { denyDelete: ['/data/vm/disk.img'] } } }), 'Guard: disk.img — This Machine');
  assert.equal(traceTitle({ host: local, options: { families: [], guard: { quotas: [{ path: '/srv/v', bytes: 1 }], denyWrite: ['/etc'], auditOnly: true } } }), 'Audit: 2 rules — This Machine');
});

test('title: a trace that takes stacks says so, a watch too', () => {
  assert.equal(traceTitle({ host: local, options: { families: ['unlink'], stacks: { kernel: true, user: true } } }), 'Unlink with stacks — This Machine');
  assert.equal(traceTitle({ host: local, options: { families: ['exec'], pathPrefixes: ['/srv'], stacks: { kernel: false, user: true } } }), 'Exec under /srv, with user stacks — This Machine');
  assert.equal(traceTitle({ host: local, options: { families: ['exec'], stacks: { kernel: false, user: false } } }), 'Exec — This Machine', 'both off: nothing said');
  assert.equal(traceTitle({ host: local, label: 'disk.img', options: { families: ['unlink'], stacks: { kernel: true, user: false } } }), 'Unlink disk.img with kernel stacks — This Machine');
});
