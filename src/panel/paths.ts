// Pure helpers of the panel's host side (no vscode import, unit-tested in Node): byte paths in
// `kwitness://` URIs, parent directories, the deleted-path listing, kernel symbol lookups.
import { KIND_LETTER } from '../core/file-kinds';
import type { HostDirEntry } from '../core/trace-api';

const SAFE_UTF8 = (cp: number): boolean =>
  cp >= 0x20 && cp !== 0x25 && cp !== 0x7f && !(cp >= 0x80 && cp <= 0x9f) &&
  !(cp === 0x061c || cp === 0x200e || cp === 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0xfeff);

/**
 * A path of bytes as the `path` of a vscode.Uri: valid UTF-8 stays readable, every byte that is
 * not (and `%`, control characters, bidi overrides) becomes `%XX`. decodeUriPath() reverses it
 * exactly, so `kwitness://host/...` always names exactly the bytes the kernel reported.
 */
export function encodeUriPath(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  const pct = (b: number) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  while (i < bytes.length) {
    const b = bytes[i];
    let n = 0;
    let cp = -1;
    if (b < 0x80) { cp = b; n = 1; }
    else if (b >= 0xc2 && b <= 0xdf) n = 2;
    else if (b >= 0xe0 && b <= 0xef) n = 3;
    else if (b >= 0xf0 && b <= 0xf4) n = 4;
    if (n > 1 && i + n <= bytes.length) {
      let ok = true;
      for (let k = 1; k < n; k++) if ((bytes[i + k] & 0xc0) !== 0x80) ok = false;
      if (ok) {
        cp = n === 2 ? ((b & 0x1f) << 6) | (bytes[i + 1] & 0x3f)
          : n === 3 ? ((b & 0x0f) << 12) | ((bytes[i + 1] & 0x3f) << 6) | (bytes[i + 2] & 0x3f)
          : ((b & 0x07) << 18) | ((bytes[i + 1] & 0x3f) << 12) | ((bytes[i + 2] & 0x3f) << 6) | (bytes[i + 3] & 0x3f);
        const min = n === 2 ? 0x80 : n === 3 ? 0x800 : 0x10000;
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) cp = -1;
      }
    }
    if (cp < 0) { out += pct(b); i += 1; continue; }
    if (SAFE_UTF8(cp)) out += String.fromCodePoint(cp);
    else for (let k = 0; k < n; k++) out += pct(bytes[i + k]);
    i += n;
  }
  return out;
}

/** The exact bytes named by a `kwitness://` URI path (inverse of encodeUriPath). */
export function decodeUriPath(path: string): Uint8Array {
  const parts: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < path.length; ) {
    if (path[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(path.slice(i + 1, i + 3))) {
      parts.push(parseInt(path.slice(i + 1, i + 3), 16));
      i += 3;
      continue;
    }
    const cp = path.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    for (const b of enc.encode(ch)) parts.push(b);
    i += ch.length;
  }
  return Uint8Array.from(parts);
}

/** UTF-8 text of the bytes, or null when they are not valid UTF-8. */
export function utf8OrNull(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** Parent directory of an absolute byte path ('/' for '/x' and for '/'). */
export function parentOf(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  while (end > 1 && bytes[end - 1] === 0x2f) end--;
  let i = end - 1;
  while (i > 0 && bytes[i] !== 0x2f) i--;
  return i <= 0 ? Uint8Array.of(0x2f) : bytes.slice(0, i);
}

export function isAbsolute(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0] === 0x2f && !bytes.includes(0);
}

/** Printable one-line form of a byte path for messages (escapes like the webview). */
export function printable(bytes: Uint8Array): string {
  return encodeUriPath(bytes);
}

/** Entries as `ls -l` marks them, sorted by their bytes; directories end in '/'. */
function entryLines(entries: readonly HostDirEntry[]): string[] {
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  return sorted.map((e) => `${KIND_LETTER[e.type]}  ${printable(e.name)}${e.type === 'dir' ? '/' : ''}`);
}

/** The text shown instead of a file that is gone: what its directory holds now. */
export function goneListing(hostLabel: string, gone: Uint8Array, dir: Uint8Array, entries: readonly HostDirEntry[]): string {
  const lines = [
    `# ${printable(gone)} is gone on ${hostLabel}: it was deleted or renamed.`,
    `# ${printable(dir)} now holds ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}:`,
    '',
    ...entryLines(entries),
  ];
  return lines.join('\n') + '\n';
}

/** A directory's listing when a directory is opened as a document. */
export function dirListing(hostLabel: string, dir: Uint8Array, entries: readonly HostDirEntry[]): string {
  return [`# ${printable(dir)} on ${hostLabel} (${entries.length} entries)`, '', ...entryLines(entries)].join('\n') + '\n';
}

// ------------------------------------------------------------------ kernel symbols
/** `v6.1` for 6.1.0-13-amd64; null when the release string has no version. */
export function elixirVersion(release: string): string | null {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? `v${m[1]}.${m[2]}` : null;
}

/** Link to the symbol's definition on elixir.bootlin.com for that kernel release. */
export function elixirUrl(release: string, symbol: string): string | null {
  const v = elixirVersion(release);
  return v ? `https://elixir.bootlin.com/linux/${v}/A/ident/${encodeURIComponent(symbol)}` : null;
}

/** Names to look up in /proc/kallsyms for a symbol the panel asked about, most specific first. */
export function kallsymsCandidates(symbol: string, arch: string): string[] {
  const out: string[] = [];
  if (symbol.startsWith('sys_')) {
    const rest = symbol.slice(4);
    const prefix = arch === 'aarch64' || arch === 'arm64' ? '__arm64_sys_' : arch === 'x86_64' ? '__x64_sys_' : '';
    if (prefix) out.push(prefix + rest);
    out.push(`__x64_sys_${rest}`, `__arm64_sys_${rest}`, `__se_sys_${rest}`, `__do_sys_${rest}`, symbol, `do_${rest}`);
  } else {
    out.push(symbol, `__traceiter_${symbol}`, `__tracepoint_${symbol}`);
  }
  return [...new Set(out)];
}
