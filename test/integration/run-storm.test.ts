import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { herd, readSummaryFile, failureCount } from '../helpers/herd.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'herd-storm-'));

function scenario(dir: string, drop: string): string {
  const f = join(dir, 'storm.yaml');
  writeFileSync(
    f,
    [
      'name: storm-test',
      'devices: { count: 300, seed: 5 }',
      'load:',
      '  executor: reconnect-storm',
      '  rate: 300/s',
      `  drop: ${drop}`,
      '  down: 700ms',
      '  backoff: { initial: 500ms, max: 2s }',
      '  duration: 500ms',
      'thresholds:',
      '  connect_failures: ["rate < 0.9"]',
      '  recovery_duration: ["p(100) < 30s", "p(50) < 1ms"]',
      '',
    ].join('\n'),
  );
  return f;
}

describe('reconnect storm', () => {
  it('the embedded broker restarts mid-run: every device comes back with backoff, recovery percentiles reported', async () => {
    const dir = tmp();
    const r = await herd(['run', scenario(dir, 'broker-restart'), '--out', dir, '--quiet'], 90_000);
    expect(r.stderr).not.toMatch(/internal error/);
    const s = readSummaryFile(dir);
    const rec = s.recovery!;
    expect(rec.dropped).toBe(300);
    expect(rec.recovered).toBe(300);
    // nobody can be back while the broker is down (700 ms): a bound from the scenario, which a
    // slow machine only moves further away; how soon after that depends on the machine
    expect(rec.t50_ms!).toBeGreaterThan(0);
    expect(rec.t50_ms!).toBeLessThanOrEqual(rec.t90_ms!);
    expect(rec.t90_ms!).toBeLessThanOrEqual(rec.t99_ms!);
    expect(rec.t99_ms!).toBeLessThanOrEqual(rec.t100_ms!);
    expect(rec.t100_ms!).toBeGreaterThan(700);
    expect(rec.peak_connect_rate).toBeGreaterThan(0);
    expect(rec.reconnect_attempts).toBeGreaterThanOrEqual(300);
    // the first wave and every reconnect are counted
    expect(s.counts.connected).toBe(600);
    expect(s.counts.dropped).toBe(300);
    // attempts during the downtime are refused: the policy backed off and retried them
    expect(s.counts.attempted).toBe(
      600 + failureCount(s, 'tcp_refused') + failureCount(s, 'tcp_reset') + failureCount(s, 'tls_closed') - 300,
    );
    expect(r.stdout).toMatch(/recovery\s+broker-restart/);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toMatch(
      /Reconnect storm: recovery <span class="count">300 of 300 back/,
    );
    // recovery gates: every dropped device back within 30 s holds (when it does: the gate is
    // judged on the measured value); half back within 1 ms cannot (exit 99)
    const [, all, half] = s.thresholds;
    expect(all).toMatchObject({ metric: 'recovery_duration', ok: all!.value! < 30_000 });
    expect(Math.abs(all!.value! - rec.t100_ms!)).toBeLessThanOrEqual(rec.t100_ms! * 0.002 + 1);
    expect(half).toMatchObject({ metric: 'recovery_duration', ok: false });
    expect([99, 97]).toContain(r.code);
  });

  it('a cut from the generator side (a network outage) drops every connection and they all come back', async () => {
    const dir = tmp();
    const r = await herd(['run', scenario(dir, 'disconnect'), '--out', dir, '--quiet'], 90_000);
    expect([99, 97], r.stderr).toContain(r.code); // the impossible p(50) < 1ms gate
    const s = readSummaryFile(dir);
    expect(s.recovery).toMatchObject({ drop: 'disconnect', dropped: 300, recovered: 300 });
    expect(s.counts.connected).toBe(600);
    // a cut on purpose is not a failure
    expect(s.counts.failed).toBe(0);
  });
});

describe('TLS session resumption on reconnect', () => {
  it('resumes the resume_ratio share of reconnects and reports resumed handshakes apart from full ones', async () => {
    const dir = tmp();
    const f = join(dir, 'resume.yaml');
    writeFileSync(
      f,
      [
        'name: resume',
        'devices: { count: 200, seed: 5 }',
        'tls: { resume_ratio: 0.5 }',
        'load: { executor: reconnect-storm, rate: 300/s, drop: disconnect, backoff: { initial: 300ms, max: 1s }, duration: 300ms }',
        '',
      ].join('\n'),
    );
    const r = await herd(['run', f, '--out', dir, '--quiet'], 60_000);
    expect([0, 97], r.stderr).toContain(r.code);
    const s = readSummaryFile(dir);
    expect(s.counts.connected).toBe(400);
    const res = s.resumption!;
    // first connects are always full; about half of the 200 reconnects resume
    expect(res.full + res.resumed).toBe(400);
    expect(res.resumed).toBeGreaterThan(40);
    expect(res.resumed).toBeLessThan(160);
    // the tls phase holds only full handshakes
    expect(s.latency.tls.count).toBe(res.full);
    expect(res.tls_resumed.count).toBe(res.resumed);
    expect(r.stdout).toMatch(/resumption\s+\d+ resumed handshakes/);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toContain(
      `TLS session resumption <span class="count">${res.resumed} resumed`,
    );
  });
});
