import { describe, it, expect } from 'vitest';
import { beta, Ecdf, excludesZero, percentileDifference, proportionDifference, rng } from '../../src/compare/noise.js';
import { createHistogram, decodeHistogram, encodeHistogram, recordMicros } from '../../src/metrics/hdr.js';

/** A log-normal sample of connect times around `medianMs`, as an encoded histogram. */
function sample(n: number, medianMs: number, seed: number): string {
  const r = rng(seed);
  const h = createHistogram('cumulative');
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(r() || 1e-12)) * Math.cos(2 * Math.PI * r());
    recordMicros(h, medianMs * 1000 * Math.exp(0.5 * z));
  }
  return encodeHistogram(h);
}

describe('bootstrap over HDR data', () => {
  it('reads percentiles from the histogram exactly as HDR does', () => {
    const enc = sample(5000, 8, 3);
    const e = Ecdf.fromHdr(enc);
    const h = decodeHistogram(enc);
    expect(e.n).toBe(5000);
    for (const p of [0.01, 1, 10, 50, 75, 90, 99, 99.9, 99.99, 100]) {
      expect(e.quantile(p / 100), `p${p}`).toBe(Math.round(h.getValueAtPercentile(p)) / 1000);
    }
  });

  it('draws Beta variates with the right mean', () => {
    const r = rng(7);
    let sum = 0;
    for (let i = 0; i < 4000; i++) sum += beta(30, 70, r);
    expect(sum / 4000).toBeCloseTo(0.3, 2);
  });

  it('two runs of the same distribution are within noise about 95% of the time', () => {
    let inside = 0;
    const trials = 40;
    for (let t = 0; t < trials; t++) {
      const ci = percentileDifference(
        Ecdf.fromHdr(sample(2000, 8, 100 + t)),
        Ecdf.fromHdr(sample(2000, 8, 900 + t)),
        50,
        t + 1,
      )!;
      if (!excludesZero(ci)) inside++;
    }
    expect(inside).toBeGreaterThanOrEqual(34); // 95% of 40 is 38; allow for chance
  });

  it('a 15% slower median is beyond noise; the interval brackets the true change', () => {
    const a = Ecdf.fromHdr(sample(3000, 8, 1));
    const b = Ecdf.fromHdr(sample(3000, 9.2, 2));
    const ci = percentileDifference(a, b, 50)!;
    expect(excludesZero(ci)).toBe(true);
    expect(ci.low).toBeGreaterThan(0);
    expect(ci.low).toBeLessThan(1.2);
    expect(ci.high).toBeGreaterThan(1.2);
    // the same data give the same interval (seeded)
    expect(percentileDifference(a, b, 50)).toEqual(ci);
  });

  it('the tail is less certain than the median', () => {
    const a = Ecdf.fromHdr(sample(1000, 8, 11));
    const b = Ecdf.fromHdr(sample(1000, 8, 12));
    const p50 = percentileDifference(a, b, 50)!;
    const p99 = percentileDifference(a, b, 99)!;
    expect(p99.high - p99.low).toBeGreaterThan(3 * (p50.high - p50.low));
  });

  it('failure rates: 0 of 1000 against 15 of 1000 differ, 5 against 7 do not', () => {
    expect(excludesZero(proportionDifference({ hits: 0, n: 1000 }, { hits: 15, n: 1000 })!)).toBe(true);
    expect(excludesZero(proportionDifference({ hits: 5, n: 1000 }, { hits: 7, n: 1000 })!)).toBe(false);
    expect(proportionDifference({ hits: 0, n: 0 }, { hits: 1, n: 10 })).toBeNull();
  });
});
