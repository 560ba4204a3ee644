/** The executor registry: a run's load config → the schedule the coordinator follows. */
import type { RunConfig } from '../run/config.js';
import { arrivalRateSchedule } from './arrival-rate.js';
import { rampingArrivalRateSchedule } from './ramping-arrival-rate.js';
import { constantConnectionsSchedule } from './constant-connections.js';
import type { Schedule } from './schedule.js';

export function scheduleFor(c: Pick<RunConfig, 'load' | 'devices' | 'inFlight' | 'holdMs'>): Schedule {
  const l = c.load;
  switch (l.executor) {
    case 'arrival-rate':
      return arrivalRateSchedule({
        executor: 'arrival-rate',
        rate: l.rate,
        count: c.devices,
        durationMs: l.durationMs,
      });
    case 'ramping-arrival-rate':
      return rampingArrivalRateSchedule({
        executor: 'ramping-arrival-rate',
        startRate: l.startRate,
        stages: l.stages,
        count: c.devices,
        durationMs: l.durationMs,
      });
    case 'constant-connections':
      return constantConnectionsSchedule({
        executor: 'constant-connections',
        connections: l.connections,
        rate: l.rate,
        durationMs: l.durationMs,
      });
    case 'reconnect-storm':
      // the first wave; the storm itself is driven by the coordinator's reconnect policy
      return constantConnectionsSchedule({
        executor: 'constant-connections',
        connections: l.connections,
        rate: l.rate,
        durationMs: 1,
      });
    case 'closed-loop':
      // with hold 0 devices cycle until the duration ends; held devices connect once each
      return {
        kind: 'closed',
        concurrency: c.inFlight,
        total: c.holdMs === 0 && l.durationMs !== undefined ? undefined : c.devices,
        durationMs: l.durationMs,
      };
  }
}
