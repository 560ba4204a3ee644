/**
 * What each step of a capacity search runs with: the settings the answer depends on, the
 * run config every step shares, and a CPU probe over a window of the step.
 */
import { startProbe, type BrokerProcess, type ProbeSample } from '../engine/probe.js';
import type { Capacity } from '../model/capacity.js';
import type { RunConfig } from '../run/config.js';
import type { SearchEnvironment } from './environment.js';

/** A probe over [fromMs, toMs] (epoch), or as much of it as the run lasted. */
export function probeWindow(
  broker: BrokerProcess | undefined,
  w: { fromMs: number; toMs: number },
): { stop(): ProbeSample } {
  let probe: { stop(): ProbeSample } | undefined;
  let sample: ProbeSample | undefined;
  const start = setTimeout(() => (probe = startProbe(broker)), Math.max(0, w.fromMs - Date.now()));
  const end = setTimeout(() => (sample = probe?.stop()), Math.max(0, w.toMs - Date.now()));
  return {
    stop(): ProbeSample {
      clearTimeout(start);
      clearTimeout(end);
      return sample ?? probe?.stop() ?? { hostCpu: null, brokerCpu: null };
    },
  };
}

/** What the rate depends on besides the broker. */
export function settingsOf(
  base: RunConfig,
  env: { brokerProcess: BrokerProcess | undefined; target: string },
): Capacity['config'] {
  return {
    key: base.key,
    tls_min_version: base.tls.minVersion ?? null,
    tls_max_version: base.tls.maxVersion ?? null,
    mqtt: base.mqtt.version === 5 ? '5' : '3.1.1',
    in_flight: base.inFlight,
    hold_ms: base.holdMs,
    workers: base.workers,
    target: env.target,
    broker: env.brokerProcess ?? null,
  };
}

/** What every step's run shares: the search's broker and SLOs, nothing but first connects, no outputs. */
export function stepConfig(base: RunConfig, env: SearchEnvironment, slo: Record<string, string[]>): RunConfig {
  return {
    ...base,
    targets: env.targets,
    serverCa: env.serverCa,
    tls: { ...base.tls, servername: env.servername },
    thresholds: slo,
    // a step is held to the search's SLOs alone, and measures first connects
    defaultGates: false,
    reconnect: undefined,
    faults: {},
    outDir: undefined,
    metricsPort: undefined,
    push: undefined,
    baseline: undefined,
    startAt: undefined,
    lingerMs: 0,
    shard: { index: 0, count: 1 },
    quiet: true,
  };
}
