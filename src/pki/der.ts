/**
 * The little DER this package needs: encoding TLVs, reading them back, OIDs, times and
 * PEM. Enough for certificate templates and for taking CA certificates and keys apart;
 * @peculiar/x509 does the general work outside the hot path.
 */

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

/** Context-specific tag: constructed (explicit) or primitive (implicit). */
export function ctx(n: number, constructed: boolean): number {
  return (constructed ? 0xa0 : 0x80) | n;
}

export function lengthBytes(len: number): number[] {
  if (len < 0x80) return [len];
  const out: number[] = [];
  for (let v = len; v > 0; v = Math.floor(v / 256)) out.unshift(v & 0xff);
  return [0x80 | out.length, ...out];
}

export function tlv(tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag, ...lengthBytes(body.length)]), body]);
}

export const seq = (...c: Uint8Array[]): Buffer => tlv(TAG.sequence, ...c);
export const set = (...c: Uint8Array[]): Buffer => tlv(TAG.set, ...c);
export const octets = (...c: Uint8Array[]): Buffer => tlv(TAG.octetString, ...c);
export const bitString = (b: Uint8Array): Buffer => tlv(TAG.bitString, Buffer.from([0]), b);
export const utf8 = (s: string): Buffer => tlv(TAG.utf8String, Buffer.from(s, 'utf8'));
export const printable = (s: string): Buffer => tlv(TAG.printableString, Buffer.from(s, 'latin1'));
export const TRUE = Buffer.from([TAG.boolean, 1, 0xff]);

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const [a = 0, b = 0, ...rest] = parts;
  const bytes: number[] = [a * 40 + b];
  for (const p of rest) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    bytes.push(...chunk);
  }
  return tlv(TAG.oid, Buffer.from(bytes));
}

/** A non-negative integer from big-endian magnitude bytes (minimal DER form). */
export function uint(magnitude: Uint8Array): Buffer {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const m = magnitude.subarray(i);
  const pad = (m[0] ?? 0) & 0x80 ? [0] : [];
  return tlv(TAG.integer, Buffer.from(pad), m);
}

/** RFC 5280: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, Zulu. */
export function time(d: Date): Buffer {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const y = d.getUTCFullYear();
  if (y < 0 || y > 9999) throw new RangeError(`date out of range for X.509: ${iso}`);
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  if (y >= 1950 && y < 2050) return tlv(TAG.utcTime, Buffer.from(digits.slice(2) + 'Z', 'latin1'));
  return tlv(TAG.generalizedTime, Buffer.from(digits + 'Z', 'latin1'));
}

export function parseTime(n: Node): Date {
  const s = n.value.toString('latin1');
  const m = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m || (n.tag === TAG.utcTime) !== (m[1]!.length === 2)) throw new Error(`unsupported time "${s}"`);
  let y = Number(m[1]);
  if (n.tag === TAG.utcTime) y += y < 50 ? 2000 : 1900;
  return new Date(Date.UTC(y, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/** A parsed TLV: `raw` is the whole element, `value` its content. */
export interface Node {
  tag: number;
  raw: Buffer;
  value: Buffer;
}

export function read(buf: Buffer, at = 0): Node {
  const tag = buf[at];
  let len = buf[at + 1];
  if (tag === undefined || len === undefined) throw new Error('DER: truncated');
  let off = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('DER: unsupported length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[off + i] ?? 0);
    off += n;
  }
  if (off + len > buf.length) throw new Error('DER: truncated');
  return { tag, raw: buf.subarray(at, off + len), value: buf.subarray(off, off + len) };
}

/** The elements inside a constructed node. */
export function children(n: Node): Node[] {
  const out: Node[] = [];
  for (let at = 0; at < n.value.length;) {
    const c = read(n.value, at);
    out.push(c);
    at += c.raw.length;
  }
  return out;
}

export function oidString(n: Node): string {
  const b = n.value;
  const first = b[0] ?? 0;
  const parts = [Math.floor(first / 40), first % 40];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    const x = b[i] ?? 0;
    v = v * 128 + (x & 0x7f);
    if (!(x & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

export function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  let out = `-----BEGIN ${label}-----\n`;
  for (let i = 0; i < b64.length; i += 64) out += b64.slice(i, i + 64) + '\n';
  return out + `-----END ${label}-----\n`;
}

/** The DER of every PEM block with this label, in order. */
export function unpem(text: string, label: string): Buffer[] {
  const re = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`, 'g');
  return [...text.matchAll(re)].map((m) => Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'));
}
