/**
 * ALPN and SNI reach the server: the embedded broker records the ALPN protocol it selected
 * and the server name it saw for every handshake, on mqtts:// and on wss://; a broker that
 * requires an ALPN protocol the device does not offer answers with the alert, reported as
 * tls_alert_no_application_protocol (as AWS IoT Core on 443 without x-amzn-mqtt-ca). The
 * key exchange groups and cipher suites a device is given are the ones it negotiates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { opensslCa, opensslLeaf } from '../helpers/openssl-pki.js';
import { prepareDevice, type PreparedDevice, type Target } from '../../src/mqtt/index.js';
import { startBroker, type RunningBroker } from '../../src/broker/broker.js';
import { ATTEMPT_OPTS, attemptOnce, captureTlsSockets, leafDevice, outcomeLabel } from '../helpers/mqtt.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-alpn-'));
const ca = opensslCa(join(dir, 'ca'));
const server = opensslLeaf(ca, 'server', 'server', 'localhost');
const dev = opensslLeaf(ca, 'dev-1', 'device', 'dev-1');
const opts = ATTEMPT_OPTS;

const device = (): PreparedDevice => leafDevice('dev-1', dev, ca.crt);

const brokers: RunningBroker[] = [];
async function broker(alpnProtocols?: string[], requireAlpn?: boolean): Promise<RunningBroker> {
  const b = await startBroker({
    caPem: readFileSync(ca.crt),
    certPem: readFileSync(server.crt),
    keyPem: readFileSync(server.key),
    wsPort: 0,
    alpnProtocols,
    requireAlpn,
  });
  brokers.push(b);
  return b;
}
afterAll(async () => {
  for (const b of brokers) await b.close();
});

describe('ALPN', () => {
  let b: RunningBroker;
  beforeAll(async () => {
    b = await broker(['x-amzn-mqtt-ca', 'mqtt']);
  });

  it('the offered list reaches the broker, which selects from it, on mqtts and wss', async () => {
    const tls: Target = { host: '127.0.0.1', port: b.port, servername: 'localhost', alpn: ['other', 'mqtt'] };
    const o = await attemptOnce(device(), tls, opts);
    expect(outcomeLabel(o)).toBe('connected');
    expect(o.alpnProtocol).toBe('mqtt');
    const wss: Target = { ...tls, port: b.wsPort!, transport: 'wss', path: '/mqtt', alpn: ['x-amzn-mqtt-ca'] };
    const w = await attemptOnce(device(), wss, opts);
    expect(outcomeLabel(w)).toBe('connected');
    expect(w.alpnProtocol).toBe('x-amzn-mqtt-ca');
    expect(b.stats().alpn).toEqual({ mqtt: 1, 'x-amzn-mqtt-ca': 1 });
  });

  it('a broker requiring a protocol the device does not offer: tls_alert_no_application_protocol', async () => {
    const o = await attemptOnce(
      device(),
      { host: '127.0.0.1', port: b.port, servername: 'localhost', alpn: ['h2'] },
      opts,
    );
    expect(outcomeLabel(o)).toBe('tls/tls_alert_no_application_protocol');
    expect(b.stats().tlsErrors.ERR_SSL_NO_APPLICATION_PROTOCOL).toBe(1);
  });

  it('a device offering none passes unless the broker requires ALPN, then it is closed', async () => {
    const none: Target = { host: '127.0.0.1', port: b.port, servername: 'localhost' };
    const o = await attemptOnce(device(), none, opts);
    expect(outcomeLabel(o)).toBe('connected');
    expect(o.alpnProtocol).toBe(false);
    const strict = await broker(['x-amzn-mqtt-ca'], true);
    const r = await attemptOnce(device(), { ...none, port: strict.port }, opts);
    // Node's TLS server cannot alert a client that sent no ALPN extension: it closes it after the handshake
    expect(outcomeLabel(r)).toBe('tls/tls_closed');
    expect(strict.stats().alpnMissing).toBe(1);
    expect(strict.stats().connacksAccepted).toBe(0);
  });
});

describe('SNI', () => {
  it('an IP target with a server name sends it (and checks the certificate for it); without, none is sent', async () => {
    const b = await broker();
    const named = await attemptOnce(device(), { host: '127.0.0.1', port: b.port, servername: 'localhost' }, opts);
    expect(outcomeLabel(named)).toBe('connected');
    // no server name: the IP is checked against the certificate's IP SANs (it has 127.0.0.1)
    const bare = await attemptOnce(device(), { host: '127.0.0.1', port: b.port }, opts);
    expect(outcomeLabel(bare)).toBe('connected');
    const wss = await attemptOnce(
      device(),
      { host: '127.0.0.1', port: b.wsPort!, transport: 'wss', path: '/mqtt', servername: 'localhost' },
      opts,
    );
    expect(outcomeLabel(wss)).toBe('connected');
    expect(b.stats().servernames).toEqual({ localhost: 2, '': 1 });
    // a name the certificate does not have is the device's own refusal
    const wrong = await attemptOnce(device(), { host: '127.0.0.1', port: b.port, servername: 'broker.example' }, opts);
    expect(outcomeLabel(wrong)).toBe('tls/tls_server_untrusted');
  });
});

describe('groups and ciphers', () => {
  it('the device offers only the key exchange group and cipher suite it was given', async () => {
    const b = await broker();
    const cap = captureTlsSockets();
    try {
      const d = prepareDevice(
        { id: 'dev-1', certPem: readFileSync(dev.crt), keyPem: readFileSync(dev.key) },
        { serverCaPem: readFileSync(ca.crt), mqttVersion: 4, keepaliveS: 30 },
      );
      const tuned = prepareDevice(
        { id: 'dev-1', certPem: readFileSync(dev.crt), keyPem: readFileSync(dev.key) },
        {
          serverCaPem: readFileSync(ca.crt),
          mqttVersion: 4,
          keepaliveS: 30,
          groups: 'P-384',
          ciphers: 'TLS_CHACHA20_POLY1305_SHA256',
        },
      );
      const t: Target = { host: '127.0.0.1', port: b.port, servername: 'localhost' };
      const plain = await attemptOnce(d, t, opts);
      const [s0] = cap.sockets;
      const info0 = { group: s0!.getEphemeralKeyInfo(), cipher: s0!.getCipher().name };
      const o = await attemptOnce(tuned, t, opts);
      const s1 = cap.sockets[1]!;
      const info1 = { group: s1.getEphemeralKeyInfo(), cipher: s1.getCipher().name };
      expect(outcomeLabel(plain)).toBe('connected');
      expect(outcomeLabel(o)).toBe('connected');
      expect(info0.group).toMatchObject({ name: 'X25519' });
      expect(info0.cipher).not.toBe('TLS_CHACHA20_POLY1305_SHA256');
      expect(info1.group).toMatchObject({ type: 'ECDH', size: 384 });
      expect(info1.cipher).toBe('TLS_CHACHA20_POLY1305_SHA256');
    } finally {
      cap.restore();
    }
  });
});
