/** `herd pki export`: one device out of a store as files any MQTT client can use. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { writeOutputs, type OutputFile } from './files.js';
import { checkDeviceId } from './profile.js';
import { openStore, type DeviceStore } from './store.js';

export interface ExportOptions {
  store: string;
  deviceId: string;
  out: string;
  force?: boolean;
}

/** The index of `id` in the store, or an error naming the store and what it holds. */
export function findDevice(store: DeviceStore, id: string): number {
  const i = store.indexOf(id);
  if (i === undefined) {
    const { start, count } = store.meta;
    throw new InputError(
      { file: store.path },
      `has no device "${id}" (it holds ${store.deviceId(start)} .. ${store.deviceId(start + count - 1)})`,
    );
  }
  return i;
}

function sameText(path: string, text: string): boolean {
  try {
    return existsSync(path) && readFileSync(path, 'utf8') === text;
  } catch {
    return false;
  }
}

/** Writes `<id>.crt`, `<id>.key` (0600) and `ca.crt` into `out`; returns the paths. */
export function exportDevice(o: ExportOptions): string[] {
  checkDeviceId(o.deviceId);
  const store = openStore(o.store);
  try {
    const d = store.device(findDevice(store, o.deviceId));
    const files: OutputFile[] = [
      { path: join(o.out, `${d.id}.crt`), data: d.certPem, secret: false },
      { path: join(o.out, `${d.id}.key`), data: d.keyPem, secret: true },
    ];
    // Several devices can be exported into one directory: the same ca.crt is no conflict.
    const caPath = join(o.out, 'ca.crt');
    if (!sameText(caPath, store.caCertPem)) files.push({ path: caPath, data: store.caCertPem, secret: false });
    return writeOutputs(files, o.force ?? false);
  } finally {
    store.close();
  }
}
