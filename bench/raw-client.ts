/**
 * The handshake benchmark's baseline: raw tls.connect with a SecureContext built once per
 * device, a hand-encoded MQTT 3.1.1 CONNECT, wait for CONNACK, DISCONNECT, close — as lean
 * as a Node client can be. A closed loop with a fixed number of connects in flight.
 * Usage: node raw-client.js PORT STORE COUNT CONCURRENCY SERVERNAME CA_FILE
 */
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { openStore } from '../src/pki/index.js';

const [portText, storePath, countText, concText, servername, caFile] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const concurrency = Number(concText);
const ca = readFileSync(caFile!);
const store = openStore(storePath!);
const start = store.meta.start;

function connectPacket(id: string): Buffer {
  const cid = Buffer.from(id);
  // variable header: protocol name "MQTT", level 4, flags clean session, keepalive 60
  const vh = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 60, cid.length >> 8, cid.length & 255]);
  const body = Buffer.concat([vh, cid]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}
const DISCONNECT = Buffer.from([0xe0, 0]);

let next = 0;
let done = 0;
let connected = 0;
let failed = 0;
const t0 = performance.now();

function one(): void {
  if (next >= count) return;
  const i = next++;
  const d = store.device(start + (i % store.meta.count));
  const secureContext = tls.createSecureContext({ key: d.keyPem, cert: d.certPem, ca });
  const packet = connectPacket(d.id);
  const s = tls.connect({ host: '127.0.0.1', port, servername, secureContext });
  s.setNoDelay(true);
  let finished = false;
  const finish = (ok: boolean): void => {
    if (finished) return;
    finished = true;
    if (ok) connected++;
    else failed++;
    done++;
    if (done === count) {
      process.stdout.write(JSON.stringify({ connected, failed, wallMs: performance.now() - t0 }) + '\n');
    }
    one();
  };
  s.once('secureConnect', () => s.write(packet));
  s.on('data', (b: Buffer) => {
    if (b[0] === 0x20 && b[3] === 0) {
      s.end(DISCONNECT);
      finish(true);
    } else {
      s.destroy();
      finish(false);
    }
  });
  s.on('error', () => finish(false));
  s.on('close', () => finish(false));
}
for (let k = 0; k < concurrency; k++) one();
