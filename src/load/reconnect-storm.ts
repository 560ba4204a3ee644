/**
 * `reconnect-storm`: connect N devices, drop them all at once (the broker restarts, or the
 * connections are cut), and bring every device back with exponential backoff and full
 * jitter (storm-policy.ts). Reports how long until 50/90/99/100% are back and the peak
 * connect rate (summary `recovery`).
 */
import { UsageError } from '../errors.js';
import { check, refuseFlags, scenarioValue, shardConnections, type ConfigProblem, type Executor } from './executor.js';
import type { LoadPolicy, PolicyContext } from './policy.js';
import { constantRateSchedule } from './arrival-rate.js';
import { StormPolicy, type StormConfig } from './storm-policy.js';
import { explainRecovery, type Jitter } from './reconnect.js';

export interface ReconnectStormConfig {
  executor: 'reconnect-storm';
  connections: number;
  /** connects per second of the first wave */
  rate: number;
  storm: StormConfig;
}

/** How long after the drop the storm waits for every device to be back before it gives up. */
function stormDeadlineMs(cfg: StormConfig): number {
  return cfg.downMs + 6 * cfg.maxBackoffMs + 10_000;
}

/** The storm's policy, driven by the coordinator: first wave settles → drop → reconnects until all are back. */
function stormPolicy(c: ReconnectStormConfig, ctx: PolicyContext): LoadPolicy {
  const cfg = c.storm;
  const p = new StormPolicy(cfg, c.connections, ctx.random);
  const cut = cfg.drop === 'disconnect';
  // an external broker is restarted by whoever runs it; herd sees the drops
  const restart = cfg.drop === 'broker-restart' ? ctx.restartBroker : undefined;
  const deadlineMs = stormDeadlineMs(cfg);
  return {
    onConnected: (d, at) => p.onConnected(d, at),
    onFailed: (d, at) => p.onFail(d, at),
    onDropped: (d, at) => p.onDrop(d, at),
    take: (horizon, out) => p.take(horizon, out),
    advance(now, settled, ops) {
      if (p.phase === 'ramp' || p.phase === 'steady') {
        if (!settled || !p.ready(now)) return 'wait';
        p.dropped(now, !cut && restart === undefined);
        if (cut) ops.cutAll();
        else restart?.(cfg.downMs).catch((e: unknown) => ops.fail(e instanceof Error ? e : new Error(String(e))));
        return 'wait';
      }
      return p.finished(now, deadlineMs) ? 'stop' : 'wait';
    },
    result: () => ({ recovery: p.result() }),
  };
}

const duration = (v: unknown, dflt: number): number => scenarioValue.duration(v) ?? dflt;

export const reconnectStorm: Executor<ReconnectStormConfig> = {
  name: 'reconnect-storm',
  description: 'connect, drop every connection at once, bring each device back with backoff; scenario only',
  schema: {
    connections: { type: 'integer', minimum: 1, description: 'devices connected before the drop (default: all)' },
    rate: { type: 'string', format: 'rate', description: 'connects per second of the first wave' },
    drop: { type: 'string', enum: ['broker-restart', 'disconnect'], description: 'how the connections are dropped' },
    down: { type: 'string', format: 'duration', description: 'how long the broker stays down' },
    backoff: {
      type: 'object',
      additionalProperties: false,
      properties: {
        initial: { type: 'string', format: 'duration' },
        max: { type: 'string', format: 'duration' },
        jitter: { type: 'string', enum: ['full', 'equal', 'none'], description: 'default full' },
      },
    },
    duration: { type: 'string', format: 'duration', description: 'how long to wait once every device is back' },
    wait: {
      type: 'string',
      format: 'duration',
      description: 'a broker restarted by someone else: how long to wait for the drop (default 60s)',
    },
  },
  required: ['rate'],
  holdsUntilEnd: true,
  acceptsReconnect: false,
  fromScenario(raw) {
    const backoff = (raw.backoff ?? {}) as { initial?: unknown; max?: unknown; jitter?: Jitter };
    const storm: StormConfig = {
      drop: (raw.drop as StormConfig['drop'] | undefined) ?? 'broker-restart',
      downMs: duration(raw.down, 2000),
      initialBackoffMs: duration(backoff.initial, 5000),
      maxBackoffMs: duration(backoff.max, 60_000),
      settleMs: duration(raw.duration, 5000),
      jitter: backoff.jitter ?? 'full',
      waitMs: duration(raw.wait, 60_000),
    };
    const connections = typeof raw.connections === 'number' ? raw.connections : 0;
    const rate = scenarioValue.rate(raw.rate);
    return { ok: true, config: { executor: 'reconnect-storm', connections, rate, storm } };
  },
  fromFlags(flags, base, run) {
    if (base === undefined)
      throw new UsageError(
        'reconnect-storm needs its storm from a scenario file (load.drop, load.backoff)',
        '--executor',
      );
    if (flags.rate === 'max') throw new UsageError('reconnect-storm needs a first-wave rate in N/s', '--rate');
    refuseFlags('reconnect-storm', flags, ['durationMs']);
    const connections = flags.connections ?? (base.connections || run.devices);
    return { ...base, rate: flags.rate ?? base.rate, connections };
  },
  validate(c, run) {
    const p: ConfigProblem[] = [];
    check.connections(c.connections, run, p);
    check.rate(c.rate, ['rate'], p);
    if (c.storm.maxBackoffMs < c.storm.initialBackoffMs)
      p.push({ path: ['backoff', 'max'], message: 'is below backoff.initial' });
    return p;
  },
  // the first wave; the storm itself is driven by the policy
  schedule: (c) => constantRateSchedule(c.rate, c.connections),
  shard: shardConnections,
  peakConnections: (c, run) => c.connections + run.inFlight,
  reuseDevices: () => true,
  policy: stormPolicy,
  // sessions are dropped and connects refused on purpose; what counts is that every device comes back
  gates: (c) => ({
    connect_failures: [],
    session_drops: [],
    recovery_duration: [`p(100) < ${Math.ceil(stormDeadlineMs(c.storm) / 1000)}s`],
  }),
  describe: (c) => {
    const backoff = `${c.storm.initialBackoffMs / 1000}s…${c.storm.maxBackoffMs / 1000}s`;
    return `${c.connections} connections up at ${c.rate}/s, then a storm (${c.storm.drop}, backoff ${backoff})`;
  },
  explain: (s) => explainRecovery(s.recovery),
};
