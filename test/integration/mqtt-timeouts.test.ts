/**
 * Per-phase timeouts, for real: a stopped mosquitto (SIGSTOP) whose kernel still accepts
 * TCP, a full accept queue, and TLS servers that complete the handshake but never send
 * a CONNACK or a SUBACK.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opensslCa, opensslLeaf } from '../helpers/openssl-pki.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import {
  attempt,
  prepareDevice,
  type AttemptOptions,
  type AttemptOutcome,
  type PreparedDevice,
  type Target,
} from '../../src/mqtt/index.js';
import { attemptOnce, captureTlsSockets, outcomeLabel } from '../helpers/mqtt.js';
import { useFakeClock } from '../helpers/fake-clock.js';
import { nextEvent, until } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-mqtt-timeouts-'));
const ca = opensslCa(join(dir, 'ca'));
const server = opensslLeaf(ca, 'server', 'server', 'localhost');
const dev = opensslLeaf(ca, 'dev-1', 'device', 'dev-1');
const opts: AttemptOptions = { timeouts: { tcpMs: 300, tlsMs: 300, connackMs: 300, subscribeMs: 300 } };

function device(subscribe?: string): PreparedDevice {
  return prepareDevice(
    { id: 'dev-1', certPem: readFileSync(dev.crt), keyPem: readFileSync(dev.key) },
    { serverCaPem: readFileSync(ca.crt), mqttVersion: 4, keepaliveS: 30, subscribe },
  );
}

function run(t: Target, subscribe?: string): Promise<AttemptOutcome> {
  return attemptOnce(device(subscribe), t, opts);
}

/** A TLS server that answers CONNECT with `onConnect` bytes (or nothing) and then stays silent. */
async function silentServer(onConnect: Buffer | null): Promise<tls.Server> {
  const srv = tls.createServer({ key: readFileSync(server.key), cert: readFileSync(server.crt) }, (s) => {
    s.on('error', () => {});
    if (onConnect) s.once('data', () => s.write(onConnect));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return srv;
}

let mosq: Mosquitto;
beforeAll(async () => {
  mosq = await startMosquitto({ cafile: ca.crt, certfile: server.crt, keyfile: server.key });
});
afterAll(async () => {
  await mosq?.stop();
});

it('a stopped broker: TCP completes in the kernel, the handshake does not: tls/tls_timeout', async () => {
  const target = { host: '127.0.0.1', port: mosq.port };
  mosq.pause();
  // the driver's clock is faked: the TLS phase times out at 300 ms, not before
  const clock = useFakeClock();
  const cap = captureTlsSockets();
  try {
    let o: AttemptOutcome | undefined;
    attempt(device(), target, opts, (r) => (o = r));
    await nextEvent(cap.sockets[0]!, 'connect'); // after the driver's own listener: the TLS phase has begun
    clock.advance(299);
    expect(o).toBeUndefined();
    clock.advance(1);
    expect(o && outcomeLabel(o)).toBe('tls/tls_timeout');
    // TCP completed (on the fake clock it took no time), TLS did not
    expect(o?.timings.tcp).toBe(0);
    expect(o?.timings.tls).toBeUndefined();
  } finally {
    cap.restore();
    clock.restore();
    mosq.resume();
  }
  // and it recovers once resumed
  expect(outcomeLabel(await run(target))).toBe('connected');
});

it('a stopped broker with a full accept queue: the SYN is dropped: tcp/tcp_timeout', async () => {
  const target = { host: '127.0.0.1', port: mosq.port };
  mosq.pause();
  const fillers: net.Socket[] = [];
  try {
    // mosquitto listens with a backlog of 100; the kernel queues that many (+1) unaccepted
    let connected = 0;
    for (let i = 0; i < 120; i++) {
      const s = net.connect(target);
      s.on('error', () => {});
      s.on('connect', () => connected++);
      fillers.push(s);
    }
    await until(() => connected > 90, 'the accept queue to fill');
    expect(outcomeLabel(await run(target))).toBe('tcp/tcp_timeout');
    // the queue is full and nobody takes from it: the fillers past it never connected either
    expect(connected).toBeLessThan(120);
  } finally {
    for (const s of fillers) s.destroy();
    mosq.resume();
  }
});

it('a TLS server that never answers CONNECT: connack/connack_timeout', async () => {
  const srv = await silentServer(null);
  try {
    const o = await run({ host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port });
    expect(outcomeLabel(o)).toBe('connack/connack_timeout');
    expect(o.timings.tls).toBeGreaterThan(0);
    expect(o.timings.connack).toBeUndefined();
  } finally {
    srv.close();
  }
});

it('a server that accepts CONNECT but never answers SUBSCRIBE: subscribe/subscribe_timeout', async () => {
  const srv = await silentServer(Buffer.from([0x20, 0x02, 0x00, 0x00]));
  try {
    const o = await run({ host: '127.0.0.1', port: (srv.address() as net.AddressInfo).port }, 'device/{id}/commands');
    expect(outcomeLabel(o)).toBe('subscribe/subscribe_timeout');
    expect(o.timings.connack).toBeGreaterThan(0);
  } finally {
    srv.close();
  }
});
