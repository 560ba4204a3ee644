/**
 * The per-second time series of a run, bounded in size. Points sit on whole wall-clock
 * seconds (so shards merge by clock), `resolution` seconds wide; once there are more than
 * `maxPoints`, neighbours are merged and the resolution doubles (1 s → 2 s → 4 s …).
 *
 * A run with traffic adds message counts to every point (published, delivered, late, lost:
 * see MessagePoint); they add up exactly over downsampling and shards.
 *
 * p50/p99 are exact for a point built from its own histogram. Points merged later (by
 * downsampling or across shards) carry an approximation: p50 weighted by connects, p99 the
 * larger of the two (never lower than the truth of either part).
 */
import { addInto, addSparse, createHistogram, percentileMs, type Hdr, type SparseHistogram } from './hdr.js';
import type { SeriesPoint, TimeSeries } from '../model/summary.js';
import { round } from '../util/numbers.js';

/** A point's message counts, summed over every stream (the optional fields of SeriesPoint). */
export interface MessagePoint {
  published: number;
  delivered: number;
  late: number;
  lost: number;
}

const MESSAGE_FIELDS = ['published', 'delivered', 'late', 'lost'] as const;

export interface SeriesCounts {
  attempts: number;
  connected: number;
  failed: number;
  rejected: number;
  unexpected: number;
  failures: readonly (readonly [string, number])[];
}

interface OpenSlot {
  point: SeriesPoint;
  hist: Hdr;
}

const DEFAULT_MAX_POINTS = 3600;

function emptyPoint(t: number, traffic = false): SeriesPoint {
  const p: SeriesPoint = {
    t,
    attempts: 0,
    connected: 0,
    failed: 0,
    rejected: 0,
    unexpected: 0,
    active: 0,
    p50: null,
    p99: null,
    failures: {},
  };
  if (traffic) for (const k of MESSAGE_FIELDS) p[k] = 0;
  return p;
}

/** Adds message counts into a point (in place), making its message fields when it has none. */
function addMessagesInto(a: SeriesPoint, b: Partial<MessagePoint>): void {
  for (const k of MESSAGE_FIELDS) {
    const n = b[k];
    if (n !== undefined) a[k] = (a[k] ?? 0) + n;
  }
}

/** Adds b's counters into a (in place); `active` by max (same source) or sum (parallel sources). */
function mergePointInto(a: SeriesPoint, b: SeriesPoint, active: 'max' | 'sum'): void {
  if (b.p50 !== null) {
    a.p50 =
      a.p50 === null || a.connected + b.connected === 0
        ? b.p50
        : (a.p50 * a.connected + b.p50 * b.connected) / (a.connected + b.connected);
    a.p50 = round(a.p50);
  }
  if (b.p99 !== null) a.p99 = a.p99 === null ? b.p99 : Math.max(a.p99, b.p99);
  a.attempts += b.attempts;
  a.connected += b.connected;
  a.failed += b.failed;
  a.rejected += b.rejected;
  a.unexpected += b.unexpected;
  a.active = active === 'max' ? Math.max(a.active, b.active) : a.active + b.active;
  for (const [reason, n] of Object.entries(b.failures)) a.failures[reason] = (a.failures[reason] ?? 0) + n;
  addMessagesInto(a, b);
}

/** Re-buckets points to a coarser resolution (a multiple of the current one), in order. */
function coarsen(points: readonly SeriesPoint[], resolution: number): SeriesPoint[] {
  const out: SeriesPoint[] = [];
  for (const p of points) {
    const t = Math.floor(p.t / resolution) * resolution;
    let last = out[out.length - 1];
    if (last === undefined || last.t !== t) {
      last = emptyPoint(t);
      out.push(last);
    }
    mergePointInto(last, p, 'max');
  }
  return out;
}

export class SeriesBuilder {
  readonly #startSec: number;
  readonly #maxPoints: number;
  readonly #openSeconds: number;
  readonly #open = new Map<number, OpenSlot>();
  readonly #pool: Hdr[] = [];
  #points: SeriesPoint[] = [];
  #resolution = 1;
  readonly #traffic: boolean;
  /** slots starting before this (seconds from start) are closed */
  #closedBefore = 0;

  /**
   * `openSeconds`: how long a slot waits for late deltas from slower workers; `traffic`: the
   * run has traffic, so every point carries message counts (0 when nothing happened in it).
   */
  constructor(startMs: number, options: { maxPoints?: number; openSeconds?: number; traffic?: boolean } = {}) {
    this.#startSec = Math.floor(startMs / 1000);
    this.#maxPoints = Math.max(2, options.maxPoints ?? DEFAULT_MAX_POINTS);
    this.#openSeconds = options.openSeconds ?? 3;
    this.#traffic = options.traffic === true;
  }

  get resolution(): number {
    return this.#resolution;
  }

  /**
   * Adds one worker delta that ended at wall-clock `toMs`. A delta for a slot already closed
   * goes to the oldest open one (it arrived more than `openSeconds` late).
   */
  add(toMs: number, counts: SeriesCounts, connect: SparseHistogram | undefined, activeTotal: number): void {
    const sec = Math.max(0, Math.floor(toMs / 1000) - this.#startSec);
    const slot = this.#slot(Math.max(sec, this.#closedBefore));
    const p = slot.point;
    p.attempts += counts.attempts;
    p.connected += counts.connected;
    p.failed += counts.failed;
    p.rejected += counts.rejected;
    p.unexpected += counts.unexpected;
    p.active = Math.max(p.active, activeTotal);
    for (const [reason, n] of counts.failures) p.failures[reason] = (p.failures[reason] ?? 0) + n;
    if (connect !== undefined) addSparse(slot.hist, connect);
    this.#closeUpTo(sec - this.#openSeconds);
  }

  /**
   * Adds message counts that ended at wall-clock `toMs` (summed over streams), in the same
   * slot a connect delta ending then would go to.
   */
  addMessages(toMs: number, m: Partial<MessagePoint>): void {
    const sec = Math.max(0, Math.floor(toMs / 1000) - this.#startSec);
    addMessagesInto(this.#slot(Math.max(sec, this.#closedBefore)).point, m);
    this.#closeUpTo(sec - this.#openSeconds);
  }

  /** The series so far, open slots included (they stay open). */
  series(): TimeSeries {
    const open = [...this.#open.values()].sort((a, b) => a.point.t - b.point.t).map((s) => this.#finish(s, false));
    return {
      start: new Date(this.#startSec * 1000).toISOString(),
      resolution: this.#resolution,
      points: [...this.#points, ...open],
    };
  }

  #slot(sec: number): OpenSlot {
    const t = Math.floor(sec / this.#resolution) * this.#resolution;
    let slot = this.#open.get(t);
    if (slot === undefined) {
      const hist = this.#pool.pop() ?? createHistogram('interval');
      slot = { point: emptyPoint(t, this.#traffic), hist };
      this.#open.set(t, slot);
    }
    return slot;
  }

  /** Closes every slot that ends at or before `sec`. */
  #closeUpTo(sec: number): void {
    const closable = [...this.#open.keys()].filter((t) => t + this.#resolution <= sec).sort((a, b) => a - b);
    for (const t of closable) {
      const slot = this.#open.get(t) as OpenSlot;
      this.#open.delete(t);
      const point = this.#finish(slot, true);
      const last = this.#points[this.#points.length - 1];
      // after a halving, the slot holding late deltas can share its time with a closed point
      if (last !== undefined && last.t === point.t) mergePointInto(last, point, 'max');
      else this.#points.push(point);
      this.#closedBefore = Math.max(this.#closedBefore, t + this.#resolution);
    }
    while (this.#points.length > this.#maxPoints) this.#halve();
  }

  #finish(slot: OpenSlot, release: boolean): SeriesPoint {
    const point = { ...slot.point, failures: { ...slot.point.failures } };
    point.p50 = percentileMs(slot.hist, 50);
    point.p99 = percentileMs(slot.hist, 99);
    if (release) {
      slot.hist.reset();
      this.#pool.push(slot.hist);
    }
    return point;
  }

  /**
   * Doubles the resolution: closed points merge pairwise (approximate percentiles), open
   * slots that now share a slot merge their histograms (exact).
   */
  #halve(): void {
    this.#resolution *= 2;
    this.#points = coarsen(this.#points, this.#resolution);
    const open = [...this.#open.values()].sort((a, b) => a.point.t - b.point.t);
    this.#open.clear();
    for (const s of open) {
      const t = Math.floor(s.point.t / this.#resolution) * this.#resolution;
      const target = this.#open.get(t);
      if (target === undefined) {
        s.point.t = t;
        this.#open.set(t, s);
        continue;
      }
      mergePointInto(target.point, s.point, 'max'); // p50/p99 are recomputed from the histogram
      addInto(target.hist, s.hist);
      s.hist.reset();
      this.#pool.push(s.hist);
    }
  }
}

/**
 * Merges series of runs that ran side by side (shards), aligned by wall clock: the
 * coarsest resolution wins, counters add up, `active` adds up (shards hold their own
 * connections), p50/p99 merge as described at the top of this file.
 */
export function mergeSeries(list: readonly TimeSeries[], maxPoints = DEFAULT_MAX_POINTS): TimeSeries | undefined {
  if (list.length === 0) return undefined;
  const starts = list.map((s) => Math.floor(Date.parse(s.start) / 1000));
  const start = Math.min(...starts);
  let resolution = Math.max(...list.map((s) => s.resolution));
  const slots = new Map<number, SeriesPoint>();
  list.forEach((s, i) => {
    const shift = (starts[i] ?? start) - start;
    const shifted = s.points.map((p) => ({ ...p, failures: { ...p.failures }, t: p.t + shift }));
    for (const p of coarsen(shifted, resolution)) {
      const slot = slots.get(p.t);
      if (slot === undefined) slots.set(p.t, p);
      else mergePointInto(slot, p, 'sum');
    }
  });
  let points = [...slots.values()].sort((a, b) => a.t - b.t);
  while (points.length > Math.max(2, maxPoints)) {
    resolution *= 2;
    points = coarsen(points, resolution);
  }
  return { start: new Date(start * 1000).toISOString(), resolution, points };
}
