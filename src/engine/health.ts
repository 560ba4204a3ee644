/**
 * Was the generator, rather than the broker, the bottleneck? Then the run is
 * inconclusive (exit 97): its latencies describe this machine, not the broker.
 */
import { availableParallelism } from 'node:os';
import type { EngineResult } from './coordinator.js';
import type { HostLimits } from './limits.js';
import type { FailureCount, Summary, TlsContexts } from '../model/summary.js';
import { round } from '../util/numbers.js';

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
    rss_peak_bytes: Math.max(h.res.rssPeakBytes, process.memoryUsage.rss()),
    ...(h.tlsContexts === undefined ? {} : { tls_contexts: h.tlsContexts }),
  };
}
