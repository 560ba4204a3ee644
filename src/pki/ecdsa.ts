/**
 * Deterministic ECDSA (RFC 6979) for the NIST curves, so a minted certificate is the same
 * bytes every time. OpenSSL 3.0 (Node 20) signs with a random nonce only, so the nonce is
 * derived here and the curve point k·G comes from OpenSSL's fixed-base multiplication
 * through `crypto.createECDH`; the modular arithmetic left is a few BigInt products, and
 * the one inversion per signature is shared by a whole batch (Montgomery's trick).
 */
import crypto from 'node:crypto';
import { invert, mod, toBig, toBytes } from './bigint.js';

export type EcCurve = 'P-256' | 'P-384' | 'P-521';

export interface CurveInfo {
  name: EcCurve;
  /** OpenSSL's name (createECDH, KeyObject namedCurve). */
  openssl: string;
  oid: string;
  /** Group order. */
  n: bigint;
  /** Bit length of n, and the byte length of scalars and field elements. */
  qlen: number;
  bytes: number;
  /** The hash paired with the curve for certificate signatures. */
  hash: 'sha256' | 'sha384' | 'sha512';
  hashLen: number;
  sigOid: string;
}

export const CURVES: Record<EcCurve, CurveInfo> = {
  'P-256': {
    name: 'P-256',
    openssl: 'prime256v1',
    oid: '1.2.840.10045.3.1.7',
    qlen: 256,
    bytes: 32,
    n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
    hash: 'sha256',
    hashLen: 32,
    sigOid: '1.2.840.10045.4.3.2',
  },
  'P-384': {
    name: 'P-384',
    openssl: 'secp384r1',
    oid: '1.3.132.0.34',
    qlen: 384,
    bytes: 48,
    n: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
    hash: 'sha384',
    hashLen: 48,
    sigOid: '1.2.840.10045.4.3.3',
  },
  'P-521': {
    name: 'P-521',
    openssl: 'secp521r1',
    oid: '1.3.132.0.35',
    qlen: 521,
    bytes: 66,
    n: 0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
    hash: 'sha512',
    hashLen: 64,
    sigOid: '1.2.840.10045.4.3.4',
  },
};

export function curveByOpensslName(name: string | undefined): CurveInfo | undefined {
  return Object.values(CURVES).find((c) => c.openssl === name);
}

/** The public point (uncompressed, 0x04‖X‖Y) of a scalar, by OpenSSL. */
export function publicPoint(ecdh: crypto.ECDH, scalar: Buffer): Buffer {
  ecdh.setPrivateKey(scalar);
  return ecdh.getPublicKey();
}

const ZERO = Buffer.from([0]);
const ONE = Buffer.from([1]);

export class DeterministicEcdsa {
  readonly curve: CurveInfo;
  private readonly d: bigint;
  private readonly x: Buffer;
  private readonly ecdh: crypto.ECDH;

  constructor(curve: CurveInfo, privateScalar: Buffer) {
    this.curve = curve;
    this.d = toBig(privateScalar);
    if (this.d <= 0n || this.d >= curve.n) throw new RangeError('private scalar out of range');
    this.x = toBytes(this.d, curve.bytes);
    this.ecdh = crypto.createECDH(curve.openssl);
  }

  private bits2int(b: Buffer): bigint {
    const v = toBig(b);
    const excess = b.length * 8 - this.curve.qlen;
    return excess > 0 ? v >> BigInt(excess) : v;
  }

  private hmac(k: Buffer, a: Buffer, b?: Buffer, c?: Buffer, d?: Buffer): Buffer {
    const h = crypto.createHmac(this.curve.hash, k).update(a);
    if (b) h.update(b);
    if (c) h.update(c);
    if (d) h.update(d);
    return h.digest();
  }

  /** RFC 6979 section 3.2: the nonces for a digest, in order (the first is almost always used). */
  *nonces(h1: Buffer): Generator<bigint> {
    const { hashLen, n, qlen, bytes } = this.curve;
    const h = toBytes(mod(this.bits2int(h1), n), bytes);
    let v: Buffer = Buffer.alloc(hashLen, 1);
    let k: Buffer = Buffer.alloc(hashLen, 0);
    k = this.hmac(k, v, ZERO, this.x, h);
    v = this.hmac(k, v);
    k = this.hmac(k, v, ONE, this.x, h);
    v = this.hmac(k, v);
    for (;;) {
      let t: Buffer = Buffer.alloc(0);
      while (t.length * 8 < qlen) {
        v = this.hmac(k, v);
        t = t.length === 0 ? v : Buffer.concat([t, v]);
      }
      const cand = this.bits2int(t);
      if (cand >= 1n && cand < n) yield cand;
      k = this.hmac(k, v, ZERO);
      v = this.hmac(k, v);
    }
  }

  private r(k: bigint): bigint {
    const p = publicPoint(this.ecdh, toBytes(k, this.curve.bytes));
    return mod(toBig(p.subarray(1, 1 + this.curve.bytes)), this.curve.n);
  }

  /** Signs message digests; returns DER `ECDSA-Sig-Value`s. One inversion for the batch. */
  signDigests(digests: readonly Buffer[]): Buffer[] {
    const { n } = this.curve;
    const m = digests.length;
    const ks: bigint[] = new Array<bigint>(m);
    const rs: bigint[] = new Array<bigint>(m);
    const gens: Generator<bigint>[] = new Array<Generator<bigint>>(m);
    for (let i = 0; i < m; i++) {
      const g = this.nonces(digests[i]!);
      gens[i] = g;
      for (;;) {
        const k = g.next().value as bigint;
        const r = this.r(k);
        if (r !== 0n) {
          ks[i] = k;
          rs[i] = r;
          break;
        }
      }
    }
    // Montgomery's trick: prefix products, one inversion, walk back.
    const prefix: bigint[] = new Array<bigint>(m);
    let acc = 1n;
    for (let i = 0; i < m; i++) {
      acc = (acc * ks[i]!) % n;
      prefix[i] = acc;
    }
    let inv = m > 0 ? invert(acc, n) : 0n;
    const out: Buffer[] = new Array<Buffer>(m);
    for (let i = m - 1; i >= 0; i--) {
      const kInv = i > 0 ? (inv * prefix[i - 1]!) % n : inv;
      inv = (inv * ks[i]!) % n;
      const z = mod(this.bits2int(digests[i]!), n);
      let r = rs[i]!;
      let s = (kInv * ((z + r * this.d) % n)) % n;
      while (s === 0n) {
        // Astronomically rare: take the next nonce for this digest alone.
        const k = gens[i]!.next().value as bigint;
        r = this.r(k);
        if (r === 0n) continue;
        s = (invert(k, n) * ((z + r * this.d) % n)) % n;
      }
      out[i] = encodeSig(r, s, this.curve.bytes);
    }
    return out;
  }
}

function intTlv(v: bigint, len: number): Buffer {
  const full = toBytes(v, len);
  let i = 0;
  while (i < full.length - 1 && full[i] === 0) i++;
  const b = full.subarray(i);
  const pad = (b[0] ?? 0) & 0x80 ? 1 : 0;
  const out = Buffer.allocUnsafe(2 + pad + b.length);
  out[0] = 0x02;
  out[1] = pad + b.length;
  if (pad) out[2] = 0;
  b.copy(out, 2 + pad);
  return out;
}

/** DER SEQUENCE { INTEGER r, INTEGER s }. */
function encodeSig(r: bigint, s: bigint, len: number): Buffer {
  const ri = intTlv(r, len);
  const si = intTlv(s, len);
  const body = ri.length + si.length;
  const head = body < 0x80 ? Buffer.from([0x30, body]) : Buffer.from([0x30, 0x81, body]);
  return Buffer.concat([head, ri, si], head.length + body);
}
