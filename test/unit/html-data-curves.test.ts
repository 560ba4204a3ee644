import { describe, expect, it } from 'vitest';
import { createHistogram, encodeHistogram, latencyStats, recordMicros } from '../../src/metrics/hdr.js';
import { PHASES, type Phase } from '../../src/model/names.js';
import {
  jsonForScript,
  latencyCurves,
  percentileGrid,
  percentileOf,
  timeline,
  TIMELINE_REASONS,
} from '../../src/report/html/data.js';
import type { PhaseLatency, Summary, TimeSeries } from '../../src/model/summary.js';

function phase(values: readonly number[]): PhaseLatency {
  const h = createHistogram('cumulative');
  for (const v of values) recordMicros(h, v);
  return { ...latencyStats(h), hdr: encodeHistogram(h) };
}

function latency(connect: readonly number[]): Record<Phase, PhaseLatency> {
  return Object.fromEntries(PHASES.map((p) => [p, phase(p === 'connect' ? connect : [])])) as Record<
    Phase,
    PhaseLatency
  >;
}

describe('latency percentile curves', () => {
  it('samples 0% … 99.99% on a log grid shared by every curve', () => {
    const grid = percentileGrid();
    expect(grid[0]).toBe(1);
    expect(grid.at(-1)).toBe(10_000);
    expect(percentileOf(grid[0] as number)).toBe(0);
    expect(percentileOf(10)).toBeCloseTo(90);
    expect(percentileOf(10_000)).toBeCloseTo(99.99);
    for (let i = 1; i < grid.length; i++) expect(grid[i]).toBeGreaterThan(grid[i - 1] as number);
    expect(grid).toContain(2);
    expect(grid).toContain(100);
    expect(grid).toContain(1000);
  });

  it('reads the HDR histogram: 1 … 100,000 µs uniform gives p50 ≈ 50 ms and p99 ≈ 99 ms, never decreasing', () => {
    const values = Array.from({ length: 100_000 }, (_, i) => i + 1);
    const curves = latencyCurves(latency(values));
    const connect = curves.phases.connect as number[];
    const at = (x: number): number => connect[curves.x.indexOf(x)] as number;
    expect(at(2)).toBeCloseTo(50, 0);
    expect(at(10)).toBeCloseTo(90, 0);
    expect(at(100)).toBeCloseTo(99, 0);
    expect(at(10_000)).toBeCloseTo(99.99, 0);
    for (let i = 1; i < connect.length; i++) expect(connect[i]).toBeGreaterThanOrEqual(connect[i - 1] as number);
    expect(curves.phases.tcp).toBeNull();
  });

  it('does not grow with the number of values', () => {
    const small = JSON.stringify(latencyCurves(latency([1000, 2000, 3000])));
    const big = JSON.stringify(
      latencyCurves(latency(Array.from({ length: 200_000 }, (_, i) => 500 + ((i * 7919) % 300_000)))),
    );
    expect(big.length).toBeLessThan(small.length * 2);
  });
});

function withSeries(series: TimeSeries, started: string): Summary & { series: TimeSeries } {
  return { run: { started }, series } as unknown as Summary & { series: TimeSeries };
}

describe('the timeline', () => {
  const point = (t: number, extra: Partial<TimeSeries['points'][number]> = {}): TimeSeries['points'][number] => ({
    t,
    attempts: 10,
    connected: 8,
    failed: 2,
    rejected: 0,
    unexpected: 0,
    active: t * 8,
    p50: 12,
    p99: 40,
    failures: {},
    ...extra,
  });

  it('is per second, even when downsampled, and starts at the run start', () => {
    const series: TimeSeries = {
      start: '2026-01-01T00:00:00.000Z',
      resolution: 2,
      points: [point(0), point(2), point(4, { p50: null, p99: null })],
    };
    const t = timeline(withSeries(series, '2025-12-31T23:59:59.500Z'));
    expect(t?.x).toEqual([0.5, 2.5, 4.5]);
    expect(t?.attempts).toEqual([5, 5, 5]);
    expect(t?.connected).toEqual([4, 4, 4]);
    expect(t?.active).toEqual([0, 16, 32]);
    expect(t?.p99).toEqual([40, 40, null]);
  });

  it(`draws the ${TIMELINE_REASONS - 1} most frequent reasons and sums the rest as "other"`, () => {
    const failures: Record<string, number> = {};
    for (let i = 0; i < 12; i++) failures[`tls_alert_r${String(i).padStart(2, '0')}`] = 100 - i;
    const t = timeline(
      withSeries(
        { start: '2026-01-01T00:00:00.000Z', resolution: 1, points: [point(0, { failures })] },
        '2026-01-01T00:00:00.000Z',
      ),
    );
    expect(t?.reasons).toHaveLength(TIMELINE_REASONS);
    expect(t?.reasons[0]).toEqual({ reason: 'tls_alert_r00', values: [100] });
    expect(t?.reasons.at(-1)?.reason).toBe('other (5 reasons)');
    expect(t?.reasons.at(-1)?.values).toEqual([93 + 92 + 91 + 90 + 89]);
  });

  it('is null without a series', () => {
    expect(timeline({ run: { started: '2026-01-01T00:00:00Z' } } as unknown as Summary)).toBeNull();
  });
});

describe('jsonForScript', () => {
  it('cannot end the script element or start a comment', () => {
    const text = jsonForScript({ reason: '</script><script>alert(1)</script><!--', sep: '\u2028' });
    expect(text).not.toContain('<');
    expect(text).not.toContain('\u2028');
    expect(JSON.parse(text)).toEqual({ reason: '</script><script>alert(1)</script><!--', sep: '\u2028' });
  });
});
