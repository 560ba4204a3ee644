/**
 * Telemetry end to end: N devices publish M messages each on a fixed schedule and the
 * run's subscribers receive every one — N×M for one subscriber, k×N×M fanned out to k —
 * with nothing lost or duplicated, against herd's embedded broker and Debian mosquitto.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { herd, readSummaryFile } from '../helpers/herd.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { startBroker } from '../../src/broker/index.js';
import { readFileSync } from 'node:fs';
import { scenarioFile } from '../helpers/traffic-clients.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'herd-e2e-'));
const N = 4;
const M = 5;

const scenario = (k: number, qos: 0 | 1 | 2, version: 4 | 5, payload = '64'): string =>
  scenarioFile(`name: telemetry-e2e
devices: { count: ${N} }
mqtt: { version: ${version} }
load: { executor: arrival-rate, rate: 20/s, hold: 3s }
traffic:
  - kind: telemetry
    topic: "devices/{id}/telemetry"
    every: 200ms
    count: ${M}
    payload: ${payload}
    qos: ${qos}
  - kind: subscribers
    count: ${k}
    filter: "devices/+/telemetry"
    qos: ${qos}
`);

async function run(args: string[], k: number, qos: 0 | 1 | 2, version: 4 | 5, payload?: string) {
  const out = tmp();
  const r = await herd(['run', scenario(k, qos, version, payload), ...args, '--out', out, '--quiet']);
  expect([0, 97], r.stderr).toContain(r.code);
  return readSummaryFile(out);
}

function expectExact(s: ReturnType<typeof readSummaryFile>, k: number, qos: 0 | 1 | 2): void {
  expect(s.messages!.telemetry).toMatchObject({
    published: N * M,
    acked: qos === 0 ? 0 : N * M,
    delivered: k * N * M,
    lost: 0,
    duplicated: 0,
  });
  expect(s.latency.delivery!.count).toBe(k * N * M);
}

describe('telemetry to subscribers, the embedded broker', () => {
  it('N×M at QoS 1 to one subscriber (MQTT 3.1.1)', async () => {
    expectExact(await run([], 1, 1, 4), 1, 1);
  });
  it('fan-out to 3 subscribers: 3×N×M (MQTT 5)', async () => {
    expectExact(await run([], 3, 1, 5), 3, 1);
  });
});

const pki = join(tmp(), 'pki');
beforeAll(async () => {
  for (const a of [
    ['pki', 'ca', '--out', pki],
    ['pki', 'server', '--ca', pki, '--out', pki, '--dns', 'localhost', '--ip', '127.0.0.1'],
  ]) {
    const r = await herd(a);
    expect(r.code, r.stderr).toBe(0);
  }
});

it("the subscribers take the devices' transport: wss:// (mTLS) and mqtt:// (plain TCP)", async () => {
  const broker = await startBroker({
    caPem: readFileSync(join(pki, 'ca.crt')),
    certPem: readFileSync(join(pki, 'server.crt')),
    keyPem: readFileSync(join(pki, 'server.key')),
    tcpPort: 0,
    wsPort: 0,
  });
  try {
    for (const url of [`wss://127.0.0.1:${broker.wsPort}/mqtt`, `mqtt://127.0.0.1:${broker.tcpPort}`]) {
      const s = await run(['--target', url, '--pki', pki, '--servername', 'localhost'], 1, 1, 5);
      expectExact(s, 1, 1);
    }
    // the subscriber's and the devices' streams arrived on those listeners
    expect(broker.stats().streams).toMatchObject({ wss: N + 1, tcp: N + 1, tls: 0 });
  } finally {
    await broker.close();
  }
});

describe('telemetry to subscribers, Debian mosquitto', () => {
  let m: Mosquitto;
  let args: string[];
  beforeAll(async () => {
    m = await startMosquitto({
      cafile: join(pki, 'ca.crt'),
      certfile: join(pki, 'server.crt'),
      keyfile: join(pki, 'server.key'),
    });
    args = ['--target', `mqtts://127.0.0.1:${m.port}`, '--pki', pki, '--servername', 'localhost'];
  });
  afterAll(() => m?.stop());

  it('N×M at QoS 1 to one subscriber (MQTT 5)', async () => {
    expectExact(await run(args, 1, 1, 5), 1, 1);
  });
  it('fan-out to 2 subscribers at QoS 2: 2×N×M (MQTT 3.1.1)', async () => {
    expectExact(await run(args, 2, 2, 4), 2, 2);
  });
  it('an MQTT 5 JSON template without {herd}: the header rides in the `herd` user property, every message counted', async () => {
    expectExact(await run(args, 1, 1, 5, `{ template: '{"id":"{id}","seq":{seq}}' }`), 1, 1);
  });
});
