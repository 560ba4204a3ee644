/**
 * Devices publish and answer for real (mTLS over loopback, certificates from herd's pki)
 * against the embedded broker and mosquitto: N devices × M messages at QoS 0, 1 and 2 are
 * all published, all acknowledged (QoS 1/2, with publish → ack latency recorded) and all
 * received by an MQTT.js subscriber; a device that receives a command answers on the
 * response topic with its correlation (MQTT 5 properties, 3.1.1 template).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { createCa, issueDevice, issueServer } from '../../src/pki/index.js';
import { startBroker, type RunningBroker } from '../../src/broker/broker.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { attemptOnce } from '../helpers/mqtt.js';
import { until } from '../helpers/wait.js';
import { prepareDevice, type AttemptOptions, type HeldConnection, type Target } from '../../src/mqtt/index.js';
import { MessageRecorder, type StreamCounts } from '../../src/metrics/messages.js';
import { DeviceTraffic } from '../../src/engine/telemetry.js';
import { telemetry, type TelemetryConfig } from '../../src/traffic/telemetry.js';
import { commands, type CommandsConfig } from '../../src/traffic/commands.js';
import { CONTROLLER_BASE, readHeader, writeHeader } from '../../src/traffic/header.js';
import type { StreamConfig } from '../../src/traffic/stream.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-mqtt-traffic-'));
const caDir = join(dir, 'ca');
const pem = (name: string) => ({
  cert: readFileSync(join(dir, `${name}.crt`)),
  key: readFileSync(join(dir, `${name}.key`)),
});
const caPem = () => readFileSync(join(caDir, 'ca.crt'));
const N = 5;
const M = 20;

let broker: RunningBroker;
let mosq: Mosquitto;
beforeAll(async () => {
  await createCa({ out: caDir });
  await issueServer({ ca: caDir, out: dir });
  for (let i = 0; i < N; i++) await issueDevice({ ca: caDir, out: dir, deviceId: `dev-${i}` });
  for (const id of ['watcher', 'controller-0']) await issueDevice({ ca: caDir, out: dir, deviceId: id });
  const server = pem('server');
  broker = await startBroker({ caPem: caPem(), certPem: server.cert, keyPem: server.key });
  mosq = await startMosquitto({
    cafile: join(caDir, 'ca.crt'),
    certfile: join(dir, 'server.crt'),
    keyfile: join(dir, 'server.key'),
  });
});
afterAll(async () => {
  await broker?.close();
  await mosq?.stop();
});

const brokers = [
  ['embedded', (): Target => ({ host: '127.0.0.1', port: broker.port, servername: 'localhost' })],
  ['mosquitto', (): Target => ({ host: '127.0.0.1', port: mosq.port, servername: 'localhost' })],
] as const;

/** An MQTT.js client with a certificate from the run's CA, subscribed to `filter`. */
async function client(id: string, t: Target, version: 4 | 5, filter: string, qos: 0 | 1 | 2): Promise<MqttClient> {
  const { cert, key } = pem(id);
  const c = await mqtt.connectAsync({
    protocol: 'mqtts',
    host: t.host,
    port: t.port,
    servername: 'localhost',
    ca: caPem(),
    cert,
    key,
    clientId: id,
    protocolVersion: version,
    reconnectPeriod: 0,
  });
  await c.subscribeAsync(filter, { qos });
  return c;
}

/** Connects device i with the run's traffic (DeviceTraffic's hooks, its extras); starts its schedule. */
async function connectDevice(t: Target, traffic: DeviceTraffic, i: number, version: 4 | 5): Promise<HeldConnection> {
  const { cert, key } = pem(`dev-${i}`);
  const d = prepareDevice(
    { id: `dev-${i}`, index: i, certPem: cert, keyPem: key },
    { serverCaPem: caPem(), mqttVersion: version, keepaliveS: 30 },
    traffic.extras(i, `dev-${i}`),
  );
  const opts: AttemptOptions = {
    timeouts: { tcpMs: 10_000, tlsMs: 10_000, connackMs: 10_000, subscribeMs: 10_000 },
    traffic: traffic.hooks,
  };
  const o = await attemptOnce(d, t, opts);
  if (!o.ok) throw new Error(`dev-${i}: ${o.phase}/${o.reason} ${o.detail ?? ''}`);
  traffic.start(i, `dev-${i}`, o.held, o.readyAt);
  return o.held;
}

/** What a recorder counted, drained into running totals. */
function totals(rec: MessageRecorder) {
  const sum: StreamCounts = {
    published: 0,
    acked: 0,
    delivered: 0,
    unique: 0,
    duplicated: 0,
    outOfOrder: 0,
    late: 0,
    heldBack: 0,
    bytesOut: 0,
    bytesIn: 0,
  };
  let ackCount = 0;
  return {
    sum,
    ackCount: () => ackCount,
    drain() {
      const d = rec.drain();
      for (const [, c] of d.streams) for (const k of Object.keys(c) as (keyof StreamCounts)[]) sum[k] += c[k];
      for (const [, h] of d.publishAck) for (let j = 1; j < h.pairs.length; j += 2) ackCount += h.pairs[j]!;
    },
  };
}

function telemetryStream(qos: 0 | 1 | 2): TelemetryConfig {
  const p = telemetry.fromScenario({ every: '25ms', qos, count: M, payload: '40-120' }, 'telemetry');
  if (!p.ok) throw new Error('telemetry config');
  return p.config;
}

describe.each(brokers)('%s broker', (_name, target) => {
  it.each([
    [0, 5],
    [1, 5],
    [2, 5],
    [1, 4],
    [2, 4],
  ] as const)(
    `QoS %s, MQTT %s: ${N} devices × ${M} messages published, acked and received, each once`,
    async (qos, v) => {
      const t = target();
      const watcher = await client('watcher', t, v, 'devices/+/telemetry', qos);
      const got = new Set<string>();
      let received = 0;
      watcher.on('message', (_topic, payload) => {
        const h = readHeader(payload);
        if (h === null) return;
        received++;
        got.add(`${h.device}/${h.seq}`);
      });
      const rec = new MessageRecorder();
      const traffic = new DeviceTraffic(
        { traffic: [telemetryStream(qos)], mqttVersion: v, seed: 'test', shard: 0, deviceStart: 0, deviceCount: N },
        rec,
      );
      const held = await Promise.all(Array.from({ length: N }, (_, i) => connectDevice(t, traffic, i, v)));
      const tot = totals(rec);
      try {
        await until(() => {
          tot.drain();
          return tot.sum.published === N * M && (qos === 0 || tot.sum.acked === N * M) && got.size === N * M;
        }, 'every message published, acknowledged and received');
      } finally {
        for (const h of held) await h.disconnectAndWait(2000);
        await watcher.endAsync();
      }
      expect(tot.sum.published).toBe(N * M);
      expect(tot.sum.acked).toBe(qos === 0 ? 0 : N * M);
      expect(tot.ackCount()).toBe(qos === 0 ? 0 : N * M);
      expect(tot.sum.bytesOut).toBeGreaterThanOrEqual(N * M * 40);
      expect(received).toBe(N * M);
      for (let i = 0; i < N; i++) for (let s = 0; s < M; s++) expect(got.has(`${i}/${s}`)).toBe(true);
    },
  );
});

function commandsStream(qos: 0 | 1 | 2): CommandsConfig {
  const p = commands.fromScenario({ rate: '10/s', qos }, 'commands');
  if (!p.ok) throw new Error('commands config');
  return p.config;
}

/** A controller publishes command `seq` to dev-3 and waits for what comes back on `filter`. */
async function roundTrip(t: Target, v: 4 | 5, qos: 0 | 1 | 2, filter: string, props: object | undefined) {
  const traffic: StreamConfig[] = [commandsStream(qos)];
  const rec = new MessageRecorder();
  const dt = new DeviceTraffic({ traffic, mqttVersion: v, seed: 's', shard: 0, deviceStart: 0, deviceCount: N }, rec);
  const controller = await client('controller-0', t, v, filter, qos);
  const held = await connectDevice(t, dt, 3, v);
  const payload = Buffer.alloc(64, 0x2e);
  const intended = performance.timeOrigin + performance.now();
  writeHeader(payload, { stream: 0, device: CONTROLLER_BASE, seq: 41, intended, correlation: 41 });
  try {
    const answer = new Promise<{ topic: string; payload: Buffer; correlation: Buffer | undefined }>((resolve) =>
      controller.on('message', (topic, p, packet) =>
        resolve({ topic, payload: p, correlation: packet.properties?.correlationData }),
      ),
    );
    await controller.publishAsync('devices/dev-3/commands', payload, { qos, ...(props ? { properties: props } : {}) });
    return await answer;
  } finally {
    await held.disconnectAndWait(2000);
    await controller.endAsync();
  }
}

describe('commands', () => {
  it.each([1, 2] as const)(
    'mosquitto, MQTT 5, QoS %s: the answer goes to the Response Topic with the Correlation Data',
    async (qos) => {
      const corr = Buffer.from([0, 0, 0, 0, 0, 0, 0, 41]);
      const r = await roundTrip(brokers[1][1](), 5, qos, 'ctl/replies/0', {
        responseTopic: 'ctl/replies/0',
        correlationData: corr,
      });
      expect(r.topic).toBe('ctl/replies/0');
      expect(r.correlation).toEqual(corr);
      const h = readHeader(r.payload)!;
      expect(h).toMatchObject({ stream: 0, device: 3, seq: 41, correlation: 41 });
      expect(r.payload.length).toBe(64);
    },
  );

  it.each(brokers)(
    '%s, MQTT 3.1.1: the answer goes to the response topic template, correlation in the header',
    async (_n, t) => {
      const r = await roundTrip(t(), 4, 1, 'devices/+/responses', undefined);
      expect(r.topic).toBe('devices/dev-3/responses');
      const h = readHeader(r.payload)!;
      expect(h).toMatchObject({ stream: 0, device: 3, seq: 41, correlation: 41 });
    },
  );
});

describe('persistent sessions (clean: false)', () => {
  it.each([
    ['embedded', 4],
    ['mosquitto', 4],
    ['mosquitto', 5],
  ] as const)(
    '%s, MQTT %s: QoS 1 messages sent while the device was away arrive after it reconnects',
    async (name, v) => {
      const t = brokers.find(([n]) => n === name)![1]();
      // device 1 does not publish (share 1%: frac(1 × 0.618) is above it); it receives on inbox/dev-1
      const quiet = telemetry.fromScenario({ every: '1s', devices: '1%' }, 'telemetry');
      if (!quiet.ok) throw new Error('config');
      const rec = new MessageRecorder();
      const dt = new DeviceTraffic(
        { traffic: [quiet.config], mqttVersion: v, seed: 's', shard: 0, deviceStart: 0, deviceCount: N },
        rec,
      );
      const { cert, key } = pem('dev-1');
      const d = prepareDevice(
        { id: 'dev-1', index: 1, certPem: cert, keyPem: key },
        {
          serverCaPem: caPem(),
          mqttVersion: v,
          keepaliveS: 30,
          subscribe: 'inbox/{id}',
          subscribeQos: 1,
          clean: false,
          sessionExpiryS: 300,
        },
      );
      const opts: AttemptOptions = {
        timeouts: { tcpMs: 10_000, tlsMs: 10_000, connackMs: 10_000, subscribeMs: 10_000 },
        traffic: dt.hooks,
      };
      const first = await attemptOnce(d, t, opts);
      if (!first.ok) throw new Error(`${first.phase}/${first.reason} ${first.detail ?? ''}`);
      await first.held.disconnectAndWait(2000);
      const sender = await client('controller-0', t, v, 'unused/topic', 0);
      for (let seq = 0; seq < 5; seq++) {
        const payload = Buffer.alloc(32);
        writeHeader(payload, { stream: 0, device: 4, seq, intended: Date.now(), correlation: 0 });
        await sender.publishAsync('inbox/dev-1', payload, { qos: 1 });
      }
      await sender.endAsync();
      const again = await attemptOnce(d, t, opts);
      if (!again.ok) throw new Error(`${again.phase}/${again.reason} ${again.detail ?? ''}`);
      dt.start(1, 'dev-1', again.held, again.readyAt);
      let delivered = 0;
      let unique = 0;
      try {
        await until(() => {
          for (const [, c] of rec.drain().streams) {
            delivered += c.delivered;
            unique += c.unique;
          }
          return unique >= 5;
        }, 'the 5 queued messages delivered after the reconnect');
      } finally {
        await again.held.disconnectAndWait(2000);
      }
      expect(unique).toBe(5);
      expect(delivered - unique).toBe(0);
    },
  );
});
