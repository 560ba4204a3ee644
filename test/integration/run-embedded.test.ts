import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { herd, readSummaryFile } from '../helpers/herd.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'herd-run-'));

describe('herd run against the embedded broker', () => {
  it('connects every device exactly once and counts it, MQTT 3.1.1', async () => {
    const out = tmp();
    const r = await herd(['run', '--devices', '300', '--rate', '300/s', '--hold', '0s', '--out', out, '--quiet']);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const s = readSummaryFile(out);
    expect(s.counts).toMatchObject({ attempted: 300, connected: 300, failed: 0, accepted_unexpectedly: 0 });
    expect(s.latency.connect.count).toBe(300);
    expect(s.latency.tcp.count).toBe(300);
    expect(s.latency.tls.count).toBe(300);
    expect(s.latency.connack.count).toBe(300);
    expect(s.latency.connect.p50).toBeGreaterThan(0);
    // end to end counts from the intended start: never shorter than the sum of the phase medians' smallest part
    expect(s.latency.connect.max).toBeGreaterThanOrEqual(s.latency.connack.min);
    expect(s.mint.count).toBe(300);
    expect(s.verdict).toBe('pass');
    expect(existsSync(join(out, 'junit.xml'))).toBe(true);
    expect(r.stdout).toMatch(/PASS/);
    expect(r.stdout).toMatch(/connect \(e2e\)\s+300/);
  });

  it('MQTT 5 with a per-device subscription: every device gets its SUBACK, held connections are counted active', async () => {
    const out = tmp();
    const r = await herd([
      'run',
      '--devices',
      '200',
      '--rate',
      '400/s',
      '--hold',
      '2s',
      '--mqtt',
      '5',
      '--subscribe',
      'device/{id}/commands',
      '--keepalive',
      '1s',
      '--out',
      out,
      '--quiet',
    ]);
    expect(r.code).toBe(0);
    const s = readSummaryFile(out);
    expect(s.run.mqtt).toBe('5');
    expect(s.counts.connected).toBe(200);
    expect(s.latency.subscribe.count).toBe(200);
    expect(s.counts.active_peak).toBeGreaterThan(100);
    expect(s.counts.dropped).toBe(0);
  });

  it('fails the run with exit 99 when a threshold breaks, and marks it in summary and console', async () => {
    const out = tmp();
    const r = await herd([
      'run',
      '--devices',
      '50',
      '--rate',
      '200/s',
      '--hold',
      '0s',
      '--threshold',
      'connect_duration:p(50) < 0.001ms',
      '--threshold',
      'connect_failures:rate < 0.01',
      '--out',
      out,
      '--quiet',
    ]);
    expect(r.code).toBe(99);
    const s = readSummaryFile(out);
    expect(s.verdict).toBe('fail');
    const [latency, failures] = s.thresholds;
    expect(latency).toMatchObject({ metric: 'connect_duration', ok: false });
    expect(failures).toMatchObject({ metric: 'connect_failures', ok: true, value: 0 });
    expect(readFileSync(join(out, 'junit.xml'), 'utf8')).toMatch(/<failure/);
  });

  it('a CRL next to the CA that cannot be parsed is bad input: exit 2 naming it, no hang', async () => {
    const pki = join(tmp(), 'pki');
    expect((await herd(['pki', 'ca', '--out', pki])).code).toBe(0);
    writeFileSync(join(pki, 'crl.pem'), 'not a CRL\n');
    const r = await herd(['run', '--pki', pki, '--devices', '10', '--hold', '0s'], 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(join(pki, 'crl.pem'));
    expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
  });

  it('closed loop (--rate max) cycles devices until the duration ends', async () => {
    const out = tmp();
    const r = await herd([
      'run',
      '--devices',
      '50',
      '--rate',
      'max',
      '--in-flight',
      '10',
      '--hold',
      '0s',
      '--duration',
      '2s',
      '--out',
      out,
      '--quiet',
    ]);
    expect([0, 97]).toContain(r.code);
    const s = readSummaryFile(out);
    expect(s.run.executor).toBe('closed-loop');
    // more attempts than devices: devices reconnect once their previous connection is done
    expect(s.counts.attempted).toBeGreaterThan(50);
    expect(s.counts.connected).toBe(s.counts.attempted - s.counts.failed);
  });
});
