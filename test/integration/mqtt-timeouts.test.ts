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
import { prepareDevice, type AttemptOptions, type AttemptOutcome, type Target } from '../../src/mqtt/index.js';
import { attemptOnce, outcomeLabel } from '../helpers/mqtt.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-mqtt-timeouts-'));
const ca = opensslCa(join(dir, 'ca'));
const server = opensslLeaf(ca, 'server', 'server', 'localhost');
const dev = opensslLeaf(ca, 'dev-1', 'device', 'dev-1');
const opts: AttemptOptions = { timeouts: { tcpMs: 300, tlsMs: 300, connackMs: 300, subscribeMs: 300 } };

function run(t: Target, subscribe?: string): Promise<AttemptOutcome> {
  const d = prepareDevice(
    { id: 'dev-1', certPem: readFileSync(dev.crt), keyPem: readFileSync(dev.key) },
    { serverCaPem: readFileSync(ca.crt), mqttVersion: 4, keepaliveS: 30, subscribe },
  );
  return attemptOnce(d, t, opts);
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
  try {
    const t0 = performance.now();
    const o = await run(target);
    expect(outcomeLabel(o)).toBe('tls/tls_timeout');
    expect(o.timings.tcp).toBeGreaterThan(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(300);
  } finally {
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
    await new Promise((r) => setTimeout(r, 200));
    expect(connected).toBeGreaterThan(90);
    expect(connected).toBeLessThan(120);
    expect(outcomeLabel(await run(target))).toBe('tcp/tcp_timeout');
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
