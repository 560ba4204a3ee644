import { describe, it, expect } from 'vitest';
import crypto from 'node:crypto';
import { bitLength, gcd, toBig } from '../../src/pki/bigint.js';
import { HmacDrbg } from '../../src/pki/drbg.js';
import { DeviceKeyDeriver, unmintableKey } from '../../src/pki/keys.js';
import { bigModPow, millerRabin, modPower, probablePrime } from '../../src/pki/primes.js';
import { checkRsaKey, deriveRsa2048, RSA2048_SPKI_LENGTH, RSA_MR_ROUNDS } from '../../src/pki/rsa-key.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const material = (tag: string): Buffer => crypto.createHash('sha512').update(tag).digest();

/** The RSA numbers of a PKCS#8 key, through OpenSSL's own parser. */
function numbers(pkcs8: Buffer): Record<'n' | 'e' | 'd' | 'p' | 'q' | 'dp' | 'dq' | 'qi', bigint> {
  const jwk = crypto.createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' });
  const big = (v: string | undefined): bigint => toBig(Buffer.from(v ?? '', 'base64url'));
  return {
    n: big(jwk.n),
    e: big(jwk.e),
    d: big(jwk.d),
    p: big(jwk.p),
    q: big(jwk.q),
    dp: big(jwk.dp),
    dq: big(jwk.dq),
    qi: big(jwk.qi),
  };
}

describe('HMAC_DRBG', () => {
  it('gives the NIST CAVP SHA-256 answer (no reseed, COUNT 0: the second 1024-bit generate)', () => {
    const d = new HmacDrbg(
      hex('ca851911349384bffe89de1cbdc46e6831e44d34a4fb935ee285dd14b71a7488'),
      hex('659ba96c601dc69fc902940805ec0ca8'),
    );
    d.generate(128);
    expect(d.generate(128).toString('hex')).toBe(
      'e528e9abf2dece54d47c7e75e5fe302149f817ea9fb4bee6f4199697d04d5b89d54fbb978a15b5c443c9ec21036d2460' +
        'b6f73ebad0dc2aba6e624abf07745bc107694bb7547bb0995f70de25d6b29e2d3011bb19d27676c07162c8b5ccde0668' +
        '961df86803482cb37ed6d5c0bb8d50cf1f50d476aa0458bdaba806f48be9dcb8',
    );
  });
});

describe('primes', () => {
  it('computes the same powers through OpenSSL as with BigInt, and with BigInt where OpenSSL refuses', () => {
    for (let k = 0; k < 4; k++) {
      const m = toBig(crypto.randomBytes(128)) | (1n << 1023n) | 1n;
      const x = toBig(crypto.randomBytes(127));
      const b = toBig(crypto.randomBytes(100));
      expect(modPower(x, m)(b)).toBe(bigModPow(b, x, m));
    }
    const m = (1n << 1023n) + 1155n;
    expect(modPower(m + 2n, m)(7n)).toBe(bigModPow(7n, m + 2n, m)); // e > n: OpenSSL refuses, BigInt answers
    expect(modPower(560n, 561n)(5n)).toBe(1n); // Fermat's little theorem fooled by a Carmichael number
  });

  it('Miller-Rabin passes primes and rejects composites, Carmichael numbers included', () => {
    const drbg = new HmacDrbg(material('mr'));
    for (const p of [
      (1n << 127n) - 1n,
      (1n << 521n) - 1n,
      0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    ])
      expect(millerRabin(p, RSA_MR_ROUNDS, drbg)).toBe(true);
    const carmichael = [561n, 41041n, 825265n, 321197185n, 5394826801n, 232250619601n, 9746347772161n];
    for (const c of [...carmichael, ((1n << 127n) - 1n) * ((1n << 89n) - 1n)])
      expect(millerRabin(c, RSA_MR_ROUNDS, drbg)).toBe(false);
  });

  it('draws primes of the size asked with the top two bits set and p − 1 prime to e, the same from the same DRBG', () => {
    const a = probablePrime(new HmacDrbg(material('pp')), 512, RSA_MR_ROUNDS, 65537);
    const b = probablePrime(new HmacDrbg(material('pp')), 512, RSA_MR_ROUNDS, 65537);
    expect(a).toBe(b);
    expect(bitLength(a)).toBe(512);
    expect(a >> 510n).toBe(3n);
    expect(crypto.checkPrimeSync(a, { checks: 64 })).toBe(true);
    expect(gcd(a - 1n, 65537n)).toBe(1n);
    expect(probablePrime(new HmacDrbg(material('pp2')), 512, RSA_MR_ROUNDS, 65537)).not.toBe(a);
  });
});

describe('RSA-2048 device keys', () => {
  const deriver = new DeviceKeyDeriver('rsa2048', 'rsa-unit');
  const k0 = deriver.key(0);
  const k1 = deriver.key(1);

  it('is a pure function of the seed material: the same bytes again, other bytes for another device', () => {
    expect(deriveRsa2048(deriver.material(0))).toEqual(k0);
    expect(new DeviceKeyDeriver('rsa2048', 'rsa-unit').key(0)).toEqual(k0);
    expect(k1.spki.equals(k0.spki)).toBe(false);
    expect(new DeviceKeyDeriver('rsa2048', 'rsa-other').key(0).spki.equals(k0.spki)).toBe(false);
  });

  it('is a valid 2048-bit key with e = 65537 and the FIPS 186-5 conditions, usable by OpenSSL', () => {
    for (const k of [k0, k1]) {
      const pub = crypto.createPublicKey({ key: k.spki, format: 'der', type: 'spki' });
      expect(pub.asymmetricKeyDetails).toMatchObject({ modulusLength: 2048, publicExponent: 65537n });
      expect(k.spki.length).toBe(RSA2048_SPKI_LENGTH);
      expect(deriver.spkiLength).toBe(RSA2048_SPKI_LENGTH);
      expect(k.spki.subarray(-k.publicKey.length)).toEqual(k.publicKey);
      const { n, e, d, p, q, dp, dq, qi } = numbers(k.pkcs8);
      expect(p * q).toBe(n);
      expect(p > q ? p - q : q - p).toBeGreaterThan(1n << 924n);
      for (const f of [p, q]) {
        expect(bitLength(f)).toBe(1024);
        expect(crypto.checkPrimeSync(f, { checks: 64 })).toBe(true);
      }
      const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
      expect((d * e) % lambda).toBe(1n);
      expect(d).toBeGreaterThan(1n << 1024n);
      expect([dp, dq, (qi * q) % p]).toEqual([d % (p - 1n), d % (q - 1n), 1n]);
      expect(checkRsaKey(k)).toBe(true);
    }
  });
});

describe('which key kinds are minted', () => {
  it('mints p256, p384, ed25519 and rsa2048; refuses larger RSA keys saying why, and unknown kinds', () => {
    for (const k of ['p256', 'p384', 'ed25519', 'rsa2048']) expect(unmintableKey(k)).toBeUndefined();
    expect(unmintableKey('rsa4096')).toMatch(/^rsa4096 device keys are not minted: .*too slow for a fleet/);
    expect(unmintableKey('dsa')).toBe('expected p256, p384, ed25519 or rsa2048, got "dsa"');
  });
});
