// Files touched from another mount namespace or root (issue 12, "Paths are relative to the
// caller's mount namespace / root"): `path`, `cwd` and `exe` are the host's names, what opens over
// SSH; `proc_path` is the process's view when it differs; a file system the host does not mount
// is said to be so (`path_on_host: false`), never passed off as a host path. Part of CASES
// (cases.ts). The "container" is what runc makes, by hand: an overlay root mounted on the host,
// a new mount namespace, pivot_root into the overlay, a tmpfs of its own.
import { pred, type AgentCase, type CaseContext } from './suite';

const ok = { ret: 0 };

/**
 * The path of a removed file as this run can know it. The agent names it from the kernel's dentry
 * where a hook saw it (fentry/kprobe; tracepoint mode: ext4 unlinks only, and an overlay's unlink
 * reaches ext4 with the upper file system's dentry, not the overlay's). Else the caller's spelling
 * is joined to the process's root or cwd as the host names it: right through an overlay root, but
 * blind to a bind mount inside the namespace (flagged path_source "user").
 */
function hostOrSpelled(host: string, spelled: string) {
  return pred(`path ${host} (or ${spelled} from the spelling, flagged user)`, (e) => {
    const o = e as Record<string, unknown>;
    return o.path === host || (o.path === spelled && o.path_source === 'user');
  });
}

function notOnHostOrSpelled(view: string, spelled: string) {
  return pred(`path ${view} with path_on_host false (or ${spelled} from the spelling, flagged user)`, (e) => {
    const o = e as Record<string, unknown>;
    return (o.path === view && o.path_on_host === false) || (o.path === spelled && o.path_source === 'user');
  });
}

export const NAMESPACE_CASES: AgentCase[] = [
  {
    name: 'a private mount namespace with a bind mount: path, cwd and old_path are the host names, proc_path the process view',
    families: ['unlink', 'create'],
    needs: ['unshare'],
    args: () => ['--comm', 'kw-trigger'], // not mount(8)'s own files
    setup: () => `mkdir -p "$D/src/d" "$D/mnt"; touch "$D/src/a" "$D/src/b" "$D/src/c"`,
    // absolute and relative names, a dirfd-free rmdir, a rename and a create inside the bind mount
    trigger: () =>
      `D="$D" T="$T" unshare -m --propagation private sh -c 'mount --bind "$D/src" "$D/mnt" && "$T" unlink "$D/mnt/a" && cd "$D/mnt" && "$T" unlink b && "$T" rmdir d && "$T" rename c e && "$T" creat-syscall f'`,
    ordered: true,
    expect: (ctx: CaseContext) => {
      const src = `${ctx.dir}/src`, mnt = `${ctx.dir}/mnt`;
      return [
        { type: 'unlink', op: 'unlink', $self: hostOrSpelled(`${src}/a`, `${mnt}/a`), comm: 'kw-trigger', ...ok },
        { type: 'unlink', op: 'unlink', path: `${src}/b`, proc_path: `${mnt}/b`, cwd: src, comm: 'kw-trigger', ...ok },
        { type: 'unlink', op: 'rmdir', path: `${src}/d`, proc_path: `${mnt}/d`, cwd: src, ...ok },
        { type: 'create', op: 'rename', path: `${src}/e`, proc_path: `${mnt}/e`, old_path: `${src}/c`, cwd: src, ...ok },
        { type: 'create', op: 'open', path: `${src}/f`, proc_path: `${mnt}/f`, cwd: src, ...ok },
      ];
    },
  },
  {
    name: 'a container made by hand (overlay root, pivot_root, its own tmpfs): host paths through the overlay with the layer each file lived in, exe on the host, path_on_host false for the tmpfs',
    families: ['unlink', 'create'],
    needs: ['unshare', 'pivot_root', 'overlay-root'],
    args: () => ['--comm', 'kw-trigger'], // not mount(8)'s own files
    setup: () =>
      [
        `mkdir -p "$D/lower/data" "$D/lower/old" "$D/lower/tmp" "$D/upper" "$D/work" "$D/merged"`,
        `cp "$T" "$D/lower/kw-trigger"`,
        `touch "$D/lower/data/low"`,
        `mount -t overlay overlay -o "lowerdir=$D/lower,upperdir=$D/upper,workdir=$D/work" "$D/merged"`,
        `touch "$D/merged/data/up"`,
      ].join('\n'),
    // the host keeps the overlay mounted until the agents stopped: its name is the host's then
    trigger: () =>
      `D="$D" unshare -m --propagation private sh -c 'mount -t tmpfs none "$D/merged/tmp" && cd "$D/merged" && pivot_root . old && cd / && /kw-trigger creat-syscall /tmp/own && /kw-trigger unlink /tmp/own && /kw-trigger unlink /data/low && cd /data && /kw-trigger unlink up && /kw-trigger creat-syscall new'`,
    teardown: () => `umount "$D/merged"`,
    ordered: true,
    expect: (ctx: CaseContext) => {
      const m = `${ctx.dir}/merged`;
      const exe = `${m}/kw-trigger`;
      return [
        { type: 'create', op: 'open', path: '/tmp/own', path_on_host: false, exe, ...ok },
        // a hook names the tmpfs file: not on the host. The spelling alone cannot see the
        // namespace's own mount, so it is joined to the root's host name (flagged user).
        { type: 'unlink', op: 'unlink', $self: notOnHostOrSpelled('/tmp/own', `${m}/tmp/own`), exe, ...ok },
        // the layer the file lived in: the image's (lower) for one that came with it, else the container's (upper)
        { type: 'unlink', op: 'unlink', path: `${m}/data/low`, proc_path: '/data/low', layer: 'lower', real_path: `${ctx.dir}/lower/data/low`, exe, ...ok },
        { type: 'unlink', op: 'unlink', path: `${m}/data/up`, proc_path: '/data/up', layer: 'upper', real_path: `${ctx.dir}/upper/data/up`, cwd: `${m}/data`, exe, ...ok },
        { type: 'create', op: 'open', path: `${m}/data/new`, proc_path: '/data/new', layer: 'upper', real_path: `${ctx.dir}/upper/data/new`, cwd: `${m}/data`, exe, ...ok },
      ];
    },
  },
  {
    name: 'a chroot in the host namespace: an absolute name is joined to the chroot',
    families: ['unlink'],
    needs: ['chroot'],
    setup: () => `mkdir -p "$D/jail/x"; cp "$T" "$D/jail/kw-trigger"; touch "$D/jail/x/a"`,
    trigger: () => `chroot "$D/jail" /kw-trigger unlink /x/a`,
    expect: (ctx: CaseContext) => [
      { type: 'unlink', op: 'unlink', path: `${ctx.dir}/jail/x/a`, exe: `${ctx.dir}/jail/kw-trigger`, ...ok },
    ],
  },
];
