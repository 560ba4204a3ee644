/**
 * Revoked (CRL) and expired client certificates, for real. mosquitto alerts
 * certificate_revoked / certificate_expired; the embedded broker closes without an alert.
 * The CRL and the expired certificate are made with `openssl ca` (an independent tool).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecureVersion } from 'node:tls';
import { opensslCa, opensslLeaf } from '../helpers/openssl-pki.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { prepareDevice, type AttemptOptions, type AttemptOutcome, type Target } from '../../src/mqtt/index.js';
import { startBroker, type RunningBroker } from '../../src/broker/broker.js';
import { attemptOnce, outcomeLabel } from '../helpers/mqtt.js';
import { until } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-mqtt-crl-'));
const ca = opensslCa(join(dir, 'ca'));
const server = opensslLeaf(ca, 'server', 'server', 'localhost');
const good = opensslLeaf(ca, 'dev-1', 'device', 'dev-1');
const revoked = opensslLeaf(ca, 'dev-2', 'device', 'dev-2');

const cnf = join(ca.dir, 'openssl-ca.cnf');
writeFileSync(join(ca.dir, 'index.txt'), '');
writeFileSync(join(ca.dir, 'serial'), '2000\n');
writeFileSync(join(ca.dir, 'crlnumber'), '1000\n');
writeFileSync(
  cnf,
  [
    '[ca]',
    'default_ca = herd',
    '[herd]',
    'database = index.txt',
    'serial = serial',
    'crlnumber = crlnumber',
    'new_certs_dir = .',
    'default_md = sha256',
    'default_crl_days = 30',
    'policy = any',
    'unique_subject = no',
    '[any]',
    'commonName = supplied',
    '[dev]',
    'basicConstraints = CA:FALSE',
    'keyUsage = critical,digitalSignature',
    'extendedKeyUsage = clientAuth',
    '',
  ].join('\n'),
);
const caTool = (args: string[]) =>
  execFileSync('openssl', ['ca', '-batch', '-config', cnf, '-cert', ca.crt, '-keyfile', ca.key, ...args], {
    cwd: ca.dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
caTool(['-revoke', revoked.crt]);
caTool(['-gencrl', '-out', 'crl.pem']);
// dev-3: valid in January 2020 only
execFileSync('openssl', ['req', '-new', '-key', good.key, '-subj', '/CN=dev-3', '-out', 'dev-3.csr'], { cwd: ca.dir });
caTool([
  '-in',
  'dev-3.csr',
  '-out',
  'dev-3.crt',
  '-startdate',
  '20200101000000Z',
  '-enddate',
  '20200201000000Z',
  '-extensions',
  'dev',
  '-notext',
]);
const expired = { crt: join(ca.dir, 'dev-3.crt'), key: good.key };
const crl = join(ca.dir, 'crl.pem');

const opts: AttemptOptions = { timeouts: { tcpMs: 5000, tlsMs: 5000, connackMs: 5000, subscribeMs: 5000 } };

function run(
  t: Target,
  cred: { crt: string; key: string },
  id: string,
  maxVersion: SecureVersion,
): Promise<AttemptOutcome> {
  const d = prepareDevice(
    { id, certPem: readFileSync(cred.crt), keyPem: readFileSync(cred.key) },
    { serverCaPem: readFileSync(ca.crt), mqttVersion: 4, keepaliveS: 30, maxVersion },
  );
  return attemptOnce(d, t, opts);
}

let broker: RunningBroker;
let mosq: Mosquitto;
beforeAll(async () => {
  broker = await startBroker({
    caPem: readFileSync(ca.crt),
    certPem: readFileSync(server.crt),
    keyPem: readFileSync(server.key),
    crlPem: readFileSync(crl),
  });
  mosq = await startMosquitto({ cafile: ca.crt, certfile: server.crt, keyfile: server.key, crlfile: crl });
});
afterAll(async () => {
  await broker?.close();
  await mosq?.stop();
});

describe.each(['TLSv1.3', 'TLSv1.2'] as const)('%s', (v) => {
  it('mosquitto: a revoked certificate: tls/tls_alert_certificate_revoked', async () => {
    expect(outcomeLabel(await run({ host: '127.0.0.1', port: mosq.port }, revoked, 'dev-2', v))).toBe(
      'tls/tls_alert_certificate_revoked',
    );
  });

  it('mosquitto: an expired certificate: tls/tls_alert_certificate_expired', async () => {
    expect(outcomeLabel(await run({ host: '127.0.0.1', port: mosq.port }, expired, 'dev-3', v))).toBe(
      'tls/tls_alert_certificate_expired',
    );
  });

  it('embedded: revoked and expired are closed without an alert: tls/tls_closed', async () => {
    const before = broker.stats().rejectedCertificates;
    const t = { host: '127.0.0.1', port: broker.port };
    expect(outcomeLabel(await run(t, revoked, 'dev-2', v))).toBe('tls/tls_closed');
    expect(outcomeLabel(await run(t, expired, 'dev-3', v))).toBe('tls/tls_closed');
    // counted when the broker's end closes, which may come after ours
    await until(() => broker.stats().rejectedCertificates >= before + 2, 'the broker to count the rejections');
    expect(broker.stats().rejectedCertificates).toBe(before + 2);
  });

  it.each(['embedded', 'mosquitto'])('%s: a certificate that is not on the CRL connects', async (b) => {
    const t = { host: '127.0.0.1', port: b === 'embedded' ? broker.port : mosq.port };
    expect(outcomeLabel(await run(t, good, 'dev-1', v))).toBe('connected');
  });
});
