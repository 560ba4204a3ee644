/** `arrival-rate`: connects start at a constant rate, whatever the broker does (open loop). */
import type { ConfigProblem, OpenSchedule } from './schedule.js';

export interface ArrivalRateConfig {
  executor: 'arrival-rate';
  /** connects per second */
  rate: number;
  /** attempts at most (the devices) */
  count: number;
  /** stop scheduling after this long (ms); undefined: when every device has been attempted */
  durationMs?: number | undefined;
}

export function validateArrivalRate(c: ArrivalRateConfig, path = 'load'): ConfigProblem[] {
  const p: ConfigProblem[] = [];
  if (!(c.rate > 0) || !Number.isFinite(c.rate)) p.push({ path: `${path}.rate`, message: 'expected a rate above 0/s' });
  if (!Number.isInteger(c.count) || c.count < 1)
    p.push({ path: `${path}.count`, message: 'expected a positive number of devices' });
  if (c.durationMs !== undefined && !(c.durationMs > 0))
    p.push({ path: `${path}.duration`, message: 'expected a duration above 0' });
  return p;
}

export function arrivalRateSchedule(c: ArrivalRateConfig): OpenSchedule {
  const interval = 1000 / c.rate;
  const byDuration = c.durationMs === undefined ? Infinity : Math.ceil((c.durationMs * c.rate) / 1000);
  const total = Math.min(c.count, byDuration);
  return {
    kind: 'open',
    total,
    spanMs: (total - 1) * interval,
    *offsets() {
      for (let k = 0; k < total; k++) yield k * interval;
    },
  };
}
