import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { herd, readSummaryFile } from '../helpers/herd.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'herd-scn-'));
const scenario = (name: string): string => join(import.meta.dirname, '..', '..', 'scenarios', `${name}.yaml`);

/** Every shipped scenario runs against the embedded broker (scaled down by flags, which override the file). */
describe('shipped scenarios against the embedded broker', () => {
  it('smoke: MQTT 5 with subscriptions, thresholds held', async () => {
    const out = tmp();
    const r = await herd(['run', scenario('smoke'), '--hold', '1s', '--out', out, '--quiet']);
    expect([0, 97], r.stderr).toContain(r.code);
    const s = readSummaryFile(out);
    expect(s.run.scenario).toBe('smoke');
    expect(s.counts.connected).toBe(200);
    expect(s.latency.subscribe.count).toBe(200);
    // the scenario's two, then the default gates they leave (connected, session_drops): all held
    expect(s.thresholds.map((t) => [t.metric, t.default === true, t.ok])).toEqual([
      ['connect_duration', false, true],
      ['connect_failures', false, true],
      ['connected', true, true],
      ['session_drops', true, true],
    ]);
  });

  it('ramp: the ramping arrival rate, cut short by --duration', async () => {
    const out = tmp();
    const r = await herd(['run', scenario('ramp'), '--duration', '4s', '--hold', '0s', '--out', out, '--quiet']);
    expect(r.stderr).not.toMatch(/internal error/);
    const s = readSummaryFile(out);
    expect(s.run.executor).toBe('ramping-arrival-rate');
    // 0 → 300/s over 20 s: 15/s² · 4 s² / 2 = 120 arrivals in the first 4 s
    expect(s.counts.attempted).toBe(120);
    expect(s.counts.connected).toBe(120);
  });

  it('soak: constant connections held for the duration', async () => {
    const out = tmp();
    const r = await herd([
      'run',
      scenario('soak'),
      '--devices',
      '150',
      '--connections',
      '150',
      '--rate',
      '300/s',
      '--duration',
      '3s',
      '--out',
      out,
      '--quiet',
    ]);
    expect([0, 97], r.stderr).toContain(r.code);
    const s = readSummaryFile(out);
    expect(s.run.executor).toBe('constant-connections');
    expect(s.counts.connected).toBe(150);
    expect(s.counts.active_peak).toBe(150);
  });

  it('cert-faults: every faulty device rejected (the embedded broker ties client id to CN), every good one connected', async () => {
    const out = tmp();
    const r = await herd([
      'run',
      scenario('cert-faults'),
      '--devices',
      '400',
      '--rate',
      '400/s',
      '--hold',
      '0s',
      '--out',
      out,
      '--quiet',
    ]);
    expect([0, 97], r.stderr).toContain(r.code);
    const s = readSummaryFile(out);
    expect(s.security.map((x) => x.fault).sort()).toEqual([
      'cn_mismatch',
      'expired',
      'no_cert',
      'not_yet_valid',
      'revoked',
      'wrong_ca',
      'wrong_eku',
    ]);
    for (const x of s.security) expect(x.rejected, x.fault).toBe(x.expected_rejections);
    expect(s.security.find((x) => x.fault === 'cn_mismatch')?.reasons).toEqual({
      connack_not_authorized: s.security.find((x) => x.fault === 'cn_mismatch')?.rejected,
    });
    expect(s.counts.accepted_unexpectedly).toBe(0);
    expect(s.counts.connected + s.counts.rejected_as_expected).toBe(400);
  });

  it('reconnect-storm: the broker restarts and every device comes back with 5 s / 60 s backoff', async () => {
    const out = tmp();
    const r = await herd(
      ['run', scenario('reconnect-storm'), '--devices', '150', '--connections', '150', '--out', out, '--quiet'],
      120_000,
    );
    expect(r.stderr).not.toMatch(/internal error/);
    const s = readSummaryFile(out);
    expect(s.recovery).toMatchObject({ drop: 'broker-restart', dropped: 150, recovered: 150 });
    expect(s.recovery!.t100_ms!).toBeGreaterThan(2000); // the broker is down 2 s
  });
});
