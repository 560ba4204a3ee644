import { describe, expect, it } from 'vitest';
import {
  addInto,
  addSparse,
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  latencyStats,
  prometheusBuckets,
  recordMicros,
  toSparse,
  type Hdr,
} from '../../src/metrics/hdr.js';
import { Recorder } from '../../src/metrics/recorder.js';
import { Aggregator } from '../../src/metrics/aggregate.js';

/** Deterministic log-normal-ish latencies in µs (xorshift), 50 µs … ~2 s. */
function* latencies(seed: number, n: number): Generator<number> {
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    yield Math.round(50 * Math.exp((x / 2 ** 32) * 10.6));
  }
}

const PERCENTILES = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100];
const profile = (h: Hdr): number[] => PERCENTILES.map((p) => h.getValueAtPercentile(p));

describe('exact merge', () => {
  it('two recorders drained into the aggregator equal one recorder that saw every value', () => {
    const a = new Recorder();
    const b = new Recorder();
    const all = new Recorder();
    const agg = new Aggregator();
    const single = new Aggregator();
    let i = 0;
    for (const v of latencies(7, 50_000)) {
      (i++ % 3 === 0 ? a : b).recordPhase('connect', v);
      all.recordPhase('connect', v);
      // drain now and then, as a worker does every second
      if (i % 9_973 === 0) {
        agg.ingest(a.drain(), 1);
        agg.ingest(b.drain(), 2);
      }
    }
    agg.ingest(a.drain(), 1);
    agg.ingest(b.drain(), 2);
    single.ingest(all.drain(), 1);

    const merged = agg.histogram('connect');
    const reference = single.histogram('connect');
    expect(merged.totalCount).toBe(50_000);
    expect(profile(merged)).toEqual(profile(reference));
    expect(latencyStats(merged)).toEqual(latencyStats(reference));
    expect(agg.latency().connect).toEqual(single.latency().connect);
  });

  it('adding decoded histograms equals recording into one', () => {
    const parts = [createHistogram(), createHistogram()];
    const one = createHistogram('cumulative');
    let i = 0;
    for (const v of latencies(99, 20_000)) {
      recordMicros(parts[i++ % 2] as Hdr, v);
      recordMicros(one, v);
    }
    const sum = createHistogram('cumulative');
    for (const p of parts) addInto(sum, decodeHistogram(encodeHistogram(p)));
    expect(profile(sum)).toEqual(profile(one));
    expect(latencyStats(sum)).toEqual(latencyStats(one));
  });
});

describe('encoding', () => {
  it('round-trips through compressed base64 with identical stats', () => {
    const h = createHistogram();
    for (const v of latencies(3, 5_000)) recordMicros(h, v);
    recordMicros(h, 0);
    const text = encodeHistogram(h);
    expect(text).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const back = decodeHistogram(text);
    expect(back.totalCount).toBe(5_001);
    expect(latencyStats(back)).toEqual(latencyStats(h));
    expect(encodeHistogram(back)).toBe(text);
  });

  it('rejects text that is not an encoded histogram', () => {
    expect(() => decodeHistogram('')).toThrow();
    expect(() => decodeHistogram('not base64!')).toThrow();
    expect(() => decodeHistogram(Buffer.from('hello world').toString('base64'))).toThrow();
  });

  it('sparse form carries zeros, clamps and the top of the range exactly', () => {
    const h = createHistogram();
    for (const v of [0, 0, -5, 1, 999.6, 3_600_000_000, 9e12]) recordMicros(h, v);
    const sparse = toSparse(h);
    expect(sparse?.total).toBe(7);
    const target = createHistogram('cumulative');
    addSparse(target, sparse!);
    expect(profile(target)).toEqual(profile(h));
    expect(latencyStats(target)).toEqual(latencyStats(h));
    expect(toSparse(createHistogram())).toBeNull();
  });
});

describe('latency stats', () => {
  it('reports milliseconds from microseconds', () => {
    const h = createHistogram();
    for (let ms = 1; ms <= 100; ms++) recordMicros(h, ms * 1000);
    const s = latencyStats(h);
    expect(s.count).toBe(100);
    expect(s.min).toBe(1);
    expect(s.p50).toBeCloseTo(50, 1);
    expect(s.p99).toBeCloseTo(99, 1);
    expect(s.max).toBeCloseTo(100, 1);
    expect(s.mean).toBeCloseTo(50.5, 1);
  });
});

describe('prometheus buckets', () => {
  it('counts values at or below each bound, cumulatively', () => {
    const h = createHistogram();
    const values = [500, 1000, 1001, 2400, 2500, 9_000, 40_000, 31_000_000];
    for (const v of values) recordMicros(h, v);
    const bounds = [0.001, 0.0025, 0.01, 30];
    const p = prometheusBuckets(h, bounds);
    expect(p.cumulative).toEqual([2, 5, 6, 7]);
    expect(p.count).toBe(8);
    expect(p.sum).toBeCloseTo(values.reduce((a, b) => a + b, 0) / 1e6, 1);
  });

  it('is all zeros for an empty histogram', () => {
    const p = prometheusBuckets(createHistogram());
    expect(p.count).toBe(0);
    expect(p.cumulative.every((c) => c === 0)).toBe(true);
  });
});
