/** `arrival-rate`: connects start at a constant rate, whatever the broker does (open loop). */
import { check, refuseFlags, scenarioValue, type ConfigProblem, type Executor, type RunShape } from './executor.js';
import type { OpenSchedule } from './schedule.js';
import { round } from '../util/numbers.js';

/** Connects per second when neither the scenario nor --rate says. */
export const DEFAULT_RATE = 100;

export interface ArrivalRateConfig {
  executor: 'arrival-rate';
  /** connects per second */
  rate: number;
  /** stop scheduling after this long (ms); undefined: when every device has been attempted */
  durationMs: number | undefined;
}

/** `total` attempts (at most), 1/rate apart, cut after `durationMs`. */
export function constantRateSchedule(rate: number, total: number, durationMs?: number): OpenSchedule {
  const interval = 1000 / rate;
  const byDuration = durationMs === undefined ? Infinity : Math.ceil((durationMs * rate) / 1000);
  const n = Math.min(total, byDuration);
  return {
    kind: 'open',
    total: n,
    spanMs: (n - 1) * interval,
    *offsets() {
      for (let k = 0; k < n; k++) yield k * interval;
    },
  };
}

/**
 * Connections open at once in an open loop at up to `rate` connects/s: those in flight
 * (at most --in-flight) and those held, which connected within the last hold — at most the
 * attempts started within the hold plus the longest connect before it. Never more than the
 * devices.
 */
export function openLoopPeak(run: RunShape, rate: number): number {
  if (run.holdMs === 0) return Math.min(run.devices, run.inFlight);
  if (!Number.isFinite(run.holdMs)) return run.devices;
  const window = (run.holdMs + (run.connectMs ?? 40_000)) / 1000;
  return Math.min(run.devices, Math.ceil(rate * window) + run.inFlight);
}

export const arrivalRate: Executor<ArrivalRateConfig> = {
  name: 'arrival-rate',
  description: 'connects start at --rate, whatever the broker does (open loop); --rate max: the closed loop',
  schema: {
    rate: {
      anyOf: [
        { type: 'string', format: 'rate' },
        { type: 'string', enum: ['max'] },
      ],
      description: 'connects per second: 200/s (max: the closed loop)',
    },
    duration: { type: 'string', format: 'duration', description: 'stop scheduling after this long' },
  },
  required: ['rate'],
  holdsUntilEnd: false,
  acceptsReconnect: true,
  fromScenario(raw) {
    return {
      ok: true,
      config: {
        executor: 'arrival-rate',
        rate: scenarioValue.rate(raw.rate),
        durationMs: scenarioValue.duration(raw.duration),
      },
    };
  },
  fromFlags(flags, base) {
    refuseFlags('arrival-rate', flags, ['connections']);
    const rate = flags.rate === undefined || flags.rate === 'max' ? (base?.rate ?? DEFAULT_RATE) : flags.rate;
    return { executor: 'arrival-rate', rate, durationMs: flags.durationMs ?? base?.durationMs };
  },
  validate(c) {
    const p: ConfigProblem[] = [];
    check.rate(c.rate, ['rate'], p);
    check.duration(c.durationMs, ['duration'], p);
    return p;
  },
  schedule: (c, run) => constantRateSchedule(c.rate, run.devices, c.durationMs),
  shard: (c, share) => ({ ...c, rate: c.rate * share.fraction }),
  peakConnections: (c, run) => openLoopPeak(run, c.rate),
  reuseDevices: () => false,
  describe: (c) => `${round(c.rate, 2)} connects/s${c.durationMs === undefined ? '' : ` for ${c.durationMs / 1000}s`}`,
};
