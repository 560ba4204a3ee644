/**
 * A device connects for real (TLS 1.3 mTLS over loopback) to the embedded broker and to
 * mosquitto, with MQTT 3.1.1 and 5: CONNACK, SUBACK, phase timings, graceful DISCONNECT.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
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
import { SAFETY_NET_MS, until } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-mqtt-connect-'));
const ca = opensslCa(join(dir, 'ca'));
const server = opensslLeaf(ca, 'server', 'server', 'localhost');
const dev = opensslLeaf(ca, 'dev-1', 'device', 'dev-1');
/** Date.now() and performance.timeOrigin + performance.now() may drift apart (NTP slews one, not the other). */
const CLOCK_DRIFT_MS = 50;
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

describe.each(brokers)('%s broker', (name, target) => {
  it.each([4, 5] as const)('MQTT %s: CONNACK with every phase timed, then a graceful DISCONNECT', async (v) => {
    const before = Date.now();
    const o = await connect(device(v), target());
    const after = Date.now();
    if (!o.ok) throw new Error(`${o.phase}/${o.reason}: ${o.error?.message}`);
    const t = o.timings;
    expect(t.tcp).toBeGreaterThan(0);
    expect(t.tls).toBeGreaterThan(0);
    expect(t.connack).toBeGreaterThan(0);
    expect(t.subscribe).toBeUndefined();
    // epoch ms (timeOrigin + the monotonic clock): between the two wall-clock readings, give or
    // take the drift between the two clocks
    expect(o.readyAt).toBeGreaterThanOrEqual(before - CLOCK_DRIFT_MS);
    expect(o.readyAt).toBeLessThanOrEqual(after + CLOCK_DRIFT_MS);
    expect(o.tls13).toBe(true);
    let ended = false;
    const drops: string[] = [];
    o.held.onEnd(() => (ended = true));
    o.held.onDrop((phase, reason) => drops.push(`${phase}/${reason}`));
    await o.held.disconnectAndWait(3000);
    expect(ended).toBe(true);
    expect(drops).toEqual([]);
  });

  it('no Nagle/delayed-ACK stall (40 ms on Linux) between the TLS 1.3 tickets and the CONNACK: TCP_NODELAY', async () => {
    // the stall itself is only visible as time; what prevents it is not: no end keeps Nagle on
    const noDelay = vi.spyOn(net.Socket.prototype, 'setNoDelay');
    try {
      const o = await connect(device(4), target());
      if (!o.ok) throw new Error(`${o.phase}/${o.reason}`);
      // the sockets setNoDelay() was called on, to turn it on (no argument means true)
      const set = (noDelay.mock.contexts as net.Socket[]).filter((_, i) => noDelay.mock.calls[i]![0] !== false);
      const port = target().port;
      // the device's socket (to the broker's port)
      const client = set.find((x) => x.remotePort === port);
      expect(client).toBeDefined();
      // the embedded broker's accepted socket (mosquitto's is its set_tcp_nodelay, on in the test config)
      if (name === 'embedded')
        expect(set.some((x) => x.localPort === port && x.remotePort === client!.localPort)).toBe(true);
      await o.held.disconnectAndWait(2000);
    } finally {
      noDelay.mockRestore();
    }
  });

  it('a captured TLS session resumes the next handshake', async () => {
    const d = device(4);
    const capture: AttemptOptions = { ...opts, captureSession: true, resume: true };
    const first = await attemptOnce(d, target(), capture);
    if (!first.ok) throw new Error(`${first.phase}/${first.reason}`);
    expect(first.resumed).toBe(false);
    await vi.waitFor(() => expect(d.session).toBeInstanceOf(Buffer), { timeout: SAFETY_NET_MS });
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
  expect(s.connacksAccepted).toBe(7);
  expect(s.connacksRefused).toBe(0);
  expect(s.handshakes).toBe(7);
});

it('mosquitto logged the graceful disconnects as such', async () => {
  // mosquitto logs "Client dev-1 disconnected." for DISCONNECT, "closed its connection" otherwise
  // mosquitto writes its log when it gets round to it: wait for the last line
  const disconnects = (): number => mosq.log().match(/Client dev-1 disconnected\./g)?.length ?? 0;
  await until(() => disconnects() >= 8, "mosquitto's eighth 'disconnected' line");
  const log = mosq.log();
  expect(log).not.toMatch(/closed its connection/);
  expect(log.match(/Client dev-1 disconnected\./g)?.length).toBe(8); // 7 connections and the warm-up
});
