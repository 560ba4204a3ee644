/**
 * HMAC_DRBG with SHA-256 (NIST SP 800-90A section 10.1.2), without reseeding or additional
 * input: a deterministic stream of bytes from seed material, where a device's RSA key
 * search draws its candidates and its Miller-Rabin bases.
 */
import crypto from 'node:crypto';

const ZERO = Buffer.from([0]);
const ONE = Buffer.from([1]);
/** SP 800-90A's limit on one request: 2^19 bits. */
const MAX_REQUEST = 65_536;

export class HmacDrbg {
  private k: Buffer = Buffer.alloc(32, 0);
  private v: Buffer = Buffer.alloc(32, 1);

  /** Instantiate: seed material is entropy input ‖ nonce ‖ personalization string. */
  constructor(...seedMaterial: Uint8Array[]) {
    this.update(seedMaterial);
  }

  private hmac(...parts: Uint8Array[]): Buffer {
    const h = crypto.createHmac('sha256', this.k);
    for (const p of parts) h.update(p);
    return h.digest();
  }

  private update(data: Uint8Array[]): void {
    this.k = this.hmac(this.v, ZERO, ...data);
    this.v = this.hmac(this.v);
    if (data.every((d) => d.length === 0)) return;
    this.k = this.hmac(this.v, ONE, ...data);
    this.v = this.hmac(this.v);
  }

  /** The next `n` bytes. */
  generate(n: number): Buffer {
    if (n > MAX_REQUEST) throw new RangeError(`HMAC_DRBG: at most ${MAX_REQUEST} bytes a request`);
    const out = Buffer.allocUnsafe(n);
    for (let at = 0; at < n; at += 32) {
      this.v = this.hmac(this.v);
      this.v.copy(out, at, 0, Math.min(32, n - at));
    }
    this.update([]);
    return out;
  }
}
