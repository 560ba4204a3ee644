/**
 * `herd run` against a broker that misbehaves on purpose (test/helpers/bad-broker.ts, with
 * the run's CA), end to end: each case's reason and phase in summary.json, the example the
 * console and the report show, the verdict and the exit code under the default gates.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { herd, herdPki, readSummaryFile, type HerdResult } from '../helpers/herd.js';
import { startBadBroker, type BadBehaviour, type BadBroker } from '../helpers/bad-broker.js';
import type { Summary } from '../../src/model/summary.js';

const DEVICES = 10;
const dir = mkdtempSync(join(tmpdir(), 'herd-misbehaving-'));
let pki = '';
let broker: BadBroker;
let runs = 0;

beforeAll(async () => {
  pki = join(dir, 'pki');
  broker = await startBadBroker(await herdPki(pki), { mode: 'never-connack' });
});
afterAll(async () => {
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One small run against the bad broker behaving as `behaviour`; its result and summary. */
async function run(behaviour: BadBehaviour, args: string[] = []): Promise<{ r: HerdResult; s: Summary; out: string }> {
  broker.behaviour = behaviour;
  broker.resetStats();
  const out = join(dir, `run-${++runs}`);
  const r = await herd([
    'run',
    '--target',
    `mqtts://127.0.0.1:${broker.port}`,
    '--pki',
    pki,
    '--devices',
    String(DEVICES),
    '--rate',
    '100/s',
    '--hold',
    '0s',
    '--connect-timeout',
    '5s',
    '--out',
    out,
    ...args,
  ]);
  return { r, s: readSummaryFile(out), out };
}

const failures = (s: Summary) => s.failures.map((f) => `${f.phase}/${f.reason} ${f.count}`);

describe('every connect fails: verdict fail, exit 99 (default gates)', () => {
  it.each([
    ['garbage', {}, /^not MQTT: de ad be ef .*"\.\.\.\.\.\.\.\.\.\.\.7\.\.\.B"$/],
    ['http', {}, /^not MQTT: 48 54 54 50 2f 31 2e 31 20 34 30 30 20 42 61 64 … "HTTP\/1\.1 400 Bad"$/],
    ['publish-first', {}, /^PUBLISH instead of CONNACK: 30 0c /],
    ['pingresp-first', {}, /^PINGRESP instead of CONNACK: d0 00/],
    ['raw-first', { first: Buffer.from([0x90, 0x03, 0x00, 0x01, 0x00]) }, /^SUBACK instead of CONNACK/],
    ['malformed-connack', { malformed: 'session-present' }, /^CONNACK flags 0x01 with clean start \(20 02 01 00\)$/],
    ['malformed-connack', { malformed: 'code' }, /^CONNACK return code 0x06 \(3\.1\.1 knows 0–5\)/],
  ] as const)('%s %o: connack/protocol_error, with what arrived', async (mode, extra, example) => {
    const { r, s, out } = await run({ mode, ...extra });
    expect(r.code, r.stderr).toBe(99);
    expect(s.verdict).toBe('fail');
    expect(s.counts).toMatchObject({ attempted: DEVICES, connected: 0, failed: DEVICES });
    expect(failures(s)).toEqual([`connack/protocol_error ${DEVICES}`]);
    expect(s.failures[0]!.example).toMatch(example);
    expect(broker.stats.connects).toBe(DEVICES);
    // the example on the console, under its failure row, and in the report's failures table
    const line = r.stdout.split('\n').find((l) => l.includes('e.g. '));
    expect(line?.trim()).toBe(`e.g. ${s.failures[0]!.example}`);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    const escaped = s.failures[0]!.example!.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
    expect(html).toContain(`Example: <code>${escaped}</code>`);
  });

  it('the MQTT 5 variant of a malformed CONNACK: a property it may not carry', async () => {
    const { r, s } = await run({ mode: 'malformed-connack', malformed: 'properties' }, ['--mqtt', '5']);
    expect(r.code, r.stderr).toBe(99);
    expect(failures(s)).toEqual([`connack/protocol_error ${DEVICES}`]);
    expect(s.failures[0]!.example).toBe('CONNACK: property 0x7e is not one it may carry (20 05 00 00 02 7e 00)');
  });

  it('never a CONNACK: connack/connack_timeout once the timeout passes', async () => {
    const { r, s } = await run({ mode: 'never-connack' }, ['--connack-timeout', '500ms']);
    expect(r.code, r.stderr).toBe(99);
    expect(s.verdict).toBe('fail');
    expect(failures(s)).toEqual([`connack/connack_timeout ${DEVICES}`]);
  });

  it.each([
    ['3.1.1', 'connack_not_authorized'],
    ['5', 'connack_not_authorized'],
  ])('MQTT %s, the broker refuses all: connack/%s', async (mqtt, reason) => {
    const { r, s } = await run({ mode: 'refuse-all' }, ['--mqtt', mqtt]);
    expect(r.code, r.stderr).toBe(99);
    expect(s.verdict).toBe('fail');
    expect(failures(s)).toEqual([`connack/${reason} ${DEVICES}`]);
    expect(broker.stats.connacks).toBe(DEVICES);
  });

  it('TLS 1.3, closed after reading CONNECT (the certificate was accepted): connack/closed_before_connack', async () => {
    const { r, s } = await run({ mode: 'close-after-connect' }, ['--tls-version', '1.3']);
    expect(r.code, r.stderr).toBe(99);
    expect(s.verdict).toBe('fail');
    expect(failures(s)).toEqual([`connack/closed_before_connack ${DEVICES}`]);
    expect(broker.stats.handshakes).toBe(DEVICES);
    expect(broker.stats.connects).toBe(DEVICES);
  });
});

describe('sessions the broker ends: connected, then dropped (phase session, counts.session_drops)', () => {
  it('CONNACK then close: connected N, session_drops N, the session_drops default gate fails: exit 99', async () => {
    const { r, s } = await run({ mode: 'connack-then-close' }, ['--hold', '5s']);
    expect(r.code, r.stderr).toBe(99);
    expect(s.verdict).toBe('fail');
    expect(s.counts).toMatchObject({ attempted: DEVICES, connected: DEVICES, failed: 0, session_drops: DEVICES });
    expect(failures(s)).toEqual([`session/tls_closed ${DEVICES}`]);
    const gates = s.thresholds.filter((t) => t.default === true).map((t) => [t.metric, t.ok]);
    expect(gates).toEqual([
      ['connected', true],
      ['connect_failures', true],
      ['session_drops', false],
    ]);
  });

  it('the same with --no-default-gates: pass, exit 0', async () => {
    const { r, s } = await run({ mode: 'connack-then-close' }, ['--hold', '5s', '--no-default-gates']);
    expect(r.code, r.stderr).toBe(0);
    expect(s.verdict).toBe('pass');
    expect(s.counts).toMatchObject({ connected: DEVICES, session_drops: DEVICES });
  });

  it.each([
    ['rst', 'session/tcp_reset', []],
    ['disconnect', 'session/disconnect_server_shutting_down', ['--mqtt', '5']],
    ['alert', 'session/tls_alert_bad_record_mac', []],
    ['malformed', 'session/protocol_error', []],
  ] as const)('dropped during the hold (%s): %s, exit 99', async (drop, want, args) => {
    const { r, s } = await run({ mode: 'drop-during-hold', drop, dropAfterMs: 100 }, ['--hold', '10s', ...args]);
    expect(r.code, r.stderr).toBe(99);
    expect(s.counts).toMatchObject({ connected: DEVICES, session_drops: DEVICES });
    expect(failures(s)).toEqual([`${want} ${DEVICES}`]);
    expect(broker.stats.drops).toBe(DEVICES);
    // a protocol error says what arrived, a drop of another kind has nothing to show
    expect(s.failures[0]!.example).toBe(drop === 'malformed' ? 'PUBLISH with QoS 3 (36 02 00 00)' : undefined);
  });

  it('no PINGRESP during the hold: session/ping_timeout, exit 99', async () => {
    const { r, s } = await run({ mode: 'drop-during-hold', drop: 'no-pingresp' }, [
      '--hold',
      '10s',
      '--keepalive',
      '1s',
    ]);
    expect(r.code, r.stderr).toBe(99);
    expect(s.counts).toMatchObject({ connected: DEVICES, session_drops: DEVICES });
    expect(failures(s)).toEqual([`session/ping_timeout ${DEVICES}`]);
    expect(broker.stats.pings).toBe(DEVICES);
  });
});

describe('herd capacity against a broker that never sends CONNACK', () => {
  it('finds no rate that holds: exit 99, no maximum (never "at least 0/s" and exit 0)', async () => {
    broker.behaviour = { mode: 'never-connack' };
    const out = join(dir, 'capacity');
    const r = await herd(
      [
        'capacity',
        '--target',
        `mqtts://127.0.0.1:${broker.port}`,
        '--pki',
        pki,
        '--rate',
        '10/s',
        '--max-rate',
        '20/s',
        '--connack-timeout',
        '500ms',
        '--budget',
        '20s',
        '--out',
        out,
        '-q',
      ],
      90_000,
    );
    expect(r.code, r.stderr).toBe(99);
    const s = readSummaryFile(out);
    expect(s.capacity?.max_rate).toBeNull();
    expect(s.verdict).toBe('fail');
    expect(s.failures.map((f) => f.reason)).toContain('connack_timeout');
  }, 120_000);
});
