// The event model: what the agent reports, in the shape every layer uses.
//
// The agent's `--format json` prints exactly these objects (one per line); the TypeScript
// decoder of the `--format wire` stream (src/core/wire/) produces the same objects; the CLI,
// the trace sessions, the webview contract and the panel all consume them. Field names are
// snake_case because they are the agent's JSON keys; keep them in step with the C side.
//
// No `vscode` import here or anywhere under src/core: the CLI and the unit tests run it in Node.

/**
 * Event families the agent can trace (the argument of `kwitness-agent trace`). `write`: an
 * existing file opened for writing (O_WRONLY, O_RDWR or O_TRUNC) or truncated; an open that
 * creates the file is a `create`.
 */
export type Family = 'unlink' | 'create' | 'write' | 'exec';
export const FAMILIES: readonly Family[] = ['unlink', 'create', 'write', 'exec'];

/** How a probe was attached on the target kernel. */
export type AttachMode = 'fentry' | 'kprobe' | 'tracepoint';

/**
 * File operations carried by unlink/create/write events (write events: open_write and truncate
 * only). `exchange`: renameat2(RENAME_EXCHANGE) swapped two names (a create event with path and
 * old_path, never an unlink: nothing was deleted).
 */
export type FileOp = 'unlink' | 'rmdir' | 'rename' | 'exchange' | 'open' | 'mkdir' | 'mknod' | 'link' | 'symlink' | 'open_write' | 'truncate' | 'write';

/**
 * Names are bytes, not UTF-8. Every byte-string field X (comm, exe, cwd, path, filename, argv
 * items, cgroup, interpreter, ancestor comm/exe) is carried as a printable string; when the raw
 * bytes are not valid UTF-8 the printable form has U+FFFD in place of the bad bytes and the
 * exact bytes travel beside it in base64 as `X_b64` (for argv: `argv_b64`, an array with null for
 * items that were valid). Consumers that act on a name (open the file, filter by prefix) use
 * rawBytes() below, never the printable form.
 */
/**
 * A command line: the process's arguments as of its last exec (for processes from before the
 * trace: /proc/PID/cmdline when first seen). null = unknown (it ended before the agent could
 * learn it, a kernel thread, or a journal of an agent that did not send it).
 * `cmdline_b64`: like `argv_b64`. `cmdline_truncated`: the agent keeps at most 1 KiB.
 */
export interface CommandLine {
  cmdline?: string[] | null;
  cmdline_b64?: (string | null)[];
  cmdline_truncated?: true;
}

/** A Kubernetes pod as the node knows it (kubelet's /var/log/pods); names '' once it forgot them. */
export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

/**
 * Who the container is, from what the node holds (native/k8s.c), present only when known:
 * `runtime` (docker, containerd, cri-o, podman) from the cgroup path, `container_name` (the
 * Kubernetes container, or docker's/podman's name), `pod` from the cgroup path's pod uid.
 */
export interface ContainerFields {
  runtime?: string;
  container_name?: string;
  pod?: PodRef;
}

export interface Ancestor extends CommandLine {
  pid: number;
  comm: string;
  exe: string;
  comm_b64?: string;
  exe_b64?: string;
}

export interface ProcessFields extends CommandLine, ContainerFields {
  /** ISO 8601 wall-clock time with nanoseconds, UTC, e.g. 2026-11-21T23:59:59.123456789Z */
  time: string;
  /** CLOCK_BOOTTIME-based kernel timestamp in ns (exact up to 2^53 ns ≈ 104 days of uptime). */
  ktime_ns: number;
  pid: number;
  tid: number;
  ppid: number;
  uid: number;
  gid: number;
  comm: string;
  /** Absolute path of the acting process's executable ('' when the kernel has none, e.g. kthreads). */
  exe: string;
  cwd: string;
  /** Parent first, up to at least 8 levels; correct for parents that already exited. */
  ancestors: Ancestor[];
  /** cgroup v2 path, e.g. /system.slice/ssh.service */
  cgroup: string;
  /** Container id parsed from a docker/containerd/cri-o/podman cgroup path, else null. */
  container: string | null;
  /** 0 or a negative errno. */
  ret: number;
  /** The attach point that produced the event, e.g. tracepoint:syscalls:sys_exit_unlinkat or fentry:vfs_unlink */
  probe: string;
  comm_b64?: string;
  exe_b64?: string;
  cwd_b64?: string;
  cgroup_b64?: string;
}

/**
 * An inode number, exactly: a number up to Number.MAX_SAFE_INTEGER (2^53-1), above that its
 * decimal digits as a string, because a double would round it (overlayfs with xino keeps the
 * layer in the high bits: 2^63 + the lower layer's inode). The agent's json prints it so
 * (JSON.parse then gives this) and the wire decoder produces the same.
 */
export type InodeNumber = number | string;

/** A valid InodeNumber: a safe integer >= 0, or the decimal digits of one in (2^53-1, 2^64). */
export function isInodeNumber(v: unknown): v is InodeNumber {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0;
  if (typeof v !== 'string' || !/^[1-9][0-9]{15,19}$/.test(v)) return false;
  const n = BigInt(v);
  return n > BigInt(Number.MAX_SAFE_INTEGER) && n < 1n << 64n;
}

export type PathSource = 'kernel' | 'name' | 'user';

/**
 * One frame of a kernel stack (`trace --stacks kernel`), named on the traced host from
 * /proc/kallsyms. `addr`: the return address as lowercase hex with 0x (a u64: a number would
 * round it); `sym`/`off`: the function and the address's distance from its start, when known;
 * `module`: the kernel module holding it, absent for the kernel itself.
 */
export interface KernelFrame {
  addr: string;
  sym?: string;
  sym_b64?: string;
  off?: number;
  module?: string;
  module_b64?: string;
}

/**
 * One frame of a user stack (`trace --stacks user`). `file`/`file_off`: the ELF file the address
 * was mapped from, as the process names it, and the offset in it (with `build_id`, its GNU build
 * id in hex, when it has one: enough to symbolize elsewhere); `sym`/`off`: the function, from the
 * file's symbol tables; `src`/`line`: the source position when the file tells it (Go binaries).
 * `inferred`: the caller of a system call wrapper that keeps no frame, read at the stack pointer
 * (a frame-pointer walk cannot see it), so a likely caller rather than a certain one.
 */
export interface UserFrame {
  addr: string;
  sym?: string;
  sym_b64?: string;
  off?: number;
  file?: string;
  file_b64?: string;
  file_off?: number;
  build_id?: string;
  build_id_b64?: string;
  src?: string;
  src_b64?: string;
  line?: number;
  inferred?: true;
}

/**
 * The call's stacks (`trace FAMILIES --stacks kernel|user|kernel,user`), innermost frame first, on
 * unlink, create, write and exec events (never exit). Both arrays are present whenever the trace
 * takes stacks, even for the kind it does not take (then empty); absent otherwise. `X_error`: the
 * negative errno for which the kernel could not take that stack (the array is empty then).
 * X_b64 twins as for every byte-string field (sym, module, file, src).
 */
export interface StackFields {
  kstack?: KernelFrame[];
  kstack_error?: number;
  ustack?: UserFrame[];
  ustack_error?: number;
}

/** A frame of either stack (what the two have in common: addr, sym, off). */
export type StackFrame = KernelFrame | UserFrame;

/**
 * Frames a consumer accepts per stack (the webview checks it): the agent sends at most
 * KW_STACK_MAX (64) kernel frames and 64 + 1 (the stack pointer's) user frames; twice that leaves
 * room for a later agent.
 */
export const MAX_STACK_FRAMES = 130;


export interface FileEventFields extends ProcessFields, StackFields {
  op: FileOp;
  /**
   * ABSOLUTE path, resolved against the dirfd or cwd the caller used, across mount points; ''
   * when the name the caller passed could not be read (name_unreadable).
   */
  path: string;
  path_b64?: string;
  /**
   * A name the caller passed was empty or could not be read (a bad pointer), so the file is
   * unknown: that path (path, or old_path of a rename/link) is ''. Never the directory the
   * name was relative to. Absent otherwise.
   */
  name_unreadable?: true;
  /** True when the path was longer than the capture limit and was cut. */
  path_truncated?: boolean;
  /**
   * Where `path` came from. 'kernel': the kernel's own objects (the removed file's dentry, an
   * opened file): symlinks, '..' and '//' resolved as the kernel did, immune to a thread that
   * rewrites the caller's buffer. 'name': the kernel's copy of the caller's name (io_uring)
   * joined to its directory, '..' resolved by text. 'user': the same, read from the caller's
   * memory after the call, so another thread sharing it could have changed it meanwhile.
   * Absent in records of agents older than this field (their paths were read as 'user' ones).
   */
  path_source?: PathSource;
  /** The path as the caller spelled it (joined to its directory), when it differs from the kernel's `path`. */
  named?: string;
  named_b64?: string;
  /**
   * The path as the acting process sees it from its own root, when that is not the host's name
   * of the file (a container, a private mount namespace with a bind mount). `path`, `cwd`, `exe`
   * and `old_path` are the host's names (the agent's mount namespace): what opens over SSH.
   */
  proc_path?: string;
  proc_path_b64?: string;
  /**
   * false: the file lives on a file system only the process's mount namespace mounts (a
   * container's own tmpfs); `path` is then the process's view, and the host has no name for it.
   * Absent: `path` is the host's.
   */
  path_on_host?: false;
  /**
   * A file on an overlayfs mount (a container's root): where it really lives, or lived — the
   * upper layer's path, or for a removed file that came with the image, the lower layer's path
   * that still holds it (`layer`).
   */
  real_path?: string;
  real_path_b64?: string;
  layer?: 'upper' | 'lower';
  /** The pod whose directory under /var/lib/kubelet/pods/<uid>/ holds the path (its volumes). */
  path_pod?: PodRef;
  /** Device number as the kernel encodes it (new_encode_dev), and inode number (exact, see InodeNumber). */
  dev: number;
  ino: InodeNumber;
  /** rename/exchange/link only: the other name (the source for create, the replacing source for unlink). */
  old_path?: string;
  old_path_b64?: string;
}

export interface UnlinkEvent extends FileEventFields {
  type: 'unlink';
  /** True when the inode's last name went away (nlink reached 0): the file is really gone. */
  last_link: boolean;
}

export interface CreateEvent extends FileEventFields {
  type: 'create';
  /** symlink only: the link's target text as passed. */
  target?: string;
  target_b64?: string;
}

/**
 * An existing file opened for writing (op open_write) or truncated by truncate(2)/ftruncate(2)
 * (op truncate): path, dev and ino of the file itself (symlinks followed) when the call had one;
 * a failed call carries the name as passed and its errno in `ret`.
 */
export interface WriteEvent extends FileEventFields {
  type: 'write';
}

/** What a guard rule does (`kwitness-agent guard`): refuse deletes, refuse writes, or limit a tree's size. */
export type GuardRuleKind = 'deny-delete' | 'deny-write' | 'quota';

/**
 * A call a guard refused (`denied`), or with --audit-only would have refused (`would-deny`: the call
 * went ahead). op: what was refused (unlink, rmdir, rename, a create: open/mkdir/mknod/link/symlink,
 * open_write, truncate, write); path: the kernel's name of the protected file, or of the name a
 * create would have made; ret: the errno the call got or would have got (-EPERM; -EDQUOT for a
 * quota). `rule`: index of the rule (in the order the guard was given them); the agent's json also
 * names it (rule_kind, rule_path, quota_bytes), the wire stream carries the index only.
 */
export interface DeniedEvent extends FileEventFields {
  type: 'denied' | 'would-deny';
  rule: number;
  rule_kind?: GuardRuleKind;
  rule_path?: string;
  rule_path_b64?: string;
  quota_bytes?: number;
}

export interface ExecEvent extends ProcessFields, StackFields {
  type: 'exec';
  /** The filename as passed to execve (may be relative, e.g. ./ls). */
  filename: string;
  filename_b64?: string;
  /** exe (inherited field) is resolved from the executed file itself: /usr/bin/ls, never ./ls. */
  argv: string[];
  argv_b64?: (string | null)[];
  argv_truncated: boolean;
  /** For scripts (#!): the interpreter that really ran, else null. */
  interpreter: string | null;
  interpreter_b64?: string;
}

export interface ExitEvent extends ProcessFields {
  type: 'exit';
  /** Exit status as wait(2) would decode it. */
  exit_code: number;
  /** Terminating signal number, 0 when the process exited normally. */
  signal: number;
  /** ns from the matching exec (or from process start when no exec was seen). */
  duration_ns: number;
  /** An exit is no call: it never has stacks (declared so that `KwEvent['kstack']` reads). */
  kstack?: never;
  kstack_error?: never;
  ustack?: never;
  ustack_error?: never;
}

/**
 * An argument's value as the agent captured it when the function was entered (kwitness_wire.h,
 * above struct kw_call_rec): integers as numbers (a decimal string beyond 2^53-1), bool, an
 * enumerator's name, a `char *` as its string (null for NULL), another pointer as "0x..." (null for
 * NULL), or an object for the kernel's common objects (CallArgObject).
 */
export type CallArgValue = number | string | boolean | null | CallArgObject;

/**
 * The kernel objects the agent follows (every field left out when it could not be read; `addr`
 * always): struct dentry * {name, path, ino, dev}; struct file *, struct path * {path, ino, dev};
 * struct inode * {ino, dev, mode, nlink, size}; struct filename *, struct qstr * {name}; struct
 * task_struct * {pid, tid, comm}; struct sock * {family, sport, dport}; an unreadable char *
 * {addr}. Paths are the host's where the host mounts the file system, else from its root.
 */
export interface CallArgObject {
  addr?: string;
  name?: string;
  path?: string;
  ino?: InodeNumber;
  dev?: number;
  mode?: number;
  nlink?: number;
  size?: number;
  pid?: number;
  tid?: number;
  comm?: string;
  family?: string | number;
  sport?: number;
  dport?: number;
  [field: string]: unknown;
}

/** How a kernel function was probed: fentry + fexit (BPF trampolines) or kprobe + kretprobe. */
export type CallAttach = 'fentry' | 'kprobe';

/**
 * One call of a probed kernel function (`trace func:NAME`), from entry to return: who called it
 * (the process fields; `ret` is the function's own return value here), its arguments as captured
 * at entry, its return value and how long it took. `ret`: a number for integers up to 2^53-1, else
 * decimal digits; a pointer as "0x..." hex, but an ERR_PTR (-4095..-1) as that negative number and
 * NULL as 0; null for a void function. `func` is what the kernel names it (what was attached: a newer
 * kernel's name for a function it renamed). `args` and `arg_types` are keyed by the BTF parameter
 * names (argN when BTF has none), in the function's order.
 */
export interface CallEvent extends Omit<ProcessFields, 'ret'>, StackFields {
  type: 'call';
  ret: number | string | null;
  func: string;
  func_b64?: string;
  attach: CallAttach;
  /** C spelling of the return type ("int", "struct dentry *", "void"). */
  ret_type: string;
  args: Record<string, CallArgValue>;
  arg_types: Record<string, string>;
  duration_ns: number;
  /** A string or path of an argument was cut (room or length). */
  args_truncated?: true;
}

export type KwEvent = UnlinkEvent | CreateEvent | WriteEvent | DeniedEvent | ExecEvent | ExitEvent | CallEvent;
export type KwEventType = KwEvent['type'];

/** One probe as chosen by the agent at attach time. */
export interface ProbeChoice {
  /**
   * 'guard': one of a guard's hooks (mode lsm or fmod_ret); 'func': a probed kernel function
   * (`trace func:NAME`, mode fentry or kprobe); 'stacks': --stacks' entry hook (mode vma or maps).
   */
  family: Family | 'guard' | 'func' | 'stacks';
  /** e.g. tracepoint:syscalls:sys_exit_unlinkat, lsm:path_unlink */
  probe: string;
  mode: AttachMode | GuardMechanism;
}

/** How a guard refuses calls: BPF LSM programs (where 'bpf' is an active LSM), else fmod_ret on security_* functions. */
export type GuardMechanism = 'lsm' | 'fmod_ret';

/** A guard's rules as its ready record states them (json only; paths as the kernel resolves them). */
export interface GuardReady {
  mechanism: GuardMechanism;
  audit_only: boolean;
  rules: { kind: GuardRuleKind; path: string; quota_bytes?: number; used_bytes_at_start?: number }[];
}

/** Emitted once every probe is attached: tracing has begun. */
export interface ReadyRecord {
  type: 'ready';
  time: string;
  agent_version: string;
  kernel: string;
  arch: string;
  probes: ProbeChoice[];
  /** A guard's (`kwitness-agent guard`, json): its mechanism and rules. */
  guard?: GuardReady;
}

/**
 * What the agent could not deliver, by reason (each: since the previous lost record, and `_total`
 * since start). `count`/`total`: events that passed every filter, dropped because the ring
 * buffer was full (exact). `unjudged`: dropped (ring buffer full) before the agent could finish
 * --path-prefix on them (names with '.'/'..' components, exec/exit judged by exe): at most that
 * many more may have matched. `untracked`: calls of processes that passed the process filters
 * which the kernel could not follow because its table of calls in flight was full (pending
 * table full, `--pending-max`): each may have been an event. So `lost` stays exact while nothing
 * goes uncounted. `untracked` is 0 in journals of older agents.
 */
export interface LostRecord {
  type: 'lost';
  time: string;
  count: number;
  total: number;
  unjudged: number;
  unjudged_total: number;
  untracked: number;
  untracked_total: number;
}

/** "N lost", or "N lost (pending table full: M)" when M of the N are calls the kernel could not follow. */
export function describeLost(total: number, untracked: number): string {
  return `${total} lost${untracked > 0 ? ` (pending table full: ${untracked})` : ''}`;
}

/** A non-fatal problem the agent reports while running (fatal ones go to stderr and exit != 0). */
export interface AgentErrorRecord {
  type: 'error';
  time: string;
  message: string;
}

/** A watch's journal: the agent did not run from `from` to `to`; events in between are unknown. */
export interface GapRecord {
  type: 'gap';
  time: string;
  from: string;
  to: string;
  reason: string;
}

/** `watch read` only: the next record has this cursor; `skipped` before it were dropped by the journal cap. */
export interface CursorRecord {
  type: 'cursor';
  cursor: number;
  skipped: number;
}

/** `watch read` only: the end of what the journal holds now; `next_cursor` continues a later read. */
export interface WatchEndRecord {
  type: 'watch_end';
  time: string;
  next_cursor: number;
}

/**
 * `kwitness-agent attach` only: the first record a client gets when it comes back to a trace
 * that kept running without it (`trace --linger`). The replay that follows starts at event
 * `next_event`; `not_kept` events the client asked for were dropped from the agent's bounded
 * backlog (exact). `pid` and `start_time` name the tracing agent itself (not the relay).
 */
export interface ResumedRecord {
  type: 'resumed';
  time: string;
  next_event: number;
  not_kept: number;
  away_ms: number;
  pid: number;
  /** Field 22 of /proc/PID/stat: the agent's start, clock ticks since boot (digits). */
  start_time: string;
}

export type AgentRecord = KwEvent | ReadyRecord | LostRecord | AgentErrorRecord | GapRecord | CursorRecord | WatchEndRecord | ResumedRecord;

export function isKwEvent(r: AgentRecord): r is KwEvent {
  return r.type === 'unlink' || r.type === 'create' || r.type === 'write' || r.type === 'denied' || r.type === 'would-deny' || r.type === 'exec' || r.type === 'exit' || r.type === 'call';
}

/** Output of `kwitness-agent probe`. */
export interface ProbeReport {
  agent_version: string;
  kernel: string;
  arch: string;
  btf: boolean;
  /** none | integrity | confidentiality | unknown (no securityfs) */
  lockdown: string;
  /** Contents of /sys/kernel/security/lsm, split on commas. */
  lsm: string[];
  /** True only when 'bpf' is in `lsm`. */
  lsm_bpf: boolean;
  /** For each family, which attach modes really load here (checked by loading). */
  families: Record<Family, AttachMode[]>;
  /**
   * How a guard would refuse calls here (checked by loading and attaching): BPF LSM only where
   * 'bpf' is an active LSM (elsewhere such a program loads and never runs), else fmod_ret; null:
   * neither, `note` says why. Absent from older agents.
   */
  guard?: { mechanism: GuardMechanism | null; note?: string };
  /**
   * The kernel functions through which io_uring's unlink, rmdir, mkdir, rename and open are seen
   * (fentry/kprobe modes; 7.x renamed them); null: not covered on this kernel. Absent from older agents.
   */
  io_uring?: Record<'unlink' | 'rmdir' | 'mkdir' | 'rename' | 'open', string | null>;
  /** Present when the agent could not run at all (not root, no BTF, kernel too old ...). */
  error?: string;
}

/** The exact bytes of a byte-string field: prefers X_b64, else the UTF-8 of the printable form. */
export function rawBytes(printable: string, b64?: string): Uint8Array {
  return b64 !== undefined ? Uint8Array.from(Buffer.from(b64, 'base64')) : Uint8Array.from(Buffer.from(printable, 'utf8'));
}
