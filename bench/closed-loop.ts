/**
 * The handshake benchmark's contenders share this: arguments, the device store, a SecureContext
 * built per device, and a closed loop with a fixed number of connects in flight that prints
 * {connected, failed, wallMs} when every attempt has ended.
 * Usage of a contender: node <client>.js PORT STORE COUNT CONCURRENCY SERVERNAME CA_FILE
 */
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { openStore, type DeviceRecord } from '../src/pki/index.js';

export interface Attempt {
  device: DeviceRecord;
  secureContext: tls.SecureContext;
  port: number;
  servername: string;
  /** call once, when the attempt got its CONNACK (true) or failed (false) */
  finish: (ok: boolean) => void;
}

export function closedLoop(attempt: (a: Attempt) => void): void {
  const [portText, storePath, countText, concText, servername, caFile] = process.argv.slice(2);
  const port = Number(portText);
  const count = Number(countText);
  const concurrency = Number(concText);
  const ca = readFileSync(caFile!);
  const store = openStore(storePath!);
  const start = store.meta.start;
  let next = 0;
  let done = 0;
  let connected = 0;
  let failed = 0;
  const t0 = performance.now();
  const one = (): void => {
    if (next >= count) return;
    const device = store.device(start + (next++ % store.meta.count));
    const secureContext = tls.createSecureContext({ key: device.keyPem, cert: device.certPem, ca });
    let finished = false;
    attempt({
      device,
      secureContext,
      port,
      servername: servername!,
      finish(ok) {
        if (finished) return;
        finished = true;
        if (ok) connected++;
        else failed++;
        done++;
        if (done === count)
          process.stdout.write(JSON.stringify({ connected, failed, wallMs: performance.now() - t0 }) + '\n');
        one();
      },
    });
  };
  for (let k = 0; k < concurrency; k++) one();
}
