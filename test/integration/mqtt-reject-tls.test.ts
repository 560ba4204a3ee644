/**
 * Rejections at the TLS layer, for real, and the reason each broker's behaviour gives.
 * mosquitto (OpenSSL verifies in the handshake) sends an alert for every bad client
 * certificate. Node's TLS server (the embedded broker) alerts only a missing certificate;
 * any other bad certificate it closes without an alert, which the driver reports as
 * tls/tls_closed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecureVersion } from 'node:tls';
import { opensslCa, opensslLeaf } from '../helpers/openssl-pki.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { freePort } from '../helpers/net.js';
import { attempt, prepareDevice, type AttemptOptions, type AttemptOutcome, type Target } from '../../src/mqtt/index.js';
import { startBroker, type RunningBroker } from '../../src/broker/broker.js';
import { attemptOnce, outcomeLabel } from '../helpers/mqtt.js';
import { until } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-mqtt-tls-'));
const ca = opensslCa(join(dir, 'ca'), 'Run CA');
const other = opensslCa(join(dir, 'other'), 'Other CA');
const server = opensslLeaf(ca, 'server', 'server', 'localhost');
const good = opensslLeaf(ca, 'dev-1', 'device', 'dev-1');
const stranger = opensslLeaf(other, 'dev-2', 'device', 'dev-2');
const opts: AttemptOptions = { timeouts: { tcpMs: 5000, tlsMs: 5000, connackMs: 5000, subscribeMs: 5000 } };

function run(
  t: Target,
  cred: { crt: string; key: string } | null,
  id: string,
  maxVersion: SecureVersion = 'TLSv1.3',
  trust = ca.crt,
): Promise<AttemptOutcome> {
  const d = prepareDevice(
    { id, certPem: cred ? readFileSync(cred.crt) : undefined, keyPem: cred ? readFileSync(cred.key) : undefined },
    { serverCaPem: readFileSync(trust), mqttVersion: 4, keepaliveS: 30, maxVersion },
  );
  return attemptOnce(d, t, opts);
}

let broker: RunningBroker;
let mosq: Mosquitto;
let embedded: Target;
let mosquitto: Target;
beforeAll(async () => {
  broker = await startBroker({
    caPem: readFileSync(ca.crt),
    certPem: readFileSync(server.crt),
    keyPem: readFileSync(server.key),
  });
  mosq = await startMosquitto({ cafile: ca.crt, certfile: server.crt, keyfile: server.key });
  embedded = { host: '127.0.0.1', port: broker.port };
  mosquitto = { host: '127.0.0.1', port: mosq.port };
});
afterAll(async () => {
  await broker?.close();
  await mosq?.stop();
});

it('a broker that is down: tcp/tcp_refused', async () => {
  expect(outcomeLabel(await run({ host: '127.0.0.1', port: await freePort() }, good, 'dev-1'))).toBe('tcp/tcp_refused');
});

describe('no client certificate', () => {
  it.each(['embedded', 'mosquitto'])(
    '%s, TLS 1.3: tls/tls_alert_certificate_required (after secureConnect)',
    async (b) => {
      const o = await run(b === 'embedded' ? embedded : mosquitto, null, 'dev-1');
      expect(outcomeLabel(o)).toBe('tls/tls_alert_certificate_required');
      // the client's handshake had completed: the alert came with the first read
      expect(o.tls13).toBe(true);
      expect(o.timings.tcp).toBeGreaterThan(0);
      expect(o.timings.tls).toBeUndefined();
    },
  );

  it.each(['embedded', 'mosquitto'])('%s, TLS 1.2: tls/tls_alert_handshake_failure', async (b) => {
    const o = await run(b === 'embedded' ? embedded : mosquitto, null, 'dev-1', 'TLSv1.2');
    expect(outcomeLabel(o)).toBe('tls/tls_alert_handshake_failure');
  });
});

describe('a device from another CA', () => {
  it.each(['TLSv1.3', 'TLSv1.2'] as const)('mosquitto, %s: tls/tls_alert_unknown_ca', async (v) => {
    expect(outcomeLabel(await run(mosquitto, stranger, 'dev-2', v))).toBe('tls/tls_alert_unknown_ca');
  });

  it.each(['TLSv1.3', 'TLSv1.2'] as const)('embedded, %s: closed without an alert, tls/tls_closed', async (v) => {
    const before = broker.stats().rejectedCertificates;
    expect(outcomeLabel(await run(embedded, stranger, 'dev-2', v))).toBe('tls/tls_closed');
    // counted when the broker's end closes, which may come after ours
    await until(() => broker.stats().rejectedCertificates >= before + 1, 'the broker to count the rejections');
    expect(broker.stats().rejectedCertificates).toBe(before + 1);
  });
});

it.each(['embedded', 'mosquitto'])(
  '%s: a server certificate the device does not trust: tls/tls_server_untrusted',
  async (b) => {
    const o = await run(b === 'embedded' ? embedded : mosquitto, good, 'dev-1', 'TLSv1.3', other.crt);
    expect(outcomeLabel(o)).toBe('tls/tls_server_untrusted');
    // both brokers send the Run CA in their chain: it is self-signed and not the device's trust
    const err: NodeJS.ErrnoException | undefined = o.ok ? undefined : o.error;
    expect(err?.code).toBe('SELF_SIGNED_CERT_IN_CHAIN');
  },
);

it('a key that does not match the certificate: tls/tls_local_config, without a connection', async () => {
  const d = prepareDevice(
    { id: 'dev-1', certPem: readFileSync(good.crt), keyPem: readFileSync(stranger.key) },
    { serverCaPem: readFileSync(ca.crt), mqttVersion: 4, keepaliveS: 30 },
  );
  expect(d.context).toBeNull();
  const o = await new Promise<AttemptOutcome>((resolve) => attempt(d, mosquitto, opts, resolve));
  expect(outcomeLabel(o)).toBe('tls/tls_local_config');
  expect(o.timings.tcp).toBeUndefined();
});

it('the embedded broker kept serving through all of it', async () => {
  expect(outcomeLabel(await run(embedded, good, 'dev-1'))).toBe('connected');
});
