/**
 * `constant-connections`: bring `connections` devices up at `rate`, keep them connected
 * for `duration`, and replace every connection that drops (the coordinator schedules a
 * new attempt for the dropped device at once; its latency counts from that moment).
 */
import { arrivalRateSchedule } from './arrival-rate.js';
import type { ConfigProblem, OpenSchedule } from './schedule.js';

export interface ConstantConnectionsConfig {
  executor: 'constant-connections';
  connections: number;
  /** ramp-up rate, connects per second */
  rate: number;
  durationMs: number;
}

export function validateConstantConnections(c: ConstantConnectionsConfig, path = 'load'): ConfigProblem[] {
  const p: ConfigProblem[] = [];
  if (!Number.isInteger(c.connections) || c.connections < 1)
    p.push({ path: `${path}.connections`, message: 'expected a positive integer' });
  if (!(c.rate > 0) || !Number.isFinite(c.rate)) p.push({ path: `${path}.rate`, message: 'expected a rate above 0/s' });
  if (!(c.durationMs > 0)) p.push({ path: `${path}.duration`, message: 'expected a duration above 0' });
  return p;
}

export function constantConnectionsSchedule(c: ConstantConnectionsConfig): OpenSchedule {
  return arrivalRateSchedule({ executor: 'arrival-rate', rate: c.rate, count: c.connections });
}
