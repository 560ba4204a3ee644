/**
 * The handshake benchmark's MQTT.js contender: mqtt.connect over TLS with a SecureContext
 * built once per device (passed through to tls.connect), reconnectPeriod 0, CONNACK, then
 * end(). Same closed loop as bench/raw-client.
 * Usage: node mqttjs-client.js PORT STORE COUNT CONCURRENCY SERVERNAME CA_FILE
 */
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { openStore } from '../src/pki/index.js';

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

function one(): void {
  if (next >= count) return;
  const i = next++;
  const d = store.device(start + (i % store.meta.count));
  const secureContext = tls.createSecureContext({ key: d.keyPem, cert: d.certPem, ca });
  const client = mqtt.connect({
    protocol: 'mqtts', host: '127.0.0.1', port, servername, secureContext, clientId: d.id, protocolVersion: 4,
    keepalive: 60, clean: true, reconnectPeriod: 0, connectTimeout: 30_000, rejectUnauthorized: true,
  } as mqtt.IClientOptions);
  let finished = false;
  const finish = (ok: boolean): void => {
    if (finished) return;
    finished = true;
    if (ok) connected++;
    else failed++;
    done++;
    if (done === count) process.stdout.write(JSON.stringify({ connected, failed, wallMs: performance.now() - t0 }) + '\n');
    one();
  };
  client.once('connect', () => {
    client.end();
    finish(true);
  });
  client.once('error', () => {
    client.end(true);
    finish(false);
  });
  client.once('close', () => finish(false));
}
for (let k = 0; k < concurrency; k++) one();
