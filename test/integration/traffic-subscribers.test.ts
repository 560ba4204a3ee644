/**
 * The traffic's subscribers: a `herd run` whose traffic has a subscribers stream connects
 * them (own certificates from the run's CA) before any device, and every herd message
 * published to their filter is one delivery each, exactly, with its latency — against the
 * embedded broker and Debian mosquitto. The publishers here are the test's own clients.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { herd, spawnHerd, readSummaryFile } from '../helpers/herd.js';
import { clientsConnected, startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { until } from '../helpers/wait.js';
import { clientsOf, publishHerd, scenarioFile } from '../helpers/traffic-clients.js';
import { startBroker, type RunningBroker } from '../../src/broker/index.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'herd-subs-'));

const N = 3; // publishers
const M = 20; // messages each

/** Two devices held a few seconds; a telemetry stream they never get to (start delay past the hold); k subscribers. */
const scenario = (k: number, qos: number, version = 4): string =>
  scenarioFile(`name: subscribers
devices: { count: 2 }
mqtt: { version: ${version} }
load: { executor: arrival-rate, rate: 10/s, hold: 3s }
traffic:
  - kind: telemetry
    topic: "devices/{id}/telemetry"
    every: 1s
    start_delay: 1h
    payload: 64
    qos: ${qos}
  - kind: subscribers
    count: ${k}
    filter: "devices/+/telemetry"
    qos: ${qos}
`);

const pki = join(tmp(), 'pki');

beforeAll(async () => {
  for (const args of [
    ['pki', 'ca', '--out', pki],
    ['pki', 'server', '--ca', pki, '--out', pki, '--dns', 'localhost', '--ip', '127.0.0.1'],
  ]) {
    const r = await herd(args);
    expect(r.code, r.stderr).toBe(0);
  }
});

/**
 * Runs herd with `k` subscribers against the broker on `port`; once the devices are
 * connecting (so every subscriber has its SUBACK), N publishers send M messages each.
 */
async function fanOut(port: number, devicesIn: () => boolean, k: number, qos: 0 | 1 | 2, version: 4 | 5 = 4) {
  const out = tmp();
  const run = spawnHerd([
    'run',
    scenario(k, qos, version),
    '--target',
    `mqtts://127.0.0.1:${port}`,
    '--pki',
    pki,
    '--servername',
    'localhost',
    '--out',
    out,
    '--quiet',
  ]);
  await until(devicesIn, 'the devices to connect (after the subscribers)');
  const pubs = await clientsOf(
    pki,
    Array.from({ length: N }, (_, i) => `pub-${i}`),
    port,
    version,
  );
  await Promise.all(
    pubs.map((c, i) =>
      publishHerd(c, { topic: `devices/pub-${i}/telemetry`, stream: 0, device: 100 + i, count: M, qos }),
    ),
  );
  await Promise.all(pubs.map((c) => c.endAsync()));
  const r = await run.done;
  expect([0, 97], r.stderr).toContain(r.code);
  return readSummaryFile(out);
}

describe('subscribers against the embedded broker', () => {
  let broker: RunningBroker;
  const subscribed: string[] = [];
  beforeAll(async () => {
    broker = await startBroker({
      caPem: readFileSync(join(pki, 'ca.crt')),
      certPem: readFileSync(join(pki, 'server.crt')),
      keyPem: readFileSync(join(pki, 'server.key')),
      allowSubscribe: (id, topic) => {
        subscribed.push(`${id} ${topic}`);
        return true;
      },
    });
  });
  afterAll(() => broker?.close());

  it('one subscriber receives every one of N×M QoS 1 messages, once, each timed', async () => {
    const before = broker.stats().connacksAccepted;
    const s = await fanOut(broker.port, () => broker.stats().connacksAccepted >= before + 2, 1, 1);
    expect(subscribed).toContain('subscriber-0 devices/+/telemetry');
    expect(s.messages!.telemetry).toMatchObject({ delivered: N * M, duplicated: 0, out_of_order: 0, lost: 0 });
    expect(s.latency.delivery!.count).toBe(N * M);
    // the subscribers' deliveries are in the time series too
    const series = (s as typeof s & { series: { points: { delivered?: number }[] } }).series;
    expect(series.points.reduce((a, p) => a + (p.delivered ?? 0), 0)).toBe(N * M);
  });

  it('fan-out to k subscribers: k×N×M deliveries', async () => {
    const k = 3;
    const before = broker.stats().connacksAccepted;
    const s = await fanOut(broker.port, () => broker.stats().connacksAccepted >= before + k + 1, k, 1, 5);
    expect(s.messages!.telemetry).toMatchObject({ delivered: k * N * M, duplicated: 0, out_of_order: 0 });
    expect(s.latency.delivery!.count).toBe(k * N * M);
  });

  it('a subscription the broker refuses is exit 2 naming the client', async () => {
    const refusing = await startBroker({
      caPem: readFileSync(join(pki, 'ca.crt')),
      certPem: readFileSync(join(pki, 'server.crt')),
      keyPem: readFileSync(join(pki, 'server.key')),
      allowSubscribe: (id) => id !== 'subscriber-1',
    });
    try {
      const r = await herd([
        'run',
        scenario(2, 1),
        '--target',
        `mqtts://127.0.0.1:${refusing.port}`,
        '--pki',
        pki,
        '--servername',
        'localhost',
        '--quiet',
      ]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain("the broker refused subscriber-1's subscription to devices/+/telemetry (SUBACK");
      expect(r.stderr).not.toMatch(/\n\s+at /);
      // no device was sent: the run stopped before its schedule
      expect(refusing.stats().connacksAccepted).toBe(2);
    } finally {
      await refusing.close();
    }
  });
});

describe('subscribers against Debian mosquitto', () => {
  let m: Mosquitto;
  beforeAll(async () => {
    m = await startMosquitto({
      cafile: join(pki, 'ca.crt'),
      certfile: join(pki, 'server.crt'),
      keyfile: join(pki, 'server.key'),
    });
  });
  afterAll(() => m?.stop());

  it('fan-out to 2 subscribers at QoS 2: 2×N×M deliveries, no duplicates', async () => {
    const from = m.log().length;
    const s = await fanOut(m.port, () => /as dev-\d/.test(m.log().slice(from)), 2, 2, 5);
    expect(clientsConnected(m, from)).toBeGreaterThanOrEqual(2 + N);
    expect(s.messages!.telemetry).toMatchObject({ delivered: 2 * N * M, duplicated: 0, out_of_order: 0, lost: 0 });
    expect(s.latency.delivery!.count).toBe(2 * N * M);
  });
});
