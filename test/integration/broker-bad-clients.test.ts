/**
 * The embedded broker survives bad clients and keeps serving: plain-text garbage, aborted
 * handshakes, silent TCP and TLS connections (closed after their timeouts), malformed
 * MQTT over TLS (3.1.1 and through the MQTT 5 bridge), clients that vanish mid-session.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { Duplex } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opensslCa, opensslLeaf } from '../helpers/openssl-pki.js';
import { attempt, encodeConnect, prepareDevice, type AttemptOutcome } from '../../src/mqtt/index.js';
import { startBroker, type BrokerStats, type RunningBroker } from '../../src/broker/broker.js';
import { nextEvent, until } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-broker-bad-'));
const ca = opensslCa(join(dir, 'ca'));
const server = opensslLeaf(ca, 'server', 'server', 'localhost');
const dev = opensslLeaf(ca, 'dev-1', 'device', 'dev-1');

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({
    caPem: readFileSync(ca.crt),
    certPem: readFileSync(server.crt),
    keyPem: readFileSync(server.key),
    handshakeTimeoutMs: 300,
    connectTimeoutMs: 300,
  });
});
afterAll(async () => {
  await broker?.close();
});

/** Resolves when the connection closes (or rejects, saying so, after the safety net). */
async function closed(s: net.Socket): Promise<void> {
  s.on('error', () => {});
  if (!s.closed) await nextEvent(s, 'close');
}

/** How the broker's counters moved from `before` to now. */
function moved(before: BrokerStats): { handshakes: number; tlsErrors: Record<string, number>; rejected: number } {
  const now = broker.stats();
  const tlsErrors: Record<string, number> = {};
  for (const [code, n] of Object.entries(now.tlsErrors)) {
    const d = n - (before.tlsErrors[code] ?? 0);
    if (d !== 0) tlsErrors[code] = d;
  }
  return {
    handshakes: now.handshakes - before.handshakes,
    tlsErrors,
    rejected: now.rejectedCertificates - before.rejectedCertificates,
  };
}

function rawTcp(): net.Socket {
  return net.connect({ host: '127.0.0.1', port: broker.port });
}

/**
 * A TLS connection over a TCP socket of our own, through a JS stream so that TLS does not
 * take the TCP handle over (only a TCP handle can send an RST: resetAndDestroy()).
 */
function rawTls(): Promise<{ s: tls.TLSSocket; tcp: net.Socket }> {
  return new Promise((resolve, reject) => {
    const tcp = rawTcp();
    tcp.on('error', () => {});
    const s = tls.connect({
      socket: Duplex.from({ readable: tcp, writable: tcp }),
      servername: 'localhost',
      ca: readFileSync(ca.crt),
      cert: readFileSync(dev.crt),
      key: readFileSync(dev.key),
    });
    s.once('secureConnect', () => resolve({ s, tcp }));
    s.once('error', reject);
  });
}

async function goodDeviceConnects(): Promise<void> {
  const d = prepareDevice(
    { id: 'dev-1', certPem: readFileSync(dev.crt), keyPem: readFileSync(dev.key) },
    { serverCaPem: readFileSync(ca.crt), mqttVersion: 5, keepaliveS: 30 },
  );
  const o = await new Promise<AttemptOutcome>((r) =>
    attempt(
      d,
      { host: '127.0.0.1', port: broker.port },
      { timeouts: { tcpMs: 3000, tlsMs: 3000, connackMs: 3000, subscribeMs: 3000 } },
      r,
    ),
  );
  if (!o.ok) throw new Error(`${o.phase}/${o.reason}`);
  await o.held.disconnectAndWait(2000);
}

it('plain-text garbage instead of a ClientHello is closed', async () => {
  const s = rawTcp();
  s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await closed(s);
  await goodDeviceConnects();
});

it('a TCP connection that never says anything is closed after the handshake timeout', async () => {
  const before = broker.stats();
  await closed(rawTcp());
  // closed by the handshake timeout, not for anything it sent
  expect(moved(before)).toEqual({ handshakes: 0, tlsErrors: { ERR_TLS_HANDSHAKE_TIMEOUT: 1 }, rejected: 0 });
  await goodDeviceConnects();
});

it('handshakes aborted halfway (FIN and RST) leave it serving', async () => {
  const aborted: Promise<void>[] = [];
  for (let i = 0; i < 10; i++) {
    // the start of a TLS record carrying a ClientHello, then FIN or RST
    const s = rawTcp();
    aborted.push(closed(s));
    s.on('error', () => {});
    s.write(Buffer.from([0x16, 0x03, 0x01, 0x01, 0x00, 0x01, 0x00, 0x00, 0xfc, 0x03, 0x03]));
    setTimeout(() => (i % 2 ? s.destroy() : s.resetAndDestroy()), 20);
  }
  for (let i = 0; i < 5; i++) {
    // a real ClientHello, abandoned when the server answers
    const s = tls.connect({ host: '127.0.0.1', port: broker.port, ca: readFileSync(ca.crt) });
    aborted.push(closed(s));
    s.once('connect', () => setTimeout(() => s.destroy(), 1));
  }
  await Promise.all(aborted);
  await goodDeviceConnects();
});

it('a TLS connection that never sends CONNECT is closed after the connect timeout', async () => {
  const before = broker.stats();
  await closed((await rawTls()).tcp);
  // an authorized handshake and no error of any kind: only the wait for CONNECT closes it
  expect(moved(before)).toEqual({ handshakes: 1, tlsErrors: {}, rejected: 0 });
  expect(broker.stats().clientErrors).toBe(before.clientErrors);
  await goodDeviceConnects();
});

it('malformed MQTT over TLS is closed (3.1.1, and MQTT 5 through the bridge)', async () => {
  const a = await rawTls();
  a.s.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02]));
  await closed(a.tcp);
  const b = await rawTls();
  b.s.write(
    Buffer.concat([
      encodeConnect('dev-1', { version: 5, keepaliveS: 30 }),
      Buffer.from([0x00, 0xff, 0xff, 0xff, 0xff, 0xff]),
    ]),
  );
  await closed(b.tcp);
  await goodDeviceConnects();
});

it('clients that vanish right after CONNECT are cleaned up', async () => {
  const conns = await Promise.all([1, 2, 3, 4, 5].map(() => rawTls()));
  const connacks = broker.stats().connacksAccepted;
  for (const { s } of conns) s.write(encodeConnect('dev-1', { version: 4, keepaliveS: 30 }));
  await until(() => broker.stats().connacksAccepted === connacks + 5, 'five CONNACKs');
  for (const { tcp } of conns) tcp.resetAndDestroy();
  await until(() => broker.stats().connected === 0, 'the broker to drop the vanished sessions');
  await goodDeviceConnects();
});

it('50 bad clients at once, then a good one', async () => {
  const bad: Promise<unknown>[] = [];
  for (let i = 0; i < 50; i++) {
    const s = rawTcp();
    s.on('error', () => {});
    if (i % 3 === 0) s.write(Buffer.alloc(64, i));
    else if (i % 3 === 1) s.once('connect', () => s.resetAndDestroy());
    bad.push(closed(s));
  }
  await goodDeviceConnects();
  await Promise.all(bad);
  const st = broker.stats();
  expect(st.connected).toBe(0);
  expect(st.accepted).toBeGreaterThanOrEqual(50);
});
