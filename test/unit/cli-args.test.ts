import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatEvent, parseArgs, traceOptionsFrom } from '../../src/cli';
import { agentTraceArgs } from '../../src/core/session/trace-session';
import { shq } from '../../src/core/shell';
import type { UnlinkEvent } from '../../src/core/events';

test('cli: trace options map to the agent command line', () => {
  const a = parseArgs(['trace', 'unlink,create', '--host', 'local', '--path-prefix', '/tmp/x', '--path-prefix=/var', '--pid', '12', '--comm', 'rm', '--failed-only', '--json']);
  assert.equal(a.cmd, 'trace');
  const o = traceOptionsFrom(a);
  assert.deepEqual(agentTraceArgs(o, 'wire'), ['trace', 'unlink,create', '--format', 'wire', '--path-prefix', '/tmp/x', '--path-prefix', '/var', '--pid', '12', '--comm', 'rm', '--failed-only']);
});

test('cli: bad input gives a one-line error naming the cause', () => {
  assert.throws(() => parseArgs(['trace', '--bogus']), /unknown option --bogus/);
  assert.throws(() => parseArgs(['trace', '--host']), /--host needs a value/);
  assert.throws(() => traceOptionsFrom(parseArgs(['trace', 'unlink,open'])), /unknown family "open"/);
  assert.throws(() => traceOptionsFrom(parseArgs(['trace', 'exec', '--pid', '-3'])), /--pid must be a non-negative integer/);
  assert.throws(() => traceOptionsFrom(parseArgs(['trace', 'exec', '--attach', 'uprobe'])), /--attach must be/);
  assert.throws(() => agentTraceArgs({ families: ['unlink'], pathPrefixes: ['tmp'] }, 'json'), /must be absolute/);
  assert.throws(() => agentTraceArgs({ families: ['unlink'], comm: 'a-very-long-command-name' }, 'json'), /1 to 15 bytes/);
});

test('cli: human-readable line carries the absolute path and the actor', () => {
  const e: UnlinkEvent = {
    type: 'unlink', time: '2026-11-21T23:59:59.123456789Z', ktime_ns: 1, pid: 42, tid: 42, ppid: 1, uid: 0, gid: 0, comm: 'rm', exe: '/usr/bin/rm',
    cwd: '/', ancestors: [], cgroup: '/', container: null, ret: 0, probe: 'tracepoint:syscalls:sys_exit_unlinkat', op: 'unlink', path: '/tmp/a b', dev: 1, ino: 2, last_link: true,
  };
  const line = formatEvent(e);
  assert.match(line, /^23:59:59\.123 unlink "\/tmp\/a b"  pid=42 ppid=1 uid=0 comm="rm" exe=\/usr\/bin\/rm$/);
  assert.match(formatEvent({ ...e, cmdline: ['rm', '-f', '/tmp/a b'] }), / exe=\/usr\/bin\/rm cmd="rm -f \/tmp\/a b"$/);
  // the kernel's path first, the caller's spelling beside it when they differ
  assert.match(formatEvent({ ...e, path: '/srv/real/f', path_source: 'kernel', named: '/srv/link/../f' }), /^23:59:59\.123 unlink "\/srv\/real\/f" \(named "\/srv\/link\/\.\.\/f"\)  pid=42/);
});

test('shell quoting survives quotes, spaces and dollars', () => {
  assert.equal(shq('plain/path-1'), 'plain/path-1');
  assert.equal(shq("it's $HOME"), `'it'\\''s $HOME'`);
  assert.equal(shq(''), "''");
});
