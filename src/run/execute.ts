/**
 * Stage 4, execute: the engine runs the plan — the schedule clock in this process, the
 * sockets in the connection workers — while an Aggregator merges what they report (and
 * the exporter serves it).
 */
import { Aggregator, type AggregateSnapshot } from '../metrics/aggregate.js';
import { Engine, type EnginePlan, type EngineResult, type EngineState } from '../engine/coordinator.js';
import { reconnectPolicy } from '../load/reconnect.js';
import type { RunPlan } from './plan.js';
import type { Prepared } from './prepare.js';

export interface ExecuteHooks {
  info: (line: string) => void;
  warn: (line: string) => void;
  /** the engine is about to start: keep it to interrupt() on Ctrl-C */
  onEngine?: (engine: Engine) => void;
  /** progress once a second */
  onProgress?: (snap: AggregateSnapshot, state: EngineState) => void;
}

export interface Executed {
  res: EngineResult;
  agg: Aggregator;
  started: Date;
  ended: Date;
}

function enginePlan(plan: RunPlan, prep: Prepared): EnginePlan {
  const c = plan.config;
  const { executor } = plan;
  const own = executor.policy?.(c.load, {
    restartBroker: prep.broker === undefined ? undefined : (downMs) => prep.broker!.restart(downMs),
  });
  // reconnect on: devices that fail or lose their session retry with backoff, over the executor's own policy
  const policy = c.reconnect === undefined ? own : reconnectPolicy(own, c.reconnect);
  return {
    workers: plan.workers,
    processes: plan.processes,
    schedule: plan.schedule,
    policy,
    endAfterMs: executor.endAfterMs?.(c.load),
    startAt: c.startAt,
    worker: {
      storePath: prep.creds.storePath,
      deviceCount: c.devices,
      deviceStart: prep.creds.deviceStart,
      targets: prep.targets,
      serverCaPem: prep.creds.serverCaPem,
      servername: prep.servername,
      minVersion: c.tls.minVersion,
      maxVersion: c.tls.maxVersion,
      mqttVersion: c.mqtt.version,
      keepaliveS: c.mqtt.keepaliveS,
      subscribe: c.mqtt.subscribe,
      timeouts: c.timeouts,
      inFlightCap: c.inFlight, // the coordinator splits it over the workers
      holdMs: c.holdMs,
      sourceIps: c.sourceIps,
      reportMs: 250,
      // a policy acts on single devices: the workers say which connected, failed and dropped
      reportOutcomes: policy !== undefined,
      resumeRatio: c.resumeRatio,
      reuseDevices: executor.reuseDevices(c.load) || c.reconnect !== undefined,
    },
  };
}

export async function executeRun(plan: RunPlan, prep: Prepared, hooks: ExecuteHooks): Promise<Executed> {
  const c = plan.config;
  if (plan.processes > 1)
    hooks.info(
      `${plan.processes} generator processes, ${plan.workers} connection workers (${plan.peak} connections at the peak)`,
    );
  // shards wait for a common --start-at: the run (and its time series) starts there
  const started = new Date(Math.max(Date.now(), c.startAt ?? 0));
  if (c.startAt !== undefined) {
    const wait = c.startAt - Date.now();
    const at = new Date(c.startAt).toISOString();
    if (wait > 0) hooks.info(`waiting for --start-at ${at} (${(wait / 1000).toFixed(1)}s)`);
    else
      hooks.warn(
        `--start-at ${at} passed ${(-wait / 1000).toFixed(1)}s ago: starting now, out of step with the other shards`,
      );
  }
  const agg = new Aggregator({ startedAt: started.getTime() });
  prep.exporter?.attach(agg);
  const engine = new Engine(enginePlan(plan, prep), {
    onReport: (r) => {
      agg.ingest(r.delta, r.workerId);
      prep.exporter?.workerLag(r.workerId, r.lagP99Ms);
    },
    onTick: (s) => hooks.onProgress?.(agg.snapshot(), s),
  });
  hooks.onEngine?.(engine);
  const res = await engine.run();
  return { res, agg, started, ended: new Date() };
}
