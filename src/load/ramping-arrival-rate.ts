/**
 * `ramping-arrival-rate`: the arrival rate moves linearly from one stage's target to the
 * next (k6's executor of the same name). Attempt k starts when the integral of the rate
 * reaches k.
 */
import { UsageError } from '../errors.js';
import { check, refuseFlags, scenarioValue, type ConfigProblem, type Executor } from './executor.js';
import type { OpenSchedule } from './schedule.js';
import { openLoopPeak } from './arrival-rate.js';
import { round } from '../util/numbers.js';

export interface RampingArrivalRateConfig {
  executor: 'ramping-arrival-rate';
  /** rate at the start of the first stage */
  startRate: number;
  stages: Stage[];
  /** cut the schedule after this long (ms) */
  durationMs: number | undefined;
}

export interface Stage {
  durationMs: number;
  /** connects per second reached at the end of the stage */
  target: number;
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

/** Attempt k starts when the integral of the rate reaches k; at most `count`, cut at `durationMs`. */
function rampSchedule(c: RampingArrivalRateConfig, count: number): OpenSchedule {
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
      while (k < count && k < before + s.n - 1e-9) {
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

function validate(c: RampingArrivalRateConfig): ConfigProblem[] {
  const p: ConfigProblem[] = [];
  if (c.stages.length === 0) p.push({ path: ['stages'], message: 'expected at least one stage' });
  c.stages.forEach((s, i) => {
    check.duration(s.durationMs, ['stages', i, 'duration'], p);
    check.rate(s.target, ['stages', i, 'target'], p, true);
  });
  check.rate(c.startRate, ['start_rate'], p, true);
  check.duration(c.durationMs, ['duration'], p);
  if (p.length === 0 && c.stages.every((s) => s.target === 0) && c.startRate === 0)
    p.push({ path: ['stages'], message: 'every stage has target 0: nothing would connect' });
  return p;
}

export const rampingArrivalRate: Executor<RampingArrivalRateConfig> = {
  name: 'ramping-arrival-rate',
  description: 'the arrival rate moves linearly from stage to stage (k6’s executor of that name); scenario only',
  schema: {
    start_rate: { type: 'string', format: 'rate', description: 'rate at the start of the first stage (default 0/s)' },
    stages: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['duration', 'target'],
        properties: {
          duration: { type: 'string', format: 'duration' },
          target: {
            anyOf: [
              { type: 'number', minimum: 0 },
              { type: 'string', format: 'rate' },
            ],
            description: 'connects per second at the end of the stage',
          },
        },
      },
    },
    duration: { type: 'string', format: 'duration', description: 'cut the schedule after this long' },
  },
  required: ['stages'],
  holdsUntilEnd: false,
  acceptsReconnect: true,
  fromScenario(raw) {
    const stages = (raw.stages as { duration: unknown; target: unknown }[]).map((st) => ({
      durationMs: scenarioValue.duration(st.duration)!,
      target: scenarioValue.rate(st.target),
    }));
    return {
      ok: true,
      config: {
        executor: 'ramping-arrival-rate',
        startRate: raw.start_rate === undefined ? 0 : scenarioValue.rate(raw.start_rate),
        stages,
        durationMs: scenarioValue.duration(raw.duration),
      },
    };
  },
  fromFlags(flags, base) {
    if (base === undefined)
      throw new UsageError('ramping-arrival-rate needs its stages from a scenario file (load.stages)', '--executor');
    refuseFlags('ramping-arrival-rate', flags, ['rate', 'connections'], ' (its rates are the stages of the scenario)');
    return flags.durationMs === undefined ? base : { ...base, durationMs: flags.durationMs };
  },
  validate,
  schedule: (c, run) => rampSchedule(c, run.devices),
  shard: (c, share) => ({
    ...c,
    startRate: c.startRate * share.fraction,
    stages: c.stages.map((s) => ({ ...s, target: s.target * share.fraction })),
  }),
  peakConnections: (c, run) => openLoopPeak(run, Math.max(c.startRate, ...c.stages.map((s) => s.target))),
  reuseDevices: () => false,
  describe: (c) =>
    `ramp ${[c.startRate, ...c.stages.map((s) => s.target)].map((r) => round(r, 2)).join('→')} connects/s over ${c.stages.length} stage(s)`,
};
