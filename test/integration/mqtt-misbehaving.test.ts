/**
 * The driver against a broker that misbehaves on purpose (test/helpers/bad-broker.ts), for
 * real: the first packet after CONNECT must be a well-formed CONNACK, else protocol_error at
 * once with what arrived; a TLS 1.3 broker that accepted the certificate and closes after
 * CONNECT is closed_before_connack; each way a held session ends has its own reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecureVersion } from 'node:tls';
import { opensslCa, opensslLeaf } from '../helpers/openssl-pki.js';
import { startBadBroker, type BadBehaviour, type BadBroker } from '../helpers/bad-broker.js';
import { prepareDevice, type AttemptOptions, type AttemptOutcome, type HeldConnection } from '../../src/mqtt/index.js';
import { attemptOnce, outcomeLabel } from '../helpers/mqtt.js';
import { until } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'herd-mqtt-bad-'));
const ca = opensslCa(join(dir, 'ca'), 'Run CA');
const other = opensslCa(join(dir, 'other'), 'Other CA');
const server = opensslLeaf(ca, 'server', 'server', 'localhost');
const good = opensslLeaf(ca, 'dev-1', 'device', 'dev-1');
const stranger = opensslLeaf(other, 'dev-2', 'device', 'dev-2');
/** long timeouts: a protocol error must come at once, not when one of them passes */
const opts: AttemptOptions = { timeouts: { tcpMs: 20_000, tlsMs: 20_000, connackMs: 20_000, subscribeMs: 20_000 } };

let broker: BadBroker;
beforeAll(async () => {
  broker = await startBadBroker(
    { cafile: ca.crt, certfile: server.crt, keyfile: server.key },
    { mode: 'never-connack' },
  );
});
afterAll(async () => {
  await broker?.close();
});

interface RunOptions {
  version?: 4 | 5;
  maxVersion?: SecureVersion;
  cred?: { crt: string; key: string };
  subscribe?: string;
  keepaliveS?: number;
  attempt?: AttemptOptions;
}

function run(behaviour: BadBehaviour, o: RunOptions = {}): Promise<AttemptOutcome> {
  broker.behaviour = behaviour;
  const cred = o.cred ?? good;
  const d = prepareDevice(
    { id: 'dev-1', certPem: readFileSync(cred.crt), keyPem: readFileSync(cred.key) },
    {
      serverCaPem: readFileSync(ca.crt),
      mqttVersion: o.version ?? 4,
      keepaliveS: o.keepaliveS ?? 30,
      subscribe: o.subscribe,
      maxVersion: o.maxVersion,
    },
  );
  return attemptOnce(d, { host: '127.0.0.1', port: broker.port }, o.attempt ?? opts);
}

function detailOf(o: AttemptOutcome): string | undefined {
  return o.ok ? undefined : o.detail;
}

describe('the first packet after CONNECT is not a CONNACK: connack/protocol_error at once, with what arrived', () => {
  it.each([4, 5] as const)('MQTT %s: garbage bytes', async (version) => {
    const o = await run({ mode: 'garbage' }, { version });
    expect(outcomeLabel(o)).toBe('connack/protocol_error');
    expect(detailOf(o)).toBe('not MQTT: de ad be ef 00 01 02 03 fe ff 13 37 c0 ff ee 42 … "...........7...B"');
    expect(o.connackCode).toBe(-1);
    expect(o.timings.tls).toBeGreaterThan(0);
  });

  it('an HTTP response', async () => {
    const o = await run({ mode: 'http' });
    expect(outcomeLabel(o)).toBe('connack/protocol_error');
    expect(detailOf(o)).toBe('not MQTT: 48 54 54 50 2f 31 2e 31 20 34 30 30 20 42 61 64 … "HTTP/1.1 400 Bad"');
  });

  it.each([
    ['publish-first', 4, /^PUBLISH instead of CONNACK: 30 0c 00 05 68 65 6c 6c 6f 77 6f 72 6c 64 "0\.\.\.helloworld"$/],
    ['pingresp-first', 4, /^PINGRESP instead of CONNACK: d0 00 "\.\."$/],
    ['pingresp-first', 5, /^PINGRESP instead of CONNACK: d0 00 "\.\."$/],
  ] as const)('%s (MQTT %s)', async (mode, version, detail) => {
    const o = await run({ mode }, { version });
    expect(outcomeLabel(o)).toBe('connack/protocol_error');
    expect(detailOf(o)).toMatch(detail);
  });

  it.each([
    ['90 03 00 01 00', 4, 'SUBACK instead of CONNACK: 90 03 00 01 00 "....."'],
    ['e0 02 87 00', 5, 'DISCONNECT instead of CONNACK: e0 02 87 00 "...."'],
    ['f0 00', 5, 'AUTH instead of CONNACK: f0 00 ".."'],
    ['40 02 00 01', 4, 'PUBACK instead of CONNACK: 40 02 00 01 "@..."'],
  ] as const)('%s (MQTT %s)', async (bytes, version, detail) => {
    const o = await run({ mode: 'raw-first', first: Buffer.from(bytes.replace(/ /g, ''), 'hex') }, { version });
    expect(outcomeLabel(o)).toBe('connack/protocol_error');
    expect(detailOf(o)).toBe(detail);
  });
});

describe('a malformed CONNACK: connack/protocol_error, saying what is wrong', () => {
  it.each([
    ['length', 4, 'CONNACK remaining length 3 (3.1.1: exactly 2) (20 03 00 00 00)'],
    ['length', 5, 'CONNACK remaining length 1 (at least 2) (20 01 00)'],
    ['flags', 4, 'CONNACK fixed header 0x21 (must be 0x20) (21 02 00 00)'],
    ['flags', 5, 'CONNACK fixed header 0x21 (must be 0x20) (21 03 00 00 00)'],
    ['reserved', 4, 'CONNACK acknowledge flags 0x02: reserved bits set (20 02 02 00)'],
    ['reserved', 5, 'CONNACK acknowledge flags 0x02: reserved bits set (20 03 02 00 00)'],
    ['session-present', 4, 'CONNACK flags 0x01 with clean start (20 02 01 00)'],
    ['session-present', 5, 'CONNACK flags 0x01 with clean start (20 03 01 00 00)'],
    ['code', 4, 'CONNACK return code 0x06 (3.1.1 knows 0–5) (20 02 00 06)'],
    ['code', 5, 'CONNACK reason code 0x8b (not an MQTT 5 CONNACK code) (20 03 00 8b 00)'],
    ['properties', 5, 'CONNACK: property 0x7e is not one it may carry (20 05 00 00 02 7e 00)'],
  ] as const)('%s (MQTT %s)', async (malformed, version, detail) => {
    const o = await run({ mode: 'malformed-connack', malformed }, { version });
    expect(outcomeLabel(o)).toBe('connack/protocol_error');
    expect(detailOf(o)).toBe(detail);
  });
});

describe('no CONNACK, or a refusal', () => {
  it('never a CONNACK: connack/connack_timeout when the timeout passes', async () => {
    const short: AttemptOptions = { timeouts: { ...opts.timeouts, connackMs: 300 } };
    const o = await run({ mode: 'never-connack' }, { attempt: short });
    expect(outcomeLabel(o)).toBe('connack/connack_timeout');
    expect(detailOf(o)).toBeUndefined();
  });

  it('only the first byte of a CONNACK: waited for, connack/connack_timeout', async () => {
    const short: AttemptOptions = { timeouts: { ...opts.timeouts, connackMs: 300 } };
    const o = await run({ mode: 'raw-first', first: Buffer.from([0x20]) }, { attempt: short });
    expect(outcomeLabel(o)).toBe('connack/connack_timeout');
  });

  it.each([
    [4, 5],
    [5, 0x87],
  ] as const)('MQTT %s: refuse-all: connack/connack_not_authorized', async (version, code) => {
    const o = await run({ mode: 'refuse-all' }, { version });
    expect(outcomeLabel(o)).toBe('connack/connack_not_authorized');
    expect(o.connackCode).toBe(code);
  });
});

describe('closed after CONNECT, without a CONNACK', () => {
  it.each([
    ['TLSv1.3', false],
    ['TLSv1.3', true],
    ['TLSv1.2', false],
    ['TLSv1.2', true],
  ] as const)(
    '%s, reset %s: the certificate was accepted (TLS 1.3: session tickets came): connack/closed_before_connack',
    async (maxVersion, reset) => {
      const o = await run({ mode: 'close-after-connect', reset }, { maxVersion });
      expect(outcomeLabel(o)).toBe('connack/closed_before_connack');
      expect(o.tls13).toBe(maxVersion === 'TLSv1.3');
      expect(o.timings.tls).toBeGreaterThan(0);
    },
  );

  it('TLS 1.3, a certificate the broker rejects by closing (no ticket, no data): tls/tls_closed', async () => {
    const before = broker.stats.rejectedCertificates;
    const o = await run({ mode: 'close-after-connect' }, { cred: stranger });
    expect(outcomeLabel(o)).toBe('tls/tls_closed');
    expect(o.tls13).toBe(true);
    await until(() => broker.stats.rejectedCertificates > before, 'the broker to count the rejection');
  });
});

describe('SUBACK', () => {
  it.each([
    ['ok', 4, 'connected', undefined],
    ['ok', 5, 'connected', undefined],
    ['refuse', 4, 'subscribe/subscribe_rejected', undefined],
    ['packet-id', 4, 'subscribe/protocol_error', 'SUBACK for packet id 2 (the SUBSCRIBE was 1) (90 03 00 02 00)'],
    ['packet-id', 5, 'subscribe/protocol_error', 'SUBACK for packet id 2 (the SUBSCRIBE was 1) (90 04 00 02 00 00)'],
    ['code', 4, 'subscribe/protocol_error', 'SUBACK code 0x03 (not a SUBACK code) (90 03 00 01 03)'],
  ] as const)('%s (MQTT %s): %s', async (suback, version, want, detail) => {
    const o = await run({ mode: 'drop-during-hold', suback }, { version, subscribe: 'device/{id}/commands' });
    expect(outcomeLabel(o)).toBe(want);
    expect(detailOf(o)).toBe(detail);
  });
});

/** A connection held on the bad broker, and the next drop as phase/reason/detail. */
async function held(
  behaviour: BadBehaviour,
  o: RunOptions = {},
): Promise<{ c: HeldConnection; drop: Promise<string> }> {
  const out = await run(behaviour, o);
  if (!out.ok) throw new Error(`expected a connection, got ${outcomeLabel(out)}`);
  const c = out.held;
  const drop = new Promise<string>((resolve) =>
    c.onDrop((phase, reason, detail) =>
      resolve(detail === undefined ? `${phase}/${reason}` : `${phase}/${reason}/${detail}`),
    ),
  );
  return { c, drop };
}

describe('a held session the broker ends: phase session, one reason for each way', () => {
  it('CONNACK then close: session/tls_closed', async () => {
    const { drop } = await held({ mode: 'connack-then-close' });
    expect(await drop).toBe('session/tls_closed');
  });

  it.each([
    ['fin', 4, 'session/tls_closed'],
    ['rst', 4, 'session/tcp_reset'],
    ['alert', 4, 'session/tls_alert_bad_record_mac'],
    ['alert', 5, 'session/tls_alert_bad_record_mac'],
    ['disconnect', 5, 'session/disconnect_server_shutting_down'],
    ['disconnect', 4, 'session/protocol_error/DISCONNECT from the server (MQTT 3.1.1 has none) (e0 02 8b 00)'],
    ['malformed', 4, 'session/protocol_error/PUBLISH with QoS 3 (36 02 00 00)'],
  ] as const)('on command, %s (MQTT %s): %s', async (how, version, want) => {
    const { drop } = await held({ mode: 'drop-during-hold', drop: how }, { version });
    await until(() => broker.held === 1, 'the broker to hold the session');
    expect(broker.drop()).toBe(1);
    expect(await drop).toBe(want);
  });

  it.each([
    [0x8e, 'session/disconnect_session_taken_over'],
    [0x98, 'session/disconnect_administrative_action'],
    [0x04, 'session/protocol_error/DISCONNECT reason code 0x04 (not one a server sends) (e0 02 04 00)'],
    [0xfe, 'session/protocol_error/DISCONNECT reason code 0xfe (not one a server sends) (e0 02 fe 00)'],
  ] as const)('MQTT 5 DISCONNECT %s, after a while: %s', async (disconnectCode, want) => {
    const { drop } = await held(
      { mode: 'drop-during-hold', drop: 'disconnect', disconnectCode, dropAfterMs: 50 },
      { version: 5 },
    );
    expect(await drop).toBe(want);
  });

  it('no PINGRESP: session/ping_timeout after one ping', async () => {
    const attempt: AttemptOptions = { timeouts: { ...opts.timeouts, pingMs: 200 } };
    const pings = broker.stats.pings;
    const { c, drop } = await held({ mode: 'drop-during-hold', drop: 'no-pingresp' }, { keepaliveS: 1, attempt });
    expect(await drop).toBe('session/ping_timeout');
    expect(c.pings).toBe(1);
    expect(c.pongs).toBe(0);
    expect(broker.stats.pings).toBe(pings + 1);
  });

  it('PINGRESP answered: the session stays up, and a clean DISCONNECT ends it', async () => {
    const attempt: AttemptOptions = { timeouts: { ...opts.timeouts, pingMs: 5000 } };
    const { c } = await held({ mode: 'drop-during-hold' }, { keepaliveS: 1, attempt });
    let dropped = false;
    c.onDrop(() => (dropped = true));
    await until(() => c.pongs >= 1, 'a PINGRESP');
    await c.disconnectAndWait(2000);
    expect(dropped).toBe(false);
  });
});
