/**
 * `constant-connections`: bring `connections` devices up at `rate`, keep them connected
 * for `duration`, and replace every connection that drops (a new attempt for the dropped
 * device at once, its latency counted from that moment) and every attempt that fails (one
 * second later).
 */
import { UsageError } from '../errors.js';
import { check, scenarioValue, shardConnections, type ConfigProblem, type Executor } from './executor.js';
import type { LoadPolicy } from './policy.js';
import { constantRateSchedule } from './arrival-rate.js';

/** How long after a failed connect the device tries again. */
const RETRY_AFTER_FAILURE_MS = 1000;

export interface ConstantConnectionsConfig {
  executor: 'constant-connections';
  /** connections kept up */
  connections: number;
  /** ramp-up rate, connects per second */
  rate: number;
  durationMs: number;
}

/** Keeps N connected: every drop and every failure becomes a new attempt of the same device. */
function replacementPolicy(): LoadPolicy {
  const due: { device: number; at: number }[] = [];
  return {
    onDropped: (device, at) => void due.push({ device, at }),
    onFailed: (device, at) => void due.push({ device, at: at + RETRY_AFTER_FAILURE_MS }),
    take(_horizon, out) {
      for (const { device, at } of due.splice(0)) out(device, at);
    },
    // held until the run's duration ends
    advance: () => 'wait',
  };
}

export const constantConnections: Executor<ConstantConnectionsConfig> = {
  name: 'constant-connections',
  description: 'keep --connections up for --duration (ramping up at --rate), replacing every drop',
  schema: {
    connections: { type: 'integer', minimum: 1, description: 'connections kept up (default: one per device)' },
    rate: { type: 'string', format: 'rate', description: 'ramp-up rate: 200/s' },
    duration: { type: 'string', format: 'duration', description: 'how long to keep them connected' },
  },
  required: ['rate', 'duration'],
  holdsUntilEnd: true,
  acceptsReconnect: true,
  fromScenario(raw) {
    return {
      ok: true,
      config: {
        executor: 'constant-connections',
        connections: typeof raw.connections === 'number' ? raw.connections : 0,
        rate: scenarioValue.rate(raw.rate),
        durationMs: scenarioValue.duration(raw.duration)!,
      },
    };
  },
  fromFlags(flags, base, run) {
    if (flags.rate === 'max') throw new UsageError('constant-connections needs a ramp-up rate in N/s', '--rate');
    const rate = flags.rate ?? base?.rate;
    if (rate === undefined) throw new UsageError('constant-connections needs a ramp-up rate in N/s', '--rate');
    const durationMs = flags.durationMs ?? base?.durationMs;
    if (durationMs === undefined) throw new UsageError('constant-connections needs --duration', '--duration');
    const connections = flags.connections ?? (base?.connections || run.devices);
    return { executor: 'constant-connections', connections, rate, durationMs };
  },
  validate(c, run) {
    const p: ConfigProblem[] = [];
    check.connections(c.connections, run, p);
    check.rate(c.rate, ['rate'], p);
    check.duration(c.durationMs, ['duration'], p);
    return p;
  },
  schedule: (c) => constantRateSchedule(c.rate, c.connections),
  shard: shardConnections,
  peakConnections: (c, run) => c.connections + run.inFlight,
  reuseDevices: () => true,
  endAfterMs: (c) => c.durationMs,
  policy: () => replacementPolicy(),
  describe: (c) => `${c.connections} connections for ${c.durationMs / 1000}s, up at ${c.rate}/s`,
};
