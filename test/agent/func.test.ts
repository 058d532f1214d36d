// `trace func:NAME` on this machine's kernel: what needs no fentry or kprobe. Names are checked
// against BTF, --where against the function's parameters, and a kernel that allows neither
// attach mode says so, each in one line and with a non-zero exit, before anything is loaded.
// The calls themselves are proven in the VM guests (test/agent/func-cases.ts, test/vm).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { LocalTarget } from './suite';

const target = new LocalTarget();

/** Runs the agent; its exit code and stderr's lines. */
async function agent(args: string[]): Promise<{ code: number | null; lines: string[]; stdout: string }> {
  const q = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = await target.run(`exec '${target.agentPath}' ${q} < /dev/null`, { timeoutMs: 60000 });
  return { code: r.code, lines: r.stderr.split('\n').filter(Boolean), stdout: r.stdout };
}

/** One stderr line, exit status 2 (a usage error), no ready record: nothing was loaded. */
function refused(r: { code: number | null; lines: string[]; stdout: string }, what: RegExp): void {
  assert.equal(r.code, 2, `exit ${r.code}: ${r.lines.join(' | ')}`);
  assert.equal(r.lines.length, 1, `stderr must be one line: ${JSON.stringify(r.lines)}`);
  assert.match(r.lines[0], what);
  assert.equal(r.stdout.includes('"ready"'), false);
}

describe('trace func:NAME (this kernel)', () => {
  it('a misspelled function: no such function in BTF, with the nearest names', async () => {
    refused(await agent(['trace', 'func:vfs_unlnk']), /^kwitness-agent: func:vfs_unlnk: no such kernel function in this kernel's BTF \(nearest: [^)]*\bvfs_unlink\b/);
  });

  it('a name that is not a C identifier is refused by the parser', async () => {
    refused(await agent(['trace', 'func:1vfs']), /func:1vfs: expected a kernel function name/);
    refused(await agent(['trace', 'func:']), /expected a kernel function name/);
  });

  it('--where: unknown argument, bad operator, a string against an inode, void ret', async () => {
    refused(await agent(['trace', 'func:vfs_unlink', '--where', 'victim == "x"']), /no probed function has an argument named victim \(vfs_unlink has: [^)]*\bdentry\b/);
    refused(await agent(['trace', 'func:vfs_unlink', '--where', 'ret = 0']), /expected ARG OP VALUE/);
    refused(await agent(['trace', 'func:vfs_unlink', '--where', 'dir == "x"']), /dir \(struct inode \*\) has no name to compare with a string/);
    refused(await agent(['trace', 'func:vfs_unlink', '--where', 'dentry < "x"']), /a string compares with == or != only/);
    refused(await agent(['trace', 'func:vfs_unlink', '--where', 'ret < banana']), /'banana' is not a number, an errno name or a quoted string/);
    refused(await agent(['trace', 'unlink', '--where', 'ret < 0']), /--where: only with func:NAME/);
  });

  it('a renamed function is probed under this kernel\'s name for it', async () => {
    // 6.x has do_unlinkat, 7.x filename_unlinkat: asking for the other one names this kernel's
    const has = (n: string) => execFileSync(target.agentPath, ['funcs', n], { encoding: 'utf8' }).split('\n').some((l) => l.startsWith(`{"name":"${n}","module"`));
    const mine = has('do_unlinkat') ? 'do_unlinkat' : 'filename_unlinkat';
    const other = mine === 'do_unlinkat' ? 'filename_unlinkat' : 'do_unlinkat';
    const r = await agent(['trace', `func:${other}`, '--attach', 'tracepoint']);
    assert.match(r.lines[0] ?? '', new RegExp(`func:${other}: this kernel names it ${mine}`));
    assert.match(r.lines[1] ?? '', new RegExp(`func:${mine}: --attach tracepoint: a kernel function is probed with fentry or kprobe`));
  });

  it('a kernel that allows neither fentry nor kprobe says so (this machine: fentry EPERM, no kprobes)', async (t) => {
    const probe = JSON.parse(execFileSync(target.agentPath, ['probe'], { encoding: 'utf8', timeout: 30000 })) as { families: Record<string, string[]> };
    if (probe.families.unlink.some((m) => m === 'fentry' || m === 'kprobe')) return t.skip('this kernel allows fentry or kprobe: the VM cases cover calls');
    refused(await agent(['trace', 'func:vfs_unlink']), /^kwitness-agent: func:vfs_unlink: cannot probe it: the kernel refuses fentry on it and has no kprobes|cannot probe it: the kernel refuses both fentry and kprobe/);
  });

  it('a function that takes a struct by value is refused fentry (its return value is found by kretprobe only)', async (t) => {
    // any function of this kernel with a struct parameter passed by value, e.g. __xa_alloc(..., struct xa_limit limit, ...)
    const byValue = /\((?:.*, )?struct [a-z_0-9]+ ([a-z_0-9]+)[,)]/;
    const hit = execFileSync(target.agentPath, ['funcs', 'xa_alloc'], { encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n').filter(Boolean)
      .map((l) => JSON.parse(l) as { name: string; proto?: string }).find((f) => f.proto !== undefined && byValue.test(f.proto));
    if (!hit) return t.skip('no xa_alloc function with a struct passed by value in this kernel');
    const param = byValue.exec(hit.proto!)![1];
    refused(await agent(['trace', `func:${hit.name}`, '--attach', 'fentry']), new RegExp(`func:${hit.name}: takes a struct by value \\(${param}\\): its return value is read with a kretprobe only`));
  });

  it('funcs lists BTF functions with their prototypes and the renamed names', () => {
    const lines = execFileSync(target.agentPath, ['funcs', 'unlink'], { encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const v = lines.find((l) => l.name === 'vfs_unlink');
    assert.ok(v, 'vfs_unlink is listed');
    assert.match(String(v.proto), /^int vfs_unlink\(.*struct dentry \*dentry.*\)$/);
    assert.equal(v.module, '');
    assert.ok(lines.every((l) => String(l.name).includes('unlink')), 'the substring filters');
    assert.ok(lines.some((l) => typeof l.renamed_to === 'string'), 'a renamed name is offered (do_unlinkat / filename_unlinkat)');
  });
});
