/**
 * Was the generator, rather than the broker, the bottleneck? Then the run is
 * inconclusive (exit 97): its latencies describe this machine, not the broker.
 */
import { availableParallelism } from 'node:os';
import type { EngineResult } from './coordinator.js';
import type { HostLimits } from './limits.js';
import type { BrokerProcessStats, FailureCount, GeneratorPhases, Summary, TlsContexts } from '../model/summary.js';
import { round } from '../util/numbers.js';
import type { FootprintResult } from './footprint.js';
import type { BrokerProcess } from './probe.js';
import { kbPerConnection, perConnectionSecond, perHandshake } from '../metrics/footprint.js';

/**
 * A worker whose event loop stalls this long at p99, or this much on average, delays
 * socket reads and timestamps throughout the run: the generator, not the broker, set the
 * pace. (Sporadic shorter stalls — a GC, a busy neighbour — show in event_loop_lag_p99_ms
 * without making the run inconclusive.)
 */
const LAG_P99_LIMIT_MS = 200;
const LAG_MEAN_LIMIT_MS = 20;
/** A closed loop that keeps every core this busy measured the generator's ceiling. */
const CPU_SATURATION = 0.95;

export interface HealthInput {
  res: EngineResult;
  counts: Summary['counts'];
  failures: FailureCount[];
  limits: HostLimits;
  workers: number;
  closedLoop: boolean;
  /** how the workers gave devices their certificates; undefined: no TLS target */
  tlsContexts?: TlsContexts | undefined;
}

export function assessGenerator(h: HealthInput): Summary['generator'] {
  const reasons: string[] = [];
  const worstLag = Math.max(0, ...h.res.workerLagP99Ms);
  if (worstLag > LAG_P99_LIMIT_MS)
    reasons.push(`connection worker event-loop lag p99 ${worstLag.toFixed(0)} ms > ${LAG_P99_LIMIT_MS} ms`);
  const worstMean = Math.max(0, ...h.res.workerLagMeanMs);
  if (worstMean > LAG_MEAN_LIMIT_MS)
    reasons.push(`connection worker event-loop lag averaged ${worstMean.toFixed(0)} ms > ${LAG_MEAN_LIMIT_MS} ms`);
  if (h.res.coordinatorLagP99Ms > LAG_P99_LIMIT_MS)
    reasons.push(`coordinator event-loop lag p99 ${h.res.coordinatorLagP99Ms.toFixed(0)} ms > ${LAG_P99_LIMIT_MS} ms`);
  const local = h.failures.filter((f) => f.reason === 'fd_exhausted' || f.reason === 'addr_unavailable');
  for (const f of local) reasons.push(`${f.count} attempts failed locally with ${f.reason}`);
  const wallMs = Math.max(1, h.res.ended - h.res.t0);
  const cpuShare = h.res.cpuMs / wallMs / availableParallelism();
  if (h.closedLoop && cpuShare >= CPU_SATURATION)
    reasons.push(`closed loop kept the generator's CPUs ${(cpuShare * 100).toFixed(0)}% busy`);
  const handshakes = Math.max(1, h.counts.attempted);
  return {
    cpu_ms_per_handshake: round(h.res.cpuMs / handshakes),
    event_loop_lag_p99_ms: round(Math.max(worstLag, h.res.coordinatorLagP99Ms)),
    saturated: reasons.length > 0,
    saturation_reasons: reasons,
    fd_limit: h.limits.fdLimit,
    workers: h.workers,
    processes: h.res.processes,
    rss_peak_bytes: Math.max(h.res.rssPeakBytes, process.memoryUsage.rss(), h.res.footprint.heldPeak?.rssBytes ?? 0),
    ...memoryOf(h.res.footprint),
    phases: phasesOf(h.res.footprint),
    ...(h.tlsContexts === undefined ? {} : { tls_contexts: h.tlsContexts }),
  };
}

function memoryOf(f: FootprintResult): Pick<Summary['generator'], 'kb_per_connection' | 'memory'> {
  const memory = {
    before_bytes: f.rssBeforeBytes,
    held_bytes: f.heldPeak?.rssBytes ?? null,
    held: f.heldPeak?.held ?? 0,
  };
  return { kb_per_connection: kbPerConnection(memory), memory };
}

function phasesOf(f: FootprintResult): GeneratorPhases {
  const { ramp, hold } = f;
  return {
    ramp:
      ramp === undefined
        ? null
        : {
            ms: Math.round(ramp.ms),
            cpu_ms: round(ramp.cpuMs),
            handshakes: ramp.handshakes,
            cpu_ms_per_handshake: perHandshake(ramp.cpuMs, ramp.handshakes),
          },
    hold:
      hold === undefined
        ? null
        : {
            ms: Math.round(hold.ms),
            cpu_ms: round(hold.cpuMs),
            connection_seconds: round(hold.connectionSeconds),
            cpu_ms_per_connection_second: perConnectionSecond(hold.cpuMs, hold.connectionSeconds),
          },
  };
}

/** The local broker's CPU over the run and the generator's phases; undefined when it is unknown. */
export function brokerProcessStats(
  broker: BrokerProcess | undefined,
  f: FootprintResult,
  embedded: boolean,
): BrokerProcessStats | undefined {
  if (broker === undefined || f.brokerCpuMs === undefined) return undefined;
  const ms = (x: number | undefined): number | null => (x === undefined ? null : round(x));
  return {
    pid: broker.pid,
    ...(broker.pids.length > 1 ? { pids: broker.pids } : {}),
    command: broker.name,
    threads: broker.threads,
    embedded,
    cpu_ms: round(f.brokerCpuMs),
    cores: round(f.brokerCpuMs / Math.max(1, f.ms)),
    ramp_cpu_ms: ms(f.ramp?.brokerCpuMs),
    hold_cpu_ms: ms(f.hold?.brokerCpuMs),
  };
}
