/**
 * `herd merge`: shard summaries into one. The measured parts merge exactly
 * (src/metrics/merge.ts); a shard given twice or devices run twice are refused; the
 * thresholds are evaluated again on the merged data and the verdict is decided again; the
 * findings are drawn again from the merged data, and those only a shard's run could see
 * (its machine's CPU, limits) are kept, labelled by shard.
 */
import { HerdError, InputError } from '../errors.js';
import type { Finding, ScheduleStats, Summary, WithSeries } from '../model/summary.js';
import { addInto, createHistogram, decodeHistogram } from '../metrics/hdr.js';
import { scheduleStats } from '../metrics/aggregate.js';
import {
  mergeAllSeries,
  mergeCounts,
  mergeGenerator,
  mergeLatency,
  mergeMessageLatency,
  mergeMessages,
  mergeMint,
  mergeOutcomes,
  mergeRecovery,
  mergeResumption,
} from '../metrics/merge.js';
import { parseThreshold, type Threshold } from '../judge/thresholds.js';
import { finalizeSummary } from '../judge/verdict.js';
import { FACT_CODES, findingsOf } from '../judge/findings.js';

const unique = (values: readonly string[]): string =>
  [...new Set(values.flatMap((v) => v.split(',')).filter((v) => v !== ''))].join(',');
const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** A shard given twice would count its connections twice. */
function refuseDuplicates(summaries: readonly Summary[], name: (i: number) => string): void {
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
}

/** Every threshold of every shard, once. */
function thresholdsOf(summaries: readonly Summary[], name: (i: number) => string): Threshold[] {
  const thresholds: Threshold[] = [];
  const keys = new Set<string>();
  summaries.forEach((s, i) => {
    for (const t of s.thresholds) {
      const key = `${t.metric}\u0000${t.expression}`;
      if (keys.has(key)) continue;
      keys.add(key);
      const parsed = parseThreshold(t.metric, t.expression);
      if (!parsed.ok) throw new InputError({ file: name(i) }, `thresholds: ${parsed.error}`);
      thresholds.push(t.default ? { ...parsed.value, default: true } : parsed.value);
    }
  });
  return thresholds;
}

function runOf(summaries: readonly Summary[], devices: { first?: number; last?: number }): Summary['run'] {
  const first = summaries[0]!;
  return {
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
  };
}

/**
 * Merges shard summaries. `files` (same order) name the inputs in error messages.
 * `repeats`: the summaries are repeats of one run (the same devices), pooled, not shards.
 */
export function mergeSummaries(
  summaries: readonly WithSeries<Summary>[],
  files: readonly string[] = [],
  options: { repeats?: boolean } = {},
): WithSeries<Summary> {
  const name = (i: number): string => files[i] ?? `summary #${i + 1}`;
  if (summaries.length === 0) throw new HerdError('HERD_USAGE', 'merge: no summaries given');
  // repeats of one configuration (herd compare pools them) ran the same devices on purpose
  if (!options.repeats) refuseDuplicates(summaries, name);
  const devices = options.repeats ? {} : deviceRange(summaries, name);
  const series = mergeAllSeries(summaries);
  // recovery goes in before the thresholds are decided: recovery_duration gates read it
  const resumption = resumptionOf(summaries);
  const recovery = mergeRecovery(summaries);
  const messages = mergeMessages(summaries);
  const schedule = mergeSchedule(summaries, name);
  const merged = finalizeSummary(
    {
      ...(resumption === undefined ? {} : { resumption }),
      ...(recovery === undefined ? {} : { recovery }),
      version: 1,
      run: runOf(summaries, devices),
      counts: mergeCounts(summaries, series),
      ...mergeOutcomes(summaries),
      latency: { ...mergeLatency(summaries, name), ...mergeMessageLatency(summaries) },
      ...(messages === undefined ? {} : { messages }),
      mint: mergeMint(summaries),
      generator: mergeGenerator(summaries),
      ...(schedule === undefined ? {} : { schedule }),
      findings: [],
    },
    thresholdsOf(summaries, name),
  );
  merged.findings = findingsOf(merged, undefined, shardFindings(summaries));
  const missing = missingShards(summaries);
  if (missing !== '') merged.verdict_reason += ` (${missing})`;
  return series === undefined ? merged : { ...merged, series };
}

/** The findings only a shard's own run could draw (its machine's CPU, its limits), each labelled by shard. */
function shardFindings(summaries: readonly Summary[]): Finding[] {
  return summaries.flatMap((s) =>
    s.findings
      .filter((f) => FACT_CODES.includes(f.code))
      .map((f) => {
        if (summaries.length === 1) return f;
        const shard = `${s.run.shard.index + 1}/${s.run.shard.count}`;
        return { ...f, message: `shard ${shard}: ${f.message}`, evidence: { shard, ...f.evidence } };
      }),
  );
}

/** The shards' schedules as one: start lags added exactly, waits and caps summed, the span of them all. */
function mergeSchedule(summaries: readonly Summary[], name: (i: number) => string): ScheduleStats | undefined {
  const list = summaries.flatMap((s, i) => (s.schedule === undefined ? [] : [[s.schedule, i] as const]));
  if (list.length === 0) return undefined;
  const lag = createHistogram('cumulative');
  for (const [x, i] of list) {
    try {
      addInto(lag, decodeHistogram(x.start_lag.hdr));
    } catch (e) {
      throw new InputError({ file: name(i) }, 'schedule.start_lag.hdr: not a valid encoded HDR histogram', {
        cause: e,
      });
    }
  }
  const times = (k: 'first_intended' | 'last_intended' | 'last_started'): number[] =>
    list.map(([x]) => Date.parse(x[k]));
  return scheduleStats({
    count: sum(list.map(([x]) => x.attempts)),
    waited: sum(list.map(([x]) => x.waited_for_in_flight)),
    firstIntended: Math.min(...times('first_intended')),
    lastIntended: Math.max(...times('last_intended')),
    lastStarted: Math.max(...times('last_started')),
    inFlightCap: sum(list.map(([x]) => x.in_flight_cap)),
    lag,
  });
}

/** The shards' resumption merged, with the share asked and the reconnects added up when every shard says them. */
function resumptionOf(summaries: readonly Summary[]): Summary['resumption'] {
  const merged = mergeResumption(summaries);
  const list = summaries.flatMap((s) => (s.resumption === undefined ? [] : [s.resumption]));
  if (merged === undefined || list.some((r) => r.asked_ratio === undefined || r.reconnects === undefined))
    return merged;
  return {
    ...merged,
    asked_ratio: list[0]!.asked_ratio!,
    reconnects: sum(list.map((r) => r.reconnects ?? 0)),
    offered: sum(list.map((r) => r.offered ?? 0)),
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
        `ran devices ${b.first}..${b.last}, which overlap devices ${a.first}..${a.last} of ${name(a.i)}: ` +
          'merged, a device would count twice (shards of one run have distinct --shard-index and the same --shard-count and --devices)',
      );
    }
  }
  const contiguous =
    ranges.length === summaries.length && ranges.every((r, k) => k === 0 || r.first === ranges[k - 1]!.last + 1);
  return contiguous && ranges.length > 0 ? { first: ranges[0]!.first, last: ranges.at(-1)!.last } : {};
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
