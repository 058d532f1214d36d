// The pure parts of the watch client (src/core/watch): cursor numbering of a `watch read` stream,
// the one-line filter and event descriptions, ids that cannot leave the watches directory, and
// the CLI's --until. The agent side and the whole path over ssh are proven in the agent and ssh
// suites (test/agent/watch.test.ts, test/ssh/watch-cli.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { parseUntil } from '../../src/cli-watch';
import type { AgentRecord, UnlinkEvent } from '../../src/core/events';
import { oneLine } from '../../src/core/watch/one-line';
import { CursorNumbering, JournalRecord, checkWatchId, describeFilter, newWatchId } from '../../src/core/watch/watch-client';
import { encodeRecords } from '../../src/core/wire/encoder';
import { WireDecoder } from '../../src/core/wire/decoder';

const T = '2026-12-02T01:00:00.000000000Z';
const unlink = (path: string): UnlinkEvent =>
  ({
    type: 'unlink', op: 'unlink', time: T, ktime_ns: 1, pid: 2211, tid: 2211, ppid: 1, uid: 0, gid: 0, ret: 0,
    comm: 'kubelet', exe: '/usr/bin/kubelet', cwd: '/', cgroup: '/', container: null, probe: 'p', ancestors: [],
    path, ino: 5, dev: 1, last_link: true, path_truncated: false,
  }) as unknown as UnlinkEvent;

test('watch read stream: a cursor record numbers what follows, gaps and losses take cursors too, watch_end says where to go on', () => {
  const stream: AgentRecord[] = [
    { type: 'cursor', cursor: 40, skipped: 3 },
    unlink('/a'),
    { type: 'gap', time: T, from: T, to: T, reason: 'agent restarted after signal 9' },
    { type: 'lost', time: T, count: 2, total: 2, unjudged: 0, unjudged_total: 0, untracked: 0, untracked_total: 0 },
    { type: 'cursor', cursor: 50, skipped: 0 }, // a filter skipped 40..49
    unlink('/b'),
    { type: 'watch_end', time: T, next_cursor: 51 },
  ];
  // through the real wire path: encoder -> decoder, split at every byte boundary once
  const bytes = encodeRecords(stream);
  const d = new WireDecoder();
  const decoded: AgentRecord[] = [];
  for (let i = 0; i < bytes.length; i += 7) decoded.push(...d.push(Buffer.from(bytes.subarray(i, i + 7))));
  const n = new CursorNumbering();
  const out = decoded.map((r) => n.take(r)).filter((r): r is JournalRecord => r !== undefined);
  assert.deepEqual(out.map((r) => [r.type, r.cursor]), [['unlink', 40], ['gap', 41], ['lost', 42], ['unlink', 50], ['watch_end', undefined]]);
  assert.equal(n.next, 51);
  assert.equal(n.skipped, 3);
});

test('watch ids: generated ones are valid; anything that could leave the watches directory is refused', () => {
  for (let i = 0; i < 50; i++) {
    const id = newWatchId();
    assert.equal(checkWatchId(id), id);
  }
  for (const bad of ['../etc', 'a/b', '', '.hidden', 'x'.repeat(65), 'a..b', 'sp ace', 'new\nline']) assert.throws(() => checkWatchId(bad), /is not valid/, JSON.stringify(bad));
  assert.equal(checkWatchId('w-disk.img_1'), 'w-disk.img_1');
});

test('a watch filter and an event read as one line', () => {
  assert.equal(describeFilter(['unlink', 'create'], ['--path-prefix', '/var/lib/kubelet', '--comm', 'kubelet', '--failed-only']), 'unlink,create, under /var/lib/kubelet, comm kubelet, failed only');
  assert.equal(oneLine(unlink('/var/lib/x/disk.img')), 'kubelet (pid 2211, /usr/bin/kubelet) deleted /var/lib/x/disk.img');
  assert.equal(oneLine({ ...unlink('/d'), op: 'rmdir', ret: -39 } as UnlinkEvent), 'kubelet (pid 2211, /usr/bin/kubelet) removed the directory /d — failed (-39)');
  // the command line's arguments name the script and its options; long ones are clipped
  const py = { ...unlink('/tmp/x'), comm: 'python3', exe: '/usr/bin/python3.11', cmdline: ['python3', '/srv/cleaner.py', '--mode', 'nightly'] } as UnlinkEvent;
  assert.equal(oneLine(py), 'python3 (pid 2211, /usr/bin/python3.11 /srv/cleaner.py --mode nightly) deleted /tmp/x');
  assert.match(oneLine({ ...py, cmdline: ['python3', 'x'.repeat(200)] } as UnlinkEvent), /\(pid 2211, \/usr\/bin\/python3\.11 x{79}…\) deleted/);
});

test('--until: epoch seconds or ISO 8601, never in the past', () => {
  const now = Date.parse('2026-12-02T00:00:00Z');
  assert.equal(parseUntil('1800000000', now), 1800000000);
  assert.equal(parseUntil('2026-12-03T00:00:00Z', now), Date.parse('2026-12-03T00:00:00Z') / 1000);
  assert.throws(() => parseUntil('2026-12-01T00:00:00Z', now), /in the past/);
  assert.throws(() => parseUntil('tomorrow', now), /seconds since the epoch or an ISO 8601 time/);
  assert.equal(parseUntil(undefined, now), undefined);
});
