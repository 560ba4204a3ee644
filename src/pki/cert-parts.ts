/** The parts of a CA certificate a device certificate copies: names, validity, key id. */
import { children, ctx, oidString, parseTime, read, type Node } from './der.js';
import { keyIdentifier } from './keys.js';
import { OID } from './profile.js';

export interface CertParts {
  /** The TBS serial number's content bytes. */
  serial: Buffer;
  /** Subject Name DER, copied byte for byte as the issuer of what this CA signs. */
  subject: Buffer;
  issuer: Buffer;
  /** Validity DER. */
  validity: Buffer;
  notBefore: Date;
  notAfter: Date;
  /** Subject public key bits (BIT STRING contents without the unused-bits byte). */
  publicKey: Buffer;
  /** Subject key identifier: the extension's, or SHA-1 of the key bits (RFC 5280 method 1). */
  keyId: Buffer;
}

function extensions(tbs: Node[]): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const ext = tbs.find((n) => n.tag === ctx(3, true));
  if (!ext) return out;
  const list = children(ext)[0];
  if (!list) return out;
  for (const e of children(list)) {
    const parts = children(e);
    const id = parts[0];
    const value = parts[parts.length - 1];
    if (id && value) out.set(oidString(id), value.value);
  }
  return out;
}

export function certParts(der: Buffer): CertParts {
  const [tbsNode] = children(read(der));
  if (!tbsNode) throw new Error('certificate: no TBS');
  const tbs = children(tbsNode);
  const off = tbs[0]?.tag === ctx(0, true) ? 1 : 0;
  const [serial, , issuer, validity, subject, spki] = tbs.slice(off);
  if (!serial || !issuer || !validity || !subject || !spki) throw new Error('certificate: truncated TBS');
  const [nb, na] = children(validity);
  const keyBits = children(spki)[1];
  if (!nb || !na || !keyBits) throw new Error('certificate: bad validity or key');
  const publicKey = keyBits.value.subarray(1);
  const skiExt = extensions(tbs).get(OID.subjectKeyId);
  const keyId = skiExt ? read(skiExt).value : keyIdentifier(publicKey);
  return {
    serial: Buffer.from(serial.value),
    subject: Buffer.from(subject.raw),
    issuer: Buffer.from(issuer.raw),
    validity: Buffer.from(validity.raw),
    notBefore: parseTime(nb),
    notAfter: parseTime(na),
    publicKey: Buffer.from(publicKey),
    keyId: Buffer.from(keyId),
  };
}
