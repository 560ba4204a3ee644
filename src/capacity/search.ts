/**
 * `breakpoint`: the search behind `herd capacity`. Geometric steps up (×factor) until a
 * step breaks an SLO, then bisection between the highest rate that held and the lowest
 * that broke until they are within `precision` of each other, then a longer hold at the
 * rate found to confirm it. Bounded by a maximum rate and a time budget.
 *
 * This is the policy only: it decides the next step from the outcomes so far and never
 * touches a broker, so it is tested against model brokers. src/engine/capacity.ts runs
 * the steps.
 */
import type { LimitedBy, StepKind } from '../model/capacity.js';

/** A problem in the search's configuration: the field path and what is wrong. */
export interface ConfigProblem {
  path: string;
  message: string;
}

export interface BreakpointConfig {
  /** connects per second of the first step */
  startRate: number;
  /** never step above this */
  maxRate: number;
  /** give up looking below this */
  minRate: number;
  /** geometric growth of the first phase (2: each step doubles the rate) */
  factor: number;
  /** bisection stops when the lowest failing rate is within this fraction of the highest passing one */
  precision: number;
  /** length of each step (ms); undefined: long enough for STEP_ATTEMPTS attempts, within STEP_MIN_MS…STEP_MAX_MS */
  stepMs: number | undefined;
  /** the whole search, wall clock (ms) */
  budgetMs: number;
}

/** Attempts a step aims for: enough that its p99 rests on a few values, not one. */
const STEP_ATTEMPTS = 300;
/** A step shorter than this cannot build a queue worth seeing: 10% over capacity for 3 s is a 300 ms backlog. */
const STEP_MIN_MS = 3_000;
export const STEP_MAX_MS = 10_000;
/** The confirming hold is this many times a step, within CONFIRM_MIN_MS…CONFIRM_MAX_MS. */
const CONFIRM_FACTOR = 2;
const CONFIRM_MIN_MS = 6_000;
const CONFIRM_MAX_MS = 30_000;

export const BREAKPOINT_DEFAULTS = {
  startRate: 50,
  maxRate: 10_000,
  minRate: 1,
  factor: 2,
  precision: 0.1,
  budgetMs: 180_000,
} as const;

export function validateBreakpoint(c: BreakpointConfig, path = 'capacity'): ConfigProblem[] {
  const p: ConfigProblem[] = [];
  const positive = (v: number): boolean => Number.isFinite(v) && v > 0;
  if (!positive(c.startRate)) p.push({ path: `${path}.start_rate`, message: 'expected a rate above 0/s' });
  if (!positive(c.maxRate)) p.push({ path: `${path}.max_rate`, message: 'expected a rate above 0/s' });
  else if (positive(c.startRate) && c.startRate > c.maxRate)
    p.push({
      path: `${path}.start_rate`,
      message: `the first step (${c.startRate}/s) is above the maximum rate (${c.maxRate}/s)`,
    });
  if (!positive(c.minRate)) p.push({ path: `${path}.min_rate`, message: 'expected a rate above 0/s' });
  if (!(Number.isFinite(c.factor) && c.factor > 1))
    p.push({ path: `${path}.factor`, message: 'expected a growth factor above 1' });
  if (!(Number.isFinite(c.precision) && c.precision > 0 && c.precision < 1))
    p.push({ path: `${path}.precision`, message: 'expected a fraction between 0 and 1' });
  if (c.stepMs !== undefined && !(c.stepMs >= 1000))
    p.push({ path: `${path}.step`, message: 'expected a step of at least 1s' });
  if (!(c.budgetMs > 0)) p.push({ path: `${path}.budget`, message: 'expected a time budget above 0' });
  return p;
}

/** How long a step at `rate` runs. */
export function stepDurationMs(c: Pick<BreakpointConfig, 'stepMs'>, rate: number): number {
  if (c.stepMs !== undefined) return c.stepMs;
  return Math.round(Math.min(STEP_MAX_MS, Math.max(STEP_MIN_MS, (STEP_ATTEMPTS / rate) * 1000)));
}

export function confirmDurationMs(c: Pick<BreakpointConfig, 'stepMs'>, rate: number): number {
  return Math.round(Math.min(CONFIRM_MAX_MS, Math.max(CONFIRM_MIN_MS, CONFIRM_FACTOR * stepDurationMs(c, rate))));
}

/** Rates as people write them: whole numbers from 10/s, one decimal below. */
export function roundRate(r: number): number {
  return r >= 10 ? Math.round(r) : Math.max(0.1, Math.round(r * 10) / 10);
}

export interface PlannedStep {
  rate: number;
  kind: StepKind;
  durationMs: number;
}

export interface StepOutcome {
  rate: number;
  kind: StepKind;
  /** every SLO held (and the rate was achieved) */
  ok: boolean;
  /** the generator was saturated: the step describes this machine, not the broker */
  saturated: boolean;
  /** the broker accepted a credential it must reject */
  insecure: boolean;
}

export interface SearchResult {
  /** highest rate that held (confirmed when `confirmed`); null when none did */
  maxRate: number | null;
  /** lowest rate that broke an SLO; null when none did */
  ceiling: number | null;
  limitedBy: LimitedBy;
  confirmed: boolean;
  /** the true maximum may be higher than maxRate: the search did not see the broker break */
  atLeast: boolean;
}

export type Decision = { step: PlannedStep } | { done: SearchResult };

/** The search's state: feed it outcomes (`record`), ask it for the next step (`next`). */
export class BreakpointSearch {
  /** highest rate that held (in long mode: held a confirming hold) */
  private lo: number | null = null;
  /** lowest rate that broke */
  private hi: number | null = null;
  /** rates that held a short step */
  private readonly passed: number[] = [];
  /** a confirming hold broke: from then on every step is a long hold */
  private long = false;
  private confirmedRate: number | null = null;
  private retried = false;
  private last: StepOutcome | undefined;
  private stopped: LimitedBy | undefined;

  constructor(readonly config: BreakpointConfig) {}

  record(o: StepOutcome): void {
    this.last = o;
    if (o.insecure || o.saturated) return; // a saturated step measured the generator: it neither passes nor breaks the broker
    const isLong = o.kind === 'confirm';
    if (o.ok) {
      if (isLong) this.confirmedRate = Math.max(this.confirmedRate ?? 0, o.rate);
      else this.passed.push(o.rate);
      if ((isLong || !this.long) && (this.lo === null || o.rate > this.lo)) this.lo = o.rate;
    } else {
      if (this.hi === null || o.rate < this.hi) this.hi = o.rate;
      if (isLong) {
        // the longer hold broke: short steps overrate this broker; search on with long holds only
        this.long = true;
        this.lo = this.confirmedRate !== null && this.confirmedRate < this.hi ? this.confirmedRate : null;
      }
    }
    if (this.lo !== null && this.hi !== null && this.lo >= this.hi) {
      // noise: a rate held above one that broke; trust the break
      const below = this.passed.filter((r) => r < this.hi!);
      this.lo = this.long || below.length === 0 ? null : Math.max(...below);
    }
  }

  /** The user stopped the search. */
  interrupt(): void {
    this.stopped = 'interrupted';
  }

  /**
   * The next step, or the result. `elapsedMs` is the time spent so far; `overheadMs` what
   * a step costs beyond its own duration (start-up, drain, settling), as measured.
   */
  next(elapsedMs: number, overheadMs: number): Decision {
    const c = this.config;
    const o = this.last;
    if (this.stopped !== undefined) return this.done(this.stopped);
    if (o?.insecure) return this.done('insecure');
    const remaining = c.budgetMs - elapsedMs;
    const cost = (ms: number): number => ms + overheadMs;
    if (o?.saturated) {
      // one retry: a single stall of a shared machine should not end the search
      const d = o.kind === 'confirm' ? confirmDurationMs(c, o.rate) : stepDurationMs(c, o.rate);
      if (!this.retried && cost(d) <= remaining) {
        this.retried = true;
        return this.step(o.rate, o.kind === 'confirm' ? 'confirm' : 'retry', d);
      }
      return this.done('generator');
    }
    if (this.long) return this.nextLong(remaining, cost);
    if (this.confirmedRate !== null && this.confirmedRate === this.lo) {
      return this.done(this.hi !== null ? 'slo' : this.lo >= c.maxRate ? 'max_rate' : 'budget');
    }

    // not bracketed yet: geometric steps
    if (this.hi === null) {
      const lo = this.lo;
      if (lo === null) return this.plan(roundRate(Math.min(c.startRate, c.maxRate)), 'ramp', remaining, cost);
      if (lo >= c.maxRate) return this.confirm(remaining, cost, 'max_rate');
      const up = roundRate(Math.min(c.maxRate, lo * c.factor));
      const d = stepDurationMs(c, up);
      if (cost(d) > remaining) return this.confirm(remaining, cost, 'budget');
      return this.step(up, 'ramp', d);
    }
    // the lowest rate broke: step down until something holds
    if (this.lo === null) {
      const down = roundRate(this.hi / c.factor);
      if (down < c.minRate || down >= this.hi) return this.done('slo');
      return this.plan(down, 'ramp', remaining, cost);
    }
    // bracketed: bisect (geometric mean) while the gap is wider than the precision,
    // keeping enough budget for the confirming hold
    const mid = this.mid(this.lo, this.hi);
    if (mid !== null) {
      // near the knee a step must be long enough to decide: 10% over capacity for 3 s is a
      // 300 ms backlog, for 6 s twice that — so bisection steps are as long as a confirming hold
      const d = confirmDurationMs(c, mid);
      if (cost(d) + cost(confirmDurationMs(c, this.lo)) <= remaining) return this.step(mid, 'bisect', d);
    }
    return this.confirm(remaining, cost, 'slo');
  }

  /** After a confirming hold broke: bracket and bisect again, every step a long hold. */
  private nextLong(remaining: number, cost: (ms: number) => number): Decision {
    const c = this.config;
    const hi = this.hi!;
    let rate: number | null;
    if (this.lo === null) {
      // two precisions below the break: a hold that breaks there is rarely far off
      rate = roundRate(hi / (1 + 2 * c.precision));
      if (rate < c.minRate || rate >= hi) return this.done('slo');
    } else {
      rate = this.mid(this.lo, hi);
      if (rate === null) return this.done('slo');
    }
    const d = confirmDurationMs(c, rate);
    if (cost(d) > remaining) return this.done('slo');
    return this.step(rate, 'confirm', d);
  }

  /** The geometric mean of a bracket wider than the precision, or null when it is narrow enough. */
  private mid(lo: number, hi: number): number | null {
    const m = roundRate(Math.sqrt(lo * hi));
    return hi / lo > 1 + this.config.precision && m > lo && m < hi ? m : null;
  }

  private confirm(remaining: number, cost: (ms: number) => number, why: LimitedBy): Decision {
    const lo = this.lo;
    if (lo === null) return this.done(why);
    const d = confirmDurationMs(this.config, lo);
    if (cost(d) > remaining) return this.done(why);
    return this.step(lo, 'confirm', d);
  }

  private plan(rate: number, kind: StepKind, remaining: number, cost: (ms: number) => number): Decision {
    const d = stepDurationMs(this.config, rate);
    if (cost(d) > remaining) return this.done('budget');
    return this.step(rate, kind, d);
  }

  private step(rate: number, kind: StepKind, durationMs: number): Decision {
    return { step: { rate, kind, durationMs } };
  }

  private done(why: LimitedBy): Decision {
    // after a broken confirmation without a long hold that held: the best short step well below the break, unconfirmed
    const fallback =
      this.long && this.hi !== null ? this.passed.filter((r) => r <= this.hi! / (1 + this.config.precision)) : [];
    const maxRate = this.lo ?? (fallback.length > 0 ? Math.max(...fallback) : null);
    // a knee needs a break above a rate that held; "budget" with a bracket is still a knee, unconfirmed
    const limitedBy: LimitedBy = why === 'budget' && this.hi !== null && maxRate !== null ? 'slo' : why;
    return {
      done: {
        maxRate,
        ceiling: this.hi,
        limitedBy,
        confirmed: maxRate !== null && this.confirmedRate === maxRate,
        atLeast:
          limitedBy === 'generator' ||
          limitedBy === 'max_rate' ||
          limitedBy === 'budget' ||
          limitedBy === 'interrupted',
      },
    };
  }
}
