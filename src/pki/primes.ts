/**
 * Probable primes drawn from a DRBG, for deterministic RSA keys: a random odd start with
 * the top two bits set, a window of odd numbers after it sieved by the small primes, and
 * Miller-Rabin (FIPS 186-5 B.3.1) with bases from the same DRBG on what the sieve leaves.
 * The modular exponentiation is OpenSSL's, through a raw RSA public operation (about ten
 * times faster than BigInt); BigInt does it where OpenSSL will not.
 */
import crypto from 'node:crypto';
import { toBig, toBytes } from './bigint.js';
import type { HmacDrbg } from './drbg.js';

/**
 * Odd primes below this sieve the candidates: 3,511 of them leave 10.8% of the odd numbers,
 * about 38 Miller-Rabin rejections per 1024-bit prime; more primes cost more in residues
 * than they save in tests (measured), and 2^15 keeps the residues in int32.
 */
const SIEVE_LIMIT = 1 << 15;
/** Odd candidates per sieve window; a 1024-bit prime is found in one with probability ~99.7%. */
const WINDOW = 2048;

/** The odd primes below SIEVE_LIMIT and 2⁻¹ mod each: built once per thread. */
const SMALL = ((): { primes: Uint32Array; half: Uint32Array } => {
  const composite = new Uint8Array(SIEVE_LIMIT);
  const list: number[] = [];
  for (let n = 3; n < SIEVE_LIMIT; n += 2) {
    if (composite[n]) continue;
    list.push(n);
    for (let k = n * n; k < SIEVE_LIMIT; k += 2 * n) composite[k] = 1;
  }
  return { primes: Uint32Array.from(list), half: Uint32Array.from(list, (p) => (p + 1) / 2) };
})();

/**
 * n mod p for a big-endian number given as 16-bit halves: p < 2^15 keeps every step in
 * int32, which V8 divides about three times faster than doubles (measured).
 */
function residue(halves: Uint16Array, p: number): number {
  let r = 0;
  for (let i = 0; i < halves.length; i++) r = ((r << 16) | halves[i]!) % p;
  return r;
}

/**
 * Marks the offsets j of the window whose start + 2j is divisible by a small prime, or is
 * 1 mod `e` (then e would divide p − 1). Unmarked offsets are the candidates left.
 */
function sieve(start: Buffer, e: number): Uint8Array {
  const halves = new Uint16Array(start.length / 2);
  for (let i = 0; i < halves.length; i++) halves[i] = start.readUInt16BE(2 * i);
  const marks = new Uint8Array(WINDOW);
  const { primes, half } = SMALL;
  for (let k = 0; k < primes.length; k++) {
    const p = primes[k]!;
    // start + 2j ≡ 0 (mod p)  ⇔  j ≡ −start · 2⁻¹ (mod p)
    const r = residue(halves, p);
    for (let j = (((p - r) % p) * half[k]!) % p; j < WINDOW; j += p) marks[j] = 1;
  }
  let r = 0;
  for (let i = 0; i < start.length; i++) r = (r * 256 + start[i]!) % e;
  for (let j = (((e + 1 - r) % e) * ((e + 1) / 2)) % e; j < WINDOW; j += e) marks[j] = 1;
  return marks;
}

/** b^x mod m by square and multiply, four bits at a time. */
export function bigModPow(b: bigint, x: bigint, m: bigint): bigint {
  const table = [1n, b % m];
  for (let i = 2; i < 16; i++) table.push((table[i - 1]! * table[1]!) % m);
  const hex = x.toString(16);
  let r = 1n;
  for (let i = 0; i < hex.length; i++) {
    r = (r * r) % m;
    r = (r * r) % m;
    r = (r * r) % m;
    r = (r * r) % m;
    r = (r * table[parseInt(hex[i]!, 16)]!) % m;
  }
  return r;
}

/**
 * b ↦ b^x mod m for an odd modulus m, by OpenSSL: the RSA public operation without padding
 * on the "key" (n = m, e = x) is exactly that power. Where OpenSSL refuses such a key (x ≥ m,
 * or a version stricter about RSA keys), BigInt gives the same numbers, slower.
 */
export function modPower(x: bigint, m: bigint): (b: bigint) => bigint {
  const len = Math.ceil(m.toString(16).length / 2);
  const b64 = (v: bigint): string => toBytes(v).toString('base64url');
  let key: crypto.KeyObject | undefined;
  let native = true;
  return (b) => {
    if (native) {
      try {
        key ??= crypto.createPublicKey({ key: { kty: 'RSA', n: b64(m), e: b64(x) }, format: 'jwk' });
        return toBig(crypto.publicEncrypt({ key, padding: crypto.constants.RSA_NO_PADDING }, toBytes(b, len)));
      } catch {
        native = false;
      }
    }
    return bigModPow(b, x, m);
  };
}

/** FIPS 186-5 B.3.1: Miller-Rabin with `rounds` bases drawn from the DRBG in (1, w − 1). */
export function millerRabin(w: bigint, rounds: number, drbg: HmacDrbg): boolean {
  const w1 = w - 1n;
  let a = 0;
  while (((w1 >> BigInt(a)) & 1n) === 0n) a++;
  const pow = modPower(w1 >> BigInt(a), w);
  const bits = w.toString(2).length;
  const bytes = Math.ceil(bits / 8);
  const topMask = 0xff >> (bytes * 8 - bits);
  for (let round = 0; round < rounds; round++) {
    let b = 0n;
    while (b <= 1n || b >= w1) {
      const raw = drbg.generate(bytes);
      raw[0]! &= topMask;
      b = toBig(raw);
    }
    let z = pow(b);
    if (z === 1n) continue;
    for (let j = 1; j < a && z !== w1 && z !== 1n; j++) z = (z * z) % w;
    if (z !== w1) return false;
  }
  return true;
}

/**
 * A probable prime of `bits` bits (a multiple of 8, at least 64) with the top two bits set,
 * so that the product of two is exactly twice as long, and p − 1 prime to `e` (a prime).
 */
export function probablePrime(drbg: HmacDrbg, bits: number, rounds: number, e: number): bigint {
  if (bits % 8 !== 0 || bits < 64) throw new RangeError(`prime size ${bits}: expected a multiple of 8, at least 64`);
  const limit = 1n << BigInt(bits);
  for (;;) {
    const start = drbg.generate(bits / 8);
    start[0]! |= 0xc0;
    start[start.length - 1]! |= 1;
    const marks = sieve(start, e);
    const base = toBig(start);
    for (let j = 0; j < WINDOW; j++) {
      if (marks[j]) continue;
      const c = base + BigInt(2 * j);
      if (c >= limit) break;
      if (millerRabin(c, rounds, drbg)) return c;
    }
  }
}
