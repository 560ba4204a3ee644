import { describe, it, expect } from 'vitest';
import { explainCapacity } from '../../src/capacity/explain.js';
import { judgeStep } from '../../src/capacity/step.js';
import { renderCapacity } from '../../src/capacity/console.js';
import { sloP99Ms, stepsData } from '../../src/capacity/html.js';
import { createHistogram, encodeHistogram, latencyStats, recordMicros } from '../../src/metrics/hdr.js';
import { PHASES } from '../../src/model/names.js';
import type { Capacity, CapacityStep } from '../../src/model/capacity.js';
import type { Summary } from '../../src/model/summary.js';

function step(o: Partial<CapacityStep>): CapacityStep {
  return {
    rate: 100,
    achieved: 99,
    p50: 5,
    p99: 20,
    failed: 0,
    kind: 'ramp',
    ok: true,
    duration_ms: 3000,
    attempted: 300,
    connected: 300,
    failures: {},
    broke: [],
    saturated: false,
    saturation_reasons: [],
    phases_p99: { tcp: 1, tls: 8, connack: 3, subscribe: null },
    broker_cpu: null,
    host_cpu: null,
    generator_cpu: 0.3,
    ...o,
  };
}

const config: Capacity['config'] = {
  key: 'p256',
  tls_min_version: null,
  tls_max_version: null,
  mqtt: '3.1.1',
  in_flight: 100,
  hold_ms: 0,
  workers: 2,
  target: 'mqtts://127.0.0.1:8883',
  broker: { pid: 4242, name: 'mosquitto', threads: 1 },
};

describe('what limited a capacity search', () => {
  it('a single-threaded broker at its core: broker_cpu, the phase that grew, the queue', () => {
    const held = step({
      rate: 200,
      kind: 'confirm',
      duration_ms: 6000,
      broker_cpu: 0.7,
      phases_p99: { tcp: 1, tls: 9, connack: 4, subscribe: null },
    });
    const broke = step({
      rate: 230,
      ok: false,
      achieved: 201,
      p50: 300,
      p99: 820,
      broke: ['connect_duration p(99) < 500ms: p(99)=820ms'],
      broker_cpu: 0.99,
      host_cpu: 0.7,
      phases_p99: { tcp: 2, tls: 180, connack: 40, subscribe: null },
    });
    const { reason, findings } = explainCapacity({
      result: { maxRate: 200, ceiling: 230, limitedBy: 'slo', confirmed: true, atLeast: false },
      steps: [held, broke],
      config,
      maxRateAllowed: 10_000,
      budgetMs: 60_000,
    });
    expect(reason).toBe('200/s held a 6s hold; at 230/s connect_duration p(99) < 500ms: p(99)=820ms');
    expect(findings.map((f) => f.kind)).toEqual(['broker_cpu', 'phase', 'queueing']);
    expect(findings[0]!.text).toMatch(
      /mosquitto, pid 4242\) used 99% of a core at 230\/s and has one thread, so it cannot use another: it is CPU-bound/,
    );
    expect(findings[1]!.text).toMatch(/^TLS handshake grew the most: p99 9ms at 200\/s → 180ms at 230\/s/);
    expect(findings[2]!.text).toMatch(/in-flight slots .* completed 201\/s of 230\/s/);
  });

  it('a TCP connect at the 1 s SYN retry is the listen backlog; failures come first, by reason', () => {
    const held = step({ rate: 400 });
    const broke = step({
      rate: 800,
      ok: false,
      achieved: 780,
      failed: 40,
      connected: 760,
      failures: { tcp_timeout: 30, tls_closed: 10 },
      broke: ['connect_failures rate < 0.01: rate=5.00%'],
      phases_p99: { tcp: 1030, tls: 10, connack: 3, subscribe: null },
      broker_cpu: 0.4,
      host_cpu: 0.95,
    });
    const { findings } = explainCapacity({
      result: { maxRate: 400, ceiling: 800, limitedBy: 'slo', confirmed: false, atLeast: false },
      steps: [held, broke],
      config,
      maxRateAllowed: 10_000,
      budgetMs: 60_000,
    });
    expect(findings.map((f) => f.kind)).toEqual([
      'failures',
      'listen_backlog',
      'host_cpu',
      'broker_cpu',
      'phase',
      'budget',
    ]);
    expect(findings[0]!.text).toMatch(/5\.00% of attempts failed at 800\/s: tcp_timeout 30 .*, tls_closed 10/);
    expect(findings[1]!.text).toMatch(/SYNs were dropped and retried after 1 s.*--in-flight \(100\)/);
    expect(findings[2]!.text).toMatch(/95% busy at 800\/s \(generator 30% of a core, broker 40% of a core/);
    expect(findings[3]!.text).toMatch(/it was not out of CPU — it did not get more of this busy machine/);
    expect(findings[5]!.text).toMatch(/not confirmed/);
  });

  it('a saturated generator: the answer is a lower bound, and says where to look', () => {
    const sat = step({
      rate: 800,
      ok: false,
      saturated: true,
      saturation_reasons: ['connection worker event-loop lag p99 246 ms > 200 ms'],
      host_cpu: 0.97,
    });
    const { reason, findings } = explainCapacity({
      result: { maxRate: 400, ceiling: null, limitedBy: 'generator', confirmed: false, atLeast: true },
      steps: [step({ rate: 400 }), sat],
      config,
      maxRateAllowed: 10_000,
      budgetMs: 60_000,
    });
    expect(reason).toBe(
      'the load generator saturated at 800/s before the broker broke, so the broker sustains at least 400/s',
    );
    expect(findings.map((f) => f.kind)).toEqual(['generator', 'host_cpu', 'generator']);
  });

  it('the console shows the answer, every step and the evidence', () => {
    const cap: Capacity = {
      max_rate: 200,
      limited_by: 'slo',
      confirmed: true,
      at_least: false,
      ceiling: 230,
      reason: 'because',
      findings: [{ kind: 'broker_cpu', text: 'the broker was at its core' }],
      steps: [
        step({ rate: 200 }),
        step({ rate: 230, ok: false, failed: 3, failures: { tls_closed: 3 }, broke: ['x broke'] }),
      ],
      slo: ['connect_duration p(99) < 500ms'],
      config,
      search: {
        start_rate: 50,
        max_rate: 10_000,
        precision: 0.1,
        budget_ms: 60_000,
        elapsed_ms: 41_000,
        started: '',
        ended: '',
      },
    };
    const text = renderCapacity(cap, { ascii: true });
    expect(text).toMatch(/^capacity {2}200 connects\/s \(confirmed by a longer hold\) · stopped because an SLO broke/);
    expect(text).toMatch(/\n +2 {2}ramp +230 +99 +5ms +20ms +3 +3s {2}FAIL {2}tls_closed 3 · x broke\n/);
    expect(text).toContain('    - the broker was at its core');
    expect(text).toContain('device key p256');
    expect(stepsData(cap).steps.map((s) => s.rate)).toEqual([200, 230]);
    expect(sloP99Ms(cap.slo)).toBe(500);
    expect(sloP99Ms(['connect p(99) < 1.5s'])).toBe(1500);
  });
});

function summaryWith(connectMs: number[], counts: Partial<Summary['counts']>): Summary {
  const latency = {} as Summary['latency'];
  for (const p of PHASES) {
    const h = createHistogram('cumulative');
    if (p === 'connect' || p === 'tls') for (const v of connectMs) recordMicros(h, v * 1000);
    latency[p] = { ...latencyStats(h), hdr: encodeHistogram(h) };
  }
  return {
    version: 1,
    run: {
      id: 'x',
      scenario: 's',
      target: 't',
      started: '2025-01-01T00:00:00.000Z',
      ended: '2025-01-01T00:00:04.000Z',
      shard: { index: 0, count: 1 },
      mqtt: '3.1.1',
      devices: 300,
      executor: 'arrival-rate',
    },
    counts: {
      attempted: 300,
      connected: 300,
      failed: 0,
      rejected_as_expected: 0,
      accepted_unexpectedly: 0,
      active_peak: 0,
      dropped: 0,
      session_drops: 0,
      ...counts,
    },
    failures: [],
    security: [],
    latency,
    mint: { count: 0, per_second: 0, loaded: 300 },
    generator: {
      cpu_ms_per_handshake: 4,
      event_loop_lag_p99_ms: 3,
      saturated: false,
      saturation_reasons: [],
      fd_limit: 1024,
      workers: 2,
      processes: 1,
      rss_peak_bytes: 0,
    },
    thresholds: [],
    findings: [],
    verdict: 'pass',
    verdict_reason: '',
  };
}

describe('judging a step', () => {
  it('a broker that kept up achieved its rate; one that fell behind shows its own pace and breaks', () => {
    const kept = judgeStep(
      summaryWith(
        Array.from({ length: 300 }, () => 10),
        {},
      ),
      { rate: 100, kind: 'ramp', durationMs: 3000 },
      { hostCpu: 0.5, brokerCpu: null },
    );
    expect(kept.ok).toBe(true);
    expect(kept.achieved).toBeGreaterThan(99);
    expect(kept.generator_cpu).toBeCloseTo(0.3, 2); // 4 ms × 300 over 4 s
    // 300 scheduled over 3 s, the last one done 1.5 s late: 300 / 4.5 s
    const behind = judgeStep(
      summaryWith(
        Array.from({ length: 300 }, (_, i) => 5 * i),
        {},
      ),
      { rate: 100, kind: 'ramp', durationMs: 3000 },
      { hostCpu: null, brokerCpu: null },
    );
    expect(behind.achieved).toBeCloseTo(300 / (3 + behind.p99! / 1000), 0);
    expect(behind.ok).toBe(false);
    expect(behind.broke).toEqual([`achieved ${behind.achieved}/s of 100/s scheduled`]);
  });
});
