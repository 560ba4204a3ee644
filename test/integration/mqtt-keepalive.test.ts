/**
 * Held connections: PINGREQ/PINGRESP flow at the keepalive interval, a PINGRESP that does
 * not come (stopped broker) and a broker that goes away are `session` drops, and the
 * embedded broker restarts on the same port.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { join } from 'node:path';
import { opensslCa, opensslLeaf } from '../helpers/openssl-pki.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { prepareDevice, type AttemptOptions, type HeldConnection, type Target } from '../../src/mqtt/index.js';
import { startBroker, type RunningBroker } from '../../src/broker/broker.js';
import { attemptOnce } from '../helpers/mqtt.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-mqtt-keepalive-'));
const ca = opensslCa(join(dir, 'ca'));
const server = opensslLeaf(ca, 'server', 'server', 'localhost');
const devs = [1, 2, 3, 4].map((i) => opensslLeaf(ca, `dev-${i}`, 'device', `dev-${i}`));
const opts: AttemptOptions = {
  timeouts: { tcpMs: 3000, tlsMs: 3000, connackMs: 3000, subscribeMs: 3000, pingMs: 300 },
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A held connection of device dev-<i> (one connection per client id: a second takes the session over). */
async function held(t: Target, version: 4 | 5 = 4, i = 1): Promise<HeldConnection> {
  const dev = devs[i - 1]!;
  const d = prepareDevice(
    { id: `dev-${i}`, certPem: readFileSync(dev.crt), keyPem: readFileSync(dev.key) },
    { serverCaPem: readFileSync(ca.crt), mqttVersion: version, keepaliveS: 1 },
  );
  const o = await attemptOnce(d, t, opts);
  if (!o.ok) throw new Error(`${o.phase}/${o.reason}`);
  return o.held;
}

function dropped(c: HeldConnection): Promise<string> {
  return new Promise((resolve) => {
    c.onDrop((phase, reason) => resolve(`${phase}/${reason}`));
    c.onEnd(() => resolve('ended'));
  });
}

let broker: RunningBroker;
let mosq: Mosquitto;
beforeAll(async () => {
  broker = await startBroker({
    caPem: readFileSync(ca.crt),
    certPem: readFileSync(server.crt),
    keyPem: readFileSync(server.key),
  });
  mosq = await startMosquitto({ cafile: ca.crt, certfile: server.crt, keyfile: server.key });
});
afterAll(async () => {
  await broker?.close();
  await mosq?.stop();
});

it('a PINGREQ every keepalive, each answered (embedded and mosquitto, MQTT 3.1.1 and 5)', async () => {
  const pingsBefore = broker.stats().pings;
  const embedded = { host: '127.0.0.1', port: broker.port };
  const mosquitto = { host: '127.0.0.1', port: mosq.port };
  const conns = await Promise.all([
    held(embedded, 4, 1),
    held(embedded, 5, 2),
    held(mosquitto, 4, 3),
    held(mosquitto, 5, 4),
  ]);
  await sleep(2500);
  for (const c of conns) {
    expect(c.pings).toBeGreaterThanOrEqual(2);
    expect(c.pings).toBeLessThanOrEqual(3);
    expect(c.pongs).toBe(c.pings);
  }
  expect(broker.stats().pings - pingsBefore).toBe(conns[0].pings + conns[1].pings);
  await Promise.all(conns.map((c) => c.disconnectAndWait(2000)));
});

it('a stopped broker: no PINGRESP: session/ping_timeout', async () => {
  const c = await held({ host: '127.0.0.1', port: mosq.port });
  const drop = dropped(c);
  mosq.pause();
  try {
    const t0 = performance.now();
    expect(await drop).toBe('session/ping_timeout');
    // the ping went out after one keepalive, then 300 ms without an answer
    expect(performance.now() - t0).toBeGreaterThan(1000);
    expect(c.pongs).toBe(c.pings - 1);
  } finally {
    mosq.resume();
  }
});

it('the embedded broker restarts on the same port: held connections drop, new ones connect', async () => {
  const port = broker.port;
  const c = await held({ host: '127.0.0.1', port });
  const drop = dropped(c);
  await broker.restart(100);
  expect(await drop).toMatch(/^session\/(tls_closed|tcp_reset)$/);
  expect(broker.port).toBe(port);
  expect(broker.stats().restarts).toBe(1);
  const again = await held({ host: '127.0.0.1', port });
  await again.disconnectAndWait(2000);
});

it('mosquitto 2.0.11, MQTT 5: the same client id again takes the session over, closing without a DISCONNECT: session/tls_closed', async () => {
  const target = { host: '127.0.0.1', port: mosq.port };
  const first = await held(target, 5, 1);
  const drop = dropped(first);
  const second = await held(target, 5, 1);
  expect(await drop).toBe('session/tls_closed');
  await second.disconnectAndWait(2000);
});

it('a server DISCONNECT (MQTT 5, 0x8b server shutting down): session/disconnect_server_shutting_down', async () => {
  let sock: tls.TLSSocket | undefined;
  const srv = tls.createServer({ key: readFileSync(server.key), cert: readFileSync(server.crt) }, (s) => {
    sock = s;
    s.on('error', () => {});
    s.once('data', () => s.write(Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00])));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const c = await held({ host: '127.0.0.1', port: (srv.address() as AddressInfo).port }, 5);
    const drop = dropped(c);
    sock!.end(Buffer.from([0xe0, 0x02, 0x8b, 0x00]));
    expect(await drop).toBe('session/disconnect_server_shutting_down');
  } finally {
    srv.close();
  }
});
