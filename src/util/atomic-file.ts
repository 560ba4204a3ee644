/**
 * Files that are either the old version or the new one, never half of either: the data
 * goes to a temporary file in the same directory (so the rename stays on one file system),
 * is flushed to disk, and is renamed over the target. A failed write removes the temporary
 * file and leaves the target as it was.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** the file's mode when created (the umask applies); default 0644 */
  mode?: number;
}

/** What writeFileAtomic takes: text, bytes, or chunks of them (as fs.promises.writeFile). */
export type AtomicData =
  | string
  | NodeJS.ArrayBufferView
  | Iterable<string | NodeJS.ArrayBufferView>
  | AsyncIterable<string | NodeJS.ArrayBufferView>;

/** A fresh hidden name next to `path`: `.NAME.PID.RANDOM.tmp`. */
function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Flushes a directory entry (the rename) to disk. Not every platform or file system can
 * open a directory for this; the rename itself is atomic without it.
 */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // best effort: only the durability of the rename across a power loss depends on it
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Writes `data` to `path` atomically: a reader sees the previous file or the complete new one. */
export async function writeFileAtomic(path: string, data: AtomicData, options: AtomicWriteOptions = {}): Promise<void> {
  const tmp = temporaryPathFor(path);
  const fh = await open(tmp, 'wx', options.mode ?? 0o644);
  try {
    try {
      await writeFile(fh, data);
      await fh.sync(); // the data on disk before the rename, or a crash could keep an empty file
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  syncDirectory(dirname(path));
}

/**
 * A file built piece by piece, at positions of the writer's choosing (the device store),
 * that appears at `path` only when commit() succeeds; abort() (or a failed commit) removes
 * the temporary file.
 */
export class AtomicFileWriter {
  readonly tempPath: string;
  private fd: number | undefined;

  constructor(
    readonly path: string,
    options: AtomicWriteOptions = {},
  ) {
    this.tempPath = temporaryPathFor(path);
    this.fd = openSync(this.tempPath, 'wx', options.mode ?? 0o644);
  }

  /** Writes all of `buf` at byte `position` of the temporary file. */
  write(buf: Uint8Array, position: number): void {
    if (this.fd === undefined) throw new Error(`${this.path}: the atomic writer is closed`);
    for (let at = 0; at < buf.length;) at += writeSync(this.fd, buf, at, buf.length - at, position + at);
  }

  /** Flushes the temporary file to disk and renames it to `path`. */
  commit(): void {
    if (this.fd === undefined) throw new Error(`${this.path}: the atomic writer is closed`);
    const fd = this.fd;
    this.fd = undefined;
    try {
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(this.tempPath, this.path);
    } catch (e) {
      rmSync(this.tempPath, { force: true });
      throw e;
    }
    syncDirectory(dirname(this.path));
  }

  /** Drops the temporary file (after an error); the target stays as it was. */
  abort(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.tempPath, { force: true });
  }
}
