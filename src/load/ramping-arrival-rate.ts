/**
 * `ramping-arrival-rate`: the arrival rate moves linearly from one stage's target to the
 * next (k6's executor of the same name). Attempt k starts when the integral of the rate
 * reaches k.
 */
import type { ConfigProblem, OpenSchedule } from './schedule.js';

export interface Stage {
  durationMs: number;
  /** connects per second reached at the end of the stage */
  target: number;
}

export interface RampingArrivalRateConfig {
  executor: 'ramping-arrival-rate';
  /** rate at the start of the first stage (default 0) */
  startRate?: number | undefined;
  stages: Stage[];
  count: number;
  /** cut the schedule after this long (ms) */
  durationMs?: number | undefined;
}

export function validateRampingArrivalRate(c: RampingArrivalRateConfig, path = 'load'): ConfigProblem[] {
  const p: ConfigProblem[] = [];
  if (c.stages.length === 0) p.push({ path: `${path}.stages`, message: 'expected at least one stage' });
  c.stages.forEach((s, i) => {
    if (!(s.durationMs > 0)) p.push({ path: `${path}.stages[${i}].duration`, message: 'expected a duration above 0' });
    if (!(s.target >= 0) || !Number.isFinite(s.target))
      p.push({ path: `${path}.stages[${i}].target`, message: 'expected a rate of 0/s or more' });
  });
  if ((c.startRate ?? 0) < 0) p.push({ path: `${path}.start_rate`, message: 'expected a rate of 0/s or more' });
  if (!Number.isInteger(c.count) || c.count < 1)
    p.push({ path: `${path}.count`, message: 'expected a positive number of devices' });
  if (p.length === 0 && c.stages.every((s) => s.target === 0) && (c.startRate ?? 0) === 0)
    p.push({ path: `${path}.stages`, message: 'every stage has target 0: nothing would connect' });
  return p;
}

/** Arrivals (possibly fractional) scheduled in a stage going from r0 to r1 over d ms. */
function stageArrivals(r0: number, r1: number, dMs: number): number {
  return ((r0 + r1) / 2) * (dMs / 1000);
}

/** Time (ms into the stage) at which `a` arrivals have accumulated. */
function timeForArrivals(r0: number, r1: number, dMs: number, a: number): number {
  const d = dMs / 1000;
  const slope = (r1 - r0) / d;
  if (Math.abs(slope) < 1e-12) return (a / r0) * 1000;
  // r0 t + slope t²/2 = a
  const disc = r0 * r0 + 2 * slope * a;
  const t = (-r0 + Math.sqrt(Math.max(0, disc))) / slope;
  return Math.min(d, Math.max(0, t)) * 1000;
}

export function rampingArrivalRateSchedule(c: RampingArrivalRateConfig): OpenSchedule {
  let acc = 0;
  let r = c.startRate ?? 0;
  const stages = c.stages.map((s) => {
    const st = { start: acc, r0: r, r1: s.target, d: s.durationMs, n: stageArrivals(r, s.target, s.durationMs) };
    r = s.target;
    acc += s.durationMs;
    return st;
  });
  const cut = c.durationMs ?? Infinity;
  const all = function* (): Generator<number> {
    let k = 0;
    let before = 0; // arrivals accumulated before the current stage
    for (const s of stages) {
      while (k < c.count && k < before + s.n - 1e-9) {
        const t = s.start + timeForArrivals(s.r0, s.r1, s.d, k - before);
        if (t >= cut) return;
        yield t;
        k++;
      }
      before += s.n;
    }
  };
  let total = 0;
  let spanMs = 0;
  for (const o of all()) {
    total++;
    spanMs = o;
  }
  const offsets = all;
  return { kind: 'open', total, spanMs, offsets };
}
