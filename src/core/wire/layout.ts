// The wire format's fixed layout as the TypeScript decoder uses it: every struct of
// bpf/kwitness_wire.h with each field's [offset, size] in bytes, plus the enum values.
// The decoder reads ONLY through these tables, and the layout test (test/unit/wire-layout.test.ts)
// compares them with what the C compiler (host and BPF target) and the BPF object's BTF say, so
// a change on the C side that is not made here fails a test instead of corrupting events.
// No vscode import (src/core).

export type FieldLayout = readonly [offset: number, size: number];

export interface StructLayout {
  readonly size: number;
  readonly fields: Readonly<Record<string, FieldLayout>>;
}

export const WIRE_VERSION = 1;

/** Each frame starts with a u32 frame_len (little-endian) = the record's size. */
export const FRAME_PREFIX = 4;

export const WIRE_LAYOUT = {
  kw_hdr: {
    size: 16,
    fields: { kind: [0, 2], flags: [2, 2], size: [4, 4], ktime_ns: [8, 8] },
  },
  kw_proc: {
    size: 48,
    fields: {
      wall_ns: [0, 8],
      cgroup_id: [8, 8],
      pid: [16, 4],
      tid: [20, 4],
      ppid: [24, 4],
      uid: [28, 4],
      gid: [32, 4],
      ret: [36, 4],
      n_anc: [40, 4],
      pflags: [44, 4],
    },
  },
  kw_file_rec: {
    size: 88,
    fields: { hdr: [0, 16], proc: [16, 48], ino: [64, 8], dev: [72, 4], op: [76, 1], fflags: [77, 1], _pad0: [78, 2], rule: [80, 4], verdict: [84, 1], _pad1: [85, 3] },
  },
  kw_exec_rec: {
    size: 72,
    fields: { hdr: [0, 16], proc: [16, 48], argc: [64, 4], _pad0: [68, 4] },
  },
  kw_exit_rec: {
    size: 80,
    fields: { hdr: [0, 16], proc: [16, 48], duration_ns: [64, 8], exit_code: [72, 4], signal: [76, 4] },
  },
  kw_ready_rec: {
    size: 32,
    fields: { hdr: [0, 16], wall_ns: [16, 8], n_probes: [24, 4], _pad0: [28, 4] },
  },
  kw_lost_rec: {
    size: 72,
    fields: { hdr: [0, 16], wall_ns: [16, 8], count: [24, 8], total: [32, 8], unjudged: [40, 8], unjudged_total: [48, 8], untracked: [56, 8], untracked_total: [64, 8] },
  },
  kw_error_rec: {
    size: 24,
    fields: { hdr: [0, 16], wall_ns: [16, 8] },
  },
  kw_gap_rec: {
    size: 40,
    fields: { hdr: [0, 16], wall_ns: [16, 8], from_wall_ns: [24, 8], to_wall_ns: [32, 8] },
  },
  kw_cursor_rec: {
    size: 32,
    fields: { hdr: [0, 16], cursor: [16, 8], skipped: [24, 8] },
  },
  kw_watch_end_rec: {
    size: 32,
    fields: { hdr: [0, 16], wall_ns: [16, 8], next_cursor: [24, 8] },
  },
  kw_call_rec: {
    size: 88,
    fields: { hdr: [0, 16], proc: [16, 48], ret: [64, 8], duration_ns: [72, 8], n_args: [80, 4], attach: [84, 1], cflags: [85, 1], _pad0: [86, 2] },
  },
  kw_resumed_rec: {
    size: 64,
    fields: { hdr: [0, 16], wall_ns: [16, 8], next_event: [24, 8], not_kept: [32, 8], away_ns: [40, 8], start_ticks: [48, 8], pid: [56, 4], _pad0: [60, 4] },
  },
} as const satisfies Record<string, StructLayout>;

export type WireStruct = keyof typeof WIRE_LAYOUT;

/** enum kw_kind */
export const KIND = { KW_UNLINK: 1, KW_CREATE: 2, KW_EXEC: 3, KW_EXIT: 4, KW_READY: 5, KW_LOST: 6, KW_ERROR: 7, KW_GAP: 8, KW_CURSOR: 9, KW_WATCH_END: 10, KW_RESUMED: 11, KW_WRITE: 12, KW_DENIED: 13, KW_CALL: 14 } as const;

/** enum kw_flag */
export const FLAG = {
  KW_F_LAST_LINK: 1 << 0,
  KW_F_PATH_TRUNC: 1 << 1,
  KW_F_ARGV_TRUNC: 1 << 2,
  KW_F_CONTAINER: 1 << 3,
  KW_F_OLD_PATH: 1 << 4,
  KW_F_TARGET: 1 << 5,
  KW_F_INTERP: 1 << 6,
  KW_F_INODE_UNKNOWN: 1 << 7,
  KW_F_CMDLINE: 1 << 8,
  KW_F_PODINFO: 1 << 9,
  KW_F_NAME_UNREADABLE: 1 << 10,
  KW_F_PATH_SRC_MASK: 3 << 11,
  KW_F_PATH_SRC_KERNEL: 1 << 11,
  KW_F_PATH_SRC_NAME: 2 << 11,
  KW_F_PATH_SRC_USER: 3 << 11,
  KW_F_NAMED: 1 << 13,
  KW_F_PROC_PATH: 1 << 14,
  KW_F_PATH_NOT_ON_HOST: 1 << 15,
} as const;

/** enum kw_file_flag (kw_file_rec.fflags) */
export const FILE_FLAG = {
  KW_FF_REAL_PATH: 1 << 0,
  KW_FF_LOWER: 1 << 1,
} as const;

/** enum kw_op, in events.ts FileOp names */
export const OP = {
  KW_OP_UNLINK: 1,
  KW_OP_RMDIR: 2,
  KW_OP_RENAME: 3,
  KW_OP_OPEN: 4,
  KW_OP_MKDIR: 5,
  KW_OP_MKNOD: 6,
  KW_OP_LINK: 7,
  KW_OP_SYMLINK: 8,
  KW_OP_OPEN_WRITE: 9,
  KW_OP_TRUNCATE: 10,
  KW_OP_EXCHANGE: 11,
  KW_OP_WRITE: 12,
} as const;

/** enum kw_verdict (kw_file_rec.verdict of a KW_DENIED record) */
export const VERDICT = {
  KW_VERDICT_DENIED: 1,
  KW_VERDICT_WOULD_DENY: 2,
} as const;

/** enum kw_call_attach (kw_call_rec.attach): how a kernel function was probed */
export const CALL_ATTACH = {
  KW_CA_FENTRY: 1,
  KW_CA_KPROBE: 2,
} as const;

/** enum kw_call_flag (kw_call_rec.cflags) */
export const CALL_FLAG = {
  KW_CF_VOID: 1 << 0,
  KW_CF_RET_PTR: 1 << 1,
  KW_CF_RET_UNSIGNED: 1 << 2,
  KW_CF_ARGS_CUT: 1 << 3,
} as const;

/** enum kw_proc_flag (kw_proc.pflags) */
export const PROC_FLAG = {
  KW_PF_STACKS: 1 << 0,
} as const;

/** enum kw_frame_flag (each frame of the STACK TAIL) */
export const FRAME_FLAG = {
  KW_FR_SYM: 1 << 0,
  KW_FR_FILE: 1 << 1,
  KW_FR_INFERRED: 1 << 2,
  KW_FR_LINE: 1 << 3,
} as const;

/**
 * The STACK TAIL (after the process tail, with KW_PF_STACKS): s32 kerr, s32 uerr, u32 kn, u32 un,
 * then kn + un frames of FRAME_FIXED bytes (u64 addr, u64 off, u64 file_off, u32 line, u32 flags)
 * each followed by four strings (sym, obj, build_id, src). Not structs of the header: byte counts.
 */
export const STACK_HEAD = 16;
export const FRAME_FIXED = 32;
/** The smallest frame: its fixed part and four empty strings. */
export const FRAME_MIN = FRAME_FIXED + 4 * 4;

/** kw_lost_rec as older agents wrote it (before `untracked`): still decoded, untracked = 0. */
export const LOST_REC_V1_SIZE = 56;

/** All enum constants the decoder relies on, for the layout test. */
export const WIRE_ENUMS: Readonly<Record<string, number>> = { KW_WIRE_VERSION: WIRE_VERSION, KW_LOST_REC_V1_SIZE: LOST_REC_V1_SIZE, ...KIND, ...FLAG, ...FILE_FLAG, ...OP, ...VERDICT, ...PROC_FLAG, ...FRAME_FLAG, ...CALL_ATTACH, ...CALL_FLAG };
