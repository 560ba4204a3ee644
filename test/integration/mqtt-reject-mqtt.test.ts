/**
 * Refusals at the MQTT layer, for real: a CONNACK with a refusal code (3.1.1 and 5), a
 * server keepalive imposed by an MQTT 5 CONNACK, a SUBACK that refuses the subscription.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opensslCa, opensslLeaf } from '../helpers/openssl-pki.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { prepareDevice, type AttemptOptions, type AttemptOutcome, type Target } from '../../src/mqtt/index.js';
import { startBroker, type RunningBroker } from '../../src/broker/broker.js';
import { attemptOnce, outcomeLabel } from '../helpers/mqtt.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-mqtt-refuse-'));
const ca = opensslCa(join(dir, 'ca'));
const server = opensslLeaf(ca, 'server', 'server', 'localhost');
const dev = opensslLeaf(ca, 'dev-1', 'device', 'dev-1');
const opts: AttemptOptions = { timeouts: { tcpMs: 5000, tlsMs: 5000, connackMs: 5000, subscribeMs: 5000 } };

function run(t: Target, id: string, version: 4 | 5, keepaliveS = 30, subscribe?: string): Promise<AttemptOutcome> {
  const d = prepareDevice(
    { id, certPem: readFileSync(dev.crt), keyPem: readFileSync(dev.key) },
    { serverCaPem: readFileSync(ca.crt), mqttVersion: version, keepaliveS, subscribe },
  );
  return attemptOnce(d, t, opts);
}

describe('embedded broker: client id must equal the certificate CN', () => {
  let cn: RunningBroker;
  let none: RunningBroker;
  beforeAll(async () => {
    const pem = { caPem: readFileSync(ca.crt), certPem: readFileSync(server.crt), keyPem: readFileSync(server.key) };
    cn = await startBroker({ ...pem, allowSubscribe: (id, topic) => topic.startsWith(`device/${id}/`) });
    none = await startBroker({ ...pem, identity: 'none' });
  });
  afterAll(async () => {
    await cn?.close();
    await none?.close();
  });

  it('MQTT 3.1.1: CONNACK 5, connack/connack_not_authorized', async () => {
    const o = await run({ host: '127.0.0.1', port: cn.port }, 'dev-999', 4);
    expect(outcomeLabel(o)).toBe('connack/connack_not_authorized');
    expect(o.connackCode).toBe(5);
    // tcp and tls completed: their timings are kept, connack's is not
    expect(o.timings.tls).toBeGreaterThan(0);
    expect(o.timings.connack).toBeUndefined();
  });

  it('MQTT 5: reason code 0x87, the same reason name', async () => {
    const o = await run({ host: '127.0.0.1', port: cn.port }, 'dev-999', 5);
    expect(outcomeLabel(o)).toBe('connack/connack_not_authorized');
    expect(o.connackCode).toBe(0x87);
  });

  it.each([4, 5] as const)('MQTT %s: the matching client id connects', async (v) => {
    expect(outcomeLabel(await run({ host: '127.0.0.1', port: cn.port }, 'dev-1', v))).toBe('connected');
  });

  it.each([4, 5] as const)('MQTT %s: a subscription the broker refuses: subscribe/subscribe_rejected', async (v) => {
    const o = await run({ host: '127.0.0.1', port: cn.port }, 'dev-1', v, 30, 'device/dev-2/commands');
    expect(outcomeLabel(o)).toBe('subscribe/subscribe_rejected');
    expect(o.timings.connack).toBeGreaterThan(0);
    expect(o.timings.subscribe).toBeUndefined();
    expect(outcomeLabel(await run({ host: '127.0.0.1', port: cn.port }, 'dev-1', v, 30, 'device/{id}/commands'))).toBe(
      'connected',
    );
  });

  it('with the check off, any client id connects', async () => {
    expect(outcomeLabel(await run({ host: '127.0.0.1', port: none.port }, 'dev-999', 4))).toBe('connected');
    expect(cn.stats().identityRejected).toBe(2);
  });
});

describe('mosquitto', () => {
  let mosq: Mosquitto;
  let anon: Mosquitto;
  beforeAll(async () => {
    const tls = { cafile: ca.crt, certfile: server.crt, keyfile: server.key };
    mosq = await startMosquitto({ ...tls, extra: ['max_keepalive 10'] });
    // the certificate is verified but does not name the user, and anonymous users are refused
    anon = await startMosquitto({ ...tls, useIdentityAsUsername: false, extra: ['allow_anonymous false'] });
  });
  afterAll(async () => {
    await mosq?.stop();
    await anon?.stop();
  });

  it('MQTT 5: a keepalive above max_keepalive is accepted with the Server Keep Alive, which the driver adopts', async () => {
    const o = await run({ host: '127.0.0.1', port: mosq.port }, 'dev-1', 5, 30);
    expect(outcomeLabel(o)).toBe('connected');
    expect(o.keepaliveMs).toBe(10_000);
  });

  it('MQTT 3.1.1: no user: CONNACK 5, connack/connack_not_authorized', async () => {
    const o = await run({ host: '127.0.0.1', port: anon.port }, 'dev-1', 4);
    expect(outcomeLabel(o)).toBe('connack/connack_not_authorized');
    expect(o.connackCode).toBe(5);
  });

  it('MQTT 5: no user: reason code 0x87, connack/connack_not_authorized', async () => {
    const o = await run({ host: '127.0.0.1', port: anon.port }, 'dev-1', 5);
    expect(outcomeLabel(o)).toBe('connack/connack_not_authorized');
    expect(o.connackCode).toBe(0x87);
  });
});
