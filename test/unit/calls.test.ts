// Probing kernel functions by name (issue 13, part 2), the parts without a kernel: what a user
// may ask for (function names, --where conditions) and the agent command line it becomes, the
// CLI's arguments, a call as one line (arguments, errno names, durations), the agent's funcs
// listing, and the agent's refusal of an unknown function shown as the error.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { formatEvent, parseArgs, traceOptionsFrom, traceWords } from '../../src/cli';
import { argText, argsText, callText, checkFuncs, checkWhere, formatDuration, parseWhere, retInfo, splitWhereLine, whereText } from '../../src/core/calls';
import { errnoName, knownErrno } from '../../src/core/errno';
import { classifyAgentFailure } from '../../src/core/errors';
import type { CallEvent } from '../../src/core/events';
import { chooseFunctions, functionPickText, parseFunctionList, probeTarget } from '../../src/core/kernel-funcs';
import { agentTraceArgs, agentTraceParts } from '../../src/core/session/trace-session';
import { oneLine } from '../../src/core/watch/one-line';
import { traceTitle } from '../../src/panel/title';

const asIs = (s: string) => s;

describe('--where conditions (the agent\'s grammar, native/func.c bind_where)', () => {
  it('ARG OP VALUE with integers, errno and enum names, and strings, normalized for the agent', () => {
    assert.equal(whereText(parseWhere('ret<0')), 'ret < 0');
    assert.equal(whereText(parseWhere('  ret   >=   -2 ')), 'ret >= -2');
    assert.equal(whereText(parseWhere('flags != 0x1F')), 'flags != 0x1F');
    assert.equal(whereText(parseWhere('ret == -ENOENT')), 'ret == -ENOENT');
    assert.equal(whereText(parseWhere('mode==O_RDONLY')), 'mode == O_RDONLY');
    assert.equal(whereText(parseWhere('dentry == "disk.img"')), 'dentry == "disk.img"');
    assert.equal(whereText(parseWhere('name != "a b"')), 'name != "a b"');
    // between the first and the last quote, as it is (the agent knows no escapes)
    assert.deepEqual(parseWhere('name == "a\\"b"').value, { kind: 'string', value: 'a\\"b' });
    assert.deepEqual(parseWhere('dentry == "x&&y"').value, { kind: 'string', value: 'x&&y' });
    for (const op of ['==', '!=', '<', '<=', '>', '>=']) assert.equal(parseWhere(`ret ${op} 1`).op, op);
    const big = parseWhere('size <= 18446744073709551615').value;
    assert.equal(big.kind === 'int' && big.value, 2n ** 64n - 1n);
    assert.equal(parseWhere('x > -9223372036854775808').value.kind, 'int');
    assert.equal(parseWhere(`name == "${'x'.repeat(63)}"`).value.kind, 'string');
  });

  it('refuses what the agent would refuse, saying what is wrong', () => {
    assert.throws(() => parseWhere('ret'), /expected ARGUMENT OPERATOR VALUE/);
    assert.throws(() => parseWhere('ret = 0'), /expected ARGUMENT OPERATOR VALUE/);
    assert.throws(() => parseWhere('ret =< 0'), /expected ARGUMENT OPERATOR VALUE/);
    assert.throws(() => parseWhere('ret <= = 0'), /the value must be an integer/);
    assert.throws(() => parseWhere('ret <'), /no value after </);
    assert.throws(() => parseWhere('1ret < 0'), /expected ARGUMENT/);
    assert.throws(() => parseWhere(`${'a'.repeat(64)} < 0`), /expected ARGUMENT/);
    assert.throws(() => parseWhere('ret < 0 1'), /the value must be an integer \(42, -2, 0x1f\), an errno or enum name \(-ENOENT\), or a double-quoted string, got "0 1"/);
    assert.throws(() => parseWhere("dentry == 'x'"), /the value must be an integer/);
    assert.throws(() => parseWhere('dentry == "x'), /no closing "/);
    assert.throws(() => parseWhere('dentry == "'), /no closing "/);
    assert.throws(() => parseWhere('dentry < "x"'), /a string compares with == or != only/);
    assert.throws(() => parseWhere(`name == "${'x'.repeat(64)}"`), /strings of at most 63 bytes/);
    assert.throws(() => parseWhere('dentry == "a\u0001"'), /control characters/);
    assert.throws(() => parseWhere('x < 18446744073709551616'), /does not fit 64 bits/);
    assert.throws(() => parseWhere('x < -9223372036854775809'), /does not fit 64 bits/);
    assert.throws(() => checkWhere(Array(9).fill('ret < 0')), /at most 8 --where/);
  });

  it('one line of conditions joined by && (the input box), && inside a string kept', () => {
    assert.deepEqual(splitWhereLine(''), []);
    assert.deepEqual(splitWhereLine(' ret < 0 '), ['ret < 0']);
    assert.deepEqual(splitWhereLine('ret < 0 && dentry == "a && b" &&dir != 0'), ['ret < 0', 'dentry == "a && b"', 'dir != 0']);
  });
});

describe('funcs in a trace: the agent command line', () => {
  it('func:NAME entries after the families, --where flags; a trace of functions alone', () => {
    assert.deepEqual(agentTraceArgs({ families: [], funcs: ['vfs_unlink'], where: ['ret<0', 'dentry == "disk.img"'] }, 'wire'), [
      'trace', 'func:vfs_unlink', '--format', 'wire', '--where', 'ret < 0', '--where', 'dentry == "disk.img"',
    ]);
    assert.deepEqual(agentTraceParts({ families: ['unlink', 'unlink'], funcs: ['vfs_unlink', 'vfs_rmdir', 'vfs_unlink'] }).families, 'unlink,func:vfs_unlink,func:vfs_rmdir');
  });

  it('names, counts and conditions are checked before anything runs', () => {
    assert.throws(() => agentTraceParts({ families: [] }), /at least one family .* or kernel function \(func:NAME\)/);
    assert.throws(() => agentTraceParts({ families: [], funcs: ['vfs unlink'] }), /func:vfs unlink: not a kernel function name/);
    assert.throws(() => agentTraceParts({ families: [], funcs: ['x.isra.0'] }), /not a kernel function name/);
    assert.throws(() => agentTraceParts({ families: [], funcs: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] }), /at most 8 kernel functions per trace, got 9/);
    assert.equal(checkFuncs(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'h']), undefined, 'a name given twice counts once');
    assert.throws(() => agentTraceParts({ families: ['unlink'], where: ['ret < 0'] }), /--where filters calls of kernel functions/);
    assert.throws(() => agentTraceParts({ families: [], funcs: ['f'], where: ['ret <'] }), /--where "ret <": no value/);
    assert.throws(() => agentTraceParts({ families: [], funcs: ['f'], guard: { denyDelete: ['/x'] } }), /a guard takes rules/);
    // the agent has no paths to filter in a trace of functions alone
    assert.throws(() => agentTraceParts({ families: [], funcs: ['f'], pathPrefixes: ['/tmp'] }), /a trace of kernel functions alone has no paths to filter: use --where/);
    assert.deepEqual(agentTraceParts({ families: ['unlink'], funcs: ['f'], pathPrefixes: ['/tmp'] }).filters, ['--path-prefix', '/tmp']);
  });

  it('the CLI: func:NAME in the families list, --where repeatable; bad ones are usage errors', () => {
    const o = traceOptionsFrom(parseArgs(['trace', 'unlink,func:vfs_unlink', '--host', 'h', '--where', 'ret < 0', '--where=dentry == "a b"', '--stacks', 'kernel']));
    assert.deepEqual(o.families, ['unlink']);
    assert.deepEqual(o.funcs, ['vfs_unlink']);
    assert.deepEqual(o.where, ['ret < 0', 'dentry == "a b"']);
    assert.deepEqual(agentTraceArgs(o, 'json'), ['trace', 'unlink,func:vfs_unlink', '--format', 'json', '--where', 'ret < 0', '--where', 'dentry == "a b"', '--stacks', 'kernel']);
    const only = traceOptionsFrom(parseArgs(['trace', 'func:vfs_unlink,func:vfs_rmdir', '--host', 'h']));
    assert.deepEqual([only.families, only.funcs, only.where], [[], ['vfs_unlink', 'vfs_rmdir'], undefined]);
    assert.equal(traceWords(only), 'vfs_unlink(), vfs_rmdir()');
    assert.equal(traceWords(o), 'unlink + vfs_unlink()');
    assert.throws(() => traceOptionsFrom(parseArgs(['trace', 'func:', '--host', 'h'])), /"func:": expected func:NAME/);
    assert.throws(() => traceOptionsFrom(parseArgs(['trace', 'func:a-b', '--host', 'h'])), /expected func:NAME/);
    assert.throws(() => traceOptionsFrom(parseArgs(['trace', 'fun:x', '--host', 'h'])), /unknown family "fun:x" \(expected unlink, create, write, exec or func:NAME\)/);
    assert.throws(() => traceOptionsFrom(parseArgs(['trace', 'unlink', '--where', 'ret < 0'])), /--where filters calls of kernel functions: add func:NAME/);
    assert.throws(() => traceOptionsFrom(parseArgs(['trace', 'func:f', '--where', 'ret ~ 0'])), /--where "ret ~ 0"/);
  });

  it('panel titles say which functions', () => {
    const host = { id: 'h', label: 'node7', kind: 'ssh' as const };
    assert.equal(traceTitle({ host, options: { families: [], funcs: ['vfs_unlink'] } }), 'Calls of vfs_unlink — node7');
    assert.equal(traceTitle({ host, options: { families: [], funcs: ['vfs_unlink', 'vfs_rmdir'], where: ['ret < 0'] } }), 'Calls of vfs_unlink, vfs_rmdir where ret < 0 — node7');
    assert.equal(traceTitle({ host, options: { families: ['unlink'], funcs: ['vfs_unlink'], comm: 'rm' } }), 'Unlink + calls of vfs_unlink by rm — node7');
  });
});

const call: CallEvent = {
  type: 'call', time: '2026-12-03T12:00:01.123456789Z', ktime_ns: 1, pid: 4242, tid: 4242, ppid: 1, uid: 0, gid: 0, comm: 'rm', exe: '/usr/bin/rm',
  cwd: '/tmp/x', ancestors: [], cgroup: '/', container: null, ret: 0, probe: 'fentry:vfs_unlink', func: 'vfs_unlink', attach: 'fentry', ret_type: 'int',
  args: {
    dir: { addr: '0xffff888101234000', path: '/tmp/x', ino: 12, dev: 2049, mode: 16877 },
    dentry: { addr: '0xffff888107654321', name: 'disk.img', path: '/tmp/x/disk.img', ino: 123, dev: 2049 },
  },
  arg_types: { dir: 'struct inode *', dentry: 'struct dentry *' },
  duration_ns: 3200,
};

describe('a call as text', () => {
  it('the CLI line: who, the function with its arguments, the return value (with the errno), the duration', () => {
    assert.equal(formatEvent(call), '12:00:01.123 rm[4242] vfs_unlink(dir=/tmp/x ino 12, dentry="disk.img" /tmp/x/disk.img) = 0  3.2 µs');
    assert.equal(formatEvent({ ...call, ret: -2 }), '12:00:01.123 rm[4242] vfs_unlink(dir=/tmp/x ino 12, dentry="disk.img" /tmp/x/disk.img) = -2 ENOENT  3.2 µs');
    assert.match(formatEvent({ ...call, ret: null, ret_type: 'void', args_truncated: true }), /disk\.img\) \[args cut\]  3\.2 µs$/);
    // names are the traced host's: a newline or ESC in them never reaches the terminal raw
    const hostile = formatEvent({ ...call, comm: 'x\u001b[2J', args: { name: 'a"\n' }, arg_types: { name: 'const char *' } });
    assert.equal(hostile, '12:00:01.123 x\\u001b[2J[4242] vfs_unlink(name="a\\"\\n") = 0  3.2 µs');
  });

  it('argument values of every shape the agent sends', () => {
    assert.equal(argText(null, 'struct inode **', asIs), 'NULL');
    assert.equal(argText(null, 'const char *', asIs), 'NULL');
    assert.equal(argText(7, 'int', asIs), '7');
    assert.equal(argText('18446744073709551615', 'u64', asIs), '18446744073709551615');
    assert.equal(argText(true, 'bool', asIs), 'true');
    assert.equal(argText('O_RDONLY', 'enum x', asIs), 'O_RDONLY');
    assert.equal(argText('hello', 'const char *', asIs), '"hello"');
    assert.equal(argText('0xffff8881', 'void *', asIs), '0xffff8881');
    assert.equal(argText({ addr: '0x10' }, 'char *', asIs), '0x10', 'an unreadable string: its address');
    assert.equal(argText({ addr: '0x1', ino: 5, dev: 1, mode: 0o100644, nlink: 1, size: 9 }, 'struct inode *', asIs), 'ino 5');
    assert.equal(argText({ addr: '0x1', path: '/etc/passwd', ino: 5, dev: 1 }, 'struct file *', asIs), '/etc/passwd ino 5');
    assert.equal(argText({ addr: '0x1', name: 'x' }, 'struct qstr *', asIs), '"x"');
    assert.equal(argText({ addr: '0x1', pid: 7, tid: 8, comm: 'bash' }, 'struct task_struct *', asIs), 'bash[7]');
    assert.equal(argText({ addr: '0x1', family: 'AF_INET', sport: 22, dport: 50000 }, 'struct sock *', asIs), 'AF_INET :22 → :50000');
    assert.equal(argText({}, 'struct x *', asIs), '{}');
    // the agent's exact bytes of a name that is not UTF-8 go to the escape (the panel shows them as \\xff)
    const exact = (p: string, b64: string | undefined) => (b64 === undefined ? p : `<${b64}>`);
    assert.equal(argText({ addr: '0x1', name: '\ufffd', name_b64: '/w==', path: '/tmp/\ufffd', path_b64: 'L3RtcC//', ino: 5, dev: 1 }, 'struct dentry *', exact), '"</w==>" <L3RtcC//>');
    assert.equal(argText({ addr: '0x1', s: 'a\ufffd', s_b64: 'Yf8=' }, 'const char *', exact), '"<Yf8=>"', 'a char * that is not text');
    assert.equal(argText({ addr: '0x1', pid: 7, tid: 7, comm: '\ufffd', comm_b64: '/w==' }, 'struct task_struct *', exact), '</w==>[7]');
    assert.equal(argText({ addr: '0x1', ino: 5, dev: 1, mode: '0100644', nlink: 1, size: 9 }, 'struct inode *', asIs), 'ino 5', 'the agent sends mode as an octal string');
    assert.equal(argsText({}, {}, asIs), '');
  });

  it('return values: errno names for -4095..-1 only, pointers and big numbers as they came, void', () => {
    assert.deepEqual(retInfo(-2, asIs), { text: '-2 ENOENT', failed: true });
    assert.deepEqual(retInfo(-512, asIs), { text: '-512 ERESTARTSYS', failed: true });
    assert.deepEqual(retInfo(-4000, asIs), { text: '-4000', failed: true });
    assert.deepEqual(retInfo(-5000, asIs), { text: '-5000', failed: false });
    assert.deepEqual(retInfo(3, asIs), { text: '3', failed: false });
    assert.deepEqual(retInfo('0xffff888101234400', asIs), { text: '0xffff888101234400', failed: false });
    assert.deepEqual(retInfo(null, asIs), { text: 'void', failed: false });
    assert.equal(errnoName(-2), 'ENOENT');
    assert.equal(errnoName(-300), 'E300');
    assert.equal(knownErrno(-300), undefined);
    assert.equal(knownErrno(2), undefined, 'a positive value is no errno');
  });

  it('durations in the unit that reads best', () => {
    assert.deepEqual([0, 850, 3200, 1_500_000, 2_040_000_000, -1].map(formatDuration), ['0 ns', '850 ns', '3.2 µs', '1.5 ms', '2.04 s', '?']);
    assert.equal(callText({ ...call, duration_ns: 999_999 }, asIs).endsWith('1000.0 µs'), true);
  });

  it('a watch notification line for a call', () => {
    assert.equal(oneLine({ ...call, ret: -13 }), 'rm (pid 4242, /usr/bin/rm) called vfs_unlink(dir=/tmp/x ino 12, dentry="disk.img" /tmp/x/disk.img) = -13 EACCES');
  });
});

describe('the host\'s kernel functions (kwitness-agent funcs)', () => {
  const text = [
    '{"name":"vfs_unlink","module":"","proto":"int vfs_unlink(struct mnt_idmap *idmap, struct inode *dir, struct dentry *dentry, struct inode **delegated_inode)","traceable":true}',
    '{"name":"xfs_remove","module":"xfs","proto":"int xfs_remove(struct xfs_inode *dp, struct xfs_name *name, struct xfs_inode *ip)","traceable":true}',
    '{"name":"do_unlinkat","renamed_to":"filename_unlinkat","module":"","proto":"","traceable":false}',
    '{"name":"filename_unlinkat","module":"","proto":"int filename_unlinkat(int dfd, struct filename *name)","traceable":true}',
    '{"name":"inlined_one","module":"","proto":"void inlined_one(void)","traceable":false}',
    '{"name":"bad name","module":"","proto":"","traceable":true}',
    '{"name":"x","module":"../../etc","traceable":true}',
    'not json',
    '[1,2]',
    '{"name":"y","renamed_to":"y"}',
    '',
  ].join('\n');

  it('every well-formed line, sorted; anything else skipped and counted', () => {
    const l = parseFunctionList(text);
    assert.deepEqual(l.functions.map((f) => f.name), ['do_unlinkat', 'filename_unlinkat', 'inlined_one', 'vfs_unlink', 'xfs_remove']);
    assert.equal(l.skipped, 5);
    const xfs = l.functions.find((f) => f.name === 'xfs_remove')!;
    assert.deepEqual(xfs, { name: 'xfs_remove', module: 'xfs', proto: 'int xfs_remove(struct xfs_inode *dp, struct xfs_name *name, struct xfs_inode *ip)', traceable: true });
  });

  it('what probing one means: its name, the new name of a renamed one, or why not', () => {
    const l = parseFunctionList(text).functions;
    const f = (n: string) => l.find((x) => x.name === n)!;
    assert.deepEqual(probeTarget(f('vfs_unlink'), l), { name: 'vfs_unlink' });
    assert.deepEqual(probeTarget(f('do_unlinkat'), l), { name: 'filename_unlinkat' });
    const no = probeTarget(f('inlined_one'), l);
    assert.ok('refused' in no && /inlined_one cannot be probed here: the kernel does not list it in tracefs available_filter_functions/.test(no.refused));
  });

  it('the picker: old → new for a renamed one, module and "not traceable" marks, the prototype; a choice becomes the names to probe', () => {
    const l = parseFunctionList(text).functions;
    const f = (n: string) => l.find((x) => x.name === n)!;
    assert.deepEqual(functionPickText(f('do_unlinkat')), { label: 'do_unlinkat → filename_unlinkat', description: '', detail: 'renamed in this kernel: probes filename_unlinkat' });
    assert.deepEqual(functionPickText(f('xfs_remove')), { label: 'xfs_remove', description: '[xfs]', detail: 'int xfs_remove(struct xfs_inode *dp, struct xfs_name *name, struct xfs_inode *ip)' });
    assert.equal(functionPickText(f('inlined_one')).description, 'not traceable');
    const c = chooseFunctions([f('vfs_unlink'), f('do_unlinkat'), f('filename_unlinkat'), f('inlined_one')], l);
    assert.deepEqual(c.funcs, ['vfs_unlink', 'filename_unlinkat'], 'a renamed one and its new name are one probe');
    assert.equal(c.refused.length, 1);
    assert.match(c.refused[0], /^inlined_one cannot be probed here/);
  });

  it('the agent refusing an unknown function is shown as its own line, as a usage error', () => {
    const err = classifyAgentFailure('node7', 'kwitness-pid 123 456\nkwitness-agent: func:vfs_unlnk: no such kernel function in this kernel\'s BTF (nearest: vfs_unlink, vfs_rmdir)\n', 2);
    assert.equal(err.code, 'bad-input');
    assert.equal(err.message, "node7: func:vfs_unlnk: no such kernel function in this kernel's BTF (nearest: vfs_unlink, vfs_rmdir)");
    // a rename note before the refusal is not the refusal
    const two = classifyAgentFailure('node7', 'kwitness-agent: func:do_unlinkat: this kernel names it filename_unlinkat (renamed in 7.0, same arguments): probing that\nkwitness-agent: func:vfs_x: no such kernel function in this kernel\'s BTF\n', 2);
    assert.equal(two.message, "node7: func:vfs_x: no such kernel function in this kernel's BTF");
    const where = classifyAgentFailure('node7', "kwitness-agent: --where 'mode == 3': vfs_unlink's mode (umode_t) is not a number\n", 2);
    assert.deepEqual([where.code, where.message], ['bad-input', "node7: --where 'mode == 3': vfs_unlink's mode (umode_t) is not a number"]);
  });
});
