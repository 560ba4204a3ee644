/**
 * Thin helpers over hdr-histogram-js. Every histogram in mqtt-herd holds MICROseconds,
 * from 1 µs to 1 hour at 3 significant digits, so any two of them merge exactly
 * (same bucket layout: adding counts index by index).
 *
 * Implementation choice, measured on Node 20 (2M log-normal values, 1 ms … 100 ms):
 * recordValue costs ~75 ns with the Int32 and Float64 JS histograms, ~80 ns with Int16,
 * ~480 ns with the packed one. Workers use Int32 (an interval never gets near 2^31 counts
 * in one bucket); cumulative histograms use Float64 so they cannot overflow in a soak.
 * WebAssembly (~21 ns) would need async init and explicit destroy(); at five values per
 * connection the JS cost is noise next to a TLS handshake.
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, JsHistogram } from 'hdr-histogram-js';
import { DURATION_BUCKETS_S } from '../model/names.js';
import type { LatencyStats } from '../model/summary.js';

const HDR_LOWEST_US = 1;
export const HDR_HIGHEST_US = 3_600_000_000;
const HDR_DIGITS = 3;

export type Hdr = JsHistogram;

/** An interval histogram (Int32 counts) for a worker, or a cumulative one (Float64 counts). */
export function createHistogram(kind: 'interval' | 'cumulative' = 'interval'): Hdr {
  const h = build({
    bitBucketSize: kind === 'interval' ? 32 : 64,
    lowestDiscernibleValue: HDR_LOWEST_US,
    highestTrackableValue: HDR_HIGHEST_US,
    numberOfSignificantValueDigits: HDR_DIGITS,
    autoResize: false,
    useWebAssembly: false,
  });
  if (!(h instanceof JsHistogram)) throw new Error('hdr-histogram-js returned a non-JS histogram');
  return h;
}

/** Records one duration; negative values count as 0, values beyond 1 hour as 1 hour. */
export function recordMicros(h: Hdr, micros: number): void {
  const v = micros > 0 ? (micros < HDR_HIGHEST_US ? Math.round(micros) : HDR_HIGHEST_US) : 0;
  h.recordValue(v);
}

/** Base64 of the compressed HDR encoding (the format HdrHistogram uses in every language). */
export function encodeHistogram(h: Hdr): string {
  return encodeIntoCompressedBase64(h);
}

/** Decodes a compressed base64 histogram into a cumulative (Float64) histogram. Throws on garbage. */
export function decodeHistogram(base64: string): Hdr {
  if (base64.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) throw new Error('not base64');
  const h = decodeFromCompressedBase64(base64, 64, false);
  if (!(h instanceof JsHistogram)) throw new Error('decoded a non-JS histogram');
  return h;
}

/** Adds every count of `source` into `target` (exact for histograms made here). */
export function addInto(target: Hdr, source: Hdr): void {
  if (source.totalCount === 0) return;
  target.add(source);
}

/**
 * The non-zero buckets of a histogram as [index, count, index, count, ...]: the compact form
 * a worker sends to the coordinator. Cheaper than the compressed encoding on both sides
 * (measured per phase-second: ~50 µs to build vs ~110 µs to encode, ~9 µs to add vs ~90 µs
 * to decode and add) at the price of bytes that never leave the process (~8 bytes a bucket).
 */
export interface SparseHistogram {
  pairs: Uint32Array;
  total: number;
}

export function toSparse(h: Hdr): SparseHistogram | null {
  const total = h.totalCount;
  if (total === 0) return null;
  // value 0 lives at index 0 and is not tracked by minNonZeroValue
  const from = h.getCountAtIndex(0) !== 0 ? 0 : h.countsArrayIndex(h.minNonZeroValue);
  const to = Math.min(h.countsArrayIndex(h.maxValue), h.countsArrayLength - 1);
  let nonZero = 0;
  for (let i = from; i <= to; i++) if (h.getCountAtIndex(i) !== 0) nonZero++;
  const pairs = new Uint32Array(nonZero * 2);
  let k = 0;
  for (let i = from; i <= to; i++) {
    const c = h.getCountAtIndex(i);
    if (c !== 0) {
      pairs[k++] = i;
      pairs[k++] = c;
    }
  }
  return { pairs, total };
}

/** Adds a sparse histogram (from toSparse on a histogram made here) into `target`, exactly. */
export function addSparse(target: Hdr, sparse: SparseHistogram): void {
  const { pairs } = sparse;
  let total = 0;
  let lo = -1;
  let hi = -1;
  for (let k = 0; k + 1 < pairs.length; k += 2) {
    const index = pairs[k] as number;
    const count = pairs[k + 1] as number;
    if (index >= target.countsArrayLength) throw new RangeError(`histogram bucket ${index} out of range`);
    target.addToCountAtIndex(index, count);
    total += count;
    if (lo < 0) lo = index;
    hi = index;
  }
  if (total === 0) return;
  target.setTotalCount(target.totalCount + total);
  target.updateMinAndMax(target.valueFromIndex(hi));
  const low = target.valueFromIndex(lo);
  if (low !== 0) target.updateMinAndMax(low);
}

/** Milliseconds, rounded to the microsecond. */
const ms = (micros: number): number => Math.round(micros) / 1000;

/**
 * Count, mean and percentiles in milliseconds. Computed from the bucket counts only (not
 * from the tracked min/max), so a histogram and its decoded or merged copies agree exactly.
 * An empty histogram gives zeros with count 0.
 */
export function latencyStats(h: Hdr): LatencyStats {
  const count = h.totalCount;
  if (count === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  return {
    count,
    min: ms(h.lowestEquivalentValue(h.getValueAtPercentile(0))),
    mean: ms(h.mean),
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.getValueAtPercentile(100)),
  };
}

/** Value at a percentile (0–100) in milliseconds, or null when the histogram is empty. */
export function percentileMs(h: Hdr, percentile: number): number | null {
  return h.totalCount === 0 ? null : ms(h.getValueAtPercentile(percentile));
}

export interface PromHistogram {
  /** upper bounds in seconds, as given */
  bounds: readonly number[];
  /** cumulative count of values <= each bound (the `le` buckets, without +Inf) */
  cumulative: number[];
  /** total count (the +Inf bucket) */
  count: number;
  /** sum in seconds (from bucket midpoints: within 0.1% of the true sum) */
  sum: number;
}

/**
 * Cumulative Prometheus buckets for a histogram. A recorded HDR bucket counts under `le`
 * when its lowest equivalent value is <= the bound, so a value recorded exactly at a bound
 * lands in that bucket; a bound that falls inside an HDR bucket (resolution 0.1%) takes
 * the whole HDR bucket.
 */
export function prometheusBuckets(h: Hdr, boundsS: readonly number[] = DURATION_BUCKETS_S): PromHistogram {
  const bounds = boundsS.map((b) => Math.round(b * 1e6));
  const cumulative = new Array<number>(bounds.length).fill(0);
  let sumMicros = 0;
  const count = h.totalCount;
  if (count > 0) {
    const to = Math.min(h.countsArrayIndex(h.maxValue), h.countsArrayLength - 1);
    let b = 0;
    let below = 0;
    for (let i = 0; i <= to; i++) {
      const c = h.getCountAtIndex(i);
      if (c === 0) continue;
      const low = h.valueFromIndex(i);
      while (b < bounds.length && low > (bounds[b] as number)) cumulative[b++] = below;
      below += c;
      sumMicros += c * h.medianEquivalentValue(low);
    }
    while (b < bounds.length) cumulative[b++] = below;
  }
  return { bounds: boundsS, cumulative, count, sum: sumMicros / 1e6 };
}
