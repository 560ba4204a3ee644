/**
 * Stage 4, execute: the engine runs the plan — the schedule clock in this process, the
 * sockets in the connection workers — while an Aggregator merges what they report (and
 * the exporter serves it), and the CPU of the machine, the generator and a local broker is
 * sampled every second.
 */
import { Aggregator, type AggregateSnapshot } from '../metrics/aggregate.js';
import { Engine, type EnginePlan, type EngineResult, type EngineState } from '../engine/coordinator.js';
import { reconnectPolicy } from '../load/reconnect.js';
import {
  brokerProcess,
  findLocalListeners,
  startRunProbe,
  type BrokerProcess,
  type RunProbe,
} from '../engine/probe.js';
import type { RunPlan } from './plan.js';
import type { Prepared } from './prepare.js';
import { streamPlans } from '../traffic/registry.js';
import { clientSpecs, hasCommands, receiversPerStream } from '../engine/clients/specs.js';
import type { ClientsInit } from '../engine/clients/protocol.js';

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
  /** the broker's process when it runs on this machine (the embedded one, or a local listener) */
  broker: BrokerProcess | undefined;
  /** CPU once a second from the engine's start to its end, and the kernel's TCP counters over it */
  probe: RunProbe;
}

/** The broker's process, when this machine runs it and /proc says which it is. */
function localBroker(prep: Prepared): BrokerProcess | undefined {
  if (prep.broker !== undefined) return brokerProcess(prep.broker.pid, 'herd embedded broker', 1);
  return findLocalListeners(prep.targets);
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
    clients: clientsInit(plan, prep),
    worker: {
      storePath: prep.creds.storePath,
      deviceCount: c.devices,
      deviceStart: prep.creds.deviceStart,
      targets: prep.targets,
      serverCaPem: prep.creds.serverCaPem,
      servername: prep.servername,
      minVersion: c.tls.minVersion,
      maxVersion: c.tls.maxVersion,
      alpn: c.tls.alpn,
      groups: c.tls.groups,
      ciphers: c.tls.ciphers,
      mqttVersion: c.mqtt.version,
      keepaliveS: c.mqtt.keepaliveS,
      subscribe: c.mqtt.subscribe,
      clean: c.mqtt.clean,
      sessionExpiryS: c.mqtt.sessionExpiryS,
      traffic: c.traffic,
      seed: c.seed,
      shard: c.shard.index,
      timeouts: c.timeouts,
      inFlightCap: c.inFlight, // the coordinator splits it over the workers
      holdMs: c.holdMs,
      sourceIps: c.sourceIps,
      reportMs: 250,
      // a policy acts on single devices: the workers say which connected, failed and dropped
      // and the controllers of a commands stream need to know which devices are there
      reportOutcomes: policy !== undefined || hasCommands(c.traffic),
      resumeRatio: c.resumeRatio,
      tlsContexts: c.tls.contexts,
      reuseDevices: executor.reuseDevices(c.load) || c.reconnect !== undefined,
    },
  };
}

/** The traffic's subscribers and controllers, connecting like the devices (same broker, TLS and MQTT version). */
function clientsInit(plan: RunPlan, prep: Prepared): ClientsInit | undefined {
  const c = plan.config;
  if (prep.creds.clients.length === 0) return undefined;
  return {
    clients: clientSpecs(c.traffic, prep.creds.clients),
    targets: prep.targets,
    serverCaPem: prep.creds.serverCaPem,
    servername: prep.servername,
    minVersion: c.tls.minVersion,
    maxVersion: c.tls.maxVersion,
    mqttVersion: c.mqtt.version,
    keepaliveS: c.mqtt.keepaliveS,
    connectTimeoutMs: c.timeouts.tcpMs + c.timeouts.tlsMs + c.timeouts.wsMs + c.timeouts.connackMs,
    subscribeTimeoutMs: c.timeouts.subscribeMs,
    reportMs: 250,
    streams: c.traffic.map((s) => s.name),
    receivers: receiversPerStream(c.traffic),
    storePath: prep.creds.storePath,
    deviceStart: prep.creds.deviceStart,
    shard: c.shard.index,
    holdMs: c.holdMs,
    persistent: !c.mqtt.clean,
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
  const streams = streamPlans(c.traffic);
  const agg = new Aggregator({ startedAt: started.getTime(), streams });
  prep.exporter?.attach(agg, streams);
  const broker = localBroker(prep);
  let probe: { stop(): RunProbe } | undefined;
  const engine = new Engine(
    { ...enginePlan(plan, prep), broker },
    {
      onStart: () => (probe = startRunProbe({ broker, generatorCpuMs: () => engine.generatorCpuMs() })),
      onReport: (r) => {
        agg.ingest(r.delta, r.workerId);
        prep.exporter?.workerLag(r.workerId, r.lagP99Ms);
      },
      onTick: (s) => hooks.onProgress?.(agg.snapshot(), s),
      onClientDelta: (d, at) => agg.ingestMessages(d, at),
      onWarning: (line) => hooks.warn(line),
    },
  );
  hooks.onEngine?.(engine);
  let res: EngineResult;
  try {
    res = await engine.run();
  } finally {
    probe?.stop();
  }
  agg.messages.end();
  return { res, agg, started, ended: new Date(), broker, probe: probe?.stop() ?? { cpu: [], net: undefined } };
}
