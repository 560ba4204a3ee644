/**
 * `herd merge`: shard summaries into one. Histograms merge exactly (HDR counts added), so
 * the merged percentiles are those of one run that saw every connection; counters add up;
 * thresholds are evaluated again on the merged data; the verdict is decided again.
 */
import { HerdError, InputError } from '../errors.js';
import { addInto, createHistogram, decodeHistogram, encodeHistogram, latencyStats } from '../metrics/hdr.js';
import { PHASES, type Phase } from '../model/names.js';
import { sortFailures, sortRecord } from '../metrics/aggregate.js';
import { mergeSeries } from '../metrics/series.js';
import { parseThreshold, type Threshold } from '../judge/thresholds.js';
import { finalizeSummary } from '../judge/verdict.js';
import type { FailureCount, PhaseLatency, Summary, TimeSeries, WithSeries } from '../model/summary.js';

const unique = (values: readonly string[]): string =>
  [...new Set(values.flatMap((v) => v.split(',')).filter((v) => v !== ''))].join(',');
const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/**
 * Merges shard summaries. `files` (same order) name the inputs in error messages.
 * A shard given twice is an error (it would count its connections twice).
 */
export function mergeSummaries(
  summaries: readonly WithSeries<Summary>[],
  files: readonly string[] = [],
): WithSeries<Summary> {
  const name = (i: number): string => files[i] ?? `summary #${i + 1}`;
  const first = summaries[0];
  if (first === undefined) throw new HerdError('HERD_USAGE', 'merge: no summaries given');
  const seen = new Map<string, number>();
  summaries.forEach((s, i) => {
    const key = `${s.run.id}#${s.run.shard.index}/${s.run.shard.count}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      throw new InputError(
        { file: name(i) },
        `shard ${s.run.shard.index + 1}/${s.run.shard.count} of run ${s.run.id} is already in ${name(earlier)}`,
      );
    }
    seen.set(key, i);
  });
  const devices = deviceRange(summaries, name);

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

  const allSeries = summaries.map((s) => s.series).filter((s): s is TimeSeries => s !== undefined);
  const series = allSeries.length === summaries.length ? mergeSeries(allSeries) : undefined;
  const counts = {} as Summary['counts'];
  for (const k of Object.keys(first.counts) as (keyof Summary['counts'])[])
    counts[k] = sum(summaries.map((s) => s.counts[k]));
  // shards hold their connections side by side: the peak of the aligned sum when the series
  // are there, else the sum of the peaks (an upper bound)
  if (series !== undefined && series.points.length > 0) {
    counts.active_peak = Math.max(...summaries.map((s) => s.counts.active_peak), ...series.points.map((p) => p.active));
    counts.active_peak = Math.min(counts.active_peak, sum(summaries.map((s) => s.counts.active_peak)));
  }

  const handshakes = summaries.map(
    (s) => s.counts.connected + s.counts.failed + s.counts.rejected_as_expected + s.counts.accepted_unexpectedly,
  );
  const totalHandshakes = sum(handshakes);
  const g = summaries.map((s) => s.generator);
  const generator: Summary['generator'] = {
    cpu_ms_per_handshake:
      totalHandshakes === 0
        ? 0
        : round3(sum(g.map((x, i) => x.cpu_ms_per_handshake * (handshakes[i] ?? 0))) / totalHandshakes),
    event_loop_lag_p99_ms: Math.max(...g.map((x) => x.event_loop_lag_p99_ms)),
    saturated: g.some((x) => x.saturated),
    saturation_reasons: [
      ...new Set(
        g.flatMap((x, i) =>
          x.saturation_reasons.map((r) => (summaries.length > 1 ? `shard ${shardLabel(summaries[i])}: ${r}` : r)),
        ),
      ),
    ],
    fd_limit: Math.min(...g.map((x) => x.fd_limit)),
    workers: sum(g.map((x) => x.workers)),
    processes: sum(g.map((x) => x.processes)),
    rss_peak_bytes: Math.max(...g.map((x) => x.rss_peak_bytes)),
  };

  const thresholds: Threshold[] = [];
  const keys = new Set<string>();
  summaries.forEach((s, i) => {
    for (const t of s.thresholds) {
      const key = `${t.metric}\u0000${t.expression}`;
      if (keys.has(key)) continue;
      keys.add(key);
      const parsed = parseThreshold(t.metric, t.expression);
      if (!parsed.ok) throw new InputError({ file: name(i) }, `thresholds: ${parsed.error}`);
      thresholds.push(parsed.value);
    }
  });

  // recovery goes in before the thresholds are decided: recovery_duration gates read it
  const resumption = mergeResumption(summaries);
  const recovery = mergeRecovery(summaries);
  const merged = finalizeSummary(
    {
      ...(resumption === undefined ? {} : { resumption }),
      ...(recovery === undefined ? {} : { recovery }),
      version: 1,
      run: {
        id: unique(summaries.map((s) => s.run.id)),
        scenario: unique(summaries.map((s) => s.run.scenario)),
        target: unique(summaries.map((s) => s.run.target)),
        started: summaries.map((s) => s.run.started).sort()[0] ?? first.run.started,
        ended:
          summaries
            .map((s) => s.run.ended)
            .sort()
            .at(-1) ?? first.run.ended,
        shard: { index: 0, count: 1, ...devices },
        mqtt: unique(summaries.map((s) => s.run.mqtt)),
        devices: sum(summaries.map((s) => s.run.devices)),
        executor: unique(summaries.map((s) => s.run.executor)),
      },
      counts,
      failures: sortFailures([...failures.values()]),
      security: [...security.values()].map((s) => ({ ...s, reasons: sortRecord(s.reasons) })),
      latency,
      mint: {
        count: sum(summaries.map((s) => s.mint.count)),
        per_second: round3(sum(summaries.map((s) => s.mint.per_second))),
        loaded: sum(summaries.map((s) => s.mint.loaded)),
      },
      generator,
    },
    thresholds,
  );
  const missing = missingShards(summaries);
  if (missing !== '') merged.verdict_reason += ` (${missing})`;
  return series === undefined ? merged : { ...merged, series };
}

function unionLatency(list: readonly PhaseLatency[]): PhaseLatency {
  const h = createHistogram('cumulative');
  for (const l of list) addInto(h, decodeHistogram(l.hdr));
  return { ...latencyStats(h), hdr: encodeHistogram(h) };
}

/** Full and resumed handshakes of every shard, histograms added exactly. */
function mergeResumption(summaries: readonly Summary[]): Summary['resumption'] {
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
function mergeRecovery(summaries: readonly Summary[]): Summary['recovery'] {
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
    t50_ms: share(0.5),
    t90_ms: share(0.9),
    t99_ms: share(0.99),
    t100_ms: share(1),
    reconnect_attempts: sum(list.map((r) => r.reconnect_attempts)),
    peak_connect_rate: sum(list.map((r) => r.peak_connect_rate)),
    hdr: encodeHistogram(h),
  };
}

/**
 * Checks that no device was run by two summaries (their run.shard first..last ranges must
 * not overlap: a device would count twice), and returns the merged range when the ranges
 * are known and leave no gap.
 */
function deviceRange(summaries: readonly Summary[], name: (i: number) => string): { first?: number; last?: number } {
  const ranges: { i: number; first: number; last: number }[] = [];
  summaries.forEach((s, i) => {
    const { first, last } = s.run.shard;
    if (first === undefined && last === undefined) return;
    if (first === undefined || last === undefined || last < first) {
      throw new InputError(
        { file: name(i) },
        `run.shard: expected a device range first <= last, found first ${String(first)}, last ${String(last)}`,
      );
    }
    ranges.push({ i, first, last });
  });
  ranges.sort((a, b) => a.first - b.first || a.i - b.i);
  for (let k = 1; k < ranges.length; k++) {
    const prev = ranges[k - 1]!;
    const cur = ranges[k]!;
    if (cur.first <= prev.last) {
      const [a, b] = prev.i < cur.i ? [prev, cur] : [cur, prev];
      throw new InputError(
        { file: name(b.i) },
        `ran devices ${b.first}..${b.last}, which overlap devices ${a.first}..${a.last} of ${name(a.i)}: merged, a device would count twice (shards of one run have distinct --shard-index and the same --shard-count and --devices)`,
      );
    }
  }
  const contiguous =
    ranges.length === summaries.length && ranges.every((r, k) => k === 0 || r.first === ranges[k - 1]!.last + 1);
  return contiguous && ranges.length > 0 ? { first: ranges[0]!.first, last: ranges.at(-1)!.last } : {};
}

function shardLabel(s: Summary | undefined): string {
  return s === undefined ? '?' : `${s.run.shard.index + 1}/${s.run.shard.count}`;
}

/** Says which shards of a sharded run are absent, or ''. */
function missingShards(summaries: readonly Summary[]): string {
  const count = Math.max(...summaries.map((s) => s.run.shard.count));
  if (count <= 1) return '';
  const have = new Set(summaries.map((s) => s.run.shard.index));
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !have.has(i));
  return missing.length === 0
    ? ''
    : `merged ${count - missing.length} of ${count} shards; missing ${missing.map((i) => i + 1).join(', ')}`;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
