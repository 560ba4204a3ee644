import { describe, it, expect } from 'vitest';
import {
  BreakpointSearch,
  BREAKPOINT_DEFAULTS,
  confirmDurationMs,
  roundRate,
  stepDurationMs,
  validateBreakpoint,
  type BreakpointConfig,
  type PlannedStep,
  type SearchResult,
} from '../../src/capacity/search.js';

const config = (o: Partial<BreakpointConfig> = {}): BreakpointConfig => ({
  ...BREAKPOINT_DEFAULTS,
  stepMs: undefined,
  ...o,
});

interface Model {
  /** does a step at this rate hold its SLOs? */
  holds(step: PlannedStep): boolean;
  saturatedAbove?: number;
  insecure?: boolean;
}

const OVERHEAD_MS = 1500;

/** Runs a search against a model broker, accounting time as the real runner does. */
function search(c: BreakpointConfig, m: Model): { steps: PlannedStep[]; result: SearchResult; elapsedMs: number } {
  const s = new BreakpointSearch(c);
  const steps: PlannedStep[] = [];
  let elapsedMs = 0;
  for (let i = 0; i < 100; i++) {
    const d = s.next(elapsedMs, OVERHEAD_MS);
    if ('done' in d) return { steps, result: d.done, elapsedMs };
    steps.push(d.step);
    elapsedMs += d.step.durationMs + OVERHEAD_MS;
    const saturated = m.saturatedAbove !== undefined && d.step.rate > m.saturatedAbove;
    s.record({ rate: d.step.rate, kind: d.step.kind, ok: m.holds(d.step), saturated, insecure: m.insecure === true });
  }
  throw new Error('the search did not end in 100 steps');
}

const knee = (k: number): Model => ({ holds: (st) => st.rate <= k });

describe('breakpoint search', () => {
  it('ramps geometrically, bisects to the precision and confirms the knee', () => {
    const { steps, result, elapsedMs } = search(config(), knee(337));
    expect(steps.slice(0, 4).map((s) => [s.rate, s.kind])).toEqual([
      [50, 'ramp'],
      [100, 'ramp'],
      [200, 'ramp'],
      [400, 'ramp'],
    ]);
    expect(steps.slice(4, -1).every((s) => s.kind === 'bisect')).toBe(true);
    expect(steps.at(-1)).toMatchObject({ kind: 'confirm', rate: result.maxRate });
    expect(steps.at(-1)!.durationMs).toBeGreaterThan(steps[3]!.durationMs);
    expect(result).toMatchObject({ limitedBy: 'slo', confirmed: true, atLeast: false });
    expect(result.maxRate!).toBeLessThanOrEqual(337);
    expect(result.ceiling!).toBeGreaterThan(337);
    expect(result.ceiling! / result.maxRate!).toBeLessThanOrEqual(1.1);
    expect(elapsedMs).toBeLessThanOrEqual(BREAKPOINT_DEFAULTS.budgetMs);
  });

  it('finds knees anywhere in the range within the precision', () => {
    for (const k of [3, 17, 99, 101, 640, 1234, 7777]) {
      const { result } = search(config({ startRate: 50 }), knee(k));
      expect(result.limitedBy, `knee ${k}`).toBe('slo');
      expect(result.maxRate!, `knee ${k}`).toBeLessThanOrEqual(k);
      expect(result.maxRate!, `knee ${k}`).toBeGreaterThanOrEqual(k / 1.11);
    }
  });

  it('stops at the maximum rate: the answer is "at least"', () => {
    const { steps, result } = search(config({ maxRate: 300 }), knee(1e9));
    expect(steps.map((s) => s.rate)).toEqual([50, 100, 200, 300, 300]);
    expect(result).toEqual({ maxRate: 300, ceiling: null, limitedBy: 'max_rate', confirmed: true, atLeast: true });
  });

  it('never spends more than the budget, and says the budget ran out before a knee', () => {
    for (const budgetMs of [5_000, 12_000, 20_000, 45_000]) {
      const { result, elapsedMs } = search(config({ budgetMs, maxRate: 1e6 }), knee(1e9));
      expect(elapsedMs).toBeLessThanOrEqual(budgetMs);
      expect(result.limitedBy, `budget ${budgetMs}`).toBe('budget');
      expect(result.atLeast).toBe(true);
    }
    // a knee bracketed but not confirmed in time is still the knee, unconfirmed
    const { result } = search(config({ budgetMs: 31_000 }), knee(337));
    expect(result.limitedBy).toBe('slo');
    expect(result.ceiling).not.toBeNull();
  });

  it('a saturated generator is retried once, then ends the search with "at least" the last rate that held', () => {
    const { steps, result } = search(config(), { ...knee(1e9), saturatedAbove: 150 });
    expect(steps.map((s) => [s.rate, s.kind])).toEqual([
      [50, 'ramp'],
      [100, 'ramp'],
      [200, 'ramp'],
      [200, 'retry'],
    ]);
    expect(result).toEqual({ maxRate: 100, ceiling: null, limitedBy: 'generator', confirmed: false, atLeast: true });
  });

  it('steps down when the first rate already breaks', () => {
    const { steps, result } = search(config({ startRate: 50 }), knee(12));
    expect(steps.slice(0, 3).map((s) => s.rate)).toEqual([50, 25, 13]);
    expect(result.maxRate!).toBeLessThanOrEqual(12);
    expect(result.maxRate!).toBeGreaterThanOrEqual(12 / 1.11);
    expect(result.confirmed).toBe(true);
  });

  it('no rate holds: no maximum, limited by the SLO', () => {
    const { result } = search(config({ startRate: 8 }), knee(0));
    expect(result).toMatchObject({ maxRate: null, limitedBy: 'slo', atLeast: false, confirmed: false });
  });

  it('a confirmation that breaks lowers the rate and confirms again', () => {
    // short steps hold up to 340/s, but a long hold only up to 300/s
    const m: Model = { holds: (st) => st.rate <= (st.kind === 'confirm' ? 300 : 340) };
    const { steps, result } = search(config(), m);
    const confirms = steps.filter((s) => s.kind === 'confirm');
    expect(confirms.length).toBeGreaterThanOrEqual(2);
    expect(confirms[1]!.rate).toBeLessThan(confirms[0]!.rate);
    expect(result.confirmed).toBe(true);
    expect(result.maxRate!).toBeLessThanOrEqual(300);
    expect(result.maxRate!).toBeGreaterThanOrEqual(300 / 1.11);
  });

  it('stops at once when the broker accepts a credential it must reject', () => {
    const { steps, result } = search(config(), { ...knee(1e9), insecure: true });
    expect(steps.length).toBe(1);
    expect(result.limitedBy).toBe('insecure');
  });

  it('sizes steps for enough attempts, within bounds', () => {
    expect(stepDurationMs({ stepMs: undefined }, 10)).toBe(10_000);
    expect(stepDurationMs({ stepMs: undefined }, 100)).toBe(3_000);
    expect(stepDurationMs({ stepMs: undefined }, 60)).toBe(5_000);
    expect(stepDurationMs({ stepMs: 4_000 }, 60)).toBe(4_000);
    expect(confirmDurationMs({ stepMs: undefined }, 1000)).toBe(6_000);
    expect(confirmDurationMs({ stepMs: 20_000 }, 1000)).toBe(30_000);
    expect([roundRate(336.4), roundRate(6.51), roundRate(0.01)]).toEqual([336, 6.5, 0.1]);
  });

  it('reports every configuration problem at once', () => {
    const problems = validateBreakpoint({
      startRate: 0,
      maxRate: -1,
      minRate: 0,
      factor: 1,
      precision: 2,
      stepMs: 10,
      budgetMs: 0,
    });
    expect(problems.map((p) => p.path)).toEqual([
      'capacity.start_rate',
      'capacity.max_rate',
      'capacity.min_rate',
      'capacity.factor',
      'capacity.precision',
      'capacity.step',
      'capacity.budget',
    ]);
    expect(validateBreakpoint(config({ startRate: 500, maxRate: 100 }))[0]?.message).toMatch(/above the maximum rate/);
  });
});
