/**
 * MQTT 5 clients on the embedded broker (aedes speaks 3.1.1): the bridge turns the
 * conversation into valid MQTT 5 both ways, and 3.1.1 and 5 clients see each other's
 * messages. Clients here are hand-driven with mqtt-packet, an independent codec.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { opensslCa, opensslLeaf } from '../helpers/openssl-pki.js';
import { startBroker, type RunningBroker } from '../../src/broker/broker.js';
import { sniffProtocolLevel } from '../../src/broker/v5-bridge.js';
import { encodeConnect } from '../../src/mqtt/packets.js';

describe('sniffProtocolLevel', () => {
  it.each([
    [encodeConnect('d', { version: 4, keepaliveS: 1 }), 4],
    [encodeConnect('d', { version: 5, keepaliveS: 1 }), 5],
    [encodeConnect('d'.repeat(200), { version: 5, keepaliveS: 1 }), 5],
    [Buffer.from([0x10, 0x0e, 0x00, 0x06, ...Buffer.from('MQIsdp'), 0x03]), 3],
    [Buffer.from('GET / HTTP/1.1'), 0],
    [Buffer.from([0x10, 0x0e, 0x00, 0x04, ...Buffer.from('MQTT'), 0x07]), 0],
  ])('%#: level %s', (buf, level) => {
    expect(sniffProtocolLevel(buf)).toBe(level);
  });

  it('needs more bytes: -1 for every prefix of a CONNECT before the level', () => {
    const c = encodeConnect('d', { version: 5, keepaliveS: 1 });
    for (let n = 0; n < 9; n++) expect(sniffProtocolLevel(c.subarray(0, n))).toBe(-1);
  });
});

const dir = mkdtempSync(join(tmpdir(), 'herd-broker-v5-'));
const ca = opensslCa(join(dir, 'ca'));
const server = opensslLeaf(ca, 'server', 'server', 'localhost');
const devs = [1, 2].map((i) => opensslLeaf(ca, `dev-${i}`, 'device', `dev-${i}`));

interface Client {
  send(p: object): void;
  next(cmd: string): Promise<Record<string, unknown>>;
  sock: tls.TLSSocket;
}

async function client(port: number, i: 1 | 2, version: 4 | 5): Promise<Client> {
  const sock = tls.connect({
    host: '127.0.0.1',
    port,
    ca: readFileSync(ca.crt),
    cert: readFileSync(devs[i - 1]!.crt),
    key: readFileSync(devs[i - 1]!.key),
  });
  const parser = mqttPacket.parser({ protocolVersion: version });
  const queue: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  parser.on('packet', (p: Packet) => {
    queue.push(p as unknown as Record<string, unknown>);
    waiters.splice(0).forEach((w) => w());
  });
  parser.on('error', (e: Error) => sock.destroy(e));
  sock.on('data', (d: Buffer) => parser.parse(d));
  await new Promise((r, j) => sock.once('secureConnect', r).once('error', j));
  const c: Client = {
    sock,
    send: (p) => sock.write(mqttPacket.generate(p as Packet, { protocolVersion: version })),
    next: async (cmd) => {
      for (;;) {
        const k = queue.findIndex((p) => p.cmd === cmd);
        if (k >= 0) return queue.splice(k, 1)[0]!;
        await new Promise<void>((r) => waiters.push(r));
      }
    },
  };
  c.send({
    cmd: 'connect',
    clientId: `dev-${i}`,
    protocolVersion: version,
    clean: true,
    keepalive: 30,
    properties: version === 5 ? { sessionExpiryInterval: 0 } : undefined,
  });
  return c;
}

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({
    caPem: readFileSync(ca.crt),
    certPem: readFileSync(server.crt),
    keyPem: readFileSync(server.key),
  });
});
afterAll(async () => {
  await broker?.close();
});

it("an MQTT 5 subscriber gets an MQTT 3.1.1 publisher's message, and the other way round", async () => {
  const v5 = await client(broker.port, 1, 5);
  expect(await v5.next('connack')).toMatchObject({ reasonCode: 0, sessionPresent: false });
  const v4 = await client(broker.port, 2, 4);
  expect(await v4.next('connack')).toMatchObject({ returnCode: 0 });

  v5.send({
    cmd: 'subscribe',
    messageId: 7,
    subscriptions: [{ topic: 'device/dev-1/#', qos: 1, nl: true, rap: false, rh: 0 }],
    properties: { subscriptionIdentifier: 1 },
  });
  expect(await v5.next('suback')).toMatchObject({ messageId: 7, granted: [1] });
  v4.send({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'device/dev-2/#', qos: 0 }] });
  expect(await v4.next('suback')).toMatchObject({ messageId: 3, granted: [0] });

  v4.send({
    cmd: 'publish',
    topic: 'device/dev-1/commands',
    payload: Buffer.from('reboot'),
    qos: 1,
    messageId: 9,
    retain: false,
    dup: false,
  });
  expect(await v4.next('puback')).toMatchObject({ messageId: 9 });
  const got = await v5.next('publish');
  expect(got).toMatchObject({ topic: 'device/dev-1/commands', qos: 1 });
  expect(String(got.payload)).toBe('reboot');
  v5.send({ cmd: 'puback', messageId: got.messageId, reasonCode: 0 });

  v5.send({
    cmd: 'publish',
    topic: 'device/dev-2/telemetry',
    payload: Buffer.from('42'),
    qos: 0,
    retain: false,
    dup: false,
    properties: { contentType: 'text/plain' },
  });
  expect(String((await v4.next('publish')).payload)).toBe('42');

  v5.send({ cmd: 'unsubscribe', messageId: 8, unsubscriptions: ['device/dev-1/#', 'nothing/here'] });
  expect(await v5.next('unsuback')).toMatchObject({ messageId: 8, granted: [0, 0] });

  v5.send({ cmd: 'pingreq' });
  await v5.next('pingresp');
  v5.send({ cmd: 'disconnect', reasonCode: 0 });
  v4.send({ cmd: 'disconnect' });
  await Promise.all([v5, v4].map((c) => new Promise((r) => c.sock.once('close', r))));
  expect(broker.stats().connected).toBe(0);
});

it('an MQTT 5 feature aedes cannot carry (a topic alias) closes the connection', async () => {
  const v5 = await client(broker.port, 1, 5);
  await v5.next('connack');
  v5.send({
    cmd: 'publish',
    topic: '',
    payload: Buffer.from('x'),
    qos: 0,
    retain: false,
    dup: false,
    properties: { topicAlias: 1 },
  });
  await new Promise((r) => v5.sock.once('close', r));
});
