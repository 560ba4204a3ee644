/** The BigInt arithmetic the PKI shares: bytes in and out, reduction, inverses, gcd. */

/** A non-negative integer from big-endian bytes. */
export function toBig(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex'));
}

/** Big-endian bytes of a non-negative integer, left-padded to `len` (or minimal without it). */
export function toBytes(v: bigint, len?: number): Buffer {
  const hex = v.toString(16);
  const digits = len === undefined ? hex.length + (hex.length & 1) : len * 2;
  return Buffer.from(hex.padStart(digits, '0'), 'hex');
}

export function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** a⁻¹ mod m; throws when there is none. */
export function invert(a: bigint, m: bigint): bigint {
  let [r0, r1] = [mod(a, m), m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new RangeError('not invertible');
  return mod(s0, m);
}

export function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** The bit length of a positive integer. */
export function bitLength(v: bigint): number {
  return v.toString(2).length;
}
