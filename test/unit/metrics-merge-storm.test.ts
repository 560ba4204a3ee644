import { describe, it, expect } from 'vitest';
import { StormPolicy } from '../../src/load/storm-policy.js';
import { mergeSummaries } from '../../src/run/merge.js';
import { Aggregator } from '../../src/metrics/aggregate.js';
import { finalizeSummary } from '../../src/judge/verdict.js';
import { parseThreshold } from '../../src/judge/thresholds.js';
import type { Summary } from '../../src/model/summary.js';

const cfg = { drop: 'disconnect' as const, downMs: 0, initialBackoffMs: 1000, maxBackoffMs: 1000, settleMs: 0 };

/** A shard summary whose storm dropped `n` devices and brought back `back` of them at the given ms. */
function shard(index: number, times: number[], dropped: number): Summary {
  const p = new StormPolicy(cfg, dropped, () => 0.5);
  p.dropped(1_000_000);
  for (let d = 0; d < dropped; d++) p.onDrop(d, 1_000_000);
  times.forEach((t, d) => p.onConnected(d, 1_000_000 + t));
  const agg = new Aggregator({ startedAt: 0 });
  const t = parseThreshold('recovery_duration', 'p(100) < 10s');
  if (!t.ok) throw new Error(t.error);
  return finalizeSummary(
    {
      version: 1,
      run: {
        id: 'r',
        scenario: 's',
        target: 't',
        started: '2026-01-01T00:00:00.000Z',
        ended: '2026-01-01T00:01:00.000Z',
        shard: { index, count: 2 },
        mqtt: '3.1.1',
        devices: dropped,
        executor: 'reconnect-storm',
      },
      counts: agg.counts(),
      failures: [],
      security: [],
      latency: agg.latency(),
      mint: { count: 0, per_second: 0, loaded: 0 },
      findings: [],
      generator: {
        cpu_ms_per_handshake: 0,
        event_loop_lag_p99_ms: 0,
        saturated: false,
        saturation_reasons: [],
        fd_limit: 1,
        workers: 1,
        processes: 1,
        rss_peak_bytes: 0,
      },
      recovery: p.result(),
    },
    [t.value],
  );
}

describe('merging reconnect-storm shards', () => {
  it('takes recovery shares over every dropped device of every shard, and re-decides recovery gates', () => {
    const a = shard(0, [100, 200, 300, 400], 4);
    const b = shard(1, [500, 600, 700, 800], 4);
    const m = mergeSummaries([a, b]);
    expect(m.recovery).toMatchObject({ dropped: 8, recovered: 8, t50_ms: 400, t100_ms: 800 });
    expect(m.thresholds[0]).toMatchObject({ metric: 'recovery_duration', ok: true });
    expect(m.thresholds[0]!.value).toBeCloseTo(800, -1);
  });

  it('has no 100% when a shard left devices behind, and the gate fails', () => {
    const m = mergeSummaries([shard(0, [100, 200], 2), shard(1, [300], 2)]);
    expect(m.recovery).toMatchObject({ dropped: 4, recovered: 3, t100_ms: null });
    expect(m.recovery!.t50_ms).toBe(200);
    expect(m.thresholds[0]).toMatchObject({ ok: false, value: null });
  });
});
