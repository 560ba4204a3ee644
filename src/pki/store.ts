/**
 * Reading a device store: cheap to open (header and meta only), O(1) per device, safe to
 * open from several worker threads at once (each opens its own descriptor and reads with
 * positioned reads).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from '../errors.js';
import type { Fault } from '../model/names.js';
import { pem } from './der.js';
import { faultOfCode } from './faults.js';
import { whyUnreadable } from './files.js';
import { idFromTemplate, indexFromId } from './profile.js';
import {
  decodeHeader,
  ENTRY_BYTES,
  FORMAT_VERSION,
  HEADER_BYTES,
  MAGIC,
  readEntry,
  type Entry,
  type StoreMeta,
} from './store-format.js';

export interface DeviceRecord {
  index: number;
  /** The device id: its MQTT client id and, unless its fault says otherwise, its certificate CN. */
  id: string;
  certPem: string;
  keyPem: string;
  certDer: Buffer;
  keyDer: Buffer;
  /** Set when the device was minted with a fault; it must be rejected by the broker. */
  fault?: Fault;
}

/** The fields a reader relies on, of the right types (a store from elsewhere may lack them). */
function metaIsSound(m: StoreMeta): boolean {
  const int = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;
  const text = (v: unknown): boolean => typeof v === 'string';
  return (
    typeof m === 'object' &&
    m !== null &&
    int(m.count) &&
    int(m.start) &&
    text(m.idTemplate) &&
    m.idTemplate.includes('{i}') &&
    text(m.caCertPem)
  );
}

const CHUNK = 4096; // index entries read at a time (64 KiB)

export class DeviceStore {
  readonly meta: StoreMeta;
  private fd: number | undefined;
  private readonly indexOffset: number;
  private readonly chunks = new Map<number, Buffer>();

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'r');
    } catch (e) {
      throw new InputError({ file: path }, whyUnreadable(e), { cause: e });
    }
    try {
      const st = fstatSync(this.fd);
      if (st.isDirectory()) throw this.bad('is a directory, expected a device store (herd pki mint --out FILE)');
      const size = st.size;
      const head = this.read(0, Math.min(HEADER_BYTES, size));
      if (size === 0) throw this.bad('is empty, not a herd device store');
      const magicLength = Math.min(size, MAGIC.length);
      if (head.toString('latin1', 0, magicLength) !== MAGIC.slice(0, magicLength))
        throw this.bad('is not a herd device store');
      if (size < HEADER_BYTES) throw this.bad('is truncated (shorter than a store header)');
      const h = decodeHeader(head);
      if (h.version !== FORMAT_VERSION)
        throw this.bad(`has store format ${h.version}; this herd reads format ${FORMAT_VERSION}`);
      if (h.indexOffset === 0) throw this.bad('is incomplete (the mint that wrote it did not finish)');
      if (h.metaOffset + h.metaLength !== size) throw this.bad('is truncated or damaged');
      let meta: StoreMeta;
      try {
        meta = JSON.parse(this.read(h.metaOffset, h.metaLength, size).toString('utf8')) as StoreMeta;
      } catch (e) {
        throw this.bad(`has damaged metadata (${e instanceof Error ? e.message : String(e)})`);
      }
      if (!metaIsSound(meta)) throw this.bad('has damaged metadata (fields missing or of the wrong type)');
      if (h.indexOffset + meta.count * ENTRY_BYTES !== h.metaOffset)
        throw this.bad('is truncated or damaged (index size)');
      this.meta = meta;
      this.indexOffset = h.indexOffset;
    } catch (e) {
      this.close();
      throw e;
    }
  }

  private bad(why: string): InputError {
    return new InputError({ file: this.path }, why);
  }

  private read(pos: number, len: number, size = Infinity): Buffer {
    if (this.fd === undefined) throw new Error(`device store ${this.path} is closed`);
    if (pos + len > size) throw this.bad('is truncated or damaged');
    const buf = Buffer.allocUnsafe(len);
    for (let got = 0; got < len;) {
      let n: number;
      try {
        n = readSync(this.fd, buf, got, len - got, pos + got);
      } catch (e) {
        throw this.bad(`cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
      }
      if (n === 0) throw this.bad('is truncated or damaged');
      got += n;
    }
    return buf;
  }

  get count(): number {
    return this.meta.count;
  }

  get start(): number {
    return this.meta.start;
  }

  get caCertPem(): string {
    return this.meta.caCertPem;
  }

  has(i: number): boolean {
    return Number.isInteger(i) && i >= this.meta.start && i < this.meta.start + this.meta.count;
  }

  deviceId(i: number): string {
    return idFromTemplate(this.meta.idTemplate, i);
  }

  /** The index of a device id in this store, or undefined. */
  indexOf(id: string): number | undefined {
    const i = indexFromId(this.meta.idTemplate, id);
    return i !== undefined && this.has(i) && this.deviceId(i) === id ? i : undefined;
  }

  private entry(i: number): Entry {
    if (!this.has(i)) {
      const { start, count } = this.meta;
      throw this.bad(`has no device ${i} (it holds devices ${start}..${start + count - 1})`);
    }
    const k = i - this.meta.start;
    const c = Math.floor(k / CHUNK);
    let chunk = this.chunks.get(c);
    if (!chunk) {
      const n = Math.min(CHUNK, this.meta.count - c * CHUNK);
      chunk = this.read(this.indexOffset + c * CHUNK * ENTRY_BYTES, n * ENTRY_BYTES);
      this.chunks.set(c, chunk);
    }
    return readEntry(chunk, (k % CHUNK) * ENTRY_BYTES);
  }

  /** Device i's fault, from the index alone. */
  fault(i: number): Fault | undefined {
    return faultOfCode(this.entry(i).fault);
  }

  device(i: number): DeviceRecord {
    const e = this.entry(i);
    const rec = this.read(e.offset, e.certLen + e.keyLen);
    const certDer = rec.subarray(0, e.certLen);
    const keyDer = rec.subarray(e.certLen);
    const fault = faultOfCode(e.fault);
    const d: DeviceRecord = {
      index: i,
      id: this.deviceId(i),
      certDer,
      keyDer,
      certPem: pem('CERTIFICATE', certDer),
      keyPem: pem('PRIVATE KEY', keyDer),
    };
    if (fault) d.fault = fault;
    return d;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.chunks.clear();
  }
}

/** Opens a store written by `herd pki mint` / `mintStore`. Errors name the file. */
export function openStore(path: string): DeviceStore {
  return new DeviceStore(path);
}
