/**
 * The device certificate as a DER template: the TBS is compiled once per (variant, id
 * length) with every length field filled in, and a device only patches its serial, its
 * names (CN, SAN URI, SAN DNS), its public key and its key identifier into a copy.
 */
import { ctx, lengthBytes, oid, printable, seq, set, tlv, TAG, TRUE, utf8 } from './der.js';
import { DEVICE_OU, OID } from './profile.js';

type SlotName = 'serial' | 'name' | 'spki' | 'ski';
interface Slot {
  slot: SlotName;
  len: number;
}
interface Cons {
  tag: number;
  kids: Part[];
}
type Part = Buffer | Slot | Cons;

const cons = (tag: number, ...kids: Part[]): Cons => ({ tag, kids });
const isSlot = (p: Part): p is Slot => 'slot' in p;
const isCons = (p: Part): p is Cons => 'kids' in p;

function size(p: Part): number {
  if (Buffer.isBuffer(p)) return p.length;
  if (isSlot(p)) return p.len;
  const body = p.kids.reduce((a, k) => a + size(k), 0);
  return 1 + lengthBytes(body).length + body;
}

function write(p: Part, buf: Buffer, at: number, slots: Map<SlotName, number[]>): number {
  if (Buffer.isBuffer(p)) return at + p.copy(buf, at);
  if (isSlot(p)) {
    const list = slots.get(p.slot) ?? [];
    list.push(at);
    slots.set(p.slot, list);
    return at + p.len;
  }
  if (!isCons(p)) return at;
  const body = p.kids.reduce((a, k) => a + size(k), 0);
  buf[at++] = p.tag;
  for (const b of lengthBytes(body)) buf[at++] = b;
  for (const k of p.kids) at = write(k, buf, at, slots);
  return at;
}

export interface Layout {
  bytes: Buffer;
  slots: Map<SlotName, number[]>;
}

function compile(p: Part): Layout {
  const bytes = Buffer.alloc(size(p));
  const slots = new Map<SlotName, number[]>();
  write(p, bytes, 0, slots);
  return { bytes, slots };
}

export const SERIAL_BYTES = 16;

/** Everything in a device TBS that is not per device. */
export interface TbsProfile {
  sigAlg: Buffer;
  issuer: Buffer;
  validity: Buffer;
  authorityKeyId: Buffer;
  country: string;
  org: string;
  uriDomain: string;
  spkiLength: number;
  eku: 'clientAuth' | 'serverAuth';
  /** RSA keys: keyEncipherment besides digitalSignature (TLS 1.2 RSA key exchange). */
  keyEncipherment?: boolean;
}

/** KeyUsage BIT STRING: digitalSignature (bit 0), and keyEncipherment (bit 2) for RSA keys. */
const keyUsage = (p: TbsProfile): Buffer =>
  Buffer.from(p.keyEncipherment ? [TAG.bitString, 0x02, 0x05, 0xa0] : [TAG.bitString, 0x02, 0x07, 0x80]);

function deviceTbs(p: TbsProfile, nameLen: number): Part {
  const name: Slot = { slot: 'name', len: nameLen };
  const ext = (id: string, critical: boolean, value: Part): Cons =>
    cons(TAG.sequence, oid(id), ...(critical ? [TRUE] : []), cons(TAG.octetString, value));
  return cons(
    TAG.sequence,
    Buffer.from([0xa0, 0x03, 0x02, 0x01, 0x02]),
    cons(TAG.integer, { slot: 'serial', len: SERIAL_BYTES }),
    p.sigAlg,
    p.issuer,
    p.validity,
    cons(
      TAG.sequence,
      set(seq(oid(OID.country), printable(p.country))),
      set(seq(oid(OID.org), utf8(p.org))),
      set(seq(oid(OID.ou), utf8(DEVICE_OU))),
      cons(TAG.set, cons(TAG.sequence, oid(OID.cn), cons(TAG.utf8String, name))),
    ),
    { slot: 'spki', len: p.spkiLength },
    cons(
      ctx(3, true),
      cons(
        TAG.sequence,
        ext(OID.basicConstraints, true, seq()),
        ext(OID.keyUsage, true, keyUsage(p)),
        ext(OID.extKeyUsage, false, seq(oid(p.eku === 'clientAuth' ? OID.clientAuth : OID.serverAuth))),
        ext(
          OID.subjectAltName,
          false,
          cons(
            TAG.sequence,
            cons(ctx(6, false), Buffer.from(`spiffe://${p.uriDomain}/device/`, 'latin1'), name),
            cons(ctx(2, false), name, Buffer.from('.local', 'latin1')),
          ),
        ),
        ext(OID.subjectKeyId, false, cons(TAG.octetString, { slot: 'ski', len: 20 })),
        ext(OID.authorityKeyId, false, seq(tlv(ctx(0, false), p.authorityKeyId))),
      ),
    ),
  );
}

/** Compiled layouts of one profile, by id length. */
export class TbsTemplate {
  private readonly layouts = new Map<number, Layout>();
  constructor(readonly profile: TbsProfile) {}

  layout(nameLen: number): Layout {
    let l = this.layouts.get(nameLen);
    if (!l) {
      l = compile(deviceTbs(this.profile, nameLen));
      this.layouts.set(nameLen, l);
    }
    return l;
  }

  /** A device's TBS: `name` is ASCII (checked by the caller), `serial` 16 bytes, `ski` 20. */
  fill(name: string, serial: Buffer, spki: Buffer, ski: Buffer): Buffer {
    const l = this.layout(name.length);
    const out = Buffer.allocUnsafe(l.bytes.length);
    l.bytes.copy(out);
    for (const at of l.slots.get('name')!) out.write(name, at, 'latin1');
    serial.copy(out, l.slots.get('serial')![0]);
    spki.copy(out, l.slots.get('spki')![0]);
    ski.copy(out, l.slots.get('ski')![0]);
    return out;
  }
}

/** Certificate ::= SEQUENCE { tbs, signatureAlgorithm, BIT STRING signature }. */
export function assemble(tbs: Buffer, sigAlg: Buffer, sig: Buffer): Buffer {
  const bitLen = lengthBytes(sig.length + 1);
  const body = tbs.length + sigAlg.length + 1 + bitLen.length + 1 + sig.length;
  const head = lengthBytes(body);
  const out = Buffer.allocUnsafe(1 + head.length + body);
  let at = 0;
  out[at++] = TAG.sequence;
  for (const b of head) out[at++] = b;
  at += tbs.copy(out, at);
  at += sigAlg.copy(out, at);
  out[at++] = TAG.bitString;
  for (const b of bitLen) out[at++] = b;
  out[at++] = 0;
  sig.copy(out, at);
  return out;
}
