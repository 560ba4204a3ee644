/**
 * Is a difference between two runs beyond noise? A bootstrap over the HDR data: resample
 * each run's recorded latencies with replacement, take the percentile of each resample,
 * and see where the differences fall. Done exactly and cheaply: the k-th smallest of n
 * values drawn from a run's distribution F is F⁻¹(U₍ₖ₎), and U₍ₖ₎ ~ Beta(k, n−k+1), so one
 * bootstrap replicate of a percentile is one Beta draw and one lookup in the histogram's
 * cumulative counts — no resample of n values is ever built.
 *
 * This is sampling noise within a run. Latencies in one run are not independent (a
 * stall delays many attempts at once), so run-to-run noise is larger: give repeats of a
 * configuration to measure that (see compare.ts).
 */
import { decodeHistogram } from '../metrics/hdr.js';

/** Bootstrap replicates per comparison. */
const BOOTSTRAP_REPLICATES = 2000;
/** Two-sided confidence of the intervals. */
const CONFIDENCE = 0.95;

/** A run's latency distribution: its distinct values (ms, ascending) and their cumulative counts. */
export class Ecdf {
  private constructor(
    readonly values: Float64Array,
    readonly cumulative: Float64Array,
    readonly n: number,
  ) {}

  /** From an encoded HDR histogram (microseconds), bucket by bucket, as HDR reports percentiles. */
  static fromHdr(base64: string): Ecdf {
    const h = decodeHistogram(base64);
    const values: number[] = [];
    const cum: number[] = [];
    let total = 0;
    if (h.totalCount > 0) {
      const to = Math.min(h.countsArrayIndex(h.maxValue), h.countsArrayLength - 1);
      for (let i = 0; i <= to; i++) {
        const c = h.getCountAtIndex(i);
        if (c === 0) continue;
        total += c;
        values.push(Math.round(h.highestEquivalentValue(h.valueFromIndex(i))) / 1000);
        cum.push(total);
      }
    }
    return new Ecdf(Float64Array.from(values), Float64Array.from(cum), total);
  }

  /** The value at quantile u (0 < u ≤ 1): the ceil(u·n)-th smallest, as HDR's getValueAtPercentile. */
  quantile(u: number): number {
    const x = u * this.n;
    const rank = Math.max(1, Math.ceil(x - x * 1e-12)); // as HDR: 0.99 × 1000 is rank 990, not 991

    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.cumulative[mid] as number) >= rank) hi = mid;
      else lo = mid + 1;
    }
    return this.values[lo] ?? 0;
  }
}

/** A small, seeded generator (sfc32), so the same inputs give the same intervals. */
export function rng(seed = 0x9e3779b9): () => number {
  let a = 0x243f6a88 ^ seed;
  let b = 0x85a308d3;
  let c = 0x13198a2e;
  let d = 1;
  const next = (): number => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

function normal(r: () => number): number {
  let u = 0;
  while (u === 0) u = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

/** Gamma(shape, 1) by Marsaglia and Tsang (shape ≥ 1, which Beta(k, n−k+1) always has). */
function gamma(shape: number, r: () => number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(r);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = r();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

export function beta(a: number, b: number, r: () => number): number {
  const x = gamma(a, r);
  const y = gamma(b, r);
  return x / (x + y);
}

/** One bootstrap replicate of the p-th percentile (0 < p ≤ 100) of a run. */
function replicatePercentile(e: Ecdf, p: number, r: () => number): number {
  const k = Math.max(1, Math.ceil((p / 100) * e.n));
  return e.quantile(beta(k, e.n - k + 1, r));
}

export interface Interval {
  /** the observed difference b − a */
  delta: number;
  low: number;
  high: number;
}

function quantileOfSorted(sorted: Float64Array, q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[i] as number;
}

/** Bootstrap interval of the difference of a percentile between two runs (b − a), ms. */
export function percentileDifference(a: Ecdf, b: Ecdf, p: number, seed = 1): Interval | null {
  if (a.n === 0 || b.n === 0) return null;
  const r = rng(seed);
  const d = new Float64Array(BOOTSTRAP_REPLICATES);
  for (let i = 0; i < d.length; i++) d[i] = replicatePercentile(b, p, r) - replicatePercentile(a, p, r);
  d.sort();
  const tail = (1 - CONFIDENCE) / 2;
  return {
    delta: b.quantile(p / 100) - a.quantile(p / 100),
    low: quantileOfSorted(d, tail),
    high: quantileOfSorted(d, 1 - tail),
  };
}

/** Normal-approximation interval of the difference of two proportions (b − a). */
export function proportionDifference(a: { hits: number; n: number }, b: { hits: number; n: number }): Interval | null {
  if (a.n === 0 || b.n === 0) return null;
  const pa = a.hits / a.n;
  const pb = b.hits / b.n;
  const z = 1.959964;
  const se = Math.sqrt((pa * (1 - pa)) / a.n + (pb * (1 - pb)) / b.n);
  return { delta: pb - pa, low: pb - pa - z * se, high: pb - pa + z * se };
}

/** The interval leaves zero out: the runs differ by more than sampling noise. */
export const excludesZero = (i: Interval): boolean => i.low > 0 || i.high < 0;

/**
 * Normal-approximation interval of the difference of two rates of counted events (b − a,
 * per second), each count taken as Poisson: the variance of count/seconds is count/seconds².
 */
export function rateDifference(
  a: { count: number; seconds: number },
  b: { count: number; seconds: number },
): Interval | null {
  if (a.seconds <= 0 || b.seconds <= 0) return null;
  const ra = a.count / a.seconds;
  const rb = b.count / b.seconds;
  const z = 1.959964;
  const se = Math.sqrt(a.count / a.seconds ** 2 + b.count / b.seconds ** 2);
  return { delta: rb - ra, low: rb - ra - z * se, high: rb - ra + z * se };
}
