import { describe, expect, it } from 'vitest';
import { Aggregator } from '../../src/metrics/aggregate.js';
import { Recorder } from '../../src/metrics/recorder.js';
import { SeriesBuilder, mergeSeries, type SeriesCounts } from '../../src/metrics/series.js';

const T0 = 1_700_000_000_000;
const counts = (n: number): SeriesCounts => ({
  attempts: n,
  connected: n,
  failed: 0,
  rejected: 0,
  unexpected: 0,
  failures: [],
});

describe('time series', () => {
  it('stays bounded over a long run and keeps every count', () => {
    const agg = new Aggregator({ startedAt: T0, maxPoints: 3600 });
    const w = new Recorder();
    const seconds = 10_000;
    for (let s = 1; s <= seconds; s++) {
      w.attempt();
      w.connected();
      w.recordPhase('connect', 1000 + (s % 100));
      if (s % 1000 === 0) w.failure('tcp', 'tcp_timeout');
      agg.ingest({ ...w.drain(), to: T0 + s * 1000 }, 0);
    }
    const series = agg.series();
    expect(series.points.length).toBeLessThanOrEqual(3600);
    expect(series.resolution).toBe(4);
    expect(series.points.reduce((a, p) => a + p.attempts, 0)).toBe(seconds);
    expect(series.points.reduce((a, p) => a + (p.failures.tcp_timeout ?? 0), 0)).toBe(10);
    const ts = series.points.map((p) => p.t);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    expect(new Set(ts).size).toBe(ts.length);
    expect(ts.every((t) => t % 4 === 0)).toBe(true);
  });

  it('gives each second its own exact connect percentiles', () => {
    const agg = new Aggregator({ startedAt: T0 });
    const w = new Recorder();
    for (let s = 1; s <= 10; s++) {
      for (let i = 1; i <= 100; i++) w.recordPhase('connect', s * 1000 * i);
      agg.ingest({ ...w.drain(), to: T0 + s * 1000 + 10 }, 0);
    }
    const p = agg.series().points.find((x) => x.t === 5);
    expect(p?.p50).toBeCloseTo(250, 0);
    expect(p?.p99).toBeCloseTo(495, 0);
  });

  it('puts a late delta into the oldest open second', () => {
    const b = new SeriesBuilder(T0, { openSeconds: 2 });
    for (let s = 0; s < 10; s++) b.add(T0 + s * 1000, counts(1), undefined, 0);
    b.add(T0 + 1000, counts(5), undefined, 0); // seconds behind
    const pts = b.series().points;
    expect(pts.reduce((a, p) => a + p.attempts, 0)).toBe(15);
    expect(pts.find((p) => p.t === 1)?.attempts).toBe(1);
    expect(pts.some((p) => p.attempts === 6)).toBe(true);
  });

  it('merges shards by wall clock, adding counters and open connections', () => {
    const a = new SeriesBuilder(T0, { openSeconds: 0 });
    const b = new SeriesBuilder(T0 + 2000, { openSeconds: 0 });
    for (let s = 0; s < 5; s++) {
      a.add(T0 + s * 1000, counts(10), undefined, 100);
      b.add(T0 + 2000 + s * 1000, counts(1), undefined, 7);
    }
    const m = mergeSeries([a.series(), b.series()]);
    expect(m?.start).toBe(new Date(T0).toISOString());
    expect(m?.points.map((p) => [p.t, p.attempts, p.active])).toEqual([
      [0, 10, 100],
      [1, 10, 100],
      [2, 11, 107],
      [3, 11, 107],
      [4, 11, 107],
      [5, 1, 7],
      [6, 1, 7],
    ]);
    expect(mergeSeries([a.series()], 3)?.points.length).toBeLessThanOrEqual(3);
  });
});
