/**
 * Reading inputs with errors that name the file, and writing outputs with the contract's
 * modes: private keys 0600, certificates 0644, never over an existing file without force.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ExistsError, InputError } from '../errors.js';

export const MODE_SECRET = 0o600;
export const MODE_PUBLIC = 0o644;

/** Why a file could not be opened or read, for a message after its name. */
export function whyUnreadable(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'not found';
    case 'EACCES':
    case 'EPERM':
      return 'cannot be read (permission denied)';
    case 'EISDIR':
      return 'is a directory, expected a file';
    default:
      return `cannot be read (${code ?? String(e)})`;
  }
}

/** A whole input file; errors name it and say why (not found, a directory, permission). */
export function readInput(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new InputError({ file: path }, whyUnreadable(e), { cause: e });
  }
}

export function readInputText(path: string): string {
  return readInput(path).toString('utf8');
}

/** Throws ExistsError for the first of `paths` that exists, unless `force`. */
export function checkWritable(paths: readonly string[], force: boolean): void {
  if (force) return;
  for (const p of paths) if (existsSync(p)) throw new ExistsError(p);
}

/** Writes a file with exactly `mode` (also when it replaces one), through a temporary name. */
export function writeOutput(path: string, data: string | Uint8Array, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${Date.now().toString(36)}-${process.pid}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let at = 0; at < buf.length;) at += writeSync(fd, buf, at, buf.length - at);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, mode); // the umask may have taken bits away
  renameSync(tmp, path);
}

export interface OutputFile {
  path: string;
  data: string | Uint8Array;
  secret: boolean;
}

/** Checks every target first, then writes them all: nothing is half written over. */
export function writeOutputs(files: readonly OutputFile[], force: boolean): string[] {
  checkWritable(
    files.map((f) => f.path),
    force,
  );
  for (const f of files) writeOutput(f.path, f.data, f.secret ? MODE_SECRET : MODE_PUBLIC);
  return files.map((f) => f.path);
}
