import { describe, it, expect } from 'vitest';
import { arrivalRateSchedule, validateArrivalRate } from '../../src/load/arrival-rate.js';
import { rampingArrivalRateSchedule, validateRampingArrivalRate } from '../../src/load/ramping-arrival-rate.js';
import { splitEven } from '../../src/engine/coordinator.js';
import type { OpenSchedule } from '../../src/load/schedule.js';

const all = (s: OpenSchedule): number[] => {
  const out: number[] = [];
  const it = s.offsets();
  for (let n = it.next(); !n.done; n = it.next()) out.push(n.value);
  return out;
};

describe('arrival-rate schedule', () => {
  it('spaces attempts 1/rate apart and stops at the device count', () => {
    const s = arrivalRateSchedule({ executor: 'arrival-rate', rate: 200, count: 5 });
    expect(all(s)).toEqual([0, 5, 10, 15, 20]);
    expect(s.total).toBe(5);
    expect(s.spanMs).toBe(20);
  });
  it('truncates by duration', () => {
    const s = arrivalRateSchedule({ executor: 'arrival-rate', rate: 100, count: 1000, durationMs: 2000 });
    expect(s.total).toBe(200);
    expect(all(s).at(-1)).toBeLessThan(2000);
  });
  it('reports every configuration problem', () => {
    expect(
      validateArrivalRate({ executor: 'arrival-rate', rate: 0, count: 0, durationMs: -1 }).map((p) => p.path),
    ).toEqual(['load.rate', 'load.count', 'load.duration']);
  });
});

describe('ramping-arrival-rate schedule', () => {
  it('integrates a linear ramp: 0→100/s over 2 s gives 100 arrivals, denser at the end', () => {
    const s = rampingArrivalRateSchedule({
      executor: 'ramping-arrival-rate',
      stages: [{ durationMs: 2000, target: 100 }],
      count: 10_000,
    });
    const o = all(s);
    expect(o.length).toBe(100);
    expect(s.total).toBe(100);
    // arrivals in the second half outnumber the first half 3:1 for a linear ramp from 0
    const firstHalf = o.filter((t) => t < 1000).length;
    expect(firstHalf).toBe(25);
    for (let i = 1; i < o.length; i++) expect(o[i]!).toBeGreaterThanOrEqual(o[i - 1]!);
  });
  it('holds a plateau at the stage target', () => {
    const s = rampingArrivalRateSchedule({
      executor: 'ramping-arrival-rate',
      startRate: 50,
      stages: [
        { durationMs: 1000, target: 50 },
        { durationMs: 1000, target: 50 },
      ],
      count: 1000,
    });
    const o = all(s);
    expect(o.length).toBe(100);
    expect(o[1]! - o[0]!).toBeCloseTo(20, 6);
    expect(o[60]!).toBeCloseTo(1200, 6);
  });
  it('rejects a ramp that never connects anyone, and bad stages', () => {
    expect(
      validateRampingArrivalRate({
        executor: 'ramping-arrival-rate',
        stages: [{ durationMs: 1000, target: 0 }],
        count: 1,
      })[0]?.message,
    ).toMatch(/target 0/);
    expect(
      validateRampingArrivalRate({
        executor: 'ramping-arrival-rate',
        stages: [{ durationMs: 0, target: -1 }],
        count: 1,
      }).map((p) => p.path),
    ).toEqual(['load.stages[0].duration', 'load.stages[0].target']);
  });
});

describe('splitEven', () => {
  it('splits n into k parts differing by at most one', () => {
    expect(splitEven(10, 3)).toEqual([4, 3, 3]);
    expect(splitEven(2, 4)).toEqual([1, 1, 0, 0]);
  });
});
