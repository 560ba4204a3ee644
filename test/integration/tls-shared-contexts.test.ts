/**
 * Shared TLS contexts (src/mqtt/contexts.ts): one context per worker, each device's
 * certificate and key set on it just before its connect. That relies on OpenSSL copying the
 * context's certificate into each new connection, so identities must be proven never to mix:
 * mosquitto, taking the certificate's CN as the username (use_identity_as_username), must see
 * every client id with its own certificate, under concurrency, from several workers.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { herd, readSummaryFile } from '../helpers/herd.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { SharedContexts, sharedContextsWork } from '../../src/mqtt/index.js';
import { openStore } from '../../src/pki/index.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'herd-ctx-'));

describe('shared TLS contexts', () => {
  const dir = tmp();
  const pki = join(dir, 'pki');
  const store = join(dir, 'devices.store');
  let m: Mosquitto;

  beforeAll(async () => {
    for (const args of [
      ['pki', 'ca', '--out', pki],
      ['pki', 'server', '--ca', pki, '--out', pki, '--dns', 'localhost', '--ip', '127.0.0.1'],
      ['pki', 'mint', '--ca', pki, '--count', '300', '--out', store],
    ]) {
      const r = await herd(args);
      expect(r.code, r.stderr).toBe(0);
    }
    m = await startMosquitto({
      cafile: join(pki, 'ca.crt'),
      certfile: join(pki, 'server.crt'),
      keyfile: join(pki, 'server.key'),
      useIdentityAsUsername: true,
    });
  });
  afterAll(async () => {
    await m?.stop();
  });

  it('this Node copies the context certificate into each connection: sockets made in turn keep their own', () => {
    expect(sharedContextsWork()).toBe(true);
    const s = openStore(store);
    const shared = new SharedContexts({ ca: readFileSync(join(pki, 'ca.crt')) });
    const sockets = [0, 1, 2, 1, 0, 5].map((i) => {
      const d = s.device(i);
      return {
        id: d.id,
        socket: new tls.TLSSocket(null as never, { secureContext: shared.forConnect(d.certPem, d.keyPem) }),
      };
    });
    const seen = sockets.map(({ socket }) => (socket.getCertificate() as tls.PeerCertificate).subject.CN);
    for (const { socket } of sockets) socket.destroy();
    expect(seen).toEqual(sockets.map((x) => x.id));
    // a device with no certificate gets the context that never holds one
    const bare = new tls.TLSSocket(null as never, { secureContext: shared.forConnect(undefined, undefined) });
    expect((bare.getCertificate() as tls.PeerCertificate | null)?.subject?.CN).toBeUndefined();
    bare.destroy();
  });

  /** herd run of the first `devices` of the store against this mosquitto, with its exit code checked; its summary. */
  async function run(devices: number, rate: string, ...extra: string[]) {
    const out = tmp();
    const target = `mqtts://127.0.0.1:${m.port}`;
    const common = ['--store', store, '--servername', 'localhost', '--out', out, '--quiet'];
    const r = await herd(['run', '--target', target, ...common, '--devices', `${devices}`, '--rate', rate, ...extra]);
    // 97 only if this shared machine stalled the generator: identities are what these tests are about
    expect([0, 97], r.stderr + m.log()).toContain(r.code);
    return readSummaryFile(out);
  }

  it('mosquitto sees every client id with its own certificate: 300 devices, 2 workers, connects overlapping', async () => {
    const s = await run(300, '300/s', '--workers', '2', '--hold', '1s');
    expect(s.generator.tls_contexts).toBe('shared');
    expect(s.counts).toMatchObject({ attempted: 300, connected: 300, failed: 0 });
    // "New client connected from 127.0.0.1:port as <client id> (p2, c1, k60, u'<certificate CN>')."
    const seen = [...m.log().matchAll(/New client connected from \S+ as (\S+) \(.*u'([^']*)'\)/g)];
    expect(seen).toHaveLength(300);
    for (const [, clientId, cn] of seen) expect(cn).toBe(clientId);
    expect(new Set(seen.map(([, id]) => id)).size).toBe(300);
  });

  it('--tls-contexts per-device builds a context per device, and says so', async () => {
    const s = await run(20, '100/s', '--hold', '0s', '--tls-contexts', 'per-device');
    expect(s.generator.tls_contexts).toBe('per-device');
    expect(s.counts).toMatchObject({ attempted: 20, connected: 20 });
    // asked for on purpose: no fallback finding
    expect(s.findings.map((f) => f.code)).not.toContain('tls_contexts_per_device');
  });

  it('--tls-contexts with another value is a usage error (exit 2) naming the flag', async () => {
    const r = await herd(['run', '--tls-contexts', 'pooled', '--devices', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--tls-contexts.*"pooled": expected shared or per-device/);
  });
});
