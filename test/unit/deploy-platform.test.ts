import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';

import { classifyAgentFailure, isKwError } from '../../src/core/errors';
import { agentStartScript, detectPlatform } from '../../src/core/host/deploy';
import { asRoot } from '../../src/core/host/privilege';
import type { ProcessHandle, Runner } from '../../src/core/host/runner';

/**
 * A Runner that answers every command with fixed output (platform parsing only). The exit status
 * is reported first and the output only afterwards, as a busy host or an SSH channel may deliver
 * them: a caller that stops at the exit status loses the output every time, not now and then.
 */
function cannedRunner(stdout: string, code = 0, stderr = ''): Runner & { commands: string[] } {
  const commands: string[] = [];
  return {
    kind: 'ssh',
    isClosed: false,
    commands,
    onDidClose: () => ({ dispose() {} }),
    bytesSent: () => 0,
    dispose() {},
    async spawn(command: string): Promise<ProcessHandle> {
      commands.push(command);
      const out = new PassThrough();
      const err = new PassThrough();
      const stdin = new PassThrough();
      let reportExit!: (e: { code: number; signal: null }) => void;
      const exited = new Promise<{ code: number; signal: null }>((r) => (reportExit = r));
      reportExit({ code, signal: null });
      // the output follows only once the exit status has been handed over
      void exited.then(() =>
        setImmediate(() => {
          out.end(stdout);
          err.end(stderr);
        }),
      );
      return { stdin, stdout: out, stderr: err, exited, signal() {}, detach() {} };
    },
  };
}

async function rejects(p: Promise<unknown>, code: string, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isKwError(e));
    assert.equal(e.code, code);
    assert.match(e.message, re);
    return true;
  });
}

test('platform: Linux x86_64 / aarch64 / arm64 accepted, others refused with the cause and the fix', async () => {
  assert.deepEqual(await detectPlatform(cannedRunner('Linux x86_64\n'), 'h'), { os: 'Linux', arch: 'x86_64' });
  assert.deepEqual(await detectPlatform(cannedRunner('Linux arm64\n'), 'h'), { os: 'Linux', arch: 'aarch64' });
  await rejects(detectPlatform(cannedRunner('Darwin arm64\n'), 'mac'), 'not-linux', /^mac: the target runs Darwin, not Linux; .*pick a Linux host/);
  await rejects(detectPlatform(cannedRunner('FreeBSD amd64\n'), 'bsd'), 'not-linux', /FreeBSD, not Linux/);
  await rejects(detectPlatform(cannedRunner('Linux riscv64\n'), 'rv'), 'unsupported-arch', /architecture riscv64 is not supported .*x86_64, aarch64/);
  await rejects(detectPlatform(cannedRunner('', 127, 'sh: uname: not found'), 'odd'), 'not-linux', /cannot run uname \(sh: uname: not found\)/);
});

test('agent failures map to typed errors that name the cause and the fix (messages as the agent prints them)', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['kwitness-agent: no BTF: /sys/kernel/btf/vmlinux is missing (kernel 5.4.0 built without CONFIG_DEBUG_INFO_BTF)', 'no-btf', /no BTF .*CONFIG_DEBUG_INFO_BTF=y/],
    ['kwitness-agent: kernel 5.4.0 too old: no BPF ring buffer (needs Linux >= 5.8)', 'kernel-too-old', /needs Linux 5\.8 or newer/],
    ['kwitness-agent: not root: tracing needs root or CAP_BPF+CAP_PERFMON (run it through sudo)', 'not-root', /must run as root/],
    ['head: write error: No space left on device', 'disk-full', /disk .* is full .*free some space/],
    ['kwitness: agent hash mismatch at /var/lib/kwitness/x/kwitness-agent (missing or modified); redeploy', 'agent-corrupt', /Refresh Hosts/],
    ['kwitness-agent: no fentry attach mode for family unlink on kernel 6.1 (this agent build attaches unlink probes only through tracepoints)', 'agent-failed', /pick another attach mode/],
    ["kwitness-agent: btf: no kernel function named 'nope' in /sys/kernel/btf/vmlinux", 'agent-failed', /no kernel function named 'nope'/],
  ];
  for (const [stderr, code, re] of cases) {
    const e = classifyAgentFailure('h', `kwitness-pid 12\n${stderr}\n`, 1);
    assert.equal(e.code, code, stderr);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'));
  }
});

test('privileged commands: the sudo password never appears in the command text', () => {
  const w = asRoot({ kind: 'sudo-password', password: "s3cr'et" }, agentStartScript('a'.repeat(64), ['trace', 'unlink', '--path-prefix', "/tmp/it's"]));
  assert.ok(!w.command.includes('s3cr'));
  assert.equal(w.stdinPrefix?.toString(), "s3cr'et\n");
  assert.match(w.command, /^sudo -k -S -p '' -- sh -c '/);
  assert.equal(asRoot({ kind: 'sudo' }, 'id -u').command, "sudo -n -- sh -c 'id -u'");
  assert.equal(asRoot({ kind: 'root' }, 'id -u').command, "sh -c 'id -u'");
});
