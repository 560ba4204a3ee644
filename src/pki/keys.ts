/**
 * Key kinds, and the deterministic device keys of a mint: device i's private key is an
 * HMAC-derived scalar of (seed, i), written straight into a PKCS#8 template (no PEM or
 * JWK round trip through OpenSSL, which costs more than the key itself); an RSA key's
 * primes are searched for in a DRBG stream keyed by the same material (rsa-key.ts).
 */
import crypto from 'node:crypto';
import { toBig } from './bigint.js';
import { CURVES, publicPoint, type CurveInfo } from './ecdsa.js';
import { bitString, octets, oid, seq, tlv, TAG } from './der.js';
import { KEY_TYPES } from '../model/names.js';
import { deriveRsa2048, RSA2048_SPKI_LENGTH } from './rsa-key.js';

export const KEY_KINDS = ['p256', 'p384', 'rsa2048', 'ed25519'] as const;
export type KeyKind = (typeof KEY_KINDS)[number];

/** Kinds that `pki mint` derives deterministically from a seed: the device key types of a run. */
export const MINT_KEY_KINDS = KEY_TYPES;
export type MintKeyKind = (typeof MINT_KEY_KINDS)[number];

const KIND_LIST = MINT_KEY_KINDS.join(', ').replace(/, ([^,]*)$/, ' or $1');

/** Why devices cannot be minted with this key kind (a --key or devices.key), or undefined when they can. */
export function unmintableKey(key: string): string | undefined {
  if ((MINT_KEY_KINDS as readonly string[]).includes(key)) return undefined;
  if (/^rsa\d+$/.test(key))
    return (
      `${key} device keys are not minted: deriving an RSA-2048 key already takes tens of milliseconds, ` +
      `a larger one several times that, too slow for a fleet (use ${KIND_LIST})`
    );
  return `expected ${KIND_LIST}, got "${key}"`;
}

const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const OID_ED25519 = '1.3.101.112';

/** A PKCS#8 (and matching SPKI) template with the slots a device key fills in. */
interface KeyTemplate {
  pkcs8: Buffer;
  privAt: number;
  pubInPkcs8At: number;
  spki: Buffer;
  pubInSpkiAt: number;
  pubLen: number;
}

function ecTemplate(c: CurveInfo): KeyTemplate {
  const pubLen = 1 + 2 * c.bytes;
  const alg = seq(oid(OID_EC_PUBLIC_KEY), oid(c.oid));
  const pub = Buffer.alloc(pubLen);
  const tail = tlv(0xa1, bitString(pub));
  // PKCS#8 as OpenSSL writes it: version 0, the algorithm with the curve, ECPrivateKey
  // { version 1, the scalar, [1] the public key } (parameters left to the algorithm).
  const pkcs8 = seq(
    tlv(TAG.integer, Buffer.from([0])),
    alg,
    octets(seq(tlv(TAG.integer, Buffer.from([1])), octets(Buffer.alloc(c.bytes)), tail)),
  );
  const spki = seq(alg, bitString(pub));
  return {
    pkcs8,
    privAt: pkcs8.length - tail.length - c.bytes,
    pubInPkcs8At: pkcs8.length - pubLen,
    spki,
    pubInSpkiAt: spki.length - pubLen,
    pubLen,
  };
}

function edTemplate(): KeyTemplate {
  const alg = seq(oid(OID_ED25519));
  const pkcs8 = seq(tlv(TAG.integer, Buffer.from([0])), alg, octets(octets(Buffer.alloc(32))));
  const spki = seq(alg, bitString(Buffer.alloc(32)));
  return { pkcs8, privAt: pkcs8.length - 32, pubInPkcs8At: -1, spki, pubInSpkiAt: spki.length - 32, pubLen: 32 };
}

export interface DeviceKey {
  /** PKCS#8 DER of the private key. */
  pkcs8: Buffer;
  /** SubjectPublicKeyInfo DER. */
  spki: Buffer;
  /** The subject public key bits (the input of the subject key identifier). */
  publicKey: Buffer;
}

/**
 * Device keys of one kind, derived from a seed. `material(i)` is 64 bytes of
 * HMAC-SHA-512(seed, "herd/device/v1" ‖ i) and the scalar comes from its head, so the key
 * is a pure function of (seed, i).
 */
export class DeviceKeyDeriver {
  readonly kind: MintKeyKind;
  /** The SubjectPublicKeyInfo length, the same for every key of the kind. */
  readonly spkiLength: number;
  private readonly seedKey: Buffer;
  private readonly t: KeyTemplate | undefined;
  private readonly curve: CurveInfo | undefined;
  private readonly ecdh: crypto.ECDH | undefined;
  private readonly msg = Buffer.alloc(14 + 8 + 1);

  constructor(kind: MintKeyKind, seed: string) {
    this.kind = kind;
    this.seedKey = Buffer.from(seed, 'utf8');
    this.msg.write('herd/device/v1', 0, 'latin1');
    this.curve = kind === 'p256' ? CURVES['P-256'] : kind === 'p384' ? CURVES['P-384'] : undefined;
    this.t = kind === 'rsa2048' ? undefined : this.curve ? ecTemplate(this.curve) : edTemplate();
    this.spkiLength = this.t?.spki.length ?? RSA2048_SPKI_LENGTH;
    this.ecdh = this.curve ? crypto.createECDH(this.curve.openssl) : undefined;
  }

  material(i: number, counter = 0): Buffer {
    this.msg.writeBigUInt64BE(BigInt(i), 14);
    this.msg[22] = counter;
    return crypto
      .createHmac('sha512', this.seedKey)
      .update(counter === 0 ? this.msg.subarray(0, 22) : this.msg)
      .digest();
  }

  /** Device i's key; `material` is `material(i)` when the caller already has it. */
  key(i: number, material = this.material(i)): DeviceKey {
    const t = this.t;
    if (!t) return deriveRsa2048(material);
    const pkcs8 = Buffer.allocUnsafe(t.pkcs8.length);
    t.pkcs8.copy(pkcs8);
    const spki = Buffer.allocUnsafe(t.spki.length);
    t.spki.copy(spki);
    let pub: Buffer;
    if (this.curve && this.ecdh) {
      let scalar = material.subarray(0, this.curve.bytes);
      for (let ctr = 1; ; ctr++) {
        const v = toBig(scalar);
        if (v > 0n && v < this.curve.n) break; // fails with probability ~2^-32 (P-256)
        scalar = this.material(i, ctr).subarray(0, this.curve.bytes);
      }
      pub = publicPoint(this.ecdh, scalar);
      scalar.copy(pkcs8, t.privAt);
      pub.copy(pkcs8, t.pubInPkcs8At);
    } else {
      material.copy(pkcs8, t.privAt, 0, 32);
      const obj = crypto.createPublicKey(crypto.createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }));
      pub = obj.export({ type: 'spki', format: 'der' }).subarray(-32);
    }
    pub.copy(spki, t.pubInSpkiAt);
    return { pkcs8, spki, publicKey: pub };
  }
}

/** RFC 5280 method 1 key identifier: SHA-1 of the subject public key bits. */
export function keyIdentifier(publicKeyBits: Uint8Array): Buffer {
  return crypto.createHash('sha1').update(publicKeyBits).digest();
}
