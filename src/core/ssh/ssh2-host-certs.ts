// Host certificates for ssh2. ssh2 1.17 only negotiates plain host key algorithms: it refuses
// *-cert-v01@openssh.com names in `algorithms.serverHostKey`, cannot read a certificate as the
// key that signed the exchange hash, and insists that the signature type equals the negotiated
// algorithm (for a certificate it is the plain key's). This module closes those three gaps from
// outside, and only for connections that ask for certificate algorithms (a host with an
// @cert-authority line): it must be loaded BEFORE ssh2's kex.js (connection.ts imports it first),
// because kex.js keeps its own reference to keyParser.parseDERKey.
//   1. the certificate algorithms become "supported" names (ssh2's default list is unchanged);
//   2. parseDERKey reads a certificate as the plain key it certifies (the CA signature is
//      checked separately, in the hostVerifier, by known-hosts.ts);
//   3. after our hostVerifier accepted a certificate, the running key exchange is told that the
//      exchange hash is signed with the plain key's algorithm.
// RSA certificates are not offered: ssh2 compares the key's type (ssh-rsa-cert-v01) with the
// algorithm name (rsa-sha2-512-cert-v01) before we see it. No vscode import.
import type { Client } from 'ssh2';

import { CERT_SUFFIX, isCertificateType, parseHostCertificate } from './host-certificate';

/* eslint-disable @typescript-eslint/no-require-imports */
const keyParser = require('ssh2/lib/protocol/keyParser.js') as { parseDERKey?: (data: Buffer, type: string) => unknown };
const constants = require('ssh2/lib/protocol/constants.js') as { SUPPORTED_SERVER_HOST_KEY?: string[]; DEFAULT_SERVER_HOST_KEY?: string[] };

/** Certificate host key algorithms we can verify, in OpenSSH's order of preference. */
export const HOST_CERT_ALGORITHMS = [
  'ssh-ed25519-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com',
];

/** undefined when the shim is in place, else why host certificates cannot be used. */
export const hostCertSupportProblem: string | undefined = install();

function install(): string | undefined {
  const original = keyParser.parseDERKey;
  if (typeof original !== 'function' || !Array.isArray(constants.SUPPORTED_SERVER_HOST_KEY)) {
    return 'this ssh2 version does not have the internals host certificate support relies on';
  }
  for (const a of HOST_CERT_ALGORITHMS) if (!constants.SUPPORTED_SERVER_HOST_KEY.includes(a)) constants.SUPPORTED_SERVER_HOST_KEY.push(a);
  keyParser.parseDERKey = (data: Buffer, type: string): unknown => {
    if (typeof type !== 'string' || !type.endsWith(CERT_SUFFIX)) return original(data, type);
    try {
      const typeField = Buffer.alloc(4 + Buffer.byteLength(type));
      typeField.writeUInt32BE(Buffer.byteLength(type));
      typeField.write(type, 4);
      const cert = parseHostCertificate(Buffer.concat([typeField, data]));
      // the plain key's fields, without its type string, in a fresh buffer (parseDER keeps a read position on it)
      return original(Buffer.from(cert.publicKey.subarray(4 + Buffer.byteLength(cert.keyType))), cert.keyType);
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  };
  return undefined;
}

/** ssh2's default host key algorithms (what it offers when not told otherwise). */
export function defaultHostKeyAlgorithms(): string[] {
  return [...(constants.DEFAULT_SERVER_HOST_KEY ?? ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'])];
}

/**
 * Call from the hostVerifier, after the certificate `keyBlob` was accepted and before saying so:
 * the key exchange then checks the exchange hash signature with the certified plain key.
 * Returns an error message when ssh2's internals are not what this module expects.
 */
export function acceptCertificateInKex(client: Client, keyBlob: Buffer): string | undefined {
  if (hostCertSupportProblem) return hostCertSupportProblem;
  const kex = (client as unknown as { _protocol?: { _kex?: { negotiated?: { serverHostKey?: string } } } })._protocol?._kex;
  if (!kex?.negotiated || typeof kex.negotiated.serverHostKey !== 'string' || !isCertificateType(kex.negotiated.serverHostKey)) {
    return 'ssh2 did not negotiate a certificate algorithm the way this version expects';
  }
  kex.negotiated.serverHostKey = parseHostCertificate(keyBlob).keyType;
  return undefined;
}
