/**
 * `closed-loop` (also `--rate max`): as many connects as `--in-flight` allows, each started
 * when one finishes — the broker's ceiling. With hold 0 devices cycle until the duration
 * ends; held devices connect once each.
 */
import { check, refuseFlags, scenarioValue, type ConfigProblem, type Executor } from './executor.js';

export interface ClosedLoopConfig {
  executor: 'closed-loop';
  /** stop starting attempts after this long (ms) */
  durationMs: number | undefined;
}

export const closedLoop: Executor<ClosedLoopConfig> = {
  name: 'closed-loop',
  description: 'as many connects as --in-flight allows, each started when one finishes (the broker’s ceiling)',
  schema: {
    rate: { type: 'string', enum: ['max'], description: 'max (the only rate of a closed loop)' },
    duration: { type: 'string', format: 'duration', description: 'stop starting attempts after this long' },
  },
  holdsUntilEnd: false,
  acceptsReconnect: false,
  fromScenario(raw) {
    return { ok: true, config: { executor: 'closed-loop', durationMs: scenarioValue.duration(raw.duration) } };
  },
  fromFlags(flags, base) {
    if (flags.rate !== 'max') refuseFlags('closed-loop', flags, ['rate'], ' (it runs as fast as the broker answers)');
    refuseFlags('closed-loop', flags, ['connections']);
    return { executor: 'closed-loop', durationMs: flags.durationMs ?? base?.durationMs };
  },
  validate(c) {
    const p: ConfigProblem[] = [];
    check.duration(c.durationMs, ['duration'], p);
    return p;
  },
  schedule: (c, run) => ({
    kind: 'closed',
    concurrency: run.inFlight,
    total: run.holdMs === 0 && c.durationMs !== undefined ? undefined : run.devices,
    durationMs: c.durationMs,
  }),
  // as fast as the broker answers, --in-flight at a time per shard
  shard: (c) => c,
  // as fast as the broker answers: held devices may all be up at once
  peakConnections: (_c, run) => (run.holdMs === 0 ? Math.min(run.devices, run.inFlight) : run.devices),
  reuseDevices: () => true,
  describe: (c) => `closed loop${c.durationMs === undefined ? '' : ` for ${c.durationMs / 1000}s`}`,
};
