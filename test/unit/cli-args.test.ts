import assert from 'node:assert/strict';
import { test } from 'node:test';

import { eventLines, formatEvent, formatStacks, parseArgs, traceOptionsFrom } from '../../src/cli';
import { agentTraceArgs, agentTraceParts, parseStacksArg, stacksArg } from '../../src/core/session/trace-session';
import { describeFilter } from '../../src/core/watch/watch-client';
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

test('cli --stacks: kernel, user or both become the agent\'s --stacks; anything else names the cause', () => {
  const args = (...extra: string[]) => agentTraceArgs(traceOptionsFrom(parseArgs(['trace', 'unlink', '--host', 'h', ...extra])), 'wire');
  assert.deepEqual(args('--stacks', 'kernel,user'), ['trace', 'unlink', '--format', 'wire', '--stacks', 'kernel,user']);
  assert.deepEqual(args('--stacks=user,kernel'), ['trace', 'unlink', '--format', 'wire', '--stacks', 'kernel,user']);
  assert.deepEqual(args('--stacks', 'kernel'), ['trace', 'unlink', '--format', 'wire', '--stacks', 'kernel']);
  assert.deepEqual(args('--stacks', 'user', '--pid', '7'), ['trace', 'unlink', '--format', 'wire', '--pid', '7', '--stacks', 'user']);
  assert.deepEqual(args(), ['trace', 'unlink', '--format', 'wire'], 'off by default');
  assert.throws(() => args('--stacks', 'kernal'), /--stacks: expected kernel, user or kernel,user, got "kernal"/);
  assert.throws(() => args('--stacks', 'kernel,'), /--stacks: expected kernel, user or kernel,user, got "kernel,"/);
  assert.throws(() => args('--stacks', ''), /--stacks: expected kernel, user or kernel,user/);
  assert.throws(() => args('--stacks', 'all'), /"all" is neither/);
  assert.throws(() => args('--stacks', 'kernel', '--stacks', 'user'), /--stacks given more than once/);
  assert.throws(() => parseArgs(['trace', 'unlink', '--stacks']), /--stacks needs a value/);
  // a guard takes rules, no stacks: refused by the CLI and by the builder
  assert.throws(() => traceOptionsFrom(parseArgs(['trace', 'guard', '--deny-delete', '/srv', '--stacks', 'kernel'])), /guard: --stacks is a trace option/);
  assert.throws(() => agentTraceParts({ families: [], guard: { denyDelete: ['/srv'] }, stacks: { kernel: true, user: false } }), /a guard takes no stacks/);
});

test('agentTraceParts: the stacks choice is one more filter flag, for a trace and a watch alike', () => {
  assert.deepEqual(agentTraceParts({ families: ['exec', 'unlink'], stacks: { kernel: true, user: true } }), { families: 'exec,unlink', filters: ['--stacks', 'kernel,user'] });
  assert.deepEqual(agentTraceParts({ families: ['write'], pathPrefixes: ['/srv'], stacks: { kernel: false, user: true } }).filters, ['--path-prefix', '/srv', '--stacks', 'user']);
  assert.deepEqual(agentTraceParts({ families: ['write'], stacks: { kernel: false, user: false } }).filters, [], 'both off: no flag');
  assert.equal(stacksArg({ kernel: true, user: false }), 'kernel');
  assert.deepEqual(parseStacksArg('user,kernel'), { kernel: true, user: true });
  // what a watch's status shows of its arguments
  assert.equal(describeFilter(['unlink'], ['--path-prefix', '/srv', '--stacks', 'kernel,user']), 'unlink, under /srv, kernel,user stacks');
});

test('cli: an event with stacks prints them under its line, frames innermost first, names escaped', () => {
  const e: UnlinkEvent = {
    type: 'unlink', time: '2026-11-21T23:59:59.123456789Z', ktime_ns: 1, pid: 42, tid: 42, ppid: 1, uid: 0, gid: 0, comm: 'victim', exe: '/opt/victim',
    cwd: '/', ancestors: [], cgroup: '/', container: null, ret: 0, probe: 'fentry:vfs_unlink', op: 'unlink', path: '/srv/disk.img', dev: 1, ino: 2, last_link: true,
    kstack: [{ addr: '0xffffffff81234567', sym: 'vfs_unlink', off: 0x12 }, { addr: '0xffffffffc0001000', sym: 'xfs_remove', off: 0x40, module: 'xfs' }, { addr: '0xffffffff81000010' }],
    ustack: [
      { addr: '0x7f0000001000', sym: 'unlink', off: 11, file: '/usr/lib/x86_64-linux-gnu/libc.so.6', file_off: 0x1000 },
      { addr: '0x401000', sym: 'delete_it', off: 0x14, file: '/opt/victim', file_off: 0x1000, inferred: true },
      { addr: '0x4a5b6c', sym: 'main.deleteIt', off: 0x2c, file: '/opt/gov', file_off: 0xa5b6c, src: '/home/u/victim/main.go', line: 42 },
      { addr: '0x402000', sym: 'evil\u001b[2J', file: '/opt/victim', file_off: 0x2000 },
    ],
  };
  const lines = eventLines(e).split('\n');
  assert.equal(lines.length, 3);
  assert.equal(lines[0], formatEvent(e));
  assert.equal(lines[1], '    kernel: vfs_unlink+0x12 < xfs_remove+0x40 [xfs] < 0xffffffff81000010');
  assert.equal(lines[2], '    user  : unlink+0xb (libc.so.6) < delete_it+0x14 (victim) (from stack pointer) < main.deleteIt+0x2c  main.go:42 < evil\\u001b[2J (victim)');
  assert.ok(!/\u001b/.test(eventLines(e)), 'no raw ESC reaches the terminal');
  assert.deepEqual(formatStacks({ ...e, kstack: [], kstack_error: -14, ustack: undefined }), ['    kernel: (not taken: error -14)']);
  assert.equal(eventLines({ ...e, kstack: undefined, ustack: undefined }), formatEvent(e), 'no stacks: the one line');
});
