import { describe, expect, it } from 'vitest';
import { Aggregator } from '../../src/metrics/aggregate.js';
import { mergeSummaries } from '../../src/run/merge.js';
import { Recorder } from '../../src/metrics/recorder.js';
import { PHASES } from '../../src/model/names.js';
import { parseThresholds } from '../../src/judge/thresholds.js';
import { finalizeSummary } from '../../src/judge/verdict.js';
import type { Summary } from '../../src/model/summary.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const THRESHOLDS = parseThresholds({
  connect_duration: ['p(99) < 400ms', 'p(50) < 100ms'],
  connect_failures: ['rate < 0.05'],
}).thresholds;

/** A shard that recorded connect latencies `values` (ms) and `failures` tcp_refused. */
function shard(index: number, count: number, values: number[], failures: number, saturated = false): Summary {
  const agg = new Aggregator({ startedAt: T0 });
  const r = new Recorder({ now: () => T0 + 1000 });
  for (const ms of values) {
    r.attempt();
    r.connected();
    r.recordPhase('connect', ms * 1000);
    r.recordPhase('tls', ms * 500);
  }
  for (let i = 0; i < failures; i++) {
    r.attempt();
    r.failure('tcp', 'tcp_refused');
  }
  agg.ingest(r.drain(), 0);
  return finalizeSummary(
    {
      version: 1,
      run: {
        id: 'run-1',
        scenario: 'ramp',
        target: `mqtts://b${index}:8883`,
        started: new Date(T0 + index).toISOString(),
        ended: new Date(T0 + 10_000 + index).toISOString(),
        shard: { index, count },
        mqtt: '5',
        devices: values.length + failures,
        executor: 'arrival-rate',
      },
      counts: agg.counts(),
      failures: agg.failures(),
      security: agg.security(),
      latency: agg.latency(),
      mint: { count: 10, per_second: 100, loaded: 0 },
      findings: [],
      generator: {
        cpu_ms_per_handshake: 1 + index,
        event_loop_lag_p99_ms: 5 * (index + 1),
        saturated,
        saturation_reasons: saturated ? ['event-loop lag'] : [],
        fd_limit: 1024 * (index + 1),
        workers: 2,
        processes: 1,
        rss_peak_bytes: 1e8,
      },
      ...{ series: agg.series() },
    },
    THRESHOLDS,
  );
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('mergeSummaries', () => {
  it('gives the percentiles of one run that saw every connection', () => {
    const a = shard(0, 2, range(1, 300), 2);
    const b = shard(1, 2, range(301, 1000), 3);
    const whole = shard(0, 1, range(1, 1000), 5);
    const m = mergeSummaries([a, b]);
    for (const phase of PHASES) expect(m.latency[phase]).toEqual(whole.latency[phase]);
    expect(m.counts).toEqual(whole.counts);
    expect(m.failures).toEqual([{ phase: 'tcp', reason: 'tcp_refused', count: 5 }]);
    expect(m.run).toMatchObject({
      id: 'run-1',
      target: 'mqtts://b0:8883,mqtts://b1:8883',
      shard: { index: 0, count: 1 },
      devices: 1005,
    });
    expect(m.run.started).toBe(a.run.started);
    expect(m.run.ended).toBe(b.run.ended);
    expect(m.generator).toMatchObject({
      cpu_ms_per_handshake: expect.closeTo((1 * 302 + 2 * 703) / 1005, 3) as number,
      fd_limit: 1024,
      workers: 4,
      event_loop_lag_p99_ms: 10,
    });
  });

  it('evaluates the thresholds again on the merged data', () => {
    const a = shard(0, 2, range(1, 100), 0); // alone: every threshold holds
    const b = shard(1, 2, range(401, 500), 0); // alone: p(99) and p(50) fail
    expect(a.verdict).toBe('pass');
    expect(b.verdict).toBe('fail');
    const m = mergeSummaries([a, b]);
    expect(m.thresholds.map((t) => [t.expression, t.ok])).toEqual([
      ['p(99) < 400ms', false],
      ['p(50) < 100ms', false],
      ['rate < 0.05', true],
    ]);
    expect(m.thresholds[1]?.value).toBeCloseTo(100, 0);
    expect(m.verdict).toBe('fail');
  });

  it('is inconclusive when any shard was saturated, and says which shards are missing', () => {
    const m = mergeSummaries([shard(0, 3, range(1, 10), 0, true), shard(2, 3, range(1, 10), 0)]);
    expect(m.verdict).toBe('inconclusive');
    expect(m.generator.saturation_reasons).toEqual(['shard 1/3: event-loop lag']);
    expect(m.verdict_reason).toMatch(/merged 2 of 3 shards; missing 2/);
  });

  it('refuses the same shard twice', () => {
    const a = shard(0, 2, range(1, 10), 0);
    expect(() => mergeSummaries([a, a], ['a.json', 'b.json'])).toThrow(
      /b\.json: shard 1\/2 of run run-1 is already in a\.json/,
    );
  });

  it('aligns the time series of the shards', () => {
    const m = mergeSummaries([shard(0, 2, range(1, 10), 1), shard(1, 2, range(1, 20), 0)]);
    expect(m.series?.points.map((p) => [p.t, p.attempts, p.connected])).toEqual([[1, 31, 30]]);
  });
});
