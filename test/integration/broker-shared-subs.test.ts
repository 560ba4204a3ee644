/**
 * The embedded broker's shared subscriptions ($share/<group>/<filter>): each message matching
 * the filter goes to one member of the group, the members in turn; a plain subscriber to the
 * same filter still gets every message; a member that leaves no longer gets a turn.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startBroker, type RunningBroker } from '../../src/broker/index.js';
import { herd } from '../helpers/herd.js';
import { clientsOf } from '../helpers/traffic-clients.js';

const pki = join(mkdtempSync(join(tmpdir(), 'herd-share-')), 'pki');
let broker: RunningBroker;

beforeAll(async () => {
  for (const a of [
    ['pki', 'ca', '--out', pki],
    ['pki', 'server', '--ca', pki, '--out', pki, '--dns', 'localhost', '--ip', '127.0.0.1'],
  ]) {
    const r = await herd(a);
    expect(r.code, r.stderr).toBe(0);
  }
  broker = await startBroker({
    caPem: readFileSync(join(pki, 'ca.crt')),
    certPem: readFileSync(join(pki, 'server.crt')),
    keyPem: readFileSync(join(pki, 'server.key')),
  });
});
afterAll(() => broker?.close());

/** Counts what `c` receives on `filter`, by payload. */
async function received(c: MqttClient, filter: string): Promise<string[]> {
  const got: string[] = [];
  c.on('message', (_t, p) => got.push(p.toString()));
  await c.subscribeAsync(filter, { qos: 1 });
  return got;
}

async function publishAll(c: MqttClient, from: number, to: number): Promise<void> {
  for (let k = from; k < to; k++) await c.publishAsync(`devices/dev-${k % 3}/telemetry`, `m${k}`, { qos: 1 });
}

it.each([4, 5] as const)(
  'MQTT %s: one member of a group per message, in turn; a plain subscriber gets all',
  async (v) => {
    const [a, b, plain, pub] = await clientsOf(pki, [`a${v}`, `b${v}`, `plain${v}`, `pub${v}`], broker.port, v);
    try {
      const gotA = await received(a!, '$share/g/devices/+/telemetry');
      const gotB = await received(b!, '$share/g/devices/+/telemetry');
      const gotPlain = await received(plain!, 'devices/#');
      await publishAll(pub!, 0, 20);
      await expect.poll(() => gotA.length + gotB.length).toBe(20);
      await expect.poll(() => gotPlain.length).toBe(20);
      expect(gotA).toHaveLength(10); // taken in turn
      expect(new Set([...gotA, ...gotB]).size).toBe(20); // each once
      // b leaves: a takes every message of the group from then on
      await b!.endAsync();
      await expect.poll(() => broker.stats().connected).toBe(3);
      await publishAll(pub!, 20, 30);
      await expect.poll(() => gotA.length).toBe(20);
      expect(gotB).toHaveLength(10);
    } finally {
      await Promise.all([a, b, plain, pub].map((c) => c!.endAsync()));
    }
  },
);
