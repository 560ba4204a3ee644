/**
 * The device store: one file, mode 0600, for any number of devices.
 *
 *   0    "HERDSTO1"                         magic
 *   8    u32 LE format version (1)
 *   12   u32 LE meta length (bytes of JSON)
 *   16   u64 LE meta offset
 *   24   u64 LE index offset                 0 while the mint is running: refused when read
 *   32   u64 LE records offset (64)
 *   40   reserved (zero) up to 64
 *   64   records: per device its certificate DER then its PKCS#8 key DER, in index order
 *   X    index: 16 bytes per device, in index order:
 *          u48 LE record offset, u16 LE certificate length, u16 LE key length,
 *          u8 fault code (0 none, else 1 + position in FAULTS), 5 reserved bytes
 *   M    meta: UTF-8 JSON (StoreMeta)
 *
 * Device i (start <= i < start + count) is index entry i - start: one read of 16 bytes
 * (or of a cached chunk of entries) and one read of its record.
 */
import type { Fault } from '../model/names.js';
import type { FaultSpan } from './fault-spread.js';
import type { FaultShares } from './faults.js';
import type { MintKeyKind } from './keys.js';

export const MAGIC = 'HERDSTO1';
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 64;
export const ENTRY_BYTES = 16;

export interface StoreMeta {
  format: 'mqtt-herd device store';
  version: number;
  /** Devices start .. start + count - 1. */
  count: number;
  start: number;
  idTemplate: string;
  uriDomain: string;
  org: string;
  country: string;
  /** The seed every key was derived from (random when none was given, see `seeded`). */
  seed: string;
  seeded: boolean;
  key: MintKeyKind;
  caCertPem: string;
  /** SHA-256 of the CA certificate DER, hex. */
  caFingerprint: string;
  /** ISO time the mint finished. */
  created: string;
  /**
   * Shares asked for, the devices they are exact over (round(share × total) per fault; the
   * store's own devices unless it is a slice of a larger fleet), and how many of this
   * store's devices got each fault.
   */
  faults: FaultShares;
  /** Absent in stores minted before shares were exact. */
  faultSpan?: FaultSpan;
  faultCounts: Partial<Record<Fault, number>>;
  /** Serial number prefix of this mint (hex): device i's serial is prefix ‖ u64 i. */
  serialTag: string;
  /** The CRL written for revoked devices, if any. */
  crlPath?: string;
}

export function encodeHeader(o: { metaLength: number; metaOffset: number; indexOffset: number }): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.write(MAGIC, 0, 'latin1');
  h.writeUInt32LE(FORMAT_VERSION, 8);
  h.writeUInt32LE(o.metaLength, 12);
  h.writeBigUInt64LE(BigInt(o.metaOffset), 16);
  h.writeBigUInt64LE(BigInt(o.indexOffset), 24);
  h.writeBigUInt64LE(BigInt(HEADER_BYTES), 32);
  return h;
}

export interface Header {
  magic: string;
  version: number;
  metaLength: number;
  metaOffset: number;
  indexOffset: number;
  recordsOffset: number;
}

export function decodeHeader(h: Buffer): Header {
  return {
    magic: h.toString('latin1', 0, 8),
    version: h.readUInt32LE(8),
    metaLength: h.readUInt32LE(12),
    metaOffset: Number(h.readBigUInt64LE(16)),
    indexOffset: Number(h.readBigUInt64LE(24)),
    recordsOffset: Number(h.readBigUInt64LE(32)),
  };
}

export function writeEntry(
  buf: Buffer,
  at: number,
  offset: number,
  certLen: number,
  keyLen: number,
  fault: number,
): void {
  buf.writeUIntLE(offset, at, 6);
  buf.writeUInt16LE(certLen, at + 6);
  buf.writeUInt16LE(keyLen, at + 8);
  buf[at + 10] = fault;
  buf.fill(0, at + 11, at + ENTRY_BYTES);
}

export interface Entry {
  offset: number;
  certLen: number;
  keyLen: number;
  fault: number;
}

export function readEntry(buf: Buffer, at: number): Entry {
  return {
    offset: buf.readUIntLE(at, 6),
    certLen: buf.readUInt16LE(at + 6),
    keyLen: buf.readUInt16LE(at + 8),
    fault: buf[at + 10] ?? 0,
  };
}
