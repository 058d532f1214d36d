// The guard's cases (test/agent/guard-suite.ts runs them): the disk.img story (stop the deletion
// while we find out who attempts it), a read-only tree, the quota story (a full volume blocks
// writes only; reads and deletes keep working), --audit-only and an exemption. They run in VM
// guests with BPF LSM active, with fmod_ret, and booted without 'bpf' in the LSM list.
import type { GuardCase } from './guard-suite';

const KIB = 1024;
const MIB = 1024 * KIB;

export const GUARD_CASES: GuardCase[] = [
  {
    name: 'deny-delete: rm, unlink(2), mv away, rename over, the directory above, another hard link all fail',
    rules: (c) => ['--deny-delete', `${c.dir}/vol/disk.img`],
    setup: [
      'mkdir -p "$D/vol" "$D/elsewhere"',
      'echo image > "$D/vol/disk.img"',
      'echo other > "$D/other"',
      'echo x > "$D/vol/neighbour"',
      'ln "$D/vol/disk.img" "$D/elsewhere/hardlink"',
    ].join('\n'),
    trigger: [
      'kw_try rm rm "$D/vol/disk.img"', // coreutils rm: unlinkat(2)
      'kw_try unlink "$T" unlink "$D/vol/disk.img"', // unlink(2), what Python's os.unlink calls
      'kw_try mv_away mv "$D/vol/disk.img" "$D/moved"',
      'kw_try rename_over "$T" rename "$D/other" "$D/vol/disk.img"',
      'kw_try mv_dir mv "$D/vol" "$D/vol2"',
      'kw_try hardlink rm "$D/elsewhere/hardlink"',
      'kw_try neighbour rm "$D/vol/neighbour"',
    ].join('\n'),
    outcomes: { rm: 'EPERM', unlink: 'EPERM', mv_away: 'EPERM', rename_over: 'EPERM', mv_dir: 'EPERM', hardlink: 'EPERM', neighbour: 'ok' },
    probe: 'echo "kept=$(cat "$D/vol/disk.img")"',
    state: { kept: 'image' },
    denied: (c) => [
      { type: 'denied', op: 'unlink', path: `${c.dir}/vol/disk.img`, ret: -1, rule: 0, comm: 'rm' },
      { type: 'denied', op: 'unlink', path: `${c.dir}/vol/disk.img`, ret: -1, rule: 0, comm: 'kw-trigger' },
      { type: 'denied', op: 'rename', path: `${c.dir}/vol/disk.img`, ret: -1, rule: 0, comm: 'mv' },
      { type: 'denied', op: 'rename', path: `${c.dir}/vol/disk.img`, ret: -1, rule: 0, comm: 'kw-trigger' },
      { type: 'denied', op: 'rename', path: `${c.dir}/vol`, ret: -1, rule: 0, comm: 'mv' },
      { type: 'denied', op: 'unlink', path: `${c.dir}/elsewhere/hardlink`, ret: -1, rule: 0, comm: 'rm' },
    ],
    after: 'kw_try rm_after_stop rm "$D/vol/disk.img"',
  },
  {
    name: 'deny-write: writes, truncates, creates, renames into the tree fail; reads, listing, deletes work',
    rules: (c) => ['--deny-write', `${c.dir}/tree`],
    // a writer that opened the file before the guard started, waiting on a fifo to write
    setup: [
      'mkdir -p "$D/tree/sub"',
      'echo a > "$D/tree/f"',
      'echo b > "$D/outside"',
      'echo c > "$D/tree/sub/gone"',
      'mkfifo "$D/go"',
      '( exec 3>>"$D/tree/f"; read -r x < "$D/go"; if echo late >&3; then echo 0; else echo 1; fi > "$D/late.rc" 2>/dev/null ) >/dev/null 2>&1 &',
    ].join('\n'),
    trigger: [
      'kw_try append sh -c "echo more >> \\"$D/tree/f\\""',
      'kw_try truncate "$T" truncate "$D/tree/f" 0',
      'kw_try cp cp "$D/outside" "$D/tree/f"',
      'kw_try dd dd if=/dev/zero of="$D/tree/f" bs=1 count=1 conv=notrunc status=none',
      'kw_try create touch "$D/tree/new"',
      'kw_try mkdir mkdir "$D/tree/sub/d"',
      'kw_try mv_in mv "$D/outside" "$D/tree/moved"',
      'kw_try link_out ln "$D/tree/f" "$D/hl"',
      'kw_try cat cat "$D/tree/f"',
      'kw_try ls ls "$D/tree"',
      'kw_try rm rm "$D/tree/sub/gone"',
      'kw_try outside sh -c "echo fine > \\"$D/outside2\\""',
      'echo go > "$D/go"',
      'for i in $(seq 200); do [ -s "$D/late.rc" ] && break; sleep 0.05; done',
      'echo "old_fd_write_rc=$(cat "$D/late.rc")"',
    ].join('\n'),
    outcomes: { append: 'EPERM', truncate: 'EPERM', cp: 'EPERM', dd: 'EPERM', create: 'EPERM', mkdir: 'EPERM', mv_in: 'EPERM', link_out: 'EPERM', cat: 'ok', ls: 'ok', rm: 'ok', outside: 'ok' },
    probe: 'echo "content=$(cat "$D/tree/f")"; [ -e "$D/tree/new" ] || echo "new_absent=1"',
    state: { content: 'a', new_absent: '1', old_fd_write_rc: '1' },
    denied: (c) => [
      { type: 'denied', op: 'open_write', path: `${c.dir}/tree/f`, ret: -1 },
      { type: 'denied', op: 'truncate', path: `${c.dir}/tree/f`, ret: -1, comm: 'kw-trigger' },
      { type: 'denied', op: 'open_write', path: `${c.dir}/tree/f`, ret: -1, comm: 'cp' },
      { type: 'denied', op: 'open_write', path: `${c.dir}/tree/f`, ret: -1, comm: 'dd' },
      { type: 'denied', op: 'open', path: `${c.dir}/tree/new`, ret: -1, comm: 'touch' },
      { type: 'denied', op: 'mkdir', path: `${c.dir}/tree/sub/d`, ret: -1, comm: 'mkdir' },
      { type: 'denied', op: 'rename', path: `${c.dir}/tree/moved`, ret: -1, comm: 'mv' },
      { type: 'denied', op: 'link', path: `${c.dir}/tree/f`, ret: -1, comm: 'ln' },
      { type: 'denied', op: 'write', path: `${c.dir}/tree/f`, ret: -1 },
    ],
    after: 'kw_try append_after_stop sh -c "echo more >> \\"$D/tree/f\\""',
  },
  {
    name: 'quota 1 MiB: dd stops within one block past it (EDQUOT); reads work; rm and truncate free space',
    rules: (c) => ['--quota', `${c.dir}/vol=1M`],
    setup: 'mkdir -p "$D/vol"\nhead -c 100000 /dev/zero > "$D/vol/pre"',
    trigger: [
      'kw_try dd dd if=/dev/zero of="$D/vol/big" bs=64k count=40 status=none',
      // the tree held 100000 bytes: the writes stop at the first 64 KiB block that starts at or past 1 MiB
      `t=$(( $(stat -c %s "$D/vol/big") + 100000 )); echo "dd_total_ok=$(( t >= ${MIB} && t < ${MIB + 64 * KIB} ))"`,
      'kw_try read cat "$D/vol/big"',
      'kw_try append sh -c "echo x >> \\"$D/vol/pre\\""',
      'kw_try rm rm "$D/vol/pre"',
      'kw_try after_rm dd if=/dev/zero of="$D/vol/small" bs=64k count=1 status=none',
      'kw_try trunc "$T" truncate "$D/vol/big" 0',
      'kw_try after_trunc dd if=/dev/zero of="$D/vol/more" bs=64k count=12 status=none',
    ].join('\n'),
    outcomes: { dd: 'EDQUOT', read: 'ok', append: 'EDQUOT', rm: 'ok', after_rm: 'ok', trunc: 'ok', after_trunc: 'ok' },
    state: { dd_total_ok: '1' },
    denied: (c) => [
      { type: 'denied', op: 'write', path: `${c.dir}/vol/big`, ret: -122, rule: 0, comm: 'dd' },
      { type: 'denied', op: 'write', path: `${c.dir}/vol/pre`, ret: -122, rule: 0 },
    ],
    after: 'kw_try dd_after_stop dd if=/dev/zero of="$D/vol/huge" bs=1M count=2 status=none',
  },
  {
    name: '--audit-only refuses nothing and reports would-deny',
    rules: (c) => ['--deny-delete', `${c.dir}/f`, '--deny-write', `${c.dir}/w`, '--audit-only'],
    setup: 'echo x > "$D/f"\nmkdir "$D/w"',
    trigger: 'kw_try rm rm "$D/f"\nkw_try create touch "$D/w/new"',
    outcomes: { rm: 'ok', create: 'ok' },
    probe: '[ -e "$D/f" ] || echo "gone=1"',
    state: { gone: '1' },
    denied: (c) => [
      { type: 'would-deny', op: 'unlink', path: `${c.dir}/f`, ret: -1, rule: 0, comm: 'rm' },
      { type: 'would-deny', op: 'open', path: `${c.dir}/w/new`, ret: -1, rule: 1, comm: 'touch' },
    ],
  },
  {
    name: '--exempt-comm lets that process through, and only it',
    rules: (c) => ['--deny-delete', `${c.dir}/vol`, '--exempt-comm', 'kw-trigger'],
    setup: 'mkdir "$D/vol"\necho a > "$D/vol/a"\necho b > "$D/vol/b"',
    trigger: 'kw_try rm rm "$D/vol/a"\nkw_try exempt "$T" unlink "$D/vol/b"',
    outcomes: { rm: 'EPERM', exempt: 'ok' },
    denied: (c) => [{ type: 'denied', op: 'unlink', path: `${c.dir}/vol/a`, ret: -1, rule: 0, comm: 'rm' }],
  },
];
