// Self-check of the disk guest (startVm({ image: 'disk' }), test/vm/build-disk.sh): Debian 12 with
// systemd as PID 1, booted under qemu from its own overlay of the ext4 image. It proves what the
// systemd watch tests stand on: a real systemd (transient units with resource properties), the
// harness's users and sudo, a reboot that keeps the disk and gives a new boot_id, and a power cut
// (SIGKILL to qemu) after which the same disk boots again with what the guest had fsync'ed.
//   KW_VM_DISK_PORT / KW_VM_DISK_NAME pin the ssh port and the VM name (default: a free port, kw-disk-<pid>).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { after, before, test } from 'node:test';

import { freeLoopbackPort, startVm, vmCacheDir, type Vm } from './vm';

let vm: Vm | undefined;

/** Runs CMD in the guest as USER; it must succeed. Returns its trimmed stdout. */
async function guest(cmd: string, user = 'root'): Promise<string> {
  const r = await vm!.ssh(cmd, user);
  assert.equal(r.code, 0, `guest (${user}): ${cmd}: exit ${r.code}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** `systemctl show` output (Key=value lines) as a map. */
function properties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

before(async () => {
  const port = process.env.KW_VM_DISK_PORT ? Number(process.env.KW_VM_DISK_PORT) : await freeLoopbackPort();
  const name = process.env.KW_VM_DISK_NAME ?? `kw-disk-${process.pid}`;
  vm = await startVm({ kernel: '6.1', name, port, image: 'disk' });
  console.log(`# disk guest ${vm.kver} (${vm.accel}) booted to ssh in ${vm.bootSeconds} s on port ${vm.port}`);
});

after(async () => {
  await vm?.stop();
});

test('PID 1 is systemd, the boot finishes, and the booted kernel is the installed package', async () => {
  assert.equal(await guest('cat /proc/1/comm'), 'systemd');
  assert.equal(await guest('readlink -f /proc/1/exe'), '/usr/lib/systemd/systemd');
  // exits non-zero for 'degraded', which is fine here: the state is the answer
  const r = await vm!.ssh('timeout 300 systemctl is-system-running --wait');
  const state = r.stdout.trim();
  const failedUnits = state === 'running' ? '' : (await vm!.ssh('systemctl --failed --no-legend --plain')).stdout.trim();
  if (failedUnits) console.log(`# failed units: ${failedUnits.replace(/\n/g, '; ')}`);
  assert.ok(state === 'running' || state === 'degraded', `is-system-running: '${state}' ${r.stderr.trim()} ${failedUnits}`);
  assert.equal(await guest('uname -r'), vm!.kver);
  assert.equal(await guest(`dpkg-query -W -f='\${Status}' linux-image-${vm!.kver}`), 'install ok installed');
  await guest(`test -f /boot/config-${vm!.kver} && test -f /lib/modules/${vm!.kver}/modules.dep`);
});

test('systemd-run starts a transient unit with the MemoryMax it was given', async () => {
  await guest('systemd-run --unit kwtest-x -p MemoryMax=64M sleep 600');
  try {
    const p = properties(await guest('systemctl show -p MemoryMax -p ActiveState -p LoadState kwtest-x.service'));
    assert.equal(p.LoadState, 'loaded');
    assert.equal(p.ActiveState, 'active');
    assert.equal(p.MemoryMax, String(64 * 1024 * 1024));
    // and the kernel enforces it: the unit's cgroup (v2) carries the limit
    assert.equal(await guest('cat /sys/fs/cgroup/system.slice/kwtest-x.service/memory.max'), String(64 * 1024 * 1024));
  } finally {
    await vm!.ssh('systemctl stop kwtest-x.service');
  }
});

test('sudo: tester needs no password, pwtester must give its own', async () => {
  assert.equal(await guest('sudo -n id -u', 'tester'), '0');
  const r = await vm!.ssh('sudo -n id -u', 'pwtester');
  assert.notEqual(r.code, 0, 'sudo -n as pwtester must fail');
  assert.match(r.stderr, /a password is required/);
  assert.equal(await guest(`echo '${vm!.users.pwtester.password}' | sudo -S -p '' id -u`, 'pwtester'), '0');
  const wrong = await vm!.ssh(`echo not-the-password | sudo -S -p '' id -u`, 'pwtester');
  assert.notEqual(wrong.code, 0, 'a wrong password must not work');
});

test('reboot(): the disk is kept, boot_id changes, transient units are gone', async () => {
  const before = await vm!.bootId();
  await guest('mkdir -p /var/lib/kwtest && echo before-reboot > /var/lib/kwtest/marker');
  await guest('systemd-run --unit kwtest-transient sleep 600');
  const b = await vm!.reboot();
  console.log(`# reboot: ssh again after ${b.seconds} s`);
  assert.notEqual(b.bootId, before);
  assert.equal(await vm!.bootId(), b.bootId);
  assert.equal(await guest('cat /var/lib/kwtest/marker'), 'before-reboot');
  assert.equal(await guest('cat /proc/1/comm'), 'systemd');
  assert.equal(properties(await guest('systemctl show -p LoadState kwtest-transient.service')).LoadState, 'not-found');
});

test('powerCycle(): after SIGKILL to qemu the same disk boots and ssh answers', async () => {
  const before = await vm!.bootId();
  await guest('echo synced > /var/lib/kwtest/power && sync /var/lib/kwtest/power');
  const b = await vm!.powerCycle();
  console.log(`# power cycle: ssh again after ${b.seconds} s`);
  assert.notEqual(b.bootId, before);
  assert.equal(await vm!.bootId(), b.bootId);
  // the same overlay, not a fresh one: what was on the disk before both boots is still there
  assert.equal(await guest('cat /var/lib/kwtest/power'), 'synced');
  assert.equal(await guest('cat /var/lib/kwtest/marker'), 'before-reboot');
  assert.equal(await guest('cat /proc/1/comm'), 'systemd');
});

test('stop(): no qemu left, the overlay removed, the port free', async () => {
  const { name, port } = vm!;
  await vm!.stop();
  assert.equal(fs.existsSync(path.join(vmCacheDir(), 'run', name, 'overlay.qcow2')), false);
  assert.equal(fs.existsSync(path.join(vmCacheDir(), 'run', name, 'pid')), false);
  const ours = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(`kwvm-${name}`);
    } catch {
      return false; // ended meanwhile
    }
  });
  assert.deepEqual(ours, [], `qemu of ${name} still running`);
  await new Promise<void>((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(port, '127.0.0.1', () => s.close(() => resolve()));
  });
});
