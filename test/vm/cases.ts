// The VM event cases: trigger something in the guest, expect these events from the agent.
// Each case works in its own directory ($D) and is matched by absolute paths under it (or by a
// marker in argv), so all cases of one attach mode share one agent run.
//
// Includes what only the guest kernels can show: an unlink done by io_uring (no syscall:
// IORING_OP_UNLINKAT, Linux >= 5.11), caught in fentry/kprobe mode.
import type { AttachMode, Family, KwEvent } from '../../src/core/events';

export interface Expect {
  /** What is expected, in words (shown when missing). */
  what: string;
  match: (e: KwEvent) => boolean;
}

export interface VmCase {
  name: string;
  /** The families the agent must trace for this case (skipped in a mode a family cannot use). */
  families: Family[];
  /**
   * Attach modes where the case applies (default: all). With --attach auto the mode the agent
   * chose for the case's first family is what counts.
   */
  modes?: AttachMode[];
  /** Guest tools the trigger needs (skipped when missing: PATH or /tmp/kw). */
  needs?: string[];
  /** Shell run in the guest with D set to the case's fresh directory; it may print key=value lines. */
  trigger: string;
  /**
   * Exit status that means "this kernel cannot do it" (the case is skipped, not failed): the
   * io_uring trigger exits 3 when IORING_OP_UNLINKAT is missing (Linux 5.10).
   */
  unsupportedExit?: number;
  expect: (d: string, out: Record<string, string>) => Expect[];
}

const ev = <T extends KwEvent['type']>(e: KwEvent, type: T): e is Extract<KwEvent, { type: T }> => e.type === type;

export const VM_CASES: VmCase[] = [
  {
    name: 'busybox rm (unlink syscall): absolute path, last_link, ret 0',
    families: ['unlink'],
    trigger: 'echo x > "$D/f" && rm "$D/f"',
    expect: (d) => [{
      what: `unlink ${d}/f by rm, op unlink, ret 0, last_link true`,
      match: (e) => ev(e, 'unlink') && e.path === `${d}/f` && e.op === 'unlink' && e.ret === 0 && e.last_link === true && e.comm === 'rm',
    }],
  },
  {
    name: 'relative path after cd: reported absolute',
    families: ['unlink'],
    trigger: 'echo x > "$D/rel" && cd "$D" && rm rel',
    expect: (d) => [{
      what: `unlink ${d}/rel (absolute although rm got 'rel')`,
      match: (e) => ev(e, 'unlink') && e.path === `${d}/rel` && e.ret === 0 && e.cwd === d,
    }],
  },
  {
    name: 'unlinkat with a dirfd from another cwd (kw-trigger)',
    families: ['unlink'],
    needs: ['kw-trigger'],
    trigger: 'echo x > "$D/at" && /tmp/kw/kw-trigger unlinkat-dirfd "$D" at',
    expect: (d) => [{
      what: `unlink ${d}/at resolved against the dirfd`,
      match: (e) => ev(e, 'unlink') && e.path === `${d}/at` && e.ret === 0,
    }],
  },
  {
    name: 'hard links: last_link false, then true',
    families: ['unlink'],
    trigger: 'echo x > "$D/a" && ln "$D/a" "$D/b" && rm "$D/a" && rm "$D/b"',
    expect: (d) => [
      { what: `unlink ${d}/a with last_link false`, match: (e) => ev(e, 'unlink') && e.path === `${d}/a` && e.last_link === false },
      { what: `unlink ${d}/b with last_link true`, match: (e) => ev(e, 'unlink') && e.path === `${d}/b` && e.last_link === true },
    ],
  },
  {
    name: 'mkdir + rmdir',
    families: ['create', 'unlink'],
    trigger: 'mkdir "$D/sub" && rmdir "$D/sub"',
    expect: (d) => [
      { what: `create ${d}/sub op mkdir`, match: (e) => ev(e, 'create') && e.path === `${d}/sub` && e.op === 'mkdir' && e.ret === 0 },
      { what: `unlink ${d}/sub op rmdir`, match: (e) => ev(e, 'unlink') && e.path === `${d}/sub` && e.op === 'rmdir' && e.ret === 0 },
    ],
  },
  {
    name: 'O_CREAT of a new file: create event with dev/ino',
    families: ['create'],
    trigger: 'echo x > "$D/new" && stat -c "ino=%i" "$D/new"',
    expect: (d, out) => [{
      what: `create ${d}/new op open, ino ${out.ino}`,
      match: (e) => ev(e, 'create') && e.path === `${d}/new` && e.op === 'open' && e.ret === 0 && String(e.ino) === out.ino,
    }],
  },
  {
    name: 'failed unlink (ENOENT): ret -2',
    families: ['unlink'],
    trigger: 'rm "$D/missing" 2>/dev/null; true',
    expect: (d) => [{
      what: `unlink ${d}/missing with ret -2`,
      match: (e) => ev(e, 'unlink') && e.path === `${d}/missing` && e.ret === -2,
    }],
  },
  {
    name: 'exec through a busybox symlink: exe resolved, argv complete',
    families: ['exec'],
    trigger: 'cd "$D" && /bin/true kwmark "$D" && echo pid=$$',
    expect: (d) => [{
      what: `exec /bin/true with argv [true kwmark ${d}] and exe /usr/bin/busybox`,
      match: (e) => ev(e, 'exec') && e.filename === '/bin/true' && e.argv.join(' ') === `/bin/true kwmark ${d}`
        && e.exe === '/usr/bin/busybox' && e.ret === 0,
    }],
  },
  {
    name: 'io_uring IORING_OP_UNLINKAT (no unlink syscall) is caught',
    families: ['unlink'],
    modes: ['fentry', 'kprobe'],
    needs: ['kw-iouring-unlink'],
    unsupportedExit: 3,
    trigger: 'echo x > "$D/ring" && /tmp/kw/kw-iouring-unlink "$D/ring"',
    expect: (d) => [{
      what: `unlink ${d}/ring done by io_uring, ret 0`,
      match: (e) => ev(e, 'unlink') && e.path === `${d}/ring` && e.ret === 0,
    }],
  },
];
