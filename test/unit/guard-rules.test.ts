// Guard rules (src/core/guard.ts) and the CLI's guard command line: what reaches the agent, and
// the one-line refusals of bad rules before anything connects.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatEvent, parseArgs, traceOptionsFrom } from '../../src/cli';
import { describeGuard, formatBytes, guardArgs, guardFromReady, guardRuleList, guardTitle, parseBytes, traceWhat } from '../../src/core/guard';
import type { DeniedEvent } from '../../src/core/events';
import { oneLine } from '../../src/core/watch/one-line';
import { agentTraceArgs } from '../../src/core/session/trace-session';

test('guard: rules become the agent arguments in the order its records index them', () => {
  const g = { denyWrite: ['/srv/ro'], quotas: [{ path: '/srv/vol', bytes: 10 * 2 ** 30 }], denyDelete: ['/data/disk.img'], auditOnly: true, mechanism: 'fmod_ret' as const };
  assert.deepEqual(guardArgs(g), ['--deny-delete', '/data/disk.img', '--deny-write', '/srv/ro', '--quota', '/srv/vol=10737418240', '--audit-only', '--attach', 'fmod_ret']);
  assert.deepEqual(guardRuleList(g).map((r) => r.kind), ['deny-delete', 'deny-write', 'quota']);
  assert.deepEqual(agentTraceArgs({ families: [], guard: { denyDelete: ['/x'] } }, 'wire'), ['trace', 'guard', '--format', 'wire', '--deny-delete', '/x']);
});

test('guard: bad rules are refused with the cause', () => {
  assert.throws(() => guardArgs({}), /a guard needs a rule/);
  assert.throws(() => guardArgs({ denyDelete: ['rel/x'] }), /guard path "rel\/x" must be absolute/);
  assert.throws(() => guardArgs({ quotas: [{ path: '/v', bytes: 0 }] }), /quota of "\/v" must be a positive number of bytes/);
  assert.throws(() => guardArgs({ quotas: Array.from({ length: 9 }, (_, i) => ({ path: `/v${i}`, bytes: 1 })) }), /at most 8 quotas/);
  assert.throws(() => agentTraceArgs({ families: ['unlink'], guard: { denyDelete: ['/x'] } }, 'json'), /a guard takes rules, not trace families or filters/);
  assert.throws(() => agentTraceArgs({ families: [], guard: { denyDelete: ['/x'] }, pathPrefixes: ['/y'] }, 'json'), /not trace families or filters/);
});

test('guard: sizes read and written in powers of 1024', () => {
  assert.equal(parseBytes('10G'), 10 * 2 ** 30);
  assert.equal(parseBytes('512 MiB'), 512 * 2 ** 20);
  assert.equal(parseBytes('1.5k'), 1536);
  assert.equal(parseBytes('1048576'), 1048576);
  assert.equal(parseBytes('lots'), undefined);
  assert.equal(parseBytes('0'), undefined);
  assert.equal(formatBytes(1048576), '1 MiB');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(100), '100 bytes');
});

test('guard: what a person reads (confirmation, titles) and the rules back from a ready record', () => {
  const g = { denyDelete: ['/data/disk.img'], quotas: [{ path: '/srv/vol', bytes: 2 ** 20 }] };
  const d = describeGuard(g);
  assert.match(d[0], /deleting, renaming or replacing \/data\/disk\.img/);
  assert.match(d[1], /past 1 MiB fail with "Disk quota exceeded"/);
  assert.equal(guardTitle({ denyDelete: ['/data/disk.img'] }), 'guard: disk.img');
  assert.equal(guardTitle({ ...g, auditOnly: true }), 'audit: 2 rules');
  assert.equal(traceWhat({ families: ['unlink', 'create'] }), 'unlink, create trace');
  assert.equal(traceWhat({ families: [], guard: g }), 'guard: 2 rules');
  assert.deepEqual(guardFromReady({ mechanism: 'lsm', audit_only: false, rules: [{ kind: 'deny-delete', path: '/data/disk.img' }, { kind: 'quota', path: '/srv/vol', quota_bytes: 1024, used_bytes_at_start: 5 }] }),
    { auditOnly: undefined, denyDelete: ['/data/disk.img'], quotas: [{ path: '/srv/vol', bytes: 1024 }] });
});

test('cli: kwitness guard / watch start guard take rules, and refuse trace filters (and the other way round)', () => {
  // `kwitness guard ...` reaches traceOptionsFrom with 'guard' first, as `watch start guard ...` does
  const o = traceOptionsFrom(parseArgs(['x', 'guard', '--host', 'h', '--deny-delete', '/d/disk.img', '--quota', '/srv/vol=1M', '--audit-only']));
  assert.deepEqual(o.guard, { denyDelete: ['/d/disk.img'], denyWrite: undefined, quotas: [{ path: '/srv/vol', bytes: 1048576 }], auditOnly: true, mechanism: undefined });
  assert.deepEqual(o.families, []);
  assert.throws(() => traceOptionsFrom(parseArgs(['x', 'guard', '--deny-write', '/a', '--pid', '3'])), /--pid is a trace filter/);
  assert.throws(() => traceOptionsFrom(parseArgs(['x', 'guard', '--quota', '/a'])), /expected DIR=SIZE/);
  assert.throws(() => traceOptionsFrom(parseArgs(['x', 'guard', '--deny-write', '/a', '--attach', 'kprobe'])), /guard --attach must be auto, lsm or fmod_ret/);
  assert.throws(() => traceOptionsFrom(parseArgs(['x', 'guard'])), /a guard needs a rule/);
  assert.throws(() => traceOptionsFrom(parseArgs(['x', 'unlink', '--deny-delete', '/a'])), /--deny-delete belongs to a guard/);
});

test('a denial reads as one line: who, what was refused, under which rule', () => {
  const e: DeniedEvent = {
    type: 'denied', time: '2026-12-03T10:00:00.123456789Z', ktime_ns: 1, pid: 42, tid: 42, ppid: 1, uid: 0, gid: 0, comm: 'rm', exe: '/usr/bin/rm', cwd: '/', cgroup: '/', container: null,
    ancestors: [], ret: -1, probe: 'lsm:path_unlink', op: 'unlink', path: '/data/disk.img', dev: 2, ino: 5, rule: 0, rule_kind: 'deny-delete', rule_path: '/data/disk.img', cmdline: ['rm', '/data/disk.img'],
  };
  assert.match(formatEvent(e), /DENIED unlink "\/data\/disk\.img" \(rule 0 deny-delete "\/data\/disk\.img"\) ret=-1 +pid=42/);
  assert.equal(oneLine(e), 'rm (pid 42, /usr/bin/rm /data/disk.img) was denied deleting /data/disk.img');
  assert.equal(oneLine({ ...e, type: 'would-deny', op: 'write', ret: -122 }), 'rm (pid 42, /usr/bin/rm /data/disk.img) would be denied writing /data/disk.img (quota full)');
});
