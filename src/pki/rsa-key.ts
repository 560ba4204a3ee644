/**
 * Deterministic RSA-2048 device keys: device i's seed material keys an HMAC_DRBG whose
 * stream gives both primes (FIPS 186-5 A.1.3 with B.3.3's conditions: 1024-bit probable
 * primes, |p − q| > 2^924, e = 65537 prime to p − 1 and q − 1, d > 2^1024), written as
 * PKCS#8 and SubjectPublicKeyInfo DER.
 */
import crypto from 'node:crypto';
import { gcd, invert, toBytes } from './bigint.js';
import { bitString, octets, oid, seq, tlv, uint, TAG } from './der.js';
import { HmacDrbg } from './drbg.js';
import { probablePrime } from './primes.js';

const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const E = 65537;
const PRIME_BITS = 1024;
/**
 * Miller-Rabin rounds per 1024-bit prime. FIPS 186-5 Table B.1 asks 4 for an error
 * probability of 2^-100 and 5 for 2^-112; FIPS 186-4 Table C.3 asked 5 for 2^-100.
 */
export const RSA_MR_ROUNDS = 5;
const PERSONALIZATION = Buffer.from('herd/rsa2048/v1', 'latin1');
const MIN_DISTANCE = 1n << BigInt(PRIME_BITS - 100);
const MIN_D = 1n << BigInt(PRIME_BITS);
const ALGORITHM = seq(oid(OID_RSA_ENCRYPTION), Buffer.from([TAG.null, 0]));

/** The SubjectPublicKeyInfo length of every RSA-2048 key with e = 65537. */
export const RSA2048_SPKI_LENGTH = 294;

export interface RsaKeyDer {
  pkcs8: Buffer;
  spki: Buffer;
  /** RSAPublicKey DER: the subject public key bits. */
  publicKey: Buffer;
}

const int = (v: bigint): Buffer => uint(toBytes(v));

/** PKCS#1 RSAPrivateKey in PKCS#8, and the SPKI, from the two primes. */
export function rsaKeyDer(p: bigint, q: bigint, d: bigint): RsaKeyDer {
  const e = BigInt(E);
  const n = p * q;
  const rsaPublicKey = seq(int(n), int(e));
  const rsaPrivateKey = seq(
    tlv(TAG.integer, Buffer.from([0])),
    int(n),
    int(e),
    int(d),
    int(p),
    int(q),
    int(d % (p - 1n)),
    int(d % (q - 1n)),
    int(invert(q, p)),
  );
  return {
    pkcs8: seq(tlv(TAG.integer, Buffer.from([0])), ALGORITHM, octets(rsaPrivateKey)),
    spki: seq(ALGORITHM, bitString(rsaPublicKey)),
    publicKey: rsaPublicKey,
  };
}

/** Device key from its 64 bytes of seed material: a pure function of them. */
export function deriveRsa2048(material: Uint8Array): RsaKeyDer {
  const drbg = new HmacDrbg(material, PERSONALIZATION);
  const e = BigInt(E);
  for (;;) {
    const a = probablePrime(drbg, PRIME_BITS, RSA_MR_ROUNDS, E);
    let b = probablePrime(drbg, PRIME_BITS, RSA_MR_ROUNDS, E);
    // |p − q| ≤ 2^924 happens with probability about 2^-99: draw q again
    while ((a > b ? a - b : b - a) <= MIN_DISTANCE) b = probablePrime(drbg, PRIME_BITS, RSA_MR_ROUNDS, E);
    const [p, q] = a > b ? [a, b] : [b, a];
    const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
    const d = invert(e, lambda);
    if (d > MIN_D) return rsaKeyDer(p, q, d); // else (probability ~2^-1000) a fresh pair
  }
}

/** Signs and verifies with the key through OpenSSL: a guard against a bug, not a policy. */
export function checkRsaKey(key: RsaKeyDer): boolean {
  const priv = crypto.createPrivateKey({ key: key.pkcs8, format: 'der', type: 'pkcs8' });
  const pub = crypto.createPublicKey({ key: key.spki, format: 'der', type: 'spki' });
  const msg = Buffer.from('herd/rsa2048/check', 'latin1');
  return crypto.verify('sha256', msg, pub, crypto.sign('sha256', msg, priv));
}
