/**
 * A device connects for real (TLS 1.3 mTLS over loopback) to the embedded broker and to
 * mosquitto, with MQTT 3.1.1 and 5: CONNACK, SUBACK, phase timings, graceful DISCONNECT.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opensslCa, opensslLeaf } from '../helpers/openssl-pki.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import {
  prepareDevice,
  type AttemptOptions,
  type AttemptOutcome,
  type PreparedDevice,
  type Target,
} from '../../src/mqtt/index.js';
import { startBroker, type RunningBroker } from '../../src/broker/broker.js';
import { attemptOnce } from '../helpers/mqtt.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-mqtt-connect-'));
const ca = opensslCa(join(dir, 'ca'));
const server = opensslLeaf(ca, 'server', 'server', 'localhost');
const dev = opensslLeaf(ca, 'dev-1', 'device', 'dev-1');
const opts: AttemptOptions = { timeouts: { tcpMs: 5000, tlsMs: 5000, connackMs: 5000, subscribeMs: 5000 } };

function device(version: 4 | 5, subscribe?: string): PreparedDevice {
  return prepareDevice(
    { id: 'dev-1', certPem: readFileSync(dev.crt), keyPem: readFileSync(dev.key) },
    { serverCaPem: readFileSync(ca.crt), mqttVersion: version, keepaliveS: 30, subscribe },
  );
}

function connect(d: PreparedDevice, t: Target): Promise<AttemptOutcome> {
  return attemptOnce(d, t, opts);
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
  // warm up (module loading and JIT would otherwise land in the first tcp timing)
  const w = await connect(device(4), { host: '127.0.0.1', port: mosq.port });
  if (w.ok) await w.held.disconnectAndWait(1000);
});
afterAll(async () => {
  await broker?.close();
  await mosq?.stop();
});

const brokers = [
  ['embedded', () => ({ host: '127.0.0.1', port: broker.port })],
  ['mosquitto', () => ({ host: '127.0.0.1', port: mosq.port })],
] as const;

describe.each(brokers)('%s broker', (_name, target) => {
  it.each([4, 5] as const)('MQTT %s: CONNACK with every phase timed, then a graceful DISCONNECT', async (v) => {
    const o = await connect(device(v), target());
    if (!o.ok) throw new Error(`${o.phase}/${o.reason}: ${o.error?.message}`);
    const t = o.timings;
    expect(t.tcp).toBeGreaterThan(0);
    expect(t.tls).toBeGreaterThan(0);
    expect(t.connack).toBeGreaterThan(0);
    expect(t.subscribe).toBeUndefined();
    expect(o.readyAt).toBeGreaterThan(Date.now() - 10_000);
    expect(o.readyAt).toBeLessThanOrEqual(Date.now() + 1);
    expect(o.tls13).toBe(true);
    let ended = false;
    o.held.onEnd(() => (ended = true));
    o.held.onDrop((phase, reason) => {
      throw new Error(`unexpected drop ${phase}/${reason}`);
    });
    await o.held.disconnectAndWait(3000);
    expect(ended).toBe(true);
  });

  it('no Nagle/delayed-ACK stall (40 ms on Linux) between the TLS 1.3 tickets and the CONNACK', async () => {
    const connack: number[] = [];
    for (let i = 0; i < 3; i++) {
      const o = await connect(device(4), target());
      if (!o.ok) throw new Error(`${o.phase}/${o.reason}`);
      connack.push(o.timings.connack!);
      await o.held.disconnectAndWait(2000);
    }
    expect(Math.min(...connack)).toBeLessThan(20_000);
  });

  it('a captured TLS session resumes the next handshake', async () => {
    const d = device(4);
    const capture: AttemptOptions = { ...opts, captureSession: true, resume: true };
    const first = await attemptOnce(d, target(), capture);
    if (!first.ok) throw new Error(`${first.phase}/${first.reason}`);
    expect(first.resumed).toBe(false);
    await vi.waitFor(() => expect(d.session).toBeInstanceOf(Buffer), { timeout: 2000 });
    await first.held.disconnectAndWait(2000);
    const second = await attemptOnce(d, target(), capture);
    if (!second.ok) throw new Error(`${second.phase}/${second.reason}`);
    expect(second.resumed).toBe(true);
    await second.held.disconnectAndWait(2000);
  });

  it.each([4, 5] as const)('MQTT %s: SUBSCRIBE to the device topic gets a SUBACK', async (v) => {
    const o = await connect(device(v, 'device/{id}/commands'), target());
    if (!o.ok) throw new Error(`${o.phase}/${o.reason}: ${o.error?.message}`);
    expect(o.timings.subscribe).toBeGreaterThan(0);
    await o.held.disconnectAndWait(3000);
  });
});

it('the embedded broker counts what it saw', () => {
  const s = broker.stats();
  expect(s.connacksAccepted).toBe(9);
  expect(s.connacksRefused).toBe(0);
  expect(s.handshakes).toBe(9);
});

it('mosquitto logged the graceful disconnects as such', async () => {
  // mosquitto logs "Client dev-1 disconnected." for DISCONNECT, "closed its connection" otherwise
  // mosquitto writes its log when it gets round to it: wait (bounded) for the last line
  const deadline = Date.now() + 5000;
  while ((mosq.log().match(/Client dev-1 disconnected\./g)?.length ?? 0) < 10 && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  const log = mosq.log();
  expect(log).not.toMatch(/closed its connection/);
  expect(log.match(/Client dev-1 disconnected\./g)?.length).toBe(10); // 9 connections and the warm-up
});
