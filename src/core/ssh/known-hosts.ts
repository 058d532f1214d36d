// known_hosts verification (OpenSSH format): plain and hashed (`|1|salt|hash`) host fields,
// `[host]:port` for non-default ports, wildcard/negated patterns, `@revoked` and
// `@cert-authority` markers (certificates are not accepted: such lines never match).
// Unknown key → the caller asks the user; changed or revoked key → refused.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

import { globMatch } from './config';

export type HostKeyVerdict =
  | { kind: 'known' }
  | { kind: 'unknown'; otherTypes: string[] }
  | { kind: 'changed'; file: string; line: number; knownType: string }
  | { kind: 'revoked'; file: string; line: number };

export interface KnownHostLine {
  marker?: '@revoked' | '@cert-authority';
  hosts: string; // the raw host field
  keyType: string;
  keyBase64: string;
  line: number;
}

/** The name OpenSSH looks up: `host` on port 22, else `[host]:port`. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** SHA256 fingerprint as OpenSSH prints it: `SHA256:` + unpadded base64. */
export function fingerprintSha256(keyBlob: Buffer): string {
  return 'SHA256:' + crypto.createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** The key type stored at the start of an SSH public key blob (e.g. ssh-ed25519). */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const n = blob.readUInt32BE(0);
  if (n > 64 || 4 + n > blob.length) return 'unknown';
  return blob.subarray(4, 4 + n).toString('latin1');
}

export function parseKnownHosts(text: string): KnownHostLine[] {
  const out: KnownHostLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const s = lines[i].trim();
    if (!s || s.startsWith('#')) continue;
    const f = s.split(/\s+/);
    let marker: KnownHostLine['marker'];
    if (f[0].startsWith('@')) {
      if (f[0] !== '@revoked' && f[0] !== '@cert-authority') continue; // unknown marker: ignore line
      marker = f.shift() as KnownHostLine['marker'];
    }
    if (f.length < 3) continue; // malformed: OpenSSH skips it too
    out.push({ marker, hosts: f[0], keyType: f[1], keyBase64: f[2], line: i + 1 });
  }
  return out;
}

/** Does the host field of a known_hosts line name `name`? (hashed or pattern list) */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt64, hash64] = field.split('|');
    if (!salt64 || !hash64) return false;
    const h = crypto.createHmac('sha1', Buffer.from(salt64, 'base64')).update(name).digest('base64');
    return h === hash64;
  }
  let positive = false;
  for (const p of field.split(',')) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) positive = true;
  }
  return positive;
}

export class KnownHosts {
  /** `file` is read and appended to; `alsoRead` files (e.g. /etc/ssh/ssh_known_hosts) are only read. */
  constructor(
    readonly file: string,
    readonly alsoRead: readonly string[] = [],
  ) {}

  private read(): Array<KnownHostLine & { file: string }> {
    const out: Array<KnownHostLine & { file: string }> = [];
    for (const f of [this.file, ...this.alsoRead]) {
      try {
        for (const l of parseKnownHosts(fs.readFileSync(f, 'utf8'))) out.push({ ...l, file: f });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    return out;
  }

  /** Checks `keyBlob` for `host:port` (names as given: HostKeyAlias or HostName). */
  verify(host: string, port: number, keyBlob: Buffer): HostKeyVerdict {
    const name = knownHostsName(host, port);
    const type = keyTypeOfBlob(keyBlob);
    const b64 = keyBlob.toString('base64');
    const lines = this.read().filter((l) => hostFieldMatches(l.hosts, name));
    for (const l of lines) {
      if (l.marker === '@revoked' && l.keyBase64 === b64) return { kind: 'revoked', file: l.file, line: l.line };
    }
    const plain = lines.filter((l) => l.marker === undefined);
    if (plain.some((l) => l.keyType === type && l.keyBase64 === b64)) return { kind: 'known' };
    const sameType = plain.find((l) => l.keyType === type);
    if (sameType) return { kind: 'changed', file: sameType.file, line: sameType.line, knownType: type };
    return { kind: 'unknown', otherTypes: [...new Set(plain.map((l) => l.keyType))] };
  }

  /** Appends a pinned key (creates the file 0600 and its directory 0700 when missing). */
  append(host: string, port: number, keyBlob: Buffer): void {
    const name = knownHostsName(host, port);
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    let prefix = '';
    try {
      const cur = fs.readFileSync(this.file);
      if (cur.length && cur[cur.length - 1] !== 0x0a) prefix = '\n';
    } catch {
      /* new file */
    }
    fs.appendFileSync(this.file, `${prefix}${name} ${keyTypeOfBlob(keyBlob)} ${keyBlob.toString('base64')}\n`, { mode: 0o600 });
  }
}
