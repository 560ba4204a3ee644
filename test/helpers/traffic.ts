/**
 * Summaries with traffic, built the way a run builds them: the real Recorder (its
 * MessageRecorder), the real Aggregator (series, loss) and summarizeMessages, so counts,
 * series points and histograms are what a run would write. A few numbers describe the run.
 */
import { Aggregator } from '../../src/metrics/aggregate.js';
import { summarizeMessages, type StreamPlan } from '../../src/metrics/messages.js';
import { Recorder } from '../../src/metrics/recorder.js';
import { finalizeSummary } from '../../src/judge/verdict.js';
import { parseThresholds } from '../../src/judge/thresholds.js';
import type { Qos } from '../../src/model/messages.js';
import type { Summary, WithSeries } from '../../src/model/summary.js';

export const T0 = Date.parse('2025-03-01T10:00:00Z');

export interface StreamSpec {
  name: string;
  qos: Qos;
  /** deliveries expected per message (0: nobody measures them) */
  receivers: number;
  /** messages published per second, every second of the run */
  perSecond: number;
  /** payload bytes */
  bytes?: number;
  /** publish → ack, µs, of message k (QoS ≥ 1) */
  ackMicros?: (k: number) => number;
  /** intended → delivered, µs, of message k */
  deliveryMicros?: (k: number) => number;
  /** message k is never delivered */
  lose?: (k: number) => boolean;
  /** message k is delivered twice */
  duplicate?: (k: number) => boolean;
  /** message k is never acknowledged */
  unacked?: (k: number) => boolean;
  /** message k was sent late */
  late?: (k: number) => boolean;
  /** a command stream: each delivery is the response, timed as a round trip too */
  commands?: boolean;
}

export interface TrafficRun {
  id?: string;
  devices?: number;
  seconds: number;
  streams: StreamSpec[];
  /** thresholds as a scenario writes them */
  thresholds?: Record<string, string[]>;
  /** summary.run.started (default T0): a second run starts later, as it would */
  startedAt?: number;
}

/** A run of `devices` connects then `seconds` of traffic, aggregated second by second. */
export function trafficSummary(r: TrafficRun): WithSeries<Summary> {
  const t0 = r.startedAt ?? T0;
  const devices = r.devices ?? 20;
  const plans: StreamPlan[] = r.streams.map((s) => ({ name: s.name, qos: s.qos, receivers: s.receivers }));
  let clock = t0;
  const agg = new Aggregator({ startedAt: t0, now: () => clock, streams: plans });
  const rec = new Recorder({ now: () => clock });
  for (let i = 0; i < devices; i++) {
    rec.attempt();
    for (const p of ['tcp', 'tls', 'connack'] as const) rec.recordPhase(p, 800 + i * 37);
    rec.recordPhase('connect', 3000 + i * 50);
    rec.connected();
  }
  const k = r.streams.map(() => 0);
  for (let sec = 1; sec <= r.seconds; sec++) {
    r.streams.forEach((s, si) => {
      for (let j = 0; j < s.perSecond; j++, k[si]!++) {
        const n = k[si]!;
        const m = rec.messages;
        m.published(si, s.bytes ?? 64, s.late?.(n) ?? false);
        if (s.qos > 0 && !(s.unacked?.(n) ?? false)) m.acked(si, s.qos, s.ackMicros?.(n) ?? 2000 + (n % 50) * 40);
        if (s.receivers === 0 || (s.lose?.(n) ?? false)) continue;
        const micros = s.deliveryMicros?.(n) ?? 4000 + (n % 97) * 60;
        for (let x = 0; x < s.receivers; x++) m.delivered(si, s.bytes ?? 64, micros, 'new');
        if (s.duplicate?.(n) ?? false) m.delivered(si, s.bytes ?? 64, micros, 'duplicate');
        if (s.commands === true) m.commandRtt(micros + 1500);
      }
    });
    clock = t0 + sec * 1000 + 5;
    agg.ingest({ ...rec.drain(), to: clock }, 0);
  }
  clock += 1000;
  agg.messages.end();
  const { messages, latency } = summarizeMessages(agg.messages, plans);
  const parsed = parseThresholds(r.thresholds ?? {});
  if (parsed.errors.length > 0) throw new Error(parsed.errors.map((e) => e.message).join('; '));
  const summary = finalizeSummary(
    {
      version: 1,
      run: {
        id: r.id ?? 'traffic-1',
        scenario: 'telemetry',
        target: 'mqtts://127.0.0.1:8883',
        started: new Date(t0).toISOString(),
        ended: new Date(clock).toISOString(),
        shard: { index: 0, count: 1 },
        mqtt: '5',
        devices,
        executor: 'arrival-rate',
      },
      counts: agg.counts(),
      failures: agg.failures(),
      security: [],
      latency: { ...agg.latency(), ...latency },
      messages,
      mint: { count: devices, per_second: 1000, loaded: 0 },
      generator: {
        cpu_ms_per_handshake: 2,
        event_loop_lag_p99_ms: 3,
        saturated: false,
        saturation_reasons: [],
        fd_limit: 20_000,
        workers: 1,
        processes: 1,
        rss_peak_bytes: 1e8,
      },
      findings: [],
    },
    parsed.thresholds,
  );
  return { ...summary, series: agg.series() };
}

/** A telemetry stream at QoS 1 to one subscriber and a command stream, 10 s: the report tests' run. */
export function telemetryAndCommands(options: Partial<TrafficRun> = {}): WithSeries<Summary> {
  return trafficSummary({
    seconds: 10,
    streams: [
      {
        name: 'telemetry',
        qos: 1,
        receivers: 1,
        perSecond: 50,
        bytes: 256,
        lose: (k) => k % 100 === 7,
        duplicate: (k) => k === 3,
        unacked: (k) => k === 499,
      },
      { name: 'commands', qos: 1, receivers: 1, perSecond: 10, commands: true },
    ],
    ...options,
  });
}
