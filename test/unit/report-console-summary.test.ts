import { describe, expect, it } from 'vitest';
import { Aggregator } from '../../src/metrics/aggregate.js';
import { Recorder } from '../../src/metrics/recorder.js';
import { parseThresholds } from '../../src/judge/thresholds.js';
import { progressLine, renderSummary } from '../../src/report/console/index.js';
import { finalizeSummary } from '../../src/judge/verdict.js';
import type { Summary } from '../../src/model/summary.js';

function sample(accepted: number): Summary {
  const r = new Recorder();
  for (let i = 1; i <= 200; i++) {
    r.attempt();
    r.connected();
    r.recordPhase('connect', i * 1000);
    r.recordPhase('tls', i * 500);
  }
  for (let i = 0; i < 3; i++) r.failure('tls', 'tls_alert_unknown_ca');
  r.failure('tcp', 'tcp_refused');
  r.rejectedAsExpected('expired', 'tls', 'tls_alert_certificate_expired');
  for (let i = 0; i < accepted; i++) r.acceptedUnexpectedly('cn_mismatch');
  const agg = new Aggregator();
  agg.ingest(r.drain(), 0);
  return finalizeSummary(
    {
      version: 1,
      run: {
        id: 'r1',
        scenario: 'cert-faults',
        target: 'mqtts://broker:8883',
        started: '2025-01-01T00:00:00.000Z',
        ended: '2025-01-01T00:01:05.000Z',
        shard: { index: 1, count: 4 },
        mqtt: '5',
        devices: 205,
        executor: 'arrival-rate',
      },
      counts: agg.counts(),
      failures: agg.failures(),
      security: agg.security(),
      latency: agg.latency(),
      mint: { count: 0, per_second: 0, loaded: 205 },
      findings: [],
      generator: {
        cpu_ms_per_handshake: 1.25,
        event_loop_lag_p99_ms: 4,
        saturated: false,
        saturation_reasons: [],
        fd_limit: 65536,
        workers: 2,
        processes: 1,
        rss_peak_bytes: 150 * 2 ** 20,
      },
    },
    parseThresholds({ connect_duration: ['p(99) < 150ms', 'p(50) < 1s'], connect_failures: ['rate < 5%'] }).thresholds,
  );
}

describe('console summary', () => {
  it('starts with the verdict and its reason', () => {
    const text = renderSummary(sample(0));
    expect(text.split('\n')[0]).toBe('✗ FAIL  1 of 3 thresholds failed: connect_duration p(99) < 150ms');
    expect(renderSummary(sample(2)).split('\n')[0]).toBe(
      '✗ INSECURE  the broker accepted 2 faulty credentials it must reject (cn_mismatch 2)',
    );
  });

  it('shows the latency table, counts, failures, security, thresholds and generator health', () => {
    const text = renderSummary(sample(1));
    expect(text).toMatch(/connect \(e2e\) +200 +100 +180 +198 +200 +200\n/);
    expect(text).toMatch(/subscribe +0 +- +- +- +- +-\n/);
    expect(text).toContain('attempted 200 · connected 200 · failed 4 (1.96%)');
    expect(text).toMatch(/failures +tls +tls_alert_unknown_ca +3\n +tcp +tcp_refused +1\n/);
    expect(text).toMatch(/✓ expired +1 faulty · 1 rejected · 0 accepted {2}\(tls_alert_certificate_expired 1\)/);
    expect(text).toMatch(/✗ cn_mismatch +1 faulty · 0 rejected · 1 accepted\n/);
    expect(text).toMatch(/✗ connect_duration +p\(99\) < 150ms +p\(99\)=198ms\n/);
    expect(text).toMatch(/✓ connect_failures +rate < 5% +rate=1.96%\n/);
    expect(text).toContain('shard 2/4');
    expect(text).toContain('fd limit 65,536 · rss peak 150.0 MiB');
    expect(text).toContain('✓ not saturated');
    expect(text).toContain('0 minted (0/s) · 205 loaded');
  });

  it('has an ASCII form for logs', () => {
    const text = renderSummary(sample(0), { ascii: true });
    expect(text).not.toMatch(/[✓✗]/);
    expect(text.split('\n')[0]).toMatch(/^FAIL {2}1 of 3/);
    expect(text).toMatch(/FAIL connect_duration/);
    expect(text).toMatch(/OK {3}connect_failures/);
  });
});

describe('progress line', () => {
  it('shows rate, active, failures and p99 so far', () => {
    const t0 = 1_700_000_000_000;
    const agg = new Aggregator({ startedAt: t0 });
    const r = new Recorder();
    for (let i = 1; i <= 100; i++) {
      r.attempt();
      r.connected();
      r.active(1);
      r.recordPhase('connect', i * 1000);
    }
    r.failure('tls', 'tls_timeout');
    r.acceptedUnexpectedly('expired');
    agg.ingest({ ...r.drain(), to: t0 + 1_000 }, 0);
    expect(progressLine(agg.snapshot(t0 + 2_000))).toBe(
      '    2s  50/s  connected 100/100  active 100  failed 1  p50 50ms  p99 99ms  INSECURE: 1 faulty accepted  top failure tls_timeout 1',
    );
  });
});
