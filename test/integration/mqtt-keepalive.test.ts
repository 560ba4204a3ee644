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
import { useFakeClock } from '../helpers/fake-clock.js';
import { until } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-mqtt-keepalive-'));
const ca = opensslCa(join(dir, 'ca'));
const server = opensslLeaf(ca, 'server', 'server', 'localhost');
const devs = [1, 2, 3, 4].map((i) => opensslLeaf(ca, `dev-${i}`, 'device', `dev-${i}`));
const opts: AttemptOptions = {
  timeouts: { tcpMs: 3000, tlsMs: 3000, connackMs: 3000, subscribeMs: 3000, pingMs: 300 },
};

/** A held connection of device dev-<i> (one connection per client id: a second takes the session over). */
/** The keepalive each held connection's CONNACK put in force. */
const keepalive = new Map<HeldConnection, number>();

async function held(t: Target, version: 4 | 5 = 4, i = 1, keepaliveS = 1): Promise<HeldConnection> {
  const dev = devs[i - 1]!;
  const d = prepareDevice(
    { id: `dev-${i}`, certPem: readFileSync(dev.crt), keyPem: readFileSync(dev.key) },
    { serverCaPem: readFileSync(ca.crt), mqttVersion: version, keepaliveS },
  );
  const o = await attemptOnce(d, t, opts);
  if (!o.ok) throw new Error(`${o.phase}/${o.reason}`);
  keepalive.set(o.held, o.keepaliveMs);
  return o.held;
}

/** Resolves once `c` has had `n` PINGRESPs (checked after the driver has read each chunk). */
async function answered(c: HeldConnection, n: number): Promise<void> {
  await until(() => c.pongs >= n, `PINGRESP ${n}`);
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

// The keepalive clock is faked (the driver's deadlines: performance.now and setTimeout), so
// "every keepalive, not sooner" is checked to the millisecond; sockets and brokers are real.
// A long keepalive costs nothing then, and keeps mosquitto (real time, 1.5 keepalives) patient.
const KEEPALIVE_S = 10;

it('a PINGREQ every keepalive, each answered (embedded and mosquitto, MQTT 3.1.1 and 5)', async () => {
  const pingsBefore = broker.stats().pings;
  const embedded = { host: '127.0.0.1', port: broker.port };
  const mosquitto = { host: '127.0.0.1', port: mosq.port };
  const clock = useFakeClock();
  try {
    const conns = await Promise.all([
      held(embedded, 4, 1, KEEPALIVE_S),
      held(embedded, 5, 2, KEEPALIVE_S),
      held(mosquitto, 4, 3, KEEPALIVE_S),
      held(mosquitto, 5, 4, KEEPALIVE_S),
    ]);
    for (const c of conns) expect(keepalive.get(c)).toBe(KEEPALIVE_S * 1000);
    for (const n of [1, 2]) {
      clock.advance(KEEPALIVE_S * 1000 - 1);
      expect(conns.map((c) => c.pings)).toEqual([n - 1, n - 1, n - 1, n - 1]);
      clock.advance(1);
      expect(conns.map((c) => c.pings)).toEqual([n, n, n, n]);
      // the next keepalive counts from the PINGRESP; the clock stands still until all are in
      await Promise.all(conns.map((c) => answered(c, n)));
      expect(conns.map((c) => c.pongs)).toEqual([n, n, n, n]);
    }
    expect(broker.stats().pings - pingsBefore).toBe(4);
    await Promise.all(conns.map((c) => c.disconnectAndWait(2000)));
  } finally {
    clock.restore();
  }
});

it('a stopped broker: no PINGRESP: session/ping_timeout', async () => {
  const clock = useFakeClock();
  try {
    const c = await held({ host: '127.0.0.1', port: mosq.port }, 4, 1, KEEPALIVE_S);
    let drop: string | undefined;
    c.onDrop((phase, reason) => (drop = `${phase}/${reason}`));
    mosq.pause();
    try {
      // the ping goes out after one keepalive, then 300 ms (pingMs) without an answer
      clock.advance(KEEPALIVE_S * 1000 - 1);
      expect(c.pings).toBe(0);
      clock.advance(1);
      expect(c.pings).toBe(1);
      clock.advance(299);
      expect(drop).toBeUndefined();
      clock.advance(1);
      expect(drop).toBe('session/ping_timeout');
      expect(c.pongs).toBe(0);
    } finally {
      mosq.resume();
    }
  } finally {
    clock.restore();
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
