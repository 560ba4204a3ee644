/**
 * Every way a device reaches a broker, for real over loopback against the embedded broker:
 * plain TCP (mqtt://), TLS (mqtts://), WebSocket over TLS with mTLS (wss://) and plain
 * WebSocket (ws://), MQTT 3.1.1 and 5; each phase timed where the transport has it; the
 * broker sees the stream on the listener the URL names. Then what goes wrong on a
 * WebSocket: a wrong path (404), a missing client certificate on wss, a close frame
 * before CONNACK (as RabbitMQ's web_mqtt refuses a login: 1002).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { opensslCa, opensslLeaf } from '../helpers/openssl-pki.js';
import {
  parseBrokerUrl,
  prepareDevice,
  type AttemptOptions,
  type PreparedDevice,
  type Target,
} from '../../src/mqtt/index.js';
import { startBroker, type RunningBroker } from '../../src/broker/broker.js';
import { attemptOnce, outcomeLabel } from '../helpers/mqtt.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-mqtt-transports-'));
const ca = opensslCa(join(dir, 'ca'));
const server = opensslLeaf(ca, 'server', 'server', 'localhost');
const dev = opensslLeaf(ca, 'dev-1', 'device', 'dev-1');
const opts: AttemptOptions = { timeouts: { tcpMs: 5000, tlsMs: 5000, wsMs: 5000, connackMs: 5000, subscribeMs: 5000 } };

function device(version: 4 | 5, withCert = true, subscribe?: string): PreparedDevice {
  return prepareDevice(
    {
      id: 'dev-1',
      certPem: withCert ? readFileSync(dev.crt) : undefined,
      keyPem: withCert ? readFileSync(dev.key) : undefined,
    },
    { serverCaPem: readFileSync(ca.crt), mqttVersion: version, keepaliveS: 30, subscribe },
  );
}

/** A target from its URL, as a run builds it. */
function target(url: string, extra: Partial<Target> = {}): Target {
  const a = parseBrokerUrl(url)!;
  return { host: a.host, port: a.port, transport: a.transport, path: a.path, servername: 'localhost', ...extra };
}

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({
    caPem: readFileSync(ca.crt),
    certPem: readFileSync(server.crt),
    keyPem: readFileSync(server.key),
    tcpPort: 0,
    wsPort: 0,
    wsPlainPort: 0,
  });
});
afterAll(async () => {
  await broker?.close();
});

const urls = {
  tcp: () => `mqtt://127.0.0.1:${broker.tcpPort}`,
  tls: () => `mqtts://127.0.0.1:${broker.port}`,
  wss: () => `wss://127.0.0.1:${broker.wsPort}/mqtt`,
  ws: () => `ws://127.0.0.1:${broker.wsPlainPort}`,
} as const;

describe.each(Object.keys(urls) as (keyof typeof urls)[])('over %s', (kind) => {
  it.each([4, 5] as const)('MQTT %s: CONNACK, SUBACK, the phases of the transport timed, a graceful end', async (v) => {
    const before = broker.stats().streams[kind];
    const o = await attemptOnce(device(v, true, 'devices/{id}/commands'), target(urls[kind]()), opts);
    if (!o.ok) throw new Error(`${o.phase}/${o.reason}: ${o.detail ?? o.error?.message}`);
    const t = o.timings;
    expect(t.tcp).toBeGreaterThan(0);
    const secure = kind === 'tls' || kind === 'wss';
    const web = kind === 'ws' || kind === 'wss';
    if (secure) expect(t.tls).toBeGreaterThan(0);
    else expect(t.tls).toBeUndefined();
    if (web) expect(t.ws).toBeGreaterThan(0);
    else expect(t.ws).toBeUndefined();
    expect(t.connack).toBeGreaterThan(0);
    expect(t.subscribe).toBeGreaterThan(0);
    expect(o.tls13).toBe(secure);
    expect(broker.stats().streams[kind]).toBe(before + 1);
    await o.held.disconnectAndWait(3000);
    expect(o.held.pongs).toBe(0);
  });
});

describe('WebSocket failures', () => {
  it('a wrong path is ws_rejected_404, in the ws phase, with the status line', async () => {
    const o = await attemptOnce(device(4), target(`ws://127.0.0.1:${broker.wsPlainPort}/not-mqtt`), opts);
    expect(outcomeLabel(o)).toBe('ws/ws_rejected_404');
    if (!o.ok) expect(o.detail).toBe('HTTP 404 Not Found');
    const o2 = await attemptOnce(device(4), target(`wss://127.0.0.1:${broker.wsPort}/elsewhere`), opts);
    expect(outcomeLabel(o2)).toBe('ws/ws_rejected_404');
    expect(broker.stats().wsRejected['404']).toBe(2);
  });

  it('wss without a client certificate is refused in the tls phase, as on mqtts', async () => {
    const o = await attemptOnce(device(4, false), target(urls.wss()), opts);
    const m = await attemptOnce(device(4, false), target(urls.tls()), opts);
    expect(outcomeLabel(o)).toBe('tls/tls_alert_certificate_required');
    expect(outcomeLabel(m)).toBe(outcomeLabel(o));
  });

  it('a WebSocket close frame before CONNACK is ws_closed_<code>, with its reason', async () => {
    // RabbitMQ's web_mqtt refuses a login this way (its TLS listener sends CONNACK 4)
    const srv = http.createServer();
    const wss = new WebSocketServer({ server: srv, handleProtocols: () => 'mqtt' });
    wss.on('connection', (ws) => ws.once('message', () => ws.close(1002, 'unauthenticated')));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const port = (srv.address() as AddressInfo).port;
      const o = await attemptOnce(device(4), target(`ws://127.0.0.1:${port}/mqtt`), opts);
      expect(outcomeLabel(o)).toBe('connack/ws_closed_1002');
      if (!o.ok) expect(o.detail).toBe('WebSocket close 1002 "unauthenticated"');
    } finally {
      wss.close();
      srv.close();
    }
  });

  it('a server that answers without the mqtt subprotocol is ws_protocol', async () => {
    const srv = http.createServer();
    const wss = new WebSocketServer({ server: srv, handleProtocols: () => false });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const port = (srv.address() as AddressInfo).port;
      const o = await attemptOnce(device(4), target(`ws://127.0.0.1:${port}/mqtt`), opts);
      expect(outcomeLabel(o)).toBe('ws/ws_protocol');
      if (!o.ok) expect(o.detail).toMatch(/subprotocol/);
    } finally {
      wss.close();
      srv.close();
    }
  });
});
