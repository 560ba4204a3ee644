/**
 * Summaries built the way a run builds them (the real recorder and aggregator, so the
 * histograms are real HDR histograms) from a few lines describing the attempts.
 */
import { Aggregator } from '../../src/metrics/aggregate.js';
import { Recorder } from '../../src/metrics/recorder.js';
import { finalizeSummary } from '../../src/judge/verdict.js';
import type { Summary } from '../../src/model/summary.js';

const T0 = Date.parse('2025-03-01T10:00:00Z');

export interface Attempts {
  n: number;
  /** ms between intended starts */
  every: number;
  /** start lag of attempt i, ms */
  lag?: (i: number) => number;
  /** attempt i waited for an in-flight slot */
  waited?: (i: number) => boolean;
  /** phase times of attempt i, ms */
  tcp?: (i: number) => number;
  tls?: (i: number) => number;
  connack?: (i: number) => number;
}

/** A run of `a.n` attempts, each connected, recorded and aggregated as a real run's are. */
export function summaryOf(a: Attempts, generator: Partial<Summary['generator']> = {}, cap = 100): Summary {
  const rec = new Recorder({ now: () => T0 });
  for (let i = 0; i < a.n; i++) {
    const intended = T0 + i * a.every;
    rec.scheduled(intended, intended + (a.lag?.(i) ?? 0.2), a.waited?.(i) ?? false);
    rec.attempt();
    rec.recordPhase('tcp', (a.tcp?.(i) ?? 0.3 + (i % 10) * 0.05) * 1000);
    rec.recordPhase('tls', (a.tls?.(i) ?? 4 + (i % 7)) * 1000);
    rec.recordPhase('connack', (a.connack?.(i) ?? 0.5 + (i % 5) * 0.2) * 1000);
    rec.recordPhase('connect', 8000 + (a.lag?.(i) ?? 0) * 1000);
    rec.connected();
  }
  const agg = new Aggregator({ startedAt: T0 });
  agg.ingest(rec.drain(), 0);
  const end = new Date(T0 + a.n * a.every + 1000).toISOString();
  return finalizeSummary(
    {
      version: 1,
      run: {
        id: 'f1',
        scenario: 'findings',
        target: 'mqtts://127.0.0.1:8883',
        started: new Date(T0).toISOString(),
        ended: end,
        shard: { index: 0, count: 1 },
        mqtt: '3.1.1',
        devices: a.n,
        executor: 'arrival-rate',
      },
      counts: agg.counts(),
      failures: agg.failures(),
      security: [],
      latency: agg.latency(),
      mint: { count: a.n, per_second: 1000, loaded: 0 },
      generator: {
        cpu_ms_per_handshake: 5,
        event_loop_lag_p99_ms: 3,
        saturated: false,
        saturation_reasons: [],
        fd_limit: 20_000,
        workers: 2,
        processes: 1,
        rss_peak_bytes: 1e8,
        ...generator,
      },
      schedule: agg.schedule(cap)!,
      findings: [],
    },
    [],
  );
}
