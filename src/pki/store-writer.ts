/**
 * Writing a device store (format in store-format.ts): records are appended batch by
 * batch, in index order, to a temporary file (mode 0600); the index, the meta and the
 * header go last and the file is renamed into place, so a store is complete or absent.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { MintedBatch } from './minter.js';
import { MODE_SECRET } from './files.js';
import { encodeHeader, ENTRY_BYTES, HEADER_BYTES, writeEntry, type StoreMeta } from './store-format.js';

export class StoreWriter {
  private readonly tmp: string;
  private fd: number | undefined;
  private pos = HEADER_BYTES;
  private readonly index: Buffer;
  private written = 0;
  bytes = 0;

  constructor(
    readonly path: string,
    readonly count: number,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.tmp = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
    this.fd = openSync(this.tmp, 'w', MODE_SECRET);
    this.write(Buffer.alloc(HEADER_BYTES), 0);
    this.index = Buffer.alloc(count * ENTRY_BYTES);
  }

  private write(buf: Uint8Array, pos: number): void {
    if (this.fd === undefined) throw new Error('store writer is closed');
    for (let at = 0; at < buf.length;) at += writeSync(this.fd, buf, at, buf.length - at, pos + at);
  }

  /** Appends the next batch (batches must come in index order). */
  append(b: MintedBatch): void {
    this.write(b.records, this.pos);
    let off = this.pos;
    for (let j = 0; j < b.count; j++) {
      const cl = b.certLens[j]!;
      const kl = b.keyLens[j]!;
      writeEntry(this.index, (this.written + j) * ENTRY_BYTES, off, cl, kl, b.faults[j]!);
      off += cl + kl;
    }
    this.pos = off;
    this.written += b.count;
  }

  /** Writes index, meta and header, and moves the store into place. */
  finish(meta: StoreMeta): void {
    if (this.written !== this.count) throw new Error(`store writer: ${this.written} of ${this.count} devices written`);
    const indexOffset = this.pos;
    this.write(this.index, indexOffset);
    const metaBuf = Buffer.from(JSON.stringify(meta), 'utf8');
    const metaOffset = indexOffset + this.index.length;
    this.write(metaBuf, metaOffset);
    this.write(encodeHeader({ metaLength: metaBuf.length, metaOffset, indexOffset }), 0);
    this.bytes = metaOffset + metaBuf.length;
    closeSync(this.fd!);
    this.fd = undefined;
    renameSync(this.tmp, this.path);
  }

  /** Drops the partial file (after an error). */
  abort(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.tmp, { force: true });
  }
}
