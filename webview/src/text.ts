// Rendering attacker-controlled names: everything here produces plain strings that the UI puts
// into the DOM with textContent only. Control characters, ESC, C1 controls and bidirectional
// overrides become visible escapes (`\n`, `\e`, `\u202e`); bytes that are not UTF-8 become
// `\xff`; a literal backslash is doubled so an escape can never be faked by a name.

const BIDI = new Set([0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200b, 0xfeff, 0x2028, 0x2029]);
const NAMED: Record<number, string> = { 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x1b: '\\e', 0x00: '\\0' };

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function escapeCodePoint(cp: number): string | null {
  if (cp === 0x5c) return '\\\\';
  if (cp < 0x20) return NAMED[cp] ?? `\\x${hex2(cp)}`;
  if (cp === 0x7f) return '\\x7f';
  if (cp >= 0x80 && cp <= 0x9f) return `\\u${cp.toString(16).padStart(4, '0')}`;
  if (BIDI.has(cp)) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return null;
}

const NEEDS = /[\u0000-\u001f\u005c\u007f-\u009f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;

/** A printable, inert rendering of a string. */
export function visible(s: string): string {
  if (!NEEDS.test(s)) return s;
  let out = '';
  for (const ch of s) {
    const e = escapeCodePoint(ch.codePointAt(0)!);
    out += e ?? ch;
  }
  return out;
}

export function b64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function bytesToB64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

const enc = new TextEncoder();
/** The exact bytes of a name as base64: its `X_b64` twin when present, else the UTF-8 of the string. */
export function exactB64(printable: string, b64: string | undefined): string {
  return b64 !== undefined ? b64 : bytesToB64(enc.encode(printable));
}

/** Decodes UTF-8 strictly: valid sequences become (escaped) characters, every invalid byte `\xNN`. */
export function visibleBytes(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    let cp = -1;
    let n = 0;
    if (b < 0x80) { cp = b; n = 1; }
    else if (b >= 0xc2 && b <= 0xdf && i + 1 < bytes.length && (bytes[i + 1] & 0xc0) === 0x80) {
      cp = ((b & 0x1f) << 6) | (bytes[i + 1] & 0x3f); n = 2;
    } else if (b >= 0xe0 && b <= 0xef && i + 2 < bytes.length && (bytes[i + 1] & 0xc0) === 0x80 && (bytes[i + 2] & 0xc0) === 0x80) {
      cp = ((b & 0x0f) << 12) | ((bytes[i + 1] & 0x3f) << 6) | (bytes[i + 2] & 0x3f); n = 3;
      if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) cp = -1;
    } else if (b >= 0xf0 && b <= 0xf4 && i + 3 < bytes.length && (bytes[i + 1] & 0xc0) === 0x80 && (bytes[i + 2] & 0xc0) === 0x80 && (bytes[i + 3] & 0xc0) === 0x80) {
      cp = ((b & 0x07) << 18) | ((bytes[i + 1] & 0x3f) << 12) | ((bytes[i + 2] & 0x3f) << 6) | (bytes[i + 3] & 0x3f); n = 4;
      if (cp < 0x10000 || cp > 0x10ffff) cp = -1;
    }
    if (cp < 0) { out += `\\x${hex2(b)}`; i += 1; continue; }
    out += escapeCodePoint(cp) ?? String.fromCodePoint(cp);
    i += n;
  }
  return out;
}

/** Visible form of a byte-string field, exact when its `_b64` twin is present. */
export function visibleField(printable: string, b64: string | undefined): string {
  if (b64 !== undefined) {
    try { return visibleBytes(b64ToBytes(b64)); } catch { /* fall through to the printable form */ }
  }
  return visible(printable);
}

// errno names: one table for the CLI and the panel (src/core/errno.ts)
export { errnoName } from '../../src/core/errno';
