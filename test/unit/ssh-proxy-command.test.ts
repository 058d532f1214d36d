// ProxyCommand transport with real local processes (the ssh suite runs it against a real sshd).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ProxyCommandStream } from '../../src/core/ssh/proxy-command';

test('ProxyCommand: stdin/stdout carry the bytes both ways, counted; the end comes after the process is gone', async () => {
  const s = new ProxyCommandStream('cat', () => undefined);
  const got: Buffer[] = [];
  s.on('data', (d: Buffer) => got.push(d));
  const ended = new Promise<void>((r) => s.once('end', r));
  s.write(Buffer.from('hello '));
  s.end(Buffer.from('world'));
  await ended;
  assert.equal(Buffer.concat(got).toString(), 'hello world');
  assert.equal(s.bytesWritten, 11);
  assert.equal(s.bytesRead, 11);
  assert.equal(s.describeEnd(), 'exited with status 0');
});

test('ProxyCommand: a failing command reports its status and last stderr line, stderr goes to the log', async () => {
  const logs: string[] = [];
  const s = new ProxyCommandStream(`sh -c 'echo first >&2; echo "no route to %h" >&2; exit 3'`, (l) => logs.push(l));
  s.resume();
  await new Promise<void>((r) => s.once('end', r));
  assert.equal(s.describeEnd(), 'exited with status 3: no route to %h');
  assert.deepEqual(logs, ['ProxyCommand: first', 'ProxyCommand: no route to %h']);
});

test('ProxyCommand: kill() ends a command that is still running', async () => {
  const s = new ProxyCommandStream('sleep 600', () => undefined);
  s.resume();
  const ended = new Promise<void>((r) => s.once('end', r));
  s.kill();
  await ended;
  assert.equal(s.describeEnd(), 'was killed by SIGHUP');
});
