// The agent against an independent witness (issue "Truthful attribution", Proof): real workloads
// nobody here wrote (git, tar, Python's shutil and tempfile, dpkg installing, reinstalling and
// purging a package) run under `strace -f`, with the agent tracing the whole machine beside it.
// Every successful and failed unlink, rmdir, rename, exchange, mkdir, mknod, symlink, link and
// exec that strace saw must be one agent event, with the same thread, op, path, old path and
// result (and argv for execs), and the agent may report nothing else for those threads. Prints
// matched / missing / extra / mismatched; the acceptance is 0 missing, 0 extra, 0 mismatched.
//
// Not witnessed: opens (strace cannot tell whether O_CREAT made the file, which is what the
// agent reports) and the unlink a rename makes when it replaces a file (strace cannot tell that
// either); those agent events are left out of the comparison.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import type { KwEvent } from '../../src/core/events';
import { LocalTarget } from './suite';
import { TRACED, parseStrace, witnessKey, type Witnessed } from './strace-witness';

const target = new LocalTarget();
after(async () => {
  await target.dispose();
});

const ERRNO_NAME = new Map(Object.entries(os.constants.errno).map(([k, v]) => [-v, k]));

/** The workload: real tools doing what they do; every path under the witness dir. */
const WORKLOAD = String.raw`
set -e
W=$PWD
git init -q repo && cd repo
git config user.email w@example.org && git config user.name witness
for i in $(seq 1 340); do mkdir -p "d$((i % 17))"; echo $i > "d$((i % 17))/f $i.txt"; done
git add -A && git commit -qm one
git rm -q -r d3 && git commit -qm two
git gc -q
echo junk > untracked; mkdir -p tmpdir/sub; touch tmpdir/sub/x
git clean -fdxq
git checkout -q -b other && git checkout -q -
cd "$W"
mkdir -p t/a/b; echo x > t/a/f; ln t/a/f t/a/hard; ln -s ../a t/a/b/up; ln -s f t/a/sym
touch "t/a/sp ace" "t/a/new
line" "$(printf 't/a/bad\377')" "t/a/ü"
tar cf t.tar t && rm -rf t && tar xf t.tar && rm -rf t t.tar
rmdir missing-dir 2>/dev/null || true
python3 - <<'EOF'
import os, shutil, tempfile
os.makedirs('py/a/b', exist_ok=True)
for i in range(20):
    open(f'py/a/b/f{i}', 'w').close()
shutil.copytree('py', 'py2')
shutil.rmtree('py')
os.rename('py2', 'py3')
os.replace('py3/a/b/f1', 'py3/a/b/f2')
with tempfile.TemporaryDirectory(dir='.') as d:
    for i in range(5):
        open(os.path.join(d, f't{i}'), 'w').close()
shutil.rmtree('py3')
try:
    os.rmdir('not-there')
except FileNotFoundError:
    pass
EOF
if [ -n "$KW_WITNESS_DPKG" ]; then
  mkdir -p pkg/DEBIAN pkg/usr/share/kwitness-witness
  printf 'Package: kwitness-witness\nVersion: 1.0\nArchitecture: all\nMaintainer: w <w@example.org>\nDescription: witness test package\n' > pkg/DEBIAN/control
  for i in 1 2 3; do echo $i > pkg/usr/share/kwitness-witness/file$i; done
  dpkg-deb -Zgzip --build pkg kw.deb >/dev/null
  dpkg -i kw.deb >/dev/null
  dpkg -i kw.deb >/dev/null
  dpkg -P kwitness-witness >/dev/null
fi
`;

function have(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The agent event as the witness would see it (its spelling: named when the kernel's path differs). */
function asWitnessed(e: KwEvent): Witnessed | undefined {
  if (e.type === 'call') return undefined; // a kernel function's call: strace sees system calls only
  const result = e.ret < 0 ? ERRNO_NAME.get(e.ret) ?? `E${-e.ret}` : 'ok';
  if (e.type === 'exec') {
    // a #! script's process runs the interpreter with the kernel's argv: the #! line's words,
    // the script, then the caller's argv after argv[0]; compare what the caller passed
    const argv = e.interpreter !== null && e.ret === 0 ? ['<argv[0]>', ...e.argv.slice(e.argv.lastIndexOf(e.filename) + 1)] : e.argv;
    return { tid: e.tid, type: 'exec', op: 'exec', path: e.filename, argv, result, line: '' };
  }
  if (e.type !== 'unlink' && e.type !== 'create') return undefined;
  if (e.op === 'open' || (e.type === 'unlink' && e.op === 'rename')) return undefined; // not witnessed (see the top)
  return { tid: e.tid, type: e.type, op: e.op, path: e.named ?? e.path, ...(e.old_path !== undefined ? { oldPath: e.old_path } : {}), result, line: '' };
}

describe('the agent against strace (an independent witness) on real workloads', () => {
  it('git, tar, Python shutil/tempfile and dpkg: 0 missing, 0 extra, 0 mismatched', { timeout: 600000 }, async (t) => {
    for (const tool of ['strace', 'git', 'tar', 'python3']) if (!have(tool)) return t.skip(`needs ${tool}`);
    const dpkg = have('dpkg-deb') && have('dpkg') && fs.existsSync('/var/lib/dpkg/status');
    const dir = fs.mkdtempSync(path.join(target.tmpdir, 'witness-'));
    const out = path.join(target.tmpdir, 'strace.out');
    const agent = target.startAgent(['trace', 'unlink,create,exec', '--format', 'json', '--attach', 'auto']);
    try {
      await agent.waitFor((r) => r.type === 'ready', 60000, 'the ready record');
      const script = `cd ${JSON.stringify(dir)} && ${dpkg ? 'KW_WITNESS_DPKG=1 ' : ''}exec strace -f -qq -xx -y -s 4096 -e trace=${TRACED.join(',')} -o ${JSON.stringify(out)} bash -c ${shellQuote(WORKLOAD)}`;
      const res = await target.run(script, { timeoutMs: 480000 });
      assert.equal(res.code, 0, `the workload failed: ${res.stderr.slice(-2000)}`);
      agent.closeStdin(); // the agent drains its ring buffer before it exits: every event is in
      const ex = await agent.exited;
      assert.equal(ex.code, 0, `agent exit ${ex.code}: ${agent.stderr.slice(0, 500)}`);

      const w = parseStrace(fs.readFileSync(out, 'latin1'), dir);
      assert.deepEqual(w.unresolved, [], 'strace lines whose path the witness could not work out');
      assert.ok(w.calls.length > 1000, `the witness saw only ${w.calls.length} calls: the workload or the parser is broken`);
      const lost = agent.records.filter((r) => r.type === 'lost').at(-1);
      if (lost && lost.type === 'lost') assert.equal(lost.total + lost.unjudged_total + lost.untracked_total, 0, `the agent lost events: ${JSON.stringify(lost)}`);

      const got = agent.records
        .filter((r): r is KwEvent => (r.type === 'unlink' || r.type === 'create' || r.type === 'exec') && w.tids.has((r as KwEvent).tid))
        .map(asWitnessed)
        .filter((x): x is Witnessed => x !== undefined);
      const left = new Map<string, Witnessed[]>();
      for (const g of got) left.set(witnessKey(g), [...(left.get(witnessKey(g)) ?? []), g]);
      const missing: Witnessed[] = [];
      const mismatched: string[] = [];
      let matched = 0;
      for (const c of w.calls) {
        const list = left.get(witnessKey(c));
        const g = list?.shift();
        if (!g) {
          missing.push(c);
          continue;
        }
        matched++;
        if (c.argv && g.argv && g.argv[0] === '<argv[0]>') c.argv = ['<argv[0]>', ...c.argv.slice(1)];
        if (c.argv && g.argv && JSON.stringify(c.argv) !== JSON.stringify(g.argv)) mismatched.push(`argv of ${c.path}: strace ${JSON.stringify(c.argv)} agent ${JSON.stringify(g.argv)}`);
      }
      const extra = [...left.values()].flat();
      const byOp = (xs: Witnessed[]) => Object.entries(xs.reduce<Record<string, number>>((m, x) => ((m[`${x.type}/${x.op}`] = (m[`${x.type}/${x.op}`] ?? 0) + 1), m), {})).map(([k, v]) => `${k} ${v}`).join(', ');
      t.diagnostic(`witnessed ${w.calls.length} calls by ${w.tids.size} threads (${byOp(w.calls)}); dpkg ${dpkg ? 'included' : 'not available'}`);
      t.diagnostic(`matched ${matched}, missing ${missing.length}, extra ${extra.length}, mismatched ${mismatched.length}`);
      const show = (xs: Witnessed[]) => xs.slice(0, 8).map((x) => `${witnessKey(x)} ${x.line.slice(0, 160)}`);
      assert.deepEqual({ missing: show(missing), extra: show(extra), mismatched: mismatched.slice(0, 8) }, { missing: [], extra: [], mismatched: [] });
    } finally {
      agent.kill('SIGKILL');
      if (dpkg) execFileSync('sh', ['-c', 'dpkg -P kwitness-witness >/dev/null 2>&1 || true']);
    }
  });
});

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
