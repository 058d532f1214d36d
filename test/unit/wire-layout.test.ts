// The layout test: the TypeScript decoder reads the wire format only through WIRE_LAYOUT and
// WIRE_ENUMS (src/core/wire/layout.ts); this test compares them with the C side:
//   1. clang's record layouts of bpf/kwitness_wire.h, for the host (the agent's user space
//      writes the records) and for -target bpf (the kernel side shares kw_hdr), field by field,
//      in both directions (a C field the table lacks fails too);
//   2. the enum constants and KW_WIRE_VERSION, as a host C program compiled from the header prints them;
//   3. the BTF of the built BPF object (bpftool btf dump file <obj> format raw): every wire
//      struct the object carries must have the table's offsets, sizes and total size.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { FRAME_FIXED, STACK_HEAD, WIRE_ENUMS, WIRE_LAYOUT, type StructLayout } from '../../src/core/wire/layout';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const HEADER = path.join(ROOT, 'bpf', 'kwitness_wire.h');

type Layouts = Record<string, { size: number; fields: Record<string, [number, number]> }>;

const SCALAR: Record<string, number> = { __u8: 1, __s8: 1, char: 1, __u16: 2, __s16: 2, __u32: 4, __s32: 4, __u64: 8, __s64: 8 };

/** What vmlinux.h gives BPF code (the header includes no system header under __KW_BPF__). */
const BPF_TYPES = ['u8', 'u16', 'u32', 'u64'].map((t) => `typedef unsigned ${{ u8: 'char', u16: 'short', u32: 'int', u64: 'long long' }[t]} __${t}; typedef signed ${{ u8: 'char', u16: 'short', u32: 'int', u64: 'long long' }[t]} __s${t.slice(1)};`).join('\n') + '\n';

/** Struct names defined by the header. */
function headerStructs(): string[] {
  const text = fs.readFileSync(HEADER, 'utf8');
  return [...text.matchAll(/^struct\s+(kw_\w+)\s*\{/gm)].map((m) => m[1]);
}

/** clang -fdump-record-layouts of every struct of the header, top-level fields only. */
function clangLayouts(extra: string[], prelude = ''): Layouts {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kw-layout-'));
  try {
    const src = path.join(dir, 'l.c');
    const names = headerStructs();
    fs.writeFileSync(src, `${prelude}#include "${HEADER}"\n${names.map((n, i) => `unsigned long kw_sz_${i} = sizeof(struct ${n});`).join('\n')}\n`);
    const out = execFileSync('clang', [...extra, '-Xclang', '-fdump-record-layouts', '-fsyntax-only', src], { encoding: 'utf8' });
    const layouts: Layouts = {};
    for (const block of out.split('*** Dumping AST Record Layout').slice(1)) {
      const lines = block.split('\n').filter((l) => l.trim() !== '');
      const head = /^\s*0 \| struct (\w+)$/.exec(lines[0]);
      if (!head) continue;
      const fields: Record<string, [number, number]> = {};
      for (const l of lines.slice(1)) {
        // "        16 |   __u64 wall_ns"  or  "        77 |   __u8[3] _pad0"; deeper indents are nested members
        const m = /^\s*(\d+) \|   (\S.*?) (\w+)$/.exec(l);
        if (!m || /^ /.test(m[2])) continue;
        const type = m[2];
        const arr = /^(\w+)\[(\d+)\]$/.exec(type);
        const st = /^struct (\w+)$/.exec(type);
        let size: number;
        if (arr) size = SCALAR[arr[1]] * Number(arr[2]);
        else if (st) size = layouts[st[1]]?.size ?? NaN;
        else size = SCALAR[type] ?? NaN;
        fields[m[3]] = [Number(m[1]), size];
      }
      const sz = /\[sizeof=(\d+)/.exec(block);
      layouts[head[1]] = { size: Number(sz?.[1]), fields };
    }
    return layouts;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function compare(where: string, c: Layouts, names: string[]): string[] {
  const problems: string[] = [];
  for (const name of names) {
    const want = (WIRE_LAYOUT as Record<string, StructLayout>)[name];
    const got = c[name];
    if (!want) {
      problems.push(`${where}: struct ${name} is in the header but not in WIRE_LAYOUT`);
      continue;
    }
    if (!got) {
      problems.push(`${where}: struct ${name} has no layout`);
      continue;
    }
    if (got.size !== want.size) problems.push(`${where}: sizeof(struct ${name}) = ${got.size}, decoder says ${want.size}`);
    for (const [f, [off, size]] of Object.entries(want.fields)) {
      const g = got.fields[f];
      if (!g) problems.push(`${where}: ${name}.${f} is in WIRE_LAYOUT but not in C`);
      else if (g[0] !== off || g[1] !== size) problems.push(`${where}: ${name}.${f} is [offset ${g[0]}, size ${g[1]}] in C, [${off}, ${size}] in the decoder`);
    }
    for (const f of Object.keys(got.fields)) if (!(f in want.fields)) problems.push(`${where}: ${name}.${f} is in C but not in WIRE_LAYOUT`);
  }
  return problems;
}

/** Parses `bpftool btf dump file X format raw` into struct layouts (sizes resolved through typedefs/arrays). */
function btfLayouts(obj: string): Layouts {
  const raw = execFileSync('bpftool', ['btf', 'dump', 'file', obj, 'format', 'raw'], { encoding: 'utf8' });
  interface T {
    kind: string;
    name: string;
    size?: number;
    type?: number;
    elem?: number;
    n?: number;
    members: Array<{ name: string; type: number; bits: number }>;
  }
  const types = new Map<number, T>();
  let cur: T | undefined;
  for (const line of raw.split('\n')) {
    const h = /^\[(\d+)\] (\w+) '([^']*)'(.*)$/.exec(line);
    if (h) {
      const rest = h[4];
      const num = (k: string) => {
        const m = new RegExp(`\\b${k}=(\\d+)`).exec(rest);
        return m ? Number(m[1]) : undefined;
      };
      cur = { kind: h[2], name: h[3], size: num('size'), type: num('type_id'), elem: num('type_id'), n: num('nr_elems'), members: [] };
      types.set(Number(h[1]), cur);
      continue;
    }
    const m = /^\s+'([^']*)' type_id=(\d+) bits_offset=(\d+)/.exec(line);
    if (m && cur) cur.members.push({ name: m[1], type: Number(m[2]), bits: Number(m[3]) });
  }
  const sizeOf = (id: number, depth = 0): number => {
    const t = types.get(id);
    if (!t || depth > 20) return NaN;
    if (t.kind === 'INT' || t.kind === 'STRUCT' || t.kind === 'UNION' || t.kind === 'ENUM' || t.kind === 'ENUM64') return t.size ?? NaN;
    if (t.kind === 'ARRAY') return (t.n ?? NaN) * sizeOf(t.elem ?? -1, depth + 1);
    if (t.kind === 'TYPEDEF' || t.kind === 'CONST' || t.kind === 'VOLATILE' || t.kind === 'RESTRICT') return sizeOf(t.type ?? -1, depth + 1);
    if (t.kind === 'PTR') return 8;
    return NaN;
  };
  const layouts: Layouts = {};
  for (const t of types.values()) {
    if (t.kind !== 'STRUCT' || !t.name.startsWith('kw_')) continue;
    const fields: Record<string, [number, number]> = {};
    for (const mem of t.members) fields[mem.name] = [mem.bits / 8, sizeOf(mem.type)];
    layouts[t.name] = { size: t.size ?? NaN, fields };
  }
  return layouts;
}

/** The BPF object the agent build produces (first found). */
function bpfObject(): string | undefined {
  const candidates = [process.env.KW_BPF_OBJ, path.join(ROOT, 'build', 'kwitness.bpf.o'), path.join(ROOT, 'native', 'build', 'kwitness.bpf.o')];
  for (const dir of [path.join(ROOT, 'build'), path.join(ROOT, 'native', 'build'), path.join(ROOT, 'native')]) {
    if (fs.existsSync(dir)) for (const f of fs.readdirSync(dir)) if (f.endsWith('.bpf.o')) candidates.push(path.join(dir, f));
  }
  return candidates.find((c): c is string => !!c && fs.existsSync(c));
}

describe('wire layout: decoder tables vs the C header', () => {
  const names = headerStructs();

  it('the header defines the structs the decoder knows', () => {
    assert.deepEqual([...names].sort(), Object.keys(WIRE_LAYOUT).sort());
  });

  it('host compiler layout (the agent writes records from user space)', () => {
    assert.deepEqual(compare('host clang', clangLayouts(['-I', path.join(ROOT, 'bpf')]), names), []);
  });

  it('BPF target layout (-target bpf, as the kernel side compiles kw_hdr)', () => {
    assert.deepEqual(compare('clang -target bpf', clangLayouts(['-target', 'bpf', '-D__KW_BPF__'], BPF_TYPES), names), []);
  });

  it('enum constants and KW_WIRE_VERSION', () => {
    const text = fs.readFileSync(HEADER, 'utf8');
    const inHeader = [...text.matchAll(/^\s*(KW_\w+)\s*=/gm)].map((m) => m[1]);
    for (const n of inHeader) assert.ok(n in WIRE_ENUMS, `${n} is in the header but not in WIRE_ENUMS`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kw-enum-'));
    try {
      const src = path.join(dir, 'e.c');
      const bin = path.join(dir, 'e');
      const names = Object.keys(WIRE_ENUMS);
      fs.writeFileSync(src, `#include <stdio.h>\n#include "${HEADER}"\nint main(void) {\n${names.map((n) => `  printf("%s %lld\\n", "${n}", (long long)(${n}));`).join('\n')}\n  return 0;\n}\n`);
      execFileSync('cc', ['-o', bin, src]);
      const got = Object.fromEntries(
        execFileSync(bin, { encoding: 'utf8' })
          .trim()
          .split('\n')
          .map((l) => [l.split(' ')[0], Number(l.split(' ')[1])]),
      );
      assert.deepEqual(got, WIRE_ENUMS);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('record kinds and file ops have distinct numbers (never reused), the write family included', () => {
    const kinds = Object.entries(WIRE_ENUMS).filter(([n]) => /^KW_(UNLINK|CREATE|WRITE|EXEC|EXIT|READY|LOST|ERROR|GAP|CURSOR|WATCH_END|RESUMED|DENIED|CALL)$/.test(n));
    assert.equal(new Set(kinds.map(([, v]) => v)).size, kinds.length, JSON.stringify(kinds));
    const ops = Object.entries(WIRE_ENUMS).filter(([n]) => n.startsWith('KW_OP_'));
    assert.equal(new Set(ops.map(([, v]) => v)).size, ops.length, JSON.stringify(ops));
    // kind 11 is held back for another record kind; a write is a file record of its own kind
    assert.equal(WIRE_ENUMS.KW_WRITE, 12);
    assert.equal(WIRE_ENUMS.KW_OP_OPEN_WRITE, 9);
    assert.equal(WIRE_ENUMS.KW_OP_TRUNCATE, 10);
    // an exchange is an op of its own (the next free number), not a rename that deletes
    assert.equal(WIRE_ENUMS.KW_OP_EXCHANGE, 11);
    // flags are bits that never overlap; a name that could not be read has its own
    // (the path source is a 2-bit field: its mask counts for it, its values lie inside it)
    const flags = Object.entries(WIRE_ENUMS).filter(([n]) => n.startsWith('KW_F_') && !n.startsWith('KW_F_PATH_SRC_'));
    flags.push(['KW_F_PATH_SRC_MASK', WIRE_ENUMS.KW_F_PATH_SRC_MASK]);
    assert.equal(flags.reduce((m, [, v]) => m | v, 0), flags.reduce((m, [, v]) => m + v, 0), JSON.stringify(flags));
    assert.equal(WIRE_ENUMS.KW_F_NAME_UNREADABLE, 1 << 10);
    const src = ['KERNEL', 'NAME', 'USER'].map((n) => WIRE_ENUMS[`KW_F_PATH_SRC_${n}`]);
    assert.deepEqual(src, [1 << 11, 2 << 11, 3 << 11]);
    for (const v of src) assert.equal(v & ~WIRE_ENUMS.KW_F_PATH_SRC_MASK, 0);
    // old agents' lost records (56 bytes) stay a prefix of the current one
    assert.equal(WIRE_ENUMS.KW_LOST_REC_V1_SIZE, WIRE_LAYOUT.kw_lost_rec.fields.untracked[0]);
  });

  it('stacks: kw_proc ends with pflags (was padding), KW_PF_STACKS and the frame flags are distinct bits', () => {
    assert.deepEqual(WIRE_LAYOUT.kw_proc.fields.pflags, [44, 4]);
    assert.equal('_pad0' in WIRE_LAYOUT.kw_proc.fields, false);
    assert.equal(WIRE_ENUMS.KW_PF_STACKS, 1);
    const fr = Object.entries(WIRE_ENUMS).filter(([n]) => n.startsWith('KW_FR_'));
    assert.deepEqual(fr.map(([n]) => n).sort(), ['KW_FR_FILE', 'KW_FR_INFERRED', 'KW_FR_LINE', 'KW_FR_SYM']);
    assert.equal(fr.reduce((m, [, v]) => m | v, 0), fr.reduce((m, [, v]) => m + v, 0), JSON.stringify(fr));
    // the header's own words for a frame's fixed part: u64 addr, u64 off, u64 file_off, u32 line, u32 flags
    const text = fs.readFileSync(HEADER, 'utf8');
    assert.match(text, /u64 addr, u64 off, u64 file_off, u32 line, u32 flags \(enum kw_frame_flag\),\s*\*\s*str sym, str obj, str build_id, str src/);
    assert.match(text, /s32 kerr, s32 uerr, u32 kn, u32 un/);
    assert.equal(FRAME_FIXED, 3 * 8 + 2 * 4);
    assert.equal(STACK_HEAD, 4 * 4);
  });

  it('calls (KW_CALL 14): kw_call_rec is 88 bytes, its attach modes and flags are distinct bits, the BPF object carries it', () => {
    assert.equal(WIRE_ENUMS.KW_CALL, 14);
    assert.equal(WIRE_LAYOUT.kw_call_rec.size, 88);
    assert.deepEqual(WIRE_LAYOUT.kw_call_rec.fields.proc, WIRE_LAYOUT.kw_file_rec.fields.proc, 'kw_proc at the offset every process record has it');
    assert.deepEqual([WIRE_ENUMS.KW_CA_FENTRY, WIRE_ENUMS.KW_CA_KPROBE], [1, 2]);
    const cf = Object.entries(WIRE_ENUMS).filter(([n]) => n.startsWith('KW_CF_'));
    assert.deepEqual(cf.map(([n]) => n).sort(), ['KW_CF_ARGS_CUT', 'KW_CF_RET_PTR', 'KW_CF_RET_UNSIGNED', 'KW_CF_VOID']);
    assert.equal(cf.reduce((m, [, v]) => m | v, 0), cf.reduce((m, [, v]) => m + v, 0), JSON.stringify(cf));
    // cflags is a u8: every flag must fit it
    for (const [n, v] of cf) assert.ok(v > 0 && v < 256, n);
    // the kernel side declares kw_btf_call_rec (bpf/record.bpf.h) so that its layout is in the object's BTF
    const obj = bpfObject();
    assert.ok(obj, 'no BPF object (build/kwitness.bpf.o): run make -C native first');
    const btf = btfLayouts(obj);
    assert.ok('kw_call_rec' in btf, `BTF of ${obj} has no struct kw_call_rec (kw_btf_call_rec in bpf/record.bpf.h)`);
    assert.deepEqual(compare(`BTF ${path.basename(obj)}`, btf, ['kw_call_rec']), []);
  });

  it('the BPF object BTF agrees for every wire struct it carries', (t) => {
    const obj = bpfObject();
    assert.ok(obj, 'no BPF object (build/kwitness.bpf.o): run make -C native first');
    const btf = btfLayouts(obj);
    const carried = names.filter((n) => n in btf);
    assert.ok(carried.includes('kw_hdr'), `BTF of ${obj} has no struct kw_hdr (the kernel side must share the header)`);
    t.diagnostic(`${path.relative(ROOT, obj)} carries ${carried.join(', ')}`);
    assert.deepEqual(compare(`BTF ${path.basename(obj)}`, btf, carried), []);
  });
});
