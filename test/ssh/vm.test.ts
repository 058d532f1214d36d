// The core against a Debian 12 guest (kernel 6.1) under qemu, booted by the vm harness
// (test/vm/vm.ts): deploy, trace unlink, `rm` in the guest → event with the absolute path; the
// same through sudo with a password; kill the SSH connection mid-trace → no agent
// process and none of its BPF programs remain in the guest (bpftool in the guest).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';

import type { KwEvent } from '../../src/core/events';
import { HostManager, HostPrompts } from '../../src/core/host/host';
import { decoderFor } from '../../src/core/session/decoders';
import { TraceSession } from '../../src/core/session/trace-session';
import { startVm, Vm } from '../vm/vm';
import { freePort, sleep, tempDir, waitFor } from './harness';

const ROOT = path.resolve(__dirname, '../../..');
let vm: Vm | undefined;
let dir: string;
let sshConfig: string;

function manager(sudoPassword?: string): HostManager {
  const prompts: HostPrompts = {
    confirmHostKey: async () => false, // the guest's key is pinned by the harness
    passphrase: async () => undefined,
    password: async () => undefined,
    sudoPassword: async () => sudoPassword,
  };
  return new HostManager({ sshConfigFile: sshConfig, knownHostsFile: vm!.knownHostsPath, agentDir: path.join(ROOT, 'dist', 'agent'), prompts, log: () => undefined, includeLocal: false, timeoutMs: 60000 });
}

async function guest(cmd: string): Promise<string> {
  const r = await vm!.ssh(cmd);
  assert.equal(r.code, 0, `guest: ${cmd}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  dir = tempDir('kw-sshvm-');
  const port = await freePort();
  vm = await startVm({ kernel: '6.1', name: `ext-ssh-${process.pid}`, port });
  console.log(`# guest ${vm.kver} (${vm.accel}) booted in ${vm.bootSeconds} s on port ${vm.port}`);
  sshConfig = path.join(dir, 'ssh_config');
  const host = (alias: string, user: string) => `Host ${alias}\n  HostName 127.0.0.1\n  Port ${vm!.port}\n  User ${user}\n  IdentityFile ${vm!.keyPath}\n  IdentitiesOnly yes\n`;
  fs.writeFileSync(sshConfig, host('vm-root', 'root') + host('vm-pw', 'pwtester'));
});

after(async () => {
  await vm?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function traceRm(hostId: string, m: HostManager, file: string): Promise<TraceSession> {
  const s = new TraceSession(m.get(hostId), { families: ['unlink'], pathPrefixes: ['/tmp/kw-vm/'] }, { format: 'wire', decoderFor });
  const got: KwEvent[] = [];
  s.onDidReceiveEvents((b) => got.push(...b));
  await s.start();
  assert.equal(s.state.kind, 'running');
  // busybox rm (unlink syscall) with a relative path from the directory
  await guest(`mkdir -p /tmp/kw-vm/d && cd /tmp/kw-vm/d && touch ${file} && rm ${file}`);
  const ev = await waitFor('the unlink event from the guest', () => got.find((e) => e.type === 'unlink' && e.path === `/tmp/kw-vm/d/${file}`));
  assert.equal(ev.type, 'unlink');
  assert.equal(ev.comm, 'rm');
  return s;
}

test('VM: deploy + trace unlink as root; rm in the guest gives the absolute path', async () => {
  const m = manager();
  try {
    const s = await traceRm('vm-root', m, 'gone-root');
    assert.equal(m.get('vm-root').lastDeployment !== undefined, true);
    await s.stop();
    assert.equal(s.verifiedGone, true);
    s.dispose();
  } finally {
    m.dispose();
  }
});

test('VM: the same through sudo with a password (pwtester), agent installed root-owned', async () => {
  const m = manager(vm!.users.pwtester.password);
  try {
    const s = await traceRm('vm-pw', m, 'gone-pw');
    const d = m.get('vm-pw').lastDeployment!;
    assert.equal((await guest(`stat -c '%u %a' ${d.remotePath}`)).trim(), '0 755');
    await s.stop();
    assert.equal(s.verifiedGone, true);
    s.dispose();
  } finally {
    m.dispose();
  }
});

test('VM: killing the SSH connection mid-trace leaves no agent and no BPF program in the guest', async () => {
  const m = manager();
  try {
    const s = await traceRm('vm-root', m, 'gone-kill');
    const pid = await waitFor('agent pid', () => s.agentPid);
    const progs = (await guest(`cat /proc/${pid}/fdinfo/* 2>/dev/null | sed -n 's/^prog_id:[[:space:]]*//p' | sort -un`)).split('\n').filter(Boolean).map(Number);
    assert.ok(progs.length > 0, 'the agent holds BPF programs');
    // kill the sshd process serving our connection (the agent's nearest sshd ancestor)
    await guest(`p=${pid}; while [ "$(cat /proc/$p/comm)" != sshd ]; do p=$(awk '{print $4}' /proc/$p/stat); done; kill -9 $p`);
    const t0 = Date.now();
    const check = async (): Promise<string> => {
      const loaded = new Set((JSON.parse(await guest('bpftool prog show --json')) as Array<{ id: number }>).map((p) => p.id));
      const alive = (await guest(`[ -e /proc/${pid} ] && echo alive || echo gone`)).trim();
      return `${alive} ${progs.filter((id) => loaded.has(id)).length}`;
    };
    // waits as long as a loaded TCG guest needs (60 s net): how fast is printed, not asserted
    let last = '';
    while (Date.now() - t0 < 60000) {
      last = await check();
      if (last === 'gone 0') break;
      await sleep(200);
    }
    const ms = Date.now() - t0;
    assert.equal(last, 'gone 0', `after ${ms} ms: agent ${last.split(' ')[0]}, ${last.split(' ')[1]} of its programs still loaded`);
    console.log(`# guest: connection killed, agent and its ${progs.length} BPF programs gone after ${ms} ms (includes the checks' own ssh round trips)`);
    await waitFor('session disconnected', () => s.state.kind === 'disconnected');
    s.dispose();
  } finally {
    m.dispose();
  }
});
