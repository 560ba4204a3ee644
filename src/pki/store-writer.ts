/**
 * Writing a device store (format in store-format.ts): records are appended batch by
 * batch, in index order; the index, the meta and last the header follow.
 *
 * The header is what makes a store readable (its index offset stays 0, "incomplete", until
 * everything else is written), but writing it last only makes a half-written file
 * recognisable, not absent. So the whole store is built under a temporary name in the
 * same directory (mode 0600) and renamed into place once complete and flushed to disk
 * (AtomicFileWriter): at the store's path there is the previous store or the complete new
 * one, also after a crash or a failed mint, never a partial one. A header rewritten in
 * place could not give that: the pages before it would already be the new store's.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AtomicFileWriter } from '../util/atomic-file.js';
import type { MintedBatch } from './minter.js';
import { MODE_SECRET } from './files.js';
import { encodeHeader, ENTRY_BYTES, HEADER_BYTES, writeEntry, type StoreMeta } from './store-format.js';

export class StoreWriter {
  private readonly file: AtomicFileWriter;
  private pos = HEADER_BYTES;
  private readonly index: Buffer;
  private written = 0;
  bytes = 0;

  constructor(
    readonly path: string,
    readonly count: number,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.file = new AtomicFileWriter(path, { mode: MODE_SECRET });
    this.file.write(Buffer.alloc(HEADER_BYTES), 0);
    this.index = Buffer.alloc(count * ENTRY_BYTES);
  }

  /** Appends the next batch (batches must come in index order). */
  append(b: MintedBatch): void {
    this.file.write(b.records, this.pos);
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

  /** Writes index, meta and header, and moves the complete store into place. */
  finish(meta: StoreMeta): void {
    if (this.written !== this.count) throw new Error(`store writer: ${this.written} of ${this.count} devices written`);
    const indexOffset = this.pos;
    this.file.write(this.index, indexOffset);
    const metaBuf = Buffer.from(JSON.stringify(meta), 'utf8');
    const metaOffset = indexOffset + this.index.length;
    this.file.write(metaBuf, metaOffset);
    this.file.write(encodeHeader({ metaLength: metaBuf.length, metaOffset, indexOffset }), 0);
    this.bytes = metaOffset + metaBuf.length;
    this.file.commit();
  }

  /** Drops the partial file (after an error); a store already at the path stays. */
  abort(): void {
    this.file.abort();
  }
}
