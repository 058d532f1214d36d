// OpenSSH certificates (the *-cert-v01@openssh.com key format, PROTOCOL.certkeys in OpenSSH):
// parse the blob a server presents as its host key, verify the CA's signature over it, and check
// it the way OpenSSH's sshkey_cert_check_authority does for a host (type, validity window,
// principals). Pure: node crypto only, no ssh2, no files.
import * as crypto from 'crypto';

export const CERT_SUFFIX = '-cert-v01@openssh.com';

/** The certificate key types Kernel Witness understands (security-key "sk-" types are not among them). */
const CERT_BASE_TYPES = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'] as const;

export interface HostCertificate {
  /** e.g. ssh-ed25519-cert-v01@openssh.com */
  certType: string;
  /** The certified key's own type, e.g. ssh-ed25519. */
  keyType: string;
  /** The certified public key as a plain SSH key blob (what known_hosts would pin). */
  publicKey: Buffer;
  serial: bigint;
  /** 1 = user, 2 = host. */
  kind: number;
  keyId: string;
  principals: string[];
  validAfter: bigint;
  validBefore: bigint;
  criticalOptions: Buffer;
  /** The CA's public key blob. */
  signatureKey: Buffer;
  /** Signature algorithm the CA used, e.g. ssh-ed25519, rsa-sha2-512. */
  signatureAlgorithm: string;
  /** The CA signature verified over the certificate body. */
  signatureValid: boolean;
}

export function isCertificateType(keyType: string): boolean {
  return keyType.endsWith(CERT_SUFFIX);
}

/** A reader of SSH wire types; every read throws on truncated input. */
class WireReader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  uint32(): number {
    if (this.pos + 4 > this.buf.length) throw new Error('truncated');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  uint64(): bigint {
    if (this.pos + 8 > this.buf.length) throw new Error('truncated');
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  bytes(): Buffer {
    const n = this.uint32();
    if (this.pos + n > this.buf.length) throw new Error('truncated');
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  text(): string {
    return this.bytes().toString('utf8');
  }
  get done(): boolean {
    return this.pos === this.buf.length;
  }
}

function sshString(b: Buffer | string): Buffer {
  const data = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
}

/** Parses a certificate blob and verifies its CA signature. Throws (one line) on malformed input. */
export function parseHostCertificate(blob: Buffer): HostCertificate {
  const r = new WireReader(blob);
  try {
    const certType = r.text();
    if (!isCertificateType(certType)) throw new Error(`${certType} is not a certificate type`);
    const keyType = certType.slice(0, -CERT_SUFFIX.length);
    if (!(CERT_BASE_TYPES as readonly string[]).includes(keyType)) throw new Error(`certificate type ${certType} is not supported`);
    r.bytes(); // nonce
    const keyFields: Buffer[] = [];
    if (keyType === 'ssh-rsa') keyFields.push(r.bytes(), r.bytes()); // e, n
    else if (keyType === 'ssh-ed25519') keyFields.push(r.bytes()); // pk
    else keyFields.push(r.bytes(), r.bytes()); // curve, Q
    const serial = r.uint64();
    const kind = r.uint32();
    const keyId = r.text();
    const principalsRaw = new WireReader(r.bytes());
    const principals: string[] = [];
    while (!principalsRaw.done) principals.push(principalsRaw.text());
    const validAfter = r.uint64();
    const validBefore = r.uint64();
    const criticalOptions = r.bytes();
    r.bytes(); // extensions
    r.bytes(); // reserved
    const signatureKey = r.bytes();
    const signedLength = r.pos;
    const sig = new WireReader(r.bytes());
    if (!r.done) throw new Error('trailing data');
    const signatureAlgorithm = sig.text();
    const signature = sig.bytes();
    const publicKey = Buffer.concat([sshString(keyType), ...keyFields.map(sshString)]);
    const signatureValid = verifySshSignature(signatureKey, signatureAlgorithm, signature, blob.subarray(0, signedLength));
    return { certType, keyType, publicKey, serial, kind, keyId, principals, validAfter, validBefore, criticalOptions, signatureKey, signatureAlgorithm, signatureValid };
  } catch (e) {
    throw new Error(`malformed host certificate: ${(e as Error).message}`);
  }
}

const b64url = (b: Buffer): string => b.toString('base64url');
const unsigned = (mpint: Buffer): Buffer => (mpint.length > 1 && mpint[0] === 0 ? mpint.subarray(1) : mpint);

const CURVES: Record<string, { crv: string; size: number; hash: string }> = {
  nistp256: { crv: 'P-256', size: 32, hash: 'sha256' },
  nistp384: { crv: 'P-384', size: 48, hash: 'sha384' },
  nistp521: { crv: 'P-521', size: 66, hash: 'sha512' },
};

/** A node KeyObject for an SSH public key blob (ed25519, ecdsa, rsa); throws for other types. */
export function publicKeyObject(keyBlob: Buffer): crypto.KeyObject {
  const r = new WireReader(keyBlob);
  const type = r.text();
  if (type === 'ssh-ed25519') return crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(r.bytes()) }, format: 'jwk' });
  if (type === 'ssh-rsa') {
    const e = unsigned(r.bytes());
    const n = unsigned(r.bytes());
    return crypto.createPublicKey({ key: { kty: 'RSA', n: b64url(n), e: b64url(e) }, format: 'jwk' });
  }
  const m = /^ecdsa-sha2-(nistp\d+)$/.exec(type);
  if (m && CURVES[m[1]]) {
    const c = CURVES[m[1]];
    r.bytes(); // curve name again
    const q = r.bytes();
    if (q[0] !== 4 || q.length !== 1 + 2 * c.size) throw new Error('unsupported ECDSA point encoding');
    return crypto.createPublicKey({ key: { kty: 'EC', crv: c.crv, x: b64url(q.subarray(1, 1 + c.size)), y: b64url(q.subarray(1 + c.size)) }, format: 'jwk' });
  }
  throw new Error(`CA key type ${type} is not supported`);
}

/**
 * Verifies an SSH signature (algorithm name + signature bytes) made by `keyBlob` over `data`.
 * ssh-rsa (SHA-1) is refused, as OpenSSH's default CASignatureAlgorithms does.
 */
export function verifySshSignature(keyBlob: Buffer, algorithm: string, signature: Buffer, data: Buffer): boolean {
  let key: crypto.KeyObject;
  try {
    key = publicKeyObject(keyBlob);
  } catch {
    return false;
  }
  const keyType = new WireReader(keyBlob).text();
  try {
    if (algorithm === 'ssh-ed25519' && keyType === 'ssh-ed25519') return crypto.verify(null, data, key, signature);
    if ((algorithm === 'rsa-sha2-256' || algorithm === 'rsa-sha2-512') && keyType === 'ssh-rsa') {
      return crypto.verify(algorithm === 'rsa-sha2-256' ? 'sha256' : 'sha512', data, key, signature);
    }
    const m = /^ecdsa-sha2-(nistp\d+)$/.exec(algorithm);
    if (m && CURVES[m[1]] && keyType === algorithm) {
      const c = CURVES[m[1]];
      const rs = new WireReader(signature);
      const part = (x: Buffer): Buffer => {
        const v = unsigned(x);
        if (v.length > c.size) throw new Error('bad ECDSA signature');
        return Buffer.concat([Buffer.alloc(c.size - v.length), v]);
      };
      const raw = Buffer.concat([part(rs.bytes()), part(rs.bytes())]);
      return crypto.verify(c.hash, data, { key, dsaEncoding: 'ieee-p1363' }, raw);
    }
  } catch {
    return false;
  }
  return false;
}

/**
 * Why `cert` is not a valid host certificate for `name` at `nowSeconds`, or undefined when it is.
 * The CA itself (is it trusted for this host?) is the caller's question.
 */
export function hostCertificateProblem(cert: HostCertificate, name: string, nowSeconds: number): string | undefined {
  if (!cert.signatureValid) return `its CA signature (${cert.signatureAlgorithm}) does not verify`;
  if (cert.kind !== 2) return 'it is not a host certificate';
  if (isCertificateType(new WireReader(cert.signatureKey).text())) return 'it is signed by a certificate, not a CA key';
  const now = BigInt(Math.floor(nowSeconds));
  if (now < cert.validAfter) return `it is not valid yet (valid from ${certTime(cert.validAfter)})`;
  if (now >= cert.validBefore) return `it expired (valid until ${certTime(cert.validBefore)})`;
  if (cert.principals.length === 0) return 'it lists no principals';
  if (!cert.principals.includes(name)) return `"${name}" is not one of its principals (${cert.principals.join(', ')})`;
  return undefined;
}

function certTime(t: bigint): string {
  if (t >= 0xffffffffffffffffn) return 'forever';
  const ms = Number(t) * 1000;
  return Number.isFinite(ms) && ms < 8.64e15 ? new Date(ms).toISOString() : String(t);
}
