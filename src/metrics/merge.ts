/**
 * Exact merges of the measured parts of several summaries (shards of one run): histograms
 * add bucket by bucket, so merged percentiles are those of one run that saw every
 * connection; counters add up. Deciding thresholds and the verdict again is the caller's.
 */
import { InputError } from '../errors.js';
import { PHASES, type Phase } from '../model/names.js';
import { MESSAGE_PHASES, type MessagePhase } from '../model/messages.js';
import type { FailureCount, PhaseLatency, Summary, TimeSeries, WithSeries } from '../model/summary.js';
import { addInto, createHistogram, decodeHistogram, encodeHistogram, latencyStats } from './hdr.js';
import { sortFailures, sortRecord } from './aggregate.js';
import { mergeSeries } from './series.js';
import { round } from '../util/numbers.js';
import { mergeFootprint } from './footprint.js';

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** Per phase, the exact union of every summary's histogram; `name(i)` names a summary whose histogram is bad. */
export function mergeLatency(summaries: readonly Summary[], name: (i: number) => string): Record<Phase, PhaseLatency> {
  const latency = {} as Record<Phase, PhaseLatency>;
  for (const phase of PHASES) {
    const h = createHistogram('cumulative');
    summaries.forEach((s, i) => {
      try {
        addInto(h, decodeHistogram(s.latency[phase].hdr));
      } catch (e) {
        throw new InputError({ file: name(i) }, `latency.${phase}.hdr: not a valid encoded HDR histogram`, {
          cause: e,
        });
      }
    });
    latency[phase] = { ...latencyStats(h), hdr: encodeHistogram(h) };
  }
  return latency;
}

/** Failures by phase and reason, and the security outcomes by fault, added up. */
export function mergeOutcomes(summaries: readonly Summary[]): Pick<Summary, 'failures' | 'security'> {
  const failures = new Map<string, FailureCount>();
  const security = new Map<string, Summary['security'][number]>();
  for (const s of summaries) {
    for (const f of s.failures) {
      const key = `${f.phase}\u0000${f.reason}`;
      const m = failures.get(key);
      if (m === undefined) failures.set(key, { ...f });
      else m.count += f.count;
    }
    for (const x of s.security) {
      const m = security.get(x.fault) ?? {
        fault: x.fault,
        expected_rejections: 0,
        rejected: 0,
        accepted: 0,
        reasons: {},
      };
      m.expected_rejections += x.expected_rejections;
      m.rejected += x.rejected;
      m.accepted += x.accepted;
      for (const [r, n] of Object.entries(x.reasons)) m.reasons[r] = (m.reasons[r] ?? 0) + n;
      security.set(x.fault, m);
    }
  }
  return {
    failures: sortFailures([...failures.values()]),
    security: [...security.values()].map((s) => ({ ...s, reasons: sortRecord(s.reasons) })),
  };
}

/** The shards' series aligned by clock (undefined unless every summary has one). */
export function mergeAllSeries(summaries: readonly WithSeries<Summary>[]): TimeSeries | undefined {
  const all = summaries.map((s) => s.series).filter((s): s is TimeSeries => s !== undefined);
  return all.length === summaries.length ? mergeSeries(all) : undefined;
}

/**
 * Counts added up. Shards hold their connections side by side: the active peak is the peak
 * of the aligned sum when the series are there, else the sum of the peaks (an upper bound).
 */
export function mergeCounts(summaries: readonly Summary[], series: TimeSeries | undefined): Summary['counts'] {
  const counts = {} as Summary['counts'];
  for (const k of Object.keys(summaries[0]!.counts) as (keyof Summary['counts'])[])
    counts[k] = sum(summaries.map((s) => s.counts[k]));
  if (series !== undefined && series.points.length > 0) {
    const peaks = summaries.map((s) => s.counts.active_peak);
    counts.active_peak = Math.min(Math.max(...peaks, ...series.points.map((p) => p.active)), sum(peaks));
  }
  return counts;
}

/** The generators' health: CPU per handshake weighted by handshakes, the worst lag, every saturation reason. */
export function mergeGenerator(summaries: readonly Summary[]): Summary['generator'] {
  const handshakes = summaries.map(
    (s) => s.counts.connected + s.counts.failed + s.counts.rejected_as_expected + s.counts.accepted_unexpectedly,
  );
  const total = sum(handshakes);
  const g = summaries.map((s) => s.generator);
  const label = (i: number): string => shardLabel(summaries[i]);
  return {
    cpu_ms_per_handshake:
      total === 0 ? 0 : round(sum(g.map((x, i) => x.cpu_ms_per_handshake * (handshakes[i] ?? 0))) / total),
    event_loop_lag_p99_ms: Math.max(...g.map((x) => x.event_loop_lag_p99_ms)),
    saturated: g.some((x) => x.saturated),
    saturation_reasons: [
      ...new Set(
        g.flatMap((x, i) => x.saturation_reasons.map((r) => (summaries.length > 1 ? `shard ${label(i)}: ${r}` : r))),
      ),
    ],
    fd_limit: Math.min(...g.map((x) => x.fd_limit)),
    workers: sum(g.map((x) => x.workers)),
    processes: sum(g.map((x) => x.processes)),
    rss_peak_bytes: Math.max(...g.map((x) => x.rss_peak_bytes)),
    ...mergeFootprint(g),
    ...tlsContextsOf(g),
  };
}

export function mergeMint(summaries: readonly Summary[]): Summary['mint'] {
  return {
    count: sum(summaries.map((s) => s.mint.count)),
    per_second: round(sum(summaries.map((s) => s.mint.per_second))),
    loaded: sum(summaries.map((s) => s.mint.loaded)),
  };
}

function shardLabel(s: Summary | undefined): string {
  return s === undefined ? '?' : `${s.run.shard.index + 1}/${s.run.shard.count}`;
}

function unionLatency(list: readonly PhaseLatency[]): PhaseLatency {
  const h = createHistogram('cumulative');
  for (const l of list) addInto(h, decodeHistogram(l.hdr));
  return { ...latencyStats(h), hdr: encodeHistogram(h) };
}

/** Full and resumed handshakes of every shard, histograms added exactly. */
export function mergeResumption(summaries: readonly Summary[]): Summary['resumption'] {
  const list = summaries
    .map((s) => s.resumption)
    .filter((r): r is NonNullable<Summary['resumption']> => r !== undefined);
  if (list.length === 0) return undefined;
  return {
    full: sum(list.map((r) => r.full)),
    resumed: sum(list.map((r) => r.resumed)),
    tls_full: unionLatency(list.map((r) => r.tls_full)),
    tls_resumed: unionLatency(list.map((r) => r.tls_resumed)),
  };
}

/**
 * Every shard's storm as one: the recovery times (each from its shard's drop) added into one
 * histogram, the shares taken over all the dropped devices. The peak connect rate is the
 * sum of the shards' peaks (an upper bound: their peak seconds need not coincide).
 */
export function mergeRecovery(summaries: readonly Summary[]): Summary['recovery'] {
  const list = summaries.map((s) => s.recovery).filter((r): r is NonNullable<Summary['recovery']> => r !== undefined);
  const first = list[0];
  if (first === undefined) return undefined;
  const h = createHistogram('cumulative');
  for (const r of list) addInto(h, decodeHistogram(r.hdr));
  const dropped = sum(list.map((r) => r.dropped));
  const recovered = sum(list.map((r) => r.recovered));
  const share = (q: number): number | null => {
    const need = Math.ceil(q * dropped);
    if (dropped === 0 || need > recovered) return null;
    return Math.round(h.getValueAtPercentile((need / recovered) * 100) / 1000);
  };
  const dropTimes = list
    .map((r) => r.dropped_at)
    .filter((t): t is string => t !== null)
    .sort();
  return {
    drop: first.drop,
    dropped_at: dropTimes[0] ?? null,
    dropped,
    recovered,
    not_back: dropped - recovered,
    t50_ms: share(0.5),
    t90_ms: share(0.9),
    t99_ms: share(0.99),
    t100_ms: share(1),
    reconnect_attempts: sum(list.map((r) => r.reconnect_attempts)),
    peak_connect_rate: sum(list.map((r) => r.peak_connect_rate)),
    hdr: encodeHistogram(h),
  };
}

/** The message phases (publish_ack, delivery, command_rtt) of the summaries that have them, exactly. */
export function mergeMessageLatency(summaries: readonly Summary[]): Partial<Record<MessagePhase, PhaseLatency>> {
  const out: Partial<Record<MessagePhase, PhaseLatency>> = {};
  for (const phase of MESSAGE_PHASES) {
    const list = summaries.map((s) => s.latency[phase]).filter((l): l is PhaseLatency => l !== undefined);
    if (list.length > 0) out[phase] = unionLatency(list);
  }
  return out;
}

/** Every shard's streams added up (each shard counted its own devices' messages, so the sums are exact). */
export function mergeMessages(summaries: readonly Summary[]): Summary['messages'] {
  const out: NonNullable<Summary['messages']> = {};
  for (const s of summaries) {
    for (const [name, m] of Object.entries(s.messages ?? {})) {
      const t = out[name];
      if (t === undefined) {
        out[name] = { ...m };
        continue;
      }
      for (const k of Object.keys(m) as (keyof typeof m)[]) t[k] = (t[k] ?? 0) + (m[k] ?? 0);
    }
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/** Shards that all shared their contexts shared them; one per-device shard makes the merge per-device. */
function tlsContextsOf(g: readonly Summary['generator'][]): Pick<Summary['generator'], 'tls_contexts'> {
  const seen = g.map((x) => x.tls_contexts).filter((x) => x !== undefined);
  if (seen.length === 0) return {};
  return { tls_contexts: seen.includes('per-device') ? 'per-device' : 'shared' };
}
