import { describe, it, expect } from 'vitest';
import { arrivalRate } from '../../src/load/arrival-rate.js';
import { rampingArrivalRate, type RampingArrivalRateConfig, type Stage } from '../../src/load/ramping-arrival-rate.js';
import type { RunShape } from '../../src/load/executor.js';
import { splitEven } from '../../src/engine/coordinator.js';
import type { OpenSchedule } from '../../src/load/schedule.js';

const run = (devices: number): RunShape => ({ devices, inFlight: 100, holdMs: 1000 });
const open = (s: ReturnType<typeof arrivalRate.schedule>): OpenSchedule => {
  if (s.kind !== 'open') throw new Error('expected an open schedule');
  return s;
};
const ramp = (stages: Stage[], startRate = 0): RampingArrivalRateConfig => ({
  executor: 'ramping-arrival-rate',
  startRate,
  stages,
  durationMs: undefined,
});
const rampSchedule = (c: RampingArrivalRateConfig, devices: number): OpenSchedule =>
  open(rampingArrivalRate.schedule(c, run(devices)));

const all = (s: OpenSchedule): number[] => {
  const out: number[] = [];
  const it = s.offsets();
  for (let n = it.next(); !n.done; n = it.next()) out.push(n.value);
  return out;
};

describe('arrival-rate schedule', () => {
  it('spaces attempts 1/rate apart and stops at the device count', () => {
    const s = open(arrivalRate.schedule({ executor: 'arrival-rate', rate: 200, durationMs: undefined }, run(5)));
    expect(all(s)).toEqual([0, 5, 10, 15, 20]);
    expect(s.total).toBe(5);
    expect(s.spanMs).toBe(20);
  });
  it('truncates by duration', () => {
    const s = open(arrivalRate.schedule({ executor: 'arrival-rate', rate: 100, durationMs: 2000 }, run(1000)));
    expect(s.total).toBe(200);
    expect(all(s).at(-1)).toBeLessThan(2000);
  });
  it('reports every configuration problem', () => {
    expect(
      arrivalRate.validate({ executor: 'arrival-rate', rate: 0, durationMs: -1 }, run(10)).map((p) => p.path),
    ).toEqual([['rate'], ['duration']]);
  });
});

describe('ramping-arrival-rate schedule', () => {
  it('integrates a linear ramp: 0→100/s over 2 s gives 100 arrivals, denser at the end', () => {
    const s = rampSchedule(ramp([{ durationMs: 2000, target: 100 }]), 10_000);
    const o = all(s);
    expect(o.length).toBe(100);
    expect(s.total).toBe(100);
    // arrivals in the second half outnumber the first half 3:1 for a linear ramp from 0
    const firstHalf = o.filter((t) => t < 1000).length;
    expect(firstHalf).toBe(25);
    for (let i = 1; i < o.length; i++) expect(o[i]!).toBeGreaterThanOrEqual(o[i - 1]!);
  });
  it('holds a plateau at the stage target', () => {
    const s = rampSchedule(
      ramp(
        [
          { durationMs: 1000, target: 50 },
          { durationMs: 1000, target: 50 },
        ],
        50,
      ),
      1000,
    );
    const o = all(s);
    expect(o.length).toBe(100);
    expect(o[1]! - o[0]!).toBeCloseTo(20, 6);
    expect(o[60]!).toBeCloseTo(1200, 6);
  });
  it('rejects a ramp that never connects anyone, and bad stages', () => {
    expect(rampingArrivalRate.validate(ramp([{ durationMs: 1000, target: 0 }]), run(1))[0]?.message).toMatch(
      /target 0/,
    );
    expect(rampingArrivalRate.validate(ramp([{ durationMs: 0, target: -1 }]), run(1)).map((p) => p.path)).toEqual([
      ['stages', 0, 'duration'],
      ['stages', 0, 'target'],
    ]);
  });
});

describe('splitEven', () => {
  it('splits n into k parts differing by at most one', () => {
    expect(splitEven(10, 3)).toEqual([4, 3, 3]);
    expect(splitEven(2, 4)).toEqual([1, 1, 0, 0]);
  });
});
