/**
 * The device certificate, as `herd pki device` and `herd pki mint` both issue it: one
 * profile, one DER template (template.ts), one signer. A single device is a mint of one.
 */
import crypto from 'node:crypto';
import type { CertParts } from './cert-parts.js';
import { children, read } from './der.js';
import { keyIdentifier, type DeviceKey, type KeyKind } from './keys.js';
import type { Signer } from './signer.js';
import { assemble, SERIAL_BYTES, TbsTemplate, type TbsProfile } from './template.js';

/** The names a device certificate carries besides its id. */
export interface DeviceNames {
  country: string;
  org: string;
  uriDomain: string;
}

/** A valid device certificate of this CA (the mint's faulty variants change parts of it). */
export function deviceProfile(
  ca: CertParts,
  signer: Signer,
  names: DeviceNames,
  key: { spkiLength: number; rsa?: boolean },
): TbsProfile {
  return {
    sigAlg: signer.algorithm,
    issuer: ca.subject,
    validity: ca.validity,
    authorityKeyId: ca.keyId,
    country: names.country,
    org: names.org,
    uriDomain: names.uriDomain,
    spkiLength: key.spkiLength,
    eku: 'clientAuth',
    ...(key.rsa ? { keyEncipherment: true } : {}),
  };
}

/** One certificate: the template filled with the device's names, serial and key, signed and checked. */
export function signDevice(t: TbsTemplate, signer: Signer, id: string, serial: Buffer, key: DeviceKey): Buffer {
  const tbs = t.fill(id, serial, key.spki, keyIdentifier(key.publicKey));
  const [sig] = signer.sign([tbs]);
  if (!sig || !signer.verify(tbs, sig)) throw new Error(`device certificate ${id}: signature check failed`);
  return assemble(tbs, signer.algorithm, sig);
}

/** A random positive serial of the mint's fixed length. */
export function randomSerial(): Buffer {
  const b = crypto.randomBytes(SERIAL_BYTES);
  b[0] = 0x40 | (b[0]! & 0x3f);
  return b;
}

/** A fresh random key of this kind, in the form the template takes. */
export function randomDeviceKey(kind: KeyKind): DeviceKey {
  const { privateKey, publicKey } =
    kind === 'rsa2048'
      ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
      : kind === 'ed25519'
        ? crypto.generateKeyPairSync('ed25519')
        : crypto.generateKeyPairSync('ec', { namedCurve: kind === 'p384' ? 'P-384' : 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const bits = children(read(spki))[1];
  if (!bits) throw new Error('SPKI: no public key');
  return {
    pkcs8: privateKey.export({ type: 'pkcs8', format: 'der' }),
    spki,
    publicKey: bits.value.subarray(1),
  };
}

/** The device certificate (DER) for `id` with a key of its own: what `herd pki device` writes. */
export function issueDeviceCert(
  ca: CertParts,
  signer: Signer,
  names: DeviceNames,
  id: string,
  key: DeviceKey,
  kind: KeyKind,
): Buffer {
  const rsa = kind === 'rsa2048';
  const t = new TbsTemplate(deviceProfile(ca, signer, names, { spkiLength: key.spki.length, rsa }));
  return signDevice(t, signer, id, randomSerial(), key);
}
