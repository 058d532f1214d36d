// Typed paths → the agent's filters: prefixes go to the kernel, patterns to --path-glob; the CLI
// flag --path-glob reaches the agent; bad lists give one line naming the cause.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseArgs, traceOptionsFrom } from '../../src/cli';
import { checkPaths, describeScope, isGlob, parsePathList, pathFilters } from '../../src/core/path-scope';
import { agentTraceArgs } from '../../src/core/session/trace-session';

test('path scope: a typed list splits into prefixes and patterns', () => {
  const paths = parsePathList(' /var/lib/kubelet/pods/*/volumes/*/*/disk.img, /tmp ,, /srv/log-[0-9]?.txt ');
  assert.deepEqual(paths, ['/var/lib/kubelet/pods/*/volumes/*/*/disk.img', '/tmp', '/srv/log-[0-9]?.txt']);
  assert.deepEqual(paths.map(isGlob), [true, false, true]);
  assert.deepEqual(pathFilters(paths), { pathPrefixes: ['/tmp'], pathGlobs: ['/var/lib/kubelet/pods/*/volumes/*/*/disk.img', '/srv/log-[0-9]?.txt'] });
  assert.deepEqual(pathFilters([]), { pathPrefixes: undefined, pathGlobs: undefined }, 'nothing typed: the whole host');
  assert.deepEqual(agentTraceArgs({ families: ['unlink'], ...pathFilters(paths) }, 'wire'), [
    'trace', 'unlink', '--format', 'wire', '--path-prefix', '/tmp',
    '--path-glob', '/var/lib/kubelet/pods/*/volumes/*/*/disk.img', '--path-glob', '/srv/log-[0-9]?.txt',
  ]);
});

test('path scope: relative paths and too many paths are refused with the cause', () => {
  assert.equal(checkPaths(['/a', '/b/*']), undefined);
  assert.match(checkPaths(['/a', 'tmp/*']) ?? '', /"tmp\/\*" is not absolute/);
  assert.match(checkPaths(Array.from({ length: 9 }, (_, i) => `/p${i}`)) ?? '', /at most 8/);
  assert.throws(() => agentTraceArgs({ families: ['create'], pathGlobs: ['*.log'] }, 'json'), /path pattern "\*\.log" must be absolute/);
  assert.throws(() => agentTraceArgs({ families: ['create'], pathPrefixes: ['/a', '/b', '/c', '/d', '/e'], pathGlobs: ['/f*', '/g*', '/h*', '/i*'] }, 'json'), /at most 8/);
});

test('cli: --path-glob reaches the agent', () => {
  const o = traceOptionsFrom(parseArgs(['trace', 'create', '--host', 'local', '--path-glob', '/tmp/*.img', '--path-prefix', '/srv']));
  assert.deepEqual(agentTraceArgs(o, 'wire'), ['trace', 'create', '--format', 'wire', '--path-prefix', '/srv', '--path-glob', '/tmp/*.img']);
});

test('path scope: a scope reads as one line (the quick Start question\'s "as last time", the tree\'s tooltip)', () => {
  assert.equal(describeScope({}), 'none');
  assert.equal(describeScope({ ...pathFilters(['/tmp', '/srv/*.img']), comm: 'kubelet', pid: 0, uid: 1000, cgroup: '/sys/fs/cgroup/x', failedOnly: true }),
    'paths /tmp; matching /srv/*.img; pid 0; comm kubelet; uid 1000; cgroup /sys/fs/cgroup/x; failed only');
  // "as last time" with stacks says so: the quick Start commands reuse it without asking
  assert.equal(describeScope({ pathPrefixes: ['/srv'], stacks: { kernel: true, user: true } }), 'paths /srv; stacks');
  assert.equal(describeScope({ stacks: { kernel: false, user: true } }), 'user stacks');
  assert.equal(describeScope({ stacks: { kernel: false, user: false } }), 'none');
});
