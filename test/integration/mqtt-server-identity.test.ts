/**
 * The server's certificate is converted in detail once per certificate and thread, not once
 * per handshake (src/mqtt/server-identity.ts), and the cache never lets a name or a
 * certificate through that Node's own check would refuse.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opensslCa, opensslLeaf } from '../helpers/openssl-pki.js';
import type { PreparedDevice } from '../../src/mqtt/index.js';
import { detailedLookupCount } from '../../src/mqtt/server-identity.js';
import { startBroker, type RunningBroker } from '../../src/broker/broker.js';
import { ATTEMPT_OPTS, attemptOnce, leafDevice, outcomeLabel } from '../helpers/mqtt.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-identity-'));
const ca = opensslCa(join(dir, 'ca'));
const serverA = opensslLeaf(ca, 'server-a', 'server', 'localhost');
const serverB = opensslLeaf(ca, 'server-b', 'server', 'localhost');
// signed by the same CA but for another name (and purpose): never the server `localhost` is
const imposter = opensslLeaf(ca, 'imposter', 'device', 'imposter');
const dev = opensslLeaf(ca, 'dev-1', 'device', 'dev-1');
const opts = ATTEMPT_OPTS;

const device = (): PreparedDevice => leafDevice('dev-1', dev, ca.crt);

const brokers: RunningBroker[] = [];
async function broker(cert: { crt: string; key: string }): Promise<RunningBroker> {
  const b = await startBroker({
    caPem: readFileSync(ca.crt),
    certPem: readFileSync(cert.crt),
    keyPem: readFileSync(cert.key),
  });
  brokers.push(b);
  return b;
}
afterAll(async () => {
  for (const b of brokers) await b.close();
});

describe('the server certificate in detail once per certificate', () => {
  it('many handshakes with one server convert its certificate once; each other certificate is checked on its own', async () => {
    const a = await broker(serverA);
    const b = await broker(serverB);
    const before = detailedLookupCount();
    const many = await Promise.all(
      Array.from({ length: 12 }, () =>
        attemptOnce(device(), { host: '127.0.0.1', port: a.port, servername: 'localhost' }, opts),
      ),
    );
    expect(many.map(outcomeLabel)).toEqual(new Array(12).fill('connected'));
    // the handshakes finish one at a time on this thread: the first converts, the others find it
    const afterA = detailedLookupCount();
    expect(afterA).toBe(before + 1);
    const again = await attemptOnce(device(), { host: '127.0.0.1', port: a.port, servername: 'localhost' }, opts);
    expect(outcomeLabel(again)).toBe('connected');
    expect(detailedLookupCount()).toBe(afterA);
    // another certificate (same CA, same names) is a lookup of its own
    const other = await attemptOnce(device(), { host: '127.0.0.1', port: b.port, servername: 'localhost' }, opts);
    expect(outcomeLabel(other)).toBe('connected');
    expect(detailedLookupCount()).toBe(afterA + 1);
  });

  it('a name the certificate lacks, or a certificate not for this server, is refused after many that passed', async () => {
    const a = await broker(serverA);
    for (let i = 0; i < 3; i++) {
      const ok = await attemptOnce(device(), { host: '127.0.0.1', port: a.port, servername: 'localhost' }, opts);
      expect(outcomeLabel(ok)).toBe('connected');
    }
    const wrongName = await attemptOnce(
      device(),
      { host: '127.0.0.1', port: a.port, servername: 'broker.example' },
      opts,
    );
    expect(outcomeLabel(wrongName)).toBe('tls/tls_server_untrusted');
    const i = await broker(imposter);
    const wrongCert = await attemptOnce(device(), { host: '127.0.0.1', port: i.port, servername: 'localhost' }, opts);
    expect(outcomeLabel(wrongCert)).toBe('tls/tls_server_untrusted');
    // and the server that passed still does
    const still = await attemptOnce(device(), { host: '127.0.0.1', port: a.port, servername: 'localhost' }, opts);
    expect(outcomeLabel(still)).toBe('connected');
  });
});
