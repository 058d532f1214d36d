// Containers and pods as the node knows them (native/k8s.c), on this machine's kernel: a real
// process in a cgroup laid out the way kubelet (systemd driver) and containerd make them, and in
// docker's; kubelet's log directories and docker's config in a node root (KW_NODE_ROOT); a file
// under /var/lib/kubelet/pods/<uid>/volumes deleted after its pod's log directory is gone (the
// emptyDir teardown moment). The events must name runtime, container, pod, and the pod that owned
// the path, in json and on the wire.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { KwEvent, UnlinkEvent } from '../../src/core/events';
import { LocalTarget, cgroup2Mount, type AgentProc } from './suite';

const target = new LocalTarget();
const SAFETY_MS = 60000;
let cg2 = '';
let nodeRoot = '';
const made: string[] = []; // cgroups and directories to remove, innermost first at the end

const podUid = randomUUID();
const ownerUid = randomUUID();
const cid = randomBytes(32).toString('hex');
const dockerCid = randomBytes(32).toString('hex');
const KUBELET_PODS = '/var/lib/kubelet/pods';

function mkdirp(d: string): void {
  // remember the first directory we create, so cleanup removes exactly what we added
  let top = d;
  while (!fs.existsSync(path.dirname(top))) top = path.dirname(top);
  if (!fs.existsSync(top)) made.push(top);
  fs.mkdirSync(d, { recursive: true });
}

before(async () => {
  cg2 = await cgroup2Mount(target);
  nodeRoot = fs.mkdtempSync('/tmp/kw-node-');
  // kubelet's per-pod log directories and per-container links (names: see native/k8s.c)
  fs.mkdirSync(`${nodeRoot}/var/log/pods/shop_cart-7d9f_${podUid}/api`, { recursive: true });
  fs.mkdirSync(`${nodeRoot}/var/log/pods/vms_virt-launcher-vm1-x2x_${ownerUid}/compute`, { recursive: true });
  fs.mkdirSync(`${nodeRoot}/var/log/containers`, { recursive: true });
  fs.writeFileSync(`${nodeRoot}/var/log/containers/cart-7d9f_shop_api-${cid}.log`, '');
  fs.mkdirSync(`${nodeRoot}/var/lib/docker/containers/${dockerCid}`, { recursive: true });
  fs.writeFileSync(`${nodeRoot}/var/lib/docker/containers/${dockerCid}/config.v2.json`, `{"ID":"${dockerCid}","Name":"/web-1","State":{}}`);
});

after(async () => {
  for (const d of made.reverse()) fs.rmSync(d, { recursive: true, force: true });
  if (nodeRoot) fs.rmSync(nodeRoot, { recursive: true, force: true });
  await target.dispose();
});

/** A cgroup v2 directory (removed at the end; a cgroup is removed with rmdir, once empty). */
function cgroup(rel: string): string {
  const full = path.join(cg2, rel);
  let top = full;
  while (!fs.existsSync(path.dirname(top))) top = path.dirname(top);
  fs.mkdirSync(full, { recursive: true });
  // rmdir innermost first: register every level we created
  for (let d = full; d.length >= top.length; d = path.dirname(d)) cgDirs.unshift(d);
  return full;
}
const cgDirs: string[] = [];
after(() => {
  for (const d of [...cgDirs].reverse()) {
    try {
      fs.rmdirSync(d);
    } catch {
      /* still has a process (it exits) or already gone */
    }
  }
});

function startAgents(prefix: string): AgentProc[] {
  process.env.KW_NODE_ROOT = nodeRoot; // the agents read kubelet's and docker's files there
  try {
    return (['json', 'wire'] as const).map((f) => target.startAgent(['trace', 'unlink', '--format', f, '--path-prefix', prefix]));
  } finally {
    delete process.env.KW_NODE_ROOT;
  }
}

async function stop(agents: AgentProc[]): Promise<void> {
  for (const a of agents) a.closeStdin();
  for (const a of agents) assert.deepEqual(await a.exited, { code: 0, signal: null }, a.stderr);
}

const unlinks = (a: AgentProc): UnlinkEvent[] => a.records.filter((r): r is UnlinkEvent => r.type === 'unlink');

test('a process in a Kubernetes container and a file of another pod\'s volume, deleted after that pod\'s logs are gone', async () => {
  const ctr = cgroup(`kwtest-kubepods.slice/kwtest-kubepods-besteffort.slice/kwtest-kubepods-besteffort-pod${podUid.replace(/-/g, '_')}.slice/cri-containerd-${cid}.scope`);
  const vol = `${KUBELET_PODS}/${ownerUid}/volumes/kubernetes.io~empty-dir/data`;
  mkdirp(vol);
  fs.writeFileSync(`${vol}/disk.img`, 'x');
  const agents = startAgents(`${KUBELET_PODS}/${ownerUid}`);
  for (const a of agents) await a.waitFor((r) => r.type === 'ready', SAFETY_MS, 'ready');
  // the pod goes away: kubelet removes its log directory, then tears the emptyDir down
  fs.rmSync(`${nodeRoot}/var/log/pods/vms_virt-launcher-vm1-x2x_${ownerUid}`, { recursive: true });
  const r = await target.run(`echo $$ > ${ctr}/cgroup.procs && exec ${target.triggerPath} unlink ${vol}/disk.img`);
  assert.equal(r.code, 0, r.stderr);
  for (const a of agents) await a.waitFor((e) => e.type === 'unlink', SAFETY_MS, 'the unlink');
  await stop(agents);
  for (const a of agents) {
    const [e] = unlinks(a);
    const got = { path: e.path, runtime: e.runtime, container: e.container, container_name: e.container_name, pod: e.pod, path_pod: e.path_pod };
    assert.deepEqual(got, {
      path: `${vol}/disk.img`,
      runtime: 'containerd',
      container: cid,
      container_name: 'api',
      pod: { namespace: 'shop', name: 'cart-7d9f', uid: podUid },
      path_pod: { namespace: 'vms', name: 'virt-launcher-vm1-x2x', uid: ownerUid },
    }, `${a.format}: ${JSON.stringify(e)}`);
  }
});

test('a docker container: runtime and name from its config; no pod', async () => {
  const ctr = cgroup(`kwtest-system.slice/docker-${dockerCid}.scope`);
  const dir = fs.mkdtempSync(`${target.tmpdir}/docker-`);
  fs.writeFileSync(`${dir}/f`, 'x');
  const agents = startAgents(dir);
  for (const a of agents) await a.waitFor((r) => r.type === 'ready', SAFETY_MS, 'ready');
  const r = await target.run(`echo $$ > ${ctr}/cgroup.procs && exec ${target.triggerPath} unlink ${dir}/f`);
  assert.equal(r.code, 0, r.stderr);
  for (const a of agents) await a.waitFor((e) => e.type === 'unlink', SAFETY_MS, 'the unlink');
  await stop(agents);
  for (const a of agents) {
    const e = unlinks(a)[0] as KwEvent & UnlinkEvent;
    assert.deepEqual([e.runtime, e.container, e.container_name, e.pod, e.path_pod], ['docker', dockerCid, 'web-1', undefined, undefined], `${a.format}: ${JSON.stringify(e)}`);
  }
});

test('a process in no container: no runtime, no pod fields at all', async () => {
  const dir = fs.mkdtempSync(`${target.tmpdir}/host-`);
  fs.writeFileSync(`${dir}/f`, 'x');
  const agents = startAgents(dir);
  for (const a of agents) await a.waitFor((r) => r.type === 'ready', SAFETY_MS, 'ready');
  fs.unlinkSync(`${dir}/f`);
  for (const a of agents) await a.waitFor((e) => e.type === 'unlink', SAFETY_MS, 'the unlink');
  await stop(agents);
  for (const a of agents) {
    const e = unlinks(a)[0];
    assert.deepEqual(['runtime', 'container_name', 'pod', 'path_pod'].filter((k) => k in e), [], `${a.format}: ${JSON.stringify(e)}`);
  }
});
