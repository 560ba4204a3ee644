/**
 * Certificates of a run's extra clients (traffic controllers and subscribers): the device
 * profile (clientAuth, CN = client id, SPIFFE URI) signed by the run's CA, with a P-256 key
 * and a serial derived from (seed, client id), so the same run mints the same bytes, like
 * its devices. A handful per run: no store, PEM in memory.
 */
import crypto from 'node:crypto';
import type { LoadedCa } from './ca.js';
import { pem } from './der.js';
import { deviceProfile, signDevice, type DeviceNames } from './device-cert.js';
import { DeviceKeyDeriver } from './keys.js';
import { createSigner } from './signer.js';
import { SERIAL_BYTES, TbsTemplate } from './template.js';

export interface ClientIdentity {
  id: string;
  certPem: string;
  keyPem: string;
}

function clientSerial(seed: string, id: string): Buffer {
  const s = crypto.createHash('sha256').update('herd/client-serial/v1').update(seed).update('\0').update(id).digest();
  const out = s.subarray(0, SERIAL_BYTES);
  out[0] = 0x40 | (out[0]! & 0x3f);
  return out;
}

/** One certificate and key per client id, in the order given. */
export function mintClientIdentities(
  ca: Pick<LoadedCa, 'parts' | 'key'>,
  names: DeviceNames,
  seed: string,
  ids: readonly string[],
): ClientIdentity[] {
  const signer = createSigner(ca.key);
  const t = new TbsTemplate(
    deviceProfile(ca.parts, signer, names, { spkiLength: new DeviceKeyDeriver('p256', seed).spkiLength }),
  );
  return ids.map((id) => {
    // a key stream of its own per client id: never one of the devices' keys
    const key = new DeviceKeyDeriver('p256', `herd/client/v1\0${seed}\0${id}`).key(0);
    const cert = signDevice(t, signer, id, clientSerial(seed, id), key);
    return { id, certPem: pem('CERTIFICATE', cert), keyPem: pem('PRIVATE KEY', key.pkcs8) };
  });
}
