// known_hosts verification (OpenSSH format): plain and hashed (`|1|salt|hash`) host fields,
// `[host]:port` for non-default ports, wildcard/negated patterns, `@revoked` lines, and
// `@cert-authority` lines: a host certificate signed by a CA listed for the host's name is
// accepted when it is valid now and names the host as a principal (host-certificate.ts).
// Unknown key → the caller asks the user; changed or revoked key, bad certificate → refused.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

import { globMatch } from './config';
import { hostCertificateProblem, isCertificateType, parseHostCertificate } from './host-certificate';

export type HostKeyVerdict =
  | { kind: 'known' }
  | { kind: 'known-by-ca'; file: string; line: number; keyId: string }
  | { kind: 'unknown'; otherTypes: string[] }
  | { kind: 'changed'; file: string; line: number; knownType: string }
  | { kind: 'revoked'; file: string; line: number }
  | { kind: 'bad-certificate'; reason: string };

export interface KnownHostLine {
  marker?: '@revoked' | '@cert-authority';
  hosts: string; // the raw host field
  keyType: string;
  keyBase64: string;
  line: number;
}

/** The name OpenSSH looks up: `host` on port 22, else `[host]:port`. (HostKeyAlias is looked up as is.) */
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

/** A hashed host field as OpenSSH's HashKnownHosts writes it: |1|base64(salt)|base64(HMAC-SHA1(salt, name)). */
export function hashHostName(name: string, salt: Buffer = crypto.randomBytes(20)): string {
  return `|1|${salt.toString('base64')}|${crypto.createHmac('sha1', salt).update(name).digest('base64')}`;
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

/** Does the host field of a known_hosts line name `name`? (hashed or pattern list; names are lower-case like OpenSSH's) */
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

type FileLine = KnownHostLine & { file: string };

export class KnownHosts {
  /** `file` is read and appended to; `alsoRead` files (e.g. /etc/ssh/ssh_known_hosts) are only read. */
  constructor(
    readonly file: string,
    readonly alsoRead: readonly string[] = [],
  ) {}

  private read(): FileLine[] {
    const out: FileLine[] = [];
    for (const f of [this.file, ...this.alsoRead]) {
      try {
        for (const l of parseKnownHosts(fs.readFileSync(f, 'utf8'))) out.push({ ...l, file: f });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    return out;
  }

  /** Checks `keyBlob` for `host:port` (HostName, looked up as [host]:port off port 22). */
  verify(host: string, port: number, keyBlob: Buffer): HostKeyVerdict {
    return this.verifyName(knownHostsName(host, port), keyBlob, host);
  }

  /**
   * Checks `keyBlob` under the known_hosts name `name` (`[host]:port`, `host`, or a HostKeyAlias).
   * A certificate must name `principal` (the host name or HostKeyAlias, without port) and be
   * signed by a CA of an `@cert-authority` line for `name`; if it is not, its plain key is
   * checked like any key (OpenSSH does the same) but never offered for pinning.
   */
  verifyName(name: string, keyBlob: Buffer, principal: string, nowSeconds = Date.now() / 1000): HostKeyVerdict {
    const lines = this.read().filter((l) => hostFieldMatches(l.hosts, name));
    if (!isCertificateType(keyTypeOfBlob(keyBlob))) return plainVerdict(lines, keyBlob);
    let cert;
    try {
      cert = parseHostCertificate(keyBlob);
    } catch (e) {
      return { kind: 'bad-certificate', reason: (e as Error).message };
    }
    for (const b of [keyBlob, cert.publicKey, cert.signatureKey]) {
      const r = revokedLine(lines, b);
      if (r) return { kind: 'revoked', file: r.file, line: r.line };
    }
    const caB64 = cert.signatureKey.toString('base64');
    const ca = lines.find((l) => l.marker === '@cert-authority' && l.keyBase64 === caB64);
    const problem = ca ? hostCertificateProblem(cert, principal, nowSeconds) : `its CA key (${fingerprintSha256(cert.signatureKey)}) is not in an @cert-authority line for ${name}`;
    if (ca && !problem) return { kind: 'known-by-ca', file: ca.file, line: ca.line, keyId: cert.keyId };
    const plain = plainVerdict(lines, cert.publicKey);
    if (plain.kind === 'known' || plain.kind === 'revoked' || plain.kind === 'changed') return plain;
    return { kind: 'bad-certificate', reason: `host certificate "${cert.keyId}" rejected: ${problem}` };
  }

  /** What is pinned for `name`: plain key types (for ordering host key algorithms) and whether a CA is listed. */
  pinned(name: string): { keyTypes: string[]; certAuthority: boolean } {
    const lines = this.read().filter((l) => hostFieldMatches(l.hosts, name));
    return {
      keyTypes: [...new Set(lines.filter((l) => l.marker === undefined).map((l) => l.keyType))],
      certAuthority: lines.some((l) => l.marker === '@cert-authority'),
    };
  }

  /** Appends a pinned key (creates the file 0600 and its directory 0700 when missing). */
  append(host: string, port: number, keyBlob: Buffer): void {
    this.appendName(knownHostsName(host, port), keyBlob);
  }

  /** Appends `name keytype key`; with `hash` the name is written hashed (HashKnownHosts yes). */
  appendName(name: string, keyBlob: Buffer, opts: { hash?: boolean } = {}): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    let prefix = '';
    try {
      const cur = fs.readFileSync(this.file);
      if (cur.length && cur[cur.length - 1] !== 0x0a) prefix = '\n';
    } catch {
      /* new file */
    }
    const field = opts.hash ? hashHostName(name) : name;
    fs.appendFileSync(this.file, `${prefix}${field} ${keyTypeOfBlob(keyBlob)} ${keyBlob.toString('base64')}\n`, { mode: 0o600 });
  }
}

function revokedLine(lines: FileLine[], keyBlob: Buffer): FileLine | undefined {
  const b64 = keyBlob.toString('base64');
  return lines.find((l) => l.marker === '@revoked' && l.keyBase64 === b64);
}

function plainVerdict(lines: FileLine[], keyBlob: Buffer): HostKeyVerdict {
  const type = keyTypeOfBlob(keyBlob);
  const b64 = keyBlob.toString('base64');
  const r = revokedLine(lines, keyBlob);
  if (r) return { kind: 'revoked', file: r.file, line: r.line };
  const plain = lines.filter((l) => l.marker === undefined);
  if (plain.some((l) => l.keyType === type && l.keyBase64 === b64)) return { kind: 'known' };
  const sameType = plain.find((l) => l.keyType === type);
  if (sameType) return { kind: 'changed', file: sameType.file, line: sameType.line, knownType: type };
  return { kind: 'unknown', otherTypes: [...new Set(plain.map((l) => l.keyType))] };
}
